"""The tidal-parking method on hand-made series with known answers (DESIGN.md 5.4)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
import pytest

from domain.parking import LotSettings, compute_shareable, history_days, slots_per_window, window_bounds

DAY = LotSettings(capacity=100, share_window="day", window_start="08:00", window_end="18:00", safety_buffer=5)
NIGHT = LotSettings(capacity=50, share_window="night", window_start="18:00", window_end="08:00", safety_buffer=2)
NOW = datetime(2026, 11, 25, 2, 0)  # Wednesday night


def series(settings: LotSettings, value_at, now: datetime = NOW, every: timedelta = timedelta(minutes=15)):
    """Samples every 15 minutes over the last 10 weeks, value_at(moment) -> count or None (gap)."""
    times, counts = [], []
    moment = datetime.combine(now.date() - timedelta(weeks=10), datetime.min.time())
    while moment < now:
        value = value_at(moment)
        if value is not None:
            times.append(np.datetime64(moment, "m"))
            counts.append(value)
        moment += every
    return np.array(times, dtype="datetime64[m]"), np.array(counts)


def test_windows_and_history_days():
    assert window_bounds(date(2026, 11, 23), NIGHT) == (datetime(2026, 11, 23, 18), datetime(2026, 11, 24, 8))
    assert slots_per_window(DAY) == 40 and slots_per_window(NIGHT) == 56
    days = history_days(NOW, DAY)
    assert days[-1] == date(2026, 11, 24)  # the last closed day window (today's is still ahead)
    assert len(days) == 40 and all(d.weekday() < 5 for d in days)
    nights = history_days(NOW, NIGHT)
    assert nights[-1] == date(2026, 11, 23)  # the night of the 24th is still running at 02:00


def test_flat_occupancy_gives_capacity_minus_level_minus_buffer():
    times, counts = series(DAY, lambda m: (60 if m.minute == 0 else 58) if 8 <= m.hour < 18 else 10)
    result = compute_shareable(times, counts, DAY, NOW)
    assert result.status == "published" and result.peak == 60 and result.shareable == 35


def test_quantile_ignores_a_rare_spike_but_not_a_frequent_one():
    def rare(m):  # one weekday in the 8 weeks has 95 at 10:00, the others 40
        return 95 if (m.date() == date(2026, 11, 10) and m.hour == 10 and m.minute == 0) else 40

    result = compute_shareable(*series(DAY, rare), DAY, NOW)
    assert result.status == "published" and result.peak < 60 and result.shareable == 100 - 5 - int(np.ceil(result.peak))

    def frequent(m):  # every Monday and Tuesday at 10:00 the lot is at 90
        return 90 if (m.weekday() in (0, 1) and m.hour == 10 and m.minute == 0) else 40

    result = compute_shareable(*series(DAY, frequent), DAY, NOW)
    assert result.peak == pytest.approx(90) and result.shareable == 5


def test_exact_quantile_on_known_values():
    """40 weekday windows; at 12:00 the values are 1..40: the 0.9 quantile (linear) is 36.1."""
    days = history_days(NOW, DAY)
    rank = {d: i + 1 for i, d in enumerate(days)}

    def value(m):
        if m.date() in rank and m.hour == 12 and m.minute == 0:
            return rank[m.date()]
        return 3 if m.minute == 15 else 2

    result = compute_shareable(*series(DAY, value), DAY, NOW)
    assert result.peak == pytest.approx(36.1)
    assert result.shareable == 100 - 5 - 37  # 58.9 floors to 58


def test_weekends_do_not_count_for_a_weekday_lot():
    result = compute_shareable(*series(DAY, lambda m: 99 if m.weekday() >= 5 else 30 + (m.minute == 30)), DAY, NOW)
    assert result.status == "published" and result.peak <= 31 and result.shareable == 100 - 5 - 31


def test_night_window_runs_past_midnight():
    def value(m):
        if m.hour >= 18 or m.hour < 8:
            return 20 if (m.hour, m.minute) == (7, 45) else 10
        return 45

    result = compute_shareable(*series(NIGHT, value), NIGHT, NOW)
    assert result.status == "published" and result.peak == pytest.approx(20)
    assert result.shareable == 50 - 20 - 2
    assert result.report["peak_slot"] == 55  # 07:45, the last slot of the night


def test_counts_above_capacity_are_clamped_and_reported():
    result = compute_shareable(*series(DAY, lambda m: 130 if m.hour == 9 else 50), DAY, NOW)
    assert result.peak == 100 and result.shareable == 0
    assert result.report["clamped_over_capacity"] > 0


def test_never_below_zero():
    result = compute_shareable(*series(DAY, lambda m: 98 if m.minute else 97), DAY, NOW)
    assert result.shareable == 0 and result.status == "published"


def test_short_history_publishes_nothing_and_says_why():
    recent = NOW - timedelta(days=6)
    result = compute_shareable(*series(DAY, lambda m: 40 + m.minute % 2 if m >= recent else None), DAY, NOW)
    assert (result.status, result.shareable, result.reason) == ("withheld", None, "too_little_history")


def test_gaps_publish_nothing_and_are_reported():
    result = compute_shareable(
        *series(DAY, lambda m: None if m.hour in (12, 13, 14, 15) else 40 + m.minute % 2), DAY, NOW
    )
    assert result.status == "withheld" and result.reason == "gaps"
    assert result.report["samples_missing"] > 0


def test_a_stuck_counter_publishes_nothing():
    result = compute_shareable(*series(DAY, lambda m: 0), DAY, NOW)
    assert result.reason == "counter_stuck"


def test_no_samples_at_all():
    empty = np.array([], dtype="datetime64[m]")
    assert compute_shareable(empty, np.array([]), DAY, NOW).reason == "no_data"


def test_off_grid_samples_in_one_slot_take_the_larger():
    times, counts = series(DAY, lambda m: 40 + (m.minute == 15))
    extra_t = np.array([np.datetime64(datetime(2026, 11, 24, 10, 5), "m")] * 1, dtype="datetime64[m]")
    result = compute_shareable(np.concatenate([times, extra_t]), np.concatenate([counts, [90]]), DAY, NOW)
    assert result.report["duplicates_in_slot"] == 1
    assert result.status == "published"


def test_overstay_check_falls_half_an_hour_after_the_window_closes():
    from domain.parking import overstay_due

    assert overstay_due(datetime(2026, 11, 24, 18, 30), DAY) == datetime(2026, 11, 24, 18, 30)
    assert overstay_due(datetime(2026, 11, 24, 18, 40), DAY) == datetime(2026, 11, 24, 18, 30)
    # the next run looks once more, for a counter that reported a few minutes after the check time
    assert overstay_due(datetime(2026, 11, 24, 18, 45), DAY) == datetime(2026, 11, 24, 18, 30)
    assert overstay_due(datetime(2026, 11, 24, 18, 53), DAY) is None  # past the tolerance: done with
    assert overstay_due(datetime(2026, 11, 28, 18, 30), DAY) is None  # Saturday: no weekday window
    assert overstay_due(datetime(2026, 11, 25, 8, 30), NIGHT) == datetime(2026, 11, 25, 8, 30)  # night of the 24th


def test_overstay_compares_with_the_lots_own_usual_level():
    from domain.parking import overstay

    usual = np.array([300, 310, 305, 298, 302, 307])
    assert overstay(330, usual, margin=15) == (True, 303.5)
    assert overstay(315, usual, margin=15)[0] is False
    assert overstay(None, usual, margin=15) == (False, None)
    assert overstay(500, usual[:3], margin=15) == (False, None)  # too little history to judge


def test_column_quantile_matches_numpy_nanquantile():
    import warnings

    from domain.parking import column_quantile

    rng = np.random.default_rng(3)
    for shape in ((56, 40), (8, 3), (1, 5)):
        grid = rng.integers(0, 500, shape).astype(float)
        grid[rng.random(shape) < 0.25] = np.nan
        grid[:, 0] = np.nan  # a slot with no data at all stays NaN
        for q in (0.0, 0.5, 0.9, 1.0):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                expected = np.nanquantile(grid, q, axis=0)
            assert np.allclose(column_quantile(grid, q), expected, equal_nan=True)


def test_nearest_sample_within_the_tolerance_stands_for_a_moment():
    from domain.parking import SAMPLE_TOLERANCE, nearest_counts

    check = datetime(2026, 11, 24, 18, 30)
    times = np.array([np.datetime64(datetime(2026, 11, 24, 18, m), "m") for m in (19, 27, 34, 41)])
    counts = np.array([10, 20, 30, 40])
    assert timedelta(minutes=7) == SAMPLE_TOLERANCE
    assert nearest_counts(times, counts, [check]) == {check: 20.0}  # 18:27 is 3 min off, 18:34 four
    # a tie goes to the later sample (the newer evidence); one side only, the nearer one within 7 min
    tie = np.array([np.datetime64(datetime(2026, 11, 24, 18, m), "m") for m in (25, 35)])
    assert nearest_counts(tie, np.array([1, 2]), [check]) == {check: 2.0}
    late = np.array([np.datetime64(datetime(2026, 11, 24, 18, 36), "m")])
    assert nearest_counts(late, np.array([7]), [check]) == {check: 7.0}
    far = np.array([np.datetime64(datetime(2026, 11, 24, 18, 38), "m")])
    assert nearest_counts(far, np.array([7]), [check]) == {}  # 8 minutes off: not this moment's count
    assert nearest_counts(np.array([], dtype="datetime64[m]"), np.array([]), [check]) == {}


def test_measured_use_counts_cars_above_the_lots_own_level_up_to_the_spaces_shared():
    from domain.parking import in_force, measure_shared_use, use_summary

    settings = LotSettings(capacity=100, share_window="day", window_start="08:00", window_end="10:00")
    levels = [50.0] * 4 + [60.0] * 4  # the lot's own level per 15-minute slot of 08:00-10:00
    result = {"computed_at": datetime(2026, 11, 23, 1, 30), "status": "published", "shareable": 20,
              "parameters": {**settings.as_dict(), "report": {"slot_levels": levels}}}  # fmt: skip
    day = date(2026, 11, 23)  # Monday
    times, counts = [], []
    for n, value in enumerate([50, 55, 70, 80, 60, 65, 90, 59]):  # 08:00 ... 09:45
        times.append(
            np.datetime64(datetime.combine(day, datetime.min.time()) + timedelta(hours=8, minutes=15 * n), "m")
        )
        counts.append(value)
    since, until = datetime(2026, 11, 23, 0, 0), datetime(2026, 11, 23, 12, 0)
    (use,) = measure_shared_use(np.array(times), np.array(counts), settings, [result], since, until)
    # above the level: 0, 5, 20 (capped at 20 shared), 20 (80-50=30 capped), 0, 5, 20 (30 capped), 0
    assert use.samples == 8 and use.slots == 8 and use.shareable == 20
    assert use.mean_used == pytest.approx(70 / 8) and use.peak_used == 20
    assert use.utilisation == pytest.approx(70 / 8 / 20)
    summary = use_summary([use])
    assert summary["utilisation"] == pytest.approx(70 / 160) and summary["windows_measured"] == 1
    # where the gate counted the permit holders' cars, those are the shared use (NaN: not counted there)
    shared = np.array([0, 3, np.nan, 12, 4, np.nan, 25, 0])
    (counted,) = measure_shared_use(np.array(times), np.array(counts), settings, [result], since, until, shared)
    assert counted.mean_used == pytest.approx((0 + 3 + 20 + 12 + 4 + 5 + 20 + 0) / 8)  # 25 capped at 20

    # no result in force when the window opened (computed later that morning): nothing was shared, no window
    later = {**result, "computed_at": datetime(2026, 11, 23, 9, 0)}
    assert measure_shared_use(np.array(times), np.array(counts), settings, [later], since, until) == []
    withheld = {**result, "status": "withheld", "shareable": None}
    assert measure_shared_use(np.array(times), np.array(counts), settings, [withheld], since, until) == []
    # a window still open at `until` is not measured yet
    assert measure_shared_use(np.array(times), np.array(counts), settings, [result], since,
                              datetime(2026, 11, 23, 9, 0)) == []  # fmt: skip
    # the result in force is the latest computation at or before the moment
    older = {**result, "computed_at": datetime(2026, 11, 20, 1, 30), "shareable": 5}
    assert in_force([older, result], datetime(2026, 11, 23, 8, 0)) is result
    assert in_force([older, result], datetime(2026, 11, 22, 8, 0)) is older
    # a result without per-slot levels (stored before they were kept): the window is listed, not measured
    bare = {**result, "parameters": settings.as_dict()}
    (unmeasured,) = measure_shared_use(np.array(times), np.array(counts), settings, [bare], since, until)
    assert unmeasured.mean_used is None and unmeasured.utilisation is None
    assert use_summary([unmeasured])["utilisation"] is None


def test_no_shared_cars_measures_zero_use():
    """Occupancy that stays at the lot's own level: the published spaces were not used."""
    from domain.parking import measure_shared_use, use_summary

    times, counts = series(DAY, lambda m: (60 if m.minute == 0 else 58) if 8 <= m.hour < 18 else 10)
    result = compute_shareable(times, counts, DAY, NOW)
    assert result.status == "published" and len(result.report["slot_levels"]) == 40
    stored = {"computed_at": NOW - timedelta(days=7), "status": "published", "shareable": result.shareable,
              "parameters": {**DAY.as_dict(), "report": result.report}}  # fmt: skip
    uses = measure_shared_use(times, counts, DAY, [stored], NOW - timedelta(days=6), NOW)
    assert len(uses) == 4 and use_summary(uses)["utilisation"] == 0.0  # Thu, Fri, Mon, Tue
