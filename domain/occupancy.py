"""Checking occupancy samples from counters (API) or staff (CSV) before anything is stored.

A batch is all or nothing: one bad row rejects it, and every bad row is named with its problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

MAX_BATCH = 5000  # an API batch
MAX_FILE_ROWS = 50_000  # a staff CSV upload (a month of one lot is about 3,000 rows)


@dataclass(frozen=True)
class RowError:
    row: int  # 1-based position in the batch (a CSV's header is row 0)
    field: str
    code: str  # unknown_lot / bad_time / bad_count / shared_over / missing / duplicate / too_many


def parse_time(value, tz: str) -> datetime | None:  # noqa: ANN001
    """ISO-8601; an offset is converted to community-local time, a naive time is taken as local."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def parse_count(value) -> int | None:  # noqa: ANN001
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value >= 0 else None
    if isinstance(value, float) and value.is_integer():
        return int(value) if value >= 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def check_occupancy(
    rows: list[dict], lot_codes: set[str], tz: str, max_rows: int = MAX_BATCH
) -> tuple[list[tuple[str, datetime, int, int | None]], list[RowError]]:
    """rows: {"lot", "sampled_at", "occupied"[, "shared"]} as received. Returns the clean rows
    (lot, time, occupied, shared or None) or the errors. `shared`, when given, is how many of the
    occupied spaces hold cars of shared-parking permit holders (never more than `occupied`)."""
    errors: list[RowError] = []
    if len(rows) > max_rows:
        return [], [RowError(0, "samples", "too_many")]
    clean: list[tuple[str, datetime, int, int | None]] = []
    seen: set[tuple[str, datetime]] = set()
    for number, raw in enumerate(rows, start=1):
        if not isinstance(raw, dict):
            errors.append(RowError(number, "row", "missing"))
            continue
        lot = raw.get("lot")
        at = parse_time(raw.get("sampled_at"), tz)
        count = parse_count(raw.get("occupied"))
        problems = []
        if not isinstance(lot, str) or not lot.strip():
            problems.append(RowError(number, "lot", "missing"))
        elif lot.strip() not in lot_codes:
            problems.append(RowError(number, "lot", "unknown_lot"))
        if at is None:
            problems.append(RowError(number, "sampled_at", "bad_time"))
        if count is None:
            problems.append(RowError(number, "occupied", "bad_count"))
        shared = None  # optional: None or "" (an empty CSV cell) is "not counted"
        if raw.get("shared") not in (None, ""):
            shared = parse_count(raw["shared"])
            if shared is None:
                problems.append(RowError(number, "shared", "bad_count"))
            elif count is not None and shared > count:
                problems.append(RowError(number, "shared", "shared_over"))
        if not problems:
            key = (lot.strip(), at)
            if key in seen:
                problems.append(RowError(number, "sampled_at", "duplicate"))
            seen.add(key)
        errors.extend(problems)
        if not problems:
            clean.append((lot.strip(), at, count, shared))
    return (clean, []) if not errors else ([], errors)


def read_occupancy_csv(data: bytes) -> tuple[list[dict], str | None]:
    """CSV with the header lot,sampled_at,occupied and optionally shared (UTF-8, a BOM is fine) -> rows,
    or an error code:
    not_text / no_header."""
    import csv
    import io

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], "not_text"
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or {"lot", "sampled_at", "occupied"} - {f.strip() for f in reader.fieldnames}:
        return [], "no_header"
    return [{k.strip(): v for k, v in row.items() if k} for row in reader], None
