"""The store on SQLite and PostgreSQL: migrations, engine settings, idempotency keys, queries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import IntegrityError

from data_access.db import reading, writing
from data_access.hotspots import kpis, latest_cases
from data_access.migrate import current_revision, head_revisions
from data_access.models import (
    AccessEvent,
    Alarm,
    Ballot,
    Base,
    CaseDailyRollup,
    Device,
    Event,
    Household,
    IndicatorScore,
    ParkingLot,
    ParkingSample,
    ShareableCapacity,
    Telemetry,
    User,
)
from data_access.scope import community_ids_for
from data_access.users import attempt_login
from jobs import rollups
from tests.factories import NOW, add_case, tiny_community


def test_migration_head_matches_the_models(engine):
    assert current_revision(engine) == head_revisions()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), Base.metadata)
    assert diff == []


def test_sqlite_runs_wal_with_foreign_keys_and_a_busy_timeout(sqlite_engine):
    with sqlite_engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000


def test_sqlite_writes_take_the_lock_at_begin(sqlite_engine, tmp_path):
    """A second writer cannot start while the first holds BEGIN IMMEDIATE; a reader still can."""
    import sqlite3

    place = tiny_community(sqlite_engine, with_users=False)
    path = sqlite_engine.url.database
    with writing(sqlite_engine) as s:
        s.execute(text("UPDATE estate SET name_en = 'held' WHERE id = :id"), {"id": place["estate_id"]})
        other = sqlite3.connect(path, timeout=0.1, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        assert other.execute("SELECT count(*) FROM estate").fetchone()[0] == 1
        other.close()


def test_a_failed_write_leaves_nothing_half_written(engine):
    place = tiny_community(engine, with_users=False)
    with pytest.raises(IntegrityError), writing(engine) as s:
        s.execute(text("UPDATE estate SET name_en = 'changed' WHERE id = :id"), {"id": place["estate_id"]})
        s.add(Household(external_id="h1", building_id=place["building_id"], unit=1, room="101", size=2))
        s.add(Household(external_id="h1", building_id=place["building_id"], unit=1, room="102", size=2))
        s.flush()
    with reading(engine) as s:
        assert s.scalar(text("SELECT name_en FROM estate")) == "Estate One"
        assert s.scalar(select(func.count(Household.id))) == 0


def test_foreign_keys_are_enforced(engine):
    tiny_community(engine, with_users=False)
    with pytest.raises(IntegrityError), writing(engine) as s:
        s.add(Household(external_id="h9", building_id=999_999, unit=1, room="101", size=1))
        s.flush()


def test_machine_written_tables_reject_a_replayed_natural_key(engine):
    place = tiny_community(engine, with_users=False)
    with writing(engine) as s:
        lot = ParkingLot(
            estate_id=place["estate_id"], code="P1", name_zh="车场", name_en="Lot", capacity=100, share_window="day",
            window_start="08:00", window_end="18:00", lat=30.2, lon=120.2,
        )  # fmt: skip
        device = Device(code="EL-1", kind="elevator", estate_id=place["estate_id"], name_zh="电梯", name_en="Lift")
        s.add_all([lot, device])
        s.flush()
        ids = {"lot": lot.id, "device": device.id}
    at = datetime(2026, 11, 1, 8, 0)
    cases = [
        (ParkingSample, {"lot_id": ids["lot"], "sampled_at": at, "occupied": 10}),
        (Telemetry, {"device_id": ids["device"], "ts": at, "metric": "trips", "value": 3.0}),
        (
            AccessEvent,
            {
                "community_id": place["community_id"],
                "source": "door",
                "source_id": "x1",
                "person_pid": "p1",
                "gate": "north",
                "direction": "in",
                "at": at,
            },
        ),  # fmt: skip
        (
            ShareableCapacity,
            {
                "lot_id": ids["lot"],
                "share_window": "day",
                "computed_at": at,
                "status": "published",
                "shareable": 5,
                "parameters": {},
            },
        ),  # fmt: skip
        (IndicatorScore, None),
    ]
    for model, row in cases:
        if row is None:
            continue
        with writing(engine) as s:
            s.execute(insert(model), [row])
        with pytest.raises(IntegrityError), writing(engine) as s:
            s.execute(insert(model), [row])
    add_case(engine, place, "dup-1", at)
    with pytest.raises(IntegrityError):
        add_case(engine, place, "dup-1", at)


def test_one_active_alarm_per_device_and_type(engine):
    place = tiny_community(engine, with_users=False)
    at = datetime(2026, 11, 1, 8, 0)
    with writing(engine) as s:
        device = Device(code="EL-2", kind="elevator", estate_id=place["estate_id"], name_zh="电梯", name_en="Lift")
        s.add(device)
        s.flush()
        device_id = device.id
    row = {"device_id": device_id, "alarm_type": "door_fault", "severity": "major", "raised_at": at, "last_seen_at": at}
    with writing(engine) as s:
        s.execute(
            insert(Alarm), [{**row, "status": "cleared"}, {**row, "status": "cleared"}, {**row, "status": "active"}]
        )
    with pytest.raises(IntegrityError), writing(engine) as s:
        s.execute(insert(Alarm), [{**row, "status": "active"}])


def test_one_ballot_per_household_per_month_and_scores_in_range(engine):
    place = tiny_community(engine, with_users=False)
    with writing(engine) as s:
        hh = Household(external_id="h1", building_id=place["building_id"], unit=1, room="101", size=2)
        s.add(hh)
        s.flush()
        hh_id = hh.id
    aspects = dict(fire_safety=4, elevator=4, garbage_sorting=3, property_management=5, sanitation=4,
                   epidemic_prevention=4, dog_keeping=3)  # fmt: skip
    vote = {"household_id": hh_id, "estate_id": place["estate_id"], "month": "2026-10", "cast_at": NOW, **aspects}
    with writing(engine) as s:
        s.execute(insert(Ballot), [vote])
    with pytest.raises(IntegrityError), writing(engine) as s:
        s.execute(insert(Ballot), [vote])
    with pytest.raises(IntegrityError), writing(engine) as s:
        s.execute(insert(Ballot), [{**vote, "month": "2026-09", "fire_safety": 6}])


def test_login_locks_after_five_failures_in_the_window(engine):
    tiny_community(engine)
    limits = dict(max_failures=5, window_seconds=300, lock_seconds=900)
    t0 = NOW
    for i in range(4):
        with writing(engine) as s:
            assert attempt_login(s, "c1_admin", "wrong", t0 + timedelta(seconds=i), "127.0.0.1", **limits).error == (
                "login.error.invalid"
            )
    with writing(engine) as s:
        assert (
            attempt_login(s, "c1_admin", "wrong", t0 + timedelta(seconds=5), None, **limits).error
            == "login.error.locked"
        )
    with writing(engine) as s:  # the right password does not help while locked
        assert attempt_login(s, "c1_admin", "pw-admin", t0 + timedelta(minutes=1), None, **limits).user is None
    with writing(engine) as s:  # after the lock it works again
        result = attempt_login(s, "c1_admin", "pw-admin", t0 + timedelta(minutes=16), None, **limits)
    assert result.user is not None and result.user.role == "admin"
    with reading(engine) as s:
        assert s.scalar(select(User.password_hash).where(User.username == "c1_admin")).startswith(
            ("scrypt:", "pbkdf2:")
        )


def test_failures_spread_beyond_the_window_do_not_lock(engine):
    tiny_community(engine)
    limits = dict(max_failures=5, window_seconds=300, lock_seconds=900)
    for i in range(6):
        with writing(engine) as s:
            result = attempt_login(s, "c1_viewer", "wrong", NOW + timedelta(minutes=2 * i), None, **limits)
        assert result.error == "login.error.invalid"


def test_hotspot_kpis_count_new_open_overdue_and_on_time(engine):
    place = tiny_community(engine, with_users=False)
    other = tiny_community(engine, code="c2", with_users=False)
    now = NOW
    add_case(engine, place, "a", now - timedelta(hours=2))  # new today, open, not yet due
    add_case(
        engine, place, "b", now - timedelta(days=2), status="in_progress", due_at=now - timedelta(hours=1)
    )  # overdue
    add_case(engine, place, "c", now - timedelta(days=3), status="closed", due_at=now - timedelta(days=2),
             resolved_at=now - timedelta(days=2, hours=1), closed_at=now - timedelta(days=1))  # fmt: skip # on time
    add_case(engine, place, "d", now - timedelta(days=4), status="closed", due_at=now - timedelta(days=3),
             resolved_at=now - timedelta(days=2), closed_at=now - timedelta(days=2))  # fmt: skip # late
    add_case(engine, other, "z", now - timedelta(hours=1))  # another community: never counted
    with reading(engine) as s:
        figures = kpis(s, [place["community_id"]], now)
        latest = latest_cases(s, [place["community_id"]])
    assert figures["new_today"] == 1
    assert figures["open"] == 2
    assert figures["overdue"] == 1
    assert (figures["on_time_closed"], figures["due_to_close"]) == (1, 3)
    assert figures["on_time_rate"] == pytest.approx(1 / 3)
    assert [c["tracking_code"] for c in latest] == ["Ta", "Tb", "Tc", "Td"]


def test_rollups_job_counts_per_day_and_is_safe_to_rerun(engine):
    place = tiny_community(engine, with_users=False)
    add_case(engine, place, "a", NOW - timedelta(days=1, hours=1))
    add_case(engine, place, "b", NOW - timedelta(days=1, hours=2), status="closed", due_at=NOW,
             resolved_at=NOW - timedelta(hours=3), closed_at=NOW - timedelta(hours=2))  # fmt: skip
    first = rollups.run(engine, NOW)
    second = rollups.run(engine, NOW)
    assert first == second == {"rows": 2}
    with reading(engine) as s:
        rows = {(r.day.isoformat(), r.opened, r.closed, r.closed_on_time) for r in s.scalars(select(CaseDailyRollup))}
    yesterday, today = (NOW - timedelta(days=1)).date().isoformat(), NOW.date().isoformat()
    assert rows == {(yesterday, 2, 0, 0), (today, 0, 1, 1)}


def test_scope_is_the_users_community(engine):
    place = tiny_community(engine)
    tiny_community(engine, code="c2")
    with reading(engine) as s:
        assert community_ids_for(s, place["users"]["admin"]) == [place["community_id"]]
        assert s.scalar(select(func.count(Event.id))) == 0


def test_the_natural_key_migration_keeps_the_newest_of_results_stored_twice(engine):
    """Before 0009 two racing parking runs could store one result twice; the upgrade keeps the later row."""
    from alembic import command

    from data_access.migrate import alembic_config

    place = tiny_community(engine, with_users=False)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "0008_wall_settings")
    at = datetime(2026, 11, 1, 1, 30)
    with writing(engine) as s:
        lot = ParkingLot(
            estate_id=place["estate_id"], code="P1", name_zh="车场", name_en="Lot", capacity=100, share_window="day",
            window_start="08:00", window_end="18:00", lat=30.2, lon=120.2,
        )  # fmt: skip
        s.add(lot)
        s.flush()
        for shareable in (30, 33):
            s.add(ShareableCapacity(lot_id=lot.id, share_window="day", computed_at=at, status="published",
                                    shareable=shareable, parameters={}))  # fmt: skip
            s.flush()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")
    assert current_revision(engine) == head_revisions()
    with reading(engine) as s:
        assert s.scalars(select(ShareableCapacity.shareable)).all() == [33]
