"""The demo's service requests, lived through the services module's own rules (`domain.services`).

Requests come in time order. Each is ranked against the library with every person's load as it stood
at that moment (the requests they held, matched and not yet done or cancelled); the clearly best
person is assigned at once, as the public form does, and the rest wait for a coordinator who confirms
the best proposal a few hours later. A request in a language nobody with its specialty speaks is
flagged and never matched: it waits, or is cancelled by staff after a while. Appointments fall in a
half-day that suits both sides. So every matched demo request fits its specialty and language, no one
is over their load limit at any time, and the trail holds the reasons each match was made on.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from domain import services as rules

AUTO_ASSIGN_MARGIN = 15  # the setting's default (COCKPIT_SERVICE_AUTO_ASSIGN_MARGIN)
LANGUAGE_WEIGHTS = (("zh", 80), ("en", 10), ("ko", 4), ("ja", 3), ("gap", 3))
SPECIALTY_WEIGHTS = {"legal": 25, "engineering": 15, "international": 15, "culture_arts": 12, "antiques": 8,
                     "medical": 25}  # fmt: skip
# what Korean and Japanese residents ask for: the library's Korean and Japanese speakers cover these
FOREIGN_SPECIALTIES = {"ko": ("legal", "international"), "ja": ("international", "medical")}
WEEKDAY_EVENINGS = tuple((d, "evening") for d in rules.WEEKDAYS[:5])
WEEKEND_DAYS = (("sat", "morning"), ("sat", "afternoon"), ("sun", "morning"), ("sun", "afternoon"))
ALL_SLOTS = tuple((d, p) for d in rules.WEEKDAYS for p in rules.PART_ORDER)
GAP_CANCEL_NOTES = ("暂无会讲该语言的志愿者，已电话致歉并介绍市外事服务热线", "经协调未找到该语种志愿者，已告知居民")
STAFF_CANCEL_NOTES = ("居民来电表示问题已自行解决", "居民电话联系不上，多次尝试后关闭")
RESIDENT_CANCEL_NOTES = ("时间安排不开了", None, "问题已经解决了")
NOBODY_FREE_NOTE = "相关志愿者近期均已满额，已电话告知居民，可稍后重新申请"


def _preferred(rng: random.Random) -> tuple[rules.Slot, ...]:
    kind = rng.choices(("evenings", "weekend", "some", "any"), weights=(3, 3, 3, 2))[0]
    if kind == "evenings":
        return WEEKDAY_EVENINGS
    if kind == "weekend":
        return WEEKEND_DAYS
    if kind == "some":
        return tuple(sorted(rng.sample(ALL_SLOTS, rng.randint(2, 4)), key=rules.slot_order))
    return ()


class _Life:
    """One request's rows: the request and its trail, stopping at the first step after as_of."""

    def __init__(self, row: dict, index: int, as_of: datetime) -> None:
        self.row, self.index, self.as_of = row, index, as_of
        self.actions: list[dict] = []
        self.ended_at: datetime | None = None  # done or cancelled: the person's slot is free again

    def step(self, at: datetime, actor: tuple[int | None, str], action: str, to_status: str, **extra) -> bool:
        if at > self.as_of:
            return False
        self.actions.append({"_row": self.index, "at": at, "actor_id": actor[0], "actor_label": actor[1],
                             "action": action, "from_status": self.row["status"] if self.actions else None,
                             "to_status": to_status, "talent_id": extra.get("talent_id", self.row["talent_id"]),
                             "note": extra.get("note"), "detail": extra.get("detail")})  # fmt: skip
        self.row["status"] = to_status
        return True


def simulate_requests(
    rng: random.Random,
    talents: list[dict],
    community_id: int,
    as_of: datetime,
    coordinators: list[tuple[int, str]],
    texts: dict,
    comments: dict,
    gap_languages: tuple[str, ...],
    code,  # noqa: ANN001 - the demo's maker of unique codes: code(rng, prefix)
    phone,  # noqa: ANN001 - the demo's phone numbers: phone(rng)
) -> tuple[list[dict], list[dict]]:
    """(request rows, trail rows); a trail row's "_row" is the index of its request in the first list."""
    start = as_of - timedelta(days=365)
    span = int((as_of - start).total_seconds())
    recent = int(timedelta(days=10).total_seconds())  # a few fresh ones still waiting or booked
    times = sorted([start + timedelta(seconds=rng.randrange(span)) for _ in range(284)]
                   + [as_of - timedelta(seconds=rng.randrange(1, recent)) for _ in range(16)])  # fmt: skip
    by_id = {t["id"]: t for t in talents}
    lives: list[_Life] = []

    def views(at: datetime) -> list[rules.TalentView]:
        load: dict[int, int] = {}
        for life in lives:
            tid, matched = life.row["talent_id"], life.row["matched_at"]
            if (
                tid is not None
                and matched is not None
                and matched <= at
                and (life.ended_at is None or life.ended_at > at)
            ):
                load[tid] = load.get(tid, 0) + 1
        return [rules.TalentView(id=t["id"], name=t["name"], team=t["team"], specialties=tuple(t["specialties"]),
                                 languages=tuple(t["languages"]), availability=t["availability"],
                                 load_limit=t["load_limit"], load=load.get(t["id"], 0)) for t in talents]  # fmt: skip

    for index, requested in enumerate(times):
        lang = rng.choices([x for x, _ in LANGUAGE_WEIGHTS], weights=[w for _, w in LANGUAGE_WEIGHTS])[0]
        if lang == "gap":
            lang, spec = rng.choice(gap_languages), "international"
        elif lang in FOREIGN_SPECIALTIES:
            spec = rng.choice(FOREIGN_SPECIALTIES[lang])
        else:
            spec = rng.choices(list(SPECIALTY_WEIGHTS), weights=list(SPECIALTY_WEIGHTS.values()))[0]
        need = rules.Need(spec, lang, _preferred(rng))
        staff = coordinators[0] if rng.random() < 0.7 else coordinators[-1]
        people = views(requested)
        gap = rules.language_gap(need, people)
        candidates = rules.rank(need, people)
        decision = rules.decide(need, candidates, gap, AUTO_ASSIGN_MARGIN)
        row = {"tracking_code": code(rng, "SR"), "community_id": community_id, "specialty_code": spec,
               "description": rng.choice(texts[lang][spec]), "language": lang,
               "preferred_times": rules.format_slots(need.preferred), "contact": phone(rng),
               "status": "requested", "talent_id": None,
               "requested_at": requested, "matched_at": None, "scheduled_for": None, "done_at": None,
               "rating": None, "rating_comment": None, "rated_at": None, "language_gap": gap,
               "cancelled_at": None, "submission_ref": None}  # fmt: skip
        life = _Life(row, index, as_of)
        lives.append(life)
        life.step(requested, (None, rules.RESIDENT), "request", "requested",
                  detail={"language_gap": gap, "outcome": decision.outcome, "lead": decision.lead})  # fmt: skip
        # the draws below happen whatever the outcome, so one request's fate never shifts the next one's
        confirm_after = timedelta(minutes=rng.randint(60, 48 * 60))
        agree_after = timedelta(minutes=rng.randint(120, 72 * 60))
        service_minutes = rng.randint(60, 180)
        rate_after = timedelta(minutes=rng.randint(120, 96 * 60))
        cancels, rates, resident_cancels = rng.random() < 0.06, rng.random() < 0.8, rng.random() < 0.5
        rating = rng.choices((3, 4, 5), weights=(10, 30, 60))[0]
        comment = rng.choice(comments["zh" if lang == "zh" else "en"]) if rng.random() < 0.7 else None
        cancel_note = rng.choice(RESIDENT_CANCEL_NOTES if resident_cancels else STAFF_CANCEL_NOTES)
        gap_days = timedelta(days=rng.randint(7, 20))
        gap_note = rng.choice(GAP_CANCEL_NOTES)
        auto_after = timedelta(seconds=rng.randint(1, 30))

        if decision.auto:
            matched_at, actor = requested + auto_after, (None, rules.SYSTEM)
        else:
            matched_at, actor = requested + confirm_after, staff
            candidates = rules.rank(need, views(matched_at))
        eligible = [c for c in candidates if c.eligible]
        if gap or not eligible:  # nobody to send: it waits, and after a while staff close it and say why
            note = gap_note if gap else NOBODY_FREE_NOTE
            if life.step(requested + gap_days, staff, "cancel", "cancelled", note=note):
                row["cancelled_at"] = life.ended_at = requested + gap_days
            continue
        if matched_at > as_of:
            continue
        chosen = eligible[0]
        others = [c for c in eligible if c.talent_id != chosen.talent_id]
        lead = chosen.score - (others[0].score if others else 0)
        detail = {"auto": decision.auto, **chosen.as_dict(), "lead": lead,
                  "runner_up": others[0].as_dict() if others else None}  # fmt: skip
        row.update(talent_id=chosen.talent_id, matched_at=matched_at)
        life.step(matched_at, actor, "match", "matched", detail=detail)
        talent = by_id[chosen.talent_id]

        agreed = matched_at + agree_after
        if cancels:
            cancelled = matched_at + agree_after / 2
            who = (None, rules.RESIDENT) if resident_cancels else staff
            if life.step(cancelled, who, "cancel", "cancelled", note=cancel_note):
                row["cancelled_at"] = life.ended_at = cancelled
            continue
        slot = rules.suggest_time(agreed, talent["availability"], need.preferred)
        slot = slot or rules.suggest_time(agreed, talent["availability"], ())
        scheduled_for = slot or (agreed + timedelta(days=1)).replace(hour=9, minute=0, second=0)
        if not life.step(agreed, staff, "schedule", "scheduled",
                         detail={"scheduled_for": scheduled_for.isoformat(timespec="minutes")}):  # fmt: skip
            continue
        row["scheduled_for"] = scheduled_for
        done_at = scheduled_for + timedelta(minutes=service_minutes)
        if not life.step(done_at, staff, "done", "done"):
            continue
        row["done_at"] = life.ended_at = done_at
        if rates and life.step(done_at + rate_after, (None, rules.RESIDENT), "rate", "rated",
                               detail={"rating": rating}):  # fmt: skip
            row.update(rating=rating, rating_comment=comment, rated_at=done_at + rate_after)
    return [life.row for life in lives], [a for life in lives for a in life.actions]
