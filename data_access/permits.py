"""Shared-parking permits (DESIGN.md 5.4, issue 4 item 4): applications, allocation, status.

Life of a permit: `pending` (just applied) -> `granted` (a lot) or `waitlisted` (no lot, in the
queue in application order). Every allocation run (with the `parking` job, and on demand after
each application) re-solves the whole pool of pending, granted and waitlisted permits of a window
against the lots' current shareable spaces (`domain.allocation`).

When the spaces drop and a granted permit no longer fits, the permit is withdrawn *back to the
waitlist* (status `waitlisted`, lot cleared) and the applicant gets a notice saying so and giving
their queue position: a resident whose space was taken away by the numbers expects to get one
back when they recover, without applying again, and keeps the place their application date gives
them. Status `withdrawn` is left for a permit taken out of the pool for good (by staff), and
`cancelled` for one the applicant gave up; neither takes part in allocation.

A granted permit is never lost to a newcomer while its lot's spaces hold (holder protection in
`domain.allocation`); it may move to another lot the applicant ranked when that serves more
people or a better-ranked choice, with a notice.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from sqlalchemy import func, select, text, tuple_, update
from sqlalchemy.orm import Session

from data_access.audit import record_read
from data_access.models import Estate, ParkingLot, ParkingPermit
from data_access.notify import latest_notice
from data_access.parking import current_shareable
from domain.allocation import Applicant, allocate
from domain.masking import mask_plate, normalise_plate, valid_plate
from domain.notify import Notifier, permit_notice, window_names

log = logging.getLogger(__name__)

KINDS = ("resident", "employee")
WINDOWS = ("day", "night")
POOL = ("pending", "granted", "waitlisted")
MAX_CHOICES = 3
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: read out over the phone
ALLOCATION_LOCK = 5_400_401  # PostgreSQL advisory lock: one allocation run at a time


class PermitError(ValueError):
    """An application that cannot be stored; `key` names the problem (an i18n key)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def window_lots(session: Session, window: str, community_ids: list[int] | None = None) -> list[dict]:
    """The lots of a window with their current shareable spaces: shareable is None and available
    False when the lot's latest result was withheld or it has none yet."""
    results = {row["lot_id"]: row for row in current_shareable(session, community_ids)}
    query = (
        select(ParkingLot, Estate.community_id)
        .join(Estate, Estate.id == ParkingLot.estate_id)
        .where(ParkingLot.share_window == window)
        .order_by(ParkingLot.code)
    )
    if community_ids is not None:
        query = query.where(Estate.community_id.in_(community_ids))
    lots = []
    for lot, community_id in session.execute(query):
        result = results.get(lot.id)
        published = result is not None and result["status"] == "published"
        lots.append(
            {
                "lot": lot.code,
                "lot_id": lot.id,
                "lot_zh": lot.name_zh,
                "lot_en": lot.name_en,
                "community_id": community_id,
                "window": window,
                "window_start": lot.window_start,
                "window_end": lot.window_end,
                "available": published,
                "shareable": result["shareable"] if published else None,
            }
        )
    return lots


def check_application(
    applicant_kind: str, applicant_name: str, plate: str, contact: str, window: str, preferences: list[str]
) -> list[str]:
    """The problems of an application (i18n keys), without touching the store. Empty choices are
    skipped, so "2nd choice only" counts as a first choice."""
    problems = []
    if applicant_kind not in KINDS:
        problems.append("permit.error.kind")
    name = (applicant_name or "").strip()
    if not name:
        problems.append("permit.error.name_required")
    elif len(name) > 80:
        problems.append("permit.error.name_too_long")
    normal = normalise_plate(plate)
    if not normal:
        problems.append("permit.error.plate_required")
    elif not valid_plate(normal):
        problems.append("permit.error.plate_format")
    digits = "".join(ch for ch in (contact or "") if ch.isdigit())
    if not (contact or "").strip():
        problems.append("permit.error.contact_required")
    elif not (6 <= len(digits) <= 15) or any(ch not in "0123456789+- ()" for ch in contact.strip()):
        problems.append("permit.error.contact_format")
    if window not in WINDOWS:
        problems.append("permit.error.window")
    chosen = [p for p in preferences if p]
    if not chosen:
        problems.append("permit.error.choice_required")
    elif len(chosen) > MAX_CHOICES:
        problems.append("permit.error.too_many_choices")
    elif len(set(chosen)) != len(chosen):
        problems.append("permit.error.repeated_choice")
    return problems


def _new_code(session: Session) -> str:
    while True:
        code = "PK" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if session.scalar(select(ParkingPermit.id).where(ParkingPermit.tracking_code == code)) is None:
            return code


def apply(
    session: Session,
    now: datetime,
    applicant_kind: str,
    applicant_name: str,
    plate: str,
    contact: str,
    window: str,
    preferences: list[str],
) -> ParkingPermit:
    """Store an application as `pending`; raises PermitError (nothing stored) when it is not valid."""
    problems = check_application(applicant_kind, applicant_name, plate, contact, window, preferences)
    if problems:
        raise PermitError(problems[0])
    chosen = [p for p in preferences if p]
    lots = {
        code: community_id
        for code, community_id in session.execute(
            select(ParkingLot.code, Estate.community_id)
            .join(Estate, Estate.id == ParkingLot.estate_id)
            .where(ParkingLot.code.in_(chosen), ParkingLot.share_window == window)
        )
    }
    if any(code not in lots for code in chosen):
        raise PermitError("permit.error.choice_window")
    permit = ParkingPermit(
        tracking_code=_new_code(session),
        community_id=lots[chosen[0]],
        applicant_kind=applicant_kind,
        applicant_name=applicant_name.strip(),
        plate=normalise_plate(plate),
        contact=contact.strip(),
        share_window=window,
        preferences=chosen,
        status="pending",
        lot_id=None,
        applied_at=now,
        decided_at=None,
    )
    session.add(permit)
    session.flush()
    return permit


def _lock(session: Session) -> None:
    """Serialise allocation runs: SQLite write transactions already hold the database lock from
    BEGIN IMMEDIATE; PostgreSQL takes a transaction-scoped advisory lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ALLOCATION_LOCK})


def run_allocation(session: Session, now: datetime, notifier: Notifier) -> dict:
    """Re-solve every window's pool against the current shareable spaces, write the decisions and
    queue the notices (granted, moved, withdrawn back to the waitlist, first waitlisted).
    Safe to re-run: with nothing changed it changes nothing and sends nothing."""
    _lock(session)
    capacity: dict[str, dict[str, int]] = {w: {} for w in WINDOWS}
    lots_by_code: dict[str, ParkingLot] = {}
    for lot in session.scalars(select(ParkingLot)):
        lots_by_code[lot.code] = lot
    for row in current_shareable(session):
        spaces = row["shareable"] if row["status"] == "published" and row["shareable"] else 0
        if row["window"] in capacity:
            capacity[row["window"]][row["lot"]] = spaces
    code_by_id = {lot.id: code for code, lot in lots_by_code.items()}

    summary = {"permits": 0, "granted": 0, "waitlisted": 0, "newly_granted": 0, "moved": 0, "withdrawn": 0,
               "newly_waitlisted": 0, "notices": 0}  # fmt: skip
    changes: list[dict] = []  # one UPDATE by primary key for all of them: a district run decides ~50,000
    notices: list[tuple[str, str, str, str, str, str]] = []
    for window in WINDOWS:
        permits = session.execute(
            select(ParkingPermit.id, ParkingPermit.status, ParkingPermit.lot_id, ParkingPermit.preferences,
                   ParkingPermit.contact, ParkingPermit.plate, ParkingPermit.tracking_code)
            .where(ParkingPermit.share_window == window, ParkingPermit.status.in_(POOL))
            .order_by(ParkingPermit.applied_at, ParkingPermit.id)
        ).all()  # fmt: skip
        applicants = [
            Applicant(
                p.id,
                tuple(p.preferences or ()),
                code_by_id.get(p.lot_id) if p.status == "granted" else None,
            )
            for p in permits
        ]
        result = allocate(applicants, capacity[window])
        if result.unsolved:  # their decisions stay as they were, and the run says why
            summary[f"{window}_unsolved"] = len(result.unsolved)
            summary[f"{window}_problem"] = "; ".join(result.problems)
            log.warning("permit allocation (%s) left %d applicants as they were: %s", window,
                        len(result.unsolved), "; ".join(result.problems))  # fmt: skip
        if result.relaxed:
            summary[f"{window}_relaxed"] = ",".join(sorted(result.relaxed))
        unsolved = set(result.unsolved)
        positions = {permit_id: n for n, permit_id in enumerate(result.waitlist, start=1)}
        summary["permits"] += len(permits)
        summary[f"{window}_capacity"] = sum(capacity[window].values())
        summary[f"{window}_granted"] = result.served
        summary[f"{window}_waitlisted"] = len(result.waitlist)
        summary["granted"] += result.served
        summary["waitlisted"] += len(result.waitlist)
        for permit in permits:
            if permit.id in unsolved:
                continue
            lot_code = result.assignments.get(permit.id)
            if lot_code is not None:
                lot = lots_by_code[lot_code]
                if permit.status == "granted" and permit.lot_id == lot.id:
                    continue
                changes.append({"id": permit.id, "status": "granted", "lot_id": lot.id, "decided_at": now})
                key = "notice.permit_moved" if permit.status == "granted" else "notice.permit_granted"
                summary["moved" if permit.status == "granted" else "newly_granted"] += 1
                notices.append(_notice(permit, key, lot, None))
            else:
                if permit.status == "waitlisted":
                    continue
                changes.append({"id": permit.id, "status": "waitlisted", "lot_id": None, "decided_at": now})
                if permit.status == "granted":
                    summary["withdrawn"] += 1
                    notices.append(_notice(permit, "notice.permit_withdrawn",
                                           lots_by_code.get(code_by_id.get(permit.lot_id)), positions[permit.id]))  # fmt: skip
                else:
                    summary["newly_waitlisted"] += 1
                    notices.append(_notice(permit, "notice.permit_waitlisted", None, positions[permit.id]))
            summary["notices"] += 1
    for start in range(0, len(changes), 5000):
        session.execute(update(ParkingPermit), changes[start : start + 5000])
    notifier.send_many([n for n in notices if n is not None])
    session.flush()
    return summary


def _notice(permit, key: str, lot: ParkingLot | None, position: int | None) -> tuple | None:  # noqa: ANN001 - a Row
    """The SMS for one decision, as `Notifier.send` arguments; None when the applicant left no contact."""
    if not permit.contact:
        return None
    params: dict[str, object] = {
        "code": permit.tracking_code,
        "plate": mask_plate(permit.plate),
        "position": position or "",
        "lot_zh": lot.name_zh if lot else "",
        "lot_en": lot.name_en if lot else "",
        "window_zh": "",
        "window_en": "",
    }
    if lot is not None:
        params["window_zh"], params["window_en"] = window_names(lot.share_window, lot.window_start, lot.window_end)
    body_zh, body_en = permit_notice(key, **params)
    return ("sms", permit.contact, key, body_zh, body_en, f"permit:{permit.tracking_code}")


def waitlist_position(session: Session, permit: ParkingPermit) -> int | None:
    """1 + the waitlisted permits of the same window that applied earlier (the allocation's order)."""
    if permit.status != "waitlisted":
        return None
    earlier = session.scalar(
        select(func.count(ParkingPermit.id)).where(
            ParkingPermit.share_window == permit.share_window,
            ParkingPermit.status == "waitlisted",
            tuple_(ParkingPermit.applied_at, ParkingPermit.id) < tuple_(permit.applied_at, permit.id),
        )
    )
    return (earlier or 0) + 1


def permit_status(session: Session, code: str) -> dict | None:
    """What the public status page may show: no name, no contact, no full plate."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    permit = session.scalar(select(ParkingPermit).where(ParkingPermit.tracking_code == code))
    if permit is None:
        return None
    lots = {
        lot.code: lot
        for lot in session.scalars(select(ParkingLot).where(ParkingLot.code.in_(list(permit.preferences or []))))
    }
    granted = session.get(ParkingLot, permit.lot_id) if permit.lot_id is not None else None
    any_lot = granted or next(iter(lots.values()), None)
    window_zh, window_en = (
        window_names(permit.share_window, any_lot.window_start, any_lot.window_end) if any_lot else ("", "")
    )
    return {
        "code": permit.tracking_code,
        "status": permit.status,
        "window": permit.share_window,
        "window_zh": window_zh,
        "window_en": window_en,
        "applicant_kind": permit.applicant_kind,
        "plate_masked": mask_plate(permit.plate),
        "lot": granted.code if granted else None,
        "lot_zh": granted.name_zh if granted else None,
        "lot_en": granted.name_en if granted else None,
        "choices": [
            {"lot": c, "lot_zh": lots[c].name_zh if c in lots else c, "lot_en": lots[c].name_en if c in lots else c}
            for c in permit.preferences or []
        ],
        "position": waitlist_position(session, permit),
        "applied_at": permit.applied_at,
        "decided_at": permit.decided_at,
        "notice": latest_notice(session, f"permit:{permit.tracking_code}"),
    }


def permits_overview(session: Session, community_ids: list[int] | None) -> dict:
    """Counts for the staff parking page: per lot and window, granted permits and waitlisted ones
    whose first choice is the lot, against the lot's shareable spaces; totals per window."""
    lot_query = select(ParkingLot, Estate.community_id).join(Estate, Estate.id == ParkingLot.estate_id)
    permit_filter = []
    if community_ids is not None:
        lot_query = lot_query.where(Estate.community_id.in_(community_ids))
        permit_filter.append(ParkingPermit.community_id.in_(community_ids))
    shareable = {row["lot_id"]: row for row in current_shareable(session, community_ids)}
    granted = dict(
        session.execute(
            select(ParkingPermit.lot_id, func.count(ParkingPermit.id))
            .where(ParkingPermit.status == "granted", *permit_filter)
            .group_by(ParkingPermit.lot_id)
        ).all()
    )
    first_choice: dict[str, int] = {}
    windows = {w: {"granted": 0, "waitlisted": 0, "pending": 0, "shareable": 0} for w in WINDOWS}
    for status, window, preferences in session.execute(
        select(ParkingPermit.status, ParkingPermit.share_window, ParkingPermit.preferences).where(
            ParkingPermit.status.in_(POOL), *permit_filter
        )
    ):
        if window not in windows:
            continue
        windows[window][status] += 1
        if status == "waitlisted" and preferences:
            first_choice[preferences[0]] = first_choice.get(preferences[0], 0) + 1
    lots = []
    for lot, community_id in session.execute(lot_query.order_by(ParkingLot.share_window, ParkingLot.code)):
        result = shareable.get(lot.id)
        spaces = result["shareable"] if result and result["status"] == "published" else None
        if spaces and lot.share_window in windows:
            windows[lot.share_window]["shareable"] += spaces
        lots.append(
            {
                "lot": lot.code,
                "lot_id": lot.id,
                "lot_zh": lot.name_zh,
                "lot_en": lot.name_en,
                "community_id": community_id,
                "window": lot.share_window,
                "shareable": spaces,
                "granted": granted.get(lot.id, 0),
                "waitlisted_first_choice": first_choice.get(lot.code, 0),
            }
        )
    return {"lots": lots, "windows": windows}


PLATE_ROLES = frozenset({"secretary", "admin"})  # who handles permits and may see whole plates


def permit_list(
    session: Session, community_ids: list[int], viewer_id: int, viewer_role: str, now: datetime, limit: int = 500
) -> list[dict]:
    """Permits for the staff page, newest first. Plates are masked unless the role needs them; a view
    of whole plates is written to the audit log. Names and contacts are never listed."""
    full = viewer_role in PLATE_ROLES
    rows = session.execute(
        select(ParkingPermit, ParkingLot.code, ParkingLot.name_zh, ParkingLot.name_en)
        .outerjoin(ParkingLot, ParkingLot.id == ParkingPermit.lot_id)
        .where(ParkingPermit.community_id.in_(community_ids))
        .order_by(ParkingPermit.applied_at.desc(), ParkingPermit.id.desc())
        .limit(limit)
    ).all()
    listed = [
        {
            "code": p.tracking_code,
            "kind": p.applicant_kind,
            "window": p.share_window,
            "status": p.status,
            "lot": code,
            "lot_zh": zh,
            "lot_en": en,
            "preferences": list(p.preferences or []),
            "plate": p.plate if full else mask_plate(p.plate),
            "applied_at": p.applied_at,
            "decided_at": p.decided_at,
        }
        for p, code, zh, en in rows
    ]
    if full and listed:
        record_read(session, viewer_id, "parking_permit", None, f"plates of {len(listed)} permits", now)
    return listed


def permits_of_lot(rows: list[dict], lot_code: str) -> list[dict]:
    """Of `permit_list` rows, a lot's: granted there, or waiting (pending, waitlisted) with the lot among
    their choices; each with `choice`, the rank the applicant gave the lot (1 = first), or None."""
    found = []
    for row in rows:
        ranked = row["preferences"]
        waiting = row["status"] in ("pending", "waitlisted") and lot_code in ranked
        if row["lot"] == lot_code or waiting:
            found.append({**row, "choice": ranked.index(lot_code) + 1 if lot_code in ranked else None})
    return found
