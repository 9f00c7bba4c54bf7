"""The staff hotspots page (/): the wall's hotspot data with category, grade and estate filters, and a
drill-down from every tile, plan marker and trend row to the case grid showing the same cases."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest

from app import create_app
from data_access.clock import local_now
from data_access.db import writing
from data_access.models import Building, Estate
from tests.factories import add_case, tiny_community
from tests.test_metrics import _find, _grid_count, _login, _post, _route
from tests.test_web import hotspot_payload


@pytest.fixture
def hot(sqlite_engine, tmp_path):
    """Community c1 with two estates: e1 has an open routine garbage case, an overdue urgent fire-lane case
    and a closed garbage case; e2 an open priority noise case. Community c2 has a case of its own."""
    place = tiny_community(sqlite_engine)
    with writing(sqlite_engine) as s:
        estate = Estate(community_id=place["community_id"], grid_id=place["grid_id"], code="e2", name_zh="小区二",
                        name_en="Estate Two", kind="residential", lat=30.201, lon=120.201)  # fmt: skip
        s.add(estate)
        s.flush()
        building = Building(estate_id=estate.id, grid_id=place["grid_id"], code="1", name_zh="小区二1幢",
                            name_en="Estate Two B1", floors=6, units=1, lat=30.201, lon=120.201)  # fmt: skip
        s.add(building)
        s.flush()
        second = {**place, "estate_id": estate.id, "building_id": building.id}
    now = local_now()
    cases = {
        "garbage": add_case(sqlite_engine, place, "h1", now - timedelta(minutes=20)),
        "fire_lane": add_case(sqlite_engine, place, "h2", now - timedelta(minutes=40), grade="urgent",
                              category="fire_lane_blocked", due_at=now - timedelta(minutes=10)),
        "closed": add_case(sqlite_engine, place, "h3", now - timedelta(days=2), status="closed",
                           resolved_at=now - timedelta(days=2), closed_at=now - timedelta(days=1)),
        "noise": add_case(sqlite_engine, second, "h4", now - timedelta(minutes=30), status="in_progress",
                          grade="priority", category="noise"),
    }  # fmt: skip
    other = tiny_community(sqlite_engine, "c2")
    cases["other"] = add_case(sqlite_engine, other, "h5", now - timedelta(minutes=5), grade="urgent")
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": str(sqlite_engine.url)})
    app.server.config["TESTING"] = True
    client = app.server.test_client()
    headers = _login(client, "c1_secretary", "pw-secretary")
    return client, headers, cases


def _refresh(client, headers, **filters) -> list:
    response = _post(client, hotspot_payload(filters=filters), headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.get_json()["response"]["hot-body"]["children"]


def _value(body, tile_id: str) -> str:
    return _find(body, f"{tile_id}-value")["props"]["children"]


def _href(body, tile_id: str) -> str:
    return _find(body, f"{tile_id}-link")["props"]["href"]


def _case_links(body) -> set[int]:
    return {int(n) for n in re.findall(r'"/governance/case/(\d+)"', json.dumps(body))}


def _marker_ids(body) -> list[int]:
    traces = _find(body, "hot-plan")["props"]["figure"]["data"]
    return sorted(i for trace in traces if trace.get("mode") == "markers" for i in trace.get("customdata", []))


def test_unfiltered_the_page_shows_the_whole_community_and_only_it(hot):
    client, headers, cases = hot
    body = _refresh(client, headers)
    assert _value(body, "kpi-open") == "3" and _value(body, "kpi-overdue") == "1"
    assert _case_links(body) == {cases["garbage"], cases["fire_lane"], cases["closed"], cases["noise"]}  # no c2 case
    assert _marker_ids(body) == sorted([cases["garbage"], cases["fire_lane"], cases["noise"]])  # open ones only
    trend = json.dumps(_find(body, "hot-category-trend"), ensure_ascii=False)
    assert "垃圾分类" in trend or "垃圾" in trend
    for tile_id, path in (("kpi-parking", "/parking"), ("kpi-red-estates", "/estate-index"),
                          ("kpi-critical-alarms", "/data/devices")):  # fmt: skip
        assert _href(body, tile_id).startswith(path)


def test_a_grade_filter_narrows_tiles_feed_plan_and_trend(hot):
    client, headers, cases = hot
    body = _refresh(client, headers, grade="urgent")
    assert _value(body, "kpi-open") == "1" and _value(body, "kpi-overdue") == "1"
    assert _case_links(body) == {cases["fire_lane"]}
    assert _marker_ids(body) == [cases["fire_lane"]]
    rows = _find(body, "hot-category-trend")
    assert len(_find(rows, "hot-category-trend")["props"]["children"][1]["props"]["children"]) == 1  # one category
    assert "grade=urgent" in _href(body, "kpi-open") and "grade=urgent" in _href(body, "kpi-overdue")


def test_a_category_and_an_estate_filter_narrow_the_cases(hot):
    client, headers, cases = hot
    body = _refresh(client, headers, category="garbage")
    assert _value(body, "kpi-open") == "1"
    assert _case_links(body) == {cases["garbage"], cases["closed"]}
    body = _refresh(client, headers, estate="e2")
    assert _value(body, "kpi-open") == "1" and _value(body, "kpi-overdue") == "0"
    assert _case_links(body) == {cases["noise"]} and _marker_ids(body) == [cases["noise"]]


@pytest.mark.parametrize(
    ("filters", "tile_id"),
    [({}, "kpi-open"), ({}, "kpi-overdue"), ({"grade": "urgent"}, "kpi-open"), ({"estate": "e2"}, "kpi-open"),
     ({"category": "garbage"}, "kpi-open"), ({}, "kpi-on-time")],
)  # fmt: skip
def test_every_case_tile_opens_a_grid_of_as_many_cases_as_it_counts(hot, filters, tile_id):
    client, headers, _cases = hot
    body = _refresh(client, headers, **filters)
    href = _href(body, tile_id)
    assert href.startswith("/governance?")
    count = _grid_count(client, headers, href)
    if tile_id == "kpi-on-time":  # the grid of the cases due to close this month, the rate's denominator
        due = re.search(r"应结 (\d+)", json.dumps(_find(body, "kpi-on-time"), ensure_ascii=False)).group(1)
        assert re.sub(r"\D", "", count) == due
    else:
        assert re.sub(r"\D", "", count) == _value(body, tile_id), (href, count)


def test_a_marker_opens_the_open_cases_of_its_estate_and_a_foreign_case_opens_nothing(hot):
    client, headers, cases = hot

    output = next(cb["output"] for cb in client.get("/_dash-dependencies").get_json()
                  if any(i["id"] == "hot-plan" for i in cb["inputs"]))  # fmt: skip

    def click(case_id, category=None, grade=None):
        return _post(client, {
            "output": output, "outputs": {"id": "hot-nav", "property": output.split(".", 1)[1]},
            "inputs": [{"id": "hot-plan", "property": "clickData", "value": {"points": [{"customdata": case_id}]}}],
            "changedPropIds": ["hot-plan.clickData"],
            "state": [{"id": "hot-category", "property": "value", "value": category},
                      {"id": "hot-grade", "property": "value", "value": grade}],
        }, headers)  # fmt: skip

    response = click(cases["noise"], grade="priority")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    href = response.get_json()["response"]["hot-nav"]["href"]
    assert dict(parse_qsl(urlsplit(href).query)) == {"estate": "e2", "status": "open", "grade": "priority"}
    assert re.sub(r"\D", "", _grid_count(client, headers, href)) == "1"

    def navigates(response) -> bool:
        return response.status_code == 200 and "hot-nav" in (response.get_json() or {}).get("response", {})

    assert not navigates(click(cases["other"]))  # c2's case: not the secretary's, so no link
    assert not navigates(click("1 OR 1=1"))
    assert navigates(click(cases["garbage"]))


def test_filters_preset_from_the_url_and_the_drill_down_note_names_the_estate(hot):
    client, headers, cases = hot
    page = json.loads(_route(client, headers, "/", "?grade=urgent&estate=e1"))
    assert _find(page, "hot-grade")["props"]["value"] == "urgent"
    assert _find(page, "hot-estate")["props"]["value"] == "e1"
    assert _value(page, "kpi-open") == "1"
    grid = _route(client, headers, "/governance", "?estate=e2&status=open")
    assert "小区二" in json.dumps(_find(json.loads(grid), "gov-drill-alert"), ensure_ascii=False)
    assert "/governance/metrics" not in json.dumps(_find(json.loads(grid), "gov-drill-alert"))


def test_the_page_speaks_both_languages(hot):
    client, headers, _cases = hot
    zh = _route(client, headers, "/")
    assert "社区平面图" in zh and "小区 / 园区" in zh and "各类事件" in zh
    client.get("/lang/en")
    en = _route(client, headers, "/")
    assert "Site plan" in en and "Estate or park" in en and "Cases per category" in en and "社区平面图" not in en


def test_long_english_estate_names_break_in_two_on_the_site_plan():
    from components.site_plan import plan_label

    # side by side on the plan, the one-line names ran into each other at 1440 px
    assert plan_label("Fengshang Blue Bay") == "Fengshang<br>Blue Bay"
    assert plan_label("Yitian Plaza") == "Yitian<br>Plaza"
    assert plan_label("Eastcom Park") == "Eastcom<br>Park"
    assert plan_label("风尚蓝湾") == "风尚蓝湾" and plan_label("Zhicheng") == "Zhicheng"
