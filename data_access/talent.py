"""The 360 talent library: the people by specialty, and keeping the library (add, edit, retire a person,
add a specialty) with contacts masked unless the role phones people (every reveal audited)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.audit import record_read
from data_access.models import AuditLog, Specialty, Talent, User
from data_access.services import EMAIL, PHONE, StaffActor, open_loads, staff_actor
from domain import services as rules
from domain.languages import LANGUAGE_NAMES
from domain.masking import mask_contact
from domain.services import ServiceError


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


def active_talent_count(session: Session, community_ids: list[int]) -> int:
    return session.scalar(
        select(func.count(Talent.id)).where(Talent.community_id.in_(community_ids), Talent.active.is_(True))
    )


def talent_list(session: Session, community_ids: list[int]) -> list[dict]:
    """People of the library without their contact (masked everywhere on this page)."""
    rows = session.execute(
        select(Talent.id, Talent.name, Talent.team, Talent.specialties, Talent.languages, Talent.load_limit)
        .where(Talent.community_id.in_(community_ids), Talent.active)
        .order_by(Talent.id)
    )
    return [dict(r._mapping) for r in rows]


# --- keeping the library (add, edit, retire, reveal) ------------------------------------------------

CONTACT_MAX = 64
NAME_MAX, TEAM_MAX, BIO_MAX = 80, 80, 300
LOAD_LIMIT_MAX = 20
SPECIALTY_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


class TalentInputError(ValueError):
    """A person or specialty that cannot be stored: [(field, code)], codes are talent.error.<code>."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


@dataclass(frozen=True)
class TalentInput:
    community_id: int | None
    name: str
    team: str
    specialties: tuple[str, ...]
    languages: tuple[str, ...]
    availability: dict  # weekday -> the windows as typed, "09:00-12:00, 19:00-21:00"
    load_limit: object
    contact: str | None  # empty when editing: keep the stored one
    bio_zh: str = ""
    bio_en: str = ""


def _audit(session: Session, user_id: int, action: str, entity: str, entity_id: str, detail: str, now) -> None:  # noqa: ANN001
    username = session.scalar(select(User.username).where(User.id == user_id)) or "?"
    session.add(AuditLog(at=now, user_id=user_id, username=username, action=action, entity=entity,
                         entity_id=entity_id, detail=detail))  # fmt: skip


def _library_keeper(session: Session, user_id: int) -> StaffActor:
    actor = staff_actor(session, user_id)
    if actor is None or actor.role not in rules.LIBRARY_ROLES:
        raise ServiceError("forbidden")
    return actor


def check_talent(session: Session, actor: StaffActor, values: TalentInput, editing: bool) -> tuple[list, dict]:
    """The problems (field, code) of a person's record, and the cleaned values to store."""
    problems: list[tuple[str, str]] = []
    name, team = (values.name or "").strip(), (values.team or "").strip()
    if not name:
        problems.append(("name", "name_required"))
    elif len(name) > NAME_MAX:
        problems.append(("name", "name_too_long"))
    if not team:
        problems.append(("team", "team_required"))
    elif len(team) > TEAM_MAX:
        problems.append(("team", "team_too_long"))
    known = set(session.scalars(select(Specialty.code)))
    specialties = list(dict.fromkeys(s for s in values.specialties if isinstance(s, str)))
    if not specialties:
        problems.append(("specialties", "specialty_required"))
    elif not set(specialties) <= known:
        problems.append(("specialties", "unknown_specialty"))
    languages = list(dict.fromkeys(x for x in values.languages if isinstance(x, str)))
    if not languages:
        problems.append(("languages", "language_required"))
    elif not set(languages) <= set(LANGUAGE_NAMES):
        problems.append(("languages", "unknown_language"))
    availability = {}
    for day in rules.WEEKDAYS:
        windows = rules.parse_day_windows((values.availability or {}).get(day))
        if windows is None:
            problems.append((f"avail-{day}", "bad_window"))
        elif windows:
            availability[day] = windows
    limit_text = str(values.load_limit).strip() if isinstance(values.load_limit, int | str) else ""
    load_limit = int(limit_text) if limit_text.isdigit() and len(limit_text) <= 3 else 0
    if not 1 <= load_limit <= LOAD_LIMIT_MAX:
        problems.append(("load_limit", "bad_load_limit"))
    contact = (values.contact or "").strip()
    if not contact and not editing:
        problems.append(("contact", "contact_required"))
    elif contact and (len(contact) > CONTACT_MAX or not (PHONE.match(contact) or EMAIL.match(contact))):
        problems.append(("contact", "contact_format"))
    bio_zh, bio_en = (values.bio_zh or "").strip(), (values.bio_en or "").strip()
    if len(bio_zh) > BIO_MAX or len(bio_en) > BIO_MAX:
        problems.append(("bio", "bio_too_long"))
    if values.community_id not in actor.community_ids:
        problems.append(("community", "unknown_community"))
    cleaned = {"community_id": values.community_id, "name": name, "team": team, "specialties": specialties,
               "languages": languages, "availability": availability, "load_limit": load_limit,
               "bio_zh": bio_zh or None, "bio_en": bio_en or None}  # fmt: skip
    if contact:
        cleaned["contact"] = contact
    return problems, cleaned


def save_talent(
    session: Session, user_id: int, values: TalentInput, now: datetime, talent_id: int | None = None
) -> int:
    """Add a person (talent_id None) or edit one; TalentInputError or ServiceError, nothing written,
    when it may not be stored. Who changed what (field names, never the contact) goes to the audit log."""
    actor = _library_keeper(session, user_id)
    talent = None
    if talent_id is not None:
        talent = session.scalars(select(Talent).where(Talent.id == talent_id).with_for_update()).one_or_none()
        if talent is None or talent.community_id not in actor.community_ids:
            raise ServiceError("not_found")
    problems, cleaned = check_talent(session, actor, values, editing=talent is not None)
    if problems:
        raise TalentInputError(problems)
    if talent is None:
        talent = Talent(**cleaned, active=True, joined_on=now.date())
        session.add(talent)
        session.flush()
        _audit(session, user_id, "create", "talent", str(talent.id), cleaned["name"], now)
        return talent.id
    changed = sorted(k for k, v in cleaned.items() if getattr(talent, k) != v)
    for key in changed:
        setattr(talent, key, cleaned[key])
    if changed:
        _audit(session, user_id, "update", "talent", str(talent.id), ", ".join(changed), now)
    return talent.id


def set_active(session: Session, user_id: int, talent_id: int, active: bool, now: datetime) -> None:
    """Retire a person (they leave the matching; their history stays) or bring them back. A person
    with open requests is not retired: those are matched to someone else or closed first."""
    actor = _library_keeper(session, user_id)
    talent = session.scalars(select(Talent).where(Talent.id == talent_id).with_for_update()).one_or_none()
    if talent is None or talent.community_id not in actor.community_ids:
        raise ServiceError("not_found")
    if talent.active == active:
        raise ServiceError("no_change")
    if not active and open_loads(session, [talent.id]).get(talent.id, 0):
        raise ServiceError("has_open_requests")
    talent.active = active
    _audit(session, user_id, "update", "talent", str(talent.id), "active" if active else "retired", now)


def library_rows(session: Session, community_ids: list[int], include_retired: bool = False) -> list[dict]:
    """The people of the library with their open load, contacts masked."""
    query = select(Talent).where(Talent.community_id.in_(community_ids)).order_by(Talent.active.desc(), Talent.id)
    if not include_retired:
        query = query.where(Talent.active)
    talents = list(session.scalars(query))
    loads = open_loads(session, [t.id for t in talents])
    return [
        {"id": t.id, "name": t.name, "team": t.team, "specialties": list(t.specialties or []),
         "languages": list(t.languages or []), "availability": t.availability or {},
         "free_slots": rules.free_slots(t.availability), "load": loads.get(t.id, 0), "load_limit": t.load_limit,
         "active": bool(t.active), "joined_on": t.joined_on, "contact_masked": mask_contact(t.contact),
         "bio_zh": t.bio_zh, "bio_en": t.bio_en, "community_id": t.community_id}
        for t in talents
    ]  # fmt: skip


def talent_record(session: Session, community_ids: list[int], talent_id: int) -> dict | None:
    """One person for the edit form (contact masked); None when missing or out of scope."""
    rows = [r for r in library_rows(session, community_ids, include_retired=True) if r["id"] == talent_id]
    return rows[0] if rows else None


def reveal_talent_contact(session: Session, user_id: int, talent_id: int, now: datetime) -> str | None:
    """A person's contact in full for the roles that phone people, within their scope; audited."""
    actor = staff_actor(session, user_id)
    talent = session.get(Talent, talent_id)
    if actor is None or talent is None or actor.role not in rules.CONTACT_ROLES:
        return None
    if talent.community_id not in actor.community_ids or not talent.contact:
        return None
    record_read(session, user_id, "talent.contact", str(talent.id), talent.name, now)
    return talent.contact


def add_specialty(session: Session, user_id: int, code: str, name_zh: str, name_en: str, now: datetime) -> str:
    """A new specialty beside the six founding ones (the library grows with the community)."""
    _library_keeper(session, user_id)
    code = (code or "").strip().lower()
    name_zh, name_en = (name_zh or "").strip(), (name_en or "").strip()
    problems = []
    if not SPECIALTY_CODE.match(code):
        problems.append(("spec-code", "code_format"))
    elif session.scalar(select(Specialty.id).where(Specialty.code == code)) is not None:
        problems.append(("spec-code", "code_taken"))
    if not name_zh or not name_en:
        problems.append(("spec-name", "spec_name_required"))
    elif len(name_zh) > 80 or len(name_en) > 120:
        problems.append(("spec-name", "spec_name_too_long"))
    if problems:
        raise TalentInputError(problems)
    session.add(Specialty(code=code, name_zh=name_zh, name_en=name_en))
    _audit(session, user_id, "create", "specialty", code, f"{name_zh} / {name_en}", now)
    return code
