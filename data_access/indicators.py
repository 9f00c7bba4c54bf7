"""The property-company and owners'-committee indicators (P01-P14, C01-C18): their definitions, a month's
scores per estate, and entering them by form or by file.

Entering is all or nothing and replaces: a month's scores of an estate named in the file (or the form) are
replaced whole by the new ones, in one transaction, and each replacement is written to the audit log with
what changed. Only the residential estates of the caller's communities count as known.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from data_access.db import reading, writing
from data_access.models import AuditLog, Estate, IndicatorDef, IndicatorScore, User
from domain.estate_index import month_of, parse_month
from domain.indicator_scores import RowError, check_scores, read_scores_file, template_rows

ENTRY_ROLES = frozenset({"grid_leader", "secretary", "admin"})
MAX_FILE_BYTES = 5 * 1024 * 1024
AUDIT_ENTITY = "indicator_score"


def indicator_defs(session: Session) -> list[dict]:
    rows = session.scalars(select(IndicatorDef).order_by(IndicatorDef.code))
    return [
        {
            "id": d.id,
            "code": d.code,
            "group": d.group_code,
            "name_zh": d.name_zh,
            "name_en": d.name_en,
            "meaning_zh": d.meaning_zh,
            "meaning_en": d.meaning_en,
            "higher_is_better": d.higher_is_better,
            "weight": d.weight,
        }
        for d in rows
    ]


def residential_estates(session: Session, community_ids: list[int]) -> list[dict]:
    rows = session.execute(
        select(Estate.id, Estate.code, Estate.name_zh, Estate.name_en, Estate.community_id, Estate.grid_id)
        .where(Estate.community_id.in_(community_ids), Estate.kind == "residential")
        .order_by(Estate.community_id, Estate.id)
    )
    return [
        {"id": i, "code": c, "name_zh": zh, "name_en": en, "community_id": cid, "grid_id": gid}
        for i, c, zh, en, cid, gid in rows
    ]


def month_scores(session: Session, estate_id: int, month: str) -> dict[str, float]:
    rows = session.execute(
        select(IndicatorDef.code, IndicatorScore.score)
        .join(IndicatorDef, IndicatorDef.id == IndicatorScore.indicator_id)
        .where(IndicatorScore.estate_id == estate_id, IndicatorScore.month == month)
    )
    return {code: score for code, score in rows}


def _fmt(value: float) -> str:
    return f"{value:g}"


def replace_scores(
    session: Session,
    community_ids: list[int],
    month: str,
    triples: list[tuple[str, str, float]],
    user_id: int,
    now: datetime,
    source: str,
) -> dict:
    """Replace the month's scores of every estate named in `triples` (estate code, indicator code, score) —
    checked already — and log each replacement. Returns {estates, stored, replaced}."""
    estates = {e["code"]: e for e in residential_estates(session, community_ids)}
    ids = dict(session.execute(select(IndicatorDef.code, IndicatorDef.id)).all())
    username = session.scalar(select(User.username).where(User.id == user_id)) or "?"
    by_estate: dict[str, dict[str, float]] = {}
    for estate_code, indicator, score in triples:
        by_estate.setdefault(estate_code, {})[indicator] = score
    stored = replaced = 0
    for estate_code, scores in sorted(by_estate.items()):
        estate = estates[estate_code]
        before = month_scores(session, estate["id"], month)
        session.execute(
            delete(IndicatorScore).where(IndicatorScore.estate_id == estate["id"], IndicatorScore.month == month)
        )
        session.add_all(
            IndicatorScore(
                estate_id=estate["id"],
                indicator_id=ids[code],
                month=month,
                score=score,
                entered_by=username,
                entered_at=now,
            )
            for code, score in sorted(scores.items())
        )
        stored += len(scores)
        replaced += len(before)
        changed = [
            f"{code} {_fmt(before[code]) if code in before else '-'}→{_fmt(scores[code]) if code in scores else '-'}"
            for code in sorted(set(before) | set(scores))
            if before.get(code) != scores.get(code)
        ]
        detail = f"{source}: {len(before)} scores replaced by {len(scores)}; changed {len(changed)}"
        if changed:
            detail += ": " + ", ".join(changed[:40]) + (" …" if len(changed) > 40 else "")
        session.add(
            AuditLog(
                at=now,
                user_id=user_id,
                username=username,
                action="replace" if before else "create",
                entity=AUDIT_ENTITY,
                entity_id=f"{estate['id']}:{month}",
                detail=detail,
            )
        )
    session.flush()
    return {"estates": len(by_estate), "stored": stored, "replaced": replaced}


def _known_codes(engine, community_ids: list[int]) -> tuple[set[str], set[str]]:  # noqa: ANN001
    with reading(engine) as s:
        estates = {e["code"] for e in residential_estates(s, community_ids)}
        indicators = {d["code"] for d in indicator_defs(s)}
    return estates, indicators


def ingest_scores_file(
    engine,  # noqa: ANN001
    contents: str | None,
    filename: str | None,
    month: str,
    community_ids: list[int],
    user_id: int,
    role: str,
    now: datetime,
) -> dict:
    """A staff upload (a dcc.Upload data URL, CSV or .xlsx) for `month`: all rows or none. Returns
    {estates, stored, replaced} or {error} or {errors: [RowError]}."""
    if role not in ENTRY_ROLES:
        return {"error": "forbidden"}
    if parse_month(month) is None or month > month_of(now):
        return {"error": "bad_month"}
    if not contents or "," not in contents:
        return {"error": "empty"}
    try:
        data = base64.b64decode(contents.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError):
        return {"error": "not_readable"}
    if len(data) > MAX_FILE_BYTES:
        return {"error": "too_large"}
    rows, problem = read_scores_file(data)
    if problem:
        return {"error": problem}
    estates, indicators = _known_codes(engine, community_ids)
    clean, errors = check_scores(rows, estates, indicators, month)
    if errors:
        return {"errors": errors}
    with writing(engine) as s:
        return replace_scores(s, community_ids, month, clean, user_id, now, f"upload {filename or ''}".strip())


def save_form_scores(
    engine,  # noqa: ANN001
    estate_code: str,
    month: str,
    values: dict[str, object],
    community_ids: list[int],
    user_id: int,
    role: str,
    now: datetime,
) -> dict:
    """The entry form of one estate and month: the filled-in fields replace that month's scores (an emptied
    field removes its score). Same checks and log as a file."""
    if role not in ENTRY_ROLES:
        return {"error": "forbidden"}
    if parse_month(month) is None or month > month_of(now):
        return {"error": "bad_month"}
    rows = [
        {"_row": number, "estate": estate_code, "month": month, "indicator": code, "score": value}
        for number, (code, value) in enumerate(sorted(values.items()), start=1)
        if value not in (None, "")
    ]
    estates, indicators = _known_codes(engine, community_ids)
    if estate_code not in estates:
        return {"errors": [RowError(0, "estate", "unknown_estate")]}
    clean, errors = check_scores(rows, estates, indicators, month)
    if errors:
        return {"errors": errors}
    with writing(engine) as s:
        if not clean:  # every field emptied: the month has no scores for this estate any more
            estate_id = next(e["id"] for e in residential_estates(s, community_ids) if e["code"] == estate_code)
            before = month_scores(s, estate_id, month)
            s.execute(
                delete(IndicatorScore).where(IndicatorScore.estate_id == estate_id, IndicatorScore.month == month)
            )
            if before:
                username = s.scalar(select(User.username).where(User.id == user_id)) or "?"
                s.add(
                    AuditLog(
                        at=now,
                        user_id=user_id,
                        username=username,
                        action="delete",
                        entity=AUDIT_ENTITY,
                        entity_id=f"{estate_id}:{month}",
                        detail=f"form: {len(before)} scores removed",
                    )
                )
            return {"estates": 1, "stored": 0, "replaced": len(before)}
        return replace_scores(s, community_ids, month, clean, user_id, now, "form")


def template_table(session: Session, community_ids: list[int], month: str, lang: str) -> list[list]:
    """The month's sheet for the caller's estates, with the scores already entered filled in."""
    estates = residential_estates(session, community_ids)
    defs = indicator_defs(session)
    scores = {}
    for e in estates:
        for code, value in month_scores(session, e["id"], month).items():
            scores[(e["code"], code)] = value
    pick = (lambda zh, en: en) if lang == "en" else (lambda zh, en: zh)
    return template_rows(
        [(e["code"], pick(e["name_zh"], e["name_en"])) for e in estates],
        [(d["code"], pick(d["name_zh"], d["name_en"])) for d in defs],
        month,
        scores,
    )


def score_log(session: Session, community_ids: list[int], limit: int = 20) -> list[dict]:
    """The latest entries and replacements of scores in the caller's estates (from the audit log)."""
    estates = {str(e["id"]): e for e in residential_estates(session, community_ids)}
    rows = session.scalars(
        select(AuditLog)
        .where(AuditLog.entity == AUDIT_ENTITY)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit * 5)
    )
    out = []
    for row in rows:
        estate_id, _, month = (row.entity_id or "").partition(":")
        if estate_id in estates:
            e = estates[estate_id]
            out.append(
                {
                    "at": row.at,
                    "username": row.username,
                    "action": row.action,
                    "estate_zh": e["name_zh"],
                    "estate_en": e["name_en"],
                    "month": month,
                    "detail": row.detail,
                }
            )
        if len(out) >= limit:
            break
    return out
