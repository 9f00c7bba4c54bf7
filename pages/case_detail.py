"""One case (事件详情): what was reported, where, its grade and cues, due time, photos, the whole trail,
and the steps the caller may take on it (accept, push up, resolve, verify, reopen, reject, regrade,
mark as duplicate). Every step is checked again on the server by `data_access.workflow.act`."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, ctx, dcc, html, no_update

from auth.context import current_config, current_engine
from auth.guard import ALL_ROLES, guarded
from components.case_actions import actions_panel, feedback, photo_error_text, photo_strip
from components.cases import description_block, due_line, trail_timeline
from components.common import fmt_time, grade_badge, not_found_note, page_header, status_badge
from data_access.cases import case_detail, filter_options
from data_access.db import reading, writing
from data_access.photos import store_uploaded_photos
from data_access.workflow import (
    CONTACT_ROLES,
    act_as_user,
    actions_for_user,
    case_photos,
    l4_targets,
    masked_contact,
    reveal_contact,
)
from domain.photos import MAX_PHOTOS_PER_REPORT, PhotoError
from domain.workflow import WorkflowError
from i18n import pick, t
from pages._context import PageContext, page_context

PAGE = {"path_template": "/governance/case/<case_id>", "roles": ALL_ROLES, "order": 3}


def layout(ctx: PageContext, case_id: str | None = None, **_kwargs):
    try:
        wanted = int(case_id or "")
    except ValueError:
        wanted = None
    body = case_body(ctx, wanted) if wanted is not None else None
    if body is None:  # missing and out-of-scope look the same
        return html.Div([page_header(t("case.title", ctx.lang)), not_found_note(ctx.lang)])
    return html.Div(
        [dcc.Store(id="case-id", data=wanted), html.Div(id="case-feedback"), html.Div(body, id="case-body")]
    )


def case_body(ctx: PageContext, case_id: int):  # noqa: ANN201
    lang = ctx.lang
    with reading(current_engine()) as s:
        detail = case_detail(s, ctx.community_ids, case_id)
        if detail is None:
            return None
        allowed = actions_for_user(s, ctx.user.id, case_id)
        photos = case_photos(s, case_id)
        contact = masked_contact(s, case_id)
        categories = filter_options(s, ctx.community_ids)["categories"] if "regrade" in allowed else []
        targets = l4_targets(s, case_id) if "push_up" in allowed and detail["level"] == 3 else []

    def fact(label_key: str, value):
        return html.Div(
            [html.Dt(t(label_key, lang), className="col-sm-4"), html.Dd(value, className="col-sm-8")],
            className="row mb-1",
        )

    place = " · ".join(
        x
        for x in (
            pick(lang, detail["estate_zh"], detail["estate_en"]) if detail["estate_zh"] else "",
            pick(lang, detail["building_zh"], detail["building_en"]) if detail["building_zh"] else "",
        )
        if x
    )
    cues = ", ".join(detail["grade_cues"]) if detail["grade_cues"] else "—"
    confidence = f"{detail['grade_confidence'] * 100:.0f}%" if detail["grade_confidence"] is not None else "—"
    facts = html.Dl(
        [
            fact("case.category", pick(lang, detail["category_zh"], detail["category_en"])),
            fact(
                "case.grade",
                [grade_badge(detail["grade"], lang), html.Span(f" {t('case.confidence', lang)} {confidence}")],
            ),
            fact("case.cues", cues),
            fact("case.status", status_badge(detail["status"], lang)),
            fact("case.level", f"L{detail['level']} · {t('level.' + str(detail['level']), lang)}"),
            fact("case.holder", detail["holder_name"] or "—"),
            fact("case.source", t(f"source.{detail['source']}", lang)),
            fact("case.place", place or "—"),
            fact("case.grid", pick(lang, detail["grid_zh"], detail["grid_en"]) if detail["grid_zh"] else "—"),
            fact("case.reported", fmt_time(detail["reported_at"])),
            fact("case.due", due_line(detail["due_at"], detail["status"], ctx.now, lang)),
            fact("case.resolved", fmt_time(detail["resolved_at"])),
            fact("case.closed", fmt_time(detail["closed_at"])),
            fact("case.reopened", str(detail["reopen_count"])),
            fact("wf.contact", _contact_cell(contact, ctx.user.role, lang)) if contact else None,
        ]
    )
    duplicate = (
        dbc.Alert(
            [
                t("case.duplicate_of", lang),
                " ",
                html.A(f"#{detail['duplicate_of_id']}", href=f"/governance/case/{detail['duplicate_of_id']}"),
            ],
            color="secondary",
        )
        if detail["duplicate_of_id"]
        else None
    )
    return html.Div(
        [
            html.A(["← ", t("case.back", lang)], href="/governance", className="small"),
            page_header(t("case.title_code", lang, code=detail["tracking_code"])),
            duplicate,
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Card(
                            [
                                dbc.CardHeader(t("case.report", lang)),
                                dbc.CardBody(
                                    [description_block(detail["description"]), facts, photo_strip(photos, lang)]
                                ),
                            ]
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        [
                            actions_panel(
                                allowed,
                                lang,
                                categories,
                                detail["category"],
                                detail["grade"],
                                targets,
                                detail["level"],
                            ),
                            dbc.Card(
                                [
                                    dbc.CardHeader(t("case.trail", lang)),
                                    dbc.CardBody(trail_timeline(detail["trail"], lang, photos)),
                                ],
                                className="mt-3",
                            ),
                        ],
                        lg=6,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


def _contact_cell(masked: str, role: str, lang: str):  # noqa: ANN202
    """Masked for everyone; the roles that call reporters back may reveal it, and that is audited."""
    if role not in CONTACT_ROLES:
        return html.Span(masked, id="case-contact")
    return html.Span(
        [
            html.Span(masked, id="case-contact", className="me-2"),
            dbc.Button(t("wf.contact_reveal", lang), id="case-contact-reveal", size="sm", color="link",
                       className="p-0 align-baseline", n_clicks=0),
        ]
    )  # fmt: skip


def register_callbacks(app) -> None:  # noqa: ANN001
    @app.callback(
        Output("case-contact", "children"),
        Input("case-contact-reveal", "n_clicks"),
        State("case-id", "data"),
        prevent_initial_call=True,
    )
    @guarded(CONTACT_ROLES)
    def reveal(n_clicks, case_id):
        if not n_clicks or not isinstance(case_id, int):
            return no_update
        page = page_context()
        with writing(current_engine()) as s:  # writing: the reveal itself is recorded
            contact = reveal_contact(s, page.user.id, case_id, page.now)
        return contact if contact is not None else no_update

    @app.callback(
        Output("case-photos-chosen", "children"),
        Input("case-photos", "filename"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def photos_chosen(filenames):
        lang = page_context().lang
        return t("wf.photos_chosen", lang, n=len(filenames or []))

    @app.callback(
        Output("case-body", "children"),
        Output("case-feedback", "children"),
        Input({"type": "case-act", "action": ALL}, "n_clicks"),
        State("case-id", "data"),
        State("case-note", "value"),
        State("case-photos", "contents"),
        State("case-photos", "filename"),
        State("case-regrade-category", "value"),
        State("case-regrade-grade", "value"),
        State("case-dup-code", "value"),
        State("case-l4-target", "value"),
        prevent_initial_call=True,
    )
    @guarded(ALL_ROLES)
    def take_step(clicks, case_id, note, photo_contents, photo_names, category, grade, dup_code, l4_target):
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            return no_update, no_update
        page = page_context()
        lang, action = page.lang, trigger.get("action")
        if not isinstance(case_id, int) or not isinstance(action, str):
            return no_update, feedback(t("wf.error.unknown_action", lang), ok=False)
        photos = []
        if action == "resolve" and photo_contents:
            config = current_config()
            try:
                photos = store_uploaded_photos(
                    config.instance_path, photo_contents, photo_names, config["photo_max_bytes"], MAX_PHOTOS_PER_REPORT
                )
            except PhotoError as exc:
                return no_update, feedback(photo_error_text(exc, lang), ok=False)
        extra = {
            "regrade": {"new_category": category, "new_grade": grade},
            "link_duplicate": {"duplicate_of_code": dup_code},
            "push_up": {"to_user_id": l4_target if isinstance(l4_target, int) and l4_target > 0 else None},
            "resolve": {"photos": tuple(photos)},
        }.get(action, {})
        try:
            with writing(current_engine()) as s:
                act_as_user(s, page.user.id, case_id, action, page.now, note, **extra)
        except WorkflowError as exc:
            return case_body(page, case_id) or no_update, feedback(t(f"wf.error.{exc.code}", lang), ok=False)
        return case_body(page, case_id), feedback(t(f"wf.done.{action}", lang), ok=True)
