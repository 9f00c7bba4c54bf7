"""Opening a case: the one place a new case and the first entry of its trail are written, together.

Idempotent on (source, source_ref): a replay returns the case already opened.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import Category, Event, EventAction
from data_access.notify import OutboxNotifier
from data_access.workflow import due_for, holder_for, notify_user
from domain.notify import Notifier

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
    contact: str | None = None  # personal data: shown to staff roles that need it, never on public pages


def new_tracking_code(session: Session) -> str:
    while True:
        code = "DX" + "".join(secrets.choice(_ALPHABET) for _ in range(8))
        if session.scalar(select(Event.id).where(Event.tracking_code == code)) is None:
            return code


def open_case(session: Session, case: NewCase, now: datetime, notifier: Notifier | None = None) -> tuple[int, bool]:
    """Write the case at level 1 of its grid with its first trail entry, and tell the holder.
    Returns (case id, created)."""
    existing = session.scalar(select(Event.id).where(Event.source == case.source, Event.source_ref == case.source_ref))
    if existing is not None:
        return existing, False
    category = session.scalar(select(Category).where(Category.code == case.category))
    if category is None:
        raise ValueError(f"unknown category {case.category!r}")
    event = Event(
        tracking_code=new_tracking_code(session),
        community_id=case.community_id,
        source=case.source,
        source_ref=case.source_ref,
        category_id=category.id,
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
        holder_id=holder_for(session, 1, case.grid_id, case.community_id, category.kind),
        reporter_contact=case.contact or None,
        reported_at=now,
        due_at=due_for(session, case.grade, 1, now),
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
    session.flush()
    notify_user(notifier or OutboxNotifier(session, now), event.holder_id, "report", event, category)
    return event.id, True
