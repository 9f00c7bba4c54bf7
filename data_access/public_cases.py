"""What the residents' pages read: the choices of the report form, and the public view of a case by
its tracking code (`/report/<code>`).

The tracking code is the reporter's only proof, and anyone holding it sees this view, so it is built
from a short list of columns: never the reporter's contact, never who handled the case, and of the
trail's notes only the two written for the reporter (the resolution note and the rejection reason).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from data_access.models import Building, Category, Community, Estate, Event, EventAction, EventPhoto, Grid

PUBLIC_NOTE_ACTIONS = ("resolve", "reject")
# Steps a reporter may see, in the trail's own words; anything else (new internal steps) stays hidden.
PUBLIC_ACTIONS = (
    "report", "accept", "push_up", "escalate", "resolve", "verify", "reopen", "reject", "link_duplicate",
    "duplicate_joined", "regrade",
)  # fmt: skip
REPORTER_LABEL = "reporter"  # actor_label of steps taken on the tracking page (domain.workflow.REPORTER)


def form_choices(session: Session) -> dict:
    """Active categories, estates with their buildings, and the outlines for the offline site plan."""
    categories = [
        {"code": code, "name_zh": zh, "name_en": en}
        for code, zh, en in session.execute(
            select(Category.code, Category.name_zh, Category.name_en)
            .where(Category.active.is_(True))
            .order_by(Category.id)
        )
    ]
    community_count = len(list(session.scalars(select(Community.id).limit(2))))
    estates = []
    by_id = {}
    rows = session.execute(
        select(
            Estate.id, Estate.name_zh, Estate.name_en, Estate.kind, Estate.lat, Estate.lon, Estate.polygon,
            Community.name_zh, Community.name_en,
        )
        .join(Community, Community.id == Estate.community_id)
        .order_by(Estate.community_id, Estate.code)
    )  # fmt: skip
    for eid, zh, en, kind, lat, lon, polygon, community_zh, community_en in rows:
        estate = {
            "id": eid, "name_zh": zh, "name_en": en, "kind": kind, "lat": lat, "lon": lon, "polygon": polygon,
            "community_zh": community_zh if community_count > 1 else None,
            "community_en": community_en if community_count > 1 else None, "buildings": [],
        }  # fmt: skip
        estates.append(estate)
        by_id[eid] = estate
    for bid, estate_id, zh, en, lat, lon in session.execute(
        select(
            Building.id, Building.estate_id, Building.name_zh, Building.name_en, Building.lat, Building.lon
        ).order_by(Building.estate_id, Building.id)
    ):
        by_id[estate_id]["buildings"].append({"id": bid, "name_zh": zh, "name_en": en, "lat": lat, "lon": lon})
    grids = [
        {"name_zh": zh, "name_en": en, "polygon": polygon}
        for zh, en, polygon in session.execute(
            select(Grid.name_zh, Grid.name_en, Grid.polygon).where(Grid.polygon.is_not(None)).order_by(Grid.id)
        )
    ]
    return {"categories": categories, "estates": estates, "grids": grids}


def tracking_code_for(session: Session, source: str, source_ref: str) -> str | None:
    """The case a report with this natural key already opened (a resubmitted form), if any."""
    return session.scalar(select(Event.tracking_code).where(Event.source == source, Event.source_ref == source_ref))


def case_id_for_code(session: Session, code: str) -> int | None:
    return session.scalar(select(Event.id).where(Event.tracking_code == code))


def _case_row(session: Session, where) -> dict | None:  # noqa: ANN001 - a SQL condition
    row = session.execute(
        select(
            Event.id, Event.tracking_code, Event.status, Event.grade, Event.description, Event.reported_at,
            Event.resolved_at, Event.closed_at, Event.duplicate_of_id, Event.reopen_count,
            Category.code.label("category"), Category.name_zh.label("category_zh"),
            Category.name_en.label("category_en"), Estate.name_zh.label("estate_zh"),
            Estate.name_en.label("estate_en"), Building.name_zh.label("building_zh"),
            Building.name_en.label("building_en"),
        )
        .join(Category, Category.id == Event.category_id)
        .outerjoin(Estate, Estate.id == Event.estate_id)
        .outerjoin(Building, Building.id == Event.building_id)
        .where(where)
    ).one_or_none()  # fmt: skip
    return None if row is None else dict(row._mapping)


def public_timeline(session: Session, case_id: int) -> list[dict]:
    """The trail as the reporter sees it: when, which step, and only the notes meant for them."""
    rows = session.execute(
        select(
            EventAction.at,
            EventAction.action,
            EventAction.to_status,
            (EventAction.actor_label == REPORTER_LABEL).label("by_reporter"),
            case((EventAction.action.in_(PUBLIC_NOTE_ACTIONS), EventAction.note), else_=None).label("note"),
        )
        .where(EventAction.event_id == case_id, EventAction.action.in_(PUBLIC_ACTIONS))
        .order_by(EventAction.at, EventAction.id)
    )
    return [
        {"at": at, "action": action, "to_status": to, "by_reporter": bool(by_reporter), "note": note}
        for at, action, to, by_reporter, note in rows
    ]


def public_photos(session: Session, case_id: int) -> list[dict]:
    rows = session.execute(
        select(EventPhoto.sha256, EventPhoto.mime, EventPhoto.stage, EventPhoto.created_at)
        .where(EventPhoto.event_id == case_id)
        .order_by(EventPhoto.created_at, EventPhoto.id)
    )
    return [{"sha256": sha, "mime": mime, "stage": stage, "at": at} for sha, mime, stage, at in rows]


def resolution_note(timeline: list[dict]) -> tuple[datetime | None, str | None]:
    """The latest resolution (when, note), for the 'resolved' panel."""
    for step in reversed(timeline):
        if step["action"] == "resolve":
            return step["at"], step["note"]
    return None, None


def public_case(session: Session, code: str) -> dict | None:
    """The case behind a tracking code, with its public trail and photos; for a duplicate also the
    earlier case it joined (its progress and photos, not its description: another resident wrote that)."""
    case_row = _case_row(session, Event.tracking_code == code)
    if case_row is None:
        return None
    case_row["timeline"] = public_timeline(session, case_row["id"])
    case_row["photos"] = public_photos(session, case_row["id"])
    case_row["original"] = None
    if case_row["duplicate_of_id"] is not None:
        original = _case_row(session, Event.id == case_row["duplicate_of_id"])
        if original is not None:
            original.pop("description")
            original["timeline"] = public_timeline(session, original["id"])
            original["photos"] = public_photos(session, original["id"])
            case_row["original"] = original
    return case_row


def case_photo_mime(session: Session, code: str, sha256: str) -> str | None:
    """The stored type of a photo of the case behind `code` (or of the case it joined), else None."""
    event = session.execute(select(Event.id, Event.duplicate_of_id).where(Event.tracking_code == code)).one_or_none()
    if event is None:
        return None
    ids = [event.id] + ([event.duplicate_of_id] if event.duplicate_of_id is not None else [])
    return session.scalar(
        select(EventPhoto.mime).where(EventPhoto.event_id.in_(ids), EventPhoto.sha256 == sha256).limit(1)
    )


def staff_photo_mime(session: Session, sha256: str, community_ids: list[int]) -> str | None:
    """The stored type of a photo that belongs to a case in one of `community_ids`, else None."""
    if not community_ids:
        return None
    return session.scalar(
        select(EventPhoto.mime)
        .join(Event, Event.id == EventPhoto.event_id)
        .where(EventPhoto.sha256 == sha256, Event.community_id.in_(community_ids))
        .limit(1)
    )
