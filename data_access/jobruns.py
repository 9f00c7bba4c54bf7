"""Every job run is recorded (start, end, status, rows, error) so the cockpit can show job health."""

from __future__ import annotations

import traceback
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, func, select

from data_access.db import reading, writing
from data_access.models import JobRun


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


def last_runs(engine: Engine) -> list[dict]:
    with reading(engine) as s:
        latest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
        rows = s.scalars(select(JobRun).join(latest, latest.c.id == JobRun.id).order_by(JobRun.job))
        return [
            {
                "job": r.job,
                "status": r.status,
                "started_at": r.started_at.isoformat(),
                "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                "rows": r.rows,
            }
            for r in rows
        ]


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
