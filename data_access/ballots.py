"""The monthly resident ballot: the key behind the households' codes, casting a ballot on /vote, the notice
sheet of codes staff print (audited), and the comments (scrubbed, never with the household).

The key lives in `<instance_dir>/ballot_key` (generated once, mode 0600), apart from the session key, so
rotating one never voids the notices already printed with the other. Every process serving /vote or printing
notices must see the same instance folder.
"""

from __future__ import annotations

import hmac
import os
import secrets
import time
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data_access.audit import record_read
from data_access.models import Ballot, Building, Community, Estate, Household
from domain.ballots import household_code, normalise_code, scrub_comment
from domain.estate_index import month_of

KEY_FILE = "ballot_key"
NOTICE_ROLES = frozenset({"grid_worker", "grid_leader", "secretary", "admin"})


class BallotError(Exception):
    """A refused ballot: `key` is "code" (wrong code, or a code of another estate: the same answer for both),
    "already" (this household voted this month) or "estate" (no such residential estate)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def ballot_key(instance_path: Path) -> bytes:
    path = Path(instance_path) / KEY_FILE
    for _ in range(50):
        try:
            text = path.read_text().strip()
        except FileNotFoundError:
            text = None
        if text:
            return bytes.fromhex(text)
        if text is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue  # another worker is writing it: read it on the next turn
            key = secrets.token_hex(32)
            with os.fdopen(fd, "w") as fh:
                fh.write(key)
            return bytes.fromhex(key)
        time.sleep(0.02)  # created but not written yet
    raise RuntimeError(f"{path} stays empty; delete it to have a new key generated")


def vote_estates(session: Session) -> list[dict]:
    """The residential estates residents may vote for (office parks have no households)."""
    rows = session.execute(
        select(Estate.id, Estate.code, Estate.name_zh, Estate.name_en, Community.name_zh, Community.name_en)
        .join(Community, Community.id == Estate.community_id)
        .where(Estate.kind == "residential")
        .order_by(Community.id, Estate.id)
    )
    return [
        {"id": i, "code": c, "name_zh": zh, "name_en": en, "community_zh": czh, "community_en": cen}
        for i, c, zh, en, czh, cen in rows
    ]


def _household_ids(session: Session, estate_id: int) -> list[int]:
    return list(
        session.scalars(
            select(Household.id)
            .join(Building, Building.id == Household.building_id)
            .where(Building.estate_id == estate_id)
            .order_by(Household.id)
        )
    )


def household_for_code(session: Session, key: bytes, estate_id: int, code: object, month: str) -> int | None:
    """The household of `estate_id` whose code for `month` this is, or None."""
    wanted = normalise_code(code)
    if wanted is None:
        return None
    # compare every household's code, so the time taken does not tell where a near miss was
    found = None
    for household_id in _household_ids(session, estate_id):
        if hmac.compare_digest(household_code(key, household_id, month), wanted) and found is None:
            found = household_id
    return found


def cast_ballot(
    session: Session,
    key: bytes,
    estate_id: object,
    code: object,
    ratings: dict[str, int],
    comment: str | None,
    now: datetime,
) -> dict:
    """Store one household's ballot for now's month; raises BallotError. Ratings and comment are checked
    (domain.ballots.check_ballot) by the caller."""
    estate = session.get(Estate, estate_id) if isinstance(estate_id, int) else None
    if estate is None or estate.kind != "residential":
        raise BallotError("estate")
    month = month_of(now)
    household_id = household_for_code(session, key, estate.id, code, month)
    if household_id is None:
        raise BallotError("code")
    if session.scalar(select(Ballot.id).where(Ballot.household_id == household_id, Ballot.month == month)):
        raise BallotError("already")
    try:
        with session.begin_nested():  # two tabs sending at once: the UNIQUE constraint decides
            ballot = Ballot(household_id=household_id, estate_id=estate.id, month=month, comment=comment, cast_at=now)
            for aspect, rating in ratings.items():
                setattr(ballot, aspect, rating)
            session.add(ballot)
    except IntegrityError as exc:
        raise BallotError("already") from exc
    return {"month": month, "estate_zh": estate.name_zh, "estate_en": estate.name_en}


def _natural(text: str) -> tuple[int, str]:
    return (len(text), text)


def notice_sheet(
    session: Session,
    key: bytes,
    community_ids: list[int],
    estate_code: str,
    month: str,
    user_id: int,
    now: datetime,
    building_code: str | None = None,
) -> dict | None:
    """Every household of the estate (or of one building) with its code for `month`, for the notice printed
    and put through the doors. Codes are personal-ish: the caller checks the role, this records the read."""
    estate = session.scalar(
        select(Estate).where(
            Estate.code == estate_code, Estate.community_id.in_(community_ids), Estate.kind == "residential"
        )
    )
    if estate is None:
        return None
    query = (
        select(Household.id, Household.unit, Household.room, Building.code, Building.name_zh, Building.name_en)
        .join(Building, Building.id == Household.building_id)
        .where(Building.estate_id == estate.id)
    )
    if building_code:
        query = query.where(Building.code == building_code)
    rows = session.execute(query).all()
    rows.sort(key=lambda r: (_natural(r.code), r.unit, _natural(r.room)))
    households = [
        {
            "building_zh": r.name_zh,
            "building_en": r.name_en,
            "unit": r.unit,
            "room": r.room,
            "code": household_code(key, r.id, month),
        }
        for r in rows
    ]
    buildings = sorted(
        session.execute(
            select(Building.code, Building.name_zh, Building.name_en).where(Building.estate_id == estate.id)
        ).all(),
        key=lambda b: _natural(b[0]),
    )
    detail = f"notice sheet printed: {len(households)} household codes"
    if building_code:
        detail += f", building {building_code}"
    record_read(session, user_id, "ballot_code", f"{estate.code}:{month}", detail, now)
    return {
        "estate": {"id": estate.id, "code": estate.code, "name_zh": estate.name_zh, "name_en": estate.name_en},
        "month": month,
        "building": building_code,
        "buildings": [{"code": c, "name_zh": zh, "name_en": en} for c, zh, en in buildings],
        "households": households,
    }


def ballot_comments(session: Session, estate_id: int, month: str, limit: int = 30) -> list[str]:
    """The comments of a month's ballots, newest first: the text alone, never who wrote it."""
    rows = session.scalars(
        select(Ballot.comment)
        .where(Ballot.estate_id == estate_id, Ballot.month == month, Ballot.comment.is_not(None), Ballot.comment != "")
        .order_by(Ballot.cast_at.desc(), Ballot.id.desc())
        .limit(limit)
    )
    return [text for text in (scrub_comment(c) for c in rows) if text]


def ballot_count(session: Session, estate_id: int, month: str) -> int:
    return session.scalar(select(func.count(Ballot.id)).where(Ballot.estate_id == estate_id, Ballot.month == month))
