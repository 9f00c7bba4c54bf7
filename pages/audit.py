"""Data · audit log (审计日志): for administrators, every read, reveal, change, import and deletion of
personal data — who, when, what — newest first, filtered by action, subject and user."""

from __future__ import annotations

from datetime import timedelta

import dash_bootstrap_components as dbc
from dash import Input, Output, html

from auth.context import current_engine
from auth.guard import guarded
from components.audit import ACTIONS, audit_grid, audit_rows
from components.common import page_header
from components.population import data_tabs, tabs_for
from data_access.audit import audit_entries
from data_access.db import reading
from i18n import t
from pages._context import PageContext, page_context

AUDIT_ROLES = frozenset({"admin"})
PAGE = {"path": "/data/audit", "roles": AUDIT_ROLES, "order": 1.4, "title_key": "aud.title"}
SUBJECTS = ("resident", "building.households", "household", "welfare_watch", "welfare_alert", "welfare_away",
            "access_event", "device", "alarm", "residents", "households", "event.reporter_contact")  # fmt: skip
SPAN_DAYS = (1, 7, 30, 365)


def _entries(ctx: PageContext, action: str | None, subject: str | None, user: str | None, days: int | None):
    # values come from the browser: anything but the offered choices is ignored, never trusted
    days = days if days in SPAN_DAYS else None
    action = action if isinstance(action, str) else None
    subject = subject if isinstance(subject, str) else None
    user = user if isinstance(user, str) else None
    since = ctx.now - timedelta(days=days) if days else None
    with reading(current_engine()) as s:
        return audit_entries(s, ctx.community_ids, action=action or None, entity_prefix=subject or None,
                             username=(user or "").strip() or None, since=since)  # fmt: skip


def layout(ctx: PageContext, **_kwargs):
    lang = ctx.lang

    def select(control_id: str, label_key: str, options: list[dict], value=None):  # noqa: ANN001, ANN202
        return dbc.Col([dbc.Label(t(label_key, lang), html_for=control_id),
                        dbc.Select(id=control_id, options=options, value=value)], md=3)  # fmt: skip

    every = [{"label": t("common.all", lang), "value": "all"}]
    return html.Div(
        [
            page_header(t("aud.title", lang), t("aud.subtitle", lang)),
            data_tabs("audit", lang, tabs_for(ctx.user.role)),
            dbc.Row(
                [
                    select(
                        "aud-action",
                        "aud.action",
                        every + [{"label": t(f"aud.action_{a}", lang), "value": a} for a in ACTIONS],
                        "all",
                    ),
                    select("aud-subject", "aud.entity", every + [{"label": s, "value": s} for s in SUBJECTS], "all"),
                    dbc.Col(
                        [
                            dbc.Label(t("aud.user", lang), html_for="aud-user"),
                            dbc.Input(id="aud-user", debounce=True, maxLength=64),
                        ],
                        md=3,
                    ),
                    select(
                        "aud-days",
                        "aud.span",
                        [{"label": t(f"acc.span_{d}", lang), "value": str(d)} for d in SPAN_DAYS],
                        "30",
                    ),
                ],
                className="g-3 mb-3",
            ),  # fmt: skip
            html.P(t("aud.limit_note", lang), className="small text-body-secondary"),
            audit_grid(_entries(ctx, None, None, None, 30), lang),
        ]
    )


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("aud-grid", "rowData"),
        Input("aud-action", "value"),
        Input("aud-subject", "value"),
        Input("aud-user", "value"),
        Input("aud-days", "value"),
        prevent_initial_call=True,
    )
    @guarded(AUDIT_ROLES)
    def filter_entries(action, subject, user, days):
        page = page_context()
        span = int(days) if isinstance(days, str) and days.isdigit() else None
        action = action if action in ACTIONS else None
        subject = subject if subject in SUBJECTS else None
        return audit_rows(_entries(page, action, subject, user, span), page.lang)
