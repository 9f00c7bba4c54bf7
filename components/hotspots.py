"""The staff hotspots page's pieces (light theme): the wall's hotspot data with links.

Every tile, feed item, plan marker and trend row leads somewhere: the case tiles, markers and trend
rows to the case grid filtered to their cases, the module tiles to their module's page. The hrefs
come from the page, which knows the filters in force.
"""

from __future__ import annotations

from collections.abc import Callable

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from components.common import empty_note, grade_badge, kpi_tile
from components.site_plan import STAFF_THEME, site_plan
from components.wall import alarm_text, percent, place_text, short_time
from domain.catalog import GRADES
from i18n import pick, t

PLAN_CONFIG = {"displayModeBar": False, "responsive": True, "scrollZoom": False}
SEVERITY_COLOUR = {"critical": "danger", "major": "warning"}


def filter_row(categories: list[dict], estates: list[dict], flt, lang: str) -> dbc.Row:  # noqa: ANN001 - HotspotFilter
    """Category, grade and estate. The estate filter is offered when the page shows one community (estate
    codes repeat across communities); otherwise it is rendered hidden, so its callbacks always find it."""

    def dropdown(dd_id: str, label: str, choices: list[tuple[str, str]], value: str | None, hidden: bool = False):
        return dbc.Col(
            [
                dbc.Label(label, html_for=dd_id),
                dcc.Dropdown(
                    id=dd_id,
                    options=[{"label": text, "value": v} for v, text in choices],
                    value=value if value in {v for v, _ in choices} else None,
                    placeholder=t("common.all", lang),
                    clearable=True,
                ),
            ],
            md=4,
            className="d-none" if hidden else None,
        )

    return dbc.Row(
        [
            dropdown(
                "hot-category",
                t("case.category", lang),
                [(c["code"], pick(lang, c["name_zh"], c["name_en"])) for c in categories],
                flt.category,
            ),
            dropdown("hot-grade", t("case.grade", lang), [(g, t(f"grade.{g}", lang)) for g in GRADES], flt.grade),
            dropdown(
                "hot-estate",
                t("hot.estate", lang),
                [(e["code"], pick(lang, e["name_zh"], e["name_en"])) for e in estates],
                flt.estate,
                hidden=not estates,
            ),
        ],
        className="g-2 mb-3",
        id="hot-filters",
    )


def case_tiles(figures: dict, hrefs: dict[str, str], lang: str) -> dbc.Row:
    """New today, open, overdue and on-time closure: of the cases the filters keep."""
    rate = percent(figures["on_time_rate"], lang)
    note = t("hot.on_time_note", lang, closed=figures["on_time_closed"], due=figures["due_to_close"])
    tiles = [
        ("kpi-new-today", "hot.new_today", str(figures["new_today"]), "bi-plus-circle", "primary", None),
        ("kpi-open", "hot.open", str(figures["open"]), "bi-folder2-open", "info", None),
        ("kpi-overdue", "hot.overdue", str(figures["overdue"]), "bi-alarm", "danger", None),
        ("kpi-on-time", "hot.on_time_rate", rate, "bi-check2-circle", "success", note),
    ]
    return dbc.Row(
        [
            dbc.Col(kpi_tile(tile_id, t(key, lang), value, icon, tone, note, href=hrefs[tile_id]), md=3)
            for tile_id, key, value, icon, tone, note in tiles
        ],
        className="g-3 mb-3",
    )


def module_tiles(figures: dict, hrefs: dict[str, str], lang: str) -> html.Div:
    """Shared parking open now, red-warning estates, active critical alarms: the whole scope's (a case
    filter does not apply to them), each opening its module's page."""
    parking, red, critical = figures.get("parking"), figures.get("red_estates"), figures.get("critical_alarms")
    not_applicable = t("common.not_applicable", lang)
    if parking is None:
        parking_note = None
    elif parking["windows"]:
        windows = "/".join(t(f"wall.window.{w}", lang) for w in parking["windows"])
        parking_note = t("wall.tile.parking_note", lang, granted=parking["granted"], windows=windows)
    else:
        parking_note = t("wall.tile.parking_closed", lang)
    red_note = t("wall.tile.red_month", lang, month=figures["red_month"]) if figures.get("red_month") else None
    tiles = [
        ("kpi-parking", "wall.tile.parking", not_applicable if parking is None else str(parking["spaces"]),
         "bi-p-square", "primary", parking_note),
        ("kpi-red-estates", "wall.tile.red_estates", not_applicable if red is None else str(red),
         "bi-building-exclamation", "danger" if red else "success", red_note),
        ("kpi-critical-alarms", "wall.tile.critical_alarms", not_applicable if critical is None else str(critical),
         "bi-bell-fill", "danger" if critical else "success", None),
    ]  # fmt: skip
    return html.Div(
        [
            html.Div(t("hot.module_tiles", lang), className="small text-body-secondary mb-1", id="hot-module-note"),
            dbc.Row(
                [
                    dbc.Col(kpi_tile(tile_id, t(key, lang), value, icon, tone, note, href=hrefs[tile_id]), md=4)
                    for tile_id, key, value, icon, tone, note in tiles
                ],
                className="g-3 mb-3",
            ),
        ]
    )


def feed_list(items: list[dict], lang: str) -> html.Div:
    """The latest cases (each opens its case page) and critical or major alarms (each its device)."""
    if not items:
        return empty_note(lang)
    rows = []
    for item in items:
        if item["kind"] == "case":
            chip = grade_badge(item["grade"], lang)
            what = pick(lang, item["category_zh"], item["category_en"])
            state = f"{t('status.' + item['status'], lang)} · L{item['level']}"
            href = f"/governance/case/{item['id']}"
        else:
            chip = dbc.Badge(
                [html.I(className="bi bi-bell-fill me-1", **{"aria-hidden": "true"}), t(f"dev.sev_{item['severity']}", lang)],
                color=SEVERITY_COLOUR.get(item["severity"], "secondary"),
            )  # fmt: skip
            what = alarm_text(item, lang)
            phase = "cleared" if item["status"] == "cleared" else "acked" if item["acknowledged"] else "active"
            state = t(f"wall.alarm_{phase}", lang)
            href = f"/data/devices?device={item['device']}"
        rows.append(
            dbc.ListGroupItem(
                [
                    html.Div([chip, html.Span(what, className="fw-semibold ms-2")]),
                    html.Div(
                        f"{place_text(item, lang)} · {state} · {short_time(item['at'])}",
                        className="small text-body-secondary mt-1",
                    ),
                ],
                href=href,
                action=True,
                className="latest-case",
            )
        )
    return dbc.ListGroup(rows, flush=True, id="hot-feed-list")


def plan_figure(outlines: dict, markers: list[dict], lang: str) -> go.Figure:
    """The site plan in the page's light theme; each marker carries its case id (a click opens the case
    grid of its estate)."""
    fig = site_plan(outlines, markers, lang, STAFF_THEME)
    fig.update_layout(height=360, clickmode="event")
    return fig


def trend_table(trend: dict, lang: str, href: Callable[[str], str]) -> html.Div:
    """Per category: the last 24 h and 7 days against the usual level, a spike named in words; each
    row opens the case grid of that category over the last 7 days."""
    rows = trend["categories"]
    if not rows:
        return empty_note(lang, "wall.trend_empty")

    def cell(count: int, usual: float, spike: bool) -> html.Td:
        return html.Td(
            [
                html.Span(str(count), className="fw-semibold"),
                html.Span(" " + t("wall.usual", lang, usual=f"{usual:g}"), className="small text-body-secondary"),
                dbc.Badge(
                    [html.I(className="bi bi-graph-up-arrow me-1", **{"aria-hidden": "true"}), t("wall.spike", lang)],
                    color="danger",
                    className="ms-2",
                )
                if spike
                else None,
            ]
        )

    body = [
        html.Tr(
            [
                html.Td(dcc.Link(pick(lang, r["name_zh"], r["name_en"]), href=href(r["category"]))),
                cell(r["day"], r["day_usual"], r["day_spike"]),
                cell(r["week"], r["week_usual"], r["week_spike"]),
            ],
            className="table-danger" if r["day_spike"] or r["week_spike"] else None,
        )
        for r in rows
    ]
    head = html.Thead(html.Tr([html.Th(t(key, lang)) for key in ("case.category", "hot.last_24h", "hot.last_7d")]))
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, className="mb-0", id="hot-category-trend")
