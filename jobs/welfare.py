"""The `welfare` job: a consented watch whose person has had no door activity for longer than their
threshold raises a visit task for the grid worker (DESIGN.md 5.7); tasks whose reason has gone close."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from data_access.db import writing
from data_access.welfare import run_welfare


def run(engine: Engine, now: datetime, escalate_after_hours: int = 4) -> dict:
    with writing(engine) as session:
        return run_welfare(session, now, escalate_after_hours)
