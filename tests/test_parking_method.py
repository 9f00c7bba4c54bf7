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
    assert overstay_due(datetime(2026, 11, 24, 18, 45), DAY) is None  # the next run: already checked
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
