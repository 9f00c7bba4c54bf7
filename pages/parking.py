"""Parking (停车): tidal shared parking — shareable spaces per lot and window as the `parking` job
published them, permits, measured use of the shared spaces, occupancy now, and per lot its detail:
the current result with its parameters and data span, the weekly occupancy heatmap, the stored
results, the measured use per window and the lot's permits.

Every total drills down to the lot: a tile opens the lots behind it (`?show=day|night|permits|shared|
withheld`), each lot links to `?lot=CODE`, and a click on a bar of either chart opens that lot (the
callback checks the code against the caller's communities before it navigates)."""

from __future__ import annotations

from datetime import timedelta

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, callback_context, dcc, html, no_update

from auth.context import current_config, current_engine
from auth.guard import ALL_ROLES, guarded
from components.charts import GRAPH_CONFIG
from components.common import empty_note, fmt_time, kpi_tile, page_header
from components.parking import (
    heatmap_figure,
    history_figure,
    lot_href,
    lots_figure,
    occupancy_now_figure,
    permit_grid,
    result_details,
    results_table,
    shareable_table,
    upload_result,
    use_table,
    window_label,
)
from data_access.db import reading, writing
from data_access.parking import (
    all_lots,
    current_shareable,
    ingest_occupancy_file,
    lot_ids_by_code,
    occupancy_now,
    occupancy_profile,
    shareable_history,
    shared_use,
)
from data_access.permits import permit_list, permits_of_lot, permits_overview
from domain.parking import use_summary
from i18n import pick, t
from pages._context import PageContext, page_context

PAGE = {"path": "/parking", "nav_key": "nav.parking", "nav_id": "parking", "icon": "bi-p-square", "roles": ALL_ROLES,
        "order": 2.5}  # fmt: skip
PROFILE_WEEKS = 8
USE_DAYS = 7  # measured use of the shared spaces: the windows of the last week
SHOWS = ("day", "night", "permits", "shared", "withheld")
GRAPH = "park-lot-graph"  # pattern-matching id type of the charts whose bars open a lot


def _shown(rows: list[dict], show: str | None, permits: dict) -> list[dict]:
    """The lots behind a tile."""
    if show in ("day", "night"):
        return [r for r in rows if r["window"] == show]
    if show == "permits":
        return [r for r in rows if permits.get(r["lot"], {}).get("granted") or
                permits.get(r["lot"], {}).get("waitlisted_first_choice")]  # fmt: skip
    if show == "shared":
        return [r for r in rows if r["status"] == "published" and r["shareable"]]
    if show == "withheld":
        return [r for r in rows if r["status"] != "published"]
    return rows


def layout(ctx: PageContext, lot: str | None = None, show: str | None = None, **_kwargs):
    lang = ctx.lang
    problems = []
    if show and show not in SHOWS:
        problems.append(t("park.bad_show", lang, show=show))
        show = None
    with reading(current_engine()) as s:
        lot_rows = all_lots(s, ctx.community_ids)
        lots = {x.code: x.id for x in lot_rows}  # plain values: the rows expire when the session ends
        uses = shared_use(s, lot_rows, ctx.now - timedelta(days=USE_DAYS), ctx.now)
        shareable = current_shareable(s, ctx.community_ids)
        overview = permits_overview(s, ctx.community_ids)
        now_rows = occupancy_now(s, ctx.community_ids)
    code_of = {lot_id: code for code, lot_id in lots.items()}
    use = {code_of[lot_id]: use_summary(found) for lot_id, found in uses.items()}
    overall_use = use_summary([u for found in uses.values() for u in found])

    by_code = {r["lot"]: r for r in shareable}
    chosen = None
    if lot:
        chosen = by_code.get(lot)
        if chosen is None:  # not a lot of the caller's communities, or no result yet
            known = lot in lots
            problems.append(t("park.lot_no_result" if known else "park.unknown_lot", lang, lot=lot))
    elif shareable:
        chosen = shareable[0]

    totals = {w: sum(r["shareable"] or 0 for r in shareable if r["window"] == w) for w in ("day", "night")}
    withheld = [r for r in shareable if r["status"] != "published"]
    granted = sum(w["granted"] for w in overview["windows"].values())
    waiting = sum(w["waitlisted"] + w["pending"] for w in overview["windows"].values())
    per_lot = {row["lot"]: row for row in overview["lots"]}
    computed = max((r["computed_at"] for r in shareable), default=None)
    tiles = dbc.Row(
        [
            dbc.Col(kpi_tile("kpi-park-day", t("park.day_total", lang), str(totals["day"]), "bi-sun",
                             href="/parking?show=day"), md=4, xl=True),
            dbc.Col(kpi_tile("kpi-park-night", t("park.night_total", lang), str(totals["night"]), "bi-moon-stars",
                             "info", href="/parking?show=night"), md=4, xl=True),
            dbc.Col(kpi_tile("kpi-park-permits", t("park.permits_granted", lang), str(granted), "bi-card-checklist",
                             "success", t("park.permits_waiting", lang, n=waiting), href="/parking?show=permits"),
                    md=4, xl=True),
            dbc.Col(kpi_tile("kpi-park-used", t("park.used_tile", lang, days=USE_DAYS),
                             f"{100 * overall_use['utilisation']:.0f}%" if overall_use["utilisation"] is not None
                             else "—", "bi-speedometer2", "primary",
                             t("park.used_tile_note", lang, n=overall_use["windows_measured"]),
                             href="/parking?show=shared"), md=6, xl=True),
            dbc.Col(kpi_tile("kpi-park-withheld", t("park.withheld", lang), str(len(withheld)), "bi-slash-circle",
                             "secondary", t("common.as_of", lang, time=fmt_time(computed)),
                             href="/parking?show=withheld"), md=6, xl=True),
        ],
        className="g-3 mb-3",
    )  # fmt: skip
    header = [
        page_header(t("park.title", lang), t("park.subtitle", lang)),
        dcc.Location(id="park-nav", refresh="callback-nav"),
        *[dbc.Alert(p, color="warning", className="py-2", id=f"park-problem-{n}") for n, p in enumerate(problems)],
        tiles,
    ]
    with writing(current_engine()) as s:  # writing: a view of whole plates is audited
        permits = permit_list(s, ctx.community_ids, ctx.user.id, ctx.user.role, ctx.now)
    if not shareable:
        return html.Div([*header, empty_note(lang, "park.no_results")])

    listed = _shown(shareable, show, per_lot)
    filter_note = (
        html.Div(
            [
                t("park.showing", lang, what=t(f"park.show_{show}", lang), n=len(listed)),
                " · ",
                dcc.Link(t("park.show_all", lang), href="/parking", id="park-show-all"),
            ],
            className="small text-body-secondary mb-2",
            id="park-filter-note",
        )
        if show
        else None
    )
    overview_row = dbc.Row(
        [
            dbc.Col(
                dbc.Card(
                    [
                        dbc.CardHeader(t("park.per_lot", lang)),
                        dbc.CardBody(
                            [
                                filter_note,
                                shareable_table(listed, lang, chosen["lot"] if chosen else None, per_lot, use),
                                html.P(t("park.used_definition", lang, days=USE_DAYS),
                                       className="small text-body-secondary mb-0", id="park-used-definition"),
                                dcc.Graph(id={"type": GRAPH, "name": "lots"},
                                          figure=lots_figure(listed, per_lot, use, lang), config=GRAPH_CONFIG),
                            ]
                        ),
                    ],
                    id="park-per-lot",
                ),
                lg=7,
            ),
            dbc.Col(
                dbc.Card(
                    [
                        dbc.CardHeader(t("park.now", lang)),
                        dbc.CardBody(
                            dcc.Graph(id={"type": GRAPH, "name": "now"}, figure=occupancy_now_figure(now_rows, lang),
                                      config=GRAPH_CONFIG)
                        ),
                    ]
                ),
                lg=5,
            ),
        ],
        className="g-3 mb-3",
    )  # fmt: skip
    return html.Div(
        [
            *header,
            overview_row,
            _lot_section(ctx, chosen, uses, permits) if chosen else None,
            dbc.Card(
                [dbc.CardHeader(t("park.permits", lang)), dbc.CardBody(permit_grid(permits, lang))],
                className="mt-3",
                id="park-permits",
            ),
            upload_card(lang) if ctx.user.role in UPLOAD_ROLES else None,
        ]
    )


def _lot_section(ctx: PageContext, chosen: dict, uses: dict, permits: list[dict]) -> dbc.Card:
    lang = ctx.lang
    with reading(current_engine()) as s:
        profile = occupancy_profile(s, chosen["lot_id"], ctx.now - timedelta(weeks=PROFILE_WEEKS), ctx.now)
        history = shareable_history(s, chosen["lot_id"])
    lot_uses = uses.get(chosen["lot_id"], [])
    mine = permits_of_lot(permits, chosen["lot"])
    return dbc.Card(
        [
            dbc.CardHeader(
                [
                    t("park.lot_detail", lang, lot=pick(lang, chosen["lot_zh"], chosen["lot_en"])),
                    html.Span(" · " + window_label(chosen, lang) + " · " + pick(lang, chosen["estate_zh"],
                                                                               chosen["estate_en"]),
                              className="text-body-secondary"),
                ]
            ),
            dbc.CardBody(
                [
                    html.H2(t("park.result", lang), className="h6"),
                    result_details(chosen, lang),
                    html.H2(t("park.heatmap", lang, weeks=PROFILE_WEEKS), className="h6 mt-3"),
                    dcc.Graph(id="park-heatmap", figure=heatmap_figure(profile, chosen["capacity"], lang),
                              config=GRAPH_CONFIG) if profile else empty_note(lang),
                    html.H2(t("park.history", lang), className="h6 mt-3"),
                    dcc.Graph(id="park-history", figure=history_figure(history, lang), config=GRAPH_CONFIG),
                    results_table(history, lang),
                    html.H2(t("park.use_title", lang, days=USE_DAYS), className="h6 mt-3"),
                    html.P(t("park.used_definition", lang, days=USE_DAYS), className="small text-body-secondary"),
                    use_table(lot_uses, lang) if lot_uses else empty_note(lang, "park.use_none"),
                    html.H2(t("park.lot_permits", lang, n=len(mine)), className="h6 mt-3"),
                    permit_grid(mine, lang, "park-lot-permit-grid", choice=True) if mine else empty_note(lang),
                ]
            ),
        ],
        id="park-lot-detail",
    )  # fmt: skip


UPLOAD_ROLES = frozenset({"grid_worker", "grid_leader", "secretary", "street_cadre", "admin"})
MAX_UPLOAD_BYTES = 5 * 1024 * 1024


def upload_card(lang: str) -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(t("park.upload", lang)),
            dbc.CardBody(
                [
                    html.P(t("park.upload_help", lang), className="small text-body-secondary"),
                    dcc.Upload(
                        id="park-upload",
                        children=html.Div([html.I(className="bi bi-upload me-2"), t("park.upload_drop", lang)]),
                        className="upload-zone",
                        accept=".csv,text/csv",
                        max_size=MAX_UPLOAD_BYTES,
                    ),
                    html.Div(id="park-upload-result", className="mt-2", **{"aria-live": "polite"}),
                ]
            ),
        ],
        className="mt-3",
    )


def clicked_lot(clicks: list, triggered: object) -> str | None:
    """The lot code a bar click carries (customdata[0]) on the chart that fired, else None."""
    if not isinstance(triggered, dict) or triggered.get("type") != GRAPH:
        return None
    for click, spec in zip(clicks or [], callback_context.inputs_list[0], strict=False):
        if spec.get("id") != triggered:
            continue
        try:
            code = click["points"][0]["customdata"][0]
        except (TypeError, KeyError, IndexError):
            return None
        return code if isinstance(code, str) and 0 < len(code) <= 40 else None
    return None


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("park-nav", "href"),
        Input({"type": GRAPH, "name": ALL}, "clickData"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def open_lot(clicks):
        """A bar of the per-lot or the occupancy chart opens its lot; the code is checked against the
        caller's communities here, so a forged click opens nothing."""
        code = clicked_lot(clicks, callback_context.triggered_id)
        if code is None:
            return no_update
        ctx = page_context()
        with reading(current_engine()) as s:
            found = lot_ids_by_code(s, {code}, ctx.community_ids)
        return lot_href(code) if code in found else no_update

    @app.callback(
        Output("park-upload-result", "children"),
        Input("park-upload", "contents"),
        State("park-upload", "filename"),
        prevent_initial_call=True,
    )
    @guarded(UPLOAD_ROLES)
    def upload_occupancy(contents, filename):
        ctx = page_context()
        outcome = ingest_occupancy_file(current_engine(), contents, ctx.community_ids, current_config()["timezone"])
        return upload_result(outcome, ctx.lang, filename)
