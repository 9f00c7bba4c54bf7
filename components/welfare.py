"""The welfare page (pure): visit tasks that show only what a visit needs (the door, a masked name, how
long it has been quiet), the watches with their consent record and away periods, and the enrolment
form. Free text (consent basis, notes) is rendered as text."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.common import fmt_time
from components.devices import labelled
from i18n import pick, t

TASK_STYLE = {"open": ("danger", "bi-house-exclamation-fill"), "visited": ("success", "bi-house-check-fill"),
              "closed": ("secondary", "bi-house")}  # fmt: skip


def task_badge(status: str, lang: str) -> dbc.Badge:
    color, icon = TASK_STYLE.get(status, ("secondary", "bi-circle"))
    return dbc.Badge([html.I(className=f"bi {icon} me-1", **{"aria-hidden": "true"}), t(f"welf.task_{status}", lang)],
                     color=color)  # fmt: skip


def tasks_table(rows: list[dict], lang: str, may_reveal: bool) -> html.Div:
    if not rows:
        return html.P(t("welf.no_tasks", lang), className="text-body-secondary fst-italic mb-0", id="welf-no-tasks")
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("welf.status", "welf.door", "welf.person", "welf.quiet",
                                                               "welf.assigned", "welf.visit")]))  # fmt: skip
    body = []
    for r in rows:
        person = [html.Span(r["name"], id={"type": "welf-person", "alert": r["id"]}, className="me-2")]
        if may_reveal and r["status"] == "open":
            person.append(dbc.Button(t("pop.reveal", lang), id={"type": "welf-reveal", "alert": r["id"]}, size="sm",
                                     color="link", className="p-0 align-baseline", n_clicks=0))  # fmt: skip
        quiet = t("welf.quiet_hours", lang, hours=r["quiet_hours"] if r["quiet_hours"] is not None else "?",
                  threshold=r["threshold_hours"])  # fmt: skip
        if r["status"] == "open":
            visit = [
                labelled(t("welf.visit_note", lang),
                         dbc.Input(id={"type": "welf-note", "alert": r["id"]},
                                   placeholder=t("welf.visit_placeholder", lang), size="sm", maxLength=1000,
                                   className="mb-1")),
                dbc.Button(t("welf.btn_visit", lang), id={"type": "welf-visit", "alert": r["id"]}, size="sm",
                           color="primary", n_clicks=0),
            ]  # fmt: skip
        else:
            visit = [html.Div(fmt_time(r["resolved_at"]), className="small"),
                     html.Div(r["note"] or "", className="small fst-italic text-break")]  # fmt: skip
        body.append(
            html.Tr(
                [
                    html.Td([task_badge(r["status"], lang),
                             html.Div(t("welf.escalated", lang), className="small text-danger")
                             if r["escalated_at"] and r["status"] == "open" else None]),
                    html.Td(pick(lang, r["place_zh"], r["place_en"])),
                    html.Td(person),
                    html.Td([html.Div(quiet), html.Div(t("welf.raised", lang, time=fmt_time(r["raised_at"])),
                                                       className="small text-body-secondary")]),
                    html.Td(r["assigned_to"] or "—"),
                    html.Td(visit, style={"minWidth": "220px"}),
                ],
                className="table-warning" if r["status"] == "open" else None,
            )
        )  # fmt: skip
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True, id="welf-tasks-table")


def watches_table(rows: list[dict], lang: str, may_manage: bool) -> html.Div:
    if not rows:
        return html.P(t("welf.no_watches", lang), className="text-body-secondary fst-italic mb-0")
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("welf.person", "welf.door", "welf.threshold",
                                                               "welf.consent", "welf.away", "welf.manage")]))  # fmt: skip
    body = []
    for w in rows:
        wid = w["id"]
        consent = [
            html.Div(t("welf.consent_given", lang, who=w["consent_given_by"], time=fmt_time(w["consent_at"]))),
            html.Div(t("welf.consent_recorded", lang, who=w["consent_recorded_by"] or "—"), className="small"),
            html.Div(t("welf.consent_basis", lang, basis=w["consent_basis"]), className="small text-break"),
        ]
        aways = [html.Li(f"{fmt_time(a['starts_at'])} – {fmt_time(a['ends_at'])}") for a in w["aways"]]
        away_cell = [
            html.Ul(aways, className="small mb-1 ps-3") if aways else html.Div("—", className="small"),
            dbc.InputGroup(
                [
                    labelled(t("welf.away_start", lang),
                             dbc.Input(id={"type": "welf-away-start", "watch": wid}, type="datetime-local", size="sm")),
                    labelled(t("welf.away_end", lang),
                             dbc.Input(id={"type": "welf-away-end", "watch": wid}, type="datetime-local", size="sm")),
                ],
                size="sm",
                className="mb-1",
            ),
            dbc.Button(t("welf.btn_away", lang), id={"type": "welf-act", "watch": wid, "action": "away"}, size="sm",
                       color="outline-primary", n_clicks=0),
        ] if w["active"] else html.Div("—")  # fmt: skip
        manage = None
        if may_manage and w["active"]:
            manage = [
                dbc.InputGroup(
                    [
                        labelled(t("welf.threshold", lang),
                                 dbc.Input(id={"type": "welf-threshold", "watch": wid}, type="number", min=4, max=336,
                                           value=w["threshold_hours"], size="sm")),
                        dbc.Button(t("welf.btn_threshold", lang),
                                   id={"type": "welf-act", "watch": wid, "action": "threshold"}, size="sm",
                                   color="outline-primary", n_clicks=0),
                    ],
                    size="sm",
                    className="mb-1",
                ),
                dbc.InputGroup(
                    [
                        labelled(t("welf.end_reason", lang),
                                 dbc.Input(id={"type": "welf-end-reason", "watch": wid}, size="sm", maxLength=300,
                                           placeholder=t("welf.end_placeholder", lang))),
                        dbc.Button(t("welf.btn_end", lang), id={"type": "welf-act", "watch": wid, "action": "end"},
                                   size="sm", color="outline-danger", n_clicks=0),
                    ],
                    size="sm",
                ),
            ]  # fmt: skip
        elif not w["active"]:
            manage = html.Span(t("welf.ended", lang, time=fmt_time(w["ended_at"])), className="small")
        body.append(
            html.Tr(
                [
                    html.Td(w["name"]),
                    html.Td(pick(lang, w["place_zh"], w["place_en"])),
                    html.Td(t("welf.hours", lang, n=w["threshold_hours"])),
                    html.Td(consent, style={"minWidth": "200px"}),
                    html.Td(away_cell, style={"minWidth": "260px"}),
                    html.Td(manage, style={"minWidth": "220px"}),
                ],
                className=None if w["active"] else "text-body-secondary",
            )
        )
    return dbc.Table([head, html.Tbody(body)], size="sm", responsive=True, id="welf-watches-table")


def enrol_form(lang: str, default_threshold: int) -> dbc.Card:
    def field(key: str, control, help_key: str | None = None, width: int = 6) -> dbc.Col:
        return dbc.Col([dbc.Label(t(key, lang), html_for=control.id), control,
                        html.Div(t(help_key, lang), className="form-text") if help_key else None],
                       md=width, className="mb-2")  # fmt: skip

    return dbc.Card(
        [
            dbc.CardHeader(t("welf.enrol", lang)),
            dbc.CardBody(
                [
                    html.P(t("welf.enrol_help", lang), className="small text-body-secondary"),
                    dbc.Row(
                        [
                            field(
                                "welf.resident_id",
                                dbc.Input(id="welf-e-resident", maxLength=64),
                                "welf.resident_id_help",
                            ),
                            field("welf.person_pid", dbc.Input(id="welf-e-pid", maxLength=64), "welf.person_pid_help"),
                            field(
                                "welf.consent_given_by",
                                dbc.Input(id="welf-e-given-by", maxLength=80),
                                "welf.consent_given_by_help",
                            ),
                            field("welf.consent_at", dbc.Input(id="welf-e-consent-at", type="datetime-local")),
                            field(
                                "welf.consent_basis_label",
                                dbc.Input(id="welf-e-basis", maxLength=200),
                                "welf.consent_basis_help",
                            ),
                            field(
                                "welf.threshold",
                                dbc.Input(
                                    id="welf-e-threshold", type="number", min=4, max=336, value=default_threshold
                                ),
                            ),
                        ]
                    ),  # fmt: skip
                    dbc.Button(t("welf.btn_enrol", lang), id="welf-e-save", color="primary", n_clicks=0),
                    html.Div(id="welf-e-feedback", className="mt-2", **{"aria-live": "polite"}),
                ]
            ),
        ],
        className="mt-3",
        id="welf-enrol",
    )
