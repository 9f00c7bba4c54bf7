"""System (系统), administrators only: job health (the last runs of every job), the api keys and tokens
(issue — shown once — and revoke), and the settings in force."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, html

from auth.context import current_config, current_engine
from auth.guard import Forbidden, guarded, role_allowed
from components.common import empty_note, fmt_time, page_header
from data_access.db import reading, writing
from data_access.jobruns import recent_runs
from data_access.tokens import (
    NAME_MAX,
    PREFIX,
    communities,
    issue_token,
    list_tokens,
    record_token_change,
    revoke_token,
    token_community,
)
from i18n import pick, t
from pages._context import PageContext, page_context
from settings import SETTINGS

ADMIN_ONLY = frozenset({"admin"})
PAGE = {"path": "/system", "nav_key": "nav.system", "nav_id": "system", "icon": "bi-gear", "roles": ADMIN_ONLY,
        "order": 9}  # fmt: skip
SECRET_SETTINGS = {"secret_key", "demo_password", "database_url"}


def layout(ctx: PageContext, **_kwargs):
    lang = ctx.lang
    config = current_config()
    settings_rows = [
        html.Tr(
            [
                html.Td(html.Code(s.env_name)),
                html.Td(_shown_value(s.name, config[s.name], lang)),
                html.Td(s.help_zh if lang == "zh" else s.help, className="small text-body-secondary"),
            ]
        )
        for s in SETTINGS
    ]
    return html.Div(
        [
            page_header(t("sys.title", lang), t("sys.subtitle", lang)),
            dbc.Card(
                [
                    dbc.CardHeader(
                        [
                            t("sys.jobs", lang),
                            dbc.Button(t("sys.refresh", lang), id="sys-refresh", size="sm", className="float-end"),
                        ]
                    ),
                    dbc.CardBody(_runs_table(ctx), id="sys-runs"),
                ],
                className="mb-3",
            ),
            _tokens_card(ctx),
            dbc.Card(
                [
                    dbc.CardHeader(t("sys.settings", lang)),
                    dbc.CardBody(
                        dbc.Table(
                            [
                                html.Thead(
                                    html.Tr(
                                        [
                                            html.Th(t("sys.setting", lang)),
                                            html.Th(t("sys.value", lang)),
                                            html.Th(t("sys.help", lang)),
                                        ]
                                    )  # fmt: skip
                                ),
                                html.Tbody(settings_rows),
                            ],
                            size="sm",
                            striped=True,
                            id="sys-settings",
                        )
                    ),
                ]
            ),
        ]
    )


def _shown_value(name: str, value, lang: str) -> str:  # noqa: ANN001
    if name in SECRET_SETTINGS:
        return t("sys.set", lang) if value else t("sys.not_set", lang)
    if isinstance(value, bool):
        return t("common.yes" if value else "common.no", lang)
    return str(value)


def _runs_table(ctx: PageContext):
    lang = ctx.lang
    with reading(current_engine()) as s:
        runs = recent_runs(s)
    if not runs:
        return empty_note(lang, "sys.no_runs")
    header = html.Thead(
        html.Tr(
            [
                html.Th(t(k, lang))
                for k in ("sys.job", "sys.status", "sys.started", "sys.finished", "sys.rows", "sys.error")
            ]
        )  # fmt: skip
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(r["job"]),
                    html.Td(
                        dbc.Badge(
                            t(f"sys.run_{r['status']}", lang),
                            color={"ok": "success", "error": "danger"}.get(r["status"], "secondary"),
                        )
                    ),
                    html.Td(fmt_time(r["started_at"])),
                    html.Td(fmt_time(r["finished_at"])),
                    html.Td(str(r["rows"])),
                    html.Td(r["error"], className="small text-danger"),
                ]
            )
            for r in runs
        ]
    )
    return dbc.Table([header, body], size="sm", hover=True, id="sys-runs-table")


# --- api keys and tokens -----------------------------------------------------------------------


def _token_scope(ctx: PageContext) -> list[int] | None:
    """None when the administrator sees every community (and so may hold district-wide keys)."""
    with reading(current_engine()) as s:
        every = [c["id"] for c in communities(s)]
    return None if set(every) <= set(ctx.community_ids) else list(ctx.community_ids)


def _tokens_card(ctx: PageContext):
    lang = ctx.lang
    scope = _token_scope(ctx)
    with reading(current_engine()) as s:
        choices = communities(s, scope)
    community_options = ([{"label": t("tok.community_all", lang), "value": ""}] if scope is None else []) + [
        {"label": f"{pick(lang, c['name_zh'], c['name_en'])} ({c['code']})", "value": str(c["id"])} for c in choices
    ]
    field = "col-12 col-md-3"
    form = dbc.Row(
        [
            html.Div(
                [
                    dbc.Label(t("tok.kind", lang), html_for="tok-kind"),
                    dbc.Select(
                        id="tok-kind",
                        options=[{"label": t(f"tok.kind.{k}", lang), "value": k} for k in PREFIX],
                        value="open311",
                    ),
                ],
                className=field,
            ),
            html.Div(
                [
                    dbc.Label(t("tok.name", lang), html_for="tok-name"),
                    dbc.Input(id="tok-name", type="text", maxLength=NAME_MAX, placeholder=t("tok.name_help", lang)),
                ],
                className=field,
            ),
            html.Div(
                [
                    dbc.Label(t("tok.community", lang), html_for="tok-community"),
                    dbc.Select(
                        id="tok-community",
                        options=community_options,
                        value=community_options[0]["value"] if community_options else None,
                    ),
                ],
                className=field,
            ),  # fmt: skip
            html.Div(
                dbc.Button(t("tok.issue", lang), id="tok-issue", color="primary", className="mt-md-4"),
                className=field,
            ),
        ],
        className="g-2 mb-2",
    )
    return dbc.Card(
        [
            dbc.CardHeader(t("tok.title", lang)),
            dbc.CardBody(
                [
                    html.P(t("tok.intro", lang), className="small text-body-secondary"),
                    form,
                    html.Div(id="tok-feedback", role="status"),
                    html.H2(t("tok.list", lang), className="h6 mt-3"),
                    html.Div(_tokens_table(ctx, scope), id="tok-list"),
                ]
            ),
        ],
        className="mb-3",
        id="sys-tokens",
    )


def _tokens_table(ctx: PageContext, scope: list[int] | None):
    lang = ctx.lang
    with reading(current_engine()) as s:
        rows = list_tokens(s, scope)
    if not rows:
        return empty_note(lang, "tok.none")
    header = html.Thead(
        html.Tr(
            [
                html.Th(t(k, lang))
                for k in (
                    "tok.id",
                    "tok.kind",
                    "tok.name",
                    "tok.community",
                    "tok.created",
                    "tok.last_used",
                    "tok.state",
                    "tok.revoke",
                )
            ]
        )  # fmt: skip
    )
    body = []
    for r in rows:
        community = pick(lang, r["community_zh"], r["community_en"]) if r["community"] else t("tok.community_all", lang)
        if r["revoked_at"]:
            state, action = t("tok.revoked_at", lang, at=fmt_time(r["revoked_at"])), None
        else:
            state = t("tok.active", lang)
            action = dbc.Button(
                t("tok.revoke", lang), id={"type": "tok-revoke", "id": r["id"]}, size="sm", color="danger", outline=True
            )
        body.append(
            html.Tr(
                [
                    html.Td(str(r["id"])),
                    html.Td(t(f"tok.kind.{r['kind']}", lang)),
                    html.Td(r["name"]),
                    html.Td(community),
                    html.Td(fmt_time(r["created_at"])),
                    html.Td(fmt_time(r["last_used_at"]) if r["last_used_at"] else t("tok.never", lang)),
                    html.Td(state),
                    html.Td(action),
                ]
            )
        )
    return dbc.Table([header, html.Tbody(body)], size="sm", hover=True, id="tok-table")


def issue_key(ctx: PageContext, kind: str | None, name: str | None, community: str | None):
    """Issue a key for the administrator in `ctx`: (feedback, table). The clear key is in the feedback only."""
    lang = ctx.lang
    scope = _token_scope(ctx)
    name = name.strip() if isinstance(name, str) else ""
    if kind not in PREFIX:
        return dbc.Alert(t("tok.error.kind", lang), color="danger"), _tokens_table(ctx, scope)
    if not name or len(name) > NAME_MAX:
        return dbc.Alert(t("tok.error.name", lang), color="danger"), _tokens_table(ctx, scope)
    community_id = int(community) if community and str(community).isdigit() else None
    allowed = {c["id"] for c in _community_choices(scope)}
    if (community_id is None and scope is not None) or (community_id is not None and community_id not in allowed):
        return dbc.Alert(t("tok.error.community", lang), color="danger"), _tokens_table(ctx, scope)
    with writing(current_engine()) as s:
        clear = issue_token(s, kind, name, ctx.now, community_id)
        record_token_change(s, ctx.user.id, "update", clear, f"issued {kind} token {name!r}", ctx.now)
    shown = dbc.Alert(
        [html.Div(t("tok.issued", lang, name=name)), html.Code(clear, id="tok-clear", className="user-select-all")],
        color="success",
    )
    return shown, _tokens_table(ctx, scope)


def revoke_key(ctx: PageContext, token_id: int):
    lang = ctx.lang
    scope = _token_scope(ctx)
    done = False
    with writing(current_engine()) as s:
        exists, community_id = token_community(s, token_id)
        if exists and (scope is None or community_id in scope):
            done = revoke_token(s, token_id, ctx.now)
            if done:
                record_token_change(s, ctx.user.id, "update", token_id, "revoked", ctx.now)
    if done:
        note = dbc.Alert(t("tok.revoked", lang, id=token_id), color="warning")
    else:
        note = dbc.Alert(t("tok.revoke_failed", lang, id=token_id), color="danger")
    return note, _tokens_table(ctx, scope)


def _community_choices(scope: list[int] | None) -> list[dict]:
    with reading(current_engine()) as s:
        return communities(s, scope)


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(Output("sys-runs", "children"), Input("sys-refresh", "n_clicks"), prevent_initial_call=True)
    @guarded(ADMIN_ONLY)
    def refresh_runs(_n):
        return _runs_table(page_context())

    @app.callback(
        Output("tok-feedback", "children"),
        Output("tok-list", "children"),
        Input("tok-issue", "n_clicks"),
        Input({"type": "tok-revoke", "id": ALL}, "n_clicks"),
        State("tok-kind", "value"),
        State("tok-name", "value"),
        State("tok-community", "value"),
        prevent_initial_call=True,
    )
    @guarded(ADMIN_ONLY)
    def tokens_action(issue_clicks, revoke_clicks, kind, name, community):
        if not role_allowed(ADMIN_ONLY):  # checked again here: this callback hands out keys
            raise Forbidden("tokens_action")
        trigger = ctx.triggered_id
        page = page_context()
        if trigger == "tok-issue" and issue_clicks:
            return issue_key(page, kind, name, community)
        if isinstance(trigger, dict) and trigger.get("type") == "tok-revoke" and any(revoke_clicks or ()):
            clicked = ctx.triggered[0]["value"] if ctx.triggered else None
            if clicked and isinstance(trigger.get("id"), int):
                return revoke_key(page, trigger["id"])
        return None, _tokens_table(page, _token_scope(page))
