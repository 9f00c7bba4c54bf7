"""Compare (社区对比): for street and district users, their communities side by side — KPIs, a ranking
table and a chart, a street filter for district users, and a drill-down into one community's hotspots
and cases. A caller who sees one community only gets a note instead (checked here, on the server)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html, no_update

from auth.context import current_engine
from auth.guard import ALL_ROLES, guarded
from components.charts import GRAPH_CONFIG
from components.common import empty_note, page_header
from components.compare import (
    SORTS,
    by_street,
    comparison_rows,
    hotspots_href,
    ranked,
    ranking_chart,
    ranking_table,
    scope_tiles,
    street_table,
    totals,
)
from components.metrics import choice_links
from data_access.compare import case_figures, community_by_code, community_list, module_figures
from data_access.db import reading
from data_access.metrics import PERIODS, period_months
from i18n import pick, t
from pages._context import PageContext, page_context

PAGE = {
    "path": "/compare",
    "nav_key": "nav.compare",
    "nav_id": "compare",
    "icon": "bi-bar-chart-steps",
    "roles": ALL_ROLES,
    "order": 0.5,
    "multi_community": True,  # app.py lists it only for callers whose scope spans several communities
}


def layout(ctx: PageContext, street: str | None = None, sort: str | None = None, period: str | None = None, **_kwargs):
    lang = ctx.lang
    if len(ctx.community_ids) < 2:
        note = dbc.Alert(t("compare.single_community", lang), color="warning", id="cmp-single")
        return html.Div([page_header(t("compare.title", lang)), note])
    period = period if period in PERIODS else "month"
    sort = sort if sort in SORTS else "on_time_rate"
    first, last = period_months(period, ctx.now)
    with reading(current_engine()) as s:
        communities = community_list(s, ctx.community_ids)
        streets = list(dict.fromkeys((c["street"], c["street_zh"], c["street_en"]) for c in communities))
        street = street if street in {code for code, _zh, _en in streets} else None
        chosen = [c for c in communities if street is None or c["street"] == street]
        ids = [c["id"] for c in chosen]
        figures = case_figures(s, ids, first, last, ctx.now)
        modules = module_figures(s, ids)
    rows = ranked(comparison_rows(chosen, figures, modules), sort)
    overall = totals(rows) if rows else None

    def view(**change: str | None) -> str:
        params = {"street": street, "sort": sort, "period": period, **change}
        query = "&".join(f"{k}={v}" for k, v in params.items() if v)
        return "/compare" + (f"?{query}" if query else "")

    controls = [
        dbc.Col(
            choice_links(
                "cmp-period",
                t("compare.period", lang),
                [(p, t(f"compare.period_{p}", lang)) for p in PERIODS],
                period,
                lambda p: view(period=p),
                lang,
            ),
            xs=12,
            lg="auto",
        ),
        dbc.Col(
            choice_links(
                "cmp-sort",
                t("compare.rank_by", lang),
                [(m, t(f"compare.col.{m}", lang)) for m in SORTS],
                sort,
                lambda m: view(sort=m),
                lang,
            ),
            xs=12,
            lg="auto",
        ),
    ]
    if len(streets) > 1:
        choices = [("all", t("compare.all_streets", lang))] + [(code, pick(lang, zh, en)) for code, zh, en in streets]
        controls.insert(
            0,
            dbc.Col(
                choice_links(
                    "cmp-street",
                    t("compare.street", lang),
                    choices,
                    street or "all",
                    lambda code: view(street=None if code == "all" else code),
                    lang,
                ),
                xs=12,
                lg="auto",
            ),
        )
    header = [
        page_header(t("compare.title", lang), t("compare.subtitle", lang)),
        dbc.Row(controls, className="g-3 mb-3"),
        dcc.Location(id="cmp-nav", refresh="callback-nav"),
    ]
    if not rows:
        return html.Div([*header, empty_note(lang, "compare.no_communities")])
    metric_name = t(f"compare.col.{sort}", lang)
    best_first = sort in ("on_time_rate", "closed_rate", "rework_rate", "overdue")
    order_note = t("compare.order_best" if best_first else "compare.order_most", lang)
    body = [
        html.P(
            [
                t(
                    "compare.scope_note",
                    lang,
                    n=len(rows),
                    months=first if first == last else t("compare.months", lang, first=first, last=last),
                    time=ctx.now.strftime("%Y-%m-%d %H:%M"),
                ),
                " · ",
                t("compare.click_hint", lang),
            ],
            className="small text-body-secondary",
            id="cmp-note",
        ),
        scope_tiles(overall, lang),
        dbc.Card(
            [
                dbc.CardHeader(t("compare.chart_title", lang, metric=metric_name)),
                dbc.CardBody(
                    dcc.Graph(id="cmp-chart", figure=ranking_chart(rows, sort, overall, lang), config=GRAPH_CONFIG)
                ),
            ],
            className="mb-3",
        ),
        dbc.Card(
            [
                dbc.CardHeader(f"{t('compare.ranking', lang)} · {metric_name} · {order_note}"),
                dbc.CardBody(ranking_table(rows, sort, lang), className="p-0"),
            ],
            className="mb-3",
        ),
    ]
    if street is None and len(streets) > 1:
        body.append(
            dbc.Card(
                [
                    dbc.CardHeader(t("compare.by_street", lang)),
                    dbc.CardBody(street_table(by_street(rows), lang), className="p-0"),
                ]
            )
        )
    return html.Div([*header, *body])


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("cmp-nav", "href"),
        Input("cmp-chart", "clickData"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def open_community(click):
        """A bar opens its community's hotspots: the code is checked against the caller's scope here."""
        try:
            code = click["points"][0]["customdata"][0]
        except (TypeError, KeyError, IndexError):
            return no_update
        ctx = page_context()
        with reading(current_engine()) as s:
            found = community_by_code(s, ctx.community_ids, code) if len(ctx.community_ids) > 1 else None
        return hotspots_href(code) if found is not None else no_update
