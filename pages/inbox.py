"""The staff inbox (消息): cases assigned, escalated or sent back to the caller, newest unread first."""

from __future__ import annotations

import re

import dash_bootstrap_components as dbc
from dash import Input, Output, html

from auth.context import current_engine
from auth.guard import ALL_ROLES, guarded
from components.common import fmt_time, page_header
from data_access.db import reading, writing
from data_access.notify import inbox, mark_read, unread_count
from i18n import pick, t
from pages._context import PageContext, page_context

PAGE = {"path": "/inbox", "roles": ALL_ROLES, "order": 90}


def layout(ctx: PageContext, **_kwargs):
    return html.Div(
        [
            page_header(t("inbox.title", ctx.lang), t("inbox.subtitle", ctx.lang)),
            html.Div(_body(ctx), id="inbox-body"),
        ]
    )


def _body(ctx: PageContext):
    lang = ctx.lang
    with reading(current_engine()) as s:
        notes = inbox(s, ctx.user.id, limit=100)
        unread = unread_count(s, ctx.user.id)
    if not notes:
        return html.P(t("inbox.empty", lang), className="text-body-secondary", id="inbox-empty")
    items = [
        dbc.ListGroupItem(
            [
                html.Div(
                    [
                        dbc.Badge("●", color="primary", className="me-2", title=t("inbox.unread", lang, n=1))
                        if not n["read"]
                        else None,
                        html.Span(pick(lang, n["message_zh"], n["message_en"]), className="" if n["read"] else "fw-semibold"),
                    ]
                ),
                html.Div(
                    [
                        html.Span(fmt_time(n["created_at"]), className="small text-body-secondary"),
                        html.A(t("inbox.open_case", lang), href=f"/governance/case/{n['event_id']}", className="small ms-3")
                        if n["event_id"]
                        else _service_link(n, lang),
                    ]
                ),
            ],
            className="inbox-item",
        )
        for n in notes
    ]  # fmt: skip
    return html.Div(
        [
            html.Div(
                [
                    html.Span(t("inbox.unread", lang, n=unread), className="me-3", id="inbox-unread"),
                    dbc.Button(t("inbox.mark_all", lang), id="inbox-mark-all", size="sm", color="outline-primary",
                               disabled=unread == 0, n_clicks=0),
                ],
                className="mb-2",
            ),
            dbc.ListGroup(items, id="inbox-list"),
        ]
    )  # fmt: skip


SERVICE_CODE = re.compile(r"\bSR[A-Z2-9]{8}\b")


def _service_link(note: dict, lang: str):  # noqa: ANN202
    """A services notice links to the request its text names (notices carry no request column)."""
    found = SERVICE_CODE.search(note["message_en"]) if note["kind"].startswith("notice.svc_") else None
    if found is None:
        return None
    return html.A(t("svcq.open_request", lang), href=f"/services/request/{found.group(0)}", className="small ms-3")


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(Output("inbox-body", "children"), Input("inbox-mark-all", "n_clicks"), prevent_initial_call=True)
    @guarded(ALL_ROLES)
    def mark_all(n_clicks):
        ctx = page_context()
        if n_clicks:
            with writing(current_engine()) as s:
                mark_read(s, ctx.user.id, ctx.now)  # only the caller's own notices
        return _body(ctx)
