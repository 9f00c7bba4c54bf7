"""APScheduler wiring, behind the one-scheduler lock.

Every scheduler process — `python -m jobs` in production, the thread `python app.py` starts in
development — first takes the lease (data_access.leader). The one that holds it runs the jobs; any
other waits as a standby and tries again every few seconds, so when the leader dies a standby takes
over well within a minute. All of them write a heartbeat that /healthz reports. A leader that loses
its lock (its database connection dropped) stops running jobs at once rather than risk running them
twice.
"""

from __future__ import annotations

import logging
import signal
import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine

from data_access.clock import local_now
from data_access.leader import SchedulerLease, beat, forget_old_nodes, node_name
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


class SchedulerProcess:
    """One scheduler process's life: standby until it holds the lease, then leader until stopped."""

    def __init__(self, engine: Engine, config) -> None:  # noqa: ANN001
        self.engine = engine
        self.config = config
        self.tz = config["timezone"]
        self.started_at = local_now(self.tz)
        self.name = node_name(self.started_at)
        self.lease = SchedulerLease(engine)
        self.stop = threading.Event()
        self.lost_lease = False

    def _beat(self, role: str) -> None:
        try:
            beat(self.engine, self.name, role, self.started_at, local_now(self.tz))
        except Exception:  # noqa: BLE001 - a missed heartbeat must not kill the scheduler
            log.exception("scheduler heartbeat failed")

    def run(self) -> None:
        heartbeat = self.config["scheduler_heartbeat_seconds"]
        while not self.stop.is_set():
            try:
                if self.lease.try_acquire():
                    break
            except Exception:  # noqa: BLE001 - the database may be starting; try again
                log.exception("could not try the scheduler lock")
            self._beat("standby")
            log.info("scheduler %s on standby: another scheduler holds the lock", self.name)
            self.stop.wait(self.config["scheduler_standby_poll_seconds"])
        if self.stop.is_set():
            self._beat("stopped")
            return
        self._beat("leader")
        try:
            forget_old_nodes(self.engine, local_now(self.tz))
        except Exception:  # noqa: BLE001
            log.exception("could not prune old scheduler nodes")
        scheduler = BackgroundScheduler(timezone=self.tz)
        _wire(scheduler, self.engine, self.config)
        scheduler.start()
        log.info("scheduler %s leads with jobs: %s", self.name, ", ".join(j.id for j in scheduler.get_jobs()))
        try:
            while not self.stop.wait(heartbeat):
                if not self.lease.still_held():
                    self.lost_lease = True
                    log.error("scheduler %s lost its lock: stopping its jobs", self.name)
                    break
                self._beat("leader")
        finally:
            scheduler.shutdown(wait=True)
            self.lease.release()
            self._beat("stopped")


def start_background(engine: Engine, config) -> SchedulerProcess:  # noqa: ANN001
    """Development: the scheduler as a thread of `python app.py` (still behind the lock)."""
    node = SchedulerProcess(engine, config)
    threading.Thread(target=node.run, name="cockpit-scheduler", daemon=True).start()
    return node


def run_blocking(engine: Engine, config) -> int:  # noqa: ANN001
    """Production: `python -m jobs`. SIGTERM / SIGINT stop it cleanly; exit 3 if it lost its lock
    (a service manager restarts it, and it comes back as a standby)."""
    node = SchedulerProcess(engine, config)

    def stop(_signum, _frame):  # noqa: ANN001
        node.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    node.run()
    return 3 if node.lost_lease else 0
