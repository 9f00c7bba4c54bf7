"""One service request (服务需求详情): what the resident asked for, the ranked people with the reasons
behind each score, and the steps the caller may take — match (confirm a proposal, or re-match), book a
time (a half-day that suits both sides is suggested), mark done, cancel with a reason. Every step is
checked again on the server by `data_access.services.staff_step`; contacts are masked unless the role
phones people, and each reveal is audited."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update
from flask import request

from auth.context import current_engine
from auth.guard import ALL_ROLES, guarded
from components.common import not_found_note, page_header
from components.services import (
    current_person,
    feedback,
    gap_badge,
    note_and_cancel,
    proposal_cards,
    request_facts,
    request_trail,
    section_tabs,
    status_badge,
    step_panel,
)
from data_access.db import reading, writing
from data_access.services import (
    CODE,
    allowed_steps,
    proposals,
    request_detail,
    request_id_for_code,
    reveal_contact,
    specialty_names,
    staff_step,
    suggested_time,
)
from domain.catalog import TALENT_TEAMS
from domain.services import CONTACT_ROLES, OPEN_STATUSES, ServiceError
from i18n import t
from pages._context import PageContext, page_context

PAGE = {"path_template": "/services/request/<code>", "roles": ALL_ROLES, "order": 4.2, "title_key": "svcq.detail"}


def layout(ctx: PageContext, code: str | None = None, **_kwargs):
    code = (code or "").strip().upper()
    request_id = None
    if CODE.match(code):
        with reading(current_engine()) as s:
            request_id = request_id_for_code(s, code)
    body = request_body(ctx, request_id) if request_id is not None else None
    if body is None:  # missing and out of scope look the same
        return html.Div([page_header(t("svcq.detail", ctx.lang)), section_tabs("requests", ctx.lang),
                         not_found_note(ctx.lang)])  # fmt: skip
    return html.Div(
        [dcc.Store(id="svcr-id", data=request_id), html.Div(id="svcr-feedback"), html.Div(body, id="svcr-body")]
    )


def _contact(masked: str, role: str, lang: str, whose: str):  # noqa: ANN202
    """Masked for everyone; the roles that phone people may reveal it, and that is audited."""
    span = html.Span(masked or "—", id=f"svcr-contact-{whose}", className="me-2")
    if role not in CONTACT_ROLES or not masked:
        return span
    return html.Span(
        [span, dbc.Button(t("svcq.reveal", lang), id=f"svcr-reveal-{whose}", size="sm", color="link",
                          className="p-0 align-baseline", n_clicks=0)]
    )  # fmt: skip


def request_body(ctx: PageContext, request_id: int):  # noqa: ANN201
    lang = ctx.lang
    with reading(current_engine()) as s:
        d = request_detail(s, ctx.community_ids, request_id)
        if d is None:
            return None
        allowed = allowed_steps(s, ctx.user.id, request_id)
        ranked = proposals(s, request_id) if d["status"] in OPEN_STATUSES else []
        suggestion = suggested_time(s, request_id, ctx.now) if "schedule" in allowed else None
        names = specialty_names(s)
    teams = dict(TALENT_TEAMS)
    candidates = [asdict(c) | {"reasons": [r.as_dict() for r in c.reasons]} for c in ranked]
    speaks = any(c["speaks"] for c in candidates) or (d["talent"] and d["language"] in d["talent"]["languages"])
    header = html.Div(
        [
            html.A(["← ", t("svcq.back", lang)], href="/services/requests", className="small"),
            page_header(t("svcq.detail_code", lang, code=d["code"])),
            html.Div([status_badge(d["status"], lang), " ", gap_badge(lang) if d["language_gap"] else None],
                     className="mb-3", id="svcr-badges", **{"data-status": d["status"]}),
        ]
    )  # fmt: skip
    left = dbc.Card(
        [
            dbc.CardHeader(t("svcq.request", lang)),
            dbc.CardBody(
                [
                    html.P(d["description"], className="case-description", id="svcr-description"),
                    request_facts(d, lang, _contact(d["contact_masked"], ctx.user.role, lang, "resident")),
                ]
            ),
        ],
        className="mb-3",
    )
    person = current_person(
        d, lang, _contact(d["talent"]["contact_masked"], ctx.user.role, lang, "talent") if d["talent"] else None, teams
    )
    steps = [
        step_panel(d, allowed, lang, suggestion, gap_hint=d["language_gap"] or not speaks),
        note_and_cancel(allowed, lang),
    ]
    show_proposals = d["status"] in OPEN_STATUSES and (candidates or "match" in allowed)
    proposal_list = proposal_cards(
        candidates, lang, names, teams, "match" in allowed, rematch=d["status"] != "requested"
    )
    if d["status"] == "scheduled":  # booked: someone else only if the person cannot go, so folded away
        proposal_list = html.Details([html.Summary(t("svcq.reassign", lang), className="small"), proposal_list],
                                     id="svcr-reassign")  # fmt: skip
    right = [
        dbc.Card([dbc.CardHeader(t("svcq.steps", lang)), dbc.CardBody(steps)], className="mb-3", id="svcr-steps-card")
        if allowed else html.Div(steps, hidden=True),
        dbc.Card(
            [
                dbc.CardHeader([t("svcq.proposals", lang),
                                html.Span(t("svcq.proposals_help", lang), className="small text-body-secondary ms-2")]),
                dbc.CardBody(proposal_list),
            ],
            className="mb-3",
        ) if show_proposals else None,
        dbc.Card([dbc.CardHeader(t("svcq.trail", lang)), dbc.CardBody(request_trail(d["trail"], lang, names))]),
    ]  # fmt: skip
    return html.Div(
        [
            header,
            section_tabs("requests", lang),
            dbc.Row([dbc.Col([left, person], lg=5), dbc.Col(right, lg=7)], className="g-3"),
        ]
    )


def _when(day: object, clock: object) -> datetime | None:
    try:
        return datetime.combine(date.fromisoformat(str(day)[:10]), datetime.strptime(str(clock), "%H:%M").time())
    except (TypeError, ValueError):
        return None


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("svcr-body", "children"),
        Output("svcr-feedback", "children"),
        Input({"type": "svcr-act", "action": ALL, "talent": ALL}, "n_clicks"),
        State("svcr-id", "data"),
        State("svcr-note", "value"),
        State("svcr-date", "date"),
        State("svcr-time", "value"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def take_step(clicks, request_id, note, day, clock):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            return no_update, no_update
        page = page_context()
        lang, action, talent = page.lang, trigger.get("action"), trigger.get("talent")
        if not isinstance(request_id, int) or action not in ("match", "schedule", "done", "cancel"):
            return no_update, feedback(t("svcq.error.unknown_action", lang), ok=False)
        try:
            with writing(current_engine()) as s:
                staff_step(
                    s, page.user.id, request_id, action, page.now, talent_id=talent if action == "match" else None,
                    when=_when(day, clock) if action == "schedule" else None,
                    note=note if isinstance(note, str) else None, link_base=request.host_url.rstrip("/") + "/request/",
                )  # fmt: skip
        except ServiceError as exc:
            body = request_body(page, request_id)
            return body or no_update, feedback(t(f"svcq.error.{exc.code}", lang), ok=False)
        return request_body(page, request_id), feedback(t(f"svcq.done.{action}", lang), ok=True)

    for whose in ("resident", "talent"):

        @app.callback(
            Output(f"svcr-contact-{whose}", "children"),
            Input(f"svcr-reveal-{whose}", "n_clicks"),
            State("svcr-id", "data"),
            prevent_initial_call=True,
        )
        @guarded(CONTACT_ROLES)
        def reveal(n_clicks, request_id, whose=whose):
            if not n_clicks or not isinstance(request_id, int):
                return no_update
            page = page_context()
            with writing(current_engine()) as s:  # writing: the reveal itself is recorded
                contact = reveal_contact(s, page.user.id, request_id, whose, page.now)
            return contact if contact is not None else no_update
