"""Data · door access (门禁): passages per gate and hour of day, per gate and direction, and per day,
from the pseudonymous door events the cockpit keeps for a limited time. Counts only, for every role."""

from __future__ import annotations

from datetime import timedelta

import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.context import current_config, current_engine
from auth.guard import ALL_ROLES
from components.access import daily_figure, gate_direction_bar, gate_hour_heatmap
from components.charts import GRAPH_CONFIG
from components.common import empty_note, fmt_time, kpi_tile, page_header
from components.population import data_tabs, tabs_for
from data_access.access import access_totals, daily_counts, gate_hour_counts
from data_access.db import reading
from i18n import t
from pages._context import PageContext

PAGE = {"path": "/data/access", "roles": ALL_ROLES, "order": 1.2, "title_key": "acc.title"}
SPANS = (1, 7, 30)


def layout(ctx: PageContext, days: str | None = None, **_kwargs):
    lang = ctx.lang
    span = int(days) if days and days.isdigit() and int(days) in SPANS else 7
    since = ctx.now - timedelta(days=span)
    with reading(current_engine()) as s:
        cells = gate_hour_counts(s, ctx.community_ids, since, ctx.now)
        daily = daily_counts(s, ctx.community_ids, since, ctx.now)
        totals = access_totals(s, ctx.community_ids, since, ctx.now)
    retention = current_config()["door_event_retention_days"]

    def card(title: str, graph_id: str, figure):  # noqa: ANN001, ANN202
        body = dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG) if cells else empty_note(lang)
        return dbc.Card([dbc.CardHeader(title), dbc.CardBody(body)], className="h-100")

    return html.Div(
        [
            page_header(t("acc.title", lang), t("acc.subtitle", lang)),
            data_tabs("access", lang, tabs_for(ctx.user.role)),
            html.Div(
                [html.Span(t("acc.span", lang), className="me-2 small text-body-secondary")]
                + [
                    dbc.Button(
                        t(f"acc.span_{n}", lang),
                        href=f"/data/access?days={n}",
                        size="sm",
                        color="primary" if n == span else "outline-primary",
                        className="me-1",
                        id=f"acc-span-{n}",
                    )
                    for n in SPANS
                ],
                className="mb-3",
            ),  # fmt: skip
            dbc.Row(
                [
                    dbc.Col(
                        kpi_tile(
                            "kpi-acc-events",
                            t("acc.passages_span", lang, span=t(f"acc.span_{span}", lang)),
                            f"{totals['events']:,}",
                            "bi-door-open",
                        ),
                        md=4,
                    ),
                    dbc.Col(
                        kpi_tile(
                            "kpi-acc-gates", t("acc.gates", lang), str(totals["gates"]), "bi-signpost-split", "info"
                        ),
                        md=4,
                    ),
                    dbc.Col(
                        kpi_tile(
                            "kpi-acc-kept",
                            t("acc.kept", lang, n=retention),
                            fmt_time(totals["kept_from"]),
                            "bi-shield-check",
                            "secondary",
                            t("acc.kept_note", lang),
                        ),
                        md=4,
                    ),
                ],
                className="g-3 mb-3",
            ),  # fmt: skip
            dbc.Row(
                [
                    dbc.Col(card(t("acc.by_gate_hour", lang), "acc-heatmap", gate_hour_heatmap(cells, lang)), lg=7),
                    dbc.Col(card(t("acc.by_gate", lang), "acc-gates", gate_direction_bar(cells, lang)), lg=5),
                ],
                className="g-3 mb-3",
            ),
            card(t("acc.by_day", lang), "acc-daily", daily_figure(daily, lang)),
            html.P(t("acc.privacy", lang, n=retention), className="small text-body-secondary mt-3", id="acc-privacy"),
        ]
    )


def register_callbacks(app) -> None:  # noqa: ANN001 - the span is chosen by link (?days=N)
    return None
