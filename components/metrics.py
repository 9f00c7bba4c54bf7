"""Closed-loop metrics (综合评价): headline tiles, figures and the table, each number linked to its cases.

Pure: the report dicts of `data_access.metrics.closure_report` in, Dash components and figures out.
Every bar and line point carries `customdata = [group code, measure, level]`, from which the page
rebuilds the drill-down URL (`drill_href`) on the server instead of trusting a URL sent by the browser.
"""

from __future__ import annotations

import math
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html
from plotly.subplots import make_subplots

from components.charts import _base
from components.common import kpi_tile
from i18n import pick, t

MEASURES = ("due", "closed", "on_time", "resolved", "reopened", "open", "overdue")
GROUP_PARAM = {"grid": "grid", "handler": "handler", "category": "category", "source": "source"}
LEVEL_COLOURS = {1: "#9ecae1", 2: "#4292c6", 3: "#2171b5", 4: "#08306b"}
RATE_COLOURS = {"closed": "#3b6fb6", "on_time": "#2a9d8f", "reopened": "#d9822b"}
RATE_OF = {"closed": "closed_rate", "on_time": "on_time_rate", "reopened": "rework_rate"}
MAX_BARS = 25  # a district has hundreds of grids and handlers: charts show the busiest, the table all
RATE_KEY = {"closed": "metric.closed_rate", "on_time": "metric.on_time_rate", "reopened": "metric.rework_rate"}


def drill_href(
    dimension: str | None, code: str | None, measure: str, first: str, last: str, level: int | None = None
) -> str | None:
    """The case-grid URL listing the cases behind one figure; None when the group cannot be filtered on.

    `dimension` None means the whole scope (the headline tiles). Under the month dimension the group's
    month replaces the period, for whichever month the measure is anchored in.
    """
    if measure not in MEASURES or (dimension is not None and code is None):
        return None
    months = first if first == last else f"{first}..{last}"
    params: dict[str, str] = {}
    if dimension == "month":
        months = code
    elif dimension is not None:
        params[GROUP_PARAM[dimension]] = str(code)
    if measure in ("due", "closed", "on_time"):
        params["due_in_month"] = months
        if measure != "due":
            params["status"] = "closed"
        if measure == "on_time":
            params["on_time"] = "1"
    elif measure in ("resolved", "reopened"):
        params["resolved_in_month"] = months
        if measure == "reopened":
            params["reopened"] = "1"
    else:
        if dimension == "month":
            params["month"] = months  # the open backlog is grouped by the month it was reported
        if measure == "open":
            params["status"] = "open"
        else:
            params["overdue"] = "1"
    if level is not None:
        params["level"] = str(level)
    return "/governance?" + urlencode(params)


def choice_links(group_id: str, label: str, choices: list[tuple[str, str]], value: str, href, lang: str) -> html.Div:  # noqa: ANN001
    """A labelled button group of links (one per choice, the current one marked), so every view has a URL."""

    def button(choice: str, text: str) -> dcc.Link:
        current = choice == value
        # dcc.Link takes no aria-current: the marker for screen readers is hidden text instead
        marker = html.Span(t("metric.current", lang), className="visually-hidden") if current else None
        return dcc.Link(
            [text, marker],
            href=href(choice),
            id=f"{group_id}-{choice}",
            className="btn btn-sm " + ("btn-primary active" if current else "btn-outline-primary"),
        )

    return html.Div(
        [
            html.Div(label, className="form-label mb-1", id=f"{group_id}-label"),
            html.Div(
                [button(choice, text) for choice, text in choices],
                className="btn-group flex-wrap",
                role="group",
                **{"aria-labelledby": f"{group_id}-label"},
            ),
        ],
        id=group_id,
    )


def group_label(group: dict, dimension: str, lang: str) -> str:
    code = group["code"]
    if dimension == "source":
        return t(f"source.{code}", lang)
    if dimension == "month":
        return code
    if dimension == "handler" and code == "none":
        return t("metric.no_handler", lang)
    if code is None:
        return t("metric.no_grid", lang) if dimension == "grid" else "—"
    return pick(lang, group["name_zh"], group["name_en"])


def pct(rate: float | None, lang: str) -> str:
    return f"{rate * 100:.1f}%" if rate is not None else t("common.not_applicable", lang)


def hours(value: float | None, lang: str) -> str:
    return t("metric.hours", lang, h=f"{value:.1f}") if value is not None else t("common.not_applicable", lang)


def headline_tiles(total: dict, first: str, last: str, lang: str) -> dbc.Row:
    def href(measure: str) -> str | None:
        return drill_href(None, None, measure, first, last)

    tiles = [
        kpi_tile("metric-closed-rate", t("metric.closed_rate", lang), pct(total["closed_rate"], lang),
                 "bi-check2-all", "primary", t("metric.closed_note", lang, closed=total["closed"], due=total["due"]),
                 href("closed")),
        kpi_tile("metric-on-time-rate", t("metric.on_time_rate", lang), pct(total["on_time_rate"], lang),
                 "bi-alarm", "success", t("metric.on_time_note", lang, on_time=total["on_time"], due=total["due"]),
                 href("on_time")),
        kpi_tile("metric-rework-rate", t("metric.rework_rate", lang), pct(total["rework_rate"], lang),
                 "bi-arrow-counterclockwise", "warning",
                 t("metric.rework_note", lang, reopened=total["reopened"], resolved=total["resolved"]),
                 href("reopened")),
        kpi_tile("metric-median", t("metric.median_hours", lang), hours(total["median_hours"], lang),
                 "bi-hourglass-split", "info", t("metric.median_note", lang, n=total["resolved"]), href("resolved")),
    ]  # fmt: skip
    return dbc.Row([dbc.Col(tile, md=6, xl=3) for tile in tiles], className="g-3 mb-3")


def _no_data(fig: go.Figure, lang: str) -> go.Figure:
    fig.add_annotation(text=t("common.no_data", lang), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _busiest(groups: list[dict], size, lang: str) -> tuple[list[dict], str | None]:  # noqa: ANN001
    """At most MAX_BARS groups, the largest by `size(group)`, in their order; and a note when cut."""
    if len(groups) <= MAX_BARS:
        return groups, None
    kept = {id(g) for g in sorted(groups, key=size, reverse=True)[:MAX_BARS]}
    return [g for g in groups if id(g) in kept], t("metric.top_n", lang, n=MAX_BARS, total=len(groups))


def rates_bar(report: dict, lang: str) -> go.Figure:
    """Per group: closure, on-time closure and rework rates as horizontal bars (first group on top)."""
    dimension = report["dimension"]
    groups, note = _busiest(
        [g for g in report["groups"] if g["in_period"] and (g["due"] or g["resolved"])],
        lambda g: (g["due"], g["resolved"]),
        lang,
    )
    groups = groups[::-1]
    labels = [group_label(g, dimension, lang) for g in groups]
    fig = go.Figure()
    for measure in ("closed", "on_time", "reopened"):
        num, den = (measure, "due") if measure != "reopened" else ("reopened", "resolved")
        rates = [g[RATE_OF[measure]] for g in groups]
        fig.add_trace(
            go.Bar(
                y=labels,
                x=[r * 100 if r is not None else None for r in rates],
                orientation="h",
                name=t(RATE_KEY[measure], lang),
                marker_color=RATE_COLOURS[measure],
                customdata=[[g["code"], measure, None, g[num], g[den]] for g in groups],
                hovertemplate="%{y} · " + t(RATE_KEY[measure], lang)
                + " %{x:.1f}% (%{customdata[3]} / %{customdata[4]})<extra></extra>",
            )
        )  # fmt: skip
    # category axis: month labels must not turn into dates
    fig.update_layout(
        barmode="group", xaxis={"title": t("metric.rate_axis", lang), "range": [0, 105]}, yaxis={"type": "category"}
    )
    _base(fig, height=max(320, 110 + 58 * len(groups)))
    fig.update_layout(margin={"l": 150, "r": 20, "t": 60 if note else 40, "b": 40})
    if note:
        fig.update_layout(title={"text": note, "font": {"size": 12}, "x": 0, "xanchor": "left"})
    return fig if groups else _no_data(fig, lang)


def monthly_trend(report: dict, lang: str) -> go.Figure:
    """Due cases per month (bars, left axis) and the three rates (lines, right axis, drawn over the bars)."""
    groups = [g for g in report["groups"] if g["in_period"]]
    months = [g["code"] for g in groups]
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=months,
            y=[g["due"] for g in groups],
            name=t("metric.due", lang),
            marker_color="#ced4da",
            customdata=[[g["code"], "due", None] for g in groups],
            hovertemplate="%{x} · " + t("metric.due", lang) + " %{y}<extra></extra>",
        ),
        secondary_y=False,
    )
    for measure in ("closed", "on_time", "reopened"):
        rates = [g[RATE_OF[measure]] for g in groups]
        fig.add_trace(
            go.Scatter(
                x=months,
                y=[r * 100 if r is not None else None for r in rates],
                name=t(RATE_KEY[measure], lang),
                mode="lines+markers",
                marker_color=RATE_COLOURS[measure],
                customdata=[[g["code"], measure, None] for g in groups],
                hovertemplate="%{x} · " + t(RATE_KEY[measure], lang) + " %{y:.1f}%<extra></extra>",
            ),
            secondary_y=True,
        )
    fig.update_yaxes(title_text=t("metric.cases_axis", lang), rangemode="tozero", secondary_y=False)
    fig.update_yaxes(title_text=t("metric.rate_axis", lang), range=[0, 105], showgrid=False, tickmode="auto",
                     secondary_y=True)  # fmt: skip
    fig.update_xaxes(type="category")
    return _base(fig, height=340)


def backlog_by_level(report: dict, lang: str) -> go.Figure:
    """Open and overdue cases now, per group, stacked by level L1-L4 (two panels sharing the groups)."""
    dimension = report["dimension"]
    groups, note = _busiest([g for g in report["groups"] if g["open"]], lambda g: (g["open"], g["overdue"]), lang)
    groups = groups[::-1]
    labels = [group_label(g, dimension, lang) for g in groups]
    fig = make_subplots(
        rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.04,
        subplot_titles=(t("metric.open", lang), t("metric.overdue", lang)),
    )  # fmt: skip
    for col, measure in ((1, "open"), (2, "overdue")):
        for level in (1, 2, 3, 4):
            counts = [g[f"{measure}_by_level"][level] for g in groups]
            fig.add_trace(
                go.Bar(
                    y=labels,
                    x=counts,
                    orientation="h",
                    name=f"L{level}",
                    legendgroup=f"L{level}",
                    showlegend=col == 1,
                    marker_color=LEVEL_COLOURS[level],
                    customdata=[[g["code"], measure, level] for g in groups],
                    hovertemplate="%{y} · " + t(f"metric.{measure}", lang) + f" L{level}: %{{x}}<extra></extra>",
                ),
                row=1,
                col=col,
            )
    fig.update_layout(barmode="stack")
    fig.update_yaxes(type="category")
    for col, measure in ((1, "open"), (2, "overdue")):
        peak = max((g[measure] for g in groups), default=0)
        # whole cases only: small counts would otherwise get ticks at 0.5
        fig.update_xaxes(title_text=t("metric.cases_axis", lang), rangemode="tozero", tick0=0,
                         dtick=max(1, math.ceil(peak / 8)), row=1, col=col)  # fmt: skip
    _base(fig, height=max(260, 110 + 30 * len(groups)))
    fig.update_layout(
        margin={"l": 150, "r": 20, "t": 70 if note else 50, "b": 40}, legend={"y": -0.25 if groups else 1.08}
    )
    if note:
        fig.update_layout(title={"text": note, "font": {"size": 12}, "x": 0, "xanchor": "left"})
    return fig if groups else _no_data(fig, lang)


def metrics_table(report: dict, lang: str) -> dbc.Table:
    """One row per group and a total; each count links to the cases behind it."""
    dimension, first, last = report["dimension"], report["first"], report["last"]

    def linked(value: int, group: dict | None, measure: str):
        href = drill_href(dimension if group else None, group["code"] if group else None, measure, first, last)
        if not value or href is None:
            return str(value)
        return dcc.Link(str(value), href=href)

    def row(g: dict, total: bool = False) -> html.Tr:
        group = None if total else g
        name = t("metric.total", lang) if total else group_label(g, dimension, lang)
        name_href = None if total else drill_href(dimension, g["code"], "due", first, last)
        return html.Tr(
            [
                html.Th(dcc.Link(name, href=name_href) if name_href else name, scope="row"),
                html.Td(linked(g["due"], group, "due")),
                html.Td(linked(g["closed"], group, "closed")),
                html.Td(linked(g["on_time"], group, "on_time")),
                html.Td(pct(g["closed_rate"], lang)),
                html.Td(pct(g["on_time_rate"], lang)),
                html.Td(linked(g["resolved"], group, "resolved")),
                html.Td(linked(g["reopened"], group, "reopened")),
                html.Td(pct(g["rework_rate"], lang)),
                html.Td(hours(g["median_hours"], lang)),
                html.Td(linked(g["open"], group, "open")),
                html.Td(linked(g["overdue"], group, "overdue"), className="text-danger" if g["overdue"] else None),
            ],
            className="fw-semibold table-light" if total else ("text-body-secondary" if not g["in_period"] else None),
        )

    head_keys = ("metric.due", "metric.closed", "metric.on_time", "metric.closed_rate", "metric.on_time_rate",
                 "metric.resolved", "metric.reopened", "metric.rework_rate", "metric.median_hours", "metric.open",
                 "metric.overdue")  # fmt: skip
    header = html.Thead(
        html.Tr([html.Th(t(f"metric.dim_{dimension}", lang), scope="col")]
                + [html.Th(t(k, lang), scope="col") for k in head_keys])
    )  # fmt: skip
    body = html.Tbody([row(g) for g in report["groups"]] + [row(report["total"], total=True)])
    return dbc.Table([header, body], bordered=False, hover=True, responsive=True, size="sm", id="metric-table",
                     className="metric-table align-middle mb-0")  # fmt: skip
