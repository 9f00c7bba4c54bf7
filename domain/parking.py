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
    # the lot's own level in each slot of the window: the baseline that measured shared use is counted above
    report["slot_levels"] = [round(float(v), 2) for v in per_slot]
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
SAMPLE_TOLERANCE = timedelta(minutes=7)  # a sample this close to a moment stands for it (15-minute counters)


def overstay_due(
    now: datetime,
    settings: LotSettings,
    every: timedelta = timedelta(minutes=15),
    tolerance: timedelta = SAMPLE_TOLERANCE,
) -> datetime | None:
    """If a window of this lot closed so that its overstay check (window end + 30 min) falls in
    (now - every - tolerance, now], the time of that check; else None. The extra `tolerance` gives a
    counter that reports a few minutes after the check time a second look on the next run (the case
    is opened once per lot and window whatever happens). Weekday-only lots are checked on weekdays only."""
    for day in (now.date() - timedelta(days=1), now.date()):
        if settings.weekdays_only and day.weekday() >= 5:
            continue
        check = window_bounds(day, settings)[1] + OVERSTAY_CHECK_AFTER
        if now - every - tolerance < check <= now:
            return check
    return None


def nearest_counts(
    times: np.ndarray, counts: np.ndarray, moments: list[datetime], tolerance: timedelta = SAMPLE_TOLERANCE
) -> dict[datetime, float]:
    """The count of the sample nearest to each moment, when one lies within `tolerance` of it (a tie
    goes to the later sample: the newer evidence). Moments without such a sample are left out.
    `times` must be sorted (datetime64[m])."""
    times = np.asarray(times, dtype="datetime64[m]")
    counts = np.asarray(counts, dtype=float)
    found: dict[datetime, float] = {}
    if len(times) == 0:
        return found
    limit = tolerance / timedelta(minutes=1)
    for moment in moments:
        at = np.datetime64(moment, "m")
        right = int(np.searchsorted(times, at, side="left"))
        best, best_gap = None, None
        for index in (right - 1, right):  # the neighbours on either side; the later wins a tie
            if 0 <= index < len(times):
                gap = abs((times[index] - at) / np.timedelta64(1, "m"))
                if gap <= limit and (best_gap is None or gap <= best_gap):
                    best, best_gap = index, gap
        if best is not None:
            found[moment] = float(counts[best])
    return found


def overstay(latest: float | None, baseline_values: np.ndarray, margin: int) -> tuple[bool, float | None]:
    """Is the lot still fuller than usual after its window closed? The baseline is the median count at
    the same time on the same day type over the history; `latest` must exceed it by more than `margin`."""
    values = np.asarray(baseline_values, dtype=float)
    if latest is None or len(values) < MIN_PER_SLOT:
        return False, None
    baseline = float(np.median(values))
    return latest > baseline + margin, baseline


# --- what a stored result is built on, and how much of the shared spaces was used ------------------


def data_span(data_from: datetime | None, data_to: datetime | None, samples_used: int, parameters: dict | None) -> dict:
    """The span of data a stored result used, from its columns and its parameters' report: first and
    last sample, days and weeks between them, samples used out of expected, coverage, windows, and
    what was found (missing, clamped, duplicate and negative samples)."""
    report = (parameters or {}).get("report") or {}
    days = (data_to - data_from).total_seconds() / 86400 if data_from and data_to else None
    return {
        "first_sample": data_from,
        "last_sample": data_to,
        "days": round(days, 1) if days is not None else None,
        "weeks": round(days / 7, 1) if days is not None else None,
        "history_weeks": (parameters or {}).get("history_weeks"),
        "samples_used": samples_used,
        "samples_expected": report.get("samples_expected"),
        "samples_missing": report.get("samples_missing"),
        "coverage": report.get("coverage"),
        "windows_with_data": report.get("windows_with_data"),
        "windows_expected": report.get("windows_expected"),
        "clamped_over_capacity": report.get("clamped_over_capacity"),
        "duplicates_in_slot": report.get("duplicates_in_slot"),
        "negative_dropped": report.get("negative_dropped"),
    }


SETTING_FIELDS = ("capacity", "share_window", "window_start", "window_end", "weekdays_only", "quantile",
                  "history_weeks", "safety_buffer")  # fmt: skip


def settings_of(parameters: dict | None, fallback: LotSettings) -> LotSettings:
    """The lot settings a stored result was computed with (its parameters), else `fallback`."""
    params = parameters or {}
    if not all(key in params for key in SETTING_FIELDS):
        return fallback
    return LotSettings(**{key: params[key] for key in SETTING_FIELDS})


@dataclass(frozen=True)
class WindowUse:
    """Measured use of one window's shared spaces.

    The lot's own cars are taken to stay at or below the level of the result in force in each
    15-minute slot (its q-quantile over the history: `slot_levels`); every car counted above that
    level, up to the spaces shared, is a shared car. `mean_used` is the average of those cars over
    the window's samples, `peak_used` the most at once; utilisation = mean_used / shareable.
    """

    day: date
    start: datetime
    end: datetime
    shareable: int
    computed_at: datetime  # the result in force when the window opened
    samples: int  # samples of the window that were measured
    slots: int  # samples expected (one per slot)
    mean_used: float | None  # None: no sample, or the result has no per-slot levels
    peak_used: float | None

    @property
    def utilisation(self) -> float | None:
        return None if self.mean_used is None or not self.shareable else self.mean_used / self.shareable


def in_force(results: list[dict], moment: datetime) -> dict | None:
    """The result current at `moment`: the latest computation (computed_at, then id) at or before it.
    `results` are sorted by (computed_at, id)."""
    current = None
    for row in results:
        if row["computed_at"] > moment:
            break
        current = row
    return current


def measure_shared_use(
    times: np.ndarray,
    counts: np.ndarray,
    settings: LotSettings,
    results: list[dict],
    since: datetime,
    until: datetime,
    shared: np.ndarray | None = None,
) -> list[WindowUse]:
    """Measured use of the shared spaces in every window that opened at or after `since` and closed by
    `until`, with spaces published by the result in force when it opened (see WindowUse). `results`:
    dicts with computed_at, status, shareable, parameters, sorted by (computed_at, id); `times` sorted
    datetime64[m] samples and `counts` the occupied spaces. `shared`, aligned with them: the permit
    holders' cars where the gate counted them (NaN elsewhere); such a sample counts those, not the cars
    above the lot's own level."""
    times = np.asarray(times, dtype="datetime64[m]")
    counts = np.asarray(counts, dtype=float)
    shared = np.full(len(counts), np.nan) if shared is None else np.asarray(shared, dtype=float)
    uses: list[WindowUse] = []
    day = since.date() - timedelta(days=1)
    while day <= until.date():
        opens = window_bounds(day, settings)[0]
        result = in_force(results, opens)
        day, this_day = day + timedelta(days=1), day
        if result is None or result["status"] != "published" or not result["shareable"]:
            continue
        used_settings = settings_of(result["parameters"], settings)
        if used_settings.weekdays_only and this_day.weekday() >= 5:
            continue
        start, end = window_bounds(this_day, used_settings)
        if start < since or end > until:
            continue
        n_slots = slots_per_window(used_settings)
        levels = ((result["parameters"] or {}).get("report") or {}).get("slot_levels")
        shareable = int(result["shareable"])
        a = int(np.searchsorted(times, np.datetime64(start, "m"), side="left"))
        b = int(np.searchsorted(times, np.datetime64(end, "m"), side="left"))
        mean_used = peak_used = None
        measured = 0
        if levels and len(levels) == n_slots and b > a:
            slot = ((times[a:b] - np.datetime64(start, "m")) // np.timedelta64(15, "m")).astype(int)
            baseline = np.array([np.nan if v is None else v for v in levels], dtype=float)[slot]
            keep = ~np.isnan(baseline) & (counts[a:b] >= 0)
            occupied = np.minimum(counts[a:b][keep], used_settings.capacity)
            counted = shared[a:b][keep]
            used = np.clip(np.where(np.isnan(counted), occupied - baseline[keep], counted), 0, shareable)
            measured = int(keep.sum())
            if measured:
                mean_used, peak_used = round(float(used.mean()), 2), round(float(used.max()), 2)
        uses.append(WindowUse(this_day, start, end, shareable, result["computed_at"], measured, n_slots,
                              mean_used, peak_used))  # fmt: skip
    return uses


def use_summary(uses: list[WindowUse]) -> dict:
    """Over measured windows: utilisation = shared cars counted / spaces shared, sample by sample
    (windows with more samples weigh more), the average and highest cars at once, windows measured."""
    measured = [u for u in uses if u.mean_used is not None and u.samples]
    spaces = sum(u.shareable * u.samples for u in measured)
    used = sum(u.mean_used * u.samples for u in measured)
    return {
        "windows": len(uses),
        "windows_measured": len(measured),
        "utilisation": used / spaces if spaces else None,
        "mean_used": used / sum(u.samples for u in measured) if measured else None,
        "peak_used": max((u.peak_used for u in measured), default=None),
        "shareable": measured[-1].shareable if measured else None,
    }
