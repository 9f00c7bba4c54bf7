"""The store's notifier: staff notices land in the in-app inbox (`notification`), notices to residents
become `outbox_message` rows that an SMS / WeChat gateway drains.

Writing the notice in the same transaction as the decision it announces means a notice is queued
exactly when the decision is committed, never for a decision that was rolled back.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from data_access.clock import local_now
from data_access.models import Notification, OutboxMessage

INBOX = "inbox"


class OutboxNotifier:
    """`domain.notify.Notifier` over the store; `now` stamps the rows (default: community-local now)."""

    def __init__(self, session: Session, now: datetime | None = None) -> None:
        self.session = session
        self.now = now
        self.sent = 0

    def send(self, channel: str, recipient: str, subject_key: str, body_zh: str, body_en: str, ref: str) -> None:
        if channel == INBOX:
            # recipient "user:<id>", ref "case:<id>": the staff member's in-app inbox
            event_id = int(ref.split(":", 1)[1]) if ref.startswith("case:") else None
            self.session.add(
                Notification(
                    user_id=int(recipient.split(":", 1)[1]),
                    event_id=event_id,
                    kind=subject_key,
                    message_zh=body_zh[:300],
                    message_en=body_en[:300],
                    created_at=self.now or local_now(),
                    read_at=None,
                )
            )
            self.sent += 1
            return
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

    def send_many(self, messages: list[tuple[str, str, str, str, str, str]]) -> None:
        """Like `send` for each, but the outbox rows go in as one multi-row insert, not one object each."""
        outbox = []
        for message in messages:
            if message[0] == INBOX:
                self.send(*message)
            else:
                outbox.append(message)
        at = self.now or local_now()
        rows = [
            {"channel": channel, "recipient": recipient, "subject_key": key, "body_zh": zh, "body_en": en,
             "ref": ref, "created_at": at, "sent_at": None}
            for channel, recipient, key, zh, en, ref in outbox
        ]  # fmt: skip
        for start in range(0, len(rows), 5000):
            self.session.execute(insert(OutboxMessage), rows[start : start + 5000])
        self.sent += len(rows)


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


def unread_count(session: Session, user_id: int) -> int:
    return session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    )


def inbox(session: Session, user_id: int, limit: int = 50) -> list[dict]:
    """The user's newest notices, unread first."""
    rows = session.execute(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).scalars()
    return [
        {
            "id": n.id,
            "event_id": n.event_id,
            "kind": n.kind,
            "message_zh": n.message_zh,
            "message_en": n.message_en,
            "created_at": n.created_at,
            "read": n.read_at is not None,
        }
        for n in rows
    ]


def mark_read(session: Session, user_id: int, now: datetime, notification_ids: list[int] | None = None) -> int:
    """Mark the user's notices read (all of them when no ids are given); never touches anyone else's."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    if notification_ids is not None:
        query = query.where(Notification.id.in_(notification_ids))
    return session.execute(query.values(read_at=now)).rowcount
