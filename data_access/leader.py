"""One scheduler per deployment: the lock that makes a `python -m jobs` process the leader, and the
heartbeat every scheduler process writes.

PostgreSQL: a session advisory lock held on a connection kept open for the leader's lifetime. When
the leader dies its connection closes, the server frees the lock, and a standby's next try wins.
SQLite (one machine): an exclusive `flock` on a file next to the database, freed by the kernel when
the process dies. Either way nothing has to notice the death and clean up after it.
"""

from __future__ import annotations

import fcntl
import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.engine import Connection

from data_access.db import reading, writing
from data_access.models import SchedulerNode

# An arbitrary 64-bit key that names "the cockpit's scheduler" among advisory locks.
ADVISORY_KEY = 0x636F636B7069_01


def node_name(started_at: datetime) -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{started_at:%H%M%S}"[:120]


class SchedulerLease:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._conn: Connection | None = None
        self._file = None

    @property
    def held(self) -> bool:
        return self._conn is not None or self._file is not None

    def try_acquire(self) -> bool:
        if self.held:
            return True
        if self.engine.dialect.name == "postgresql":
            conn = self.engine.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": ADVISORY_KEY}).scalar()
            conn.commit()  # end the implicit transaction; the session-level lock stays
            if got:
                self._conn = conn
                return True
            conn.close()
            return False
        path = Path(self.engine.url.database or "cockpit").with_suffix(".scheduler.lock")
        handle = open(path, "a+")  # noqa: SIM115 - held open for as long as we lead
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def still_held(self) -> bool:
        """False when the lock's connection has gone (the server restarted, the network dropped):
        then another scheduler may already lead, and this one must stop."""
        if self._file is not None:
            return True
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1")).scalar()
            self._conn.commit()
            return True
        except Exception:  # noqa: BLE001 - any failure means the lock can no longer be trusted
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_KEY})
                self._conn.commit()
            finally:
                self._conn.close()
                self._conn = None
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


def beat(engine: Engine, node: str, role: str, started_at: datetime, now: datetime) -> None:
    """Record that `node` is alive in `role` (leader / standby / stopped)."""
    with writing(engine) as s:
        row = s.scalar(select(SchedulerNode).where(SchedulerNode.node == node))
        if row is None:
            row = SchedulerNode(node=node, role=role, started_at=started_at, beat_at=now)
            s.add(row)
        if role == "leader" and (row.role != "leader" or row.leader_since is None):
            row.leader_since = now  # also when its first beat is already as leader (the lock came at once)
        row.role = role
        row.beat_at = now


def forget_old_nodes(engine: Engine, now: datetime, keep: timedelta = timedelta(days=7)) -> int:
    from sqlalchemy import delete

    with writing(engine) as s:
        return s.execute(delete(SchedulerNode).where(SchedulerNode.beat_at < now - keep)).rowcount


def scheduler_status(engine: Engine, now: datetime, stale_after: timedelta) -> dict:
    """For /healthz: the leader (if its heartbeat is fresh) and the live standbys; `status` is ok (one
    leader), none or split (two leaders, both beating since the other took over)."""
    with reading(engine) as s:
        rows = [r for r in s.scalars(select(SchedulerNode).where(SchedulerNode.beat_at >= now - stale_after))
                if r.role != "stopped"]  # fmt: skip
        leaders = [r for r in rows if r.role == "leader"]
        if len(leaders) > 1:
            # The lock is exclusive, so a leader that has not beaten since another became leader is the one
            # that died and handed over (its heartbeat only looks fresh for a few more seconds).
            newest = max(r.leader_since or r.beat_at for r in leaders)
            leaders = [r for r in leaders if r.beat_at > newest or r.leader_since == newest]
        rows = [r for r in rows if r.role != "leader" or r in leaders]
        nodes = [
            {"node": r.node, "role": r.role, "beat_at": r.beat_at.isoformat(timespec="seconds"),
             "leader_since": r.leader_since.isoformat(timespec="seconds") if r.leader_since else None}
            for r in rows
        ]  # fmt: skip
    leading = [n for n in nodes if n["role"] == "leader"]
    return {
        "status": "ok" if len(leading) == 1 else ("none" if not leading else "split"),
        "leader": leading[0] if leading else None,
        "standbys": [n for n in nodes if n["role"] == "standby"],
    }
