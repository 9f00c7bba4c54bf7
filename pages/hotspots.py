"""Hotspots (热点): KPI tiles, the latest cases and the 30-day trend; refreshes on a timer."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from auth.context import current_config, current_engine
from auth.guard import ALL_ROLES, guarded
from components.cases import latest_cases_list
from components.charts import GRAPH_CONFIG, cases_trend
from components.common import empty_note, kpi_tile, page_header
from components.compare import community_picker, hotspots_href, scope_banner
from data_access.db import reading
from data_access.hotspots import cases_per_day, kpis, latest_cases
from i18n import t
from pages._context import PageContext, page_context
from pages._scope import community_choices, narrow

PAGE = {"path": "/", "nav_key": "nav.hotspots", "nav_id": "hotspots", "icon": "bi-fire", "roles": ALL_ROLES, "order": 0}


def layout(ctx: PageContext, community: str | None = None, **_kwargs):
    """A street or district user may narrow the page to one community (`?community=CODE`, the comparison
    view's drill-down); it then refreshes through its own interval and callback, which check it again."""
    refresh_ms = current_config()["hotspot_refresh_seconds"] * 1000
    narrowed, one = narrow(ctx, community)
    suffix = "-one" if one else ""
    return html.Div(
        [
            page_header(t("hot.title", ctx.lang), t("hot.subtitle", ctx.lang)),
            scope_banner(one["name"], ctx.lang) if one else None,
            community_picker("hot", community_choices(ctx), one["code"] if one else None, ctx.lang, navigate=True),
            dcc.Store(id="hot-one", data=one["code"]) if one else None,
            dcc.Interval(id=f"hot-refresh{suffix}", interval=refresh_ms, n_intervals=0),
            html.Div(_body(narrowed, one["code"] if one else None), id=f"hot-body{suffix}"),
        ]
    )


def _body(ctx: PageContext, community: str | None = None):
    def cases(query: str) -> str:  # the tiles open the case grid, of the one community when narrowed to it
        return f"/governance?{query}" + (f"&community={community}" if community else "")

    with reading(current_engine()) as s:
        figures = kpis(s, ctx.community_ids, ctx.now)
        latest = latest_cases(s, ctx.community_ids, limit=12)
        trend = cases_per_day(s, ctx.community_ids, ctx.now, days=30)
    lang = ctx.lang
    rate = figures["on_time_rate"]
    rate_text = f"{rate * 100:.1f}%" if rate is not None else t("common.not_applicable", lang)
    tiles = dbc.Row(
        [
            dbc.Col(
                kpi_tile(
                    "kpi-new-today",
                    t("hot.new_today", lang),
                    str(figures["new_today"]),
                    "bi-plus-circle",
                    href=cases("period=today"),
                ),
                md=3,
            ),
            dbc.Col(
                kpi_tile(
                    "kpi-open",
                    t("hot.open", lang),
                    str(figures["open"]),
                    "bi-folder2-open",
                    "info",
                    href=cases("status=open"),
                ),
                md=3,
            ),
            dbc.Col(
                kpi_tile(
                    "kpi-overdue",
                    t("hot.overdue", lang),
                    str(figures["overdue"]),
                    "bi-alarm",
                    "danger",
                    href=cases("overdue=1"),
                ),
                md=3,
            ),
            dbc.Col(
                kpi_tile(
                    "kpi-on-time",
                    t("hot.on_time_rate", lang),
                    rate_text,
                    "bi-check2-circle",
                    "success",
                    t("hot.on_time_note", lang, closed=figures["on_time_closed"], due=figures["due_to_close"]),
                ),
                md=3,
            ),
        ],
        className="g-3 mb-3",
    )
    return [
        tiles,
        dbc.Row(
            [
                dbc.Col(
                    dbc.Card(
                        [
                            dbc.CardHeader(t("hot.latest", lang)),
                            latest_cases_list(latest, lang, ctx.now) if latest else empty_note(lang),
                        ]
                    ),
                    lg=5,
                ),
                dbc.Col(
                    dbc.Card(
                        [
                            dbc.CardHeader(t("hot.trend", lang)),
                            dbc.CardBody(
                                dcc.Graph(figure=cases_trend(trend, lang), config=GRAPH_CONFIG, id="hot-trend")
                                if trend
                                else empty_note(lang, "hot.trend_empty")
                            ),
                        ]
                    ),
                    lg=7,
                ),
            ],
            className="g-3",
        ),
        html.Div(
            t("common.as_of", lang, time=ctx.now.strftime("%Y-%m-%d %H:%M")),
            className="small text-body-secondary mt-2",
            id="hot-as-of",
        ),
    ]


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(Output("hot-body", "children"), Input("hot-refresh", "n_intervals"), prevent_initial_call=True)
    @guarded(ALL_ROLES)
    def refresh_hotspots(_n):
        return _body(page_context())

    @app.callback(
        Output("hot-body-one", "children"),
        Input("hot-refresh-one", "n_intervals"),
        State("hot-one", "data"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def refresh_one_community(_n, code):
        narrowed, one = narrow(page_context(), code)
        return _body(narrowed, one["code"]) if one else no_update

    @app.callback(Output("hot-nav", "href"), Input("hot-community", "value"), prevent_initial_call=True)
    @guarded(ALL_ROLES)
    def choose_community(code):
        _ctx, one = narrow(page_context(), code)
        return hotspots_href(one["code"]) if one else "/"
