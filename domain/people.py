"""Households and residents: the reference lists, and checking an import file row by row.

A staff import (CSV or Excel) is all or nothing: every problem of every row is named, and one bad
row rejects the file. Rows are keyed by `external_id` (the household register's own id), so importing
the same file twice changes nothing. Headers may be the English field names or their Chinese labels.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_FILE_ROWS = 50_000

CARE_TAGS: dict[str, tuple[str, str]] = {
    "elderly": ("老年人", "Elderly"),
    "elderly_alone": ("独居老人", "Elderly living alone"),
    "disabled": ("残疾人", "Disabled"),
    "child": ("儿童", "Child"),
    "low_income": ("低保/低收入", "Low income"),
    "veteran": ("退役军人", "Veteran"),
}
RELATIONS: dict[str, tuple[str, str]] = {
    "self": ("本人", "Self"),
    "spouse": ("配偶", "Spouse"),
    "child": ("子女", "Child"),
    "parent": ("父母", "Parent"),
    "tenant": ("合租人", "Co-tenant"),
    "other": ("其他", "Other"),
}
TENURES: dict[str, tuple[str, str]] = {"owner": ("自有", "Owner"), "tenant": ("租住", "Tenant")}
GENDERS: dict[str, tuple[str, str]] = {"F": ("女", "female"), "M": ("男", "male")}  # the code, either name

HOUSEHOLD_FIELDS = ("external_id", "estate", "building", "unit", "room", "size", "tenure")
RESIDENT_FIELDS = ("external_id", "household", "name", "phone", "birth_year", "gender", "nationality", "languages",
                   "care_tags", "relation")  # fmt: skip
REQUIRED = {
    "households": ("external_id", "estate", "building", "unit", "room"),
    "residents": ("external_id", "household", "name", "birth_year", "gender", "nationality"),
}
HEADER_ALIASES = {
    "外部编号": "external_id", "编号": "external_id", "小区": "estate", "小区编码": "estate", "楼栋": "building",
    "楼栋编码": "building", "单元": "unit", "房号": "room", "人数": "size", "产权": "tenure", "居住性质": "tenure",
    "住户": "household", "住户编号": "household", "姓名": "name", "电话": "phone", "手机": "phone",
    "出生年份": "birth_year", "性别": "gender", "国籍": "nationality", "语言": "languages", "关爱标签": "care_tags",
    "与户主关系": "relation", "关系": "relation",
}  # fmt: skip
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_CODE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
_ROOM = re.compile(r"^[A-Za-z0-9-]{1,16}$")
_PHONE = re.compile(r"^\+?[\d\s-]{5,32}$")
_SPLIT = re.compile(r"[,;，；、\s]+")


@dataclass(frozen=True)
class RowProblem:
    row: int  # 1-based data row (the header is row 0)
    field: str
    code: str


@dataclass(frozen=True)
class HouseholdRow:
    external_id: str
    estate: str
    building: str
    unit: int
    room: str
    size: int
    tenure: str


@dataclass(frozen=True)
class ResidentRow:
    external_id: str
    household: str
    name: str
    phone: str | None
    birth_year: int
    gender: str
    nationality: str
    languages: str
    care_tags: str
    relation: str


def _text(value) -> str:  # noqa: ANN001
    """A cell as text: Excel gives numbers as floats (a phone 13812345678.0) and dates as datetimes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()[:10]
    return str(value).strip()


def read_table(data: bytes, filename: str | None) -> tuple[list[dict], str | None]:
    """Rows of a CSV (UTF-8 with or without BOM, or GB18030 as Chinese Excel saves it) or an .xlsx file
    (the first sheet), keyed by field name. Returns (rows, error code): empty / too_large / not_table /
    no_header / too_many."""
    if not data:
        return [], "empty"
    if len(data) > MAX_FILE_BYTES:
        return [], "too_large"
    name = (filename or "").lower()
    table = _read_xlsx(data) if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx") else _read_csv(data)
    if table is None:
        return [], "not_table"
    rows = [r for r in table if any(_text(c) for c in r)]
    if not rows:
        return [], "empty"
    header = [HEADER_ALIASES.get(_text(c), _text(c).lower()) for c in rows[0]]
    if "external_id" not in header:
        return [], "no_header"
    if len(rows) - 1 > MAX_FILE_ROWS:
        return [], "too_many"
    out = []
    for cells in rows[1:]:
        out.append({h: _text(cells[i]) if i < len(cells) else "" for i, h in enumerate(header) if h})
    return out, None


def _read_csv(data: bytes) -> list[list] | None:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            return None
        return list(csv.reader(io.StringIO(text)))
    return None


def _read_xlsx(data: bytes) -> list[list] | None:
    from zipfile import BadZipFile

    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (BadZipFile, KeyError, ValueError, OSError):
        return None
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(values_only=True):
            rows.append(list(row))
            if len(rows) > MAX_FILE_ROWS + 1:  # enough to say "too many" without reading a huge sheet
                break
        return rows
    finally:
        book.close()


def _alias(value: str, table: dict[str, tuple[str, str]]) -> str | None:
    """A code from its code or either of its names (case-insensitive)."""
    wanted = value.strip().lower()
    for code, (zh, en) in table.items():
        if wanted in (code.lower(), zh.lower(), en.lower()):
            return code
    return None


def parse_tags(value: str) -> tuple[list[str], list[str]]:
    """(known tag codes, unknown entries) of a comma/、-separated list of codes or names."""
    known, unknown = [], []
    for part in (p for p in _SPLIT.split(value or "") if p):
        code = _alias(part, CARE_TAGS)
        (known if code else unknown).append(code or part)
    return sorted(set(known)), unknown


def parse_languages(value: str) -> list[str] | None:
    parts = [p.lower() for p in _SPLIT.split(value or "") if p]
    if not all(re.fullmatch(r"[a-z]{2}", p) for p in parts):
        return None
    return list(dict.fromkeys(parts))


def _int(value: str, lo: int, hi: int) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if lo <= number <= hi else None


def check_households(rows: list[dict]) -> tuple[list[HouseholdRow], list[RowProblem]]:
    """Field checks only; whether the estate and building exist is the store's question."""
    clean, errors, ids, places = [], [], set(), set()
    for n, raw in enumerate(rows, start=1):
        problems = [(f, "missing") for f in REQUIRED["households"] if not raw.get(f)]
        external_id, estate, building = raw.get("external_id", ""), raw.get("estate", ""), raw.get("building", "")
        if external_id and not _ID.match(external_id):
            problems.append(("external_id", "bad_id"))
        for field_name, value in (("estate", estate), ("building", building)):
            if value and not _CODE.match(value):
                problems.append((field_name, "bad_code"))
        unit = _int(raw.get("unit", ""), 1, 99)
        if raw.get("unit") and unit is None:
            problems.append(("unit", "bad_number"))
        room = raw.get("room", "")
        if room and not _ROOM.match(room):
            problems.append(("room", "bad_room"))
        size = _int(raw.get("size") or "1", 1, 30)
        if size is None:
            problems.append(("size", "bad_number"))
        tenure = _alias(raw.get("tenure") or "owner", TENURES)
        if tenure is None:
            problems.append(("tenure", "bad_choice"))
        if not problems:
            if external_id in ids:
                problems.append(("external_id", "duplicate"))
            place = (estate, building, unit, room)
            if place in places:
                problems.append(("room", "duplicate"))
            ids.add(external_id)
            places.add(place)
        if problems:
            errors.extend(RowProblem(n, f, c) for f, c in problems)
            continue
        clean.append(HouseholdRow(external_id, estate, building, unit, room, size, tenure))
    return (clean, []) if not errors else ([], errors)


def check_resident_fields(raw: dict, this_year: int) -> tuple[dict, list[tuple[str, str]]]:
    """One resident's fields, as a form or an import row gives them: (clean values, problems)."""
    problems = []
    name = (raw.get("name") or "").strip()
    if len(name) > 120:
        problems.append(("name", "too_long"))
    phone = (raw.get("phone") or "").strip() or None
    if phone and not _PHONE.match(phone):
        problems.append(("phone", "bad_phone"))
    birth_year = _int(raw.get("birth_year", ""), 1900, this_year)
    if raw.get("birth_year") not in (None, "") and birth_year is None:
        problems.append(("birth_year", "bad_year"))
    gender = _alias(raw.get("gender") or "", GENDERS) if raw.get("gender") else None
    if raw.get("gender") and gender is None:
        problems.append(("gender", "bad_choice"))
    nationality = (raw.get("nationality") or "").strip().upper()
    if nationality and not re.fullmatch(r"[A-Z]{2}", nationality):
        problems.append(("nationality", "bad_country"))
    languages = parse_languages(raw.get("languages") or ("zh" if nationality == "CN" else ""))
    if languages is None:
        problems.append(("languages", "bad_language"))
    tags, unknown = parse_tags(raw.get("care_tags") or "")
    if unknown:
        problems.append(("care_tags", "bad_tag"))
    relation = _alias(raw.get("relation") or "self", RELATIONS)
    if relation is None:
        problems.append(("relation", "bad_choice"))
    values = {"name": name, "phone": phone, "birth_year": birth_year, "gender": gender, "nationality": nationality,
              "languages": ",".join(languages or []), "care_tags": ",".join(tags), "relation": relation}  # fmt: skip
    return values, problems


def check_residents(rows: list[dict], this_year: int) -> tuple[list[ResidentRow], list[RowProblem]]:
    clean, errors, ids = [], [], set()
    for n, raw in enumerate(rows, start=1):
        problems = [(f, "missing") for f in REQUIRED["residents"] if not raw.get(f)]
        external_id, household = raw.get("external_id", ""), raw.get("household", "")
        for field_name, value in (("external_id", external_id), ("household", household)):
            if value and not _ID.match(value):
                problems.append((field_name, "bad_id"))
        values, more = check_resident_fields(raw, this_year)
        problems.extend(p for p in more if p not in problems)
        if not problems:
            if external_id in ids:
                problems.append(("external_id", "duplicate"))
            ids.add(external_id)
        if problems:
            errors.extend(RowProblem(n, f, c) for f, c in problems)
            continue
        clean.append(ResidentRow(external_id=external_id, household=household, **values))
    return (clean, []) if not errors else ([], errors)


def age_band(birth_year: int, year: int) -> str:
    """A decade band ("30-39", "80+") for the masked views: enough to plan a visit, not a birthday."""
    age = max(0, year - birth_year)
    return "80+" if age >= 80 else f"{age // 10 * 10}-{age // 10 * 10 + 9}"


# Who may see what (DESIGN.md 5.7). Every role sees the counts. The masked household lists are for the
# staff who work with households; grid staff see their own grid only. Names and phones in full are
# for the people who knock on the door or answer for the community, and every reveal is audited.
HOUSEHOLD_ROLES = frozenset({"grid_worker", "grid_leader", "secretary", "street_cadre", "admin"})
REVEAL_ROLES = frozenset({"grid_worker", "grid_leader", "secretary"})
EDIT_ROLES = frozenset({"grid_worker", "grid_leader", "secretary", "admin"})
IMPORT_ROLES = frozenset({"secretary", "admin"})
GRID_ROLES = frozenset({"grid_worker", "grid_leader"})


def may_see_household(role: str, user_grid: int | None, user_communities, grid: int | None, community: int) -> bool:  # noqa: ANN001
    if role not in HOUSEHOLD_ROLES or community not in user_communities:
        return False
    return role not in GRID_ROLES or (grid is not None and grid == user_grid)


def may_reveal(role: str, user_grid: int | None, user_communities, grid: int | None, community: int) -> bool:  # noqa: ANN001
    return role in REVEAL_ROLES and may_see_household(role, user_grid, user_communities, grid, community)


def may_edit(role: str, user_grid: int | None, user_communities, grid: int | None, community: int) -> bool:  # noqa: ANN001
    if role not in EDIT_ROLES or community not in user_communities:
        return False
    return role not in GRID_ROLES or (grid is not None and grid == user_grid)
