"""Parking figures and tables: shareable spaces per lot, occupancy now, the weekly heatmap, history."""

from __future__ import annotations

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import html

from components.charts import _base
from components.common import fmt_time
from i18n import pick, t
from i18n.grid_locale import grid_locale

WEEKDAY_KEYS = ("park.mon", "park.tue", "park.wed", "park.thu", "park.fri", "park.sat", "park.sun")


def window_label(row: dict, lang: str) -> str:
    days = t("park.weekdays", lang) if row["weekdays_only"] else t("park.every_day", lang)
    name = t(f"park.window_{row['window']}", lang)
    return f"{name} {row['window_start']}–{row['window_end']} ({days})"


def shareable_table(rows: list[dict], lang: str, selected: str | None, permits: dict) -> dbc.Table:
    """`permits`: lot code -> {granted, waitlisted_first_choice} from the permit overview."""
    keys = ("park.lot", "park.window", "park.capacity", "park.peak", "park.shareable", "park.granted",
            "park.utilisation", "park.computed")  # fmt: skip
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in keys]))
    body = []
    for r in rows:
        if r["status"] == "published":
            shareable = html.Strong(str(r["shareable"]), className="text-success")
        else:
            shareable = dbc.Badge(t(f"park.reason_{r['reason']}", lang), color="secondary", className="text-wrap")
        body.append(
            html.Tr(
                [
                    html.Td(html.A(pick(lang, r["lot_zh"], r["lot_en"]), href=f"/parking?lot={r['lot']}")),
                    html.Td(window_label(r, lang)),
                    html.Td(str(r["capacity"])),
                    html.Td(f"{r['peak']:.0f}" if r["peak"] is not None else "—"),
                    html.Td(shareable),
                    html.Td(_granted_cell(permits.get(r["lot"], {}), lang)),
                    html.Td(_utilisation(permits.get(r["lot"], {}).get("granted", 0), r["shareable"])),
                    html.Td(fmt_time(r["computed_at"]), className="small"),
                ],
                className="table-active" if r["lot"] == selected else None,
            )
        )
    return dbc.Table([head, html.Tbody(body)], hover=True, size="sm", id="park-shareable-table")


def occupancy_now_figure(rows: list[dict], lang: str) -> go.Figure:
    labels = [pick(lang, r["lot_zh"], r["lot_en"]) for r in rows]
    occupied = [r["occupied"] or 0 for r in rows]
    free = [max(0, r["capacity"] - (r["occupied"] or 0)) for r in rows]
    fig = go.Figure(
        [
            go.Bar(y=labels, x=occupied, orientation="h", name=t("park.occupied", lang), marker_color="#3b6fb6",
                   hovertemplate="%{y}: %{x}<extra></extra>"),
            go.Bar(y=labels, x=free, orientation="h", name=t("park.free", lang), marker_color="#9cc5a1",
                   hovertemplate="%{y}: %{x}<extra></extra>"),
        ]
    )  # fmt: skip
    fig.update_layout(barmode="stack", xaxis={"title": t("park.spaces", lang)})
    return _base(fig, height=300)


def heatmap_figure(profile: list[dict], capacity: int, lang: str) -> go.Figure:
    """Weekday x 15-minute slot, as a share of capacity."""
    minutes = list(range(0, 24 * 60, 15))
    grid = [[None] * len(minutes) for _ in range(7)]
    for p in profile:
        grid[p["weekday"]][p["minute"] // 15] = round(100 * p["occupied"] / capacity, 1) if capacity else None
    fig = go.Figure(
        go.Heatmap(
            z=grid,
            x=[f"{m // 60:02d}:{m % 60:02d}" for m in minutes],
            y=[t(k, lang) for k in WEEKDAY_KEYS],
            colorscale="Blues",
            zmin=0,
            zmax=100,
            colorbar={"title": {"text": "%"}},
            hovertemplate="%{y} %{x}: %{z}%<extra></extra>",
        )
    )
    fig.update_layout(yaxis={"autorange": "reversed"}, xaxis={"nticks": 13})
    return _base(fig, height=320)


def history_figure(history: list[dict], lang: str) -> go.Figure:
    published = [h for h in history if h["status"] == "published"]
    fig = go.Figure(
        go.Scatter(
            x=[h["computed_at"] for h in published],
            y=[h["shareable"] for h in published],
            mode="lines+markers",
            name=t("park.shareable", lang),
            line={"shape": "hv"},
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    fig.update_layout(yaxis={"title": t("park.shareable", lang), "rangemode": "tozero"})
    return _base(fig, height=260)


def upload_result(outcome: dict, lang: str, filename: str | None) -> dbc.Alert:
    """What a staff upload did, in the user's language; row errors listed (the first 20)."""
    name = filename or ""
    if "error" in outcome:
        return dbc.Alert(t(f"park.upload_error_{outcome['error']}", lang, name=name), color="danger")
    if "errors" in outcome:
        errors = outcome["errors"]
        items = [
            html.Li(t("park.upload_row", lang, row=e.row, field=e.field, problem=t(f"park.problem_{e.code}", lang)))
            for e in errors[:20]
        ]
        return dbc.Alert(
            [html.Strong(t("park.upload_rejected", lang, name=name, n=len(errors))), html.Ul(items, className="mb-0")],
            color="danger",
            id="park-upload-errors",
        )
    return dbc.Alert(
        t("park.upload_done", lang, name=name, stored=outcome["stored"], already=outcome["already_stored"]),
        color="success",
        id="park-upload-done",
    )


def _granted_cell(row: dict, lang: str) -> str:
    granted, waiting = row.get("granted", 0), row.get("waitlisted_first_choice", 0)
    return f"{granted}" + (t("park.waiting_suffix", lang, n=waiting) if waiting else "")


def _utilisation(granted: int, shareable: int | None) -> str:
    return f"{100 * granted / shareable:.0f}%" if shareable else "—"


def permit_grid(rows: list[dict], lang: str) -> dag.AgGrid:
    data = [
        {
            "code": r["code"],
            "kind": t(f"park.kind_{r['kind']}", lang),
            "window": t(f"park.window_{r['window']}", lang),
            "status": t(f"park.permit_{r['status']}", lang),
            "lot": pick(lang, r["lot_zh"], r["lot_en"]) if r["lot_zh"] else "—",
            "plate": r["plate"],
            "applied": fmt_time(r["applied_at"]),
            "decided": fmt_time(r["decided_at"]),
        }
        for r in rows
    ]
    columns = [("code", "park.permit_code"), ("kind", "park.kind"), ("window", "park.window"),
               ("status", "park.permit_status"), ("lot", "park.lot"), ("plate", "park.plate"),
               ("applied", "park.applied"), ("decided", "park.decided")]  # fmt: skip
    return dag.AgGrid(
        id="park-permit-grid",
        rowData=data,
        columnDefs=[{"field": f, "headerName": t(k, lang)} for f, k in columns],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1},
        dashGridOptions={"pagination": True, "paginationPageSize": 20, "localeText": grid_locale(lang)},
        style={"height": "420px"},
        className="ag-theme-quartz",
    )
