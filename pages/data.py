"""Data (数据) · population: the age pyramid, households per estate and building, foreign residents by
country and language, care groups by tag — counts for every role — and the drill-down to a building
and its households (masked; names and phones revealed, audited, only to the roles that need them),
with staff imports (CSV / Excel) and edits."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, ctx, dcc, html, no_update

from auth.context import current_engine
from auth.guard import ALL_ROLES, guarded
from components.charts import GRAPH_CONFIG, age_pyramid, countries_bar
from components.common import empty_note, kpi_tile, page_header
from components.population import (
    care_bar,
    data_tabs,
    estate_links,
    estate_panel,
    households_by_estate_bar,
    households_table,
    import_card,
    import_result,
    languages_bar,
    person_form,
    tabs_for,
)
from data_access.db import reading, writing
from data_access.people import (
    PeopleError,
    building_households,
    decode_upload,
    household_form,
    import_people,
    resident_form,
    reveal_resident,
    save_household,
    save_resident,
)
from data_access.population import (
    age_sex,
    buildings_of_estate,
    care_by_tag,
    estate_list,
    estate_of_building,
    foreign_by_country,
    foreign_by_language,
    households_per_estate,
    population_totals,
)
from domain.countries import country_name
from domain.people import CARE_TAGS, EDIT_ROLES, HOUSEHOLD_ROLES, IMPORT_ROLES, REVEAL_ROLES
from i18n import t
from pages._context import PageContext, page_context

PAGE = {"path": "/data", "nav_key": "nav.data", "nav_id": "data", "icon": "bi-people", "roles": ALL_ROLES, "order": 1}


def _chart(title_key: str, graph_id: str, figure, has_data: bool, lang: str, note: str | None = None):  # noqa: ANN001
    body = dcc.Graph(id=graph_id, figure=figure, config=GRAPH_CONFIG) if has_data else empty_note(lang)
    header = [t(title_key, lang), html.Span(note, className="small text-body-secondary ms-2") if note else None]
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="h-100")


def layout(ctx: PageContext, estate: str | None = None, building: str | None = None, **_kwargs):
    lang = ctx.lang
    try:
        building_id = int(building) if building else None
    except ValueError:
        building_id = None
    with reading(current_engine()) as s:
        totals = population_totals(s, ctx.community_ids)
        pyramid = age_sex(s, ctx.community_ids, ctx.now.year)
        households = households_per_estate(s, ctx.community_ids)
        foreign = foreign_by_country(s, ctx.community_ids)
        languages = foreign_by_language(s, ctx.community_ids)
        care = care_by_tag(s, ctx.community_ids, tuple(CARE_TAGS))
        estates = estate_list(s, ctx.community_ids)
        if building_id is not None and not estate:
            estate = estate_of_building(s, ctx.community_ids, building_id)
        chosen = buildings_of_estate(s, ctx.community_ids, estate) if estate else None
    detail = None
    in_estate = chosen is not None and any(b["id"] == building_id for b in chosen["buildings"])
    if in_estate and ctx.user.role in HOUSEHOLD_ROLES:
        with writing(current_engine()) as s:  # writing: the view of a household list is audited
            detail = building_households(s, ctx.user.id, building_id, ctx.now)

    care_total = next((r["residents"] for r in care if r["tag"] == "elderly_alone"), 0)
    tiles = dbc.Row(
        [
            dbc.Col(kpi_tile("kpi-residents", t("data.residents", lang), f"{totals['residents']:,}", "bi-people"), md=True),
            dbc.Col(kpi_tile("kpi-households", t("data.households", lang), f"{totals['households']:,}", "bi-house"), md=True),
            dbc.Col(kpi_tile("kpi-foreign", t("data.foreign", lang), f"{totals['foreign']:,}", "bi-globe2", "info"), md=True),
            dbc.Col(kpi_tile("kpi-countries", t("data.countries", lang), str(totals["countries"]), "bi-flag", "info"), md=True),
            dbc.Col(kpi_tile("kpi-alone", t("pop.elderly_alone", lang), f"{care_total:,}", "bi-heart", "danger"), md=True),
        ],
        className="g-3 mb-3",
    )  # fmt: skip
    drill = [estate_links(estates, lang, chosen["code"] if chosen else None)]
    if chosen:
        drill.append(estate_panel(chosen, lang, building_id))
    else:
        drill.append(html.P(t("pop.drill_help", lang), className="small text-body-secondary mb-0"))
    if building_id is not None and chosen:
        if detail is not None:
            drill.append(households_table(detail, lang))
        else:
            drill.append(dbc.Alert(t("pop.households_hidden", lang), color="secondary", id="pop-households-hidden"))
    return html.Div(
        [
            page_header(t("data.title", lang), t("data.subtitle", lang)),
            data_tabs("pop", lang, tabs_for(ctx.user.role)),
            tiles,
            dbc.Row(
                [
                    dbc.Col(
                        _chart(
                            "data.pyramid", "data-pyramid", age_pyramid(pyramid, lang), totals["residents"] > 0, lang
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        _chart(
                            "data.by_estate",
                            "data-households",
                            households_by_estate_bar(households, lang),
                            bool(households),
                            lang,
                            t("pop.click_to_drill", lang),
                        ),
                        lg=6,
                    ),
                ],
                className="g-3 mb-3",
            ),  # fmt: skip
            dbc.Card(
                [dbc.CardHeader(t("pop.drill", lang)), dbc.CardBody(html.Div(drill, id="pop-drill"))],
                className="mb-3",
            ),
            dbc.Row(
                [
                    dbc.Col(
                        _chart(
                            "data.by_country",
                            "data-countries",
                            countries_bar(foreign, lang, country_name),
                            bool(foreign),
                            lang,
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        _chart(
                            "pop.by_language", "data-languages", languages_bar(languages, lang), bool(languages), lang
                        ),
                        lg=6,
                    ),
                ],
                className="g-3 mb-3",
            ),  # fmt: skip
            dbc.Row(
                dbc.Col(_chart("pop.care_groups", "data-care", care_bar(care, lang), totals["residents"] > 0, lang)),
                className="g-3",
            ),
            import_card(lang) if ctx.user.role in IMPORT_ROLES else None,
            person_form(lang) if ctx.user.role in EDIT_ROLES else None,
            dcc.Store(id="pop-form-target"),
            html.Div(id="pop-saved", **{"aria-live": "polite"}),
        ]
    )


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("pop-drill", "children"),
        Input("data-households", "clickData"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def drill_to_estate(click):
        """A click on an estate's bar shows its buildings (counts only), without leaving the page."""
        points = (click or {}).get("points") or []
        code = points[0].get("customdata") if points else None
        if not isinstance(code, str):
            return no_update
        page = page_context()
        with reading(current_engine()) as s:
            estate = buildings_of_estate(s, page.community_ids, code)
            estates = estate_list(s, page.community_ids)
        if estate is None:
            return no_update
        return [estate_links(estates, page.lang, code), estate_panel(estate, page.lang, None)]

    @app.callback(
        Output({"type": "pop-person", "rid": MATCH}, "children"),
        Input({"type": "pop-reveal", "rid": MATCH}, "n_clicks"),
        prevent_initial_call=True,
    )
    @guarded(REVEAL_ROLES)
    def reveal(n_clicks):
        rid = (ctx.triggered_id or {}).get("rid")
        if not n_clicks or not isinstance(rid, int):
            return no_update
        page = page_context()
        try:
            with writing(current_engine()) as s:  # writing: the reveal itself is recorded
                person = reveal_resident(s, page.user.id, rid, page.now)
        except PeopleError:
            return no_update
        return [html.Span(person["name"], className="fw-semibold me-2 revealed"),
                html.Span(person["phone"] or "—", className="me-2 revealed")]  # fmt: skip

    @app.callback(
        Output("pop-form", "is_open"),
        Output("pop-form-target", "data"),
        Output("pop-form-title", "children"),
        Output("pop-form-masked", "children"),
        Output("pop-f-resident", "style"),
        Output("pop-f-household", "style"),
        Output("pop-f-name", "value"),
        Output("pop-f-phone", "value"),
        Output("pop-f-clear-phone", "value"),
        Output("pop-f-birth", "value"),
        Output("pop-f-gender", "value"),
        Output("pop-f-nationality", "value"),
        Output("pop-f-languages", "value"),
        Output("pop-f-tags", "value"),
        Output("pop-f-relation", "value"),
        Output("pop-f-size", "value"),
        Output("pop-f-tenure", "value"),
        Output("pop-form-feedback", "children"),
        Input({"type": "pop-edit", "rid": ALL}, "n_clicks"),
        Input({"type": "pop-add", "hid": ALL}, "n_clicks"),
        Input({"type": "pop-hh-edit", "hid": ALL}, "n_clicks"),
        Input("pop-form-cancel", "n_clicks"),
        prevent_initial_call=True,
    )
    @guarded(EDIT_ROLES)
    def open_form(_edit, _add, _hh, _cancel):
        trigger = ctx.triggered_id
        closed = (False, None) + (no_update,) * 16
        if (
            trigger == "pop-form-cancel"
            or not isinstance(trigger, dict)
            or not any((t_.get("value") or 0) for t_ in ctx.triggered)
        ):
            return closed
        page = page_context()
        lang = page.lang
        shown, hidden = {}, {"display": "none"}
        if trigger["type"] == "pop-edit":
            try:
                with reading(current_engine()) as s:
                    r = resident_form(s, page.user.id, trigger["rid"])
            except PeopleError as exc:
                return closed[:17] + (dbc.Alert(t(f"pop.error_{exc.code}", lang), color="danger"),)
            masked = t("pop.editing", lang, name=r["name_masked"], phone=r["phone_masked"] or "—", id=r["external_id"])
            return (True, {"kind": "resident", "id": r["id"]}, t("pop.form_resident", lang), masked, shown, hidden,
                    "", "", False, r["birth_year"], r["gender"], r["nationality"], r["languages"],
                    [x for x in r["care_tags"].split(",") if x], r["relation"], None, None, None)  # fmt: skip
        if trigger["type"] == "pop-add":
            return (True, {"kind": "new", "household_id": trigger["hid"]}, t("pop.form_new", lang), "", shown, hidden,
                    "", "", False, None, "F", "CN", "zh", [], "self", None, None, None)  # fmt: skip
        try:
            with reading(current_engine()) as s:
                h = household_form(s, page.user.id, trigger["hid"])
        except PeopleError as exc:
            return closed[:17] + (dbc.Alert(t(f"pop.error_{exc.code}", lang), color="danger"),)
        masked = t("pop.editing_household", lang, id=h["external_id"], unit=h["unit"], room=h["room"])
        return (True, {"kind": "household", "id": h["id"]}, t("pop.form_household", lang), masked, hidden, shown,
                "", "", False, None, None, None, None, [], None, h["size"], h["tenure"], None)  # fmt: skip

    @app.callback(
        Output("pop-form-feedback", "children", allow_duplicate=True),
        Output("pop-saved", "children"),
        Input("pop-form-save", "n_clicks"),
        State("pop-form-target", "data"),
        State("pop-f-name", "value"),
        State("pop-f-phone", "value"),
        State("pop-f-clear-phone", "value"),
        State("pop-f-birth", "value"),
        State("pop-f-gender", "value"),
        State("pop-f-nationality", "value"),
        State("pop-f-languages", "value"),
        State("pop-f-tags", "value"),
        State("pop-f-relation", "value"),
        State("pop-f-size", "value"),
        State("pop-f-tenure", "value"),
        prevent_initial_call=True,
    )
    @guarded(EDIT_ROLES)
    def save(n_clicks, target, name, phone, clear_phone, birth, gender, nationality, languages, tags, relation,
             size, tenure):  # fmt: skip
        if not n_clicks or not isinstance(target, dict):
            return no_update, no_update
        page = page_context()
        lang = page.lang
        try:
            with writing(current_engine()) as s:
                if target.get("kind") == "household":
                    save_household(s, page.user.id, int(target["id"]), size, tenure or "", page.now)
                else:
                    values = {"name": name or "", "phone": phone or "", "birth_year": str(birth or ""),
                              "gender": gender or "", "nationality": nationality or "", "languages": languages or "",
                              "care_tags": ",".join(tags or []), "relation": relation or "",
                              "clear_phone": bool(clear_phone)}  # fmt: skip
                    if target.get("kind") == "resident":
                        values["id"] = int(target["id"])
                    else:
                        values["household_id"] = int(target.get("household_id") or 0)
                    save_resident(s, page.user.id, values, page.now)
        except PeopleError as exc:
            field = t(f"pop.field_{exc.field}", lang) + ": " if exc.field else ""
            return dbc.Alert(field + t(f"pop.error_{exc.code}", lang), color="danger", id="pop-form-error"), no_update
        except (TypeError, ValueError):
            return dbc.Alert(t("pop.error_bad_number", lang), color="danger", id="pop-form-error"), no_update
        return (dbc.Alert(t("pop.saved", lang), color="success", id="pop-form-ok"),
                dbc.Alert(t("pop.saved_reload", lang), color="success", dismissable=True, className="mt-3"))  # fmt: skip

    @app.callback(
        Output("pop-import-result", "children"),
        Input("pop-import-upload", "contents"),
        State("pop-import-upload", "filename"),
        State("pop-import-kind", "value"),
        prevent_initial_call=True,
    )
    @guarded(IMPORT_ROLES)
    def run_import(contents, filename, kind):
        page = page_context()
        data = decode_upload(contents)
        try:
            with writing(current_engine()) as s:  # one transaction: a bad file changes nothing
                outcome = import_people(s, page.user.id, kind, data, filename, page.now)
        except PeopleError:
            outcome = {"error": "forbidden"}
        return import_result(outcome, page.lang, filename)
