"""The services module (服务模块): matching on hand-made cases (specialty, language, availability, load),
the request lifecycle and who is told what at each step, masking and audited reveals, bad input on the
public pages and the staff pages, the Dash callbacks as a role and anonymously, and the demo's requests
checked against the rules."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from data_access.clock import local_now
from data_access.db import reading, writing
from data_access.models import (
    AuditLog,
    Notification,
    OutboxMessage,
    ServiceAction,
    ServiceRequest,
    Specialty,
    Talent,
)
from data_access.service_figures import period_months, service_figures
from data_access.services import (
    NewRequest,
    RequestFilter,
    RequestInputError,
    public_request,
    request_detail,
    request_rows,
    resident_step,
    reveal_contact,
    staff_step,
    submit_request,
)
from data_access.talent import (
    TalentInput,
    TalentInputError,
    add_specialty,
    library_rows,
    reveal_talent_contact,
    save_talent,
    set_active,
)
from domain import services as rules
from domain.masking import mask_contact
from domain.services import Need, ServiceError, TalentView
from tests.factories import NOW, tiny_community
from tests.test_web import _csrf_cookie, _route, decoded, login

# --- matching as pure rules -------------------------------------------------------------------------


def person(tid: int, specialties, languages, availability, limit: int = 3, load: int = 0, active: bool = True):  # noqa: ANN001
    return TalentView(id=tid, name=f"P{tid}", team="公共议事会", specialties=tuple(specialties),
                      languages=tuple(languages), availability=availability, load_limit=limit, load=load,
                      active=active)  # fmt: skip


TUE_AM = {"tue": ["09:00-12:00"]}
SAT_PM = {"sat": ["14:00-17:00"]}


def test_half_days_are_stored_readable_and_parsed_back():
    slots = rules.parse_slots("sat afternoon; tue morning; junk; tue   morning; fri night")
    assert slots == (("tue", "morning"), ("sat", "afternoon"))
    assert rules.format_slots(slots) == "tue morning; sat afternoon"
    assert rules.parse_slots(rules.format_slots(slots)) == slots
    assert rules.format_slots(()) is None and rules.parse_slots(None) == ()
    assert rules.slot_names(slots) == ("周二上午、周六下午", "Tue morning, Sat afternoon")


def test_a_window_serves_a_half_day_it_overlaps_by_an_hour():
    assert rules.free_slots({"mon": ["09:00-12:00"], "wed": ["11:00-13:00"], "fri": ["11:30-12:30"]}) == (
        ("mon", "morning"), ("wed", "morning"), ("wed", "afternoon"),
    )  # fmt: skip
    assert rules.free_slots({"xyz": ["09:00-12:00"], "tue": ["nine to five", "12:00-09:00"]}) == ()
    assert rules.parse_day_windows("19:00-21:00，09:00-12:00") == ["09:00-12:00", "19:00-21:00"]
    assert rules.parse_day_windows("") == [] and rules.parse_day_windows("9-12") is None


def test_only_people_with_the_specialty_are_ranked_and_the_language_is_required():
    need = Need("legal", "en", (("tue", "morning"),))
    people = [
        person(1, ["legal"], ["zh"], TUE_AM),  # does not speak English
        person(2, ["medical"], ["en"], TUE_AM),  # speaks it, wrong specialty
        person(3, ["international", "legal"], ["ko", "en"], TUE_AM),  # speaks it, legal as a second specialty
        person(4, ["legal"], ["en"], TUE_AM, active=False),  # retired
    ]
    ranked = rules.rank(need, people)
    assert [c.talent_id for c in ranked] == [3, 1]
    assert ranked[0].eligible and not ranked[1].eligible and not ranked[1].speaks
    codes = [r.code for r in ranked[0].reasons]
    assert codes == ["specialty_also", "speaks", "free", "load"]
    assert ranked[0].reasons[2].params == {"slots": ["tue morning"]}
    assert "no_language" in [r.code for r in ranked[1].reasons]
    assert not rules.language_gap(need, people)
    assert rules.language_gap(Need("legal", "ar"), people)
    # the medical person speaks Arabic-free English: a gap is about the specialty, not the whole library
    assert rules.language_gap(Need("medical", "ko"), people + [person(5, ["legal"], ["ko"], TUE_AM)])


def test_common_times_and_load_order_the_eligible():
    need = Need("legal", "en", (("tue", "morning"), ("sat", "afternoon")))
    free_both = person(1, ["legal"], ["en"], {**TUE_AM, **SAT_PM}, limit=4, load=2)
    free_one = person(2, ["legal"], ["en"], TUE_AM, limit=4, load=2)
    free_none = person(3, ["legal"], ["en"], {"mon": ["19:00-21:00"]}, limit=4, load=0)
    idle_one = person(4, ["legal"], ["en"], TUE_AM, limit=4, load=0)
    full = person(5, ["legal"], ["en"], {**TUE_AM, **SAT_PM}, limit=2, load=2)
    ranked = rules.rank(need, [free_none, full, free_one, idle_one, free_both])
    assert [c.talent_id for c in ranked] == [4, 1, 2, 3, 5]
    by_id = {c.talent_id: c for c in ranked}
    assert by_id[1].score > by_id[2].score  # more of the resident's half-days
    assert by_id[4].score > by_id[2].score  # the same time, a lighter load
    assert by_id[2].score > by_id[3].score  # any common time beats none, even against a lighter load
    assert by_id[5].full and not by_id[5].eligible and by_id[5].reasons[-1].code == "full"
    assert by_id[5].reasons[-1].params == {"used": 2, "limit": 2}
    assert by_id[3].reasons[2].code == "no_common_time"


def test_clearly_best_is_assigned_and_everything_else_waits_for_staff():
    one = person(1, ["legal"], ["en", "zh"], TUE_AM)
    far = person(2, ["legal"], ["en"], SAT_PM)
    need = Need("legal", "en", (("tue", "morning"),))
    ranked = rules.rank(need, [one, far])
    decision = rules.decide(need, ranked, False, 15)
    assert decision.auto and decision.talent_id == 1 and decision.lead >= 15
    assert rules.decide(need, ranked, False, decision.lead + 1).outcome == "close_call"
    assert rules.decide(need, ranked, False, 0).outcome == "off"
    twin = person(3, ["legal"], ["en", "zh"], TUE_AM)
    assert rules.decide(need, rules.rank(need, [one, twin]), False, 15).outcome == "close_call"
    nobody_then = Need("legal", "en", (("sun", "evening"),))
    assert rules.decide(nobody_then, rules.rank(nobody_then, [one]), False, 15).outcome == "no_common_time"
    assert rules.decide(Need("legal", "en"), rules.rank(Need("legal", "en"), [one]), False, 15).auto  # any time
    busy = person(4, ["legal"], ["en"], TUE_AM, limit=1, load=1)
    assert rules.decide(need, rules.rank(need, [busy]), False, 15).outcome == "no_candidate"
    gap = Need("legal", "ar", (("tue", "morning"),))
    assert rules.decide(gap, rules.rank(gap, [one]), True, 15) == rules.Decision(False, "language_gap")


def test_a_suggested_time_suits_both_sides():
    wednesday = datetime(2026, 11, 25, 10, 0)
    assert rules.suggest_time(wednesday, {"tue": ["09:30-12:00"]}, (("tue", "morning"),)) == datetime(
        2026, 12, 1, 9, 30
    )
    assert rules.suggest_time(wednesday, {"thu": ["19:00-21:00"]}, ()) == datetime(2026, 11, 26, 19, 0)
    assert rules.suggest_time(wednesday, {"tue": ["09:00-12:00"]}, (("sat", "morning"),)) is None


def test_who_may_take_which_step():
    assert rules.allowed_actions("requested", "secretary") == ["match", "cancel"]
    assert rules.allowed_actions("matched", "grid_worker") == ["match", "schedule", "cancel"]
    assert rules.allowed_actions("scheduled", "admin") == ["match", "schedule", "done", "cancel"]
    assert rules.allowed_actions("done", rules.RESIDENT) == ["rate"]
    assert rules.allowed_actions("scheduled", rules.RESIDENT) == ["cancel"]
    assert rules.allowed_actions("requested", "viewer") == [] and rules.allowed_actions("matched", "department") == []
    with pytest.raises(ServiceError, match="forbidden"):
        rules.check_step("matched", rules.RESIDENT, "schedule")
    with pytest.raises(ServiceError, match="note_required"):
        rules.check_step("matched", "secretary", "cancel", "  ")
    assert rules.check_step("matched", rules.RESIDENT, "cancel", " ") is None
    with pytest.raises(ServiceError, match="wrong_status"):
        rules.check_step("done", "secretary", "cancel", "too late")
    for bad in (0, 6, "5 stars", "", None, True, 4.5):
        with pytest.raises(ServiceError, match="bad_rating"):
            rules.check_rating(bad, None)
    assert rules.check_rating("4", "  ") == (4, None)
    with pytest.raises(ServiceError, match="comment_too_long"):
        rules.check_rating(5, "x" * 1001)
    assert rules.public_name("王建国") == "王老师" and rules.public_name("Kim Minji") == "Kim M."


# --- a small library on the store -------------------------------------------------------------------


def library(engine, place: dict) -> dict:
    """Four people: an English-speaking lawyer free Tuesday mornings (limit 2), a Chinese-only lawyer,
    a Korean volunteer who also does legal work (limit 1, Saturdays), a Chinese-speaking doctor."""
    plan = {
        "alice": ("Alice Wong", "公共议事会", ["legal"], ["en", "zh"], TUE_AM, 2, "13900001111"),
        "wang": ("王律师", "红领工作室", ["legal"], ["zh"], {**TUE_AM, **SAT_PM}, 3, "13900002222"),
        "kim": (
            "Kim Minji",
            "国际疫情志愿团队",
            ["international", "legal"],
            ["ko", "en"],
            SAT_PM,
            1,
            "kim@example.org",
        ),
        "li": ("李医生", "党员邮政站", ["medical"], ["zh"], {"mon": ["19:00-21:00"]}, 2, "13900004444"),
    }
    ids = {}
    with writing(engine) as s:
        for key, (name, team, specs, langs, avail, limit, contact) in plan.items():
            talent = Talent(community_id=place["community_id"], name=name, contact=contact, team=team,
                            specialties=specs, languages=langs, availability=avail, load_limit=limit, active=True,
                            joined_on=NOW.date())  # fmt: skip
            s.add(talent)
            s.flush()
            ids[key] = talent.id
    return ids


@pytest.fixture
def store(engine):
    place = tiny_community(engine)
    place["talents"] = library(engine, place)
    return engine, place


def new(place: dict, **change) -> NewRequest:
    values = {"community_id": place["community_id"], "specialty": "legal", "description": "Deposit not returned",
              "language": "en", "preferred": (("tue", "morning"),), "contact": "13812345678",
              "submission_id": None}  # fmt: skip
    values.update(change)
    return NewRequest(**values)


def submit(engine, place: dict, margin: int = 15, at: datetime = NOW, **change):
    with writing(engine) as s:
        return submit_request(s, new(place, **change), at, margin, link_base="https://cockpit.example/request/")


def outbox(engine, code: str) -> list[tuple[str, str, str]]:
    with reading(engine) as s:
        return [
            (m.subject_key, m.recipient, m.channel)
            for m in s.scalars(
                select(OutboxMessage).where(OutboxMessage.ref == f"service_request:{code}").order_by(OutboxMessage.id)
            )
        ]


def inbox_kinds(engine, user_id: int) -> list[str]:
    with reading(engine) as s:
        return list(
            s.scalars(select(Notification.kind).where(Notification.user_id == user_id).order_by(Notification.id))
        )


def request_of(engine, code: str) -> ServiceRequest:
    with reading(engine) as s:
        req = s.scalar(select(ServiceRequest).where(ServiceRequest.tracking_code == code))
        s.expunge(req)
        return req


def step(engine, place: dict, role: str, code: str, action: str, minutes: int = 1, **kw):
    req = request_of(engine, code)
    with writing(engine) as s:
        return staff_step(s, place["users"][role], req.id, action, NOW + timedelta(minutes=minutes), **kw)


def test_an_english_legal_request_goes_at_once_to_the_english_speaking_lawyer(store):
    engine, place = store
    result = submit(engine, place)
    assert result.created and result.outcome == "auto" and result.status == "matched"
    req = request_of(engine, result.code)
    assert req.talent_id == place["talents"]["alice"] and req.matched_at == NOW and not req.language_gap
    assert req.preferred_times == "tue morning"
    with reading(engine) as s:
        trail = s.execute(
            select(ServiceAction.action, ServiceAction.actor_label, ServiceAction.detail)
            .where(ServiceAction.request_id == req.id)
            .order_by(ServiceAction.id)
        ).all()
    assert [(a, who) for a, who, _ in trail] == [("request", "resident"), ("match", "system")]
    match = trail[1][2]
    assert match["auto"] is True and match["talent_id"] == place["talents"]["alice"] and match["lead"] >= 15
    assert [r["code"] for r in match["reasons"]] == ["specialty_main", "speaks_first", "free", "load"]
    assert match["runner_up"]["talent_id"] == place["talents"]["kim"]
    # the resident is told who (as residents address them), the lawyer what and when, the secretary to book it
    assert outbox(engine, result.code) == [
        ("notice.svc_assigned", "13900001111", "sms"),
        ("notice.svc_matched", "13812345678", "sms"),
    ]
    assert inbox_kinds(engine, place["users"]["secretary"]) == ["notice.svc_auto_matched"]
    with reading(engine) as s:
        body = s.scalar(select(OutboxMessage.body_en).where(OutboxMessage.subject_key == "notice.svc_matched"))
    assert "Alice W." in body and "Public affairs council" in body and "English" in body
    assert "Alice Wong" not in body


def test_a_close_call_waits_for_staff_who_are_told_why(store):
    engine, place = store
    result = submit(engine, place, margin=101)
    assert result.outcome == "close_call" and result.status == "requested"
    assert outbox(engine, result.code) == [("notice.svc_received", "13812345678", "sms")]
    assert inbox_kinds(engine, place["users"]["secretary"]) == ["notice.svc_to_confirm"]
    assert inbox_kinds(engine, place["users"]["admin"]) == []  # the secretary coordinates
    with reading(engine) as s:
        text = s.scalar(select(OutboxMessage.body_en))
    assert "https://cockpit.example/request/" + result.code in text


def test_a_request_nobody_can_serve_in_its_language_is_flagged_not_matched(store):
    engine, place = store
    result = submit(engine, place, language="ar", preferred=())
    req = request_of(engine, result.code)
    assert result.outcome == "language_gap" and req.status == "requested" and req.language_gap and req.talent_id is None
    assert inbox_kinds(engine, place["users"]["secretary"]) == ["notice.svc_language_gap"]
    # Korean legal help exists (Kim also does legal work): no gap, and Kim is the one
    korean = submit(engine, place, language="ko", preferred=(("sat", "afternoon"),))
    assert korean.outcome == "auto" and request_of(engine, korean.code).talent_id == place["talents"]["kim"]
    # a coordinator may still send someone who does not speak it, but only saying how
    with pytest.raises(ServiceError, match="language_note_required"):
        step(engine, place, "secretary", result.code, "match", talent_id=place["talents"]["wang"])
    step(engine, place, "secretary", result.code, "match", talent_id=place["talents"]["wang"],
         note="社区请阿拉伯语翻译陪同")  # fmt: skip
    req = request_of(engine, result.code)
    assert req.status == "matched" and req.language_gap  # still counted as a gap in the figures


def test_the_whole_life_of_a_request_and_who_hears_of_each_step(store):
    engine, place = store
    code = submit(engine, place, margin=101).code
    alice, wang = place["talents"]["alice"], place["talents"]["wang"]
    step(engine, place, "grid_worker", code, "match", talent_id=wang, note="居民同意由中文律师加翻译")
    step(engine, place, "secretary", code, "match", minutes=2, talent_id=alice)  # re-matched
    req = request_of(engine, code)
    assert req.talent_id == alice and req.matched_at == NOW + timedelta(minutes=1)  # time to match: the first
    step(engine, place, "secretary", code, "schedule", minutes=3, when=datetime(2026, 12, 1, 9, 30))
    step(engine, place, "secretary", code, "done", minutes=4)
    with writing(engine) as s:
        resident_step(s, code, "rate", NOW + timedelta(minutes=5), rating="5", comment="Clear advice")
    req = request_of(engine, code)
    assert (req.status, req.scheduled_for, req.rating, req.rating_comment) == (
        "rated", datetime(2026, 12, 1, 9, 30), 5, "Clear advice",
    )  # fmt: skip
    assert req.done_at == NOW + timedelta(minutes=4) and req.rated_at == NOW + timedelta(minutes=5)
    sent = outbox(engine, code)
    assert [k for k, _r, _c in sent] == [
        "notice.svc_received",
        "notice.svc_assigned", "notice.svc_matched",  # to 王律师
        "notice.svc_released", "notice.svc_assigned", "notice.svc_matched",  # 王律师 released, Alice assigned
        "notice.svc_scheduled", "notice.svc_scheduled_talent",
        "notice.svc_done", "notice.svc_done_talent",
        "notice.svc_rated_talent",
    ]  # fmt: skip
    assert sent[3][1] == "13900002222" and sent[4][1] == "13900001111"
    assert inbox_kinds(engine, place["users"]["secretary"]) == ["notice.svc_to_confirm", "notice.svc_rated"]
    with reading(engine) as s:
        actions = s.execute(
            select(ServiceAction.action, ServiceAction.from_status, ServiceAction.to_status)
            .join(ServiceRequest, ServiceRequest.id == ServiceAction.request_id)
            .where(ServiceRequest.tracking_code == code)
            .order_by(ServiceAction.id)
        ).all()
        figures = service_figures(s, [place["community_id"]], *period_months("3m", NOW), NOW)
    assert [tuple(a) for a in actions] == [
        ("request", None, "requested"), ("match", "requested", "matched"), ("match", "matched", "matched"),
        ("schedule", "matched", "scheduled"), ("done", "scheduled", "done"), ("rate", "done", "rated"),
    ]  # fmt: skip
    total = figures["total"]
    assert (total["requests"], total["finished"], total["rated"], total["avg_rating"]) == (1, 1, 1, 5.0)
    assert total["completion"] == 1.0 and total["median_hours"] == pytest.approx(1 / 60, abs=1e-3)
    assert figures["ratings"][5] == 1 and figures["by_specialty"] == [
        {"month": "2026-11", "specialty": "legal", "requests": 1}
    ]


def test_steps_are_checked_on_the_server(store):
    engine, place = store
    code = submit(engine, place, margin=101).code
    kim, li = place["talents"]["kim"], place["talents"]["li"]
    for role, action, kw, error in (
        ("viewer", "match", {"talent_id": kim}, "forbidden"),
        ("department", "cancel", {"note": "x"}, "forbidden"),
        ("secretary", "schedule", {"when": NOW}, "wrong_status"),
        ("secretary", "match", {"talent_id": li}, "bad_talent"),  # no legal specialty
        ("secretary", "match", {"talent_id": 999_999}, "bad_talent"),
        ("secretary", "match", {"talent_id": "1"}, "bad_talent"),
        ("secretary", "cancel", {}, "note_required"),
    ):
        with pytest.raises(ServiceError, match=error):
            step(engine, place, role, code, action, **kw)
    other = tiny_community(engine, code="c2")
    with pytest.raises(ServiceError, match="not_found"):  # another community's staff cannot reach it
        step(engine, other, "secretary", code, "cancel", note="x")
    step(engine, place, "secretary", code, "match", talent_id=kim)
    with pytest.raises(ServiceError, match="no_change"):
        step(engine, place, "secretary", code, "match", talent_id=kim)
    second = submit(engine, place, margin=101, preferred=(("sat", "afternoon"),)).code
    with pytest.raises(ServiceError, match="talent_full"):  # Kim takes one at a time
        step(engine, place, "secretary", second, "match", talent_id=kim)
    for when in (NOW - timedelta(days=1), NOW + timedelta(days=400), None):
        with pytest.raises(ServiceError, match="bad_time"):
            step(engine, place, "secretary", code, "schedule", when=when)
    assert request_of(engine, code).status == "matched"  # nothing half-written
    step(engine, place, "secretary", code, "schedule", when=NOW + timedelta(days=1))
    step(engine, place, "secretary", code, "match", minutes=2, talent_id=place["talents"]["alice"])  # Kim fell ill
    req = request_of(engine, code)
    assert (req.status, req.scheduled_for, req.talent_id) == ("matched", None, place["talents"]["alice"])
    assert outbox(engine, code)[-3][0] == "notice.svc_released"
    with writing(engine) as s, pytest.raises(ServiceError, match="wrong_status"):
        resident_step(s, code, "rate", NOW, rating=5)


def test_a_resident_cancels_and_the_person_and_staff_hear_of_it(store):
    engine, place = store
    code = submit(engine, place).code  # auto-matched to Alice
    with writing(engine) as s:
        resident_step(s, code, "cancel", NOW + timedelta(hours=1), note="Solved it myself")
    req = request_of(engine, code)
    assert req.status == "cancelled" and req.cancelled_at == NOW + timedelta(hours=1)
    assert outbox(engine, code)[-1] == ("notice.svc_cancelled_talent", "13900001111", "sms")
    assert inbox_kinds(engine, place["users"]["secretary"])[-1] == "notice.svc_resident_cancelled"
    with writing(engine) as s, pytest.raises(ServiceError, match="wrong_status"):
        resident_step(s, code, "cancel", NOW)
    with reading(engine) as s:
        view = public_request(s, code)
    assert view["talent"] is None and view["timeline"][-1] == {
        "at": NOW + timedelta(hours=1), "action": "cancel", "by_resident": True, "auto": False,
        "note": "Solved it myself",
    }  # fmt: skip


def test_bad_input_is_refused_with_nothing_stored(store):
    engine, place = store
    cases = {
        "specialty": ({"specialty": "astrology"}, "unknown_specialty"),
        "description": ({"description": "   "}, "description_required"),
        "language": ({"language": "klingon"}, "unknown_language"),
        "contact": ({"contact": "call me"}, "contact_format"),
        "community": ({"community_id": 999_999}, "unknown_community"),
    }
    for field, (change, code) in cases.items():
        with pytest.raises(RequestInputError) as caught:
            submit(engine, place, **change)
        assert (field, code) in caught.value.problems
    with pytest.raises(RequestInputError):
        submit(engine, place, description="x" * (rules.DESCRIPTION_MAX + 1), contact="")
    with reading(engine) as s:
        assert s.scalar(select(func.count(ServiceRequest.id))) == 0
        assert s.scalar(select(func.count(OutboxMessage.id))) == 0


def test_the_same_form_sent_twice_makes_one_request(store):
    engine, place = store
    first = submit(engine, place, submission_id="a" * 24)
    again = submit(engine, place, submission_id="a" * 24)
    assert first.created and not again.created and again.code == first.code and again.outcome == "existing"
    with reading(engine) as s:
        assert s.scalar(select(func.count(ServiceRequest.id))) == 1


def test_contacts_are_masked_and_every_reveal_is_audited(store):
    engine, place = store
    code = submit(engine, place).code
    req_id = request_of(engine, code).id
    with reading(engine) as s:
        detail = request_detail(s, [place["community_id"]], req_id)
        people = library_rows(s, [place["community_id"]])
        hidden = request_detail(s, [999_999], req_id)
    assert detail["contact_masked"] == "138****5678" and detail["talent"]["contact_masked"] == "139****1111"
    assert "13812345678" not in json.dumps(detail, default=str) and hidden is None
    assert {p["contact_masked"] for p in people} >= {"139****2222", "k***@example.org"}
    assert all("contact" not in p for p in people)
    with writing(engine) as s:
        assert reveal_contact(s, place["users"]["admin"], req_id, "resident", NOW) is None
        assert reveal_contact(s, place["users"]["viewer"], req_id, "talent", NOW) is None
        assert reveal_contact(s, place["users"]["grid_worker"], req_id, "resident", NOW) == "13812345678"
        assert reveal_contact(s, place["users"]["secretary"], req_id, "talent", NOW) == "13900001111"
        assert (
            reveal_talent_contact(s, place["users"]["grid_leader"], place["talents"]["kim"], NOW) == "kim@example.org"
        )
        assert reveal_talent_contact(s, place["users"]["department"], place["talents"]["kim"], NOW) is None
    with reading(engine) as s:
        audit = s.execute(select(AuditLog.username, AuditLog.entity, AuditLog.detail).order_by(AuditLog.id)).all()
    assert [tuple(a) for a in audit] == [
        ("c1_grid_worker", "service_request.contact", code),
        ("c1_secretary", "talent.contact", code),
        ("c1_grid_leader", "talent.contact", "Kim Minji"),
    ]
    with reading(engine) as s:
        view = public_request(s, code)
    text = json.dumps(view, default=str)
    assert "13812345678" not in text and "13900001111" not in text and "Alice Wong" not in text
    # the person as residents address them, and the reasons that concern the resident (not the person's load)
    assert view["talent"]["name"] == "Alice W."
    assert {r["code"] for r in view["reasons"]} == {"specialty_main", "speaks_first", "free"}


def test_keeping_the_library(store):
    engine, place = store
    secretary, worker = place["users"]["secretary"], place["users"]["grid_worker"]

    def values(**change) -> TalentInput:
        base = {"community_id": place["community_id"], "name": "Marie Curie", "team": "雷锋基金",
                "specialties": ("medical",), "languages": ("fr", "en"), "availability": {"wed": "14:00-17:00"},
                "load_limit": "2", "contact": "marie@example.org", "bio_zh": "", "bio_en": "Physicist"}  # fmt: skip
        base.update(change)
        return TalentInput(**base)

    with writing(engine) as s, pytest.raises(ServiceError, match="forbidden"):
        save_talent(s, worker, values(), NOW)
    with writing(engine) as s, pytest.raises(TalentInputError) as caught:
        save_talent(s, secretary, values(name="", languages=("xx",), availability={"wed": "2pm"}, load_limit="0",
                                         specialties=("astrology",), contact="nope"), NOW)  # fmt: skip
    assert {field for field, _code in caught.value.problems} == {
        "name", "languages", "avail-wed", "load_limit", "specialties", "contact",
    }  # fmt: skip
    with writing(engine) as s:
        marie = save_talent(s, secretary, values(), NOW)
    code = submit(engine, place, specialty="medical", language="fr", preferred=(("wed", "afternoon"),)).code
    assert request_of(engine, code).talent_id == marie
    with writing(engine) as s:  # editing keeps the contact when the field is left empty
        save_talent(s, secretary, values(contact="", availability={"wed": "14:00-17:00", "sat": "09:00-12:00"}), NOW,
                    marie)  # fmt: skip
        assert s.get(Talent, marie).contact == "marie@example.org"
        assert s.get(Talent, marie).availability == {"wed": ["14:00-17:00"], "sat": ["09:00-12:00"]}
    with writing(engine) as s, pytest.raises(ServiceError, match="has_open_requests"):
        set_active(s, secretary, marie, False, NOW)
    with writing(engine) as s:
        resident_step(s, code, "cancel", NOW)
        set_active(s, secretary, marie, False, NOW)
    gap = submit(engine, place, specialty="medical", language="fr")
    assert gap.outcome == "language_gap"  # retired people leave the matching
    with writing(engine) as s:
        add_specialty(s, secretary, "tutoring", "课业辅导", "Tutoring", NOW)
        with pytest.raises(TalentInputError):
            add_specialty(s, secretary, "tutoring", "课业辅导", "Tutoring", NOW)
        with pytest.raises(ServiceError, match="forbidden"):
            add_specialty(s, worker, "chess", "象棋", "Chess", NOW)
    with reading(engine) as s:
        assert s.scalar(select(Specialty.name_en).where(Specialty.code == "tutoring")) == "Tutoring"
        changes = s.execute(select(AuditLog.action, AuditLog.entity, AuditLog.detail).order_by(AuditLog.id)).all()
    assert [tuple(c) for c in changes] == [
        ("create", "talent", "Marie Curie"), ("update", "talent", "availability"), ("update", "talent", "retired"),
        ("create", "specialty", "课业辅导 / Tutoring"),
    ]  # fmt: skip


def test_the_queue_puts_waiting_requests_first_and_filters_as_the_figures_drill_down(store):
    engine, place = store
    auto = submit(engine, place).code
    waiting = submit(engine, place, margin=101, at=NOW + timedelta(minutes=5)).code
    gap = submit(engine, place, language="ar", at=NOW + timedelta(minutes=10)).code
    ids = [place["community_id"]]
    with reading(engine) as s:
        rows = request_rows(s, ids, RequestFilter())
        assert [r["tracking_code"] for r in rows] == [gap, waiting, auto]
        assert [r["tracking_code"] for r in request_rows(s, ids, RequestFilter(gap="1"))] == [gap]
        alice = str(place["talents"]["alice"])
        assert [r["tracking_code"] for r in request_rows(s, ids, RequestFilter(talent=alice, status="open"))] == [auto]
        assert request_rows(s, ids, RequestFilter(month="2026-10")) == []
        assert len(request_rows(s, ids, RequestFilter(month="2026-11", matched="1"))) == 1
        # values that are not ours are dropped, never passed to SQL
        odd = RequestFilter(status="open; drop", language="xx", month="2026-13", talent="-1", rating="9").validated()
        assert odd == RequestFilter()
        assert request_rows(s, [999_999], RequestFilter()) == []


# --- the demo ---------------------------------------------------------------------------------------


def test_the_demo_requests_follow_the_matching_rules(demo_engine):
    with reading(demo_engine) as s:
        talents = {t.id: t for t in s.scalars(select(Talent))}
        requests = {r.id: r for r in s.scalars(select(ServiceRequest))}
        actions = s.scalars(select(ServiceAction).order_by(ServiceAction.at, ServiceAction.id)).all()
        figures = service_figures(s, [next(iter(talents.values())).community_id], *period_months("12m", NOW), NOW)
        _replay(talents, requests, actions)
    assert figures["total"]["requests"] > 250 and figures["gaps"] and figures["total"]["avg_rating"] > 3


def _replay(talents: dict, requests: dict, actions: list) -> None:
    open_load: dict[int, int] = {}
    holder: dict[int, int] = {}
    for a in actions:  # replay the year: nobody is ever over their limit, and every match fits
        req = requests[a.request_id]
        if a.action == "match":
            person = talents[a.talent_id]
            assert req.specialty_code in person.specialties and req.language in person.languages
            assert not req.language_gap
            assert open_load.get(person.id, 0) < person.load_limit, req.tracking_code
            open_load[person.id] = open_load.get(person.id, 0) + 1
            holder[req.id] = person.id
            assert a.detail["reasons"] and a.detail["score"] >= 0
        elif a.action in ("done", "cancel") and req.id in holder:
            open_load[holder[req.id]] -= 1
    for req in requests.values():
        assert req.talent_id == holder.get(req.id)
        assert (req.status == "cancelled") == (req.cancelled_at is not None)
    firsts = {}
    for a in actions:
        firsts.setdefault(a.request_id, a.action)
    assert set(firsts.values()) == {"request"} and len(firsts) == len(requests)
    assert any(a.actor_label == "system" for a in actions if a.action == "match")  # some were clearly best


# --- the public pages -------------------------------------------------------------------------------


def _app(engine, tmp_path, **overrides):
    url = engine.url.render_as_string(hide_password=False)
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": url, "run_scheduler": False,
                      **overrides})  # fmt: skip
    app.server.config["TESTING"] = True
    return app


@pytest.fixture
def web(sqlite_engine, tmp_path):
    place = tiny_community(sqlite_engine)
    place["talents"] = library(sqlite_engine, place)
    app = _app(sqlite_engine, tmp_path, public_request_limit=4)
    return app, sqlite_engine, place


CONTACT = "+86 138 1234 5678"


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def form(client, lang: str = "en") -> str:
    client.set_cookie("cockpit_lang", lang)
    response = client.get("/request")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def good(html: str, **change) -> dict:
    data = {"csrf_token": hidden(html, "csrf_token"), "submission_id": hidden(html, "submission_id"),
            "specialty": "legal", "description": "My landlord keeps the deposit", "language": "en",
            "slot": ["tue morning"], "contact": CONTACT}  # fmt: skip
    data.update(change)
    return data


def count(engine) -> int:
    with reading(engine) as s:
        return s.scalar(select(func.count(ServiceRequest.id)))


def test_the_menu_is_complete_in_both_languages_and_needs_no_login(web):
    app, _, _ = web
    client = app.server.test_client()
    zh = form(client, "zh")
    assert '<html lang="zh-CN">' in zh and "申请服务" in zh and "法律咨询" in zh and "周二" in zh
    assert "Legal advice" not in zh and "Ask for a service" not in zh
    en = form(client, "en")
    assert '<html lang="en">' in en and "Ask for a service" in en and "Legal advice" in en and "Morning" in en
    assert not re.search(r"[\u4e00-\u9fff]", en.replace("中文", ""))  # Chinese only where it names itself
    for page in (zh, en):
        assert not re.search(r"(src|href)=\"(https?:)?//", page)  # everything from this machine
        assert 'value="tue morning"' in page and 'for="contact"' in page and 'for="description"' in page
    # only services somebody practises are offered; the medical one is, culture is not
    assert 'id="service-medical"' in en and 'id="service-culture_arts"' not in en
    assert client.get("/request/static/request.css").status_code == 200
    assert client.get("/requests").status_code == 302  # a lookalike path is not public


def test_a_good_request_lands_on_its_status_page_without_personal_data(web):
    app, engine, _ = web
    client = app.server.test_client()
    html = form(client)
    response = client.post("/request", data=good(html))
    assert response.status_code == 303
    code = re.fullmatch(r"/request/(SR[A-Z2-9]{8})\?new=1", response.headers["Location"]).group(1)
    again = client.post("/request", data=good(html))  # the same form sent again
    assert again.headers["Location"] == response.headers["Location"] and count(engine) == 1
    page = client.get(f"/request/{code}").get_data(as_text=True)
    assert 'data-status="matched"' in page and "Alice W." in page and "Public affairs council" in page
    assert "English is their first language" in page and "free Tue morning" in page
    assert "138" not in page and "Alice Wong" not in page and "13900001111" not in page
    assert "slots used" not in page  # the person's load is not shown to residents
    client.set_cookie("cockpit_lang", "zh")
    page = client.get(f"/request/{code}").get_data(as_text=True)
    assert "公共议事会" in page and "首选语言为英语" in page and "周二上午有空" in page
    assert client.get(f"/request/track?code={code.lower()}").headers["Location"].endswith(f"/request/{code}")
    assert client.get("/request/SR00000000").status_code == 404
    assert client.get("/request/SRAAAAAAAA").status_code == 404
    assert client.get("/request/anything/else").status_code == 404


def test_bad_input_gets_clear_errors_in_the_residents_language(web):
    app, engine, _ = web
    client = app.server.test_client()
    bad = {"specialty": "", "description": " ", "language": "xx", "contact": "call me", "slot": ["someday"]}
    en = client.post("/request", data=good(form(client, "en"), **bad))
    text = en.get_data(as_text=True)
    assert en.status_code == 400
    for message in ("Please choose a service.", "Please say what you need.", "Please choose a language from the list.",
                    "The contact should be a phone number"):  # fmt: skip
        assert message in text
    zh = client.post("/request", data=good(form(client, "zh"), **bad))
    assert "请选择一项服务。" in zh.get_data(as_text=True) and zh.status_code == 400
    assert client.post("/request", data=good(form(client), csrf_token="forged")).status_code == 400
    assert client.post("/request", data=good(form(client), submission_id="short")).status_code == 400
    assert count(engine) == 0


def test_the_public_form_is_rate_limited(web):
    app, engine, _ = web
    client = app.server.test_client()
    statuses = [client.post("/request", data=good(form(client))).status_code for _ in range(5)]
    assert statuses == [303, 303, 303, 303, 429] and count(engine) == 4


def test_the_resident_rates_a_done_service_and_cannot_step_out_of_turn(web):
    app, engine, place = web
    client = app.server.test_client()
    code = re.search(r"SR[A-Z2-9]{8}", client.post("/request", data=good(form(client))).headers["Location"]).group(0)
    page = client.get(f"/request/{code}").get_data(as_text=True)
    token = hidden(page, "csrf_token")
    assert "request-rate-form" not in page and "request-cancel-form" in page
    early = client.post(f"/request/{code}/rate", data={"csrf_token": token, "rating": "5"})
    assert early.status_code == 409 and "has moved on" in early.get_data(as_text=True)
    now = local_now()
    req = request_of(engine, code)
    with writing(engine) as s:
        staff_step(s, place["users"]["secretary"], req.id, "schedule", now, when=now + timedelta(days=1))
        staff_step(s, place["users"]["secretary"], req.id, "done", now)
    page = client.get(f"/request/{code}").get_data(as_text=True)
    assert "request-rate-form" in page and "request-cancel-form" not in page
    assert client.post(f"/request/{code}/rate", data={"csrf_token": "x", "rating": "5"}).status_code == 400
    bad = client.post(f"/request/{code}/rate", data={"csrf_token": token, "rating": "9"})
    assert bad.status_code == 400 and "1 to 5" in bad.get_data(as_text=True)
    done = client.post(f"/request/{code}/rate", data={"csrf_token": token, "rating": "4", "comment": "<b>ok</b>"})
    assert done.status_code == 303 and done.headers["Location"].endswith("done=rate")
    page = client.get(f"/request/{code}?done=rate").get_data(as_text=True)
    assert "Thank you for your rating!" in page and "4 out of 5" in page
    assert "&lt;b&gt;ok&lt;/b&gt;" in page and "<b>ok</b>" not in page  # user text is text
    assert request_of(engine, code).rating == 4


# --- the staff pages through Dash's endpoint --------------------------------------------------------


def _step_payload(request_id: int, action: str, talent: int = 0, note=None, day=None, clock=None) -> dict:  # noqa: ANN001
    trigger = {"action": action, "talent": talent, "type": "svcr-act"}
    return {
        "output": "..svcr-body.children...svcr-feedback.children..",
        "outputs": [{"id": "svcr-body", "property": "children"}, {"id": "svcr-feedback", "property": "children"}],
        "inputs": [[{"id": trigger, "property": "n_clicks", "value": 1}]],
        "changedPropIds": [json.dumps(trigger, separators=(",", ":"), sort_keys=True) + ".n_clicks"],
        "state": [
            {"id": "svcr-id", "property": "data", "value": request_id},
            {"id": "svcr-note", "property": "value", "value": note},
            {"id": "svcr-date", "property": "date", "value": day},
            {"id": "svcr-time", "property": "value", "value": clock},
        ],
    }


def _route_query(client, path: str, search: str) -> str:
    """Dash's page router for a path with a query string (the drill-down links)."""
    payload = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }  # fmt: skip
    response = _post(client, payload)
    assert response.status_code == 200
    return decoded(response)


def _outputs(key: str) -> list[dict]:
    """The `outputs` a browser sends for a multi-output callback key ("..a.b@h...c.d..")."""
    return [dict(zip(("id", "property"), part.split(".", 1), strict=True)) for part in key.strip(".").split("...")]


def _post(client, payload: dict):
    headers = {"X-CSRFToken": _csrf_cookie(client)} if client.get_cookie("_csrf_token") else {}
    return client.post("/_dash-update-component", json=payload, headers=headers)


def staff_client(app, role: str):
    client = app.server.test_client()
    login(client, f"c1_{role}", "pw-" + role)
    client.get("/")
    return client


def test_the_services_pages_show_real_figures_to_staff_and_nothing_to_anyone_else(web):
    app, engine, place = web
    client = app.server.test_client()
    code = re.search(r"SR[A-Z2-9]{8}", client.post("/request", data=good(form(client))).headers["Location"]).group(0)
    secretary = staff_client(app, "secretary")
    overview = _route(secretary, "/services")
    assert "svc-specialty-chart" in overview and "svc-kpi-requests" in overview and "人才库" in overview
    detail = _route(secretary, f"/services/request/{code}")
    assert code in detail and "svcr-trail" in detail
    assert mask_contact(CONTACT) in detail and CONTACT not in detail
    assert "Alice Wong" in detail
    library_page = _route(secretary, "/services/library")
    assert "lib-form" in library_page and "Kim Minji" in library_page and "139****2222" in library_page
    assert "13900002222" not in library_page
    worker = staff_client(app, "grid_worker")
    assert "lib-form" not in _route(worker, "/services/library")  # the library is kept by the secretary
    assert "not-found-note" in _route(secretary, "/services/request/SRZZZZZZZZ")
    anonymous = app.server.test_client()
    anonymous.get("/login")
    for path in ("/services", "/services/requests", "/services/library", f"/services/request/{code}"):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert _post(anonymous, _step_payload(request_of(engine, code).id, "done")).status_code == 401


def test_a_coordinator_runs_a_request_through_the_page_and_a_viewer_cannot(web):
    app, engine, place = web
    client = app.server.test_client()
    code = re.search(
        r"SR[A-Z2-9]{8}", client.post("/request", data=good(form(client), slot=[])).headers["Location"]
    ).group(0)
    req_id = request_of(engine, code).id
    viewer = staff_client(app, "viewer")
    refused = _post(viewer, _step_payload(req_id, "cancel", note="no"))
    assert (
        refused.status_code == 200
        and "svcr-result" in decoded(refused)
        and request_of(engine, code).status != "cancelled"
    )
    secretary = staff_client(app, "secretary")
    status = request_of(engine, code).status
    if status == "requested":  # any time: Alice and Kim may both fit; the page confirms the best
        response = _post(secretary, _step_payload(req_id, "match", talent=place["talents"]["alice"]))
        assert response.status_code == 200 and "svcr-result" in decoded(response)
    tomorrow = (local_now() + timedelta(days=1)).date().isoformat()
    response = _post(secretary, _step_payload(req_id, "schedule", day=tomorrow, clock="09:30"))
    body = decoded(response)
    assert response.status_code == 200 and ("已约定时间" in body or "Booked" in body)
    assert request_of(engine, code).scheduled_for.strftime("%H:%M") == "09:30"
    bad = decoded(_post(secretary, _step_payload(req_id, "schedule", day="not a date", clock="25:00")))
    assert "请选择提交之后" in bad or "Please choose a date" in bad
    _post(secretary, _step_payload(req_id, "done"))
    assert request_of(engine, code).status == "done"
    reveal = {
        "output": "svcr-contact-resident.children",
        "outputs": {"id": "svcr-contact-resident", "property": "children"},
        "inputs": [{"id": "svcr-reveal-resident", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["svcr-reveal-resident.n_clicks"],
        "state": [{"id": "svcr-id", "property": "data", "value": req_id}],
    }
    assert _post(viewer, reveal).status_code == 403
    shown = _post(secretary, reveal)
    assert shown.status_code == 200 and CONTACT in decoded(shown)
    with reading(engine) as s:
        assert s.scalar(select(func.count(AuditLog.id)).where(AuditLog.entity == "service_request.contact")) == 1


def test_the_queue_and_the_drill_down_through_the_callbacks(web):
    app, _, place = web
    client = app.server.test_client()
    client.post("/request", data=good(form(client)))
    secretary = staff_client(app, "secretary")
    payload = {
        "output": "..svcq-grid.rowData...svcq-count.children..",
        "outputs": [{"id": "svcq-grid", "property": "rowData"}, {"id": "svcq-count", "property": "children"}],
        "inputs": [
            {"id": "svcq-status", "property": "value", "value": "open"},
            {"id": "svcq-specialty", "property": "value", "value": "legal"},
            {"id": "svcq-language", "property": "value", "value": "en"},
            {"id": "svcq-gap", "property": "value", "value": False},
            {"id": "svcq-drill", "property": "data", "value": {"month": local_now().strftime("%Y-%m")}},
        ],
        "changedPropIds": ["svcq-status.value"],
        "state": [],
    }
    rows = _post(secretary, payload)
    assert rows.status_code == 200 and "Alice Wong" in decoded(rows) and "/services/request/SR" in decoded(rows)
    payload["inputs"][2]["value"] = "ko"
    assert "Alice Wong" not in decoded(_post(secretary, payload))
    anonymous = app.server.test_client()
    assert _post(anonymous, payload).status_code == 401
    month = local_now().strftime("%Y-%m")
    drill = {
        "output": "svc-nav.href",
        "outputs": {"id": "svc-nav", "property": "href"},
        "inputs": [{"id": g, "property": "clickData", "value": None} for g in
                   ("svc-specialty-chart", "svc-match-chart", "svc-completion-chart", "svc-rating-chart",
                    "svc-load-chart", "svc-gap-chart")],
        "changedPropIds": ["svc-specialty-chart.clickData"],
        "state": [{"id": "svc-view", "property": "data", "value": {"period": "3m"}}],
    }  # fmt: skip
    drill["inputs"][0]["value"] = {"points": [{"customdata": ["specialty", "legal", month]}]}
    href = _post(secretary, drill).get_json()["response"]["svc-nav"]["href"]
    assert href == f"/services/requests?month={month}&specialty=legal"
    drill["inputs"][0]["value"] = {"points": [{"customdata": ["specialty", "legal", "1999-01"]}]}  # out of the period
    refused = _post(secretary, drill)
    assert refused.status_code in (200, 204) and "/services/requests" not in refused.get_data(as_text=True)
    drill["inputs"][0]["value"] = None
    drill["inputs"][4]["value"] = {"points": [{"customdata": ["talent", place["talents"]["alice"], None]}]}
    drill["changedPropIds"] = ["svc-load-chart.clickData"]
    href = _post(secretary, drill).get_json()["response"]["svc-nav"]["href"]
    assert href == f"/services/requests?talent={place['talents']['alice']}&status=open"
    path, _, search = href.partition("?")
    queue = _route_query(secretary, path, "?" + search)
    assert "svcq-drill-note" in queue and "Alice Wong" in queue


def test_the_library_callbacks_write_for_the_secretary_only(web):
    app, engine, place = web
    fields = ("name", "team", "specialties", "languages", *(f"avail-{d}" for d in rules.WEEKDAYS), "load_limit",
              "contact", "bio_zh", "bio_en", "community")  # fmt: skip
    values = {"name": "Olga Petrova", "team": "国际疫情志愿团队", "specialties": ["international"], "languages": ["ru", "en"],
              "avail-sat": "09:00-12:00", "load_limit": 2, "contact": "13700000000",
              "community": place["community_id"]}  # fmt: skip
    payload = {
        "output": "..lib-feedback.children@{}...lib-refresh.data...lib-id.data@{}..",
        "outputs": [{"id": "lib-feedback", "property": "children"}, {"id": "lib-refresh", "property": "data"},
                    {"id": "lib-id", "property": "data"}],
        "inputs": [{"id": "lib-save", "property": "n_clicks", "value": 1},
                   {"id": "lib-retire", "property": "n_clicks", "value": 0}],
        "changedPropIds": ["lib-save.n_clicks"],
        "state": [{"id": "lib-id", "property": "data", "value": None},
                  {"id": "lib-refresh", "property": "data", "value": 0}]
        + [{"id": f"lib-{f}", "property": "value", "value": values.get(f, "")} for f in fields],
    }  # fmt: skip
    secretary = staff_client(app, "secretary")
    key = next(k for k in app.callback_map if k.startswith("..lib-feedback.children@"))
    payload["output"], payload["outputs"] = key, _outputs(key)
    saved = _post(secretary, payload)
    assert saved.status_code == 200 and "lib-done" in decoded(saved)
    worker = staff_client(app, "grid_worker")
    assert _post(worker, payload).status_code == 403
    with reading(engine) as s:
        olga = s.execute(select(Talent.availability, Talent.languages).where(Talent.name == "Olga Petrova")).all()
    assert [tuple(o) for o in olga] == [({"sat": ["09:00-12:00"]}, ["ru", "en"])]
    payload["state"][2]["value"] = "Olga"  # the name field only, with a bad window
    payload["state"][2 + fields.index("avail-mon")]["value"] = "all day"
    refused = _post(secretary, payload)
    assert "lib-errors" in decoded(refused) and "09:00-12:00" in decoded(refused)


# --- strings built at run time ------------------------------------------------------------------------


def test_every_key_built_at_run_time_exists_in_both_languages():
    from domain.service_notices import OUTCOME_NOTICE, SERVICE_NOTICES, service_notice
    from i18n import MESSAGES

    families = {
        "svcreq.status": (*rules.STATUSES, "open", "finished"),
        "svcreq.stage": rules.STAGES,
        "svcreq.day": rules.WEEKDAYS,
        "svcreq.part": rules.PART_ORDER,
        "svcreq.part_hours": rules.PART_ORDER,
        "svcreq.rate": ("1", "2", "3", "4", "5"),
        "svcreq.step": ("request", "match", "match_auto", "schedule", "done", "rate", "cancel", "cancel_resident"),
        "svcreq.error": ("csrf", "rate_limited", "specialty_required", "unknown_specialty", "description_required",
                         "description_too_long", "unknown_language", "contact_required", "contact_format",
                         "unknown_community", "bad_submission"),
        "svcreq.step_error": ("wrong_status", "bad_rating", "comment_too_long", "note_too_long", "forbidden"),
        "match.reason": ("specialty_main", "specialty_also", "speaks", "speaks_first", "no_language", "free",
                         "no_common_time", "any_time", "load", "full"),
        "svcq.step": ("request", "match", "schedule", "done", "rate", "cancel"),
        "svcq.outcome": ("close_call", "no_common_time", "no_candidate", "language_gap", "off"),
        "svcq.done": ("match", "schedule", "done", "cancel"),
        "svcq.error": ("forbidden", "not_found", "wrong_status", "note_required", "note_too_long", "unknown_action",
                       "bad_talent", "talent_full", "no_change", "language_note_required", "bad_time"),
        "svcfig.period": ("3m", "12m"),
        "svcfig.group": ("finished", "cancelled", "open"),
        "lib.error": ("name_required", "name_too_long", "team_required", "team_too_long", "specialty_required",
                      "unknown_specialty", "language_required", "unknown_language", "bad_window", "bad_load_limit",
                      "contact_required", "contact_format", "bio_too_long", "unknown_community", "code_format",
                      "code_taken", "spec_name_required", "spec_name_too_long", "forbidden", "not_found",
                      "no_change", "has_open_requests"),
    }  # fmt: skip
    sep = {"svcfig.period": "_", "svcfig.group": "_"}
    missing = [f"{fam}{sep.get(fam, '.')}{v}" for fam, values in families.items() for v in values
               if f"{fam}{sep.get(fam, '.')}{v}" not in MESSAGES]  # fmt: skip
    assert missing == []
    # every outcome of a decision has a notice, and every notice fills in both languages
    assert set(families["svcq.outcome"]) <= set(OUTCOME_NOTICE)
    params = {"code": "SRABCDEFGH", "specialty_zh": "法律咨询", "specialty_en": "Legal advice", "language_zh": "英语",
              "language_en": "English", "times_zh": "周二上午", "times_en": "Tue morning", "name": "王老师",
              "team_zh": "公共议事会", "team_en": "Public affairs council", "when": "2026-12-01 09:00",
              "link": "/request/SRABCDEFGH", "rating": 5, "lead": 20, "note": "原因"}  # fmt: skip
    for key in SERVICE_NOTICES:
        zh, en = service_notice(key, **params)
        assert re.search(r"[\u4e00-\u9fff]", zh) and "{" not in zh + en and len(zh) <= 300 and len(en) <= 300, key
        assert len(key) <= 32  # the inbox's kind column
