"""What the Open311 GeoReport v2 endpoint reads: our categories as services, and cases as service
requests, filtered the way the spec's GET requests allows (ids, service codes, open/closed, a window
of requested times), always within the caller's communities and never with the reporter's contact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from data_access.models import Building, Category, Community, Estate, Event
from domain.catalog import FINAL_STATUSES, OPEN_STATUSES

# GeoReport knows two states; our six fold into them.
STATUS_GROUPS = {"open": OPEN_STATUSES, "closed": FINAL_STATUSES}


@dataclass(frozen=True)
class RequestQuery:
    community_ids: tuple[int, ...] | None  # None: every community (an unscoped key or an anonymous reader)
    tracking_codes: tuple[str, ...] = ()  # when set, the other filters are ignored (as the spec says)
    service_codes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()  # "open" / "closed"
    start: datetime | None = None  # requested (reported) time window, community-local naive
    end: datetime | None = None
    limit: int = 1000


def services(session: Session) -> list[dict]:
    rows = session.execute(
        select(Category.code, Category.name_zh, Category.name_en, Category.kind, Category.default_grade)
        .where(Category.active.is_(True))
        .order_by(Category.id)
    )
    return [dict(r._mapping) for r in rows]


def service_codes(session: Session) -> set[str]:
    return set(session.scalars(select(Category.code).where(Category.active.is_(True))))


def community_id_by_code(session: Session, code: str) -> int | None:
    return session.scalar(select(Community.id).where(Community.code == code))


def community_code(session: Session, community_id: int) -> str | None:
    return session.scalar(select(Community.code).where(Community.id == community_id))


def find_requests(session: Session, query: RequestQuery) -> list[dict]:
    """Cases as service requests, newest first, at most `query.limit`."""
    original = aliased(Event)
    stmt = (
        select(
            Event.id,
            Event.tracking_code,
            Event.status,
            Event.level,
            Event.grade,
            Event.description,
            Event.lat,
            Event.lon,
            Event.building_id,
            Event.reported_at,
            Event.updated_at,
            Event.due_at,
            Event.closed_at,
            Category.code.label("service_code"),
            Category.name_zh.label("service_zh"),
            Category.name_en.label("service_en"),
            Community.code.label("community"),
            Community.name_zh.label("community_zh"),
            Community.name_en.label("community_en"),
            Estate.name_zh.label("estate_zh"),
            Estate.name_en.label("estate_en"),
            Building.name_zh.label("building_zh"),
            Building.name_en.label("building_en"),
            original.tracking_code.label("duplicate_of"),
        )
        .join(Category, Category.id == Event.category_id)
        .join(Community, Community.id == Event.community_id)
        .outerjoin(Estate, Estate.id == Event.estate_id)
        .outerjoin(Building, Building.id == Event.building_id)
        .outerjoin(original, original.id == Event.duplicate_of_id)
    )
    if query.community_ids is not None:
        stmt = stmt.where(Event.community_id.in_(query.community_ids))
    if query.tracking_codes:
        stmt = stmt.where(Event.tracking_code.in_(query.tracking_codes))
    else:
        if query.service_codes:
            stmt = stmt.where(Category.code.in_(query.service_codes))
        if query.statuses:
            stmt = stmt.where(Event.status.in_([s for group in query.statuses for s in STATUS_GROUPS[group]]))
        if query.start is not None:
            stmt = stmt.where(Event.reported_at >= query.start)
        if query.end is not None:
            stmt = stmt.where(Event.reported_at <= query.end)
    stmt = stmt.order_by(Event.reported_at.desc(), Event.id.desc()).limit(query.limit)
    return [dict(r._mapping) for r in session.execute(stmt)]
