"""The `iot_alarms` job (every minute): every active alarm rule over every active device — raise,
repeat or clear alarms, and open an urgent case for a critical one (DESIGN.md 5.6)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from data_access.alarms import run_alarm_rules
from data_access.db import writing
from domain.alarms import parse_season


def run(engine: Engine, now: datetime, flood_season: str = "04-15..10-15", flood_prep_days: int = 30) -> dict:
    season = parse_season(flood_season, ("04-15", "10-15"))
    with writing(engine) as session:
        return run_alarm_rules(session, now, season, flood_prep_days)
