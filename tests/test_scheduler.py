"""One scheduler per deployment: real `python -m jobs` processes (and gunicorn workers) against a real
store. Two schedulers run each trigger exactly once between them — counted against the trigger's
times, before and after killing the leader —; the standby takes over within the failover window;
workers never run jobs; and the workers, sharing Redis, serve a community user's scoped pages and a
street user's comparison view."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from data_access.clock import local_now
from data_access.db import make_engine, reading, writing
from data_access.migrate import upgrade_to_head
from data_access.models import Community, Grid, JobRun, SchedulerNode, Street
from data_access.users import create_user
from tests.factories import add_case, tiny_community
from tests.test_web import hotspot_payload

ROOT = Path(__file__).resolve().parent.parent
INTERVAL = 2.0  # seconds between two escalation triggers, below
POLL = 1.0  # a standby tries the lock this often, below
FAST = {
    "COCKPIT_SCHEDULER_HEARTBEAT_SECONDS": "1",
    "COCKPIT_SCHEDULER_STANDBY_POLL_SECONDS": str(int(POLL)),
    "COCKPIT_ESCALATION_INTERVAL_SECONDS": str(int(INTERVAL)),
}
# The failover window: the standby sees the lock free at its next try (POLL), starts its scheduler and
# runs the job INTERVAL later (jobs run once at start, 2 s in); plus slack for a busy 2-core machine.
FAILOVER_WINDOW = POLL + INTERVAL + 3.0
TOLERANCE = 0.9  # a run belongs to the trigger time it started this close to (triggers are 2 s apart)
ZONE = ZoneInfo("Asia/Shanghai")  # the community's (COCKPIT_TIMEZONE's default)
REDIS_DB = 11  # the workers' own Redis database, so other tests' keys never meet theirs


def _env(instance: Path, url: str | None, **extra) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("COCKPIT_DATABASE_URL", "COCKPIT_REDIS_URL", "COCKPIT_TIMEZONE")
    }
    env.update({"COCKPIT_INSTANCE_DIR": str(instance), "COCKPIT_LOG_FORMAT": "json", **FAST, **extra})
    if url:
        env["COCKPIT_DATABASE_URL"] = url
    return env


def _scheduler(env: dict, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen([sys.executable, "-m", "jobs"], cwd=ROOT, env=env, stdout=out, stderr=out)


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


def _leader_since(engine, pid: int) -> datetime | None:
    with reading(engine) as s:
        return next(
            (n.leader_since for n in s.scalars(select(SchedulerNode)) if n.node.split(":")[1] == str(pid)), None
        )


def _escalation_starts(engine) -> list[datetime]:
    with reading(engine) as s:
        return sorted(s.scalars(select(JobRun.started_at).where(JobRun.job == "escalation")))


def _runs_of(engine, job: str) -> int:
    with reading(engine) as s:
        return len(s.scalars(select(JobRun.id).where(JobRun.job == job)).all())


def _leader_pid(engine) -> int | None:
    leaders = [node for node, role in _roles(engine).items() if role == "leader"]
    return int(leaders[0].split(":")[1]) if len(leaders) == 1 else None


def _now() -> datetime:
    """The clock to the microsecond (the store keeps whole seconds), aware in the community's zone."""
    return datetime.now(ZONE)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=ZONE)


_RUNNING = re.compile(r'^Running job "escalation \(.*\)" \(scheduled at (.+)\)$')


def _scheduled(log: Path) -> list[datetime]:
    """The trigger times at which this scheduler process ran `escalation`, from its JSON log lines
    (APScheduler names the scheduled time of every run it starts)."""
    times = []
    for line in log.read_text().splitlines():
        found = _RUNNING.match(json.loads(line)["message"]) if line.startswith("{") else None
        if found:
            times.append(datetime.fromisoformat(found.group(1)))
    return times


def _one_run_per_trigger(times: list[datetime], led_from: datetime, led_until: datetime, what: str) -> None:
    """One process's runs over its leadership: the first within INTERVAL (+ slack) of taking the lead,
    then one at every trigger time — consecutive runs exactly INTERVAL apart (a skipped trigger would
    leave a double step), as many as the trigger fired in the time it led."""
    assert times, f"{what}: no run"
    assert led_from <= times[0] <= led_from + timedelta(seconds=INTERVAL + 1.5), (what, led_from, times[0])
    steps = [(b - a).total_seconds() for a, b in zip(times, times[1:], strict=False)]
    assert all(abs(step - INTERVAL) < 0.01 for step in steps), (what, steps)
    fired = int((led_until - times[0]).total_seconds() // INTERVAL) + 1  # trigger times in [first, until]
    last_trigger = times[0] + timedelta(seconds=(fired - 1) * INTERVAL)
    # a trigger in the last half second before a SIGKILL may have fired without a word in the log
    allowed = (fired, fired - 1) if (led_until - last_trigger).total_seconds() < 0.5 else (fired,)
    assert len(times) in allowed, (what, len(times), fired)


def _check_failover(engine, procs: list[subprocess.Popen], logs: list[Path], during_first_leader=None) -> dict:  # noqa: ANN001
    """Lead, count, kill the leader, count again. Each trigger time ran exactly once: no scheduled time
    twice (across both processes), none skipped while one led, and the only pause is the failover, within
    FAILOVER_WINDOW; the store recorded each run once."""
    assert _wait_for(lambda: _leader_pid(engine) is not None, 30), _roles(engine)
    assert _wait_for(lambda: list(_roles(engine).values()).count("standby") == 1, 15), _roles(engine)
    first = _leader_pid(engine)
    first_since = _aware(_leader_since(engine, first))
    if during_first_leader is not None:
        during_first_leader()  # the web checks, while the jobs run on
    assert _wait_for(lambda: len(_escalation_starts(engine)) >= 5, 30)

    victim = next(p for p in procs if p.pid == first)
    victim.send_signal(signal.SIGKILL)  # no goodbye: the lock must free itself
    killed_at = _now()
    victim.wait(timeout=10)
    assert _wait_for(lambda: _leader_pid(engine) not in (None, first), 30), _roles(engine)
    second = _leader_pid(engine)
    second_since = _aware(_leader_since(engine, second))
    took_over = (second_since - killed_at).total_seconds()
    assert took_over <= POLL + 2.0, f"the standby took {took_over:.1f} s to take the lock"
    assert _wait_for(lambda: len([t for t in _escalation_starts(engine) if _aware(t) > killed_at]) >= 5, 30)
    survivor = next(p for p in procs if p.pid == second)
    survivor.terminate()  # a clean stop ends its leadership here, so its log is complete
    survivor.wait(timeout=20)
    stopped_at = _now()

    by_pid = {p.pid: _scheduled(log) for p, log in zip(procs, logs, strict=True)}
    one, two = by_pid[first], by_pid[second]
    both = one + two
    assert len(set(both)) == len(both), "a trigger time ran twice"
    assert [t for t in two if t < killed_at] == []  # the standby ran nothing while it stood by
    _one_run_per_trigger(one, first_since, killed_at, "first leader")
    _one_run_per_trigger(two, second_since, stopped_at, "second leader")
    pause = (two[0] - one[-1]).total_seconds()
    assert pause <= FAILOVER_WINDOW, f"{pause:.1f} s without a run across the failover"
    # and the store has one job_run row per run (killed mid-start, the last may be missing)
    recorded = len(_escalation_starts(engine))
    assert recorded == len(both) or (recorded == len(both) - 1 and (killed_at - one[-1]).total_seconds() < 1), (
        recorded, len(both))  # fmt: skip
    return {"first": first, "second": second, "took_over": took_over, "pause": pause, "killed_at": killed_at,
            "runs": (len(one), len(two))}  # fmt: skip


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()
    for p in procs:
        try:
            p.wait(timeout=20)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=10)


def test_sqlite_two_schedulers_one_leader_and_failover(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'cockpit.db'}")
    upgrade_to_head(engine)
    env = _env(tmp_path, None)
    logs = [tmp_path / "s1.log", tmp_path / "s2.log"]
    procs = [_scheduler(env, log) for log in logs]
    try:
        _check_failover(engine, procs, logs)
    finally:
        _stop(procs)
        engine.dispose()
    engine = make_engine(f"sqlite:///{tmp_path / 'cockpit.db'}")
    assert "stopped" in _roles(engine, fresh_seconds=60).values()  # the survivor's clean stop is recorded
    assert _runs_of(engine, "rollups") == 2  # once at the start of each leadership, never twice at once


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _redis_url() -> str:
    url = os.environ.get("COCKPIT_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("COCKPIT_TEST_REDIS_URL is not set: `make test` starts a Redis for the workers")
        pytest.skip("COCKPIT_TEST_REDIS_URL not set (make test starts a throwaway Redis)")
    return url.rsplit("/", 1)[0] + f"/{REDIS_DB}"


def _places(engine) -> dict:
    """Communities sa and sb in street st1, sc in street st2, each with a case whose text names it; a
    street user of st1."""
    now = local_now().replace(microsecond=0)
    places = {code: tiny_community(engine, code, now, with_users=code == "sa") for code in ("sa", "sb", "sc")}
    with writing(engine) as s:
        st2 = Street(code="st2", name_zh="第二街道", name_en="Street Two", district_zh="区", district_en="District")
        s.add(st2)
        s.flush()
        for code in places:
            s.execute(update(Community).where(Community.code == code).values(name_zh=f"{code.upper()}标记社区"))
        s.execute(update(Community).where(Community.code == "sc").values(street_id=st2.id))
        s.execute(update(Grid).where(Grid.community_id == places["sc"]["community_id"]).values(name_zh="SC网格"))
        st1 = s.scalar(select(Street.id).where(Street.code == "st1"))
        create_user(s, "street_st1", "pw-street", "street_cadre", now, display_name="街道干部", scope_kind="street",
                    street_id=st1)  # fmt: skip
    for code, place in places.items():
        place["case_id"] = add_case(
            engine, place, f"{code}1", now - timedelta(hours=2), description=f"{code}-case-text"
        )
    return places


def governance_grid_payload() -> dict:
    """The case grid's data callback with no filter; the inputs in the callback's order (pages/governance.py)."""
    inputs = [
        {"id": i, "property": "value", "value": None}
        for i in ("gov-status", "gov-grade", "gov-category", "gov-grid", "gov-source", "gov-period")
    ]
    inputs += [
        {"id": "gov-overdue", "property": "value", "value": False},
        {"id": "gov-level", "property": "value", "value": None},
        {"id": "gov-drill", "property": "data", "value": {}},
    ]  # fmt: skip
    return {
        "output": "..gov-grid-table.rowData...gov-count.children..",
        "outputs": [{"id": "gov-grid-table", "property": "rowData"}, {"id": "gov-count", "property": "children"}],
        "inputs": inputs,
        "changedPropIds": ["gov-status.value"],
        "state": [],
    }


def _web_checks(base: str, places: dict, redis_url: str) -> None:
    """Through the gunicorn workers (each request may land on any of the three): logins, a community
    user's scoped case grid and hotspots, a street user's comparison view, and the login-failure count
    kept in Redis, where every worker sees it."""
    import redis
    import requests

    from bench.load import log_in, router_payload

    def dash(session: requests.Session, payload: dict) -> dict:
        response = session.post(f"{base}/_dash-update-component", json=payload, timeout=30,
                                headers={"X-CSRFToken": session.cookies.get("_csrf_token", "")})  # fmt: skip
        assert response.status_code == 200, (payload["output"], response.status_code, response.text[:300])
        return response.json()

    community = log_in(base, "sa_secretary", "pw-secretary")
    for _ in range(6):  # the session holds on every worker (one signing key, sessions in the cookie)
        grid = dash(community, governance_grid_payload())["response"]["gov-grid-table"]["rowData"]
        assert [row["id"] for row in grid] == [places["sa"]["case_id"]]
    assert "hot-body" in json.dumps(dash(community, router_payload("/")))
    hotspots = json.dumps(dash(community, hotspot_payload()), ensure_ascii=False)  # the hotspots page's figures
    links = {f'"/governance/case/{place["case_id"]}"': code for code, place in places.items()}
    assert [code for link, code in links.items() if link in hotspots] == ["sa"]  # the latest cases: its own only
    single = json.dumps(dash(community, router_payload("/compare")), ensure_ascii=False)
    assert "cmp-single" in single and "SB标记社区" not in single  # one community: a note, no comparison

    street = log_in(base, "street_st1", "pw-street")
    compare = json.dumps(dash(street, router_payload("/compare")), ensure_ascii=False)
    assert "SA标记社区" in compare and "SB标记社区" in compare and "cmp-single" not in compare
    assert "SC标记社区" not in compare  # street st2's community is not the st1 user's
    grid = dash(street, governance_grid_payload())["response"]["gov-grid-table"]["rowData"]
    assert sorted(row["id"] for row in grid) == sorted([places["sa"]["case_id"], places["sb"]["case_id"]])

    # failed logins are counted in Redis, whichever worker answers; the limit (5) locks the account
    shared = redis.Redis.from_url(redis_url)
    for n in (1, 2):
        page = requests.get(f"{base}/login", timeout=10)
        token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        refused = requests.post(f"{base}/login", cookies=page.cookies, timeout=10, allow_redirects=False,
                                data={"username": "sa_viewer", "password": "wrong", "csrf_token": token})  # fmt: skip
        assert refused.status_code == 401
        assert shared.get("cockpit:c:login:sa_viewer") == str(n).encode()
    for _ in range(3):
        with pytest.raises(RuntimeError):
            log_in(base, "sa_viewer", "wrong")
    with pytest.raises(RuntimeError, match="429"):  # locked: even the right password is refused now
        log_in(base, "sa_viewer", "pw-viewer")


def test_postgresql_two_schedulers_three_workers(pg_engine, tmp_path):
    """The production layout: gunicorn with three workers sharing Redis, and two schedulers, on one
    PostgreSQL; the schedulers log JSON lines."""
    import urllib.error
    import urllib.request

    redis_url = _redis_url()
    import redis

    redis.Redis.from_url(redis_url).flushdb()  # this test's own database (REDIS_DB)
    places = _places(pg_engine)
    url = pg_engine.url.render_as_string(hide_password=False)
    env = _env(tmp_path, url, COCKPIT_REDIS_URL=redis_url, COCKPIT_LOG_FORMAT="json", COCKPIT_RUN_SCHEDULER="false",
               COCKPIT_SECRET_KEY="test-key-" + os.urandom(8).hex())  # fmt: skip
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with open(tmp_path / "gunicorn.log", "ab") as out:
        gunicorn = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "-w", "3", "-b", f"127.0.0.1:{port}", "--capture-output",
             "app:create_server()"],
            cwd=ROOT, env=env, stdout=out, stderr=out,
        )  # fmt: skip
    logs = [tmp_path / "s1.log", tmp_path / "s2.log"]
    procs = [_scheduler(env, log) for log in logs]

    def health() -> tuple[int, dict] | None:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as refused:  # 503: degraded, and the body says why
            return refused.code, json.load(refused)
        except OSError:
            return None

    try:
        assert _wait_for(lambda: health() is not None, 60), (tmp_path / "gunicorn.log").read_text()[-2000:]
        leaders = []

        def web_checks_and_health() -> None:
            _web_checks(base, places, redis_url)
            assert _wait_for(lambda: _runs_of(pg_engine, "rollups") == 1, 15)  # the jobs that run at start ran
            leaders.append(health())

        seen = _check_failover(pg_engine, procs, logs, during_first_leader=web_checks_and_health)
        code, body = leaders[0]  # while the first scheduler led, through the workers
        assert code == 200 and body["status"] == "ok" and body["scheduler"]["status"] == "ok"
        assert body["scheduler"]["leader"]["node"].split(":")[1] == str(seen["first"])
        assert [n["node"].split(":")[1] for n in body["scheduler"]["standbys"]] == [str(seen["second"])]
        assert body["redis"] == {"status": "ok"}
        assert {"escalation", "rollups"} <= {j["job"] for j in body["jobs"]}
        # both schedulers have stopped now (the survivor cleanly): the health check says so, with a 503
        code, body = health()
        assert code == 503 and body["status"] == "degraded" and body["scheduler"]["status"] == "none"
    finally:
        _stop([*procs, gunicorn])
    # the workers ran no jobs: rollups (every 5 minutes) ran only at the start of each leadership,
    # the first leader's and the one that took over
    assert _runs_of(pg_engine, "rollups") == 2
    # the schedulers write the workers' format: one JSON object per line
    lines = [line for n in (1, 2) for line in (tmp_path / f"s{n}.log").read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]
    assert any("leads with jobs" in e["message"] and e["logger"] == "cockpit.jobs" for e in entries)
