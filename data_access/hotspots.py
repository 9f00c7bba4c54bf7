"""Figures for the hotspots page: KPI tiles and the latest cases."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from data_access.cases import case_list_query
from data_access.models import CaseDailyRollup, Event
from domain.catalog import OPEN_STATUSES

ACTIVE_WORK = ("reported", "in_progress")  # a resolved case waits for verification, not for its handler


def month_start(now: datetime) -> datetime:
    return now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def kpis(session: Session, community_ids: list[int], now: datetime) -> dict:
    """New today, open, overdue and this month's on-time closure rate (按期结案率).

    On time: closed, resolved by its due time, never escalated for lateness. Due to close this month:
    cases closed this month plus open ones whose deadline passed this month.
    """
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first = month_start(now)
    in_scope = Event.community_id.in_(community_ids)
    closed_this_month = and_(Event.status == "closed", Event.closed_at >= first, Event.closed_at <= now)
    overdue = and_(Event.status.in_(ACTIVE_WORK), Event.due_at < now)
    on_time = and_(closed_this_month, Event.escalation_count == 0, Event.resolved_at <= Event.due_at)
    row = session.execute(
        select(
            func.count(case((Event.reported_at >= today, 1))),
            func.count(case((Event.status.in_(OPEN_STATUSES), 1))),
            func.count(case((overdue, 1))),
            func.count(case((on_time, 1))),
            func.count(case((or_(closed_this_month, and_(overdue, Event.due_at >= first)), 1))),
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
