"""The `escalation` job: a case not finished within its level's time limit moves up one level
(L1 grid worker → L2 grid leader → L3 secretary → L4 street cadre / department), gets the new
level's time limit, and its new holder is notified. Safe to re-run: a case moved in this run has a
fresh due time, so a second run at the same moment moves nothing."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from data_access.db import writing
from data_access.workflow import escalate_overdue

BATCH = 500  # cases per transaction, so one run never holds the write lock for long


def run(engine: Engine, now: datetime) -> dict:
    moved: list[int] = []
    while True:
        with writing(engine) as session:
            batch = escalate_overdue(session, now, limit=BATCH)
        moved.extend(batch)
        if len(batch) < BATCH:
            break
    return {"rows": len(moved), "escalated": len(moved)}
