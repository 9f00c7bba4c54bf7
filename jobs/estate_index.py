"""The `estate_index` job: on the 1st of each month at 02:00 it computes the month before (DESIGN.md 5.5).

Everything happens in `data_access.estate_index.compute_and_store` (the page's recompute button runs the same
function): sub-indices, index, coverage, level, the seeded Monte Carlo rank intervals, the stored method
version and parameters, follow-ups of open rectification cases, and a new case for an estate gone red.
Re-running a month with the same inputs leaves its rows as they are; `--backfill-days N` computes every month
whose 1st fell in the last N days, oldest first.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from data_access.db import writing
from data_access.estate_index import compute_and_store
from domain.estate_index import previous_month


def run(engine: Engine, now: datetime) -> dict:
    with writing(engine) as session:
        return compute_and_store(session, previous_month(now), now)
