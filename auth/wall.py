"""The wall screens' door: a read-only device token instead of a staff login.

A wall is opened once with its token in the address (`/wall?token=ckw_…`); the token is then kept in
an HttpOnly cookie scoped to /wall/, so the kiosk's later requests (the Dash layout and callbacks of
the wall app mounted at /wall/) carry it without showing it again. Every request under /wall/ —
the page, its layout and every callback — checks the token against the store, so a revoked token
is refused at the next refresh. A wall token opens nothing else: the staff pages and their
callbacks need a staff session, and wall callbacks refuse anything but a wall device.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import g, jsonify, make_response, redirect, request

from auth.context import current_config, current_engine
from data_access.clock import local_now
from data_access.db import reading, writing
from data_access.tokens import find_active_token, mark_used
from i18n import t

WALL_PREFIX = "/wall/"
WALL_COOKIE = "cockpit_wall"
COOKIE_DAYS = 400  # browsers cap cookie lifetimes at about this; the kiosk re-presents the URL token anyway
USED_EVERY = timedelta(minutes=10)  # last-use is written at most this often, so refreshes stay reads
# files under /wall/ that carry no data: the renderer's scripts, our CSS and JS, the icon
STATIC_PREFIXES = ("/wall/_dash-component-suites/", "/wall/assets/", "/wall/_favicon.ico")


@dataclass(frozen=True)
class WallDevice:
    token_id: int
    name: str
    community_id: int | None  # None: every community (a street or district wall)
    settings: dict

    @property
    def community_ids(self) -> list[int] | None:
        return None if self.community_id is None else [self.community_id]


class WallRefused(Exception):
    """Raised inside a wall callback when the caller is not a wall device."""


def current_wall() -> WallDevice | None:
    return g.get("wall_device")


def _refuse(status: int, reason: str):  # noqa: ANN202
    if request.path.startswith(WALL_PREFIX + "_dash-"):
        response = jsonify({"error": reason})
    else:
        lang = request.args.get("lang") if request.args.get("lang") in ("zh", "en") else None
        lang = lang or current_config()["default_language"]
        title = t("wall.refused_title", lang)
        body = t(f"wall.refused.{reason}", lang)
        response = make_response(
            f'<!doctype html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
            f"<title>{title}</title></head><body style=\"background:#0b1220;color:#e6edf7;font-family:'PingFang SC',"
            f"'Microsoft YaHei','Noto Sans CJK SC',sans-serif;font-size:28px;padding:8vh 8vw\"><h1>{title}</h1>"
            f"<p>{body}</p></body></html>"
        )
        response.headers["Content-Type"] = "text/html; charset=utf-8"
    response.status_code = status
    if reason == "revoked":
        response.delete_cookie(WALL_COOKIE, path=WALL_PREFIX)
    return response


def wall_gate():
    """before_request for /wall and everything under /wall/ (auth/guard.py sends them here)."""
    path = request.path
    if path == "/wall":
        query = request.query_string.decode("latin-1")
        return redirect(WALL_PREFIX + (f"?{query}" if query else ""), code=308)
    if path.startswith(STATIC_PREFIXES):
        return None
    from_url = request.args.get("token", "").strip() if path == WALL_PREFIX else ""
    token = from_url or request.cookies.get(WALL_COOKIE, "").strip()
    if not token:
        return _refuse(401, "missing")
    now = local_now(current_config()["timezone"])
    with reading(current_engine()) as s:
        row = find_active_token(s, "wall", token)
        if row is None:
            return _refuse(403, "revoked")
        device = WallDevice(row.id, row.name, row.community_id, dict(row.settings or {}))
        stale = row.last_used_at is None or now - row.last_used_at > USED_EVERY
    if stale:
        with writing(current_engine()) as s:
            mark_used(s, device.token_id, now)
    g.wall_device = device
    if from_url and from_url != request.cookies.get(WALL_COOKIE):
        g.wall_cookie = from_url
    return None


def wall_after_request(response):  # noqa: ANN001, ANN201
    token = g.get("wall_cookie")
    if token:
        response.set_cookie(
            WALL_COOKIE,
            token,
            max_age=COOKIE_DAYS * 24 * 3600,
            path=WALL_PREFIX,
            httponly=True,
            samesite="Strict",
            secure=request.is_secure,
        )
    if request.path.startswith(WALL_PREFIX) and not request.path.startswith(STATIC_PREFIXES):
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # the token may be in the address
    return response


def wall_guarded(fn: Callable) -> Callable:
    """Wrap a wall callback: refuse (no data) unless the request came through the wall gate."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if current_wall() is None:
            raise WallRefused(fn.__name__)
        return fn(*args, **kwargs)

    wrapper.cockpit_wall_guard = True
    return wrapper
