"""Open311 GeoReport v2 as a client sees it: every resource in JSON and XML, the spec's errors, api keys
(issued and revoked by the CLI and by administrators on /system), scoping and privacy of reads."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from app import create_app
from data_access.cases import CaseFilter, case_rows
from data_access.clock import local_now
from data_access.db import reading, writing
from data_access.models import ApiToken, AuditLog, Category, Estate, Event, EventAction, Grid
from data_access.tokens import issue_token, revoke_token
from data_access.workflow import act, actor_for
from i18n import MESSAGES
from tests.factories import add_case, tiny_community
from tests.test_web import _csrf_cookie, login

BASE = "/open311/v2"
# a square of about 220 m around the tiny community's estate at (30.2, 120.2)
SQUARE = {"type": "Polygon", "coordinates": [[[120.199, 30.199], [120.201, 30.199], [120.201, 30.201],
                                              [120.199, 30.201], [120.199, 30.199]]]}  # fmt: skip


def _url(engine) -> str:  # noqa: ANN001
    return engine.url.render_as_string(hide_password=False)


def _app(engine, tmp_path, **overrides):  # noqa: ANN001
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": _url(engine), **overrides})
    app.server.config["TESTING"] = True
    return app


def _place(engine, with_users: bool = False) -> dict:  # noqa: ANN001
    place = tiny_community(engine, with_users=with_users)  # users cost scrypt hashes: only where a test needs staff
    with writing(engine) as s:
        s.execute(update(Grid).where(Grid.id == place["grid_id"]).values(polygon=SQUARE))
        s.execute(update(Estate).where(Estate.id == place["estate_id"]).values(polygon=SQUARE))
        place["key"] = issue_token(s, "open311", "test app", local_now(), place["community_id"])
    return place


@pytest.fixture
def o311(engine, tmp_path):
    place = _place(engine)
    app = _app(engine, tmp_path)
    return app.server.test_client(), place, engine


@pytest.fixture
def o311_staff(engine, tmp_path):
    place = _place(engine, with_users=True)
    app = _app(engine, tmp_path)
    return app.server.test_client(), place, engine


def _count(engine, model=Event) -> int:  # noqa: ANN001
    with reading(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def _post(client, key: str | None, headers: dict | None = None, fmt: str = "json", **fields):  # noqa: ANN001
    data = {"service_code": "garbage", "lat": "30.2001", "long": "120.2001", "description": "3幢楼下垃圾堆放好几天了"}
    data.update(fields)
    if key is not None:
        data["api_key"] = key
    return client.post(f"{BASE}/requests.{fmt}", data={k: v for k, v in data.items() if v is not None},
                       headers=headers or {})  # fmt: skip


def _spec_error(response, status: int) -> str:  # noqa: ANN001
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type.startswith("application/json")
    body = response.get_json()
    assert isinstance(body, list) and len(body) == 1 and set(body[0]) == {"code", "description"}
    assert body[0]["code"] == status and body[0]["description"]
    return body[0]["description"]


def test_discovery_points_at_the_v2_endpoint_in_both_formats(o311):
    client, _, _ = o311
    body = client.get(f"{BASE}/discovery.json").get_json()
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = body["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2") and "application/json" in endpoint["formats"]
    assert client.get("/open311/").get_json() == body and client.get("/open311/v2/").get_json() == body
    assert client.get("/open311").status_code in (301, 308)  # to /open311/, not to the staff login
    xml = client.get("/open311/discovery.xml")
    assert xml.content_type == "text/xml; charset=utf-8"
    assert xml.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    root = ET.fromstring(xml.data)
    assert root.tag == "discovery"
    assert [f.text for f in root.findall("endpoints/endpoint/formats/format")] == ["text/xml", "application/json"]


def test_services_are_our_categories_with_definitions(o311):
    client, _, _ = o311
    services = client.get(f"{BASE}/services.json").get_json()
    codes = [s["service_code"] for s in services]
    assert "illegal_parking" in codes and "elevator_fault" in codes and len(codes) == 15
    parking = next(s for s in services if s["service_code"] == "illegal_parking")
    assert parking["service_name"] == "机动车违停" and parking["metadata"] is False and parking["type"] == "realtime"
    assert parking["group"] == "order" and "Illegal parking" in parking["keywords"]
    english = client.get(f"{BASE}/services.json", headers={"Accept-Language": "en-US,en;q=0.8"}).get_json()
    assert next(s for s in english if s["service_code"] == "illegal_parking")["service_name"] == "Illegal parking"

    root = ET.fromstring(client.get(f"{BASE}/services.xml").data)
    assert root.tag == "services" and len(root.findall("service")) == 15
    assert root.find("service/metadata").text == "false"

    definition = client.get(f"{BASE}/services/water_leak.json").get_json()
    assert definition == {"service_code": "water_leak", "attributes": []}
    root = ET.fromstring(client.get(f"{BASE}/services/water_leak.xml").data)
    assert root.tag == "service_definition" and root.find("service_code").text == "water_leak"
    assert "not found" in _spec_error(client.get(f"{BASE}/services/potholes.json"), 404)
    missing = client.get(f"{BASE}/services/potholes.xml")
    assert missing.status_code == 404 and ET.fromstring(missing.data).find("error/code").text == "404"
    assert "jurisdiction_id" in _spec_error(client.get(f"{BASE}/services.json?jurisdiction_id=nowhere"), 404)
    assert client.get(f"{BASE}/services.json?jurisdiction_id=c1").status_code == 200
    _spec_error(client.get(f"{BASE}/nothing-here.json"), 404)


def test_a_post_with_a_good_key_opens_a_graded_case_in_the_grid(o311_staff):
    client, place, engine = o311_staff
    response = _post(client, place["key"], first_name="三", last_name="张", phone="13800000000",
                     email="zhang@example.com", media_url="http://photos.example/1.jpg")  # fmt: skip
    assert response.status_code == 200, response.get_data(as_text=True)
    (created,) = response.get_json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    assert re.fullmatch(r"DX[A-Z2-9]{8}", created["service_request_id"]) and created["account_id"] is None
    assert "一般" in created["service_notice"]
    with reading(engine) as s:
        event = s.scalar(select(Event).where(Event.tracking_code == created["service_request_id"]))
        category = s.scalar(select(Category.code).where(Category.id == event.category_id))
        key_used = s.scalar(select(ApiToken.last_used_at).where(ApiToken.kind == "open311"))
        rows = case_rows(s, [place["community_id"]], CaseFilter(), local_now())
        s.expunge(event)
    assert event.source == "open311" and category == "garbage" and event.grade == "routine"
    assert event.grade_cues and event.grade_confidence is not None  # graded, and it says why
    assert event.grid_id == place["grid_id"] and event.estate_id == place["estate_id"] and event.holder_id
    assert event.community_id == place["community_id"] and event.status == "reported"
    assert event.reporter_contact == "张 三 / 13800000000 / zhang@example.com"
    assert "media_url: http://photos.example/1.jpg" in event.description  # kept as text, never fetched
    assert key_used is not None
    assert created["service_request_id"] in [r["tracking_code"] for r in rows]  # in the staff's case grid
    # read back with the key: full fields, never the contact
    (read,) = client.get(f"{BASE}/requests/{created['service_request_id']}.json?api_key={place['key']}").get_json()
    assert read["status"] == "open" and read["service_code"] == "garbage" and read["lat"] == 30.2001
    assert "垃圾堆放" in read["description"]
    text = json.dumps(read, ensure_ascii=False)
    assert "13800000000" not in text and "zhang@example.com" not in text and "张 三" not in text
    assert read["requested_datetime"].endswith("+08:00") and read["expected_datetime"].endswith("+08:00")


def test_a_post_in_xml_answers_in_xml(o311):
    client, place, _ = o311
    response = _post(client, place["key"], fmt="xml")
    assert response.status_code == 200 and response.content_type == "text/xml; charset=utf-8"
    root = ET.fromstring(response.data)
    assert root.tag == "service_requests" and root.find("request/service_request_id").text.startswith("DX")
    assert root.find("request/account_id").text is None


def test_posts_without_a_valid_key_are_refused_with_403(o311):
    client, place, engine = o311
    assert "api_key" in _spec_error(_post(client, None), 403)
    assert "api_key" in _spec_error(_post(client, "cko_not-a-key"), 403)
    with writing(engine) as s:
        machine = issue_token(s, "machine", "gateway", local_now())
        revoked = issue_token(s, "open311", "old app", local_now())
        revoke_token(s, s.scalar(select(ApiToken.id).where(ApiToken.name == "old app")), local_now())
    _spec_error(_post(client, machine), 403)  # a machine token is not an api key
    _spec_error(_post(client, revoked), 403)
    _spec_error(client.get(f"{BASE}/requests.json?api_key={revoked}"), 403)  # a wrong key is not read as anonymous
    assert _count(engine) == 0


BAD_POSTS = [
    ({"service_code": ""}, 400, "service_code is required"),
    ({"service_code": "potholes"}, 404, "service_code 'potholes' not found"),  # the spec: 404 for unknown codes
    ({"lat": "", "long": ""}, 400, "location is required"),
    ({"lat": "north", "long": "120.2"}, 400, "decimal degrees"),
    ({"lat": "30.2", "long": ""}, 400, "together"),
    ({"lat": "95", "long": "120.2"}, 400, "-90..90"),
    ({"description": "长" * 4001}, 400, "4000"),
    ({"media_url": "file:///etc/passwd"}, 400, "media_url"),
    ({"lat": "", "long": "", "address_id": "99999"}, 400, "address_id"),
    ({"jurisdiction_id": "elsewhere"}, 404, "jurisdiction_id"),
]


def test_bad_posts_get_the_spec_error_and_store_nothing(o311):
    client, place, engine = o311
    for fields, status, words in BAD_POSTS:
        assert words in _spec_error(_post(client, place["key"], **fields), status), fields
    assert _count(engine) == 0 and _count(engine, EventAction) == 0


def test_address_string_or_address_id_is_location_enough(o311):
    client, place, engine = o311
    by_id = _post(client, place["key"], lat="", long="", address_id=str(place["building_id"]), service_code="noise",
                  description="楼上装修噪音")  # fmt: skip
    by_text = _post(client, place["key"], lat="", long="", address_string="1幢 2单元", service_code="dog_nuisance",
                    description="小区里狗不拴绳")  # fmt: skip
    assert by_id.status_code == 200 and by_text.status_code == 200
    with reading(engine) as s:
        first = s.scalar(select(Event).where(Event.tracking_code == by_id.get_json()[0]["service_request_id"]))
        second = s.scalar(select(Event).where(Event.tracking_code == by_text.get_json()[0]["service_request_id"]))
        s.expunge_all()
    assert first.building_id == place["building_id"] and first.grid_id == place["grid_id"]
    assert "1幢 2单元" in second.description and second.community_id == place["community_id"]
    (read,) = client.get(f"{BASE}/requests/{first.tracking_code}.json?api_key={place['key']}").get_json()
    assert read["address_id"] == str(place["building_id"]) and read["address"].startswith("1幢")


def test_a_replayed_post_creates_nothing_new(o311):
    client, place, engine = o311
    first = _post(client, place["key"], headers={"Idempotency-Key": "app-42"}, description="路灯不亮了")
    again = _post(client, place["key"], headers={"Idempotency-Key": "app-42"}, description="路灯不亮了")
    assert first.status_code == again.status_code == 200
    assert first.get_json()[0]["service_request_id"] == again.get_json()[0]["service_request_id"]
    counts = (_count(engine), _count(engine, EventAction))
    # without an Idempotency-Key, the same fields again (a retry) answer the same request...
    plain = _post(client, place["key"], service_code="noise", lat="30.2", long="120.2", description="半夜施工噪音")
    retry = _post(client, place["key"], service_code="noise", lat="30.2", long="120.2", description="半夜施工噪音")
    assert plain.get_json()[0]["service_request_id"] == retry.get_json()[0]["service_request_id"]
    assert _count(engine) == counts[0] + 1
    # ...and anything different is a new report (here: a duplicate of the open noise case nearby)
    other = _post(client, place["key"], service_code="noise", lat="30.2", long="120.2", description="还在施工")
    assert other.get_json()[0]["service_request_id"] != plain.get_json()[0]["service_request_id"]
    assert _count(engine) == counts[0] + 2


def test_posts_are_rate_limited_per_key(engine, tmp_path):
    place = _place(engine)
    client = _app(engine, tmp_path, open311_post_limit=2).server.test_client()
    assert _post(client, place["key"], description="一").status_code == 200
    assert _post(client, place["key"], description="二").status_code == 200
    limited = _post(client, place["key"], description="三")
    assert "too many" in _spec_error(limited, 429) and int(limited.headers["Retry-After"]) > 0
    assert _count(engine) == 2


def _seed_cases(engine, place) -> dict:  # noqa: ANN001
    now = local_now()
    ids = {
        "open_garbage": add_case(engine, place, "s1", now - timedelta(days=1)),
        "closed_garbage": add_case(engine, place, "s2", now - timedelta(days=2), status="closed",
                                   closed_at=now - timedelta(days=1), resolved_at=now - timedelta(days=1)),
        "open_parking": add_case(engine, place, "s3", now - timedelta(days=3), category="illegal_parking"),
        "rejected": add_case(engine, place, "s4", now - timedelta(days=4), status="rejected"),
        "old": add_case(engine, place, "s5", now - timedelta(days=120)),
    }  # fmt: skip
    with reading(engine) as s:
        return {k: s.scalar(select(Event.tracking_code).where(Event.id == v)) for k, v in ids.items()}


def _ids(response) -> set[str]:  # noqa: ANN001
    assert response.status_code == 200, response.get_data(as_text=True)
    return {r["service_request_id"] for r in response.get_json()}


def test_get_requests_filters_as_the_spec_says(o311):
    client, place, engine = o311
    codes = _seed_cases(engine, place)
    get = lambda q: client.get(f"{BASE}/requests.json?{q}")  # noqa: E731
    recent = {codes[k] for k in ("open_garbage", "closed_garbage", "open_parking", "rejected")}
    assert _ids(get("")) == recent  # the default window is the last 90 days
    assert _ids(get("status=open")) == {codes["open_garbage"], codes["open_parking"]}
    assert _ids(get("status=closed")) == {codes["closed_garbage"], codes["rejected"]}
    assert _ids(get("status=open,closed")) == recent
    assert _ids(get("service_code=illegal_parking")) == {codes["open_parking"]}
    assert _ids(get("service_code=illegal_parking,garbage&status=open")) == {
        codes["open_garbage"],
        codes["open_parking"],
    }

    now = local_now()
    w3c = lambda d: (now - timedelta(days=d)).strftime("%Y-%m-%dT%H:%M:%S") + "%2B08:00"  # noqa: E731
    assert _ids(get(f"start_date={w3c(2.5)}&end_date={w3c(0)}")) == {codes["open_garbage"], codes["closed_garbage"]}
    assert _ids(get(f"start_date={w3c(130)}&end_date={w3c(100)}")) == {codes["old"]}
    assert _ids(get(f"end_date={w3c(100)}")) == {codes["old"]}  # 90 days up to end_date
    utc = (now - timedelta(days=3, hours=12) - timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _ids(get(f"start_date={utc}")) == {codes["open_garbage"], codes["closed_garbage"], codes["open_parking"]}
    assert "90 days" in _spec_error(get(f"start_date={w3c(120)}&end_date={w3c(0)}"), 400)
    assert "before" in _spec_error(get(f"start_date={w3c(1)}&end_date={w3c(2)}"), 400)
    assert "W3C" in _spec_error(get("start_date=last+week"), 400)
    assert "open or closed" in _spec_error(get("status=pending"), 400)
    assert "not found" in _spec_error(get("service_code=potholes"), 400)
    # service_request_id overrides every other argument, even the 90-day window
    both = f"service_request_id={codes['old']},{codes['open_parking']}&status=closed"
    assert _ids(get(both)) == {codes["old"], codes["open_parking"]}

    xml = ET.fromstring(client.get(f"{BASE}/requests.xml?status=closed").data)
    assert xml.tag == "service_requests"
    assert {r.find("service_request_id").text for r in xml.findall("request")} == {
        codes["closed_garbage"],
        codes["rejected"],
    }
    assert {r.find("status").text for r in xml.findall("request")} == {"closed"}


def test_get_requests_returns_at_most_1000(o311):
    client, place, engine = o311
    now = local_now()
    with writing(engine) as s:
        category_id = s.scalar(select(Category.id).where(Category.code == "garbage"))
        s.add_all(
            Event(tracking_code=f"B{n:07d}", community_id=place["community_id"], source="staff", source_ref=f"b{n}",
                  category_id=category_id, grade="routine", description="垃圾", status="reported", level=1,
                  reported_at=now - timedelta(minutes=n + 1), updated_at=now)
            for n in range(1005)
        )  # fmt: skip
    rows = client.get(f"{BASE}/requests.json").get_json()
    assert len(rows) == 1000
    assert rows[0]["service_request_id"] == "B0000000"  # newest first
    assert "B0001004" not in {r["service_request_id"] for r in rows}


def test_reads_without_a_key_show_public_fields_only_and_keys_see_their_community(o311):
    client, place, engine = o311
    posted = _post(client, place["key"], lat="30.20012", long="120.20016", phone="13900000000",
                   description="王阿姨家门口漏水")  # fmt: skip
    code = posted.get_json()[0]["service_request_id"]
    (public,) = client.get(f"{BASE}/requests/{code}.json").get_json()
    assert public["description"] is None and public["address_id"] is None
    assert (public["lat"], public["long"]) == (30.2, 120.2)  # about 100 m, not the door
    assert public["status"] == "open" and public["service_code"] == "garbage"
    assert "王阿姨" not in json.dumps(public, ensure_ascii=False)
    (full,) = client.get(f"{BASE}/requests/{code}.json?api_key={place['key']}").get_json()
    assert "王阿姨" in full["description"] and (full["lat"], full["long"]) == (30.20012, 120.20016)

    other = tiny_community(engine, code="c9", with_users=False)
    foreign = add_case(engine, other, "f1", local_now() - timedelta(hours=1))
    with reading(engine) as s:
        foreign_code = s.scalar(select(Event.tracking_code).where(Event.id == foreign))
    keyed = _ids(client.get(f"{BASE}/requests.json?api_key={place['key']}"))
    assert code in keyed and foreign_code not in keyed  # a community key sees its community only
    assert foreign_code in _ids(client.get(f"{BASE}/requests.json"))  # the public sees every community
    assert foreign_code not in _ids(client.get(f"{BASE}/requests.json?jurisdiction_id=c1"))
    _spec_error(client.get(f"{BASE}/requests/{foreign_code}.json?api_key={place['key']}"), 404)
    _spec_error(client.get(f"{BASE}/requests.json?api_key={place['key']}&jurisdiction_id=c9"), 404)


def test_get_one_request_200_and_404(o311):
    client, place, engine = o311
    codes = _seed_cases(engine, place)
    (one,) = client.get(f"{BASE}/requests/{codes['rejected']}.json").get_json()
    assert one["status"] == "closed" and one["status_notes"] == MESSAGES["o311.note.rejected"][0]
    (english,) = client.get(f"{BASE}/requests/{codes['rejected']}.json", headers={"Accept-Language": "en"}).get_json()
    assert english["status_notes"] == "Rejected: not a matter for the community."
    root = ET.fromstring(client.get(f"{BASE}/requests/{codes['open_garbage']}.xml").data)
    assert root.find("request/status").text == "open" and root.find("request/zipcode").text is None
    assert "not found" in _spec_error(client.get(f"{BASE}/requests/DXNOSUCH1.json"), 404)
    assert client.get(f"{BASE}/requests/DXNOSUCH1.xml").status_code == 404


def test_a_georeport_client_walks_through_list_post_status_and_closure(o311_staff):
    """What an existing GeoReport v2 client does: discover, list services, post, poll the status."""
    client, place, engine = o311_staff
    endpoint = client.get("/open311/discovery.json").get_json()["endpoints"][0]["url"]
    base = endpoint[endpoint.index("/open311") :]
    service = next(s for s in client.get(f"{base}/services.json").get_json() if s["service_code"] == "water_leak")
    assert service["metadata"] is False  # no definition needed before posting
    posted = client.post(f"{base}/requests.json", data={
        "api_key": place["key"], "jurisdiction_id": "c1", "service_code": service["service_code"],
        "lat": "30.2", "long": "120.2", "description": "地下车库水管爆裂，一直在漏水", "email": "a@b.example",
    })  # fmt: skip
    assert posted.status_code == 200
    code = posted.get_json()[0]["service_request_id"]
    (status,) = client.get(f"{base}/requests/{code.lower()}.json").get_json()  # as typed from an SMS
    assert status["status"] == "open" and status["status_notes"] == MESSAGES["o311.note.reported"][0]
    assert status["service_notice"].startswith("处置等级：较急")  # graded from the text: a burst pipe is priority

    with writing(engine) as s:
        case_id = s.scalar(select(Event.id).where(Event.tracking_code == code))
        now = local_now()
        act(s, case_id, actor_for(s, place["users"]["grid_worker"]), "resolve", now, "已关阀门并更换水管")
        act(s, case_id, actor_for(s, place["users"]["grid_leader"]), "verify", now + timedelta(minutes=5))
    (status,) = client.get(f"{base}/requests/{code}.json", headers={"Accept-Language": "en"}).get_json()
    assert status["status"] == "closed" and status["status_notes"] == "Resolved and checked; closed."
    assert status["expected_datetime"] is None and status["updated_datetime"].endswith("+08:00")
    assert code in _ids(client.get(f"{base}/requests.json?status=closed&service_code=water_leak"))

    # the same leak reported again nearby joins the open case... once that one is closed it is a new case
    again = _post(client, place["key"], service_code="water_leak", lat="30.2001", long="120.2",
                  description="车库漏水")  # fmt: skip
    assert again.get_json()[0]["service_request_id"] != code


def test_a_duplicate_reads_as_closed_and_names_the_open_request(o311):
    client, place, _ = o311
    first = _post(client, place["key"], service_code="illegal_parking", description="白色轿车堵在小区门口")
    second = _post(client, place["key"], service_code="illegal_parking", lat="30.2002", description="门口违停")
    original = first.get_json()[0]["service_request_id"]
    assert original in second.get_json()[0]["service_notice"]
    (dup,) = client.get(f"{BASE}/requests/{second.get_json()[0]['service_request_id']}.json").get_json()
    assert dup["status"] == "closed" and original in dup["status_notes"]


def test_every_o311_status_note_exists_in_both_languages():
    for status in ("reported", "in_progress", "resolved", "closed", "rejected", "duplicate"):
        zh, en = MESSAGES[f"o311.note.{status}"]
        assert zh and en


# --- api keys: the CLI and the /system page ------------------------------------------------------


def test_token_cli_issues_lists_and_revokes(engine, tmp_path, monkeypatch, capsys):
    from data_access.__main__ import main

    tiny_community(engine, with_users=False)
    monkeypatch.setenv("COCKPIT_DATABASE_URL", _url(engine))
    monkeypatch.setenv("COCKPIT_INSTANCE_DIR", str(tmp_path))
    assert main(["token", "create", "--kind", "open311", "--community", "c1", "city app"]) == 0
    out = capsys.readouterr().out
    clear = out.strip().splitlines()[-1]
    assert clear.startswith("cko_") and "shown this once" in out
    assert main(["token", "create", "--kind", "machine", "camera car 1"]) == 0
    capsys.readouterr()
    assert main(["token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "city app" in listing and "camera car 1" in listing and "c1" in listing
    assert "cko_" not in listing and "ckm_" not in listing  # only ever shown once
    with reading(engine) as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.name == "city app"))
    client = _app(engine, tmp_path).server.test_client()
    assert _post(client, clear).status_code == 200
    assert main(["token", "revoke", str(token_id)]) == 0
    assert _post(client, clear).status_code == 403
    assert main(["token", "revoke", str(token_id)]) == 1  # already revoked
    assert main(["token", "create", "--kind", "open311", "--community", "nowhere", "x"]) == 2
    assert "unknown community" in capsys.readouterr().err


def _tokens_action(client, trigger: str, value, kind="open311", name="", community=""):  # noqa: ANN001
    revoke_inputs = []
    prop_id = "tok-issue.n_clicks"
    if trigger != "tok-issue":
        revoke_inputs = [{"id": {"type": "tok-revoke", "id": int(trigger)}, "property": "n_clicks", "value": value}]
        prop_id = json.dumps({"id": int(trigger), "type": "tok-revoke"}, separators=(",", ":")) + ".n_clicks"
    payload = {
        "output": "..tok-feedback.children...tok-list.children..",
        "outputs": [{"id": "tok-feedback", "property": "children"}, {"id": "tok-list", "property": "children"}],
        "inputs": [
            {"id": "tok-issue", "property": "n_clicks", "value": value if trigger == "tok-issue" else None},
            revoke_inputs,
        ],
        "changedPropIds": [prop_id],
        "state": [
            {"id": "tok-kind", "property": "value", "value": kind},
            {"id": "tok-name", "property": "value", "value": name},
            {"id": "tok-community", "property": "value", "value": community},
        ],
    }
    return client.post("/_dash-update-component", json=payload, headers={"X-CSRFToken": _csrf_cookie(client)})


def test_administrators_issue_and_revoke_keys_on_the_system_page(sqlite_engine, tmp_path):
    place = tiny_community(sqlite_engine)
    app = _app(sqlite_engine, tmp_path)
    admin = app.server.test_client()
    login(admin, "c1_admin", "pw-admin")
    admin.get("/")
    refused = _tokens_action(admin, "tok-issue", 1, name="")
    assert refused.status_code == 200 and "请填写名称" in json.dumps(refused.get_json(), ensure_ascii=False)
    issued = _tokens_action(admin, "tok-issue", 1, name="市民通 App", community=str(place["community_id"]))
    assert issued.status_code == 200, issued.get_data(as_text=True)[:300]
    body = json.dumps(issued.get_json(), ensure_ascii=False)
    clear = re.search(r"cko_[A-Za-z0-9_-]+", body).group(0)
    assert "市民通 App" in body and "tok-table" in body
    client = app.server.test_client()
    assert _post(client, clear).status_code == 200
    with reading(sqlite_engine) as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.name == "市民通 App"))
        assert s.scalar(select(ApiToken.community_id).where(ApiToken.id == token_id)) == place["community_id"]
        assert s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.entity == "api_token")) == 1
    # the key is in the listing later, never again in clear
    listed = _tokens_action(admin, "tok-issue", None)
    assert clear not in json.dumps(listed.get_json(), ensure_ascii=False)

    # a secretary may not issue or revoke keys, whatever the browser sends
    secretary = app.server.test_client()
    login(secretary, "c1_secretary", "pw-secretary")
    secretary.get("/")
    assert (
        _tokens_action(secretary, "tok-issue", 1, name="sneaky", community=str(place["community_id"])).status_code
        == 403
    )
    assert _tokens_action(secretary, str(token_id), 1).status_code == 403
    with reading(sqlite_engine) as s:
        assert s.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.name == "sneaky")) == 0

    revoked = _tokens_action(admin, str(token_id), 1)
    assert revoked.status_code == 200 and f"已吊销密钥 {token_id}" in json.dumps(revoked.get_json(), ensure_ascii=False)
    assert _post(client, clear).status_code == 403
    with reading(sqlite_engine) as s:
        assert s.scalar(select(ApiToken.revoked_at).where(ApiToken.id == token_id)) is not None


def test_a_community_administrator_cannot_issue_district_wide_keys(sqlite_engine, tmp_path):
    place = tiny_community(sqlite_engine)
    tiny_community(sqlite_engine, code="c9", with_users=False)
    app = _app(sqlite_engine, tmp_path)
    admin = app.server.test_client()
    login(admin, "c1_admin", "pw-admin")
    admin.get("/")
    for community in ("", "999"):
        response = _tokens_action(admin, "tok-issue", 1, name="wide", community=community)
        assert "所选社区不存在" in json.dumps(response.get_json(), ensure_ascii=False)
    with reading(sqlite_engine) as s:
        assert s.scalar(select(func.count()).select_from(ApiToken)) == 0
    assert place["community_id"]


def test_the_system_page_shows_the_key_section_to_administrators(sqlite_engine, tmp_path):
    tiny_community(sqlite_engine)
    app = _app(sqlite_engine, tmp_path)
    admin = app.server.test_client()
    login(admin, "c1_admin", "pw-admin")
    admin.get("/")
    from tests.test_web import _route

    page = _route(admin, "/system")
    assert "sys-tokens" in page and "tok-issue" in page and "接口密钥与令牌" in page


def test_open311_datetimes_carry_the_community_offset(o311):
    client, place, engine = o311
    moment = datetime(2026, 11, 20, 9, 30)
    add_case(engine, place, "t1", moment)
    (row,) = client.get(f"{BASE}/requests.json?start_date=2026-11-20T00:00:00Z&end_date=2026-11-21").get_json()
    assert row["requested_datetime"] == "2026-11-20T09:30:00+08:00"
