"""Working-time arithmetic for case time limits (DESIGN.md 5.3).

Working hours are 08:30-17:30, Monday to Friday, in community local time. Times are naive and
local (the store keeps community-local time; China has no daylight saving).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from domain.catalog import DEFAULT_LIMIT_MINUTES, WORKING_TIME_GRADES

DAY_START = time(8, 30)
DAY_END = time(17, 30)


def _is_workday(moment: datetime) -> bool:
    return moment.weekday() < 5


def _next_work_start(moment: datetime) -> datetime:
    """The first working instant at or after `moment`."""
    candidate = moment
    while True:
        start = datetime.combine(candidate.date(), DAY_START)
        end = datetime.combine(candidate.date(), DAY_END)
        if _is_workday(candidate):
            if candidate < start:
                return start
            if candidate < end:
                return candidate
        candidate = datetime.combine(candidate.date() + timedelta(days=1), DAY_START)


def add_working_minutes(start: datetime, minutes: int) -> datetime:
    """`start` plus `minutes` of working time."""
    remaining = timedelta(minutes=minutes)
    cursor = _next_work_start(start)
    while True:
        day_end = datetime.combine(cursor.date(), DAY_END)
        available = day_end - cursor
        if remaining <= available:
            return cursor + remaining
        remaining -= available
        cursor = _next_work_start(day_end + timedelta(seconds=1))


def due_at(start: datetime, grade: str, minutes: int | None = None, working_time: bool | None = None) -> datetime:
    """When a case of `grade` taken on at `start` is due at its current level. `minutes` and
    `working_time` come from the time-limit table; the catalog defaults apply when they are absent."""
    limit = DEFAULT_LIMIT_MINUTES[grade] if minutes is None else minutes
    on_working_time = grade in WORKING_TIME_GRADES if working_time is None else working_time
    if on_working_time:
        return add_working_minutes(start, limit)
    return start + timedelta(minutes=limit)
