"""Services presentation (服务模块): the section tabs, status badges, the figures of the services page, the
request queue, one request with its proposals and trail, and the talent library.

Pure: data in, Dash components and figures out. Every chart point carries `customdata` naming what it
counts ([kind, value, month]); the page rebuilds the drill-down URL from it on the server (`drill_href`)
instead of trusting a URL sent by the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlencode

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from components.charts import _base
from components.common import fmt_time, kpi_tile
from domain.languages import language_name
from domain.services import free_slots
from i18n import pick, t
from i18n.grid_locale import grid_locale
from i18n.services_text import reason_text, slot_text, slots_text

TABS = (("overview", "/services", "svcq.tab.overview", "bi-bar-chart"),
        ("requests", "/services/requests", "svcq.tab.requests", "bi-inboxes"),
        ("library", "/services/library", "svcq.tab.library", "bi-people"))  # fmt: skip
STATUS_STYLE = {
    "requested": ("info", "bi-hourglass-split"), "matched": ("primary", "bi-person-check"),
    "scheduled": ("primary", "bi-calendar-check"), "done": ("success", "bi-check2-circle"),
    "rated": ("success", "bi-star-fill"), "cancelled": ("secondary", "bi-x-circle"),
}  # fmt: skip
SPECIALTY_COLOURS = ("#3b6fb6", "#2a9d8f", "#e9c46a", "#d9822b", "#6a4c93", "#c0392b", "#7f8c8d", "#16a085",
                     "#8e44ad", "#2c3e50")  # fmt: skip
STATUS_COLOURS = {"finished": "#2a9d8f", "cancelled": "#adb5bd", "open": "#3b6fb6"}
MAX_PEOPLE = 25  # the load chart shows the busiest people; the library lists everyone
SHOWN_PROPOSALS = 5  # proposals in view on a request's page; the rest fold away
DRILL_KINDS = ("specialty", "matched", "status", "rating", "talent", "gap")


# --- small pieces -----------------------------------------------------------------------------------


def section_tabs(active: str, lang: str) -> dbc.Nav:
    """The services section's own navigation: overview (figures), the request queue, the library."""
    return dbc.Nav(
        [
            dbc.NavItem(
                dbc.NavLink([html.I(className=f"bi {icon} me-1", **{"aria-hidden": "true"}), t(key, lang)],
                            href=href, active=name == active, id=f"svc-tab-{name}")
            )
            for name, href, key, icon in TABS
        ],
        pills=True,
        className="mb-3 gap-1",
        id="svc-tabs",
    )  # fmt: skip


def status_badge(status: str, lang: str) -> dbc.Badge:
    colour, icon = STATUS_STYLE.get(status, ("secondary", "bi-circle"))
    return dbc.Badge([html.I(className=f"bi {icon} me-1", **{"aria-hidden": "true"}), t(f"svcreq.status.{status}", lang)],
                     color=colour, className="svc-status")  # fmt: skip


def gap_badge(lang: str) -> dbc.Badge:
    return dbc.Badge([html.I(className="bi bi-translate me-1", **{"aria-hidden": "true"}), t("svcq.gap_flag", lang)],
                     color="warning", text_color="dark", className="svc-gap")  # fmt: skip


def _names(lang: str, specialties: dict[str, tuple[str, str]]) -> Callable[[str], str]:
    def name(code: str) -> str:
        zh, en = specialties.get(code, (code, code))
        return pick(lang, zh, en)

    return name


def reasons_list(reasons: list[dict], lang: str, specialties: dict[str, tuple[str, str]], list_id: str | None = None):
    """The reasons behind a score as a list; the ones that count against a person are marked so."""
    against = {"no_language", "no_common_time", "full"}
    items = [
        html.Li(
            [html.I(className="bi " + ("bi-dash-circle text-danger" if r.get("code") in against
                                        else "bi-check-circle text-success") + " me-1", **{"aria-hidden": "true"}),
             reason_text(r, lang, _names(lang, specialties), language_name)],
            className="svc-reason", **{"data-code": r.get("code", "")},
        )
        for r in reasons
    ]  # fmt: skip
    return html.Ul(items, className="list-unstyled small mb-0", **({"id": list_id} if list_id else {}))


def team_text(team: str, teams: dict[str, str], lang: str) -> str:
    return pick(lang, team, teams.get(team, team))


# --- the figures of the services page ---------------------------------------------------------------


def drill_href(kind: str, value: object, month: object, first: str, last: str) -> str | None:
    """The request list behind one figure; None when the point does not name a group we filter on.
    `month` narrows to one month of the span (the span itself otherwise)."""
    if kind not in DRILL_KINDS or value is None or (isinstance(value, str) and len(value) > 40):
        return None
    span = month if isinstance(month, str) and len(month) == 7 else (first if first == last else f"{first}..{last}")
    params: dict[str, str] = {"month": span}
    if kind == "specialty":
        params["specialty"] = str(value)
    elif kind == "matched":
        params["matched"] = "1"
    elif kind == "status":
        params["status"] = str(value)
    elif kind == "rating":
        params["rating"] = str(value)
    elif kind == "talent":  # a person's load is what they hold now, whenever it was asked for
        params = {"talent": str(value), "status": "open"}
    elif kind == "gap":
        params.update(language=str(value), gap="1")
    return "/services/requests?" + urlencode(params)


def _empty(fig: go.Figure, lang: str) -> go.Figure:
    fig.add_annotation(text=t("common.no_data", lang), showarrow=False, x=0.5, y=0.5, xref="paper", yref="paper")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def pct(value: float | None, lang: str) -> str:
    return f"{value * 100:.0f}%" if value is not None else t("common.not_applicable", lang)


def hours_text(value: float | None, lang: str) -> str:
    if value is None:
        return t("common.not_applicable", lang)
    if value < 1:
        return t("svcfig.minutes", lang, m=f"{value * 60:.0f}")
    return t("svcfig.hours", lang, h=f"{value:.1f}")


def headline_tiles(figures: dict, waiting: int, lang: str) -> dbc.Row:
    total, first, last = figures["total"], figures["first"], figures["last"]
    span = first if first == last else f"{first}..{last}"

    def href(**params) -> str:
        return "/services/requests?" + urlencode(params)

    avg = f"{total['avg_rating']:.1f}" if total["avg_rating"] is not None else t("common.not_applicable", lang)
    gap_total = sum(g["requests"] for g in figures["gaps"])
    tiles = [
        kpi_tile("svc-kpi-requests", t("svcfig.requests", lang), str(total["requests"]), "bi-inboxes", "primary",
                 t("svcfig.requests_note", lang, first=first, last=last), href(month=span)),
        kpi_tile("svc-kpi-waiting", t("svcfig.waiting", lang), str(waiting), "bi-hourglass-split", "info",
                 t("svcfig.waiting_note", lang), href(status="requested")),
        kpi_tile("svc-kpi-match", t("svcfig.time_to_match", lang), hours_text(total["median_hours"], lang),
                 "bi-lightning-charge", "primary", t("svcfig.time_to_match_note", lang, n=total["matched"]),
                 href(month=span, matched="1")),
        kpi_tile("svc-kpi-completion", t("svcfig.completion", lang), pct(total["completion"], lang),
                 "bi-check2-all", "success",
                 t("svcfig.completion_note", lang, done=total["finished"], ended=total["finished"] + total["cancelled"]),
                 href(month=span, status="finished")),
        kpi_tile("svc-kpi-rating", t("svcfig.satisfaction", lang), avg, "bi-star-half", "warning",
                 t("svcfig.satisfaction_note", lang, n=total["rated"], share=pct(total["rated_share"], lang)),
                 href(month=span, status="rated")),
        kpi_tile("svc-kpi-gaps", t("svcfig.gaps", lang), str(gap_total), "bi-translate", "danger",
                 t("svcfig.gaps_note", lang, waiting=sum(g["waiting"] for g in figures["gaps"])),
                 href(month=span, gap="1")),
    ]  # fmt: skip
    return dbc.Row([dbc.Col(tile, xs=6, lg=4, xxl=2) for tile in tiles], className="g-3 mb-3")


def by_specialty_month(figures: dict, lang: str) -> go.Figure:
    """Requests per month, stacked by specialty."""
    months = figures["months"]
    counts = {(r["month"], r["specialty"]): r["requests"] for r in figures["by_specialty"]}
    fig = go.Figure()
    for i, spec in enumerate(figures["specialties"]):
        values = [counts.get((m, spec["code"]), 0) for m in months]
        if not any(values):
            continue
        name = pick(lang, spec["name_zh"], spec["name_en"])
        fig.add_trace(
            go.Bar(x=months, y=values, name=name, marker_color=SPECIALTY_COLOURS[i % len(SPECIALTY_COLOURS)],
                   customdata=[["specialty", spec["code"], m] for m in months],
                   hovertemplate="%{x} · " + name + ": %{y}<extra></extra>")
        )  # fmt: skip
    fig.update_layout(barmode="stack", xaxis={"type": "category"}, yaxis={"title": t("svcfig.requests", lang)})
    _base(fig, height=380)
    fig.update_layout(legend={"orientation": "h", "y": -0.18, "x": 0}, margin={"b": 90})
    return fig if fig.data else _empty(fig, lang)


def time_to_match(figures: dict, lang: str) -> go.Figure:
    """Median hours from request to first match, per month (bars), with how many were matched (hover)."""
    rows = figures["per_month"]
    fig = go.Figure(
        go.Bar(
            x=[r["month"] for r in rows],
            y=[round(r["median_hours"], 1) if r["median_hours"] is not None else None for r in rows],
            marker_color="#3b6fb6",
            name=t("svcfig.median_hours", lang),
            customdata=[["matched", None, r["month"], r["matched"]] for r in rows],
            hovertemplate="%{x}: %{y} h · " + t("svcfig.matched_n", lang, n="%{customdata[3]}") + "<extra></extra>",
        )
    )
    fig.update_layout(xaxis={"type": "category"}, yaxis={"title": t("svcfig.median_hours", lang)})
    _base(fig, height=380)
    return fig if any(r["matched"] for r in rows) else _empty(fig, lang)


def completion(figures: dict, lang: str) -> go.Figure:
    """Per month: done (or rated), cancelled and still open requests (stacked), and the completion rate."""
    rows = figures["per_month"]
    months = [r["month"] for r in rows]
    fig = go.Figure()
    for group, key in (("finished", "finished"), ("cancelled", "cancelled"), ("open", "open")):
        fig.add_trace(
            go.Bar(x=months, y=[r[key] for r in rows], name=t(f"svcfig.group_{group}", lang),
                   marker_color=STATUS_COLOURS[group], customdata=[["status", group, m] for m in months],
                   hovertemplate="%{x} · " + t(f"svcfig.group_{group}", lang) + ": %{y}<extra></extra>")
        )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=months, y=[r["completion"] * 100 if r["completion"] is not None else None for r in rows],
                   name=t("svcfig.completion", lang), yaxis="y2", mode="lines+markers", line={"color": "#1d3557"},
                   customdata=[["status", "finished", m] for m in months],
                   hovertemplate="%{x} · " + t("svcfig.completion", lang) + ": %{y:.0f}%<extra></extra>")
    )  # fmt: skip
    fig.update_layout(
        barmode="stack", xaxis={"type": "category"}, yaxis={"title": t("svcfig.requests", lang)},
        yaxis2={"title": t("svcfig.completion_axis", lang), "overlaying": "y", "side": "right", "range": [0, 105],
                "tickvals": [0, 25, 50, 75, 100], "showgrid": False},
    )  # fmt: skip
    _base(fig, height=380)
    fig.update_layout(legend={"orientation": "h", "y": -0.18, "x": 0}, margin={"b": 80, "r": 50})
    return fig if any(r["requests"] for r in rows) else _empty(fig, lang)


def ratings(figures: dict, lang: str) -> go.Figure:
    """How the ratings spread (1-5), with the average per month on hover of the title."""
    spread = figures["ratings"]
    stars = [1, 2, 3, 4, 5]
    fig = go.Figure(
        go.Bar(
            x=[t("svcfig.stars", lang, n=n) for n in stars],
            y=[spread.get(n, 0) for n in stars],
            marker_color=["#c0392b", "#e67e22", "#e9c46a", "#8ab17d", "#2a9d8f"],
            text=[spread.get(n, 0) for n in stars],
            textposition="outside",
            customdata=[["rating", n, None] for n in stars],
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    fig.update_layout(xaxis={"type": "category"}, yaxis={"title": t("svcfig.ratings_axis", lang)})
    _base(fig, height=380)
    return fig if any(spread.values()) else _empty(fig, lang)


def load_per_person(figures: dict, lang: str, teams: dict[str, str]) -> go.Figure:
    """The busiest people: open requests against their limit, and the slots they have free."""
    rows = figures["load"][:MAX_PEOPLE][::-1]
    labels = [f"{r['name']} · {team_text(r['team'], teams, lang)}" for r in rows]
    fig = go.Figure(
        [
            go.Bar(y=labels, x=[r["open"] for r in rows], orientation="h", name=t("svcfig.load_open", lang),
                   marker_color="#d9822b", customdata=[["talent", r["talent_id"], None, r["limit"]] for r in rows],
                   hovertemplate="%{y}: %{x} / %{customdata[3]}<extra></extra>"),
            go.Bar(y=labels, x=[max(r["limit"] - r["open"], 0) for r in rows], orientation="h",
                   name=t("svcfig.load_free", lang), marker_color="#dee2e6",
                   customdata=[["talent", r["talent_id"], None] for r in rows],
                   hovertemplate="%{y}: %{x}<extra></extra>"),
        ]
    )  # fmt: skip
    fig.update_layout(
        barmode="stack", yaxis={"type": "category"}, xaxis={"title": t("svcfig.load_axis", lang), "dtick": 1}
    )
    _base(fig, height=max(360, 80 + 22 * len(rows)))
    fig.update_layout(margin={"l": 170, "r": 20, "t": 40, "b": 50})
    return fig if rows else _empty(fig, lang)


def language_gaps(figures: dict, lang: str) -> go.Figure:
    """Requests flagged because nobody with the specialty spoke their language, per language."""
    rows = figures["gaps"]
    names = [language_name(r["language"], lang) for r in rows]
    fig = go.Figure(
        [
            go.Bar(x=names, y=[r["requests"] - r["waiting"] for r in rows], name=t("svcfig.gap_closed", lang),
                   marker_color="#adb5bd", customdata=[["gap", r["language"], None] for r in rows],
                   hovertemplate="%{x}: %{y}<extra></extra>"),
            go.Bar(x=names, y=[r["waiting"] for r in rows], name=t("svcfig.gap_waiting", lang),
                   marker_color="#c0392b", customdata=[["gap", r["language"], None] for r in rows],
                   hovertemplate="%{x}: %{y}<extra></extra>"),
        ]
    )  # fmt: skip
    fig.update_layout(
        barmode="stack", xaxis={"type": "category"}, yaxis={"title": t("svcfig.requests", lang), "dtick": 1}
    )
    _base(fig, height=360)
    return fig if rows else _empty(fig, lang)


# --- the request queue ------------------------------------------------------------------------------


def request_grid_rows(rows: list[dict], lang: str, specialties: dict[str, tuple[str, str]], teams: dict) -> list[dict]:
    name = _names(lang, specialties)
    return [
        {
            "code": f"[{r['tracking_code']}](/services/request/{r['tracking_code']})",
            "requested": fmt_time(r["requested_at"]),
            "specialty": name(r["specialty_code"]),
            "language": language_name(r["language"], lang),
            "times": slots_text([s for s in (r["preferred_times"] or "").split("; ") if s], lang),
            "status": t(f"svcreq.status.{r['status']}", lang),
            "status_code": r["status"],
            "person": f"{r['talent_name']} · {team_text(r['talent_team'], teams, lang)}" if r["talent_name"] else "",
            "scheduled": fmt_time(r["scheduled_for"]) if r["scheduled_for"] else "",
            "rating": "★" * r["rating"] if r["rating"] else "",
            "gap": t("svcq.gap_flag", lang) if r["language_gap"] else "",
        }
        for r in rows
    ]


def request_grid(grid_id: str, lang: str) -> dag.AgGrid:
    def col(field: str, key: str, **extra) -> dict:
        return {"field": field, "headerName": t(key, lang), **extra}

    return dag.AgGrid(
        id=grid_id,
        columnDefs=[
            col("code", "svcq.col.code", cellRenderer="markdown", linkTarget="_self", minWidth=130),
            col("requested", "svcq.col.requested", minWidth=150),
            col("specialty", "svcq.col.specialty", minWidth=130),
            col("language", "svcq.col.language", maxWidth=130),
            col("times", "svcq.col.times", minWidth=160),
            col("status", "svcq.col.status", minWidth=150,
                cellClassRules={"svc-cell-waiting": "params.data.status_code == 'requested'"}),
            col("person", "svcq.col.person", minWidth=180),
            col("scheduled", "svcq.col.scheduled", minWidth=150),
            col("rating", "svcq.col.rating", maxWidth=120, cellClass="text-warning"),
            col("gap", "svcq.col.gap", maxWidth=130, cellClass="text-danger fw-semibold"),
        ],
        rowData=[],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1, "minWidth": 100},
        dashGridOptions={"pagination": True, "paginationPageSize": 20, "animateRows": False,
                         "localeText": grid_locale(lang)},
        style={"height": "620px"},
        className="ag-theme-quartz",
    )  # fmt: skip


def drill_note(active: dict, lang: str, talent_name: str | None) -> dbc.Alert:
    """What the list is narrowed to by a figure's drill-down (filters with no control of their own)."""
    parts = []
    if "month" in active:
        parts.append(t("svcq.drill.month", lang, month=active["month"].replace("..", " – ")))
    if "talent" in active:
        parts.append(t("svcq.drill.talent", lang, name=talent_name or f"#{active['talent']}"))
    if "rating" in active:
        parts.append(t("svcq.drill.rating", lang, n=active["rating"]))
    if active.get("matched"):
        parts.append(t("svcq.drill.matched", lang))
    return dbc.Alert(
        [html.I(className="bi bi-funnel me-2", **{"aria-hidden": "true"}), t("svcq.drill.title", lang), " ",
         "；".join(parts) if lang == "zh" else "; ".join(parts), " ",
         dcc.Link(t("svcq.drill.clear", lang), href="/services/requests", id="svcq-drill-clear", className="ms-2")],
        color="info", className="py-2", id="svcq-drill-note",
    )  # fmt: skip


# --- one request ------------------------------------------------------------------------------------


def _fact(label: str, value) -> html.Div:  # noqa: ANN001
    return html.Div([html.Dt(label, className="col-sm-4"), html.Dd(value, className="col-sm-8 mb-1")], className="row")


def request_facts(d: dict, lang: str, contact_cell) -> html.Dl:  # noqa: ANN001 - a component
    rating = None
    if d["rating"]:
        rating = [html.Span("★" * d["rating"] + "☆" * (5 - d["rating"]), className="text-warning me-1"),
                  t("svcreq.rated.value", lang, n=d["rating"])]  # fmt: skip
    return html.Dl(
        [
            _fact(t("svcq.f.service", lang), pick(lang, d["specialty_zh"], d["specialty_en"])),
            _fact(t("svcq.f.language", lang), language_name(d["language"], lang)),
            _fact(t("svcq.f.times", lang), slots_text(d["preferred"], lang)),
            _fact(t("svcq.f.contact", lang), contact_cell),
            _fact(t("svcq.f.requested", lang), fmt_time(d["requested_at"])),
            _fact(t("svcq.f.matched", lang), fmt_time(d["matched_at"])),
            _fact(t("svcq.f.scheduled", lang), fmt_time(d["scheduled_for"])),
            _fact(t("svcq.f.done", lang), fmt_time(d["done_at"])),
            _fact(t("svcq.f.cancelled", lang), fmt_time(d["cancelled_at"])) if d["cancelled_at"] else None,
            _fact(t("svcq.f.rating", lang), rating) if rating else None,
            _fact(t("svcq.f.comment", lang), html.Span(d["rating_comment"], className="case-description"))
            if d["rating_comment"] else None,
        ],
        id="svcr-facts",
    )  # fmt: skip


def current_person(d: dict, lang: str, contact_cell, teams: dict) -> dbc.Card | None:  # noqa: ANN001
    person = d["talent"]
    if person is None:
        return None
    offered = slots_text(free_slots(person["availability"]), lang)
    return dbc.Card(
        [
            dbc.CardHeader(t("svcq.person", lang)),
            dbc.CardBody(
                [
                    html.P([html.Span(person["name"], className="fw-semibold", id="svcr-person-name"), " · ",
                            team_text(person["team"], teams, lang)], className="mb-1"),
                    html.P([t("svcq.f.languages", lang), ": ",
                            ("、" if lang == "zh" else ", ").join(language_name(x, lang) for x in person["languages"])],
                           className="small mb-1"),
                    html.P([t("svcq.f.offers", lang), ": ", offered], className="small mb-1"),
                    html.P([t("svcq.f.contact", lang), ": ", contact_cell], className="small mb-0"),
                ]
            ),
        ],
        className="mb-3",
        id="svcr-person",
    )  # fmt: skip


def proposal_cards(
    candidates: list[dict], lang: str, specialties: dict[str, tuple[str, str]], teams: dict, can_match: bool,
    rematch: bool,
) -> html.Div:  # fmt: skip
    """The ranked people for a request, each with its score, reasons and (for coordinators) a match button.
    Candidates are dicts of `domain.services.Candidate` fields with `reasons` as dicts."""
    if not candidates:
        return html.P(t("svcq.no_candidates", lang), className="text-body-secondary", id="svcr-no-candidates")
    cards = []
    for rank_no, c in enumerate(candidates, start=1):
        if c["eligible"]:
            tone, label = ("success" if rank_no == 1 else "primary"), t("svcq.btn.match", lang)
        elif not c["full"]:
            tone, label = "warning", t("svcq.btn.match_anyway", lang)
        else:
            tone, label = "secondary", None
        button = None
        if can_match and label:
            button = dbc.Button(
                t("svcq.btn.rematch", lang) if rematch and c["eligible"] else label,
                id={"type": "svcr-act", "action": "match", "talent": c["talent_id"]},
                color=tone, size="sm", outline=rank_no != 1 or not c["eligible"], n_clicks=0,
            )  # fmt: skip
        cards.append(
            html.Div(
                [
                    html.Div(
                        [
                            html.Span(f"{rank_no}. ", className="text-body-secondary"),
                            html.Span(c["name"], className="fw-semibold"),
                            html.Span(f" · {team_text(c['team'], teams, lang)}", className="text-body-secondary"),
                            dbc.Badge(t("svcq.score", lang, n=c["score"]), color=tone,
                                      text_color="dark" if tone in ("warning",) else None, className="ms-2"),
                            dbc.Badge(t("svcq.not_eligible_full", lang), color="secondary", className="ms-1")
                            if c["full"] else None,
                            html.Span(button, className="ms-auto") if button else None,
                        ],
                        className="d-flex align-items-center flex-wrap gap-1",
                    ),
                    reasons_list(c["reasons"], lang, specialties),
                ],
                className="list-group-item svc-candidate" + ("" if c["eligible"] else " svc-candidate-off"),
                **{"data-talent": str(c["talent_id"]), "data-eligible": "1" if c["eligible"] else "0"},
            )
        )  # fmt: skip
    eligible = sum(1 for c in candidates if c["eligible"])

    def folded(part: list, key: str, part_id: str, open_: bool = False) -> html.Details | None:
        if not part:
            return None
        return html.Details(
            [html.Summary(t(key, lang, n=len(part)), className="small text-body-secondary my-2"),
             html.Div(part, className="list-group")],
            open=open_, id=part_id,
        )  # fmt: skip

    # the best few in view; more who fit, and those who do not speak the language or are full, folded
    # (the latter open when nobody else can take it)
    return html.Div(
        [
            html.Div(cards[: min(eligible, SHOWN_PROPOSALS)], className="list-group"),
            folded(cards[SHOWN_PROPOSALS:eligible], "svcq.more", "svcr-more"),
            folded(cards[eligible:], "svcq.others", "svcr-others", open_=eligible == 0),
        ],
        id="svcr-proposals",
    )


def step_panel(
    d: dict, allowed: list[str], lang: str, suggestion: datetime | None, gap_hint: bool
) -> html.Div:  # fmt: skip
    """Schedule, done and cancel (matching is on the proposals), as the caller may take them."""
    blocks = []
    if "match" in allowed and gap_hint:
        blocks.append(dbc.Alert(t("svcq.gap_hint", lang, language=language_name(d["language"], lang)), color="warning",
                                className="small", id="svcr-gap-hint"))  # fmt: skip
    if "schedule" in allowed:
        when = d["scheduled_for"] or suggestion
        blocks.append(
            html.Div(
                [
                    html.H3(t("svcq.schedule_title", lang), className="h6"),
                    html.P(t("svcq.suggested", lang, when=fmt_time(suggestion)) if suggestion else
                           t("svcq.no_suggestion", lang), className="small text-body-secondary", id="svcr-suggested"),
                    dbc.Row(
                        [
                            dbc.Col([dbc.Label(t("svcq.date", lang), html_for="svcr-date"),
                                     dcc.DatePickerSingle(id="svcr-date", date=when.date().isoformat() if when else None,
                                                          display_format="YYYY-MM-DD", first_day_of_week=1)], xs=7),
                            dbc.Col([dbc.Label(t("svcq.time", lang), html_for="svcr-time"),
                                     dbc.Input(id="svcr-time", type="time", value=when.strftime("%H:%M") if when else "")],
                                    xs=5),
                        ],
                        className="g-2 mb-2",
                    ),
                    dbc.Button(t("svcq.btn.schedule", lang), id={"type": "svcr-act", "action": "schedule", "talent": 0},
                               color="primary", n_clicks=0),
                ],
                className="mb-3",
            )
        )  # fmt: skip
    if "done" in allowed:
        blocks.append(
            html.Div(
                dbc.Button([html.I(className="bi bi-check2-circle me-1", **{"aria-hidden": "true"}),
                            t("svcq.btn.done", lang)], id={"type": "svcr-act", "action": "done", "talent": 0},
                           color="success", n_clicks=0),
                className="mb-3",
            )
        )  # fmt: skip
    if "schedule" not in allowed:  # the step callback reads these whatever the step, so they always exist
        blocks.append(html.Div([dcc.DatePickerSingle(id="svcr-date"), dbc.Input(id="svcr-time", type="time")],
                               hidden=True))  # fmt: skip
    return html.Div(blocks, id="svcr-steps")


def note_and_cancel(allowed: list[str], lang: str) -> html.Div:
    """The note (a reason for a cancellation, or how someone who does not speak the language will manage)
    and the cancel button."""
    if "cancel" not in allowed and "match" not in allowed:
        return html.Div(dbc.Textarea(id="svcr-note"), id="svcr-note-block", hidden=True)
    return html.Div(
        [
            dbc.Label(t("svcq.note", lang), html_for="svcr-note"),
            dbc.Textarea(id="svcr-note", rows=2, maxLength=1000, placeholder=t("svcq.note_help", lang)),
            dbc.Button([html.I(className="bi bi-x-circle me-1", **{"aria-hidden": "true"}), t("svcq.btn.cancel", lang)],
                       id={"type": "svcr-act", "action": "cancel", "talent": 0}, color="danger", outline=True,
                       size="sm", className="mt-2", n_clicks=0) if "cancel" in allowed else None,
        ],
        id="svcr-note-block",
        className="mb-3",
    )  # fmt: skip


def request_trail(trail: list[dict], lang: str, specialties: dict[str, tuple[str, str]]) -> html.Ol:
    """Every step, oldest first: who (a staff member's name, the system or the resident), and for a match
    the person chosen and the reasons it was made on, as they stood then."""
    items = []
    for step in trail:
        if step["actor_label"] in ("system", "resident"):
            who = t(f"actor.{step['actor_label']}", lang)
        else:
            who = step["actor_name"] or t(f"role.{step['actor_label']}", lang)
        detail = step["detail"] or {}
        body = [html.Div([html.Span(t(f"svcq.step.{step['action']}", lang), className="fw-semibold"), " · ", who])]
        if step["action"] == "match":
            text = t("svcq.step.match_to", lang, name=step["talent_name"] or "—", score=detail.get("score", "—"))
            if detail.get("auto"):
                text += " · " + t("svcq.step.auto", lang, lead=detail.get("lead", "—"))
            elif detail.get("runner_up"):
                text += " · " + t("svcq.step.runner_up", lang, score=detail["runner_up"].get("score", "—"))
            body.append(html.Div(text, className="small"))
            body.append(reasons_list(detail.get("reasons", []), lang, specialties))
        elif step["action"] == "request" and detail.get("outcome") and detail["outcome"] != "auto":
            body.append(html.Div(t(f"svcq.outcome.{detail['outcome']}", lang), className="small text-body-secondary"))
        elif step["action"] == "schedule" and detail.get("scheduled_for"):
            body.append(html.Div(t("svcq.step.for", lang, when=detail["scheduled_for"].replace("T", " ")),
                                 className="small"))  # fmt: skip
        elif step["action"] == "rate" and detail.get("rating"):
            body.append(html.Div("★" * detail["rating"], className="small text-warning"))
        if step["note"]:
            body.append(html.Div(step["note"], className="trail-note small"))
        items.append(
            html.Li([html.Span(fmt_time(step["at"]), className="trail-time small"), html.Div(body)],
                    className="trail-step", **{"data-action": step["action"]})
        )  # fmt: skip
    return html.Ol(items, className="trail", id="svcr-trail")


def feedback(text: str, ok: bool) -> html.Div:
    return html.Div(text, className="alert py-2 " + ("alert-success" if ok else "alert-danger"), id="svcr-result",
                    role="status" if ok else "alert", **{"data-ok": "1" if ok else "0"})  # fmt: skip


# --- the talent library -----------------------------------------------------------------------------


def library_rows(rows: list[dict], lang: str, specialties: dict[str, tuple[str, str]], teams: dict) -> list[dict]:
    name = _names(lang, specialties)
    joiner = "、" if lang == "zh" else ", "
    return [
        {
            "id": r["id"],
            "name": r["name"],
            "team": team_text(r["team"], teams, lang),
            "specialties": joiner.join(name(c) for c in r["specialties"]),
            "languages": joiner.join(language_name(c, lang) for c in r["languages"]),
            "free": joiner.join(slot_text(s, lang) for s in r["free_slots"]),
            "load": f"{r['load']}/{r['load_limit']}",
            "contact": r["contact_masked"],
            "state": t("lib.active", lang) if r["active"] else t("lib.retired", lang),
            "active": r["active"],
        }
        for r in rows
    ]


def library_grid(grid_id: str, lang: str, rows: list[dict]) -> dag.AgGrid:
    def col(field: str, key: str, **extra) -> dict:
        return {"field": field, "headerName": t(key, lang), **extra}

    return dag.AgGrid(
        id=grid_id,
        rowData=rows,
        columnDefs=[
            col("name", "svc.name", minWidth=120),
            col("team", "svc.team", minWidth=140),
            col("specialties", "svc.specialties", minWidth=160),
            col("languages", "svc.languages", minWidth=120),
            col("free", "lib.free", minWidth=200, flex=2),
            col("load", "lib.load", maxWidth=110),
            col("contact", "lib.contact", minWidth=130),
            col("state", "lib.state", maxWidth=110,
                cellClassRules={"text-body-secondary": "!params.data.active"}),
        ],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1},
        dashGridOptions={"pagination": True, "paginationPageSize": 20, "rowSelection": {"mode": "singleRow"},
                         "localeText": grid_locale(lang)},
        getRowId="params.data.id",
        style={"height": "560px"},
        className="ag-theme-quartz",
    )  # fmt: skip
