"""Which stored result is current (the latest computation, not the latest row), the overstay check on
counters that do not report on the quarter hour, and what the API tells about each result."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from app import create_app
from data_access.db import reading, writing
from data_access.models import Event, ParkingLot, ParkingSample, ShareableCapacity
from data_access.parking import current_shareable, replace_results
from data_access.permits import window_lots
from data_access.tokens import issue_token
from domain.parking import OVERSTAY_CHECK_AFTER, history_days, window_bounds
from jobs import parking, parking_overstay
from tests.conftest import DEMO_AS_OF
from tests.factories import tiny_community

RUN_AT = DEMO_AS_OF + timedelta(hours=10)  # 01:30 the next night


def test_a_backfill_for_an_earlier_time_never_displaces_the_latest_computation(demo_engine):
    first = parking.run(demo_engine, RUN_AT)
    assert (first["day_shareable"], first["night_shareable"]) == (126, 182)
    # settings change, then a backfill recomputes two earlier nights with them: those rows are newer
    # (greater ids) but were computed for earlier times, so they are history, not the current figure
    with writing(demo_engine) as s:
        s.execute(update(ParkingLot).where(ParkingLot.code == "P-junjing").values(safety_buffer=20))
    for days in (1, 3):
        backfilled = parking.run(demo_engine, RUN_AT - timedelta(days=days))
        assert backfilled["day_shareable"] == 116  # 42 - 10 more of buffer at 君景庭
    with writing(demo_engine) as s:
        s.execute(update(ParkingLot).where(ParkingLot.code == "P-junjing").values(safety_buffer=10))
    with reading(demo_engine) as s:
        rows = current_shareable(s)
        newest_row = s.scalar(select(ShareableCapacity.computed_at).order_by(ShareableCapacity.id.desc()).limit(1))
        offered = {lot["lot"]: lot["shareable"] for lot in window_lots(s, "day")}
    assert newest_row == RUN_AT - timedelta(days=3)  # the highest id is the oldest computation
    assert {r["computed_at"] for r in rows} == {RUN_AT} and len(rows) == 5
    by_lot = {r["lot"]: r for r in rows}
    assert by_lot["P-junjing"]["shareable"] == 42 and by_lot["P-junjing"]["parameters"]["safety_buffer"] == 10
    assert sum(r["shareable"] for r in rows if r["window"] == "day") == 126
    assert sum(r["shareable"] for r in rows if r["window"] == "night") == 182
    assert offered["P-junjing"] == 42  # permits are allocated against the current figure too

    # a later computation takes over, even when it runs before an older backfill is written again
    parking.run(demo_engine, RUN_AT + timedelta(days=1))
    parking.run(demo_engine, RUN_AT - timedelta(days=2))
    with reading(demo_engine) as s:
        assert {r["computed_at"] for r in current_shareable(s)} == {RUN_AT + timedelta(days=1)}


def _shift_overstay_samples(engine, lot_code: str, check: datetime, minutes: int) -> None:
    """Move the lot's samples at the check time and at the same moment of every earlier window of the
    history by `minutes` (alternately later and earlier), as a counter off the quarter hour reports."""
    with writing(engine) as s:
        lot = s.scalar(select(ParkingLot).where(ParkingLot.code == lot_code))
        settings_end = [
            window_bounds(d, _settings(lot))[1] + OVERSTAY_CHECK_AFTER for d in history_days(check, _settings(lot))
        ]
        moments = [m for m in settings_end if m <= check]
        for n, moment in enumerate(moments):
            shift = minutes if n % 2 == 0 or moment == check else -minutes
            s.execute(
                update(ParkingSample)
                .where(ParkingSample.lot_id == lot.id, ParkingSample.sampled_at == moment)
                .values(sampled_at=moment + timedelta(minutes=shift))
            )


def _settings(lot):
    from data_access.parking import lot_settings

    return lot_settings(lot)


def test_overstay_reads_the_sample_nearest_the_check_time(demo_engine):
    check = datetime(2026, 11, 19, 18, 30)  # Thursday: half an hour after the day window closed
    _shift_overstay_samples(demo_engine, "P-yitian", check, 4)  # 18:34 / 18:26: nothing on 18:30 itself
    with writing(demo_engine) as s:
        lot_id = s.scalar(select(ParkingLot.id).where(ParkingLot.code == "P-yitian"))
        assert s.scalar(select(ParkingSample.id).where(ParkingSample.lot_id == lot_id,
                                                       ParkingSample.sampled_at == check)) is None  # fmt: skip
        s.execute(
            update(ParkingSample)
            .where(ParkingSample.lot_id == lot_id, ParkingSample.sampled_at == check + timedelta(minutes=4))
            .values(occupied=379)  # shared cars did not leave
        )
    # the 18:30 run finds 18:34 (4 min off) standing for 18:30, and the baseline from the shifted history
    raised = parking_overstay.run(demo_engine, check, margin=15)
    assert raised["raised"] == "P-yitian"
    with reading(demo_engine) as s:
        description = s.scalar(
            select(Event.description).where(Event.source_ref == "overstay:P-yitian:2026-11-19T18:30")
        )
    assert description is not None and "379" in description
    # the next run looks once more (a counter reporting late) but the case is opened once per lot and window
    again = parking_overstay.run(demo_engine, check + timedelta(minutes=15), margin=15)
    assert again["rows"] == 0 and again["checked"] == 3


def test_a_counter_reporting_late_is_judged_on_the_next_run(demo_engine):
    check = datetime(2026, 11, 18, 18, 30)  # Wednesday
    with writing(demo_engine) as s:
        lot_id = s.scalar(select(ParkingLot.id).where(ParkingLot.code == "P-fengshang"))
        s.execute(
            update(ParkingSample)
            .where(ParkingSample.lot_id == lot_id, ParkingSample.sampled_at == check)
            .values(sampled_at=check + timedelta(minutes=5), occupied=455)
        )
    # a run 15 minutes after the check, with the 18:35 sample in: still judged, within the tolerance
    late = parking_overstay.run(demo_engine, check + timedelta(minutes=15), margin=15)
    assert "P-fengshang" in late["raised"]
    # a sample 8 minutes off is not the check time's count: nothing to judge
    other = datetime(2026, 11, 17, 18, 30)
    with writing(demo_engine) as s:
        s.execute(
            update(ParkingSample)
            .where(ParkingSample.lot_id == lot_id, ParkingSample.sampled_at == other)
            .values(sampled_at=other + timedelta(minutes=8), occupied=455)
        )
    assert parking_overstay.run(demo_engine, other + timedelta(minutes=10), margin=15)["rows"] == 0


# --- a hand-made store: ties, window changes, the API ---------------------------------------------

NOW = datetime(2026, 11, 25, 10, 0)


@pytest.fixture
def store(sqlite_engine):
    place = tiny_community(sqlite_engine, with_users=False)
    with writing(sqlite_engine) as s:
        day = ParkingLot(
            estate_id=place["estate_id"],
            code="P-a",
            name_zh="甲车场",
            name_en="Lot A",
            capacity=100,
            share_window="day",
            window_start="08:00",
            window_end="18:00",
            lat=30.2,
            lon=120.2,
        )
        night = ParkingLot(estate_id=place["estate_id"], code="P-b", name_zh="乙车场", name_en="Lot B", capacity=60,
                           share_window="night", window_start="18:00", window_end="08:00", lat=30.2, lon=120.2)  # fmt: skip
        s.add_all([day, night])
        s.flush()
        ids = {"P-a": day.id, "P-b": night.id}
    return sqlite_engine, ids


def _result(lot_id: int, window: str, at: datetime, shareable: int | None, **extra) -> ShareableCapacity:
    status = "published" if shareable is not None else "withheld"
    params = {"capacity": 100, "share_window": window, "window_start": "08:00", "window_end": "18:00",
              "weekdays_only": True, "quantile": 0.9, "history_weeks": 8, "safety_buffer": 5,
              "report": {"samples_expected": 2240, "samples_missing": 40, "coverage": 0.9821, "windows_expected": 40,
                         "windows_with_data": 40, "clamped_over_capacity": 3, "duplicates_in_slot": 0,
                         "negative_dropped": 1}}  # fmt: skip
    return ShareableCapacity(lot_id=lot_id, share_window=window, computed_at=at, status=status, shareable=shareable,
                             peak=None if shareable is None else 95.0 - shareable, parameters=params,
                             data_from=at - timedelta(weeks=8), data_to=at - timedelta(hours=8), samples_used=2200,
                             **extra)  # fmt: skip


def test_a_rerun_for_the_same_time_replaces_its_result_and_only_the_lots_window_counts(store):
    engine, ids = store

    def row(result: ShareableCapacity) -> dict:
        return {c.name: getattr(result, c.name) for c in ShareableCapacity.__table__.columns if c.name != "id"}

    with writing(engine) as s:
        replace_results(s, NOW, [row(_result(ids["P-a"], "day", NOW, 30))])
        s.add(_result(ids["P-a"], "day", NOW - timedelta(days=1), 10))
        s.add(_result(ids["P-b"], "night", NOW - timedelta(days=1), 20))
        s.add(_result(ids["P-b"], "day", NOW, 50))  # computed when P-b shared by day: not its window now
    with writing(engine) as s:  # the same computation written again (a replay, or a second scheduler)
        replace_results(s, NOW, [row(_result(ids["P-a"], "day", NOW, 33))])
    with reading(engine) as s:
        rows = {r["lot"]: r for r in current_shareable(s)}
        stored = s.scalars(select(ShareableCapacity.shareable).where(ShareableCapacity.computed_at == NOW)).all()
    assert rows["P-a"]["shareable"] == 33 and sorted(stored) == [33, 50]  # replaced, not stored twice
    assert rows["P-b"]["window"] == "night" and rows["P-b"]["shareable"] == 20


def test_the_api_gives_each_results_parameters_data_span_and_reason(store, tmp_path):
    engine, ids = store
    with writing(engine) as s:
        s.add(_result(ids["P-a"], "day", NOW, 30))
        s.add(_result(ids["P-b"], "night", NOW, None, reason="gaps"))
        token = issue_token(s, "machine", "signage", NOW)
    app = create_app({"instance_dir": str(tmp_path / "i"), "database_url": str(engine.url)})
    body = app.server.test_client().get("/api/v1/parking/shareable", headers={"Authorization": f"Bearer {token}"})
    assert body.status_code == 200
    lots = {r["lot"]: r for r in body.get_json()["lots"]}
    a, b = lots["P-a"], lots["P-b"]
    assert a["status"] == "published" and a["shareable"] == 30 and a["peak"] == 65.0 and a["reason"] is None
    assert a["parameters"] == {"capacity": 100, "share_window": "day", "window_start": "08:00", "window_end": "18:00",
                               "weekdays_only": True, "quantile": 0.9, "history_weeks": 8, "safety_buffer": 5}  # fmt: skip
    data = a["data"]
    assert data["first_sample"] == (NOW - timedelta(weeks=8)).isoformat()
    assert data["last_sample"] == (NOW - timedelta(hours=8)).isoformat()
    assert data["samples_used"] == 2200 and data["samples_expected"] == 2240 and data["coverage"] == 0.9821
    assert data["weeks"] == pytest.approx(7.95, abs=0.05) and data["history_weeks"] == 8
    assert (data["clamped_over_capacity"], data["negative_dropped"], data["samples_missing"]) == (3, 1, 40)
    assert b["status"] == "withheld" and b["shareable"] is None and b["reason"] == "gaps"
    assert b["reason_text"] == "too many samples missing in the history" and b["data"]["samples_used"] == 2200
    assert body.get_json()["totals"] == {"day": 30, "night": 0}
    spec = app.server.test_client().get("/api/v1/openapi.json").get_json()
    assert "data" in spec["paths"]["/parking/shareable"]["get"]["description"]
