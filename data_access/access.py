"""Door-access events: pseudonymous ingestion, aggregate statistics, and deletion after retention.

Only (person pseudonym, gate, direction, time) is ever stored (DESIGN.md 5.7). The statistics here
are counts per gate and hour, never per person, so the page and the wall can show them to any role;
the per-person question ("when was this watched person last seen?") lives in `data_access.welfare`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, cast, delete, extract, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from data_access.audit import record
from data_access.models import AccessEvent, Community
from domain.iot import CleanAccessEvent


def community_by_code(session: Session, code: str) -> int | None:
    return session.scalar(select(Community.id).where(Community.code == code))


def store_access_events(session: Session, community_id: int, source: str, events: list[CleanAccessEvent]) -> int:
    """Insert the events; one already stored (same source and event id) is left alone. Returns how
    many were new."""
    if not events:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    rows = [{"community_id": community_id, "source": source, "source_id": e.event_id, "person_pid": e.person_id,
             "gate": e.gate, "direction": e.direction, "at": e.at} for e in events]  # fmt: skip
    stored = 0
    for start in range(0, len(rows), 1000):
        statement = (
            insert(AccessEvent)
            .values(rows[start : start + 1000])
            .on_conflict_do_nothing(index_elements=["source", "source_id"])
            .returning(AccessEvent.id)
        )
        stored += len(session.execute(statement).all())
    return stored


def _hour(session: Session):  # noqa: ANN202
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.strftime("%H", AccessEvent.at), Integer)
    return cast(extract("hour", AccessEvent.at), Integer)


def gate_hour_counts(session: Session, community_ids: list[int], since: datetime, until: datetime) -> list[dict]:
    """Passages per gate, hour of day and direction in [since, until) — counts only."""
    hour = _hour(session)
    rows = session.execute(
        select(AccessEvent.gate, hour.label("hour"), AccessEvent.direction, func.count(AccessEvent.id))
        .where(AccessEvent.community_id.in_(community_ids), AccessEvent.at >= since, AccessEvent.at < until)
        .group_by(AccessEvent.gate, hour, AccessEvent.direction)
        .order_by(AccessEvent.gate, hour, AccessEvent.direction)
    )
    return [{"gate": g, "hour": int(h), "direction": d, "count": n} for g, h, d, n in rows]


def daily_counts(session: Session, community_ids: list[int], since: datetime, until: datetime) -> list[dict]:
    day = func.date(AccessEvent.at)
    rows = session.execute(
        select(day.label("day"), AccessEvent.direction, func.count(AccessEvent.id))
        .where(AccessEvent.community_id.in_(community_ids), AccessEvent.at >= since, AccessEvent.at < until)
        .group_by(day, AccessEvent.direction)
        .order_by(day)
    )
    return [{"day": str(d), "direction": direction, "count": n} for d, direction, n in rows]


def access_totals(session: Session, community_ids: list[int], since: datetime, until: datetime) -> dict:
    events, gates, oldest = session.execute(
        select(func.count(AccessEvent.id), func.count(func.distinct(AccessEvent.gate)), func.min(AccessEvent.at)).where(
            AccessEvent.community_id.in_(community_ids), AccessEvent.at >= since, AccessEvent.at < until
        )
    ).one()
    kept_from = session.scalar(select(func.min(AccessEvent.at)).where(AccessEvent.community_id.in_(community_ids)))
    return {"events": events, "gates": gates, "oldest_in_span": oldest, "kept_from": kept_from}


def delete_expired(session: Session, cutoff: datetime, now: datetime) -> dict[int, int]:
    """Delete every door event before `cutoff`, per community (the (community, time) index finds them),
    and log each deletion in the audit log. Returns {community_id: rows deleted}."""
    deleted = {}
    for community_id in session.scalars(select(Community.id).order_by(Community.id)):
        n = session.execute(
            delete(AccessEvent).where(AccessEvent.community_id == community_id, AccessEvent.at < cutoff)
        ).rowcount
        if n:
            deleted[community_id] = n
            record(session, None, "delete", "access_event", f"community:{community_id}",
                   f"retention: {n} door events before {cutoff.isoformat(sep=' ')}", now)  # fmt: skip
    return deleted
