"""The district demo (data_access/demo_district.py) around the Dongxin demo: same store, seed and time give
the same rows; streets, communities, grids, staff and scopes as documented; trails as the closed loop walks
them; communities that differ; new rows after it (PostgreSQL's sequences moved past its keys); the CLI.

Built small here (two communities a street); `bench/seed_district.py` times the whole district."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from data_access.compare import case_figures
from data_access.db import make_engine, reading, writing
from data_access.demo import build_demo
from data_access.demo_district import STREETS, build_district
from data_access.models import (
    Alarm,
    Base,
    Building,
    Community,
    Device,
    Estate,
    Event,
    EventAction,
    Grid,
    Household,
    Notification,
    ParkingLot,
    ParkingSample,
    Street,
    User,
)
from data_access.scope import community_ids_for
from tests.conftest import DEMO_AS_OF, ROOT

SALTED = {("user_account", "password_hash"), ("api_token", "token_hash")}
PER_STREET = 2


def _digests(engine) -> dict[str, str]:
    out = {}
    with reading(engine) as s:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in SALTED]
            rows = s.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            out[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return out


@pytest.fixture(scope="module")
def dongxin_file(tmp_path_factory, sqlite_template):
    path = tmp_path_factory.mktemp("dongxin") / "dongxin.db"
    shutil.copyfile(sqlite_template, path)
    engine = make_engine(f"sqlite:///{path}")
    build_demo(engine, as_of=DEMO_AS_OF, password="demo-pass-1")
    engine.dispose()
    return path


@pytest.fixture(scope="module")
def district(demo_engine):
    """The Dongxin demo with a small district around it, on each engine."""
    result = build_district(demo_engine, as_of=DEMO_AS_OF, password="demo-pass-1", communities_per_street=PER_STREET)
    return demo_engine, result


def test_same_store_seed_and_time_give_the_very_same_district(dongxin_file, tmp_path):
    digests = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.db"
        shutil.copyfile(dongxin_file, path)
        engine = make_engine(f"sqlite:///{path}")
        build_district(engine, as_of=DEMO_AS_OF, password="demo-pass-1", communities_per_street=PER_STREET)
        digests.append(_digests(engine))
        engine.dispose()
    assert digests[0] == digests[1]
    with pytest.raises(ValueError, match="already"):
        build_district(make_engine(f"sqlite:///{tmp_path / 'one.db'}"), as_of=DEMO_AS_OF, password="x")


def test_the_district_needs_the_dongxin_demo(sqlite_engine):
    with pytest.raises(ValueError, match="Dongxin"):
        build_district(sqlite_engine, as_of=DEMO_AS_OF, password="x")


def test_streets_communities_places_and_staff(district):
    engine, result = district
    assert result.communities == 3 * PER_STREET and result.added["community"] == 3 * PER_STREET
    assert {"event", "event_action", "household", "parking_sample", "alarm"} <= set(result.added)
    with reading(engine) as s:
        streets = dict(s.execute(select(Street.code, Street.id)).all())
        assert set(streets) == {code for code, *_rest in STREETS}
        per_street = dict(s.execute(select(Community.street_id, func.count()).group_by(Community.street_id)).all())
        assert per_street[streets["puyan"]] == PER_STREET + 1  # Dongxin is in Puyan
        assert per_street[streets["changhe"]] == per_street[streets["xixing"]] == PER_STREET
        new = s.execute(select(Community.id, Community.code).where(Community.code != "dongxin")).all()
        kinds = set()
        for cid, code in new:
            grids = s.execute(select(Grid.id, Grid.code, Grid.polygon).where(Grid.community_id == cid)).all()
            assert 3 <= len(grids) <= 6 and all(g.polygon["type"] == "Polygon" for g in grids)
            estates = s.execute(select(Estate.grid_id, Estate.kind).where(Estate.community_id == cid)).all()
            assert {e.grid_id for e in estates} == {g.id for g in grids}  # every grid holds an estate
            kinds |= {e.kind for e in estates}
            households = s.scalar(
                select(func.count())
                .select_from(Household)
                .join(Building)
                .join(Estate)
                .where(Estate.community_id == cid)
            )
            assert households > 100
            staff = dict(s.execute(select(User.username, User.role).where(User.community_id == cid)).all())
            assert staff[f"{code}_sec"] == "secretary"
            assert {staff[f"{code}_gw{g.code[1:]}"] for g in grids} == {"grid_worker"}
            assert {staff[f"{code}_gl{g.code[1:]}"] for g in grids} == {"grid_leader"}
        assert kinds == {"residential", "office"}
        users = {u.username: u for u in s.scalars(select(User).where(User.scope_kind != "community"))}
        changhe = [cid for (cid,) in s.execute(select(Community.id).where(Community.street_id == streets["changhe"]))]
        assert sorted(community_ids_for(s, users["street_changhe"].id)) == sorted(changhe)
        assert users["dept_xixing"].role == "department" and users["street_puyan"].role == "street_cadre"
        assert users["district"].role == "viewer"
        assert len(community_ids_for(s, users["district"].id)) == 3 * PER_STREET + 1
        assert len(community_ids_for(s, users["street_cadre"].id)) == PER_STREET + 1  # Dongxin's cadre: all Puyan


def test_cases_walk_the_closed_loop_and_communities_differ(district):
    engine, _result = district
    with reading(engine) as s:
        ids = [cid for (cid,) in s.execute(select(Community.id).where(Community.code != "dongxin"))]
        events = s.execute(
            select(Event.id, Event.community_id, Event.status, Event.level, Event.reported_at, Event.closed_at,
                   Event.duplicate_of_id, Event.holder_id).where(Event.community_id.in_(ids))
        ).all()  # fmt: skip
        last = {}
        for event_id, to_status, to_level in s.execute(
            select(EventAction.event_id, EventAction.to_status, EventAction.to_level)
            .join(Event, Event.id == EventAction.event_id)
            .where(Event.community_id.in_(ids))
            .order_by(EventAction.event_id, EventAction.at, EventAction.id)
        ):
            last[event_id] = (to_status, to_level)
        community_of = {e.id: e.community_id for e in events}
        holders = {uid: cid for uid, cid, scope in s.execute(select(User.id, User.community_id, User.scope_kind))
                   if scope == "community"}  # fmt: skip
        figures = case_figures(s, ids, "2025-12", "2026-11", DEMO_AS_OF)
    assert len(events) > 300 * len(ids)  # a year of cases per community
    for e in events:
        assert last[e.id] == (e.status, e.level), e.id  # the case says what its trail says
        assert (e.closed_at is not None) == (e.status == "closed")
        if e.duplicate_of_id is not None:
            assert community_of[e.duplicate_of_id] == e.community_id
        if e.holder_id in holders:
            assert holders[e.holder_id] == e.community_id  # community staff hold their own community's cases
    today = DEMO_AS_OF.replace(hour=0, minute=0)
    assert all(any(e.community_id == cid and e.reported_at >= today for e in events) for cid in ids)
    rates = [figures[cid]["on_time_rate"] for cid in ids]
    assert max(rates) - min(rates) > 0.1  # some communities work faster than others
    with reading(engine) as s:  # each community's staff find their recent hand-overs in their inbox
        inboxes = s.execute(
            select(User.community_id, func.count(Notification.id), func.count(Notification.id).filter(
                Notification.read_at.is_(None)))
            .join(User, User.id == Notification.user_id).where(User.community_id.in_(ids)).group_by(User.community_id)
        ).all()  # fmt: skip
        told = s.execute(
            select(Notification.user_id, Event.community_id).join(Event, Event.id == Notification.event_id).distinct()
        ).all()
        strays = [(user, cid) for user, cid in told if cid not in community_ids_for(s, user)]
    assert {cid for cid, _n, _unread in inboxes} == set(ids) and all(unread > 0 for _c, _n, unread in inboxes)
    assert strays == []  # nobody is told of a case outside their scope (a street cadre's is the street)


def test_parking_pumps_and_new_rows_after_the_build(district):
    engine, _result = district
    with reading(engine) as s:
        new = select(Community.id).where(Community.code != "dongxin")
        lots = s.scalars(select(ParkingLot.id).join(Estate).where(Estate.community_id.in_(new))).all()
        assert len(lots) >= 3 * PER_STREET
        first, last = s.execute(
            select(func.min(ParkingSample.sampled_at), func.max(ParkingSample.sampled_at)).where(
                ParkingSample.lot_id.in_(lots)
            )
        ).one()
        assert last - first >= timedelta(days=21)  # three weeks: the lots' history_weeks
        alarms = s.execute(
            select(Alarm.status, Alarm.severity, Event.status)
            .join(Device, Device.id == Alarm.device_id)
            .join(Event, Event.id == Alarm.event_id)
            .join(Estate, Estate.id == Device.estate_id)
            .where(Estate.community_id.in_(new))
        ).all()
        assert all(a == ("active", "critical", a[2]) and a[2] in ("reported", "in_progress") for a in alarms)
    with writing(engine) as s:  # ids were handed out by the build: the store keeps numbering after them
        street = Street(code="later", name_zh="新街道", name_en="Later", district_zh="区", district_en="District")
        s.add(street)
        s.flush()
        community = Community(code="later", street_id=street.id, name_zh="后来社区", name_en="Later", center_lat=30.2,
                              center_lon=120.2)  # fmt: skip
        s.add(community)
        s.flush()
        assert community.id > max(cid for (cid,) in s.execute(new.where(Community.id != community.id)))


def test_init_district_needs_demo_and_is_skipped_once_seeded(dongxin_file, tmp_path):
    instance = tmp_path / "instance"
    instance.mkdir()
    environ = {**os.environ, "COCKPIT_INSTANCE_DIR": str(instance)}
    environ.pop("COCKPIT_DATABASE_URL", None)

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "data_access", "init", *args], cwd=ROOT, env=environ,
                              capture_output=True, text=True, timeout=180)  # fmt: skip

    refused = run("--district")
    assert refused.returncode == 2 and "--demo" in refused.stderr
    shutil.copyfile(dongxin_file, instance / "cockpit.db")
    engine = make_engine(f"sqlite:///{instance / 'cockpit.db'}")
    build_district(engine, as_of=DEMO_AS_OF, password="x", communities_per_street=1)
    engine.dispose()
    again = run("--demo", "--district")
    assert again.returncode == 0, again.stderr
    assert "Demo community already present" in again.stdout and "District demo already present" in again.stdout


@pytest.mark.parametrize("n", [1])
def test_grid_workers_hold_level_one_of_their_own_grid(district, n):
    engine, _result = district
    with reading(engine) as s:
        held = defaultdict(set)
        rows = s.execute(
            select(User.grid_id, Event.grid_id)
            .join(Event, Event.holder_id == User.id)
            .where(User.role == "grid_worker", Event.level == n, Event.community_id != select(Community.id).where(
                Community.code == "dongxin").scalar_subquery())
        )  # fmt: skip
        for worker_grid, case_grid in rows:
            held[worker_grid].add(case_grid)
    assert held and all(grids == {grid} for grid, grids in held.items())
