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
    set_wall_settings,
    token_community,
)
from domain.wall import LANGS, WALL_VIEWS, WallOptionError, clean_stored
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
            _wall_settings_card(ctx),
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
                    "tok.screen",
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
                    html.Td(_settings_text(r["settings"], lang) if r["kind"] == "wall" else ""),
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
    shown = [html.Div(t("tok.issued", lang, name=name)), html.Code(clear, id="tok-clear", className="user-select-all")]
    if kind == "wall":
        shown += [
            html.Div(t("tok.wall_url", lang), className="mt-2"),
            html.Code(_wall_url(clear), id="tok-wall-url", className="user-select-all"),
        ]
    return dbc.Alert(shown, color="success"), _tokens_table(ctx, scope)


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


def _wall_url(clear: str) -> str:
    from flask import request

    return f"{request.host_url.rstrip('/')}/wall/?token={clear}"


def _settings_text(settings: dict | None, lang: str) -> str:
    if not settings:
        return t("tok.screen_defaults", lang)
    parts = []
    if settings.get("views"):
        parts.append(" → ".join(t(f"wall.view.{v}", lang) for v in settings["views"]))
    if settings.get("rotate"):
        parts.append(t("tok.wall.rotate_short", lang, n=settings["rotate"]))
    if settings.get("refresh"):
        parts.append(t("tok.wall.refresh_short", lang, n=settings["refresh"]))
    if settings.get("lang"):
        parts.append(t(f"tok.wall.lang.{settings['lang']}", lang))
    return "; ".join(parts)


# --- the settings of each wall screen -----------------------------------------------------------------


def _wall_tokens(ctx: PageContext) -> list[dict]:
    with reading(current_engine()) as s:
        rows = list_tokens(s, _token_scope(ctx))
    return [r for r in rows if r["kind"] == "wall" and not r["revoked_at"]]


def _wall_settings_card(ctx: PageContext):
    lang = ctx.lang
    tokens = _wall_tokens(ctx)
    field = "col-12 col-md-6 col-xl-3"
    if tokens:
        body = [
            dbc.Row(
                [
                    html.Div(
                        [
                            dbc.Label(t("tok.wall.token", lang), html_for="wall-set-token"),
                            dbc.Select(
                                id="wall-set-token",
                                options=[{"label": f"{r['id']} · {r['name']}", "value": str(r["id"])} for r in tokens],
                                value=str(tokens[0]["id"]),
                            ),
                        ],
                        className=field,
                    ),
                    html.Div(
                        [
                            dbc.Label(t("tok.wall.rotate", lang), html_for="wall-set-rotate"),
                            dbc.Input(id="wall-set-rotate", type="number", min=5, max=3600, step=1),
                        ],
                        className=field,
                    ),
                    html.Div(
                        [
                            dbc.Label(t("tok.wall.refresh", lang), html_for="wall-set-refresh"),
                            dbc.Input(id="wall-set-refresh", type="number", min=1, max=300, step=1),
                        ],
                        className=field,
                    ),
                    html.Div(
                        [
                            dbc.Label(t("tok.wall.lang", lang), html_for="wall-set-lang"),
                            dbc.Select(
                                id="wall-set-lang",
                                options=[{"label": t("tok.wall.lang_default", lang), "value": ""}]
                                + [{"label": t(f"tok.wall.lang.{code}", lang), "value": code} for code in LANGS],
                                value="",
                            ),
                        ],
                        className=field,
                    ),
                ],
                className="g-2 mb-2",
            ),
            dbc.Label(t("tok.wall.views", lang), html_for="wall-set-views"),
            dbc.Checklist(
                id="wall-set-views",
                options=[{"label": t(f"wall.view.{v}", lang), "value": v} for v in WALL_VIEWS],
                value=list(WALL_VIEWS),
                inline=True,
                className="mb-2",
            ),
            dbc.Button(t("tok.wall.save", lang), id="wall-set-save", color="primary", size="sm"),
            html.Div(id="wall-set-feedback", role="status", className="mt-2"),
        ]
    else:
        body = [empty_note(lang, "tok.wall.none")]
    return dbc.Card(
        [
            dbc.CardHeader(t("tok.wall.title", lang)),
            dbc.CardBody([html.P(t("tok.wall.intro", lang), className="small text-body-secondary"), *body]),
        ],
        className="mb-3",
        id="sys-wall-settings",
    )


def _wall_token_in_scope(ctx: PageContext, token: object) -> dict | None:
    token_id = int(token) if isinstance(token, str | int) and str(token).isdigit() else None
    return next((r for r in _wall_tokens(ctx) if r["id"] == token_id), None)


def wall_settings_form(ctx: PageContext, token: object) -> tuple:
    """The form's values for one wall token: (views, rotate, refresh, lang)."""
    row = _wall_token_in_scope(ctx, token)
    stored = (row or {}).get("settings") or {}
    return (
        list(stored.get("views") or WALL_VIEWS),
        stored.get("rotate"),
        stored.get("refresh"),
        stored.get("lang") or "",
    )


def save_wall_settings(ctx: PageContext, token: object, views, rotate, refresh, lang_choice):  # noqa: ANN001
    """Check and store a wall token's settings for the administrator in `ctx`: (feedback, table).
    Every view chosen, in the default order, is the same as no playlist: the default applies."""
    lang = ctx.lang
    scope = _token_scope(ctx)
    row = _wall_token_in_scope(ctx, token)
    if row is None:
        return dbc.Alert(t("tok.wall.error.token", lang), color="danger"), _tokens_table(ctx, scope)
    chosen = [v for v in WALL_VIEWS if v in (views or [])]
    if not chosen:
        return dbc.Alert(t("tok.wall.error.views", lang), color="danger"), _tokens_table(ctx, scope)
    raw = {
        "views": chosen if len(chosen) < len(WALL_VIEWS) else None,
        "rotate": rotate,
        "refresh": refresh,
        "lang": lang_choice,
    }
    try:
        settings = clean_stored(raw)
    except WallOptionError as refused:
        return dbc.Alert(t(f"tok.wall.error.{refused.code}", lang), color="danger"), _tokens_table(ctx, scope)
    with writing(current_engine()) as s:
        done = set_wall_settings(s, row["id"], settings)
        if done:
            record_token_change(s, ctx.user.id, "update", row["id"], f"wall settings {settings}", ctx.now)
    if not done:
        return dbc.Alert(t("tok.wall.error.token", lang), color="danger"), _tokens_table(ctx, scope)
    note = t("tok.wall.saved", lang, id=row["id"], settings=_settings_text(settings, lang))
    return dbc.Alert(note, color="success"), _tokens_table(ctx, scope)


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

    @app.callback(
        Output("wall-set-views", "value"),
        Output("wall-set-rotate", "value"),
        Output("wall-set-refresh", "value"),
        Output("wall-set-lang", "value"),
        Input("wall-set-token", "value"),
    )
    @guarded(ADMIN_ONLY)
    def load_wall_settings(token):
        return wall_settings_form(page_context(), token)

    @app.callback(
        Output("wall-set-feedback", "children"),
        Output("tok-list", "children", allow_duplicate=True),
        Input("wall-set-save", "n_clicks"),
        State("wall-set-token", "value"),
        State("wall-set-views", "value"),
        State("wall-set-rotate", "value"),
        State("wall-set-refresh", "value"),
        State("wall-set-lang", "value"),
        prevent_initial_call=True,
    )
    @guarded(ADMIN_ONLY)
    def save_wall(n_clicks, token, views, rotate, refresh, lang_choice):
        if not role_allowed(ADMIN_ONLY):  # checked again here: this callback changes what a screen shows
            raise Forbidden("save_wall")
        page = page_context()
        if not n_clicks:
            return None, _tokens_table(page, _token_scope(page))
        return save_wall_settings(page, token, views, rotate, refresh, lang_choice)
