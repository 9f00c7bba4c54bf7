"""The data module's shared pieces and the population page's figures and tables (pure: data in,
Dash components and figures out). Personal data arrives here already masked; user text is rendered
as text, never as HTML or markdown."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from components.charts import _base
from domain.countries import country_name
from domain.languages import language_name
from domain.people import CARE_TAGS, RELATIONS, TENURES
from i18n import pick, t

TAB_PAGES = (
    ("pop", "/data", "bi-people"),
    ("devices", "/data/devices", "bi-cpu"),
    ("access", "/data/access", "bi-door-open"),
    ("welfare", "/data/welfare", "bi-heart-pulse"),
    ("audit", "/data/audit", "bi-journal-text"),
)


def tabs_for(role: str) -> set[str]:
    """The data module's pages a role may open (each page checks its own roles on the server too)."""
    tabs = {"pop", "devices", "access"}
    if role in ("grid_worker", "grid_leader", "secretary"):
        tabs.add("welfare")
    if role == "admin":
        tabs.add("audit")
    return tabs


def data_tabs(active: str, lang: str, allowed: set[str]) -> dbc.Nav:
    """The data module's sub-pages the caller may open (`allowed`: tab names), the current one marked."""
    return dbc.Nav(
        [
            dbc.NavItem(
                dbc.NavLink(
                    [html.I(className=f"bi {icon} me-1", **{"aria-hidden": "true"}), t(f"pop.tab_{name}", lang)],
                    href=path,
                    active=name == active,
                    id=f"data-tab-{name}",
                )
            )
            for name, path, icon in TAB_PAGES
            if name in allowed
        ],
        pills=True,
        className="mb-3",
        id="data-tabs",
    )


def tag_label(tag: str, lang: str) -> str:
    names = CARE_TAGS.get(tag)
    return pick(lang, *names) if names else tag


def languages_bar(rows: list[dict], lang: str) -> go.Figure:
    rows = rows[:15]
    fig = go.Figure(
        go.Bar(
            x=[r["residents"] for r in rows][::-1],
            y=[language_name(r["language"], lang) for r in rows][::-1],
            orientation="h",
            marker_color="#6a4c93",
            hovertemplate="%{y}: %{x}<extra></extra>",
        )
    )
    fig.update_layout(xaxis={"title": t("data.residents", lang)})
    return _base(fig, height=max(300, 22 * len(rows) + 80))


def care_bar(rows: list[dict], lang: str) -> go.Figure:
    fig = go.Figure(
        go.Bar(
            x=[tag_label(r["tag"], lang) for r in rows],
            y=[r["residents"] for r in rows],
            text=[r["residents"] for r in rows],
            textposition="outside",
            marker_color="#c0392b",
            customdata=[r["tag"] for r in rows],
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    fig.update_layout(yaxis={"title": t("data.residents", lang)})
    return _base(fig, height=320)


def households_by_estate_bar(rows: list[dict], lang: str) -> go.Figure:
    """Households per estate; each bar carries its estate code so a click drills down to its buildings."""
    fig = go.Figure(
        go.Bar(
            x=[pick(lang, r["name_zh"], r["name_en"]) for r in rows],
            y=[r["households"] for r in rows],
            text=[r["households"] for r in rows],
            textposition="outside",
            customdata=[r["code"] for r in rows],
            marker_color="#3b6fb6",
            hovertemplate="%{x}: %{y}<extra></extra>",
        )
    )
    fig.update_layout(yaxis={"title": t("data.households", lang)}, clickmode="event")
    return _base(fig)


def buildings_bar(estate: dict, lang: str) -> go.Figure:
    rows = estate["buildings"]
    names = [pick(lang, b["name_zh"], b["name_en"]) for b in rows]
    fig = go.Figure(
        [
            go.Bar(x=names, y=[b["households"] for b in rows], name=t("data.households", lang),
                   marker_color="#3b6fb6", hovertemplate="%{x}: %{y}<extra></extra>"),
            go.Bar(x=names, y=[b["residents"] for b in rows], name=t("data.residents", lang),
                   marker_color="#9cc5a1", hovertemplate="%{x}: %{y}<extra></extra>"),
        ]
    )  # fmt: skip
    fig.update_layout(barmode="group")
    return _base(fig, height=300)


def estate_panel(estate: dict, lang: str, selected_building: int | None) -> html.Div:
    """An estate's buildings: a chart and a table whose rows open the building's households."""
    head = html.Thead(
        html.Tr([html.Th(t(k, lang)) for k in ("pop.building", "data.households", "data.residents", "data.foreign",
                                                 "pop.care_people", "pop.floors_units")])
    )  # fmt: skip
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(html.A(pick(lang, b["name_zh"], b["name_en"]),
                                   href=f"/data?estate={estate['code']}&building={b['id']}")),
                    html.Td(str(b["households"])),
                    html.Td(str(b["residents"])),
                    html.Td(str(b["foreign"])),
                    html.Td(str(b["care"])),
                    html.Td(f"{b['floors']} / {b['units']}"),
                ],
                className="table-active" if b["id"] == selected_building else None,
            )
            for b in estate["buildings"]
        ]
    )  # fmt: skip
    return html.Div(
        [
            html.H2(t("pop.estate_buildings", lang, estate=pick(lang, estate["name_zh"], estate["name_en"])),
                    className="h6"),
            dcc.Graph(id="pop-buildings-chart", figure=buildings_bar(estate, lang),
                      config={"displaylogo": False, "responsive": True}),
            dbc.Table([head, body], size="sm", hover=True, id="pop-buildings-table", className="mt-2"),
        ],
        id="pop-estate-panel",
    )  # fmt: skip


def estate_links(estates: list[dict], lang: str, selected: str | None) -> html.Div:
    return html.Div(
        [html.Span(t("pop.pick_estate", lang), className="me-2 small text-body-secondary")]
        + [
            dbc.Button(pick(lang, e["name_zh"], e["name_en"]), href=f"/data?estate={e['code']}", size="sm",
                       color="primary" if e["code"] == selected else "outline-primary", className="me-1 mb-1",
                       external_link=False, id=f"pop-estate-{e['code']}")
            for e in estates
        ],
        className="mb-2",
    )  # fmt: skip


def _member_line(m: dict, lang: str, may_reveal: bool, may_edit: bool) -> html.Li:
    tags = [dbc.Badge(tag_label(tag, lang), color="light", text_color="dark", className="me-1")
            for tag in (m["care_tags"] or "").split(",") if tag]  # fmt: skip
    relation = RELATIONS.get(m["relation"])
    facts = " · ".join(
        x
        for x in (
            pick(lang, *relation) if relation else m["relation"],
            t(f"pop.gender_{m['gender']}", lang),
            t("pop.age_band", lang, band=m["age_band"]),
            country_name(m["nationality"], lang),
            ", ".join(language_name(code, lang) for code in (m["languages"] or "").split(",") if code),
        )
        if x
    )
    person = html.Span(
        [html.Span(m["name"], className="fw-semibold me-2"), html.Span(m["phone"] or "—", className="me-2")],
        id={"type": "pop-person", "rid": m["id"]},
    )
    buttons = []
    if may_reveal:
        buttons.append(dbc.Button(t("pop.reveal", lang), id={"type": "pop-reveal", "rid": m["id"]}, size="sm",
                                  color="link", className="p-0 me-2 align-baseline", n_clicks=0))  # fmt: skip
    if may_edit:
        buttons.append(dbc.Button(t("pop.edit", lang), id={"type": "pop-edit", "rid": m["id"]}, size="sm",
                                  color="link", className="p-0 align-baseline", n_clicks=0))  # fmt: skip
    return html.Li(
        [person, *buttons, html.Div([html.Span(facts, className="small text-body-secondary me-2"), *tags])],
        className="mb-1",
    )


def households_table(detail: dict, lang: str) -> html.Div:
    """A building's households and members, masked; reveal and edit buttons only where allowed (the
    server checks again on every click)."""
    rows = []
    for h in detail["households"]:
        tenure = TENURES.get(h["tenure"])
        rows.append(
            html.Tr(
                [
                    html.Td(f"{h['unit']}-{h['room']}", className="text-nowrap"),
                    html.Td([html.Div(str(h["size"])), html.Div(pick(lang, *tenure) if tenure else h["tenure"],
                                                                className="small text-body-secondary")]),
                    html.Td(html.Ul([_member_line(m, lang, detail["may_reveal"], detail["may_edit"])
                                     for m in h["members"]], className="list-unstyled mb-0")),
                    (html.Td(
                        [
                            dbc.Button(t("pop.edit_household", lang), id={"type": "pop-hh-edit", "hid": h["id"]},
                                       size="sm", color="link", className="p-0 d-block", n_clicks=0),
                            dbc.Button(t("pop.add_member", lang), id={"type": "pop-add", "hid": h["id"]}, size="sm",
                                       color="link", className="p-0 d-block", n_clicks=0),
                        ],
                        className="text-nowrap",
                    ) if detail["may_edit"] else None),
                ]
            )
        )  # fmt: skip
    keys = ("pop.unit_room", "pop.size_tenure", "pop.members") + (("pop.edit",) if detail["may_edit"] else ())
    head = html.Thead(html.Tr([html.Th(t(k, lang)) for k in keys]))
    title = t("pop.building_households", lang, building=pick(lang, detail["building_zh"], detail["building_en"]),
              estate=pick(lang, detail["estate_zh"], detail["estate_en"]), n=len(detail["households"]))  # fmt: skip
    note = t("pop.masked_note_reveal" if detail["may_reveal"] else "pop.masked_note", lang)
    return html.Div(
        [
            html.H2(title, className="h6"),
            html.P(note, className="small text-body-secondary"),
            html.Div(
                dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, id="pop-households-table"),
                className="data-scroll table-responsive",
            ),
        ],
        id="pop-households",
    )


def import_result(outcome: dict, lang: str, filename: str | None) -> dbc.Alert:
    name = filename or ""
    if "error" in outcome:
        return dbc.Alert(t(f"pop.import_error_{outcome['error']}", lang, name=name), color="danger",
                         id="pop-import-error")  # fmt: skip
    if "errors" in outcome:
        errors = outcome["errors"]
        items = [
            html.Li(t("pop.import_row", lang, row=e.row, field=t(f"pop.field_{e.field}", lang),
                      problem=t(f"pop.problem_{e.code}", lang)))
            for e in errors[:30]
        ]  # fmt: skip
        return dbc.Alert(
            [html.Strong(t("pop.import_rejected", lang, name=name, n=len(errors))), html.Ul(items, className="mb-0")],
            color="danger",
            id="pop-import-errors",
        )
    return dbc.Alert(
        t("pop.import_done", lang, name=name, created=outcome["created"], updated=outcome["updated"],
          unchanged=outcome["unchanged"]),
        color="success",
        id="pop-import-done",
    )  # fmt: skip


def person_form(lang: str) -> dbc.Modal:
    """One dialog for editing a resident, adding one to a household, or editing a household. Name and
    phone start empty: an edit may replace them but never shows them."""

    def field(label_key: str, control, help_key: str | None = None) -> html.Div:
        return html.Div(
            [dbc.Label(t(label_key, lang), html_for=control.id), control,
             html.Div(t(help_key, lang), className="form-text") if help_key else None],
            className="mb-2",
        )  # fmt: skip

    def options(table: dict) -> list[dict]:
        return [{"label": pick(lang, *names), "value": code} for code, names in table.items()]

    resident_fields = html.Div(
        [
            field("pop.field_name", dbc.Input(id="pop-f-name", maxLength=120), "pop.keep_help"),
            field("pop.field_phone", dbc.Input(id="pop-f-phone", maxLength=32), "pop.keep_help"),
            dbc.Checkbox(id="pop-f-clear-phone", label=t("pop.clear_phone", lang), value=False, className="mb-2"),
            dbc.Row(
                [
                    dbc.Col(field("pop.field_birth_year", dbc.Input(id="pop-f-birth", type="number", min=1900))),
                    dbc.Col(field("pop.field_gender", dbc.Select(id="pop-f-gender", options=[
                        {"label": t("pop.gender_F", lang), "value": "F"},
                        {"label": t("pop.gender_M", lang), "value": "M"}]))),
                    dbc.Col(field("pop.field_nationality", dbc.Input(id="pop-f-nationality", maxLength=2))),
                ]
            ),
            field("pop.field_languages", dbc.Input(id="pop-f-languages", maxLength=80), "pop.languages_help"),
            field("pop.field_care_tags", dbc.Checklist(id="pop-f-tags", options=options(CARE_TAGS), inline=True)),
            field("pop.field_relation", dbc.Select(id="pop-f-relation", options=options(RELATIONS))),
        ],
        id="pop-f-resident",
    )  # fmt: skip
    household_fields = html.Div(
        [
            field("pop.field_size", dbc.Input(id="pop-f-size", type="number", min=1, max=30)),
            field("pop.field_tenure", dbc.Select(id="pop-f-tenure", options=options(TENURES))),
        ],
        id="pop-f-household",
        style={"display": "none"},
    )
    return dbc.Modal(
        [
            dbc.ModalHeader(dbc.ModalTitle(t("pop.form_title", lang), id="pop-form-title")),
            dbc.ModalBody(
                [
                    html.Div(id="pop-form-masked", className="small text-body-secondary mb-2"),
                    resident_fields,
                    household_fields,
                    html.Div(id="pop-form-feedback"),
                ]
            ),  # fmt: skip
            dbc.ModalFooter(
                [
                    dbc.Button(t("pop.cancel", lang), id="pop-form-cancel", color="secondary", n_clicks=0),
                    dbc.Button(t("pop.save", lang), id="pop-form-save", color="primary", n_clicks=0),
                ]
            ),
        ],
        id="pop-form",
        is_open=False,
    )


def import_card(lang: str) -> dbc.Card:
    return dbc.Card(
        [
            dbc.CardHeader(t("pop.import", lang)),
            dbc.CardBody(
                [
                    html.P(t("pop.import_help", lang), className="small text-body-secondary"),
                    html.P(t("pop.import_columns_households", lang), className="small font-monospace mb-1"),
                    html.P(t("pop.import_columns_residents", lang), className="small font-monospace"),
                    dbc.RadioItems(
                        id="pop-import-kind",
                        options=[
                            {"label": t("pop.import_households", lang), "value": "households"},
                            {"label": t("pop.import_residents", lang), "value": "residents"},
                        ],
                        value="households",
                        inline=True,
                        className="mb-2",
                    ),  # fmt: skip
                    dcc.Upload(
                        id="pop-import-upload",
                        children=html.Div([html.I(className="bi bi-upload me-2"), t("pop.import_drop", lang)]),
                        className="upload-zone",
                        accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                        max_size=5 * 1024 * 1024,
                    ),
                    dcc.Loading(html.Div(id="pop-import-result", className="mt-2", **{"aria-live": "polite"})),
                ]
            ),
        ],
        className="mt-3",
        id="pop-import-card",
    )
