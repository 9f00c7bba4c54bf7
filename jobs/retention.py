"""The `retention` job (nightly): raw door events older than the retention period are deleted, and
each deletion is written to the audit log (DESIGN.md 5.7: kept for a limited, configurable time)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from data_access.access import delete_expired
from data_access.db import writing
from domain.welfare import retention_cutoff


def run(engine: Engine, now: datetime, retention_days: int = 30) -> dict:
    cutoff = retention_cutoff(now, retention_days)
    with writing(engine) as session:
        deleted = delete_expired(session, cutoff, now)
    return {"rows": sum(deleted.values()), "cutoff": cutoff.isoformat(), "communities": len(deleted)}
