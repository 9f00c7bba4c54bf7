"""Communities side by side, for street and district users (the comparison view, /compare).

Every figure is one GROUP BY over the caller's communities — never a loop of per-community queries —
so a district of sixty communities costs the same handful of queries as a street of three:

- `community_list`: the communities in scope with their street (the rows of the view);
- `case_figures`: per community, cases new today, open and overdue now, and for the months of a period
  the closed-loop figures of `data_access/closure.py` (due, closed, closed on time, resolved, reopened),
  the same definitions the hotspots tiles and the metrics page use;
- `module_figures`: per community, what the other modules hold when they hold anything in scope — the
  shareable parking spaces last published per window, the estates whose latest running index is red,
  and the active critical IoT alarms. A module without any data in scope is reported as absent (None),
  so the view can leave its columns out rather than show a row of zeros.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from data_access import closure
from data_access.models import (
    Alarm,
    Community,
    Device,
    Estate,
    EstateIndex,
    Event,
    IndexMethod,
    ParkingLot,
    ShareableCapacity,
    Street,
)
from domain.catalog import OPEN_STATUSES

CASE_COUNTS = ("new_today", "open", "overdue", "due", "closed", "on_time", "resolved", "reopened")


def community_list(session: Session, community_ids: list[int]) -> list[dict]:
    """The communities in scope, by street and code, with their street's code and names."""
    if not community_ids:
        return []
    rows = session.execute(
        select(
            Community.id,
            Community.code,
            Community.name_zh,
            Community.name_en,
            Street.code.label("street"),
            Street.name_zh.label("street_zh"),
            Street.name_en.label("street_en"),
        )
        .join(Street, Street.id == Community.street_id)
        .where(Community.id.in_(community_ids))
        .order_by(Street.code, Community.code)
    )
    return [dict(r._mapping) for r in rows]


def community_by_code(session: Session, community_ids: list[int], code: object) -> int | None:
    """The id of the community with this code, only when it is in the caller's scope."""
    if not isinstance(code, str) or not code or len(code) > 40 or not community_ids:
        return None
    return session.scalar(select(Community.id).where(Community.code == code, Community.id.in_(community_ids)))


def case_figures(session: Session, community_ids: list[int], first: str, last: str, now: datetime) -> dict[int, dict]:
    """Per community id: the case counts of CASE_COUNTS and the rates built from them.

    new_today, open and overdue are a snapshot at `now`; due, closed and on time count the months
    first..last by their closing (or deadline) month, resolved and reopened by the latest resolution.
    """
    if not community_ids:
        return {}
    start, end = closure.month_bounds(first, last)
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    closed = closure.closed_between(start, end, now)
    resolved = closure.resolved_between(start, end)
    # only cases that can count anywhere: still open, or touched since the period (or today) began
    since = min(start, today)
    relevant = or_(
        Event.status.in_(OPEN_STATUSES),
        Event.reported_at >= since,
        Event.closed_at >= since,
        Event.resolved_at >= since,
        Event.due_at >= since,
    )
    query = (
        select(
            Event.community_id,
            func.count(case((Event.reported_at >= today, 1))),
            func.count(case((Event.status.in_(OPEN_STATUSES), 1))),
            func.count(case((closure.overdue(now), 1))),
            func.count(case((closure.due_between(start, end, now), 1))),
            func.count(case((closed, 1))),
            func.count(case((and_(closed, closure.on_time()), 1))),
            func.count(case((resolved, 1))),
            func.count(case((and_(resolved, closure.reopened()), 1))),
        )
        .where(Event.community_id.in_(community_ids), relevant)
        .group_by(Event.community_id)
    )
    out = {cid: finish(dict.fromkeys(CASE_COUNTS, 0)) for cid in community_ids}
    for cid, *counts in session.execute(query):
        out[cid] = finish(dict(zip(CASE_COUNTS, (int(n or 0) for n in counts), strict=True)))
    return out


def finish(figures: dict) -> dict:
    """Add the rates (None where the denominator is zero) to a dict of CASE_COUNTS."""
    figures["closed_rate"] = figures["closed"] / figures["due"] if figures["due"] else None
    figures["on_time_rate"] = figures["on_time"] / figures["due"] if figures["due"] else None
    figures["rework_rate"] = figures["reopened"] / figures["resolved"] if figures["resolved"] else None
    return figures


def module_figures(session: Session, community_ids: list[int]) -> dict[str, dict[int, dict] | None]:
    """{"parking": {id: {"day", "night"}}, "red_estates": {id: n}, "critical_alarms": {id: n}}, each None
    when that module has no data in scope at all."""
    return {
        "parking": _parking(session, community_ids),
        "red_estates": _red_estates(session, community_ids),
        "critical_alarms": _critical_alarms(session, community_ids),
    }


def _parking(session: Session, community_ids: list[int]) -> dict[int, dict] | None:
    if not community_ids:
        return None
    lots = select(ParkingLot.id).join(Estate, Estate.id == ParkingLot.estate_id)
    if session.scalar(lots.where(Estate.community_id.in_(community_ids)).limit(1)) is None:
        return None
    latest = (
        select(func.max(ShareableCapacity.id).label("id"))
        .join(ParkingLot, ParkingLot.id == ShareableCapacity.lot_id)
        .join(Estate, Estate.id == ParkingLot.estate_id)
        .where(Estate.community_id.in_(community_ids))
        .group_by(ShareableCapacity.lot_id)
        .subquery()
    )
    rows = session.execute(
        select(Estate.community_id, ShareableCapacity.share_window, func.sum(ShareableCapacity.shareable))
        .join(latest, latest.c.id == ShareableCapacity.id)
        .join(ParkingLot, ParkingLot.id == ShareableCapacity.lot_id)
        .join(Estate, Estate.id == ParkingLot.estate_id)
        .where(ShareableCapacity.status == "published")
        .group_by(Estate.community_id, ShareableCapacity.share_window)
    )
    out = {cid: {"day": 0, "night": 0} for cid in community_ids}
    for cid, window, total in rows:
        if window in ("day", "night"):
            out[cid][window] = int(total or 0)
    return out


def _red_estates(session: Session, community_ids: list[int]) -> dict[int, dict] | None:
    """Per community: red estates in the latest month any estate in scope has a result for (active method)."""
    version = session.scalar(select(IndexMethod.version).where(IndexMethod.active.is_(True)).limit(1))
    if not community_ids or version is None:
        return None
    in_scope = and_(Estate.id == EstateIndex.estate_id, Estate.community_id.in_(community_ids))
    month = session.scalar(
        select(func.max(EstateIndex.month)).join(Estate, in_scope).where(EstateIndex.method_version == version)
    )
    if month is None:
        return None
    rows = session.execute(
        select(Estate.community_id, func.count(), func.count(case((EstateIndex.level == "red", 1))))
        .join(Estate, in_scope)
        .where(EstateIndex.method_version == version, EstateIndex.month == month)
        .group_by(Estate.community_id)
    )
    out = {cid: {"rated": 0, "red": 0, "month": month} for cid in community_ids}
    for cid, rated, red in rows:
        out[cid].update(rated=rated, red=red)
    return out


def _critical_alarms(session: Session, community_ids: list[int]) -> dict[int, int] | None:
    if not community_ids:
        return None
    devices = select(Device.id).join(Estate, Estate.id == Device.estate_id)
    if session.scalar(devices.where(Estate.community_id.in_(community_ids)).limit(1)) is None:
        return None
    rows = session.execute(
        select(Estate.community_id, func.count())
        .select_from(Alarm)
        .join(Device, Device.id == Alarm.device_id)
        .join(Estate, Estate.id == Device.estate_id)
        .where(Alarm.status == "active", Alarm.severity == "critical", Estate.community_id.in_(community_ids))
        .group_by(Estate.community_id)
    )
    out = dict.fromkeys(community_ids, 0)
    for cid, n in rows:
        out[cid] = n
    return out
