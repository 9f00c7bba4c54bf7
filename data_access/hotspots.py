"""Figures for the hotspots page: KPI tiles and the latest cases."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from data_access import closure
from data_access.cases import case_list_query
from data_access.closure import ACTIVE_WORK, month_start  # noqa: F401 - re-exported for older imports
from data_access.models import CaseDailyRollup, Event
from domain.catalog import OPEN_STATUSES


def kpis(session: Session, community_ids: list[int], now: datetime) -> dict:
    """New today, open, overdue and this month's on-time closure rate (按期结案率).

    The definitions (on time, due to close, overdue) are those of `data_access/closure.py`, which the
    metrics page (综合评价) uses too, so both pages show the same rate for the same month.
    """
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first, after = closure.month_bounds(closure.month_label(now))
    in_scope = Event.community_id.in_(community_ids)
    closed_this_month = closure.closed_between(first, after, now)
    on_time = and_(closed_this_month, closure.on_time())
    row = session.execute(
        select(
            func.count(case((Event.reported_at >= today, 1))),
            func.count(case((Event.status.in_(OPEN_STATUSES), 1))),
            func.count(case((closure.overdue(now), 1))),
            func.count(case((on_time, 1))),
            func.count(case((closure.due_between(first, after, now), 1))),
        ).where(in_scope)
    ).one()
    new_today, open_count, overdue_count, on_time_count, due_count = row
    return {
        "new_today": new_today,
        "open": open_count,
        "overdue": overdue_count,
        "on_time_closed": on_time_count,
        "due_to_close": due_count,
        "on_time_rate": (on_time_count / due_count) if due_count else None,
    }


def latest_cases(session: Session, community_ids: list[int], limit: int = 12) -> list[dict]:
    rows = session.execute(
        case_list_query(community_ids).order_by(Event.reported_at.desc(), Event.id.desc()).limit(limit)
    )
    return [dict(r._mapping) for r in rows]


def cases_per_day(session: Session, community_ids: list[int], now: datetime, days: int = 30) -> list[dict]:
    """Reported cases per day for the last `days` days, from the rollup the `rollups` job keeps."""
    since = (now - timedelta(days=days - 1)).date()
    rows = session.execute(
        select(CaseDailyRollup.day, func.sum(CaseDailyRollup.opened), func.sum(CaseDailyRollup.closed))
        .where(CaseDailyRollup.community_id.in_(community_ids), CaseDailyRollup.day >= since)
        .group_by(CaseDailyRollup.day)
        .order_by(CaseDailyRollup.day)
    )
    return [{"day": d, "opened": int(o or 0), "closed": int(c or 0)} for d, o, c in rows]
