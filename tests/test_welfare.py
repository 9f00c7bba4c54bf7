"""Door events and welfare watch: pseudonymous ingestion (images and face templates refused), the welfare
rule with a frozen clock (threshold, away periods, no consent never alerts), the visit task and what it
shows, audited views, and the deletion of door events after the retention period."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, inspect, select

from data_access.db import reading, writing
from data_access.models import AccessEvent, AuditLog, Household, Notification, Resident, WelfareAlert, WelfareWatch
from data_access.tokens import issue_token
from data_access.welfare import WelfareError, add_away, end_watch, enrol, record_visit, visit_tasks, watch_list
from domain.iot import check_access_events, find_biometric
from domain.welfare import Watch, welfare_verdict
from jobs import retention, welfare
from tests.factories import NOW, tiny_community

PID = "p-0a1b2c3d4e5f"


def add_resident(engine, place: dict, external_id: str = "RS-1", name: str = "王秀英", room: str = "601") -> int:
    with writing(engine) as s:
        household = Household(external_id=f"HH-{external_id}", building_id=place["building_id"], unit=2, room=room,
                              size=1, tenure="owner")  # fmt: skip
        s.add(household)
        s.flush()
        resident = Resident(external_id=external_id, household_id=household.id, name=name, phone="13812345678",
                            birth_year=1940, gender="F", nationality="CN", languages="zh",
                            care_tags="elderly_alone")  # fmt: skip
        s.add(resident)
        s.flush()
        return resident.id


def door(engine, place: dict, at: datetime, pid: str = PID, direction: str = "in", n: list = [0]) -> None:  # noqa: B006
    n[0] += 1
    with writing(engine) as s:
        s.add(AccessEvent(community_id=place["community_id"], source="door-system", source_id=f"t-{n[0]}",
                          person_pid=pid, gate="e1-north", direction=direction, at=at))  # fmt: skip


@pytest.fixture
def watched(engine):
    place = tiny_community(engine)
    add_resident(engine, place)
    with writing(engine) as s:
        watch_id = enrol(s, place["users"]["secretary"], "RS-1", PID, "本人", NOW - timedelta(days=30), "本人书面同意",
                         24, NOW - timedelta(days=30))  # fmt: skip
    door(engine, place, NOW - timedelta(hours=2), direction="in")
    return engine, place, watch_id


def tasks(engine) -> list[WelfareAlert]:
    with reading(engine) as s:
        rows = list(s.scalars(select(WelfareAlert).order_by(WelfareAlert.id)))
        s.expunge_all()
        return rows


# --- the rule, pure -----------------------------------------------------------------------------------


def test_the_welfare_rule():
    consent = NOW - timedelta(days=10)
    watch = Watch(24, consent, "本人", "书面同意", True)
    last = NOW - timedelta(hours=24)
    assert welfare_verdict(watch, last, [], NOW).state == "ok"  # exactly the threshold is not past it
    due = welfare_verdict(watch, last, [], NOW + timedelta(minutes=1))
    assert due.state == "due" and due.quiet_since == last
    assert (
        welfare_verdict(Watch(48, consent, "本人", "书面同意", True), last, [], NOW + timedelta(hours=1)).state == "ok"
    )
    # an away period covering now suppresses; its hours never count as silence once it has ended
    away = [(NOW - timedelta(hours=30), NOW + timedelta(hours=5))]
    assert welfare_verdict(watch, last - timedelta(days=3), away, NOW).state == "away"
    back = [(NOW - timedelta(days=5), NOW - timedelta(hours=3))]
    assert welfare_verdict(watch, NOW - timedelta(days=6), back, NOW).state == "ok"
    assert welfare_verdict(watch, NOW - timedelta(days=6), back, NOW + timedelta(hours=22)).state == "due"
    # no consent, consent not yet given, or a watch that has ended: never due, whatever the door says
    for w in (Watch(24, None, "本人", "书面同意", True), Watch(24, consent, "", "书面同意", True),
              Watch(24, consent, "本人", "  ", True)):  # fmt: skip
        assert welfare_verdict(w, None, [], NOW + timedelta(days=30)).state == "no_consent"
    assert (
        welfare_verdict(Watch(24, NOW + timedelta(days=1), "本人", "书面同意", True), None, [], NOW).state
        == "no_consent"
    )
    assert welfare_verdict(Watch(24, consent, "本人", "书面同意", False), None, [], NOW).state == "ended"
    # watching starts at consent: no task for the silence before it
    fresh = Watch(24, NOW - timedelta(hours=3), "本人", "书面同意", True)
    assert welfare_verdict(fresh, NOW - timedelta(days=9), [], NOW).state == "ok"


# --- the job ---------------------------------------------------------------------------------------------


def test_quiet_past_the_threshold_raises_one_visit_task_for_the_grid_worker(watched):
    engine, place, watch_id = watched
    last = NOW - timedelta(hours=2)
    assert welfare.run(engine, last + timedelta(hours=23))["raised"] == 0
    summary = welfare.run(engine, last + timedelta(hours=24, minutes=10))
    assert summary["raised"] == 1 and summary["watched"] == 1
    [task] = tasks(engine)
    assert (task.watch_id, task.status, task.assigned_to, task.last_activity_at) == (
        watch_id,
        "open",
        place["users"]["grid_worker"],
        last,
    )
    with reading(engine) as s:
        [notice] = s.scalars(select(Notification).where(Notification.user_id == place["users"]["grid_worker"]))
        # the notice names the door to knock on, never the person or the door history
        assert "601" in notice.message_zh and "王" not in notice.message_zh and "e1-north" not in notice.message_zh
        assert notice.event_id is None and notice.kind == "welfare.visit"
    assert welfare.run(engine, last + timedelta(hours=25))["raised"] == 0  # still one task
    assert len(tasks(engine)) == 1

    # nobody records a visit within 4 hours: the grid leader is told, once
    assert welfare.run(engine, last + timedelta(hours=28, minutes=11))["escalated"] == 1
    assert welfare.run(engine, last + timedelta(hours=29))["escalated"] == 0
    with reading(engine) as s:
        leader = s.scalar(select(func.count()).where(Notification.user_id == place["users"]["grid_leader"]))
        assert leader == 1

    # the grid worker records the visit with a note
    with pytest.raises(WelfareError, match="note_required"), writing(engine) as s:
        record_visit(s, place["users"]["grid_worker"], task.id, " ", last + timedelta(hours=29))
    with writing(engine) as s:
        record_visit(
            s, place["users"]["grid_worker"], task.id, "老人身体不适在家休息，已联系家属", last + timedelta(hours=29)
        )
    [task] = tasks(engine)
    assert (task.status, task.resolved_by) == ("visited", place["users"]["grid_worker"])
    # the visit counts as a sighting: no new task until the threshold passes again after it
    assert welfare.run(engine, last + timedelta(hours=30))["raised"] == 0
    assert welfare.run(engine, last + timedelta(hours=29 + 24, minutes=5))["raised"] == 1


def test_door_activity_again_closes_the_task_and_away_periods_suppress_it(watched):
    engine, place, watch_id = watched
    welfare.run(engine, NOW + timedelta(hours=23))
    assert tasks(engine)[0].status == "open"
    door(engine, place, NOW + timedelta(hours=24), direction="out")
    assert welfare.run(engine, NOW + timedelta(hours=24, minutes=5))["closed"] == 1
    assert tasks(engine)[0].status == "closed" and tasks(engine)[0].note == "auto: door activity resumed"

    with writing(engine) as s:
        add_away(s, place["users"]["grid_worker"], watch_id, NOW + timedelta(hours=25), NOW + timedelta(days=3),
                 NOW + timedelta(hours=24, minutes=10))  # fmt: skip
    assert welfare.run(engine, NOW + timedelta(days=2))["raised"] == 0
    # back from away: silence counts from the end of the away period
    assert welfare.run(engine, NOW + timedelta(days=3, hours=23))["raised"] == 0
    assert welfare.run(engine, NOW + timedelta(days=4, minutes=1))["raised"] == 1


def test_without_a_watch_or_consent_nothing_is_ever_raised(watched):
    engine, place, watch_id = watched
    add_resident(engine, place, "RS-2", "李建国", "702")  # lives alone, never seen at the door, not watched
    door(engine, place, NOW - timedelta(days=20), pid="p-unwatched-1")
    with writing(engine) as s:
        end_watch(s, place["users"]["secretary"], watch_id, "本人撤回同意", NOW)
    summary = welfare.run(engine, NOW + timedelta(days=10))
    assert summary["raised"] == 0 and summary["watched"] == 0 and tasks(engine) == []
    # a watch row without recorded consent (written behind the app's back) never alerts either
    with writing(engine) as s:
        resident = s.scalar(select(Resident.id).where(Resident.external_id == "RS-2"))
        s.add(WelfareWatch(resident_id=resident, person_pid="p-unwatched-1", threshold_hours=24,
                           consent_at=NOW - timedelta(days=40), consent_given_by="", consent_basis="",
                           consent_recorded_by=place["users"]["secretary"], active=True))  # fmt: skip
    summary = welfare.run(engine, NOW + timedelta(days=11))
    assert summary["raised"] == 0 and summary["no_consent"] == 1


def test_an_open_task_closes_when_the_watch_ends(watched):
    engine, place, watch_id = watched
    welfare.run(engine, NOW + timedelta(hours=23))
    with writing(engine) as s:
        end_watch(s, place["users"]["grid_leader"], watch_id, "家属接走同住", NOW + timedelta(hours=23, minutes=5))
    assert welfare.run(engine, NOW + timedelta(hours=23, minutes=10))["closed"] == 1
    assert tasks(engine)[0].note == "auto: watch ended"


def test_enrolment_needs_consent_and_the_right_role(watched):
    engine, place, _watch_id = watched
    add_resident(engine, place, "RS-3", "赵桂兰", "803")
    users = place["users"]
    cases = [
        (users["grid_worker"], "RS-3", "p-33333333", "本人", "书面同意", 24, "forbidden"),
        (users["viewer"], "RS-3", "p-33333333", "本人", "书面同意", 24, "forbidden"),
        (users["secretary"], "RS-3", "p-33333333", "", "书面同意", 24, "consent_required"),
        (users["secretary"], "RS-3", "p-33333333", "本人", "", 24, "consent_required"),
        (users["secretary"], "RS-3", PID, "本人", "书面同意", 24, "pid_taken"),
        (users["secretary"], "RS-3", "p-33333333", "本人", "书面同意", 1, "bad_threshold"),
        (users["secretary"], "RS-9", "p-33333333", "本人", "书面同意", 24, "unknown_resident"),
        (users["secretary"], "RS-1", "p-44444444", "本人", "书面同意", 24, "already_watched"),
    ]
    for user, resident, pid, given, basis, hours, code in cases:
        with pytest.raises(WelfareError) as caught, writing(engine) as s:
            enrol(s, user, resident, pid, given, NOW - timedelta(hours=1), basis, hours, NOW)
        assert caught.value.code == code, (resident, code)
    with writing(engine) as s:
        enrol(s, users["grid_leader"], "RS-3", "p-33333333", "女儿 张敏（监护人）", NOW - timedelta(hours=1), "监护人书面同意",
              36, NOW)  # fmt: skip
    with reading(engine) as s:
        watch = s.scalar(select(WelfareWatch).where(WelfareWatch.person_pid == "p-33333333"))
        assert (watch.consent_given_by, watch.consent_recorded_by, watch.threshold_hours) == (
            "女儿 张敏（监护人）",
            users["grid_leader"],
            36,
        )


def test_every_view_of_a_watch_or_task_is_audited_and_shows_no_door_history(watched):
    engine, place, watch_id = watched
    welfare.run(engine, NOW + timedelta(hours=23))
    worker = place["users"]["grid_worker"]
    with writing(engine) as s:
        shown = visit_tasks(s, worker, NOW + timedelta(hours=23))
        watches = watch_list(s, worker, NOW + timedelta(hours=23))
    [task] = shown
    assert task["name"] == "王**" and "601" in task["place_zh"] and task["quiet_hours"] == 25
    assert not any("gate" in key or "pid" in key for key in task)  # nothing of the door history
    assert watches[0]["consent_given_by"] == "本人" and watches[0]["consent_basis"] == "本人书面同意"
    with reading(engine) as s:
        entries = s.execute(select(AuditLog.username, AuditLog.action, AuditLog.entity, AuditLog.entity_id)).all()
    assert ("c1_grid_worker", "read", "welfare_alert", str(task["id"])) in entries
    assert ("c1_grid_worker", "read", "welfare_watch", str(watch_id)) in entries
    assert ("c1_secretary", "create", "welfare_watch", str(watch_id)) in entries
    # staff outside the welfare roles, or of another grid, see nothing
    with pytest.raises(WelfareError, match="forbidden"), writing(engine) as s:
        visit_tasks(s, place["users"]["viewer"], NOW)
    other = tiny_community(engine, code="c2")
    with writing(engine) as s:
        assert visit_tasks(s, other["users"]["grid_worker"], NOW + timedelta(hours=23)) == []


# --- door events: ingestion and retention --------------------------------------------------------------


def test_payloads_with_images_or_face_templates_are_refused_whole():
    assert find_biometric({"events": [{"event_id": "1", "faceImage": "x"}]}) == ["events[0].faceImage"]
    assert find_biometric({"events": [{"event_id": "1", "extra": {"template": [1, 2]}}]}) == [
        "events[0].extra.template"
    ]
    assert find_biometric({"events": [{"note": "data:image/jpeg;base64,/9j/4AAQ"}]}) == ["events[0].note"]
    assert find_biometric({"events": [{"x": "QUJD" * 100}]}) == ["events[0].x"]
    assert find_biometric({"events": [{"v": [0.01 * i for i in range(128)]}]}) == ["events[0].v"]
    assert find_biometric({"source": "door-system", "events": [{"event_id": "e1", "person_id": PID, "gate": "g",
                                                                "direction": "in", "at": "2026-11-25T10:00"}]}) == []  # fmt: skip
    clean, errors = check_access_events(
        [{"event_id": "e1", "person_id": "330106194001011234", "gate": "g", "direction": "in", "at": "2026-11-25T10:00"},
         {"event_id": "e2", "person_id": "13812345678", "gate": "g", "direction": "sideways", "at": "soon"},
         {"event_id": "e3", "person_id": PID, "gate": "g", "direction": "in", "at": "2026-11-25T10:00", "name": "王"}],
        NOW, "Asia/Shanghai",
    )  # fmt: skip
    assert clean == [] and {(e.row, e.field, e.code) for e in errors} == {
        (0, "person_id", "not_pseudonymous"),
        (1, "person_id", "not_pseudonymous"),
        (1, "direction", "bad_direction"),
        (1, "at", "bad_time"),
        (2, "name", "unknown_field"),
    }


def test_access_events_api_stores_only_pseudonymous_fields(engine, tmp_path):
    from app import create_app

    place = tiny_community(engine, with_users=False)
    with writing(engine) as s:
        token = issue_token(s, "machine", "door system", NOW, place["community_id"])
    app = create_app(
        {"instance_dir": str(tmp_path / "i"), "database_url": engine.url.render_as_string(hide_password=False)}
    )
    client = app.server.test_client()
    auth = {"Authorization": f"Bearer {token}"}
    at = (datetime.now() - timedelta(hours=1)).replace(microsecond=0).isoformat()
    event = {"event_id": "ds-1", "person_id": PID, "gate": "e1-north", "direction": "in", "at": at}
    with_face = {"source": "door-system", "events": [event, {**event, "event_id": "ds-2", "face_template": "AAAA"}]}
    refused = client.post("/api/v1/access-events", json=with_face, headers=auth)
    assert refused.status_code == 422
    body = refused.get_json()["error"]
    assert body["code"] == "biometric_data_refused" and body["details"] == [
        {"path": "events[1].face_template", "code": "biometric_data"}
    ]
    assert "AAAA" not in refused.get_data(as_text=True)
    with reading(engine) as s:
        assert s.scalar(select(func.count(AccessEvent.id))) == 0  # not even the clean first row
    photo = {"events": [event], "snapshot": "/9j/" + "A" * 400}
    assert client.post("/api/v1/access-events", json=photo, headers=auth).status_code == 422
    assert client.post("/api/v1/access-events", json={"events": [event]}).status_code == 401

    batch = {"source": "door-system", "events": [event, {**event, "event_id": "ds-2", "direction": "out"}]}
    assert client.post("/api/v1/access-events", json=batch, headers=auth).get_json() == {
        "received": 2, "stored": 2, "already_stored": 0}  # fmt: skip
    assert client.post("/api/v1/access-events", json=batch, headers=auth).get_json()["already_stored"] == 2
    with reading(engine) as s:
        rows = s.execute(select(AccessEvent)).scalars().all()
        assert {(r.source, r.source_id, r.person_pid, r.gate, r.direction) for r in rows} == {
            ("door-system", "ds-1", PID, "e1-north", "in"),
            ("door-system", "ds-2", PID, "e1-north", "out"),
        }
    # the table itself has no place for anything else
    columns = {c.key for c in inspect(AccessEvent).columns}
    assert columns == {"id", "community_id", "source", "source_id", "person_pid", "gate", "direction", "at"}


def test_retention_deletes_old_door_events_and_logs_it(engine):
    place = tiny_community(engine, with_users=False)
    for days in (45, 31, 29, 1):
        door(engine, place, NOW - timedelta(days=days, minutes=1), pid=f"p-ret-{days:04d}")
    summary = retention.run(engine, NOW, retention_days=30)
    assert summary["rows"] == 2 and summary["cutoff"] == (NOW - timedelta(days=30)).isoformat()
    with reading(engine) as s:
        kept = sorted(s.scalars(select(AccessEvent.person_pid)))
        log = s.execute(select(AuditLog.username, AuditLog.action, AuditLog.entity, AuditLog.detail)).all()
    assert kept == ["p-ret-0001", "p-ret-0029"]
    assert len(log) == 1 and log[0][:3] == ("system", "delete", "access_event") and "2 door events" in log[0][3]
    assert retention.run(engine, NOW, retention_days=30)["rows"] == 0  # safe to re-run


def test_access_statistics_are_counts_per_gate_and_hour(engine):
    from data_access.access import access_totals, daily_counts, gate_hour_counts

    place = tiny_community(engine, with_users=False)
    for minutes, gate, direction in ((0, "north", "in"), (10, "north", "out"), (70, "south", "in")):
        door(engine, place, NOW.replace(hour=7) + timedelta(minutes=minutes), pid="p-stats-01", direction=direction)
        with writing(engine) as s:
            s.execute(
                AccessEvent.__table__.update().where(
                    AccessEvent.at == NOW.replace(hour=7) + timedelta(minutes=minutes)
                ),
                {"gate": gate},
            )
    with reading(engine) as s:
        cells = gate_hour_counts(s, [place["community_id"]], NOW - timedelta(days=1), NOW)
        days = daily_counts(s, [place["community_id"]], NOW - timedelta(days=1), NOW)
        totals = access_totals(s, [place["community_id"]], NOW - timedelta(days=1), NOW)
    assert cells == [{"gate": "north", "hour": 7, "direction": "in", "count": 1},
                     {"gate": "north", "hour": 7, "direction": "out", "count": 1},
                     {"gate": "south", "hour": 8, "direction": "in", "count": 1}]  # fmt: skip
    assert {(d["day"], d["direction"], d["count"]) for d in days} == {("2026-11-25", "in", 2), ("2026-11-25", "out", 1)}
    assert (totals["events"], totals["gates"]) == (3, 2)
