"""Scope everywhere: a user of community A reaches none of community B's data, by any door.

Two communities, A and B, in one street; B's rows in every module carry marker strings ("ZZB…") and
tracking codes. Logged in as A's user of each role, the test

(a) calls every Flask URL rule of the app (enumerated from `url_map`, path parameters filled with B's
    ids, codes and hashes, a query string full of B's ids on top),
(b) renders every Dash page through the pages router (enumerated from the page registry, path
    template and layout parameters filled with B's ids and codes),
(c) fires every registered Dash callback (enumerated from `callback_map`, inputs and states filled with
    plausible values — B's ids and codes, clicks, chart clicks carrying B's codes — each input in turn
    as the trigger),

and asserts that no marker of B's (that the request did not itself send) appears in any answer, and
that no photo of B's is served. A street user over A and B then does the same and must meet B's data,
so a marker that never shows anywhere cannot make the test pass by accident.

A third community, C, lies in another street. A district user sees every community, so for the wider
scopes the same sweep is made as the street users of A's and B's street (a street cadre and a street
administrator): they must reach none of C's data, while the district user meets C's (and B's).

Everything is enumerated at run time: a route, page or callback added later is covered without
touching this file. Routes that are public by design are listed in PUBLIC_BY_DESIGN with the reason.
"""

from __future__ import annotations

import base64
import inspect
import io
import itertools
import json
import logging
import re
from datetime import date, timedelta

import dash
import pytest
from PIL import Image
from sqlalchemy import select, update

from app import create_app
from data_access.clock import local_now
from data_access.db import writing
from data_access.models import (
    AccessEvent,
    Alarm,
    AuditLog,
    Ballot,
    Building,
    Community,
    Device,
    DeviceStatus,
    Estate,
    EstateIndex,
    Event,
    EventPhoto,
    Grid,
    Household,
    IndicatorDef,
    IndicatorScore,
    Notification,
    ParkingLot,
    ParkingPermit,
    ParkingSample,
    Rectification,
    Resident,
    ServiceAction,
    ServiceRequest,
    ShareableCapacity,
    Street,
    Talent,
    Telemetry,
    WelfareAlert,
    WelfareWatch,
)
from data_access.photos import store_photo
from data_access.tokens import issue_token
from data_access.users import create_user
from domain.catalog import ROLES
from tests.factories import add_case, tiny_community

# Public by design: these answer anyone without a staff session, so what they show is decided by their
# own rules, not by the caller's scope. Exact URL rules, and prefixes ending in "/".
PUBLIC_BY_DESIGN = {
    # the residents' pages: their forms list the places (estates, buildings, car parks) a resident may pick,
    # and each tracking page is opened by its tracking code, which is the secret
    "/report": "the residents' report form lists every community's estates and buildings to pick from",
    "/report/track": "looks a tracking code up",
    "/report/<code>": "the tracking code is the secret: whoever holds it sees that report's progress",
    "/report/<code>/photo/<sha256>": "a photo of the report the tracking code opens (checked below for B's)",
    "/report/<code>/verify": "the reporter's own check, by tracking code",
    "/report/<code>/reopen": "the reporter's own check, by tracking code",
    "/report/<path:_anything>": "an unknown path under /report: a not-found page",
    "/request": "the residents' service request form lists the communities",
    "/request/track": "looks a tracking code up",
    "/request/<code>": "the tracking code is the secret",
    "/request/<code>/cancel": "the resident's own request, by tracking code",
    "/request/<code>/rate": "the resident's own request, by tracking code",
    "/request/<path:_anything>": "an unknown path under /request: a not-found page",
    "/vote": "the residents' monthly ballot lists the estates",
    "/vote/thanks": "the ballot's thank-you page",
    "/parking/apply": "the parking-permit form lists the car parks that share spaces",
    "/parking/permit": "looks a permit tracking code up",
    "/parking/permit/<code>": "the permit's tracking code is the secret",
    "/open311/": "GeoReport v2: public reads show every community's public fields, by the specification",
    "/healthz": "job health, no community data",
    "/login": "the login form",
    "/lang/<code>": "sets a cookie and redirects",
    "/logout": "would end the session the sweep is using",
}
# Which of B's rows a role of A's may change: none. (The estate index's recompute button once re-published
# every community's month; it now keeps to the caller's communities.) Add an entry only with its reason.
KNOWN_CROSS_SCOPE_WRITES: dict[str, tuple[str, ...]] = {}  # none: every write keeps to the caller's scope
STATIC = ("/assets/", "/_dash-component-suites/", "/vendor/", "/_favicon.ico", "/_reload-hash", "/static/")
STATIC_ENDPOINTS = ("static",)

NOW = local_now().replace(microsecond=0)
MONTH = f"{NOW.year:04d}-{NOW.month:02d}"
LAST_MONTH = (NOW.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


# --- the two communities ----------------------------------------------------------------------------


def _code(prefix: str, marker: str, tag: str) -> str:
    """A tracking code of the real shape (prefix + 8 of [A-Z2-9]), so the pages that check the shape look it up."""
    body = (marker + tag).upper()[:8]
    return prefix + body + "2" * (8 - len(body))


def _png(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (seed % 256, 40, 90)).save(buf, format="PNG")
    return buf.getvalue()


def _community(engine, code: str, marker: str, instance_dir, users: bool) -> dict:
    """A community with data in every module's tables; every text of it carries `marker`."""
    place = tiny_community(engine, code=code, now=NOW, with_users=users)
    cid = place["community_id"]

    def phone(n: int) -> str:  # every community's phone numbers are its own
        return f"1{ord(marker[0]) % 10}{ord(marker[1]) % 10}{n:08d}"

    with writing(engine) as s:
        s.execute(
            update(Community).where(Community.id == cid).values(name_zh=f"{marker}社区", name_en=f"{marker} Community")
        )
        s.execute(
            update(Grid)
            .where(Grid.id == place["grid_id"])
            .values(name_zh=f"{marker}第一网格", name_en=f"{marker} Grid 1")
        )
        estate = Estate(community_id=cid, grid_id=place["grid_id"], code=f"{code}-estate", name_zh=f"{marker}花园",
                        name_en=f"{marker} Garden", kind="residential", lat=30.2, lon=120.2)  # fmt: skip
        office = Estate(community_id=cid, grid_id=place["grid_id"], code=f"{code}-office", name_zh=f"{marker}大厦",
                        name_en=f"{marker} Tower", kind="office", lat=30.2, lon=120.2)  # fmt: skip
        s.add_all([estate, office])
        s.flush()
        building = Building(estate_id=estate.id, grid_id=place["grid_id"], code=f"{code}b1", name_zh=f"{marker}1幢",
                            name_en=f"{marker} Building 1", floors=6, units=1, lat=30.2, lon=120.2)  # fmt: skip
        s.add(building)
        s.flush()
        household = Household(external_id=f"HH-{marker}-1", building_id=building.id, unit=1, room="101", size=2)
        s.add(household)
        s.flush()
        resident = Resident(external_id=f"RS-{marker}-1", household_id=household.id, name=f"{marker}居民甲",
                            phone=phone(1), birth_year=1940, gender="F", nationality="KR", languages="ko",
                            care_tags="elderly_alone")  # fmt: skip
        s.add(resident)
        s.flush()
        lot = ParkingLot(estate_id=estate.id, code=f"P-{marker}", name_zh=f"{marker}停车场", name_en=f"{marker} car park",
                         capacity=100, share_window="day", window_start="08:00", window_end="18:00", lat=30.2,
                         lon=120.2)  # fmt: skip
        s.add(lot)
        s.flush()
        s.add_all(
            ParkingSample(lot_id=lot.id, sampled_at=NOW - timedelta(minutes=15 * k), occupied=40 + k % 7)
            for k in range(24)
        )
        s.add(ShareableCapacity(lot_id=lot.id, share_window="day", computed_at=NOW - timedelta(hours=2),
                                status="published", shareable=37, peak=60.0, parameters={"note": marker},
                                data_from=NOW - timedelta(days=56), data_to=NOW, samples_used=999))  # fmt: skip
        s.add(ParkingPermit(tracking_code=_code("PK", marker, "PMT"), community_id=cid, applicant_kind="resident",
                            applicant_name=f"{marker}申请人", plate=f"浙A{marker}", contact=phone(2),
                            share_window="day", preferences=[lot.code], status="granted", lot_id=lot.id,
                            applied_at=NOW - timedelta(days=2), decided_at=NOW - timedelta(days=1)))  # fmt: skip
        device = Device(code=f"EL-{marker}-1", kind="elevator", estate_id=estate.id, building_id=building.id,
                        name_zh=f"{marker}电梯", name_en=f"{marker} elevator", attributes={"brand": marker})  # fmt: skip
        s.add(device)
        s.flush()
        s.add(Telemetry(device_id=device.id, ts=NOW - timedelta(minutes=5), metric="status", value=1.0,
                        fault_code="TRAPPED"))  # fmt: skip
        s.add(DeviceStatus(device_id=device.id, metric="status", ts=NOW - timedelta(minutes=5), value=1.0,
                           fault_code="TRAPPED"))  # fmt: skip
        alarm = Alarm(device_id=device.id, alarm_type="trapped_passenger", severity="critical", status="active",
                      raised_at=NOW - timedelta(minutes=5), last_seen_at=NOW - timedelta(minutes=5),
                      note=f"{marker}-alarm-note", detail={"marker": marker})  # fmt: skip
        s.add(alarm)
        s.add_all(
            AccessEvent(community_id=cid, source="door", source_id=f"{marker}-{k}", person_pid=f"p-{marker}-{k % 2}",
                        gate=f"{marker}-gate", direction="in" if k % 2 else "out", at=NOW - timedelta(hours=k))
            for k in range(6)
        )  # fmt: skip
        first_user = place["users"].get("secretary")
        watch = None
        if first_user is not None:
            watch = WelfareWatch(resident_id=resident.id, person_pid=f"p-{marker}-0", consent_at=NOW - timedelta(days=9),
                                 consent_given_by=f"{marker}监护人", consent_recorded_by=first_user,
                                 consent_basis=f"{marker}书面同意")  # fmt: skip
            s.add(watch)
            s.flush()
            s.add(WelfareAlert(watch_id=watch.id, raised_at=NOW - timedelta(hours=2), status="open",
                               note=f"{marker}-visit-note", last_activity_at=NOW - timedelta(hours=30)))  # fmt: skip
            s.add(Notification(user_id=first_user, kind="assigned", message_zh=f"{marker}通知",
                               message_en=f"{marker} notice", created_at=NOW - timedelta(hours=1)))  # fmt: skip
            s.add(AuditLog(at=NOW - timedelta(hours=1), user_id=first_user, username=f"{code}_secretary",
                           action="read", entity="resident", entity_id=str(resident.id), detail=f"{marker}-audit"))  # fmt: skip
        s.add(Ballot(household_id=household.id, estate_id=estate.id, month=LAST_MONTH, fire_safety=2, elevator=3,
                     garbage_sorting=3, property_management=2, sanitation=3, epidemic_prevention=4, dog_keeping=2,
                     comment=f"{marker}-ballot-comment", cast_at=NOW - timedelta(days=20)))  # fmt: skip
        indicator = s.scalar(select(IndicatorDef.id).order_by(IndicatorDef.id).limit(1))
        s.add(IndicatorScore(estate_id=estate.id, indicator_id=indicator, month=LAST_MONTH, score=41.0,
                             entered_by=f"{code}_admin", entered_at=NOW - timedelta(days=15)))  # fmt: skip
        s.add(EstateIndex(estate_id=estate.id, month=LAST_MONTH, method_version="v1", value=41.5, resident_sub=40.0,
                          property_sub=41.0, committee_sub=None, coverage=0.75, level="red", rank=1, rank_low=1,
                          rank_high=1, turnout=0.5, components={"marker": marker}, computed_at=NOW - timedelta(days=3)))  # fmt: skip
        s.add(Rectification(estate_id=estate.id, month=LAST_MONTH, status="open", interview_on=date.today(),
                            attendees=[{"role": "grid_leader", "name": f"{marker}-attendee"}], items=[],
                            due_on=date.today() + timedelta(days=30), follow_up=[]))  # fmt: skip
        talent = Talent(community_id=cid, name=f"{marker}志愿者", contact=phone(3), team=f"{marker}队",
                        specialties=["legal"], languages=["zh", "en"], availability={"mon": ["09:00-12:00"]},
                        bio_zh=f"{marker}律师", bio_en=f"{marker} lawyer", joined_on=date.today() - timedelta(days=100))  # fmt: skip
        s.add(talent)
        s.flush()
        request_row = ServiceRequest(tracking_code=_code("SR", marker, "REQ"), community_id=cid, specialty_code="legal",
                                     description=f"{marker}-request-text", language="zh", contact=phone(4),
                                     status="matched", talent_id=talent.id, requested_at=NOW - timedelta(days=1),
                                     matched_at=NOW - timedelta(hours=20))  # fmt: skip
        s.add(request_row)
        s.flush()
        s.add(ServiceAction(request_id=request_row.id, at=NOW - timedelta(hours=20), actor_label="system",
                            action="match", from_status="requested", to_status="matched", talent_id=talent.id,
                            note=f"{marker}-match-note"))  # fmt: skip
        ids = {"estate_id": estate.id, "office_id": office.id, "building_id": building.id, "household_id": household.id,
               "resident_id": resident.id, "lot_id": lot.id, "device_id": device.id, "talent_id": talent.id,
               "request_id": request_row.id, "watch_id": watch.id if watch else None}  # fmt: skip
    where = {**place, "estate_id": ids["estate_id"], "building_id": ids["building_id"]}
    case_id = add_case(engine, where, f"{marker}1", NOW - timedelta(hours=3), status="in_progress",
                       description=f"{marker}-case-text 楼道堆放杂物")  # fmt: skip
    # a second case, request and permit whose codes the sweep never sends: if they show, they leaked
    quiet = add_case(engine, where, f"{marker}Q9", NOW - timedelta(days=2), status="closed",
                     closed_at=NOW - timedelta(days=1), resolved_at=NOW - timedelta(days=1, hours=2),
                     description=f"{marker}-case2-text 路灯不亮")  # fmt: skip
    with writing(engine) as s:
        s.execute(
            update(Event)
            .where(Event.id == case_id)
            .values(tracking_code=_code("DX", marker, "CASE"), reporter_contact=phone(5))
        )
        s.execute(update(Event).where(Event.id == quiet).values(tracking_code=_code("DX", marker, "QUIET")))
        s.add(ServiceRequest(tracking_code=_code("SR", marker, "ASK"), community_id=cid, specialty_code="medical",
                             description=f"{marker}-request2-text", language="en", status="requested",
                             requested_at=NOW - timedelta(hours=5)))  # fmt: skip
        s.add(ParkingPermit(tracking_code=_code("PK", marker, "WAIT"), community_id=cid, applicant_kind="employee",
                            applicant_name=f"{marker}申请人乙", plate=f"浙B{marker}", share_window="day",
                            preferences=[f"P-{marker}"], status="pending", applied_at=NOW - timedelta(hours=6)))  # fmt: skip
    photo = store_photo(instance_dir, _png(sum(map(ord, marker))), 1_000_000)  # each its own
    with writing(engine) as s:
        s.add(EventPhoto(event_id=case_id, sha256=photo.sha256, mime=photo.mime, bytes=photo.bytes, stage="report",
                         created_at=NOW - timedelta(hours=3)))  # fmt: skip
        alarm_id = s.scalar(select(Alarm.id).where(Alarm.device_id == ids["device_id"]))
        estate_code = s.scalar(select(Estate.code).where(Estate.id == ids["estate_id"]))
    return {**place, **ids, "code": code, "marker": marker, "case_id": case_id, "phones": [phone(n) for n in range(1, 6)], "case_code": _code("DX", marker, "CASE"),
            "photo": photo.sha256, "alarm_id": alarm_id, "estate_code": estate_code}  # fmt: skip


@pytest.fixture(scope="module")
def world(tmp_path_factory, sqlite_template):
    import shutil

    from data_access.db import make_engine

    folder = tmp_path_factory.mktemp("scope")
    path = folder / "cockpit.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    instance = folder / "instance"
    a = _community(engine, "ca", "AAMK", instance, users=True)
    b = _community(engine, "cb", "ZZB", instance, users=True)
    c = _community(engine, "cc", "QQC", instance, users=True)  # in another street, below
    c["street"] = "st2"
    with writing(engine) as s:
        street_id = s.scalar(select(Street.id).where(Street.code == "st1"))
        other = Street(code="st2", name_zh="QQC街道", name_en="QQC Street", district_zh="区", district_en="District")
        s.add(other)
        s.flush()
        s.execute(update(Community).where(Community.id == c["community_id"]).values(street_id=other.id))
        create_user(s, "street_user", "pw-street", "street_cadre", NOW, display_name="street-user", scope_kind="street",
                    street_id=street_id)  # fmt: skip
        create_user(s, "street_admin", "pw-street-admin", "admin", NOW, display_name="street-admin",
                    scope_kind="street", street_id=street_id)  # fmt: skip
        create_user(s, "other_street_admin", "pw-street-admin", "admin", NOW, display_name="other-street-admin",
                    scope_kind="street", street_id=other.id)  # fmt: skip
        create_user(s, "district_user", "pw-district", "viewer", NOW, display_name="district-user",
                    scope_kind="district")  # fmt: skip
        create_user(s, "district_cadre", "pw-district", "street_cadre", NOW, display_name="district-cadre",
                    scope_kind="district")  # fmt: skip
        issue_token(s, "machine", "ZZB-gateway-token", NOW, community_id=b["community_id"])
        issue_token(s, "machine", "QQC-gateway-token", NOW, community_id=c["community_id"])
    with engine.connect() as conn:  # everything in the main file, so a copy of it is the whole store
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(path, folder / "harvest.db")

    def quiet_app(db):  # noqa: ANN001, ANN202
        app = create_app({"instance_dir": str(instance), "database_url": f"sqlite:///{db}"})
        # crafted inputs may crash a callback: that answers 500 (recorded, see Sweep.errors), which holds no
        # data; the tracebacks would only bury the test's own report
        app.server.config["PROPAGATE_EXCEPTIONS"] = False
        app.server.logger.setLevel(logging.CRITICAL)
        app.server.test_client().get("/login")  # the pages router registers its callbacks on the first request
        return app

    level = logging.getLogger("app").level
    # the buttons and rows B's own staff and a street administrator are shown for B's things, to fire A's
    # callbacks with; on a copy of the store, since B's staff may change B's things as they look around
    harvester_app = quiet_app(folder / "harvest.db")

    def harvest(target: dict, harvesters: tuple) -> tuple[list[dict], dict[str, list]]:  # noqa: ANN001
        harvested: dict[str, dict] = {}
        stores: dict[str, list] = {}
        for username, password in harvesters:
            client = harvester_app.server.test_client()
            seen = Sweep(client, _login(client, username, password), [], "")
            sweep_pages(seen, target)
            sweep_callbacks(harvester_app, seen, target, budget=0, light=True)
            harvested.update(seen.ids)
            for store_id, values in seen.stores.items():
                kept = stores.setdefault(store_id, [])
                kept.extend(v for v in values if v not in kept)
        return list(harvested.values()), stores

    harvested, stores = harvest(
        b, (("street_admin", "pw-street-admin"), ("cb_secretary", "pw-secretary"), ("cb_grid_worker", "pw-grid_worker"))
    )
    harvested_c, stores_c = harvest(
        c,
        (
            ("other_street_admin", "pw-street-admin"),
            ("cc_secretary", "pw-secretary"),
            ("cc_grid_worker", "pw-grid_worker"),
        ),
    )
    harvester_app.server.extensions["cockpit"]["engine"].dispose()
    app = quiet_app(path)
    yield {"app": app, "engine": engine, "a": a, "b": b, "c": c, "harvested": harvested, "stores": stores,
           "harvested_c": harvested_c, "stores_c": stores_c}  # fmt: skip
    logging.getLogger("app").setLevel(level)
    engine.dispose()


# the columns through which a row belongs to a community, and the table whose ids each one holds
OWNERSHIP = {"community_id": "community", "estate_id": "estate", "building_id": "building",
             "household_id": "household", "resident_id": "resident", "event_id": "event", "device_id": "device",
             "lot_id": "parking_lot", "watch_id": "welfare_watch", "request_id": "service_request",
             "talent_id": "talent", "user_id": "user_account"}  # fmt: skip


def b_rows(engine, b: dict) -> dict[str, list]:
    """Every row of B's, table by table (any row whose ownership columns point at one of B's rows), so a sweep
    that changed any of them — A writing into B — shows as a difference."""
    from sqlalchemy import or_

    from data_access.db import reading
    from data_access.models import Base

    ids: dict[str, set] = {"community": {b["community_id"]}}
    out: dict[str, list] = {}
    with reading(engine) as s:
        for table in Base.metadata.sorted_tables:
            if table.name == "community":
                where = table.c.id == b["community_id"]
            else:
                owners = [
                    table.c[col].in_(ids[ref]) for col, ref in OWNERSHIP.items() if col in table.c and ids.get(ref)
                ]
                if not owners or "id" not in table.c:
                    continue
                where = or_(*owners)
            rows = s.execute(select(table).where(where).order_by(table.c.id)).all()
            ids.setdefault(table.name, set()).update(r.id for r in rows)
            out[table.name] = [tuple(r) for r in rows]
    return out


def fresh_tokens(engine, a: dict) -> dict[str, str]:
    """New tokens of A's (an administrator's sweep may have revoked the last ones: they are A's to revoke)."""
    with writing(engine) as s:
        return {kind: issue_token(s, kind, f"a {kind}", NOW, community_id=a["community_id"])
                for kind in ("machine", "wall", "open311")}  # fmt: skip


def markers_of(b: dict) -> list[str]:
    """What of B's must never reach A: texts only B's rows hold, and B's codes (tracking, lot, device)."""
    m = b["marker"]
    texts = [f"{m}-case-text", f"{m}社区", f"{m} Community", f"{m}花园", f"{m} Garden", f"{m}大厦", f"{m}1幢",
             f"{m}第一网格", f"{m}居民甲", f"{m}停车场", f"{m} car park", f"{m}申请人", f"浙A{m}", f"{m}电梯",
             f"{m} elevator", f"{m}-alarm-note", f"{m}-gate", f"{m}监护人", f"{m}-visit-note", f"{m}通知",
             f"{m}-audit", f"{m}-ballot-comment", f"{m}-attendee", f"{m}志愿者", f"{m}律师",
             f"{m}-request-text", f"{m}-match-note", f"{m}-gateway-token", f"{m}队"]  # fmt: skip
    # personal data: residents', applicants', volunteers' and reporters' phone numbers (shown masked at most)
    texts += b["phones"]
    # codes the sweep sends (to open B's things by them) would come back as echoes; these it never sends
    codes = [_code("DX", m, "QUIET"), _code("SR", m, "ASK"), _code("PK", m, "WAIT"), f"HH-{m}-1", f"{m}-case2-text",
             f"{m}-request2-text", f"浙B{m}"]  # fmt: skip
    return texts + codes


# --- enumeration helpers -------------------------------------------------------------------------------


def _login(client, username: str, password: str) -> dict:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token, "next": "/"}
    )
    assert response.status_code == 302, (username, response.status_code)
    client.get("/")
    return {"X-CSRFToken": client.get_cookie("_csrf_token").value}


def _text(response) -> str:
    data = response.get_data()
    try:
        body = data.decode("utf-8")
    except UnicodeDecodeError:
        return ""
    if response.is_json:
        try:
            return json.dumps(response.get_json(), ensure_ascii=False)
        except ValueError:
            return body
    return body


class Sweep:
    """Sends requests as one client and records which markers each answer holds (minus those it sent)."""

    def __init__(self, client, headers: dict, markers: list[str], photo: str) -> None:
        self.client, self.headers, self.markers, self.photo = client, headers, markers, photo
        self.seen: dict[str, list[str]] = {}
        self.errors: list[str] = []  # requests answered 500: a crash on crafted input, never data
        self.requests = 0
        self.ids: dict[str, dict] = {}  # the pattern-matching ids the answers held
        self.stores: dict[str, list] = {}  # what the pages put in their stores (dcc.Store data), by store id

    def _record(self, label: str, sent: str, response) -> None:
        self.requests += 1
        if response.status_code >= 500:
            self.errors.append(label)
        text = _text(response)
        for found_id in harvest_ids(text):
            self.ids.setdefault(json.dumps(found_id, sort_keys=True), found_id)
        if response.is_json and response.status_code == 200:
            for store_id, data in harvest_stores(response.get_json()):
                kept = self.stores.setdefault(store_id, [])
                if data not in kept and len(kept) < 3:
                    kept.append(data)
        found = [m for m in self.markers if m in text and m not in sent]
        if response.status_code == 200 and response.mimetype.startswith("image/") and self.photo in sent:
            found.append(f"photo {self.photo[:12]}")
        for m in found:
            self.seen.setdefault(m, []).append(label)

    def get(self, url: str, **headers) -> None:
        self._record(f"GET {url}", url, self.client.get(url, headers={**self.headers, **headers}))

    def post(self, url: str, body: dict | None = None, **headers) -> None:
        response = self.client.post(url, json=body or {}, headers={**self.headers, **headers})
        self._record(f"POST {url}", url + json.dumps(body or {}, ensure_ascii=False), response)

    def dash(self, label: str, payload: dict) -> None:
        response = self.client.post("/_dash-update-component", json=payload, headers=self.headers)
        self._record(label, json.dumps(payload, ensure_ascii=False), response)


def candidates(b: dict) -> dict[str, list]:
    """B's ids and codes by what they name; `any` is tried where a name tells nothing."""
    c = {
        "case": [b["case_id"], b["case_code"]],
        "community": [b["code"], b["community_id"]],
        "estate": [b["estate_code"], b["estate_id"], b["office_id"]],
        "building": [b["building_id"], f"{b['code']}b1"],
        "household": [b["household_id"]],
        "resident": [b["resident_id"]],
        "lot": [f"P-{b['marker']}", b["lot_id"]],
        "device": [b["device_id"], f"EL-{b['marker']}-1"],
        "alarm": [b["alarm_id"]],
        "talent": [b["talent_id"]],
        "request": [b["request_id"], _code("SR", b["marker"], "REQ")],
        "watch": [b["watch_id"]],
        "grid": [f"{b['code']}:G1", b["grid_id"]],
        "user": [b["users"]["secretary"], b["users"]["grid_worker"]],
        "month": [LAST_MONTH, MONTH],
        "code": [b["case_code"], _code("SR", b["marker"], "REQ"), _code("PK", b["marker"], "PMT"), b["estate_code"]],
    }
    c["any"] = list(dict.fromkeys(itertools.chain(*(v for k, v in c.items() if k != "month"))))
    return c


NAME_HINTS = (
    ("community", "community"), ("estate", "estate"), ("building", "building"), ("household", "household"),
    ("hh", "household"), ("resident", "resident"), ("rid", "resident"), ("lot", "lot"), ("park", "lot"),
    ("device", "device"), ("dev", "device"), ("alarm", "alarm"), ("talent", "talent"), ("lib", "talent"),
    ("request", "request"), ("svc", "request"), ("watch", "watch"), ("welf", "watch"), ("grid", "grid"),
    ("user", "user"), ("handler", "user"), ("month", "month"), ("code", "code"), ("case", "case"),
)  # fmt: skip


def hinted(name: str, cands: dict[str, list]) -> list:
    lowered = name.lower()
    for hint, kind in NAME_HINTS:
        if hint in lowered:
            return cands[kind]
    return cands["any"]


def query_bag(b: dict) -> str:
    """A query string naming B's things under the parameter names pages and routes use."""
    params = {"community": b["code"], "estate": b["estate_code"], "estate_id": b["estate_id"],
              "building": b["building_id"], "lot": f"P-{b['marker']}", "device": b["device_id"], "month": LAST_MONTH,
              "grid": f"{b['code']}:G1", "code": b["case_code"], "id": b["case_id"], "case": b["case_id"],
              "talent": b["talent_id"], "request": b["request_id"], "handler": b["users"]["grid_worker"],
              "street": b.get("street", "st1")}  # fmt: skip
    return "&".join(f"{k}={v}" for k, v in params.items())


# --- (a) Flask routes ------------------------------------------------------------------------------------


def machine_bodies(b: dict) -> list[dict]:
    """Batches in the machine API's shapes that name B's car park, device and community."""
    at = NOW.replace(second=0).isoformat()
    return [
        {"samples": [{"lot": f"P-{b['marker']}", "sampled_at": at, "occupied": 5}]},
        {"readings": [{"device": f"EL-{b['marker']}-1", "ts": at, "metric": "status", "value": 0}]},
        {
            "community": b["code"],
            "events": [{"event_id": "zz-1", "person_id": "p-zz0001", "gate": "g1", "direction": "in", "at": at}],
        },  # fmt: skip
        {
            "detections": [
                {
                    "device_id": "car01",
                    "detection_id": "zz-1",
                    "category": "illegal_parking",
                    "captured_at": at,
                    "lat": 30.2,
                    "lon": 120.2,
                    "estate": b["estate_code"],
                }
            ]
        },  # fmt: skip
    ]


def _public(rule: str) -> bool:
    return any(rule == p or (p.endswith("/") and rule.startswith(p)) for p in PUBLIC_BY_DESIGN)


def sweep_routes(app, sweep: Sweep, b: dict, tokens: dict) -> int:
    cands = candidates(b)
    rules = 0
    for rule in app.server.url_map.iter_rules():
        path = rule.rule
        if rule.endpoint in STATIC_ENDPOINTS or path.startswith(STATIC) or path.endswith("/static/<path:filename>"):
            continue
        if _public(path) or path == "/_dash-update-component":  # Dash callbacks: part (c)
            continue
        rules += 1
        fills = []
        for arg in sorted(rule.arguments):
            if arg in ("fmt",):
                fills.append(["json", "xml"])
            elif arg in ("path", "_rest", "_anything"):
                fills.append([f"governance/case/{b['case_id']}", "x"])
            elif arg == "sha256":
                fills.append([b["photo"]])
            else:
                fills.append(hinted(arg, cands)[:4])
        for combo in itertools.product(*fills) if fills else [()]:
            url = path
            for arg, value in zip(sorted(rule.arguments), combo, strict=True):
                url = re.sub(rf"<(?:[^:<>]+:)?{arg}>", str(value), url)
            url = re.sub(r"<any\([^)]*\):fmt>", "json", url)
            methods = rule.methods - {"HEAD", "OPTIONS"}
            if "GET" in methods:
                sweep.get(url)
                sweep.get(f"{url}?{query_bag(b)}")
                if path.startswith("/api/"):  # machine routes: A's own tokens must not reach B either
                    for token in (tokens["machine"], tokens["wall"]):
                        sweep.get(f"{url}?{query_bag(b)}", Authorization=f"Bearer {token}")
            if "POST" in methods and path not in ("/login",):
                sweep.post(url, {"community": b["code"], "lot": f"P-{b['marker']}", "estate": b["estate_code"]})
                if path.startswith("/api/"):  # machine batches naming B's things, with A's token
                    for body in machine_bodies(b):
                        sweep.post(url, body, Authorization=f"Bearer {tokens['machine']}")
    return rules


# --- (b) Dash pages ---------------------------------------------------------------------------------------


def _route(sweep: Sweep, path: str, search: str) -> None:
    payload = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    sweep.dash(f"page {path}{search}", payload)


def sweep_pages(sweep: Sweep, b: dict) -> int:
    cands = candidates(b)
    pages = 0
    for page in dash.page_registry.values():
        template = page.get("path_template") or page["path"]
        module = page.get("module", "")
        layout_params = []
        try:
            import importlib

            fn = importlib.import_module(module).layout if module and not module.startswith("not_found") else None
            if fn is not None:
                layout_params = [p for p in inspect.signature(fn).parameters if p not in ("ctx", "_kwargs", "kwargs")]
        except (ImportError, AttributeError):
            layout_params = []
        variables = re.findall(r"<([^<>]+)>", template)
        pages += 1
        paths = [template]
        for var in variables:
            paths = [p.replace(f"<{var}>", str(v)) for p in paths for v in hinted(var, cands)[:3]]
        query_params = [p for p in layout_params if p not in variables]
        searches = ["", "?" + query_bag(b)]
        if query_params:  # the layout's own parameters, each by what it names
            searches.append("?" + "&".join(f"{p}={hinted(p, cands)[0]}" for p in query_params))
        for path in paths:
            for search in searches if path == paths[0] else searches[:2]:
                _route(sweep, path, search)
    return pages


# --- (c) Dash callbacks -----------------------------------------------------------------------------------


def _concrete(component_id, value, seen: dict | None = None):  # noqa: ANN001, ANN202
    """A pattern-matching id with its wildcards (MATCH, ALL, ALLSMALLER) replaced by `value`, or by the value
    of the same key in `seen` (an id harvested from a page that showed B's things)."""
    if isinstance(component_id, str) and component_id.startswith("{"):
        component_id = json.loads(component_id)
    if not isinstance(component_id, dict):
        return component_id, None
    out, wild = {}, None
    for key, v in component_id.items():
        kind = _wildcard(v)
        if kind:
            out[key], wild = (seen[key] if seen and key in seen else value), kind
        else:
            out[key] = v
    return out, wild


def _wildcard(v) -> str | None:  # noqa: ANN001
    """'MATCH', 'ALL' or 'ALLSMALLER' for a wildcard (as a Wildcard object or in its JSON form)."""
    if isinstance(v, list) and v and v[0] in ("MATCH", "ALL", "ALLSMALLER"):
        return v[0]
    name = str(v).strip("<>")
    return name if type(v).__name__ == "Wildcard" else None


def _prop_id(component_id, prop: str) -> str:  # noqa: ANN001
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":")) + "." + prop
    return f"{component_id}.{prop}"


def _value(component_id, prop: str, value):  # noqa: ANN001, ANN202
    if prop in ("n_clicks", "n_intervals", "n_submit", "n_blur"):
        return 1
    if value is None:
        return None
    if prop == "clickData":
        return {"points": [{"customdata": [value, "open", 1, value], "x": value, "y": value, "label": value,
                            "location": value, "text": str(value)}]}  # fmt: skip
    if prop in ("selectedRows",):
        return [{"id": value, "code": value}]
    if prop in ("contents",):
        csv = f"code,value\n{value},1\n".encode()
        return "data:text/csv;base64," + base64.b64encode(csv).decode()
    if prop in ("filename",):
        return "upload.csv"
    if prop == "data" and isinstance(component_id, str) and "drill" in component_id:
        return {"handler": value, "talent": value}
    return value


def _spec_entry(spec: dict, value, wild_value, seen: dict | None = None):  # noqa: ANN001, ANN202
    cid, wild = _concrete(spec["id"], wild_value, seen)
    shown = cid if spec["property"] == "id" else _value(spec["id"], spec["property"], value)
    entry = {"id": cid, "property": spec["property"], "value": shown}
    return [entry] if wild in ("ALL", "ALLSMALLER") else entry


def _outputs(key: str, cb: dict, wild_value, seen: dict | None = None):  # noqa: ANN001, ANN202
    outputs = cb["output"] if isinstance(cb["output"], list) else [cb["output"]]
    built = []
    for out in outputs:
        cid, wild = _concrete(out.component_id, wild_value, seen)
        entry = {"id": cid, "property": out.component_property.split("@")[0]}
        built.append([entry] if wild in ("ALL", "ALLSMALLER") else entry)
    return built if key.startswith("..") else built[0]


def _matches(pattern, concrete: dict) -> bool:  # noqa: ANN001
    """Whether a harvested id fits a pattern-matching id: same keys, same values where it is not wild."""
    if isinstance(pattern, str) and pattern.startswith("{"):
        pattern = json.loads(pattern)
    if not isinstance(pattern, dict) or set(pattern) != set(concrete):
        return False
    return all(_wildcard(v) or v == concrete[k] for k, v in pattern.items())


def harvest_stores(node) -> list[tuple[str, object]]:  # noqa: ANN001
    """(store id, data) of the components with a `data` prop in a Dash answer (dcc.Store and the like)."""
    found, stack = [], [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            props = item.get("props")
            if isinstance(props, dict) and isinstance(props.get("id"), str) and props.get("data") not in (None, {}, []):
                found.append((props["id"], props["data"]))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return found


def harvest_ids(text: str) -> list[dict]:
    """The pattern-matching component ids (dict ids) in a page or callback answer."""
    return [json.loads(m) for m in set(re.findall(r'"id": (\{[^{}]*\})', text))]


TEXT_FIELDS = ("text", "note", "desc", "comment", "reason", "name", "contact")
FILLER = "扫描测试：楼道堆放杂物"


def sweep_callbacks(
    app,
    sweep: Sweep,
    b: dict,
    budget: int | None = None,
    harvested: list[dict] = (),
    light: bool = False,
    stores: dict[str, list] | None = None,
) -> int:
    """Every callback with: nothing chosen (lists then show everything in scope); each input by what its id
    names (B's estate for an estate picker...); every input set to one of B's ids or codes in turn; and for
    pattern-matching inputs, the concrete ids a page showed the street user for B's things (the buttons of
    B's alarms, residents, requests...). Which input fired matters to some callbacks (several charts, one
    drill-down), so each input fires in turn with the first variants."""
    cands = candidates(b)
    fired = 0
    for key, cb in app.callback_map.items():
        if key.startswith("_pages") or ".._pages_content" in key:
            continue  # the pages router: part (b)
        specs = cb["inputs"] + cb["state"]
        ids = " ".join(json.dumps(s["id"]) for s in specs) + key
        anys = cands["any"] if budget is None else cands["any"][:budget]
        runs = [(0, "none", None, None), (0, "hint", None, None)] + [(0, "any", v, None) for v in anys]
        for trigger in range(1, min(len(cb["inputs"]), 4)):
            runs += [(trigger, "none", None, None), (trigger, "hint", None, None)]
        for trigger, spec in enumerate(cb["inputs"]):
            found = [h for h in harvested if _matches(spec["id"], h)]
            runs += [(trigger, "seen", None, h) for h in found[:8]]
        if light:  # enough to see what a page's callbacks show (harvesting ids)
            runs = runs[:2]
        held = [spec for spec in specs if spec["property"] == "data" and (stores or {}).get(spec["id"])]
        for trigger in range(min(len(cb["inputs"]), 4)) if held and not light else ():
            for n in range(max(len(stores[spec["id"]]) for spec in held)):  # what B's pages stored
                runs.append((trigger, "stored", n, None))
        for index, spec in enumerate([] if light else specs):  # one field naming one of B's things, the rest empty
            named = hinted(json.dumps(spec["id"]), cands)
            if named is not cands["any"] and spec["property"] in ("value", "data"):
                runs += [(0, "single", (index, v), None) for v in named[:3]]
        for trigger, kind, value, seen in runs:
            wild = value if kind == "any" else hinted(ids, cands)[0]
            shown = value[1] if kind == "single" else value

            def pick(spec: dict, kind=kind, value=value, specs=specs):  # noqa: ANN001, ANN202
                if kind in ("none", "seen"):  # "seen": a button of B's clicked, every field left empty
                    return None
                if kind == "stored":  # the stores as a page of B's filled them, the fields empty
                    kept = (stores or {}).get(spec["id"]) if spec["property"] == "data" else None
                    return kept[min(value, len(kept) - 1)] if kept else None
                if kind == "single":  # with words in the free-text fields, so a form gets past "required"
                    if spec is specs[value[0]]:
                        return value[1]
                    return FILLER if any(w in json.dumps(spec["id"]) for w in TEXT_FIELDS) else None
                if kind == "hint":
                    named = hinted(json.dumps(spec["id"]), cands)
                    return named[0] if named is not cands["any"] else None
                return value

            inputs = [_spec_entry(s, pick(s), wild, seen) for s in cb["inputs"]]
            state = [_spec_entry(s, pick(s), wild, seen) for s in cb["state"]]
            first = inputs[trigger][0] if isinstance(inputs[trigger], list) else inputs[trigger]
            payload = {"output": key, "outputs": _outputs(key, cb, wild, seen), "inputs": inputs, "state": state,
                       "changedPropIds": [_prop_id(first["id"], first["property"])]}  # fmt: skip
            sweep.dash(f"callback {key[:80]} trigger={trigger} {kind}={seen or shown!r}", payload)
            fired += 1
    return fired


# --- the tests --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_a_user_of_a_reaches_nothing_of_b(world, role):
    app, a, b = world["app"], world["a"], world["b"]
    before = b_rows(world["engine"], b)
    client = app.server.test_client()
    headers = _login(client, f"ca_{role}", f"pw-{role}")
    sweep = Sweep(client, headers, markers_of(b), b["photo"])
    rules = sweep_routes(app, sweep, b, fresh_tokens(world["engine"], a))
    pages = sweep_pages(sweep, b)
    callbacks = sweep_callbacks(
        app, sweep, b, None if role == "admin" else 6, world["harvested"], stores=world["stores"]
    )
    assert rules >= 10 and pages >= 10 and callbacks >= 30
    leaks = {m: sorted(set(where))[:5] for m, where in sweep.seen.items()}
    assert leaks == {}, json.dumps(leaks, ensure_ascii=False, indent=1)
    after = b_rows(world["engine"], b)
    allowed = KNOWN_CROSS_SCOPE_WRITES.get(role, ())
    changed = {
        name: (before[name], rows) for name, rows in after.items() if rows != before.get(name) and name not in allowed
    }
    assert changed == {}, f"A's {role} changed B's rows: {changed}"
    # A's own data is reachable the same way, so the sweep really reads the pages it checks
    own = Sweep(client, headers, markers_of(a), a["photo"])
    _route(own, f"/governance/case/{a['case_id']}", "")
    assert f"{a['marker']}-case-text" in own.seen


def test_the_street_user_sees_both_communities(world):
    app, a, b = world["app"], world["a"], world["b"]
    client = app.server.test_client()
    headers = _login(client, "street_user", "pw-street")
    sweep = Sweep(client, headers, markers_of(b) + markers_of(a), b["photo"])
    sweep_routes(app, sweep, b, fresh_tokens(world["engine"], a))
    sweep_pages(sweep, b)
    sweep_callbacks(app, sweep, b, 0, world["harvested"], stores=world["stores"])
    for marker in (f"{b['marker']}-case-text", _code("DX", b["marker"], "QUIET"), f"{b['marker']}社区", f"{b['marker']}停车场",
                   f"{b['marker']}电梯", f"{b['marker']}志愿者", f"{b['marker']}-request-text",
                   _code("DX", a["marker"], "QUIET"), f"{a['marker']}社区"):  # fmt: skip
        assert marker in sweep.seen, marker
    # the comparison view is the street user's: both communities side by side, each one click from its pages
    page = Sweep(client, headers, [f"{b['marker']}社区", f"{a['marker']}社区", f"community={b['code']}"], "")
    _route(page, "/compare", "")
    assert set(page.seen) == {f"{b['marker']}社区", f"{a['marker']}社区", f"community={b['code']}"}


@pytest.mark.parametrize(("username", "password"), [("street_user", "pw-street"), ("street_admin", "pw-street-admin")])
def test_a_street_user_reaches_nothing_of_another_streets_community(world, username, password):
    """The street users of A's and B's street (st1) by every door, with C's ids and codes (C is in st2)."""
    app, a, c = world["app"], world["a"], world["c"]
    before = b_rows(world["engine"], c)
    client = app.server.test_client()
    headers = _login(client, username, password)
    sweep = Sweep(client, headers, markers_of(c), c["photo"])
    rules = sweep_routes(app, sweep, c, fresh_tokens(world["engine"], a))
    pages = sweep_pages(sweep, c)
    budget = None if username == "street_admin" else 6
    callbacks = sweep_callbacks(app, sweep, c, budget, world["harvested_c"], stores=world["stores_c"])
    assert rules >= 10 and pages >= 10 and callbacks >= 30
    leaks = {m: sorted(set(where))[:5] for m, where in sweep.seen.items()}
    assert leaks == {}, json.dumps(leaks, ensure_ascii=False, indent=1)
    after = b_rows(world["engine"], c)
    changed = {name: (before[name], rows) for name, rows in after.items() if rows != before.get(name)}
    assert changed == {}, f"{username} changed C's rows: {changed}"
    # the comparison view lists the street's own communities, not C
    page = Sweep(client, headers, [f"{c['marker']}社区", f"{a['marker']}社区", "ZZB社区"], "")
    _route(page, "/compare", "")
    assert set(page.seen) == {f"{a['marker']}社区", "ZZB社区"}


def test_the_district_user_sees_every_street(world):
    """A district user (the demo's `district`: a viewer) and a district cadre meet C's data as well as A's and
    B's, by the same doors — so C's markers are real ones the street sweep above would have found."""
    app, a, b, c = world["app"], world["a"], world["b"], world["c"]
    for username, markers in (
        ("district_user", [f"{c['marker']}社区", f"{b['marker']}社区", f"{c['marker']}停车场"]),
        ("district_cadre", [f"{c['marker']}-case-text", _code("DX", c["marker"], "QUIET"), f"{c['marker']}社区",
                            f"{c['marker']}停车场", f"{c['marker']}电梯", f"{c['marker']}-request-text",
                            f"{b['marker']}社区"]),
    ):  # fmt: skip
        client = app.server.test_client()
        headers = _login(client, username, "pw-district")
        sweep = Sweep(client, headers, markers_of(c) + markers_of(b), c["photo"])
        sweep_pages(sweep, c)
        sweep_callbacks(app, sweep, c, 0, world["harvested_c"], stores=world["stores_c"])
        for marker in markers:
            assert marker in sweep.seen, (username, marker)
        page = Sweep(client, headers, [f"{m}社区" for m in (a["marker"], b["marker"], c["marker"])], "")
        _route(page, "/compare", "")
        assert len(page.seen) == 3, (username, page.seen)  # every street's communities side by side


def test_a_tracking_code_opens_only_its_own_reports_photos(world):
    """/report/<code>/photo/<sha256> is public by design, for the photos of that one report."""
    app, a, b = world["app"], world["a"], world["b"]
    client = app.server.test_client()
    assert client.get(f"/report/{a['case_code']}/photo/{a['photo']}").status_code == 200
    for code in (a["case_code"], "TNOSUCH"):
        assert client.get(f"/report/{code}/photo/{b['photo']}").status_code == 404


def test_open311_keyed_reads_keep_to_the_keys_community(world):
    """Open311 reads are public (public fields, every community); a key adds the full fields of its own
    community only, so A's key shows none of B's descriptions."""
    app, a, b = world["app"], world["a"], world["b"]
    client = app.server.test_client()
    key = fresh_tokens(world["engine"], a)["open311"]
    answers = [
        client.get(f"/open311/v2/requests.json?api_key={key}").get_data(as_text=True),
        client.get(f"/open311/v2/requests/{b['case_code']}.json?api_key={key}").get_data(as_text=True),
        client.get(f"/open311/v2/requests.xml?api_key={key}&service_request_id={b['case_code']}").get_data(
            as_text=True
        ),
    ]
    mine = client.get(f"/open311/v2/requests/{a['case_code']}.json?api_key={key}").get_json()
    assert mine[0]["description"].startswith(f"{a['marker']}-case-text")
    for text in answers:
        assert f"{b['marker']}-case" not in text
