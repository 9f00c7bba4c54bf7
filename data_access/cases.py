"""Cases for the governance pages: the filterable grid and one case with its trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from data_access import closure
from data_access.models import Building, Category, Community, Estate, Event, EventAction, Grid, User
from domain.catalog import GRADES, LEVELS, OPEN_STATUSES, SOURCES, STATUSES

GRID_ROW_LIMIT = 2000
PERIODS = ("today", "7d", "30d")


def period_start(period: str, now: datetime) -> datetime:
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return {"today": midnight, "7d": midnight - timedelta(days=6), "30d": midnight - timedelta(days=29)}[period]


@dataclass(frozen=True)
class CaseFilter:
    status: str | None = None  # one of STATUSES, 'open', or None for all
    grade: str | None = None
    category: str | None = None  # category code
    # grid code; grid codes repeat across communities (G1 in each), so under a street or district scope a
    # grid is named with its community's code, 'COMMUNITY:GRID', which is exact
    grid: str | None = None
    community: str | None = None  # community code: one community of a street or district scope
    source: str | None = None
    overdue_only: bool = False
    period: str | None = None  # one of PERIODS: reported today / in the last 7 or 30 days
    # The drill-down filters of the metrics page (definitions in data_access/closure.py). Months are
    # 'YYYY-MM' or a range 'YYYY-MM..YYYY-MM'.
    level: int | str | None = None  # current level, 1-4
    handler: int | str | None = None  # user id of the latest resolver, or 'none': no resolver yet
    month: str | None = None  # reported in
    due_in_month: str | None = None  # due to close in (应结)
    resolved_in_month: str | None = None  # latest resolution in
    reopened: bool = False  # reopened (返工) at least once
    on_time: bool = False  # closed on time (按期结案)
    estate: str | None = None  # estate code: the hotspots page's drill-down from its filter and its site plan

    def validated(self) -> CaseFilter:
        """Drop values that are not ours, so a crafted request cannot widen or break the query."""
        grid = self.grid if isinstance(self.grid, str) and len(self.grid) <= 81 else None
        return CaseFilter(
            status=self.status if self.status in (*STATUSES, "open") else None,
            grade=self.grade if self.grade in GRADES else None,
            category=self.category if isinstance(self.category, str) and len(self.category) <= 40 else None,
            grid=grid,
            community=self.community if isinstance(self.community, str) and 0 < len(self.community) <= 40 else None,
            source=self.source if self.source in SOURCES else None,
            overdue_only=_flag(self.overdue_only),
            period=self.period if self.period in PERIODS else None,
            level=_level(self.level),
            handler=_handler(self.handler),
            month=_months(self.month),
            due_in_month=_months(self.due_in_month),
            resolved_in_month=_months(self.resolved_in_month),
            reopened=_flag(self.reopened),
            on_time=_flag(self.on_time),
            estate=self.estate if isinstance(self.estate, str) and 0 < len(self.estate) <= 40 else None,
        )

    def drill_down(self) -> dict:
        """The validated drill-down filters that are set (for the note above the grid)."""
        flt = self.validated()
        names = ("handler", "month", "due_in_month", "resolved_in_month", "reopened", "on_time", "estate")
        return {name: getattr(flt, name) for name in names if getattr(flt, name) not in (None, False)}


def _flag(value: object) -> bool:
    """True, 1 and '1' (as query strings send it) turn a flag on; anything else leaves it off."""
    return value is True or value == 1 or value == "1"


def _level(value: object) -> int | None:
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    return int(text) if text.isdigit() and len(text) == 1 and int(text) in LEVELS else None


def _handler(value: object) -> int | str | None:
    if value == "none":
        return "none"
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    return int(text) if text.isdigit() and 0 < len(text) <= 12 and int(text) > 0 else None


def _months(value: object) -> str | None:
    parsed = closure.parse_month_range(value)
    return closure.format_month_range(*parsed) if parsed else None


def split_grid(value: str) -> tuple[str | None, str]:
    """'COMMUNITY:GRID' -> (community code, grid code); a bare grid code -> (None, code)."""
    community, sep, grid = value.partition(":")
    return (community, grid) if sep else (None, value)


def grid_value(community_code: str, grid_code: str, qualified: bool) -> str:
    """How the grid filter names a grid: its code, or 'COMMUNITY:GRID' when the scope spans communities."""
    return f"{community_code}:{grid_code}" if qualified else grid_code


def filter_options(session: Session, community_ids: list[int]) -> dict:
    """Categories, the grids in scope (each with its community's code and its filter value) and the
    communities in scope."""
    categories = session.execute(
        select(Category.code, Category.name_zh, Category.name_en).where(Category.active).order_by(Category.id)
    ).all()
    grids = session.execute(
        select(Grid.code, Grid.name_zh, Grid.name_en, Community.code.label("community"))
        .join(Community, Community.id == Grid.community_id)
        .where(Grid.community_id.in_(community_ids))
        .order_by(Community.code, Grid.code)
    ).all()
    communities = session.execute(
        select(Community.code, Community.name_zh, Community.name_en)
        .where(Community.id.in_(community_ids))
        .order_by(Community.code)
    ).all()
    qualified = len(communities) > 1
    return {
        "categories": [dict(r._mapping) for r in categories],
        "grids": [{**r._mapping, "value": grid_value(r.community, r.code, qualified)} for r in grids],
        "communities": [dict(r._mapping) for r in communities],
    }


def case_list_query(community_ids: list[int]):
    """One row per case with its category, estate and grid names: what lists and grids show."""
    return (
        select(
            Event.id,
            Event.tracking_code,
            Event.reported_at,
            Event.grade,
            Event.status,
            Event.level,
            Event.source,
            Event.due_at,
            Category.code.label("category"),
            Category.name_zh.label("category_zh"),
            Category.name_en.label("category_en"),
            Estate.name_zh.label("estate_zh"),
            Estate.name_en.label("estate_en"),
            Grid.code.label("grid"),
            Grid.name_zh.label("grid_zh"),
            Grid.name_en.label("grid_en"),
        )
        .join(Category, Category.id == Event.category_id)
        .outerjoin(Estate, Estate.id == Event.estate_id)
        .outerjoin(Grid, Grid.id == Event.grid_id)
        .where(Event.community_id.in_(community_ids))
    )


def case_rows(session: Session, community_ids: list[int], flt: CaseFilter, now: datetime) -> list[dict]:
    flt = flt.validated()
    query = case_list_query(community_ids)
    if flt.status == "open":
        query = query.where(Event.status.in_(OPEN_STATUSES))
    elif flt.status:
        query = query.where(Event.status == flt.status)
    if flt.grade:
        query = query.where(Event.grade == flt.grade)
    if flt.category:
        query = query.where(Category.code == flt.category)
    if flt.grid:  # 'COMMUNITY:' alone is the whole community (how the case grid's grid filter names one)
        community, grid = split_grid(flt.grid)
        if grid:
            query = query.where(Grid.code == grid)
        if community is not None:
            query = query.where(Event.community_id == _community_id(community))
    if flt.community:
        query = query.where(Event.community_id == _community_id(flt.community))
    if flt.source:
        query = query.where(Event.source == flt.source)
    if flt.period:
        query = query.where(Event.reported_at >= period_start(flt.period, now))
    if flt.overdue_only:
        query = query.where(closure.overdue(now))
    if flt.level:
        query = query.where(Event.level == flt.level)
    if flt.handler == "none":
        query = query.where(closure.latest_resolver().is_(None))
    elif flt.handler:
        query = query.where(closure.resolved_last_by(flt.handler))
    if flt.month:
        start, end = closure.month_bounds(*closure.parse_month_range(flt.month))
        query = query.where(Event.reported_at >= start, Event.reported_at < end)
    if flt.due_in_month:
        start, end = closure.month_bounds(*closure.parse_month_range(flt.due_in_month))
        query = query.where(closure.due_between(start, end, now))
    if flt.resolved_in_month:
        start, end = closure.month_bounds(*closure.parse_month_range(flt.resolved_in_month))
        query = query.where(closure.resolved_between(start, end))
    if flt.reopened:
        query = query.where(closure.reopened())
    if flt.on_time:
        query = query.where(Event.status == "closed", closure.on_time())
    if flt.estate:
        query = query.where(Estate.code == flt.estate)
    query = query.order_by(Event.reported_at.desc(), Event.id.desc()).limit(GRID_ROW_LIMIT)
    rows = []
    for r in session.execute(query):
        row = dict(r._mapping)
        row["overdue"] = row["status"] in closure.ACTIVE_WORK and row["due_at"] is not None and row["due_at"] < now
        rows.append(row)
    return rows


def _community_id(code: str):  # noqa: ANN202 - a scalar subquery
    return select(Community.id).where(Community.code == code).scalar_subquery()


def case_detail(session: Session, community_ids: list[int], case_id: int) -> dict | None:
    """One case and its whole trail, or None when it does not exist or is outside the scope."""
    holder = aliased(User)
    row = session.execute(
        select(
            Event,
            Category.code.label("category"),
            Category.name_zh.label("category_zh"),
            Category.name_en.label("category_en"),
            Estate.name_zh.label("estate_zh"),
            Estate.name_en.label("estate_en"),
            Building.name_zh.label("building_zh"),
            Building.name_en.label("building_en"),
            Grid.name_zh.label("grid_zh"),
            Grid.name_en.label("grid_en"),
            holder.display_name.label("holder_name"),
        )
        .join(Category, Category.id == Event.category_id)
        .outerjoin(Estate, Estate.id == Event.estate_id)
        .outerjoin(Building, Building.id == Event.building_id)
        .outerjoin(Grid, Grid.id == Event.grid_id)
        .outerjoin(holder, holder.id == Event.holder_id)
        .where(Event.id == case_id, Event.community_id.in_(community_ids))
    ).one_or_none()
    if row is None:
        return None
    event: Event = row[0]
    detail = {
        "id": event.id,
        "tracking_code": event.tracking_code,
        "description": event.description,
        "grade": event.grade,
        "grade_confidence": event.grade_confidence,
        "grade_cues": event.grade_cues or [],
        "status": event.status,
        "level": event.level,
        "source": event.source,
        "reported_at": event.reported_at,
        "due_at": event.due_at,
        "resolved_at": event.resolved_at,
        "closed_at": event.closed_at,
        "reopen_count": event.reopen_count,
        "duplicate_of_id": event.duplicate_of_id,
        **{k: v for k, v in row._mapping.items() if k != "Event"},
    }
    actor = aliased(User)
    trail = session.execute(
        select(EventAction, actor.display_name.label("actor_name"), actor.role.label("actor_role"))
        .outerjoin(actor, actor.id == EventAction.actor_id)
        .where(EventAction.event_id == case_id)
        .order_by(EventAction.at, EventAction.id)
    )
    detail["trail"] = [
        {
            "id": a.id,
            "at": a.at,
            "action": a.action,
            "actor": name or a.actor_label,
            "actor_role": role,
            "from_status": a.from_status,
            "to_status": a.to_status,
            "from_level": a.from_level,
            "to_level": a.to_level,
            "note": a.note,
        }
        for a, name, role in trail
    ]
    return detail
