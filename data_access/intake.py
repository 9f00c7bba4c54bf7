"""Every report becomes the same kind of case, whoever sends it: the staff form, the residents' page
`/report`, Open311 clients, the camera car, IoT. `submit_report` places the report (community, estate,
building, grid), links it to an open case of the same category nearby instead of opening a second
one, and opens the case with its grading, photos and first trail entry — all in the caller's one
transaction, and idempotent on (source, source_ref).

Grading needs the trained model, which is read outside the write transaction: callers grade first
(`data_access.grading.classify_report`) and pass the result in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.case_intake import NewCase, new_tracking_code, open_case
from data_access.models import Building, Category, Community, Estate, Event, EventAction, EventPhoto, Grid
from data_access.notify import OutboxNotifier
from data_access.photos import StoredPhoto
from data_access.workflow import raise_grade
from domain.catalog import SOURCES
from domain.geo import degree_box, distance_m, point_in_polygon, valid_point
from domain.notify import Notifier
from domain.workflow import more_severe

if TYPE_CHECKING:  # the grader's result type; only its fields are read here
    from domain.grading import Grading

TEXT_MAX = 4000
CONTACT_MAX = 120
DUPLICATE_STATUSES = ("reported", "in_progress", "resolved")  # "an open case": not yet closed


class IntakeError(ValueError):
    """A report that cannot be taken; `code` is a stable key (intake.error.<code> in the UI)."""

    def __init__(self, code: str, field_name: str | None = None) -> None:
        super().__init__(code if field_name is None else f"{field_name}: {code}")
        self.code = code
        self.field = field_name


@dataclass(frozen=True)
class Report:
    source: str  # one of domain.catalog.SOURCES
    source_ref: str  # natural key within the source: a replay with the same key opens nothing new
    text: str
    community_id: int | None = None  # None: worked out from the estate, building or point
    category_hint: str | None = None  # what the reporter or machine chose (kept; the grade is still computed)
    estate_id: int | None = None
    building_id: int | None = None
    lat: float | None = None
    lon: float | None = None
    contact: str | None = None
    actor_id: int | None = None  # the staff member who reported it
    actor_label: str = "resident"
    photos: tuple[StoredPhoto, ...] = field(default_factory=tuple)
    reported_at: datetime | None = None  # when it was seen (camera car); default: now


@dataclass(frozen=True)
class Place:
    community_id: int
    estate_id: int | None
    building_id: int | None
    grid_id: int | None
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class IntakeResult:
    case_id: int
    tracking_code: str
    created: bool  # False: a replay of a report already stored
    status: str
    category: str
    grade: str
    duplicate_of_id: int | None
    duplicate_of_code: str | None


def check_report(report: Report) -> None:
    """What can be refused before touching the store."""
    if report.source not in SOURCES:
        raise IntakeError("bad_source", "source")
    if not report.source_ref or len(report.source_ref) > 80:
        raise IntakeError("bad_ref", "source_ref")
    if not report.text or not report.text.strip():
        raise IntakeError("text_required", "text")
    if len(report.text) > TEXT_MAX:
        raise IntakeError("text_too_long", "text")
    if report.contact is not None and len(report.contact) > CONTACT_MAX:
        raise IntakeError("contact_too_long", "contact")
    if (report.lat is None) != (report.lon is None):
        raise IntakeError("bad_point", "lat")
    if report.lat is not None and not valid_point(report.lat, report.lon):
        raise IntakeError("bad_point", "lat")


def place_report(session: Session, report: Report) -> Place:
    """Community, estate, building and grid of a report; IntakeError when they do not fit together."""
    community_id = report.community_id
    estate = building = None
    if report.building_id is not None:
        building = session.get(Building, report.building_id)
        if building is None:
            raise IntakeError("unknown_building", "building")
        estate = session.get(Estate, building.estate_id)
        if report.estate_id is not None and report.estate_id != estate.id:
            raise IntakeError("unknown_building", "building")
    elif report.estate_id is not None:
        estate = session.get(Estate, report.estate_id)
        if estate is None:
            raise IntakeError("unknown_estate", "estate")
    lat, lon = report.lat, report.lon
    if estate is not None:
        if community_id is not None and estate.community_id != community_id:
            raise IntakeError("unknown_estate", "estate")
        community_id = estate.community_id
    grid_id = (building.grid_id if building is not None else None) or (estate.grid_id if estate else None)
    if lat is not None and (estate is None or grid_id is None):
        found_estate, found_grid, found_community = _locate(session, lat, lon, community_id)
        if community_id is None:
            community_id = found_community
        if estate is None and found_estate is not None:
            estate = found_estate
        grid_id = grid_id or found_grid or (estate.grid_id if estate else None)
    if community_id is None:
        communities = list(session.scalars(select(Community.id).limit(2)))
        if len(communities) != 1:
            raise IntakeError("place_required", "estate")
        community_id = communities[0]
    if session.get(Community, community_id) is None:
        raise IntakeError("unknown_community", "community")
    if lat is None and building is not None:  # a building pins the report down well enough for duplicates
        lat, lon = building.lat, building.lon
    return Place(community_id, estate.id if estate else None, building.id if building else None, grid_id, lat, lon)


def _locate(session: Session, lat: float, lon: float, community_id: int | None):  # noqa: ANN202
    """The estate and grid whose drawn outline holds the point, and their community."""
    estates = select(Estate).where(Estate.polygon.is_not(None))
    grids = select(Grid).where(Grid.polygon.is_not(None))
    if community_id is not None:
        estates = estates.where(Estate.community_id == community_id)
        grids = grids.where(Grid.community_id == community_id)
    estate = next((e for e in session.scalars(estates) if point_in_polygon(lat, lon, e.polygon)), None)
    grid = next((g for g in session.scalars(grids) if point_in_polygon(lat, lon, g.polygon)), None)
    community = (estate.community_id if estate else None) or (grid.community_id if grid else None)
    return estate, grid.id if grid else None, community


def find_duplicate(
    session: Session, community_id: int, category_id: int, lat: float, lon: float, radius_m: float
) -> Event | None:
    """The nearest open case of the same category within `radius_m` (a box in SQL, the circle here)."""
    dlat, dlon = degree_box(lat, radius_m)
    candidates = session.scalars(
        select(Event).where(
            Event.community_id == community_id,
            Event.category_id == category_id,
            Event.status.in_(DUPLICATE_STATUSES),
            Event.lat.between(lat - dlat, lat + dlat),
            Event.lon.between(lon - dlon, lon + dlon),
        )
    )
    best, best_d = None, None
    for event in candidates:
        d = distance_m(lat, lon, event.lat, event.lon)
        if d <= radius_m and (best_d is None or d < best_d):
            best, best_d = event, d
    return best


def submit_report(
    session: Session,
    report: Report,
    grading: Grading,
    now: datetime,
    *,
    duplicate_radius_m: float = 50,
    notifier: Notifier | None = None,
) -> IntakeResult:
    check_report(report)
    existing = session.scalar(select(Event).where(Event.source == report.source, Event.source_ref == report.source_ref))
    if existing is not None:
        return _result(session, existing, created=False)
    place = place_report(session, report)
    category = session.scalar(select(Category).where(Category.code == grading.category, Category.active.is_(True)))
    if category is None:
        raise IntakeError("unknown_category", "category")
    notifier = notifier or OutboxNotifier(session, now)
    reported_at = report.reported_at if report.reported_at and report.reported_at <= now else now
    original = None
    if place.lat is not None:
        original = find_duplicate(session, place.community_id, category.id, place.lat, place.lon, duplicate_radius_m)
    new_case = NewCase(
        community_id=place.community_id, source=report.source, source_ref=report.source_ref,
        category=category.code, grade=grading.grade, description=report.text.strip(),
        actor_label=report.actor_label, estate_id=place.estate_id, building_id=place.building_id,
        grid_id=place.grid_id, lat=place.lat, lon=place.lon, cues=tuple(grading.cues),
        confidence=round(grading.confidence, 3), actor_id=report.actor_id, contact=(report.contact or "").strip() or None,
    )  # fmt: skip
    if original is None:
        case_id, _ = open_case(session, new_case, reported_at, notifier)
        event = session.get(Event, case_id)
    else:
        event = _open_duplicate(session, new_case, original, reported_at, now)
    for photo in report.photos:
        session.add(
            EventPhoto(event_id=event.id, action_id=None, sha256=photo.sha256, mime=photo.mime, bytes=photo.bytes,
                       stage="report", created_at=now)
        )  # fmt: skip
    session.flush()
    return _result(session, event, created=True)


def _open_duplicate(session: Session, case: NewCase, original: Event, reported_at: datetime, now: datetime) -> Event:
    """Store the report as a duplicate of `original` (own tracking code, trail on both cases). A more
    severe duplicate (someone now trapped, not just a stopped lift) raises the original's grade."""
    event = Event(
        tracking_code=new_tracking_code(session), community_id=case.community_id, source=case.source,
        source_ref=case.source_ref, category_id=original.category_id, grade=case.grade,
        grade_confidence=case.confidence, grade_cues=list(case.cues), description=case.description,
        lat=case.lat, lon=case.lon, estate_id=case.estate_id, building_id=case.building_id, grid_id=case.grid_id,
        status="duplicate", level=original.level, holder_id=None, reporter_contact=case.contact,
        reported_at=reported_at, due_at=None, duplicate_of_id=original.id, updated_at=now,
    )  # fmt: skip
    session.add(event)
    session.flush()
    session.add_all(
        [
            EventAction(event_id=event.id, at=reported_at, actor_id=case.actor_id, actor_label=case.actor_label,
                        action="report", to_status="reported", to_level=original.level),
            EventAction(event_id=event.id, at=now, actor_id=None, actor_label="system", action="link_duplicate",
                        from_status="reported", to_status="duplicate", from_level=original.level,
                        to_level=original.level, note=original.tracking_code),
            EventAction(event_id=original.id, at=now, actor_id=None, actor_label="system", action="duplicate_joined",
                        from_status=original.status, to_status=original.status, from_level=original.level,
                        to_level=original.level, note=event.tracking_code),
        ]
    )  # fmt: skip
    if more_severe(case.grade, original.grade):
        raise_grade(session, original, case.grade, now, f"重复上报 {event.tracking_code} 的情况更紧急")
    original.updated_at = now
    session.flush()
    return event


def _result(session: Session, event: Event, created: bool) -> IntakeResult:
    code = session.scalar(select(Category.code).where(Category.id == event.category_id))
    original_code = (
        session.scalar(select(Event.tracking_code).where(Event.id == event.duplicate_of_id))
        if event.duplicate_of_id
        else None
    )
    return IntakeResult(
        case_id=event.id,
        tracking_code=event.tracking_code,
        created=created,
        status=event.status,
        category=code,
        grade=event.grade,
        duplicate_of_id=event.duplicate_of_id,
        duplicate_of_code=original_code,
    )


def estates_and_buildings(session: Session, community_ids: list[int]) -> list[dict]:
    """The places a report can name, for the report forms: estates with their buildings."""
    estates = session.execute(
        select(Estate.id, Estate.name_zh, Estate.name_en, Estate.kind)
        .where(Estate.community_id.in_(community_ids))
        .order_by(Estate.community_id, Estate.id)
    ).all()
    buildings = session.execute(
        select(Building.id, Building.estate_id, Building.name_zh, Building.name_en)
        .join(Estate, Estate.id == Building.estate_id)
        .where(Estate.community_id.in_(community_ids))
        .order_by(Building.estate_id, Building.id)
    ).all()
    by_estate: dict[int, list[dict]] = {}
    for b in buildings:
        by_estate.setdefault(b.estate_id, []).append({"id": b.id, "name_zh": b.name_zh, "name_en": b.name_en})
    return [{**dict(e._mapping), "buildings": by_estate.get(e.id, [])} for e in estates]
