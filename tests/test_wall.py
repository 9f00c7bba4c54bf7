"""The wall screen (/wall): the device token at the door and in every callback, the playlist options,
what the views show (and never show), pop-ups, Patch updates, the shared view cache."""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select, update

from app import create_app
from data_access.clock import local_now
from data_access.db import writing
from data_access.models import Alarm, ApiToken, Device, Event, Household, Resident
from data_access.shared_state import MemoryState, RedisState
from data_access.tokens import issue_token, revoke_token
from data_access.view_cache import ViewCache
from domain.parking import LotSettings, window_open
from domain.wall import WallOptionError, is_spike, parse_views, resolve_options
from pages import wall as wall_page
from tests.factories import add_case, tiny_community

DEFAULTS = {"views": "hotspots,governance,parking,index,iot", "rotate": 20, "refresh": 10, "lang": "zh"}
SECRET_NAME = "张三丰"
SECRET_PHONE = "13812345678"


# --- rules --------------------------------------------------------------------------------------------------


def test_the_address_wins_over_the_token_setting_which_wins_over_the_default():
    stored = {"views": "parking,index", "rotate": 30, "lang": "en"}
    assert resolve_options({}, None, DEFAULTS).views == ("hotspots", "governance", "parking", "index", "iot")
    from_token = resolve_options({}, stored, DEFAULTS)
    assert (from_token.views, from_token.rotate_seconds, from_token.lang) == (("parking", "index"), 30, "en")
    from_url = resolve_options({"views": "iot", "rotate": "7", "lang": "zh"}, stored, DEFAULTS)
    assert (from_url.views, from_url.rotate_seconds, from_url.lang) == (("iot",), 7, "zh")


@pytest.mark.parametrize(
    ("query", "code"),
    [({"views": "hotspots,weather"}, "views"), ({"views": "iot,iot"}, "views"), ({"views": ","}, "views"),
     ({"rotate": "2"}, "rotate"), ({"rotate": "abc"}, "rotate"), ({"refresh": "0"}, "refresh"),
     ({"lang": "fr"}, "lang")],
)  # fmt: skip
def test_unusable_options_are_refused_with_the_field_named(query, code):
    with pytest.raises(WallOptionError) as refused:
        resolve_options(query, None, DEFAULTS)
    assert refused.value.code == code
    assert parse_views(" parking , index ") == ("parking", "index")


def test_a_spike_is_well_above_the_usual_level_and_more_than_a_case_or_two():
    quiet = [1, 0, 2, 1, 1, 0, 1] * 4
    assert not is_spike(2, quiet)  # two cases in a quiet category is not an alarm
    assert is_spike(9, quiet)
    assert not is_spike(9, [8, 10, 9, 11] * 7)  # busy as usual
    assert not is_spike(50, [])  # no history, no judgement


def test_sharing_windows_open_by_the_clock():
    day = LotSettings(capacity=100, share_window="day", window_start="08:00", window_end="18:00")
    night = LotSettings(capacity=100, share_window="night", window_start="18:00", window_end="08:00")
    wednesday = datetime(2026, 11, 25)
    assert window_open(wednesday.replace(hour=10), day) and not window_open(wednesday.replace(hour=19), day)
    assert window_open(wednesday.replace(hour=23), night) and window_open(wednesday.replace(hour=7), night)
    assert not window_open(datetime(2026, 11, 28, 10), day)  # Saturday
    assert window_open(datetime(2026, 11, 28, 3), night)  # Friday night runs into Saturday
    assert not window_open(datetime(2026, 11, 29, 3), night)  # Saturday night does not open (weekdays only)


# --- the view cache --------------------------------------------------------------------------------------------


def _count_computations(cache: ViewCache, callers: int) -> tuple[int, list]:
    computed = []
    results = []

    def compute():
        computed.append(1)
        time.sleep(0.05)  # long enough that every caller arrives while it runs
        return {"n": 42, "at": datetime(2026, 1, 1)}

    threads = [
        threading.Thread(target=lambda: results.append(cache.get("v", "scope", 60, compute))) for _ in range(callers)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return len(computed), results


def test_many_screens_asking_at_once_cost_one_computation():
    computed, results = _count_computations(ViewCache(MemoryState()), 50)
    assert computed == 1
    assert all(r == {"n": 42, "at": "2026-01-01 00:00:00"} for r in results)


def test_a_new_interval_computes_again():
    clock = [1000.0]
    cache = ViewCache(MemoryState(clock=lambda: clock[0]), clock=lambda: clock[0])
    calls = []
    cache.get("v", "s", 10, lambda: calls.append(1) or len(calls))
    cache.get("v", "s", 10, lambda: calls.append(1) or len(calls))
    clock[0] += 10
    assert cache.get("v", "s", 10, lambda: calls.append(1) or len(calls)) == 2
    assert cache.get("v", "other scope", 10, lambda: calls.append(1) or len(calls)) == 3


def test_workers_sharing_redis_share_one_computation():
    import os

    url = os.environ.get("COCKPIT_TEST_REDIS_URL")
    if not url:
        pytest.skip("no COCKPIT_TEST_REDIS_URL (make test starts a throwaway Redis)")
    prefix = f"walltest{time.time_ns()}:"
    workers = [ViewCache(RedisState(url, prefix=prefix)) for _ in range(3)]  # three "gunicorn workers"
    computed = []
    results = []

    def compute():
        computed.append(1)
        time.sleep(0.1)
        return [1, 2, 3]

    threads = [
        threading.Thread(target=lambda c=c: results.append(c.get("v", "s", 30, compute)))
        for c in workers
        for _ in range(5)
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(computed) == 1 and results == [[1, 2, 3]] * 15


def test_a_view_is_computed_ahead_of_its_next_interval_while_screens_ask():
    clock = [1000.0]
    cache = ViewCache(MemoryState(clock=lambda: clock[0]), clock=lambda: clock[0], thread=False)
    calls = []

    def compute():
        calls.append(clock[0])
        return len(calls)

    assert cache.get("v", "s", 10, compute, ahead=True) == 1
    clock[0] = 1005.0
    cache.run_ahead()  # not due yet: the next bucket starts at 1010
    assert len(calls) == 1
    clock[0] = 1010.0 - cache.lead(("v", "s", 10.0)) + 0.01
    cache.run_ahead()
    assert len(calls) == 2  # computed before its bucket starts ...
    clock[0] = 1010.5
    assert cache.get("v", "s", 10, compute, ahead=True) == 2  # ... so the first screen to ask finds it ready
    assert len(calls) == 2
    clock[0] = 1045.0  # nobody asked for two intervals: the screens have gone, nothing is computed ahead
    cache.run_ahead()
    clock[0] = 1049.9
    cache.run_ahead()
    assert len(calls) == 2


def test_short_intervals_and_plain_gets_are_never_computed_ahead():
    clock = [1000.0]
    cache = ViewCache(MemoryState(clock=lambda: clock[0]), clock=lambda: clock[0], thread=False)
    calls = []
    cache.get("alerts", "s", 3, lambda: calls.append(1), ahead=True)  # the pop-up poll: computed when asked
    cache.get("v", "s", 10, lambda: calls.append(1))
    clock[0] = 1009.9
    cache.run_ahead()
    assert len(calls) == 2


# --- the app -------------------------------------------------------------------------------------------------


@pytest.fixture
def walls(sqlite_engine, tmp_path):
    """Two communities, each with an urgent case that carries personal data in its text and contact,
    a resident with a name and phone, and a device; a wall token for each community."""
    now = local_now()
    a = tiny_community(sqlite_engine, "ca", now=now)
    b = tiny_community(sqlite_engine, "cb", now=now)
    cases = {}
    for place, code in ((a, "ca"), (b, "cb")):
        cases[code] = add_case(
            sqlite_engine, place, f"wall-{code}", now - timedelta(minutes=2), grade="urgent", category="elevator_fault",
            description=f"{SECRET_NAME}被困电梯，电话{SECRET_PHONE}",
        )  # fmt: skip
    with writing(sqlite_engine) as s:
        s.execute(update(Event).values(reporter_contact=SECRET_PHONE))
        household = Household(building_id=a["building_id"], external_id="H1", unit=1, room="101", size=1)
        s.add(household)
        s.flush()
        s.add(Resident(household_id=household.id, external_id="R1", name=SECRET_NAME, phone=SECRET_PHONE,
                       birth_year=1950, gender="F", nationality="CN", languages="zh"))  # fmt: skip
        s.add(Device(code="EL-ca-1", kind="elevator", estate_id=a["estate_id"], building_id=a["building_id"],
                     name_zh="1幢1号电梯", name_en="Lift 1", attributes={}))  # fmt: skip
        s.flush()
        device = s.scalar(select(Device.id).where(Device.code == "EL-ca-1"))
        s.add(Alarm(device_id=device, alarm_type="trapped_passenger", severity="critical", status="active",
                    acknowledged=False, raised_at=now - timedelta(minutes=1), last_seen_at=now))  # fmt: skip
        tokens = {
            "a": issue_token(s, "wall", "screen A", now, community_id=a["community_id"]),
            "b": issue_token(s, "wall", "screen B", now, community_id=b["community_id"]),
        }
    app = create_app(
        {
            "instance_dir": str(tmp_path),
            "database_url": str(sqlite_engine.url),
            "run_scheduler": False,
            "wall_alert_poll_seconds": 1,
            "wall_refresh_seconds": 1,
        }  # fmt: skip
    )
    return {"app": app, "engine": sqlite_engine, "a": a, "b": b, "tokens": tokens, "cases": cases}


def _client(walls, token: str | None):
    client = walls["app"].server.test_client()
    if token:
        assert client.get(f"/wall/?token={token}").status_code == 200
    return client


def _call(client, outputs, inputs, state=()):
    payload = {
        "output": "...".join(f"{i}.{p}" for i, p in outputs),
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": i, "property": p, "value": v} for i, p, v in inputs],
        "changedPropIds": [f"{inputs[0][0]}.{inputs[0][1]}"],
        "state": [{"id": i, "property": p, "value": v} for i, p, v in state],
    }
    if len(outputs) > 1:
        payload["output"] = ".." + payload["output"] + ".."
    return client.post("/wall/_dash-update-component", json=payload)


def _build(client, search: str = "", scale=1):
    return _call(
        client,
        [("wall-root-body", "children"), ("wall-boot", "disabled")],
        [("wall-scale", "data", scale), ("wall-boot", "n_intervals", None)],
        [("wall-url", "search", search)],
    )


def _stores(build_json: dict) -> dict:
    """Every dcc.Store in a built screen: id -> data (what the browser would send back as State)."""
    found = {}

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "Store" and "id" in node.get("props", {}):
                found[node["props"]["id"]] = node["props"].get("data")
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(build_json)
    return found


def _text(response) -> str:
    """A callback's answer as the browser reads it (JSON escapes decoded)."""
    return json.dumps(response.get_json(), ensure_ascii=False) if response.status_code == 200 else ""


def _every_wall_response(client) -> list[str]:
    """The screen and one refresh of every view and of the pop-up, as the browser would ask for them."""
    built = _build(client, "?refresh=1")
    assert built.status_code == 200
    stores = _stores(built.get_json())
    config = stores["wall-config"]
    out = [_text(built)]
    out.append(_text(_call(
        client,
        [("wall-tiles", "children"), ("wall-feed", "children"), ("wall-feed-state", "data"), ("wall-plan", "figure"),
         ("wall-plan-state", "data"), ("wall-trend", "figure"), ("wall-trend-list", "children"),
         ("wall-trend-state", "data"), ("wall-asof-hotspots", "children")],
        [("wall-refresh-hotspots", "n_intervals", 1)],
        [("wall-config", "data", config), ("wall-scale", "data", 1), ("wall-feed-state", "data", None),
         ("wall-plan-state", "data", None), ("wall-plan-geometry", "data", stores["wall-plan-geometry"]),
         ("wall-trend-state", "data", None)],
    )))  # fmt: skip
    out.append(_text(_call(
        client,
        [("wall-parking-bigs", "children"), ("wall-parking-lots", "children"), ("wall-digest-parking", "data"),
         ("wall-tide", "figure"), ("wall-tide-state", "data"), ("wall-asof-parking", "children")],
        [("wall-refresh-parking", "n_intervals", 1)],
        [("wall-config", "data", config), ("wall-scale", "data", 1), ("wall-digest-parking", "data", None),
         ("wall-tide-state", "data", None)],
    )))  # fmt: skip
    for view in ("governance", "index", "iot"):
        out.append(_text(_call(
            client,
            [(f"wall-body-{view}", "children"), (f"wall-digest-{view}", "data"), (f"wall-asof-{view}", "children")],
            [(f"wall-refresh-{view}", "n_intervals", 1)],
            [("wall-config", "data", config), ("wall-scale", "data", 1), (f"wall-digest-{view}", "data", None)],
        )))  # fmt: skip
    out.append(_text(_poll(client, config, None)))
    return [o for o in out if o]


def _poll(client, config, digest):
    return _call(
        client,
        [("wall-popup", "children"), ("wall-popup", "className"), ("wall-alert-digest", "data")],
        [("wall-alert-poll", "n_intervals", 1)],
        [("wall-config", "data", config), ("wall-alert-digest", "data", digest)],
    )


def test_the_door_refuses_a_missing_wrong_or_revoked_token(walls):
    client = _client(walls, None)
    assert client.get("/wall").status_code == 308  # to /wall/, the address kept
    missing = client.get("/wall/")
    assert missing.status_code == 401 and "缺少大屏令牌" in missing.get_data(as_text=True)
    assert client.get("/wall/?token=ckw_nonsense&lang=en").status_code == 403
    assert "revoked" in client.get("/wall/?token=ckw_nonsense&lang=en").get_data(as_text=True)
    assert _build(client).status_code == 401  # no token: no callback, no data
    good = _client(walls, walls["tokens"]["a"])
    assert _build(good).status_code == 200
    with writing(walls["engine"]) as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.name == "screen A"))
        revoke_token(s, token_id, local_now())
    refused = _build(good)  # the cookie still holds it; the store says no at the next refresh
    assert refused.status_code == 403 and b"revoked" in refused.data
    assert good.get("/wall/").status_code in (401, 403)  # the refusal also dropped the cookie


def test_a_wall_token_opens_nothing_but_the_wall(walls):
    client = _client(walls, walls["tokens"]["a"])
    assert client.get("/").status_code == 302  # the staff pages want a login
    staff_callback = client.post("/_dash-update-component", json={"output": "hot-body.children"})
    assert staff_callback.status_code == 401
    assert client.get("/api/v1/estate-index").status_code == 401  # the machine API wants a Bearer header
    assert client.post("/api/v1/telemetry", json={"readings": []}).status_code == 401


def test_a_staff_session_is_not_a_wall_device(walls):
    client = walls["app"].server.test_client()
    with client.session_transaction() as session:
        session["uid"] = walls["a"]["users"]["admin"]
    assert client.get("/wall/").status_code == 401
    assert _build(client).status_code == 401


def test_no_personal_field_reaches_the_wall_not_even_hidden(walls):
    client = _client(walls, walls["tokens"]["a"])
    responses = _every_wall_response(client)
    assert len(responses) >= 6
    text = "\n".join(responses)
    assert "紧急事件" in text and "电梯故障" in text  # the urgent case is there: as category, place, time
    assert SECRET_NAME not in text and SECRET_PHONE not in text
    # no phone-like number at all; digits inside a float or a hex digest (the wall's state stores) are not one
    assert not re.search(r"(?<![0-9a-f.])1[3-9]\d{9}(?![0-9a-f])", text)
    for field in ("description", "reporter_contact", "holder", "display_name", "plate", "applicant"):
        assert f'"{field}"' not in text, field


def test_a_community_wall_shows_nothing_of_another_community(walls):
    client = _client(walls, walls["tokens"]["a"])
    text = "\n".join(_every_wall_response(client))
    assert "社区ca" in text and "社区cb" not in text
    built = _stores(_build(client).get_json())
    # the feed of A holds A's case only
    assert built["wall-feed-state"]["keys"].count(f"c{walls['cases']['ca']}") == 1
    assert f"c{walls['cases']['cb']}" not in built["wall-feed-state"]["keys"]


def test_a_district_wall_sees_every_community(walls):
    with writing(walls["engine"]) as s:
        token = issue_token(s, "wall", "district", local_now())
    stores = _stores(_build(_client(walls, token)).get_json())
    keys = stores["wall-feed-state"]["keys"]
    assert f"c{walls['cases']['ca']}" in keys and f"c{walls['cases']['cb']}" in keys


def test_both_languages_and_the_playlist_come_from_the_address(walls):
    client = _client(walls, walls["tokens"]["a"])
    zh = _text(_build(client, "?views=iot,hotspots&rotate=8"))
    assert "安全与物联" in zh and "热点总览" in zh and "治理闭环" not in zh
    stores = _stores(json.loads(zh))
    assert stores["wall-config"]["views"] == ["iot", "hotspots"] and stores["wall-config"]["rotate"] == 8
    en = _text(_build(client, "?lang=en"))
    assert "Governance loop" in en and "Data as of" in en and "治理闭环" not in en
    bad = _text(_build(client, "?views=weather&lang=en"))
    assert "wrong setting" in bad and "weather" in bad


def test_the_token_setting_chooses_the_playlist_when_the_address_does_not(walls):
    with writing(walls["engine"]) as s:
        s.execute(
            update(ApiToken).where(ApiToken.name == "screen A").values(settings={"views": "parking", "lang": "en"})
        )
    stores = _stores(_build(_client(walls, walls["tokens"]["a"])).get_json())
    assert stores["wall-config"]["views"] == ["parking"] and stores["wall-config"]["lang"] == "en"


def test_an_urgent_case_and_a_critical_alarm_pop_up_until_acknowledged(walls):
    client = _client(walls, walls["tokens"]["a"])
    config = _stores(_build(client).get_json())["wall-config"]
    shown = _poll(client, config, None).get_json()["response"]
    assert shown["wall-popup"]["className"] == "wall-popup shown"
    popup = json.dumps(shown["wall-popup"]["children"], ensure_ascii=False)
    assert "紧急事件" in popup and "电梯故障" in popup and "严重告警" in popup
    digest = shown["wall-alert-digest"]["data"]
    unchanged = _poll(client, config, digest)
    assert unchanged.status_code == 204  # nothing new: nothing sent
    with writing(walls["engine"]) as s:  # the grid worker accepts the case, staff acknowledge the alarm
        s.execute(update(Event).where(Event.id == walls["cases"]["ca"]).values(status="in_progress"))
        s.execute(update(Alarm).values(acknowledged=True))
    time.sleep(1.1)  # the next poll interval (1 s in this app)
    gone = _poll(client, config, digest).get_json()["response"]
    assert gone["wall-popup"]["className"] == "wall-popup" and gone["wall-popup"]["children"] == []


def test_an_old_unaccepted_case_stops_popping_up_after_the_set_time(walls):
    with writing(walls["engine"]) as s:
        s.execute(update(Event).values(reported_at=local_now() - timedelta(minutes=31)))
        s.execute(update(Alarm).values(raised_at=local_now() - timedelta(minutes=31)))
    client = _client(walls, walls["tokens"]["a"])
    config = _stores(_build(client).get_json())["wall-config"]
    assert _poll(client, config, None).get_json()["response"]["wall-popup"]["children"] == []


def _fixed_clock(walls):
    """The app's view cache on a clock that stays in one bucket, so two builds share it for sure."""
    cache = walls["app"].server.extensions["cockpit"]["view_cache"]
    cache.clock = lambda: 60_000.0 * 1000 + 1
    return cache


def test_a_second_screen_booting_in_the_same_interval_gets_the_built_screen_without_a_rebuild(walls):
    cache = _fixed_clock(walls)
    first = _build(_client(walls, walls["tokens"]["a"]), "?refresh=60")
    computed = dict(cache.computed)
    assert computed["layout"] == 1 and computed["plan"] == 1 and computed["hotspots"] == 1
    second = _build(_client(walls, walls["tokens"]["a"]), "?refresh=60")
    assert second.status_code == 200 and second.get_json() == first.get_json()
    assert dict(cache.computed) == computed  # nothing built or computed again
    _build(_client(walls, walls["tokens"]["a"]), "?refresh=60&lang=en")  # other options: its own screen
    assert cache.computed["layout"] == 2 and cache.computed["hotspots"] == 1
    other = _build(_client(walls, walls["tokens"]["b"]), "?refresh=60")  # another community: its own screen
    assert cache.computed["layout"] == 3
    keys = _stores(other.get_json())["wall-feed-state"]["keys"]
    assert f"c{walls['cases']['cb']}" in keys and f"c{walls['cases']['ca']}" not in keys


def test_a_revoked_token_is_refused_although_its_screen_is_built_and_cached(walls):
    cache = _fixed_clock(walls)
    kept = _client(walls, walls["tokens"]["a"])
    assert _build(kept, "?refresh=60").status_code == 200
    assert cache.computed["layout"] == 1
    with writing(walls["engine"]) as s:
        revoke_token(s, s.scalar(select(ApiToken.id).where(ApiToken.name == "screen A")), local_now())
    refused = _build(kept, "?refresh=60")  # the cached screen is there; the door still asks the store
    assert refused.status_code == 403 and b"revoked" in refused.data and b"wall-screen" not in refused.data
    assert _build(_client(walls, None), "?refresh=60").status_code == 401


def test_the_site_plan_is_sent_as_a_few_traces_with_every_outline_and_the_markers_last(walls):
    from components.site_plan import STAFF_THEME, WALL_THEME, site_plan

    def ring(x: float, y: float) -> list[list[float]]:
        return [[x, y], [x + 0.001, y], [x + 0.001, y + 0.001], [x, y]]

    outlines = {
        "grids": [{"ring": ring(120.2, 30.2)}, {"ring": ring(120.3, 30.2)}],
        "estates": [
            {"ring": ring(120.2, 30.2), "kind": "residential", "lon": 120.2, "lat": 30.2, "name_zh": "甲", "name_en": "A"},
            {"ring": ring(120.3, 30.2), "kind": "office", "lon": 120.3, "lat": 30.2, "name_zh": "乙", "name_en": "B"},
            {"ring": ring(120.4, 30.2), "kind": "residential", "lon": 120.4, "lat": 30.2, "name_zh": "丙", "name_en": "C"},
            {"ring": [], "kind": "residential", "lon": 120.5, "lat": 30.2, "name_zh": "丁", "name_en": "D"},
        ],
    }  # fmt: skip
    markers = [{"id": 7, "grade": "urgent", "status": "reported", "lon": 120.2, "lat": 30.2}]
    for theme in (STAFF_THEME, WALL_THEME):  # one builder draws both pages' plans
        data = site_plan(outlines, markers, "en", theme).to_plotly_json()["data"]
        assert [tr["mode"] for tr in data] == ["lines", "lines", "lines", "text", "markers", "markers", "markers"]
        grids, residential, office = data[:3]
        assert len(grids["x"]) == 9 and grids["x"][4] is None  # two rings, a gap between
        assert len(residential["x"]) == 9 and residential["x"][4] is None and len(office["x"]) == 4
        assert data[3]["text"] == ["A", "B", "C", "D"] and data[6]["customdata"] == [7]
    # on a built screen the geometry store points at the first marker trace, which the patches address
    cache = _fixed_clock(walls)
    built = _build(_client(walls, walls["tokens"]["a"]), "?refresh=60").get_json()
    plan = _find_props(built, "wall-plan")["figure"]
    geometry = _stores(built)["wall-plan-geometry"]
    assert [tr.get("mode") for tr in plan["data"][geometry["first_marker"] :]] == ["markers"] * 3
    assert cache.computed["plan"] == 1


def test_a_screen_is_sent_the_lot_rows_it_can_show():
    lots = [{"lot": f"L{i}"} for i in range(wall_page.LOTS_SHOWN + 30)]
    shown = wall_page._on_screen({"lots": lots, "totals": {"day": 1, "night": 2}})
    assert [lot["lot"] for lot in shown["lots"]] == [f"L{i}" for i in range(wall_page.LOTS_SHOWN)]
    assert shown["totals"] == {"day": 1, "night": 2}  # the totals count every lot


def _find_props(node, component_id):
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node["props"]
        node = list(node.values())
    if isinstance(node, list):
        for child in node:
            found = _find_props(child, component_id)
            if found is not None:
                return found
    return None


def test_a_new_case_goes_out_as_a_patch_of_the_feed(walls):
    client = _client(walls, walls["tokens"]["a"])
    stores = _stores(_build(client, "?refresh=1").get_json())
    add_case(walls["engine"], walls["a"], "wall-new", local_now(), category="noise")
    time.sleep(1.1)
    response = _call(
        client,
        [("wall-tiles", "children"), ("wall-feed", "children"), ("wall-feed-state", "data"), ("wall-plan", "figure"),
         ("wall-plan-state", "data"), ("wall-trend", "figure"), ("wall-trend-list", "children"),
         ("wall-trend-state", "data"), ("wall-asof-hotspots", "children")],
        [("wall-refresh-hotspots", "n_intervals", 1)],
        [("wall-config", "data", stores["wall-config"]), ("wall-scale", "data", 1),
         ("wall-feed-state", "data", stores["wall-feed-state"]), ("wall-plan-state", "data", stores["wall-plan-state"]),
         ("wall-plan-geometry", "data", stores["wall-plan-geometry"]),
         ("wall-trend-state", "data", stores["wall-trend-state"])],
    ).get_json()["response"]  # fmt: skip
    feed = response["wall-feed"]["children"]
    assert "__dash_patch_update" in feed
    operations = [op["operation"] for op in feed["operations"]]
    assert operations == ["Prepend"]  # one new item on top; nothing dropped (the feed was not full)
    assert "噪声扰民" in json.dumps(feed, ensure_ascii=False)
    plan = response["wall-plan"]["figure"]
    assert "__dash_patch_update" in plan  # the new marker: only the routine trace's points are sent
    assert {tuple(op["location"][:2]) for op in plan["operations"]} == {
        ("data", stores["wall-plan-geometry"]["first_marker"])
    }


def test_feed_patches_drop_the_oldest_and_redraw_changed_items():
    def item(key, status="reported"):
        return {"key": key, "kind": "case", "at": "2026-12-06T10:00:00", "grade": "routine", "status": status,
                "level": 1, "source": "staff", "category": "noise", "category_zh": "噪声", "category_en": "Noise",
                "estate_zh": "小区", "estate_en": "Estate", "building_zh": None, "building_en": None}  # fmt: skip

    old = wall_page._feed_state([item("c3"), item("c2"), item("c1")], "zh")
    patch, state = wall_page.feed_update(old, [item("c5"), item("c4"), item("c3", "in_progress")], "zh")
    ops = patch.to_plotly_json()["operations"]
    assert [op["operation"] for op in ops] == ["Assign", "Delete", "Delete", "Prepend", "Prepend"]
    assert ops[0]["location"] == [0] and [op["location"] for op in ops[1:3]] == [[2], [1]]
    assert state["keys"] == ["c5", "c4", "c3"]
    full, _ = wall_page.feed_update(old, [item("c9"), item("c8"), item("c7")], "zh")  # nothing kept: resend
    assert isinstance(full, list) and len(full) == 3
    again, _ = wall_page.feed_update(state, [item("c5"), item("c4"), item("c3", "in_progress")], "zh")
    assert again is wall_page.no_update


def test_trend_and_tide_patches_append_the_new_and_drop_the_aged():
    rows = [{"category": "noise", "name_zh": "噪声", "name_en": "Noise", "hourly": list(range(24)), "day": 5,
             "day_usual": 1.0, "day_spike": False, "week": 9, "week_usual": 8.0, "week_spike": False}]  # fmt: skip
    old = wall_page._trend_state({"first_hour": "2026-12-06T00:00:00", "categories": rows}, "zh")
    later = [{**rows[0], "hourly": list(range(2, 24)) + [7, 8]}]
    patch, _ = wall_page.trend_update(old, {"first_hour": "2026-12-06T02:00:00", "categories": later}, "zh", 1.0)
    ops = patch.to_plotly_json()["operations"]
    names = [op["operation"] for op in ops]
    assert names.count("Delete") == 4 and names.count("Extend") == 2  # two hours out, two in, for z and x
    extended = [op["params"]["value"] for op in ops if op["operation"] == "Extend"]
    assert [7, 8] in extended and ["00", "01"] in extended
    tide_old = wall_page._tide_state(
        {"times": ["t1", "t2", "t3"], "day": [0.5, 0.6, 0.7], "night": [0.1, 0.1, 0.2]}, "en"
    )
    patch, state = wall_page.tide_update(
        tide_old, {"times": ["t2", "t3", "t4"], "day": [0.6, 0.75, 0.8], "night": [0.1, 0.2, 0.3]}, "en", 1.0
    )
    ops = patch.to_plotly_json()["operations"]
    assert {"operation": "Assign", "location": ["data", 0, "y", 2], "params": {"value": 0.75}} in ops
    assert [op["params"]["value"] for op in ops if op["operation"] == "Extend"] == [[0.8], [0.3], ["t4"], ["t4"]]
    assert state["times"] == ["t2", "t3", "t4"]


def test_every_wall_callback_checks_the_device():
    app = create_app({"run_scheduler": False})
    wall_app = next(a for a in _dash_apps(app) if a.config.url_base_pathname == "/wall/")
    server_side = [cb for cb in wall_app.callback_map.values() if cb.get("callback")]
    assert len(server_side) >= 6
    for cb in server_side:
        fn = cb["callback"]
        while not getattr(fn, "cockpit_wall_guard", False) and hasattr(fn, "__wrapped__"):
            fn = fn.__wrapped__
        assert getattr(fn, "cockpit_wall_guard", False), cb


def _dash_apps(app):
    return [app, app.server.extensions["cockpit"]["wall_app"]]
