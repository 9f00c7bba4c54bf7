"""The audit log: who read or changed personal data, when, and what."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data_access.models import AuditLog, User


def record_read(session: Session, user_id: int, entity: str, entity_id: str | None, detail: str, now: datetime) -> None:
    username = session.scalar(select(User.username).where(User.id == user_id)) or "?"
    session.add(
        AuditLog(
            at=now, user_id=user_id, username=username, action="read", entity=entity, entity_id=entity_id, detail=detail
        )  # fmt: skip
    )


def record(
    session: Session,
    user_id: int | None,
    action: str,
    entity: str,
    entity_id: str | None,
    detail: str,
    now: datetime,
) -> None:
    """One audit entry (read / reveal / create / update / delete / import); `user_id` None is the system
    (a job). `detail` says what, never the personal data itself."""
    username = "system" if user_id is None else (session.scalar(select(User.username).where(User.id == user_id)) or "?")
    session.add(
        AuditLog(at=now, user_id=user_id, username=username, action=action, entity=entity, entity_id=entity_id,
                 detail=detail[:2000])
    )  # fmt: skip


def audit_entries(
    session: Session,
    community_ids: list[int],
    *,
    action: str | None = None,
    entity_prefix: str | None = None,
    username: str | None = None,
    since: datetime | None = None,
    limit: int = 500,
) -> list[dict]:
    """The newest audit entries, for administrators: entries by users of the caller's communities and
    the system's own (jobs), filtered; never more than `limit`."""
    query = (
        select(AuditLog)
        .outerjoin(User, User.id == AuditLog.user_id)
        .where(or_(AuditLog.user_id.is_(None), User.community_id.in_(community_ids), User.scope_kind != "community"))
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    if action:
        query = query.where(AuditLog.action == action)
    if entity_prefix:
        query = query.where(AuditLog.entity.startswith(entity_prefix, autoescape=True))
    if username:
        query = query.where(AuditLog.username == username)
    if since is not None:
        query = query.where(AuditLog.at >= since)
    return [
        {"at": a.at, "username": a.username, "action": a.action, "entity": a.entity, "entity_id": a.entity_id,
         "detail": a.detail}
        for a in session.scalars(query)
    ]  # fmt: skip
