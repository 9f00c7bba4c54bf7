"""Opening a case: the one place a new case and the first entry of its trail are written, together.

Idempotent on (source, source_ref): a replay returns the case already opened.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import Category, Event, EventAction, User
from domain.workcalendar import due_at

_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class NewCase:
    community_id: int
    source: str  # resident / staff / camera_car / iot / open311
    source_ref: str
    category: str  # category code
    grade: str
    description: str
    actor_label: str  # who reported, when not a user: system, resident, camera_car...
    estate_id: int | None = None
    building_id: int | None = None
    grid_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    cues: tuple[str, ...] = ()
    confidence: float | None = None
    actor_id: int | None = None


def new_tracking_code(session: Session) -> str:
    while True:
        code = "DX" + "".join(secrets.choice(_ALPHABET) for _ in range(8))
        if session.scalar(select(Event.id).where(Event.tracking_code == code)) is None:
            return code


def grid_worker_of(session: Session, grid_id: int | None) -> int | None:
    """The L1 holder: the grid's first active grid worker."""
    if grid_id is None:
        return None
    return session.scalar(
        select(User.id)
        .where(User.grid_id == grid_id, User.role == "grid_worker", User.active.is_(True))
        .order_by(User.id)
        .limit(1)
    )


def open_case(session: Session, case: NewCase, now: datetime) -> tuple[int, bool]:
    """Write the case at level 1 of its grid with its first trail entry. Returns (case id, created)."""
    existing = session.scalar(select(Event.id).where(Event.source == case.source, Event.source_ref == case.source_ref))
    if existing is not None:
        return existing, False
    category_id = session.scalar(select(Category.id).where(Category.code == case.category))
    if category_id is None:
        raise ValueError(f"unknown category {case.category!r}")
    event = Event(
        tracking_code=new_tracking_code(session),
        community_id=case.community_id,
        source=case.source,
        source_ref=case.source_ref,
        category_id=category_id,
        grade=case.grade,
        grade_confidence=case.confidence,
        grade_cues=list(case.cues),
        description=case.description,
        lat=case.lat,
        lon=case.lon,
        estate_id=case.estate_id,
        building_id=case.building_id,
        grid_id=case.grid_id,
        status="reported",
        level=1,
        holder_id=grid_worker_of(session, case.grid_id),
        reported_at=now,
        due_at=due_at(now, case.grade),
        updated_at=now,
    )
    session.add(event)
    session.flush()
    session.add(
        EventAction(
            event_id=event.id, at=now, actor_id=case.actor_id, actor_label=case.actor_label, action="report",
            to_status="reported", to_level=1, note=None,
        )
    )  # fmt: skip
    return event.id, True
