"""Parking lots, occupancy samples and the shareable-capacity results of the `parking` job."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from data_access.models import Estate, ParkingLot, ParkingSample, ShareableCapacity
from domain.parking import LotSettings


def lot_settings(lot: ParkingLot) -> LotSettings:
    return LotSettings(
        capacity=lot.capacity,
        share_window=lot.share_window,
        window_start=lot.window_start,
        window_end=lot.window_end,
        weekdays_only=lot.weekdays_only,
        quantile=lot.quantile,
        history_weeks=lot.history_weeks,
        safety_buffer=lot.safety_buffer,
    )


def all_lots(session: Session, community_ids: list[int] | None = None) -> list[ParkingLot]:
    query = select(ParkingLot).join(Estate, Estate.id == ParkingLot.estate_id).order_by(ParkingLot.id)
    if community_ids is not None:
        query = query.where(Estate.community_id.in_(community_ids))
    return list(session.scalars(query))


def load_samples(
    session: Session, lot_ids: list[int], since: datetime, until: datetime
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Samples per lot in [since, until], as numpy arrays (times at minute resolution, counts)."""
    grouped: dict[int, tuple[list, list]] = defaultdict(lambda: ([], []))
    result = session.execute(
        select(ParkingSample.lot_id, ParkingSample.sampled_at, ParkingSample.occupied)
        .where(ParkingSample.lot_id.in_(lot_ids), ParkingSample.sampled_at >= since, ParkingSample.sampled_at <= until)
        .order_by(ParkingSample.lot_id, ParkingSample.sampled_at)
        .execution_options(yield_per=20_000)
    )
    for lot_id, at, occupied in result:
        times, counts = grouped[lot_id]
        times.append(at)
        counts.append(occupied)
    return {
        lot_id: (np.array(times, dtype="datetime64[m]"), np.array(counts, dtype=float))
        for lot_id, (times, counts) in grouped.items()
    }


def store_result(session: Session, row: dict) -> None:
    session.add(ShareableCapacity(**row))


@dataclass(frozen=True)
class OccupancyRow:
    lot_code: str
    sampled_at: datetime
    occupied: int


def lot_ids_by_code(session: Session, codes: set[str]) -> dict[str, tuple[int, int]]:
    """lot code -> (lot id, capacity) for the codes that exist."""
    rows = session.execute(
        select(ParkingLot.code, ParkingLot.id, ParkingLot.capacity).where(ParkingLot.code.in_(codes))
    )
    return {code: (lot_id, capacity) for code, lot_id, capacity in rows}


def insert_samples(session: Session, rows: list[dict], source: str) -> int:
    """Insert (lot_id, sampled_at, occupied) rows; a (lot, time) already stored is left as it is.
    Returns how many were new."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    before = session.scalar(select(func.count(ParkingSample.id)))
    statement = insert(ParkingSample).values([{**r, "source": source} for r in rows])
    session.execute(statement.on_conflict_do_nothing(index_elements=["lot_id", "sampled_at"]))
    return session.scalar(select(func.count(ParkingSample.id))) - before


def current_shareable(session: Session, community_ids: list[int] | None = None) -> list[dict]:
    """The latest result per lot (published or withheld), with the lot and its estate."""
    latest = (
        select(ShareableCapacity.lot_id, func.max(ShareableCapacity.id).label("id"))
        .group_by(ShareableCapacity.lot_id)
        .subquery()
    )
    query = (
        select(ShareableCapacity, ParkingLot, Estate)
        .join(latest, latest.c.id == ShareableCapacity.id)
        .join(ParkingLot, ParkingLot.id == ShareableCapacity.lot_id)
        .join(Estate, Estate.id == ParkingLot.estate_id)
        .order_by(ParkingLot.share_window, ParkingLot.code)
    )
    if community_ids is not None:
        query = query.where(Estate.community_id.in_(community_ids))
    return [
        {
            "lot": lot.code,
            "lot_id": lot.id,
            "lot_zh": lot.name_zh,
            "lot_en": lot.name_en,
            "estate": estate.code,
            "estate_zh": estate.name_zh,
            "estate_en": estate.name_en,
            "estate_kind": estate.kind,
            "window": result.share_window,
            "window_start": lot.window_start,
            "window_end": lot.window_end,
            "weekdays_only": lot.weekdays_only,
            "capacity": lot.capacity,
            "status": result.status,
            "shareable": result.shareable,
            "peak": result.peak,
            "reason": result.reason,
            "computed_at": result.computed_at,
            "data_from": result.data_from,
            "data_to": result.data_to,
            "samples_used": result.samples_used,
            "parameters": result.parameters,
        }
        for result, lot, estate in session.execute(query)
    ]
