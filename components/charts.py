"""Plotly figures. Kept small (no per-point text when a hover does) and free of outside fetches."""

from __future__ import annotations

import plotly.graph_objects as go

from i18n import pick, t

FONT = "PingFang SC, Microsoft YaHei, Noto Sans CJK SC, Source Han Sans SC, sans-serif"
GRAPH_CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["select2d", "lasso2d"]}


def _base(fig: go.Figure, height: int = 360) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 40, "r": 20, "t": 30, "b": 40},
        font={"family": FONT},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": 1.08},
    )
    return fig


def age_pyramid(rows: list[dict], lang: str) -> go.Figure:
    """rows: {band, gender, count}; women to the right, men to the left (as negative bars)."""
    bands = list(dict.fromkeys(r["band"] for r in rows))
    women = {r["band"]: r["count"] for r in rows if r["gender"] == "F"}
    men = {r["band"]: r["count"] for r in rows if r["gender"] == "M"}
    fig = go.Figure(
        [
            go.Bar(
                y=bands,
                x=[-men.get(b, 0) for b in bands],
                orientation="h",
                name=t("data.men", lang),
                customdata=[men.get(b, 0) for b in bands],
                hovertemplate="%{y}: %{customdata}<extra></extra>",
                marker_color="#3b6fb6",
            ),
            go.Bar(
                y=bands,
                x=[women.get(b, 0) for b in bands],
                orientation="h",
                name=t("data.women", lang),
                hovertemplate="%{y}: %{x}<extra></extra>",
                marker_color="#d9822b",
            ),
        ]
    )
    peak = max([*men.values(), *women.values(), 1])
    step = max(1, int(round(peak / 3, -2)) or peak // 3)
    ticks = [-3 * step, -2 * step, -step, 0, step, 2 * step, 3 * step]
    fig.update_layout(
        barmode="overlay",
        bargap=0.1,
        xaxis={"title": t("data.residents", lang), "tickvals": ticks, "ticktext": [str(abs(v)) for v in ticks]},
        yaxis={"title": t("data.age_band", lang)},
    )
    return _base(fig)


def _named_bar(rows: list[dict], value_key: str, axis_title: str, colour: str, lang: str) -> go.Figure:
    """A bar per named row (estate, specialty), labelled in the caller's language."""
    fig = go.Figure(
        go.Bar(
            x=[pick(lang, r["name_zh"], r["name_en"]) for r in rows],
            y=[r[value_key] for r in rows],
            text=[r[value_key] for r in rows],
            textposition="outside",
            marker_color=colour,
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    fig.update_layout(yaxis={"title": axis_title})
    return _base(fig)


def households_bar(rows: list[dict], lang: str) -> go.Figure:
    return _named_bar(rows, "households", t("data.households", lang), "#3b6fb6", lang)


def countries_bar(rows: list[dict], lang: str, country_name) -> go.Figure:  # noqa: ANN001
    """rows: {country, residents}, largest first; `country_name(code, lang)` gives the label."""
    labels = [country_name(r["country"], lang) for r in rows][::-1]
    values = [r["residents"] for r in rows][::-1]
    fig = go.Figure(
        go.Bar(x=values, y=labels, orientation="h", marker_color="#2a9d8f", hovertemplate="%{y}: %{x}<extra></extra>")
    )
    fig.update_layout(xaxis={"title": t("data.residents", lang)})
    return _base(fig, height=max(360, 18 * len(rows) + 80))


def cases_trend(rows: list[dict], lang: str) -> go.Figure:
    days = [r["day"] for r in rows]
    fig = go.Figure(
        [
            go.Scatter(x=days, y=[r["opened"] for r in rows], name=t("hot.trend_opened", lang), mode="lines+markers"),
            go.Scatter(x=days, y=[r["closed"] for r in rows], name=t("hot.trend_closed", lang), mode="lines+markers"),
        ]
    )
    fig.update_layout(yaxis={"title": t("hot.trend_cases", lang)})
    return _base(fig, height=300)


def talent_bar(rows: list[dict], lang: str) -> go.Figure:
    return _named_bar(rows, "people", t("svc.people", lang), "#6a4c93", lang)
