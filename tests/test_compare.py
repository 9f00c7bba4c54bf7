"""The comparison view (社区对比) and the community drill-down for street and district users: the figures
per community on hand-made cases with known answers (both engines), the page and its guard, the community
filter of the case grid and of the hotspots page, and exact grid drill-downs over several communities."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select, update

from components.compare import comparison_rows, ranked, ranking_chart, totals
from data_access.cases import CaseFilter, case_rows, filter_options
from data_access.clock import local_now
from data_access.compare import case_figures, community_by_code, community_list, module_figures
from data_access.db import reading, writing
from data_access.metrics import closure_report
from data_access.models import (
    Alarm,
    Community,
    Device,
    EstateIndex,
    Event,
    Grid,
    ParkingLot,
    ShareableCapacity,
    Street,
)
from data_access.users import create_user
from tests.factories import NOW, add_case, tiny_community
from tests.test_web import hotspot_payload

DAY = timedelta(days=1)


def _places(engine, now: datetime = NOW) -> dict:
    """c1 and c2 in street st1, c3 in street st2; a street user over st1 and a district viewer."""
    c1 = tiny_community(engine, "c1", now)
    c2 = tiny_community(engine, "c2", now, with_users=False)
    c3 = tiny_community(engine, "c3", now, with_users=False)
    with writing(engine) as s:
        st2 = Street(code="st2", name_zh="第二街道", name_en="Street Two", district_zh="区", district_en="District")
        s.add(st2)
        s.flush()
        s.execute(update(Community).where(Community.id == c3["community_id"]).values(street_id=st2.id))
        st1 = s.scalar(select(Street.id).where(Street.code == "st1"))
        create_user(s, "street_st1", "pw-street", "street_cadre", now, display_name="街道干部", scope_kind="street",
                    street_id=st1)  # fmt: skip
        create_user(s, "district_viewer", "pw-district", "viewer", now, display_name="区级", scope_kind="district")
    return {"c1": c1, "c2": c2, "c3": c3}


def _known(engine) -> dict:
    """November 2026 (NOW is 25 November 10:00), every answer worked out by hand:

    c1: e1 new today, open; e2 overdue since 12 Nov (due in Nov); e3 closed on time in Nov; e4 closed late in
        Nov after a rework; e5 closed in October (not counted). c2: f1 closed on time in Nov. c3: nothing.
    """
    places = _places(engine)
    c1, c2 = places["c1"], places["c2"]
    nov = lambda day, hour=10: datetime(2026, 11, day, hour)  # noqa: E731
    add_case(engine, c1, "e1", NOW - timedelta(minutes=30), due_at=NOW + timedelta(hours=3))
    add_case(engine, c1, "e2", nov(10), status="in_progress", due_at=nov(12))
    add_case(engine, c1, "e3", nov(3), status="closed", due_at=nov(6), resolved_at=nov(4), closed_at=nov(5))
    e4 = add_case(engine, c1, "e4", nov(2), status="closed", due_at=nov(4), resolved_at=nov(19), closed_at=nov(20))
    add_case(engine, c1, "e5", datetime(2026, 10, 1), status="closed", due_at=datetime(2026, 10, 3),
             resolved_at=datetime(2026, 10, 2), closed_at=datetime(2026, 10, 3))  # fmt: skip
    add_case(engine, c2, "f1", nov(20), status="closed", due_at=nov(22), resolved_at=nov(21), closed_at=nov(21, 12))
    with writing(engine) as s:
        s.execute(update(Event).where(Event.id == e4).values(reopen_count=1))
        lot = ParkingLot(estate_id=c1["estate_id"], code="P-c1", name_zh="一号停车场", name_en="Car park 1",
                         capacity=200, share_window="day", window_start="08:00", window_end="18:00", lat=30.2, lon=120.2)  # fmt: skip
        s.add(lot)
        s.flush()
        for computed, shareable in ((NOW - 2 * DAY, 12), (NOW - DAY, 30)):  # the latest result counts
            s.add(ShareableCapacity(lot_id=lot.id, share_window="day", computed_at=computed, status="published",
                                    shareable=shareable, parameters={}, samples_used=100))  # fmt: skip
        device = Device(code="FP-c1", kind="fire_pump", estate_id=c1["estate_id"], name_zh="消防泵", name_en="Pump",
                        attributes={})  # fmt: skip
        s.add(device)
        s.flush()
        s.add(Alarm(device_id=device.id, alarm_type="pressure_low", severity="critical", status="active",
                    raised_at=NOW - DAY, last_seen_at=NOW - DAY))  # fmt: skip
        s.add(Alarm(device_id=device.id, alarm_type="silent", severity="warning", status="active",
                    raised_at=NOW - DAY, last_seen_at=NOW - DAY))  # fmt: skip
        for month, level in (("2026-09", "green"), ("2026-10", "red")):  # the latest month counts
            s.add(EstateIndex(estate_id=c2["estate_id"], month=month, method_version="v1", value=50.0, coverage=1.0,
                              level=level, turnout=0.5, components={}, computed_at=NOW))  # fmt: skip
    return places


def test_figures_per_community_in_one_query_each(engine):
    places = _known(engine)
    ids = [places[c]["community_id"] for c in ("c1", "c2", "c3")]
    with reading(engine) as s:
        figures = case_figures(s, ids, "2026-11", "2026-11", NOW)
        modules = module_figures(s, ids)
        communities = community_list(s, ids)
        year = case_figures(s, ids, "2025-12", "2026-11", NOW)
    c1, c2, c3 = (figures[i] for i in ids)
    counts = ("new_today", "open", "overdue", "due", "closed", "on_time", "resolved", "reopened")
    assert [c1[k] for k in counts] == [1, 2, 1, 3, 2, 1, 2, 1]
    assert (c1["closed_rate"], c1["on_time_rate"], c1["rework_rate"]) == (2 / 3, 1 / 3, 1 / 2)
    assert [c2[k] for k in counts] == [0, 0, 0, 1, 1, 1, 1, 0] and c2["rework_rate"] == 0
    assert [c3[k] for k in counts] == [0] * 8 and c3["on_time_rate"] is None  # nothing due: no rate
    assert year[ids[0]]["due"] == 4 and year[ids[0]]["on_time"] == 2  # October's e5 counts over the year
    assert modules["parking"][ids[0]] == {"day": 30, "night": 0} and modules["parking"][ids[2]] == {
        "day": 0,
        "night": 0,
    }
    assert modules["red_estates"][ids[1]]["red"] == 1 and modules["red_estates"][ids[0]]["red"] == 0
    assert modules["red_estates"][ids[1]]["month"] == "2026-10"
    assert modules["critical_alarms"] == {ids[0]: 1, ids[1]: 0, ids[2]: 0}  # the warning does not count
    assert [c["street"] for c in communities] == ["st1", "st1", "st2"]
    # a module without data in scope is absent, not a row of zeros
    with reading(engine) as s:
        assert module_figures(s, [ids[2]]) == {"parking": None, "red_estates": None, "critical_alarms": None}
        assert community_by_code(s, [ids[0]], "c2") is None and community_by_code(s, ids, "c2") == ids[1]


def test_ranking_puts_the_best_first_and_the_unrated_last(engine):
    places = _known(engine)
    ids = [places[c]["community_id"] for c in ("c1", "c2", "c3")]
    with reading(engine) as s:
        rows = comparison_rows(community_list(s, ids), case_figures(s, ids, "2026-11", "2026-11", NOW),
                               module_figures(s, ids))  # fmt: skip
    by_on_time = ranked(rows, "on_time_rate")
    assert [(r["code"], r["rank"]) for r in by_on_time] == [("c2", 1), ("c1", 2), ("c3", None)]
    assert [r["code"] for r in ranked(rows, "overdue")] == ["c2", "c3", "c1"]  # fewest overdue first
    assert [r["code"] for r in ranked(rows, "open")][0] == "c1"  # workloads: most first
    total = totals(rows)
    assert (total["due"], total["on_time"], total["on_time_rate"]) == (4, 2, 0.5)  # from the sums, not averaged
    figure = ranking_chart(by_on_time, "on_time_rate", total, "en")
    assert figure.layout.shapes[0].y0 == 50.0  # the overall rate: 2 on time of 4 due
    assert ranking_chart(ranked(rows, "open"), "open", total, "en").layout.shapes[0].y0 == 2 / 3  # mean open
    assert {trace.name for trace in figure.data} == {"Street", "Street Two"}
    assert [row[0] for trace in figure.data for row in trace.customdata] == ["c2", "c1", "c3"]  # by street
    assert list(figure.layout.xaxis.categoryarray) == ["c2", "c1", "c3"]  # bars in ranking order


def test_grid_codes_are_exact_over_several_communities(engine):
    """G1 is in every community: over several, the grid filter and the metrics name it 'COMMUNITY:G1'."""
    places = _known(engine)
    ids = [places["c1"]["community_id"], places["c2"]["community_id"]]
    with reading(engine) as s:
        options = filter_options(s, ids)
        assert {g["value"] for g in options["grids"]} == {"c1:G1", "c2:G1"}
        assert [g["value"] for g in filter_options(s, ids[:1])["grids"]] == ["G1"]  # one community: as before
        everything = case_rows(s, ids, CaseFilter(), NOW)
        only_c2 = case_rows(s, ids, CaseFilter(grid="c2:G1"), NOW)
        whole_c1 = case_rows(s, ids, CaseFilter(grid="c1:"), NOW)
        by_param = case_rows(s, ids, CaseFilter(community="c1", status="open"), NOW)
        foreign = case_rows(s, ids[:1], CaseFilter(grid="c2:G1"), NOW)
        report = closure_report(s, ids, "grid", "2026-11", "2026-11", NOW)
    assert len(everything) == 6 and [r["tracking_code"] for r in only_c2] == ["Tf1"]
    assert len(whole_c1) == 5 and {r["tracking_code"] for r in by_param} == {"Te1", "Te2"}
    assert foreign == []  # a qualified grid never widens the scope
    assert sorted(g["code"] for g in report["groups"]) == ["c1:G1", "c2:G1"]


# --- the pages ---------------------------------------------------------------------------------------------


@pytest.fixture
def web(sqlite_engine, tmp_path):
    from app import create_app

    now = local_now()
    places = _places(sqlite_engine, now)
    add_case(sqlite_engine, places["c1"], "w1", now - timedelta(minutes=20), description="一号社区的事")
    add_case(sqlite_engine, places["c2"], "w2", now - timedelta(hours=2), status="in_progress",
             due_at=now - timedelta(hours=1), description="二号社区的事")  # fmt: skip
    with writing(sqlite_engine) as s:
        s.execute(update(Community).where(Community.code == "c2").values(name_zh="二号社区", name_en="Number Two"))
        s.execute(update(Grid).where(Grid.community_id == places["c2"]["community_id"]).values(name_zh="二号第一网格"))
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": str(sqlite_engine.url)})
    app.server.config["TESTING"] = True
    return app, places


def _login(client, username: str, password: str) -> dict:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert (
        client.post("/login", data={"username": username, "password": password, "csrf_token": token}).status_code == 302
    )
    client.get("/")
    return {"X-CSRFToken": client.get_cookie("_csrf_token").value}


def _post(client, headers: dict, payload: dict):
    return client.post("/_dash-update-component", json=payload, headers=headers)


def _route(client, headers: dict, path: str, search: str = "") -> str:
    response = _post(client, headers, {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": path},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"], "state": [],
    })  # fmt: skip
    assert response.status_code == 200
    return json.dumps(response.get_json(), ensure_ascii=False)


def _layout(client) -> str:
    return json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)


def _find(node, component_id: str):  # noqa: ANN001, ANN202
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        children = node["props"].get("children") if "props" in node else list(node.values())
        return _find(children, component_id)
    if isinstance(node, list):
        for item in node:
            found = _find(item, component_id)
            if found is not None:
                return found
    return None


def test_community_users_get_a_note_street_users_the_view(web):
    app, _places = web
    worker = app.server.test_client()
    headers = _login(worker, "c1_secretary", "pw-secretary")
    assert "nav-compare" not in _layout(worker)
    page = _route(worker, headers, "/compare")
    assert "cmp-single" in page and "cmp-table" not in page and "二号社区" not in page
    click = {"points": [{"customdata": ["c2", "二号社区"]}]}
    refused = _post(worker, headers, {"output": "cmp-nav.href", "outputs": {"id": "cmp-nav", "property": "href"},
                                      "inputs": [{"id": "cmp-chart", "property": "clickData", "value": click}],
                                      "changedPropIds": ["cmp-chart.clickData"], "state": []})  # fmt: skip
    assert refused.status_code in (200, 204) and "community=c2" not in refused.get_data(as_text=True)

    street = app.server.test_client()
    headers = _login(street, "street_st1", "pw-street")
    assert "nav-compare" in _layout(street)
    page = _route(street, headers, "/compare")
    assert "cmp-table" in page and "cmp-chart" in page and "二号社区" in page and "社区c1" in page
    assert "社区c3" not in page  # another street
    assert "/?community=c2" in page and "/governance?community=c2&status=open" in page
    assert "cmp-street" not in page  # one street: nothing to choose
    response = _post(street, headers, {"output": "cmp-nav.href", "outputs": {"id": "cmp-nav", "property": "href"},
                                       "inputs": [{"id": "cmp-chart", "property": "clickData", "value": click}],
                                       "changedPropIds": ["cmp-chart.clickData"], "state": []})  # fmt: skip
    assert response.get_json()["response"]["cmp-nav"]["href"] == "/?community=c2"
    click["points"][0]["customdata"] = ["c3", "x"]
    outside = _post(street, headers, {"output": "cmp-nav.href", "outputs": {"id": "cmp-nav", "property": "href"},
                                      "inputs": [{"id": "cmp-chart", "property": "clickData", "value": click}],
                                      "changedPropIds": ["cmp-chart.clickData"], "state": []})  # fmt: skip
    assert "community=c3" not in outside.get_data(as_text=True)


def test_district_users_filter_by_street(web):
    app, _places = web
    client = app.server.test_client()
    headers = _login(client, "district_viewer", "pw-district")
    page = _route(client, headers, "/compare")
    assert "cmp-street" in page and "cmp-streets" in page and "社区c3" in page and "二号社区" in page
    page = _route(client, headers, "/compare", "?street=st2&sort=overdue&period=12m")
    assert "社区c3" in page and "二号社区" not in page and "cmp-streets" not in page
    page = _route(client, headers, "/compare", "?street=nowhere")  # an unknown street is no filter
    assert "社区c3" in page and "二号社区" in page


def test_the_drill_down_narrows_hotspots_and_the_case_grid_to_one_community(web):
    app, places = web
    client = app.server.test_client()
    headers = _login(client, "street_st1", "pw-street")
    page = _route(client, headers, "/", "?community=c2")
    assert "scope-banner" in page and "二号社区" in page and "hot-body-one" in page
    assert "/governance?overdue=1&community=c2" in page
    assert "/governance?overdue=1&community=c1" not in page
    assert _find(json.loads(page), "kpi-overdue-value")["props"]["children"] == "1"  # w2, c2's only
    c1_page = json.loads(_route(client, headers, "/", "?community=c1"))
    assert _find(c1_page, "kpi-overdue-value")["props"]["children"] == "0"
    refreshed = _post(
        client, headers, hotspot_payload("hot-body-one", state=[{"id": "hot-one", "property": "data", "value": "c2"}])
    )
    assert "kpi-overdue" in refreshed.get_data(as_text=True)
    pick = _post(client, headers, {"output": "hot-nav.href", "outputs": {"id": "hot-nav", "property": "href"},
                                   "inputs": [{"id": "hot-community", "property": "value", "value": "c1"}],
                                   "changedPropIds": ["hot-community.value"], "state": []})  # fmt: skip
    assert pick.get_json()["response"]["hot-nav"]["href"] == "/?community=c1"
    outside = _post(client, headers, {"output": "hot-nav.href", "outputs": {"id": "hot-nav", "property": "href"},
                                      "inputs": [{"id": "hot-community", "property": "value", "value": "c3"}],
                                      "changedPropIds": ["hot-community.value"], "state": []})  # fmt: skip
    assert outside.get_json()["response"]["hot-nav"]["href"] == "/"

    # the case grid: the community preset from the URL, its grids only, and the rows of that community
    page = json.loads(_route(client, headers, "/governance", "?community=c2&status=open"))
    assert _find(page, "gov-community")["props"]["value"] == "c2"
    grid = _find(page, "gov-grid")["props"]
    assert grid["value"] == "c2:" and {o["value"] for o in grid["options"]} == {"c2:", "c2:G1"}
    names = ("status", "grade", "category", "grid", "source", "period", "overdue", "level")
    inputs = [{"id": f"gov-{n}", "property": "value", "value": _find(page, f"gov-{n}")["props"].get("value")}
              for n in names]  # fmt: skip
    inputs.append({"id": "gov-drill", "property": "data", "value": {}})
    rows = _post(client, headers, {"output": "..gov-grid-table.rowData...gov-count.children..",
                                   "outputs": [{"id": "gov-grid-table", "property": "rowData"},
                                               {"id": "gov-count", "property": "children"}],
                                   "inputs": inputs, "changedPropIds": ["gov-status.value"], "state": []})  # fmt: skip
    codes = [r["code"] for r in rows.get_json()["response"]["gov-grid-table"]["rowData"]]
    assert codes == ["Tw2"]
    chosen = _post(client, headers, {"output": "..gov-grid.options...gov-grid.value..",
                                     "outputs": [{"id": "gov-grid", "property": "options"},
                                                 {"id": "gov-grid", "property": "value"}],
                                     "inputs": [{"id": "gov-community", "property": "value", "value": "c1"}],
                                     "changedPropIds": ["gov-community.value"],
                                     "state": [{"id": "gov-grid", "property": "value", "value": "c2:G1"}]})  # fmt: skip
    options, value = (chosen.get_json()["response"]["gov-grid"][k] for k in ("options", "value"))
    assert value == "c1:" and {o["value"] for o in options} == {"c1:", "c1:G1"}

    # a community user's grid keeps its bare codes, and a community filter outside their scope finds nothing
    worker = app.server.test_client()
    headers = _login(worker, "c1_grid_worker", "pw-grid_worker")
    page = json.loads(_route(worker, headers, "/governance", "?community=c2"))
    assert _find(page, "gov-grid")["props"]["value"] is None
    assert [o["value"] for o in _find(page, "gov-grid")["props"]["options"]] == ["G1"]
    assert "二号" not in _route(worker, headers, "/", "?community=c2")


def test_metrics_grid_drill_downs_are_exact_for_a_street_user(web):
    app, _places = web
    client = app.server.test_client()
    headers = _login(client, "street_st1", "pw-street")
    page = _route(client, headers, "/governance/metrics", "?period=month&dimension=grid")
    grids = {dict(parse_qsl(urlsplit(h).query))["grid"] for h in re.findall(r'/governance\?grid=[^"]+', page)}
    assert grids == {"c1:G1", "c2:G1"}  # each group drills down to its own community's grid
