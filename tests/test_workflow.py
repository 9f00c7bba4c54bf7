"""The closed loop on a real store: who may take which step, what each step writes (case, trail,
notices, in one transaction), and the escalation job against a frozen clock across working hours
and a weekend."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from data_access.case_intake import NewCase, open_case
from data_access.db import reading, writing
from data_access.models import Event, EventAction, GradeOverride, Notification, OutboxMessage, TimeLimit
from data_access.notify import inbox, mark_read, unread_count
from data_access.users import create_user
from data_access.workflow import act, actor_for, reporter_actor
from domain.workflow import Actor, CaseState, WorkflowError, allowed_actions, may
from i18n import t
from jobs import escalation
from tests.factories import tiny_community

MONDAY_10 = datetime(2026, 11, 23, 10, 0)  # a Monday
FRIDAY_16 = datetime(2026, 11, 27, 16, 0)


def _open(engine, place, ref="r1", grade="routine", category="garbage", at=MONDAY_10, contact=None) -> int:
    with writing(engine) as s:
        case_id, _ = open_case(
            s,
            NewCase(
                community_id=place["community_id"], source="staff", source_ref=ref, category=category, grade=grade,
                description="楼下垃圾堆了三天没人清", actor_label="staff", estate_id=place["estate_id"],
                building_id=place["building_id"], grid_id=place["grid_id"], contact=contact,
            ),
            at,
        )  # fmt: skip
    return case_id


def _step(engine, case_id, username_role, place, action, at, note=None, **kw):
    with writing(engine) as s:
        actor = actor_for(s, place["users"][username_role])
        return act(s, case_id, actor, action, at, note, **kw)


def _event(engine, case_id) -> Event:
    with reading(engine) as s:
        event = s.get(Event, case_id)
        s.expunge(event)  # a detached copy the test can read after the transaction
        return event


def _trail(engine, case_id) -> list[tuple[str, str | None, int | None]]:
    with reading(engine) as s:
        rows = s.execute(
            select(EventAction.action, EventAction.to_status, EventAction.to_level)
            .where(EventAction.event_id == case_id)
            .order_by(EventAction.id)
        )
        return [tuple(r) for r in rows]


@pytest.fixture
def place(engine):
    return tiny_community(engine)


def test_a_case_climbs_the_chain_and_closes_with_its_whole_trail(engine, place):
    case_id = _open(engine, place)
    event = _event(engine, case_id)
    assert (event.status, event.level, event.holder_id) == ("reported", 1, place["users"]["grid_worker"])
    # routine: 2 working days of 9 h from Monday 10:00 -> Wednesday 10:00
    assert event.due_at == datetime(2026, 11, 25, 10, 0)

    _step(engine, case_id, "grid_worker", place, "accept", MONDAY_10 + timedelta(minutes=5))
    _step(engine, case_id, "grid_worker", place, "push_up", MONDAY_10 + timedelta(hours=1), "需要物业配合清运")
    event = _event(engine, case_id)
    assert (event.status, event.level, event.holder_id) == ("in_progress", 2, place["users"]["grid_leader"])
    _step(engine, case_id, "grid_leader", place, "resolve", MONDAY_10 + timedelta(hours=3), "已联系物业清运完毕")
    _step(engine, case_id, "secretary", place, "verify", MONDAY_10 + timedelta(hours=4), "现场核查通过")
    event = _event(engine, case_id)
    assert event.status == "closed" and event.closed_at == MONDAY_10 + timedelta(hours=4)
    assert _trail(engine, case_id) == [
        ("report", "reported", 1),
        ("accept", "in_progress", 1),
        ("push_up", "in_progress", 2),
        ("resolve", "resolved", 2),
        ("verify", "closed", 2),
    ]


def test_rework_goes_back_to_whoever_resolved_and_counts(engine, place):
    case_id = _open(engine, place, contact="13800001111")
    _step(engine, case_id, "grid_worker", place, "resolve", MONDAY_10 + timedelta(hours=1), "已清理")
    with reading(engine) as s:  # the reporter left a number: they are told, by SMS through the outbox
        sms = s.scalars(select(OutboxMessage.recipient).where(OutboxMessage.ref == f"case:{case_id}")).all()
    assert sms == ["13800001111"]
    _step(engine, case_id, "grid_leader", place, "reopen", MONDAY_10 + timedelta(hours=2), "仍有垃圾")
    event = _event(engine, case_id)
    assert (event.status, event.reopen_count, event.resolved_at) == ("in_progress", 1, None)
    assert event.holder_id == place["users"]["grid_worker"]
    # the reporter, holding the tracking code, may sign it off too
    _step(engine, case_id, "grid_worker", place, "resolve", MONDAY_10 + timedelta(hours=3), "彻底清理")
    with writing(engine) as s:
        act(s, case_id, reporter_actor(), "verify", MONDAY_10 + timedelta(hours=4))
    assert _event(engine, case_id).status == "closed"


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    [
        ("grid_worker", "accept", True),
        ("grid_worker", "resolve", True),
        ("grid_worker", "reject", True),
        ("grid_worker", "push_up", True),
        ("grid_leader", "accept", False),  # not their level
        ("secretary", "resolve", False),
        ("viewer", "accept", False),
        ("admin", "resolve", False),
        ("department", "accept", False),
        ("admin", "regrade", True),
        ("viewer", "regrade", False),
    ],
)
def test_who_may_act_on_a_new_l1_case(engine, place, role, action, allowed):
    case_id = _open(engine, place)
    note = "原因" if action in ("push_up", "reject", "resolve", "regrade") else None
    kwargs = {"new_grade": "priority"} if action == "regrade" else {}
    if allowed:
        _step(engine, case_id, role, place, action, MONDAY_10 + timedelta(minutes=1), note, **kwargs)
        assert len(_trail(engine, case_id)) == 2
    else:
        with pytest.raises(WorkflowError) as err:
            _step(engine, case_id, role, place, action, MONDAY_10 + timedelta(minutes=1), note, **kwargs)
        assert err.value.code == "forbidden"
        assert _trail(engine, case_id) == [("report", "reported", 1)]  # nothing written


def test_refusals_write_nothing(engine, place):
    case_id = _open(engine, place)
    with pytest.raises(WorkflowError) as err:  # a reason is required to push up
        _step(engine, case_id, "grid_worker", place, "push_up", MONDAY_10, "  ")
    assert err.value.code == "note_required"
    with pytest.raises(WorkflowError) as err:  # only a resolved case can be verified
        _step(engine, case_id, "grid_leader", place, "verify", MONDAY_10)
    assert err.value.code == "wrong_status"
    _step(engine, case_id, "grid_worker", place, "resolve", MONDAY_10 + timedelta(minutes=30), "清理完毕")
    with pytest.raises(WorkflowError) as err:  # nobody signs off their own work
        _step(engine, case_id, "grid_worker", place, "verify", MONDAY_10 + timedelta(minutes=40))
    assert err.value.code == "forbidden"
    assert _event(engine, case_id).status == "resolved"
    assert len(_trail(engine, case_id)) == 2


def test_another_grid_or_community_cannot_touch_the_case(engine, place):
    case_id = _open(engine, place)
    other = tiny_community(engine, code="c2")
    with writing(engine) as s:
        outsider = actor_for(s, other["users"]["grid_worker"])
        with pytest.raises(WorkflowError) as err:
            act(s, case_id, outsider, "accept", MONDAY_10)
    assert err.value.code == "not_found"
    with writing(engine) as s:  # a worker of another grid in the same community
        from data_access.models import Grid

        grid2 = Grid(community_id=place["community_id"], code="G2", name_zh="第二网格", name_en="Grid 2")
        s.add(grid2)
        s.flush()
        user = create_user(s, "gw_other", "pw", "grid_worker", MONDAY_10, display_name="x",
                           community_id=place["community_id"], grid_id=grid2.id)  # fmt: skip
        user_id = user.id
    with writing(engine) as s, pytest.raises(WorkflowError):
        act(s, case_id, actor_for(s, user_id), "accept", MONDAY_10)


def test_regrade_is_kept_as_training_data_and_moves_the_due_time(engine, place):
    case_id = _open(engine, place, category="garbage", grade="routine")
    _step(engine, case_id, "grid_leader", place, "regrade", MONDAY_10 + timedelta(minutes=10), "其实是漏水",
          new_category="water_leak", new_grade="priority")  # fmt: skip
    event = _event(engine, case_id)
    assert event.grade == "priority"
    assert event.due_at == MONDAY_10 + timedelta(hours=4)  # priority: 4 working hours from arrival at L1
    with reading(engine) as s:
        override = s.execute(
            select(GradeOverride.old_category, GradeOverride.new_category, GradeOverride.old_grade,
                   GradeOverride.new_grade)
        ).one()  # fmt: skip
    assert tuple(override) == ("garbage", "water_leak", "routine", "priority")
    with pytest.raises(WorkflowError) as err:
        _step(engine, case_id, "grid_leader", place, "regrade", MONDAY_10, "没变化", new_grade="priority")
    assert err.value.code == "no_change"


def test_link_duplicate_needs_a_real_other_case(engine, place):
    first = _open(engine, place, ref="a")
    second = _open(engine, place, ref="b")
    with pytest.raises(WorkflowError) as err:
        _step(engine, second, "grid_worker", place, "link_duplicate", MONDAY_10, duplicate_of_code="DXNOPE")
    assert err.value.code == "bad_duplicate"
    code = _event(engine, first).tracking_code
    _step(engine, second, "grid_worker", place, "link_duplicate", MONDAY_10, duplicate_of_code=code.lower())
    event = _event(engine, second)
    assert (event.status, event.duplicate_of_id) == ("duplicate", first)
    # a report linked to the duplicate joins the case itself
    third = _open(engine, place, ref="c")
    _step(engine, third, "grid_worker", place, "link_duplicate", MONDAY_10, duplicate_of_code=event.tracking_code)
    assert _event(engine, third).duplicate_of_id == first
    # a closed case takes no duplicates: the new report stays a case of its own
    with writing(engine) as s:
        s.get(Event, first).status = "closed"
    fourth = _open(engine, place, ref="d")
    with pytest.raises(WorkflowError) as err:
        _step(engine, fourth, "grid_worker", place, "link_duplicate", MONDAY_10, duplicate_of_code=code)
    assert err.value.code == "duplicate_not_open"
    assert t("wf.error.duplicate_not_open", "en").startswith("That case is closed")
    assert _event(engine, fourth).status == "reported"


def test_every_change_of_holder_lands_in_the_new_holders_inbox(engine, place):
    case_id = _open(engine, place)
    worker, leader = place["users"]["grid_worker"], place["users"]["grid_leader"]
    with reading(engine) as s:
        assert unread_count(s, worker) == 1
        assert unread_count(s, leader) == 0
    _step(engine, case_id, "grid_worker", place, "push_up", MONDAY_10 + timedelta(minutes=3), "需网格长协调")
    with reading(engine) as s:
        notes = inbox(s, leader)
    assert len(notes) == 1 and notes[0]["event_id"] == case_id and "需网格长协调" in notes[0]["message_zh"]
    with writing(engine) as s:
        assert mark_read(s, worker, MONDAY_10, [notes[0]["id"]]) == 0  # not theirs: nothing changes
        assert mark_read(s, leader, MONDAY_10) == 1
    with reading(engine) as s:
        assert unread_count(s, leader) == 0


def test_escalation_counts_working_time_across_a_weekend(engine, place):
    """A routine case reported on Friday 16:00 has 2 working days at L1: Friday 16:00-17:30 (1.5 h),
    Monday 9 h, Tuesday 7.5 h -> due Tuesday 16:00. Not a minute earlier does it move up."""
    case_id = _open(engine, place, at=FRIDAY_16)
    due = _event(engine, case_id).due_at
    assert due == datetime(2026, 12, 1, 16, 0)
    for moment in (datetime(2026, 11, 28, 12, 0), datetime(2026, 11, 30, 17, 0), due - timedelta(minutes=1)):
        assert escalation.run(engine, moment)["escalated"] == 0
    summary = escalation.run(engine, due + timedelta(minutes=1))
    assert summary["escalated"] == 1
    event = _event(engine, case_id)
    assert (event.level, event.escalation_count, event.holder_id) == (2, 1, place["users"]["grid_leader"])
    # the new level's limit starts at the escalation: 2 working days from Tuesday 16:01 -> Thursday 16:01
    assert event.due_at == datetime(2026, 12, 3, 16, 1)
    # re-running at the same moment changes nothing (one level at a time)
    assert escalation.run(engine, due + timedelta(minutes=1))["escalated"] == 0
    with reading(engine) as s:
        assert unread_count(s, place["users"]["grid_leader"]) == 1


def test_urgent_runs_on_the_clock_and_climbs_to_l4_then_stays(engine, place):
    saturday_night = datetime(2026, 11, 28, 23, 50)
    case_id = _open(engine, place, grade="urgent", category="elevator_fault", at=saturday_night)
    assert _event(engine, case_id).due_at == saturday_night + timedelta(minutes=30)
    moment = saturday_night
    for expected_level in (2, 3, 4):
        moment += timedelta(minutes=31)
        escalation.run(engine, moment)
        assert _event(engine, case_id).level == expected_level
    moment += timedelta(minutes=31)
    assert escalation.run(engine, moment)["escalated"] == 0
    event = _event(engine, case_id)
    assert event.level == 4 and event.due_at < moment  # overdue at the top: stays, shown as overdue
    # L4 of a non-order category is the street cadre
    assert event.holder_id == place["users"]["street_cadre"]
    assert [a for a, _, _ in _trail(engine, case_id)].count("escalate") == 3


def test_time_limits_are_data(engine, place):
    with writing(engine) as s:
        row = s.scalar(select(TimeLimit).where(TimeLimit.grade == "urgent", TimeLimit.level == 1))
        row.minutes = 10
    case_id = _open(engine, place, grade="urgent", category="water_leak")
    assert _event(engine, case_id).due_at == MONDAY_10 + timedelta(minutes=10)


def test_a_resolved_case_tells_its_supervisor(engine, place):
    case_id = _open(engine, place)
    _step(engine, case_id, "grid_worker", place, "resolve", MONDAY_10 + timedelta(minutes=20), "已处理")
    with reading(engine) as s:
        kinds = s.scalars(select(Notification.kind).where(Notification.user_id == place["users"]["grid_leader"])).all()
        assert kinds == ["case.resolve"]
        assert s.scalar(select(func.count(Notification.id))) == 2  # the holder's "new case" and this one


def test_pure_rules_match_the_store_checks():
    case = CaseState(id=1, status="resolved", level=3, grade="priority", community_id=7, grid_id=2, holder_id=5,
                     resolver_id=5)  # fmt: skip
    secretary = Actor(user_id=5, role="secretary", grid_id=None, community_ids=(7,))
    other_secretary = Actor(user_id=6, role="secretary", grid_id=None, community_ids=(7,))
    leader = Actor(user_id=8, role="grid_leader", grid_id=2, community_ids=(7,))
    assert not may(case, secretary, "verify")  # resolved it themself
    assert allowed_actions(case, other_secretary) == ["verify", "reopen"]
    assert allowed_actions(case, leader) == []  # a grid leader does not sign off L3 work
