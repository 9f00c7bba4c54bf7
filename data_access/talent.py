"""The 360 talent library, as the services page shows it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import Specialty, Talent


def talent_by_specialty(session: Session, community_ids: list[int]) -> list[dict]:
    """Active people per specialty (a person with two specialties counts in both)."""
    specialties = session.execute(select(Specialty.code, Specialty.name_zh, Specialty.name_en).order_by(Specialty.id))
    counts: dict[str, int] = {}
    languages: dict[str, set[str]] = {}
    for specs, langs in session.execute(
        select(Talent.specialties, Talent.languages).where(Talent.community_id.in_(community_ids), Talent.active)
    ):
        for code in specs or []:
            counts[code] = counts.get(code, 0) + 1
            languages.setdefault(code, set()).update(langs or [])
    return [
        {"code": c, "name_zh": zh, "name_en": en, "people": counts.get(c, 0), "languages": sorted(languages.get(c, ()))}
        for c, zh, en in specialties
    ]


def talent_list(session: Session, community_ids: list[int]) -> list[dict]:
    """People of the library without their contact (masked everywhere on this page)."""
    rows = session.execute(
        select(Talent.id, Talent.name, Talent.team, Talent.specialties, Talent.languages, Talent.load_limit)
        .where(Talent.community_id.in_(community_ids), Talent.active)
        .order_by(Talent.id)
    )
    return [dict(r._mapping) for r in rows]
