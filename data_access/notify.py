"""The outbox notifier: notices become `outbox_message` rows that an SMS / WeChat gateway drains.

Writing the notice in the same transaction as the decision it announces means a notice is queued
exactly when the decision is committed, never for a decision that was rolled back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.clock import local_now
from data_access.models import OutboxMessage


class OutboxNotifier:
    """`domain.notify.Notifier` over the store; `now` stamps the rows (default: community-local now)."""

    def __init__(self, session: Session, now: datetime | None = None) -> None:
        self.session = session
        self.now = now
        self.sent = 0

    def send(self, channel: str, recipient: str, subject_key: str, body_zh: str, body_en: str, ref: str) -> None:
        self.session.add(
            OutboxMessage(
                channel=channel,
                recipient=recipient,
                subject_key=subject_key,
                body_zh=body_zh,
                body_en=body_en,
                ref=ref,
                created_at=self.now or local_now(),
                sent_at=None,
            )
        )
        self.sent += 1


def latest_notice(session: Session, ref: str) -> dict | None:
    """The newest notice about `ref` (bodies and time only, never the recipient)."""
    row = session.execute(
        select(OutboxMessage.subject_key, OutboxMessage.body_zh, OutboxMessage.body_en, OutboxMessage.created_at)
        .where(OutboxMessage.ref == ref)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {
        "subject_key": row.subject_key,
        "body_zh": row.body_zh,
        "body_en": row.body_en,
        "created_at": row.created_at,
    }
