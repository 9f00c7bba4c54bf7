"""The `parking` job: shareable spaces per lot and window from the stored occupancy (DESIGN.md 5.4)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from data_access.db import reading, writing
from data_access.notify import OutboxNotifier
from data_access.parking import all_lots, load_samples, lot_settings, replace_results
from data_access.permits import run_allocation
from domain.parking import compute_shareable, sample_span


def run(engine: Engine, now: datetime) -> dict:
    with reading(engine) as session:
        lots = [(lot.id, lot.code, lot_settings(lot)) for lot in all_lots(session)]
        spans = {lot_id: sample_span(now, settings) for lot_id, _code, settings in lots}
        since = min((s for s, _ in spans.values()), default=now)
        until = max((u for _, u in spans.values()), default=now)
        ids = [lot_id for lot_id, _c, _s in lots]
        samples = load_samples(session, ids, since, until, own_use=True) if lots else {}  # shared cars left out

    totals = {"day": 0, "night": 0}
    withheld = []
    results = []
    for lot_id, code, settings in lots:
        times, counts = samples.get(lot_id, ([], []))
        result = compute_shareable(times, counts, settings, now)
        if result.status == "published":
            totals[settings.share_window] += result.shareable
        else:
            withheld.append(f"{code}:{result.reason}")
        results.append(
            {
                "lot_id": lot_id,
                "share_window": settings.share_window,
                "computed_at": now,
                "status": result.status,
                "shareable": result.shareable,
                "peak": result.peak,
                "parameters": {**settings.as_dict(), "report": result.report},
                "data_from": result.data_from,
                "data_to": result.data_to,
                "samples_used": result.samples_used,
                "reason": result.reason,
            }
        )
    with writing(engine) as session:
        replace_results(session, now, results)  # a re-run for the same time replaces, never duplicates
    with writing(engine) as session:  # permits follow the new capacity (DESIGN.md 5.4)
        permits = run_allocation(session, now, OutboxNotifier(session, now))
    return {
        "rows": len(results),
        "published": len(results) - len(withheld),
        "withheld": ", ".join(withheld),
        "day_shareable": totals["day"],
        "night_shareable": totals["night"],
        **{f"permits_{k}": permits[k] for k in ("granted", "waitlisted", "withdrawn", "notices") if k in permits},
        # a linked group too large for the solver keeps its decisions; the run record says so
        **{f"permits_{k}": v for k, v in permits.items() if k.endswith(("_unsolved", "_problem", "_relaxed"))},
    }
