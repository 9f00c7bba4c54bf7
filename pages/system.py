"""System (系统), administrators only: job health (the last runs of every job) and the settings in force."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, html

from auth.context import current_config, current_engine
from auth.guard import guarded
from components.common import empty_note, fmt_time, page_header
from data_access.db import reading
from data_access.jobruns import recent_runs
from i18n import t
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


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(Output("sys-runs", "children"), Input("sys-refresh", "n_clicks"), prevent_initial_call=True)
    @guarded(ADMIN_ONLY)
    def refresh_runs(_n):
        return _runs_table(page_context())
