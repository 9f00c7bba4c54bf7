"""Backup and restore of the store, safe while the cockpit keeps writing.

SQLite: the online backup API copies a consistent snapshot page by page while other connections
go on writing (a writer that changes a page mid-copy makes the copy restart that step), so the
copy is always a state the database really was in. PostgreSQL: `pg_dump` in its custom format,
which reads one transaction snapshot, and `pg_restore` back into the (emptied) database.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import make_url


class BackupError(RuntimeError):
    pass


def _pg_tool(name: str) -> str:
    """The newest installed PostgreSQL client tool (Debian keeps them per version)."""
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    found = str(candidates[-1]) if candidates else shutil.which(name)
    if not found:
        raise BackupError(f"{name} not found: install the PostgreSQL client tools")
    return found


def _pg_args(engine: Engine) -> tuple[list[str], dict]:
    url = make_url(engine.url.render_as_string(hide_password=False))
    args = ["-h", url.host or "localhost", "-p", str(url.port or 5432), "-U", url.username or "postgres"]
    env = {"PGPASSWORD": url.password} if url.password else {}
    return args, {"database": url.database, "env": env}


def backup(engine: Engine, target: Path) -> dict:
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(engine.url.database, timeout=30)
        partial = target.with_suffix(target.suffix + ".partial")
        dest = sqlite3.connect(partial)
        try:
            source.backup(dest, pages=1024)  # in steps, so writers are never held up for long
        finally:
            dest.close()
            source.close()
        partial.replace(target)  # a backup file is either whole or absent
        return {"engine": "sqlite", "path": str(target), "bytes": target.stat().st_size}
    if engine.dialect.name == "postgresql":
        import os

        args, info = _pg_args(engine)
        result = subprocess.run(
            [_pg_tool("pg_dump"), *args, "-Fc", "--no-owner", "-f", str(target), info["database"]],
            env={**os.environ, **info["env"]}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise BackupError(result.stderr.strip() or "pg_dump failed")
        return {"engine": "postgresql", "path": str(target), "bytes": target.stat().st_size}
    raise BackupError(f"no backup for {engine.dialect.name}")


def restore(engine: Engine, source: Path) -> dict:
    """Replace the store's contents with a backup. Stop the web app and the scheduler first."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"{source} is not a file")
    if engine.dialect.name == "sqlite":
        engine.dispose()  # our own pooled connections must not hold the old file open
        src = sqlite3.connect(source)
        try:
            if src.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise BackupError(f"{source} is not a sound SQLite database")
            dest = sqlite3.connect(engine.url.database, timeout=30)
            try:
                src.backup(dest)
            finally:
                dest.close()
        except sqlite3.DatabaseError as exc:
            raise BackupError(f"{source} is not a SQLite database: {exc}") from exc
        finally:
            src.close()
        return {"engine": "sqlite", "restored_from": str(source)}
    if engine.dialect.name == "postgresql":
        import os

        engine.dispose()
        args, info = _pg_args(engine)
        result = subprocess.run(
            [_pg_tool("pg_restore"), *args, "--clean", "--if-exists", "--no-owner", "--single-transaction",
             "-d", info["database"], str(source)],
            env={**os.environ, **info["env"]}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            raise BackupError(result.stderr.strip() or "pg_restore failed")
        return {"engine": "postgresql", "restored_from": str(source)}
    raise BackupError(f"no restore for {engine.dialect.name}")
