"""Community Cockpit (社区驾驶舱): the Dash application factory and the development entry point.

`python app.py` serves on COCKPIT_PORT with the scheduler in-process (COCKPIT_RUN_SCHEDULER);
production runs `gunicorn 'app:create_server()'` workers and `python -m jobs` (a leader and a standby).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import dash
import dash_bootstrap_components as dbc
import flask_bootstrap
from dash import Dash, Input, Output, State, html
from flask import jsonify, redirect, request, send_from_directory
from werkzeug.middleware.proxy_fix import ProxyFix

from api.health import bp as health_bp
from api.index_print import bp as index_print_bp
from api.open311 import bp as open311_bp
from api.photos import bp as photos_bp
from api.v1 import bp as api_v1_bp
from api.v1_index import bp as api_v1_index_bp
from api.v1_iot import bp as api_v1_iot_bp
from auth import requestlog
from auth.context import EXTENSION, current_engine, current_lang, current_user
from auth.guard import ALL_ROLES, Forbidden, after_request, before_request, csrf_token, guarded
from auth.views import bp as auth_bp
from components.common import forbidden_note, not_found_note
from components.shell import navbar
from data_access.db import make_engine, reading
from data_access.notify import unread_count
from data_access.shared_state import make_state
from data_access.view_cache import ViewCache
from i18n import HTML_LANG, t
from pages import (
    access,
    audit,
    case_detail,
    case_new,
    compare,
    data,
    devices,
    estate_index,
    governance,
    hotspots,
    inbox,
    metrics,
    parking,
    service_request_detail,
    service_requests,
    services,
    system,
    talent_library,
    wall,
    welfare,
)
from pages._context import page_context
from public.parking_permits import bp as parking_permits_bp
from public.report import bp as report_bp
from public.service_request import bp as service_request_bp
from public.vote import bp as vote_bp
from settings import Config, ensure_secret_key, load_config

PAGE_MODULES = (
    hotspots, data, devices, access, welfare, audit, governance, metrics, case_detail, case_new, parking, services,
    service_requests, service_request_detail, talent_library, estate_index, compare, system, inbox,
)  # fmt: skip
VENDOR_DIR = Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5"
STYLESHEETS = ["/vendor/bootstrap5/css/bootstrap.min.css", "/vendor/bootstrap5/css/font/bootstrap-icons.min.css"]


class WallDash(Dash):
    """The wall screens' app (mounted at /wall/): <html lang> in the screen's language."""

    def interpolate_index(self, **kwargs: Any) -> str:
        lang = wall.device_lang(request.args)
        kwargs["title"] = f"{t('app.title', lang)} · {t('wall.view.hotspots', lang)}"
        html_text = super().interpolate_index(**kwargs)
        return html_text.replace("<html>", f'<html lang="{HTML_LANG[lang]}">', 1)


class CockpitDash(Dash):
    """Sets <html lang> and the title in the visitor's language on every page load."""

    def interpolate_index(self, **kwargs: Any) -> str:
        lang = current_lang()
        kwargs["title"] = t("app.title", lang)
        html_text = super().interpolate_index(**kwargs)
        return html_text.replace("<html>", f'<html lang="{HTML_LANG[lang]}">', 1)


def _guarded_layout(module):  # noqa: ANN001
    roles = frozenset(module.PAGE["roles"])

    def layout(**kwargs):
        user = current_user()
        if user is None or user.role not in roles:
            return forbidden_note(current_lang())
        return module.layout(page_context(), **kwargs)

    return layout


def _page_title(key: str):
    """Browser-tab title in the caller's language, worked out per request."""

    def title(**_kwargs) -> str:
        lang = current_lang()
        return f"{t(key, lang)} · {t('app.title', lang)}"

    return title


def _not_found_layout(**_kwargs):
    return not_found_note(current_lang())


def _unread(user_id: int) -> int:
    with reading(current_engine()) as s:
        return unread_count(s, user_id)


def _serve_shell():
    """The frame around every page: navbar from the page registry (only pages the caller may open)."""
    user = current_user()
    lang = current_lang()
    # pages for several communities (the comparison view) only in the navbar of callers who see several
    wide = user is not None and len(page_context().community_ids) > 1
    entries = [
        {**page, "path": page["path"]}
        for page in sorted(dash.page_registry.values(), key=lambda p: 99 if p.get("order") is None else p["order"])
        if page.get("nav_key")
        and user is not None
        and user.role in page.get("roles", ())
        and (wide or not page.get("multi_community"))
    ]
    return html.Div(
        [
            navbar(
                entries,
                lang,
                "/",
                user.display_name if user else None,
                user.role if user else None,
                _unread(user.id) if user else None,
                csrf_token() if user else None,
            ),
            dbc.Container(dash.page_container, fluid=True, className="pb-4", id="page-frame"),
        ]
    )


def create_app(overrides: dict[str, Any] | None = None, config: Config | None = None) -> Dash:
    config = config or load_config(overrides)
    config.instance_path.mkdir(parents=True, exist_ok=True)
    engine = make_engine(config.sqlalchemy_url)

    app = CockpitDash(
        __name__,
        use_pages=True,
        pages_folder="",
        assets_folder=str(Path(__file__).parent / "assets"),
        assets_path_ignore=["wall"],  # the wall app's own stylesheet and script
        external_stylesheets=STYLESHEETS,
        serve_locally=True,
        update_title=None,
        suppress_callback_exceptions=True,
        title="社区驾驶舱",
    )
    server = app.server
    server.config.update(
        SECRET_KEY=ensure_secret_key(config),
        SESSION_COOKIE_NAME="cockpit_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=config["session_hours"]),
        # three photos at their cap, base64-inflated when they come through a Dash upload, plus the form
        MAX_CONTENT_LENGTH=max(16 * 1024 * 1024, 4 * config["photo_max_bytes"] + 2 * 1024 * 1024),
    )
    if config["trusted_proxies"] > 0:  # behind nginx: the client's address and scheme, not the proxy's
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=config["trusted_proxies"], x_proto=config["trusted_proxies"])
    shared_state = make_state(config["redis_url"])
    server.extensions[EXTENSION] = {
        "config": config,
        "engine": engine,
        "shared_state": shared_state,
        "view_cache": ViewCache(shared_state),
    }
    requestlog.install(server)  # first, so even refused requests carry an id
    server.before_request(before_request)
    server.after_request(after_request)
    server.register_blueprint(auth_bp)
    server.register_blueprint(health_bp)
    server.register_blueprint(api_v1_bp)
    server.register_blueprint(api_v1_iot_bp)
    server.register_blueprint(open311_bp)
    server.register_blueprint(parking_permits_bp)
    server.register_blueprint(report_bp)
    server.register_blueprint(service_request_bp)
    server.register_blueprint(vote_bp)
    server.register_blueprint(api_v1_index_bp)
    server.register_blueprint(index_print_bp)
    server.register_blueprint(photos_bp)

    @server.route("/vendor/bootstrap5/<path:filename>")
    def vendor(filename: str):
        return send_from_directory(VENDOR_DIR, filename, max_age=7 * 24 * 3600)

    @server.route("/favicon.ico")
    def favicon():
        # browsers ask for it on pages Dash does not serve (the residents' pages, error pages): Dash's icon
        return redirect("/_favicon.ico", code=301)

    @server.errorhandler(Forbidden)
    def forbidden(_exc):  # noqa: ANN001
        return jsonify({"error": "forbidden"}), 403

    for module in PAGE_MODULES:
        meta = {k: v for k, v in module.PAGE.items()}
        dash.register_page(
            module.__name__,
            layout=_guarded_layout(module),
            title=_page_title(module.PAGE.get("title_key") or module.PAGE.get("nav_key", "case.title")),
            **meta,
        )
        module.register_callbacks(app)
    dash.register_page("not_found_404", layout=_not_found_layout, path="/404")

    app.layout = _serve_shell

    server.extensions[EXTENSION]["wall_app"] = create_wall_app(server)

    @app.callback(Output("nav-collapse", "is_open"), Input("nav-toggler", "n_clicks"), State("nav-collapse", "is_open"))
    @guarded(ALL_ROLES)
    def toggle_navbar(n_clicks, is_open):
        return (not is_open) if n_clicks else is_open

    return app


def create_wall_app(server) -> Dash:  # noqa: ANN001
    """The wall screens: a second Dash app on the same server, its own layout (no navbar), callbacks
    (each checks the wall token) and assets (assets/wall: the dark stylesheet and the browser side)."""
    wall_app = WallDash(
        "wall",
        server=server,
        url_base_pathname=wall.WALL_PATH,
        use_pages=False,
        assets_folder=str(Path(__file__).parent / "assets" / "wall"),
        external_stylesheets=[STYLESHEETS[1]],  # Bootstrap Icons only
        serve_locally=True,
        update_title=None,
        suppress_callback_exceptions=True,
    )
    wall_app.layout = wall.layout
    wall.register_callbacks(wall_app)
    return wall_app


def create_server():
    """For gunicorn: `gunicorn 'app:create_server()'`. Workers never run the scheduler."""
    config = load_config()
    requestlog.configure_logging(config["log_format"])
    return create_app(config=config).server


def main() -> None:
    from data_access.clock import local_now
    from data_access.db import writing
    from data_access.migrate import upgrade_to_head
    from data_access.reference import seed_reference

    config = load_config()
    requestlog.configure_logging(config["log_format"])
    app = create_app(config=config)
    engine = app.server.extensions[EXTENSION]["engine"]
    upgrade_to_head(engine)
    with writing(engine) as s:
        seed_reference(s, local_now(config["timezone"]))
    if config["run_scheduler"]:
        from jobs.scheduler import start_background

        start_background(engine, config)
    print(f"Community Cockpit on http://{config['host']}:{config['port']}/", flush=True)
    app.run(host=config["host"], port=config["port"], debug=False)


if __name__ == "__main__":
    main()
