"""The `rollups` job: keeps the per-day case aggregates that charts and the wall read."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from data_access.db import writing
from data_access.rollups import rebuild_case_rollups


def run(engine: Engine, now: datetime) -> dict:
    with writing(engine) as session:
        rows = rebuild_case_rollups(session, now)
    return {"rows": rows}
