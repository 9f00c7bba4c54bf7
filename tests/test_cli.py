"""The documented commands, run as a newcomer would run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args: list[str], instance: Path, **env) -> subprocess.CompletedProcess:
    environ = {**os.environ, "COCKPIT_INSTANCE_DIR": str(instance), **env}
    environ.pop("COCKPIT_DATABASE_URL", None)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=environ, capture_output=True, text=True, timeout=180)


def test_init_demo_prints_logins_and_tokens_once_then_leaves_the_store_alone(tmp_path):
    first = run(["-m", "data_access", "init", "--demo"], tmp_path, COCKPIT_DEMO_PASSWORD="s3cret-demo")
    assert first.returncode == 0, first.stderr
    out = first.stdout
    for username in ("admin", "secretary", "grid_leader", "grid_worker", "street_cadre", "department", "viewer"):
        assert f"  {username} " in out
    assert "s3cret-demo" in out
    assert "ckw_" in out and "cko_" in out and "ckm_" in out  # wall, Open311, machine tokens
    assert (tmp_path / "cockpit.db").exists()
    again = run(["-m", "data_access", "init", "--demo"], tmp_path)
    assert again.returncode == 0 and "already present" in again.stdout

    job = run(["-m", "jobs", "run", "rollups", "--now", "2026-11-25T10:00:00+08:00"], tmp_path)
    assert job.returncode == 0, job.stderr
    lines = job.stdout.strip().splitlines()
    assert len(lines) == 1
    summary = json.loads(lines[0])
    assert summary["job"] == "rollups" and summary["status"] == "ok" and summary["rows"] > 0
    assert summary["now"] == "2026-11-25T10:00:00"

    # four nights of parking history, twice: the same rows (a re-run for the same time replaces)
    import sqlite3

    for _ in range(2):
        backfill = run(["-m", "jobs", "run", "parking", "--backfill-days", "4"], tmp_path)
        assert backfill.returncode == 0, backfill.stderr
        result = json.loads(backfill.stdout)
        assert result["backfilled_runs"] == 4 and result["failed_runs"] == 0
        assert (result["last"]["day_shareable"], result["last"]["night_shareable"]) == (126, 182)
    with sqlite3.connect(tmp_path / "cockpit.db") as db:
        assert db.execute("SELECT count(*), count(DISTINCT computed_at) FROM shareable_capacity").fetchone() == (20, 4)


def test_init_demo_as_of_gives_the_same_rows_in_every_table_on_two_machines(tmp_path):
    """Same seed and --as-of, same store: every row of every table (the index method's created_at
    included), except the salted password hashes and the hashes of freshly issued tokens."""
    import sqlite3

    dumps = []
    for name in ("one", "two"):
        seeded = run(
            ["-m", "data_access", "init", "--demo", "--as-of", "2026-11-20T15:30"],
            tmp_path / name,
            COCKPIT_DEMO_PASSWORD="same-demo-pass",
        )
        assert seeded.returncode == 0, seeded.stderr
        with sqlite3.connect(tmp_path / name / "cockpit.db") as db:
            tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
            dump = {}
            for table in tables:
                columns = [c for _, c, *_ in db.execute(f"PRAGMA table_info({table})") if not c.endswith("_hash")]
                dump[table] = db.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY 1").fetchall()
            dumps.append(dump)
    assert dumps[0]["index_method"][0][3] == "2026-11-20 15:30:00.000000"  # created_at: the demo's time
    assert sum(len(rows) for rows in dumps[0].values()) > 100_000
    assert [t for t in dumps[0] if dumps[0][t] != dumps[1][t]] == []
    bad = run(["-m", "data_access", "init", "--demo", "--as-of", "last friday"], tmp_path / "three")
    assert bad.returncode == 2 and "ISO-8601" in bad.stderr


def test_unknown_job_and_bad_time_are_clear_errors(tmp_path):
    assert run(["-m", "data_access", "init"], tmp_path).returncode == 0
    unknown = run(["-m", "jobs", "run", "nope"], tmp_path)
    assert unknown.returncode == 2 and "unknown job" in unknown.stderr
    bad = run(["-m", "jobs", "run", "rollups", "--now", "yesterday"], tmp_path)
    assert bad.returncode == 2 and "ISO-8601" in bad.stderr


def _expected_jobs() -> set[str]:
    from jobs.registry import job_specs
    from settings import load_config

    return {name for name, spec in job_specs(load_config()).items()}


def test_jobs_list_names_every_job(tmp_path):
    listed = run(["-m", "jobs", "list"], tmp_path)
    assert listed.returncode == 0
    names = {line.split("\t")[0] for line in listed.stdout.splitlines()}
    assert names == _expected_jobs() and {"escalation", "parking", "parking_overstay", "rollups"} <= names


def test_the_scheduler_process_runs_its_jobs_and_records_them(tmp_path):
    """`python -m jobs` (the production scheduler) runs every job that runs at start, and records it."""
    from jobs.registry import job_specs
    from settings import load_config

    at_start = sorted(name for name, spec in job_specs(load_config()).items() if spec.run_at_start)
    import sqlite3
    import time

    assert run(["-m", "data_access", "init"], tmp_path).returncode == 0
    environ = {**os.environ, "COCKPIT_INSTANCE_DIR": str(tmp_path)}
    environ.pop("COCKPIT_DATABASE_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "jobs"], cwd=ROOT, env=environ, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        rows = []
        while time.monotonic() < deadline and len(rows) < len(at_start):
            time.sleep(0.5)
            with sqlite3.connect(tmp_path / "cockpit.db") as db:
                rows = db.execute("SELECT job, status FROM job_run WHERE finished_at IS NOT NULL").fetchall()
        assert sorted(rows) == [(name, "ok") for name in at_start] and "rollups" in at_start
        assert proc.poll() is None  # still running, waiting for the next trigger
    finally:
        proc.terminate()
        proc.wait(timeout=10)
