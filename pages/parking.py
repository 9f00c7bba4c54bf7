"""Parking (停车): tidal shared parking — shareable spaces per lot and window as the `parking` job
published them, occupancy now, and per lot the weekly occupancy heatmap and the history."""

from __future__ import annotations

from datetime import timedelta

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html

from auth.context import current_config, current_engine
from auth.guard import ALL_ROLES, guarded
from components.charts import GRAPH_CONFIG
from components.common import empty_note, fmt_time, kpi_tile, page_header
from components.parking import (
    heatmap_figure,
    history_figure,
    occupancy_now_figure,
    permit_grid,
    shareable_table,
    upload_result,
    window_label,
)
from data_access.db import reading, writing
from data_access.parking import (
    current_shareable,
    ingest_occupancy_file,
    occupancy_now,
    occupancy_profile,
    shareable_history,
)
from data_access.permits import permit_list, permits_overview
from i18n import pick, t
from pages._context import PageContext, page_context

PAGE = {"path": "/parking", "nav_key": "nav.parking", "nav_id": "parking", "icon": "bi-p-square", "roles": ALL_ROLES,
        "order": 2.5}  # fmt: skip
PROFILE_WEEKS = 8


def layout(ctx: PageContext, lot: str | None = None, **_kwargs):
    lang = ctx.lang
    with reading(current_engine()) as s:
        shareable = current_shareable(s, ctx.community_ids)
        overview = permits_overview(s, ctx.community_ids)
        now_rows = occupancy_now(s, ctx.community_ids)
        chosen = next((r for r in shareable if r["lot"] == lot), shareable[0] if shareable else None)
        profile = history = []
        if chosen:
            profile = occupancy_profile(s, chosen["lot_id"], ctx.now - timedelta(weeks=PROFILE_WEEKS), ctx.now)
            history = shareable_history(s, chosen["lot_id"])

    totals = {w: sum(r["shareable"] or 0 for r in shareable if r["window"] == w) for w in ("day", "night")}
    withheld = [r for r in shareable if r["status"] != "published"]
    granted = sum(w["granted"] for w in overview["windows"].values())
    waiting = sum(w["waitlisted"] + w["pending"] for w in overview["windows"].values())
    per_lot = {row["lot"]: row for row in overview["lots"]}
    computed = max((r["computed_at"] for r in shareable), default=None)
    tiles = dbc.Row(
        [
            dbc.Col(kpi_tile("kpi-park-day", t("park.day_total", lang), str(totals["day"]), "bi-sun"), md=3),
            dbc.Col(
                kpi_tile("kpi-park-night", t("park.night_total", lang), str(totals["night"]), "bi-moon-stars", "info"),
                md=3,
            ),
            dbc.Col(
                kpi_tile(
                    "kpi-park-permits",
                    t("park.permits_granted", lang),
                    str(granted),
                    "bi-card-checklist",
                    "success",
                    t("park.permits_waiting", lang, n=waiting),
                ),
                md=3,
            ),
            dbc.Col(
                kpi_tile(
                    "kpi-park-withheld",
                    t("park.withheld", lang),
                    str(len(withheld)),
                    "bi-slash-circle",
                    "secondary",
                    t("common.as_of", lang, time=fmt_time(computed)),
                ),
                md=3,
            ),
        ],
        className="g-3 mb-3",
    )
    with writing(current_engine()) as s:  # writing: a view of whole plates is audited
        permits = permit_list(s, ctx.community_ids, ctx.user.id, ctx.user.role, ctx.now)
    if not shareable:
        return html.Div([page_header(t("park.title", lang), t("park.subtitle", lang)), tiles,
                         empty_note(lang, "park.no_results")])  # fmt: skip

    lot_section = dbc.Card(
        [
            dbc.CardHeader(
                [
                    t("park.lot_detail", lang, lot=pick(lang, chosen["lot_zh"], chosen["lot_en"])),
                    html.Span(" · " + window_label(chosen, lang), className="text-body-secondary"),
                ]
            ),
            dbc.CardBody(
                [
                    html.H2(t("park.heatmap", lang, weeks=PROFILE_WEEKS), className="h6"),
                    dcc.Graph(id="park-heatmap", figure=heatmap_figure(profile, chosen["capacity"], lang),
                              config=GRAPH_CONFIG) if profile else empty_note(lang),
                    html.H2(t("park.history", lang), className="h6 mt-3"),
                    dcc.Graph(id="park-history", figure=history_figure(history, lang), config=GRAPH_CONFIG),
                ]
            ),
        ],
        id="park-lot-detail",
    )  # fmt: skip
    return html.Div(
        [
            page_header(t("park.title", lang), t("park.subtitle", lang)),
            tiles,
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(t("park.per_lot", lang)),
                                dbc.CardBody(shareable_table(shareable, lang, chosen["lot"], per_lot)),
                            ]
                        ),
                        lg=7,
                    ),
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(t("park.now", lang)),
                                dbc.CardBody(
                                    dcc.Graph(
                                        id="park-now", figure=occupancy_now_figure(now_rows, lang), config=GRAPH_CONFIG
                                    )
                                ),
                            ]
                        ),
                        lg=5,
                    ),
                ],
                className="g-3 mb-3",
            ),  # fmt: skip
            lot_section,
            dbc.Card(
                [dbc.CardHeader(t("park.permits", lang)), dbc.CardBody(permit_grid(permits, lang))], className="mt-3"
            ),
            upload_card(lang) if ctx.user.role in UPLOAD_ROLES else None,
        ]
    )


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


def register_callbacks(app) -> None:  # noqa: ANN001 - drill-down is by link (?lot=CODE)
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
