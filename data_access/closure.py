"""The one definition of the closed-loop figures (DESIGN.md 5.3), shared by every page that shows them.

The hotspots tiles, the metrics page (综合评价), the daily rollups and the case grid's drill-down
filters all build their SQL from these expressions, so a figure on one page and the grid it drills
down to can never disagree.

- Still being worked (ACTIVE_WORK): reported or in progress. A resolved case waits for verification,
  not for its handler, so it is neither overdue nor due.
- Overdue: still being worked and its deadline (`due_at`, the current level's) has passed.
- Closed in a window: status closed and `closed_at` in the window (and not after now).
- On time (按期): resolved by its due time and never escalated for lateness.
- Due to close in a window (应结): closed in the window, plus cases still being worked whose
  deadline passed in the window. Every case is due in at most one month — the month it closed or,
  while still being worked, the month its deadline passed — so monthly figures add up to the
  figure of the months together. Rejected and duplicate cases are never due.
- Resolved in a window: resolved or closed, with its latest resolution (`resolved_at`) in the window.
- Reopened (返工): sent back at least once after a resolution (`reopen_count > 0`).
- Handler: the staff user who resolved the case, i.e. the actor of its latest `resolve` action.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnElement
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import Float, String

from data_access.models import Event, EventAction

ACTIVE_WORK = ("reported", "in_progress")
RESOLVED_STATUSES = ("resolved", "closed")

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MAX_MONTHS = 120  # a drill-down range longer than ten years is not one we link to


def overdue(now: datetime) -> ColumnElement[bool]:
    return and_(Event.status.in_(ACTIVE_WORK), Event.due_at < now)


def closed_between(start: datetime, end: datetime, now: datetime) -> ColumnElement[bool]:
    return and_(Event.status == "closed", Event.closed_at >= start, Event.closed_at < end, Event.closed_at <= now)


def on_time() -> ColumnElement[bool]:
    return and_(Event.escalation_count == 0, Event.resolved_at <= Event.due_at)


def due_between(start: datetime, end: datetime, now: datetime) -> ColumnElement[bool]:
    return or_(closed_between(start, end, now), and_(overdue(now), Event.due_at >= start, Event.due_at < end))


def resolved_between(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Event.status.in_(RESOLVED_STATUSES), Event.resolved_at >= start, Event.resolved_at < end)


def reopened() -> ColumnElement[bool]:
    return Event.reopen_count > 0


def latest_resolver() -> ColumnElement[int | None]:
    """The actor of the case's latest `resolve` action (NULL before any resolution).

    Correlated and limited to one row, so it reads only the trail of the cases the outer query keeps,
    through the (event_id, at) index, instead of ranking every resolve action in the store.
    """
    return (
        select(EventAction.actor_id)
        .where(EventAction.event_id == Event.id, EventAction.action == "resolve")
        .order_by(EventAction.at.desc(), EventAction.id.desc())
        .limit(1)
        .correlate(Event)
        .scalar_subquery()
    )


def resolved_last_by(user_id: int) -> ColumnElement[bool]:
    """`latest_resolver() == user_id`, driven from the user's own resolve actions (indexed by actor),
    so filtering the grid by one handler does not run the correlated lookup on every case in scope."""
    mine, later = aliased(EventAction), aliased(EventAction)
    superseded = exists().where(
        later.event_id == mine.event_id,
        later.action == "resolve",
        or_(later.at > mine.at, and_(later.at == mine.at, later.id > mine.id)),
    )
    return Event.id.in_(select(mine.event_id).where(mine.actor_id == user_id, mine.action == "resolve", ~superseded))


# --- months -------------------------------------------------------------------------------------


def month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def month_label(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def add_months(label: str, n: int) -> str:
    year, month = int(label[:4]), int(label[5:7])
    index = year * 12 + (month - 1) + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> list[str]:
    out, label = [], first
    while label <= last:
        out.append(label)
        label = add_months(label, 1)
    return out


def month_bounds(first: str, last: str | None = None) -> tuple[datetime, datetime]:
    """[first day of `first`, first day of the month after `last`)."""
    last = last or first
    start = datetime(int(first[:4]), int(first[5:7]), 1)
    after = add_months(last, 1)
    return start, datetime(int(after[:4]), int(after[5:7]), 1)


def parse_month_range(value: object) -> tuple[str, str] | None:
    """'YYYY-MM' or 'YYYY-MM..YYYY-MM' -> (first, last); anything else -> None."""
    if not isinstance(value, str) or len(value) > 16:
        return None
    first, sep, last = value.partition("..")
    last = last if sep else first
    if not (MONTH.match(first) and MONTH.match(last)) or first > last:
        return None
    if last > add_months(first, MAX_MONTHS - 1):
        return None
    return first, last


def format_month_range(first: str, last: str) -> str:
    return first if first == last else f"{first}..{last}"


# --- SQL helpers that differ by engine ----------------------------------------------------------


class hours_between(FunctionElement):  # noqa: N801 - used like a SQL function
    """Hours from the second timestamp to the first, as a float, on SQLite and PostgreSQL."""

    type = Float()
    inherit_cache = True


@compiles(hours_between)
def _hours_default(element, compiler, **kw):  # noqa: ANN001
    end, start = list(element.clauses)
    return f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - {compiler.process(start, **kw)})) / 3600.0)"


@compiles(hours_between, "sqlite")
def _hours_sqlite(element, compiler, **kw):  # noqa: ANN001
    end, start = list(element.clauses)
    return f"((julianday({compiler.process(end, **kw)}) - julianday({compiler.process(start, **kw)})) * 24.0)"


class year_month(FunctionElement):  # noqa: N801 - used like a SQL function
    """'YYYY-MM' of a stored (naive, community-local) timestamp."""

    type = String()
    inherit_cache = True


@compiles(year_month)
def _year_month_default(element, compiler, **kw):  # noqa: ANN001
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM')"


@compiles(year_month, "sqlite")
def _year_month_sqlite(element, compiler, **kw):  # noqa: ANN001
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)})"
