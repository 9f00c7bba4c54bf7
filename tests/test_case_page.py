"""The case page, the staff report form and the inbox through Dash's endpoint, as the browser calls
them: a role that may act changes the case; a role that may not gets an error and nothing changes;
an anonymous caller gets nothing at all."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from data_access.clock import local_now
from data_access.db import reading
from data_access.models import Event, EventAction, Notification
from tests.factories import add_case, tiny_community
from tests.test_web import _csrf_cookie, decoded, fire, login

STATES = ("case-note.value", "case-photos.contents", "case-photos.filename", "case-regrade-category.value",
          "case-regrade-grade.value", "case-dup-code.value", "case-l4-target.value")  # fmt: skip


@pytest.fixture
def site(sqlite_engine, tmp_path):
    place = tiny_community(sqlite_engine)
    case_id = add_case(sqlite_engine, place, "cp1", local_now() - timedelta(minutes=30), description="2幢门口垃圾")
    with sqlite_engine.begin() as conn:  # give the case its L1 holder, as intake does
        conn.execute(Event.__table__.update().values(holder_id=place["users"]["grid_worker"]))
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": str(sqlite_engine.url)})
    app.server.config["TESTING"] = True
    return app, place, case_id


def press(client, case_id: int, action: str, note: str | None = None, **states):
    button = {"action": action, "type": "case-act"}
    values = {"case-note.value": note, "case-l4-target.value": 0, **states}
    payload = {
        "output": "..case-body.children...case-feedback.children..",
        "outputs": [{"id": "case-body", "property": "children"}, {"id": "case-feedback", "property": "children"}],
        "inputs": [[{"id": button, "property": "n_clicks", "value": 1}]],
        "changedPropIds": [json.dumps(button, separators=(",", ":"), sort_keys=True) + ".n_clicks"],
        "state": [{"id": "case-id", "property": "data", "value": case_id}]
        + [{"id": s.split(".")[0], "property": s.split(".")[1], "value": values.get(s)} for s in STATES],
    }
    headers = {"X-CSRFToken": _csrf_cookie(client)} if client.get_cookie("_csrf_token") else {}
    return client.post("/_dash-update-component", json=payload, headers=headers)


def _status(engine, case_id):
    with reading(engine) as s:
        event = s.get(Event, case_id)
        return event.status, event.level


def test_the_grid_worker_sees_and_takes_their_steps(site, sqlite_engine):
    app, place, case_id = site
    client = app.server.test_client()
    login(client, "c1_grid_worker", "pw-grid_worker")
    page = client.get(f"/governance/case/{case_id}")
    assert page.status_code == 200
    response = press(client, case_id, "accept")
    assert response.status_code == 200
    text = decoded(response)
    assert "已受理" in text and "处置完成" in text  # feedback, and the next step offered
    assert _status(sqlite_engine, case_id) == ("in_progress", 1)
    response = press(client, case_id, "push_up", "")
    assert "请填写说明" in decoded(response)
    assert _status(sqlite_engine, case_id) == ("in_progress", 1)
    press(client, case_id, "push_up", "需要物业配合")
    assert _status(sqlite_engine, case_id) == ("in_progress", 2)
    with reading(sqlite_engine) as s:
        notes = s.scalars(select(Notification.message_zh).where(Notification.user_id == place["users"]["grid_leader"]))
        assert any("需要物业配合" in n for n in notes)


def test_a_viewer_is_refused_and_nothing_changes(site, sqlite_engine):
    app, _, case_id = site
    client = app.server.test_client()
    login(client, "c1_viewer", "pw-viewer")
    client.get(f"/governance/case/{case_id}")
    response = press(client, case_id, "resolve", "我来处理")
    assert "无权" in decoded(response) or "不能" in decoded(response)
    assert _status(sqlite_engine, case_id) == ("reported", 1)
    with reading(sqlite_engine) as s:
        assert s.scalar(select(func.count(EventAction.id))) == 1


def test_anonymous_callers_get_nothing(site, sqlite_engine):
    app, _, case_id = site
    client = app.server.test_client()
    response = press(client, case_id, "accept")
    assert response.status_code == 401
    assert _status(sqlite_engine, case_id) == ("reported", 1)


def test_english_feedback_for_an_english_user(site, sqlite_engine):
    app, _, case_id = site
    client = app.server.test_client()
    client.get("/lang/en")
    login(client, "c1_grid_worker", "pw-grid_worker")
    response = press(client, case_id, "resolve", "cleared the rubbish")
    assert "Marked resolved" in decoded(response)
    assert _status(sqlite_engine, case_id) == ("resolved", 1)


def test_staff_report_form_opens_a_graded_case_once(site, sqlite_engine):
    app, place, _ = site
    client = app.server.test_client()
    login(client, "c1_grid_leader", "pw-grid_leader")
    assert client.get("/governance/new").status_code == 200
    states = {
        "newcase-submission.data": "abc123",
        "newcase-text.value": "1幢电梯困人，有老人被关在里面",
        "newcase-category.value": None,
        "newcase-estate.value": place["estate_id"],
        "newcase-building.value": place["building_id"],
        "newcase-contact.value": None,
        "newcase-photos.contents": None,
        "newcase-photos.filename": None,
    }
    payload = {
        "output": "newcase-result.children",
        "outputs": {"id": "newcase-result", "property": "children"},
        "inputs": [{"id": "newcase-submit", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["newcase-submit.n_clicks"],
        "state": [{"id": k.split(".")[0], "property": k.split(".")[1], "value": v} for k, v in states.items()],
    }
    headers = {"X-CSRFToken": _csrf_cookie(client)}
    first = client.post("/_dash-update-component", json=payload, headers=headers)
    again = client.post("/_dash-update-component", json=payload, headers=headers)  # a double click
    assert "已登记事件" in decoded(first) and "已登记事件" in decoded(again)
    with reading(sqlite_engine) as s:
        events = s.scalars(select(Event).where(Event.source == "staff", Event.source_ref == "form:abc123")).all()
        assert len(events) == 1
        assert events[0].grade == "urgent"  # someone trapped: graded from the text
        assert events[0].holder_id == place["users"]["grid_worker"]
    viewer = app.server.test_client()
    login(viewer, "c1_viewer", "pw-viewer")
    from tests.test_web import _route

    assert "您的角色无权查看此页面" in _route(viewer, "/governance/new")
    refused = viewer.post("/_dash-update-component", json={**payload, "state": payload["state"]},
                          headers={"X-CSRFToken": _csrf_cookie(viewer)})  # fmt: skip
    assert refused.status_code != 200


def test_inbox_counts_and_marks_only_the_callers_notices(site, sqlite_engine):
    app, place, case_id = site
    client = app.server.test_client()
    login(client, "c1_grid_worker", "pw-grid_worker")
    press(client, case_id, "push_up", "请网格长协调")
    leader = app.server.test_client()
    login(leader, "c1_grid_leader", "pw-grid_leader")
    layout = leader.get("/_dash-layout").get_data(as_text=True)
    assert '"nav-unread"' in layout
    response = fire(leader, "inbox-body.children", "inbox-mark-all.n_clicks", 1,
                    {"X-CSRFToken": _csrf_cookie(leader)})  # fmt: skip
    assert response.status_code == 200 and "请网格长协调" in decoded(response)
    with reading(sqlite_engine) as s:
        unread = s.scalar(
            select(func.count(Notification.id)).where(
                Notification.user_id == place["users"]["grid_leader"], Notification.read_at.is_(None)
            )
        )
        assert unread == 0


def test_resolving_with_photos_shows_them_on_the_trail(site, sqlite_engine):
    import base64
    import io

    from PIL import Image

    from data_access.models import EventPhoto

    app, _, case_id = site
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 60)).save(buffer, "PNG")
    data_url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    client = app.server.test_client()
    login(client, "c1_grid_worker", "pw-grid_worker")
    bad = press(client, case_id, "resolve", "已清理", **{"case-photos.contents": ["data:image/png;base64,aGVsbG8="],
                                                        "case-photos.filename": ["x.png"]})  # fmt: skip
    assert "x.png" in decoded(bad) and _status(sqlite_engine, case_id) == ("reported", 1)
    response = press(client, case_id, "resolve", "已清理", **{"case-photos.contents": [data_url],
                                                             "case-photos.filename": ["after.png"]})  # fmt: skip
    with reading(sqlite_engine) as s:
        photo = s.execute(select(EventPhoto.sha256, EventPhoto.stage, EventPhoto.action_id)).one()
    assert photo.stage == "resolve" and photo.action_id is not None
    assert f"/photos/{photo.sha256}" in decoded(response)
    assert client.get(f"/photos/{photo.sha256}").status_code == 200
    assert app.server.test_client().get(f"/photos/{photo.sha256}").status_code != 200  # not for anonymous callers


def test_reporter_contact_is_masked_and_every_reveal_is_audited(site, sqlite_engine):
    from data_access.models import AuditLog
    from tests.test_web import _route

    app, _, case_id = site
    with sqlite_engine.begin() as conn:
        conn.execute(Event.__table__.update().values(reporter_contact="13812345678"))
    worker = app.server.test_client()
    login(worker, "c1_grid_worker", "pw-grid_worker")
    page = _route(worker, f"/governance/case/{case_id}")
    assert "138****5678" in page and "13812345678" not in page

    def reveal(client):
        payload = {
            "output": "case-contact.children",
            "outputs": {"id": "case-contact", "property": "children"},
            "inputs": [{"id": "case-contact-reveal", "property": "n_clicks", "value": 1}],
            "changedPropIds": ["case-contact-reveal.n_clicks"],
            "state": [{"id": "case-id", "property": "data", "value": case_id}],
        }
        return client.post("/_dash-update-component", json=payload, headers={"X-CSRFToken": _csrf_cookie(client)})

    revealed = reveal(worker)
    assert revealed.status_code == 200 and "13812345678" in decoded(revealed)
    viewer = app.server.test_client()
    login(viewer, "c1_viewer", "pw-viewer")
    assert "13812345678" not in _route(viewer, f"/governance/case/{case_id}")
    refused = reveal(viewer)
    assert "13812345678" not in refused.get_data(as_text=True)
    with reading(sqlite_engine) as s:
        audits = s.execute(select(AuditLog.username, AuditLog.entity, AuditLog.entity_id)).all()
    assert [tuple(a) for a in audits] == [("c1_grid_worker", "event.reporter_contact", str(case_id))]
