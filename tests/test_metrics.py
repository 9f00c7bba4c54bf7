"""Closed-loop metrics (综合评价): the definitions on hand-made cases with known answers, on both engines;
agreement with the hotspots page on the demo; the page and its drill-down through the Dash endpoint."""

from __future__ import annotations

import json
import statistics
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from components.metrics import drill_href
from data_access.cases import GRID_ROW_LIMIT, CaseFilter, case_rows
from data_access.clock import local_now
from data_access.closure import parse_month_range
from data_access.db import reading, writing
from data_access.hotspots import kpis
from data_access.metrics import DIMENSIONS, PERIODS, closure_report, handler_name, period_months
from data_access.models import Category, Community, Event, EventAction, Grid
from i18n import MESSAGES
from tests.conftest import DEMO_AS_OF
from tests.factories import NOW, tiny_community

H = timedelta(hours=1)


def _case(engine, place: dict, ref: str, reported: datetime, status: str, due: datetime, *, resolves=(),
          reopens=(), closed: datetime | None = None, escalations: int = 0, level: int = 1, grid_id: int | None = None,
          source: str = "staff", category: str = "garbage") -> int:  # fmt: skip
    """A case and its trail: `resolves` are (time, role of the staff user who resolved it)."""
    with writing(engine) as s:
        event = Event(
            tracking_code=f"M{ref}", community_id=place["community_id"], source=source, source_ref=ref,
            category_id=s.scalar(select(Category.id).where(Category.code == category)), grade="routine",
            description="测试事件", grid_id=grid_id or place["grid_id"], estate_id=place["estate_id"], status=status,
            level=level, reported_at=reported, due_at=due,
            resolved_at=resolves[-1][0] if resolves and status in ("resolved", "closed") else None,
            closed_at=closed, reopen_count=len(reopens), escalation_count=escalations, updated_at=reported,
        )  # fmt: skip
        s.add(event)
        s.flush()
        trail = [(reported, "report", None)] + [(at, "resolve", place["users"][role]) for at, role in resolves]
        trail += [(at, "reopen", place["users"]["grid_leader"]) for at in reopens]
        trail += [(closed, "close", place["users"]["grid_leader"])] if closed else []
        s.add_all(
            EventAction(event_id=event.id, at=at, action=action, actor_id=actor, actor_label="resident" if actor is None
                        else "staff")
            for at, action, actor in sorted(trail, key=lambda x: x[0])
        )  # fmt: skip
        return event.id


def _known_cases(engine) -> dict:
    """November 2026 (NOW is 25 November 10:00) and October, with every answer worked out by hand."""
    place = tiny_community(engine)
    with writing(engine) as s:
        g2 = Grid(community_id=place["community_id"], code="G2", name_zh="第二网格", name_en="Grid 2")
        s.add(g2)
        s.flush()
        place["grid2_id"] = g2.id
    d = datetime
    # A on time: resolved 2 h after the report, within its limit
    _case(engine, place, "A", d(2026, 11, 2, 9), "closed", d(2026, 11, 2, 13), resolves=[(d(2026, 11, 2, 11), "grid_worker")],
          closed=d(2026, 11, 2, 15), source="resident")  # fmt: skip
    # B late: resolved after its due time (10 h)
    _case(engine, place, "B", d(2026, 11, 3, 9), "closed", d(2026, 11, 3, 13), resolves=[(d(2026, 11, 3, 19), "grid_worker")],
          closed=d(2026, 11, 4, 9))  # fmt: skip
    # C escalated once, then resolved at L2 before the new due time: closed, but not on time (6 h)
    _case(engine, place, "C", d(2026, 11, 5, 9), "closed", d(2026, 11, 5, 17), resolves=[(d(2026, 11, 5, 15), "grid_leader")],
          closed=d(2026, 11, 5, 16), escalations=1, level=2, category="noise")  # fmt: skip
    # D reopened (返工): resolved by the grid worker, sent back, resolved again by the grid leader (3 h)
    _case(engine, place, "D", d(2026, 11, 6, 9), "closed", d(2026, 11, 6, 13),
          resolves=[(d(2026, 11, 6, 10), "grid_worker"), (d(2026, 11, 6, 12), "grid_leader")],
          reopens=[d(2026, 11, 6, 11)], closed=d(2026, 11, 6, 14), source="resident")  # fmt: skip
    # E duplicate and F rejected: never due, even with a passed deadline
    _case(engine, place, "E", d(2026, 11, 7, 9), "duplicate", d(2026, 11, 7, 13))
    _case(engine, place, "F", d(2026, 11, 8, 9), "rejected", d(2026, 11, 8, 13))
    # G overdue at L1 in grid 2: due this month, not closed
    _case(engine, place, "G", d(2026, 11, 20, 9), "in_progress", d(2026, 11, 21, 9), grid_id=place["grid2_id"])
    # H open, not yet due; I resolved and awaiting verification (3 h): open, not due
    _case(engine, place, "H", d(2026, 11, 25, 9), "reported", d(2026, 11, 25, 13))
    _case(engine, place, "I", d(2026, 11, 24, 9), "resolved", d(2026, 11, 24, 13),
          resolves=[(d(2026, 11, 24, 12), "grid_worker")])  # fmt: skip
    # J closed on time in October (2 h); K still open at L4, its deadline passed in October
    _case(engine, place, "J", d(2026, 10, 30, 9), "closed", d(2026, 10, 30, 13),
          resolves=[(d(2026, 10, 30, 11), "grid_worker")], closed=d(2026, 10, 31, 9))  # fmt: skip
    _case(engine, place, "K", d(2026, 10, 20, 9), "in_progress", d(2026, 10, 22, 9), escalations=3, level=4,
          grid_id=place["grid2_id"])  # fmt: skip
    # L reported in October, resolved late in November by the department (121 h)
    _case(engine, place, "L", d(2026, 10, 28, 9), "closed", d(2026, 10, 28, 13), resolves=[(d(2026, 11, 2, 10), "department")],
          closed=d(2026, 11, 2, 12))  # fmt: skip
    return place


def _groups(report: dict) -> dict:
    return {g["code"]: g for g in report["groups"]}


def test_definitions_on_known_cases(engine):
    place = _known_cases(engine)
    ids = [place["community_id"]]
    with reading(engine) as s:
        nov = closure_report(s, ids, "grid", "2026-11", "2026-11", NOW)
        by_handler = closure_report(s, ids, "handler", "2026-11", "2026-11", NOW)
        by_source = closure_report(s, ids, "source", "2026-11", "2026-11", NOW)
        by_category = closure_report(s, ids, "category", "2026-11", "2026-11", NOW)
        by_month = closure_report(s, ids, "month", "2026-10", "2026-11", NOW)
        hot = kpis(s, ids, NOW)
        worker = handler_name(s, ids, place["users"]["grid_worker"])
        viewer = handler_name(s, ids, place["users"]["viewer"])
    total = nov["total"]
    assert (total["due"], total["closed"], total["on_time"]) == (6, 5, 2)  # A B C D G L; A D on time
    assert total["closed_rate"] == pytest.approx(5 / 6) and total["on_time_rate"] == pytest.approx(2 / 6)
    assert (total["resolved"], total["reopened"]) == (6, 1)  # A B C D I L; D
    assert total["rework_rate"] == pytest.approx(1 / 6)
    assert total["median_hours"] == pytest.approx(4.5, abs=0.01)  # 2 3 3 | 6 10 121
    assert total["open_by_level"] == {1: 3, 2: 0, 3: 0, 4: 1} and total["overdue_by_level"] == {1: 1, 2: 0, 3: 0, 4: 1}
    assert hot["on_time_rate"] == total["on_time_rate"] and hot["due_to_close"] == total["due"]

    grids = _groups(nov)
    assert (grids["G1"]["due"], grids["G1"]["closed"], grids["G1"]["on_time"]) == (5, 5, 2)
    assert (grids["G2"]["due"], grids["G2"]["closed"], grids["G2"]["closed_rate"]) == (1, 0, 0.0)
    assert grids["G2"]["open_by_level"] == {1: 1, 2: 0, 3: 0, 4: 1} and grids["G2"]["overdue"] == 2
    assert grids["G2"]["resolved"] == 0 and grids["G2"]["rework_rate"] is None and grids["G2"]["median_hours"] is None
    assert (grids["G1"]["name_zh"], grids["G2"]["name_en"]) == ("第一网格", "Grid 2")

    # the handler is whoever resolved the case last: D counts for the grid leader, not the grid worker
    handlers = _groups(by_handler)
    worker_id, leader_id = str(place["users"]["grid_worker"]), str(place["users"]["grid_leader"])
    dept_id = str(place["users"]["department"])
    assert set(handlers) == {worker_id, leader_id, dept_id, "none"}
    w, gl, dept, none = handlers[worker_id], handlers[leader_id], handlers[dept_id], handlers["none"]
    assert (w["due"], w["closed"], w["on_time"], w["resolved"], w["reopened"]) == (2, 2, 1, 3, 0)  # A B; A B I
    assert w["median_hours"] == pytest.approx(3, abs=0.01) and w["open"] == 1  # 2 3 10; I awaits verification
    assert (gl["due"], gl["on_time"], gl["reopened"], gl["rework_rate"]) == (2, 1, 1, 0.5)  # C D
    assert gl["median_hours"] == pytest.approx(4.5, abs=0.01)  # 3 6
    assert (dept["due"], dept["on_time"], dept["median_hours"]) == (1, 0, pytest.approx(121, abs=0.01))
    assert (none["due"], none["open"], none["overdue"]) == (1, 3, 2)  # G; G H K
    assert (worker, viewer) == ("grid_worker-c1", None)  # only people who resolved a case here have a name

    sources = _groups(by_source)
    assert (sources["resident"]["due"], sources["resident"]["on_time"]) == (2, 2)  # A D
    assert (sources["staff"]["due"], sources["staff"]["on_time"]) == (4, 0)
    assert _groups(by_category)["noise"]["due"] == 1 and _groups(by_category)["garbage"]["due"] == 5

    # each case is due in one month: the month it closed, or the month its deadline passed while open
    months = _groups(by_month)
    assert (months["2026-10"]["due"], months["2026-10"]["closed"], months["2026-10"]["on_time"]) == (2, 1, 1)  # J K
    assert months["2026-10"]["resolved"] == 1 and months["2026-10"]["median_hours"] == pytest.approx(2, abs=0.01)
    assert months["2026-11"]["due"] == 6 and by_month["total"]["due"] == 8
    assert months["2026-10"]["overdue_by_level"][4] == 1  # K, reported in October, still open at L4
    assert months["2026-11"]["open"] == 3

    for report in (nov, by_handler, by_source, by_category, by_month):
        for name in ("due", "closed", "on_time", "resolved", "reopened", "open", "overdue"):
            assert sum(g[name] for g in report["groups"]) == report["total"][name], (report["dimension"], name)


def _grid_for(href: str) -> CaseFilter:
    """What the governance page makes of a drill-down URL (its dropdowns and the drill-down store)."""
    url = urlsplit(href)
    assert url.path == "/governance"
    q = dict(parse_qsl(url.query))
    return CaseFilter(
        status=q.get("status"), grade=q.get("grade"), category=q.get("category"), grid=q.get("grid"),
        source=q.get("source"), period=q.get("period"), overdue_only=q.get("overdue") == "1", level=q.get("level"),
        handler=q.get("handler"), month=q.get("month"), due_in_month=q.get("due_in_month"),
        resolved_in_month=q.get("resolved_in_month"), reopened=q.get("reopened"), on_time=q.get("on_time"),
    )  # fmt: skip


def _check_drill_downs(session, ids: list[int], report: dict, now: datetime) -> int:
    """Every figure of every group (and the totals) lists exactly as many cases as it counts."""
    checked = 0
    first, last, dimension = report["first"], report["last"], report["dimension"]
    targets = [(dimension, g) for g in report["groups"]] + [(None, report["total"])]
    for dim, g in targets:
        for measure in ("due", "closed", "on_time", "resolved", "reopened", "open", "overdue"):
            if dim == "month" and measure not in ("open", "overdue") and not g["in_period"]:
                continue
            href = drill_href(dim, g["code"] if dim else None, measure, first, last)
            rows = case_rows(session, ids, _grid_for(href), now)
            assert len(rows) == g[measure] < GRID_ROW_LIMIT, (dim, g.get("code"), measure, href)
            checked += 1
        if dim is not None:
            for level in (1, 2, 3, 4):
                for measure in ("open", "overdue"):
                    href = drill_href(dim, g["code"], measure, first, last, level)
                    assert len(case_rows(session, ids, _grid_for(href), now)) == g[f"{measure}_by_level"][level]
    return checked


def test_every_figure_drills_down_to_as_many_cases(engine):
    place = _known_cases(engine)
    ids = [place["community_id"]]
    with reading(engine) as s:
        for dimension in DIMENSIONS:
            report = closure_report(s, ids, dimension, "2026-10", "2026-11", NOW)
            assert _check_drill_downs(s, ids, report, NOW) >= 7 * len(report["groups"])
        reopened = case_rows(s, ids, CaseFilter(resolved_in_month="2026-11", reopened=True), NOW)
        on_time = case_rows(s, ids, CaseFilter(due_in_month="2026-11", on_time=True), NOW)
    assert [r["tracking_code"] for r in reopened] == ["MD"]
    assert sorted(r["tracking_code"] for r in on_time) == ["MA", "MD"]


def test_drill_down_filters_reject_crafted_values(engine):
    place = _known_cases(engine)
    ids = [place["community_id"]]
    crafted = CaseFilter(
        handler="1 OR 1=1", month="2026-13", due_in_month="2026-11..2026-01", resolved_in_month="'; DROP TABLE event",
        level="5", reopened="yes", on_time=["1"],
    ).validated()  # fmt: skip
    assert crafted.drill_down() == {} and crafted.level is None
    assert CaseFilter(level=True, handler=True).validated().level is None
    assert CaseFilter(handler="-3").validated().handler is None and CaseFilter(handler="none").validated().handler
    assert parse_month_range("2026-01..2036-12") is None and parse_month_range("2026-01..2035-12")
    assert CaseFilter(month="2026-10..2026-11", level="4", reopened="1").validated().drill_down() == {
        "month": "2026-10..2026-11",
        "reopened": True,
    }
    with reading(engine) as s:
        everything = case_rows(s, ids, CaseFilter(), NOW)
        assert len(case_rows(s, ids, crafted, NOW)) == len(everything)  # ignored, never run as SQL
        at_l4 = case_rows(s, ids, CaseFilter(level="4"), NOW)
        never_resolved = case_rows(s, ids, CaseFilter(handler="none"), NOW)
        reported_oct = case_rows(s, ids, CaseFilter(month="2026-10"), NOW)
        # another community's scope sees none of these cases, whatever the filter
        assert case_rows(s, [ids[0] + 99], CaseFilter(handler=place["users"]["grid_worker"]), NOW) == []
    assert [r["tracking_code"] for r in at_l4] == ["MK"]
    assert sorted(r["tracking_code"] for r in never_resolved) == ["ME", "MF", "MG", "MH", "MK"]
    assert sorted(r["tracking_code"] for r in reported_oct) == ["MJ", "MK", "ML"]


def test_period_months_and_keys():
    assert period_months("month", NOW) == ("2026-11", "2026-11")
    assert period_months("3m", NOW) == ("2026-09", "2026-11")
    assert period_months("12m", datetime(2026, 1, 5)) == ("2025-02", "2026-01")
    assert period_months("bogus", NOW) == ("2026-11", "2026-11")
    keys = [f"metric.period_{p}" for p in PERIODS] + [f"metric.dim_{d}" for d in DIMENSIONS]
    keys += [f"metric.dim_text_{d}" for d in DIMENSIONS]
    assert [k for k in keys if k not in MESSAGES] == []


# --- the demo ------------------------------------------------------------------------------------


def _scope(session) -> list[int]:
    return [session.scalar(select(Community.id).where(Community.code == "dongxin"))]


def test_demo_figures_agree_with_the_hotspots_page(demo_engine):
    with reading(demo_engine) as s:
        ids = _scope(s)
        hot = kpis(s, ids, DEMO_AS_OF)
        reports = {d: closure_report(s, ids, d, "2026-11", "2026-11", DEMO_AS_OF) for d in DIMENSIONS}
        year = closure_report(s, ids, "month", *period_months("12m", DEMO_AS_OF), DEMO_AS_OF)
        durations = [
            (resolved - reported).total_seconds() / 3600
            for reported, resolved in s.execute(
                select(Event.reported_at, Event.resolved_at).where(
                    Event.community_id.in_(ids),
                    Event.status.in_(("resolved", "closed")),
                    Event.resolved_at >= datetime(2026, 11, 1),
                    Event.resolved_at < datetime(2026, 12, 1),
                )
            )
        ]
    for dimension, report in reports.items():
        total = report["total"]
        assert total["on_time"] == hot["on_time_closed"] and total["due"] == hot["due_to_close"], dimension
        assert total["on_time_rate"] == hot["on_time_rate"] and total["open"] == hot["open"], dimension
        assert total["overdue"] == hot["overdue"], dimension
        for name in ("due", "closed", "on_time", "resolved", "reopened", "open", "overdue"):
            assert sum(g[name] for g in report["groups"]) == total[name], (dimension, name)
    total = reports["grid"]["total"]
    assert 0 < total["on_time"] < total["closed"] <= total["due"] and 0 < total["reopened"] < total["resolved"]
    assert total["median_hours"] == pytest.approx(statistics.median(durations), abs=0.01)
    assert len(reports["grid"]["groups"]) == 6 and len(reports["handler"]["groups"]) > 6
    assert {g["code"] for g in reports["source"]["groups"]} >= {"resident", "camera_car", "staff"}
    # twelve months, each due case in one of them; this month's row is the hotspots figure again
    months = _groups(year)
    assert len([g for g in year["groups"] if g["in_period"]]) == 12
    assert months["2026-11"]["on_time_rate"] == hot["on_time_rate"]
    assert sum(g["due"] for g in year["groups"]) == year["total"]["due"] > 3000
    rates = [g["on_time_rate"] for g in year["groups"] if g["in_period"]]
    assert all(0.5 < r < 1 for r in rates) and len(set(rates)) > 1


def test_demo_drill_downs_match_the_figures(demo_engine):
    with reading(demo_engine) as s:
        ids = _scope(s)
        for dimension in ("grid", "handler", "source"):
            report = closure_report(s, ids, dimension, *period_months("3m", DEMO_AS_OF), DEMO_AS_OF)
            _check_drill_downs(s, ids, report, DEMO_AS_OF)


# --- the page, through the Dash endpoint ---------------------------------------------------------


@pytest.fixture
def web(sqlite_engine, tmp_path):
    from app import create_app
    from data_access.clock import local_now

    now = local_now()
    place = tiny_community(sqlite_engine)
    day = timedelta(days=1)
    # a few days back, so the cases fall in the last 12 months whatever the date
    _case(sqlite_engine, place, "w1", now - 3 * day, "closed", now - 3 * day + 4 * H,
          resolves=[(now - 3 * day + H, "grid_worker")], closed=now - 3 * day + 2 * H)  # fmt: skip
    _case(sqlite_engine, place, "w2", now - 2 * day, "closed", now - 2 * day + 4 * H,
          resolves=[(now - 2 * day + 6 * H, "grid_worker")], closed=now - 2 * day + 7 * H)  # fmt: skip
    _case(sqlite_engine, place, "w3", now - 2 * day, "in_progress", now - day)
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": str(sqlite_engine.url)})
    app.server.config["TESTING"] = True
    return app, place


def _login(client, username: str, password: str) -> dict:
    from tests.test_web import login

    login(client, username, password)
    client.get("/")
    return {"X-CSRFToken": client.get_cookie("_csrf_token").value}


def _post(client, payload: dict, headers: dict):
    return client.post("/_dash-update-component", json=payload, headers=headers)


def _route(client, headers: dict, path: str, search: str = "") -> str:
    payload = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    response = _post(client, payload, headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return json.dumps(response.get_json(), ensure_ascii=False)


def _click(client, headers: dict, graph: str, customdata, period: str = "12m", dimension: str = "grid"):
    clicks = {g: None for g in ("metric-bar", "metric-trend", "metric-levels")}
    clicks[graph] = {"points": [{"customdata": customdata}]}
    payload = {
        "output": "metric-nav.href",
        "outputs": {"id": "metric-nav", "property": "href"},
        "inputs": [{"id": g, "property": "clickData", "value": v} for g, v in clicks.items()],
        "changedPropIds": [f"{graph}.clickData"],
        "state": [{"id": "metric-view", "property": "data", "value": {"period": period, "dimension": dimension}}],
    }
    return _post(client, payload, headers)


def _find(node, wanted_id: str):
    """A component of a Dash layout JSON by id."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == wanted_id:
            return node
        for value in node.values():
            found = _find(value, wanted_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = _find(value, wanted_id)
            if found is not None:
                return found
    return None


def _grid_count(client, headers: dict, href: str) -> str:
    """Open a case-grid URL as the browser does and run its filter callback with what the page preset."""
    url = urlsplit(href)
    page = json.loads(_route(client, headers, url.path, "?" + url.query))
    value = {name: _find(page, f"gov-{name}")["props"].get("value") for name in
             ("status", "grade", "category", "grid", "source", "period", "overdue", "level")}  # fmt: skip
    drill = _find(page, "gov-drill")["props"]["data"]
    inputs = [{"id": f"gov-{name}", "property": "value", "value": v} for name, v in value.items()]
    inputs.append({"id": "gov-drill", "property": "data", "value": drill})
    payload = {
        "output": "..gov-grid-table.rowData...gov-count.children..",
        "outputs": [{"id": "gov-grid-table", "property": "rowData"}, {"id": "gov-count", "property": "children"}],
        "inputs": inputs,
        "changedPropIds": ["gov-status.value"],
        "state": [],
    }
    response = _post(client, payload, headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]["gov-count"]["children"]


def test_metrics_page_for_a_logged_in_role(web):
    app, place = web
    client = app.server.test_client()
    headers = _login(client, "c1_viewer", "pw-viewer")
    assert client.get("/governance/metrics").status_code == 200
    assert "nav-metrics" in json.dumps(client.get("/_dash-layout").get_json())
    page = _route(client, headers, "/governance/metrics", "?period=12m&dimension=grid")
    assert "metric-closed-rate" in page and "metric-table" in page and "综合评价" in page
    assert "66.7%" in page and "33.3%" in page  # 2 closed and 1 on time of 3 due (w1 w2 closed, w3 overdue)
    assert "已结 2 / 应结 3" in page

    client.get("/lang/en")
    page = _route(client, headers, "/governance/metrics", "?period=12m&dimension=handler")
    assert "grid_worker-c1" in page and "Not resolved yet" in page and "On-time closure rate" in page
    assert "/governance/metrics?period=3m&dimension=handler" in page  # the controls are links to each view
    crafted = _route(client, headers, "/governance/metrics", "?period=forever&dimension=password")
    assert "This month" in crafted and "Rates by grid" in crafted  # unknown values fall back to the defaults


def test_metrics_page_refuses_anonymous_callers(web):
    app, _ = web
    client = app.server.test_client()
    response = client.get("/governance/metrics")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    route = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": "/governance/metrics"},
            {"id": "_pages_location", "property": "search", "value": "?period=12m"},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    response = _post(client, route, {})
    assert response.status_code == 401 and "metric" not in response.get_data(as_text=True)
    response = _click(client, {}, "metric-bar", ["G1", "closed", None])
    assert response.status_code == 401 and "governance" not in response.get_data(as_text=True)


def test_a_chart_click_drills_down_to_a_grid_of_as_many_cases(web):
    app, place = web
    client = app.server.test_client()
    headers = _login(client, "c1_grid_leader", "pw-grid_leader")
    response = _click(client, headers, "metric-bar", ["G1", "closed", None])
    assert response.status_code == 200
    href = response.get_json()["response"]["metric-nav"]["href"]
    assert href.startswith("/governance?grid=G1&due_in_month=") and "status=closed" in href
    assert _grid_count(client, headers, href) == "共 2 件"

    href = _click(client, headers, "metric-levels", ["G1", "overdue", 1]).get_json()["response"]["metric-nav"]["href"]
    assert "overdue=1" in href and "level=1" in href
    assert _grid_count(client, headers, href) == "共 1 件"

    worker = place["users"]["grid_worker"]
    href = drill_href("handler", str(worker), "on_time", *period_months("12m", local_now()))
    page = _route(client, headers, "/governance", "?" + urlsplit(href).query)
    assert "gov-drill-alert" in page and "处置人 grid_worker-c1" in page and "按期结案" in page
    assert _grid_count(client, headers, href) == "共 1 件"

    # a crafted click is refused: no navigation, never a URL taken from the browser
    for bad in (["G1", "javascript:alert(1)", None], ["x" * 80, "closed", None], "nope"):
        refused = _click(client, headers, "metric-bar", bad)
        assert refused.status_code in (200, 204) and "metric-nav" not in refused.get_data(as_text=True)


# --- the components (pure) -------------------------------------------------------------------------


def _group(code: str, due: int, **extra) -> dict:
    levels = dict.fromkeys((1, 2, 3, 4), 0)
    return {"key": code, "code": code, "name_zh": f"网格{code}", "name_en": f"Grid {code}", "in_period": True,
            "due": due, "closed": due, "on_time": due // 2, "resolved": due, "reopened": 0, "open": 1, "overdue": 0,
            "closed_rate": 1.0, "on_time_rate": 0.5, "rework_rate": 0.0, "median_hours": 2.0,
            "open_by_level": {**levels, 1: 1}, "overdue_by_level": levels, **extra}  # fmt: skip


def test_figures_carry_their_drill_down_and_keep_big_districts_readable():
    from components.metrics import MAX_BARS, backlog_by_level, metrics_table, rates_bar

    groups = [_group(f"G{i}", due=i) for i in range(1, 41)]
    report = {"dimension": "grid", "first": "2026-09", "last": "2026-11", "groups": groups, "total": _group(None, 0)}
    bars = rates_bar(report, "zh")
    assert [trace.name for trace in bars.data] == ["结案率", "按期结案率", "返工率"]
    shown = [row[0] for row in bars.data[0].customdata]
    assert len(shown) == MAX_BARS and set(shown) == {f"G{i}" for i in range(16, 41)}  # the busiest
    assert "40" in bars.layout.title.text and bars.layout.yaxis.type == "category"
    assert [row[1] for row in bars.data[1].customdata] == ["on_time"] * MAX_BARS
    levels = backlog_by_level(report, "en")
    assert {trace.name for trace in levels.data} == {"L1", "L2", "L3", "L4"}
    assert list(levels.data[0].customdata[0][1:]) == ["open", 1]
    table = str(metrics_table(report, "en"))
    assert table.count("/governance?grid=G40") >= 5  # the group, due, closed, on time, resolved, open...

    assert drill_href("month", "2026-10", "reopened", "2026-01", "2026-11") == (
        "/governance?resolved_in_month=2026-10&reopened=1"
    )
    assert (
        drill_href("month", "2026-10", "open", "2026-01", "2026-11", 2)
        == "/governance?month=2026-10&status=open&level=2"
    )
    assert drill_href(None, None, "due", "2026-09", "2026-11") == "/governance?due_in_month=2026-09..2026-11"
    assert drill_href("grid", None, "due", "2026-09", "2026-11") is None  # a case without a grid
    assert drill_href("source", "camera_car", "bogus", "2026-11", "2026-11") is None
