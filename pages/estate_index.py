"""Estate index (小区运行指数): the month's ranking with levels and Monte Carlo rank intervals, the trend per
estate, and per estate and month the 7 aspects as a radar, the P/C indicators with the weakest marked, the
residents' comments and the rectification case of a red estate. Staff enter indicators (form or CSV/Excel),
follow cases up, print the monthly report and the ballot notices; administrators keep the method versions.

The view is in the URL (?month=YYYY-MM&estate=CODE&version=vN), so a drill-down can be bookmarked. Every
write is checked again in data_access with the caller's role.
"""

from __future__ import annotations

import time
from datetime import date
from urllib.parse import urlencode

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from auth.context import current_config, current_engine
from auth.guard import ALL_ROLES, guarded
from components.charts import GRAPH_CONFIG
from components.common import empty_note, page_header
from components.estate_index import (
    case_panel,
    cases_table,
    comments_list,
    component_name,
    definitions_table,
    entry_inputs,
    entry_result,
    feedback,
    indicators_figure,
    level_badge,
    method_form,
    method_summary,
    radar_figure,
    ranking_table,
    score_log_list,
    sub_tiles,
    trend_figure,
    versions_table,
)
from data_access.ballots import NOTICE_ROLES, ballot_comments
from data_access.clock import local_now
from data_access.db import reading, writing
from data_access.estate_index import (
    CLOSE_ROLES,
    METHOD_ROLES,
    RECOMPUTE_ROLES,
    RECTIFY_ROLES,
    IndexRefused,
    activate_method,
    close_rectification,
    compute_and_store,
    computed_months,
    create_method,
    estate_month,
    indicator_names,
    load_method,
    method_versions,
    month_results,
    rectifications,
    result_versions,
    trend,
    update_rectification,
)
from data_access.indicators import (
    ENTRY_ROLES,
    MAX_FILE_BYTES,
    indicator_defs,
    ingest_scores_file,
    month_scores,
    residential_estates,
    save_form_scores,
    score_log,
    template_table,
)
from data_access.jobruns import record_run
from domain.estate_index import ASPECTS, add_months, month_of, parse_month, previous_month
from domain.indicator_scores import csv_text
from i18n import pick, t
from i18n.messages_index import month_label
from pages._context import PageContext, page_context

PAGE = {
    "path": "/estate-index",
    "nav_key": "nav.estate_index",
    "nav_id": "estate-index",
    "icon": "bi-clipboard-data",
    "roles": ALL_ROLES,
    "order": 4.5,
}
TREND_MONTHS = 12
ENTRY_MONTHS = 13
COMMENTS_SHOWN = 20
DONE = ("recomputed",)


def _href(month: str | None, estate: str | None = None, version: str | None = None, **extra) -> str:
    query = {k: v for k, v in {"month": month, "estate": estate, "version": version, **extra}.items() if v}
    return PAGE["path"] + ("?" + urlencode(query) if query else "")


def layout(
    ctx: PageContext,
    month: str | None = None,
    estate: str | None = None,
    version: str | None = None,
    done: str | None = None,
    **_kwargs,
):
    lang = ctx.lang
    ids = ctx.community_ids
    with reading(current_engine()) as s:
        active = load_method(s)
        versions = result_versions(s, ids)
        if version not in versions:
            version = (
                active.version
                if active and (active.version in versions or not versions)
                else (versions[-1] if versions else None)
            )
        months = computed_months(s, ids, version) if version else []
        month = month if month in months else (months[0] if months else None)
        rows = month_results(s, ids, month, version) if month else []
        before = (
            {r["estate_id"]: r["value"] for r in month_results(s, ids, add_months(month, -1), version)} if month else {}
        )
        first = months[min(len(months), TREND_MONTHS) - 1] if months else None
        trend_rows = trend(s, ids, version, first, months[0]) if month else []
        chosen = next((r for r in rows if r["estate"] == estate), None) or next(
            (r for r in rows if r["level"] == "red"), rows[0] if rows else None
        )
        detail = estate_month(s, ids, chosen["estate"], month, version) if chosen else None
        comments = ballot_comments(s, chosen["estate_id"], month, COMMENTS_SHOWN) if chosen else []
        names = indicator_names(s)
        cases = rectifications(s, ids)
        method = load_method(s, version) if version else active
    parts = [
        page_header(t("idx.title", lang), t("idx.subtitle", lang)),
        dcc.Location(id="idx-nav", refresh="callback-nav"),
        dcc.Store(
            id="idx-view", data={"month": month, "version": version, "estate": chosen["estate"] if chosen else None}
        ),
    ]
    if done in DONE:
        parts.append(dbc.Alert(t(f"idx.done.{done}", lang), color="success", dismissable=True, id="idx-done"))
    parts.append(_toolbar(ctx, months, month, versions, version, active))
    if not rows:
        parts.append(empty_note(lang, "idx.no_results"))
    else:
        months_shown = sorted({r["month"] for r in trend_rows})
        parts += [
            _tiles(rows, lang),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(t("idx.ranking_of", lang, month=month_label(month, lang))),
                                dbc.CardBody(
                                    ranking_table(
                                        rows, before, lang, chosen["estate"], lambda code: _href(month, code, version)
                                    )
                                ),
                            ]
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(t("idx.trend", lang)),
                                dbc.CardBody(
                                    dcc.Graph(
                                        id="idx-trend",
                                        config=GRAPH_CONFIG,
                                        figure=trend_figure(
                                            trend_rows, months_shown, method.green_at, method.yellow_at, lang, month
                                        ),
                                    )
                                ),
                            ]
                        ),
                        lg=5,
                    ),
                ],
                className="g-3 mb-3",
            ),
            _drilldown(ctx, detail, rows, comments, names, method, version),
        ]
    parts.append(
        dbc.Card(
            [
                dbc.CardHeader(t("idx.cases", lang)),
                dbc.CardBody(cases_table(cases, lang, lambda code, m: _href(m, code, version))),
            ],
            className="mb-3",
        )
    )
    if ctx.user.role in ENTRY_ROLES:
        parts.append(_entry_card(ctx))
    parts.append(_definitions_card(ctx, active))
    parts.append(
        dbc.Card(
            [dbc.CardHeader(t("idx.method_versions", lang)), dbc.CardBody(_method_body(ctx), id="idx-method-body")],
            className="mb-3",
        )
    )
    return html.Div(parts, id="idx-page")


def _toolbar(ctx: PageContext, months, month, versions, version, active) -> dbc.Row:  # noqa: ANN001
    lang = ctx.lang
    month_menu = dbc.DropdownMenu(
        [dbc.DropdownMenuItem(month_label(m, lang), href=_href(m, None, version), active=m == month) for m in months],
        label=t("idx.month_pick", lang, month=month_label(month, lang)) if month else t("idx.no_month", lang),
        color="outline-primary",
        size="sm",
        id="idx-month-menu",
        disabled=not months,
    )
    items = [month_menu]
    if len(versions) > 1:
        items.append(
            dbc.DropdownMenu(
                [
                    dbc.DropdownMenuItem(
                        v + (f" · {t('idx.ver.active', lang)}" if active and v == active.version else ""),
                        href=_href(month, None, v),
                        active=v == version,
                    )
                    for v in versions
                ],
                label=t("idx.version_pick", lang, version=version),
                color="outline-secondary",
                size="sm",
                id="idx-version-menu",
                className="ms-2",
            )
        )
    if month:
        items += [
            html.A(
                [html.I(className="bi bi-printer me-1", **{"aria-hidden": "true"}), t("idx.print_zh", lang)],
                href=f"/estate-index/report?{urlencode({'month': month, 'version': version, 'lang': 'zh'})}",
                target="_blank",
                className="btn btn-sm btn-outline-secondary ms-2",
                id="idx-print-zh",
            ),
            html.A(
                [html.I(className="bi bi-printer me-1", **{"aria-hidden": "true"}), t("idx.print_en", lang)],
                href=f"/estate-index/report?{urlencode({'month': month, 'version': version, 'lang': 'en'})}",
                target="_blank",
                className="btn btn-sm btn-outline-secondary ms-2",
                id="idx-print-en",
            ),
        ]
    if month and ctx.user.role in RECOMPUTE_ROLES and active is not None:
        items.append(
            dbc.Button(
                [
                    html.I(className="bi bi-arrow-repeat me-1", **{"aria-hidden": "true"}),
                    t("idx.recompute", lang, version=active.version),
                ],
                id="idx-recompute",
                size="sm",
                color="outline-primary",
                className="ms-2",
                n_clicks=0,
                title=t("idx.recompute_help", lang),
            )
        )
    right = []
    if ctx.user.role in NOTICE_ROLES:
        right.append(_notice_form(ctx))
    return dbc.Row(
        [
            dbc.Col(html.Div(items, className="d-flex flex-wrap align-items-center gap-1"), lg=True),
            dbc.Col(right, lg="auto"),
            dbc.Col(html.Div(id="idx-recompute-feedback"), xs=12),
        ],
        className="g-2 mb-3 align-items-center",
    )


def _notice_form(ctx: PageContext) -> html.Form:
    """A plain GET form that opens the printable notice in a new tab (the print is audited there)."""
    lang = ctx.lang
    with reading(current_engine()) as s:
        estates = residential_estates(s, ctx.community_ids)
    this = month_of(ctx.now)
    return html.Form(
        [
            html.Span(t("idx.notice", lang), className="small fw-semibold me-1", id="idx-notice-label"),
            dbc.Label(t("idx.col.estate", lang), html_for="idx-notice-estate", className="visually-hidden"),
            dbc.Select(
                name="estate",
                options=[{"label": pick(lang, e["name_zh"], e["name_en"]), "value": e["code"]} for e in estates],
                value=estates[0]["code"] if estates else None,
                size="sm",
                id="idx-notice-estate",
                style={"width": "auto"},
            ),
            dbc.Label(t("idx.case.month", lang), html_for="idx-notice-month", className="visually-hidden"),
            dbc.Select(
                name="month",
                options=[{"label": month_label(m, lang), "value": m} for m in (this, add_months(this, 1))],
                value=this,
                size="sm",
                id="idx-notice-month",
                style={"width": "auto"},
            ),
            dbc.Label(t("idx.notice_building", lang), html_for="idx-notice-building", className="visually-hidden"),
            dbc.Input(
                name="building",
                placeholder=t("idx.notice_building", lang),
                size="sm",
                id="idx-notice-building",
                style={"width": "10rem"},
                maxLength=40,
            ),
            dbc.Button(
                [html.I(className="bi bi-envelope-paper me-1", **{"aria-hidden": "true"}), t("idx.notice_print", lang)],
                type="submit",
                size="sm",
                color="outline-secondary",
            ),
        ],
        action="/estate-index/notice",
        method="GET",
        target="_blank",
        className="d-flex flex-wrap align-items-center gap-1",
        id="idx-notice-form",
    )


def _tiles(rows: list[dict], lang: str) -> dbc.Row:
    rated = [r for r in rows if r["value"] is not None and r["level"] != "none"]
    red = [r for r in rows if r["level"] == "red"]
    average = sum(r["value"] for r in rated) / len(rated) if rated else None
    ballots = sum((r["components"] or {}).get("ballots", 0) for r in rows)
    households = sum((r["components"] or {}).get("households", 0) for r in rows)

    def tile(tile_id: str, label: str, value: str, icon: str, tone: str, note: str | None = None) -> dbc.Col:
        return dbc.Col(
            dbc.Card(
                dbc.CardBody(
                    [
                        html.Div(
                            [html.I(className=f"bi {icon} me-2", **{"aria-hidden": "true"}), label],
                            className="kpi-label",
                        ),
                        html.Div(value, className=f"kpi-value text-{tone}", id=f"{tile_id}-value"),
                        html.Div(note, className="kpi-note text-body-secondary") if note else None,
                    ]
                ),
                className="kpi-tile h-100",
                id=tile_id,
            ),
            xs=6,
            lg=3,
        )

    names = "、" if lang == "zh" else ", "
    return dbc.Row(
        [
            tile("idx-kpi-rated", t("idx.kpi.rated", lang), f"{len(rated)}/{len(rows)}", "bi-buildings", "primary"),
            tile(
                "idx-kpi-red",
                t("idx.kpi.red", lang),
                str(len(red)),
                "bi-exclamation-octagon",
                "danger" if red else "secondary",
                names.join(pick(lang, r["estate_zh"], r["estate_en"]) for r in red) or t("idx.kpi.none_red", lang),
            ),
            tile(
                "idx-kpi-average",
                t("idx.kpi.average", lang),
                f"{average:.1f}" if average is not None else "—",
                "bi-speedometer",
                "primary",
            ),
            tile(
                "idx-kpi-turnout",
                t("idx.kpi.turnout", lang),
                f"{100 * ballots / households:.0f}%" if households else "—",
                "bi-ui-checks",
                "info",
                t("idx.ballots_line", lang, n=ballots, households=households),
            ),
        ],
        className="g-3 mb-3",
    )


def _aspect_average(rows: list[dict]) -> dict[str, float]:
    out = {}
    for aspect in ASPECTS:
        values = [(r["components"] or {}).get("scores", {}).get(aspect) for r in rows]
        values = [v for v in values if v is not None]
        if values:
            out[aspect] = sum(values) / len(values)
    return out


def _drilldown(ctx: PageContext, detail: dict | None, rows, comments, names, method, version) -> dbc.Card:  # noqa: ANN001
    lang = ctx.lang
    if detail is None or detail["result"] is None:
        return empty_note(lang, "idx.no_results")
    result, previous = detail["result"], detail["previous"]
    comps = result["components"] or {}
    estate = detail["estate"]
    title = t(
        "idx.detail",
        lang,
        estate=pick(lang, estate["name_zh"], estate["name_en"]),
        month=month_label(detail["month"], lang),
    )
    notes = []
    if comps.get("override"):
        aspects = ("、" if lang == "zh" else ", ").join(component_name(a, names, lang) for a in comps["override"])
        notes.append(
            dbc.Alert(
                t("idx.override_note", lang, aspects=aspects), color="danger", className="py-2", id="idx-override-note"
            )
        )
    if comps.get("override_skipped"):
        notes.append(dbc.Alert(t("idx.override_skipped", lang), color="warning", className="py-2"))
    if result["low_turnout"]:
        notes.append(
            dbc.Alert(
                t(
                    "idx.low_turnout_note",
                    lang,
                    turnout=f"{100 * result['turnout']:.0f}%",
                    floor=f"{100 * method.turnout_floor:.0f}%",
                ),
                color="warning",
                className="py-2",
                id="idx-low-turnout",
            )
        )
    if result["level"] == "none":
        notes.append(
            dbc.Alert(
                t(
                    "idx.not_rated_note",
                    lang,
                    coverage=f"{100 * result['coverage']:.0f}%",
                    floor=f"{100 * method.min_coverage:.0f}%",
                ),
                color="secondary",
                className="py-2",
            )
        )
    if result["rank"] is not None:
        notes.append(
            html.P(
                t(
                    "idx.rank_line",
                    lang,
                    rank=result["rank"],
                    n=sum(1 for r in rows if r["rank"]),
                    low=result["rank_low"],
                    high=result["rank_high"],
                    red=f"{100 * (comps.get('red_share') or 0):.0f}%",
                ),
                className="small text-body-secondary",
                id="idx-rank-line",
            )
        )
    if detail["stale"]:
        notes.append(dbc.Alert(t("idx.stale", lang), color="info", className="py-2", id="idx-stale"))
    scores = comps.get("scores", {})
    weakest = comps.get("weakest", [])
    before_scores = ((previous or {}).get("components") or {}).get("scores", {})
    radar = radar_figure(
        {a: scores[a] for a in ASPECTS if a in scores},
        {a: before_scores[a] for a in ASPECTS if a in before_scores},
        _aspect_average(rows),
        lang,
        method.safety_aspects,
    )
    tabs = dbc.Tabs(
        [
            dbc.Tab(
                dcc.Graph(
                    id=f"idx-ind-{g}",
                    config=GRAPH_CONFIG,
                    figure=indicators_figure(scores, names, g, weakest, method.yellow_at, lang),
                ),
                label=t(f"idx.group.{g}", lang),
                tab_id=f"idx-tab-{g}",
            )
            for g in ("property", "committee")
        ],
        id="idx-ind-tabs",
        active_tab="idx-tab-property",
    )
    weakest_items = html.Ol(
        [html.Li(f"{component_name(c, names, lang)} · {scores.get(c, 0):.1f}") for c in weakest],
        className="mb-0 ps-3",
        id="idx-weakest",
    )
    cases = [c for c in detail["cases"] if c["month"] == detail["month"]] or [
        c for c in detail["cases"] if c["status"] == "open" and c["month"] < detail["month"]
    ]
    case_part = html.Div(
        [case_panel(c, lang, ctx.user.role in RECTIFY_ROLES, ctx.user.role in CLOSE_ROLES) for c in cases[:1]],
        id="idx-case-wrap",
    )
    report_href = f"/estate-index/report?{urlencode({'month': detail['month'], 'estate': estate['code'], 'version': version, 'lang': lang})}"
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    html.Span(title, className="fw-semibold me-2"),
                    level_badge(result["level"], lang, "idx-detail-level"),
                    html.A(
                        [
                            html.I(className="bi bi-printer me-1", **{"aria-hidden": "true"}),
                            t("idx.print_estate", lang),
                        ],
                        href=report_href,
                        target="_blank",
                        className="btn btn-sm btn-outline-secondary float-end",
                        id="idx-print-estate",
                    ),
                ]
            ),
            dbc.CardBody(
                [
                    *notes,
                    sub_tiles(result, previous, lang),
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    html.H2(t("idx.aspects", lang), className="h6"),
                                    dcc.Graph(id="idx-radar", figure=radar, config=GRAPH_CONFIG),
                                ],
                                lg=5,
                            ),
                            dbc.Col([html.H2(t("idx.indicators", lang), className="h6"), tabs], lg=7),
                        ],
                        className="g-3",
                    ),
                    dbc.Row(
                        [
                            dbc.Col([html.H2(t("idx.weakest", lang), className="h6"), weakest_items], md=5),
                            dbc.Col(
                                [html.H2(t("idx.comments", lang), className="h6"), comments_list(comments, lang)], md=7
                            ),
                        ],
                        className="g-3 mt-1 mb-3",
                    ),
                    case_part,
                ]
            ),
        ],
        className="mb-3",
        id="idx-detail",
    )


def _entry_card(ctx: PageContext) -> dbc.Card:
    lang = ctx.lang
    with reading(current_engine()) as s:
        estates = residential_estates(s, ctx.community_ids)
        log = score_log(s, ctx.community_ids)
    this = month_of(ctx.now)
    months = [add_months(this, -k) for k in range(ENTRY_MONTHS)]
    return dbc.Card(
        [
            dbc.CardHeader(t("idx.entry", lang)),
            dbc.CardBody(
                [
                    html.P(t("idx.entry_help", lang), className="small text-body-secondary"),
                    dbc.Row(
                        [
                            dbc.Col(
                                [
                                    dbc.Label(t("idx.case.month", lang), html_for="idx-entry-month", className="small"),
                                    dbc.Select(
                                        id="idx-entry-month",
                                        value=previous_month(ctx.now),
                                        size="sm",
                                        options=[{"label": month_label(m, lang), "value": m} for m in months],
                                    ),
                                ],
                                xs=6,
                                md=3,
                            ),
                            dbc.Col(
                                [
                                    dbc.Label(
                                        t("idx.col.estate", lang), html_for="idx-entry-estate", className="small"
                                    ),
                                    dbc.Select(
                                        id="idx-entry-estate",
                                        size="sm",
                                        value=estates[0]["code"] if estates else None,
                                        options=[
                                            {"label": pick(lang, e["name_zh"], e["name_en"]), "value": e["code"]}
                                            for e in estates
                                        ],
                                    ),
                                ],
                                xs=6,
                                md=3,
                            ),
                        ],
                        className="g-2 mb-2",
                    ),
                    dcc.Loading(html.Div(id="idx-entry-fields")),
                    dbc.Button(
                        t("idx.entry_save", lang),
                        id="idx-entry-save",
                        color="primary",
                        size="sm",
                        n_clicks=0,
                        className="mt-2",
                    ),
                    html.Div(id="idx-entry-feedback", className="mt-2", **{"aria-live": "polite"}),
                    html.Hr(),
                    html.H3(t("idx.upload", lang), className="h6"),
                    html.P(t("idx.upload_help", lang), className="small text-body-secondary"),
                    dcc.Upload(
                        id="idx-upload",
                        className="upload-zone",
                        max_size=MAX_FILE_BYTES,
                        accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        children=html.Div([html.I(className="bi bi-upload me-2"), t("idx.upload_drop", lang)]),
                    ),
                    html.Div(id="idx-upload-result", className="mt-2", **{"aria-live": "polite"}),
                    dbc.Button(
                        [html.I(className="bi bi-download me-1", **{"aria-hidden": "true"}), t("idx.template", lang)],
                        id="idx-template",
                        size="sm",
                        color="outline-secondary",
                        className="mt-2",
                        n_clicks=0,
                    ),
                    dcc.Download(id="idx-template-file"),
                    html.H3(t("idx.log", lang), className="h6 mt-3"),
                    score_log_list(log, lang),
                ]
            ),
        ],
        className="mb-3",
        id="idx-entry",
    )


def _definitions_card(ctx: PageContext, active) -> dbc.Card:  # noqa: ANN001
    lang = ctx.lang
    with reading(current_engine()) as s:
        defs = indicator_defs(s)
    weights = active.weights if active else {}
    return dbc.Card(
        dbc.CardBody(
            dbc.Accordion(
                [dbc.AccordionItem(definitions_table(defs, weights, lang), title=t("idx.definitions", lang))],
                start_collapsed=True,
                flush=True,
            )
        ),
        className="mb-3",
    )


def _method_body(ctx: PageContext, message: dbc.Alert | None = None) -> list:
    lang = ctx.lang
    with reading(current_engine()) as s:
        versions = method_versions(s)
        defs = indicator_defs(s)
    active = next((v for v in versions if v["active"]), None)
    admin = ctx.user.role in METHOD_ROLES
    out = [message] if message else []
    if active:
        out.append(
            html.P(
                [
                    html.Strong(t("idx.ver.current", lang, version=active["version"])),
                    " ",
                    method_summary(active["resolved"], lang),
                ],
                className="small",
                id="idx-method-active",
            )
        )
    out.append(html.P(t("idx.ver.note", lang), className="small text-body-secondary"))
    out.append(versions_table(versions, lang, admin))
    if admin and active:
        out += [html.Hr(), method_form(active["resolved"], defs, lang)]
    return out


# --- callbacks --------------------------------------------------------------------------------------------------


def _parse_date(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _entry_month(ctx: PageContext, month: object) -> str | None:
    month = parse_month(month)
    return month if month and month <= month_of(ctx.now) else None


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("idx-entry-fields", "children"),
        Input("idx-entry-month", "value"),
        Input("idx-entry-estate", "value"),
    )
    @guarded(ENTRY_ROLES)
    def load_entry(month, estate):
        page = page_context()
        month = _entry_month(page, month)
        with reading(current_engine()) as s:
            defs = indicator_defs(s)
            chosen = next((e for e in residential_estates(s, page.community_ids) if e["code"] == estate), None)
            values = month_scores(s, chosen["id"], month) if chosen and month else {}
        if chosen is None or month is None:
            return empty_note(page.lang)
        return entry_inputs(defs, values, page.lang)

    @app.callback(
        Output("idx-entry-feedback", "children"),
        Input("idx-entry-save", "n_clicks"),
        State("idx-entry-month", "value"),
        State("idx-entry-estate", "value"),
        State({"type": "idx-score", "code": ALL}, "value"),
        State({"type": "idx-score", "code": ALL}, "id"),
        prevent_initial_call=True,
    )
    @guarded(ENTRY_ROLES)
    def save_entry(n_clicks, month, estate, values, ids):
        page = page_context()
        if not n_clicks:
            return no_update
        month = _entry_month(page, month)
        if month is None or not isinstance(estate, str) or not isinstance(ids, list):
            return entry_result({"error": "bad_month"}, page.lang)
        scores = {i["code"]: v for i, v in zip(ids, values or [], strict=False) if isinstance(i, dict)}
        outcome = save_form_scores(
            current_engine(), estate, month, scores, page.community_ids, page.user.id, page.user.role, page.now
        )
        return entry_result(outcome, page.lang)

    @app.callback(
        Output("idx-upload-result", "children"),
        Input("idx-upload", "contents"),
        State("idx-upload", "filename"),
        State("idx-entry-month", "value"),
        prevent_initial_call=True,
    )
    @guarded(ENTRY_ROLES)
    def upload_scores(contents, filename, month):
        page = page_context()
        month = _entry_month(page, month)
        if month is None:
            return entry_result({"error": "bad_month"}, page.lang, filename)
        outcome = ingest_scores_file(
            current_engine(), contents, filename, month, page.community_ids, page.user.id, page.user.role, page.now
        )
        return entry_result(outcome, page.lang, filename)

    @app.callback(
        Output("idx-template-file", "data"),
        Input("idx-template", "n_clicks"),
        State("idx-entry-month", "value"),
        prevent_initial_call=True,
    )
    @guarded(ENTRY_ROLES)
    def download_template(n_clicks, month):
        page = page_context()
        month = _entry_month(page, month)
        if not n_clicks or month is None:
            return no_update
        with reading(current_engine()) as s:
            table = template_table(s, page.community_ids, month, page.lang)
        # a BOM, so Excel opens the UTF-8 names as Chinese rather than mojibake
        return {"content": "\ufeff" + csv_text(table), "filename": f"indicators-{month}.csv", "type": "text/csv"}

    @app.callback(
        Output("idx-case-wrap", "children"),
        Input("idx-case-save", "n_clicks"),
        Input("idx-case-close", "n_clicks"),
        State("idx-case-id", "data"),
        State("idx-case-interview", "value"),
        State("idx-case-due", "value"),
        State("idx-case-committee", "value"),
        State("idx-case-property", "value"),
        State("idx-case-note", "value"),
        prevent_initial_call=True,
    )
    @guarded(RECTIFY_ROLES)
    def follow_case(save_clicks, close_clicks, case_id, interview, due, committee, property_manager, note):
        page = page_context()
        action = ctx.triggered_id
        if action not in ("idx-case-save", "idx-case-close") or not (save_clicks or close_clicks):
            return no_update
        lang = page.lang
        try:
            with writing(current_engine()) as s:
                if action == "idx-case-close":
                    close_rectification(s, case_id, page.community_ids, page.user.id, page.user.role, page.now, note)
                else:
                    update_rectification(
                        s,
                        case_id,
                        page.community_ids,
                        page.user.id,
                        page.user.role,
                        page.now,
                        _parse_date(interview),
                        _parse_date(due),
                        committee,
                        property_manager,
                        note,
                    )
            message = feedback(
                t(f"idx.case.done_{'close' if action == 'idx-case-close' else 'save'}", lang), True, "idx-case-feedback"
            )
        except IndexRefused as exc:
            message = feedback(t(f"idx.error.{exc.key}", lang), False, "idx-case-feedback")
        return _case_again(page, case_id, message)

    @app.callback(
        Output("idx-method-body", "children"),
        Input("idx-m-save", "n_clicks"),
        Input({"type": "idx-activate", "version": ALL}, "n_clicks"),
        State("idx-m-residents", "value"),
        State("idx-m-property", "value"),
        State("idx-m-committee", "value"),
        State("idx-m-green", "value"),
        State("idx-m-yellow", "value"),
        State("idx-m-safety", "value"),
        State("idx-m-turnout", "value"),
        State("idx-m-coverage", "value"),
        State("idx-m-draws", "value"),
        State("idx-m-jitter", "value"),
        State("idx-m-seed", "value"),
        State("idx-m-activate", "value"),
        State({"type": "idx-w", "code": ALL}, "value"),
        State({"type": "idx-w", "code": ALL}, "id"),
        prevent_initial_call=True,
    )
    @guarded(METHOD_ROLES)
    def save_method(
        save_clicks,
        activate_clicks,
        residents,
        property_,
        committee,
        green,
        yellow,
        safety,
        turnout,
        coverage,
        draws,
        jitter,
        seed,
        activate,
        weights,
        weight_ids,
    ):
        page = page_context()
        trigger = ctx.triggered_id
        lang = page.lang
        try:
            if isinstance(trigger, dict) and trigger.get("type") == "idx-activate":
                if not any(activate_clicks or []):
                    return no_update
                with writing(current_engine()) as s:
                    activate_method(s, str(trigger.get("version")), page.user.id, page.user.role, page.now)
                message = feedback(
                    t("idx.done.activated", lang, version=trigger.get("version")), True, "idx-method-feedback"
                )
            elif trigger == "idx-m-save" and save_clicks:
                with reading(current_engine()) as s:
                    current = load_method(s)
                parameters = _parameters(
                    residents,
                    property_,
                    committee,
                    green,
                    yellow,
                    safety,
                    turnout,
                    coverage,
                    draws,
                    jitter,
                    seed,
                    weights,
                    weight_ids,
                )
                if current is not None:  # what the form does not edit stays as the active version has it
                    parameters["safety_aspects"] = list(current.safety_aspects)
                    parameters["monte_carlo"]["interval"] = current.interval
                with writing(current_engine()) as s:
                    version = create_method(s, parameters, page.user.id, page.user.role, page.now, bool(activate))
                message = feedback(t("idx.done.method_saved", lang, version=version), True, "idx-method-feedback")
            else:
                return no_update
        except IndexRefused as exc:
            problems = "; ".join(t(f"idx.m.problem.{p}", lang) for p in exc.problems)
            message = feedback(
                t(f"idx.error.{exc.key}", lang) + (f" {problems}" if problems else ""), False, "idx-method-feedback"
            )
        return _method_body(page, message)

    @app.callback(
        Output("idx-nav", "href"),
        Output("idx-recompute-feedback", "children"),
        Input("idx-recompute", "n_clicks"),
        State("idx-view", "data"),
        prevent_initial_call=True,
    )
    @guarded(RECOMPUTE_ROLES)
    def recompute(n_clicks, view):
        page = page_context()
        if not n_clicks or page.user.role not in RECOMPUTE_ROLES:
            return no_update, no_update
        view = view if isinstance(view, dict) else {}
        month = parse_month(view.get("month"))
        if month is None:
            return no_update, feedback(t("idx.error.not_found", page.lang), False, "idx-recompute-error")
        engine = current_engine()
        tz = current_config()["timezone"]

        def work() -> dict:
            with writing(engine) as s:
                return compute_and_store(s, month, page.now, community_ids=page.community_ids)

        # recorded like a scheduled run, so job health shows who recomputed what and when
        summary = record_run(engine, "estate_index", page.now, work, lambda: local_now(tz))
        if summary["status"] != "ok":
            return no_update, feedback(t("idx.error.recompute", page.lang), False, "idx-recompute-error")
        estate = (view or {}).get("estate")
        estate = estate if isinstance(estate, str) else None
        # the nonce makes the URL new, so the page router draws the page again even after a second recompute
        href = _href(month, estate, summary.get("method_version"), done="recomputed", at=str(int(time.time())))
        return href, no_update


def _number(value: object) -> float | int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return value


def _whole(value: object) -> object:
    """A whole number typed in a number field (Dash may send 1000.0) as an int; anything else as it came."""
    number = _number(value)
    return int(number) if number is not None and float(number).is_integer() else value


def _parameters(
    residents,
    property_,
    committee,
    green,
    yellow,
    safety,
    turnout,
    coverage,
    draws,
    jitter,
    seed,  # noqa: ANN001
    weights,
    weight_ids,
) -> dict:
    """The form's values as a version's parameters (checked by data_access before anything is stored)."""
    named = {}
    for wid, value in zip(weight_ids or [], weights or [], strict=False):
        if isinstance(wid, dict) and isinstance(wid.get("code"), str):
            named[wid["code"]] = _number(value)
    return {
        "sub_weights": {
            "residents": _number(residents),
            "property": _number(property_),
            "committee": _number(committee),
        },
        "green_at": _number(green),
        "yellow_at": _number(yellow),
        "safety_floor": _number(safety),
        "safety_aspects": ["fire_safety", "elevator"],
        "turnout_floor": _number(turnout),
        "min_coverage": _number(coverage),
        "monte_carlo": {
            "draws": _whole(draws),
            "seed": _whole(seed),
            "weight_jitter": _number(jitter),
            "interval": 0.9,
        },
        "weights": named,
    }


def _case_again(page: PageContext, case_id: object, message) -> list:  # noqa: ANN001
    with reading(current_engine()) as s:
        case = next((c for c in rectifications(s, page.community_ids, limit=500) if c["id"] == case_id), None)
    if case is None:
        return [message]
    return [message, case_panel(case, page.lang, page.user.role in RECTIFY_ROLES, page.user.role in CLOSE_ROLES)]
