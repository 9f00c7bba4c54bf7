"""The staff report form (登记事件): a problem staff found or were told about becomes a case like any
other — graded from its text (the suggestion updates as they type), placed, linked to an open case
nearby if there is one, and sent to the grid worker."""

from __future__ import annotations

import uuid

import dash_bootstrap_components as dbc
from dash import Input, Output, State, dcc, html, no_update

from auth.context import current_config, current_engine
from auth.guard import guarded
from components.case_actions import photo_error_text, photo_upload
from components.common import page_header
from data_access.cases import filter_options
from data_access.db import reading, writing
from data_access.grading import classify_report
from data_access.intake import IntakeError, Report, estates_and_buildings, submit_report
from data_access.photos import store_uploaded_photos
from domain.catalog import CATEGORY_BY_CODE
from domain.photos import MAX_PHOTOS_PER_REPORT, PhotoError
from domain.workflow import REPORTING_ROLES
from i18n import pick, t
from pages._context import PageContext, page_context

PAGE = {"path": "/governance/new", "roles": REPORTING_ROLES, "order": 4}


def layout(ctx: PageContext, **_kwargs):
    lang = ctx.lang
    with reading(current_engine()) as s:
        categories = filter_options(s, ctx.community_ids)["categories"]
        places = estates_and_buildings(s, ctx.community_ids)

    def field(label_key: str, control, html_for: str):  # noqa: ANN001
        return html.Div([dbc.Label(t(label_key, lang), html_for=html_for), control], className="mb-3")

    form = dbc.Card(
        dbc.CardBody(
            [
                # one id per rendering of the form: a double click or a retry opens one case, not two
                dcc.Store(id="newcase-submission", data=uuid.uuid4().hex),
                field(
                    "newcase.text",
                    dbc.Textarea(id="newcase-text", rows=4, maxLength=4000, debounce=True,
                                 placeholder=t("newcase.text_placeholder", lang)),
                    "newcase-text",
                ),
                html.Div(id="newcase-suggestion", className="mb-3", **{"aria-live": "polite"}),
                field(
                    "newcase.category",
                    dcc.Dropdown(
                        id="newcase-category",
                        options=[{"label": pick(lang, c["name_zh"], c["name_en"]), "value": c["code"]}
                                 for c in categories],
                        placeholder=t("newcase.category_auto", lang),
                    ),
                    "newcase-category",
                ),
                dbc.Row(
                    [
                        dbc.Col(
                            field(
                                "newcase.estate",
                                dcc.Dropdown(
                                    id="newcase-estate",
                                    options=[{"label": pick(lang, e["name_zh"], e["name_en"]), "value": e["id"]}
                                             for e in places],
                                    placeholder=t("newcase.choose", lang),
                                ),
                                "newcase-estate",
                            ),
                            md=6,
                        ),
                        dbc.Col(field("newcase.building", dcc.Dropdown(id="newcase-building", options=[],
                                                                   placeholder=t("newcase.choose", lang)),
                                      "newcase-building"), md=6),
                    ]
                ),
                dcc.Store(id="newcase-places", data=places),
                field("newcase.contact", dbc.Input(id="newcase-contact", maxLength=120), "newcase-contact"),
                field(
                    "newcase.photos",
                    photo_upload("newcase-photos", lang),
                    "newcase-photos",
                ),
                html.Div(id="newcase-photos-chosen", className="form-text mb-3"),
                dbc.Button(t("newcase.submit", lang), id="newcase-submit", color="primary", n_clicks=0),
                html.Div(id="newcase-result", className="mt-3"),
            ]
        )
    )  # fmt: skip
    return html.Div(
        [
            html.A(["← ", t("case.back", lang)], href="/governance", className="small"),
            page_header(t("newcase.title", lang), t("newcase.subtitle", lang)),
            dbc.Row(dbc.Col(form, lg=8)),
        ]
    )


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("newcase-building", "options"),
        Output("newcase-building", "value"),
        Input("newcase-estate", "value"),
        State("newcase-places", "data"),
    )
    @guarded(REPORTING_ROLES)
    def buildings_of(estate_id, _places):
        # the buildings come from the server, in the caller's scope, never from the page's store
        ctx = page_context()
        lang = ctx.lang
        with reading(current_engine()) as s:
            places = estates_and_buildings(s, ctx.community_ids)
        estate = next((e for e in places if e["id"] == estate_id), None)
        options = [
            {"label": pick(lang, b["name_zh"], b["name_en"]), "value": b["id"]}
            for b in (estate or {}).get("buildings", [])
        ]
        return options, None

    @app.callback(Output("newcase-photos-chosen", "children"), Input("newcase-photos", "filename"),
                  prevent_initial_call=True)  # fmt: skip
    @guarded(REPORTING_ROLES)
    def photos_chosen(filenames):
        return t("wf.photos_chosen", page_context().lang, n=len(filenames or []))

    @app.callback(Output("newcase-suggestion", "children"), Input("newcase-text", "value"), State("newcase-category", "value"),
                  prevent_initial_call=True)  # fmt: skip
    @guarded(REPORTING_ROLES)
    def suggest(text, category):
        ctx = page_context()
        if not isinstance(text, str) or not text.strip():
            return None
        category = category if isinstance(category, str) else None
        grading = classify_report(current_engine(), text[:4000], category_hint=category, source="staff", now=ctx.now)
        return _suggestion(grading, ctx.lang)

    @app.callback(
        Output("newcase-result", "children"),
        Input("newcase-submit", "n_clicks"),
        State("newcase-submission", "data"),
        State("newcase-text", "value"),
        State("newcase-category", "value"),
        State("newcase-estate", "value"),
        State("newcase-building", "value"),
        State("newcase-contact", "value"),
        State("newcase-photos", "contents"),
        State("newcase-photos", "filename"),
        prevent_initial_call=True,
    )
    @guarded(REPORTING_ROLES)
    def submit(n_clicks, submission, text, category, estate_id, building_id, contact, photo_contents, photo_names):
        if not n_clicks:
            return no_update
        ctx = page_context()
        lang, config, engine = ctx.lang, current_config(), current_engine()
        if category is not None and category not in CATEGORY_BY_CODE:
            return dbc.Alert(t("newcase.error.unknown_category", lang), color="danger")
        if (
            estate_id is not None
            and not isinstance(estate_id, int)
            or building_id is not None
            and not isinstance(building_id, int)
        ):
            return dbc.Alert(t("newcase.error.unknown_estate", lang), color="danger")
        if estate_id is None and building_id is None:
            return dbc.Alert(t("newcase.error.place_required", lang), color="danger")
        try:
            photos = store_uploaded_photos(
                config.instance_path, photo_contents, photo_names, config["photo_max_bytes"], MAX_PHOTOS_PER_REPORT
            )
        except PhotoError as exc:
            return dbc.Alert(photo_error_text(exc, lang), color="danger")
        report = Report(
            source="staff", source_ref=f"form:{submission}"[:80], text=(text or "").strip(),
            category_hint=category, estate_id=estate_id, building_id=building_id,
            contact=(contact or "").strip() or None, actor_id=ctx.user.id, actor_label="staff", photos=tuple(photos),
        )  # fmt: skip
        if not report.text:
            return dbc.Alert(t("newcase.error.text_required", lang), color="danger")
        grading = classify_report(engine, report.text, category_hint=category, source="staff", now=ctx.now)
        try:
            with writing(engine) as s:
                if not _in_scope(s, ctx, estate_id, building_id):
                    raise IntakeError("unknown_estate", "estate")
                result = submit_report(s, report, grading, ctx.now, duplicate_radius_m=config["duplicate_radius_m"])
        except IntakeError as exc:
            return dbc.Alert(t(f"newcase.error.{exc.code}", lang), color="danger")
        if result.duplicate_of_code:
            message = t("newcase.duplicate", lang, original=result.duplicate_of_code, code=result.tracking_code)
        else:
            message = t("newcase.created", lang, code=result.tracking_code)
        return dbc.Alert(
            [
                message,
                " ",
                html.A(t("newcase.open", lang), href=f"/governance/case/{result.case_id}", id="newcase-open"),
            ],
            color="success",
        )


def _in_scope(session, ctx: PageContext, estate_id: int | None, building_id: int | None) -> bool:  # noqa: ANN001
    """The chosen estate and building are the caller's: a building alone names its community, so it is checked
    as well as the estate (else a crafted request files a case in another community)."""
    places = estates_and_buildings(session, ctx.community_ids)
    estates = {e["id"] for e in places}
    buildings = {b["id"] for e in places for b in e.get("buildings", [])}
    return (estate_id is None or estate_id in estates) and (building_id is None or building_id in buildings)


def _suggestion(grading, lang: str):  # noqa: ANN001, ANN202
    category = CATEGORY_BY_CODE.get(grading.category)
    name = pick(lang, category.name_zh, category.name_en) if category else grading.category
    parts = [
        html.Span(
            t("newcase.suggestion", lang, category=name, grade=t(f"grade.{grading.grade}", lang),
              confidence=f"{grading.confidence * 100:.0f}%"),
            className="fw-semibold",
        ),
    ]  # fmt: skip
    if grading.cues:
        parts.append(
            html.Div(t("newcase.cues", lang, cues="、".join(grading.cues)), className="small text-body-secondary")
        )
    return dbc.Alert(
        parts, color="danger" if grading.grade == "urgent" else "info", className="py-2", id="newcase-suggested"
    )
