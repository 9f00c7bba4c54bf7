"""Households and residents as personal data: the masked lists of a building, reveals, edits and
imports — each read or change written to the audit log. (The counts the charts and the wall show are
in `data_access.population`, which never returns a person.)
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.audit import record
from data_access.models import Building, Estate, Household, Resident, User
from data_access.scope import community_ids_for
from domain.masking import mask_name, mask_phone
from domain.people import (
    TENURES,
    RowProblem,
    age_band,
    check_households,
    check_resident_fields,
    check_residents,
    may_edit,
    may_reveal,
    may_see_household,
    read_table,
)


class PeopleError(ValueError):
    def __init__(self, code: str, field_name: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field_name


def _caller(session: Session, user_id: int) -> tuple[User, list[int]]:
    user = session.get(User, user_id)
    if user is None or not user.active:
        raise PeopleError("forbidden")
    return user, community_ids_for(session, user_id)


def _place_of_household(session: Session, household_id: int):  # noqa: ANN202
    return session.execute(
        select(Household, Building, Estate)
        .join(Building, Building.id == Household.building_id)
        .join(Estate, Estate.id == Building.estate_id)
        .where(Household.id == household_id)
    ).first()


def _grid(building: Building, estate: Estate) -> int | None:
    return building.grid_id or estate.grid_id


def building_households(session: Session, user_id: int, building_id: int, now: datetime) -> dict | None:
    """The households of a building with their members, names and phones masked, for a role that may
    see them (None otherwise or out of scope). The view itself is audited."""
    user, communities = _caller(session, user_id)
    found = session.execute(
        select(Building, Estate).join(Estate, Estate.id == Building.estate_id).where(Building.id == building_id)
    ).first()
    if found is None:
        return None
    building, estate = found
    grid = _grid(building, estate)
    if not may_see_household(user.role, user.grid_id, communities, grid, estate.community_id):
        return None
    households = list(
        session.scalars(
            select(Household).where(Household.building_id == building_id).order_by(Household.unit, Household.room)
        )
    )
    members: dict[int, list[Resident]] = {}
    if households:
        for r in session.scalars(
            select(Resident).where(Resident.household_id.in_([h.id for h in households])).order_by(Resident.id)
        ):
            members.setdefault(r.household_id, []).append(r)
    reveal = may_reveal(user.role, user.grid_id, communities, grid, estate.community_id)
    edit = may_edit(user.role, user.grid_id, communities, grid, estate.community_id)
    record(session, user_id, "read", "building.households", str(building_id),
           f"{len(households)} households (masked)", now)  # fmt: skip
    return {
        "building_id": building.id, "building_zh": building.name_zh, "building_en": building.name_en,
        "estate_code": estate.code, "estate_zh": estate.name_zh, "estate_en": estate.name_en,
        "may_reveal": reveal, "may_edit": edit,
        "households": [
            {"id": h.id, "external_id": h.external_id, "unit": h.unit, "room": h.room, "size": h.size,
             "tenure": h.tenure,
             "members": [
                 {"id": r.id, "external_id": r.external_id, "name": mask_name(r.name), "phone": mask_phone(r.phone),
                  "has_phone": bool(r.phone), "age_band": age_band(r.birth_year, now.year), "gender": r.gender,
                  "nationality": r.nationality, "languages": r.languages, "care_tags": r.care_tags,
                  "relation": r.relation}
                 for r in members.get(h.id, [])
             ]}
            for h in households
        ],
    }  # fmt: skip


def reveal_resident(
    session: Session, user_id: int, resident_id: int, now: datetime, purpose: str = "household"
) -> dict:
    """A resident's name and phone in full, for a role that may see them; audited. Raises PeopleError."""
    user, communities = _caller(session, user_id)
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise PeopleError("not_found")
    _h, building, estate = _place_of_household(session, resident.household_id)
    if not may_reveal(user.role, user.grid_id, communities, _grid(building, estate), estate.community_id):
        raise PeopleError("forbidden")
    record(session, user_id, "reveal", "resident", str(resident.id), f"name, phone ({purpose})", now)
    return {"name": resident.name, "phone": resident.phone or ""}


# --- edits ----------------------------------------------------------------------------------------------


def resident_form(session: Session, user_id: int, resident_id: int) -> dict:
    """A resident's editable fields, name and phone masked (an edit may replace them, never shows them)."""
    user, communities = _caller(session, user_id)
    resident = session.get(Resident, resident_id)
    if resident is None:
        raise PeopleError("not_found")
    _h, building, estate = _place_of_household(session, resident.household_id)
    if not may_edit(user.role, user.grid_id, communities, _grid(building, estate), estate.community_id):
        raise PeopleError("forbidden")
    return {"id": resident.id, "household_id": resident.household_id, "external_id": resident.external_id,
            "name_masked": mask_name(resident.name), "phone_masked": mask_phone(resident.phone),
            "birth_year": resident.birth_year, "gender": resident.gender, "nationality": resident.nationality,
            "languages": resident.languages, "care_tags": resident.care_tags, "relation": resident.relation}  # fmt: skip


def household_form(session: Session, user_id: int, household_id: int) -> dict:
    user, communities = _caller(session, user_id)
    place = _place_of_household(session, household_id)
    if place is None:
        raise PeopleError("not_found")
    household, building, estate = place
    if not may_edit(user.role, user.grid_id, communities, _grid(building, estate), estate.community_id):
        raise PeopleError("forbidden")
    return {"id": household.id, "external_id": household.external_id, "unit": household.unit, "room": household.room,
            "size": household.size, "tenure": household.tenure}  # fmt: skip


def save_resident(session: Session, user_id: int, values: dict, now: datetime) -> int:
    """Update a resident (values["id"]) or add one to a household (values["household_id"]). An empty name
    or phone keeps the stored one; `clear_phone` removes the phone. Audited. Raises PeopleError."""
    user, communities = _caller(session, user_id)
    resident = session.get(Resident, values["id"]) if values.get("id") else None
    if values.get("id") and resident is None:
        raise PeopleError("not_found")
    household_id = resident.household_id if resident else values.get("household_id")
    place = _place_of_household(session, household_id or 0)
    if place is None:
        raise PeopleError("not_found")
    _h, building, estate = place
    if not may_edit(user.role, user.grid_id, communities, _grid(building, estate), estate.community_id):
        raise PeopleError("forbidden")
    clean, problems = check_resident_fields(values, now.year)
    if resident is None:
        for name in ("name", "birth_year", "gender", "nationality"):
            if not clean.get(name):
                problems.append((name, "missing"))
    if problems:
        raise PeopleError(problems[0][1], problems[0][0])
    changed = []
    if resident is None:
        external_id = (values.get("external_id") or "").strip() or f"RS-{household_id}-{int(now.timestamp())}"
        if session.scalar(select(Resident.id).where(Resident.external_id == external_id)) is not None:
            raise PeopleError("duplicate", "external_id")
        resident = Resident(external_id=external_id, household_id=household_id, **clean)
        session.add(resident)
        changed.append("created")
    else:
        for key, value in clean.items():
            if key in ("name", "phone") and not value:
                continue
            if key in ("birth_year", "gender", "nationality") and not value:
                continue
            if getattr(resident, key) != value:
                setattr(resident, key, value)
                changed.append(key)
        if values.get("clear_phone") and resident.phone:
            resident.phone = None
            changed.append("phone")
    session.flush()
    record(session, user_id, "create" if "created" in changed else "update", "resident", str(resident.id),
           ", ".join(sorted(set(changed))) or "no change", now)  # fmt: skip
    return resident.id


def save_household(session: Session, user_id: int, household_id: int, size, tenure: str, now: datetime) -> None:  # noqa: ANN001
    user, communities = _caller(session, user_id)
    place = _place_of_household(session, household_id)
    if place is None:
        raise PeopleError("not_found")
    household, building, estate = place
    if not may_edit(user.role, user.grid_id, communities, _grid(building, estate), estate.community_id):
        raise PeopleError("forbidden")
    try:
        number = int(size)
    except (TypeError, ValueError) as exc:
        raise PeopleError("bad_number", "size") from exc
    if not 1 <= number <= 30:
        raise PeopleError("bad_number", "size")
    if tenure not in TENURES:
        raise PeopleError("bad_choice", "tenure")
    changed = [k for k, v in (("size", number), ("tenure", tenure)) if getattr(household, k) != v]
    household.size, household.tenure = number, tenure
    record(session, user_id, "update", "household", str(household.id), ", ".join(changed) or "no change", now)


# --- imports --------------------------------------------------------------------------------------------


def decode_upload(contents: str | None) -> bytes | None:
    """A dcc.Upload data URL as bytes (None when it is not one)."""
    if not contents or "," not in contents:
        return None
    try:
        return base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return None


def import_people(
    session: Session, user_id: int, kind: str, data: bytes | None, filename: str | None, now: datetime
) -> dict:
    """A staff import of households or residents: all rows or none, idempotent on external_id (a row
    already stored is updated where it differs). Returns {created, updated, unchanged} or {error} or
    {errors: [RowProblem]}."""
    user, communities = _caller(session, user_id)
    if user.role not in {"secretary", "admin"}:
        raise PeopleError("forbidden")
    if kind not in ("households", "residents"):
        return {"error": "bad_kind"}
    rows, problem = read_table(data or b"", filename)
    if problem:
        return {"error": problem}
    if kind == "households":
        result = _import_households(session, rows, communities)
    else:
        result = _import_residents(session, rows, communities, now.year)
    if "errors" not in result:
        record(session, user_id, "import", kind, None,
               f"{filename or '?'}: {result['created']} created, {result['updated']} updated, "
               f"{result['unchanged']} unchanged", now)  # fmt: skip
    return result


def _existing(session: Session, model, ids: list[str]) -> dict:  # noqa: ANN001
    found = {}
    for start in range(0, len(ids), 1000):
        for row in session.scalars(select(model).where(model.external_id.in_(ids[start : start + 1000]))):
            found[row.external_id] = row
    return found


def _import_households(session: Session, rows: list[dict], communities: list[int]) -> dict:
    clean, errors = check_households(rows)
    if errors:
        return {"errors": errors}
    buildings = {
        (e_code, b_code): (b_id, e_comm)
        for e_code, b_code, b_id, e_comm in session.execute(
            select(Estate.code, Building.code, Building.id, Estate.community_id)
            .join(Building, Building.estate_id == Estate.id)
            .where(Estate.community_id.in_(communities))
        )
    }
    estates = {code for code, _b in buildings}
    existing = _existing(session, Household, [r.external_id for r in clean])
    out_of_scope = _out_of_scope_households(session, list(existing.values()), communities)
    taken = {
        (b, u, room): ext
        for b, u, room, ext in session.execute(
            select(Household.building_id, Household.unit, Household.room, Household.external_id).where(
                Household.building_id.in_([b for b, _c in buildings.values()] or [0])
            )
        )
    }
    problems = []
    for n, r in enumerate(clean, start=1):
        if r.estate not in estates:
            problems.append(RowProblem(n, "estate", "unknown_estate"))
            continue
        if (r.estate, r.building) not in buildings:
            problems.append(RowProblem(n, "building", "unknown_building"))
            continue
        if r.external_id in out_of_scope:
            problems.append(RowProblem(n, "external_id", "taken"))
            continue
        holder = taken.get((buildings[(r.estate, r.building)][0], r.unit, r.room))
        if holder is not None and holder != r.external_id:
            problems.append(RowProblem(n, "room", "place_taken"))
    if problems:
        return {"errors": problems}
    created = updated = unchanged = 0
    for r in clean:
        values = {"building_id": buildings[(r.estate, r.building)][0], "unit": r.unit, "room": r.room,
                  "size": r.size, "tenure": r.tenure}  # fmt: skip
        row = existing.get(r.external_id)
        if row is None:
            session.add(Household(external_id=r.external_id, **values))
            created += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return {"created": created, "updated": updated, "unchanged": unchanged}


def _out_of_scope_households(session: Session, households: list[Household], communities: list[int]) -> set[str]:
    if not households:
        return set()
    in_scope = set(
        session.scalars(
            select(Household.id)
            .join(Building, Building.id == Household.building_id)
            .join(Estate, Estate.id == Building.estate_id)
            .where(Household.id.in_([h.id for h in households]), Estate.community_id.in_(communities))
        )
    )
    return {h.external_id for h in households if h.id not in in_scope}


def _import_residents(session: Session, rows: list[dict], communities: list[int], year: int) -> dict:
    clean, errors = check_residents(rows, year)
    if errors:
        return {"errors": errors}
    households = _existing(session, Household, sorted({r.household for r in clean}))
    foreign = _out_of_scope_households(session, list(households.values()), communities)
    existing = _existing(session, Resident, [r.external_id for r in clean])
    elsewhere = set()
    if existing:
        in_scope_ids = set(
            session.scalars(
                select(Resident.id)
                .join(Household, Household.id == Resident.household_id)
                .join(Building, Building.id == Household.building_id)
                .join(Estate, Estate.id == Building.estate_id)
                .where(Resident.id.in_([r.id for r in existing.values()]), Estate.community_id.in_(communities))
            )
        )
        elsewhere = {ext for ext, r in existing.items() if r.id not in in_scope_ids}
    problems = []
    for n, r in enumerate(clean, start=1):
        if r.household not in households or r.household in foreign:
            problems.append(RowProblem(n, "household", "unknown_household"))
        elif r.external_id in elsewhere:
            problems.append(RowProblem(n, "external_id", "taken"))
    if problems:
        return {"errors": problems}
    created = updated = unchanged = 0
    for r in clean:
        values = {"household_id": households[r.household].id, "name": r.name, "phone": r.phone,
                  "birth_year": r.birth_year, "gender": r.gender, "nationality": r.nationality,
                  "languages": r.languages, "care_tags": r.care_tags, "relation": r.relation}  # fmt: skip
        row = existing.get(r.external_id)
        if row is None:
            session.add(Resident(external_id=r.external_id, **values))
            created += 1
        elif any(getattr(row, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(row, k, v)
            updated += 1
        else:
            unchanged += 1
    session.flush()
    return {"created": created, "updated": updated, "unchanged": unchanged}
