"""Closed-loop metrics (综合评价) per grid, handler, category, source or month, over a range of months.

Definitions (city-management practice, DESIGN.md 5.3; the SQL for each lives in
`data_access/closure.py`, which the hotspots tiles and the case grid's drill-down filters share):

- 应结 due to close in the months: cases closed in them, plus cases still being worked (reported or
  in progress) whose deadline passed in them. A resolved case awaiting verification is not yet due;
  rejected and duplicate cases are never due. Each case is due in one month at most (the month it
  closed, or the month its deadline passed while still open), so the months add up.
- 已结 closed: due cases that closed in the months. 结案率 = closed / due.
- 按期结 closed on time: closed cases resolved by their due time and never escalated for lateness.
  按期结案率 = closed on time / due. For the current month this is the hotspots page's rate.
- 已处置 resolved: cases resolved or closed whose latest resolution falls in the months.
- 返工 reopened: resolved cases sent back at least once. 返工率 = reopened / resolved.
- Handling time: hours from report to the latest resolution of the resolved cases; the median per
  group. Computed in SQL with window functions (ROW_NUMBER and COUNT over the group, then the average
  of the one or two middle rows), which SQLite (3.25+) and PostgreSQL both run, so one query serves
  both engines and only one row per group comes back, however many cases a district holds.
  (percentile_cont would need a second code path for SQLite, which lacks it.)
- Open and overdue now, by level L1-L4: open = reported, in progress or resolved; overdue = still
  being worked past its deadline (the hotspots tiles' figures). These are a snapshot, not a period
  figure; under the month dimension they are grouped by the month the case was reported.
- Handler: the staff user who resolved the case (the actor of its latest `resolve` action); cases
  never resolved form their own group (code 'none').

Each group's case set is one GROUP BY per figure family (no loop over cases), keyed by the group's
column; where a figure is anchored in time, the month dimension keys it by its own anchor: the
closing month (or the deadline month) for due/closed, the resolution month for resolved/reopened.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, literal, select
from sqlalchemy.orm import Session

from data_access import closure
from data_access.cases import grid_value
from data_access.closure import hours_between, year_month
from data_access.models import Category, Community, Event, EventAction, Grid, User
from domain.catalog import LEVELS, OPEN_STATUSES, SOURCES

PERIODS = {"month": 1, "3m": 3, "12m": 12}  # this month; this and the 2 / 11 before it
DIMENSIONS = ("grid", "handler", "category", "source", "month")
NO_HANDLER = "none"

COUNTS = ("due", "closed", "on_time", "resolved", "reopened", "open", "overdue")


def period_months(period: str, now: datetime) -> tuple[str, str]:
    """(first, last) month of a period ending with the current month; unknown periods mean this month."""
    last = closure.month_label(now)
    return closure.add_months(last, -(PERIODS.get(period, 1) - 1)), last


def closure_report(
    session: Session, community_ids: list[int], dimension: str, first: str, last: str, now: datetime
) -> dict:
    """The metrics per group of `dimension` for the months first..last (inclusive), and in total."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    start, end = closure.month_bounds(first, last)
    in_scope = Event.community_id.in_(community_ids)
    groups: dict[object, dict] = {}

    def slot(key: object) -> dict:
        return groups.setdefault(key, _empty())

    # due, closed, closed on time: keyed by the closing month, or the deadline month while open
    closed = closure.closed_between(start, end, now)
    due_anchor = case((Event.status == "closed", Event.closed_at), else_=Event.due_at)
    inner = (
        select(
            _key(dimension, due_anchor).label("k"),
            case((closed, 1), else_=0).label("closed"),
            case((and_(closed, closure.on_time()), 1), else_=0).label("on_time"),
        )
        .where(in_scope, closure.due_between(start, end, now))
        .subquery()
    )
    for key, due, n_closed, n_on_time in session.execute(
        select(inner.c.k, func.count(), func.sum(inner.c.closed), func.sum(inner.c.on_time)).group_by(inner.c.k)
    ):
        slot(key).update(due=due, closed=int(n_closed or 0), on_time=int(n_on_time or 0))

    # resolved, reopened and handling time: keyed by the month of the latest resolution
    resolved = _resolved_cases(dimension, in_scope, start, end)
    for key, n, n_reopened in session.execute(
        select(resolved.c.k, func.count(), func.sum(resolved.c.reopened)).group_by(resolved.c.k)
    ):
        slot(key).update(resolved=n, reopened=int(n_reopened or 0))
    for key, median in _medians(session, resolved):
        slot(key)["median_hours"] = float(median) if median is not None else None

    # open and overdue now, by level: a snapshot, keyed by the reported month under the month dimension
    backlog = (
        select(
            _key(dimension, Event.reported_at).label("k"),
            Event.level.label("level"),
            case((closure.overdue(now), 1), else_=0).label("overdue"),
        )
        .where(in_scope, Event.status.in_(OPEN_STATUSES))
        .subquery()
    )
    for key, level, n_open, n_overdue in session.execute(
        select(backlog.c.k, backlog.c.level, func.count(), func.sum(backlog.c.overdue)).group_by(
            backlog.c.k, backlog.c.level
        )
    ):
        g = slot(key)
        g["open_by_level"][level] = n_open
        g["overdue_by_level"][level] = int(n_overdue or 0)

    months = closure.months_between(first, last)
    if dimension == "month":
        for label in months:
            slot(label)
    rows = [_finish(g | {"key": key}) for key, g in groups.items()]
    _label(session, dimension, rows, months, qualified=len(community_ids) > 1)
    total = _finish({**_empty(), "key": None, "code": None})
    for r in rows:
        for name in COUNTS:
            total[name] += r[name]
        for level in LEVELS:
            total["open_by_level"][level] += r["open_by_level"][level]
            total["overdue_by_level"][level] += r["overdue_by_level"][level]
    total_resolved = _resolved_cases(None, in_scope, start, end)
    total["median_hours"] = next((float(m) for _k, m in _medians(session, total_resolved) if m is not None), None)
    return {
        "dimension": dimension,
        "first": first,
        "last": last,
        "months": months,
        "as_of": now,
        "total": _finish(total),
        "groups": _ordered(dimension, rows),
    }


def handler_name(session: Session, community_ids: list[int], user_id: int) -> str | None:
    """A handler's display name, only when they resolved a case in the caller's scope."""
    resolved_here = (
        select(EventAction.id)
        .join(Event, Event.id == EventAction.event_id)
        .where(EventAction.actor_id == user_id, EventAction.action == "resolve", Event.community_id.in_(community_ids))
        .exists()
    )
    return session.scalar(select(User.display_name).where(User.id == user_id, resolved_here))


# --- pieces -------------------------------------------------------------------------------------


def _key(dimension: str | None, month_anchor):  # noqa: ANN001, ANN202
    if dimension is None:
        return literal(0)
    return {
        "grid": lambda: Event.grid_id,
        "category": lambda: Event.category_id,
        "source": lambda: Event.source,
        "handler": closure.latest_resolver,
        "month": lambda: year_month(month_anchor),
    }[dimension]()


def _resolved_cases(dimension: str | None, in_scope, start: datetime, end: datetime):  # noqa: ANN001, ANN202
    return (
        select(
            _key(dimension, Event.resolved_at).label("k"),
            case((closure.reopened(), 1), else_=0).label("reopened"),
            hours_between(Event.resolved_at, Event.reported_at).label("hours"),
        )
        .where(in_scope, closure.resolved_between(start, end))
        .subquery()
    )


def _medians(session: Session, resolved) -> list[tuple[object, float | None]]:  # noqa: ANN001
    """Per group, the average of the middle one (odd count) or two (even count) sorted durations."""
    ranked = select(
        resolved.c.k,
        resolved.c.hours,
        func.row_number().over(partition_by=resolved.c.k, order_by=resolved.c.hours).label("rn"),
        func.count().over(partition_by=resolved.c.k).label("n"),
    ).subquery()
    middle = ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    return list(session.execute(select(ranked.c.k, func.avg(ranked.c.hours)).where(middle).group_by(ranked.c.k)))


def _empty() -> dict:
    return {
        **dict.fromkeys(COUNTS, 0),
        "median_hours": None,
        "open_by_level": dict.fromkeys(LEVELS, 0),
        "overdue_by_level": dict.fromkeys(LEVELS, 0),
    }


def _finish(g: dict) -> dict:
    g["open"] = sum(g["open_by_level"].values())
    g["overdue"] = sum(g["overdue_by_level"].values())
    g["closed_rate"] = g["closed"] / g["due"] if g["due"] else None
    g["on_time_rate"] = g["on_time"] / g["due"] if g["due"] else None
    g["rework_rate"] = g["reopened"] / g["resolved"] if g["resolved"] else None
    return g


def _label(session: Session, dimension: str, rows: list[dict], months: list[str], qualified: bool = False) -> None:
    """Add each group's `code` (what the case grid filters by) and its names. Grid codes repeat across
    communities, so over several communities a grid's code names its community too ('COMMUNITY:GRID')."""
    keys = [r["key"] for r in rows if r["key"] is not None]
    names: dict[object, tuple] = {}
    if dimension == "grid" and keys:
        names = {
            i: (grid_value(community, code, qualified), zh, en)
            for i, code, zh, en, community in session.execute(
                select(Grid.id, Grid.code, Grid.name_zh, Grid.name_en, Community.code)
                .join(Community, Community.id == Grid.community_id)
                .where(Grid.id.in_(keys))
            )
        }
    elif dimension == "category" and keys:
        names = {
            i: (code, zh, en)
            for i, code, zh, en in session.execute(
                select(Category.id, Category.code, Category.name_zh, Category.name_en).where(Category.id.in_(keys))
            )
        }
    elif dimension == "handler" and keys:
        names = {
            i: (str(i), name, name)
            for i, name in session.execute(select(User.id, User.display_name).where(User.id.in_(keys)))
        }
    for r in rows:
        key = r["key"]
        if dimension in ("source", "month"):
            code, zh, en = key, None, None
        elif dimension == "handler" and key is None:
            code, zh, en = NO_HANDLER, None, None
        else:
            code, zh, en = names.get(key, (None, None, None))
        r.update(code=code, name_zh=zh, name_en=en)
        r["in_period"] = dimension != "month" or key in months


def _ordered(dimension: str, rows: list[dict]) -> list[dict]:
    if dimension == "month":
        return sorted(rows, key=lambda r: r["code"] or "")
    if dimension == "grid":
        return sorted(rows, key=lambda r: (r["code"] is None, r["code"] or ""))
    if dimension == "source":
        return sorted(rows, key=lambda r: SOURCES.index(r["code"]) if r["code"] in SOURCES else len(SOURCES))
    # category, handler: busiest first, the never-resolved group last
    return sorted(rows, key=lambda r: (r["code"] == NO_HANDLER, -r["due"], -r["resolved"], str(r["name_zh"])))
