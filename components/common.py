"""Small shared pieces: page header, KPI tile, grade and status badges, empty and forbidden notes."""

from __future__ import annotations

from datetime import datetime

import dash_bootstrap_components as dbc
from dash import html

from i18n import t

# Colour is never the only signal: every badge carries its text and an icon too.
GRADE_STYLE = {
    "urgent": ("danger", "bi-exclamation-octagon-fill"),
    "priority": ("warning", "bi-exclamation-triangle-fill"),
    "routine": ("secondary", "bi-info-circle"),
}
STATUS_STYLE = {
    "reported": "info",
    "in_progress": "primary",
    "resolved": "success",
    "closed": "dark",
    "rejected": "light",
    "duplicate": "light",
}


def fmt_time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def page_header(title: str, subtitle: str | None = None) -> html.Div:
    return html.Div(
        [html.H1(title, className="h3 mb-1"), html.P(subtitle, className="text-body-secondary") if subtitle else None],
        className="mb-3",
    )


def kpi_tile(
    tile_id: str,
    label: str,
    value: str,
    icon: str,
    tone: str = "primary",
    note: str | None = None,
    href: str | None = None,
):
    """A figure with its label; with `href` the whole tile drills down to the cases behind it."""
    card = dbc.Card(
        dbc.CardBody(
            [
                html.Div(
                    [html.I(className=f"bi {icon} me-2", **{"aria-hidden": "true"}), label], className="kpi-label"
                ),
                html.Div(value, className=f"kpi-value text-{tone}", id=f"{tile_id}-value"),
                html.Div(note, className="kpi-note text-body-secondary") if note else None,
            ]
        ),
        className="kpi-tile h-100" + (" kpi-link" if href else ""),
        id=tile_id,
    )
    return html.A(card, href=href, className="text-reset text-decoration-none", id=f"{tile_id}-link") if href else card


def grade_badge(grade: str, lang: str) -> dbc.Badge:
    color, icon = GRADE_STYLE.get(grade, ("secondary", "bi-circle"))
    return dbc.Badge(
        [html.I(className=f"bi {icon} me-1", **{"aria-hidden": "true"}), t(f"grade.{grade}", lang)],
        color=color,
        text_color="dark" if color in ("warning", "light") else None,
        className="grade-badge",
    )


def status_badge(status: str, lang: str) -> dbc.Badge:
    color = STATUS_STYLE.get(status, "secondary")
    return dbc.Badge(t(f"status.{status}", lang), color=color, text_color="dark" if color == "light" else None)


def empty_note(lang: str, key: str = "common.no_data") -> html.Div:
    return html.Div(t(key, lang), className="text-body-secondary fst-italic p-3")


def forbidden_note(lang: str) -> dbc.Alert:
    return dbc.Alert(
        [html.I(className="bi bi-shield-lock me-2", **{"aria-hidden": "true"}), t("common.forbidden", lang)],
        color="warning",
        id="forbidden-note",
    )


def not_found_note(lang: str) -> dbc.Alert:
    return dbc.Alert(t("common.not_found", lang), color="secondary", id="not-found-note")
