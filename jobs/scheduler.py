"""APScheduler wiring: in-process for development, `python -m jobs` as its own process in production."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from jobs.registry import job_specs, run_job

log = logging.getLogger("cockpit.jobs")


def _wire(scheduler, engine: Engine, config) -> None:  # noqa: ANN001
    for spec in job_specs(config).values():
        extra = {}
        if spec.run_at_start:
            # First run right after start (a fresh store has nothing yet), then on the trigger.
            extra["next_run_time"] = datetime.now(ZoneInfo(config["timezone"])) + timedelta(seconds=2)
        scheduler.add_job(
            run_job,
            args=(engine, spec, None, config["timezone"]),
            id=spec.name,
            name=spec.name,
            max_instances=1,
            coalesce=True,
            misfire_grace_time=300,
            **spec.trigger,
            **extra,
        )


def start_background(engine: Engine, config) -> BackgroundScheduler:  # noqa: ANN001
    scheduler = BackgroundScheduler(timezone=config["timezone"])
    _wire(scheduler, engine, config)
    scheduler.start()
    log.info("scheduler started in-process with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    return scheduler


def run_blocking(engine: Engine, config) -> None:  # noqa: ANN001
    scheduler = BlockingScheduler(timezone=config["timezone"])
    _wire(scheduler, engine, config)
    log.info("scheduler running with jobs: %s", ", ".join(j.id for j in scheduler.get_jobs()))
    scheduler.start()
