"""Services (服务): the 360 talent library at work — requests by specialty and month, time to match,
completion and satisfaction, load per person and language gaps; every tile, bar and point opens the
request list behind it (`/services/requests?…`)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx

from auth.context import current_engine
from auth.guard import ALL_ROLES, guarded
from components.charts import GRAPH_CONFIG
from components.common import page_header
from components.metrics import choice_links
from components.services import (
    by_specialty_month,
    completion,
    drill_href,
    headline_tiles,
    language_gaps,
    load_per_person,
    ratings,
    section_tabs,
    time_to_match,
)
from data_access.db import reading
from data_access.service_figures import PERIODS, period_months, service_figures
from data_access.services import request_counts
from data_access.talent import active_talent_count
from domain.catalog import TALENT_TEAMS
from i18n import t
from pages._context import PageContext, page_context

PAGE = {"path": "/services", "nav_key": "nav.services", "nav_id": "services", "icon": "bi-people-fill",
        "roles": ALL_ROLES, "order": 4}  # fmt: skip
GRAPHS = ("svc-specialty-chart", "svc-match-chart", "svc-completion-chart", "svc-rating-chart", "svc-load-chart",
          "svc-gap-chart")  # fmt: skip


def layout(ctx: PageContext, period: str | None = None, **_kwargs):
    lang = ctx.lang
    period = period if period in PERIODS else "12m"
    with reading(current_engine()) as s:
        active_people = active_talent_count(s, ctx.community_ids)
        counts = request_counts(s, ctx.community_ids)
    periods = [(p, t(f"svcfig.period_{p}", lang)) for p in PERIODS]
    return html.Div(
        [
            page_header(t("svc.title", lang), t("svc.subtitle", lang, n=active_people)),
            section_tabs("overview", lang),
            choice_links("svc-period", t("svcfig.period", lang), periods, period, lambda p: f"/services?period={p}",
                         lang),
            dcc.Store(id="svc-view", data={"period": period}),
            dcc.Location(id="svc-nav", refresh="callback-nav"),
            html.Div(_body(ctx, period, counts["requested"]), id="svc-body", className="mt-3"),
        ]
    )  # fmt: skip


def _body(ctx: PageContext, period: str, waiting: int) -> list:
    lang = ctx.lang
    first, last = period_months(period, ctx.now)
    with reading(current_engine()) as s:
        figures = service_figures(s, ctx.community_ids, first, last, ctx.now)
    teams = dict(TALENT_TEAMS)

    def card(title_key: str, figure, graph_id: str, note_key: str | None = None) -> dbc.Card:  # noqa: ANN001
        return dbc.Card(
            [
                dbc.CardHeader(t(title_key, lang)),
                dbc.CardBody(
                    [
                        html.P(t(note_key, lang), className="small text-body-secondary mb-1") if note_key else None,
                        dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG),
                    ]
                ),
            ],
        )

    return [
        html.P(
            [
                t("svcfig.span", lang, first=first, last=last),
                " · ",
                t("common.as_of", lang, time=ctx.now.strftime("%Y-%m-%d %H:%M")),
                " · ",
                t("svcfig.click_hint", lang),
            ],
            className="small text-body-secondary",
            id="svc-span-note",
        ),  # fmt: skip
        headline_tiles(figures, waiting, lang),
        dbc.Row(
            [
                dbc.Col(card("svcfig.by_specialty", by_specialty_month(figures, lang), "svc-specialty-chart"), xl=6),
                dbc.Col(
                    card("svcfig.match_title", time_to_match(figures, lang), "svc-match-chart", "svcfig.match_help"),
                    xl=6,
                ),
            ],
            className="g-3 mb-3",
        ),  # fmt: skip
        dbc.Row(
            [
                dbc.Col(
                    card(
                        "svcfig.completion_title",
                        completion(figures, lang),
                        "svc-completion-chart",
                        "svcfig.completion_help",
                    ),
                    xl=6,
                ),
                dbc.Col(
                    card("svcfig.rating_title", ratings(figures, lang), "svc-rating-chart", "svcfig.rating_help"), xl=6
                ),
            ],
            className="g-3 mb-3",
        ),  # fmt: skip
        dbc.Row(
            [
                dbc.Col(
                    card(
                        "svcfig.load_title", load_per_person(figures, lang, teams), "svc-load-chart", "svcfig.load_help"
                    ),
                    xl=7,
                ),
                dbc.Col(
                    card("svcfig.gap_title", language_gaps(figures, lang), "svc-gap-chart", "svcfig.gap_help"), xl=5
                ),
            ],
            className="g-3 mb-3",
        ),  # fmt: skip
        html.Details(
            [html.Summary(t("svcfig.definitions_title", lang)), html.P(t("svcfig.definitions", lang))],
            className="small text-body-secondary",
            id="svc-definitions",
        ),
    ]


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("svc-nav", "href"),
        *(Input(graph_id, "clickData") for graph_id in GRAPHS),
        State("svc-view", "data"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def drill_down(*args):
        """Rebuild the request-list URL from the clicked point's kind and group, never from a sent URL."""
        clicks = dict(zip(GRAPHS, args[:-1], strict=True))
        view = args[-1] if isinstance(args[-1], dict) else {}
        click = clicks.get(dash_ctx.triggered_id)
        try:
            kind, value, month = click["points"][0]["customdata"][:3]
        except (TypeError, KeyError, IndexError, ValueError):
            return no_update
        period = view.get("period")
        first, last = period_months(period if period in PERIODS else "12m", page_context().now)
        if isinstance(month, str) and not (first <= month <= last):
            return no_update
        if not isinstance(value, str | int) or isinstance(value, bool):
            if kind != "matched":
                return no_update
            value = "1"
        return drill_href(kind, value, month, first, last) or no_update
