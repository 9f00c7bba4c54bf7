"""The offline site plan (no map tiles): grid and estate outlines, estate labels and one marker trace per
grade, drawn in the staff page's light theme or the wall's dark one.

One figure builder for both: the outlines come out merged, one trace per style (grid rings, residential
estates, office parks), their rings separated by gaps — a gap ends a filled shape, so each ring is still
filled on its own. A district has hundreds of estates; one trace each is what made a screen slow to draw
and to send. The marker traces are always the last len(PLAN_GRADES): the wall patches only those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import plotly.graph_objects as go

from i18n import pick, t

GRADE_COLOUR = {"urgent": "#ff4d4f", "priority": "#ffb020", "routine": "#5aa9ff"}
GRADE_SYMBOL = {"urgent": "star", "priority": "triangle-up", "routine": "circle"}
PLAN_GRADES = ("routine", "priority", "urgent")  # drawing order: the most severe on top
MAX_LABELS = 40  # more estates than this (a district) and names would cover the plan


@dataclass(frozen=True)
class PlanTheme:
    grid_line: str
    outline: str
    residential_fill: str
    office_fill: str
    line_width: float
    label_colour: str
    label_size: float
    marker_size: float  # an urgent marker is 1.4 times this
    marker_edge: str
    legend: dict
    hover: bool  # staff see each marker's grade and status; the wall is not pointed at


STAFF_THEME = PlanTheme(
    grid_line="#8aa0c0", outline="#7d93b5", residential_fill="#eef3ea", office_fill="#e8eef8", line_width=1,
    label_colour="#3b4a63", label_size=12, marker_size=10, marker_edge="#ffffff",
    legend={"orientation": "h", "x": 0, "y": 0, "bgcolor": "rgba(255,255,255,0.7)"}, hover=True,
)  # fmt: skip
WALL_THEME = PlanTheme(
    grid_line="#33507a", outline="#4f76b0", residential_fill="#16243a", office_fill="#1c2a44", line_width=1.5,
    label_colour="#9fb4d6", label_size=13, marker_size=11, marker_edge="#0b1220",
    legend={"orientation": "h", "x": 0, "y": 0, "font": {"color": "#e6edf7", "size": 14},
            "bgcolor": "rgba(11,18,32,0.6)"}, hover=False,
)  # fmt: skip


def plan_k(outlines: dict) -> float:
    """The factor on longitude (cos of the mean latitude), so distances look right at a community's size."""
    lats = [p[1] for e in outlines["estates"] for p in e["ring"]] + [e["lat"] for e in outlines["estates"]]
    return math.cos(math.radians(sum(lats) / len(lats) if lats else 30.0))


def plan_label(name: str, width: int = 10) -> str:
    """An estate's name on the plan: an English name longer than `width` breaks at the space nearest its
    middle, so neighbouring narrow estates ("Yitian Plaza", "Fengshang Blue Bay") do not run into each other."""
    if len(name) <= width or " " not in name:
        return name
    spaces = [i for i, ch in enumerate(name) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return f"{name[:cut]}<br>{name[cut + 1 :]}"


def _joined(rings: list[list], k: float) -> tuple[list, list]:
    xs: list = []
    ys: list = []
    for ring in rings:
        if xs:
            xs.append(None)
            ys.append(None)
        xs += [round(p[0] * k, 6) for p in ring]  # 6 decimals as y already is: 0.1 m
        ys += [p[1] for p in ring]
    return xs, ys


def marker_traces(markers: list[dict], k: float) -> list[dict]:
    """x / y / customdata (the case id) of each grade's marker trace, in PLAN_GRADES order."""
    out = []
    for grade in PLAN_GRADES:
        mine = [m for m in markers if m["grade"] == grade]
        out.append({"x": [round(m["lon"] * k, 7) for m in mine], "y": [m["lat"] for m in mine],
                    "customdata": [m["id"] for m in mine]})  # fmt: skip
    return out


def site_plan(outlines: dict, markers: list[dict], lang: str, theme: PlanTheme, scale: float = 1.0) -> go.Figure:
    k = plan_k(outlines)
    fig = go.Figure()
    width = theme.line_width * scale
    xs, ys = _joined([g["ring"] for g in outlines["grids"]], k)
    fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", line={"color": theme.grid_line, "width": width, "dash": "dot"},
                             hoverinfo="skip", showlegend=False))  # fmt: skip
    for office, fill in ((False, theme.residential_fill), (True, theme.office_fill)):
        rings = [e["ring"] for e in outlines["estates"] if e["ring"] and (e["kind"] != "residential") == office]
        xs, ys = _joined(rings, k)
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", fill="toself", fillcolor=fill,
                                 line={"color": theme.outline, "width": width}, hoverinfo="skip", showlegend=False))  # fmt: skip
    labelled = outlines["estates"] if len(outlines["estates"]) <= MAX_LABELS else []
    fig.add_trace(go.Scatter(x=[round(e["lon"] * k, 6) for e in labelled], y=[e["lat"] for e in labelled],
                             mode="text", text=[plan_label(pick(lang, e["name_zh"], e["name_en"])) for e in labelled],
                             textfont={"color": theme.label_colour, "size": theme.label_size * scale},
                             hoverinfo="skip", showlegend=False))  # fmt: skip
    for grade, trace in zip(PLAN_GRADES, marker_traces(markers, k), strict=True):
        marker = {"symbol": GRADE_SYMBOL[grade], "color": GRADE_COLOUR[grade], "line": {"color": theme.marker_edge, "width": 1},
                  "size": theme.marker_size * (1.4 if grade == "urgent" else 1) * scale}  # fmt: skip
        if theme.hover:
            mine = [m for m in markers if m["grade"] == grade]
            hover = {"text": [f"{t('grade.' + grade, lang)} · {t('status.' + m['status'], lang)}" for m in mine],
                     "hovertemplate": "%{text}<extra></extra>"}  # fmt: skip
        else:
            hover = {"hoverinfo": "skip"}
        fig.add_trace(go.Scatter(**trace, **hover, mode="markers", name=t(f"grade.{grade}", lang), marker=marker))
    legend = {**theme.legend}
    if "font" in legend:
        legend["font"] = {**legend["font"], "size": legend["font"]["size"] * scale}
    fig.update_layout(
        margin={"l": 0, "r": 0, "t": 0, "b": 0},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"visible": False},
        yaxis={"visible": False, "scaleanchor": "x", "scaleratio": 1},
        legend=legend,
    )
    return fig
