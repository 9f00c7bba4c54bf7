"""The district demo: Binjiang district (滨江区) around Dongxin — invented names and data only.

`build_district(engine, seed=..., as_of=..., password=...)` adds to a store that already holds the
Dongxin demo (`data_access.demo`, the one detailed community) 59 lighter communities in three streets —
浦沿街道 (Dongxin's street), 长河街道 and 西兴街道 — so that street and district users have something to
compare and `bench/` has a district to load. Each community gets:

- grids (vertical strips of the community, with polygons), residential estates and office parks, buildings
  and households (no residents: the comparison view and the benchmarks count cases, not people);
- staff: a secretary (`c07_sec`), a grid worker and a grid leader per grid (`c07_gw1`, `c07_gl1`, ...);
- a year of cases with their trails, told in the Dongxin demo's words and walked through the same
  closed-loop simulation (`demo._Builder`), but each community with its own pace of work, so some close
  most cases on time and some let many slip, and rankings mean something;
- a few parking lots with three weeks of counts (enough for the `parking` job with history_weeks=3);
- a fire pump per residential estate with a day of pressure readings; in the slower communities one pump
  is low right now: an active critical alarm and the case it opened;
- three months of property and owners'-committee indicator scores (a few estates score red).

Each street gets a street cadre (`street_puyan`, `street_changhe`, `street_xixing`, street scope) and a
城管 squad account (`dept_…`, street scope), and the district one viewer (`district`, district scope).

Deterministic: the same store (the Dongxin demo of the same seed and time), seed and `as_of` give the
same rows. Rows go in as bulk inserts; primary keys are assigned here from the table's current maximum,
because reading them back with RETURNING in parameter order runs row by row on SQLite; PostgreSQL's
sequences are moved past them at the end.
"""

from __future__ import annotations

import math
import random
import secrets
import time as _time
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from data_access.clock import local_now, to_local_naive
from data_access.db import writing
from data_access.demo import (
    CAMERA_CATEGORIES,
    COMMUNITY_CODE,
    DEMO_SEED,
    GRID_NUMERALS,
    _Builder,
    _Case,
    _cn_name,
    _interp,
    _rect_polygon,
    notice_rows,
)
from data_access.devices import refresh_device_status
from data_access.models import (
    Alarm,
    Base,
    Building,
    Category,
    Community,
    Device,
    Estate,
    Event,
    EventAction,
    Grid,
    Household,
    IndicatorDef,
    IndicatorScore,
    Notification,
    ParkingLot,
    ParkingSample,
    Street,
    Telemetry,
    User,
)
from data_access.workflow import holder_for
from domain import catalog

DISTRICT_SEED = DEMO_SEED + 1
FIRST_CODE = "c01"  # present once the district is seeded

# code, zh, en, area (lon_min, lat_min, lon_max, lat_max), communities to add, lattice columns
STREETS: tuple[tuple[str, str, str, tuple[float, float, float, float], int, int], ...] = (
    ("puyan", "浦沿街道", "Puyan Street", (120.165, 30.155, 120.245, 30.1875), 19, 5),
    ("changhe", "长河街道", "Changhe Street", (120.120, 30.160, 120.1625, 30.195), 20, 4),
    ("xixing", "西兴街道", "Xixing Street", (120.120, 30.1995, 120.215, 30.228), 20, 5),
)
DISTRICT = ("滨江区", "Binjiang District")
SQUAD = "城管执法中队"

# Invented place names: two characters and their pinyin, combined; never people's names.
HEADS = (
    ("江", "Jiang"), ("星", "Xing"), ("云", "Yun"), ("锦", "Jin"), ("翠", "Cui"), ("明", "Ming"), ("润", "Run"),
    ("和", "He"), ("安", "An"), ("春", "Chun"), ("秋", "Qiu"), ("泽", "Ze"), ("澜", "Lan"), ("晴", "Qing"),
    ("柳", "Liu"), ("竹", "Zhu"), ("梅", "Mei"), ("枫", "Feng"), ("桂", "Gui"), ("松", "Song"), ("潮", "Chao"),
    ("湖", "Hu"), ("虹", "Hong"), ("霞", "Xia"), ("月", "Yue"), ("晨", "Chen"), ("嘉", "Jia"), ("瑞", "Rui"),
    ("禾", "He"), ("澄", "Cheng"), ("汇", "Hui"), ("望", "Wang"), ("临", "Lin"), ("清", "Qing"), ("融", "Rong"),
)  # fmt: skip
COMMUNITY_TAILS = (
    ("浦", "pu"), ("塘", "tang"), ("湾", "wan"), ("桥", "qiao"), ("畔", "pan"), ("岸", "an"), ("溪", "xi"),
    ("景", "jing"), ("坊", "fang"), ("堤", "di"), ("屿", "yu"), ("阳", "yang"), ("源", "yuan"), ("汀", "ting"),
)  # fmt: skip
ESTATE_TAILS = (
    ("庭", "ting"), ("苑", "yuan"), ("府", "fu"), ("里", "li"), ("轩", "xuan"), ("邸", "di"), ("居", "ju"),
    ("园", "yuan"), ("台", "tai"), ("湾", "wan"),
)  # fmt: skip
ESTATE_KINDS = (("花园", "Garden"), ("家园", "Homes"), ("小区", "Estate"), ("公寓", "Apartments"), ("", "Court"))
OFFICE_KINDS = (("科技园", "Tech Park"), ("大厦", "Tower"), ("创业园", "Innovation Park"), ("中心", "Centre"))
RESIDENTIAL_GATES = ("north", "south", "east", "west")

LOT_HISTORY_DAYS = 22  # three weeks of weekdays and a margin: the lots' history_weeks is 3
PUMP_LOW = 0.3  # the fire_pump_pressure rule's threshold (data_access.reference)
CASE_RATE = (0.18, 0.34)  # cases per household and year
INDICATOR_MONTHS = 3


@dataclass
class DistrictResult:
    password: str
    logins: list[tuple[str, str, str]]  # (username, role, scope) of the street and district accounts
    community_logins: str  # how the community accounts are named
    communities: int
    counts: dict[str, int]  # table name -> row count of the whole store after seeding
    added: dict[str, int]  # table name -> rows this build added
    seconds: float


def district_seeded(session: Session) -> bool:
    return session.scalar(select(Community.id).where(Community.code == FIRST_CODE)) is not None


def build_district(
    engine: Engine,
    *,
    seed: int = DISTRICT_SEED,
    as_of: datetime | None = None,
    password: str | None = None,
    password_hash: str | None = None,
    communities_per_street: int | None = None,
) -> DistrictResult:
    """Seed the district around the Dongxin demo; ValueError when the demo is missing or the district is there.
    `communities_per_street` caps each street's new communities (tests build a small district)."""
    started = _time.perf_counter()
    as_of = to_local_naive(as_of) if as_of is not None else local_now().replace(second=0)
    as_of = as_of.replace(microsecond=0)
    if password_hash is None:
        password = password or secrets.token_urlsafe(9)
        password_hash = generate_password_hash(password)
    with writing(engine) as session:
        if session.scalar(select(Community.id).where(Community.code == COMMUNITY_CODE)) is None:
            raise ValueError("the district demo is built around the Dongxin demo: seed that first (init --demo)")
        if district_seeded(session):
            raise ValueError("the district demo is already in this store; it is seeded once")
        if session.get_bind().dialect.name == "sqlite":
            # the default 2 MB page cache thrashes on the case indexes of a whole district in one transaction
            session.execute(text("PRAGMA cache_size=-262144"))
        before = _counts(session)
        district = _District(session, seed, as_of, password_hash, communities_per_street)
        district.run()
        counts = _counts(session)
    return DistrictResult(
        password=password or "",
        logins=district.logins,
        community_logins=f"c01_sec … c{len(district.communities):02d}_sec (secretaries), c01_gw1 … (grid workers), "
        "c01_gl1 … (grid leaders)",
        communities=len(district.communities),
        counts=counts,
        added={name: counts[name] - before.get(name, 0) for name in counts if counts[name] != before.get(name, 0)},
        seconds=round(_time.perf_counter() - started, 3),
    )


def _counts(session: Session) -> dict[str, int]:
    return {
        t.name: session.scalar(select(func.count()).select_from(t))
        for t in sorted(Base.metadata.sorted_tables, key=str)
    }


class _Ids:
    """Primary keys handed out from each table's current maximum (see the module docstring)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.next: dict[type[Base], int] = {}

    def take(self, model: type[Base], n: int) -> list[int]:
        if model not in self.next:
            self.next[model] = (self.session.scalar(select(func.max(model.id))) or 0) + 1
        first = self.next[model]
        self.next[model] = first + n
        return list(range(first, first + n))

    def fix_sequences(self) -> None:
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for model in self.next:
            table = model.__tablename__
            self.session.execute(
                text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
            )


def _bulk(session: Session, model: type[Base], rows: list[dict], chunk: int = 20_000) -> None:
    """Core executemany: the ORM's bulk insert splits a batch wherever a row's NULLs differ from its neighbour's,
    which turns a trail of optional notes into tens of thousands of statements."""
    for i in range(0, len(rows), chunk):
        session.execute(model.__table__.insert(), rows[i : i + chunk])


def _strips(rect: tuple[float, float, float, float], n: int) -> list[tuple[float, float, float, float]]:
    lon0, lat0, lon1, lat1 = rect
    w = (lon1 - lon0) / n
    return [(lon0 + k * w, lat0, lon0 + (k + 1) * w, lat1) for k in range(n)]


def _shrink(rect: tuple[float, float, float, float], f: float) -> tuple[float, float, float, float]:
    lon0, lat0, lon1, lat1 = rect
    dx, dy = (lon1 - lon0) * f / 2, (lat1 - lat0) * f / 2
    return (lon0 + dx, lat0 + dy, lon1 - dx, lat1 - dy)


class _District:
    def __init__(self, session: Session, seed: int, as_of: datetime, password_hash: str, cap: int | None) -> None:
        self.cap = cap
        self.s = session
        self.seed = seed
        self.as_of = as_of
        self.password_hash = password_hash
        self.rng = random.Random(seed)
        self.ids = _Ids(session)
        self.logins: list[tuple[str, str, str]] = []

    def run(self) -> None:
        self.places()
        self.staff()
        self.cases()
        self.parking()
        self.indicators()
        self.s.flush()
        self.ids.fix_sequences()

    # --- streets, communities, grids, estates, buildings, households -----------------------------

    def places(self) -> None:
        rng = random.Random(self.rng.getrandbits(64))
        existing = {code: sid for code, sid in self.s.execute(select(Street.code, Street.id))}
        new_streets = [s for s in STREETS if s[0] not in existing]
        for (code, *_rest), sid in zip(new_streets, self.ids.take(Street, len(new_streets)), strict=True):
            existing[code] = sid
        _bulk(self.s, Street, [
            {"id": existing[code], "code": code, "name_zh": zh, "name_en": en, "district_zh": DISTRICT[0],
             "district_en": DISTRICT[1]}
            for code, zh, en, *_rest in new_streets
        ])  # fmt: skip
        self.street_ids = {code: existing[code] for code, *_rest in STREETS}

        pairs = [(h, t) for h in HEADS for t in COMMUNITY_TAILS]
        rng.shuffle(pairs)
        names = iter(pairs)
        used_estate_names: set[str] = set()
        communities = []
        number = 0
        for code, _zh, _en, (lon0, lat0, lon1, lat1), n, cols in STREETS:
            rows_n = math.ceil(n / cols)
            cw, ch = (lon1 - lon0) / cols, (lat1 - lat0) / rows_n
            for k in range(n if self.cap is None else min(n, self.cap)):
                r, c = divmod(k, cols)
                number += 1
                (hz, hp), (tz, tp) = next(names)
                cell = (lon0 + c * cw, lat1 - (r + 1) * ch, lon0 + (c + 1) * cw, lat1 - r * ch)
                # how well the community works its cases: most middling, a few very good, a few poor
                quality = rng.betavariate(2.6, 1.8)
                communities.append({
                    "code": f"c{number:02d}", "street": code, "zh": f"{hz}{tz}社区", "short": f"{hz}{tz}",
                    "en": f"{hp}{tp} Community", "rect": _shrink(cell, 0.06), "quality": quality,
                    "size": rng.uniform(0.55, 1.45),
                })  # fmt: skip
        for com, cid in zip(communities, self.ids.take(Community, len(communities)), strict=True):
            com["id"] = cid
        _bulk(self.s, Community, [
            {"id": c["id"], "code": c["code"], "street_id": self.street_ids[c["street"]], "name_zh": c["zh"],
             "name_en": c["en"], "center_lat": round((c["rect"][1] + c["rect"][3]) / 2, 6),
             "center_lon": round((c["rect"][0] + c["rect"][2]) / 2, 6)}
            for c in communities
        ])  # fmt: skip

        grids, estates, buildings = [], [], []
        for com in communities:
            n_grids = rng.randint(3, 6)
            com["grids"], com["estates"] = [], []
            for g, strip in enumerate(_strips(com["rect"], n_grids), start=1):
                grid = {"community": com, "code": f"G{g}", "num": g, "rect": strip}
                com["grids"].append(grid)
                grids.append(grid)
                slots = 2 if rng.random() < 0.6 else 1
                lon0, lat0, lon1, lat1 = strip
                h = (lat1 - lat0) / slots
                for k in range(slots):
                    office = k == 1 and rng.random() < 0.3
                    rect = _shrink((lon0, lat1 - (k + 1) * h, lon1, lat1 - k * h), 0.14)
                    est = self._estate(rng, com, grid, rect, office, used_estate_names)
                    com["estates"].append(est)
                    estates.append(est)
                    buildings.extend(self._buildings(rng, com, est))
        for grid, gid in zip(grids, self.ids.take(Grid, len(grids)), strict=True):
            grid["id"] = gid
        _bulk(self.s, Grid, [
            {"id": g["id"], "community_id": g["community"]["id"], "code": g["code"],
             "name_zh": f"{g['community']['short']}第{GRID_NUMERALS[g['num'] - 1]}网格",
             "name_en": f"{g['community']['en'].removesuffix(' Community')} Grid {g['num']}",
             "polygon": _rect_polygon(g["rect"])}
            for g in grids
        ])  # fmt: skip
        for est, eid in zip(estates, self.ids.take(Estate, len(estates)), strict=True):
            est["id"] = eid
        _bulk(self.s, Estate, [
            {"id": e["id"], "community_id": e["community"]["id"], "grid_id": e["grid"]["id"], "code": e["code"],
             "name_zh": e["zh"], "name_en": e["en"], "kind": e["kind"], "lat": e["lat"], "lon": e["lon"],
             "polygon": _rect_polygon(e["rect"])}
            for e in estates
        ])  # fmt: skip
        for b, bid in zip(buildings, self.ids.take(Building, len(buildings)), strict=True):
            b["id"] = bid
        _bulk(self.s, Building, [
            {"id": b["id"], "estate_id": b["estate"]["id"], "grid_id": b["estate"]["grid"]["id"], "code": b["code"],
             "name_zh": b["zh"], "name_en": b["en"], "floors": b["floors"], "units": b["units"], "lat": b["lat"],
             "lon": b["lon"]}
            for b in buildings
        ])  # fmt: skip

        households = []
        for b in buildings:
            if b["estate"]["kind"] != "residential":
                continue
            occupancy = rng.uniform(0.55, 0.9)
            est = b["estate"]
            for u in range(1, b["units"] + 1):
                for f in range(1, b["floors"] + 1):
                    for room in (1, 2):
                        if rng.random() < occupancy:
                            households.append({
                                "external_id": f"HH-{est['code']}-{b['num']:02d}-{u}-{f}{room:02d}",
                                "building_id": b["id"], "unit": u, "room": f"{f}{room:02d}",
                                "size": rng.choices((1, 2, 3, 4, 5), weights=(14, 30, 31, 17, 8))[0],
                                "tenure": "tenant" if rng.random() < 0.22 else "owner",
                            })  # fmt: skip
                            est["households"] += 1
        _bulk(self.s, Household, households)
        self.communities = communities

    def _estate(self, rng, com, grid, rect, office: bool, used: set[str]) -> dict:  # noqa: ANN001
        while True:
            hz, hp = rng.choice(HEADS)
            if office:
                (tz, tp), (kz, kp) = rng.choice(COMMUNITY_TAILS), rng.choice(OFFICE_KINDS)
            else:
                (tz, tp), (kz, kp) = rng.choice(ESTATE_TAILS), rng.choice(ESTATE_KINDS)
            zh = f"{hz}{tz}{kz}"
            if zh not in used:
                used.add(zh)
                break
        n = len(com["estates"]) + 1
        gates = ("main", "garage")[: rng.randint(1, 2)] if office else tuple(
            sorted(rng.sample(RESIDENTIAL_GATES, rng.randint(2, 3)), key=RESIDENTIAL_GATES.index)
        )  # fmt: skip
        return {
            "community": com, "grid": grid, "code": f"{com['code']}-e{n}", "zh": zh, "en": f"{hp}{tp} {kp}",
            "kind": "office" if office else "residential", "rect": rect,
            "lat": round((rect[1] + rect[3]) / 2, 6), "lon": round((rect[0] + rect[2]) / 2, 6), "gates": gates,
            "grids": (grid["code"],), "households": 0, "buildings": [],
        }  # fmt: skip

    def _buildings(self, rng, com, est) -> list[dict]:  # noqa: ANN001
        lon0, lat0, lon1, lat1 = est["rect"]
        office = est["kind"] == "office"
        n = rng.randint(2, 4) if office else max(3, round(rng.randint(5, 12) * com["size"]))
        cols = max(1, round(math.sqrt(n * (lon1 - lon0) * 96.2 / ((lat1 - lat0) * 111.0))))
        rows = math.ceil(n / cols)
        out = []
        for i in range(n):
            r, c = divmod(i, cols)
            fx = (c + 0.5 + rng.uniform(-0.1, 0.1)) / cols
            fy = (r + 0.5 + rng.uniform(-0.1, 0.1)) / rows
            if office:
                floors, units, zh, en = rng.randint(10, 24), 2, f"{i + 1}号楼", f"Tower {i + 1}"
            else:
                floors, units = rng.choice((6, 11, 11, 18, 18, 24, 26, 33)), rng.choice((1, 2, 2, 3))
                zh, en = f"{i + 1}幢", f"Building {i + 1}"
            b = {"estate": est, "code": str(i + 1), "num": i + 1, "zh": zh, "en": en, "floors": floors,
                 "units": units, "grid": est["grid"]["code"],
                 "lat": round(lat1 - (lat1 - lat0) * (0.08 + 0.84 * fy), 6),
                 "lon": round(lon0 + (lon1 - lon0) * (0.08 + 0.84 * fx), 6)}  # fmt: skip
            est["buildings"].append(b)
            out.append(b)
        return out

    # --- staff -----------------------------------------------------------------------------------

    def staff(self) -> None:
        rng = random.Random(self.rng.getrandbits(64))
        created = datetime.combine(self.as_of.date() - timedelta(days=400), time(9, 0))
        base = {"password_hash": self.password_hash, "scope_kind": "community", "street_id": None, "grid_id": None,
                "department": None, "active": True, "locked_until": None, "created_at": created}  # fmt: skip
        rows = []
        for code, zh, _en, *_rest in STREETS:
            sid = self.street_ids[code]
            rows.append({**base, "username": f"street_{code}", "role": "street_cadre", "scope_kind": "street",
                         "street_id": sid, "community_id": None, "display_name": _cn_name(rng, rng.choice("FM"), 45)})  # fmt: skip
            rows.append({**base, "username": f"dept_{code}", "role": "department", "scope_kind": "street",
                         "street_id": sid, "community_id": None, "department": f"{zh}{SQUAD}",
                         "display_name": _cn_name(rng, rng.choice("FM"), 40)})  # fmt: skip
            self.logins += [(f"street_{code}", "street_cadre", code), (f"dept_{code}", "department", code)]
        rows.append({**base, "username": "district", "role": "viewer", "scope_kind": "district", "community_id": None,
                     "display_name": _cn_name(rng, rng.choice("FM"), 50)})  # fmt: skip
        self.logins.append(("district", "viewer", "district"))
        for com in self.communities:
            cbase = {**base, "community_id": com["id"]}
            rows.append({**cbase, "username": f"{com['code']}_sec", "role": "secretary",
                         "display_name": _cn_name(rng, rng.choice("FM"), rng.randint(38, 55))})  # fmt: skip
            for grid in com["grids"]:
                for prefix, role in (("gw", "grid_worker"), ("gl", "grid_leader")):
                    rows.append({**cbase, "username": f"{com['code']}_{prefix}{grid['num']}", "role": role,
                                 "grid_id": grid["id"],
                                 "display_name": _cn_name(rng, rng.choice("FM"), rng.randint(26, 52))})  # fmt: skip
        for row, uid in zip(rows, self.ids.take(User, len(rows)), strict=True):
            row["id"] = uid
        _bulk(self.s, User, rows)
        self.s.flush()
        self.usernames = {uid: name for uid, name in self.s.execute(select(User.id, User.username))}

    def _who(self, user_id: int | None) -> tuple[int, str]:
        if user_id is None:  # every post is filled above; a store edited by hand might lack one
            raise ValueError("the district demo found a level without a holder")
        return (user_id, self.usernames[user_id])

    # --- cases, fire pumps and their alarms --------------------------------------------------------

    def cases(self) -> None:
        category_id = dict(self.s.execute(select(Category.code, Category.id)).all())
        kinds = {c.code: c.kind for c in catalog.CATEGORIES}
        used_codes = set(self.s.scalars(select(Event.tracking_code)))
        all_cases: list[tuple[dict, _Case]] = []
        pumps: list[dict] = []
        secretaries: dict[int, int] = {}  # community id -> its secretary (who checks resolved L3 work)
        for com in self.communities:
            builder = _CommunityCases(self.s, self.seed * 1000 + int(com["code"][1:]), self.as_of, self.password_hash)
            builder.prepare(com, used_codes, category_id, self._holders(com, kinds))
            cases, com_pumps = builder.simulate()
            all_cases.extend((com, c) for c in cases)
            secretaries[com["id"]] = builder.user["secretary"][0]
            pumps.extend(com_pumps)

        all_cases.sort(key=lambda pair: (pair[1].reported_at, pair[0]["code"], pair[1].tracking_code))
        for (_com, c), eid in zip(all_cases, self.ids.take(Event, len(all_cases)), strict=True):
            c.id = eid
        events, actions = [], []
        for com, c in all_cases:
            acts = c.actions
            last = acts[-1]
            status = last["to_status"]
            resolves = [a["at"] for a in acts if a["action"] == "resolve"]
            closes = [a["at"] for a in acts if a["action"] == "verify"]
            grid = next(g for g in com["grids"] if g["code"] == c.building["grid"])
            events.append(
                {"id": c.id, "tracking_code": c.tracking_code, "community_id": com["id"], "source": c.source,
                 "source_ref": c.source_ref, "category_id": category_id[c.category], "grade": c.grade,
                 "grade_confidence": c.confidence, "grade_cues": c.cues, "description": c.description,
                 "lat": c.lat, "lon": c.lon, "estate_id": c.estate["id"], "building_id": c.building["id"],
                 "grid_id": grid["id"], "status": status, "level": last["to_level"], "holder_id": last["_holder"],
                 "reporter_contact": c.contact, "reported_at": c.reported_at, "due_at": last["_due"],
                 "resolved_at": resolves[-1] if status in ("resolved", "closed") else None,
                 "closed_at": closes[-1] if status == "closed" else None,
                 "reopen_count": sum(1 for a in acts if a["action"] == "reopen"),
                 "escalation_count": sum(1 for a in acts if a["action"] == "escalate"),
                 "duplicate_of_id": c.duplicate_of.id if c.duplicate_of is not None else None,
                 "updated_at": last["at"]}
            )  # fmt: skip
            actions.extend({"event_id": c.id, **{k: v for k, v in a.items() if not k.startswith("_")}} for a in acts)
        _bulk(self.s, Event, events)
        _bulk(self.s, EventAction, actions)
        by_community: dict[int, list[_Case]] = {}
        for com, c in all_cases:
            by_community.setdefault(com["id"], []).append(c)
        _bulk(self.s, Notification, [row for cid, cases in by_community.items()
                                     for row in notice_rows(cases, self.as_of, secretaries[cid])])  # fmt: skip
        self._pumps(pumps)

    def _holders(self, com: dict, kinds: dict[str, str]) -> dict:
        """Who holds each level, as the workflow would route a case (`workflow.holder_for`)."""
        any_grid = com["grids"][0]["id"]
        return {
            "l1": {g["code"]: [self._who(holder_for(self.s, 1, g["id"], com["id"], ""))] for g in com["grids"]},
            "l2": {g["code"]: [self._who(holder_for(self.s, 2, g["id"], com["id"], ""))] for g in com["grids"]},
            "secretary": self._who(holder_for(self.s, 3, any_grid, com["id"], "")),
            "street_cadre": self._who(holder_for(self.s, 4, any_grid, com["id"], kinds["fire_lane_blocked"])),
            "department": self._who(holder_for(self.s, 4, any_grid, com["id"], kinds["illegal_parking"])),
        }

    def _pumps(self, pumps: list[dict]) -> None:
        for pump, did in zip(pumps, self.ids.take(Device, len(pumps)), strict=True):
            pump["id"] = did
        _bulk(self.s, Device, [
            {"id": p["id"], "code": p["code"], "kind": "fire_pump", "estate_id": p["estate"]["id"],
             "building_id": p["building"]["id"], "name_zh": f"{p['estate']['zh']}消防泵",
             "name_en": f"{p['estate']['en']} fire pump", "attributes": {"rated_pressure_mpa": 0.7,
             "low_pressure_mpa": PUMP_LOW}, "installed_on": p["installed_on"], "active": True}
            for p in pumps
        ])  # fmt: skip
        _bulk(self.s, Telemetry, [
            {"device_id": p["id"], "ts": ts, "metric": "pressure_mpa", "value": value, "fault_code": None}
            for p in pumps
            for ts, value in p["readings"]
        ])  # fmt: skip
        self.s.flush()
        refresh_device_status(self.s, [p["id"] for p in pumps])
        alarms = []
        for p in pumps:
            alarm = p.get("alarm")
            if alarm is None:
                continue
            case = alarm["case"]
            accept = next((a for a in case.actions if a["action"] == "accept"), None)
            low = alarm["reading"]
            alarms.append(
                {"device_id": p["id"], "alarm_type": "pressure_low", "severity": "critical", "status": "active",
                 "acknowledged": accept is not None, "raised_at": alarm["raised_at"],
                 "last_seen_at": alarm["raised_at"], "cleared_at": None, "repeat_count": 1,
                 "acknowledged_by": accept["actor_id"] if accept else None,
                 "acknowledged_at": accept["at"] if accept else None, "note": None, "event_id": case.id,
                 "detail": {"metric": "pressure_mpa", "value": low, "limit": PUMP_LOW, "direction": "below"}}
            )  # fmt: skip
        _bulk(self.s, Alarm, alarms)

    # --- parking ---------------------------------------------------------------------------------

    def parking(self) -> None:
        rng = random.Random(self.rng.getrandbits(64))
        lots = []
        for com in self.communities:
            residential = [e for e in com["estates"] if e["kind"] == "residential"]
            offices = [e for e in com["estates"] if e["kind"] == "office"]
            for est in sorted(residential, key=lambda e: -e["households"])[:2] + offices[:1]:
                day = est["kind"] == "residential"
                capacity = (max(120, round(est["households"] * rng.uniform(0.35, 0.6) / 10) * 10) if day
                            else rng.randrange(120, 330, 10))  # fmt: skip
                lots.append({"estate": est, "code": f"P-{est['code']}", "capacity": capacity, "day": day,
                             "buffer": rng.randint(5, 12)})  # fmt: skip
        for lot, lid in zip(lots, self.ids.take(ParkingLot, len(lots)), strict=True):
            lot["id"] = lid
        _bulk(self.s, ParkingLot, [
            {"id": lot["id"], "estate_id": lot["estate"]["id"], "code": lot["code"],
             "name_zh": f"{lot['estate']['zh']}停车场", "name_en": f"{lot['estate']['en']} car park",
             "capacity": lot["capacity"], "share_window": "day" if lot["day"] else "night",
             "window_start": "08:00" if lot["day"] else "18:00", "window_end": "18:00" if lot["day"] else "08:00",
             "weekdays_only": True, "quantile": 0.9, "history_weeks": 3, "safety_buffer": lot["buffer"],
             "lat": lot["estate"]["lat"], "lon": lot["estate"]["lon"]}
            for lot in lots
        ])  # fmt: skip

        first = datetime.combine(self.as_of.date() - timedelta(days=LOT_HISTORY_DAYS), time(0))
        last = self.as_of.replace(minute=self.as_of.minute // 15 * 15, second=0)
        n = int((last - first).total_seconds() // 900) + 1
        stamps = [first + timedelta(minutes=15 * i) for i in range(n)]
        samples = []
        for lot in lots:
            cap = lot["capacity"]
            if lot["day"]:  # residents leave by day
                low, high = rng.uniform(0.42, 0.72), rng.uniform(0.86, 0.97)
                weekday = ((0, high), (420, high), (510, (low + high) / 2), (600, low), (960, low + 0.04),
                           (1080, (low + high) / 2), (1200, high), (1440, high))  # fmt: skip
                weekend = ((0, high), (540, high - 0.05), (720, high - 0.15), (1020, high - 0.1), (1260, high),
                           (1440, high))  # fmt: skip
            else:  # office parks fill by day
                low, high = rng.uniform(0.04, 0.22), rng.uniform(0.8, 0.95)
                weekday = ((0, low), (420, low), (510, (low + high) / 2), (570, high), (1020, high),
                           (1110, (low + high) / 2), (1200, low + 0.05), (1440, low))  # fmt: skip
                weekend = ((0, low), (600, low + 0.08), (960, low + 0.06), (1440, low))
            noise, day, drift = 0.0, None, 0.0
            for ts in stamps:
                if ts.date() != day:
                    day, drift = ts.date(), rng.gauss(0, 0.015)
                noise = 0.6 * noise + rng.gauss(0, 0.012)
                frac = _interp(weekday if ts.weekday() < 5 else weekend, ts.hour * 60 + ts.minute) + drift + noise
                samples.append({"lot_id": lot["id"], "sampled_at": ts, "occupied": max(0, min(cap, round(frac * cap))),
                                "source": "counter"})  # fmt: skip
        _bulk(self.s, ParkingSample, samples)

    # --- estate running index inputs ---------------------------------------------------------------

    def indicators(self) -> None:
        rng = random.Random(self.rng.getrandbits(64))
        ids = dict(self.s.execute(select(IndicatorDef.code, IndicatorDef.id)).all())
        y, m = self.as_of.year, self.as_of.month
        months = []
        for k in range(INDICATOR_MONTHS, 0, -1):
            index = y * 12 + m - 1 - k
            months.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
        rows = []
        for com in self.communities:
            for est in (e for e in com["estates"] if e["kind"] == "residential"):
                red = rng.random() < 0.03 + 0.08 * (1 - com["quality"])
                base = rng.uniform(48, 57) if red else min(94.0, max(67.0, rng.gauss(76 + 14 * com["quality"], 6)))
                for month in months:
                    level = base + rng.gauss(0, 1.5)
                    entered = datetime(int(month[:4]), int(month[5:]), 25, 10) + timedelta(minutes=rng.randint(0, 300))
                    for ind in catalog.INDICATORS:
                        score = max(30.0, min(99.0, rng.gauss(level, 5)))
                        rows.append({"estate_id": est["id"], "indicator_id": ids[ind.code], "month": month,
                                     "score": round(score, 1), "entered_by": "admin", "entered_at": entered})  # fmt: skip
        _bulk(self.s, IndicatorScore, rows)


class _CommunityCases(_Builder):
    """One district community's year of cases, told and walked like the Dongxin demo's (`demo._Builder`),
    at the community's own pace: `quality` near 1 resolves early and rarely lets a case slip a level,
    near 0 resolves late, lets cases time out and sends more back for rework."""

    def prepare(self, com: dict, used_codes: set[str], category_id: dict[str, int], holders: dict) -> None:
        self.com = com
        self.community_id = com["id"]
        self.quality = com["quality"]
        self.estates = com["estates"]
        self.estate_by_code = {e["code"]: e for e in self.estates}
        self.estate_case_weights = {
            e["code"]: (e["households"] if e["kind"] == "residential" else 60) for e in self.estates
        }
        self.used_codes = used_codes
        self.category_id = category_id
        self.l1, self.l2 = holders["l1"], holders["l2"]
        self.user = {k: holders[k] for k in ("secretary", "street_cadre", "department")}
        self.slack = 0.3 + 4.0 * (1 - self.quality) ** 1.5  # scales pushing up and timing out below L4
        self.pace = 0.55 + 1.5 * (1 - self.quality)  # scales the time taken to resolve

    def _outcome(self, c: _Case, level: int, rng: random.Random) -> str:
        if c.plan != "normal" or level >= 4:
            return super()._outcome(c, level, rng)
        p_push, p_timeout = {1: (0.05, 0.05), 2: (0.10, 0.10), 3: (0.10, 0.10)}[level]
        r = rng.random()
        if r < p_push * self.slack:
            return "push"
        return "timeout" if r < (p_push + p_timeout) * self.slack else "resolve"

    def _resolve_fraction(self, c: _Case, level: int, rng: random.Random) -> float:
        fraction = super()._resolve_fraction(c, level, rng)
        return fraction if c.plan == "iot" or level >= 4 else fraction * self.pace

    def simulate(self) -> tuple[list[_Case], list[dict]]:
        rng = self.rng["cases"]
        households = sum(e["households"] for e in self.estates)
        target = households * (CASE_RATE[0] + (CASE_RATE[1] - CASE_RATE[0]) * rng.random())
        start = self.as_of - timedelta(days=365)
        first_day = start.date()
        days = [first_day + timedelta(days=k) for k in range((self.as_of.date() - first_day).days + 1)]
        weights = [
            (1 + 0.3 * math.cos(2 * math.pi * (d.timetuple().tm_yday - 196) / 365.25))
            * (0.8 if d.weekday() >= 5 else 1)
            for d in days
        ]
        total_w = sum(weights)
        primaries: list[_Case] = []
        for d, w in zip(days, weights, strict=True):
            lo = max(datetime.combine(d, time(0)), start)
            hi = min(datetime.combine(d, time(0)) + timedelta(days=1), self.as_of)
            if hi <= lo:
                continue
            expected = target * w / total_w
            k = int(expected) + (1 if rng.random() < expected - int(expected) else 0)
            if d == self.as_of.date():
                k = max(k, 1 + rng.randrange(3))  # something new today everywhere
            primaries.extend(self._new_case(rng, lo, hi) for _ in range(k))
        primaries.sort(key=lambda c: c.reported_at)

        reopen_rate = 0.02 + 0.1 * (1 - self.quality)
        for c in primaries:
            r = rng.random()
            if r < 0.05:
                c.plan = "reject"
            elif r < 0.065:
                c.plan = "hard"
            else:
                c.reopen = rng.random() < reopen_rate
        stuck = round((1 + 14 * (1 - self.quality) ** 2) * len(primaries) / 1000)  # left at L4, overdue
        pool = [c for c in primaries if c.plan == "normal" and c.grade != "urgent"
                and self.as_of - timedelta(days=30) <= c.reported_at < self.as_of - timedelta(days=5)]  # fmt: skip
        for c in rng.sample(pool, min(stuck, len(pool))):
            c.plan, c.reopen = "stuck", False

        pumps = self._plan_pumps()
        for pump in pumps:
            if "alarm" in pump:
                primaries.append(self._iot_case(rng, pump["alarm"]))
        primaries.sort(key=lambda c: c.reported_at)
        trail_rng = self.rng["trail"]
        for c in primaries:
            self._simulate(c, trail_rng)

        # the same problem reported again within 50 m while the first case is open (as in the Dongxin demo)
        drng = self.rng["duplicates"]
        candidates = [c for c in primaries if c.plan in ("normal", "hard", "stuck")]
        cand_w = [3 if c.category in CAMERA_CATEGORIES else 1 for c in candidates]
        duplicates: list[_Case] = []
        wanted = round(0.06 * len(primaries))
        for _attempt in range(50 * wanted):
            if len(duplicates) >= wanted or not candidates:
                break
            p = drng.choices(candidates, weights=cand_w)[0]
            end = next((a["at"] for a in p.actions if a["action"] == "resolve"), self.as_of)
            span = (end - p.reported_at).total_seconds()
            if span < 1200:
                continue
            at = p.reported_at + timedelta(seconds=int(span * drng.uniform(0.05, 0.95)))
            source = (drng.choices(("camera_car", "resident", "open311", "staff"), weights=(40, 35, 15, 10))[0]
                      if p.category in CAMERA_CATEGORIES
                      else drng.choices(("resident", "open311", "staff"), weights=(60, 25, 15))[0])  # fmt: skip
            d = _Case(reported_at=at, category=p.category, source=source, grade=p.grade, estate=p.estate,
                      building=p.building, unit=p.unit, floor=p.floor, plan="duplicate", duplicate_of=p,
                      l1=p.l1, l2=p.l2, l4=p.l4)  # fmt: skip
            self._fill_case(drng, d, like=p)
            d.lat = round(p.lat + drng.uniform(-0.00015, 0.00015), 6)
            d.lon = round(p.lon + drng.uniform(-0.00015, 0.00015), 6)
            self._simulate(d, trail_rng)
            duplicates.append(d)

        cases = sorted(primaries + duplicates, key=lambda c: c.reported_at)
        counters: dict[str, int] = {}
        code = self.com["code"]
        for c in cases:
            if c.source == "iot":
                c.source_ref = f"{code}-alarm-{c.alarm['device']['code']}"
                continue
            key = c.source if c.source != "camera_car" else f"car0{rng.choice((1, 2))}"
            counters[key] = counters.get(key, 0) + 1
            n = counters[key]
            c.source_ref = {"resident": f"{code}-web-{n:06d}", "staff": f"{code}-staff-{n:06d}",
                            "open311": f"{code}-o311-{n:06d}"}.get(key, f"{key}:{code}-det-{n:05d}")  # fmt: skip
        return cases, pumps

    def _plan_pumps(self) -> list[dict]:
        """A fire pump per residential estate with a day of hourly readings; in a slower community one of
        them reads low since a little before as_of: an active critical alarm that opened a case."""
        rng = self.rng["devices"]
        hour = self.as_of.replace(minute=0, second=0)
        pumps = []
        for est in (e for e in self.estates if e["kind"] == "residential"):
            value = rng.uniform(0.62, 0.76)
            readings = []
            for k in range(23, -1, -1):
                value = min(0.79, max(0.6, value + rng.gauss(0, 0.008)))
                readings.append((hour - timedelta(hours=k), round(value, 3)))
            pumps.append({"code": f"FP-{est['code']}", "estate": est, "building": est["buildings"][0],
                          "readings": readings, "installed_on": self.as_of.date() - timedelta(days=rng.randint(900, 4000))})  # fmt: skip
        if pumps and rng.random() < 0.55 * (1 - self.quality):
            pump = rng.choice(pumps)
            # recent enough that nobody has resolved it yet (the quickest fix takes over an hour)
            raised = (self.as_of - timedelta(minutes=rng.randint(15, 50))).replace(microsecond=0)
            low = round(rng.uniform(0.12, 0.28), 2)
            pump["readings"] = [(ts, v) for ts, v in pump["readings"] if ts < raised] + [(raised, low)]
            pump["alarm"] = {"device": pump, "alarm_type": "pressure_low", "raised_at": raised, "reading": low}
        return pumps
