"""The wall screen's pieces (dark theme, large type): data in, Dash components and figures out.

Everything is sized in rem (the wall's stylesheet sets 1 rem to 1/120 of the screen width), so the same
layout fills 1920×1080 and 3840×2160; plotly figures take a `scale` for their fonts. Colour is never the
only signal: grades and severities carry their word and an icon, plan markers a shape per grade.
"""

from __future__ import annotations

from datetime import datetime

import plotly.graph_objects as go
from dash import dcc, html

from i18n import pick, t

GRADE_ICON = {
    "urgent": "bi-exclamation-octagon-fill",
    "priority": "bi-exclamation-triangle-fill",
    "routine": "bi-info-circle",
}
SEVERITY_ICON = {"critical": "bi-exclamation-octagon-fill", "major": "bi-exclamation-triangle-fill",
                 "minor": "bi-exclamation-circle", "warning": "bi-info-circle"}  # fmt: skip
LEVEL_ICON = {"green": "bi-check-circle-fill", "yellow": "bi-dash-circle-fill", "red": "bi-x-octagon-fill"}
TREND_ROWS = 8  # categories in the 24 h heatmap
GRAPH_CONFIG = {"displayModeBar": False, "staticPlot": True, "responsive": True}


def _icon(name: str) -> html.I:
    return html.I(className=f"bi {name}", **{"aria-hidden": "true"})


def clock_text(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S")


def short_time(iso: str | None) -> str:
    return iso[5:16].replace("T", " ") if iso else "—"


def hhmm(iso: str | None) -> str:
    return iso[11:16] if iso else "—"


def place_text(item: dict, lang: str) -> str:
    estate = pick(lang, item.get("estate_zh") or "", item.get("estate_en") or "")
    building = pick(lang, item.get("building_zh") or "", item.get("building_en") or "")
    if building and estate and building.startswith(estate):  # building names often repeat the estate's
        return building
    return " ".join(p for p in (estate, building) if p) or t("wall.place_unknown", lang)


def grade_chip(grade: str, lang: str) -> html.Span:
    return html.Span([_icon(GRADE_ICON[grade]), " ", t(f"grade.{grade}", lang)], className=f"wall-chip grade-{grade}")


def severity_chip(severity: str, lang: str) -> html.Span:
    return html.Span(
        [_icon(SEVERITY_ICON.get(severity, "bi-info-circle")), " ", t(f"dev.sev_{severity}", lang)],
        className=f"wall-chip sev-{severity}",
    )


def percent(value: float | None, lang: str) -> str:
    return f"{value * 100:.1f}%" if value is not None else t("common.not_applicable", lang)


# --- frame -------------------------------------------------------------------------------------------------


def view_frame(view: str, index: int, lang: str, body, as_of: str | None) -> html.Section:  # noqa: ANN001
    return html.Section(
        [
            html.Div(
                [
                    html.H2(t(f"wall.view.{view}", lang), className="wall-view-title"),
                    html.Div(as_of_text(as_of, lang), id=f"wall-asof-{view}", className="wall-asof"),
                ],
                className="wall-view-head",
            ),
            html.Div(body, className="wall-view-body", id=f"wall-body-{view}"),
        ],
        id=f"wall-view-{index}",
        className=f"wall-view wall-view-{view}",
        **{"aria-label": t(f"wall.view.{view}", lang)},
    )


def as_of_text(as_of: str | None, lang: str) -> str:
    return t("wall.as_of", lang, time=(as_of or "")[11:19] or "—")


def header(title: str, views: tuple[str, ...], lang: str) -> html.Header:
    return html.Header(
        [
            html.Div([_icon("bi-broadcast"), " ", t("app.title", lang)], className="wall-brand"),
            html.Div(title, className="wall-community"),
            html.Nav(
                [
                    html.Span(t(f"wall.view.{v}", lang), id=f"wall-tab-{i}", className="wall-tab")
                    for i, v in enumerate(views)
                ],
                className="wall-tabs",
            ),
            html.Div(id="wall-clock", className="wall-clock"),
        ],
        className="wall-header",
    )


def options_error(code: str, value: object, lang: str, views: tuple[str, ...]) -> html.Div:
    return html.Div(
        [
            html.H1(t("wall.bad_options", lang)),
            html.P(t(f"wall.bad_option.{code}", lang, value=str(value)[:80], views=", ".join(views))),
        ],
        className="wall-refused",
        id="wall-options-error",
    )


# --- hotspots -----------------------------------------------------------------------------------------------------


def tiles(data: dict, lang: str) -> list:
    """Seven tiles. A module with no data in scope says so instead of showing a zero."""
    parking = data.get("parking")
    red, critical = data.get("red_estates"), data.get("critical_alarms")
    items = [
        ("new_today", t("hot.new_today", lang), str(data["new_today"]), "bi-plus-circle", None, ""),
        ("open", t("hot.open", lang), str(data["open"]), "bi-folder2-open", None, ""),
        ("overdue", t("hot.overdue", lang), str(data["overdue"]), "bi-alarm", None, "bad" if data["overdue"] else ""),
        ("on_time", t("hot.on_time_rate", lang), percent(data["on_time_rate"], lang), "bi-check2-circle",
         t("hot.on_time_note", lang, closed=data["on_time_closed"], due=data["due_to_close"]), ""),
        ("parking", t("wall.tile.parking", lang),
         t("common.not_applicable", lang) if parking is None else str(parking["spaces"]), "bi-p-square",
         None if parking is None else (
             t("wall.tile.parking_note", lang, granted=parking["granted"],
               windows="/".join(t(f"wall.window.{w}", lang) for w in parking["windows"]))
             if parking["windows"] else t("wall.tile.parking_closed", lang)), ""),
        ("red_estates", t("wall.tile.red_estates", lang), t("common.not_applicable", lang) if red is None else str(red),
         "bi-building-exclamation", data.get("red_month") and t("wall.tile.red_month", lang, month=data["red_month"]),
         "bad" if red else ""),
        ("critical_alarms", t("wall.tile.critical_alarms", lang),
         t("common.not_applicable", lang) if critical is None else str(critical), "bi-bell-fill", None,
         "bad" if critical else ""),
    ]  # fmt: skip
    return [
        html.Div(
            [
                html.Div([_icon(icon), " ", label], className="wall-tile-label"),
                html.Div(value, className="wall-tile-value", id=f"wall-tile-{name}"),
                html.Div(note or "", className="wall-tile-note"),
            ],
            className=f"wall-tile {tone}".strip(),
        )
        for name, label, value, icon, note, tone in items
    ]


def feed_item(item: dict, lang: str) -> html.Li:
    if item["kind"] == "case":
        chip = grade_chip(item["grade"], lang)
        what = pick(lang, item["category_zh"], item["category_en"])
        status = t(f"status.{item['status']}", lang)
        state = f"{status} · L{item['level']}"
        tone = f"grade-{item['grade']}"
    else:
        chip = severity_chip(item["severity"], lang)
        what = alarm_text(item, lang)
        phase = "cleared" if item["status"] == "cleared" else "acked" if item["acknowledged"] else "active"
        state = t(f"wall.alarm_{phase}", lang)
        tone = f"sev-{item['severity']}"
    return html.Li(
        [
            html.Span(short_time(item["at"]), className="wall-feed-time"),
            chip,
            html.Span(what, className="wall-feed-what"),
            html.Span(place_text(item, lang), className="wall-feed-place"),
            html.Span(state, className="wall-feed-state"),
        ],
        className=f"wall-feed-item {tone}",
    )


def feed_digest(item: dict) -> str:
    """What the wall shows of an item: when it changes the item is redrawn."""
    return "|".join(str(item.get(k)) for k in ("status", "level", "grade", "severity", "acknowledged"))


def trend_rows(trend: dict) -> list[dict]:
    return trend["categories"][:TREND_ROWS]


def trend_hours(trend: dict) -> list[str]:
    first = datetime.fromisoformat(trend["first_hour"])
    return [f"{(first.hour + i) % 24:02d}" for i in range(24)]


def trend_figure(trend: dict, lang: str, scale: float) -> go.Figure:
    """Cases per hour over the last 24 h, one row per category (the busiest and spiking first)."""
    rows = trend_rows(trend)
    names = [("▲ " if r["day_spike"] or r["week_spike"] else "") + pick(lang, r["name_zh"], r["name_en"]) for r in rows]
    fig = go.Figure(
        go.Heatmap(
            z=[r["hourly"] for r in rows],
            x=trend_hours(trend),
            y=names,
            colorscale=[[0, "#111b2e"], [0.25, "#1f4f8a"], [0.6, "#e08a1e"], [1, "#ff4d4f"]],
            zmin=0,
            zmax=max([4] + [max(r["hourly"]) for r in rows]),
            showscale=False,
            xgap=2,
            ygap=2,
            hoverinfo="skip",
        )
    )
    fig.update_layout(
        margin={"l": 8, "r": 8, "t": 4, "b": 28 * scale},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": "#c9d6ea", "size": 13 * scale},
        xaxis={"side": "bottom", "tickfont": {"size": 12 * scale}, "title": None, "fixedrange": True},
        yaxis={"autorange": "reversed", "automargin": True, "fixedrange": True},
    )
    if not rows:  # no case lately: the list says so; bare axes would only draw an empty grid
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
    return fig


def trend_list(trend: dict, lang: str) -> list:
    """24 h and 7 day counts against the usual level; a spike is marked with a word and an icon."""
    rows = trend_rows(trend)
    if not rows:
        return [html.P(t("wall.trend_empty", lang), className="wall-empty")]
    out = []
    for r in rows:
        out.append(
            html.Div(
                [
                    html.Span(pick(lang, r["name_zh"], r["name_en"]), className="wall-trend-name"),
                    _count_cell(r["day"], r["day_usual"], r["day_spike"], "24h", lang),
                    _count_cell(r["week"], r["week_usual"], r["week_spike"], "7d", lang),
                ],
                className="wall-trend-row" + (" spike" if r["day_spike"] or r["week_spike"] else ""),
            )
        )
    return out


def _count_cell(count: int, usual: float, spike: bool, span: str, lang: str) -> html.Span:
    return html.Span(
        [
            html.Span(f"{span} {count}", className="wall-trend-count"),
            html.Span(t("wall.usual", lang, usual=f"{usual:g}"), className="wall-trend-usual"),
            html.Span([_icon("bi-graph-up-arrow"), " ", t("wall.spike", lang)], className="wall-spike")
            if spike
            else None,
        ],
        className="wall-trend-cell",
    )


def hotspots_body(data: dict, plan: dict, lang: str, scale: float) -> html.Div:
    """`plan`: the site plan figure (pages.wall builds it once per scope from cached outlines)."""
    return html.Div(
        [
            html.Div(tiles(data["tiles"], lang), className="wall-tiles", id="wall-tiles"),
            html.Div(
                [
                    html.Div(
                        [
                            html.H3(t("wall.feed", lang)),
                            html.Ul([feed_item(i, lang) for i in data["feed"]], className="wall-feed", id="wall-feed"),
                        ],
                        className="wall-panel wall-panel-feed",
                    ),  # fmt: skip
                    html.Div(
                        [
                            html.H3(t("wall.plan", lang)),
                            dcc.Graph(
                                id="wall-plan",
                                figure=plan,
                                config=GRAPH_CONFIG,
                                className="wall-graph",
                            ),
                        ],  # fmt: skip
                        className="wall-panel wall-panel-plan",
                    ),
                    html.Div(
                        [
                            html.H3(t("wall.trend", lang)),
                            dcc.Graph(
                                id="wall-trend",
                                figure=trend_figure(data["trend"], lang, scale),
                                config=GRAPH_CONFIG,
                                className="wall-graph wall-graph-trend",
                            ),
                            html.Div(
                                trend_list(data["trend"], lang), id="wall-trend-list", className="wall-trend-list"
                            ),
                        ],  # fmt: skip
                        className="wall-panel wall-panel-trend",
                    ),
                ],
                className="wall-hot-grid",
            ),
        ],
        className="wall-hotspots",
    )


# --- governance loop ----------------------------------------------------------------------------------------


def _bar(value: float, top: float, label: str, tone: str = "") -> html.Div:
    width = 0 if not top else max(0.0, min(100.0, 100 * value / top))
    return html.Div(
        [html.Div(className=f"wall-bar-fill {tone}".strip(), style={"width": f"{width:.1f}%"}),
         html.Span(label, className="wall-bar-label")],
        className="wall-bar",
    )  # fmt: skip


def _big(label: str, value: str, note: str | None = None, tone: str = "") -> html.Div:
    return html.Div(
        [html.Div(label, className="wall-big-label"), html.Div(value, className="wall-big-value"),
         html.Div(note or "", className="wall-big-note")],
        className=f"wall-big {tone}".strip(),
    )  # fmt: skip


def governance_body(data: dict, lang: str, _scale: float = 1.0) -> html.Div:
    totals = data["totals"]
    top_level = max([1] + [lvl["open"] for lvl in data["levels"]])
    top_source = max([1] + list(data["sources"].values()))
    units = data["units"]
    top_unit = max([1] + [u["open"] for u in units["rows"]])
    return html.Div(
        [
            html.Div(
                [
                    _big(
                        t("wall.loop.closed_rate", lang),
                        percent(totals["closed_rate"], lang),
                        t("wall.loop.closed_note", lang, closed=totals["closed"], due=totals["due"]),
                    ),
                    _big(
                        t("wall.loop.on_time_rate", lang),
                        percent(totals["on_time_rate"], lang),
                        t("wall.loop.on_time_note", lang, on_time=totals["on_time"], due=totals["due"]),
                    ),
                    _big(
                        t("wall.loop.rework_rate", lang),
                        percent(totals["rework_rate"], lang),
                        t("wall.loop.rework_note", lang, reopened=totals["reopened"], resolved=totals["resolved"]),
                        "bad" if (totals["rework_rate"] or 0) > 0.1 else "",
                    ),
                ],  # fmt: skip
                className="wall-bigs",
            ),
            html.Div(
                [
                    html.Div(
                        [html.H3(t("wall.loop.levels", lang))]
                        + [
                            html.Div(
                                [
                                    html.Span(t(f"level.{lvl['level']}", lang), className="wall-row-name"),
                                    _bar(
                                        lvl["open"],
                                        top_level,
                                        t("wall.loop.level_counts", lang, open=lvl["open"], overdue=lvl["overdue"]),
                                        "bad" if lvl["overdue"] else "",
                                    ),
                                ],
                                className="wall-row",
                            )
                            for lvl in data["levels"]
                        ],  # fmt: skip
                        className="wall-panel",
                    ),
                    html.Div(
                        [html.H3(t("wall.loop.sources", lang, month=data["month"]))]
                        + [
                            html.Div(
                                [
                                    html.Span(t(f"source.{src}", lang), className="wall-row-name"),
                                    _bar(n, top_source, str(n)),
                                ],
                                className="wall-row",
                            )
                            for src, n in data["sources"].items()
                        ],  # fmt: skip
                        className="wall-panel",
                    ),
                    html.Div(
                        [html.H3(t(f"wall.loop.units_{units['kind']}", lang))]
                        + [
                            html.Div(
                                [
                                    html.Span(pick(lang, u["name_zh"], u["name_en"]), className="wall-row-name"),
                                    _bar(
                                        u["open"],
                                        top_unit,
                                        t("wall.loop.level_counts", lang, open=u["open"], overdue=u["overdue"]),
                                        "bad" if u["overdue"] else "",
                                    ),
                                ],
                                className="wall-row",
                            )
                            for u in units["rows"]
                        ]
                        + (
                            [] if units["rows"] else [html.P(t("common.no_data", lang), className="wall-empty")]
                        ),  # fmt: skip
                        className="wall-panel",
                    ),
                ],
                className="wall-columns",
            ),
        ],
        className="wall-governance",
    )


# --- parking ------------------------------------------------------------------------------------------------


def parking_bigs(data: dict, lang: str) -> list:
    return [
        _big(t("wall.parking.day_total", lang), str(data["totals"]["day"]),
             t("wall.parking.permits", lang, granted=data["granted"].get("day", 0), waiting=data["waiting"].get("day", 0))),
        _big(t("wall.parking.night_total", lang), str(data["totals"]["night"]),
             t("wall.parking.permits", lang, granted=data["granted"].get("night", 0),
               waiting=data["waiting"].get("night", 0))),
    ]  # fmt: skip


def parking_lots(data: dict, lang: str) -> list:
    rows = [html.H3(t("wall.parking.lots", lang))]
    if not data["lots"]:
        rows.append(html.P(t("wall.parking.none", lang), className="wall-empty"))
    for lot in data["lots"]:
        share = (
            t("wall.parking.shareable", lang, n=lot["shareable"])
            if lot["shareable"] is not None
            else t("wall.parking.withheld", lang)
        )
        occupied = lot["occupied"]
        window = [_icon("bi-moon-stars" if lot["window"] == "night" else "bi-sun"), " ",
                  t(f"wall.window.{lot['window']}", lang), f" {lot['window_start']}–{lot['window_end']}",
                  html.Span(t("wall.parking.open_now", lang), className="wall-open") if lot["open_now"] else None]  # fmt: skip
        occupancy = t(
            "wall.parking.occupied", lang, occupied="—" if occupied is None else occupied, capacity=lot["capacity"]
        )
        rows.append(
            html.Div(
                [
                    html.Span(pick(lang, lot["name_zh"], lot["name_en"]), className="wall-row-name"),
                    html.Span(window, className="wall-lot-window"),
                    _bar(occupied or 0, lot["capacity"], occupancy),
                    html.Span(share, className="wall-lot-share"),
                    html.Span(t("wall.parking.granted", lang, n=lot["granted"]), className="wall-lot-granted"),
                ],
                className="wall-row wall-lot" + (" open" if lot["open_now"] else ""),
            )
        )
    return rows


TIDE_COLOUR = {"day": "#ffb020", "night": "#5aa9ff"}


def tide_figure(tide: dict, lang: str, scale: float) -> go.Figure:
    """The tide: share of spaces taken over the last 24 h in the estates and in the office parks."""
    fig = go.Figure()
    for window in ("day", "night"):
        fig.add_trace(go.Scatter(x=tide["times"], y=tide[window], mode="lines", name=t(f"wall.parking.tide_{window}", lang),
                                 line={"color": TIDE_COLOUR[window], "width": 3 * scale}, hoverinfo="skip",
                                 connectgaps=False))  # fmt: skip
    fig.update_layout(
        margin={"l": 50 * scale, "r": 10, "t": 10, "b": 30 * scale},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": "#c9d6ea", "size": 13 * scale},
        xaxis={"tickformat": "%H:%M", "gridcolor": "#1c2e4f", "fixedrange": True},
        yaxis={"range": [0, 1.02], "tickformat": ".0%", "gridcolor": "#1c2e4f", "fixedrange": True},
        legend={"orientation": "h", "x": 0, "y": 1.12, "font": {"size": 14 * scale}},
    )
    if not tide["times"]:  # counters silent for a day: say so rather than draw an empty frame
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        fig.update_layout(showlegend=False)
        fig.add_annotation(text=t("wall.parking.tide_empty", lang), showarrow=False, x=0.5, y=0.5, xref="paper",
                           yref="paper", font={"size": 22 * scale, "color": "#8da2c0"})  # fmt: skip
    return fig


def parking_body(data: dict, lang: str, scale: float = 1.0) -> html.Div:
    return html.Div(
        [
            html.Div(parking_bigs(data, lang), className="wall-bigs", id="wall-parking-bigs"),
            html.Div(
                [
                    html.Div(parking_lots(data, lang), className="wall-panel wall-lots", id="wall-parking-lots"),
                    html.Div(
                        [
                            html.H3(t("wall.parking.tide", lang)),
                            dcc.Graph(
                                id="wall-tide",
                                figure=tide_figure(data["tide"], lang, scale),
                                config=GRAPH_CONFIG,
                                className="wall-graph",
                            ),
                        ],
                        className="wall-panel",
                    ),  # fmt: skip
                ],
                className="wall-columns wall-columns-even",
            ),
        ],
        className="wall-parking",
    )


# --- the estate index -------------------------------------------------------------------------------------------


def index_body(data: dict | None, lang: str, scale: float = 1.0) -> html.Div:
    if data is None:
        return html.Div(html.P(t("wall.index.none", lang), className="wall-empty"))
    rows = []
    for e in data["estates"][:14]:
        level = e["level"] if e["level"] in LEVEL_ICON else "none"
        interval = (
            t("wall.index.interval", lang, low=e["rank_low"], high=e["rank_high"]) if e["rank_low"] is not None else ""
        )
        name = pick(lang, e["name_zh"], e["name_en"])
        community = pick(lang, e["community_zh"] or "", e["community_en"] or "")
        rows.append(
            html.Div(
                [
                    html.Span(str(e["rank"] or "—"), className="wall-rank"),
                    html.Span(f"{name} · {community}" if community else name, className="wall-row-name"),
                    html.Span("—" if e["value"] is None else f"{e['value']:.1f}", className="wall-index-value"),
                    html.Span(
                        [_icon(LEVEL_ICON.get(level, "bi-question-circle")), " ", t(f"idx.level.{level}", lang)],
                        className=f"wall-chip level-{level}",
                    ),
                    html.Span(interval, className="wall-index-interval"),
                    html.Span(t("wall.index.low_turnout", lang) if e["low_turnout"] else "", className="wall-note"),
                    html.Span(
                        t("wall.index.rectifying", lang) if e["open_rectification"] else "", className="wall-note bad"
                    ),
                ],
                className=f"wall-row wall-index-row level-{level}",
            )
        )
    levels = data["levels"]
    return html.Div(
        [
            html.Div(
                [
                    _big(t("wall.index.month", lang), data["month"], t("wall.index.version", lang, v=data["version"])),
                    _big(t("idx.level.green", lang), str(levels["green"])),
                    _big(t("idx.level.yellow", lang), str(levels["yellow"])),
                    _big(
                        t("idx.level.red", lang),
                        str(levels["red"]),
                        t("wall.index.open_cases", lang, n=data["open_rectifications"]),
                        "bad" if levels["red"] else "",
                    ),
                ],  # fmt: skip
                className="wall-bigs",
            ),
            html.Div(
                [
                    html.Div([html.H3(t("wall.index.ranking", lang))] + rows, className="wall-panel wall-index"),
                    html.Div(
                        [
                            html.H3(t("wall.index.trend", lang)),
                            dcc.Graph(
                                figure=index_trend_figure(data["trend"], lang, scale),
                                config=GRAPH_CONFIG,
                                className="wall-graph",
                            ),
                        ],
                        className="wall-panel",
                    )
                    if data["trend"]
                    else None,
                ],  # fmt: skip
                className="wall-columns wall-columns-even" if data["trend"] else "wall-columns wall-columns-1",
            ),
        ],
        className="wall-estate-index",
    )


def index_trend_figure(trend: list[dict], lang: str, scale: float) -> go.Figure:
    fig = go.Figure()
    for i, code in enumerate(dict.fromkeys(r["estate"] for r in trend)):
        mine = [r for r in trend if r["estate"] == code]
        fig.add_trace(go.Scatter(x=[r["month"] for r in mine], y=[r["value"] for r in mine], mode="lines+markers",
                                 name=pick(lang, mine[0]["name_zh"], mine[0]["name_en"]), hoverinfo="skip",
                                 line={"width": 3 * scale, "color": INDEX_COLOURS[i % len(INDEX_COLOURS)]},
                                 marker={"size": 7 * scale}))  # fmt: skip
    fig.add_hrect(y0=0, y1=60, fillcolor="#ff4d4f", opacity=0.08, line_width=0)
    fig.update_layout(
        margin={"l": 40 * scale, "r": 10, "t": 10, "b": 30 * scale},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        font={"color": "#c9d6ea", "size": 13 * scale},
        xaxis={"type": "category", "gridcolor": "#1c2e4f", "fixedrange": True},
        yaxis={"range": [40, 100], "gridcolor": "#1c2e4f", "fixedrange": True},
        legend={"orientation": "h", "x": 0, "y": 1.12, "font": {"size": 14 * scale}},
    )
    return fig


INDEX_COLOURS = ("#5aa9ff", "#ffb020", "#27ae60", "#c586ff", "#ff7f7f", "#4dd0e1", "#f06292", "#aed581")


# --- safety and IoT -----------------------------------------------------------------------------------------------


def iot_body(data: dict, lang: str, _scale: float = 1.0) -> html.Div:
    kinds = []
    for kind, states in data["devices"].items():
        total = sum(states.values())
        if not total:
            continue
        kinds.append(
            html.Div(
                [
                    html.Div(t(f"dev.kind_{kind}", lang), className="wall-big-label"),
                    html.Div(str(total), className="wall-big-value"),
                    html.Div(
                        [
                            html.Span(t(f"dev.state_{s}", lang) + f" {states[s]}", className=f"wall-state state-{s}")
                            for s in ("normal", "alarm", "silent")
                        ],
                        className="wall-states",
                    ),
                ],
                className="wall-big",
            )
        )
    alarms = [
        html.Div(
            [
                severity_chip(a["severity"], lang),
                html.Span(alarm_text(a, lang), className="wall-row-name"),
                html.Span(place_text(a, lang), className="wall-feed-place"),
                html.Span(short_time(a["raised_at"]), className="wall-feed-time"),
                html.Span(
                    t("wall.alarm_acked" if a["acknowledged"] else "wall.alarm_active", lang), className="wall-note"
                ),
            ],
            className=f"wall-row sev-{a['severity']}",
        )
        for a in data["alarms"]
    ]
    ext, flood = data["extinguishers"], data["flood"]
    return html.Div(
        [
            html.Div(kinds or [html.P(t("wall.iot.none", lang), className="wall-empty")], className="wall-bigs"),
            html.Div(
                [
                    html.Div(
                        [html.H3(t("wall.iot.alarms", lang, n=sum(data["alarms_by_severity"].values())))]
                        + (alarms or [html.P(t("wall.iot.no_alarms", lang), className="wall-empty")]),
                        className="wall-panel wall-alarms",
                    ),
                    html.Div(
                        [
                            html.H3(t("wall.iot.upkeep", lang)),
                            html.Div(
                                t("wall.iot.extinguishers", lang, due=ext["due"], expired=ext["expired"]),
                                className="wall-row" + (" bad" if ext["expired"] else ""),
                            ),  # fmt: skip
                            html.Div(
                                t(
                                    "wall.iot.flood",
                                    lang,
                                    short=len(flood["short"]),
                                    stores=flood["stores"],
                                    phase=t(f"wall.flood.{flood['phase'] or 'off'}", lang),
                                ),
                                className="wall-row" + (" bad" if flood["short"] else ""),
                            ),  # fmt: skip
                        ]
                        + [
                            html.Div(
                                f"{pick(lang, s['name_zh'], s['name_en'])}: {s['quantity'] if s['quantity'] is not None else '—'}"
                                f" / {s['required']}",
                                className="wall-row wall-sub bad",
                            )
                            for s in flood["short"][:6]
                        ],  # fmt: skip
                        className="wall-panel",
                    ),
                ],
                className="wall-columns wall-columns-2",
            ),
        ],
        className="wall-iot",
    )


# --- pop-up ---------------------------------------------------------------------------------------------------


def popup(alerts: list[dict], lang: str) -> list:
    """The newest alert large, the others listed under it."""
    if not alerts:
        return []
    first, rest = alerts[0], alerts[1:]
    return [
        html.Div([_icon("bi-exclamation-octagon-fill"), " ", _alert_title(first, lang)], className="wall-popup-title"),
        html.Div(_alert_what(first, lang), className="wall-popup-what"),
        html.Div(place_text(first, lang), className="wall-popup-place"),
        html.Div(
            t(f"wall.popup.since_{first['kind']}", lang, time=hhmm(first["at"]))
            + (" · " + t("wall.popup.cues", lang, cues="、".join(first["cues"])) if first.get("cues") else ""),
            className="wall-popup-since",
        ),
        html.Div(t(f"wall.popup.hint_{first['kind']}", lang), className="wall-popup-hint"),
        html.Ul(
            [
                html.Li(f"{_alert_title(a, lang)} · {_alert_what(a, lang)} · {place_text(a, lang)} · {hhmm(a['at'])}")
                for a in rest
            ],
            className="wall-popup-more",
        )
        if rest
        else None,
    ]


def _alert_title(alert: dict, lang: str) -> str:
    return t("wall.popup.case" if alert["kind"] == "case" else "wall.popup.alarm", lang)


def _alert_what(alert: dict, lang: str) -> str:
    if alert["kind"] == "case":
        return pick(lang, alert["category_zh"], alert["category_en"])
    return alarm_text(alert, lang)


def alarm_text(alarm: dict, lang: str) -> str:
    kind = t(f"dev.kind_{alarm['device_kind']}", lang)
    return f"{kind} · " + t(f"dev.type_{alarm['alarm_type']}", lang)
