"""Services (服务): the 360 talent library by specialty, with the languages each specialty covers."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from auth.context import current_engine
from auth.guard import ALL_ROLES
from components.charts import GRAPH_CONFIG, talent_bar
from components.common import empty_note, page_header
from data_access.db import reading
from data_access.talent import talent_by_specialty, talent_list
from domain.catalog import TALENT_TEAMS
from domain.languages import language_name
from i18n import pick, t
from i18n.grid_locale import grid_locale
from pages._context import PageContext

PAGE = {"path": "/services", "nav_key": "nav.services", "nav_id": "services", "icon": "bi-people-fill",
        "roles": ALL_ROLES, "order": 4}  # fmt: skip


def layout(ctx: PageContext, **_kwargs):
    lang = ctx.lang
    with reading(current_engine()) as s:
        by_specialty = talent_by_specialty(s, ctx.community_ids)
        people = talent_list(s, ctx.community_ids)
    names = {r["code"]: pick(lang, r["name_zh"], r["name_en"]) for r in by_specialty}
    teams = {zh: pick(lang, zh, en) for zh, en in TALENT_TEAMS}
    joiner = "、" if lang == "zh" else ", "
    rows = [
        {
            "name": p["name"],
            "team": teams.get(p["team"], p["team"]),
            "specialties": joiner.join(names.get(c, c) for c in p["specialties"]),
            "languages": joiner.join(language_name(code, lang) for code in p["languages"]),
            "load_limit": p["load_limit"],
        }
        for p in people
    ]
    grid = dag.AgGrid(
        id="svc-talent-grid",
        rowData=rows,
        columnDefs=[
            {"field": "name", "headerName": t("svc.name", lang)},
            {"field": "team", "headerName": t("svc.team", lang)},
            {"field": "specialties", "headerName": t("svc.specialties", lang), "flex": 2},
            {"field": "languages", "headerName": t("svc.languages", lang)},
            {"field": "load_limit", "headerName": t("svc.load_limit", lang), "maxWidth": 140},
        ],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1},
        dashGridOptions={"pagination": True, "paginationPageSize": 20, "localeText": grid_locale(lang)},
        style={"height": "560px"},
        className="ag-theme-quartz",
    )
    return html.Div(
        [
            page_header(t("svc.title", lang), t("svc.subtitle", lang, n=len(people))),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(t("svc.by_specialty", lang)),
                                dbc.CardBody(
                                    dcc.Graph(
                                        id="svc-specialty-chart",
                                        figure=talent_bar(by_specialty, lang),
                                        config=GRAPH_CONFIG,
                                    )
                                    if people
                                    else empty_note(lang)
                                ),
                            ]
                        ),
                        lg=5,
                    ),
                    dbc.Col(dbc.Card([dbc.CardHeader(t("svc.library", lang)), dbc.CardBody(grid)]), lg=7),
                ],
                className="g-3",
            ),
        ]
    )


def register_callbacks(app) -> None:  # noqa: ANN001
    return None
