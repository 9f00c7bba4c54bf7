"""Which machine reports are already stored: a replayed Open311 post or camera-car batch is answered from
these instead of being graded, photographed and written again."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from data_access.models import Event


def replayed_case(session: Session, source: str, refs: list[str]) -> str | None:
    """The tracking code of a case already opened under one of `refs` (a client's retry), or None."""
    return session.scalar(
        select(Event.tracking_code)
        .where(Event.source == source, Event.source_ref.in_(refs))
        .order_by(Event.id)
        .limit(1)
    )


def stored_cases(session: Session, source: str, refs: list[str]) -> dict[str, dict]:
    """source_ref -> {tracking_code, status, duplicate_of} of the cases already stored under `refs`."""
    original = aliased(Event)
    found: dict[str, dict] = {}
    for i in range(0, len(refs), 500):  # bounded IN lists
        rows = session.execute(
            select(Event.source_ref, Event.tracking_code, Event.status, original.tracking_code.label("duplicate_of"))
            .outerjoin(original, original.id == Event.duplicate_of_id)
            .where(Event.source == source, Event.source_ref.in_(refs[i : i + 500]))
        )
        found.update({r.source_ref: dict(r._mapping) for r in rows})
    return found
