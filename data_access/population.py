"""Figures for the data page: residents by age band and sex, households per estate, foreigners."""

from __future__ import annotations

from sqlalchemy import case, func, select
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
