"""Data · welfare (关怀): the grid's visit tasks raised by the `welfare` job, the opt-in watches with
their consent record, away periods and thresholds, and enrolment. For the grid's worker and leader and
the secretary only; every view of a watch or a task is written to the audit log."""

from __future__ import annotations

from datetime import datetime

import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, ctx, html, no_update

from auth.context import current_config, current_engine
from auth.guard import guarded
from components.common import kpi_tile, page_header
from components.population import data_tabs, tabs_for
from components.welfare import enrol_form, tasks_table, watches_table
from data_access.db import reading, writing
from data_access.welfare import (
    ENROL_ROLES,
    WELFARE_ROLES,
    WelfareError,
    add_away,
    end_watch,
    enrol,
    record_visit,
    reveal_for_visit,
    set_threshold,
    visit_tasks,
    watch_list,
    welfare_counts,
)
from i18n import t
from pages._context import PageContext, page_context

PAGE = {"path": "/data/welfare", "roles": WELFARE_ROLES, "order": 1.3, "title_key": "welf.title"}


def layout(ctx: PageContext, **_kwargs):
    lang = ctx.lang
    return html.Div(
        [
            page_header(t("welf.title", lang), t("welf.subtitle", lang)),
            data_tabs("welfare", lang, tabs_for(ctx.user.role)),
            html.Div(id="welf-feedback", **{"aria-live": "polite"}),
            html.Div(_body(ctx), id="welf-body"),
            enrol_form(lang, current_config()["welfare_threshold_hours"]) if ctx.user.role in ENROL_ROLES else None,
        ]
    )


def _body(ctx: PageContext):
    lang = ctx.lang
    with writing(current_engine()) as s:  # writing: every view of a task or a watch is audited
        tasks = visit_tasks(s, ctx.user.id, ctx.now)
        watches = watch_list(s, ctx.user.id, ctx.now)
    with reading(current_engine()) as s:
        counts = welfare_counts(s, ctx.community_ids)
    open_tasks = sum(1 for r in tasks if r["status"] == "open")
    return [
        dbc.Row(
            [
                dbc.Col(
                    kpi_tile(
                        "kpi-welf-open",
                        t("welf.open_tasks", lang),
                        str(open_tasks),
                        "bi-house-exclamation",
                        "danger",
                        t("welf.in_community", lang, n=counts["open_tasks"]),
                    ),
                    md=4,
                ),
                dbc.Col(
                    kpi_tile(
                        "kpi-welf-watches",
                        t("welf.watches", lang),
                        str(sum(1 for w in watches if w["active"])),
                        "bi-heart-pulse",
                        "primary",
                        t("welf.in_community", lang, n=counts["watches"]),
                    ),
                    md=4,
                ),
                dbc.Col(
                    kpi_tile(
                        "kpi-welf-rule",
                        t("welf.rule", lang),
                        t("welf.hours", lang, n=current_config()["welfare_threshold_hours"]),
                        "bi-clock-history",
                        "secondary",
                        t("welf.rule_note", lang),
                    ),
                    md=4,
                ),
            ],
            className="g-3 mb-3",
        ),  # fmt: skip
        dbc.Card(
            [
                dbc.CardHeader(t("welf.tasks", lang)),
                dbc.CardBody(
                    [
                        html.P(t("welf.tasks_help", lang), className="small text-body-secondary"),
                        tasks_table(tasks, lang, True),
                    ]
                ),
            ],
            className="mb-3",
        ),  # fmt: skip
        dbc.Card(
            [
                dbc.CardHeader(t("welf.watch_list", lang)),
                dbc.CardBody(watches_table(watches, lang, ctx.user.role in ENROL_ROLES)),
            ]
        ),  # fmt: skip
    ]


def _when(value: str | None) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value).replace(second=0, microsecond=0) if value else None
    except ValueError:
        return None


def _error(exc: WelfareError, lang: str) -> dbc.Alert:
    return dbc.Alert(t(f"welf.error_{exc.code}", lang), color="danger", id="welf-error", dismissable=True)


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output({"type": "welf-person", "alert": MATCH}, "children"),
        Input({"type": "welf-reveal", "alert": MATCH}, "n_clicks"),
        prevent_initial_call=True,
    )
    @guarded(WELFARE_ROLES)
    def reveal(n_clicks):
        alert_id = (ctx.triggered_id or {}).get("alert")
        if not n_clicks or not isinstance(alert_id, int):
            return no_update
        page = page_context()
        try:
            with writing(current_engine()) as s:  # the reveal is recorded
                person = reveal_for_visit(s, page.user.id, alert_id, page.now)
        except WelfareError:
            return no_update
        return f"{person['name']} · {person['phone'] or '—'}"

    @app.callback(
        Output("welf-body", "children"),
        Output("welf-feedback", "children"),
        Input({"type": "welf-visit", "alert": ALL}, "n_clicks"),
        Input({"type": "welf-act", "watch": ALL, "action": ALL}, "n_clicks"),
        State({"type": "welf-note", "alert": ALL}, "value"),
        State({"type": "welf-note", "alert": ALL}, "id"),
        State({"type": "welf-threshold", "watch": ALL}, "value"),
        State({"type": "welf-threshold", "watch": ALL}, "id"),
        State({"type": "welf-away-start", "watch": ALL}, "value"),
        State({"type": "welf-away-end", "watch": ALL}, "value"),
        State({"type": "welf-away-start", "watch": ALL}, "id"),
        State({"type": "welf-end-reason", "watch": ALL}, "value"),
        State({"type": "welf-end-reason", "watch": ALL}, "id"),
        prevent_initial_call=True,
    )
    @guarded(WELFARE_ROLES)
    def act(visits, acts, notes, note_ids, thresholds, threshold_ids, starts, ends, away_ids, reasons, reason_ids):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(c for c in (visits or []) + (acts or [])):
            return no_update, no_update
        page = page_context()
        lang = page.lang

        def pick_value(values, ids, key: str, wanted: int):  # noqa: ANN001, ANN202
            return next((v for v, i in zip(values or [], ids or [], strict=False) if i.get(key) == wanted), None)

        try:
            with writing(current_engine()) as s:
                if trigger.get("type") == "welf-visit":
                    alert_id = trigger["alert"]
                    record_visit(s, page.user.id, alert_id, pick_value(notes, note_ids, "alert", alert_id), page.now)
                    done = "welf.done_visit"
                else:
                    watch_id, action = trigger["watch"], trigger.get("action")
                    if action == "threshold":
                        hours = pick_value(thresholds, threshold_ids, "watch", watch_id)
                        set_threshold(s, page.user.id, watch_id, hours, page.now)
                    elif action == "away":
                        start = _when(pick_value(starts, away_ids, "watch", watch_id))
                        end = _when(pick_value(ends, away_ids, "watch", watch_id))
                        add_away(s, page.user.id, watch_id, start, end, page.now)
                    elif action == "end":
                        end_watch(s, page.user.id, watch_id, pick_value(reasons, reason_ids, "watch", watch_id),
                                  page.now)  # fmt: skip
                    else:
                        return no_update, no_update
                    done = f"welf.done_{action}"
        except WelfareError as exc:
            return no_update, _error(exc, lang)
        return _body(page), dbc.Alert(t(done, lang), color="success", id="welf-done", dismissable=True)

    @app.callback(
        Output("welf-e-feedback", "children"),
        Output("welf-body", "children", allow_duplicate=True),
        Input("welf-e-save", "n_clicks"),
        State("welf-e-resident", "value"),
        State("welf-e-pid", "value"),
        State("welf-e-given-by", "value"),
        State("welf-e-consent-at", "value"),
        State("welf-e-basis", "value"),
        State("welf-e-threshold", "value"),
        prevent_initial_call=True,
    )
    @guarded(ENROL_ROLES)
    def enrol_resident(n_clicks, resident, pid, given_by, consent_at, basis, threshold):
        if not n_clicks:
            return no_update, no_update
        page = page_context()
        try:
            with writing(current_engine()) as s:
                enrol(s, page.user.id, resident or "", pid or "", given_by or "", _when(consent_at), basis or "",
                      threshold, page.now)  # fmt: skip
        except WelfareError as exc:
            return _error(exc, page.lang), no_update
        return dbc.Alert(t("welf.done_enrol", page.lang), color="success", id="welf-enrolled"), _body(page)
