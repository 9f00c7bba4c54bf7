"""One case (事件详情): what was reported, where, its grade and cues, due time and the whole trail."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from auth.context import current_engine
from auth.guard import ALL_ROLES
from components.cases import description_block, due_line, trail_timeline
from components.common import fmt_time, grade_badge, not_found_note, page_header, status_badge
from data_access.cases import case_detail
from data_access.db import reading
from i18n import pick, t
from pages._context import PageContext

PAGE = {"path_template": "/governance/case/<case_id>", "roles": ALL_ROLES, "order": 3}


def layout(ctx: PageContext, case_id: str | None = None, **_kwargs):
    lang = ctx.lang
    try:
        wanted = int(case_id or "")
    except ValueError:
        wanted = None
    detail = None
    if wanted is not None:
        with reading(current_engine()) as s:
            detail = case_detail(s, ctx.community_ids, wanted)
    if detail is None:  # missing and out-of-scope look the same
        return html.Div([page_header(t("case.title", lang)), not_found_note(lang)])

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
                                dbc.CardBody([description_block(detail["description"]), facts]),
                            ]
                        ),
                        lg=6,
                    ),
                    dbc.Col(
                        dbc.Card(
                            [dbc.CardHeader(t("case.trail", lang)), dbc.CardBody(trail_timeline(detail["trail"], lang))]
                        ),
                        lg=6,
                    ),
                ],
                className="g-3",
            ),
        ]
    )


def register_callbacks(app) -> None:  # noqa: ANN001 - read-only until the workflow issue adds actions
    return None
