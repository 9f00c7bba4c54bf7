"""The estate running index page's pieces: level badges, the ranking, the trend, the 7 aspects as a radar, the
P/C indicators with the weakest marked, comments, rectification cases, the entry form and the method versions.
Pure: data in, Dash components and figures out."""

from __future__ import annotations

import json
from collections.abc import Callable

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from components.charts import FONT
from components.common import fmt_time
from domain.catalog import BALLOT_ASPECTS
from domain.estate_index import GROUPS
from i18n import pick, t
from i18n.messages_index import month_label

# Colour is never the only signal: each level has its own shape and its word.
LEVEL_STYLE = {
    "green": ("success", "bi-circle-fill", "#198754", "circle"),
    "yellow": ("warning", "bi-triangle-fill", "#d39e00", "triangle-up"),
    "red": ("danger", "bi-square-fill", "#b02a37", "square"),
    "none": ("secondary", "bi-circle", "#6c757d", "circle-open"),
}
ESTATE_COLOURS = ("#3b6fb6", "#d9822b", "#2a9d8f", "#6a4c93", "#e76f51", "#457b9d", "#8d6e63", "#c2185b")
GROUP_COLOUR = {"residents": "#3b6fb6", "property": "#2a9d8f", "committee": "#6a4c93"}
WEAK_COLOUR = "#b02a37"


def dom_id(pattern_id: dict) -> str:
    """The DOM id Dash gives a pattern-matching id, so a label can point at its field."""
    return json.dumps(pattern_id, sort_keys=True, separators=(",", ":"))


def level_badge(level: str, lang: str, badge_id: str | None = None) -> dbc.Badge:
    color, icon, _hex, _symbol = LEVEL_STYLE.get(level, LEVEL_STYLE["none"])
    return dbc.Badge(
        [html.I(className=f"bi {icon} me-1", **{"aria-hidden": "true"}), t(f"idx.level.{level}", lang)],
        color=color,
        text_color="dark" if color == "warning" else None,
        className="level-badge",
        **({"id": badge_id} if badge_id else {}),
    )


def interval_text(row: dict) -> str:
    if row.get("rank") is None:
        return "—"
    low, high = row.get("rank_low"), row.get("rank_high")
    return str(low) if low == high else f"{low}–{high}"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{100 * value:.0f}%"


def number(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def change_text(now: float | None, before: float | None) -> tuple[str, str]:
    """(text, css class) of the change against the month before."""
    if now is None or before is None:
        return "—", "text-body-secondary"
    delta = round(now - before, 1)
    if delta > 0:
        return f"▲ {delta:+.1f}", "text-success"
    if delta < 0:
        return f"▼ {delta:+.1f}", "text-danger"
    return "＝ 0.0", "text-body-secondary"


def component_name(code: str, names: dict, lang: str, with_code: bool = True) -> str:
    aspects = {c: (zh, en) for c, zh, en in BALLOT_ASPECTS}
    if code in aspects:
        return pick(lang, *aspects[code])
    d = names.get(code)
    if d is None:
        return code
    label = pick(lang, d["name_zh"], d["name_en"])
    return f"{code} {label}" if with_code else label


# --- the ranking -----------------------------------------------------------------------------------------------


def ranking_table(
    rows: list[dict], previous: dict[int, float | None], lang: str, selected: str | None, href: Callable[[str], str]
) -> dbc.Table:
    """rows: a month's results, best first; previous: estate id -> last month's value."""
    head = html.Thead(
        html.Tr(
            [
                html.Th(t("idx.col.rank", lang)),
                html.Th(t("idx.col.estate", lang)),
                html.Th(t("idx.col.value", lang), className="text-end"),
                html.Th(t("idx.col.level", lang)),
                html.Th(
                    [
                        t("idx.col.interval", lang),
                        html.I(
                            className="bi bi-info-circle ms-1",
                            title=t("idx.interval_help", lang),
                            **{"aria-hidden": "true"},
                        ),
                    ]
                ),
                html.Th(t("idx.col.coverage", lang), className="text-end"),
                html.Th(t("idx.col.turnout", lang), className="text-end"),
                html.Th(t("idx.col.change", lang), className="text-end"),
            ]
        )
    )
    body = []
    for r in rows:
        text, css = change_text(r["value"], previous.get(r["estate_id"]))
        turnout = [pct(r["turnout"])]
        if r["low_turnout"]:
            turnout.append(
                dbc.Badge(
                    t("idx.low_turnout_short", lang),
                    color="light",
                    text_color="dark",
                    className="ms-1 border",
                    title=t("idx.low_turnout_help", lang),
                )
            )
        body.append(
            html.Tr(
                [
                    html.Td(str(r["rank"]) if r["rank"] is not None else "—", className="fw-semibold"),
                    html.Td(
                        dcc.Link(
                            pick(lang, r["estate_zh"], r["estate_en"]),
                            href=href(r["estate"]),
                            id=f"idx-rank-link-{r['estate']}",
                        )
                    ),
                    html.Td(number(r["value"]), className="text-end fw-bold"),
                    html.Td(level_badge(r["level"], lang)),
                    html.Td(interval_text(r), className="rank-interval"),
                    html.Td(pct(r["coverage"]), className="text-end"),
                    html.Td(turnout, className="text-end"),
                    html.Td(text, className=f"text-end {css}"),
                ],
                className="table-active" if r["estate"] == selected else None,
            )
        )
    return dbc.Table(
        [head, html.Tbody(body)],
        hover=True,
        size="sm",
        responsive=True,
        id="idx-ranking",
        className="align-middle mb-0",
    )


def _base(fig: go.Figure, height: int) -> go.Figure:
    fig.update_layout(
        height=height,
        margin={"l": 40, "r": 20, "t": 30, "b": 40},
        font={"family": FONT},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        legend={"orientation": "h", "y": -0.15},
    )
    return fig


def trend_figure(
    rows: list[dict], months: list[str], green_at: float, yellow_at: float, lang: str, selected: str | None = None
) -> go.Figure:
    """Each estate's index month by month, with the level bands; the marker's shape carries the level too, and a
    dotted line marks the month shown below."""
    fig = go.Figure()
    labels = list(months)  # YYYY-MM reads the same in both languages and fits under the axis
    top = 100
    bands = (
        (0, yellow_at, "rgba(176,42,55,0.07)"),
        (yellow_at, green_at, "rgba(211,158,0,0.08)"),
        (green_at, top, "rgba(25,135,84,0.07)"),
    )
    for low, high, colour in bands:
        fig.add_hrect(y0=low, y1=high, fillcolor=colour, line_width=0, layer="below")
    estates = list(dict.fromkeys(r["estate"] for r in rows))
    for n, code in enumerate(estates):
        series = {r["month"]: r for r in rows if r["estate"] == code}
        first = next(iter(series.values()))
        points = [series.get(m) for m in months]
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=[p["value"] if p else None for p in points],
                name=pick(lang, first["estate_zh"], first["estate_en"]),
                mode="lines+markers",
                line={"color": ESTATE_COLOURS[n % len(ESTATE_COLOURS)], "width": 2},
                marker={
                    "size": 9,
                    "symbol": [LEVEL_STYLE[p["level"]][3] if p else "circle" for p in points],
                    "color": [LEVEL_STYLE[p["level"]][2] if p else "#999" for p in points],
                    "line": {"width": 1, "color": "#fff"},
                },
                customdata=[t(f"idx.level.{p['level']}", lang) if p else "" for p in points],
                hovertemplate="%{x}: %{y:.1f} · %{customdata}<extra>%{fullData.name}</extra>",
                connectgaps=False,
            )
        )
    if selected in months:
        fig.add_vline(x=months.index(selected), line_width=2, line_dash="dot", line_color="#495057")
    values = [r["value"] for r in rows if r["value"] is not None]
    low = max(0, min([*values, yellow_at]) - 8)
    fig.update_layout(yaxis={"title": t("idx.col.value", lang), "range": [low, top]}, xaxis={"type": "category"})
    return _base(fig, 340)


def radar_figure(
    now: dict[str, float], before: dict[str, float], average: dict[str, float], lang: str, safety: tuple[str, ...]
) -> go.Figure:
    """The 7 aspects (0-100) of the month, of the month before, and the community's average."""
    codes = [code for code, _zh, _en in BALLOT_ASPECTS]
    # long English names on two lines, so the ones left and right of the circle stay inside the figure
    labels = [
        (pick(lang, zh, en) if len(en) <= 12 or lang != "en" else en.replace(" ", "<br>", 1))
        + (" ⚠" if code in safety else "")
        for code, zh, en in BALLOT_ASPECTS
    ]
    fig = go.Figure()

    def trace(values: dict, name: str, colour: str, dash: str | None, fill: str | None) -> None:
        if not values:
            return
        r = [values.get(c) for c in codes]
        fig.add_trace(
            go.Scatterpolar(
                r=[*r, r[0]],
                theta=[*labels, labels[0]],
                name=name,
                line={"color": colour, "dash": dash},
                fill=fill,
                hovertemplate="%{theta}: %{r:.1f}<extra>" + name + "</extra>",
            )
        )

    trace(average, t("idx.radar.average", lang), "#888888", "dot", None)
    trace(before, t("idx.radar.before", lang), "#d9822b", "dash", None)
    trace(now, t("idx.radar.now", lang), "#3b6fb6", None, "toself")
    # the first aspect at the top, and the radial scale between the first two so it covers no label
    spoke = 360 / len(codes)
    fig.update_layout(
        polar={
            "radialaxis": {
                "range": [0, 100],
                "tickvals": [20, 40, 60, 80],
                "angle": 90 - spoke / 2,
                "tickfont": {"size": 9},
            },
            "angularaxis": {"rotation": 90, "direction": "clockwise"},
        }
    )
    return _base(fig, 400)


def indicators_figure(
    scores: dict[str, float], names: dict, group: str, weakest: list[str], yellow_at: float, lang: str
) -> go.Figure:
    """The group's indicators (0-100, direction applied), lowest at the top; the weakest are red and say so."""
    codes = sorted((c for c, d in names.items() if d["group"] == group), key=lambda c: (scores.get(c, 101), c))
    shown = [c for c in codes if c in scores]
    missing = [c for c in codes if c not in scores]
    weak_label = t("idx.weakest_mark", lang)
    fig = go.Figure(
        go.Bar(
            y=[component_name(c, names, lang) for c in shown][::-1],
            x=[scores[c] for c in shown][::-1],
            orientation="h",
            marker_color=[WEAK_COLOUR if c in weakest else GROUP_COLOUR[group] for c in shown][::-1],
            text=[f"{scores[c]:.1f}" + (f"  ◀ {weak_label}" if c in weakest else "") for c in shown][::-1],
            textposition="outside",
            cliponaxis=False,
            hovertemplate="%{y}: %{x:.1f}<extra></extra>",
        )
    )
    fig.add_vline(x=yellow_at, line_dash="dot", line_color="#b02a37")
    title = t("idx.missing_inputs", lang, codes=", ".join(missing)) if missing else None
    fig.update_layout(
        xaxis={"range": [0, 118], "title": t("idx.score_axis", lang)},
        showlegend=False,
        title={"text": title, "font": {"size": 12}} if title else None,
    )
    return _base(fig, max(260, 24 * len(shown) + 90))


def sub_tiles(result: dict, previous: dict | None, lang: str) -> dbc.Row:
    """The index, its three sub-indices, coverage and turnout of the month, each with its change."""

    def tile(tile_id: str, label: str, value: str, note: str | None = None, note_class: str = "") -> dbc.Col:
        return dbc.Col(
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(label, className="kpi-label"),
                        html.Div(value, className="kpi-value", id=f"{tile_id}-value"),
                        html.Div(note, className=f"kpi-note {note_class}") if note else None,
                    ]
                ),
                className="kpi-tile h-100",
                id=tile_id,
            ),
            xs=6,
            md=4,
            xl=2,
        )

    before = previous or {}
    idx_change, idx_css = change_text(result["value"], before.get("value"))
    tiles = [tile("idx-tile-value", t("idx.col.value", lang), number(result["value"]), idx_change, idx_css)]
    for group in GROUPS:
        text, css = change_text(result["sub"][group], (before.get("sub") or {}).get(group))
        tiles.append(tile(f"idx-tile-{group}", t(f"idx.group.{group}", lang), number(result["sub"][group]), text, css))
    tiles.append(
        tile("idx-tile-coverage", t("idx.col.coverage", lang), pct(result["coverage"]), t("idx.coverage_help", lang))
    )
    comps = result.get("components") or {}
    turnout_note = t("idx.ballots_line", lang, n=comps.get("ballots", 0), households=comps.get("households", 0))
    tiles.append(
        tile(
            "idx-tile-turnout",
            t("idx.col.turnout", lang),
            pct(result["turnout"]),
            turnout_note,
            "text-danger" if result["low_turnout"] else "",
        )
    )
    return dbc.Row(tiles, className="g-2 mb-3")


def comments_list(comments: list[str], lang: str) -> html.Div:
    if not comments:
        return html.P(t("idx.no_comments", lang), className="text-body-secondary fst-italic mb-0")
    return html.Ul(
        [html.Li(c, className="idx-comment") for c in comments], className="idx-comments mb-0", id="idx-comments"
    )


# --- rectification ---------------------------------------------------------------------------------------------


def _date(value) -> str:  # noqa: ANN001
    return value.isoformat() if value else "—"


def _entry(entry: dict, lang: str) -> html.Li:
    kind = entry.get("kind")
    at = (entry.get("at") or "")[:16].replace("T", " ")
    if kind == "result":
        text = t(
            "idx.case.result_line",
            lang,
            value=number(entry.get("value")),
            level=t(f"idx.level.{entry.get('level', 'none')}", lang),
            trend=t(f"idx.trend.{entry.get('trend', 'not_rated')}", lang),
        )
        css = {"improved": "text-success", "worse": "text-danger"}.get(entry.get("trend"), "")
        return html.Li(
            [html.Span(month_label(entry["month"], lang), className="trail-time me-2"), html.Span(text, className=css)],
            className="trail-step",
        )
    if kind == "opened":
        text = t(
            "idx.case.opened_line", lang, month=month_label(entry["month"], lang), value=number(entry.get("value"))
        )
    elif kind == "closed":
        text = t("idx.case.closed_line", lang, by=entry.get("by", ""))
    else:
        text = t("idx.case.note_line", lang, by=entry.get("by", ""))
    note = entry.get("note")
    changes = entry.get("changes") or []
    return html.Li(
        [
            html.Span(at, className="trail-time me-2"),
            html.Span(text),
            html.Div(
                "; ".join(t(f"idx.change.{c['field']}", lang, value=c["value"] or "—") for c in changes),
                className="small text-body-secondary",
            )
            if changes
            else None,
            html.Div(note, className="trail-note") if note else None,
        ],
        className="trail-step",
    )


def case_panel(case: dict, lang: str, can_edit: bool, can_close: bool) -> dbc.Card:
    """One rectification case: interview, who is called in, items, due date, the month-by-month trail, and the
    follow-up form for the roles that may write."""
    open_ = case["status"] == "open"
    attendees = html.Ul(
        [
            html.Li(
                [
                    t(f"idx.attendee.{a['role']}", lang),
                    html.Span(f"：{a['name']}" if a.get("name") else "", className="fw-semibold"),
                ]
            )
            for a in case["attendees"]
        ],
        className="mb-0 ps-3",
    )
    items = html.Ol(
        [html.Li(f"{pick(lang, i['name_zh'], i['name_en'])} ({number(i['score'])})") for i in case["items"]],
        className="mb-0 ps-3",
    )
    facts = dbc.Row(
        [
            dbc.Col(
                [
                    html.Div(t("idx.case.interview", lang), className="small text-body-secondary"),
                    html.Div(_date(case["interview_on"]), className="fw-semibold", id="idx-case-interview-on"),
                ],
                md=3,
            ),
            dbc.Col(
                [
                    html.Div(t("idx.case.due", lang), className="small text-body-secondary"),
                    html.Div(_date(case["due_on"]), className="fw-semibold", id="idx-case-due-on"),
                ],
                md=3,
            ),
            dbc.Col([html.Div(t("idx.case.attendees", lang), className="small text-body-secondary"), attendees], md=6),
        ],
        className="g-2 mb-2",
    )
    trail = html.Ul([_entry(e, lang) for e in case["follow_up"]], className="trail mt-2", id="idx-case-trail")
    form = None
    if open_ and can_edit:
        names = {a["role"]: a.get("name", "") for a in case["attendees"]}
        form = html.Div(
            [
                html.H3(t("idx.case.follow_form", lang), className="h6 mt-3"),
                dbc.Row(
                    [
                        dbc.Col(
                            [
                                dbc.Label(t("idx.case.interview", lang), html_for="idx-case-interview"),
                                dbc.Input(id="idx-case-interview", type="date", value=_date(case["interview_on"])),
                            ],
                            md=3,
                        ),
                        dbc.Col(
                            [
                                dbc.Label(t("idx.case.due", lang), html_for="idx-case-due"),
                                dbc.Input(id="idx-case-due", type="date", value=_date(case["due_on"])),
                            ],
                            md=3,
                        ),
                        dbc.Col(
                            [
                                dbc.Label(t("idx.attendee.committee", lang), html_for="idx-case-committee"),
                                dbc.Input(id="idx-case-committee", value=names.get("committee", ""), maxLength=80),
                            ],
                            md=3,
                        ),
                        dbc.Col(
                            [
                                dbc.Label(t("idx.attendee.property_manager", lang), html_for="idx-case-property"),
                                dbc.Input(
                                    id="idx-case-property", value=names.get("property_manager", ""), maxLength=80
                                ),
                            ],
                            md=3,
                        ),
                    ],
                    className="g-2",
                ),
                dbc.Label(t("idx.case.note", lang), html_for="idx-case-note", className="mt-2"),
                dbc.Textarea(id="idx-case-note", maxLength=1000, rows=2),
                html.Div(
                    [
                        dbc.Button(
                            t("idx.case.save", lang),
                            id="idx-case-save",
                            color="primary",
                            size="sm",
                            className="me-2",
                            n_clicks=0,
                        ),
                        dbc.Button(
                            t("idx.case.close", lang),
                            id="idx-case-close",
                            color="outline-danger",
                            size="sm",
                            n_clicks=0,
                        )
                        if can_close
                        else None,
                        html.Span(t("idx.case.close_help", lang), className="small text-body-secondary ms-2")
                        if can_close
                        else None,
                    ],
                    className="mt-2",
                ),
            ]
        )
    status = dbc.Badge(
        t(f"idx.case.status.{case['status']}", lang), color="danger" if open_ else "secondary", className="ms-2"
    )
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.I(className="bi bi-megaphone me-2", **{"aria-hidden": "true"}),
                    t("idx.case.title", lang, month=month_label(case["month"], lang)),
                    status,
                ]
            ),
            dbc.CardBody(
                [
                    facts,
                    html.Div(t("idx.case.items", lang), className="small text-body-secondary"),
                    items,
                    html.Div(t("idx.case.follow_up", lang), className="small text-body-secondary mt-2"),
                    trail,
                    form,
                    dcc.Store(id="idx-case-id", data=case["id"]),
                ]
            ),
        ],
        className="mb-3 border-danger" if open_ else "mb-3",
        id="idx-case",
    )


def cases_table(cases: list[dict], lang: str, href: Callable[[str, str], str]) -> html.Div:
    if not cases:
        return html.P(t("idx.no_cases", lang), className="text-body-secondary fst-italic mb-0", id="idx-no-cases")
    rows = []
    for c in cases:
        last = next((f for f in reversed(c["follow_up"]) if f.get("kind") == "result"), None)
        latest = (
            t(f"idx.trend.{last.get('trend', 'not_rated')}", lang) + f" ({month_label(last['month'], lang)})"
            if last
            else "—"
        )
        rows.append(
            html.Tr(
                [
                    html.Td(dcc.Link(pick(lang, c["estate_zh"], c["estate_en"]), href=href(c["estate"], c["month"]))),
                    html.Td(month_label(c["month"], lang)),
                    html.Td(
                        dbc.Badge(
                            t(f"idx.case.status.{c['status']}", lang),
                            color="danger" if c["status"] == "open" else "secondary",
                        )
                    ),
                    html.Td(_date(c["interview_on"])),
                    html.Td(_date(c["due_on"])),
                    html.Td(latest),
                ]
            )
        )
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(k, lang))
                for k in (
                    "idx.col.estate",
                    "idx.case.month",
                    "idx.case.status_col",
                    "idx.case.interview",
                    "idx.case.due",
                    "idx.case.latest",
                )
            ]
        )
    )
    return dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, responsive=True, id="idx-cases", className="mb-0")


# --- entering indicators ---------------------------------------------------------------------------------------


def entry_inputs(defs: list[dict], values: dict[str, float], lang: str) -> html.Div:
    """One number field per indicator (0-100), property and committee side by side."""

    def field(d: dict) -> dbc.Row:
        value = values.get(d["code"])
        return dbc.Row(
            [
                dbc.Label(
                    [
                        html.Span(d["code"], className="font-monospace me-1"),
                        html.Span(
                            pick(lang, d["name_zh"], d["name_en"]), title=pick(lang, d["meaning_zh"], d["meaning_en"])
                        ),
                    ],
                    html_for=dom_id({"type": "idx-score", "code": d["code"]}),
                    width=8,
                    className="small py-1",
                ),
                dbc.Col(
                    dbc.Input(
                        id={"type": "idx-score", "code": d["code"]},
                        type="number",
                        min=0,
                        max=100,
                        step=0.1,
                        size="sm",
                        value=value,
                        debounce=True,
                    ),
                    width=4,
                ),
            ],
            className="g-1 mb-1",
        )

    return dbc.Row(
        [
            dbc.Col(
                [html.H3(t(f"idx.group.{g}", lang), className="h6")] + [field(d) for d in defs if d["group"] == g], md=6
            )
            for g in ("property", "committee")
        ]
    )


def entry_result(outcome: dict, lang: str, filename: str | None = None) -> dbc.Alert:
    """What a save or an upload did, in the user's language; row errors listed (the first 30)."""
    name = filename or ""
    if "error" in outcome:
        return dbc.Alert(
            t(f"idx.upload_error.{outcome['error']}", lang, name=name), color="danger", id="idx-entry-error"
        )
    if "errors" in outcome:
        errors = outcome["errors"]
        items = [
            html.Li(
                t(
                    "idx.upload_row",
                    lang,
                    row=e.row,
                    field=t(f"idx.field.{e.field}", lang),
                    problem=t(f"idx.problem.{e.code}", lang),
                )
                if e.row
                else t(f"idx.problem.{e.code}", lang)
            )
            for e in errors[:30]
        ]
        more = [html.Li(t("idx.upload_more", lang, n=len(errors) - 30))] if len(errors) > 30 else []
        return dbc.Alert(
            [
                html.Strong(t("idx.upload_rejected", lang, name=name, n=len(errors))),
                html.Ul(items + more, className="mb-0"),
            ],
            color="danger",
            id="idx-entry-errors",
        )
    return dbc.Alert(
        t("idx.upload_done", lang, estates=outcome["estates"], stored=outcome["stored"], replaced=outcome["replaced"]),
        color="success",
        id="idx-entry-done",
    )


def score_log_list(rows: list[dict], lang: str) -> html.Div:
    if not rows:
        return html.P(t("idx.log_empty", lang), className="small text-body-secondary mb-0")
    return html.Ul(
        [
            html.Li(
                [
                    html.Span(fmt_time(r["at"]), className="trail-time me-2"),
                    t(
                        "idx.log_line",
                        lang,
                        user=r["username"],
                        estate=pick(lang, r["estate_zh"], r["estate_en"]),
                        month=r["month"],
                        action=t(f"idx.log_action.{r['action']}", lang),
                    ),
                    html.Div(r["detail"], className="small text-body-secondary text-break"),
                ],
                className="mb-1",
            )
            for r in rows
        ],
        className="list-unstyled small mb-0",
        id="idx-score-log",
    )


def definitions_table(defs: list[dict], weights: dict[str, float], lang: str) -> dbc.Table:
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(k, lang))
                for k in (
                    "idx.def.code",
                    "idx.def.name",
                    "idx.def.group",
                    "idx.def.direction",
                    "idx.def.weight",
                    "idx.def.meaning",
                )
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(d["code"], className="font-monospace"),
                    html.Td(pick(lang, d["name_zh"], d["name_en"])),
                    html.Td(t(f"idx.group.{d['group']}", lang)),
                    html.Td(t("idx.def.higher" if d["higher_is_better"] else "idx.def.lower", lang)),
                    html.Td(f"{weights.get(d['code'], d['weight']):g}"),
                    html.Td(pick(lang, d["meaning_zh"], d["meaning_en"]), className="small"),
                ]
            )
            for d in defs
        ]
    )
    return dbc.Table([head, body], size="sm", striped=True, responsive=True, id="idx-definitions", className="mb-0")


# --- method versions -------------------------------------------------------------------------------------------


def method_summary(params: dict, lang: str) -> str:
    sub = params["sub_weights"]
    total = sum(sub.values()) or 1
    mc = params["monte_carlo"]
    return (
        t(
            "idx.method_text",
            lang,
            residents=round(100 * sub["residents"] / total),
            property=round(100 * sub["property"] / total),
            committee=round(100 * sub["committee"] / total),
            green=f"{params['green_at']:g}",
            yellow=f"{params['yellow_at']:g}",
            floor=f"{params['safety_floor']:g}",
            turnout=pct(params["turnout_floor"]),
            coverage=pct(params["min_coverage"]),
        )
        + " "
        + t(
            "idx.interval_text",
            lang,
            draws=mc["draws"],
            jitter=round(100 * mc["weight_jitter"]),
            interval=round(100 * mc["interval"]),
            seed=mc["seed"],
        )
    )


def versions_table(versions: list[dict], lang: str, can_activate: bool) -> dbc.Table:
    head = html.Thead(
        html.Tr(
            [
                html.Th(t(k, lang))
                for k in ("idx.ver.version", "idx.ver.created", "idx.ver.by", "idx.ver.summary", "idx.ver.state")
            ]
        )
    )
    rows = []
    for v in versions:
        state = (
            dbc.Badge(t("idx.ver.active", lang), color="success")
            if v["active"]
            else dbc.Button(
                t("idx.ver.activate", lang),
                id={"type": "idx-activate", "version": v["version"]},
                size="sm",
                color="outline-primary",
                n_clicks=0,
            )
            if can_activate
            else t("idx.ver.inactive", lang)
        )
        rows.append(
            html.Tr(
                [
                    html.Td(v["version"], className="fw-semibold"),
                    html.Td(fmt_time(v["created_at"])),
                    html.Td(v["created_by"]),
                    html.Td(method_summary(v["resolved"], lang), className="small"),
                    html.Td(state),
                ]
            )
        )
    return dbc.Table([head, html.Tbody(rows)], size="sm", responsive=True, id="idx-versions", className="mb-0")


def method_form(params: dict, defs: list[dict], lang: str) -> html.Div:
    """A new version, pre-filled with the active one: shares of the three groups, thresholds, floors, the Monte
    Carlo and every input's weight inside its group."""

    def number_input(
        input_id: str, label: str, value, step: float, low: float, high: float, help_key: str | None = None
    ):  # noqa: ANN001
        return dbc.Col(
            [
                dbc.Label(label, html_for=input_id, className="small mb-0"),
                dbc.Input(id=input_id, type="number", value=value, step=step, min=low, max=high, size="sm"),
                dbc.FormText(t(help_key, lang)) if help_key else None,
            ],
            xs=6,
            md=3,
            lg=2,
        )

    sub, mc = params["sub_weights"], params["monte_carlo"]
    main = dbc.Row(
        [
            number_input("idx-m-residents", t("idx.group.residents", lang), sub["residents"], 0.01, 0, 100),
            number_input("idx-m-property", t("idx.group.property", lang), sub["property"], 0.01, 0, 100),
            number_input("idx-m-committee", t("idx.group.committee", lang), sub["committee"], 0.01, 0, 100),
            number_input("idx-m-green", t("idx.m.green", lang), params["green_at"], 0.5, 0, 100),
            number_input("idx-m-yellow", t("idx.m.yellow", lang), params["yellow_at"], 0.5, 0, 100),
            number_input("idx-m-safety", t("idx.m.safety", lang), params["safety_floor"], 0.5, 0, 100),
            number_input("idx-m-turnout", t("idx.m.turnout", lang), params["turnout_floor"], 0.01, 0, 1),
            number_input("idx-m-coverage", t("idx.m.coverage", lang), params["min_coverage"], 0.01, 0, 1),
            number_input("idx-m-draws", t("idx.m.draws", lang), mc["draws"], 100, 100, 20000),
            number_input("idx-m-jitter", t("idx.m.jitter", lang), mc["weight_jitter"], 0.01, 0, 0.99),
            number_input("idx-m-seed", t("idx.m.seed", lang), mc["seed"], 1, 0, 2**31 - 1),
        ],
        className="g-2 mb-2",
    )
    aspects = [{"code": c, "name_zh": zh, "name_en": en, "group": "residents"} for c, zh, en in BALLOT_ASPECTS]
    weight_fields = []
    for group in GROUPS:
        members = aspects if group == "residents" else [d for d in defs if d["group"] == group]
        weight_fields.append(
            dbc.Col(
                [html.Div(t(f"idx.group.{group}", lang), className="small fw-semibold mb-1")]
                + [
                    dbc.InputGroup(
                        [
                            html.Label(
                                pick(lang, m["name_zh"], m["name_en"]) if group == "residents" else m["code"],
                                className="input-group-text idx-weight-label",
                                title=pick(lang, m["name_zh"], m["name_en"]),
                                htmlFor=dom_id({"type": "idx-w", "code": m["code"]}),
                            ),
                            dbc.Input(
                                id={"type": "idx-w", "code": m["code"]},
                                type="number",
                                min=0,
                                max=100,
                                step=0.1,
                                value=params["weights"].get(m["code"], 1.0),
                            ),
                        ],
                        size="sm",
                        className="mb-1",
                    )
                    for m in members
                ],
                md=4,
            )
        )
    return html.Div(
        [
            html.H3(t("idx.m.new", lang), className="h6"),
            html.P(t("idx.m.new_help", lang), className="small text-body-secondary"),
            main,
            html.Details(
                [
                    html.Summary(t("idx.m.weights", lang), className="small"),
                    dbc.Row(weight_fields, className="g-3 mt-1"),
                ],
                className="mb-2",
            ),
            dbc.Checkbox(id="idx-m-activate", label=t("idx.m.activate", lang), value=True, className="mb-2"),
            dbc.Button(t("idx.m.save", lang), id="idx-m-save", color="primary", size="sm", n_clicks=0),
        ],
        id="idx-method-form",
    )


def feedback(message: str, ok: bool, feedback_id: str) -> dbc.Alert:
    return dbc.Alert(
        message, color="success" if ok else "danger", id=feedback_id, className="mt-2 mb-0", dismissable=True
    )
