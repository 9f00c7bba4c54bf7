"""Bearer tokens for machines, wall screens and Open311 clients. Only a SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import ApiToken, AuditLog, Community, User

PREFIX = {"machine": "ckm_", "wall": "ckw_", "open311": "cko_"}
NAME_MAX = 80


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    session: Session,
    kind: str,
    name: str,
    now: datetime,
    community_id: int | None = None,
    settings: dict | None = None,
) -> str:
    """Store a new token and return it in clear text, the only time it is ever shown. `settings`: a wall
    token's playlist and timing (domain.wall.clean_stored), already checked."""
    if kind not in PREFIX:
        raise ValueError(f"unknown token kind {kind!r}; one of {', '.join(PREFIX)}")
    name = name.strip()
    if not name or len(name) > NAME_MAX:
        raise ValueError(f"a token name has 1 to {NAME_MAX} characters")
    token = PREFIX[kind] + secrets.token_urlsafe(24)
    if settings and kind != "wall":
        raise ValueError("only a wall token carries screen settings")
    session.add(
        ApiToken(
            kind=kind,
            name=name,
            token_hash=_digest(token),
            community_id=community_id,
            created_at=now,
            settings=settings or None,
        )
    )
    session.flush()
    return token


def find_active_token(session: Session, kind: str, token: str) -> ApiToken | None:
    if not token or not token.startswith(PREFIX[kind]):
        return None
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _digest(token), ApiToken.kind == kind))
    if row is None or row.revoked_at is not None:
        return None
    return row


def revoke_token(session: Session, token_id: int, now: datetime) -> bool:
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = now
    return True


def list_tokens(session: Session, community_ids: list[int] | None = None) -> list[dict]:
    """Tokens issued, newest first, without their hash. `community_ids`: only tokens limited to those
    communities (an administrator of one community never sees, or revokes, a district-wide token)."""
    query = (
        select(
            ApiToken.id,
            ApiToken.kind,
            ApiToken.name,
            ApiToken.community_id,
            ApiToken.created_at,
            ApiToken.revoked_at,
            ApiToken.last_used_at,
            ApiToken.settings,
            Community.code.label("community"),
            Community.name_zh.label("community_zh"),
            Community.name_en.label("community_en"),
        )
        .outerjoin(Community, Community.id == ApiToken.community_id)
        .order_by(ApiToken.id.desc())
    )
    if community_ids is not None:
        query = query.where(ApiToken.community_id.in_(community_ids))
    return [dict(r._mapping) for r in session.execute(query)]


def set_wall_settings(session: Session, token_id: int, settings: dict) -> bool:
    """Store an active wall token's screen settings (checked by domain.wall.clean_stored); screens pick
    them up when they next load. False when there is no such active wall token."""
    row = session.get(ApiToken, token_id)
    if row is None or row.kind != "wall" or row.revoked_at is not None:
        return False
    row.settings = dict(settings) or None
    return True


def communities(session: Session, community_ids: list[int] | None = None) -> list[dict]:
    """Communities a token may be limited to: id, code and names."""
    query = select(Community.id, Community.code, Community.name_zh, Community.name_en).order_by(Community.id)
    if community_ids is not None:
        query = query.where(Community.id.in_(community_ids))
    return [dict(r._mapping) for r in session.execute(query)]


def token_community(session: Session, token_id: int) -> tuple[bool, int | None]:
    """(exists, community id) of a token."""
    row = session.get(ApiToken, token_id)
    return (False, None) if row is None else (True, row.community_id)


def record_token_change(
    session: Session, user_id: int, action: str, token: str | int, detail: str, now: datetime
) -> None:
    """Audit who issued or revoked a key: keys open the door to case data."""
    token_id = (
        token
        if isinstance(token, int)
        else session.scalar(select(ApiToken.id).where(ApiToken.token_hash == _digest(token)))
    )
    username = session.scalar(select(User.username).where(User.id == user_id)) or "?"
    session.add(AuditLog(at=now, user_id=user_id, username=username, action=action, entity="api_token",
                         entity_id=str(token_id), detail=detail))  # fmt: skip


def mark_used(session: Session, token_id: int, now: datetime) -> None:
    """Recorded on writes only: a read would otherwise cost a write transaction."""
    row = session.get(ApiToken, token_id)
    if row is not None:
        row.last_used_at = now
