"""Wall screen tokens as an administrator handles them: `python -m data_access wall-token` and the
screen settings on /system, and a screen that then shows what was set."""

from __future__ import annotations

import json

from sqlalchemy import select

from app import create_app
from data_access.db import reading, writing
from data_access.models import ApiToken, AuditLog
from data_access.tokens import issue_token
from tests.factories import NOW, tiny_community
from tests.test_wall import _build, _stores
from tests.test_web import _csrf_cookie, _route, login


def _url(engine) -> str:  # noqa: ANN001
    return engine.url.render_as_string(hide_password=False)


def _app(engine, tmp_path):  # noqa: ANN001
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": _url(engine), "run_scheduler": False})
    app.server.config["TESTING"] = True
    return app


def _screen_config(app, clear: str) -> dict:
    screen = app.server.test_client()
    assert screen.get(f"/wall/?token={clear}").status_code == 200
    built = _build(screen)
    assert built.status_code == 200
    return _stores(built.get_json())["wall-config"]


def test_wall_token_cli_creates_with_settings_lists_changes_and_revokes(sqlite_engine, tmp_path, monkeypatch, capsys):
    from data_access.__main__ import main

    tiny_community(sqlite_engine, with_users=False)
    monkeypatch.setenv("COCKPIT_DATABASE_URL", _url(sqlite_engine))
    monkeypatch.setenv("COCKPIT_INSTANCE_DIR", str(tmp_path))
    assert main(["wall-token", "create", "office wall", "--community", "c1", "--views", "parking,hotspots",
                 "--rotate", "30", "--lang", "en"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    url_line = next(line for line in out.splitlines() if "/wall/?token=" in line)
    clear = url_line.rsplit("token=", 1)[1]
    assert clear.startswith("ckw_") and "shown this once" in out.lower()

    app = _app(sqlite_engine, tmp_path)
    config = _screen_config(app, clear)
    assert (config["views"], config["rotate"], config["lang"]) == (["parking", "hotspots"], 30, "en")

    assert main(["wall-token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "office wall" in listing and "views=parking,hotspots" in listing and "rotate=30" in listing
    assert "ckw_" not in listing  # the token is shown once only

    with reading(sqlite_engine) as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.name == "office wall"))
    assert main(["wall-token", "set", str(token_id), "--rotate", "2"]) == 2  # below 5 s: refused, nothing stored
    assert "rotate" in capsys.readouterr().err
    assert _screen_config(app, clear)["rotate"] == 30
    assert main(["wall-token", "set", str(token_id), "--clear"]) == 0
    assert _screen_config(app, clear)["views"] == ["hotspots", "governance", "parking", "index", "iot"]

    assert main(["wall-token", "revoke", str(token_id)]) == 0
    assert app.server.test_client().get(f"/wall/?token={clear}").status_code == 403
    assert main(["wall-token", "revoke", str(token_id)]) == 1
    assert main(["wall-token", "create", "x", "--views", "weather"]) == 2


def _save_wall(app, client, token, views, rotate=None, refresh=None, lang=""):  # noqa: ANN001
    output = next(k for k in app.callback_map if k.startswith("..wall-set-feedback.children"))
    body = {
        "output": output,  # Dash keys a callback with a duplicate output by its full output string
        "outputs": [{"id": "wall-set-feedback", "property": "children"}, {"id": "tok-list", "property": "children"}],
        "inputs": [{"id": "wall-set-save", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["wall-set-save.n_clicks"],
        "state": [
            {"id": "wall-set-token", "property": "value", "value": str(token)},
            {"id": "wall-set-views", "property": "value", "value": views},
            {"id": "wall-set-rotate", "property": "value", "value": rotate},
            {"id": "wall-set-refresh", "property": "value", "value": refresh},
            {"id": "wall-set-lang", "property": "value", "value": lang},
        ],
    }
    response = client.post("/_dash-update-component", json=body, headers={"X-CSRFToken": _csrf_cookie(client)})
    return response, json.dumps(response.get_json(), ensure_ascii=False) if response.status_code == 200 else ""


def test_administrators_set_a_screens_playlist_on_the_system_page(sqlite_engine, tmp_path):
    place = tiny_community(sqlite_engine)
    other = tiny_community(sqlite_engine, code="c9", with_users=False)
    with writing(sqlite_engine) as s:
        clear = issue_token(s, "wall", "hall screen", NOW, place["community_id"])
        issue_token(s, "wall", "other screen", NOW, other["community_id"])
        ids = dict(s.execute(select(ApiToken.name, ApiToken.id)).all())
    app = _app(sqlite_engine, tmp_path)
    admin = app.server.test_client()
    login(admin, "c1_admin", "pw-admin")
    admin.get("/")
    system = _route(admin, "/system")
    assert "大屏播放设置" in system and "hall screen" in system and "other screen" not in system

    saved, text = _save_wall(app, admin, ids["hall screen"], ["iot", "hotspots"], rotate=12, lang="en")
    assert saved.status_code == 200 and "已保存" in text and "每页 12 秒" in text
    config = _screen_config(app, clear)
    assert (config["views"], config["rotate"], config["lang"]) == (["hotspots", "iot"], 12, "en")

    _, refused = _save_wall(app, admin, ids["hall screen"], ["iot"], rotate=2)
    assert "5–3600" in refused
    _, empty = _save_wall(app, admin, ids["hall screen"], [])
    assert "至少选择一个页面" in empty
    assert _screen_config(app, clear)["rotate"] == 12  # a refused save stores nothing

    # another community's screen is out of reach, whatever id the browser sends
    _, reach = _save_wall(app, admin, ids["other screen"], ["iot"], rotate=30)
    assert "不存在或已被吊销" in reach
    with reading(sqlite_engine) as s:
        assert s.scalar(select(ApiToken.settings).where(ApiToken.id == ids["other screen"])) is None
        audited = s.scalars(select(AuditLog.detail).where(AuditLog.entity == "api_token")).all()
    assert any("wall settings" in d for d in audited)

    secretary = app.server.test_client()
    login(secretary, "c1_secretary", "pw-secretary")
    secretary.get("/")
    forbidden, _ = _save_wall(app, secretary, ids["hall screen"], ["parking"])
    assert forbidden.status_code == 403
    assert _screen_config(app, clear)["views"] == ["hotspots", "iot"]
