"""Login, logout and the language switch: plain Flask routes, rendered on the server."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, make_response, redirect, render_template, request, session

from auth.context import EXTENSION, LANG_COOKIE, current_config, current_engine, current_lang, current_user
from auth.guard import csrf_token
from data_access.clock import local_now
from data_access.db import writing
from data_access.users import attempt_login
from i18n import HTML_LANG, LANGUAGES, t

bp = Blueprint("auth", __name__, template_folder="templates")


def _safe_next(target: str | None) -> str:
    """Only same-site relative paths, so the login form is never an open redirect."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _render_login(error_key: str | None = None, status: int = 200):
    lang = current_lang()
    html = render_template(
        "login.html",
        lang=lang,
        html_lang=HTML_LANG[lang],
        t=lambda key, **kw: t(key, lang, **kw),
        error=t(error_key, lang) if error_key else None,
        csrf=csrf_token(),
        next=_safe_next(request.values.get("next")),
        other_lang="en" if lang == "zh" else "zh",
    )
    return html, status


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        return _render_login()
    config = current_config()
    with writing(current_engine()) as s:
        result = attempt_login(
            s,
            request.form.get("username", ""),
            request.form.get("password", ""),
            now=local_now(config["timezone"]),
            remote_addr=request.remote_addr,
            max_failures=config["login_max_failures"],
            window_seconds=config["login_window_seconds"],
            lock_seconds=config["login_lock_seconds"],
            shared_counter=current_app.extensions[EXTENSION]["shared_state"] if config["redis_url"] else None,
        )
    if result.user is None:
        return _render_login(result.error, 401 if result.error == "login.error.invalid" else 429)
    session.clear()  # a fresh session on login: no fixation
    session.permanent = True
    session["uid"] = result.user.id
    csrf_token()
    return redirect(_safe_next(request.form.get("next")))


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """POST (the navbar's form, CSRF-checked by the guard) ends the session. A GET only shows where to
    go: an <img src=/logout> on some other page must not log anyone out."""
    if request.method != "POST":
        return redirect("/" if current_user() is not None else "/login")
    session.clear()
    return redirect("/login")


def _same_site_referrer() -> str | None:
    """Back to the page the switch was clicked on, if it was one of ours."""
    parts = urlsplit(request.referrer or "")
    if parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.route("/lang/<code>")
def switch_language(code: str):
    if code not in LANGUAGES:
        code = current_lang()
    response = make_response(redirect(_safe_next(request.args.get("next") or _same_site_referrer())))
    response.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax", httponly=True)
    return response
