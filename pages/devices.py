"""Data · devices (设备): each device's state (normal, alarm, silent), the alarms staff acknowledge or
clear with a note, a device's history, extinguishers due for replacement and flood-control stock
against what is required before and during the flood season; administrators edit the registry."""

from __future__ import annotations

import json
from datetime import timedelta

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from auth.context import current_config, current_engine
from auth.guard import ALL_ROLES, guarded
from components.charts import GRAPH_CONFIG
from components.common import empty_note, kpi_tile, page_header
from components.devices import (
    alarm_table,
    device_grid,
    extinguisher_table,
    flood_figure,
    flood_table,
    history_figure,
    registry_form,
    rules_table,
    state_badge,
)
from components.population import data_tabs, tabs_for
from data_access.alarms import (
    ALARM_ROLES,
    AlarmActionError,
    acknowledge,
    alarm_counts,
    alarms_needing_attention,
    clear,
    rule_rows,
    save_rule,
)
from data_access.db import reading, writing
from data_access.devices import (
    DEVICE_ADMIN_ROLES,
    DeviceError,
    device_history,
    device_overview,
    device_record,
    extinguishers_due,
    flood_stock,
    registry_options,
    save_device,
)
from domain.alarms import parse_season
from domain.catalog import DEVICE_KINDS
from i18n import pick, t
from pages._context import PageContext, page_context

PAGE = {"path": "/data/devices", "roles": ALL_ROLES, "order": 1.1, "title_key": "dev.title"}
HISTORY_DAYS = 7


def _season():
    config = current_config()
    return parse_season(config["flood_season"], ("04-15", "10-15")), config["flood_prep_days"]


def layout(ctx: PageContext, device: str | None = None, **_kwargs):
    lang = ctx.lang
    season, prep_days = _season()
    wanted = int(device) if device and device.isdigit() else None
    with reading(current_engine()) as s:
        overview = device_overview(s, ctx.community_ids)
        severities = alarm_counts(s, ctx.community_ids)
        due = extinguishers_due(s, ctx.community_ids, ctx.now.date())
        stock = flood_stock(s, ctx.community_ids, ctx.now.date(), season, prep_days)
        history = (
            device_history(s, wanted, ctx.community_ids, ctx.now - timedelta(days=HISTORY_DAYS), ctx.now)
            if wanted
            else None
        )
        admin = ctx.user.role in DEVICE_ADMIN_ROLES
        options = registry_options(s, ctx.community_ids) if admin else None
        record = device_record(s, wanted, ctx.community_ids) if admin and wanted else None
        rules = rule_rows(s) if admin else []
    states = {k: sum(1 for r in overview if r["state"] == k) for k in ("normal", "alarm", "silent")}
    short = sum(1 for r in stock if r["required_now"] is not None and (r["quantity"] or 0) < r["required_now"])
    tiles = dbc.Row(
        [
            dbc.Col(kpi_tile("kpi-dev-normal", t("dev.state_normal", lang), str(states["normal"]), "bi-check-circle",
                             "success", t("dev.of_devices", lang, n=len(overview))), md=True),
            dbc.Col(kpi_tile("kpi-dev-alarm", t("dev.state_alarm", lang), str(states["alarm"]),
                             "bi-exclamation-triangle", "danger",
                             t("dev.critical_major", lang, critical=severities.get("critical", 0),
                               major=severities.get("major", 0))), md=True),
            dbc.Col(kpi_tile("kpi-dev-silent", t("dev.state_silent", lang), str(states["silent"]), "bi-wifi-off",
                             "secondary"), md=True),
            dbc.Col(kpi_tile("kpi-dev-extinguishers", t("dev.extinguishers_due", lang), str(len(due)), "bi-fire",
                             "warning", t("dev.within_30", lang)), md=True),
            dbc.Col(kpi_tile("kpi-dev-flood", t("dev.flood_short", lang), str(short), "bi-water", "info",
                             t(f"dev.phase_{stock[0]['phase']}", lang) if stock else None), md=True),
        ],
        className="g-3 mb-3",
    )  # fmt: skip
    with reading(current_engine()) as s:
        alarms = alarms_needing_attention(s, ctx.community_ids, ctx.now)
    history_card = None
    if wanted and history is None and record is None:
        history_card = dbc.Alert(t("common.not_found", lang), color="secondary")
    elif history is not None:
        row = next((r for r in overview if r["id"] == history["id"]), None)
        chart = (dcc.Graph(id="dev-history", figure=history_figure(history, lang), config=GRAPH_CONFIG)
                 if history["series"] else empty_note(lang, "dev.no_readings"))  # fmt: skip
        history_card = dbc.Card(
            [
                dbc.CardHeader([t("dev.history_of", lang, device=pick(lang, history["name_zh"], history["name_en"]),
                                  days=HISTORY_DAYS), " ", state_badge(row["state"], lang) if row else None]),
                dbc.CardBody(chart),
            ],
            className="mb-3",
            id="dev-history-card",
        )  # fmt: skip
    return html.Div(
        [
            page_header(t("dev.title", lang), t("dev.subtitle", lang)),
            data_tabs("devices", lang, tabs_for(ctx.user.role)),
            tiles,
            dbc.Card(
                [
                    dbc.CardHeader(t("dev.alarms", lang)),
                    dbc.CardBody([html.Div(id="dev-feedback", **{"aria-live": "polite"}),
                                  html.Div(alarm_table(alarms, lang, ctx.user.role in ALARM_ROLES), id="dev-alarms",
                                           className="data-scroll")]),
                ],
                className="mb-3",
            ),  # fmt: skip
            history_card,
            dbc.Card([dbc.CardHeader(t("dev.devices", lang)), dbc.CardBody(device_grid(overview, lang))],
                     className="mb-3"),  # fmt: skip
            dbc.Row(
                [
                    dbc.Col(dbc.Card([dbc.CardHeader(t("dev.extinguishers_due", lang)),
                                      dbc.CardBody(html.Div(extinguisher_table(due, lang), className="data-scroll"))]),
                            lg=5),
                    dbc.Col(dbc.Card([dbc.CardHeader(t("dev.flood", lang, start=season[0], end=season[1],
                                                       prep=prep_days)),
                                      dbc.CardBody([dcc.Graph(id="dev-flood", figure=flood_figure(stock, lang),
                                                              config=GRAPH_CONFIG) if stock else empty_note(lang),
                                                    flood_table(stock, lang) if stock else None])]), lg=7),
                ],
                className="g-3 mb-3",
            ),  # fmt: skip
            dbc.Card([dbc.CardHeader(t("dev.registry", lang)),
                      dbc.CardBody([registry_form(lang, options, DEVICE_KINDS, record),
                                    html.H2(t("dev.rules", lang), className="h6 mt-4"),
                                    rules_table(rules, lang)])], className="mb-3")
            if admin else None,
        ]
    )  # fmt: skip


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("dev-alarms", "children"),
        Output("dev-feedback", "children"),
        Input({"type": "dev-act", "alarm": ALL, "action": ALL}, "n_clicks"),
        State({"type": "dev-note", "alarm": ALL}, "value"),
        State({"type": "dev-note", "alarm": ALL}, "id"),
        prevent_initial_call=True,
    )
    @guarded(ALARM_ROLES)
    def act_on_alarm(clicks, notes, note_ids):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(c for c in clicks or []):
            return no_update, no_update
        page = page_context()
        lang = page.lang
        alarm_id, action = trigger.get("alarm"), trigger.get("action")
        note = next((v for v, i in zip(notes or [], note_ids or [], strict=False) if i.get("alarm") == alarm_id), None)
        if not isinstance(alarm_id, int) or action not in ("ack", "clear"):
            return no_update, no_update
        try:
            with writing(current_engine()) as s:  # the server checks the role and scope again
                (acknowledge if action == "ack" else clear)(s, page.user.id, alarm_id, note, page.now)
            message = dbc.Alert(t(f"dev.done_{action}", lang), color="success", id="dev-done", dismissable=True)
        except AlarmActionError as exc:
            message = dbc.Alert(t(f"dev.error_{exc.code}", lang), color="danger", id="dev-error", dismissable=True)
        with reading(current_engine()) as s:
            alarms = alarms_needing_attention(s, page.community_ids, page.now)
        return alarm_table(alarms, lang, True), message

    @app.callback(
        Output("dev-rule-feedback", "children"),
        Input({"type": "dev-rule-save", "rule": ALL}, "n_clicks"),
        State({"type": "dev-rule-severity", "rule": ALL}, "value"),
        State({"type": "dev-rule-params", "rule": ALL}, "value"),
        State({"type": "dev-rule-case", "rule": ALL}, "value"),
        State({"type": "dev-rule-active", "rule": ALL}, "value"),
        State({"type": "dev-rule-save", "rule": ALL}, "id"),
        prevent_initial_call=True,
    )
    @guarded(DEVICE_ADMIN_ROLES)
    def save_alarm_rule(clicks, severities, params, cases, actives, ids):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(c for c in clicks or []):
            return no_update
        page = page_context()
        index = next(
            (i for i, x in enumerate(ids or []) if isinstance(x, dict) and x.get("rule") == trigger.get("rule")), None
        )
        lists = (severities, params, cases, actives)
        if index is None or not all(isinstance(v, list) and len(v) > index for v in lists):
            return no_update
        try:
            parameters = json.loads(params[index] or "{}")
            with writing(current_engine()) as s:
                save_rule(s, page.user.id, trigger["rule"], severities[index], parameters, cases[index] == "1",
                          actives[index] == "1", page.now)  # fmt: skip
        except (ValueError, TypeError, AlarmActionError) as exc:
            code = exc.code if isinstance(exc, AlarmActionError) else "bad_rule"
            return dbc.Alert(t(f"dev.error_{code}", page.lang), color="danger", id="dev-rule-error")
        return dbc.Alert(t("dev.rule_saved", page.lang, rule=trigger["rule"]), color="success", id="dev-rule-saved")

    @app.callback(
        Output("dev-reg-feedback", "children"),
        Input("dev-reg-save", "n_clicks"),
        State("dev-reg-id", "data"),
        State("dev-reg-code", "value"),
        State("dev-reg-kind", "value"),
        State("dev-reg-active", "value"),
        State("dev-reg-estate", "value"),
        State("dev-reg-building", "value"),
        State("dev-reg-name-zh", "value"),
        State("dev-reg-name-en", "value"),
        State("dev-reg-expires", "value"),
        State("dev-reg-required", "value"),
        State("dev-reg-required-season", "value"),
        State("dev-reg-every", "value"),
        prevent_initial_call=True,
    )
    @guarded(DEVICE_ADMIN_ROLES)
    def save_registry(n_clicks, device_id, code, kind, active, estate, building, name_zh, name_en, expires,
                      required, required_season, every):  # fmt: skip
        if not n_clicks:
            return no_update
        page = page_context()
        values = {"id": device_id if isinstance(device_id, int) else None, "code": code, "kind": kind,
                  "active": active != "0", "estate_id": _int(estate), "building_id": _int(building),
                  "name_zh": name_zh, "name_en": name_en, "expires_on": expires or "", "required_qty": required,
                  "flood_season_required_qty": required_season, "report_every_minutes": every}  # fmt: skip
        try:
            with writing(current_engine()) as s:
                saved = save_device(s, page.user.id, page.community_ids, values, page.now)
        except DeviceError as exc:
            return dbc.Alert(t(f"dev.reg_error_{exc.code}", page.lang), color="danger", id="dev-reg-error")
        return dbc.Alert([t("dev.reg_saved", page.lang), " ", html.A(code, href=f"/data/devices?device={saved}")],
                         color="success", id="dev-reg-saved")  # fmt: skip


def _int(value) -> int | None:  # noqa: ANN001
    try:
        return int(value) if value not in (None, "", 0, "0") else None
    except (TypeError, ValueError):
        return None
