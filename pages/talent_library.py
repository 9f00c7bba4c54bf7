"""The talent library (人才库): everyone in the 360 library with their specialties, languages, free
half-days and load. The secretary and administrators add, edit and retire people and add specialties;
contacts stay masked except for the roles that phone people, who may reveal one (audited). Every write
is checked again on the server (`data_access.talent`)."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update
from dash import ctx as dash_ctx

from auth.context import current_engine
from auth.guard import ALL_ROLES, guarded
from components.charts import GRAPH_CONFIG, talent_bar
from components.common import page_header
from components.services import library_grid, library_rows, section_tabs
from data_access.db import reading, writing
from data_access.scope import community_names
from data_access.services import specialty_names
from data_access.talent import (
    TalentInput,
    TalentInputError,
    add_specialty,
    reveal_talent_contact,
    save_talent,
    set_active,
    talent_by_specialty,
    talent_record,
)
from data_access.talent import (
    library_rows as talent_rows,
)
from domain.catalog import TALENT_TEAMS
from domain.languages import LANGUAGE_NAMES, language_name
from domain.services import CONTACT_ROLES, LIBRARY_ROLES, WEEKDAYS, ServiceError
from i18n import pick, t
from pages._context import PageContext, page_context

PAGE = {"path": "/services/library", "roles": ALL_ROLES, "order": 4.3, "title_key": "svcq.tab.library"}
FIELDS = ("name", "team", "specialties", "languages", *(f"avail-{d}" for d in WEEKDAYS), "load_limit", "contact",
          "bio_zh", "bio_en", "community")  # fmt: skip


def layout(ctx: PageContext, **_kwargs):
    lang = ctx.lang
    with reading(current_engine()) as s:
        rows = talent_rows(s, ctx.community_ids)
        names = specialty_names(s)
        by_specialty = talent_by_specialty(s, ctx.community_ids)
        communities = list(zip(sorted(ctx.community_ids), community_names(s, ctx.community_ids), strict=True))
    teams = dict(TALENT_TEAMS)
    keeper = ctx.user.role in LIBRARY_ROLES
    selected = html.Div(
        [
            html.Span(t("lib.selected_none", lang), id="lib-selected-name", className="me-3"),
            html.Span(id="lib-selected-contact", className="me-2"),
            dbc.Button(t("svcq.reveal", lang), id="lib-reveal", size="sm", color="link", className="p-0",
                       n_clicks=0, disabled=True) if ctx.user.role in CONTACT_ROLES else None,
        ],
        className="small mb-2",
        id="lib-selected",
    )  # fmt: skip
    left = dbc.Card(
        [
            dbc.CardHeader(t("svc.library", lang)),
            dbc.CardBody(
                [
                    dbc.Switch(id="lib-show-retired", value=False, label=t("lib.show_retired", lang)),
                    selected,
                    library_grid("lib-grid", lang, library_rows(rows, lang, names, teams)),
                ]
            ),
        ]
    )  # fmt: skip
    chart = dbc.Card(
        [dbc.CardHeader(t("svc.by_specialty", lang)),
         dbc.CardBody(dcc.Graph(id="lib-specialty-chart", figure=talent_bar(by_specialty, lang), config=GRAPH_CONFIG))],
    )  # fmt: skip
    below = (
        [dbc.Col(_form(lang, names, communities), xl=7), dbc.Col([chart, _specialty_form(lang)], xl=5)]
        if keeper
        else [dbc.Col(chart, xl=7)]
    )
    return html.Div(
        [
            page_header(t("svc.title", lang), t("svc.subtitle", lang, n=sum(1 for r in rows if r["active"]))),
            section_tabs("library", lang),
            dcc.Store(id="lib-id", data=None),
            dcc.Store(id="lib-refresh", data=0),
            left,
            dbc.Row(below, className="g-3 mt-0"),
        ]
    )


def _form(lang: str, names: dict, communities: list) -> dbc.Card:  # noqa: ANN001
    def field(field_id: str, label_key: str, control, help_key: str | None = None) -> html.Div:  # noqa: ANN001
        return html.Div(
            [dbc.Label(t(label_key, lang), html_for=field_id), control,
             dbc.FormText(t(help_key, lang)) if help_key else None],
            className="mb-2",
        )  # fmt: skip

    team_names = list(dict.fromkeys(zh for zh, _en in TALENT_TEAMS))
    languages = sorted(LANGUAGE_NAMES, key=lambda c: (c not in ("zh", "en"), language_name(c, "en")))
    availability = html.Fieldset(
        [html.Legend(t("lib.availability", lang), className="form-label fs-6 mb-1"),
         dbc.FormText(t("lib.availability_help", lang), className="d-block mb-1")]
        + [dbc.InputGroup([html.Label(t(f"svcreq.day.{d}", lang), htmlFor=f"lib-avail-{d}",
                                      className="input-group-text", style={"width": "4.2rem"}),
                           dbc.Input(id=f"lib-avail-{d}", maxLength=80)],
                          size="sm", className="mb-1") for d in WEEKDAYS],
        className="mb-2",
    )  # fmt: skip
    return dbc.Card(
        [
            dbc.CardHeader(html.Span(t("lib.form_new", lang), id="lib-form-title")),
            dbc.CardBody(
                [
                    field("lib-name", "lib.name", dbc.Input(id="lib-name", maxLength=80)),
                    field("lib-team", "lib.team",
                          html.Div([dbc.Input(id="lib-team", maxLength=80, list="lib-team-list"),
                                    html.Datalist([html.Option(value=n) for n in team_names], id="lib-team-list")]),
                          "lib.team_help"),
                    field("lib-specialties", "lib.specialties",
                          dcc.Dropdown(id="lib-specialties", multi=True,
                                       options=[{"label": pick(lang, zh, en), "value": c} for c, (zh, en) in names.items()]),
                          "lib.specialties_help"),
                    field("lib-languages", "lib.languages",
                          dcc.Dropdown(id="lib-languages", multi=True,
                                       options=[{"label": language_name(c, lang), "value": c} for c in languages]),
                          "lib.languages_help"),
                    availability,
                    field("lib-load_limit", "lib.load_limit",
                          dbc.Input(id="lib-load_limit", type="number", min=1, max=20, step=1, value=3),
                          "lib.load_limit_help"),
                    field("lib-contact", "lib.contact", dbc.Input(id="lib-contact", maxLength=64),
                          "lib.contact_help"),
                    field("lib-bio_zh", "lib.bio_zh", dbc.Input(id="lib-bio_zh", maxLength=300)),
                    field("lib-bio_en", "lib.bio_en", dbc.Input(id="lib-bio_en", maxLength=300)),
                    html.Div(
                        field("lib-community", "lib.community",
                              dcc.Dropdown(id="lib-community", clearable=False,
                                           options=[{"label": pick(lang, zh, en), "value": cid}
                                                    for cid, (zh, en) in communities],
                                           value=communities[0][0] if communities else None)),
                        hidden=len(communities) < 2,
                    ),
                    html.Div(id="lib-feedback", **{"aria-live": "polite"}),
                    html.Div(
                        [
                            dbc.Button(t("lib.save", lang), id="lib-save", color="primary", n_clicks=0),
                            dbc.Button(t("lib.new", lang), id="lib-new", color="secondary", outline=True,
                                       n_clicks=0),
                            dbc.Button(t("lib.retire", lang), id="lib-retire", color="danger", outline=True,
                                       n_clicks=0, disabled=True, className="ms-auto"),
                        ],
                        className="d-flex gap-2 mt-2",
                    ),
                ]
            ),
        ],
        id="lib-form",
    )  # fmt: skip


def _specialty_form(lang: str) -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(t("lib.spec_title", lang)),
            dbc.CardBody(
                [
                    dbc.FormText(t("lib.spec_help", lang), className="d-block mb-2"),
                    dbc.Row(
                        [
                            dbc.Col([dbc.Label(t("lib.spec_code", lang), html_for="lib-spec-code"),
                                     dbc.Input(id="lib-spec-code", maxLength=40)], md=4),
                            dbc.Col([dbc.Label(t("lib.spec_zh", lang), html_for="lib-spec-zh"),
                                     dbc.Input(id="lib-spec-zh", maxLength=80)], md=4),
                            dbc.Col([dbc.Label(t("lib.spec_en", lang), html_for="lib-spec-en"),
                                     dbc.Input(id="lib-spec-en", maxLength=120)], md=4),
                        ],
                        className="g-2 mb-2",
                    ),
                    html.Div(id="lib-spec-feedback", **{"aria-live": "polite"}),
                    dbc.Button(t("lib.spec_add", lang), id="lib-spec-add", color="primary", outline=True,
                               n_clicks=0),
                ]
            ),
        ],
        className="mt-3",
        id="lib-spec-form",
    )  # fmt: skip


def _errors(problems: list[tuple[str, str]], lang: str) -> dbc.Alert:
    return dbc.Alert(
        [html.Div(t(f"lib.error.{code}", lang), **{"data-field": field}) for field, code in problems],
        color="danger", className="py-2 small", id="lib-errors",
    )  # fmt: skip


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("lib-grid", "rowData"),
        Input("lib-show-retired", "value"),
        Input("lib-refresh", "data"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def refresh(show_retired, _refresh):
        ctx = page_context()
        with reading(current_engine()) as s:
            rows = talent_rows(s, ctx.community_ids, include_retired=show_retired is True)
            names = specialty_names(s)
        return library_rows(rows, ctx.lang, names, dict(TALENT_TEAMS))

    @app.callback(
        Output("lib-id", "data"),
        Output("lib-selected-name", "children"),
        Output("lib-selected-contact", "children"),
        Input("lib-grid", "selectedRows"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def select(selected):
        ctx = page_context()
        row = selected[0] if isinstance(selected, list) and selected and isinstance(selected[0], dict) else {}
        talent_id = row.get("id")
        record = None
        if isinstance(talent_id, int) and not isinstance(talent_id, bool):
            with reading(current_engine()) as s:
                record = talent_record(s, ctx.community_ids, talent_id)
        if record is None:
            return None, t("lib.selected_none", ctx.lang), ""
        return record["id"], t("lib.selected", ctx.lang, name=record["name"]), record["contact_masked"]

    @app.callback(Output("lib-reveal", "disabled"), Input("lib-id", "data"))
    @guarded(CONTACT_ROLES)
    def reveal_ready(talent_id):
        return not isinstance(talent_id, int)

    @app.callback(
        Output("lib-selected-contact", "children", allow_duplicate=True),
        Input("lib-reveal", "n_clicks"),
        State("lib-id", "data"),
        prevent_initial_call=True,
    )
    @guarded(CONTACT_ROLES)
    def reveal(n_clicks, talent_id):
        if not n_clicks or not isinstance(talent_id, int):
            return no_update
        ctx = page_context()
        with writing(current_engine()) as s:  # writing: the reveal itself is recorded
            contact = reveal_talent_contact(s, ctx.user.id, talent_id, ctx.now)
        return contact if contact is not None else no_update

    @app.callback(
        Output("lib-form-title", "children"),
        *(Output(f"lib-{f}", "value") for f in FIELDS if f != "community"),
        Output("lib-contact", "placeholder"),
        Output("lib-retire", "children"),
        Output("lib-retire", "disabled"),
        Input("lib-id", "data"),
        Input("lib-new", "n_clicks"),
        prevent_initial_call=True,
    )
    @guarded(LIBRARY_ROLES)
    def fill_form(talent_id, _new):
        ctx = page_context()
        lang = ctx.lang
        record = None
        if dash_ctx.triggered_id == "lib-id" and isinstance(talent_id, int):
            with reading(current_engine()) as s:
                record = talent_record(s, ctx.community_ids, talent_id)
        if record is None:
            blank = ["" if f not in ("specialties", "languages") else [] for f in FIELDS if f != "community"]
            blank[FIELDS.index("load_limit")] = 3
            return (t("lib.form_new", lang), *blank, "", t("lib.retire", lang), True)
        values = {
            "name": record["name"], "team": record["team"], "specialties": record["specialties"],
            "languages": record["languages"], "load_limit": record["load_limit"], "contact": "",
            "bio_zh": record["bio_zh"] or "", "bio_en": record["bio_en"] or "",
            **{f"avail-{d}": ", ".join(record["availability"].get(d, [])) for d in WEEKDAYS},
        }  # fmt: skip
        return (
            t("lib.form_edit", lang, name=record["name"]),
            *(values[f] for f in FIELDS if f != "community"),
            t("lib.contact_keep", lang, masked=record["contact_masked"] or "—"),
            t("lib.retire" if record["active"] else "lib.reactivate", lang),
            False,
        )  # fmt: skip

    @app.callback(
        Output("lib-id", "data", allow_duplicate=True),
        Output("lib-grid", "selectedRows"),
        Output("lib-feedback", "children"),
        Input("lib-new", "n_clicks"),
        prevent_initial_call=True,
    )
    @guarded(LIBRARY_ROLES)
    def start_new(n_clicks):
        """A blank form for a new person: nobody selected, so saving adds rather than edits."""
        return (None, [], None) if n_clicks else (no_update, no_update, no_update)

    @app.callback(
        Output("lib-feedback", "children", allow_duplicate=True),
        Output("lib-refresh", "data"),
        Output("lib-id", "data", allow_duplicate=True),
        Input("lib-save", "n_clicks"),
        Input("lib-retire", "n_clicks"),
        State("lib-id", "data"),
        State("lib-refresh", "data"),
        *(State(f"lib-{f}", "value") for f in FIELDS),
        prevent_initial_call=True,
    )
    @guarded(LIBRARY_ROLES)
    def write(_save, _retire, talent_id, refresh, *values):
        ctx = page_context()
        lang = ctx.lang
        talent_id = talent_id if isinstance(talent_id, int) and not isinstance(talent_id, bool) else None
        counter = (refresh if isinstance(refresh, int) else 0) + 1
        v = dict(zip(FIELDS, values, strict=True))
        try:
            with writing(current_engine()) as s:
                if dash_ctx.triggered_id == "lib-retire":
                    if talent_id is None:
                        return no_update, no_update, no_update
                    record = talent_record(s, ctx.community_ids, talent_id)
                    active = not (record and record["active"])
                    set_active(s, ctx.user.id, talent_id, active, ctx.now)
                    message = t("lib.done_reactivated" if active else "lib.done_retired", lang)
                    saved = talent_id
                else:
                    values_in = TalentInput(
                        community_id=v["community"] if isinstance(v["community"], int) else None,
                        name=_text(v["name"]), team=_text(v["team"]), specialties=tuple(_list(v["specialties"])),
                        languages=tuple(_list(v["languages"])), load_limit=_whole(v["load_limit"]), contact=_text(v["contact"]),
                        availability={d: _text(v[f"avail-{d}"]) for d in WEEKDAYS}, bio_zh=_text(v["bio_zh"]),
                        bio_en=_text(v["bio_en"]),
                    )  # fmt: skip
                    saved = save_talent(s, ctx.user.id, values_in, ctx.now, talent_id)
                    message = t("lib.done_saved" if talent_id else "lib.done_added", lang)
        except TalentInputError as exc:
            return _errors(exc.problems, lang), no_update, no_update
        except ServiceError as exc:
            return _errors([("form", exc.code)], lang), no_update, no_update
        # the selection is set again, so the form shows what was stored (and Retire / Bring back fits)
        return dbc.Alert(message, color="success", className="py-2 small", id="lib-done"), counter, saved

    @app.callback(
        Output("lib-spec-feedback", "children"),
        Output("lib-specialties", "options"),
        Input("lib-spec-add", "n_clicks"),
        State("lib-spec-code", "value"),
        State("lib-spec-zh", "value"),
        State("lib-spec-en", "value"),
        prevent_initial_call=True,
    )
    @guarded(LIBRARY_ROLES)
    def new_specialty(n_clicks, code, name_zh, name_en):
        if not n_clicks:
            return no_update, no_update
        ctx = page_context()
        try:
            with writing(current_engine()) as s:
                added = add_specialty(s, ctx.user.id, _text(code), _text(name_zh), _text(name_en), ctx.now)
        except TalentInputError as exc:
            return _errors(exc.problems, ctx.lang), no_update
        except ServiceError as exc:
            return _errors([("form", exc.code)], ctx.lang), no_update
        with reading(current_engine()) as s:
            names = specialty_names(s)
        options = [{"label": pick(ctx.lang, zh, en), "value": c} for c, (zh, en) in names.items()]
        return dbc.Alert(t("lib.spec_added", ctx.lang, code=added), color="success", className="py-2 small"), options


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def _list(value: object) -> list[str]:
    return [x for x in value if isinstance(x, str)] if isinstance(value, list) else []


def _whole(value: object) -> object:
    """A number field's value as the int it shows (3.0 -> 3); anything else as it came."""
    return int(value) if isinstance(value, float) and value.is_integer() else value
