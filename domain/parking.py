"""Tidal shared parking (DESIGN.md 5.4): how many spaces a lot can safely share in its window.

For each 15-minute slot of the window, over the last N weeks of the same day type, take the
q-quantile of occupancy; the lot's peak is the largest of those; shareable = capacity - peak -
safety buffer, never below zero, held for the whole window. Lots with too little or broken history
publish nothing and say why. Counts above capacity are clamped and counted. Pure: no database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np

SLOT = timedelta(minutes=15)
MIN_WINDOWS = 10  # fewer qualifying windows with data than this: too little history
MIN_COVERAGE = 0.7  # share of expected slot samples that must be present
MIN_PER_SLOT = 5  # every slot needs at least this many days of data


@dataclass(frozen=True)
class LotSettings:
    capacity: int
    share_window: str  # "day" / "night"
    window_start: str  # "HH:MM"
    window_end: str  # "HH:MM"; not after the start means the window runs past midnight
    weekdays_only: bool = True
    quantile: float = 0.9
    history_weeks: int = 8
    safety_buffer: int = 0

    def as_dict(self) -> dict:
        return {
            "capacity": self.capacity,
            "share_window": self.share_window,
            "window_start": self.window_start,
            "window_end": self.window_end,
            "weekdays_only": self.weekdays_only,
            "quantile": self.quantile,
            "history_weeks": self.history_weeks,
            "safety_buffer": self.safety_buffer,
        }


@dataclass
class ShareableResult:
    status: str  # "published" / "withheld"
    shareable: int | None
    peak: float | None
    reason: str | None  # why withheld: no_data / too_little_history / gaps / counter_stuck
    data_from: datetime | None
    data_to: datetime | None
    samples_used: int
    report: dict = field(default_factory=dict)  # what was found in the data: gaps, clamps, duplicates


def _hm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def window_bounds(day: date, settings: LotSettings) -> tuple[datetime, datetime]:
    """The window that opens on `day` (a night window closes the next morning)."""
    start = datetime.combine(day, _hm(settings.window_start))
    end = datetime.combine(day, _hm(settings.window_end))
    if end <= start:
        end += timedelta(days=1)
    return start, end


def window_open(now: datetime, settings: LotSettings) -> bool:
    """Whether the lot's sharing window is open at `now`: today's window, or last night's that runs
    past midnight; with weekdays_only, only windows that open on a weekday."""
    for day in (now.date(), now.date() - timedelta(days=1)):
        if settings.weekdays_only and day.weekday() >= 5:
            continue
        start, end = window_bounds(day, settings)
        if start <= now < end:
            return True
    return False


def slots_per_window(settings: LotSettings) -> int:
    start, end = window_bounds(date(2000, 1, 3), settings)
    return int((end - start) / SLOT)


def history_days(now: datetime, settings: LotSettings) -> list[date]:
    """The days whose windows count, oldest first: N weeks of calendar days ending with the last
    window already closed at `now`, weekdays only when the lot says so."""
    last = now.date()
    while window_bounds(last, settings)[1] > now:
        last -= timedelta(days=1)
    days = [last - timedelta(days=i) for i in range(7 * settings.history_weeks)]
    return sorted(d for d in days if not settings.weekdays_only or d.weekday() < 5)


def sample_span(now: datetime, settings: LotSettings) -> tuple[datetime, datetime]:
    """The time range of samples the computation reads (a superset of the windows)."""
    days = history_days(now, settings)
    if not days:
        return now, now
    return window_bounds(days[0], settings)[0], window_bounds(days[-1], settings)[1]


def compute_shareable(times: np.ndarray, counts: np.ndarray, settings: LotSettings, now: datetime) -> ShareableResult:
    """`times`: datetime64[m] sample times (community-local), `counts`: occupied spaces."""
    days = history_days(now, settings)
    n_slots = slots_per_window(settings)
    report: dict = {"windows_expected": len(days), "slots_per_window": n_slots}
    if len(times) == 0 or not days:
        return ShareableResult("withheld", None, None, "no_data", None, None, 0, report)

    times = np.asarray(times, dtype="datetime64[m]")
    counts = np.asarray(counts, dtype=float)
    starts = np.array([np.datetime64(window_bounds(d, settings)[0], "m") for d in days])
    # For each sample: the window that contains it (the last one starting at or before it).
    idx = np.searchsorted(starts, times, side="right") - 1
    valid = idx >= 0
    offset = np.zeros(len(times), dtype="timedelta64[m]")
    offset[valid] = times[valid] - starts[idx[valid]]
    slot = (offset.astype(int) // 15).astype(int)
    inside = valid & (slot >= 0) & (slot < n_slots)
    negative = inside & (counts < 0)
    report["negative_dropped"] = int(negative.sum())
    inside &= ~negative
    over = inside & (counts > settings.capacity)
    report["clamped_over_capacity"] = int(over.sum())
    counts = np.minimum(counts, settings.capacity)

    window_idx, slot_idx, values = idx[inside], slot[inside], counts[inside]
    grid = np.full((len(days), n_slots), np.nan)
    # Two samples in one slot (off-grid counters): keep the larger, the safe side.
    order = np.argsort(values, kind="stable")
    flat = window_idx[order] * n_slots + slot_idx[order]
    report["duplicates_in_slot"] = int(len(flat) - len(np.unique(flat)))
    grid.flat[flat] = values[order]

    present = ~np.isnan(grid)
    used = int(present.sum())
    windows_with_data = int(present.any(axis=1).sum())
    coverage = used / grid.size if grid.size else 0.0
    report.update(
        windows_with_data=windows_with_data,
        samples_expected=int(grid.size),
        samples_missing=int(grid.size - used),
        coverage=round(coverage, 4),
    )
    data_times = times[inside]
    data_from = data_times.min().astype(datetime) if used else None
    data_to = data_times.max().astype(datetime) if used else None

    def withheld(reason: str) -> ShareableResult:
        return ShareableResult("withheld", None, None, reason, data_from, data_to, used, report)

    if used == 0:
        return withheld("no_data")
    if windows_with_data < MIN_WINDOWS:
        return withheld("too_little_history")
    if coverage < MIN_COVERAGE or int(present.sum(axis=0).min()) < MIN_PER_SLOT:
        return withheld("gaps")
    observed = grid[present]
    if observed.max() == observed.min():
        return withheld("counter_stuck")

    per_slot = column_quantile(grid, settings.quantile)
    peak = float(per_slot.max())
    report["peak_slot"] = int(per_slot.argmax())
    shareable = max(0, math.floor(settings.capacity - peak - settings.safety_buffer + 1e-9))
    return ShareableResult("published", shareable, round(peak, 3), None, data_from, data_to, used, report)


def column_quantile(grid: np.ndarray, q: float) -> np.ndarray:
    """The q-quantile of each column, ignoring NaN, with numpy's default linear interpolation.

    Same values as np.nanquantile(grid, q, axis=0), which loops over the columns in Python and
    was a fifth of the district run; sorting once and indexing does every column together."""
    ordered = np.sort(grid, axis=0)  # NaN sorts last
    n = (~np.isnan(grid)).sum(axis=0)
    position = q * np.maximum(n - 1, 0)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, np.maximum(n - 1, 0))
    columns = np.arange(grid.shape[1])
    lower, upper = ordered[low, columns], ordered[high, columns]
    result = lower + (upper - lower) * (position - low)
    return np.where(n > 0, result, np.nan)


OVERSTAY_CHECK_AFTER = timedelta(minutes=30)  # shared cars have had half an hour to leave


def overstay_due(now: datetime, settings: LotSettings, every: timedelta = timedelta(minutes=15)) -> datetime | None:
    """If a window of this lot closed so that its overstay check falls in (now - every, now], the time
    of that check (window end + 30 min); else None. Weekday-only lots are checked on weekdays only."""
    for day in (now.date() - timedelta(days=1), now.date()):
        if settings.weekdays_only and day.weekday() >= 5:
            continue
        check = window_bounds(day, settings)[1] + OVERSTAY_CHECK_AFTER
        if now - every < check <= now:
            return check
    return None


def overstay(latest: float | None, baseline_values: np.ndarray, margin: int) -> tuple[bool, float | None]:
    """Is the lot still fuller than usual after its window closed? The baseline is the median count at
    the same time on the same day type over the history; `latest` must exceed it by more than `margin`."""
    values = np.asarray(baseline_values, dtype=float)
    if latest is None or len(values) < MIN_PER_SLOT:
        return False, None
    baseline = float(np.median(values))
    return latest > baseline + margin, baseline
