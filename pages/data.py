"""Data (数据): residents by age band and sex, households per estate, foreign residents by country."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.context import current_engine
from auth.guard import ALL_ROLES
from components.charts import GRAPH_CONFIG, age_pyramid, countries_bar, households_bar
from components.common import empty_note, kpi_tile, page_header
from data_access.db import reading
from data_access.population import age_sex, foreign_by_country, households_per_estate, population_totals
from domain.countries import country_name
from i18n import t
from pages._context import PageContext

PAGE = {"path": "/data", "nav_key": "nav.data", "nav_id": "data", "icon": "bi-people", "roles": ALL_ROLES, "order": 1}


def layout(ctx: PageContext, **_kwargs):
    lang = ctx.lang
    with reading(current_engine()) as s:
        totals = population_totals(s, ctx.community_ids)
        pyramid = age_sex(s, ctx.community_ids, ctx.now.year)
        households = households_per_estate(s, ctx.community_ids)
        foreign = foreign_by_country(s, ctx.community_ids)

    def chart(title_key: str, graph_id: str, figure, has_data: bool):
        body = dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG) if has_data else empty_note(lang)
        return dbc.Card([dbc.CardHeader(t(title_key, lang)), dbc.CardBody(body)], className="h-100")

    return html.Div(
        [
            page_header(t("data.title", lang), t("data.subtitle", lang)),
            dbc.Row(
                [
                    dbc.Col(
                        kpi_tile("kpi-residents", t("data.residents", lang), f"{totals['residents']:,}", "bi-people"),
                        md=3,
                    ),
                    dbc.Col(
                        kpi_tile("kpi-households", t("data.households", lang), f"{totals['households']:,}", "bi-house"),
                        md=3,
                    ),
                    dbc.Col(
                        kpi_tile("kpi-foreign", t("data.foreign", lang), f"{totals['foreign']:,}", "bi-globe2", "info"),
                        md=3,
                    ),
                    dbc.Col(
                        kpi_tile(
                            "kpi-countries", t("data.countries", lang), str(totals["countries"]), "bi-flag", "info"
                        ),
                        md=3,
                    ),
                ],
                className="g-3 mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        chart("data.pyramid", "data-pyramid", age_pyramid(pyramid, lang), totals["residents"] > 0), lg=6
                    ),
                    dbc.Col(
                        chart("data.by_estate", "data-households", households_bar(households, lang), bool(households)),
                        lg=6,
                    ),
                ],
                className="g-3 mb-3",
            ),
            dbc.Row(
                dbc.Col(
                    chart(
                        "data.by_country",
                        "data-countries",
                        countries_bar(foreign, lang, country_name),
                        bool(foreign),
                    )
                ),
                className="g-3",
            ),
        ]
    )


def register_callbacks(app) -> None:  # noqa: ANN001 - the data page has no callbacks yet
    return None
