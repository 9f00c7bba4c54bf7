"""The services module as pure rules (服务模块, the "360 talent library"): times, matching, lifecycle.

Times. A resident says when suits them as half-days of the week — (weekday, part) with part morning
(08–12), afternoon (12–18) or evening (18–22) — stored readable as "tue morning; sat afternoon"; no
choice means any time. A person's availability is time windows per weekday, `{"tue": ["09:00-12:00"]}`;
a window serves a part when they overlap by at least an hour.

Matching. Only active people with the requested specialty are considered. Eligible means they also
speak the request's language and have a free slot (open requests, matched or scheduled, below their
load limit). Each candidate gets a score out of 100 and the reasons behind it:
- availability, 50: 30 when the person is free in at least one of the resident's half-days, plus 20 times
  the share of those half-days they are free in (any time: 30, plus up to 20 for how many half-days a
  week the person offers, six or more counting full) — sharing a time at all matters most;
- load, 30: the free share of the person's slots;
- main specialty, 10: the specialty is the first one listed for the person;
- first language, 10: the request's language is the first one listed for the person.
A request whose language nobody active with the specialty speaks is a language gap: it is flagged to
staff, never matched by itself, and a coordinator may still match a person who does not speak it only
with a note saying how (an interpreter, say). The best eligible candidate is assigned at once when
it is clearly best — its score beats the runner-up's (0 without one) by the auto-assign margin, and
it shares a half-day with the resident (or the resident said any time); otherwise staff confirm.

Lifecycle. requested → matched → scheduled → done → rated, or cancelled from any state before done.
Coordinators match (or re-match to someone else, which drops a booking), schedule (or re-schedule),
mark done and cancel (with a reason); the resident cancels and, once done, rates 1–5 with an optional
comment; the system only matches (auto-assignment). `data_access.services` applies these rules to the store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
PARTS: dict[str, tuple[int, int]] = {"morning": (8 * 60, 12 * 60), "afternoon": (12 * 60, 18 * 60),
                                     "evening": (18 * 60, 22 * 60)}  # fmt: skip
PART_ORDER = tuple(PARTS)
MIN_OVERLAP_MINUTES = 60
WEEKDAY_NAMES: dict[str, tuple[str, str]] = {
    "mon": ("周一", "Mon"), "tue": ("周二", "Tue"), "wed": ("周三", "Wed"), "thu": ("周四", "Thu"),
    "fri": ("周五", "Fri"), "sat": ("周六", "Sat"), "sun": ("周日", "Sun"),
}  # fmt: skip
PART_NAMES: dict[str, tuple[str, str]] = {"morning": ("上午", "morning"), "afternoon": ("下午", "afternoon"),
                                          "evening": ("晚上", "evening")}  # fmt: skip
ANY_TIME_NAMES = ("时间不限", "any time")

Slot = tuple[str, str]  # (weekday, part)

WEIGHT_COMMON_TIME, WEIGHT_TIME_SHARE, WEIGHT_LOAD, WEIGHT_MAIN_SPECIALTY, WEIGHT_FIRST_LANGUAGE = 30, 20, 30, 10, 10
FULL_WEEK_HALF_DAYS = 6  # offering this many half-days a week counts as fully available

STATUSES = ("requested", "matched", "scheduled", "done", "rated", "cancelled")
OPEN_STATUSES = ("requested", "matched", "scheduled")
LOAD_STATUSES = ("matched", "scheduled")  # what counts against a person's load limit
FINISHED_STATUSES = ("done", "rated")
STAGES = ("requested", "matched", "scheduled", "done", "rated")

# action -> (statuses it starts from, status it leaves)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "match": (OPEN_STATUSES, "matched"),  # a booked request re-matched goes back to be booked again
    "schedule": (("matched", "scheduled"), "scheduled"),
    "done": (("scheduled",), "done"),
    "rate": (("done",), "rated"),
    "cancel": (OPEN_STATUSES, "cancelled"),
}
RESIDENT, SYSTEM = "resident", "system"
# Who coordinates services: the community's workers, grid leaders, the secretary and administrators.
COORDINATOR_ROLES = ("grid_worker", "grid_leader", "secretary", "admin")
# Who keeps the library itself (add, edit, retire people; add specialties).
LIBRARY_ROLES = ("secretary", "admin")
# Who may see a person's or a resident's contact in full (they phone them); every reveal is audited.
CONTACT_ROLES = ("grid_worker", "grid_leader", "secretary")
ACTIONS_BY: dict[str, tuple[str, ...]] = {
    RESIDENT: ("cancel", "rate"),
    SYSTEM: ("match",),
    **{role: ("match", "schedule", "done", "cancel") for role in COORDINATOR_ROLES},
}
NOTE_MAX = 1000
COMMENT_MAX = 1000
DESCRIPTION_MAX = 2000
SCHEDULE_AHEAD_DAYS = 366


class ServiceError(ValueError):
    """A step or an input that is refused; `code` is a stable key (svcq.error.<code> in the UI)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


# --- times ------------------------------------------------------------------------------------------


def parse_slots(text: str | None) -> tuple[Slot, ...]:
    """ "tue morning; sat afternoon" -> (("tue", "morning"), ("sat", "afternoon")), in week order;
    pieces that are not a weekday and a part are skipped (empty means any time)."""
    found = set()
    for piece in re.split(r"[;,]", text or ""):
        words = piece.strip().lower().split()
        if len(words) == 2 and words[0] in WEEKDAYS and words[1] in PARTS:
            found.add((words[0], words[1]))
    return tuple(sorted(found, key=slot_order))


def slot_order(slot: Slot) -> tuple[int, int]:
    return WEEKDAYS.index(slot[0]), PART_ORDER.index(slot[1])


def format_slots(slots) -> str | None:  # noqa: ANN001 - any iterable of slots
    """The stored form of preferred times; None for any time."""
    valid = sorted({s for s in slots if s[0] in WEEKDAYS and s[1] in PARTS}, key=slot_order)
    return "; ".join(f"{d} {p}" for d, p in valid) or None


def slot_names(slots) -> tuple[str, str]:  # noqa: ANN001
    """(zh, en) readable half-days: ("周二上午、周六下午", "Tue morning, Sat afternoon")."""
    slots = sorted(slots, key=slot_order)
    if not slots:
        return ANY_TIME_NAMES
    zh = "、".join(WEEKDAY_NAMES[d][0] + PART_NAMES[p][0] for d, p in slots)
    en = ", ".join(f"{WEEKDAY_NAMES[d][1]} {PART_NAMES[p][1]}" for d, p in slots)
    return zh, en


_WINDOW = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")


def parse_window(text: str) -> tuple[int, int] | None:
    """ "09:00-12:00" -> (540, 720) in minutes; None when malformed or empty."""
    match = _WINDOW.match(text.strip().replace(" ", "").replace("–", "-"))
    if not match:
        return None
    start = int(match.group(1)) * 60 + int(match.group(2))
    end = int(match.group(3)) * 60 + int(match.group(4))
    return (start, end) if start < end <= 24 * 60 else None


def parse_day_windows(text: str | None) -> list[str] | None:
    """A person's windows for one weekday as staff type them ("09:00-12:00, 19:00-21:00") in stored form,
    sorted; None when any piece is malformed, [] when empty."""
    windows = []
    for piece in re.split(r"[,，;；\s]+", (text or "").strip()):
        if not piece:
            continue
        parsed = parse_window(piece)
        if parsed is None:
            return None
        windows.append(parsed)
    return [f"{s // 60:02d}:{s % 60:02d}-{e // 60:02d}:{e % 60:02d}" for s, e in sorted(set(windows))]


def windows_of(availability: dict | None) -> dict[str, list[tuple[int, int]]]:
    """The well-formed windows per weekday of a stored availability (anything else is ignored)."""
    out: dict[str, list[tuple[int, int]]] = {}
    for day, windows in (availability or {}).items():
        if day not in WEEKDAYS or not isinstance(windows, list):
            continue
        parsed = [w for w in (parse_window(x) for x in windows if isinstance(x, str)) if w]
        if parsed:
            out[day] = sorted(parsed)
    return out


def free_slots(availability: dict | None) -> tuple[Slot, ...]:
    """The half-days a person's windows serve (an hour of overlap or more)."""
    found = set()
    for day, windows in windows_of(availability).items():
        for part, (lo, hi) in PARTS.items():
            if any(min(hi, e) - max(lo, s) >= MIN_OVERLAP_MINUTES for s, e in windows):
                found.add((day, part))
    return tuple(sorted(found, key=slot_order))


def suggest_time(after: datetime, availability: dict | None, preferred: tuple[Slot, ...], days: int = 14):
    """The first appointment from the day after `after` within `days` days that suits both sides: the
    start of the person's window in a shared half-day (any of the person's half-days when the resident
    said any time); None when there is none."""
    windows = windows_of(availability)
    wanted = set(preferred)
    start_day: date = after.date() + timedelta(days=1)
    for offset in range(days):
        day = start_day + timedelta(days=offset)
        code = WEEKDAYS[day.weekday()]
        for part in PART_ORDER:
            if wanted and (code, part) not in wanted:
                continue
            lo, hi = PARTS[part]
            for s, e in windows.get(code, []):
                if min(hi, e) - max(lo, s) >= MIN_OVERLAP_MINUTES:
                    begin = max(lo, s)
                    return datetime.combine(day, time(begin // 60, begin % 60))
    return None


# --- matching ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TalentView:
    id: int
    name: str
    team: str
    specialties: tuple[str, ...]
    languages: tuple[str, ...]
    availability: dict
    load_limit: int
    load: int = 0  # open requests (matched or scheduled) now
    active: bool = True


@dataclass(frozen=True)
class Need:
    specialty: str
    language: str
    preferred: tuple[Slot, ...] = ()


@dataclass(frozen=True)
class Reason:
    """One line of why: `code` names it (match.reason.<code> in the UI), params fill it in (codes and
    numbers only: the page names languages, specialties and half-days in the reader's language)."""

    code: str
    params: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"code": self.code, **self.params}


@dataclass(frozen=True)
class Candidate:
    talent_id: int
    name: str
    team: str
    score: int
    eligible: bool
    speaks: bool
    full: bool
    load: int
    load_limit: int
    common: tuple[Slot, ...]
    reasons: tuple[Reason, ...]

    def as_dict(self) -> dict:
        """JSON-ready, for the trail (what the match was based on, as it stood)."""
        return {"talent_id": self.talent_id, "score": self.score, "eligible": self.eligible,
                "reasons": [r.as_dict() for r in self.reasons]}  # fmt: skip


def _slot_codes(slots) -> list[str]:  # noqa: ANN001
    return [f"{d} {p}" for d, p in slots]


def score_candidate(need: Need, talent: TalentView) -> Candidate:
    """One person's score and reasons for a need; the caller has checked the specialty."""
    speaks = need.language in talent.languages
    full = talent.load >= talent.load_limit
    offered = free_slots(talent.availability)
    reasons: list[Reason] = []
    main = bool(talent.specialties) and talent.specialties[0] == need.specialty
    reasons.append(Reason("specialty_main" if main else "specialty_also", {"specialty": need.specialty}))
    first_language = bool(talent.languages) and talent.languages[0] == need.language
    if speaks:
        reasons.append(Reason("speaks_first" if first_language else "speaks", {"language": need.language}))
    else:
        reasons.append(Reason("no_language", {"language": need.language}))
    if need.preferred:
        common = tuple(s for s in need.preferred if s in offered)
        share = len(common) / len(need.preferred)
        reasons.append(Reason("free", {"slots": _slot_codes(common)}) if common else Reason("no_common_time"))
    else:
        common = offered
        share = min(1.0, len(offered) / FULL_WEEK_HALF_DAYS)
        reasons.append(Reason("any_time", {"n": len(offered)}))
    limit = max(talent.load_limit, 0)
    free_share = (limit - talent.load) / limit if limit and not full else 0.0
    reasons.append(Reason("full" if full else "load", {"used": talent.load, "limit": limit}))
    score = (
        (WEIGHT_COMMON_TIME if common else 0)
        + WEIGHT_TIME_SHARE * share
        + WEIGHT_LOAD * free_share
        + (WEIGHT_MAIN_SPECIALTY if main else 0)
        + (WEIGHT_FIRST_LANGUAGE if first_language else 0)
    )
    return Candidate(
        talent_id=talent.id, name=talent.name, team=talent.team, score=round(score), eligible=speaks and not full,
        speaks=speaks, full=full, load=talent.load, load_limit=limit, common=common, reasons=tuple(reasons),
    )  # fmt: skip


def rank(need: Need, talents) -> list[Candidate]:  # noqa: ANN001 - an iterable of TalentView
    """Everyone active with the specialty, best first: the eligible by score, then those who do not speak
    the language (a coordinator may still choose them, with a note), then those who are fully booked.
    Ties go to the lighter load, then to the longer-standing person (lower id)."""
    scored = [score_candidate(need, t) for t in talents if t.active and need.specialty in t.specialties]

    def key(c: Candidate) -> tuple:
        group = 0 if c.eligible else (2 if c.full else 1)
        return group, -c.score, c.load, c.talent_id

    return sorted(scored, key=key)


def language_gap(need: Need, talents) -> bool:  # noqa: ANN001
    """Nobody active with the specialty speaks the request's language."""
    return not any(t.active and need.specialty in t.specialties and need.language in t.languages for t in talents)


@dataclass(frozen=True)
class Decision:
    """What happens to a new request: `auto` with the chosen person, or left to staff with `outcome`
    saying why (close_call, language_gap, no_candidate, no_common_time, off)."""

    auto: bool
    outcome: str
    talent_id: int | None = None
    lead: int | None = None  # the top score's lead over the runner-up


def decide(need: Need, candidates: list[Candidate], gap: bool, margin: int) -> Decision:
    if gap:
        return Decision(False, "language_gap")
    eligible = [c for c in candidates if c.eligible]
    if not eligible:
        return Decision(False, "no_candidate")
    top = eligible[0]
    lead = top.score - (eligible[1].score if len(eligible) > 1 else 0)
    if margin <= 0:
        return Decision(False, "off", lead=lead)
    if need.preferred and not top.common:
        return Decision(False, "no_common_time", lead=lead)
    if lead >= margin:
        return Decision(True, "auto", top.talent_id, lead)
    return Decision(False, "close_call", lead=lead)


# --- lifecycle --------------------------------------------------------------------------------------


def allowed_actions(status: str, actor: str) -> list[str]:
    """The steps `actor` (a staff role, RESIDENT or SYSTEM) may take on a request in `status`."""
    return [a for a in ACTIONS_BY.get(actor, ()) if status in TRANSITIONS[a][0]]


def check_step(status: str, actor: str, action: str, note: str | None = None) -> str | None:
    """The cleaned note of a step that may be taken; ServiceError otherwise. A coordinator's
    cancellation needs a reason (the resident is told it); a resident's is optional."""
    if action not in TRANSITIONS:
        raise ServiceError("unknown_action")
    if action not in ACTIONS_BY.get(actor, ()):
        raise ServiceError("forbidden")
    if status not in TRANSITIONS[action][0]:
        raise ServiceError("wrong_status")
    cleaned = (note or "").strip() or None
    if cleaned and len(cleaned) > NOTE_MAX:
        raise ServiceError("note_too_long")
    if action == "cancel" and actor != RESIDENT and not cleaned:
        raise ServiceError("note_required")
    return cleaned


def next_status(action: str) -> str:
    return TRANSITIONS[action][1]


def check_rating(rating: object, comment: str | None) -> tuple[int, str | None]:
    """A rating 1-5 (an int, or its digit as a form sends it) and an optional comment."""
    text = str(rating).strip() if isinstance(rating, int | str) and not isinstance(rating, bool) else ""
    if not (len(text) == 1 and text in "12345"):
        raise ServiceError("bad_rating")
    cleaned = (comment or "").strip() or None
    if cleaned and len(cleaned) > COMMENT_MAX:
        raise ServiceError("comment_too_long")
    return int(text), cleaned


def check_schedule(when: datetime | None, requested_at: datetime, now: datetime) -> datetime:
    """An appointment after the request was made and within a year from now (it may be in the past:
    staff record a visit already made)."""
    if when is None:
        raise ServiceError("bad_time")
    when = when.replace(second=0, microsecond=0)
    if when < requested_at.replace(second=0, microsecond=0) or when > now + timedelta(days=SCHEDULE_AHEAD_DAYS):
        raise ServiceError("bad_time")
    return when


def public_name(name: str) -> str:
    """How a person is named to residents: a Chinese name as surname + 老师 ("王建国" -> "王老师"), any
    other name as the first word and the initial of the last ("Kim Minji" -> "Kim M.")."""
    text = (name or "").strip()
    if not text:
        return ""
    if re.match(r"[\u3400-\u9fff]", text):
        return text[0] + "老师"
    words = text.split()
    return words[0] if len(words) == 1 else f"{words[0]} {words[-1][0]}."
