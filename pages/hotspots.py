"""Hotspots (热点): KPI tiles, the latest cases and the 30-day trend; refreshes on a timer."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from auth.context import current_config, current_engine
from auth.guard import ALL_ROLES, guarded
from components.cases import latest_cases_list
from components.charts import GRAPH_CONFIG, cases_trend
from components.common import empty_note, kpi_tile, page_header
from data_access.db import reading
from data_access.hotspots import cases_per_day, kpis, latest_cases
from i18n import t
from pages._context import PageContext, page_context

PAGE = {"path": "/", "nav_key": "nav.hotspots", "nav_id": "hotspots", "icon": "bi-fire", "roles": ALL_ROLES, "order": 0}


def layout(ctx: PageContext, **_kwargs):
    refresh_ms = current_config()["hotspot_refresh_seconds"] * 1000
    return html.Div(
        [
            page_header(t("hot.title", ctx.lang), t("hot.subtitle", ctx.lang)),
            dcc.Interval(id="hot-refresh", interval=refresh_ms, n_intervals=0),
            html.Div(_body(ctx), id="hot-body"),
        ]
    )


def _body(ctx: PageContext):
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
                    href="/governance?period=today",
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
                    href="/governance?status=open",
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
                    href="/governance?overdue=1",
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
