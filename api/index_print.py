"""Printable pages of the estate running index, for staff (server-rendered HTML with a print stylesheet):

- GET /estate-index/report?month=YYYY-MM[&lang=zh|en][&estate=CODE][&version=vN]
      the monthly report for the notice board (every estate) or for an interview (one estate): ranking,
      levels and rank intervals, the 7 aspects, the weakest inputs, residents' comments (no personal data)
      and the rectification case of a red estate; in Chinese or English whatever the cookie says
- GET /estate-index/notice?estate=CODE&month=YYYY-MM[&building=CODE][&lang=zh|en]
      the ballot notice: one slip per household with its unit, room and code for the month, to cut and
      put through the doors. Codes are personal-ish: the ballot roles only, and every print is audited.

The login guard (auth/guard.py) has already refused anonymous callers; the role is checked here.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, render_template, request

from auth.context import current_config, current_engine, current_lang, current_user
from auth.guard import ALL_ROLES
from data_access.ballots import NOTICE_ROLES, ballot_comments, ballot_key, notice_sheet
from data_access.clock import local_now
from data_access.db import reading, writing
from data_access.estate_index import (
    community_name,
    estate_cases,
    indicator_names,
    latest_month,
    load_method,
    month_results,
)
from data_access.scope import community_ids_for
from domain.ballots import format_code
from domain.estate_index import ASPECT_NAMES, ASPECTS, add_months, month_of, parse_month
from i18n import HTML_LANG, normalise, pick, t
from i18n.messages_index import month_label

bp = Blueprint(
    "index_print", __name__, template_folder="templates", static_folder="static", static_url_path="/estate-index/static"
)
COMMENTS_PER_ESTATE = 6
SLIPS_PER_PAGE = 8


def _lang() -> str:
    return normalise(request.args.get("lang"), current_lang())


def _page(template: str, lang: str, status: int = 200, **context):  # noqa: ANN201
    body = render_template(
        template,
        lang=lang,
        html_lang=HTML_LANG[lang],
        t=lambda key, **kw: t(key, lang, **kw),
        tz=lambda key, **kw: t(key, "zh", **kw),
        ten=lambda key, **kw: t(key, "en", **kw),
        pick=lambda zh, en: pick(lang, zh, en),
        **context,
    )
    return body, status, {"Cache-Control": "no-store"}


def _refused(lang: str, status: int, key: str):
    return _page("index_print/refused.html", lang, status, message=t(key, lang))


def _scope() -> list[int]:
    with reading(current_engine()) as s:
        return community_ids_for(s, current_user().id)


@bp.get("/estate-index/report")
def report():
    lang = _lang()
    user = current_user()
    if user is None or user.role not in ALL_ROLES:
        return _refused(lang, 403, "idx.print.forbidden")
    scope = _scope()
    only = request.args.get("estate") or None
    with reading(current_engine()) as s:
        method = load_method(s, request.args.get("version") or None)
        if method is None:
            return _refused(lang, 404, "idx.print.no_results")
        month = parse_month(request.args.get("month")) or latest_month(s, scope, method.version)
        rows = month_results(s, scope, month, method.version) if month else []
        if only:
            rows = [r for r in rows if r["estate"] == only]
        if not rows:
            return _refused(lang, 404, "idx.print.no_results")
        names = indicator_names(s)
        previous = {r["estate_id"]: r for r in month_results(s, scope, add_months(month, -1), method.version)}
        community = community_name(s, scope)
        estates = []
        for r in rows:
            comps = r["components"] or {}
            scores = comps.get("scores", {})
            # the case opened for this month, or one still open from before, with its results up to this month
            cases = [
                {
                    **c,
                    "month_name": month_label(c["month"], lang),
                    "results": [f for f in c["follow_up"] if f.get("kind") == "result" and f["month"] <= month],
                }
                for c in estate_cases(s, r["estate_id"])
                if c["month"] <= month and (c["month"] == month or c["status"] == "open")
            ]
            before = previous.get(r["estate_id"])
            estates.append(
                {
                    **r,
                    "name": pick(lang, r["estate_zh"], r["estate_en"]),
                    "change": round(r["value"] - before["value"], 1)
                    if before and before["value"] is not None and r["value"] is not None
                    else None,
                    "aspects": [
                        {
                            "name": pick(lang, *ASPECT_NAMES[a]),
                            "score": scores.get(a),
                            "mean": comps.get("raw", {}).get(a),
                            "safety": a in method.safety_aspects,
                        }
                        for a in ASPECTS
                    ],
                    "weakest": [
                        _component_name(code, names, lang) + f" {scores.get(code, '')}"
                        for code in comps.get("weakest", [])
                    ],
                    "override": [_component_name(code, names, lang) for code in comps.get("override", [])],
                    "comments": ballot_comments(s, r["estate_id"], month, COMMENTS_PER_ESTATE),
                    "cases": cases,
                }
            )
    return _page(
        "index_print/report.html",
        lang,
        month=month,
        month_name=month_label(month, lang),
        community=pick(lang, *community),
        estates=estates,
        single=bool(only),
        method=method.parameters(),
        version=method.version,
        printed=local_now(current_config()["timezone"]).strftime("%Y-%m-%d %H:%M"),
        other_href="?" + urlencode({**request.args.to_dict(), "lang": "en" if lang == "zh" else "zh"}),
    )


def _component_name(code: str, names: dict, lang: str) -> str:
    if code in ASPECT_NAMES:
        return pick(lang, *ASPECT_NAMES[code])
    d = names.get(code)
    return f"{code} {pick(lang, d['name_zh'], d['name_en'])}" if d else code


@bp.get("/estate-index/notice")
def notice():
    lang = _lang()
    user = current_user()
    if user is None or user.role not in NOTICE_ROLES:
        return _refused(lang, 403, "idx.print.forbidden")
    config = current_config()
    now = local_now(config["timezone"])
    month = parse_month(request.args.get("month")) or month_of(now)
    # notices go out for this month or, printed ahead, for the next one: never for a month already over
    if month not in (month_of(now), add_months(month_of(now), 1)):
        return _refused(lang, 400, "idx.print.notice_month")
    scope = _scope()
    with writing(current_engine()) as s:  # writing: the print is recorded in the audit log
        sheet = notice_sheet(
            s,
            ballot_key(config.instance_path),
            scope,
            request.args.get("estate") or "",
            month,
            user.id,
            now,
            request.args.get("building") or None,
        )
    if sheet is None:
        return _refused(lang, 404, "idx.print.no_estate")
    slips = [
        {**h, "code": format_code(h["code"]), "building": pick(lang, h["building_zh"], h["building_en"])}
        for h in sheet["households"]
    ]
    pages = [slips[i : i + SLIPS_PER_PAGE] for i in range(0, len(slips), SLIPS_PER_PAGE)]
    return _page(
        "index_print/notice.html",
        lang,
        estate=pick(lang, sheet["estate"]["name_zh"], sheet["estate"]["name_en"]),
        estate_names=sheet["estate"],
        month=month,
        month_zh=month_label(month, "zh"),
        month_en=month_label(month, "en"),
        pages=pages,
        count=len(slips),
        vote_url=f"{request.host_url.rstrip('/')}/vote?estate={sheet['estate']['id']}",
        printed=now.strftime("%Y-%m-%d %H:%M"),
    )
