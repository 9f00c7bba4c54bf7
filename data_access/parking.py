"""Parking lots, occupancy samples and the shareable-capacity results of the `parking` job."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import BigInteger, Integer, cast, delete, extract, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from data_access.db import reading, writing
from data_access.models import Estate, ParkingLot, ParkingSample, ShareableCapacity
from domain.occupancy import MAX_FILE_ROWS, check_occupancy, read_occupancy_csv
from domain.parking import SAMPLE_TOLERANCE, LotSettings, measure_shared_use, nearest_counts


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
    session: Session,
    lot_ids: list[int],
    since: datetime,
    until: datetime,
    own_use: bool = False,
    with_shared: bool = False,
) -> dict[int, tuple[np.ndarray, ...]]:
    """Samples per lot in [since, until], as numpy arrays (times at minute resolution, counts).
    With `own_use` the counts leave out the cars of shared-parking permit holders where the sample
    says how many there were (`shared`): the lot's own use, which the parking job measures. With
    `with_shared` a third array gives that count per sample (NaN where the counter did not say).

    At district scale this reads millions of rows, so the database turns each time into whole
    minutes since 1970 (of the naive local time) and the rows come straight from the driver's
    cursor: no per-row datetime or Row objects, and numpy takes the integers as they are.
    """
    if not lot_ids:
        return {}
    sqlite = session.get_bind().dialect.name == "sqlite"
    minutes = (
        cast(func.strftime("%s", ParkingSample.sampled_at), Integer) / 60
        if sqlite
        else cast(func.floor(extract("epoch", ParkingSample.sampled_at) / 60), BigInteger)
    )
    query = (
        select(
            ParkingSample.lot_id,
            minutes,
            ParkingSample.occupied - func.coalesce(ParkingSample.shared, 0) if own_use else ParkingSample.occupied,
            *([func.coalesce(ParkingSample.shared, -1)] if with_shared else []),
        )
        .where(ParkingSample.lot_id.in_(lot_ids), ParkingSample.sampled_at >= since, ParkingSample.sampled_at <= until)
        .order_by(ParkingSample.lot_id, ParkingSample.sampled_at)
    )
    compiled = query.compile(dialect=session.get_bind().dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    args = [params[name] for name in compiled.positiontup] if compiled.positional else params
    if sqlite:  # SQLAlchemy stores datetimes in SQLite as this text; compare like with like
        args = [a.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(a, datetime) else a for a in args]
    cursor = session.connection().connection.driver_connection.cursor()
    try:
        cursor.execute(str(compiled), args)
        rows = cursor.fetchall()
    finally:
        cursor.close()
    if not rows:
        return {}
    table = np.array(rows, dtype=np.int64)
    lots = table[:, 0]
    times = table[:, 1].astype("datetime64[m]")
    columns = [table[:, 2].astype(float)]
    if with_shared:
        shared = table[:, 3].astype(float)
        shared[shared < 0] = np.nan
        columns.append(shared)
    starts = np.flatnonzero(np.r_[True, lots[1:] != lots[:-1]])
    ends = np.r_[starts[1:], len(lots)]
    return {int(lots[a]): (times[a:b], *(c[a:b] for c in columns)) for a, b in zip(starts, ends, strict=True)}


def replace_results(session: Session, computed_at: datetime, rows: list[dict]) -> None:
    """Store one run's results; a result of an earlier run for the same lot, window and time is replaced.

    An upsert on the natural key, so two runs for the same time (a replay, or two schedulers racing on
    PostgreSQL) leave one row per lot and window rather than two."""
    if not rows:
        return
    keys = {(r["lot_id"], r["share_window"]) for r in rows}
    stale = session.execute(
        select(ShareableCapacity.id, ShareableCapacity.lot_id, ShareableCapacity.share_window).where(
            ShareableCapacity.lot_id.in_({lot for lot, _ in keys}), ShareableCapacity.computed_at == computed_at
        )
    ).all()
    gone = [row_id for row_id, lot, window in stale if (lot, window) not in keys]  # a lot whose window changed
    if gone:
        session.execute(delete(ShareableCapacity).where(ShareableCapacity.id.in_(gone)))
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    values = [{**r, "computed_at": computed_at} for r in rows]
    statement = insert(ShareableCapacity).values(values)
    updated = {c: statement.excluded[c] for c in values[0] if c not in ("lot_id", "share_window", "computed_at")}
    session.execute(
        statement.on_conflict_do_update(index_elements=["lot_id", "share_window", "computed_at"], set_=updated)
    )


@dataclass(frozen=True)
class OccupancyRow:
    lot_code: str
    sampled_at: datetime
    occupied: int


def lot_ids_by_code(
    session: Session, codes: set[str], community_ids: list[int] | None = None
) -> dict[str, tuple[int, int]]:
    """lot code -> (lot id, capacity) for the codes that exist (in `community_ids`, when given: a lot of
    another community is as unknown as a lot that does not exist)."""
    query = select(ParkingLot.code, ParkingLot.id, ParkingLot.capacity).where(ParkingLot.code.in_(codes))
    if community_ids is not None:
        query = query.join(Estate, Estate.id == ParkingLot.estate_id).where(Estate.community_id.in_(community_ids))
    return {code: (lot_id, capacity) for code, lot_id, capacity in session.execute(query)}


def insert_samples(
    session: Session, clean: list[tuple[str, datetime, int, int | None]], lots: dict[str, tuple[int, int]], source: str
) -> int:
    """Insert `check_occupancy`'s clean rows (lot code, sampled_at, occupied, shared) of the lots in `lots`
    (code -> (id, capacity), `lot_ids_by_code`); a (lot, time) already stored is left as it is.
    Returns how many were new."""
    if not clean:
        return 0
    rows = [{"lot_id": lots[code][0], "sampled_at": at, "occupied": n, "shared": shared, "source": source}
            for code, at, n, shared in clean]  # fmt: skip
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    before = session.scalar(select(func.count(ParkingSample.id)))
    statement = insert(ParkingSample).values(rows)
    session.execute(statement.on_conflict_do_nothing(index_elements=["lot_id", "sampled_at"]))
    return session.scalar(select(func.count(ParkingSample.id))) - before


def _latest_results(until: datetime | None = None):
    """Per lot and window, the id of the result of the latest computation: the greatest computed_at
    (the time the run computed for, its --now; the natural key leaves one row per lot, window and time,
    the id only makes the order total). A backfill or re-run for an earlier time never displaces a later
    computation, whatever order they ran in. With `until`, only computations at or before it count (what was current then)."""
    order = (ShareableCapacity.computed_at.desc(), ShareableCapacity.id.desc())
    ranked = select(
        ShareableCapacity.id.label("id"),
        func.row_number()
        .over(partition_by=(ShareableCapacity.lot_id, ShareableCapacity.share_window), order_by=order)
        .label("rank"),
    )
    if until is not None:
        ranked = ranked.where(ShareableCapacity.computed_at <= until)
    ranked = ranked.subquery()
    return select(ranked.c.id).where(ranked.c.rank == 1)


def current_shareable(session: Session, community_ids: list[int] | None = None) -> list[dict]:
    """The current result per lot (published or withheld), with the lot and its estate: the result of
    the latest computation for the lot and its sharing window (`_latest_results`)."""
    query = (
        select(ShareableCapacity, ParkingLot, Estate)
        .where(ShareableCapacity.id.in_(_latest_results()))
        .join(
            ParkingLot,
            (ParkingLot.id == ShareableCapacity.lot_id) & (ParkingLot.share_window == ShareableCapacity.share_window),
        )
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


def _weekday_and_minute(session: Session):
    """(weekday Monday=0, minute of the day) of a sample, in each engine's own SQL."""
    column = ParkingSample.sampled_at
    if session.get_bind().dialect.name == "postgresql":
        return (
            func.extract("isodow", column) - 1,
            func.extract("hour", column) * 60 + func.extract("minute", column),
        )
    return (
        (func.cast(func.strftime("%w", column), Integer) + 6) % 7,
        func.cast(func.strftime("%H", column), Integer) * 60 + func.cast(func.strftime("%M", column), Integer),
    )


def occupancy_profile(session: Session, lot_id: int, since: datetime, until: datetime) -> list[dict]:
    """Average occupancy per weekday and 15-minute slot, aggregated in SQL."""
    weekday, minute = _weekday_and_minute(session)
    slot = (minute / 15) * 15 if session.get_bind().dialect.name == "sqlite" else func.floor(minute / 15) * 15
    rows = session.execute(
        select(weekday.label("weekday"), slot.label("minute"), func.avg(ParkingSample.occupied))
        .where(ParkingSample.lot_id == lot_id, ParkingSample.sampled_at >= since, ParkingSample.sampled_at < until)
        .group_by(weekday, slot)
    )
    return [{"weekday": int(w), "minute": int(m), "occupied": float(avg)} for w, m, avg in rows]


def occupancy_now(session: Session, community_ids: list[int]) -> list[dict]:
    """The latest sample of every lot, with its capacity."""
    latest = (
        select(ParkingSample.lot_id, func.max(ParkingSample.sampled_at).label("at"))
        .group_by(ParkingSample.lot_id)
        .subquery()
    )
    rows = session.execute(
        select(ParkingLot, Estate.name_zh, Estate.name_en, ParkingSample.occupied, ParkingSample.sampled_at)
        .join(Estate, Estate.id == ParkingLot.estate_id)
        .outerjoin(latest, latest.c.lot_id == ParkingLot.id)
        .outerjoin(ParkingSample, (ParkingSample.lot_id == ParkingLot.id) & (ParkingSample.sampled_at == latest.c.at))
        .where(Estate.community_id.in_(community_ids))
        .order_by(ParkingLot.share_window, ParkingLot.code)
    )
    return [
        {
            "lot": lot.code,
            "lot_zh": lot.name_zh,
            "lot_en": lot.name_en,
            "estate_zh": ezh,
            "estate_en": een,
            "window": lot.share_window,
            "capacity": lot.capacity,
            "occupied": occupied,
            "sampled_at": at,
        }
        for lot, ezh, een, occupied, at in rows
    ]


def shareable_history(session: Session, lot_id: int, limit: int = 120) -> list[dict]:
    """The lot's stored results, oldest first (the latest `limit` computations), each with the
    parameters and the span of data it used."""
    rows = session.scalars(
        select(ShareableCapacity)
        .where(ShareableCapacity.lot_id == lot_id)
        .order_by(ShareableCapacity.computed_at.desc(), ShareableCapacity.id.desc())
        .limit(limit)
    )
    return [
        {"id": r.id, "computed_at": r.computed_at, "window": r.share_window, "status": r.status,
         "shareable": r.shareable, "peak": r.peak, "reason": r.reason, "parameters": r.parameters,
         "data_from": r.data_from, "data_to": r.data_to, "samples_used": r.samples_used}
        for r in rows
    ][::-1]  # fmt: skip


def results_for_use(session: Session, lot_ids: list[int], since: datetime, until: datetime) -> dict[int, list[dict]]:
    """Per lot, the results that can be in force in [since, until]: the one current at `since` and every
    later computation up to `until`, sorted by (computed_at, id)."""
    if not lot_ids:
        return {}
    in_force_at_start = _latest_results(since)
    query = (
        select(ShareableCapacity)
        .where(
            ShareableCapacity.lot_id.in_(lot_ids),
            ShareableCapacity.computed_at <= until,
            (ShareableCapacity.computed_at > since) | ShareableCapacity.id.in_(in_force_at_start),
        )
        .order_by(ShareableCapacity.lot_id, ShareableCapacity.computed_at, ShareableCapacity.id)
    )
    found: dict[int, list[dict]] = {lot_id: [] for lot_id in lot_ids}
    for r in session.scalars(query):
        found[r.lot_id].append({"id": r.id, "computed_at": r.computed_at, "window": r.share_window,
                                "status": r.status, "shareable": r.shareable, "parameters": r.parameters})  # fmt: skip
    return found


def shared_use(session: Session, lots: list[ParkingLot], since: datetime, until: datetime) -> dict[int, list]:
    """Measured use of the shared spaces of each lot in the windows between `since` and `until`
    (`domain.parking.measure_shared_use`): lot id -> [WindowUse]."""
    ids = [lot.id for lot in lots]
    results = results_for_use(session, ids, since, until)
    samples = load_samples(session, ids, since, until, with_shared=True)
    empty = (np.array([], dtype="datetime64[m]"), np.array([], dtype=float), np.array([], dtype=float))
    uses = {}
    for lot in lots:
        times, counts, shared = samples.get(lot.id, empty)
        window_results = [r for r in results[lot.id] if r["window"] == lot.share_window]
        uses[lot.id] = measure_shared_use(times, counts, lot_settings(lot), window_results, since, until, shared)
    return uses


def ingest_occupancy_file(engine, contents: str | None, community_ids: list[int], tz: str) -> dict:  # noqa: ANN001
    """A staff CSV upload (a dcc.Upload data URL): all rows or none, idempotent on (lot, sampled_at).
    Only lots of the caller's communities count as known. Returns {stored, already_stored} or
    {error} / {errors: [RowError]}."""
    if not contents or "," not in contents:
        return {"error": "empty"}
    try:
        data = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return {"error": "not_text"}
    rows, problem = read_occupancy_csv(data)
    if problem:
        return {"error": problem}
    if not rows:
        return {"error": "empty"}
    with reading(engine) as s:
        lots = {lot.code: (lot.id, lot.capacity) for lot in all_lots(s, community_ids)}
    clean, errors = check_occupancy(rows, set(lots), tz, max_rows=MAX_FILE_ROWS)
    if errors:
        return {"errors": errors}
    with writing(engine) as s:
        stored = insert_samples(s, clean, lots, source="upload")
    return {"stored": stored, "already_stored": len(clean) - stored}


def counts_near(
    session: Session, lot_id: int, moments: list[datetime], tolerance: timedelta = SAMPLE_TOLERANCE
) -> dict[datetime, float]:
    """The count of the sample nearest to each moment within `tolerance` (counters need not report on
    the quarter hour); moments without a sample that close are left out."""
    if not moments:
        return {}
    samples = load_samples(session, [lot_id], min(moments) - tolerance, max(moments) + tolerance)
    times, counts = samples.get(lot_id, (np.array([], dtype="datetime64[m]"), np.array([], dtype=float)))
    return nearest_counts(times, counts, moments, tolerance)


def lot_place(session: Session, lot_id: int) -> dict:
    """Where a lot is, for opening a case about it."""
    lot, estate = session.execute(
        select(ParkingLot, Estate).join(Estate, Estate.id == ParkingLot.estate_id).where(ParkingLot.id == lot_id)
    ).one()
    return {"community_id": estate.community_id, "estate_id": estate.id, "grid_id": estate.grid_id,
            "lat": lot.lat, "lon": lot.lon, "lot_zh": lot.name_zh, "lot_en": lot.name_en}  # fmt: skip
