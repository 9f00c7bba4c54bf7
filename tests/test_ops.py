"""Operations: request ids in responses and logs, JSON log lines (web workers and the scheduler), and
/healthz: the scheduler report, the jobs' last runs (stale ones marked), Redis, and the 503 a monitor
sees when the database or Redis is down or not exactly one scheduler leads."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest

from app import create_app
from auth.requestlog import JsonFormatter, RequestIdFilter
from data_access.clock import local_now
from data_access.db import make_engine, writing
from data_access.jobruns import record_run
from data_access.leader import beat
from data_access.models import JobRun

ROOT = Path(__file__).resolve().parent.parent


def _app(engine, tmp_path, **overrides):
    url = engine.url.render_as_string(hide_password=False)
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": url, **overrides})
    app.server.config["TESTING"] = True
    return app


def test_every_response_and_log_line_carries_the_request_id(sqlite_engine, tmp_path, caplog):
    client = _app(sqlite_engine, tmp_path).server.test_client()
    now = local_now()
    beat(sqlite_engine, "host:1:000000", "leader", now, now)  # healthy, so /healthz answers 200
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


def test_healthz_names_the_leading_scheduler_and_forgets_dead_ones(engine, tmp_path):
    client = _app(engine, tmp_path).server.test_client()
    assert client.get("/healthz").get_json()["scheduler"]["status"] == "none"
    now = local_now()
    beat(engine, "host:1:000000", "leader", now, now)
    beat(engine, "host:2:000000", "standby", now, now)
    body = client.get("/healthz").get_json()["scheduler"]
    assert body["status"] == "ok" and body["leader"]["node"] == "host:1:000000"
    assert [n["node"] for n in body["standbys"]] == ["host:2:000000"]
    old = now - timedelta(minutes=5)  # a leader that stopped beating five minutes ago is gone
    beat(engine, "host:1:000000", "leader", old, old)
    assert client.get("/healthz").get_json()["scheduler"]["status"] == "none"


def _health(client) -> tuple[int, dict]:
    response = client.get("/healthz")
    return response.status_code, response.get_json()


def test_healthz_is_200_with_one_leader_and_lists_each_jobs_last_run(engine, tmp_path):
    client = _app(engine, tmp_path).server.test_client()
    now = local_now()
    beat(engine, "host:1:000000", "leader", now - timedelta(seconds=2), now)
    clock = iter([now - timedelta(minutes=3), now - timedelta(minutes=3) + timedelta(seconds=4)])
    record_run(engine, "rollups", now, lambda: {"rows": 42}, lambda: next(clock))
    clock = iter([now - timedelta(minutes=2), now - timedelta(minutes=2)])
    record_run(engine, "escalation", now, lambda: 1 / 0, lambda: next(clock))  # a run that failed
    clock = iter([now - timedelta(minutes=1), now - timedelta(seconds=59)])
    record_run(engine, "rollups", now, lambda: {"rows": 43}, lambda: next(clock))  # the latest counts

    code, body = _health(client)
    assert code == 200 and body["status"] == "ok" and "reason" not in body
    assert body["database"] == "ok" and "redis" not in body  # no COCKPIT_REDIS_URL: nothing to report
    assert body["scheduler"]["status"] == "ok" and body["scheduler"]["leader"]["node"] == "host:1:000000"
    jobs = {j["job"]: j for j in body["jobs"]}
    assert set(jobs) == {"escalation", "rollups"}
    assert jobs["rollups"]["status"] == "ok" and jobs["rollups"]["rows"] == 43
    assert jobs["rollups"]["started_at"] == (now - timedelta(minutes=1)).isoformat()
    assert jobs["rollups"]["finished_at"] == (now - timedelta(seconds=59)).isoformat()
    assert jobs["escalation"]["status"] == "error" and jobs["escalation"]["rows"] == 0


def test_healthz_is_503_degraded_when_no_scheduler_leads(engine, tmp_path):
    client = _app(engine, tmp_path).server.test_client()
    code, body = _health(client)  # nothing ever ran a scheduler
    assert code == 503 and body["status"] == "degraded" and body["scheduler"]["status"] == "none"
    assert "no scheduler is leading" in body["reason"]
    assert body["database"] == "ok" and body["jobs"] == []  # the rest of the report is still there
    now = local_now()
    beat(engine, "host:2:000000", "standby", now, now)  # a standby alone runs no jobs
    code, body = _health(client)
    assert code == 503 and body["scheduler"]["status"] == "none" and len(body["scheduler"]["standbys"]) == 1
    old = now - timedelta(minutes=5)
    beat(engine, "host:1:000000", "leader", old, old)  # a leader that went quiet is no leader
    assert _health(client)[0] == 503


def test_healthz_is_503_on_a_split_but_not_during_a_handover(engine, tmp_path):
    client = _app(engine, tmp_path).server.test_client()
    now = local_now()
    # host:1 led and died 3 s ago; host:2 took the lock 1 s ago. host:1's last beat still looks fresh
    # (within three heartbeats), but it is older than host:2's leadership: a handover, not a split
    beat(engine, "host:1:000000", "leader", now - timedelta(minutes=10), now - timedelta(minutes=10))
    beat(engine, "host:1:000000", "leader", now - timedelta(minutes=10), now - timedelta(seconds=3))
    beat(engine, "host:2:000000", "standby", now - timedelta(minutes=1), now - timedelta(seconds=2))
    beat(engine, "host:2:000000", "leader", now - timedelta(minutes=1), now - timedelta(seconds=1))
    code, body = _health(client)
    assert code == 200 and body["scheduler"]["status"] == "ok"
    assert body["scheduler"]["leader"]["node"] == "host:2:000000"
    # host:1 beats again as leader after host:2 took over: two processes think they lead
    beat(engine, "host:1:000000", "leader", now - timedelta(minutes=10), now)
    code, body = _health(client)
    assert code == 503 and body["status"] == "degraded" and body["scheduler"]["status"] == "split"
    assert "more than one scheduler" in body["reason"]


def test_healthz_is_503_when_the_database_is_unreachable(engine, tmp_path):
    app = _app(engine, tmp_path)
    app.server.extensions["cockpit"]["engine"] = make_engine(
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    )
    code, body = _health(app.server.test_client())
    assert code == 503 and body["status"] == "degraded"
    assert body["database"].startswith("unreachable") and "database unreachable" in body["reason"]
    assert "jobs" not in body and "scheduler" not in body


def test_healthz_reports_redis_and_is_503_when_it_is_down(engine, tmp_path):
    now = local_now()
    beat(engine, "host:1:000000", "leader", now, now)
    down = _app(engine, tmp_path, redis_url="redis://127.0.0.1:1/0").server.test_client()
    code, body = _health(down)
    assert code == 503 and body["status"] == "degraded" and body["redis"]["status"] == "unreachable"
    assert "Redis unreachable" in body["reason"] and body["scheduler"]["status"] == "ok"
    url = os.environ.get("COCKPIT_TEST_REDIS_URL")
    if not url:
        pytest.skip("COCKPIT_TEST_REDIS_URL not set (make test starts a throwaway Redis)")
    code, body = _health(_app(engine, tmp_path, redis_url=url).server.test_client())
    assert code == 200 and body["status"] == "ok" and body["redis"] == {"status": "ok"}


def test_healthz_marks_a_run_whose_scheduler_died_mid_run_as_stale(engine, tmp_path):
    client = _app(engine, tmp_path).server.test_client()
    now = local_now()
    # host:1 led from 10 minutes ago and was killed 5 minutes ago in the middle of a parking run
    beat(engine, "host:1:000000", "leader", now - timedelta(minutes=10), now - timedelta(minutes=10))
    beat(engine, "host:1:000000", "leader", now - timedelta(minutes=10), now - timedelta(minutes=5))
    beat(engine, "host:2:000000", "leader", now - timedelta(minutes=5), now)  # the standby took over
    with writing(engine) as s:
        s.add(JobRun(job="parking", started_at=now - timedelta(minutes=6), status="running", rows=0))
        s.add(JobRun(job="rollups", started_at=now - timedelta(seconds=20), status="running", rows=0))  # host:2's
    code, body = _health(client)
    assert code == 200  # the new leader is fine: a stale run is reported, not an outage
    jobs = {j["job"]: j for j in body["jobs"]}
    assert jobs["parking"]["status"] == "stale" and jobs["parking"]["finished_at"] is None
    assert "host:1:000000" in jobs["parking"]["stale"]
    assert jobs["rollups"]["status"] == "running" and "stale" not in jobs["rollups"]  # its scheduler beats
    # a run from `python -m jobs run` (no scheduler led when it started) is not the heartbeat's to judge
    with writing(engine) as s:
        s.add(JobRun(job="retention", started_at=now - timedelta(days=2), status="running", rows=0))
    assert {j["job"]: j for j in _health(client)[1]["jobs"]}["retention"]["status"] == "running"


def test_the_scheduler_process_logs_json_lines_like_the_web_workers(tmp_path):
    """`python -m jobs` with COCKPIT_LOG_FORMAT=json writes one JSON object per line (a log collector
    reads the scheduler's journal like the workers')."""
    engine = make_engine(f"sqlite:///{tmp_path / 'cockpit.db'}")
    from data_access.migrate import upgrade_to_head

    upgrade_to_head(engine)
    engine.dispose()
    env = {**os.environ, "COCKPIT_INSTANCE_DIR": str(tmp_path), "COCKPIT_LOG_FORMAT": "json",
           "COCKPIT_SCHEDULER_HEARTBEAT_SECONDS": "1"}  # fmt: skip
    env.pop("COCKPIT_DATABASE_URL", None)
    log = tmp_path / "scheduler.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "jobs"], cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and "leads with jobs" not in log.read_text():
                time.sleep(0.2)
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is JSON: nothing else is written
    leads = [e for e in entries if "leads with jobs" in e["message"]]
    assert leads and leads[0]["logger"] == "cockpit.jobs" and leads[0]["level"] == "INFO"
    assert {"ts", "level", "logger", "request_id", "message"} <= set(leads[0]) and leads[0]["request_id"] == "-"
