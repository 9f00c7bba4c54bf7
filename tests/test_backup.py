"""Backup while the cockpit keeps writing, and restore: on SQLite (online backup API) and on
PostgreSQL (pg_dump / pg_restore), through `python -m data_access backup|restore`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from data_access.db import make_engine, reading
from data_access.models import Event, EventAction
from tests.conftest import _fresh_pg, _fresh_sqlite
from tests.factories import add_case, tiny_community

ROOT = Path(__file__).resolve().parent.parent


def _cli(url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COCKPIT_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-m", "data_access", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def _counts(engine) -> tuple[int, int]:
    with reading(engine) as s:
        return s.scalar(select(func.count(Event.id))), s.scalar(select(func.count(EventAction.id)))


def _writer(engine, place, stop: threading.Event, written: list[int]) -> None:
    n = 0
    while not stop.is_set():
        add_case(engine, place, f"bk{n}", datetime(2026, 11, 25, 9, 0) + timedelta(minutes=n))
        written.append(n)
        n += 1


def test_backup_while_writing_then_restore(engine, tmp_path, request):
    url = engine.url.render_as_string(hide_password=False)
    place = tiny_community(engine, with_users=False)
    stop, written = threading.Event(), []
    writer = threading.Thread(target=_writer, args=(engine, place, stop, written), daemon=True)
    writer.start()
    try:
        while len(written) < 20:
            time.sleep(0.05)
        target = tmp_path / "backups" / "cockpit.backup"
        done = _cli(url, "backup", str(target))
        at_backup_end = len(written)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["bytes"] > 0 and target.is_file()
    final_events, _ = _counts(engine)
    assert final_events == len(written) > at_backup_end - 1

    # restore into a fresh store: a state the store really was in, each case with its trail
    if engine.dialect.name == "sqlite":
        (tmp_path / "fresh").mkdir()
        fresh_url = _fresh_sqlite(request.getfixturevalue("sqlite_template"), tmp_path / "fresh")
        drop = None
    else:
        fresh_url, drop = _fresh_pg(request.getfixturevalue("pg_template"))
    fresh = make_engine(fresh_url)
    try:
        restored = _cli(fresh_url, "restore", str(target))
        assert restored.returncode == 0, restored.stderr
        events, actions = _counts(fresh)
        assert 20 <= events <= final_events and actions == events  # no case without its trail
    finally:
        fresh.dispose()
        if drop:
            drop()

    # and back over the live store: the cases written after the backup are gone again
    assert _cli(url, "restore", str(target)).returncode == 0
    engine.dispose()
    assert _counts(engine)[0] == events


def test_restore_refuses_what_is_not_a_backup(sqlite_engine, tmp_path):
    url = sqlite_engine.url.render_as_string(hide_password=False)
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    result = _cli(url, "restore", str(junk))
    assert result.returncode == 1 and "error" in json.loads(result.stderr)
    assert _cli(url, "restore", str(tmp_path / "missing.db")).returncode == 1
