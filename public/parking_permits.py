"""Public shared-parking permit pages (issue 4 item 4).

- GET  /parking/apply[?window=day|night]  the application form for one window
- POST /parking/apply                     store it, allocate at once, redirect to the status page
- GET  /parking/permit?code=PK...         the lookup box, redirects to the status page
- GET  /parking/permit/<code>             the status: granted lot, waitlist position, notices;
                                          the only personal data on it is the masked plate
"""

from __future__ import annotations

import hmac
import logging
import re

from flask import Blueprint, redirect, request, session, url_for

from auth.context import current_config, current_engine, current_lang
from auth.guard import csrf_token
from data_access.clock import local_now
from data_access.db import reading, writing
from data_access.notify import OutboxNotifier
from data_access.permits import (
    KINDS,
    MAX_CHOICES,
    WINDOWS,
    PermitError,
    apply,
    check_application,
    permit_status,
    run_allocation,
    window_lots,
)
from i18n import pick, t
from public.render import public_page

bp = Blueprint("parking_permits", __name__, template_folder="templates")
log = logging.getLogger(__name__)
CODE = re.compile(r"^[A-Z0-9]{1,16}$")


def _form_page(window: str, values: dict, errors: list[str], status: int = 200):
    lang = current_lang()
    with reading(current_engine()) as s:
        lots = window_lots(s, window)
    hours = (lots[0]["window_start"], lots[0]["window_end"]) if lots else None
    options = [
        {
            "code": lot["lot"],
            "label": t("permit.lot_option", lang, lot=pick(lang, lot["lot_zh"], lot["lot_en"]), n=lot["shareable"])
            if lot["available"]
            else t("permit.lot_unavailable", lang, lot=pick(lang, lot["lot_zh"], lot["lot_en"])),
            "available": lot["available"],
        }
        for lot in lots
    ]
    return public_page(
        "permits/apply.html",
        status,
        window=window,
        windows=WINDOWS,
        hours=hours,
        kinds=KINDS,
        options=options,
        choice_numbers=range(1, MAX_CHOICES + 1),
        values=values,
        errors=[t(key, lang) for key in errors],
        csrf=csrf_token(),
    )


@bp.get("/parking/apply")
def apply_form():
    window = request.args.get("window", "day")
    return _form_page(window if window in WINDOWS else "day", {"applicant_kind": "resident"}, [])


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.form.get("csrf_token")
    return bool(expected and sent and hmac.compare_digest(expected, sent))


@bp.post("/parking/apply")
def apply_submit():
    form = request.form
    window = form.get("window", "")
    values = {
        "applicant_kind": form.get("applicant_kind", ""),
        "applicant_name": form.get("applicant_name", ""),
        "plate": form.get("plate", ""),
        "contact": form.get("contact", ""),
        **{f"choice{n}": form.get(f"choice{n}", "") for n in range(1, MAX_CHOICES + 1)},
    }
    shown_window = window if window in WINDOWS else "day"
    if not _csrf_ok():
        return _form_page(shown_window, values, ["permit.error.csrf"], 400)
    preferences = [values[f"choice{n}"].strip() for n in range(1, MAX_CHOICES + 1)]
    extra = [v for k, v in form.items() if k.startswith("choice") and k[6:] not in {"1", "2", "3"} and v]
    errors = check_application(
        values["applicant_kind"], values["applicant_name"], values["plate"], values["contact"], window,
        preferences + extra,
    )  # fmt: skip
    if errors:
        return _form_page(shown_window, values, errors, 400)
    now = local_now(current_config()["timezone"])
    try:
        with writing(current_engine()) as s:
            permit = apply(
                s, now, values["applicant_kind"], values["applicant_name"], values["plate"], values["contact"],
                window, preferences,
            )  # fmt: skip
            code = permit.tracking_code
    except PermitError as exc:
        return _form_page(shown_window, values, [exc.key], 400)
    try:  # the application is stored; a failed allocation leaves it pending for the next run
        with writing(current_engine()) as s:
            run_allocation(s, now, OutboxNotifier(s, now))
    except Exception:  # noqa: BLE001
        log.exception("on-demand permit allocation failed; %s stays pending", code)
    return redirect(url_for("parking_permits.status_page", code=code), 303)


@bp.get("/parking/permit")
def lookup():
    code = (request.args.get("code") or "").strip().upper()
    if not CODE.match(code):
        return _not_found()
    return redirect(url_for("parking_permits.status_page", code=code))


def _not_found():
    return public_page("permits/not_found.html", 404)


@bp.get("/parking/permit/<code>")
def status_page(code: str):
    code = code.strip().upper()
    if not CODE.match(code):
        return _not_found()
    with reading(current_engine()) as s:
        permit = permit_status(s, code)
    if permit is None:
        return _not_found()
    return public_page("permits/status.html", permit=permit)
