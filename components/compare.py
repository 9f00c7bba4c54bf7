"""The comparison view (社区对比): communities side by side, ranked, with a chart; each drills down.

Pure: the dicts of `data_access.compare` in, Dash components and figures out. Every link goes to a page
that checks the caller's scope again on the server (`/?community=CODE`, `/governance?community=CODE&…`).
The chart's bars carry `customdata = [community code]`, from which the page rebuilds the drill-down URL
on the server instead of trusting one sent by the browser.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from components.charts import _base
from components.common import kpi_tile
from i18n import pick, t

# metric -> (kind, best first?) ; rates best first by their own sense, workloads largest first
SORTS: dict[str, tuple[str, bool]] = {
    "on_time_rate": ("rate", True),
    "closed_rate": ("rate", True),
    "rework_rate": ("rate", False),
    "overdue": ("count", False),
    "open": ("count", True),
    "new_today": ("count", True),
}
RATE_PARTS = {
    "on_time_rate": ("on_time", "due"),
    "closed_rate": ("closed", "due"),
    "rework_rate": ("reopened", "resolved"),
}
STREET_COLOURS = ("#3b6fb6", "#2a9d8f", "#d9822b", "#8e6bbf", "#c0504d", "#6c757d")
COUNT_COLUMNS = ("new_today", "open", "overdue")


def hotspots_href(code: str) -> str:
    return "/?" + urlencode({"community": code})


def cases_href(code: str, **filters: str) -> str:
    return "/governance?" + urlencode({"community": code, **filters})


def comparison_rows(communities: list[dict], figures: dict[int, dict], modules: dict) -> list[dict]:
    """One row per community: its names and street, its case figures, and the module figures present."""
    rows = []
    for c in communities:
        row = {**c, **figures[c["id"]]}
        parking = (modules.get("parking") or {}).get(c["id"])
        red = (modules.get("red_estates") or {}).get(c["id"])
        alarms = modules.get("critical_alarms")
        row["parking_day"] = parking["day"] if parking else None
        row["parking_night"] = parking["night"] if parking else None
        row["red_estates"] = red["red"] if red else None
        row["critical_alarms"] = alarms.get(c["id"], 0) if alarms is not None else None
        rows.append(row)
    return rows


def ranked(rows: list[dict], metric: str) -> list[dict]:
    """Rows in ranking order for `metric` (unknown metrics rank by on-time closure); a rate nobody can
    compute yet (nothing due) ranks last. Each row gets its `rank`; equal values share one."""
    metric = metric if metric in SORTS else "on_time_rate"
    _kind, high_first = SORTS[metric]
    present = [r for r in rows if r[metric] is not None]
    absent = [r for r in rows if r[metric] is None]
    present.sort(key=lambda r: (-r[metric] if high_first else r[metric], r["code"]))
    out, previous, rank = [], object(), 0
    for i, r in enumerate(present, start=1):
        if r[metric] != previous:
            rank, previous = i, r[metric]
        out.append({**r, "rank": rank})
    return out + [{**r, "rank": None} for r in sorted(absent, key=lambda r: r["code"])]


def totals(rows: list[dict]) -> dict:
    """The figures of all rows together (rates from the summed counts, not averaged rates)."""
    keys = ("new_today", "open", "overdue", "due", "closed", "on_time", "resolved", "reopened")
    total = {k: sum(r[k] for r in rows) for k in keys}
    total["closed_rate"] = total["closed"] / total["due"] if total["due"] else None
    total["on_time_rate"] = total["on_time"] / total["due"] if total["due"] else None
    total["rework_rate"] = total["reopened"] / total["resolved"] if total["resolved"] else None
    for key in ("parking_day", "parking_night", "red_estates", "critical_alarms"):
        values = [r[key] for r in rows if r[key] is not None]
        total[key] = sum(values) if values else None
    return total


def by_street(rows: list[dict]) -> list[dict]:
    streets: dict[str, list[dict]] = {}
    for r in rows:
        streets.setdefault(r["street"], []).append(r)
    out = []
    for code, members in streets.items():
        out.append(
            {
                **totals(members),
                "street": code,
                "street_zh": members[0]["street_zh"],
                "street_en": members[0]["street_en"],
                "communities": len(members),
            }
        )
    return out


def pct(rate: float | None) -> str:
    return f"{rate * 100:.1f}%" if rate is not None else "—"


def scope_tiles(total: dict, lang: str) -> dbc.Row:
    tiles = [
        kpi_tile("cmp-new-today", t("hot.new_today", lang), str(total["new_today"]), "bi-plus-circle"),
        kpi_tile("cmp-open", t("hot.open", lang), str(total["open"]), "bi-folder2-open", "info"),
        kpi_tile("cmp-overdue", t("hot.overdue", lang), str(total["overdue"]), "bi-alarm", "danger"),
        kpi_tile(
            "cmp-on-time",
            t("compare.col.on_time_rate", lang),
            pct(total["on_time_rate"]),
            "bi-check2-circle",
            "success",
            t("compare.rate_note", lang, num=total["on_time"], den=total["due"]),
        ),
        kpi_tile(
            "cmp-rework",
            t("compare.col.rework_rate", lang),
            pct(total["rework_rate"]),
            "bi-arrow-counterclockwise",
            "warning",
            t("compare.rate_note", lang, num=total["reopened"], den=total["resolved"]),
        ),
    ]
    return dbc.Row([dbc.Col(tile, md=4, xl=True) for tile in tiles], className="g-3 mb-3")


def _street_colour(streets: list[str]) -> dict[str, str]:
    return {code: STREET_COLOURS[i % len(STREET_COLOURS)] for i, code in enumerate(sorted(set(streets)))}


def ranking_chart(rows: list[dict], metric: str, total: dict | None, lang: str) -> go.Figure:
    """One bar per community in ranking order, coloured (and grouped in the legend) by street, with a dotted
    reference line — the scope's overall rate, or the mean count per community; bars carry the community
    code for the drill-down."""
    kind, _best = SORTS.get(metric, SORTS["on_time_rate"])
    colours = _street_colour([r["street"] for r in rows])
    fig = go.Figure()
    order = [r["code"] for r in rows]
    names = {r["code"]: pick(lang, r["name_zh"], r["name_en"]) for r in rows}
    for street in sorted({r["street"] for r in rows}):
        members = [r for r in rows if r["street"] == street]
        values = [r[metric] for r in members]
        fig.add_trace(
            go.Bar(
                x=[r["code"] for r in members],
                y=[v * 100 if (v is not None and kind == "rate") else v for v in values],
                name=pick(lang, members[0]["street_zh"], members[0]["street_en"]),
                marker_color=colours[street],
                customdata=[[r["code"], names[r["code"]]] for r in members],
                hovertemplate="%{customdata[1]}: %{y"
                + (":.1f}%" if kind == "rate" else "}")
                + "<extra>%{fullData.name}</extra>",
            )
        )
    fig.update_xaxes(
        type="category",
        categoryorder="array",
        categoryarray=order,
        tickmode="array",
        tickvals=order,
        ticktext=[names[c] for c in order],
        tickangle=-60 if len(order) > 12 else 0,
    )
    fig.update_yaxes(
        title_text=t("compare.axis_rate" if kind == "rate" else "compare.axis_cases", lang),
        range=[0, 105] if kind == "rate" else None,
        rangemode="tozero",
    )
    reference = None
    if total is not None and total.get(metric) is not None and rows:
        reference = total[metric] * 100 if kind == "rate" else total[metric] / len(rows)
    if reference is not None:
        label = (
            t("compare.average", lang, value=f"{reference:.1f}%")
            if kind == "rate"
            else t("compare.mean", lang, value=f"{reference:.1f}")
        )
        fig.add_hline(
            y=reference, line_dash="dot", line_color="#495057", annotation_text=label, annotation_position="top right"
        )
    _base(fig, height=420 if len(order) > 12 else 340)
    fig.update_layout(bargap=0.25, margin={"l": 50, "r": 20, "t": 40, "b": 110 if len(order) > 12 else 50})
    return fig


def ranking_table(rows: list[dict], metric: str, lang: str) -> dbc.Table:
    """Rank, community (to its hotspots), street, the case figures (to the cases behind them), the
    closed-loop rates, and the module columns that have data."""
    optional = [
        k
        for k in ("parking_day", "parking_night", "red_estates", "critical_alarms")
        if any(r[k] is not None for r in rows)
    ]
    several_streets = len({r["street"] for r in rows}) > 1

    def count_cell(r: dict, key: str):
        filters = {"new_today": {"period": "today"}, "open": {"status": "open"}, "overdue": {"overdue": "1"}}[key]
        value = r[key]
        cell = dcc.Link(str(value), href=cases_href(r["code"], **filters)) if value else str(value)
        return html.Td(cell, className="text-danger fw-semibold" if key == "overdue" and value else None)

    def rate_cell(r: dict, key: str):
        num, den = RATE_PARTS[key]
        return html.Td(
            [pct(r[key]), html.Span(f" ({r[num]}/{r[den]})", className="small text-body-secondary")],
            className="fw-semibold" if key == metric else None,
        )

    def row(r: dict) -> html.Tr:
        name = pick(lang, r["name_zh"], r["name_en"])
        return html.Tr(
            [
                html.Td(str(r["rank"]) if r["rank"] is not None else "—"),
                html.Th(
                    [
                        dcc.Link(
                            name, href=hotspots_href(r["code"]), title=t("compare.hotspots_link", lang, name=name)
                        ),
                        " ",
                        dcc.Link(
                            [
                                html.I(className="bi bi-list-ul", **{"aria-hidden": "true"}),
                                html.Span(t("compare.cases_link", lang, name=name), className="visually-hidden"),
                            ],
                            href=cases_href(r["code"]),
                            title=t("compare.cases_link", lang, name=name),
                        ),
                    ],
                    scope="row",
                ),
                html.Td(pick(lang, r["street_zh"], r["street_en"])) if several_streets else None,
                *(count_cell(r, k) for k in COUNT_COLUMNS),
                *(rate_cell(r, k) for k in ("on_time_rate", "closed_rate", "rework_rate")),
                *(
                    html.Td(
                        "—" if r[k] is None else str(r[k]),
                        className="text-danger fw-semibold" if k == "critical_alarms" and r[k] else None,
                    )
                    for k in optional
                ),
            ],
            id=f"cmp-row-{r['code']}",
        )

    columns = (
        "rank",
        "community",
        *(("street",) if several_streets else ()),
        *COUNT_COLUMNS,
        "on_time_rate",
        "closed_rate",
        "rework_rate",
        *optional,
    )
    header = html.Thead(html.Tr([html.Th(t(f"compare.col.{c}", lang), scope="col") for c in columns]))
    return dbc.Table(
        [header, html.Tbody([row(r) for r in rows])],
        bordered=False,
        hover=True,
        responsive=True,
        size="sm",
        id="cmp-table",
        className="align-middle mb-0",
    )


def street_table(streets: list[dict], lang: str) -> dbc.Table:
    optional = [
        k
        for k in ("parking_day", "parking_night", "red_estates", "critical_alarms")
        if any(s[k] is not None for s in streets)
    ]
    columns = ("street", *COUNT_COLUMNS, "on_time_rate", "closed_rate", "rework_rate", *optional)
    header = html.Thead(html.Tr([html.Th(t(f"compare.col.{c}", lang), scope="col") for c in columns]))
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(
                        [
                            pick(lang, s["street_zh"], s["street_en"]),
                            html.Span(f" · {s['communities']}", className="small text-body-secondary"),
                        ],
                        scope="row",
                    ),
                    *(html.Td(str(s[k])) for k in COUNT_COLUMNS),
                    *(html.Td(pct(s[k])) for k in ("on_time_rate", "closed_rate", "rework_rate")),
                    *(html.Td("—" if s[k] is None else str(s[k])) for k in optional),
                ]
            )
            for s in streets
        ]
    )
    return dbc.Table(
        [header, body],
        bordered=False,
        hover=True,
        responsive=True,
        size="sm",
        id="cmp-streets",
        className="align-middle mb-0",
    )


def scope_banner(name: str, lang: str) -> dbc.Alert:
    """Shown above a page narrowed to one community by a street or district user."""
    return dbc.Alert(
        [
            html.I(className="bi bi-geo-alt me-2", **{"aria-hidden": "true"}),
            t("scope.viewing", lang, name=name),
            " · ",
            dcc.Link(t("scope.back_compare", lang), href="/compare"),
        ],
        color="info",
        className="py-2",
        id="scope-banner",
    )


def community_picker(prefix: str, choices: list[tuple[str, str]], value: str | None, lang: str, navigate: bool):
    """A street or district user's community filter (`{prefix}-community`); with `navigate`, a page
    location (`{prefix}-nav`) that the page's callback points at the chosen community. For a caller with
    one community it is rendered hidden, so the callbacks that read it always find it."""
    dropdown = dbc.Col(
        [
            dbc.Label(t("scope.community", lang), html_for=f"{prefix}-community"),
            dcc.Dropdown(
                id=f"{prefix}-community",
                options=[{"label": name, "value": code} for code, name in choices],
                value=value if value in {code for code, _ in choices} else None,
                placeholder=t("scope.all_communities", lang),
                clearable=True,
            ),
        ],
        md=4,
        xl=3,
        className=None if choices else "d-none",
    )
    location = dcc.Location(id=f"{prefix}-nav", refresh="callback-nav") if navigate else None
    return dbc.Row([dropdown, location], className="g-2 mb-3" if choices else "d-none")


def grid_choices(grids: list[dict], communities: list[dict], community: str | None, lang: str) -> list[tuple[str, str]]:
    """The case grid's grid filter: every grid in scope by its filter value; with a community chosen,
    first the whole community ('CODE:') and then its grids only."""
    if community is None:
        return [(g["value"], pick(lang, g["name_zh"], g["name_en"])) for g in grids]
    name = next((pick(lang, c["name_zh"], c["name_en"]) for c in communities if c["code"] == community), community)
    whole = (f"{community}:", t("scope.whole_community", lang, name=name))
    return [whole] + [
        (g["value"], pick(lang, g["name_zh"], g["name_en"])) for g in grids if g["community"] == community
    ]
