"""The deterministic demo community (data_access/demo.py): same seed, same rows; sizes; the closed-loop
trails; the tidal-parking figures 126 / 182; seeding is refused the second time."""

from __future__ import annotations

import hashlib
import math
import re
import shutil
from collections import Counter, defaultdict
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import func, select

from data_access.db import make_engine, reading
from data_access.demo import DEMO_SEED, DemoResult, build_demo
from data_access.models import (
    AccessEvent,
    Alarm,
    Ballot,
    Base,
    Building,
    Category,
    Device,
    Estate,
    Event,
    EventAction,
    Grid,
    Household,
    IndicatorDef,
    IndicatorScore,
    ParkingLot,
    ParkingSample,
    Resident,
    ServiceRequest,
    Talent,
    User,
    WelfareWatch,
)
from domain import catalog

AS_OF = datetime(2026, 11, 20, 15, 30)  # a Friday afternoon
SALTED = {("user_account", "password_hash"), ("api_token", "token_hash")}
OPEN_WORK = ("reported", "in_progress")


def _month(months_before: int) -> str:
    """'YYYY-MM' of the month `months_before` months before AS_OF's month."""
    index = AS_OF.year * 12 + AS_OF.month - 1 - months_before
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _fresh_engine(template, directory):
    path = directory / "demo.db"
    shutil.copyfile(template, path)
    return make_engine(f"sqlite:///{path}")


def _digests(engine) -> dict[str, str]:
    """One digest per table over every column (salted hashes aside), rows in primary-key order."""
    out = {}
    with reading(engine) as s:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if (table.name, c.name) not in SALTED]
            rows = s.execute(select(*columns).order_by(*table.primary_key.columns)).all()
            out[table.name] = hashlib.sha256(repr([tuple(r) for r in rows]).encode()).hexdigest()
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory, sqlite_template):
    engine = _fresh_engine(sqlite_template, tmp_path_factory.mktemp("demo"))
    result = build_demo(engine, as_of=AS_OF, password="demo-pass-1")
    yield engine, result
    engine.dispose()


def test_same_seed_and_time_give_the_very_same_rows(demo, tmp_path, sqlite_template):
    engine, first = demo
    other = _fresh_engine(sqlite_template, tmp_path)
    try:
        second = build_demo(other, seed=DEMO_SEED, as_of=AS_OF)
        assert isinstance(second, DemoResult)
        assert first.seconds < 30 and second.seconds < 30, (first.seconds, second.seconds)
        assert second.counts == first.counts
        assert _digests(other) == _digests(engine)
        assert second.password != first.password and len(second.password) >= 12  # generated when not given
        assert second.wall_token != first.wall_token
    finally:
        other.dispose()


def test_postgresql_gets_the_same_rows(demo, pg_engine):
    """The demo on PostgreSQL has the very rows of the SQLite build (the module fixture)."""
    result = build_demo(pg_engine, as_of=AS_OF)
    assert result.counts == demo[1].counts
    assert _digests(pg_engine) == _digests(demo[0])


def test_result_lists_logins_and_tokens(demo):
    engine, result = demo
    assert result.password == "demo-pass-1"
    assert result.logins == [(role, role) for role in catalog.ROLES]
    assert result.wall_token.startswith("ckw_") and result.open311_key.startswith("cko_")
    assert result.machine_token.startswith("ckm_")
    assert set(result.counts) == {t.name for t in Base.metadata.sorted_tables}
    with reading(engine) as s:
        assert result.counts["event"] == s.scalar(select(func.count(Event.id)))
        assert s.scalar(select(func.count(func.distinct(User.password_hash)))) == 1
    from werkzeug.security import check_password_hash

    with reading(engine) as s:
        assert check_password_hash(s.scalar(select(User.password_hash).limit(1)), "demo-pass-1")


def test_sizes_are_in_range(demo):
    engine, result = demo
    c = result.counts
    assert 2900 <= c["household"] <= 3100
    assert 7800 <= c["resident"] <= 8200
    assert c["grid"] == 6 and c["estate"] == 5 and c["parking_lot"] == 5
    assert 3600 <= c["event"] <= 4400
    with reading(engine) as s:
        nationalities = dict(s.execute(select(Resident.nationality, func.count()).group_by(Resident.nationality)).all())
        foreign = {k: v for k, v in nationalities.items() if k != "CN"}
        assert sum(foreign.values()) >= 520 and len(foreign) == 38
        assert max(foreign.values()) >= 50 and min(foreign.values()) <= 5  # many from few, few from many
        roles = set(s.scalars(select(User.role)))
        assert roles == set(catalog.ROLES)
        for role in catalog.ROLES:
            assert s.scalar(select(User.id).where(User.username == role, User.role == role)) is not None
        for grid_id in s.scalars(select(Grid.id)):
            staff = set(s.scalars(select(User.role).where(User.grid_id == grid_id)))
            assert {"grid_worker", "grid_leader"} <= staff
        ages = [AS_OF.year - y for y in s.scalars(select(Resident.birth_year))]
        assert sum(a < 14 for a in ages) > 600 and sum(a >= 60 for a in ages) > 1200
        tags = Counter(t for row in s.scalars(select(Resident.care_tags)) for t in row.split(",") if t)
        assert set(tags) <= {"elderly_alone", "elderly", "disabled", "veteran", "low_income", "child"}
        assert all(tags[t] > 0 for t in ("elderly_alone", "elderly", "disabled", "veteran", "low_income", "child"))
        buildings = s.execute(
            select(Estate.kind, Estate.code, func.count(Building.id))
            .join(Building, Building.estate_id == Estate.id)
            .group_by(Estate.id, Estate.kind, Estate.code)
        ).all()
        for kind, code, n in buildings:
            assert (10 <= n <= 20) if kind == "residential" else (2 <= n <= 4), code


def test_cases_cover_every_category_source_and_state(demo):
    engine, _ = demo
    with reading(engine) as s:
        cats = set(s.scalars(select(Category.code).join(Event, Event.category_id == Category.id).distinct()))
        assert cats == {c.code for c in catalog.CATEGORIES}
        assert set(s.scalars(select(Event.source).distinct())) == set(catalog.SOURCES)
        statuses = dict(s.execute(select(Event.status, func.count()).group_by(Event.status)).all())
        total = sum(statuses.values())
        assert set(statuses) == set(catalog.STATUSES)
        assert 0.8 <= statuses["closed"] / total <= 0.92
        overdue = s.scalar(select(func.count()).where(Event.status.in_(OPEN_WORK), Event.due_at < AS_OF))
        assert overdue >= 3
        reopened = s.scalar(select(func.count()).where(Event.reopen_count > 0))
        assert 0.03 <= reopened / total <= 0.08
        assert s.scalar(select(func.count()).where(Event.level == 4)) >= 0.01 * total
        today = datetime.combine(AS_OF.date(), datetime.min.time())
        assert s.scalar(select(func.count()).where(Event.reported_at >= today, Event.reported_at < AS_OF)) >= 5
        late = s.scalar(select(func.count()).where(Event.status == "closed", Event.closed_at > Event.due_at))
        assert 0 < late < 0.3 * total
        assert s.scalar(select(func.min(Event.reported_at))) >= AS_OF - timedelta(days=366)
        english = s.scalar(select(func.count()).where(Event.description.op("GLOB")("*[a-z][a-z][a-z][a-z]*")))
        assert 0.1 <= english / total <= 0.2
        urgent = " ".join(s.scalars(select(Event.description).where(Event.grade == "urgent")))
        for words in (("困人", "trapped"), ("煤气味", "gas"), ("进水", "漫进", "entering homes"), ("电线裸露", "wires"),
                      ("井盖", "manhole")):  # fmt: skip
            assert any(w in urgent for w in words), words
        recent = s.execute(select(Event.status).where(Event.reported_at >= AS_OF - timedelta(days=2))).scalars().all()
        assert sum(st in catalog.OPEN_STATUSES for st in recent) >= 0.4 * len(recent)
        old = s.execute(select(Event.status).where(Event.reported_at < AS_OF - timedelta(days=60))).scalars().all()
        assert sum(st in catalog.OPEN_STATUSES for st in old) <= 0.01 * len(old)


def test_case_trails_match_the_cases(demo):
    engine, _ = demo
    with reading(engine) as s:
        events = {e.id: e for e in s.scalars(select(Event))}
        s.expunge_all()
        trails = defaultdict(list)
        for a in s.scalars(select(EventAction).order_by(EventAction.event_id, EventAction.id)):
            trails[a.event_id].append(a)
        s.expunge_all()
        users = dict(s.execute(select(User.id, User.role)).all())
        estates = dict(s.execute(select(Estate.id, Estate.community_id)).all())
        building_grid = dict(s.execute(select(Building.id, Building.grid_id)).all())
    level_role = {1: {"grid_worker"}, 2: {"grid_leader"}, 3: {"secretary"}, 4: {"street_cadre", "department"}}
    codes = set()
    for e in events.values():
        acts = trails[e.id]
        assert acts and acts[0].action == "report" and acts[0].at == e.reported_at
        assert all(a.at < b.at for a, b in zip(acts, acts[1:], strict=False)), e.tracking_code
        assert acts[-1].at <= AS_OF and e.updated_at == acts[-1].at
        assert e.status == acts[-1].to_status and e.level == acts[-1].to_level
        assert e.reopen_count == sum(a.action == "reopen" for a in acts)
        assert e.escalation_count == sum(a.action == "escalate" for a in acts)
        assert e.level == 1 + sum(a.action in ("escalate", "push_up") for a in acts)
        for a in acts:
            if a.action == "escalate":
                assert a.actor_label == "system" and a.actor_id is None and a.to_level == a.from_level + 1
        assert (e.closed_at is not None) == (e.status == "closed")
        assert (e.resolved_at is not None) == (e.status in ("resolved", "closed"))
        if e.status == "closed":
            assert e.closed_at == acts[-1].at and acts[-1].action == "verify"
            assert e.resolved_at == max(a.at for a in acts if a.action == "resolve")
        if e.status in ("reported", "in_progress", "resolved", "closed"):
            assert users[e.holder_id] in level_role[e.level]
            assert e.due_at is not None
        assert re.fullmatch(r"DX[A-Z2-7]{8}", e.tracking_code) and e.tracking_code not in codes
        codes.add(e.tracking_code)
        assert e.grid_id == building_grid[e.building_id] and estates[e.estate_id] == e.community_id
        assert 0.6 <= e.grade_confidence <= 0.99 and e.grade_cues
        if e.status == "duplicate":
            first = events[e.duplicate_of_id]
            assert first.category_id == e.category_id and first.reported_at < e.reported_at
            metres = math.hypot((first.lat - e.lat) * 111_000, (first.lon - e.lon) * 96_200)
            assert metres < 50 and acts[-1].action == "link_duplicate"
        else:
            assert e.duplicate_of_id is None
        if e.source == "iot":
            assert re.fullmatch(r"alarm-\d{6}", e.source_ref)


def test_the_parking_history_gives_126_by_day_and_182_by_night(demo):
    engine, _ = demo
    with reading(engine) as s:
        lots = s.scalars(select(ParkingLot).order_by(ParkingLot.id)).all()
        s.expunge_all()
        rows = s.execute(select(ParkingSample.lot_id, ParkingSample.sampled_at, ParkingSample.occupied)).all()
    samples = pd.DataFrame(rows, columns=["lot_id", "sampled_at", "occupied"])
    samples["sampled_at"] = pd.to_datetime(samples["sampled_at"])
    assert (samples["sampled_at"].dt.minute % 15 == 0).all() and (samples["sampled_at"] <= AS_OF).all()
    assert samples["sampled_at"].min() <= AS_OF - timedelta(days=89)

    def shareable(lot: ParkingLot, end_inclusive: bool) -> float:
        df = samples[samples["lot_id"] == lot.id]
        ts = df["sampled_at"]
        minute = ts.dt.hour * 60 + ts.dt.minute
        start = int(lot.window_start[:2]) * 60 + int(lot.window_start[3:])
        end = int(lot.window_end[:2]) * 60 + int(lot.window_end[3:])
        before_end = (minute <= end) if end_inclusive else (minute < end)
        if start < end:
            inside, day = (minute >= start) & before_end, ts.dt.normalize()
        else:  # overnight: the morning part belongs to the window that started the evening before
            inside = (minute >= start) | before_end
            day = ts.dt.normalize() - pd.to_timedelta((minute < start).astype(int), unit="D")
        recent = day >= pd.Timestamp(AS_OF.date()) - pd.Timedelta(weeks=lot.history_weeks)
        keep = inside & recent & ((day.dt.day_of_week < 5) if lot.weekdays_only else True)
        per_slot = df[keep].groupby(minute[keep])["occupied"].quantile(lot.quantile)
        assert len(per_slot) >= 40
        return lot.capacity - per_slot.max() - lot.safety_buffer

    expected = {"P-junjing": 42, "P-yitian": 40, "P-fengshang": 44, "P-eastcom": 102, "P-zhicheng": 80}
    for end_inclusive in (False, True):
        totals = Counter()
        for lot in lots:
            value = shareable(lot, end_inclusive)
            assert value == expected[lot.code], (lot.code, value)
            totals[lot.share_window] += value
        assert totals == {"day": 126, "night": 182}

    # the shapes: residential lots full at night, office parks full by weekday daytime
    hour = samples["sampled_at"].dt.hour
    weekday = samples["sampled_at"].dt.day_of_week < 5
    for lot in lots:
        df = samples[samples["lot_id"] == lot.id]
        night = df[(hour[df.index] >= 22) | (hour[df.index] < 5)]["occupied"].mean() / lot.capacity
        noon = df[weekday[df.index] & (hour[df.index].between(11, 14))]["occupied"].mean() / lot.capacity
        if lot.share_window == "day":
            assert 0.85 <= night <= 0.97 and noon < 0.7
        else:
            assert night < 0.15 and noon > 0.8
        assert df["occupied"].between(0, lot.capacity).all()


def test_devices_alarms_and_telemetry(demo):
    engine, _ = demo
    with reading(engine) as s:
        kinds = dict(s.execute(select(Device.kind, func.count()).group_by(Device.kind)).all())
        assert kinds["fire_pump"] == 10 and kinds["flood_stock"] == 5 and kinds["elevator"] > 80
        expiring = [
            (datetime.fromisoformat(a["expires_on"]) - AS_OF).days
            for a in s.scalars(select(Device.attributes).where(Device.kind == "extinguisher"))
        ]
        assert any(0 <= d < 30 for d in expiring) and any(d < 0 for d in expiring)
        active = s.execute(
            select(Alarm.alarm_type, Alarm.severity, Alarm.acknowledged).where(Alarm.status == "active")
        ).all()
        assert sorted(active) == [
            ("door_fault", "major", True),
            ("expiring", "minor", False),
            ("silent", "warning", False),
        ]
        assert 140 <= s.scalar(select(func.count(Alarm.id))) <= 170
        assert s.scalar(select(func.max(Alarm.cleared_at))) <= AS_OF
        trapped = s.execute(
            select(Event.grade, Event.source, Event.source_ref, Category.code)
            .join(Alarm, Alarm.event_id == Event.id)
            .join(Category, Category.id == Event.category_id)
            .where(Alarm.alarm_type == "trapped_passenger")
        ).all()
        assert len(trapped) >= 2
        assert all(g == "urgent" and src == "iot" and cat == "elevator_fault" for g, src, _ref, cat in trapped)


def test_doors_welfare_ballots_and_indicators(demo):
    engine, _ = demo
    with reading(engine) as s:
        people = s.scalar(select(func.count(func.distinct(AccessEvent.person_pid))))
        assert 180 <= people <= 220
        first = s.scalar(select(func.min(AccessEvent.at)))
        assert AS_OF - timedelta(days=14) <= first and s.scalar(select(func.max(AccessEvent.at))) <= AS_OF
        pids = list(s.scalars(select(AccessEvent.person_pid).distinct()))
        assert all(re.fullmatch(r"p-[0-9a-f]{12}", p) for p in pids)
        watches = s.execute(
            select(WelfareWatch, Resident.care_tags).join(Resident, Resident.id == WelfareWatch.resident_id)
        ).all()
        secretary = s.scalar(select(User.id).where(User.username == "secretary"))
        assert len(watches) == 3
        for watch, tags in watches:
            assert "elderly_alone" in tags and watch.person_pid in pids and watch.threshold_hours == 24
            assert watch.consent_recorded_by == secretary and watch.consent_given_by == "本人"

        months = sorted(s.scalars(select(Ballot.month).distinct()))
        assert months == [_month(k) for k in range(12, 0, -1)]
        per_month = s.execute(
            select(Estate.code, Ballot.month, func.count(), func.avg(Ballot.fire_safety))
            .join(Estate, Estate.id == Ballot.estate_id)
            .group_by(Estate.code, Ballot.month)
        ).all()
        households = dict(
            s.execute(
                select(Estate.code, func.count(Household.id))
                .join(Building, Building.estate_id == Estate.id)
                .join(Household, Household.building_id == Building.id)
                .group_by(Estate.code)
            ).all()
        )
        for code, month, n, fire in per_month:
            assert 0.24 <= n / households[code] <= 0.46
            if code == "fengshang" and month == _month(4):
                assert 2.2 <= fire <= 2.6
        red_property = s.scalar(
            select(func.avg(IndicatorScore.score))
            .join(IndicatorDef, IndicatorDef.id == IndicatorScore.indicator_id)
            .join(Estate, Estate.id == IndicatorScore.estate_id)
            .where(Estate.code == "fengshang", IndicatorScore.month == _month(4), IndicatorDef.group_code == "property")
        )
        assert 45 <= red_property <= 55
        assert s.scalar(select(func.count(IndicatorScore.id))) == 3 * 32 * 12


def test_talents_and_service_requests(demo):
    engine, _ = demo
    with reading(engine) as s:
        talents = s.scalars(select(Talent)).all()
        assert 50 <= len(talents) <= 70
        covered = {code for t in talents for code in t.specialties}
        assert covered == {code for code, _zh, _en in catalog.SPECIALTIES}
        assert sum("legal" in t.specialties and "en" in t.languages for t in talents) >= 3
        assert {t.team for t in talents} <= {zh for zh, _en in catalog.TALENT_TEAMS}
        requests = s.scalars(select(ServiceRequest)).all()
        assert 250 <= len(requests) <= 350
        assert {r.status for r in requests} == set(catalog.SERVICE_REQUEST_STATUSES)
        # a language gap: nobody with the request's specialty speaks its language (domain.services)
        spoken = {(code, lang) for t in talents for code in t.specialties for lang in t.languages}
        gaps = [r for r in requests if r.language_gap]
        assert gaps and all(r.language_gap == ((r.specialty_code, r.language) not in spoken) for r in requests)
        assert {"en", "ko", "ja"} <= {r.language for r in requests}
        for r in requests:
            assert (r.talent_id is not None) == (r.matched_at is not None)
            if r.status == "rated":
                assert 3 <= r.rating <= 5 and r.requested_at < r.matched_at < r.done_at < r.rated_at <= AS_OF


def test_seeding_twice_is_refused_and_changes_nothing(demo):
    engine, _ = demo
    before = _digests(engine)
    with pytest.raises(ValueError):
        build_demo(engine, as_of=AS_OF)
    assert _digests(engine) == before
