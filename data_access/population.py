"""Figures for the data page — counts only, never a person (the wall may show them): residents by age
band and sex, households per estate and building, foreign residents by country and language, care groups."""

from __future__ import annotations

from sqlalchemy import case, func, literal, select
from sqlalchemy.orm import Session

from data_access.models import Building, Estate, Household, Resident

AGE_BANDS = ((0, 14), (15, 29), (30, 44), (45, 59), (60, 74), (75, 200))


def _resident_scope(community_ids: list[int]):
    return (
        select(Resident)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Estate, Estate.id == Building.estate_id)
        .where(Estate.community_id.in_(community_ids))
        .subquery()
    )


def age_sex(session: Session, community_ids: list[int], year: int) -> list[dict]:
    """Counts per (age band, sex); bands as 'lo-hi' labels, the last one open-ended ('75+')."""
    r = _resident_scope(community_ids)
    age = year - r.c.birth_year
    band = case(
        *((age.between(lo, hi), f"{lo}-{hi}" if hi < 200 else f"{lo}+") for lo, hi in AGE_BANDS),
        else_="?",
    )
    rows = session.execute(select(band.label("band"), r.c.gender, func.count()).group_by(band, r.c.gender))
    counts = {(b, g): n for b, g, n in rows}
    labels = [f"{lo}-{hi}" if hi < 200 else f"{lo}+" for lo, hi in AGE_BANDS]
    return [{"band": b, "gender": g, "count": counts.get((b, g), 0)} for b in labels for g in ("F", "M")]


def households_per_estate(session: Session, community_ids: list[int]) -> list[dict]:
    rows = session.execute(
        select(Estate.code, Estate.name_zh, Estate.name_en, func.count(Household.id))
        .join(Building, Building.estate_id == Estate.id)
        .join(Household, Household.building_id == Building.id)
        .where(Estate.community_id.in_(community_ids))
        .group_by(Estate.id, Estate.code, Estate.name_zh, Estate.name_en)
        .order_by(func.count(Household.id).desc())
    )
    return [{"code": c, "name_zh": zh, "name_en": en, "households": n} for c, zh, en, n in rows]


def foreign_by_country(session: Session, community_ids: list[int]) -> list[dict]:
    r = _resident_scope(community_ids)
    rows = session.execute(
        select(r.c.nationality, func.count())
        .where(r.c.nationality != "CN")
        .group_by(r.c.nationality)
        .order_by(func.count().desc(), r.c.nationality)
    )
    return [{"country": c, "residents": n} for c, n in rows]


def population_totals(session: Session, community_ids: list[int]) -> dict:
    r = _resident_scope(community_ids)
    residents, foreign, countries = session.execute(
        select(
            func.count(),
            func.count(case((r.c.nationality != "CN", 1))),
            func.count(func.distinct(case((r.c.nationality != "CN", r.c.nationality)))),
        )
    ).one()
    households = session.scalar(
        select(func.count(Household.id))
        .join(Building, Building.id == Household.building_id)
        .join(Estate, Estate.id == Building.estate_id)
        .where(Estate.community_id.in_(community_ids))
    )
    return {"residents": residents, "households": households, "foreign": foreign, "countries": countries}


def _estate_residents(community_ids: list[int]):  # noqa: ANN202
    return (
        select(Resident.nationality, Resident.languages, Resident.care_tags, Household.building_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Estate, Estate.id == Building.estate_id)
        .where(Estate.community_id.in_(community_ids))
    )


def foreign_by_language(session: Session, community_ids: list[int]) -> list[dict]:
    """Foreign residents per language they speak (one person counts once per language). The database
    groups the language lists; only the distinct lists are split here."""
    r = _resident_scope(community_ids)
    rows = session.execute(select(r.c.languages, func.count()).where(r.c.nationality != "CN").group_by(r.c.languages))
    counts: dict[str, int] = {}
    for languages, n in rows:
        for code in {x.strip() for x in (languages or "").split(",") if x.strip()}:
            counts[code] = counts.get(code, 0) + n
    return [{"language": code, "residents": n} for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def care_by_tag(session: Session, community_ids: list[int], tags: tuple[str, ...]) -> list[dict]:
    """Residents per care tag (a resident may carry several), counted in SQL."""
    r = _resident_scope(community_ids)
    padded = literal(",") + func.coalesce(r.c.care_tags, "") + literal(",")
    counts = session.execute(select(*(func.count(case((padded.like(f"%,{tag},%"), 1))) for tag in tags))).one()
    return [{"tag": tag, "residents": n} for tag, n in zip(tags, counts, strict=True)]


def buildings_of_estate(session: Session, community_ids: list[int], estate_code: str) -> dict | None:
    """One estate's buildings with households, residents, foreign residents and people in a care group —
    counts only."""
    estate = session.scalar(select(Estate).where(Estate.code == estate_code, Estate.community_id.in_(community_ids)))
    if estate is None:
        return None
    households = dict(
        session.execute(
            select(Building.id, func.count(Household.id))
            .outerjoin(Household, Household.building_id == Building.id)
            .where(Building.estate_id == estate.id)
            .group_by(Building.id)
        ).all()
    )
    people = {
        b: (n, foreign, care)
        for b, n, foreign, care in session.execute(
            select(
                Household.building_id,
                func.count(Resident.id),
                func.count(case((Resident.nationality != "CN", 1))),
                func.count(case((func.coalesce(Resident.care_tags, "") != "", 1))),
            )
            .join(Resident, Resident.household_id == Household.id)
            .join(Building, Building.id == Household.building_id)
            .where(Building.estate_id == estate.id)
            .group_by(Household.building_id)
        )
    }
    buildings = session.scalars(select(Building).where(Building.estate_id == estate.id).order_by(Building.id))
    return {
        "code": estate.code, "name_zh": estate.name_zh, "name_en": estate.name_en, "kind": estate.kind,
        "buildings": [
            {"id": b.id, "code": b.code, "name_zh": b.name_zh, "name_en": b.name_en, "floors": b.floors,
             "units": b.units, "households": households.get(b.id, 0), "residents": people.get(b.id, (0, 0, 0))[0],
             "foreign": people.get(b.id, (0, 0, 0))[1], "care": people.get(b.id, (0, 0, 0))[2]}
            for b in buildings
        ],
    }  # fmt: skip


def estate_of_building(session: Session, community_ids: list[int], building_id: int) -> str | None:
    return session.scalar(
        select(Estate.code)
        .join(Building, Building.estate_id == Estate.id)
        .where(Building.id == building_id, Estate.community_id.in_(community_ids))
    )


def estate_list(session: Session, community_ids: list[int]) -> list[dict]:
    rows = session.execute(
        select(Estate.code, Estate.name_zh, Estate.name_en, Estate.kind)
        .where(Estate.community_id.in_(community_ids), Estate.kind == "residential")  # office parks house nobody
        .order_by(Estate.id)
    )
    return [dict(r._mapping) for r in rows]
