"""Service requests on the store (服务需求): the public form's intake with matching and auto-assignment,
every step of the lifecycle, the resident's view by tracking code, the coordinators' queue and one
request with its proposals.

Every step goes through one function that checks the rules of `domain.services` against the request as
stored, then writes the request, its trail entry (`service_action`) and the notices in the caller's one
transaction, so a request, its trail and what people were told never disagree. Residents and people of
the library are told through the outbox (their contact: SMS, or e-mail for an address), coordinators
(the community's secretary, else its administrators) through the in-app inbox.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from data_access.audit import record_read
from data_access.closure import format_month_range, month_bounds, parse_month_range
from data_access.models import Community, ServiceAction, ServiceRequest, Specialty, Talent, User
from data_access.notify import INBOX, OutboxNotifier
from data_access.scope import community_ids_for
from domain import services as rules
from domain.catalog import TALENT_TEAMS
from domain.languages import LANGUAGE_NAMES
from domain.masking import mask_contact
from domain.notify import Notifier
from domain.service_notices import OUTCOME_NOTICE, service_notice
from domain.services import Need, ServiceError, TalentView

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no I, O, 0, 1: read out over the phone
CODE = re.compile(r"^SR[A-Z2-9]{8}$")
CONTACT_MAX = 120
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,22}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ROW_LIMIT = 2000
TEAM_EN = dict(TALENT_TEAMS)
# what a resident sees of the reasons behind a match (a person's load is the office's business)
PUBLIC_REASONS = ("specialty_main", "specialty_also", "speaks", "speaks_first", "free", "any_time")


class RequestInputError(ValueError):
    """A new request that cannot be stored: [(field, code)], codes are svcreq.error.<code> in the UI."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__(problems)
        self.problems = problems


@dataclass(frozen=True)
class NewRequest:
    community_id: int | None
    specialty: str
    description: str
    language: str
    preferred: tuple[rules.Slot, ...]
    contact: str
    submission_id: str | None = None


@dataclass(frozen=True)
class Submitted:
    code: str
    created: bool
    status: str
    outcome: str  # domain.services.Decision.outcome, or "existing" for a resubmitted form


# --- reference --------------------------------------------------------------------------------------


def specialty_names(session: Session) -> dict[str, tuple[str, str]]:
    return {c: (zh, en) for c, zh, en in session.execute(select(Specialty.code, Specialty.name_zh, Specialty.name_en))}


def team_names(team: str) -> tuple[str, str]:
    """A team's (zh, en) name: the catalogue's for the known teams, the stored name for any other."""
    return team, TEAM_EN.get(team, team)


def language_names(code: str) -> tuple[str, str]:
    return LANGUAGE_NAMES.get(code, (code, code))


def request_form_choices(session: Session) -> dict:
    """What the public form offers: the services (specialties somebody active practises, with the
    languages they are offered in), the communities, and every language we can name."""
    names = session.execute(select(Specialty.code, Specialty.name_zh, Specialty.name_en).order_by(Specialty.id))
    people: dict[str, int] = {}
    spoken: dict[str, set[str]] = {}
    for specs, langs in session.execute(select(Talent.specialties, Talent.languages).where(Talent.active)):
        for code in specs or []:
            people[code] = people.get(code, 0) + 1
            spoken.setdefault(code, set()).update(langs or [])
    specialties = [
        {"code": c, "name_zh": zh, "name_en": en, "people": people[c], "languages": sorted(spoken[c])}
        for c, zh, en in names
        if people.get(c)
    ]
    communities = [
        {"id": i, "name_zh": zh, "name_en": en}
        for i, zh, en in session.execute(
            select(Community.id, Community.name_zh, Community.name_en).order_by(Community.id)
        )
    ]
    return {"specialties": specialties, "communities": communities, "languages": list(LANGUAGE_NAMES)}


def check_new_request(choices: dict, new: NewRequest) -> list[tuple[str, str]]:
    """The problems of a new request (field, code), found before anything is written."""
    problems: list[tuple[str, str]] = []
    if new.specialty not in {s["code"] for s in choices["specialties"]}:
        problems.append(("specialty", "specialty_required" if not new.specialty else "unknown_specialty"))
    text = new.description or ""
    if not text.strip():
        problems.append(("description", "description_required"))
    elif len(text) > rules.DESCRIPTION_MAX:
        problems.append(("description", "description_too_long"))
    if new.language not in LANGUAGE_NAMES:
        problems.append(("language", "unknown_language"))
    contact = (new.contact or "").strip()
    if not contact:
        problems.append(("contact", "contact_required"))
    elif len(contact) > CONTACT_MAX or not (PHONE.match(contact) or EMAIL.match(contact)):
        problems.append(("contact", "contact_format"))
    communities = {c["id"] for c in choices["communities"]}
    if new.community_id not in communities:
        problems.append(("community", "unknown_community"))
    if new.submission_id is not None and not SUBMISSION.match(new.submission_id):
        problems.append(("form", "bad_submission"))
    return problems


# --- the library as matching sees it ----------------------------------------------------------------


def open_loads(session: Session, talent_ids: list[int] | None = None) -> dict[int, int]:
    """Open requests (matched or scheduled) per person."""
    query = (
        select(ServiceRequest.talent_id, func.count(ServiceRequest.id))
        .where(ServiceRequest.status.in_(rules.LOAD_STATUSES), ServiceRequest.talent_id.is_not(None))
        .group_by(ServiceRequest.talent_id)
    )
    if talent_ids is not None:
        query = query.where(ServiceRequest.talent_id.in_(talent_ids))
    return {tid: n for tid, n in session.execute(query)}


def _view(t: Talent, load: int) -> TalentView:
    return TalentView(
        id=t.id, name=t.name, team=t.team, specialties=tuple(t.specialties or ()), languages=tuple(t.languages or ()),
        availability=t.availability or {}, load_limit=t.load_limit, load=load, active=bool(t.active),
    )  # fmt: skip


def talent_views(session: Session, community_id: int) -> list[TalentView]:
    """The community's active people with their current loads."""
    talents = list(session.scalars(select(Talent).where(Talent.community_id == community_id, Talent.active)))
    loads = open_loads(session, [t.id for t in talents])
    return [_view(t, loads.get(t.id, 0)) for t in talents]


def _need(req: ServiceRequest) -> Need:
    return Need(req.specialty_code, req.language, rules.parse_slots(req.preferred_times))


# --- notices ----------------------------------------------------------------------------------------


def _channel(contact: str) -> str:
    return "email" if "@" in contact else "sms"


def coordinators(session: Session, community_id: int) -> list[int]:
    """Who hears of new requests, gaps and residents' replies: the community's secretary (社区书记
    coordinates the 360 library), or its administrators when it has no active secretary."""
    for role in ("secretary", "admin"):
        ids = list(
            session.scalars(
                select(User.id)
                .where(User.active.is_(True), User.role == role, User.community_id == community_id)
                .order_by(User.id)
            )
        )
        if ids:
            return ids
    return []


class _Notices:
    """Composes the notices of one request (its names in both languages) and sends them."""

    def __init__(self, session: Session, req: ServiceRequest, notifier: Notifier, link_base: str | None) -> None:
        self.session, self.req, self.notifier = session, req, notifier
        spec = specialty_names(session).get(req.specialty_code, (req.specialty_code, req.specialty_code))
        lang = language_names(req.language)
        times = rules.slot_names(rules.parse_slots(req.preferred_times))
        self.params = {
            "code": req.tracking_code, "specialty_zh": spec[0], "specialty_en": spec[1], "language_zh": lang[0],
            "language_en": lang[1], "times_zh": times[0], "times_en": times[1],
            "link": (link_base or "/request/") + req.tracking_code,
        }  # fmt: skip
        self.ref = f"service_request:{req.tracking_code}"

    def _with_talent(self, talent: Talent | None, **extra) -> dict:
        params = {**self.params, **extra}
        if talent is not None:
            zh, en = team_names(talent.team)
            params.update(name=rules.public_name(talent.name), team_zh=zh, team_en=en)
        if self.req.scheduled_for is not None:
            params.setdefault("when", self.req.scheduled_for.strftime("%Y-%m-%d %H:%M"))
        return params

    def resident(self, key: str, talent: Talent | None = None, **extra) -> None:
        if self.req.contact:
            zh, en = service_notice(key, **self._with_talent(talent, **extra))
            self.notifier.send(_channel(self.req.contact), self.req.contact, key, zh, en, self.ref)

    def talent(self, key: str, talent: Talent | None, **extra) -> None:
        if talent is not None and talent.contact:
            zh, en = service_notice(key, **self._with_talent(talent, **extra))
            self.notifier.send(_channel(talent.contact), talent.contact, key, zh, en, self.ref)

    def staff(self, key: str, talent: Talent | None = None, **extra) -> None:
        zh, en = service_notice(key, **self._with_talent(talent, **extra))
        for user_id in coordinators(self.session, self.req.community_id):
            self.notifier.send(INBOX, f"user:{user_id}", key, zh, en, self.ref)


# --- intake -----------------------------------------------------------------------------------------


def _new_code(session: Session) -> str:
    while True:
        code = "SR" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if session.scalar(select(ServiceRequest.id).where(ServiceRequest.tracking_code == code)) is None:
            return code


def code_for_submission(session: Session, submission_id: str) -> str | None:
    return session.scalar(
        select(ServiceRequest.tracking_code).where(ServiceRequest.submission_ref == f"web:{submission_id}")
    )


def _trail(
    session: Session, req: ServiceRequest, at: datetime, actor: tuple[int | None, str], action: str,
    from_status: str | None, note: str | None = None, detail: dict | None = None,
) -> None:  # fmt: skip
    session.add(
        ServiceAction(
            request_id=req.id, at=at, actor_id=actor[0], actor_label=actor[1], action=action,
            from_status=from_status, to_status=req.status, talent_id=req.talent_id, note=note, detail=detail,
        )
    )  # fmt: skip


def submit_request(
    session: Session,
    new: NewRequest,
    now: datetime,
    margin: int,
    notifier: Notifier | None = None,
    link_base: str | None = None,
) -> Submitted:
    """Store a resident's request, flag a language gap, and assign the clearly best person at once
    (otherwise the coordinators are told why it waits for them). A form sent again returns the request it
    made. RequestInputError (nothing stored) for bad input."""
    if new.submission_id and SUBMISSION.match(new.submission_id):
        existing = code_for_submission(session, new.submission_id)
        if existing is not None:
            status = session.scalar(select(ServiceRequest.status).where(ServiceRequest.tracking_code == existing))
            return Submitted(existing, False, status, "existing")
    problems = check_new_request(request_form_choices(session), new)
    if problems:
        raise RequestInputError(problems)
    notifier = notifier or OutboxNotifier(session, now)
    need = Need(new.specialty, new.language, tuple(sorted(set(new.preferred), key=rules.slot_order)))
    talents = talent_views(session, new.community_id)
    gap = rules.language_gap(need, talents)
    candidates = rules.rank(need, talents)
    decision = rules.decide(need, candidates, gap, margin)
    req = ServiceRequest(
        tracking_code=_new_code(session), community_id=new.community_id, specialty_code=new.specialty,
        description=new.description.strip(), language=new.language, preferred_times=rules.format_slots(need.preferred),
        contact=new.contact.strip(), status="requested", requested_at=now, language_gap=gap,
        submission_ref=f"web:{new.submission_id}" if new.submission_id else None,
    )  # fmt: skip
    session.add(req)
    session.flush()
    _trail(session, req, now, (None, rules.RESIDENT), "request", None,
           detail={"language_gap": gap, "outcome": decision.outcome, "lead": decision.lead})  # fmt: skip
    notices = _Notices(session, req, notifier, link_base)
    if decision.auto:
        _match(session, req, decision.talent_id, (None, rules.SYSTEM), now, None, notices, candidates, decision.lead)
    else:
        notices.resident("notice.svc_received")
        notices.staff(OUTCOME_NOTICE[decision.outcome])
    return Submitted(req.tracking_code, True, req.status, decision.outcome)


# --- the lifecycle ----------------------------------------------------------------------------------


def _locked_talent(session: Session, talent_id: object) -> Talent | None:
    if not isinstance(talent_id, int) or isinstance(talent_id, bool):
        return None
    return session.scalars(select(Talent).where(Talent.id == talent_id).with_for_update()).one_or_none()


def _match(
    session: Session, req: ServiceRequest, talent_id: object, actor: tuple[int | None, str], now: datetime,
    note: str | None, notices: _Notices, candidates: list[rules.Candidate] | None = None, lead: int | None = None,
) -> None:  # fmt: skip
    """Match (or re-match) a request to a person, checked again here whatever the page offered: active, in
    the request's community, with the specialty, not fully booked; one who does not speak the language
    only with a note saying how the resident will be served."""
    talent = _locked_talent(session, talent_id)  # locked: two matches cannot both take a last free slot
    if talent is None or not talent.active or talent.community_id != req.community_id:
        raise ServiceError("bad_talent")
    if req.specialty_code not in (talent.specialties or []):
        raise ServiceError("bad_talent")
    if req.talent_id == talent.id:
        raise ServiceError("no_change")
    load = open_loads(session, [talent.id]).get(talent.id, 0)
    if load >= talent.load_limit:
        raise ServiceError("talent_full")
    if req.language not in (talent.languages or []) and not note:
        raise ServiceError("language_note_required")
    if candidates is None:
        candidates = rules.rank(_need(req), talent_views(session, req.community_id))
    chosen = next((c for c in candidates if c.talent_id == talent.id), None)
    if chosen is None:  # not in the live ranking (cannot happen for an active, fitting person): score it
        chosen = rules.score_candidate(_need(req), _view(talent, load))
    others = [c for c in candidates if c.talent_id != talent.id and c.eligible]
    detail = {"auto": actor[1] == rules.SYSTEM, **chosen.as_dict(), "lead": lead,
              "runner_up": others[0].as_dict() if others else None}  # fmt: skip
    previous = session.get(Talent, req.talent_id) if req.talent_id else None
    from_status = req.status
    req.talent_id = talent.id
    req.status = "matched"
    req.scheduled_for = None  # a booking was with the previous person
    req.matched_at = req.matched_at or now  # time to match counts to the first match
    _trail(session, req, now, actor, "match", from_status, note, detail)
    if previous is not None:
        notices.talent("notice.svc_released", previous)
    notices.talent("notice.svc_assigned", talent)
    notices.resident("notice.svc_matched", talent)
    if actor[1] == rules.SYSTEM:
        notices.staff("notice.svc_auto_matched", talent, lead=lead if lead is not None else 0)


@dataclass(frozen=True)
class StaffActor:
    user_id: int
    role: str
    community_ids: tuple[int, ...]


def staff_actor(session: Session, user_id: int) -> StaffActor | None:
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return StaffActor(user.id, user.role, tuple(community_ids_for(session, user.id)))


def staff_step(
    session: Session,
    user_id: int,
    request_id: int,
    action: str,
    now: datetime,
    *,
    talent_id: object = None,
    when: datetime | None = None,
    note: str | None = None,
    notifier: Notifier | None = None,
    link_base: str | None = None,
) -> str:
    """A coordinator's step on a request (match, schedule, done, cancel); returns the new status.
    ServiceError(code) and nothing written when it may not be taken."""
    actor = staff_actor(session, user_id)
    req = session.scalars(select(ServiceRequest).where(ServiceRequest.id == request_id).with_for_update()).one_or_none()
    if actor is None or req is None or req.community_id not in actor.community_ids:
        raise ServiceError("not_found")  # out of scope looks the same as missing
    cleaned = rules.check_step(req.status, actor.role, action, note)
    notices = _Notices(session, req, notifier or OutboxNotifier(session, now), link_base)
    who = (actor.user_id, actor.role)
    if action == "match":
        _match(session, req, talent_id, who, now, cleaned, notices)
        return req.status
    talent = session.get(Talent, req.talent_id) if req.talent_id else None
    from_status = req.status
    req.status = rules.next_status(action)
    detail = None
    if action == "schedule":
        req.scheduled_for = rules.check_schedule(when, req.requested_at, now)
        detail = {"scheduled_for": req.scheduled_for.isoformat(timespec="minutes")}
        notices.resident("notice.svc_scheduled", talent)
        notices.talent("notice.svc_scheduled_talent", talent)
    elif action == "done":
        req.done_at = now
        notices.resident("notice.svc_done", talent)
        notices.talent("notice.svc_done_talent", talent)
    elif action == "cancel":
        req.cancelled_at = now
        notices.resident("notice.svc_cancelled", talent, note=cleaned)
        notices.talent("notice.svc_cancelled_talent", talent, note=cleaned)
    _trail(session, req, now, who, action, from_status, cleaned, detail)
    return req.status


def request_id_for_code(session: Session, code: str) -> int | None:
    return session.scalar(select(ServiceRequest.id).where(ServiceRequest.tracking_code == code))


def resident_step(
    session: Session,
    code: str,
    action: str,
    now: datetime,
    *,
    rating: object = None,
    comment: str | None = None,
    note: str | None = None,
    notifier: Notifier | None = None,
) -> str:
    """The resident's step on the tracking page: cancel (before done, with an optional reason) or rate
    (when done: 1-5 and an optional comment). Holding the code is the resident's proof."""
    req = session.scalars(
        select(ServiceRequest).where(ServiceRequest.tracking_code == code).with_for_update()
    ).one_or_none()
    if req is None:
        raise ServiceError("not_found")
    cleaned = rules.check_step(req.status, rules.RESIDENT, action, note)
    notices = _Notices(session, req, notifier or OutboxNotifier(session, now), None)
    talent = session.get(Talent, req.talent_id) if req.talent_id else None
    from_status = req.status
    detail = None
    if action == "rate":
        score, text = rules.check_rating(rating, comment)
        req.rating, req.rating_comment, req.rated_at = score, text, now
        detail = {"rating": score}
        notices.talent("notice.svc_rated_talent", talent, rating=score)
        notices.staff("notice.svc_rated", talent, rating=score)
    else:
        req.cancelled_at = now
        notices.talent("notice.svc_cancelled_talent", talent, note=cleaned)
        notices.staff("notice.svc_resident_cancelled", talent, note=cleaned)
    req.status = rules.next_status(action)
    _trail(session, req, now, (None, rules.RESIDENT), action, from_status, cleaned, detail)
    return req.status


# --- the resident's view ----------------------------------------------------------------------------


def _latest_match(session: Session, request_id: int) -> dict | None:
    row = session.execute(
        select(ServiceAction.detail, ServiceAction.at, ServiceAction.actor_label)
        .where(ServiceAction.request_id == request_id, ServiceAction.action == "match")
        .order_by(ServiceAction.at.desc(), ServiceAction.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {"detail": row.detail or {}, "at": row.at, "auto": row.actor_label == rules.SYSTEM}


def public_request(session: Session, code: str) -> dict | None:
    """What anyone holding the tracking code sees: the request, its progress and who serves it (the
    person as residents address them and their team) with the reasons that concern the resident —
    never the resident's contact, the person's full name or contact, staff names or internal notes
    (a cancellation reason is the resident's to read: they are told it anyway)."""
    req = session.scalar(select(ServiceRequest).where(ServiceRequest.tracking_code == code))
    if req is None:
        return None
    spec = specialty_names(session).get(req.specialty_code, (req.specialty_code, req.specialty_code))
    view = {
        "code": req.tracking_code, "status": req.status, "specialty": req.specialty_code, "specialty_zh": spec[0],
        "specialty_en": spec[1], "description": req.description, "language": req.language,
        "preferred": rules.parse_slots(req.preferred_times), "requested_at": req.requested_at,
        "matched_at": req.matched_at, "scheduled_for": req.scheduled_for, "done_at": req.done_at,
        "rating": req.rating, "rating_comment": req.rating_comment, "rated_at": req.rated_at,
        "cancelled_at": req.cancelled_at, "language_gap": req.language_gap, "talent": None, "reasons": [],
    }  # fmt: skip
    if req.talent_id is not None and req.status != "cancelled":
        talent = session.get(Talent, req.talent_id)
        zh, en = team_names(talent.team)
        view["talent"] = {"name": rules.public_name(talent.name), "team_zh": zh, "team_en": en}
        match = _latest_match(session, req.id)
        if match is not None and match["detail"].get("talent_id") == req.talent_id:
            view["reasons"] = [r for r in match["detail"].get("reasons", []) if r.get("code") in PUBLIC_REASONS]
    steps = session.execute(
        select(ServiceAction.at, ServiceAction.action, ServiceAction.actor_label, ServiceAction.note)
        .where(ServiceAction.request_id == req.id)
        .order_by(ServiceAction.at, ServiceAction.id)
    )
    view["timeline"] = [
        {"at": at, "action": action, "by_resident": label == rules.RESIDENT, "auto": label == rules.SYSTEM,
         "note": note if action == "cancel" else None}
        for at, action, label, note in steps
    ]  # fmt: skip
    return view


# --- the coordinators' queue ------------------------------------------------------------------------

STATUS_CHOICES = ("open", "finished", *rules.STATUSES)


@dataclass(frozen=True)
class RequestFilter:
    """The queue's filters; also what the services figures drill down to (months are 'YYYY-MM' or a
    range 'YYYY-MM..YYYY-MM' of the month the request was made in)."""

    status: str | None = None  # one of STATUS_CHOICES
    specialty: str | None = None
    language: str | None = None
    gap: bool = False  # flagged as a language gap
    month: str | None = None
    talent: int | str | None = None  # a person's id
    rating: int | str | None = None  # 1-5
    matched: bool = False  # has been matched at least once

    def validated(self) -> RequestFilter:
        """Drop values that are not ours, so a crafted query string cannot widen or break the query."""
        parsed = parse_month_range(self.month)
        talent = str(self.talent) if isinstance(self.talent, int | str) and not isinstance(self.talent, bool) else ""
        rating = str(self.rating) if isinstance(self.rating, int | str) and not isinstance(self.rating, bool) else ""
        return RequestFilter(
            status=self.status if self.status in STATUS_CHOICES else None,
            specialty=self.specialty if isinstance(self.specialty, str) and 0 < len(self.specialty) <= 40 else None,
            language=self.language if self.language in LANGUAGE_NAMES else None,
            gap=self.gap in (True, 1, "1"),
            month=format_month_range(*parsed) if parsed else None,
            talent=int(talent) if talent.isdigit() and 0 < len(talent) <= 12 and int(talent) > 0 else None,
            rating=int(rating) if len(rating) == 1 and rating in "12345" else None,
            matched=self.matched in (True, 1, "1"),
        )

    def active(self) -> dict:
        """The validated filters that are set (the drill-down note; the query string of a link)."""
        flt = self.validated()
        return {k: v for k, v in flt.__dict__.items() if v not in (None, False)}


def _filtered(query, flt: RequestFilter):  # noqa: ANN001, ANN202
    flt = flt.validated()
    if flt.status == "open":
        query = query.where(ServiceRequest.status.in_(rules.OPEN_STATUSES))
    elif flt.status == "finished":
        query = query.where(ServiceRequest.status.in_(rules.FINISHED_STATUSES))
    elif flt.status:
        query = query.where(ServiceRequest.status == flt.status)
    if flt.specialty:
        query = query.where(ServiceRequest.specialty_code == flt.specialty)
    if flt.language:
        query = query.where(ServiceRequest.language == flt.language)
    if flt.gap:
        query = query.where(ServiceRequest.language_gap.is_(True))
    if flt.month:
        start, end = month_bounds(*parse_month_range(flt.month))
        query = query.where(ServiceRequest.requested_at >= start, ServiceRequest.requested_at < end)
    if flt.talent:
        query = query.where(ServiceRequest.talent_id == flt.talent)
    if flt.rating:
        query = query.where(ServiceRequest.rating == flt.rating)
    if flt.matched:
        query = query.where(ServiceRequest.matched_at.is_not(None))
    return query


def request_rows(session: Session, community_ids: list[int], flt: RequestFilter, limit: int = ROW_LIMIT) -> list[dict]:
    """The requests in scope under the filters: waiting ones first (a gap, then the oldest), then the
    rest newest first."""
    waiting = case((ServiceRequest.status == "requested", 0), else_=1)
    query = (
        select(
            ServiceRequest.id, ServiceRequest.tracking_code, ServiceRequest.specialty_code, ServiceRequest.language,
            ServiceRequest.status, ServiceRequest.requested_at, ServiceRequest.matched_at,
            ServiceRequest.scheduled_for, ServiceRequest.rating, ServiceRequest.language_gap,
            ServiceRequest.preferred_times, Talent.name.label("talent_name"), Talent.team.label("talent_team"),
        )
        .outerjoin(Talent, Talent.id == ServiceRequest.talent_id)
        .where(ServiceRequest.community_id.in_(community_ids))
        .order_by(
            waiting,
            case((ServiceRequest.status == "requested", ServiceRequest.language_gap), else_=False).desc(),
            case((ServiceRequest.status == "requested", ServiceRequest.requested_at), else_=None).asc(),
            ServiceRequest.requested_at.desc(),
            ServiceRequest.id.desc(),
        )
        .limit(limit)
    )  # fmt: skip
    return [dict(r._mapping) for r in session.execute(_filtered(query, flt))]


def request_counts(session: Session, community_ids: list[int]) -> dict[str, int]:
    """Open requests by status, and how many wait with a language gap (the queue's header)."""
    counts = dict.fromkeys(rules.OPEN_STATUSES, 0)
    for status, n in session.execute(
        select(ServiceRequest.status, func.count(ServiceRequest.id))
        .where(ServiceRequest.community_id.in_(community_ids), ServiceRequest.status.in_(rules.OPEN_STATUSES))
        .group_by(ServiceRequest.status)
    ):
        counts[status] = n
    counts["gap_waiting"] = session.scalar(
        select(func.count(ServiceRequest.id)).where(
            ServiceRequest.community_id.in_(community_ids),
            ServiceRequest.status == "requested",
            ServiceRequest.language_gap.is_(True),
        )
    )
    return counts


def _actor_names(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def request_detail(session: Session, community_ids: list[int], request_id: int) -> dict | None:
    """One request for coordinators: the request (contact masked), its person, the whole trail with who
    took each step and the reasons a match was made on; None when missing or out of scope."""
    req = session.get(ServiceRequest, request_id)
    if req is None or req.community_id not in community_ids:
        return None
    spec = specialty_names(session).get(req.specialty_code, (req.specialty_code, req.specialty_code))
    talent = session.get(Talent, req.talent_id) if req.talent_id else None
    actions = list(
        session.scalars(
            select(ServiceAction).where(ServiceAction.request_id == req.id).order_by(ServiceAction.at, ServiceAction.id)
        )
    )
    names = _actor_names(session, {a.actor_id for a in actions if a.actor_id is not None})
    talent_names = dict(
        session.execute(
            select(Talent.id, Talent.name).where(Talent.id.in_({a.talent_id for a in actions if a.talent_id}))
        ).all()
    )
    return {
        "id": req.id, "code": req.tracking_code, "status": req.status, "community_id": req.community_id,
        "specialty": req.specialty_code, "specialty_zh": spec[0], "specialty_en": spec[1],
        "description": req.description, "language": req.language,
        "preferred": rules.parse_slots(req.preferred_times), "contact_masked": mask_contact(req.contact),
        "has_contact": bool(req.contact), "requested_at": req.requested_at, "matched_at": req.matched_at,
        "scheduled_for": req.scheduled_for, "done_at": req.done_at, "rating": req.rating,
        "rating_comment": req.rating_comment, "rated_at": req.rated_at, "cancelled_at": req.cancelled_at,
        "language_gap": req.language_gap,
        "talent": None if talent is None else {
            "id": talent.id, "name": talent.name, "team": talent.team, "contact_masked": mask_contact(talent.contact),
            "languages": list(talent.languages or []), "availability": talent.availability or {},
        },
        "trail": [
            {"at": a.at, "action": a.action, "actor_label": a.actor_label, "actor_name": names.get(a.actor_id),
             "from_status": a.from_status, "to_status": a.to_status, "talent_name": talent_names.get(a.talent_id),
             "note": a.note, "detail": a.detail or {}}
            for a in actions
        ],
    }  # fmt: skip


def proposals(session: Session, request_id: int) -> list[rules.Candidate]:
    """The live ranking for a request (its current person left out: they are not a proposal)."""
    req = session.get(ServiceRequest, request_id)
    if req is None:
        return []
    return [c for c in rules.rank(_need(req), talent_views(session, req.community_id)) if c.talent_id != req.talent_id]


def allowed_steps(session: Session, user_id: int, request_id: int) -> list[str]:
    actor = staff_actor(session, user_id)
    req = session.get(ServiceRequest, request_id)
    if actor is None or req is None or req.community_id not in actor.community_ids:
        return []
    return rules.allowed_actions(req.status, actor.role)


def suggested_time(session: Session, request_id: int, now: datetime) -> datetime | None:
    """The first half-day after today that suits the resident and the matched person."""
    req = session.get(ServiceRequest, request_id)
    if req is None or req.talent_id is None:
        return None
    talent = session.get(Talent, req.talent_id)
    return rules.suggest_time(now, talent.availability, rules.parse_slots(req.preferred_times))


def reveal_contact(session: Session, user_id: int, request_id: int, whose: str, now: datetime) -> str | None:
    """The resident's (`whose` "resident") or the matched person's ("talent") contact in full, for the roles
    that phone them, within their scope; every reveal is written to the audit log. None otherwise."""
    actor = staff_actor(session, user_id)
    req = session.get(ServiceRequest, request_id)
    if actor is None or req is None or actor.role not in rules.CONTACT_ROLES:
        return None
    if req.community_id not in actor.community_ids:
        return None
    if whose == "resident" and req.contact:
        record_read(session, user_id, "service_request.contact", str(req.id), req.tracking_code, now)
        return req.contact
    if whose == "talent" and req.talent_id:
        talent = session.get(Talent, req.talent_id)
        if talent.contact:
            record_read(session, user_id, "talent.contact", str(talent.id), req.tracking_code, now)
            return talent.contact
    return None


def search_code(session: Session, community_ids: list[int], text: str) -> str | None:
    """The tracking code of the request `text` names (any case, spaces ignored), within scope."""
    code = re.sub(r"[\s-]", "", text or "").upper()
    if not CODE.match(code):
        return None
    return session.scalar(
        select(ServiceRequest.tracking_code).where(
            ServiceRequest.tracking_code == code, ServiceRequest.community_id.in_(community_ids)
        )
    )
