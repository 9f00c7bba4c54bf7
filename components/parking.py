"""Parking figures and tables: shareable spaces per lot, occupancy now, the weekly heatmap, history,
each result's parameters and data span, measured use of the shared spaces, permits."""

from __future__ import annotations

from urllib.parse import quote

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import html

from components.charts import _base
from components.common import fmt_time
from domain.parking import data_span
from i18n import pick, t
from i18n.grid_locale import grid_locale

WEEKDAY_KEYS = ("park.mon", "park.tue", "park.wed", "park.thu", "park.fri", "park.sat", "park.sun")


def window_label(row: dict, lang: str) -> str:
    days = t("park.weekdays", lang) if row["weekdays_only"] else t("park.every_day", lang)
    name = t(f"park.window_{row['window']}", lang)
    return f"{name} {row['window_start']}–{row['window_end']} ({days})"


def lot_href(code: str) -> str:
    return f"/parking?lot={quote(code)}"


def _pct(value: float | None) -> str:
    return f"{100 * value:.0f}%" if value is not None else "—"


def span_text(row: dict, lang: str) -> str:
    """A stored result's parameters and data span in one line (a table cell's tooltip)."""
    span = data_span(row["data_from"], row["data_to"], row["samples_used"], row["parameters"])
    params = row["parameters"] or {}
    return t(
        "park.span_tooltip",
        lang,
        first=fmt_time(span["first_sample"]),
        last=fmt_time(span["last_sample"]),
        weeks=span["weeks"] if span["weeks"] is not None else "—",
        samples=span["samples_used"],
        expected=span["samples_expected"] if span["samples_expected"] is not None else "—",
        q=params.get("quantile", "—"),
        history=params.get("history_weeks", "—"),
        buffer=params.get("safety_buffer", "—"),
    )


def shareable_table(rows: list[dict], lang: str, selected: str | None, permits: dict, use: dict) -> dbc.Table:
    """`permits`: lot code -> {granted, waitlisted_first_choice} from the permit overview; `use`: lot code
    -> `domain.parking.use_summary` of the measured windows. Every lot links to its detail."""
    keys = ("park.lot", "park.window", "park.capacity", "park.peak", "park.shareable", "park.granted",
            "park.allocated", "park.used", "park.data", "park.computed")  # fmt: skip
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in keys]))
    body = []
    for r in rows:
        if r["status"] == "published":
            shareable = html.Strong(str(r["shareable"]), className="text-success")
        else:
            shareable = dbc.Badge(t(f"park.reason_{r['reason']}", lang), color="secondary", className="text-wrap")
        span = data_span(r["data_from"], r["data_to"], r["samples_used"], r["parameters"])
        lot_use = use.get(r["lot"], {})
        granted = permits.get(r["lot"], {}).get("granted", 0)
        body.append(
            html.Tr(
                [
                    html.Td(html.A(pick(lang, r["lot_zh"], r["lot_en"]), href=lot_href(r["lot"]))),
                    html.Td(window_label(r, lang)),
                    html.Td(str(r["capacity"])),
                    html.Td(f"{r['peak']:.0f}" if r["peak"] is not None else "—"),
                    html.Td(shareable),
                    html.Td(_granted_cell(permits.get(r["lot"], {}), lang)),
                    html.Td(_pct(granted / r["shareable"]) if r["shareable"] else "—"),
                    html.Td(_pct(lot_use.get("utilisation")), title=t("park.used_definition_short", lang)),
                    html.Td(
                        html.Span(
                            t(
                                "park.data_cell",
                                lang,
                                weeks=span["weeks"] if span["weeks"] is not None else "—",
                                samples=span["samples_used"],
                            ),
                            title=span_text(r, lang),
                            className="text-decoration-underline-dotted",
                        ),
                        className="small",
                    ),  # fmt: skip
                    html.Td(fmt_time(r["computed_at"]), className="small"),
                ],
                className="table-active" if r["lot"] == selected else None,
            )
        )
    return dbc.Table([head, html.Tbody(body)], hover=True, size="sm", responsive=True, id="park-shareable-table")


def lots_figure(rows: list[dict], permits: dict, use: dict, lang: str) -> go.Figure:
    """Per lot: spaces shared, permits granted, waiting (first choice) and shared cars measured in use
    (average over the measured windows); a click on any bar opens the lot (customdata = lot code)."""
    labels = [pick(lang, r["lot_zh"], r["lot_en"]) for r in rows]
    codes = [[r["lot"]] for r in rows]
    series = (
        ("park.shareable", [r["shareable"] or 0 for r in rows], "#2e7d4f"),
        ("park.granted", [permits.get(r["lot"], {}).get("granted", 0) for r in rows], "#3b6fb6"),
        ("park.waiting", [permits.get(r["lot"], {}).get("waitlisted_first_choice", 0) for r in rows], "#c98a1b"),
        ("park.in_use", [round(use.get(r["lot"], {}).get("mean_used") or 0, 1) for r in rows], "#7a4ea3"),
    )
    fig = go.Figure(
        [
            go.Bar(x=labels, y=values, name=t(key, lang), marker_color=color, customdata=codes,
                   hovertemplate="%{x}: %{y}<extra>" + t(key, lang) + "</extra>")
            for key, values, color in series
        ]
    )  # fmt: skip
    fig.update_layout(barmode="group", yaxis={"title": t("park.spaces", lang), "rangemode": "tozero"})
    return _base(fig, height=300)


def occupancy_now_figure(rows: list[dict], lang: str) -> go.Figure:
    """Latest count against capacity per lot; a click on a bar opens the lot (customdata = lot code)."""
    labels = [pick(lang, r["lot_zh"], r["lot_en"]) for r in rows]
    codes = [[r["lot"]] for r in rows]
    occupied = [r["occupied"] or 0 for r in rows]
    free = [max(0, r["capacity"] - (r["occupied"] or 0)) for r in rows]
    fig = go.Figure(
        [
            go.Bar(y=labels, x=occupied, orientation="h", name=t("park.occupied", lang), marker_color="#3b6fb6",
                   customdata=codes, hovertemplate="%{y}: %{x}<extra></extra>"),
            go.Bar(y=labels, x=free, orientation="h", name=t("park.free", lang), marker_color="#9cc5a1",
                   customdata=codes, hovertemplate="%{y}: %{x}<extra></extra>"),
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


def permit_grid(rows: list[dict], lang: str, grid_id: str = "park-permit-grid", choice: bool = False) -> dag.AgGrid:
    """Permits (plates as `permit_list` gave them); with `choice`, the rank the applicant gave the lot."""
    data = [
        {
            "code": r["code"],
            "kind": t(f"park.kind_{r['kind']}", lang),
            "window": t(f"park.window_{r['window']}", lang),
            "status": t(f"park.permit_{r['status']}", lang),
            "lot": pick(lang, r["lot_zh"], r["lot_en"]) if r["lot_zh"] else "—",
            "choice": r.get("choice") or "—",
            "plate": r["plate"],
            "applied": fmt_time(r["applied_at"]),
            "decided": fmt_time(r["decided_at"]),
        }
        for r in rows
    ]
    columns = [("code", "park.permit_code"), ("kind", "park.kind"), ("window", "park.window"),
               ("status", "park.permit_status"), ("lot", "park.lot"), ("choice", "park.choice"),
               ("plate", "park.plate"), ("applied", "park.applied"), ("decided", "park.decided")]  # fmt: skip
    if not choice:
        columns = [c for c in columns if c[0] != "choice"]
    return dag.AgGrid(
        id=grid_id,
        rowData=data,
        columnDefs=[{"field": f, "headerName": t(k, lang)} for f, k in columns],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1},
        dashGridOptions={"pagination": True, "paginationPageSize": 20, "localeText": grid_locale(lang)},
        style={"height": "420px"},
        className="ag-theme-quartz",
    )


def result_details(row: dict, lang: str) -> html.Div:
    """The lot's current result: the figure or why it was withheld, the parameters it was computed with
    and the span of data it used."""
    span = data_span(row["data_from"], row["data_to"], row["samples_used"], row["parameters"])
    params = row["parameters"] or {}

    def dash(value) -> str:  # noqa: ANN001
        return "—" if value is None else str(value)

    if row["status"] == "published":
        outcome = t("park.result_published", lang, n=row["shareable"], peak=f"{row['peak']:.1f}")
        tone = "success"
    else:
        outcome = t("park.result_withheld", lang, reason=t(f"park.reason_{row['reason']}", lang))
        tone = "secondary"
    items = [
        ("park.computed", fmt_time(row["computed_at"])),
        ("park.param_window", f"{params.get('window_start', '—')}–{params.get('window_end', '—')} "
                              f"({t('park.weekdays', lang) if params.get('weekdays_only', True) else t('park.every_day', lang)})"),
        ("park.capacity", dash(params.get("capacity"))),
        ("park.param_quantile", dash(params.get("quantile"))),
        ("park.param_history", t("park.weeks_n", lang, n=dash(params.get("history_weeks")))),
        ("park.param_buffer", dash(params.get("safety_buffer"))),
        ("park.span_first", fmt_time(span["first_sample"])),
        ("park.span_last", fmt_time(span["last_sample"])),
        ("park.span_weeks", t("park.weeks_n", lang, n=dash(span["weeks"]))),
        ("park.span_samples", t("park.samples_of", lang, n=span["samples_used"], expected=dash(span["samples_expected"]))),
        ("park.span_coverage", _pct(span["coverage"])),
        ("park.span_windows", t("park.windows_of", lang, n=dash(span["windows_with_data"]),
                                 expected=dash(span["windows_expected"]))),
        ("park.span_found", t("park.found", lang, missing=dash(span["samples_missing"]),
                               clamped=dash(span["clamped_over_capacity"]),
                               duplicates=dash(span["duplicates_in_slot"]),
                               negative=dash(span["negative_dropped"]))),
    ]  # fmt: skip
    return html.Div(
        [
            dbc.Alert(outcome, color=tone, className="py-2 mb-2", id="park-result-outcome"),
            html.Dl(
                [
                    part
                    for key, value in items
                    for part in (html.Dt(t(key, lang), className="col-sm-4"), html.Dd(value, className="col-sm-8 mb-1"))
                ],
                className="row small mb-0",
                id="park-result-details",
            ),  # fmt: skip
        ]
    )


def results_table(history: list[dict], lang: str, limit: int = 30) -> dbc.Table:
    """The lot's stored results, newest first: figure or reason, parameters and data span of each."""
    keys = ("park.computed", "park.shareable", "park.peak", "park.param_quantile", "park.param_history",
            "park.param_buffer", "park.span_first", "park.span_last", "park.span_samples")  # fmt: skip
    body = []
    for h in list(reversed(history))[:limit]:
        span = data_span(h["data_from"], h["data_to"], h["samples_used"], h["parameters"])
        params = h["parameters"] or {}
        figure = (str(h["shareable"]) if h["status"] == "published"
                  else dbc.Badge(t(f"park.reason_{h['reason']}", lang), color="secondary", className="text-wrap"))  # fmt: skip
        body.append(
            html.Tr(
                [
                    html.Td(fmt_time(h["computed_at"])),
                    html.Td(figure),
                    html.Td(f"{h['peak']:.1f}" if h["peak"] is not None else "—"),
                    html.Td(str(params.get("quantile", "—"))),
                    html.Td(str(params.get("history_weeks", "—"))),
                    html.Td(str(params.get("safety_buffer", "—"))),
                    html.Td(fmt_time(span["first_sample"])),
                    html.Td(fmt_time(span["last_sample"])),
                    html.Td(
                        t(
                            "park.samples_of",
                            lang,
                            n=span["samples_used"],
                            expected=span["samples_expected"] if span["samples_expected"] is not None else "—",
                        )
                    ),
                ]
            )  # fmt: skip
        )
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(t(k, lang)) for k in keys])), html.Tbody(body)],
        size="sm", responsive=True, className="small", id="park-results-table",
    )  # fmt: skip


def use_table(uses: list, lang: str) -> dbc.Table:
    """Measured use per window (`domain.parking.WindowUse`), newest first."""
    keys = ("park.use_window", "park.shareable", "park.use_mean", "park.use_peak", "park.used", "park.use_samples",
            "park.use_result")  # fmt: skip
    body = []
    for u in reversed(uses):
        measured = u.mean_used is not None
        body.append(
            html.Tr(
                [
                    html.Td(f"{u.start:%Y-%m-%d %H:%M} – {u.end:%H:%M}"),
                    html.Td(str(u.shareable)),
                    html.Td(f"{u.mean_used:.1f}" if measured else t("park.use_unmeasured", lang)),
                    html.Td(f"{u.peak_used:.0f}" if measured else "—"),
                    html.Td(_pct(u.utilisation)),
                    html.Td(f"{u.samples}/{u.slots}"),
                    html.Td(fmt_time(u.computed_at), className="small"),
                ]
            )
        )
    return dbc.Table(
        [html.Thead(html.Tr([html.Th(t(k, lang)) for k in keys])), html.Tbody(body)],
        size="sm", responsive=True, className="small", id="park-use-table",
    )  # fmt: skip
