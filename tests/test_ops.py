"""Operations: request ids in responses and logs, JSON log lines, and /healthz's scheduler report."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from app import create_app
from auth.requestlog import JsonFormatter, RequestIdFilter
from data_access.clock import local_now
from data_access.leader import beat


def _app(sqlite_engine, tmp_path):
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": str(sqlite_engine.url)})
    app.server.config["TESTING"] = True
    return app


def test_every_response_and_log_line_carries_the_request_id(sqlite_engine, tmp_path, caplog):
    client = _app(sqlite_engine, tmp_path).server.test_client()
    with caplog.at_level(logging.INFO, logger="cockpit.http"):
        given = client.get("/healthz", headers={"X-Request-ID": "wall-7f3a"})
        made = client.get("/login")
        crafted = client.get("/healthz", headers={"X-Request-ID": "bad id; with spaces"})
    assert given.headers["X-Request-ID"] == "wall-7f3a"
    assert len(made.headers["X-Request-ID"]) == 16
    assert crafted.headers["X-Request-ID"] != "bad id; with spaces"  # never echo what could forge log lines
    lines = [r for r in caplog.records if r.name == "cockpit.http"]
    assert any(r.path == "/healthz" and r.status == 200 for r in lines)
    record = next(r for r in lines if r.path == "/healthz")
    RequestIdFilter().filter(record)  # outside a request the filter says "-", inside it names the request
    entry = json.loads(JsonFormatter().format(record))
    assert {"ts", "level", "logger", "request_id", "message", "method", "path", "status", "ms"} <= set(entry)


def test_healthz_names_the_leading_scheduler_and_forgets_dead_ones(sqlite_engine, tmp_path):
    client = _app(sqlite_engine, tmp_path).server.test_client()
    assert client.get("/healthz").get_json()["scheduler"]["status"] == "none"
    now = local_now()
    beat(sqlite_engine, "host:1:000000", "leader", now, now)
    beat(sqlite_engine, "host:2:000000", "standby", now, now)
    body = client.get("/healthz").get_json()["scheduler"]
    assert body["status"] == "ok" and body["leader"]["node"] == "host:1:000000"
    assert [n["node"] for n in body["standbys"]] == ["host:2:000000"]
    old = now - timedelta(minutes=5)  # a leader that stopped beating five minutes ago is gone
    beat(sqlite_engine, "host:1:000000", "leader", old, old)
    assert client.get("/healthz").get_json()["scheduler"]["status"] == "none"
