"""The actions panel of a case and its photos (pure: data in, components out).

Only the steps the server says the caller may take are shown; the server checks them again when a
button is pressed, so the panel is a convenience, not a guard.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from domain.catalog import GRADES
from i18n import pick, t

BUTTON_COLOURS = {
    "accept": "primary",
    "resolve": "success",
    "push_up": "warning",
    "reject": "outline-secondary",
    "verify": "success",
    "reopen": "danger",
    "link_duplicate": "outline-secondary",
    "regrade": "outline-primary",
}
MAIN_ACTIONS = ("accept", "resolve", "verify", "reopen", "push_up", "reject")


def actions_panel(
    allowed: list[str],
    lang: str,
    categories: list[dict],
    current_category: str,
    current_grade: str,
    l4_targets: list[dict],
    level: int,
) -> dbc.Card:
    """Every control is always in the tree (hidden when it does not apply), so the one callback that
    reads them never refers to a missing component."""
    if not allowed:
        return dbc.Card(
            [dbc.CardHeader(t("wf.panel", lang)), dbc.CardBody(html.P(t("wf.none", lang), className="mb-0"))],
            id="case-actions",
        )

    def shown(condition: bool) -> dict:
        return {} if condition else {"display": "none"}

    buttons = [
        dbc.Button(
            t(f"wf.btn.{action}", lang),
            id={"type": "case-act", "action": action},
            color=BUTTON_COLOURS[action],
            className="me-2 mb-2",
            n_clicks=0,
        )
        for action in MAIN_ACTIONS
        if action in allowed
    ]
    target_options = [{"label": t("wf.l4_default", lang), "value": 0}] + [
        {"label": f"{r['display_name']} · {t('role.' + r['role'], lang)}" + (f" · {r['department']}" if r["department"] else ""),
         "value": r["id"]}
        for r in l4_targets
    ]  # fmt: skip
    return dbc.Card(
        [
            dbc.CardHeader(t("wf.panel", lang)),
            dbc.CardBody(
                [
                    dbc.Label(t("wf.note", lang), html_for="case-note"),
                    dbc.Textarea(id="case-note", rows=3, maxLength=2000, className="mb-1"),
                    html.Div(t("wf.note_help", lang), className="form-text mb-2"),
                    html.Div(
                        [
                            dbc.Label(t("wf.l4_target", lang), html_for="case-l4-target"),
                            dcc.Dropdown(id="case-l4-target", options=target_options, value=0, clearable=False),
                        ],
                        style=shown("push_up" in allowed and level == 3),
                        className="mb-2",
                    ),
                    html.Div(
                        [
                            dbc.Label(t("wf.photos", lang), html_for="case-photos"),
                            photo_upload("case-photos", lang),
                            html.Div(id="case-photos-chosen", className="form-text mb-2"),
                        ],
                        style=shown("resolve" in allowed),
                    ),
                    html.Div(buttons),
                    html.Div(
                        [
                            html.Hr(),
                            html.H6(t("wf.regrade", lang)),
                            dbc.Row(
                                [
                                    dbc.Col(
                                        [
                                            dbc.Label(t("case.category", lang), html_for="case-regrade-category"),
                                            dcc.Dropdown(
                                                id="case-regrade-category",
                                                options=[
                                                    {
                                                        "label": pick(lang, c["name_zh"], c["name_en"]),
                                                        "value": c["code"],
                                                    }
                                                    for c in categories
                                                ],
                                                value=current_category,
                                                clearable=False,
                                            ),
                                        ],
                                        md=6,
                                    ),
                                    dbc.Col(
                                        [
                                            dbc.Label(t("case.grade", lang), html_for="case-regrade-grade"),
                                            dcc.Dropdown(
                                                id="case-regrade-grade",
                                                options=[{"label": t(f"grade.{g}", lang), "value": g} for g in GRADES],
                                                value=current_grade,
                                                clearable=False,
                                            ),
                                        ],
                                        md=6,
                                    ),
                                ],
                                className="g-2 mb-1",
                            ),
                            html.Div(t("wf.regrade_help", lang), className="form-text mb-2"),
                            dbc.Button(
                                t("wf.btn.regrade", lang),
                                id={"type": "case-act", "action": "regrade"},
                                color=BUTTON_COLOURS["regrade"],
                                size="sm",
                                n_clicks=0,
                            ),
                        ],
                        style=shown("regrade" in allowed),
                    ),
                    html.Div(
                        [
                            html.Hr(),
                            html.H6(t("wf.duplicate", lang)),
                            dbc.Label(
                                t("wf.duplicate_code", lang), html_for="case-dup-code", className="visually-hidden"
                            ),
                            dbc.InputGroup(
                                [
                                    dbc.Input(
                                        id="case-dup-code", placeholder=t("wf.duplicate_code", lang), maxLength=16
                                    ),
                                    dbc.Button(
                                        t("wf.btn.link_duplicate", lang),
                                        id={"type": "case-act", "action": "link_duplicate"},
                                        color=BUTTON_COLOURS["link_duplicate"],
                                        n_clicks=0,
                                    ),
                                ],
                                size="sm",
                            ),
                        ],
                        style=shown("link_duplicate" in allowed),
                    ),
                ]
            ),
        ],
        id="case-actions",
    )


def photo_strip(photos: list[dict], lang: str) -> html.Div | None:
    """The report's photos; each opens the full photo (served only to staff in scope). Photos taken
    at later steps are shown on the trail."""
    if not any(p["stage"] == "report" for p in photos):
        return None
    groups = []
    for stage in ("report",):
        items = [p for p in photos if p["stage"] == stage]
        if not items:
            continue
        groups.append(
            html.Div(
                [
                    html.Div(t(f"wf.photo_stage.{stage}", lang), className="small text-body-secondary mb-1"),
                    html.Div(
                        [
                            html.A(
                                html.Img(
                                    src=f"/photos/{p['sha256']}", className="case-photo", alt=t("wf.photos_title", lang)
                                ),
                                href=f"/photos/{p['sha256']}",
                                target="_blank",
                                rel="noopener",
                            )
                            for p in items
                        ],
                        className="d-flex flex-wrap gap-2 mb-2",
                    ),
                ]
            )
        )
    return html.Div([html.H6(t("wf.photos_title", lang), className="mt-3"), *groups], id="case-photo-strip")


def photo_upload(upload_id: str, lang: str) -> dcc.Upload:
    """Up to three photos; the server checks them again by content (domain.photos)."""
    return dcc.Upload(
        id=upload_id,
        children=html.Div(
            [html.I(className="bi bi-camera me-2", **{"aria-hidden": "true"}), t("wf.photos_drop", lang)]
        ),
        multiple=True,
        accept="image/jpeg,image/png,image/webp",
        className="upload-zone mb-1",
    )


def photo_error_text(exc, lang: str) -> str:  # noqa: ANN001 - domain.photos.PhotoError
    if exc.code == "too_many":
        return t("wf.error.too_many_photos", lang)
    return t("wf.photo_error", lang, name=exc.name or "—", error=t(f"photo.error.{exc.code}", lang))


def feedback(message: str, ok: bool) -> dbc.Alert:
    return dbc.Alert(
        message, color="success" if ok else "danger", dismissable=True, className="mt-2", id="case-feedback-alert"
    )
