"""Door-access statistics (pure): passages per gate and hour, per gate and direction, per day. Counts
only — the figures never carry a person."""

from __future__ import annotations

import plotly.graph_objects as go

from components.charts import _base
from i18n import t


def gate_hour_heatmap(rows: list[dict], lang: str) -> go.Figure:
    gates = sorted({r["gate"] for r in rows})
    grid = {g: [0] * 24 for g in gates}
    for r in rows:
        grid[r["gate"]][r["hour"]] += r["count"]
    fig = go.Figure(
        go.Heatmap(
            z=[grid[g] for g in gates],
            x=[f"{h:02d}:00" for h in range(24)],
            y=gates,
            colorscale="Blues",
            colorbar={"title": {"text": t("acc.passages", lang)}},
            hovertemplate="%{y} %{x}: %{z}<extra></extra>",
        )
    )
    fig.update_layout(xaxis={"nticks": 12}, yaxis={"automargin": True})
    return _base(fig, height=max(300, 26 * len(gates) + 120))


def gate_direction_bar(rows: list[dict], lang: str) -> go.Figure:
    gates = sorted({r["gate"] for r in rows})
    totals = {(g, d): 0 for g in gates for d in ("in", "out")}
    for r in rows:
        totals[(r["gate"], r["direction"])] += r["count"]
    fig = go.Figure(
        [
            go.Bar(y=gates, x=[totals[(g, d)] for g in gates], orientation="h", name=t(f"acc.dir_{d}", lang),
                   marker_color=colour, hovertemplate="%{y}: %{x}<extra></extra>")
            for d, colour in (("in", "#3b6fb6"), ("out", "#d9822b"))
        ]
    )  # fmt: skip
    fig.update_layout(barmode="group", xaxis={"title": t("acc.passages", lang)}, yaxis={"automargin": True})
    return _base(fig, height=max(300, 30 * len(gates) + 100))


def daily_figure(rows: list[dict], lang: str) -> go.Figure:
    fig = go.Figure(
        [
            go.Scatter(x=[r["day"] for r in rows if r["direction"] == d], y=[r["count"] for r in rows if r["direction"] == d],
                       mode="lines+markers", name=t(f"acc.dir_{d}", lang), line={"color": colour},
                       hovertemplate="%{x}: %{y}<extra></extra>")
            for d, colour in (("in", "#3b6fb6"), ("out", "#d9822b"))
        ]
    )  # fmt: skip
    # numeric dates: plotly's month names would be English on the Chinese page
    fig.update_layout(yaxis={"title": t("acc.passages", lang), "rangemode": "tozero"},
                      xaxis={"tickformat": "%m-%d", "dtick": 86_400_000})  # fmt: skip
    return _base(fig, height=280)
