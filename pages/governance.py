"""Governance (综合治理): the filterable case grid; each row links to its case page."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from auth.context import current_engine
from auth.guard import ALL_ROLES, guarded
from components.cases import case_grid, case_grid_rows, drill_down_note
from components.common import page_header
from components.compare import community_picker, grid_choices
from data_access.cases import GRID_ROW_LIMIT, PERIODS, CaseFilter, case_rows, filter_options, split_grid
from data_access.db import reading
from data_access.hotspots import estate_choices
from data_access.metrics import handler_name
from domain.catalog import GRADES, LEVELS, SOURCES
from domain.workflow import REPORTING_ROLES
from i18n import pick, t
from pages._context import PageContext, page_context

PAGE = {
    "path": "/governance",
    "nav_key": "nav.governance",
    "nav_id": "governance",
    "icon": "bi-diagram-3",
    "roles": ALL_ROLES,
    "order": 2,
}
STATUS_CHOICES = ("open", "reported", "in_progress", "resolved", "closed", "rejected", "duplicate")


def layout(ctx: PageContext, status: str | None = None, grade: str | None = None, category: str | None = None,
           grid: str | None = None, source: str | None = None, period: str | None = None, overdue: str | None = None,
           level: str | None = None, handler: str | None = None, month: str | None = None,
           due_in_month: str | None = None, resolved_in_month: str | None = None, reopened: str | None = None,
           on_time: str | None = None, community: str | None = None, estate: str | None = None,
           **_kwargs):  # fmt: skip
    """Query parameters preset the filters, so tiles and charts elsewhere drill down to this grid.

    The metrics page's drill-down filters (handler, months, reopened, on time) and the hotspots page's
    (estate) have no control of their own: they show as a note above the grid, which can clear them.

    A street or district user also filters by community (`community=CODE`); their grid filter names grids
    'COMMUNITY:GRID', and 'COMMUNITY:' is the whole community, so the one grid filter carries both.
    """
    lang = ctx.lang
    drill = CaseFilter(
        handler=handler, month=month, due_in_month=due_in_month, resolved_in_month=resolved_in_month,
        reopened=reopened, on_time=on_time, estate=estate,
    ).drill_down()  # fmt: skip
    with reading(current_engine()) as s:
        options = filter_options(s, ctx.community_ids)
        name = handler_name(s, ctx.community_ids, drill["handler"]) if isinstance(drill.get("handler"), int) else None
        estates = {e["code"]: e for e in reversed(estate_choices(s, ctx.community_ids))} if "estate" in drill else {}
    communities = options["communities"] if len(options["communities"]) > 1 else []
    community, grid = _community_and_grid(communities, community, grid)

    def dropdown(dd_id: str, label_key: str, choices: list[tuple[str, str]], value: str | None):
        return dbc.Col(
            [
                dbc.Label(t(label_key, lang), html_for=dd_id),
                dcc.Dropdown(
                    id=dd_id,
                    options=[{"label": label, "value": v} for v, label in choices],
                    value=value if value in {v for v, _ in choices} else None,
                    placeholder=t("common.all", lang),
                    clearable=True,
                ),
            ],
            md=4,
            xl=True,
        )

    filters = dbc.Row(
        [
            dropdown("gov-status", "case.status", [(s, t(f"status.{s}", lang)) for s in STATUS_CHOICES], status),
            dropdown("gov-grade", "case.grade", [(g, t(f"grade.{g}", lang)) for g in GRADES], grade),
            dropdown(
                "gov-category",
                "case.category",
                [(c["code"], pick(lang, c["name_zh"], c["name_en"])) for c in options["categories"]],
                category,
            ),
            dropdown("gov-grid", "case.grid", grid_choices(options["grids"], communities, community, lang), grid),
            dropdown("gov-source", "case.source", [(s, t(f"source.{s}", lang)) for s in SOURCES], source),
            dropdown("gov-level", "case.level", [(str(n), f"L{n} {t(f'level.{n}', lang)}") for n in LEVELS], level),
            dropdown("gov-period", "gov.period", [(p, t(f"gov.period_{p}", lang)) for p in PERIODS], period),
            dbc.Col(
                [
                    dbc.Label(t("gov.overdue_only", lang), html_for="gov-overdue"),
                    dbc.Switch(id="gov-overdue", value=overdue == "1", label=t("gov.overdue_only_label", lang)),
                ],
                md=4,
                xl=True,
            ),
        ],
        className="g-2 mb-3",
    )
    return html.Div(
        [
            html.Div(
                [
                    page_header(t("gov.title", lang), t("gov.subtitle", lang)),
                    dbc.Button(
                        [html.I(className="bi bi-plus-lg me-1", **{"aria-hidden": "true"}), t("newcase.nav", lang)],
                        href="/governance/new",
                        color="primary",
                        id="gov-new-case",
                    )
                    if ctx.user.role in REPORTING_ROLES
                    else None,
                ],
                className="d-flex justify-content-between align-items-start",
            ),
            community_picker(
                "gov",
                [(c["code"], pick(lang, c["name_zh"], c["name_en"])) for c in communities],
                community,
                lang,
                navigate=False,
            ),
            filters,
            dcc.Store(id="gov-drill", data=drill),
            html.Div(
                drill_down_note(drill, name, lang, estates.get(drill.get("estate"))) if drill else None,
                id="gov-drill-note",
            ),
            html.Div(id="gov-count", className="small text-body-secondary mb-2", **{"aria-live": "polite"}),
            case_grid("gov-grid-table", lang),
        ]
    )


def _community_and_grid(communities: list[dict], community: str | None, grid: str | None):  # noqa: ANN202
    """The community and grid filter values a URL presets, for a caller with several communities: a
    qualified grid names its community; a bare grid code with a community is qualified with it; a
    community alone is the whole community ('CODE:')."""
    if not communities:
        return None, grid
    codes = {c["code"] for c in communities}
    community = community if community in codes else None
    if isinstance(grid, str) and grid:
        grid_community, grid_code = split_grid(grid)
        if grid_community is None and community:
            return community, f"{community}:{grid_code}"
        if grid_community in codes and community in (None, grid_community):
            return grid_community, grid
        return community, None
    return community, f"{community}:" if community else None


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("gov-grid-table", "rowData"),
        Output("gov-count", "children"),
        Input("gov-status", "value"),
        Input("gov-grade", "value"),
        Input("gov-category", "value"),
        Input("gov-grid", "value"),
        Input("gov-source", "value"),
        Input("gov-period", "value"),
        Input("gov-overdue", "value"),
        Input("gov-level", "value"),
        Input("gov-drill", "data"),
    )
    @guarded(ALL_ROLES)
    def filter_cases(status, grade, category, grid, source, period, overdue, level, drill):
        ctx = page_context()
        drill = drill if isinstance(drill, dict) else {}
        flt = CaseFilter(
            status=status, grade=grade, category=category, grid=grid, source=source, period=period,
            overdue_only=overdue, level=level, handler=drill.get("handler"), month=drill.get("month"),
            due_in_month=drill.get("due_in_month"), resolved_in_month=drill.get("resolved_in_month"),
            reopened=drill.get("reopened"), on_time=drill.get("on_time"), estate=drill.get("estate"),
        )  # fmt: skip
        with reading(current_engine()) as s:
            rows = case_rows(s, ctx.community_ids, flt, ctx.now)
        key = "gov.count_capped" if len(rows) >= GRID_ROW_LIMIT else "gov.count"
        return case_grid_rows(rows, ctx.lang), t(key, ctx.lang, n=len(rows))

    @app.callback(
        Output("gov-drill", "data"),
        Output("gov-drill-note", "children"),
        Input("gov-drill-clear", "n_clicks"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def clear_drill_down(_n):
        return {}, None

    @app.callback(
        Output("gov-grid", "options"),
        Output("gov-grid", "value"),
        Input("gov-community", "value"),
        State("gov-grid", "value"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def choose_community(community, grid):
        """A street or district user picks a community: the grid filter lists its grids and, unless one of
        them is already chosen, takes the whole community."""
        ctx = page_context()
        with reading(current_engine()) as s:
            options = filter_options(s, ctx.community_ids)
        communities = options["communities"] if len(options["communities"]) > 1 else []
        community = community if community in {c["code"] for c in communities} else None
        choices = grid_choices(options["grids"], communities, community, ctx.lang)
        keep = community and isinstance(grid, str) and grid in {v for v, _ in choices}
        value = grid if keep else (f"{community}:" if community else None)
        return [{"label": label, "value": v} for v, label in choices], value
