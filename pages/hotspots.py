"""Hotspots (热点): the wall's hotspot data for staff, with filters and a drill-down from every tile,
plan marker and trend row to the case grid; refreshes on a timer."""

from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from auth.context import current_config, current_engine
from auth.guard import ALL_ROLES, guarded
from components import hotspots as ui
from components.charts import GRAPH_CONFIG, cases_trend
from components.common import empty_note, page_header
from components.compare import community_picker, hotspots_href, scope_banner
from data_access import wall as figures
from data_access.cases import filter_options
from data_access.closure import month_label
from data_access.db import reading
from data_access.hotspots import HotspotFilter, case_place, cases_per_day, estate_choices
from i18n import t
from pages._context import PageContext, page_context
from pages._scope import community_choices, narrow

PAGE = {"path": "/", "nav_key": "nav.hotspots", "nav_id": "hotspots", "icon": "bi-fire", "roles": ALL_ROLES, "order": 0}
FILTER_INPUTS = (Input("hot-category", "value"), Input("hot-grade", "value"), Input("hot-estate", "value"))


def layout(
    ctx: PageContext,
    community: str | None = None,
    category: str | None = None,
    grade: str | None = None,
    estate: str | None = None,
    **_kwargs,
):
    """A street or district user may narrow the page to one community (`?community=CODE`, the comparison
    view's drill-down); it then refreshes through its own interval and callback, which check it again.
    `category`, `grade` and `estate` preset the filters."""
    refresh_ms = current_config()["hotspot_refresh_seconds"] * 1000
    narrowed, one = narrow(ctx, community)
    suffix = "-one" if one else ""
    with reading(current_engine()) as s:
        categories = filter_options(s, narrowed.community_ids)["categories"]
        estates = estate_choices(s, narrowed.community_ids) if len(narrowed.community_ids) == 1 else []
    flt = HotspotFilter(category, grade, estate if estates else None).validated()
    return html.Div(
        [
            page_header(t("hot.title", ctx.lang), t("hot.subtitle", ctx.lang)),
            scope_banner(one["name"], ctx.lang) if one else None,
            community_picker("hot", community_choices(ctx), one["code"] if one else None, ctx.lang, navigate=True),
            ui.filter_row(categories, estates, flt, ctx.lang),
            dcc.Store(id="hot-one", data=one["code"]) if one else None,
            dcc.Interval(id=f"hot-refresh{suffix}", interval=refresh_ms, n_intervals=0),
            html.Div(_body(narrowed, one["code"] if one else None, flt), id=f"hot-body{suffix}"),
        ]
    )


def case_grid_href(query: dict, flt: HotspotFilter, community: str | None) -> str:
    """The case grid filtered to `query` and the page's filters (and its community, when narrowed)."""
    params = {"category": flt.category, "grade": flt.grade, "estate": flt.estate, **query, "community": community}
    return "/governance?" + urlencode({k: v for k, v in params.items() if v})


def _body(ctx: PageContext, community: str | None = None, flt: HotspotFilter | None = None):
    flt = (flt or HotspotFilter()).validated()
    ids = ctx.community_ids
    with reading(current_engine()) as s:
        tiles = figures.tiles(s, ids, ctx.now, flt)
        feed = figures.feed(s, ids, flt=flt)
        outlines = figures.plan_outlines(s, ids)
        markers = figures.plan_markers(s, ids, flt)
        trend = figures.category_trend(s, ids, ctx.now, flt)
        per_day = cases_per_day(s, ids, ctx.now, days=30, flt=flt)
    lang = ctx.lang

    def cases(**query) -> str:
        return case_grid_href(query, flt, community)

    case_hrefs = {
        "kpi-new-today": cases(period="today"),
        "kpi-open": cases(status="open"),
        "kpi-overdue": cases(overdue="1"),
        "kpi-on-time": cases(due_in_month=month_label(ctx.now)),  # the cases due to close this month
    }
    red_month = tiles.get("red_month")
    module_hrefs = {
        "kpi-parking": "/parking",
        "kpi-red-estates": "/estate-index" + (f"?{urlencode({'month': red_month})}" if red_month else ""),
        "kpi-critical-alarms": "/data/devices",
    }
    plan = (
        dcc.Graph(id="hot-plan", figure=ui.plan_figure(outlines, markers, lang), config=ui.PLAN_CONFIG)
        if outlines["estates"]
        else empty_note(lang)
    )
    return [
        ui.case_tiles(tiles, case_hrefs, lang),
        ui.module_tiles(tiles, module_hrefs, lang),
        dbc.Row(
            [
                dbc.Col(dbc.Card([dbc.CardHeader(t("wall.feed", lang)), ui.feed_list(feed, lang)]), lg=4),
                dbc.Col(
                    [
                        dbc.Card(
                            [
                                dbc.CardHeader(t("hot.plan", lang)),
                                dbc.CardBody(
                                    [plan, html.Div(t("hot.plan_hint", lang, n=len(markers)), className="small mt-1")]
                                ),
                            ],
                            className="mb-3",
                        ),
                        dbc.Card(
                            [
                                dbc.CardHeader(t("hot.category_trend", lang)),
                                ui.trend_table(trend, lang, lambda code: cases(category=code, period="7d")),
                            ]
                        ),
                    ],
                    lg=8,
                ),
            ],
            className="g-3 mb-3",
        ),
        dbc.Card(
            [
                dbc.CardHeader(t("hot.trend", lang)),
                dbc.CardBody(
                    dcc.Graph(figure=cases_trend(per_day, lang), config=GRAPH_CONFIG, id="hot-trend")
                    if per_day
                    else empty_note(lang, "hot.trend_empty")
                ),
            ]
        ),
        html.Div(
            t("common.as_of", lang, time=ctx.now.strftime("%Y-%m-%d %H:%M")),
            className="small text-body-secondary mt-2",
            id="hot-as-of",
        ),
    ]


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(Output("hot-body", "children"), Input("hot-refresh", "n_intervals"), *FILTER_INPUTS,
                  prevent_initial_call=True)  # fmt: skip
    @guarded(ALL_ROLES)
    def refresh_hotspots(_n, category=None, grade=None, estate=None):  # noqa: ANN001
        ctx = page_context()
        # the estate filter is offered for one community only; under several, a code could name many
        return _body(ctx, None, HotspotFilter(category, grade, estate if len(ctx.community_ids) == 1 else None))

    @app.callback(
        Output("hot-body-one", "children"),
        Input("hot-refresh-one", "n_intervals"),
        *FILTER_INPUTS,
        State("hot-one", "data"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def refresh_one_community(_n, category, grade, estate, code):
        narrowed, one = narrow(page_context(), code)
        return _body(narrowed, one["code"], HotspotFilter(category, grade, estate)) if one else no_update

    @app.callback(Output("hot-nav", "href"), Input("hot-community", "value"), prevent_initial_call=True)
    @guarded(ALL_ROLES)
    def choose_community(code):
        _ctx, one = narrow(page_context(), code)
        return hotspots_href(one["code"]) if one else "/"

    @app.callback(
        Output("hot-nav", "href", allow_duplicate=True),
        Input("hot-plan", "clickData"),
        State("hot-category", "value"),
        State("hot-grade", "value"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def open_marker(click, category, grade):
        """A marker opens the open cases of its estate (with the page's category and grade); a case with no
        estate opens itself. The case is looked up in the caller's scope, so a crafted id opens nothing."""
        points = (click or {}).get("points") or [{}]
        case_id = points[0].get("customdata")
        ctx = page_context()
        with reading(current_engine()) as s:
            place = case_place(s, ctx.community_ids, case_id)
        if place is None:
            return no_update
        if not place["estate"]:
            return f"/governance/case/{case_id}"
        community = place["community"] if len(ctx.community_ids) > 1 else None
        flt = HotspotFilter(category, grade, place["estate"]).validated()
        return case_grid_href({"status": "open"}, flt, community)
