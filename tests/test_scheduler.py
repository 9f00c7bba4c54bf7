"""One scheduler per deployment: real `python -m jobs` processes (and gunicorn workers) against a real
store. Two schedulers run each trigger once between them; killing the leader hands over to the
standby; workers never run jobs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from data_access.clock import local_now
from data_access.db import make_engine, reading
from data_access.migrate import upgrade_to_head
from data_access.models import JobRun, SchedulerNode

ROOT = Path(__file__).resolve().parent.parent
FAST = {
    "COCKPIT_SCHEDULER_HEARTBEAT_SECONDS": "1",
    "COCKPIT_SCHEDULER_STANDBY_POLL_SECONDS": "1",
    "COCKPIT_ESCALATION_INTERVAL_SECONDS": "2",
}


def _env(instance: Path, url: str | None) -> dict:
    env = {**os.environ, "COCKPIT_INSTANCE_DIR": str(instance), **FAST}
    env.pop("COCKPIT_DATABASE_URL", None)
    if url:
        env["COCKPIT_DATABASE_URL"] = url
    return env


def _scheduler(env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "jobs"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)  # fmt: skip


def _wait_for(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.25)
    return predicate()


def _roles(engine, fresh_seconds: float = 3.5) -> dict[str, str]:
    """Roles of the schedulers whose heartbeat is recent (a killed one cannot say it died)."""
    since = local_now() - timedelta(seconds=fresh_seconds)
    with reading(engine) as s:
        return {n.node: n.role for n in s.scalars(select(SchedulerNode).where(SchedulerNode.beat_at >= since))}


def _escalation_starts(engine) -> list[datetime]:
    with reading(engine) as s:
        return sorted(s.scalars(select(JobRun.started_at).where(JobRun.job == "escalation")))


def _runs_of(engine, job: str) -> int:
    with reading(engine) as s:
        return len(s.scalars(select(JobRun.id).where(JobRun.job == job)).all())


def _leader_pid(engine) -> int | None:
    leaders = [node for node, role in _roles(engine).items() if role == "leader"]
    return int(leaders[0].split(":")[1]) if len(leaders) == 1 else None


def _check_failover(engine, procs: list[subprocess.Popen]) -> None:
    assert _wait_for(lambda: _leader_pid(engine) is not None, 30), _roles(engine)
    assert _wait_for(lambda: list(_roles(engine).values()).count("standby") == 1, 15), _roles(engine)
    assert _wait_for(lambda: len(_escalation_starts(engine)) >= 4, 30)
    # each trigger ran once: two schedulers never both ran the 2-second trigger
    starts = _escalation_starts(engine)
    gaps = [(b - a).total_seconds() for a, b in zip(starts, starts[1:], strict=False)]
    assert min(gaps) > 1.0, gaps

    leader = _leader_pid(engine)
    victim = next(p for p in procs if p.pid == leader)
    victim.send_signal(signal.SIGKILL)  # no goodbye: the lock must free itself
    victim.wait(timeout=10)
    killed_at = time.monotonic()
    assert _wait_for(lambda: _leader_pid(engine) not in (None, leader), 60), _roles(engine)
    assert time.monotonic() - killed_at < 60
    before = len(_escalation_starts(engine))
    assert _wait_for(lambda: len(_escalation_starts(engine)) >= before + 2, 20)  # the new leader runs the jobs


def test_sqlite_two_schedulers_one_leader_and_failover(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'cockpit.db'}")
    upgrade_to_head(engine)
    env = _env(tmp_path, None)
    procs = [_scheduler(env), _scheduler(env)]
    try:
        _check_failover(engine, procs)
    finally:
        for p in procs:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=15)
        engine.dispose()
    engine = make_engine(f"sqlite:///{tmp_path / 'cockpit.db'}")
    assert "stopped" in _roles(engine, fresh_seconds=60).values()  # the survivor's clean stop is recorded
    assert _runs_of(engine, "rollups") == 2  # once at the start of each leadership, never twice at once


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_postgresql_two_schedulers_three_workers(pg_engine, tmp_path):
    """The production layout: gunicorn with three workers and two schedulers on one PostgreSQL."""
    import json
    import urllib.request

    url = pg_engine.url.render_as_string(hide_password=False)
    env = _env(tmp_path, url)
    port = _free_port()
    gunicorn = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", "3", "-b", f"127.0.0.1:{port}", "app:create_server()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    procs = [_scheduler(env), _scheduler(env)]

    def health() -> dict | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                return json.load(response)
        except OSError:
            return None

    try:
        assert _wait_for(lambda: health() is not None, 60)
        _check_failover(pg_engine, procs)
        body = health()
        assert body["scheduler"]["status"] == "ok"
        assert body["scheduler"]["leader"]["node"].split(":")[1] == str(_leader_pid(pg_engine))
    finally:
        for p in [*procs, gunicorn]:
            if p.poll() is None:
                p.terminate()
                p.wait(timeout=20)
    # the workers ran no jobs: rollups (every 5 minutes) ran only at the start of each leadership,
    # the first leader's and the one that took over
    assert _runs_of(pg_engine, "rollups") == 2
