"""Service requests (服务需求): the coordinators' queue — waiting requests first (language gaps on top),
then the rest newest first; filters, a tracking-code search, and the drill-downs of the services
figures (`?month=&talent=&rating=&matched=` show as a note that clears them)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from auth.context import current_engine
from auth.guard import ALL_ROLES, guarded
from components.common import page_header
from components.services import drill_note, request_grid, request_grid_rows, section_tabs
from data_access.db import reading
from data_access.services import (
    ROW_LIMIT,
    STATUS_CHOICES,
    RequestFilter,
    request_counts,
    request_rows,
    search_code,
    specialty_names,
)
from data_access.talent import talent_record
from domain.catalog import TALENT_TEAMS
from domain.languages import LANGUAGE_NAMES, language_name
from i18n import pick, t
from pages._context import PageContext, page_context

PAGE = {"path": "/services/requests", "roles": ALL_ROLES, "order": 4.1, "title_key": "svcq.title"}


def layout(ctx: PageContext, status: str | None = None, specialty: str | None = None, language: str | None = None,
           gap: str | None = None, month: str | None = None, talent: str | None = None, rating: str | None = None,
           matched: str | None = None, **_kwargs):  # fmt: skip
    lang = ctx.lang
    flt = RequestFilter(status=status, specialty=specialty, language=language, gap=gap, month=month, talent=talent,
                        rating=rating, matched=matched).validated()  # fmt: skip
    drill = {
        k: v for k, v in RequestFilter(month=month, talent=talent, rating=rating, matched=matched).active().items()
    }
    with reading(current_engine()) as s:
        names = specialty_names(s)
        counts = request_counts(s, ctx.community_ids)
        person = talent_record(s, ctx.community_ids, drill["talent"]) if "talent" in drill else None

    def dropdown(dd_id: str, label_key: str, choices: list[tuple[str, str]], value: str | None) -> dbc.Col:
        return dbc.Col(
            [
                dbc.Label(t(label_key, lang), html_for=dd_id),
                dcc.Dropdown(id=dd_id, options=[{"label": label, "value": v} for v, label in choices],
                             value=value if value in {v for v, _ in choices} else None,
                             placeholder=t("common.all", lang), clearable=True),
            ],
            md=6, xl=3,
        )  # fmt: skip

    languages = sorted(LANGUAGE_NAMES, key=lambda c: (c not in ("zh", "en"), language_name(c, "en")))
    filters = dbc.Row(
        [
            dropdown("svcq-status", "svcq.col.status", [(s, t(f"svcreq.status.{s}", lang)) for s in STATUS_CHOICES],
                     flt.status),
            dropdown("svcq-specialty", "svcq.col.specialty",
                     [(c, pick(lang, zh, en)) for c, (zh, en) in names.items()], flt.specialty),
            dropdown("svcq-language", "svcq.col.language", [(c, language_name(c, lang)) for c in languages],
                     flt.language),
            dbc.Col(
                [
                    dbc.Label(t("svcq.gap_only", lang), html_for="svcq-gap"),
                    dbc.Switch(id="svcq-gap", value=flt.gap, label=t("svcq.gap_only_label", lang)),
                ],
                md=6, xl=3,
            ),
        ],
        className="g-2 mb-2",
    )  # fmt: skip
    search = html.Div(
        [
            dbc.Label(t("svcq.search_label", lang), html_for="svcq-code", className="visually-hidden"),
            dbc.InputGroup(
                [
                    dbc.Input(id="svcq-code", placeholder=t("svcq.search_placeholder", lang), maxLength=16),
                    dbc.Button(t("svcq.search", lang), id="svcq-code-go", color="outline-primary", n_clicks=0),
                ],
                size="sm", className="mb-2", style={"maxWidth": "26rem"},
            ),
        ]
    )  # fmt: skip
    summary = t("svcq.summary", lang, waiting=counts["requested"], gap=counts["gap_waiting"],
                matched=counts["matched"], scheduled=counts["scheduled"])  # fmt: skip
    return html.Div(
        [
            page_header(t("svcq.title", lang), t("svcq.subtitle", lang)),
            section_tabs("requests", lang),
            html.P([html.I(className="bi bi-inboxes me-2", **{"aria-hidden": "true"}), summary],
                   className="fw-semibold", id="svcq-summary"),
            filters,
            search,
            html.Div(id="svcq-search-result"),
            dcc.Location(id="svcq-nav", refresh="callback-nav"),
            dcc.Store(id="svcq-drill", data=drill),
            drill_note(drill, lang, person["name"] if person else None) if drill else None,
            html.Div(id="svcq-count", className="small text-body-secondary mb-2", **{"aria-live": "polite"}),
            request_grid("svcq-grid", lang),
        ]
    )  # fmt: skip


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("svcq-grid", "rowData"),
        Output("svcq-count", "children"),
        Input("svcq-status", "value"),
        Input("svcq-specialty", "value"),
        Input("svcq-language", "value"),
        Input("svcq-gap", "value"),
        Input("svcq-drill", "data"),
    )
    @guarded(ALL_ROLES)
    def filter_requests(status, specialty, language, gap, drill):
        ctx = page_context()
        drill = drill if isinstance(drill, dict) else {}
        flt = RequestFilter(status=status, specialty=specialty, language=language, gap=bool(gap) is True,
                            month=drill.get("month"), talent=drill.get("talent"), rating=drill.get("rating"),
                            matched=drill.get("matched") is True)  # fmt: skip
        with reading(current_engine()) as s:
            rows = request_rows(s, ctx.community_ids, flt)
            names = specialty_names(s)
        key = "svcq.count_capped" if len(rows) >= ROW_LIMIT else "svcq.count"
        return request_grid_rows(rows, ctx.lang, names, dict(TALENT_TEAMS)), t(key, ctx.lang, n=len(rows))

    @app.callback(
        Output("svcq-nav", "href"),
        Output("svcq-search-result", "children"),
        Input("svcq-code-go", "n_clicks"),
        Input("svcq-code", "n_submit"),
        State("svcq-code", "value"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def find_code(_clicks, _submit, text):
        ctx = page_context()
        with reading(current_engine()) as s:
            found = search_code(s, ctx.community_ids, text if isinstance(text, str) else "")
        if found is None:
            return no_update, dbc.Alert(t("svcq.search_none", ctx.lang), color="warning", className="py-2 small",
                                        id="svcq-search-none")  # fmt: skip
        return f"/services/request/{found}", None
