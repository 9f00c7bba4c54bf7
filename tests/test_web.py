"""The web app in-process: login, guards on every route and callback, CSRF, cookies, language."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from app import create_app
from data_access.clock import local_now
from data_access.migrate import head_revisions
from tests.factories import add_case, tiny_community


@pytest.fixture
def web(sqlite_engine, tmp_path):
    place = tiny_community(sqlite_engine)
    now = local_now()
    add_case(sqlite_engine, place, "w1", now - timedelta(minutes=30), description="3幢楼下垃圾堆放")
    add_case(sqlite_engine, place, "w2", now - timedelta(days=1), status="in_progress", due_at=now - timedelta(hours=1))
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": str(sqlite_engine.url)})
    app.server.config["TESTING"] = True
    return app, place


def _csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, username: str, password: str):
    token = _csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token, "next": "/"})


def decoded(response) -> str:
    """A Dash JSON response as readable text (Dash escapes non-ASCII as \\uXXXX)."""
    return json.dumps(response.get_json(), ensure_ascii=False)


def _csrf_cookie(client) -> str:
    return client.get_cookie("_csrf_token").value


def fire(client, output: str, trigger: str, value, headers: dict | None = None):
    """Call a one-output, one-input callback through Dash's endpoint, as the browser does."""
    out_id, out_prop = output.split(".")
    in_id, in_prop = trigger.split(".")
    payload = {
        "output": output,
        "outputs": {"id": out_id, "property": out_prop},
        "inputs": [{"id": in_id, "property": in_prop, "value": value}],
        "changedPropIds": [trigger],
        "state": [],
    }
    return client.post("/_dash-update-component", json=payload, headers=headers or {})


HOTSPOT_FILTERS = ("hot-category", "hot-grade", "hot-estate")


def hotspot_payload(output: str = "hot-body", filters: dict | None = None, state: list | None = None) -> dict:
    """The hotspots page's refresh as the browser sends it: the timer and the three filters."""
    refresh = "hot-refresh-one" if output.endswith("-one") else "hot-refresh"
    inputs = [{"id": refresh, "property": "n_intervals", "value": 1}] + [
        {"id": f, "property": "value", "value": (filters or {}).get(f.removeprefix("hot-"))} for f in HOTSPOT_FILTERS
    ]
    return {"output": f"{output}.children", "outputs": {"id": output, "property": "children"}, "inputs": inputs,
            "changedPropIds": [f"{refresh}.n_intervals"], "state": state or []}  # fmt: skip


def hotspot_refresh(client, headers: dict | None = None, filters: dict | None = None):
    return client.post("/_dash-update-component", json=hotspot_payload(filters=filters), headers=headers or {})


def test_anonymous_is_sent_to_login_from_every_page(web):
    app, _ = web
    client = app.server.test_client()
    for path in ("/", "/data", "/governance", "/services", "/governance/case/1"):
        response = client.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    for path in ("/_dash-layout", "/_dash-dependencies"):
        assert client.get(path).status_code == 401
    health = client.get("/healthz")  # answered without a login (503 here: no scheduler runs in this test)
    assert health.status_code == 503 and health.get_json()["scheduler"]["status"] == "none"
    assert client.get("/login").status_code == 200
    icon = client.get("/favicon.ico", follow_redirects=True)  # the icon, not the login page
    assert icon.status_code == 200 and icon.mimetype == "image/x-icon"


def test_login_sets_a_hardened_session_and_logout_ends_it(web):
    app, _ = web
    client = app.server.test_client()
    response = login(client, "c1_secretary", "pw-secretary")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("cockpit_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert client.get("/").status_code == 200
    layout = client.get("/_dash-layout").get_data(as_text=True)
    assert "secretary-c1" in layout  # the navbar shows who is logged in
    client.get("/logout")  # a GET (say an <img> on another site) does not end the session
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 403  # the navbar's form carries the CSRF token
    assert client.get("/").status_code == 200
    shell = json.dumps(json.loads(layout))
    assert '"action": "/logout"' in shell and '"name": "csrf_token"' in shell  # the logout form carries the token
    client.post("/logout", data={"csrf_token": _csrf_cookie(client)})
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_in_the_users_language(web):
    app, _ = web
    client = app.server.test_client()
    response = login(client, "c1_admin", "nope")
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    client.get("/lang/en")
    response = login(client, "c1_admin", "nope")
    assert "Wrong username or password" in response.get_data(as_text=True)


def test_five_failures_lock_the_account(web):
    app, _ = web
    client = app.server.test_client()
    for _ in range(4):
        assert login(client, "c1_viewer", "bad").status_code == 401
    response = login(client, "c1_viewer", "bad")
    assert response.status_code == 429 and "锁定" in response.get_data(as_text=True)
    assert login(client, "c1_viewer", "pw-viewer").status_code == 429


def test_login_without_csrf_token_is_refused(web):
    app, _ = web
    client = app.server.test_client()
    client.get("/login")
    response = client.post("/login", data={"username": "c1_admin", "password": "pw-admin"})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_never_redirects_off_site(web):
    app, _ = web
    client = app.server.test_client()
    token = _csrf_from(client.get("/login?next=//evil.example/x").get_data(as_text=True))
    response = client.post(
        "/login", data={"username": "c1_admin", "password": "pw-admin", "csrf_token": token, "next": "//evil.example/x"}
    )
    assert response.headers["Location"] == "/"


def test_callback_returns_data_to_a_logged_in_role(web):
    app, _ = web
    client = app.server.test_client()
    login(client, "c1_grid_worker", "pw-grid_worker")
    client.get("/")
    response = hotspot_refresh(client, {"X-CSRFToken": _csrf_cookie(client)})
    assert response.status_code == 200
    body = decoded(response)
    assert "kpi-new-today" in body and "kpi-overdue" in body
    assert "垃圾堆放" in body  # the latest case's category


def test_callback_refuses_anonymous_callers_without_data(web):
    app, _ = web
    client = app.server.test_client()
    response = hotspot_refresh(client)
    assert response.status_code == 401
    assert "kpi" not in response.get_data(as_text=True)


def test_callback_without_csrf_header_is_refused(web):
    app, _ = web
    client = app.server.test_client()
    login(client, "c1_admin", "pw-admin")
    response = hotspot_refresh(client)
    assert response.status_code == 403
    assert "kpi" not in response.get_data(as_text=True)


def test_every_callback_checks_the_role_on_the_server(web):
    """Each registered callback carries a role guard (the pages router is Dash's own and calls the
    guarded page layouts)."""
    app, _ = web
    app.server.test_client().get("/login")
    unguarded = [
        key
        for key, spec in app.callback_map.items()
        if "_pages_" not in key and not getattr(spec["callback"], "cockpit_roles", None)
    ]
    assert len(app.callback_map) >= 3
    assert unguarded == []


def test_a_deactivated_user_loses_access_at_once(web, sqlite_engine):
    from sqlalchemy import update

    from data_access.db import writing
    from data_access.models import User

    app, place = web
    client = app.server.test_client()
    login(client, "c1_admin", "pw-admin")
    assert client.get("/").status_code == 200
    with writing(sqlite_engine) as s:
        s.execute(update(User).where(User.id == place["users"]["admin"]).values(active=False))
    assert client.get("/").status_code == 302


def test_html_lang_and_title_follow_the_chosen_language(web):
    app, _ = web
    client = app.server.test_client()
    login(client, "c1_admin", "pw-admin")
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page and "<title>社区驾驶舱</title>" in page
    response = client.get("/lang/en?next=/data")
    assert response.headers["Location"] == "/data"
    assert "Max-Age" in response.headers["Set-Cookie"]  # the choice persists
    page = client.get("/data").get_data(as_text=True)
    assert '<html lang="en">' in page and "<title>Community Cockpit</title>" in page


def test_case_page_shows_the_trail_and_hides_other_communities(web, sqlite_engine):
    app, place = web
    other = tiny_community(sqlite_engine, code="c9", with_users=False)
    foreign_case = add_case(sqlite_engine, other, "x1", local_now(), description="别的社区的事件")
    client = app.server.test_client()
    login(client, "c1_admin", "pw-admin")
    client.get("/")
    headers = {"X-CSRFToken": _csrf_cookie(client)}

    def open_case(case_id: int) -> str:
        payload = {
            "output": ".._pages_content.children..._pages_store.data..",
            "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
            "inputs": [
                {"id": "_pages_location", "property": "pathname", "value": f"/governance/case/{case_id}"},
                {"id": "_pages_location", "property": "search", "value": ""},
            ],
            "changedPropIds": ["_pages_location.pathname"],
            "state": [],
        }
        response = client.post("/_dash-update-component", json=payload, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        return decoded(response)

    own = open_case(1)
    assert "case-trail" in own and "3幢楼下垃圾堆放" in own
    hidden = open_case(foreign_case)
    assert "not-found-note" in hidden and "别的社区" not in hidden


def test_vendor_assets_are_served_locally(web):
    app, _ = web
    client = app.server.test_client()
    css = client.get("/vendor/bootstrap5/css/bootstrap.min.css")
    assert css.status_code == 200 and b"Bootstrap" in css.data[:200]
    assert client.get("/vendor/bootstrap5/css/font/bootstrap-icons.min.css").status_code == 200
    assert client.get("/assets/cockpit.css").status_code == 200


def test_healthz_reports_store_and_jobs(web):
    from data_access.leader import beat

    app, _ = web
    now = local_now()
    beat(app.server.extensions["cockpit"]["engine"], "host:1:000000", "leader", now, now)
    response = app.server.test_client().get("/healthz")
    body = response.get_json()
    assert response.status_code == 200
    assert body["status"] == "ok" and body["database"] == "ok" and body["schema_revision"] == head_revisions()


def _route(client, path: str) -> str:
    """Ask Dash's page router for `path`, as the browser does after the first load."""
    payload = {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": ""},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }
    response = client.post("/_dash-update-component", json=payload, headers={"X-CSRFToken": _csrf_cookie(client)})
    assert response.status_code == 200
    return decoded(response)


def _refresh_runs(client):
    return fire(client, "sys-runs.children", "sys-refresh.n_clicks", 1, {"X-CSRFToken": _csrf_cookie(client)})


def test_system_page_is_for_administrators_only(web):
    from jobs.registry import job_specs, run_job

    app, _ = web
    engine = app.server.extensions["cockpit"]["engine"]
    config = app.server.extensions["cockpit"]["config"]
    run_job(engine, job_specs(config)["rollups"], None, config["timezone"])

    admin = app.server.test_client()
    login(admin, "c1_admin", "pw-admin")
    assert "nav-system" in decoded_layout(admin)
    page = _route(admin, "/system")
    assert "sys-runs-table" in page and "rollups" in page and "COCKPIT_SECRET_KEY" in page
    assert app.server.config["SECRET_KEY"] not in page  # secrets are never shown
    assert _refresh_runs(admin).status_code == 200

    worker = app.server.test_client()
    login(worker, "c1_grid_worker", "pw-grid_worker")
    assert "nav-system" not in decoded_layout(worker)
    page = _route(worker, "/system")
    assert "forbidden-note" in page and "rollups" not in page
    refused = _refresh_runs(worker)
    assert refused.status_code == 403 and "rollups" not in refused.get_data(as_text=True)


def decoded_layout(client) -> str:
    return json.dumps(client.get("/_dash-layout").get_json(), ensure_ascii=False)
