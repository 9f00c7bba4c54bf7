"""Figures for the hotspots page: KPI tiles and the latest cases, and the filter the staff page
narrows them (and the wall's feed, plan and trend, data_access/wall.py) with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from data_access import closure
from data_access.cases import case_list_query
from data_access.closure import ACTIVE_WORK, month_start  # noqa: F401 - re-exported for older imports
from data_access.models import CaseDailyRollup, Category, Community, Estate, Event
from domain.catalog import GRADES, OPEN_STATUSES


@dataclass(frozen=True)
class HotspotFilter:
    """The staff hotspots page's filters: a category code, a grade and an estate code (the estate
    filter is offered only when the page shows one community, where estate codes are unique)."""

    category: str | None = None
    grade: str | None = None
    estate: str | None = None

    def validated(self) -> HotspotFilter:
        def code(value: object) -> str | None:
            return value if isinstance(value, str) and 0 < len(value) <= 40 else None

        return HotspotFilter(code(self.category), self.grade if self.grade in GRADES else None, code(self.estate))

    @property
    def on_cases_only(self) -> bool:
        """A category or grade belongs to cases; alarms have neither, so such a filter leaves them out."""
        return bool(self.category or self.grade)

    def case_conditions(self, community_ids: list[int]) -> list:
        """WHERE clauses on Event for this filter (empty for none)."""
        flt = self.validated()
        out = []
        if flt.category:
            out.append(Event.category_id.in_(select(Category.id).where(Category.code == flt.category)))
        if flt.grade:
            out.append(Event.grade == flt.grade)
        if flt.estate:
            out.append(Event.estate_id.in_(estate_ids(community_ids, flt.estate)))
        return out


def estate_ids(community_ids: list[int], code: str):  # noqa: ANN201 - a SELECT to use in IN (...)
    return select(Estate.id).where(Estate.community_id.in_(community_ids), Estate.code == code)


def estate_choices(session: Session, community_ids: list[int]) -> list[dict]:
    """The estates and office parks in scope, for the estate filter."""
    rows = session.execute(
        select(Estate.code, Estate.name_zh, Estate.name_en)
        .where(Estate.community_id.in_(community_ids))
        .order_by(Estate.id)
    )
    return [{"code": code, "name_zh": zh, "name_en": en} for code, zh, en in rows]


def case_place(session: Session, community_ids: list[int], case_id: object) -> dict | None:
    """The community and estate codes of case `case_id` when it is in scope (a plan marker's
    drill-down); None for a case out of scope or no case."""
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        return None
    row = session.execute(
        select(Community.code, Estate.code)
        .select_from(Event)
        .join(Community, Community.id == Event.community_id)
        .outerjoin(Estate, Estate.id == Event.estate_id)
        .where(Event.id == case_id, Event.community_id.in_(community_ids))
    ).first()
    return None if row is None else {"community": row[0], "estate": row[1]}


def kpis(session: Session, community_ids: list[int], now: datetime, flt: HotspotFilter | None = None) -> dict:
    """New today, open, overdue and this month's on-time closure rate (按期结案率), of the cases the
    filter (if any) keeps.

    The definitions (on time, due to close, overdue) are those of `data_access/closure.py`, which the
    metrics page (综合评价) uses too, so both pages show the same rate for the same month.
    """
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    first, after = closure.month_bounds(closure.month_label(now))
    in_scope = and_(Event.community_id.in_(community_ids), *(flt.case_conditions(community_ids) if flt else ()))
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


def cases_per_day(
    session: Session, community_ids: list[int], now: datetime, days: int = 30, flt: HotspotFilter | None = None
) -> list[dict]:
    """Reported and closed cases per day for the last `days` days: from the rollup the `rollups` job
    keeps, or, for a filter the rollup cannot answer (a grade or an estate), from the cases themselves
    with the rollup's definitions (reported on its reported day, closed on its closing day)."""
    since = (now - timedelta(days=days - 1)).date()
    flt = flt.validated() if flt else HotspotFilter()
    if flt.grade or flt.estate:
        return _cases_per_day_from_cases(session, community_ids, now, since, flt)
    query = (
        select(CaseDailyRollup.day, func.sum(CaseDailyRollup.opened), func.sum(CaseDailyRollup.closed))
        .where(CaseDailyRollup.community_id.in_(community_ids), CaseDailyRollup.day >= since)
        .group_by(CaseDailyRollup.day)
        .order_by(CaseDailyRollup.day)
    )
    if flt.category:
        query = query.where(CaseDailyRollup.category_id.in_(select(Category.id).where(Category.code == flt.category)))
    return [{"day": d, "opened": int(o or 0), "closed": int(c or 0)} for d, o, c in session.execute(query)]


def _cases_per_day_from_cases(session: Session, community_ids: list[int], now: datetime, since, flt: HotspotFilter):  # noqa: ANN001, ANN202
    start = datetime.combine(since, datetime.min.time())
    conditions = (Event.community_id.in_(community_ids), *flt.case_conditions(community_ids))
    per_day: dict = {}
    for (at,) in session.execute(select(Event.reported_at).where(*conditions, Event.reported_at >= start)):
        per_day.setdefault(at.date(), [0, 0])[0] += 1
    closed = select(Event.closed_at).where(
        *conditions, Event.status == "closed", Event.closed_at >= start, Event.closed_at <= now
    )
    for (at,) in session.execute(closed):
        per_day.setdefault(at.date(), [0, 0])[1] += 1
    return [{"day": d, "opened": o, "closed": c} for d, (o, c) in sorted(per_day.items()) if d <= now.date()]
