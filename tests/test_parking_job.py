"""The `parking` job on the demo community publishes the community's figures: 126 by day, 182 by night,
and the machine API serves the same; ingest is idempotent and all-or-nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app import create_app
from data_access.db import reading, writing
from data_access.models import ParkingLot, ParkingSample, ShareableCapacity
from data_access.parking import current_shareable
from data_access.tokens import issue_token
from jobs import parking
from tests.conftest import DEMO_AS_OF

RUN_AT = DEMO_AS_OF + timedelta(hours=10)  # 01:30 the next night, when the scheduler runs it


def test_demo_publishes_126_day_and_182_night_spaces(demo_engine):
    summary = parking.run(demo_engine, RUN_AT)
    assert (summary["day_shareable"], summary["night_shareable"]) == (126, 182)
    assert summary["published"] == 5 and summary["withheld"] == ""
    with reading(demo_engine) as s:
        rows = current_shareable(s)
    by_lot = {r["lot"]: r for r in rows}
    assert {k: v["shareable"] for k, v in by_lot.items()} == {
        "P-junjing": 42, "P-yitian": 40, "P-fengshang": 44, "P-eastcom": 102, "P-zhicheng": 80,
    }  # fmt: skip
    eastcom = by_lot["P-eastcom"]
    assert eastcom["window"] == "night" and eastcom["window_start"] == "18:00"  # residents park there after 18:00
    # each result keeps its parameters and the span of data it used
    assert eastcom["parameters"]["quantile"] == 0.9 and eastcom["parameters"]["history_weeks"] == 8
    assert eastcom["data_from"] >= RUN_AT - timedelta(weeks=8, days=1) and eastcom["data_to"] <= RUN_AT
    assert eastcom["samples_used"] == 40 * 56  # 40 weekday nights x 56 quarter hours


def test_rerun_replaces_and_a_later_run_adds_history(demo_engine):
    def results() -> int:
        with reading(demo_engine) as s:
            return s.scalar(select(func.count(ShareableCapacity.id)))

    first = parking.run(demo_engine, RUN_AT)
    count = results()
    second = parking.run(demo_engine, RUN_AT)
    assert {k: first[k] for k in ("day_shareable", "night_shareable")} == {
        k: second[k] for k in ("day_shareable", "night_shareable")
    }
    assert results() == count  # the same run again replaces its results
    parking.run(demo_engine, RUN_AT + timedelta(days=1))
    assert results() == count + 5  # the next night adds one result per lot


def test_a_lot_with_broken_history_publishes_nothing_and_says_why(demo_engine):
    with writing(demo_engine) as s:
        lot = s.scalar(select(ParkingLot).where(ParkingLot.code == "P-zhicheng"))
        # the counter was installed a week ago: older samples are gone
        s.execute(
            ParkingSample.__table__.delete().where(
                ParkingSample.lot_id == lot.id, ParkingSample.sampled_at < RUN_AT - timedelta(days=7)
            )
        )
    # the module's store already holds a run for the next night (above): a re-run for RUN_AT would not be
    # the current result any more (the latest computation is), so this run is for that next night
    summary = parking.run(demo_engine, RUN_AT + timedelta(days=1))
    assert "P-zhicheng:too_little_history" in summary["withheld"] and summary["night_shareable"] == 102
    with reading(demo_engine) as s:
        row = next(r for r in current_shareable(s) if r["lot"] == "P-zhicheng")
    assert row["status"] == "withheld" and row["shareable"] is None and row["reason"] == "too_little_history"
    assert row["parameters"]["report"]["windows_with_data"] < 10


@pytest.fixture
def api(sqlite_engine, tmp_path):
    from tests.factories import tiny_community

    place = tiny_community(sqlite_engine, with_users=False)
    with writing(sqlite_engine) as s:
        s.add(ParkingLot(estate_id=place["estate_id"], code="P-t", name_zh="测试车场", name_en="Test lot", capacity=50,
                         share_window="day", window_start="08:00", window_end="18:00", lat=30.2, lon=120.2))  # fmt: skip
        machine = issue_token(s, "machine", "gateway", datetime(2026, 11, 1))
        wall = issue_token(s, "wall", "screen", datetime(2026, 11, 1))
    app = create_app({"instance_dir": str(tmp_path / "i"), "database_url": str(sqlite_engine.url)})
    return app.server.test_client(), {"Authorization": f"Bearer {machine}"}, {"Authorization": f"Bearer {wall}"}


def _count(engine) -> int:
    with reading(engine) as s:
        return s.scalar(select(func.count(ParkingSample.id)))


def test_occupancy_ingest_is_idempotent(api, sqlite_engine):
    client, machine, _wall = api
    batch = {"samples": [
        {"lot": "P-t", "sampled_at": "2026-11-24T08:00:00+08:00", "occupied": 30},
        {"lot": "P-t", "sampled_at": "2026-11-24T00:15:00Z", "occupied": 31},  # 08:15 in Shanghai
        {"lot": "P-t", "sampled_at": "2026-11-24T08:30:00", "occupied": 55},  # over capacity: kept, flagged
    ]}  # fmt: skip
    first = client.post("/api/v1/parking/occupancy", json=batch, headers=machine)
    assert first.status_code == 200
    assert first.get_json() == {"received": 3, "stored": 3, "already_stored": 0, "over_capacity": 1}
    again = client.post("/api/v1/parking/occupancy", json=batch, headers=machine)
    assert again.get_json()["stored"] == 0 and again.get_json()["already_stored"] == 3
    assert _count(sqlite_engine) == 3
    with reading(sqlite_engine) as s:
        times = sorted(s.scalars(select(ParkingSample.sampled_at)))
    assert times == [datetime(2026, 11, 24, 8, 0), datetime(2026, 11, 24, 8, 15), datetime(2026, 11, 24, 8, 30)]


def test_a_bad_row_rejects_the_whole_batch_with_row_errors(api, sqlite_engine):
    client, machine, _wall = api
    batch = {"samples": [
        {"lot": "P-t", "sampled_at": "2026-11-24T09:00:00", "occupied": 30},
        {"lot": "P-nope", "sampled_at": "yesterday", "occupied": -4},
        {"lot": "P-t", "sampled_at": "2026-11-24T09:00:00", "occupied": 31},
    ]}  # fmt: skip
    response = client.post("/api/v1/parking/occupancy", json=batch, headers=machine)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_rows" and "nothing was stored" in error["message"]
    found = {(d["row"], d["field"], d["code"]) for d in error["details"]}
    assert found == {(2, "lot", "unknown_lot"), (2, "sampled_at", "bad_time"), (2, "occupied", "bad_count"),
                     (3, "sampled_at", "duplicate")}  # fmt: skip
    assert _count(sqlite_engine) == 0
    assert client.post("/api/v1/parking/occupancy", data="not json", headers=machine).status_code == 400


def test_tokens_are_checked_on_every_route(api):
    client, machine, wall = api
    batch = {"samples": [{"lot": "P-t", "sampled_at": "2026-11-24T09:00:00", "occupied": 1}]}
    assert client.post("/api/v1/parking/occupancy", json=batch).status_code == 401
    assert client.post("/api/v1/parking/occupancy", json=batch, headers=wall).status_code == 401  # read-only token
    bogus = {"Authorization": "Bearer ckm_not-a-token"}
    assert client.post("/api/v1/parking/occupancy", json=batch, headers=bogus).status_code == 401
    assert client.get("/api/v1/parking/shareable").status_code == 401
    assert client.get("/api/v1/parking/shareable", headers=wall).status_code == 200
    assert client.get("/api/v1/nope", headers=machine).get_json()["error"]["code"] == "not_found"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/parking/occupancy", "/parking/shareable"} <= set(spec["paths"])


def test_revoked_token_is_refused(api, sqlite_engine):
    from data_access.models import ApiToken
    from data_access.tokens import revoke_token

    client, machine, _wall = api
    with writing(sqlite_engine) as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.kind == "machine"))
        assert revoke_token(s, token_id, datetime(2026, 11, 2))
    assert client.get("/api/v1/parking/shareable", headers=machine).status_code == 401


def test_the_api_serves_what_the_job_published(demo_engine, tmp_path):
    parking.run(demo_engine, RUN_AT)
    with writing(demo_engine) as s:
        token = issue_token(s, "machine", "signage", RUN_AT)
    app = create_app({"instance_dir": str(tmp_path), "database_url": demo_engine.url.render_as_string(False)})
    body = app.server.test_client().get("/api/v1/parking/shareable", headers={"Authorization": f"Bearer {token}"})
    data = body.get_json()
    published = {r["lot"]: r["shareable"] for r in data["lots"] if r["status"] == "published"}
    assert sum(v for k, v in published.items() if k in ("P-junjing", "P-yitian", "P-fengshang")) == 126
    assert data["totals"]["night"] == sum(r["shareable"] or 0 for r in data["lots"] if r["window"] == "night")


@pytest.fixture
def staff_app(sqlite_engine, tmp_path):
    from tests.factories import tiny_community

    place = tiny_community(sqlite_engine)
    with writing(sqlite_engine) as s:
        s.add(ParkingLot(estate_id=place["estate_id"], code="P-u", name_zh="上传车场", name_en="Upload lot", capacity=80,
                         share_window="day", window_start="08:00", window_end="18:00", lat=30.2, lon=120.2))  # fmt: skip
    return create_app({"instance_dir": str(tmp_path / "i"), "database_url": str(sqlite_engine.url)})


def _upload(client, text: str, name: str = "counts.csv"):
    import base64

    from tests.test_web import decoded

    contents = "data:text/csv;base64," + base64.b64encode(text.encode("utf-8")).decode()
    payload = {
        "output": "park-upload-result.children",
        "outputs": {"id": "park-upload-result", "property": "children"},
        "inputs": [{"id": "park-upload", "property": "contents", "value": contents}],
        "changedPropIds": ["park-upload.contents"],
        "state": [{"id": "park-upload", "property": "filename", "value": name}],
    }
    token = client.get_cookie("_csrf_token").value
    response = client.post("/_dash-update-component", json=payload, headers={"X-CSRFToken": token})
    return response.status_code, (decoded(response) if response.status_code == 200 else response.get_data(as_text=True))


def test_staff_csv_upload_is_all_or_nothing_and_idempotent(staff_app, sqlite_engine):
    from tests.test_web import login

    client = staff_app.server.test_client()
    login(client, "c1_grid_worker", "pw-grid_worker")
    client.get("/parking")
    good = "lot,sampled_at,occupied\nP-u,2026-11-24 08:00,40\nP-u,2026-11-24T08:15:00+08:00,41\n"
    status, body = _upload(client, "\ufeff" + good)
    assert status == 200 and "新增 2 条，已存在 0 条" in body
    status, body = _upload(client, good)
    assert "新增 0 条，已存在 2 条" in body
    bad = "lot,sampled_at,occupied\nP-u,2026-11-24 09:00,40\nP-x,2026-11-24 09:15,-1\nP-u,not a time,3\n"
    status, body = _upload(client, bad, "bad.csv")
    assert "bad.csv 未导入" in body and "第 2 行 lot：车场编号不存在" in body and "第 3 行 sampled_at" in body
    assert _count(sqlite_engine) == 2  # the good first row of the bad file was not stored either
    # an optional shared column: how many of the cars are permit holders' (empty = not known)
    shared = "lot,sampled_at,occupied,shared\nP-u,2026-11-24 10:00,40,12\nP-u,2026-11-24 10:15,41,\n"
    status, body = _upload(client, shared, "shared.csv")
    assert "新增 2 条" in body
    with reading(sqlite_engine) as s:
        counts = s.execute(select(ParkingSample.occupied, ParkingSample.shared).where(
            ParkingSample.sampled_at >= datetime(2026, 11, 24, 10)).order_by(ParkingSample.sampled_at)).all()  # fmt: skip
    assert [tuple(c) for c in counts] == [(40, 12), (41, None)]
    status, body = _upload(client, "lot,sampled_at,occupied,shared\nP-u,2026-11-24 11:00,10,11\n", "over.csv")
    assert "over.csv 未导入" in body and "第 1 行 shared：共享车辆数不能大于占用数" in body
    client.get("/lang/en")
    status, body = _upload(client, "when,how many\n1,2\n", "odd.csv")
    assert "odd.csv lacks the header lot,sampled_at,occupied." in body


def test_viewers_may_not_upload(staff_app, sqlite_engine):
    from tests.test_web import login

    client = staff_app.server.test_client()
    login(client, "c1_viewer", "pw-viewer")
    client.get("/parking")
    status, _body = _upload(client, "lot,sampled_at,occupied\nP-u,2026-11-24 08:00,40\n")
    assert status == 403 and _count(sqlite_engine) == 0


def test_overstay_after_the_window_opens_one_hotspot_case(demo_engine):
    from data_access.models import Event, EventAction
    from jobs import parking_overstay

    check = datetime(2026, 11, 19, 18, 30)  # Thursday: half an hour after the day window closed
    with writing(demo_engine) as s:
        lot_id = s.scalar(select(ParkingLot.id).where(ParkingLot.code == "P-junjing"))
        sample = s.scalar(
            select(ParkingSample).where(ParkingSample.lot_id == lot_id, ParkingSample.sampled_at == check)
        )
        usual = sample.occupied
        sample.occupied = 419  # shared cars did not leave
    quiet = parking_overstay.run(demo_engine, datetime(2026, 11, 18, 18, 30), margin=15)
    assert quiet["checked"] == 3 and quiet["rows"] == 0  # three day-window lots checked, all as usual
    first = parking_overstay.run(demo_engine, check, margin=15)
    again = parking_overstay.run(demo_engine, check + timedelta(minutes=5), margin=15)
    assert first["raised"] == "P-junjing" and again["rows"] == 0
    with reading(demo_engine) as s:
        case = s.scalar(select(Event).where(Event.source_ref == "overstay:P-junjing:2026-11-19T18:30"))
        trail = s.scalars(select(EventAction).where(EventAction.event_id == case.id)).all()
        assert case.source == "iot" and case.status == "reported" and case.level == 1 and case.holder_id is not None
        assert "419" in case.description and case.due_at > check
        assert [a.action for a in trail] == ["report"] and trail[0].actor_label == "system"
    assert usual < 419 - 15


def test_staff_see_plates_masked_unless_their_role_needs_them_and_reads_are_audited(staff_app, sqlite_engine):
    from data_access.models import AuditLog, Community, ParkingPermit
    from tests.test_web import _route, login

    with writing(sqlite_engine) as s:
        lot_id = s.scalar(select(ParkingLot.id).where(ParkingLot.code == "P-u"))
        community_id = s.scalar(select(Community.id))
        s.add(ShareableCapacity(lot_id=lot_id, share_window="day", computed_at=datetime(2026, 11, 24, 1, 30),
                                status="published", shareable=12, peak=60, parameters={}, samples_used=1))  # fmt: skip
        s.add(ParkingPermit(tracking_code="PKTEST0001", community_id=community_id, applicant_kind="employee",
                            applicant_name="测试申请人", plate="浙A12345", contact="13800000000", share_window="day",
                            preferences=["P-u"], status="granted", lot_id=lot_id,
                            applied_at=datetime(2026, 11, 24, 9, 0)))  # fmt: skip

    worker = staff_app.server.test_client()
    login(worker, "c1_grid_worker", "pw-grid_worker")
    page = _route(worker, "/parking")
    assert "PKTEST0001" in page and "浙A***45" in page and "浙A12345" not in page
    assert "测试申请人" not in page and "13800000000" not in page

    secretary = staff_app.server.test_client()
    login(secretary, "c1_secretary", "pw-secretary")
    page = _route(secretary, "/parking")
    assert "浙A12345" in page and "测试申请人" not in page
    with reading(sqlite_engine) as s:
        audits = s.scalars(select(AuditLog)).all()
        assert [(a.username, a.action, a.entity) for a in audits] == [("c1_secretary", "read", "parking_permit")]


def _history(engine, lot_id: int, until: datetime, occupied: int, shared: int | None) -> None:
    """Eight weeks of weekday samples every 15 minutes in the lot's 08:00-18:00 window: `occupied` at the
    busiest slots, up to 4 fewer in the others (a counter that never changes would be withheld as stuck)."""
    rows = []
    day = until.date() - timedelta(weeks=8)
    while day < until.date():
        if day.weekday() < 5:
            for k in range(40):
                at = datetime.combine(day, datetime.min.time()) + timedelta(hours=8, minutes=15 * k)
                rows.append({"lot_id": lot_id, "sampled_at": at, "occupied": occupied - k % 5, "shared": shared})
        day += timedelta(days=1)
    with writing(engine) as s:
        s.execute(ParkingSample.__table__.delete().where(ParkingSample.lot_id == lot_id))
        s.execute(ParkingSample.__table__.insert(), rows)


def test_shared_cars_counted_at_the_gate_do_not_shrink_what_the_lot_shares(api, sqlite_engine):
    """Permit holders' cars park in the shared spaces and the counter counts them; the job must measure
    the lot's own use, or every week of sharing would lower next week's shareable spaces."""
    client, machine, _wall = api
    with reading(sqlite_engine) as s:
        lot_id = s.scalar(select(ParkingLot.id).where(ParkingLot.code == "P-t"))
    now = datetime(2026, 11, 24, 1, 30)

    def shareable(at: datetime) -> int:
        parking.run(sqlite_engine, at)
        with reading(sqlite_engine) as s:
            return next(r for r in current_shareable(s) if r["lot"] == "P-t")["shareable"]

    _history(sqlite_engine, lot_id, now, occupied=20, shared=None)  # before sharing: 20 of its own cars
    assert shareable(now) == 30
    _history(sqlite_engine, lot_id, now, occupied=45, shared=25)  # 25 permit holders' cars among 45
    assert shareable(now + timedelta(minutes=1)) == 30
    _history(sqlite_engine, lot_id, now, occupied=45, shared=None)  # a counter that cannot tell them apart
    assert shareable(now + timedelta(minutes=2)) == 5

    # the machine API takes the count and refuses one above occupied, storing nothing
    good = {"samples": [{"lot": "P-t", "sampled_at": "2026-11-25T09:00:00", "occupied": 30, "shared": 12}]}
    assert client.post("/api/v1/parking/occupancy", json=good, headers=machine).status_code == 200
    with reading(sqlite_engine) as s:
        stored = s.scalar(select(ParkingSample.shared).where(ParkingSample.sampled_at == datetime(2026, 11, 25, 9)))
    assert stored == 12
    bad = {"samples": [{"lot": "P-t", "sampled_at": "2026-11-25T09:15:00", "occupied": 30, "shared": 31},
                       {"lot": "P-t", "sampled_at": "2026-11-25T09:30:00", "occupied": 30, "shared": "x"}]}  # fmt: skip
    response = client.post("/api/v1/parking/occupancy", json=bad, headers=machine)
    assert response.status_code == 400
    found = {(d["row"], d["field"], d["code"]) for d in response.get_json()["error"]["details"]}
    assert found == {(1, "shared", "shared_over"), (2, "shared", "bad_count")}
