"""Case presentation: the latest-cases list, the case grid (dash-ag-grid) and the trail timeline."""

from __future__ import annotations

from datetime import datetime

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
from dash import dcc, html

from components.common import fmt_time, grade_badge, status_badge
from i18n import pick, t
from i18n.grid_locale import grid_locale


def latest_cases_list(rows: list[dict], lang: str, now: datetime) -> html.Div:
    items = []
    for r in rows:
        overdue = r["status"] in ("reported", "in_progress") and r["due_at"] is not None and r["due_at"] < now
        items.append(
            dbc.ListGroupItem(
                [
                    html.Div(
                        [
                            grade_badge(r["grade"], lang),
                            html.Span(pick(lang, r["category_zh"], r["category_en"]), className="fw-semibold ms-2"),
                            html.Span(
                                " · " + pick(lang, r["estate_zh"], r["estate_en"]) if r["estate_zh"] else "",
                                className="text-body-secondary",
                            ),
                        ]
                    ),
                    html.Div(
                        [
                            status_badge(r["status"], lang),
                            html.Span(f" L{r['level']} · {fmt_time(r['reported_at'])}", className="small ms-1"),
                            dbc.Badge(t("case.overdue", lang), color="danger", className="ms-2") if overdue else None,
                        ],
                        className="mt-1",
                    ),
                ],
                href=f"/governance/case/{r['id']}",
                action=True,
                className="latest-case",
            )
        )
    return dbc.ListGroup(items, flush=True, id="hot-latest-list")


def case_grid_rows(rows: list[dict], lang: str) -> list[dict]:
    """Flatten query rows into what the grid shows, in the caller's language."""
    return [
        {
            "id": r["id"],
            "code": r["tracking_code"],
            "reported": fmt_time(r["reported_at"]),
            "category": pick(lang, r["category_zh"], r["category_en"]),
            "grade": t(f"grade.{r['grade']}", lang),
            "grade_code": r["grade"],
            "status": t(f"status.{r['status']}", lang),
            "level": f"L{r['level']}",
            "source": t(f"source.{r['source']}", lang),
            "estate": pick(lang, r["estate_zh"], r["estate_en"]) if r["estate_zh"] else "",
            "grid": pick(lang, r["grid_zh"], r["grid_en"]) if r["grid_zh"] else "",
            "due": fmt_time(r["due_at"]),
            "overdue": t("case.overdue", lang) if r["overdue"] else "",
            "link": f"[{r['tracking_code']}](/governance/case/{r['id']})",
        }
        for r in rows
    ]


def case_grid(grid_id: str, lang: str) -> dag.AgGrid:
    def col(field: str, key: str, **extra) -> dict:
        return {"field": field, "headerName": t(key, lang), **extra}

    return dag.AgGrid(
        id=grid_id,
        columnDefs=[
            col("link", "case.code", cellRenderer="markdown", linkTarget="_self", minWidth=130),
            col("reported", "case.reported", sort="desc", minWidth=150),
            col("category", "case.category", minWidth=140),
            col(
                "grade",
                "case.grade",
                cellClassRules={
                    "grade-cell-urgent": "params.data.grade_code == 'urgent'",
                    "grade-cell-priority": "params.data.grade_code == 'priority'",
                },
            ),
            col("status", "case.status"),
            col("level", "case.level", maxWidth=90),
            col("source", "case.source"),
            col("estate", "case.estate"),
            col("grid", "case.grid"),
            col("due", "case.due", minWidth=150),
            col("overdue", "case.overdue_col", cellClass="text-danger fw-semibold"),
        ],
        rowData=[],
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "flex": 1, "minWidth": 100},
        dashGridOptions={
            "pagination": True,
            "paginationPageSize": 20,
            "animateRows": False,
            "localeText": grid_locale(lang),
        },
        style={"height": "620px"},
        className="ag-theme-quartz",
    )


def trail_timeline(trail: list[dict], lang: str, photos: list[dict] | None = None) -> html.Ol:
    """The whole trail, oldest first, with the photos taken at a step (a resolution's) under it; the
    report's own photos are shown with the report."""
    by_step: dict[int, list[dict]] = {}
    for photo in photos or []:
        if photo["action_id"] is not None:
            by_step.setdefault(photo["action_id"], []).append(photo)
    items = []
    for step in trail:
        level = ""
        if step["from_level"] and step["to_level"] and step["from_level"] != step["to_level"]:
            level = f" · L{step['from_level']} → L{step['to_level']}"
        elif step["to_level"]:
            level = f" · L{step['to_level']}"
        items.append(
            html.Li(
                [
                    html.Div(
                        [
                            html.Span(fmt_time(step["at"]), className="trail-time"),
                            html.Span(t(f"action.{step['action']}", lang), className="fw-semibold ms-2"),
                            html.Span(level, className="text-body-secondary"),
                        ]
                    ),
                    html.Div(
                        [
                            html.Span(t("case.by", lang) + " "),
                            html.Span(_actor(step, lang)),
                            html.Span(
                                f" · {t('status.' + step['from_status'], lang)} → {t('status.' + step['to_status'], lang)}"
                                if step["from_status"]
                                and step["to_status"]
                                and step["from_status"] != step["to_status"]
                                else ""
                            ),
                        ],
                        className="small text-body-secondary",
                    ),
                    html.Div(step["note"], className="trail-note") if step["note"] else None,
                    _step_photos(by_step.get(step.get("id"), []), lang),
                ],
                className="trail-step",
            )
        )
    return html.Ol(items, className="trail", id="case-trail")


def _step_photos(photos: list[dict], lang: str) -> html.Div | None:
    if not photos:
        return None
    return html.Div(
        [
            html.A(
                html.Img(src=f"/photos/{p['sha256']}", className="trail-photo", alt=t("wf.photos_title", lang)),
                href=f"/photos/{p['sha256']}",
                target="_blank",
                rel="noopener",
            )
            for p in photos
        ],
        className="d-flex flex-wrap gap-2 mt-1",
    )


def _actor(step: dict, lang: str) -> str:
    if step["actor_role"]:
        return f"{step['actor']} ({t('role.' + step['actor_role'], lang)})"
    return t(f"actor.{step['actor']}", lang) if step["actor"] in ACTOR_LABELS else step["actor"]


ACTOR_LABELS = ("system", "resident", "camera_car", "iot", "open311", "reporter", "staff")


def due_line(due_at: datetime | None, status: str, now: datetime, lang: str) -> html.Span:
    if due_at is None or status not in ("reported", "in_progress"):
        return html.Span(fmt_time(due_at))
    minutes = int((due_at - now).total_seconds() // 60)
    if minutes < 0:
        return html.Span(
            [fmt_time(due_at), " ", dbc.Badge(t("case.overdue_by", lang, time=_span(-minutes, lang)), color="danger")]
        )
    return html.Span(
        [fmt_time(due_at), " ", dbc.Badge(t("case.due_in", lang, time=_span(minutes, lang)), color="info")]
    )


def _span(minutes: int, lang: str) -> str:
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return t("time.days_hours", lang, d=days, h=hours)
    if hours:
        return t("time.hours_minutes", lang, h=hours, m=mins)
    return t("time.minutes", lang, m=mins)


def description_block(text: str) -> dcc.Markdown | html.P:
    # User text is shown as plain text, never as HTML or Markdown.
    return html.P(text, className="case-description")


def drill_down_note(drill: dict, handler_name: str | None, lang: str, estate: dict | None = None) -> dbc.Alert:
    """The drill-down filters in force (the metrics page's, the hotspots page's estate), as text, with a
    button that clears them and, for the metrics page's, a link back to it."""

    def months(value: str) -> str:
        first, _sep, last = value.partition("..")
        return t("metric.months_range", lang, first=first, last=last) if last else first

    parts = []
    if "handler" in drill:
        unresolved = drill["handler"] == "none"
        who = t("metric.no_handler", lang) if unresolved else handler_name or f"#{drill['handler']}"
        parts.append(t("metric.drill_handler", lang, name=who))
    if "month" in drill:
        parts.append(t("metric.drill_month", lang, months=months(drill["month"])))
    if "due_in_month" in drill:
        parts.append(t("metric.drill_due", lang, months=months(drill["due_in_month"])))
    if "resolved_in_month" in drill:
        parts.append(t("metric.drill_resolved", lang, months=months(drill["resolved_in_month"])))
    if drill.get("on_time"):
        parts.append(t("metric.drill_on_time", lang))
    if drill.get("reopened"):
        parts.append(t("metric.drill_reopened", lang))
    if "estate" in drill:
        name = pick(lang, estate["name_zh"], estate["name_en"]) if estate else drill["estate"]
        parts.append(t("hot.drill_estate", lang, name=name))
    from_metrics = any(key != "estate" for key in drill)
    return dbc.Alert(
        [
            html.I(className="bi bi-funnel me-2", **{"aria-hidden": "true"}),
            html.Span(t("metric.drill_note", lang) + " ", className="fw-semibold"),
            html.Span(" · ".join(parts), id="gov-drill-text"),
            dbc.Button(t("metric.drill_clear", lang), id="gov-drill-clear", color="link", size="sm",
                       className="ms-2 p-0 align-baseline"),
            dcc.Link(t("metric.drill_back", lang), href="/governance/metrics", className="ms-3 small")
            if from_metrics
            else None,
        ],
        color="info",
        className="py-2 mb-2",
        id="gov-drill-alert",
    )  # fmt: skip
