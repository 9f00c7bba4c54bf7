"""The estate running index in the store: method versions, a month's inputs, computing and storing a month
(what the `estate_index` job runs), the results the page and the API read, and red-warning rectification cases.

Results are kept per (estate, month, method version): re-running a month with the same version and the same
inputs leaves its rows untouched; a new version adds rows of its own and never rewrites another version's.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.db import writing
from data_access.models import (
    AuditLog,
    Ballot,
    Building,
    Community,
    Estate,
    EstateIndex,
    Household,
    IndexMethod,
    IndicatorDef,
    IndicatorScore,
    Rectification,
    User,
)
from data_access.notify import OutboxNotifier
from domain import estate_index as method_rules
from domain.estate_index import (
    ASPECT_NAMES,
    ASPECTS,
    EstateInputs,
    Method,
    change_since,
    check_parameters,
    compute_month,
    previous_month,
    rectification_dates,
    rectification_items,
    resolve_method,
)

RECTIFY_ROLES = frozenset({"grid_leader", "secretary", "street_cadre", "admin"})
CLOSE_ROLES = frozenset({"secretary", "street_cadre", "admin"})
METHOD_ROLES = frozenset({"admin"})
RECOMPUTE_ROLES = frozenset({"secretary", "admin"})
NOTE_MAX = 1000
NAME_MAX = 80


class IndexRefused(Exception):
    """A refused change; `key` names the message (i18n idx.error.<key>), `problems` the bad parameters."""

    def __init__(self, key: str, problems: list[str] | None = None) -> None:
        super().__init__(key)
        self.key = key
        self.problems = problems or []


# --- method versions ----------------------------------------------------------------------------------------


def _components(session: Session) -> tuple:
    defs = session.execute(
        select(IndicatorDef.code, IndicatorDef.group_code, IndicatorDef.higher_is_better, IndicatorDef.weight)
    ).all()
    return method_rules.components((c, g, h, w) for c, g, h, w in defs)


def load_method(session: Session, version: str | None = None) -> Method | None:
    """The method of `version`, or of the active version."""
    query = select(IndexMethod)
    query = query.where(IndexMethod.version == version) if version else query.where(IndexMethod.active.is_(True))
    row = session.scalars(query.order_by(IndexMethod.id.desc()).limit(1)).first()
    if row is None:
        return None
    return resolve_method(row.version, row.parameters, _components(session))


def method_versions(session: Session) -> list[dict]:
    rows = session.scalars(select(IndexMethod).order_by(IndexMethod.id.desc()))
    comps = _components(session)
    return [
        {
            "version": m.version,
            "active": m.active,
            "created_at": m.created_at,
            "created_by": m.created_by,
            "parameters": m.parameters,
            "resolved": resolve_method(m.version, m.parameters, comps).parameters(),
        }
        for m in rows
    ]


def _next_version(session: Session) -> str:
    numbers = [int(v[1:]) for v in session.scalars(select(IndexMethod.version)) if v[1:].isdigit()]
    return f"v{max(numbers, default=0) + 1}"


def _audit(session: Session, user_id: int, action: str, entity: str, entity_id: str, detail: str, now) -> None:  # noqa: ANN001
    username = session.scalar(select(User.username).where(User.id == user_id)) or "?"
    session.add(
        AuditLog(
            at=now, user_id=user_id, username=username, action=action, entity=entity, entity_id=entity_id, detail=detail
        )
    )


def create_method(session: Session, parameters: dict, user_id: int, role: str, now: datetime, activate: bool) -> str:
    """Store a new version (administrators only); stored results keep theirs. Returns the version."""
    if role not in METHOD_ROLES:
        raise IndexRefused("forbidden")
    problems = check_parameters(parameters, _components(session))
    if problems:
        raise IndexRefused("parameters", problems)
    version = _next_version(session)
    username = session.scalar(select(User.username).where(User.id == user_id)) or "?"
    if activate:
        for row in session.scalars(select(IndexMethod).where(IndexMethod.active.is_(True))):
            row.active = False
    session.add(
        IndexMethod(version=version, parameters=parameters, created_at=now, created_by=username, active=activate)
    )
    _audit(session, user_id, "create", "index_method", version, f"active={activate}", now)
    session.flush()
    return version


def activate_method(session: Session, version: str, user_id: int, role: str, now: datetime) -> None:
    if role not in METHOD_ROLES:
        raise IndexRefused("forbidden")
    chosen = session.scalar(select(IndexMethod).where(IndexMethod.version == version))
    if chosen is None:
        raise IndexRefused("not_found")
    for row in session.scalars(select(IndexMethod).where(IndexMethod.active.is_(True))):
        row.active = False
    chosen.active = True
    _audit(session, user_id, "update", "index_method", version, "activated", now)


# --- a month's inputs -----------------------------------------------------------------------------------------


def month_inputs(session: Session, month: str) -> dict[int, list[EstateInputs]]:
    """Per community: every residential estate's households, ballots (mean rating per aspect) and indicator
    scores of `month`. Office parks have no households and no index."""
    estates = session.execute(
        select(Estate.id, Estate.community_id).where(Estate.kind == "residential").order_by(Estate.id)
    ).all()
    households = dict(
        session.execute(
            select(Building.estate_id, func.count(Household.id))
            .join(Household, Household.building_id == Building.id)
            .group_by(Building.estate_id)
        ).all()
    )
    aspect_columns = [getattr(Ballot, a) for a in ASPECTS]
    ballots = {
        row[0]: (row[1], dict(zip(ASPECTS, (float(v) for v in row[2:]), strict=True)))
        for row in session.execute(
            select(Ballot.estate_id, func.count(Ballot.id), *(func.avg(c) for c in aspect_columns))
            .where(Ballot.month == month)
            .group_by(Ballot.estate_id)
        )
    }
    scores: dict[int, dict[str, float]] = {}
    for estate_id, code, score in session.execute(
        select(IndicatorScore.estate_id, IndicatorDef.code, IndicatorScore.score)
        .join(IndicatorDef, IndicatorDef.id == IndicatorScore.indicator_id)
        .where(IndicatorScore.month == month)
    ):
        scores.setdefault(estate_id, {})[code] = float(score)
    out: dict[int, list[EstateInputs]] = {}
    for estate_id, community_id in estates:
        count, means = ballots.get(estate_id, (0, {}))
        out.setdefault(community_id, []).append(
            EstateInputs(estate_id, households.get(estate_id, 0), count, means, scores.get(estate_id, {}))
        )
    return out


def inputs_changed_at(session: Session, estate_ids: list[int], month: str) -> dict[int, datetime]:
    """The latest ballot or score of the month per estate (a result computed before it is out of date)."""
    if not estate_ids:
        return {}
    latest: dict[int, datetime] = {}
    for model, column in ((Ballot, Ballot.cast_at), (IndicatorScore, IndicatorScore.entered_at)):
        rows = session.execute(
            select(model.estate_id, func.max(column))
            .where(model.estate_id.in_(estate_ids), model.month == month)
            .group_by(model.estate_id)
        )
        for estate_id, at in rows:
            if at is not None and (estate_id not in latest or at > latest[estate_id]):
                latest[estate_id] = at
    return latest


# --- computing a month ----------------------------------------------------------------------------------------


def _row_values(result, method: Method) -> dict:  # noqa: ANN001 - a domain EstateResult
    return {
        "value": result.value,
        "resident_sub": result.sub["residents"],
        "property_sub": result.sub["property"],
        "committee_sub": result.sub["committee"],
        "coverage": result.coverage,
        "level": result.level,
        "rank": result.rank,
        "rank_low": result.rank_low,
        "rank_high": result.rank_high,
        "turnout": result.turnout,
        "low_turnout": result.low_turnout,
        "components": result.components_json(method),
    }


def compute_and_store(
    session: Session, month: str, now: datetime, version: str | None = None, community_ids: list[int] | None = None
) -> dict:
    """Compute every residential estate's result for `month` with `version` (default: the active one), store
    it, follow open rectifications, and open one for a red estate when `month` is the month just ended.

    A community with no ballot and no score in the month gets no rows (nothing happened there yet); inside a
    community that has inputs, an estate without any is stored as not rated, so it shows rather than hides."""
    active = load_method(session)
    method = load_method(session, version) if version else active
    if method is None and version is None:  # a store without reference data yet: nothing to compute with
        return {"month": month, "rows": 0, "skipped": "no method version in the store"}
    if method is None:
        raise IndexRefused("not_found")
    is_active = active is not None and method.version == active.version
    may_open = is_active and month == previous_month(now)
    stored = changed = unchanged = opened = followed = 0
    red: list[int] = []
    for community_id, inputs in sorted(month_inputs(session, month).items()):
        # the page recomputes the caller's communities only (ranks are per community, so nothing
        # outside them depends on it); the scheduled job passes None and does them all
        if community_ids is not None and community_id not in community_ids:
            continue
        if not any(i.ballots or i.indicator_scores for i in inputs):
            continue
        results = compute_month(inputs, method)
        inputs_at = inputs_changed_at(session, [i.estate_id for i in inputs], month)
        existing = {
            row.estate_id: row
            for row in session.scalars(
                select(EstateIndex).where(
                    EstateIndex.month == month,
                    EstateIndex.method_version == method.version,
                    EstateIndex.estate_id.in_([i.estate_id for i in inputs]),
                )
            )
        }
        for result in results:
            values = _row_values(result, method)
            at = inputs_at.get(result.estate_id)
            values["components"]["inputs_at"] = at.isoformat() if at else None
            row = existing.get(result.estate_id)
            if row is None:
                session.add(
                    EstateIndex(
                        estate_id=result.estate_id,
                        month=month,
                        method_version=method.version,
                        computed_at=now,
                        **values,
                    )
                )
                stored += 1
            elif any(getattr(row, k) != v for k, v in values.items()):
                for k, v in values.items():
                    setattr(row, k, v)
                row.computed_at = now
                changed += 1
            else:
                unchanged += 1  # the same inputs and method give the very same row: leave it as it is
            if result.level == "red":
                red.append(result.estate_id)
        session.flush()
        if is_active:
            followed += _follow_up(session, month, results, now)
        if may_open:
            opened += sum(_open_rectification(session, r, month, method, now) for r in results if r.level == "red")
    codes = dict(session.execute(select(Estate.id, Estate.code)).all())
    return {
        "month": month,
        "method_version": method.version,
        "rows": stored + changed + unchanged,
        "stored": stored,
        "changed": changed,
        "unchanged": unchanged,
        "red": ", ".join(codes[e] for e in red),
        "rectifications_opened": opened,
        "follow_ups": followed,
    }


def compute_month_now(engine, month: str, now: datetime, version: str | None = None) -> dict:  # noqa: ANN001
    with writing(engine) as session:
        return compute_and_store(session, month, now, version)


# --- rectification ---------------------------------------------------------------------------------------------


def _named(session: Session, items: list[dict]) -> list[dict]:
    defs = {d.code: (d.name_zh, d.name_en) for d in session.scalars(select(IndicatorDef))}
    out = []
    for item in items:
        zh, en = ASPECT_NAMES.get(item["code"]) or defs.get(item["code"], (item["code"], item["code"]))
        out.append({**item, "name_zh": zh, "name_en": en})
    return out


def _grid_leaders(session: Session, estate: Estate) -> list[User]:
    if estate.grid_id is None:
        return []
    return list(
        session.scalars(
            select(User)
            .where(User.role == "grid_leader", User.grid_id == estate.grid_id, User.active.is_(True))
            .order_by(User.id)
        )
    )


def _open_rectification(session: Session, result, month: str, method: Method, now: datetime) -> int:  # noqa: ANN001
    """Open the case of a red estate once per estate and month (the UNIQUE constraint holds it); notify its grid
    leaders and the community secretaries through the inbox. Returns 1 when it opened one."""
    if session.scalar(
        select(Rectification.id).where(Rectification.estate_id == result.estate_id, Rectification.month == month)
    ):
        return 0
    estate = session.get(Estate, result.estate_id)
    leaders = _grid_leaders(session, estate)
    interview, due = rectification_dates(now)
    items = _named(session, rectification_items(result, method))
    attendees = [
        {"role": "grid_leader", "name": "、".join(u.display_name for u in leaders)},
        {"role": "committee", "name": ""},
        {"role": "property_manager", "name": ""},
    ]
    case = Rectification(
        estate_id=estate.id,
        month=month,
        status="open",
        interview_on=interview,
        attendees=attendees,
        items=items,
        due_on=due,
        follow_up=[
            {
                "kind": "opened",
                "at": now.isoformat(),
                "by": "system",
                "month": month,
                "value": result.value,
                "method_version": method.version,
                "override": list(result.override),
            }
        ],
    )
    session.add(case)
    session.flush()
    secretaries = session.scalars(
        select(User).where(User.role == "secretary", User.community_id == estate.community_id, User.active.is_(True))
    )
    notifier = OutboxNotifier(session, now)
    why_zh = "，".join(i["name_zh"] for i in items[:3])
    why_en = ", ".join(i["name_en"] for i in items[:3])
    body_zh = (
        f"小区运行指数红色预警：{estate.name_zh} {month} 指数 {result.value}。约谈定于 {interview.isoformat()}"
        f"（网格长、业委会、物业项目经理），整改期限 {due.isoformat()}。重点：{why_zh}。"
    )
    body_en = (
        f"Estate index red warning: {estate.name_en}, {month}, index {result.value}. Interview on "
        f"{interview.isoformat()} (grid leader, owners' committee, property manager); rectify by "
        f"{due.isoformat()}. Focus: {why_en}."
    )
    for user in {u.id: u for u in [*leaders, *secretaries]}.values():
        notifier.send("inbox", f"user:{user.id}", "index_red", body_zh, body_en, f"rectification:{case.id}")
    return 1


def _follow_up(session: Session, month: str, results: list, now: datetime) -> int:
    """Add (or refresh) this month's result to every open case of these estates opened for an earlier month."""
    by_estate = {r.estate_id: r for r in results}
    cases = session.scalars(
        select(Rectification).where(
            Rectification.estate_id.in_(list(by_estate)),
            Rectification.status == "open",
            Rectification.month < month,
        )
    )
    count = 0
    for case in cases:
        result = by_estate[case.estate_id]
        red_value = next((f.get("value") for f in case.follow_up if f.get("kind") == "opened"), None)
        entry = {
            "kind": "result",
            "month": month,
            "value": result.value,
            "level": result.level,
            "change": round(result.value - red_value, 1) if None not in (result.value, red_value) else None,
            "trend": change_since(red_value, result.value, result.level),
        }
        kept = [f for f in case.follow_up if not (f.get("kind") == "result" and f.get("month") == month)]
        old = next((f for f in case.follow_up if f.get("kind") == "result" and f.get("month") == month), None)
        if old is not None and {k: old.get(k) for k in entry} == entry:
            continue
        entry["at"] = now.isoformat()
        case.follow_up = sorted([*kept, entry], key=_entry_order)
        count += 1
    return count


def _entry_order(entry: dict) -> tuple:
    # results sit at the start of the month after theirs; notes and changes at their own time
    if entry.get("kind") == "result":
        return (method_rules.month_start(method_rules.add_months(entry["month"], 1)).isoformat(), 0)
    return (entry.get("at") or "", 1)


def _case_in_scope(session: Session, case_id: int, community_ids: list[int]) -> Rectification:
    case = session.get(Rectification, case_id) if isinstance(case_id, int) else None
    if case is None or session.scalar(select(Estate.community_id).where(Estate.id == case.estate_id)) not in set(
        community_ids
    ):
        raise IndexRefused("not_found")
    return case


def update_rectification(
    session: Session,
    case_id: int,
    community_ids: list[int],
    user_id: int,
    role: str,
    now: datetime,
    interview_on: date | None,
    due_on: date | None,
    committee: str | None,
    property_manager: str | None,
    note: str | None,
) -> None:
    """Staff follow-up: interview and due dates, who comes for the committee and the property company, a note."""
    if role not in RECTIFY_ROLES:
        raise IndexRefused("forbidden")
    case = _case_in_scope(session, case_id, community_ids)
    if case.status != "open":
        raise IndexRefused("closed")
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise IndexRefused("note_too_long")
    names = {"committee": (committee or "").strip(), "property_manager": (property_manager or "").strip()}
    if any(len(v) > NAME_MAX for v in names.values()):
        raise IndexRefused("name_too_long")
    if interview_on and due_on and due_on < interview_on:
        raise IndexRefused("dates")
    username = session.scalar(select(User.username).where(User.id == user_id)) or "?"
    changes = []
    if interview_on and interview_on != case.interview_on:
        changes.append({"field": "interview_on", "value": interview_on.isoformat()})
        case.interview_on = interview_on
    if due_on and due_on != case.due_on:
        changes.append({"field": "due_on", "value": due_on.isoformat()})
        case.due_on = due_on
    attendees = [dict(a) for a in case.attendees]
    for a in attendees:
        if a["role"] in names and names[a["role"]] != a.get("name", ""):
            a["name"] = names[a["role"]]
            changes.append({"field": a["role"], "value": a["name"]})
    case.attendees = attendees
    if not changes and not note:
        raise IndexRefused("no_change")
    case.follow_up = sorted(
        [*case.follow_up, {"kind": "note", "at": now.isoformat(), "by": username, "note": note, "changes": changes}],
        key=_entry_order,
    )


def close_rectification(
    session: Session, case_id: int, community_ids: list[int], user_id: int, role: str, now: datetime, note: str | None
) -> None:
    if role not in CLOSE_ROLES:
        raise IndexRefused("forbidden")
    case = _case_in_scope(session, case_id, community_ids)
    if case.status != "open":
        raise IndexRefused("closed")
    note = (note or "").strip()
    if not note:
        raise IndexRefused("close_note")
    if len(note) > NOTE_MAX:
        raise IndexRefused("note_too_long")
    username = session.scalar(select(User.username).where(User.id == user_id)) or "?"
    case.status = "closed"
    case.closed_at = now
    case.follow_up = sorted(
        [*case.follow_up, {"kind": "closed", "at": now.isoformat(), "by": username, "note": note}], key=_entry_order
    )


def _case_dict(case: Rectification, estate: Estate) -> dict:
    return {
        "id": case.id,
        "estate_id": estate.id,
        "estate": estate.code,
        "estate_zh": estate.name_zh,
        "estate_en": estate.name_en,
        "month": case.month,
        "status": case.status,
        "interview_on": case.interview_on,
        "due_on": case.due_on,
        "attendees": case.attendees,
        "items": case.items,
        "follow_up": case.follow_up,
        "closed_at": case.closed_at,
    }


def rectifications(session: Session, community_ids: list[int], limit: int = 50) -> list[dict]:
    """Open cases first (oldest red month first), then the latest closed ones."""
    rows = session.execute(
        select(Rectification, Estate)
        .join(Estate, Estate.id == Rectification.estate_id)
        .where(Estate.community_id.in_(community_ids))
        .order_by((Rectification.status == "open").desc(), Rectification.month.desc(), Rectification.id.desc())
        .limit(limit)
    ).all()
    return [_case_dict(case, estate) for case, estate in rows]


def estate_cases(session: Session, estate_id: int) -> list[dict]:
    rows = session.execute(
        select(Rectification, Estate)
        .join(Estate, Estate.id == Rectification.estate_id)
        .where(Rectification.estate_id == estate_id)
        .order_by(Rectification.month.desc())
    ).all()
    return [_case_dict(case, estate) for case, estate in rows]


# --- reading results --------------------------------------------------------------------------------------------


def result_versions(session: Session, community_ids: list[int]) -> list[str]:
    rows = session.scalars(
        select(EstateIndex.method_version)
        .join(Estate, Estate.id == EstateIndex.estate_id)
        .where(Estate.community_id.in_(community_ids))
        .distinct()
    )
    return sorted(rows, key=lambda v: (len(v), v))


def computed_months(session: Session, community_ids: list[int], version: str) -> list[str]:
    """Months with results of `version`, newest first."""
    rows = session.scalars(
        select(EstateIndex.month)
        .join(Estate, Estate.id == EstateIndex.estate_id)
        .where(Estate.community_id.in_(community_ids), EstateIndex.method_version == version)
        .distinct()
    )
    return sorted(rows, reverse=True)


def _result_dict(row: EstateIndex, estate: Estate, community: Community | None = None) -> dict:
    out = {
        "estate_id": estate.id,
        "estate": estate.code,
        "estate_zh": estate.name_zh,
        "estate_en": estate.name_en,
        "community_id": estate.community_id,
        "month": row.month,
        "method_version": row.method_version,
        "value": row.value,
        "sub": {"residents": row.resident_sub, "property": row.property_sub, "committee": row.committee_sub},
        "coverage": row.coverage,
        "level": row.level,
        "rank": row.rank,
        "rank_low": row.rank_low,
        "rank_high": row.rank_high,
        "turnout": row.turnout,
        "low_turnout": row.low_turnout,
        "components": row.components,
        "computed_at": row.computed_at,
    }
    if community is not None:
        out["community"] = community.code
        out["community_zh"] = community.name_zh
        out["community_en"] = community.name_en
    return out


def month_results(session: Session, community_ids: list[int] | None, month: str, version: str) -> list[dict]:
    """Every estate's result of the month, best rank first, the not rated last."""
    query = (
        select(EstateIndex, Estate, Community)
        .join(Estate, Estate.id == EstateIndex.estate_id)
        .join(Community, Community.id == Estate.community_id)
        .where(EstateIndex.month == month, EstateIndex.method_version == version)
    )
    if community_ids is not None:
        query = query.where(Estate.community_id.in_(community_ids))
    rows = session.execute(query).all()
    out = [_result_dict(r, e, c) for r, e, c in rows]
    out.sort(key=lambda r: (r["community_id"], r["rank"] is None, r["rank"] or 0, -(r["value"] or 0), r["estate"]))
    return out


def latest_month(session: Session, community_ids: list[int] | None, version: str) -> str | None:
    query = select(func.max(EstateIndex.month)).join(Estate, Estate.id == EstateIndex.estate_id)
    query = query.where(EstateIndex.method_version == version)
    if community_ids is not None:
        query = query.where(Estate.community_id.in_(community_ids))
    return session.scalar(query)


def trend(session: Session, community_ids: list[int], version: str, first: str, last: str) -> list[dict]:
    """(estate, month, value, level) of the months first..last, for the trend chart."""
    rows = session.execute(
        select(Estate.code, Estate.name_zh, Estate.name_en, EstateIndex.month, EstateIndex.value, EstateIndex.level)
        .join(Estate, Estate.id == EstateIndex.estate_id)
        .where(
            Estate.community_id.in_(community_ids),
            EstateIndex.method_version == version,
            EstateIndex.month >= first,
            EstateIndex.month <= last,
        )
        .order_by(Estate.id, EstateIndex.month)
    )
    return [
        {"estate": c, "estate_zh": zh, "estate_en": en, "month": m, "value": v, "level": lvl}
        for c, zh, en, m, v, lvl in rows
    ]


def estate_month(session: Session, community_ids: list[int], estate_code: str, month: str, version: str) -> dict | None:
    """One estate's result of the month with the month before it, whether inputs changed since, and its cases."""
    estate = session.scalar(
        select(Estate).where(
            Estate.code == estate_code, Estate.community_id.in_(community_ids), Estate.kind == "residential"
        )
    )
    if estate is None:
        return None
    rows = {
        row.month: row
        for row in session.scalars(
            select(EstateIndex).where(
                EstateIndex.estate_id == estate.id,
                EstateIndex.method_version == version,
                EstateIndex.month.in_([month, method_rules.add_months(month, -1)]),
            )
        )
    }
    current = rows.get(month)
    before = rows.get(method_rules.add_months(month, -1))
    changed_at = inputs_changed_at(session, [estate.id], month).get(estate.id)
    used = (current.components or {}).get("inputs_at") if current else None
    return {
        "estate": {"id": estate.id, "code": estate.code, "name_zh": estate.name_zh, "name_en": estate.name_en},
        "month": month,
        "result": _result_dict(current, estate) if current else None,
        "previous": _result_dict(before, estate) if before else None,
        # a ballot or score newer than the newest the result saw: re-run the month to count it
        "stale": bool(current and changed_at and (used is None or changed_at.isoformat() > used)),
        "cases": estate_cases(session, estate.id),
    }


def indicator_names(session: Session) -> dict[str, dict]:
    return {
        d.code: {
            "group": d.group_code,
            "name_zh": d.name_zh,
            "name_en": d.name_en,
            "meaning_zh": d.meaning_zh,
            "meaning_en": d.meaning_en,
            "higher_is_better": d.higher_is_better,
        }
        for d in session.scalars(select(IndicatorDef).order_by(IndicatorDef.code))
    }


def community_name(session: Session, community_ids: list[int]) -> tuple[str, str]:
    names = session.execute(
        select(Community.name_zh, Community.name_en).where(Community.id.in_(community_ids)).order_by(Community.id)
    ).all()
    return ("、".join(n[0] for n in names), ", ".join(n[1] for n in names))
