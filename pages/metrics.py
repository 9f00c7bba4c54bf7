"""Metrics (综合评价): closure, on-time closure and rework rates, handling time, open and overdue by level,
per grid, handler, category, source or month; every chart point and number drills down to the case grid."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx

from auth.context import current_engine
from auth.guard import ALL_ROLES, guarded
from components.charts import GRAPH_CONFIG
from components.common import page_header
from components.metrics import (
    MEASURES,
    backlog_by_level,
    choice_links,
    drill_href,
    headline_tiles,
    metrics_table,
    monthly_trend,
    rates_bar,
)
from data_access.closure import add_months
from data_access.db import reading
from data_access.metrics import DIMENSIONS, PERIODS, closure_report, period_months
from i18n import t
from pages._context import PageContext, page_context

PAGE = {
    "path": "/governance/metrics",
    "nav_key": "nav.metrics",
    "nav_id": "metrics",
    "icon": "bi-graph-up-arrow",
    "roles": ALL_ROLES,
    "order": 2.2,
}
TREND_MONTHS = 12
CHARTS = {"metric-bar": None, "metric-trend": "month", "metric-levels": None}  # graph id -> dimension override


def layout(ctx: PageContext, period: str | None = None, dimension: str | None = None, **_kwargs):
    """The period and dimension are query parameters, so a view can be bookmarked and Back returns to it."""
    lang = ctx.lang
    period = period if period in PERIODS else "month"
    dimension = dimension if dimension in DIMENSIONS else "grid"
    periods = [(p, t(f"metric.period_{p}", lang)) for p in PERIODS]
    dimensions = [(d, t(f"metric.dim_{d}", lang)) for d in DIMENSIONS]

    def view(p: str, d: str) -> str:
        return f"{PAGE['path']}?period={p}&dimension={d}"

    controls = dbc.Row(
        [
            dbc.Col(
                choice_links(
                    "metric-period", t("metric.period", lang), periods, period, lambda p: view(p, dimension), lang
                ),
                xs=12,
                lg="auto",
            ),
            dbc.Col(
                choice_links(
                    "metric-dimension",
                    t("metric.dimension", lang),
                    dimensions,
                    dimension,
                    lambda d: view(period, d),
                    lang,
                ),
                xs=12,
                lg="auto",
            ),
        ],
        className="g-3 mb-3",
    )
    return html.Div(
        [
            page_header(t("metric.title", lang), t("metric.subtitle", lang)),
            controls,
            dcc.Store(id="metric-view", data={"period": period, "dimension": dimension}),
            dcc.Location(id="metric-nav", refresh="callback-nav"),
            html.Div(_body(ctx, period, dimension), id="metric-body"),
        ]
    )


def _body(ctx: PageContext, period: str, dimension: str) -> list:
    first, last = period_months(period, ctx.now)
    with reading(current_engine()) as s:
        report = closure_report(s, ctx.community_ids, dimension, first, last, ctx.now)
        trend = closure_report(s, ctx.community_ids, "month", add_months(last, 1 - TREND_MONTHS), last, ctx.now)
    lang = ctx.lang
    dim_label = t(f"metric.dim_text_{dimension}", lang)

    def card(title: str, body, graph_id: str | None = None) -> dbc.Card:
        content = dcc.Graph(id=graph_id, figure=body, config=GRAPH_CONFIG) if graph_id else body
        return dbc.Card([dbc.CardHeader(title), dbc.CardBody(content)])

    return [
        html.P(
            [
                t("metric.period_range", lang, first=first, last=last),
                " · ",
                t("common.as_of", lang, time=ctx.now.strftime("%Y-%m-%d %H:%M")),
                " · ",
                t("metric.click_hint", lang),
            ],
            className="small text-body-secondary",
            id="metric-period-note",
        ),
        headline_tiles(report["total"], first, last, lang),
        dbc.Row(
            [
                dbc.Col(card(t("metric.rates_by", lang, dim=dim_label), rates_bar(report, lang), "metric-bar"), xl=6),
                dbc.Col(
                    card(t("metric.trend", lang, n=TREND_MONTHS), monthly_trend(trend, lang), "metric-trend"), xl=6
                ),
            ],
            className="g-3 mb-3",
        ),
        dbc.Row(
            dbc.Col(card(t("metric.levels", lang, dim=dim_label), backlog_by_level(report, lang), "metric-levels")),
            className="g-3 mb-3",
        ),
        card(t("metric.table", lang, dim=dim_label), metrics_table(report, lang)),
        html.Details(
            [html.Summary(t("metric.definitions_title", lang)), html.P(t("metric.definitions", lang))],
            className="small text-body-secondary mt-3",
            id="metric-definitions",
        ),
    ]


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("metric-nav", "href"),
        *(Input(graph_id, "clickData") for graph_id in CHARTS),
        State("metric-view", "data"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def drill_down(bar_click, trend_click, levels_click, view):
        """Rebuild the case-grid URL from the clicked point's group and measure, never from a sent URL."""
        clicks = {"metric-bar": bar_click, "metric-trend": trend_click, "metric-levels": levels_click}
        click = clicks.get(dash_ctx.triggered_id)
        try:
            code, measure, level = click["points"][0]["customdata"][:3]
        except (TypeError, KeyError, IndexError, ValueError):
            return no_update
        view = view if isinstance(view, dict) else {}
        period, dimension = view.get("period"), view.get("dimension")
        dimension = CHARTS[dash_ctx.triggered_id] or (dimension if dimension in DIMENSIONS else "grid")
        if measure not in MEASURES or not isinstance(code, str | int) or len(str(code)) > 40:
            return no_update
        level = level if level in (1, 2, 3, 4) else None
        first, last = period_months(period if period in PERIODS else "month", page_context().now)
        href = drill_href(dimension, str(code), measure, first, last, level)
        return href or no_update
