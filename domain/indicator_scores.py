"""Checking a month of indicator scores (P01-P14, C01-C18) from a staff upload or form before anything is stored.

A file is all or nothing: one bad row rejects it, and every bad row is named with its problem. Row numbers
are the spreadsheet's own (the header is row 1), so staff find the row where they typed it.

The file is CSV (UTF-8, a BOM is fine) or Excel (.xlsx, the first sheet) with the columns
estate, month, indicator, score; other columns (names, notes) are ignored.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from datetime import date, datetime

from domain.estate_index import parse_month

COLUMNS = ("estate", "month", "indicator", "score")
MAX_ROWS = 20_000  # a district's month is about 60 communities x 10 estates x 32 indicators
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls


@dataclass(frozen=True)
class RowError:
    row: int  # spreadsheet row (header = 1); 0 for the whole file
    field: str
    code: str  # missing / unknown_estate / unknown_indicator / bad_score / out_of_range / duplicate / wrong_month / too_many


def _cell(value: object) -> object:
    if isinstance(value, datetime | date):  # Excel turns "2026-07" into a date
        return f"{value.year:04d}-{value.month:02d}"
    if isinstance(value, str):
        return value.strip()
    return value


def read_scores_file(data: bytes) -> tuple[list[dict], str | None]:
    """The rows of an upload, or a whole-file problem: empty / xls / not_readable / no_header."""
    if not data:
        return [], "empty"
    if data.startswith(OLE_MAGIC):
        return [], "xls"
    if data.startswith(XLSX_MAGIC):
        return _read_xlsx(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], "not_readable"
    reader = csv.reader(io.StringIO(text))
    table = [row for row in reader]
    return _rows(table)


def _read_xlsx(data: bytes) -> tuple[list[dict], str | None]:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, OSError, ValueError):
        return [], "not_readable"
    try:
        sheet = book.worksheets[0] if book.worksheets else None
        if sheet is None:
            return [], "empty"
        table = []
        for row in sheet.iter_rows(values_only=True):
            table.append(list(row))
            if len(table) > MAX_ROWS + 2:
                break
    finally:
        book.close()
    return _rows(table)


def _rows(table: list[list]) -> tuple[list[dict], str | None]:
    while table and all(v in (None, "") for v in table[-1]):  # trailing blank lines
        table.pop()
    if not table:
        return [], "empty"
    header = [str(h).strip().lower() if h is not None else "" for h in table[0]]
    if set(COLUMNS) - set(header):
        return [], "no_header"
    where = {name: header.index(name) for name in COLUMNS}
    rows = []
    for number, line in enumerate(table[1:], start=2):
        if all(v in (None, "") for v in line):  # a blank line between rows is no row
            continue
        cells = list(line) + [None] * (len(header) - len(line))
        rows.append({"_row": number, **{name: _cell(cells[i]) for name, i in where.items()}})
    if not rows:
        return [], "empty"
    return rows, None


def parse_score(value: object) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and value.strip():
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def check_scores(
    rows: list[dict], estate_codes: set[str], indicator_codes: set[str], month: str, first_row: int = 2
) -> tuple[list[tuple[str, str, float]], list[RowError]]:
    """rows: {"estate", "month", "indicator", "score"}; every row must be of `month`. Returns the clean
    (estate, indicator, score) triples, or the errors (then no triple)."""
    if len(rows) > MAX_ROWS:
        return [], [RowError(0, "file", "too_many")]
    errors: list[RowError] = []
    clean: list[tuple[str, str, float]] = []
    seen: set[tuple[str, str]] = set()
    for offset, raw in enumerate(rows):
        number = raw.get("_row", first_row + offset)
        estate = raw.get("estate")
        indicator = raw.get("indicator")
        indicator = indicator.upper() if isinstance(indicator, str) else indicator
        problems: list[RowError] = []
        if not isinstance(estate, str) or not estate:
            problems.append(RowError(number, "estate", "missing"))
        elif estate not in estate_codes:
            problems.append(RowError(number, "estate", "unknown_estate"))
        if not isinstance(indicator, str) or not indicator:
            problems.append(RowError(number, "indicator", "missing"))
        elif indicator not in indicator_codes:
            problems.append(RowError(number, "indicator", "unknown_indicator"))
        row_month = raw.get("month")
        if row_month in (None, ""):
            problems.append(RowError(number, "month", "missing"))
        elif parse_month(str(row_month)) != month:
            problems.append(RowError(number, "month", "wrong_month"))
        score = parse_score(raw.get("score"))
        if raw.get("score") in (None, ""):
            problems.append(RowError(number, "score", "missing"))
        elif score is None:
            problems.append(RowError(number, "score", "bad_score"))
        elif not 0 <= score <= 100:
            problems.append(RowError(number, "score", "out_of_range"))
        if not problems:
            key = (estate, indicator)
            if key in seen:
                problems.append(RowError(number, "indicator", "duplicate"))
            seen.add(key)
        errors.extend(problems)
        if not problems:
            clean.append((estate, indicator, round(score, 2)))
    return (clean, []) if not errors else ([], errors)


def template_rows(
    estates: list[tuple[str, str]],
    indicators: list[tuple[str, str]],
    month: str,
    scores: dict[tuple[str, str], float] | None = None,
) -> list[list]:
    """A filled-in (or blank) sheet for a month: header, then one row per estate and indicator.
    estates and indicators: (code, name)."""
    scores = scores or {}
    out: list[list] = [["estate", "estate_name", "month", "indicator", "indicator_name", "score"]]
    for code, name in estates:
        for ind, ind_name in indicators:
            value = scores.get((code, ind))
            out.append([code, name, month, ind, ind_name, "" if value is None else value])
    return out


def csv_text(table: list[list]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(table)
    return buffer.getvalue()
