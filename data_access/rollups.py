"""Daily case rollups: opened per reported day, closed and closed-on-time per closing day."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import case, delete, func, insert, select
from sqlalchemy.orm import Session

from data_access import closure
from data_access.models import CaseDailyRollup, Event

# Cases can close late, so each run rebuilds a trailing window; an empty table is rebuilt whole.
TRAILING_DAYS = 35


def rebuild_case_rollups(session: Session, now: datetime) -> int:
    empty = session.scalar(select(CaseDailyRollup.id).limit(1)) is None
    since: date = date(1970, 1, 1) if empty else (now - timedelta(days=TRAILING_DAYS)).date()
    since_dt = datetime.combine(since, datetime.min.time())
    key = ("community_id", "day", "category_id", "source")
    merged: dict[tuple, dict] = {}

    reported_day = func.date(Event.reported_at)
    for cid, day, cat, src, n in session.execute(
        select(Event.community_id, reported_day, Event.category_id, Event.source, func.count())
        .where(Event.reported_at >= since_dt, Event.reported_at <= now)
        .group_by(Event.community_id, reported_day, Event.category_id, Event.source)
    ):
        merged.setdefault((cid, _as_date(day), cat, src), {"opened": 0, "closed": 0, "closed_on_time": 0})["opened"] = n

    closed_day = func.date(Event.closed_at)
    on_time = closure.on_time()
    for cid, day, cat, src, n, n_on_time in session.execute(
        select(
            Event.community_id,
            closed_day,
            Event.category_id,
            Event.source,
            func.count(),
            func.count(case((on_time, 1))),
        )
        .where(Event.status == "closed", Event.closed_at >= since_dt, Event.closed_at <= now)
        .group_by(Event.community_id, closed_day, Event.category_id, Event.source)
    ):
        slot = merged.setdefault((cid, _as_date(day), cat, src), {"opened": 0, "closed": 0, "closed_on_time": 0})
        slot["closed"], slot["closed_on_time"] = n, n_on_time

    session.execute(delete(CaseDailyRollup).where(CaseDailyRollup.day >= since))
    rows = [dict(zip(key, k, strict=True)) | v for k, v in sorted(merged.items())]
    if rows:
        session.execute(insert(CaseDailyRollup), rows)
    return len(rows)


def _as_date(value) -> date:  # noqa: ANN001 - SQLite gives 'YYYY-MM-DD', PostgreSQL a date
    return value if isinstance(value, date) else date.fromisoformat(str(value))
