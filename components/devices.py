"""The devices page's pieces (pure): severity and state badges that carry text and an icon (colour is
never the only signal), the alarm table with its acknowledge / clear controls, the device grid, a
device's history chart, extinguishers due and flood-control stock against what is required."""

from __future__ import annotations

import json

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from components.charts import _base
from components.common import fmt_time
from i18n import pick, t
from i18n.grid_locale import grid_locale

SEVERITY_STYLE = {
    "critical": ("danger", "bi-exclamation-octagon-fill"),
    "major": ("warning", "bi-exclamation-triangle-fill"),
    "minor": ("info", "bi-info-circle-fill"),
    "warning": ("secondary", "bi-bell-fill"),
}
STATE_STYLE = {
    "normal": ("success", "bi-check-circle-fill"),
    "alarm": ("danger", "bi-exclamation-triangle-fill"),
    "silent": ("secondary", "bi-wifi-off"),
}
METRIC_UNITS = {"pressure_mpa": "MPa", "quantity": "", "trips": ""}


def labelled(text: str, control) -> html.Label:  # noqa: ANN001
    """A form control with a label screen readers announce (dbc inputs take no aria-label), for controls
    in table rows whose pattern-matching ids a `for=` cannot name."""
    return html.Label([html.Span(text, className="visually-hidden"), control], className="d-block mb-0 flex-fill")


def severity_badge(severity: str, lang: str) -> dbc.Badge:
    color, icon = SEVERITY_STYLE.get(severity, ("secondary", "bi-circle"))
    return dbc.Badge(
        [html.I(className=f"bi {icon} me-1", **{"aria-hidden": "true"}), t(f"dev.sev_{severity}", lang)],
        color=color,
        text_color="dark" if color in ("warning", "info") else None,
        className="severity-badge",
    )


def state_badge(state: str, lang: str) -> dbc.Badge:
    color, icon = STATE_STYLE.get(state, ("secondary", "bi-circle"))
    return dbc.Badge([html.I(className=f"bi {icon} me-1", **{"aria-hidden": "true"}), t(f"dev.state_{state}", lang)],
                     color=color)  # fmt: skip


def detail_text(alarm_type: str, detail: dict, lang: str) -> str:
    """What the rule saw, in words: a reading against its limit, stock against what is required, an expiry."""
    if "value" in detail and "limit" in detail:
        return t("dev.detail_reading", lang, value=f"{detail['value']:g}", limit=f"{detail['limit']:g}")
    if "quantity" in detail and "required" in detail:
        return t("dev.detail_stock", lang, quantity=f"{detail['quantity']:g}", required=f"{detail['required']:g}",
                 phase=t(f"dev.phase_{detail.get('phase', 'season')}", lang))  # fmt: skip
    if "expires_on" in detail:
        days = detail.get("days_left", 0)
        if isinstance(days, int) and days < 0:
            return t("dev.detail_expired", lang, date=detail["expires_on"], days=-days)
        return t("dev.detail_expiry", lang, date=detail["expires_on"], days=days)
    if "last_seen" in detail:
        return t("dev.detail_silent", lang, time=detail["last_seen"].replace("T", " ")[:16])
    if detail.get("fault_code"):
        return t("dev.detail_fault", lang, code=detail["fault_code"])
    return ""


def _place(row: dict, lang: str) -> str:
    parts = [pick(lang, row["estate_zh"], row["estate_en"])]
    if row.get("building_zh"):
        parts.append(pick(lang, row["building_zh"], row["building_en"]))
    return " · ".join(parts)


def alarm_table(rows: list[dict], lang: str, may_act: bool) -> html.Div:
    if not rows:
        return html.P(t("dev.no_alarms", lang), className="text-body-secondary fst-italic mb-0", id="dev-no-alarms")
    keys = ["dev.severity", "dev.device", "dev.alarm", "dev.status", "dev.raised", "dev.ack"]
    if may_act:
        keys.append("dev.actions")
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in keys]))
    body = []
    for r in rows:
        status = t("dev.status_active", lang) if r["status"] == "active" else t("dev.status_cleared", lang)
        if r["status"] != "active":
            status += " · " + fmt_time(r["cleared_at"]) + (f" · {r['cleared_by']}" if r["cleared_by"] else "")
        ack = (
            [html.Div(t("dev.acked_by", lang, who=r["acknowledged_by"] or "—", time=fmt_time(r["acknowledged_at"]))),
             html.Div(r["note"], className="small fst-italic text-break") if r["note"] else None]
            if r["acknowledged"]
            else html.Span(t("dev.not_acked", lang), className="fw-semibold text-danger")
        )  # fmt: skip
        alarm_cell = [
            html.Div(t(f"dev.type_{r['alarm_type']}", lang), className="fw-semibold"),
            html.Div(detail_text(r["alarm_type"], r["detail"], lang), className="small"),
            html.Div(t("dev.repeats", lang, n=r["repeat_count"]), className="small text-body-secondary")
            if r["repeat_count"] > 1
            else None,
            html.A(t("dev.case_link", lang, code=r["tracking_code"]), href=f"/governance/case/{r['event_id']}",
                   className="small", id={"type": "dev-case", "alarm": r["id"]})
            if r["event_id"]
            else None,
            html.Div(t("dev.cleared_note", lang, note=r["clear_note"]), className="small fst-italic text-break")
            if r["clear_note"]
            else None,
        ]  # fmt: skip
        cells = [
            html.Td(severity_badge(r["severity"], lang)),
            html.Td([html.A(r["device_code"], href=f"/data/devices?device={r['device_id']}"),
                     html.Div(pick(lang, r["device_zh"], r["device_en"]), className="small"),
                     html.Div(_place(r, lang), className="small text-body-secondary")]),
            html.Td(alarm_cell),
            html.Td(status, className="small"),
            html.Td([html.Div(fmt_time(r["raised_at"])),
                     html.Div(t("dev.last_seen_short", lang, time=fmt_time(r["last_seen_at"])),
                              className="small text-body-secondary")], className="text-nowrap"),
            html.Td(ack, className="small"),
        ]  # fmt: skip
        if may_act:
            buttons = []
            if not r["acknowledged"]:
                buttons.append(dbc.Button(t("dev.btn_ack", lang), id={"type": "dev-act", "alarm": r["id"], "action": "ack"},
                                          size="sm", color="primary", className="me-1 mb-1", n_clicks=0))  # fmt: skip
            if r["status"] == "active":
                buttons.append(dbc.Button(t("dev.btn_clear", lang),
                                          id={"type": "dev-act", "alarm": r["id"], "action": "clear"}, size="sm",
                                          color="outline-success", className="mb-1", n_clicks=0))  # fmt: skip
            cells.append(
                html.Td(
                    [
                        labelled(t("dev.note_label", lang),
                                 dbc.Input(id={"type": "dev-note", "alarm": r["id"]},
                                           placeholder=t("dev.note_placeholder", lang), size="sm", maxLength=1000,
                                           className="mb-1")),
                        html.Div(buttons),
                    ] if buttons else None,
                    style={"minWidth": "220px"},
                )
            )  # fmt: skip
        body.append(html.Tr(cells, id={"type": "dev-alarm-row", "alarm": r["id"]},
                            className="table-danger" if r["severity"] == "critical" and r["status"] == "active" else None))  # fmt: skip
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, responsive=True, id="dev-alarms-table")


def device_grid(rows: list[dict], lang: str) -> dag.AgGrid:
    data = [
        {
            "link": f"[{r['code']}](/data/devices?device={r['id']})",
            "name": pick(lang, r["name_zh"], r["name_en"]),
            "kind": t(f"dev.kind_{r['kind']}", lang),
            "place": _place(r, lang),
            "state": t(f"dev.state_{r['state']}", lang),
            "state_code": r["state"],
            "last_seen": fmt_time(r["last_seen"]),
            "alarms": ", ".join(t(f"dev.type_{a}", lang) for a, _s in r["alarms"]),
        }
        for r in sorted(rows, key=lambda r: ({"alarm": 0, "silent": 1}.get(r["state"], 2), r["code"]))
    ]
    columns = [
        {"field": "link", "headerName": t("dev.code", lang), "cellRenderer": "markdown", "linkTarget": "_self",
         "minWidth": 170},
        {"field": "name", "headerName": t("dev.name", lang), "minWidth": 220},
        {"field": "kind", "headerName": t("dev.kind", lang)},
        {"field": "place", "headerName": t("dev.place", lang)},
        {"field": "state", "headerName": t("dev.state", lang),
         "cellClassRules": {"dev-state-alarm": "params.data.state_code == 'alarm'",
                            "dev-state-silent": "params.data.state_code == 'silent'"}},
        {"field": "last_seen", "headerName": t("dev.last_seen", lang)},
        {"field": "alarms", "headerName": t("dev.active_alarms", lang), "minWidth": 200},
    ]  # fmt: skip
    return dag.AgGrid(
        id="dev-grid",
        rowData=data,
        columnDefs=columns,
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1, "minWidth": 110},
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": 20,
            "animateRows": False,
            "localeText": grid_locale(lang),
        },  # fmt: skip
        style={"height": "560px"},
        className="ag-theme-quartz",
    )


def history_figure(history: dict, lang: str) -> go.Figure:
    """Each numeric metric as a line, readings with a fault code as markers on a status lane, and the
    device's alarms as shaded spans."""
    fig = go.Figure()
    for metric, points in history["series"].items():
        numeric = [p for p in points if p["value"] is not None]
        if metric == "status":
            faults = [p for p in points if p["fault_code"]]
            if faults:
                fig.add_trace(go.Scatter(x=[p["ts"] for p in faults], y=[0] * len(faults), yaxis="y2",
                                         mode="markers", marker={"symbol": "x", "size": 10, "color": "#b02a37"},
                                         name=t("dev.faults", lang), text=[p["fault_code"] for p in faults],
                                         hovertemplate="%{x}: %{text}<extra></extra>"))  # fmt: skip
            continue
        if numeric:
            unit = METRIC_UNITS.get(metric, "")
            fig.add_trace(go.Scatter(x=[p["ts"] for p in numeric], y=[p["value"] for p in numeric], mode="lines",
                                     name=t(f"dev.metric_{metric}", lang) if metric in METRIC_UNITS else metric,
                                     line={"shape": "hv"},
                                     hovertemplate="%{x}: %{y}" + (f" {unit}" if unit else "") + "<extra></extra>"))  # fmt: skip
    for a in history["alarms"]:
        color = {"critical": "rgba(176,42,55,0.18)", "major": "rgba(255,193,7,0.22)"}.get(
            a["severity"], "rgba(108,117,125,0.15)"
        )
        end = a["cleared_at"] or max((p["ts"] for s in history["series"].values() for p in s), default=a["raised_at"])
        fig.add_vrect(x0=a["raised_at"], x1=max(end, a["raised_at"]), fillcolor=color, line_width=0, layer="below",
                      annotation_text=t(f"dev.type_{a['alarm_type']}", lang), annotation_position="top left",
                      annotation_font_size=10)  # fmt: skip
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "visible": False, "range": [-1, 1]},
                      xaxis={"title": None, "tickformat": "%m-%d %H:%M"})  # fmt: skip
    return _base(fig, height=320)


def extinguisher_table(rows: list[dict], lang: str) -> html.Div:
    if not rows:
        return html.P(t("dev.no_extinguishers_due", lang), className="text-body-secondary fst-italic mb-0")
    head = html.Thead(
        html.Tr([html.Th(t(k, lang)) for k in ("dev.device", "dev.place", "dev.expires", "dev.days_left")])
    )
    body = [
        html.Tr(
            [
                html.Td([html.A(r["code"], href=f"/data/devices?device={r['id']}"),
                         html.Div(pick(lang, r["name_zh"], r["name_en"]), className="small")]),
                html.Td(_place(r, lang), className="small"),
                html.Td(r["expires_on"].isoformat()),
                html.Td(
                    html.Span([html.I(className="bi bi-x-octagon-fill me-1", **{"aria-hidden": "true"}),
                               t("dev.expired_days", lang, n=-r["days_left"])], className="text-danger fw-semibold")
                    if r["days_left"] < 0
                    else t("dev.days", lang, n=r["days_left"])
                ),
            ]
        )
        for r in rows
    ]  # fmt: skip
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, id="dev-extinguishers-table")


def flood_figure(rows: list[dict], lang: str) -> go.Figure:
    names = [pick(lang, r["estate_zh"], r["estate_en"]) for r in rows]
    fig = go.Figure(
        [
            go.Bar(x=names, y=[r["quantity"] or 0 for r in rows], name=t("dev.in_stock", lang), marker_color="#3b6fb6",
                   hovertemplate="%{x}: %{y}<extra></extra>"),
            go.Bar(x=names, y=[r["required_prep"] or 0 for r in rows], name=t("dev.required_prep", lang),
                   marker_color="#9cc5a1", hovertemplate="%{x}: %{y}<extra></extra>"),
            go.Bar(x=names, y=[r["required_season"] or 0 for r in rows], name=t("dev.required_season", lang),
                   marker_color="#d9822b", hovertemplate="%{x}: %{y}<extra></extra>"),
        ]
    )  # fmt: skip
    fig.update_layout(barmode="group", yaxis={"title": t("dev.quantity", lang)})
    return _base(fig, height=300)


def flood_table(rows: list[dict], lang: str) -> dbc.Table:
    keys = ("dev.device", "dev.item", "dev.in_stock", "dev.required_prep", "dev.required_season", "dev.phase_now",
            "dev.stock_state")  # fmt: skip
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in keys]))
    body = []
    for r in rows:
        required = r["required_now"]
        if r["quantity"] is None:
            state = html.Span(t("dev.no_count", lang), className="text-body-secondary")
        elif required is None:
            state = html.Span(t("dev.stock_off_season", lang), className="text-body-secondary")
        elif r["quantity"] < required:
            state = html.Span([html.I(className="bi bi-exclamation-triangle-fill me-1", **{"aria-hidden": "true"}),
                               t("dev.stock_short", lang, n=f"{required - r['quantity']:g}")],
                              className="text-danger fw-semibold")  # fmt: skip
        else:
            state = html.Span([html.I(className="bi bi-check-circle-fill me-1", **{"aria-hidden": "true"}),
                               t("dev.stock_ok", lang)], className="text-success")  # fmt: skip
        phase = t(f"dev.phase_{r['phase']}", lang)
        upcoming = t("dev.next_phase", lang, phase=t(f"dev.phase_{r['next_phase']}", lang),
                     date=r["next_phase_on"].isoformat())  # fmt: skip
        body.append(
            html.Tr(
                [
                    html.Td([html.A(r["code"], href=f"/data/devices?device={r['id']}"),
                             html.Div(pick(lang, r["estate_zh"], r["estate_en"]), className="small")]),
                    html.Td(t(f"dev.item_{r['item']}", lang) if r["item"] in ("sandbags", "pumps", "boards")
                            else (r["item"] or "—")),
                    html.Td("—" if r["quantity"] is None else f"{r['quantity']:g}"),
                    html.Td("—" if r["required_prep"] is None else f"{r['required_prep']:g}"),
                    html.Td("—" if r["required_season"] is None else f"{r['required_season']:g}"),
                    html.Td([html.Div(phase), html.Div(upcoming, className="small text-body-secondary")]),
                    html.Td(state),
                ]
            )
        )  # fmt: skip
    return dbc.Table([head, html.Tbody(body)], size="sm", hover=True, id="dev-flood-table")


def rules_table(rows: list, lang: str) -> html.Div:
    """The alarm rules, editable by administrators: severity, whether it opens a case, whether it runs,
    and its parameters as JSON (checked on the server before it is saved)."""
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in ("dev.rule", "dev.kind", "dev.alarm", "dev.severity",
                                                               "dev.parameters", "dev.opens_case", "dev.rule_active",
                                                               "dev.actions")]))  # fmt: skip
    yes_no = [{"label": t("common.yes", lang), "value": "1"}, {"label": t("common.no", lang), "value": "0"}]
    body = []
    for r in rows:
        code = r.code
        body.append(
            html.Tr(
                [
                    html.Td([html.Div(code, className="font-monospace small"),
                             html.Div(r.problem, className="small text-danger") if r.problem else None]),
                    html.Td(t("dev.kind_all", lang) if r.device_kind == "*" else t(f"dev.kind_{r.device_kind}", lang)),
                    html.Td(t(f"dev.type_{r.alarm_type}", lang)),
                    html.Td(labelled(t("dev.severity", lang), dbc.Select(
                        id={"type": "dev-rule-severity", "rule": code}, value=r.severity, size="sm",
                        options=[{"label": t(f"dev.sev_{v}", lang), "value": v} for v in SEVERITY_STYLE]))),
                    html.Td(labelled(t("dev.parameters", lang), dbc.Textarea(
                        id={"type": "dev-rule-params", "rule": code}, value=json.dumps(r.parameters, ensure_ascii=False),
                        rows=2, className="font-monospace small")), style={"minWidth": "320px"}),
                    html.Td(labelled(t("dev.opens_case", lang), dbc.Select(
                        id={"type": "dev-rule-case", "rule": code}, value="1" if r.opens_case else "0", size="sm",
                        options=yes_no))),
                    html.Td(labelled(t("dev.rule_active", lang), dbc.Select(
                        id={"type": "dev-rule-active", "rule": code}, value="1" if r.active else "0", size="sm",
                        options=yes_no))),
                    html.Td(dbc.Button(t("dev.rule_save", lang), id={"type": "dev-rule-save", "rule": code},
                                       size="sm", color="outline-primary", n_clicks=0)),
                ]
            )
        )  # fmt: skip
    return html.Div(
        [html.Div(id="dev-rule-feedback", **{"aria-live": "polite"}),
         dbc.Table([head, html.Tbody(body)], size="sm", id="dev-rules-table", responsive=True)]
    )  # fmt: skip


def registry_form(lang: str, options: dict, kinds: tuple[str, ...], record: dict | None) -> html.Div:
    """The administrator's device form: a new device, or the one chosen on the page (?device=ID)."""
    record = record or {}
    attrs = record.get("attributes", {})

    def field(key: str, control, width: int = 6) -> dbc.Col:
        return dbc.Col([dbc.Label(t(key, lang), html_for=control.id), control], md=width, className="mb-2")

    estates = [{"label": pick(lang, e["name_zh"], e["name_en"]), "value": e["id"]} for e in options["estates"]]
    estate_names = {e["id"]: pick(lang, e["name_zh"], e["name_en"]) for e in options["estates"]}
    buildings = [{"label": "—", "value": 0}] + [
        {"label": f"{estate_names.get(b['estate_id'], '')} · {pick(lang, b['name_zh'], b['name_en'])}", "value": b["id"]} for b in options["buildings"]
        if not record.get("estate_id") or b["estate_id"] == record.get("estate_id")
    ]  # fmt: skip
    return html.Div(
        [
            dcc.Store(id="dev-reg-id", data=record.get("id")),
            html.P(t("dev.reg_editing", lang, code=record["code"]) if record else t("dev.reg_new", lang),
                   className="small text-body-secondary"),
            dbc.Row(
                [
                    field("dev.code", dbc.Input(id="dev-reg-code", value=record.get("code", ""), maxLength=64), 4),
                    field("dev.kind", dbc.Select(id="dev-reg-kind", value=record.get("kind", kinds[0]),
                                                 options=[{"label": t(f"dev.kind_{k}", lang), "value": k} for k in kinds]), 4),
                    field("dev.active_flag", dbc.Select(id="dev-reg-active", value="1" if record.get("active", True) else "0",
                                                        options=[{"label": t("common.yes", lang), "value": "1"},
                                                                 {"label": t("common.no", lang), "value": "0"}]), 4),
                    field("dev.estate", dbc.Select(id="dev-reg-estate", value=record.get("estate_id") or (estates[0]["value"] if estates else None),
                                                   options=estates)),
                    field("dev.building", dbc.Select(id="dev-reg-building", value=record.get("building_id") or 0,
                                                     options=buildings)),
                    field("dev.name_zh", dbc.Input(id="dev-reg-name-zh", value=record.get("name_zh", ""), maxLength=80)),
                    field("dev.name_en", dbc.Input(id="dev-reg-name-en", value=record.get("name_en", ""), maxLength=120)),
                    field("dev.expires", dbc.Input(id="dev-reg-expires", type="date", value=attrs.get("expires_on", "")), 4),
                    field("dev.required_prep", dbc.Input(id="dev-reg-required", type="number", min=0,
                                                         value=attrs.get("required_qty")), 4),
                    field("dev.required_season", dbc.Input(id="dev-reg-required-season", type="number", min=0,
                                                           value=attrs.get("flood_season_required_qty")), 4),
                    field("dev.report_every", dbc.Input(id="dev-reg-every", type="number", min=1,
                                                        value=attrs.get("report_every_minutes")), 4),
                ]
            ),
            html.Div(t("dev.reg_help", lang), className="form-text mb-2"),
            dbc.Button(t("dev.reg_save", lang), id="dev-reg-save", color="primary", n_clicks=0),
            html.A(t("dev.reg_new_link", lang), href="/data/devices?device=new", className="ms-3 small"),
            html.Div(id="dev-reg-feedback", className="mt-2", **{"aria-live": "polite"}),
        ],
        id="dev-registry",
    )  # fmt: skip
