"""Bearer tokens for machines, wall screens and Open311 clients. Only a SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import ApiToken

PREFIX = {"machine": "ckm_", "wall": "ckw_", "open311": "cko_"}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, kind: str, name: str, now: datetime, community_id: int | None = None) -> str:
    """Store a new token and return it in clear text, the only time it is ever shown."""
    token = PREFIX[kind] + secrets.token_urlsafe(24)
    session.add(ApiToken(kind=kind, name=name, token_hash=_digest(token), community_id=community_id, created_at=now))
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
