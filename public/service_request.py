"""The residents' service menu (社区服务): ask the 360 talent library for help, in Chinese or English,
from a phone, without an account; served in the language the resident chooses.

- GET  /request                      the menu and the form: service, what is needed, language, times, contact
- POST /request                      check, store, match (the clearly best person is assigned at once);
                                     303 to the status page; a resubmitted form (same one-time
                                     `submission_id`) makes nothing new
- GET  /request/track?code=SR...     the lookup box, redirects to the status page
- GET  /request/<code>               the status page: progress, who helps (as residents address them,
                                     and their team) and why — never the contact or staff names
- POST /request/<code>/cancel        the resident cancels (before the service is done)
- POST /request/<code>/rate          the resident rates a done service 1-5 with an optional comment
"""

from __future__ import annotations

import hmac
import logging
import math
import re
import secrets

from flask import Blueprint, redirect, request, session, url_for

from auth.context import current_config, current_engine, current_lang
from auth.guard import csrf_token
from auth.ratelimit import client_key, limiter
from data_access.clock import local_now
from data_access.db import reading, writing
from data_access.services import (
    CODE,
    CONTACT_MAX,
    NewRequest,
    RequestInputError,
    check_new_request,
    code_for_submission,
    public_request,
    request_form_choices,
    resident_step,
    specialty_names,
    submit_request,
)
from domain import services as rules
from domain.languages import LANGUAGE_NAMES, language_name
from i18n import pick, t
from i18n.services_text import reason_text, slots_text
from public.render import public_page

bp = Blueprint(
    "service_request", __name__, template_folder="templates", static_folder="static",
    static_url_path="/request/static",
)  # fmt: skip
log = logging.getLogger(__name__)

FIRST_LANGUAGES = ("zh", "en")  # the interface languages head the list; the rest follow by name


def _t(key: str, **params) -> str:
    return t(key, current_lang(), **params)


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.form.get("csrf_token")
    return bool(expected and sent and hmac.compare_digest(expected, sent))


def _rate_limited(name: str) -> int | None:
    """Minutes to wait when this client is over the public request limit, else None (and counted)."""
    rate = limiter(name, "public_request_limit")
    key = client_key()
    if rate.hit(key):
        return None
    return max(1, math.ceil(rate.retry_after(key) / 60))


def _link_base() -> str:
    """Where a notice sends the resident back to (the status page), as this request reached us."""
    return request.host_url.rstrip("/") + "/request/"


# --- the form ---------------------------------------------------------------------------------------


def _by_interface_first(codes) -> list[str]:  # noqa: ANN001
    """Chinese and English first, the rest by their English name."""
    return sorted(
        codes, key=lambda c: (FIRST_LANGUAGES.index(c) if c in FIRST_LANGUAGES else 9, language_name(c, "en"))
    )


def _language_options(lang: str, offered: set[str]) -> list[dict]:
    rest = _by_interface_first(c for c in LANGUAGE_NAMES if c not in FIRST_LANGUAGES)
    return [
        {"code": c, "name": language_name(c, lang), "own": language_name(c, "zh" if c == "zh" else "en"),
         "offered": c in offered}
        for c in (*FIRST_LANGUAGES, *rest)
    ]  # fmt: skip


def _form_page(values: dict, errors: list[tuple[str, str]], status: int = 200):
    lang = current_lang()
    with reading(current_engine()) as s:
        choices = request_form_choices(s)
    joiner = "、" if lang == "zh" else ", "
    services = [
        {
            "code": c["code"],
            "name": pick(lang, c["name_zh"], c["name_en"]),
            "detail": t("svcreq.service_people", lang, n=c["people"],
                        languages=joiner.join(language_name(x, lang) for x in _by_interface_first(c["languages"]))),
        }
        for c in choices["specialties"]
    ]  # fmt: skip
    offered = {x for c in choices["specialties"] for x in c["languages"]}
    field_errors: dict[str, list[str]] = {}
    for field_id, message in errors:
        field_errors.setdefault(field_id, []).append(message)
    communities = [{"id": c["id"], "name": pick(lang, c["name_zh"], c["name_en"])} for c in choices["communities"]]
    return public_page(
        "request/form.html",
        status,
        values=values,
        chosen_slots=set(values.get("slots", ())),
        errors=errors,
        field_errors=field_errors,
        services=services,
        languages=_language_options(lang, offered),
        communities=communities if len(communities) > 1 else [],
        weekdays=rules.WEEKDAYS,
        parts=rules.PART_ORDER,
        csrf=csrf_token(),
        description_max=rules.DESCRIPTION_MAX,
        contact_max=CONTACT_MAX,
    )


def _new_submission_id() -> str:
    return secrets.token_urlsafe(18)


@bp.get("/request")
def form():
    wanted = request.args.get("service", "")
    return _form_page({"submission_id": _new_submission_id(), "language": current_lang(), "specialty": wanted}, [])


def _read_form() -> dict:
    form_data = request.form
    values = {name: form_data.get(name, "") for name in
              ("specialty", "description", "language", "contact", "community", "submission_id")}  # fmt: skip
    values["slots"] = [s for s in form_data.getlist("slot") if isinstance(s, str)][: len(rules.WEEKDAYS) * 3]
    return values


@bp.post("/request")
def submit():
    values = _read_form()
    if not _csrf_ok():
        return _form_page(values, [("form", _t("svcreq.error.csrf"))], 400)
    wait = _rate_limited("service_request")
    if wait is not None:
        return _form_page(values, [("form", _t("svcreq.error.rate_limited", minutes=wait))], 429)
    submission_id = values["submission_id"].strip()
    engine = current_engine()
    with reading(engine) as s:
        choices = request_form_choices(s)
        already = code_for_submission(s, submission_id) if submission_id else None
    if already is not None:  # the same form sent again: its request, and nothing new
        return redirect(url_for(".status_page", code=already, new=1), 303)
    community = values["community"].strip()
    only = choices["communities"][0]["id"] if len(choices["communities"]) == 1 else None
    new = NewRequest(
        community_id=int(community) if community.isdigit() and len(community) < 12 else only,
        specialty=values["specialty"].strip(), description=values["description"], language=values["language"],
        preferred=rules.parse_slots(";".join(values["slots"])), contact=values["contact"],
        submission_id=submission_id or None,
    )  # fmt: skip
    problems = check_new_request(choices, new)
    if not submission_id:
        problems.append(("form", "bad_submission"))
    if problems:
        if any(code == "bad_submission" for _f, code in problems):
            values["submission_id"] = _new_submission_id()
        return _form_page(values, [(f, _t(f"svcreq.error.{code}")) for f, code in problems], 400)
    config = current_config()
    now = local_now(config["timezone"])
    try:
        with writing(engine) as s:
            result = submit_request(s, new, now, config["service_auto_assign_margin"], link_base=_link_base())
    except RequestInputError as exc:  # the library changed between the check and the write
        return _form_page(values, [(f, _t(f"svcreq.error.{code}")) for f, code in exc.problems], 400)
    except Exception:
        # The same form sent twice at once: the other request won the unique submission id.
        with reading(engine) as s:
            already = code_for_submission(s, submission_id)
        if already is None:
            raise
        return redirect(url_for(".status_page", code=already, new=1), 303)
    log.info("service request %s: %s, %s, %s", result.code, new.specialty, new.language, result.outcome)
    return redirect(url_for(".status_page", code=result.code, new=1), 303)


# --- the status page --------------------------------------------------------------------------------


def _normal_code(raw: str | None) -> str:
    return re.sub(r"[\s-]", "", raw or "").upper()


def _not_found():
    return public_page("request/not_found.html", 404)


@bp.get("/request/track")
def lookup():
    code = _normal_code(request.args.get("code"))
    if not CODE.match(code):
        return _not_found()
    return redirect(url_for(".status_page", code=code))


def _stages(status: str) -> list[dict]:
    current = rules.STAGES.index(status) if status in rules.STAGES else -1
    return [
        {"key": s, "state": "done" if i < current or status == "rated" else "current" if i == current else "todo"}
        for i, s in enumerate(rules.STAGES)
    ]


def _status_page(code: str, errors: list[str] | None = None, form: dict | None = None, status: int = 200):
    code = _normal_code(code)
    if not CODE.match(code):
        return _not_found()
    lang = current_lang()
    with reading(current_engine()) as s:
        view = public_request(s, code)
        names = specialty_names(s)
    if view is None:
        return _not_found()

    def specialty_name(c: str) -> str:
        zh, en = names.get(c, (c, c))
        return pick(lang, zh, en)

    reasons = [reason_text(r, lang, specialty_name, language_name) for r in view["reasons"]]
    done = request.args.get("done")
    return public_page(
        "request/status.html",
        status,
        req=view,
        stages=_stages(view["status"]),
        reasons=reasons,
        language=language_name(view["language"], lang),
        times=slots_text(view["preferred"], lang),
        can_cancel=view["status"] in rules.OPEN_STATUSES,
        can_rate=view["status"] == "done",
        errors=errors or [],
        form=form or {},
        note_max=rules.NOTE_MAX,
        comment_max=rules.COMMENT_MAX,
        sent=request.args.get("new") == "1",
        done=done if done in ("cancel", "rate") else None,
        csrf=csrf_token(),
        here=f"/request/{code}",
    )


@bp.get("/request/<code>")
def status_page(code: str):
    return _status_page(code)


def _resident(code: str, action: str):
    code = _normal_code(code)
    form = {"note": request.form.get("note", ""), "comment": request.form.get("comment", ""),
            "rating": request.form.get("rating", "")}  # fmt: skip
    if not CODE.match(code):
        return _not_found()
    if not _csrf_ok():
        return _status_page(code, [_t("svcreq.error.csrf")], form, 400)
    wait = _rate_limited("service_request_step")
    if wait is not None:
        return _status_page(code, [_t("svcreq.error.rate_limited", minutes=wait)], form, 429)
    now = local_now(current_config()["timezone"])
    try:
        with writing(current_engine()) as s:
            resident_step(s, code, action, now, rating=form["rating"], comment=form["comment"], note=form["note"])
    except rules.ServiceError as exc:
        if exc.code == "not_found":
            return _not_found()
        known = (
            exc.code if exc.code in ("wrong_status", "bad_rating", "comment_too_long", "note_too_long") else "forbidden"
        )
        return _status_page(code, [_t(f"svcreq.step_error.{known}")], form, 409 if known == "wrong_status" else 400)
    return redirect(url_for(".status_page", code=code, done=action), 303)


@bp.post("/request/<code>/cancel")
def cancel(code: str):
    return _resident(code, "cancel")


@bp.post("/request/<code>/rate")
def rate(code: str):
    return _resident(code, "rate")


@bp.get("/request/<path:_anything>")
def unknown_path(_anything: str):
    # Without this, Dash's catch-all would answer any other path under the public prefix with its shell.
    return _not_found()
