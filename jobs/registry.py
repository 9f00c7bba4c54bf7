"""Job names, their functions and their triggers. New jobs register here as their issues land."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine

from data_access.clock import local_now
from data_access.jobruns import record_run
from jobs import escalation, estate_index, iot_alarms, parking, parking_overstay, retention, rollups, welfare


@dataclass(frozen=True)
class JobSpec:
    name: str
    run: Callable[[Engine, datetime], dict]
    trigger: dict  # APScheduler add_job trigger arguments
    help: str
    run_at_start: bool = True  # also run once when the scheduler starts


def job_specs(config) -> dict[str, JobSpec]:  # noqa: ANN001 - settings.Config
    return {
        "escalation": JobSpec(
            "escalation",
            escalation.run,
            {"trigger": "interval", "seconds": config["escalation_interval_seconds"]},
            "Moves cases past their level's time limit up one level and notifies the new holder.",
        ),
        "parking": JobSpec(
            "parking",
            parking.run,
            {"trigger": "cron", "hour": 1, "minute": 30},
            "Tidal shared parking: shareable spaces per lot and window from the last weeks of occupancy.",
        ),
        "parking_overstay": JobSpec(
            "parking_overstay",
            functools.partial(parking_overstay.run, margin=config["parking_overstay_margin"]),
            {"trigger": "cron", "minute": "*/15"},
            "Half an hour after a sharing window closes, a lot still fuller than usual raises a hotspot case.",
        ),
        "estate_index": JobSpec(
            "estate_index",
            estate_index.run,
            {"trigger": "cron", "day": 1, "hour": 2, "minute": 0},
            "Estate running index of the month before: sub-indices, level, rank intervals; red opens a rectification.",
        ),
        "iot_alarms": JobSpec(
            "iot_alarms",
            functools.partial(
                iot_alarms.run, flood_season=config["flood_season"], flood_prep_days=config["flood_prep_days"]
            ),
            {"trigger": "interval", "seconds": 60},
            "Alarm rules over every device: raise, repeat or clear alarms; a critical alarm opens an urgent case.",
        ),
        "welfare": JobSpec(
            "welfare",
            functools.partial(welfare.run, escalate_after_hours=config["welfare_escalate_hours"]),
            {"trigger": "interval", "minutes": config["welfare_interval_minutes"]},
            "Watched residents with no door activity past their threshold get a visit task for the grid worker.",
        ),
        "retention": JobSpec(
            "retention",
            functools.partial(retention.run, retention_days=config["door_event_retention_days"]),
            {"trigger": "cron", "hour": 3, "minute": 20},
            "Deletes door events older than the retention period and logs each deletion.",
        ),
        "rollups": JobSpec(
            "rollups",
            rollups.run,
            {"trigger": "interval", "minutes": config["rollups_interval_minutes"]},
            "Per-day case counts (opened, closed, closed on time) for charts and the wall.",
        ),
    }


def run_job(engine: Engine, spec: JobSpec, now: datetime | None, tz: str) -> dict:
    """Run one job once, recorded in job_run. `now` is the job's notion of time (frozen in tests)."""
    effective_now = now or local_now(tz)
    return record_run(engine, spec.name, effective_now, lambda: spec.run(engine, effective_now), lambda: local_now(tz))


def fire_times(spec: JobSpec, start: datetime, end: datetime, tz: str) -> list[datetime]:
    """Community-local times in (start, end] at which the job's trigger fires (for backfills)."""
    from zoneinfo import ZoneInfo

    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    zone = ZoneInfo(tz)
    args = {k: v for k, v in spec.trigger.items() if k != "trigger"}
    if spec.trigger["trigger"] == "cron":
        trigger = CronTrigger(timezone=zone, **args)
    else:
        trigger = IntervalTrigger(timezone=zone, start_date=start.replace(tzinfo=zone), **args)
    moments, previous = [], None
    cursor = start.replace(tzinfo=zone)
    while True:
        moment = trigger.get_next_fire_time(previous, cursor)
        if moment is None or moment > end.replace(tzinfo=zone):
            return moments
        if moment > start.replace(tzinfo=zone):
            moments.append(moment.replace(tzinfo=None))
        previous, cursor = moment, moment + timedelta(seconds=1)
