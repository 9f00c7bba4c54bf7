"""The parking page: every total drills down to the lot, the lot's detail (current result with its
parameters and data span, heatmap, stored results, measured use, permits), the measured use of the
shared spaces, bad input and scope — in both languages."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pytest

from app import create_app
from data_access.clock import local_now
from data_access.db import writing
from data_access.models import Estate, ParkingLot, ParkingPermit, ParkingSample, ShareableCapacity
from tests.factories import tiny_community
from tests.test_web import _csrf_cookie, decoded, login

LEVEL, SHARED, HELD = 50, 20, 60  # own level per slot, spaces shared, count in every day-window sample


def _params(window: str, start: str, end: str, capacity: int, levels: list[float] | None) -> dict:
    report = {"samples_expected": 1600, "samples_missing": 0, "coverage": 1.0, "windows_expected": 40,
              "windows_with_data": 40, "clamped_over_capacity": 2, "duplicates_in_slot": 0, "negative_dropped": 0}  # fmt: skip
    if levels is not None:
        report["slot_levels"] = levels
    return {"capacity": capacity, "share_window": window, "window_start": start, "window_end": end,
            "weekdays_only": True, "quantile": 0.9, "history_weeks": 8, "safety_buffer": 5, "report": report}  # fmt: skip


@pytest.fixture
def web(sqlite_engine, tmp_path):
    """Community c1 with a day lot that shares 20 spaces, half of them used (every day-window count is 10
    above the lot's own level), and a night lot withheld; community c2 with a lot of its own."""
    here = tiny_community(sqlite_engine)
    there = tiny_community(sqlite_engine, code="c2", with_users=False)
    now = local_now()
    with writing(sqlite_engine) as s:
        other_estate = s.get(Estate, there["estate_id"])
        a = ParkingLot(
            estate_id=here["estate_id"],
            code="P-a",
            name_zh="甲车场",
            name_en="Lot A",
            capacity=100,
            share_window="day",
            window_start="08:00",
            window_end="18:00",
            safety_buffer=5,
            lat=30.2,
            lon=120.2,
        )
        b = ParkingLot(
            estate_id=here["estate_id"],
            code="P-b",
            name_zh="乙车场",
            name_en="Lot B",
            capacity=60,
            share_window="night",
            window_start="18:00",
            window_end="08:00",
            lat=30.2,
            lon=120.2,
        )
        x = ParkingLot(estate_id=other_estate.id, code="P-x", name_zh="外社区车场", name_en="Elsewhere lot",
                       capacity=80, share_window="day", window_start="08:00", window_end="18:00", lat=30.2, lon=120.2)  # fmt: skip
        s.add_all([a, b, x])
        s.flush()
        for at in (now - timedelta(days=9), now - timedelta(days=1)):
            s.add(ShareableCapacity(lot_id=a.id, share_window="day", computed_at=at, status="published",
                                    shareable=SHARED, peak=75.0, parameters=_params("day", "08:00", "18:00", 100,
                                                                                    [float(LEVEL)] * 40),
                                    data_from=at - timedelta(weeks=8), data_to=at - timedelta(hours=8),
                                    samples_used=1600))  # fmt: skip
        s.add(
            ShareableCapacity(
                lot_id=b.id,
                share_window="night",
                computed_at=now - timedelta(days=1),
                status="withheld",
                shareable=None,
                peak=None,
                reason="gaps",
                parameters=_params("night", "18:00", "08:00", 60, None),
                data_from=now - timedelta(weeks=8),
                data_to=now - timedelta(days=1),
                samples_used=300,
            )
        )
        s.add(ShareableCapacity(lot_id=x.id, share_window="day", computed_at=now - timedelta(days=1),
                                status="published", shareable=33, peak=40.0,
                                parameters=_params("day", "08:00", "18:00", 80, [30.0] * 40), samples_used=1600))  # fmt: skip
        moment = datetime.combine((now - timedelta(days=8)).date(), time(0))
        rows = []
        while moment <= now:
            in_window = moment.weekday() < 5 and 8 <= moment.hour < 18
            rows.append({"lot_id": a.id, "sampled_at": moment, "occupied": HELD if in_window else 90})
            moment += timedelta(minutes=15)
        s.execute(ParkingSample.__table__.insert(), rows)
        s.add_all([
            ParkingPermit(tracking_code="PKLOTA0001", community_id=here["community_id"], applicant_kind="employee",
                          applicant_name="申请人甲", plate="浙A12345", contact="13800000000", share_window="day",
                          preferences=["P-a"], status="granted", lot_id=a.id, applied_at=now - timedelta(days=3)),
            ParkingPermit(tracking_code="PKLOTA0002", community_id=here["community_id"], applicant_kind="employee",
                          applicant_name="申请人乙", plate="浙B54321", contact="13900000000", share_window="day",
                          preferences=["P-x", "P-a"], status="waitlisted", lot_id=None,
                          applied_at=now - timedelta(days=2)),
            ParkingPermit(tracking_code="PKELSE0001", community_id=there["community_id"], applicant_kind="resident",
                          applicant_name="外人", plate="浙C11111", contact="13700000000", share_window="day",
                          preferences=["P-x"], status="granted", lot_id=x.id, applied_at=now - timedelta(days=2)),
        ])  # fmt: skip
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": str(sqlite_engine.url)})
    return app


def _page(client, search: str = "") -> str:
    """Ask Dash's page router for /parking with a query string, as the browser does."""
    payload = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/parking"},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=payload, headers={"X-CSRFToken": _csrf_cookie(client)})
    assert response.status_code == 200
    return decoded(response)


def _client(app, username: str = "c1_grid_worker", password: str = "pw-grid_worker"):
    client = app.server.test_client()
    login(client, username, password)
    client.get("/parking")
    return client


def test_every_tile_drills_down_to_the_lots_behind_it(web):
    page = _page(_client(web))
    for show in ("day", "night", "permits", "shared", "withheld"):
        assert f'"/parking?show={show}"' in page
    assert '"/parking?lot=P-a"' in page and '"/parking?lot=P-b"' in page and "P-x" not in page
    night = _page(_client(web), "?show=night")
    assert "筛选：夜间共享的车场（1 个车场）" in night and "乙车场" in night
    assert '"/parking?lot=P-a"' not in night.split("park-lot-detail")[0]  # the table lists P-b only
    withheld = _page(_client(web), "?show=withheld")
    assert "数据缺失过多，暂不发布" in withheld and "筛选：暂不发布的车场（1 个车场）" in withheld
    bogus = _page(_client(web), "?show=everything")
    assert "无法识别的筛选条件“everything”" in bogus


def test_the_lot_detail_shows_its_result_parameters_data_span_use_and_permits(web):
    client = _client(web)
    page = _page(client, "?lot=P-a")
    detail = page
    assert "车场详情：甲车场" in detail and "park-result-details" in detail
    assert "可共享 20 个车位（高峰占用 75.0）" in detail
    for label in ("分位数", "历史周数", "安全余量", "首个样本", "最后样本", "使用样本", "覆盖率", "数据检查"):
        assert label in detail, label
    assert "1600 / 1600" in detail and "超出车位数已截断 2" in detail
    assert "park-results-table" in detail and "park-use-table" in detail and "park-heatmap" in detail
    # measured use: 10 cars above the own level of 50 in every sample, of 20 shared: 50 %, while 1 of 20
    # spaces is allocated to a permit (5 %)
    assert "10.0" in detail and "50%" in detail and "5%" in detail
    assert "实测使用率" in detail and "超出本车场自有车辆水平" in detail
    # the lot's permits: granted there, and waiting with the lot as a later choice; plates masked
    lot_permits = page.split("park-lot-permit-grid")[1]
    assert "PKLOTA0001" in lot_permits and "PKLOTA0002" in lot_permits and "PKELSE0001" not in page
    assert "浙A***45" in page and "浙A12345" not in page and "申请人甲" not in page

    client.get("/lang/en")
    english = _page(client, "?lot=P-b")
    assert "Lot: Lot B" in english and "Nothing published: Too many gaps: withheld" in english
    assert "Used (measured)" in english and "First sample" in english and "Safety buffer" in english


def test_a_lot_outside_the_callers_communities_or_unknown_is_refused_clearly(web):
    client = _client(web)
    page = _page(client, "?lot=P-x")
    assert "找不到车场“P-x”（或不属于您的社区）。" in page and "外社区车场" not in page
    assert "park-lot-detail" not in page
    client.get("/lang/en")
    assert "There is no lot “P-nope” in your communities." in _page(client, "?lot=P-nope")


def _click(client, graph: str, code: str | None):
    ids = [{"name": "lots", "type": "park-lot-graph"}, {"name": "now", "type": "park-lot-graph"}]
    click = {"points": [{"x": "甲车场", "y": 1, "customdata": [code]}]} if code else None
    payload = {
        "output": "park-nav.href",
        "outputs": {"id": "park-nav", "property": "href"},
        "inputs": [[{"id": i, "property": "clickData", "value": click if i["name"] == graph else None} for i in ids]],
        "changedPropIds": [json.dumps({"name": graph, "type": "park-lot-graph"}, separators=(",", ":")) + ".clickData"],
        "state": [],
    }
    return client.post("/_dash-update-component", json=payload, headers={"X-CSRFToken": _csrf_cookie(client)})


def _opened(response) -> str | None:
    """Where a click navigates: the new href, or None (no update: Dash answers 204 or an empty response)."""
    if response.status_code == 204:
        return None
    assert response.status_code == 200
    return (response.get_json().get("response") or {}).get("park-nav", {}).get("href")


def test_a_click_on_a_bar_opens_the_lot_after_a_scope_check(web):
    client = _client(web, "c1_viewer", "pw-viewer")
    for graph in ("lots", "now"):
        assert _opened(_click(client, graph, "P-a")) == "/parking?lot=P-a"
    assert _opened(_click(client, "now", "P-x")) is None  # another community's lot: nothing opens
    assert _opened(_click(client, "lots", "P-nope")) is None
    anonymous = web.server.test_client()
    anonymous.get("/login")
    refused = _click(anonymous, "lots", "P-a")
    assert refused.status_code in (401, 403) and "P-a" not in refused.get_data(as_text=True)


def test_the_overall_use_tile_is_measured_not_allocated(web):
    page = _page(_client(web))
    tile = page.split('"kpi-park-used"')[0].rsplit("共享车位实测使用率", 1)[1]
    assert "50%" in tile and "按占用数据实测" in tile
