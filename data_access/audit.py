"""The audit log: who read or changed personal data, when, and what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import AuditLog, User


def record_read(session: Session, user_id: int, entity: str, entity_id: str | None, detail: str, now: datetime) -> None:
    username = session.scalar(select(User.username).where(User.id == user_id)) or "?"
    session.add(
        AuditLog(
            at=now, user_id=user_id, username=username, action="read", entity=entity, entity_id=entity_id, detail=detail
        )  # fmt: skip
    )
