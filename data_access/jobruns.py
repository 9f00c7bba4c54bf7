"""Every job run is recorded (start, end, status, rows, error) so the cockpit can show job health."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Engine, func, select

from data_access.db import reading, writing
from data_access.models import JobRun, SchedulerNode


def record_run(
    engine: Engine, job: str, now: datetime, work: Callable[[], dict], clock: Callable[[], datetime]
) -> dict:
    """Run `work` and record it; returns the summary (status ok/error, rows, and the job's own keys)."""
    with writing(engine) as s:
        run = JobRun(job=job, started_at=clock(), status="running", rows=0)
        s.add(run)
        s.flush()
        run_id = run.id
    try:
        summary = dict(work())
        status, error = "ok", None
    except Exception as exc:  # recorded, then re-raised by the caller's choice below
        summary = {"error": f"{type(exc).__name__}: {exc}"}
        status, error = "error", traceback.format_exc(limit=8)
    with writing(engine) as s:
        run = s.get(JobRun, run_id)
        run.finished_at = clock()
        run.status = status
        run.rows = int(summary.get("rows", 0))
        run.summary = {k: v for k, v in summary.items() if isinstance(v, (int, float, str, bool, type(None)))}
        run.error = error
    return {"job": job, "run_id": run_id, "status": status, "now": now.isoformat(), **summary}


def last_runs(engine: Engine, now: datetime | None = None, stale_after: timedelta | None = None) -> list[dict]:
    """The latest run of each job. With `now` and `stale_after`, a run still `running` whose scheduler
    has not beaten for `stale_after` is reported as `stale`: that process died (or lost its lock)
    mid-run, and the run will never finish; the next leader runs the job again on its trigger."""
    with reading(engine) as s:
        latest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
        rows = s.scalars(select(JobRun).join(latest, latest.c.id == JobRun.id).order_by(JobRun.job)).all()
        running = [r for r in rows if r.status == "running"]
        nodes = s.scalars(select(SchedulerNode).where(SchedulerNode.leader_since.is_not(None))).all() if running else []
        out = []
        for r in rows:
            entry = {
                "job": r.job,
                "status": r.status,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "rows": r.rows,
            }
            if r.status == "running" and now is not None and stale_after is not None:
                owner = _leader_at(nodes, r.started_at, stale_after)
                if owner is not None and owner.beat_at < now - stale_after:
                    entry["status"] = "stale"
                    entry["stale"] = (
                        f"still marked running, but scheduler {owner.node} stopped beating at "
                        f"{owner.beat_at.isoformat(timespec='seconds')}"
                    )
            out.append(entry)
        return out


def _leader_at(nodes: list[SchedulerNode], moment: datetime, stale_after: timedelta) -> SchedulerNode | None:
    """The scheduler that led at `moment` (it had become leader and was still beating then); None for
    a run started outside any scheduler (`python -m jobs run NAME`), whose process /healthz cannot see."""
    alive = [n for n in nodes if n.leader_since <= moment <= n.beat_at + stale_after]
    return max(alive, key=lambda n: n.leader_since) if alive else None


def recent_runs(session, limit: int = 30) -> list[dict]:  # noqa: ANN001 - a Session
    rows = session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit))
    return [
        {
            "id": r.id,
            "job": r.job,
            "status": r.status,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "rows": r.rows,
            "error": (r.error or "").strip().splitlines()[-1] if r.error else "",
        }
        for r in rows
    ]
