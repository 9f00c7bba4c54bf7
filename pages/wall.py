"""The wall screen (/wall): a separate Dash app mounted at /wall/ on the same server, opened with a
read-only wall token (auth/wall.py), dark, large type, no navbar, rotating through its views.

How it stays honest for weeks unattended:
- the first callback builds the whole screen from the address (playlist, rotation, refresh, language)
  and the token's stored settings; later refreshes change only what changed: the feed, the site plan's
  markers and the trend heatmap go out as `Patch` updates, the other views only when their data differ;
- every view shows "data as of"; the browser side (assets/wall/wall.js) counts failed refreshes, backs
  off, and the once-a-second client tick shows a banner with the age of what is on screen until a
  refresh succeeds again; nothing on screen is cleared while the server is away;
- every figure comes from data_access/wall.py through the view cache, so N screens with the same
  refresh interval cost one computation per interval, computed ahead of the interval while screens ask;
  the built screen itself is cached too (per scope, options, scale and refresh bucket), so N screens
  switched on together cost one build, and the site plan's outlines are drawn once per OUTLINE_SECONDS
  as a few merged traces. The wall gate checks the token on every request before any of it is read.

Every callback here checks the wall device on the server (`wall_guarded`); its data never names a person.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from dash import ClientsideFunction, Input, Output, Patch, State, dcc, html, no_update
from dash.exceptions import PreventUpdate
from plotly.io.json import to_json_plotly

from auth.context import current_config, current_engine, current_view_cache
from auth.wall import current_wall, wall_guarded
from components import wall as ui
from components.site_plan import PLAN_GRADES, WALL_THEME, marker_traces, plan_k, site_plan
from data_access import wall as figures
from data_access.clock import local_now
from data_access.db import reading
from data_access.scope import all_community_ids, community_names
from data_access.view_cache import scope_key
from domain.alarms import parse_season
from domain.wall import REFRESH_RANGE, WALL_VIEWS, WallOptionError, resolve_options
from i18n import normalise, pick, t

WALL_PATH = "/wall/"
OUTLINE_SECONDS = 300  # the site plan's outlines change only when an administrator edits the map
SIMPLE_VIEWS = {"governance": ui.governance_body, "index": ui.index_body, "iot": ui.iot_body}
CLIENT_TEXT_KEYS = ("wall.stale", "wall.stale_retry", "wall.denied", "wall.ago_s", "wall.ago_m", "wall.ago_h")


def _defaults(config) -> dict:  # noqa: ANN001
    return {
        "views": config["wall_views"],
        "rotate": config["wall_rotate_seconds"],
        "refresh": config["wall_refresh_seconds"],
        "lang": config["default_language"],
    }


def device_lang(query: dict | None = None) -> str:
    """The language of this screen: its address, then the token's setting, then the default."""
    config = current_config()
    wall = current_wall()
    stored = (wall.settings if wall else {}).get("lang")
    return normalise((query or {}).get("lang") or stored, config["default_language"])


def layout():
    """What the renderer fetches first: a frame that the build callback fills from the address."""
    lang = device_lang()
    return html.Div(
        [
            dcc.Location(id="wall-url"),
            dcc.Store(id="wall-scale"),
            # retries the build until it succeeds (a server that was down when the screen loaded)
            dcc.Interval(id="wall-boot", interval=5000),
            html.Div(html.Div(t("wall.loading", lang), className="wall-loading"), id="wall-root-body"),
        ],
        className="wall-root",
        id="wall-root",
    )


# --- data, through the cache ------------------------------------------------------------------------------


def _scope(session) -> list[int]:  # noqa: ANN001
    ids = current_wall().community_ids
    return all_community_ids(session) if ids is None else ids


def _context() -> tuple:
    """What a computation needs of the request, taken now: it may run later on the view cache's own
    thread (computed ahead of its interval), where there is no request."""
    return current_view_cache(), current_config(), current_engine(), current_wall().community_ids


def _cached(view: str, interval: float, compute, context: tuple | None = None):  # noqa: ANN001, ANN202
    """One computation per view, scope and interval bucket, shared by every screen (and worker), computed
    ahead of the next bucket while screens keep asking."""
    cache, config, engine, community_ids = context or _context()

    def run() -> dict:
        now = local_now(config["timezone"])
        with reading(engine) as s:
            ids = all_community_ids(s) if community_ids is None else community_ids
            value = compute(s, ids, now, config)
        return {"as_of": now.isoformat(timespec="seconds"), "data": value}

    return cache.get(view, scope_key(community_ids), interval, run, ahead=True)


def _compute_hotspots(s, ids, now, _config) -> dict:  # noqa: ANN001
    return {
        "tiles": figures.tiles(s, ids, now),
        "feed": figures.feed(s, ids),
        "markers": figures.plan_markers(s, ids),
        "trend": figures.category_trend(s, ids, now),
    }


def _compute_iot(s, ids, now, config) -> dict:  # noqa: ANN001
    season = parse_season(config["flood_season"], ("04-15", "10-15"))
    return figures.iot(s, ids, now, season, config["flood_prep_days"])


COMPUTE = {
    "hotspots": _compute_hotspots,
    "governance": lambda s, ids, now, _c: figures.governance_loop(s, ids, now),
    "parking": lambda s, ids, now, _c: figures.parking(s, ids, now),
    "index": lambda s, ids, _now, _c: figures.estate_index(s, ids),
    "iot": _compute_iot,
    "alerts": lambda s, ids, now, c: figures.alerts(s, ids, now, c["wall_popup_minutes"]),
}


def view_data(view: str, interval: float) -> dict:
    return _cached(view, interval, COMPUTE[view])


def _digest(value) -> str:  # noqa: ANN001
    return hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _config_of(store: dict | None) -> tuple[str, float]:
    """Language and refresh interval from the screen's own store, re-checked (the browser holds it)."""
    store = store or {}
    lang = normalise(store.get("lang"), current_config()["default_language"])
    try:
        refresh = float(store.get("refresh"))
    except (TypeError, ValueError):
        refresh = float(current_config()["wall_refresh_seconds"])
    return lang, min(max(refresh, REFRESH_RANGE[0]), REFRESH_RANGE[1])


# --- the screen ----------------------------------------------------------------------------------------------


def _utc_offset_minutes(config) -> int:  # noqa: ANN001
    """The community's offset from UTC: the wall's clock shows community time whatever the PC's zone."""
    offset = datetime.now(ZoneInfo(config["timezone"])).utcoffset()
    return int(offset.total_seconds() // 60) if offset else 0


def _client_texts(lang: str) -> dict:
    return {key.removeprefix("wall."): t(key, lang) for key in CLIENT_TEXT_KEYS}


def _screen(options, scale: float):  # noqa: ANN001
    lang = options.lang
    config = current_config()
    with reading(current_engine()) as s:
        ids = _scope(s)
        names = community_names(s, ids) if len(ids) == 1 else []
    title = pick(lang, *names[0]) if names else t("wall.all_communities", lang, n=len(ids))
    frames = []
    stores = []
    for index, view in enumerate(options.views):
        cached = view_data(view, options.refresh_seconds)
        if view == "hotspots":
            plan = plan_base(lang, scale)  # outlines cached per scope; this bucket's markers filled in
            body = ui.hotspots_body(cached["data"], plan_figure(plan, cached["data"]["markers"]), lang, scale)
            stores += [
                dcc.Store(id="wall-feed-state", data=_feed_state(cached["data"]["feed"], lang)),
                dcc.Store(id="wall-plan-state", data=_plan_state(cached["data"]["markers"])),
                dcc.Store(id="wall-trend-state", data=_trend_state(cached["data"]["trend"], lang)),
                dcc.Store(id="wall-plan-geometry", data={"k": plan["k"], "first_marker": plan["first_marker"]}),
            ]
        elif view == "parking":
            body = ui.parking_body(_on_screen(cached["data"]), lang, scale)
            stores += [
                dcc.Store(id="wall-digest-parking", data=_parking_digest(cached["data"])),
                dcc.Store(id="wall-tide-state", data=_tide_state(cached["data"]["tide"], lang)),
            ]
        else:
            body = SIMPLE_VIEWS[view](cached["data"], lang, scale)
            stores.append(dcc.Store(id=f"wall-digest-{view}", data=_digest(cached["data"])))
        frames.append(
            html.Div(
                [
                    ui.view_frame(view, index, lang, body, cached["as_of"]),
                    dcc.Interval(id=f"wall-refresh-{view}", interval=options.refresh_seconds * 1000),
                ]
            )
        )
    alerts = view_data("alerts", config["wall_alert_poll_seconds"])["data"]
    return html.Div(
        [
            dcc.Store(
                id="wall-config",
                data={
                    "views": list(options.views),
                    "rotate": options.rotate_seconds,
                    "refresh": options.refresh_seconds,
                    "lang": lang,
                    "texts": _client_texts(lang),
                    "utc_offset_minutes": _utc_offset_minutes(config),
                },
            ),
            *stores,
            dcc.Store(id="wall-alert-digest", data=_digest(alerts)),
            dcc.Interval(id="wall-rotate", interval=options.rotate_seconds * 1000, disabled=len(options.views) < 2),
            dcc.Interval(id="wall-alert-poll", interval=config["wall_alert_poll_seconds"] * 1000),
            dcc.Interval(id="wall-tick", interval=1000),
            ui.header(title, options.views, lang),
            html.Div(id="wall-banner", className="wall-banner", role="status"),
            html.Div(frames, className="wall-stage"),
            html.Div(
                ui.popup(alerts, lang),
                id="wall-popup",
                className="wall-popup" + (" shown" if alerts else ""),
                role="alert",
            ),  # fmt: skip
        ],
        id="wall-screen",
        className=f"wall-screen show-0 lang-{lang}",
    )


# --- what the build sends once: the layout, the site plan -------------------------------------------------------


def built_screen(options, scale: float) -> dict:  # noqa: ANN001
    """The whole screen as JSON, built once per scope, options, scale and refresh bucket and shared by
    every screen that boots in that bucket (and by the other workers). The wall gate has checked this
    request's token before this runs; the cache holds no token, only what the token's scope shows."""
    cache, _config, _engine, community_ids = _context()
    fingerprint = _digest([list(options.views), options.rotate_seconds, options.refresh_seconds, options.lang, scale])
    return cache.get(
        "layout",
        f"{scope_key(community_ids)}:{fingerprint}",
        options.refresh_seconds,
        lambda: json.loads(to_json_plotly(_screen(options, scale))),
    )


def plan_base(lang: str, scale: float) -> dict:
    """The site plan without its markers (outlines and labels) as figure JSON, with `k` and the index of
    its first marker trace; built once per scope, language and scale and OUTLINE_SECONDS."""
    cache, _config, engine, community_ids = _context()

    def run() -> dict:
        with reading(engine) as s:
            outlines = figures.plan_outlines(s, all_community_ids(s) if community_ids is None else community_ids)
        figure = site_plan(outlines, [], lang, WALL_THEME, scale).to_plotly_json()
        return {"figure": figure, "k": plan_k(outlines), "first_marker": len(figure["data"]) - len(PLAN_GRADES)}

    return cache.get("plan", f"{scope_key(community_ids)}:{lang}:{scale:g}", OUTLINE_SECONDS, run, ahead=True)


def plan_figure(base: dict, markers: list[dict]) -> dict:
    """The plan base with this bucket's markers in its marker traces (what plan_update patches). The base
    is the cache's shared value, so only copies of its trace list and marker traces are filled in."""
    data = list(base["figure"]["data"])
    first = base["first_marker"]
    for i, trace in enumerate(marker_traces(markers, base["k"])):
        data[first + i] = {**data[first + i], **trace}
    return {**base["figure"], "data": data}


def _find(tree, component_id: str):  # noqa: ANN001, ANN202
    for component in tree._traverse():
        if getattr(component, "id", None) == component_id:
            return component
    raise LookupError(component_id)


LOTS_SHOWN = 48  # lot rows sent: a 16:9 screen shows 20, a 5:4 one 32 (the panel clips the rest)


def _on_screen(parking: dict) -> dict:
    """The parking data as the screen draws it: the lots a panel can show (a district has a hundred and
    more; the rows past the panel's end were sent and never seen)."""
    return {**parking, "lots": parking["lots"][:LOTS_SHOWN]}


def _parking_digest(parking: dict) -> str:
    return _digest(_without_tide(_on_screen(parking)))


def _feed_state(items: list[dict], lang: str) -> dict:
    return {"lang": lang, "keys": [i["key"] for i in items], "digests": [ui.feed_digest(i) for i in items]}


def _plan_state(markers: list[dict]) -> list[str]:
    return [_digest(trace) for trace in marker_traces(markers, 1.0)]  # k = 1: the state needs no geometry


def _trend_state(trend: dict, lang: str) -> dict:
    rows = ui.trend_rows(trend)
    return {"lang": lang, "first_hour": trend["first_hour"], "rows": [r["category"] for r in rows],
            "spikes": [bool(r["day_spike"] or r["week_spike"]) for r in rows], "z": [r["hourly"] for r in rows]}  # fmt: skip


def _without_tide(data: dict) -> dict:
    return {k: v for k, v in data.items() if k != "tide"}


def _tide_state(tide: dict, lang: str) -> dict:
    return {"lang": lang, **tide}


# --- Patch builders ----------------------------------------------------------------------------------------------


def feed_update(old: dict | None, items: list[dict], lang: str):  # noqa: ANN201 - (children or Patch, state)
    """The feed as a Patch: new items prepended, the oldest dropped, changed ones replaced; the whole
    list only when nothing on screen can be kept (another language, all new)."""
    new = _feed_state(items, lang)
    if not old or old.get("lang") != lang:
        return [ui.feed_item(i, lang) for i in items], new
    if old == new:
        return no_update, no_update
    keys, old_keys = new["keys"], old["keys"]
    # the screen's list continues as this one if its first items are this list's tail
    fresh = next(
        (n for n in range(len(keys)) if len(keys) - n <= len(old_keys) and keys[n:] == old_keys[: len(keys) - n]),
        None,
    )
    if fresh is None:
        return [ui.feed_item(i, lang) for i in items], new
    kept = len(keys) - fresh
    patch = Patch()
    for pos in range(fresh, len(keys)):
        if new["digests"][pos] != old["digests"][pos - fresh]:
            patch[pos - fresh] = ui.feed_item(items[pos], lang)
    for gone in range(len(old_keys) - 1, kept - 1, -1):
        del patch[gone]
    for item in reversed(items[:fresh]):
        patch.prepend(ui.feed_item(item, lang))
    return patch, new


def plan_update(old: list[str] | None, markers: list[dict], k: float, first_marker_trace: int):  # noqa: ANN201
    """The plan's marker traces as a Patch of the traces that changed (the outlines are never resent)."""
    traces = marker_traces(markers, k)
    new = _plan_state(markers)
    if old == new:
        return no_update, no_update
    patch = Patch()
    for i, trace in enumerate(traces):
        if not old or i >= len(old) or old[i] != new[i]:
            for field in ("x", "y", "customdata"):
                patch["data"][first_marker_trace + i][field] = trace[field]
    return patch, new


def trend_update(old: dict | None, trend: dict, lang: str, scale: float):  # noqa: ANN201
    """The heatmap as a Patch: when the hour turns, each row gets its new hours appended and its oldest
    dropped; otherwise only the cells that changed. The whole figure when the rows themselves changed."""
    new = _trend_state(trend, lang)
    same_rows = old and old.get("lang") == lang and old["rows"] == new["rows"] and old["spikes"] == new["spikes"]
    if not same_rows:
        return ui.trend_figure(trend, lang, scale), new
    if old == new:
        return no_update, no_update
    shift = int(
        (datetime.fromisoformat(new["first_hour"]) - datetime.fromisoformat(old["first_hour"])).total_seconds() // 3600
    )
    if not 0 <= shift < 24:
        return ui.trend_figure(trend, lang, scale), new
    patch = Patch()
    hours = ui.trend_hours(trend)
    z = patch["data"][0]["z"]
    for row, (before, after) in enumerate(zip(old["z"], new["z"], strict=True)):
        kept = before[shift:]
        for col, (a, b) in enumerate(zip(kept, after[: len(kept)], strict=True)):
            if a != b:
                z[row][col + shift] = b  # positions before the shift is applied
        for _ in range(shift):
            del z[row][0]
        if shift:
            z[row].extend(after[len(kept) :])
    if shift:
        for _ in range(shift):
            del patch["data"][0]["x"][0]
        patch["data"][0]["x"].extend(hours[24 - shift :])
    top = max([4] + [max(r) for r in new["z"]])
    patch["data"][0]["zmax"] = top
    return patch, new


def tide_update(old: dict | None, tide: dict, lang: str, scale: float):  # noqa: ANN201
    """The 24 h tide as a Patch: the samples that aged out dropped, the new ones appended, changed
    values replaced; the whole figure only when the series cannot be continued (another language, a gap)."""
    new = _tide_state(tide, lang)
    if old == new:
        return no_update, no_update
    if not old or old.get("lang") != lang or not old.get("times") or not new["times"]:
        return ui.tide_figure(tide, lang, scale), new
    try:
        shift = old["times"].index(new["times"][0])
    except ValueError:
        return ui.tide_figure(tide, lang, scale), new
    kept = old["times"][shift:]
    if new["times"][: len(kept)] != kept:
        return ui.tide_figure(tide, lang, scale), new
    patch = Patch()
    for trace, window in enumerate(("day", "night")):
        y = patch["data"][trace]["y"]
        for i, (before, after) in enumerate(zip(old[window][shift:], new[window], strict=False)):
            if before != after:
                y[i + shift] = after
        for _ in range(shift):
            del y[0]
        y.extend(new[window][len(kept) :])
    x = patch["data"][0]["x"], patch["data"][1]["x"]
    for axis in x:
        for _ in range(shift):
            del axis[0]
        axis.extend(new["times"][len(kept) :])
    return patch, new


# --- callbacks --------------------------------------------------------------------------------------------------


def register_callbacks(app) -> None:  # noqa: ANN001
    app.clientside_callback(
        ClientsideFunction(namespace="cockpitWall", function_name="scale"),
        Output("wall-scale", "data"),
        Input("wall-url", "search"),
    )
    app.clientside_callback(
        ClientsideFunction(namespace="cockpitWall", function_name="rotate"),
        Output("wall-screen", "className"),
        Input("wall-rotate", "n_intervals"),
        State("wall-config", "data"),
        prevent_initial_call=True,
    )
    app.clientside_callback(
        ClientsideFunction(namespace="cockpitWall", function_name="tick"),
        Output("wall-clock", "children"),
        Output("wall-banner", "children"),
        Output("wall-banner", "className"),
        Input("wall-tick", "n_intervals"),
        State("wall-config", "data"),
    )

    @app.callback(
        Output("wall-root-body", "children"),
        Output("wall-boot", "disabled"),
        Input("wall-scale", "data"),
        Input("wall-boot", "n_intervals"),
        State("wall-url", "search"),
        prevent_initial_call=True,
    )
    @wall_guarded
    def build_wall(scale, _boot, search):
        query = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items() if v}
        query.pop("token", None)
        try:
            options = resolve_options(query, current_wall().settings, _defaults(current_config()))
        except WallOptionError as exc:
            return ui.options_error(exc.code, exc.value, device_lang(query), WALL_VIEWS), True
        return built_screen(options, _scale(scale)), True

    @app.callback(
        Output("wall-tiles", "children"),
        Output("wall-feed", "children"),
        Output("wall-feed-state", "data"),
        Output("wall-plan", "figure"),
        Output("wall-plan-state", "data"),
        Output("wall-trend", "figure"),
        Output("wall-trend-list", "children"),
        Output("wall-trend-state", "data"),
        Output("wall-asof-hotspots", "children"),
        Input("wall-refresh-hotspots", "n_intervals"),
        State("wall-config", "data"),
        State("wall-scale", "data"),
        State("wall-feed-state", "data"),
        State("wall-plan-state", "data"),
        State("wall-plan-geometry", "data"),
        State("wall-trend-state", "data"),
        prevent_initial_call=True,
    )
    @wall_guarded
    def refresh_hotspots(_n, store, scale, feed_state, plan_state, geometry, trend_state):
        lang, refresh = _config_of(store)
        cached = view_data("hotspots", refresh)
        data = cached["data"]
        feed, feed_state = feed_update(feed_state, data["feed"], lang)
        geometry = geometry or {}
        plan, plan_state = plan_update(
            plan_state, data["markers"], float(geometry.get("k") or 1.0), int(geometry.get("first_marker") or 0)
        )
        trend, new_trend_state = trend_update(trend_state, data["trend"], lang, _scale(scale))
        trend_list = no_update if new_trend_state is no_update else ui.trend_list(data["trend"], lang)
        return (
            ui.tiles(data["tiles"], lang),
            feed,
            feed_state,
            plan,
            plan_state,
            trend,
            trend_list,
            new_trend_state,
            ui.as_of_text(cached["as_of"], lang),
        )

    @app.callback(
        Output("wall-parking-bigs", "children"),
        Output("wall-parking-lots", "children"),
        Output("wall-digest-parking", "data"),
        Output("wall-tide", "figure"),
        Output("wall-tide-state", "data"),
        Output("wall-asof-parking", "children"),
        Input("wall-refresh-parking", "n_intervals"),
        State("wall-config", "data"),
        State("wall-scale", "data"),
        State("wall-digest-parking", "data"),
        State("wall-tide-state", "data"),
        prevent_initial_call=True,
    )
    @wall_guarded
    def refresh_parking(_n, store, scale, digest, tide_state):
        lang, refresh = _config_of(store)
        cached = view_data("parking", refresh)
        data = cached["data"]
        new = _parking_digest(data)
        same = new == digest
        tide, tide_state = tide_update(tide_state, data["tide"], lang, _scale(scale))
        return (
            no_update if same else ui.parking_bigs(data, lang),
            no_update if same else ui.parking_lots(_on_screen(data), lang),
            new,
            tide,
            tide_state,
            ui.as_of_text(cached["as_of"], lang),
        )

    for view in SIMPLE_VIEWS:
        _register_simple(app, view)

    @app.callback(
        Output("wall-popup", "children"),
        Output("wall-popup", "className"),
        Output("wall-alert-digest", "data"),
        Input("wall-alert-poll", "n_intervals"),
        State("wall-config", "data"),
        State("wall-alert-digest", "data"),
        prevent_initial_call=True,
    )
    @wall_guarded
    def poll_alerts(_n, store, digest):
        lang, _refresh = _config_of(store)
        alerts = view_data("alerts", current_config()["wall_alert_poll_seconds"])["data"]
        new = _digest(alerts)
        if new == digest:
            raise PreventUpdate  # nothing new: the answer is an empty 204
        return ui.popup(alerts, lang), "wall-popup" + (" shown" if alerts else ""), new


def _register_simple(app, view: str) -> None:  # noqa: ANN001
    render = SIMPLE_VIEWS[view]

    @app.callback(
        Output(f"wall-body-{view}", "children"),
        Output(f"wall-digest-{view}", "data"),
        Output(f"wall-asof-{view}", "children"),
        Input(f"wall-refresh-{view}", "n_intervals"),
        State("wall-config", "data"),
        State("wall-scale", "data"),
        State(f"wall-digest-{view}", "data"),
        prevent_initial_call=True,
    )
    @wall_guarded
    def refresh_view(_n, store, scale, digest):
        lang, refresh = _config_of(store)
        cached = view_data(view, refresh)
        new = _digest(cached["data"])
        body = no_update if new == digest else render(cached["data"], lang, _scale(scale))
        return body, new, ui.as_of_text(cached["as_of"], lang)


def _scale(value) -> float:  # noqa: ANN001
    try:
        return min(max(float(value), 1.0), 4.0)
    except (TypeError, ValueError):
        return 1.0
