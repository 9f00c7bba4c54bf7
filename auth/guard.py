"""Server-side checks for every page, callback and route.

- `before_request` refuses anonymous callers everywhere except the public paths.
- State-changing requests carry the CSRF token (Dash sends it from the `_csrf_token` cookie in the
  X-CSRFToken header; forms send it as a field).
- Every page layout and every callback names the roles it allows (`page_allowed`, `@guarded`),
  so a hidden button is never the only guard.
"""

from __future__ import annotations

import functools
import hmac
import secrets
from collections.abc import Callable, Iterable

from flask import abort, jsonify, redirect, request, session, url_for

from auth.context import current_user
from auth.wall import WALL_PREFIX, wall_after_request, wall_gate
from domain.catalog import ROLES

ALL_ROLES: frozenset[str] = frozenset(ROLES)
CSRF_COOKIE = "_csrf_token"  # Dash's renderer reads this cookie name by default
CSRF_HEADER = "X-CSRFToken"

# Paths that skip the staff-session check: the login page, health, static files that hold no data,
# the machine API, whose every route checks a bearer token itself (api/v1.py), Open311 (api/open311.py:
# public reads, api key checked on POST), and the residents'
# public pages (public/), which hold no staff data and check their own CSRF token on POST.
PUBLIC_PREFIXES = (
    "/api/v1/",
    "/open311/",
    "/parking/apply",
    "/parking/permit/",
    "/report/",  # also "/report" itself, not "/reports…"
    "/vote/",  # also "/vote" itself: the residents' monthly ballot (public/vote.py), not "/votes…"
    "/request/",  # also "/request" itself: the residents' service requests (public/service_request.py)
    "/login",
    "/healthz",
    "/lang",
    "/vendor/",
    "/assets/",
    "/_dash-component-suites/",
    "/_favicon.ico",
    "/favicon.ico",
)


class Forbidden(Exception):
    """Raised inside a callback when the caller lacks the role; Dash returns an error, no data."""


def csrf_token() -> str:
    token = session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.headers.get(CSRF_HEADER) or request.form.get("csrf_token")
    return bool(expected and sent and hmac.compare_digest(expected, sent))


def _wants_json() -> bool:
    return request.path.startswith("/_dash-") or request.path.startswith("/api/")


def before_request():
    path = request.path
    if path == "/wall" or path.startswith(WALL_PREFIX):  # wall screens: a device token, never a session
        return wall_gate()
    if any(path == p.rstrip("/") or path.startswith(p) for p in PUBLIC_PREFIXES):
        if request.method == "POST" and path.startswith("/login") and not _csrf_ok():
            abort(400, description="csrf")
        return None
    user = current_user()
    if user is None:
        if _wants_json():
            return jsonify({"error": "login required"}), 401
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if request.method not in ("GET", "HEAD", "OPTIONS") and not _csrf_ok():
        return jsonify({"error": "missing or wrong CSRF token"}), 403
    return None


def after_request(response):
    response = wall_after_request(response)
    # A readable (not HttpOnly) double-submit cookie for Dash's renderer; the session cookie that
    # it must match stays HttpOnly.
    if "csrf" in session or current_user() is not None:
        response.set_cookie(CSRF_COOKIE, csrf_token(), httponly=False, samesite="Lax", secure=request.is_secure)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def role_allowed(roles: Iterable[str]) -> bool:
    user = current_user()
    return user is not None and user.role in set(roles)


def guarded(roles: Iterable[str] = ALL_ROLES) -> Callable:
    """Wrap a Dash callback: refuse (no data) unless the caller is logged in with one of `roles`."""
    allowed = frozenset(roles)
    unknown = allowed - ALL_ROLES
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            user = current_user()
            if user is None or user.role not in allowed:
                raise Forbidden(fn.__name__)
            return fn(*args, **kwargs)

        wrapper.cockpit_roles = allowed
        return wrapper

    return decorate
