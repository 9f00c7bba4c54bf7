"""Per-request access to the store, the settings, the caller and the chosen language."""

from __future__ import annotations

from flask import current_app, g, request, session
from sqlalchemy import Engine

from data_access.db import reading
from data_access.users import SessionUser, load_session_user
from i18n import normalise
from settings import Config

LANG_COOKIE = "cockpit_lang"
EXTENSION = "cockpit"


def current_config() -> Config:
    return current_app.extensions[EXTENSION]["config"]


def current_view_cache():  # noqa: ANN201 - data_access.view_cache.ViewCache
    return current_app.extensions[EXTENSION]["view_cache"]


def current_engine() -> Engine:
    return current_app.extensions[EXTENSION]["engine"]


def current_lang() -> str:
    return normalise(request.cookies.get(LANG_COOKIE), current_config()["default_language"])


def current_user() -> SessionUser | None:
    """The logged-in staff member, re-read from the store once per request (or None)."""
    if "cockpit_user" in g:
        return g.cockpit_user
    user = None
    user_id = session.get("uid")
    if isinstance(user_id, int):
        with reading(current_engine()) as s:
            user = load_session_user(s, user_id)
        if user is None:
            session.clear()
    g.cockpit_user = user
    return user
