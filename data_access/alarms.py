"""Alarms: the `iot_alarms` job's pass over every device, and what staff do with an alarm.

The rules and the lifecycle are in `domain.alarms`; this module reads the devices, their latest
readings and their alarms, applies the steps in one transaction, and opens an urgent case for a
rule that opens cases (the critical ones by default), linked both ways: `alarm.event_id` and the
case's `source_ref = "alarm:<id>"` (so a re-run never opens a second case).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.audit import record
from data_access.case_intake import NewCase, open_case
from data_access.devices import device_in_scope, device_views, devices_without_status, refresh_device_status
from data_access.models import Alarm, AlarmRule, Building, Device, Estate, Event, User
from data_access.scope import community_ids_for
from domain.alarms import (
    ALARM_TYPE_NAMES,
    CASE_CATEGORY,
    AlarmState,
    Rule,
    RuleError,
    case_grade,
    check_rule,
    evaluate,
    next_step,
)

ALARM_ROLES = frozenset({"grid_worker", "grid_leader", "secretary", "street_cadre", "department", "admin"})
NOTE_MAX = 1000


def load_rules(session: Session) -> tuple[list[Rule], list[str]]:
    """Active rules, and the codes of those that cannot be evaluated (skipped, reported by the job)."""
    rules, bad = [], []
    for r in session.scalars(select(AlarmRule).where(AlarmRule.active.is_(True)).order_by(AlarmRule.id)):
        rule = Rule(r.code, r.device_kind, r.alarm_type, r.severity, dict(r.parameters or {}), r.opens_case)
        (bad.append(r.code) if check_rule(rule) else rules.append(rule))
    return rules, bad


def _latest_alarms(session: Session) -> dict[tuple[int, str], Alarm]:
    """The newest alarm per (device, type): the active one, or the last cleared one."""
    newest = select(func.max(Alarm.id)).group_by(Alarm.device_id, Alarm.alarm_type)
    return {(a.device_id, a.alarm_type): a for a in session.scalars(select(Alarm).where(Alarm.id.in_(newest)))}


def _describe(alarm_type: str, place: dict, detail: dict) -> str:
    zh, en = ALARM_TYPE_NAMES.get(alarm_type, (alarm_type, alarm_type))
    extra_zh = extra_en = ""
    if "value" in detail:
        extra_zh = f"，读数 {detail['value']:g}（阈值 {detail['limit']:g}）"
        extra_en = f", reading {detail['value']:g} (limit {detail['limit']:g})"
    elif "quantity" in detail:
        extra_zh = f"，现有 {detail['quantity']:g}，应有 {detail['required']:g}"
        extra_en = f", {detail['quantity']:g} in stock, {detail['required']:g} required"
    elif "expires_on" in detail:
        extra_zh = f"，有效期至 {detail['expires_on']}"
        extra_en = f", expires {detail['expires_on']}"
    where_zh = "".join(x for x in (place["estate_zh"], place["building_zh"] or "") if x)
    return (
        f"物联网告警：{where_zh}{place['name_zh']}（{place['code']}）{zh}{extra_zh}。"
        f" / IoT alarm: {place['name_en']} ({place['code']}): {en}{extra_en}."
    )


def run_alarm_rules(
    session: Session, now: datetime, season: tuple[str, str] = ("04-15", "10-15"), prep_days: int = 30
) -> dict:
    """One pass of every active rule over every active device. Returns the job summary."""
    missing = devices_without_status(session)
    if missing:
        refresh_device_status(session, missing)
    rules, bad_rules = load_rules(session)
    latest = _latest_alarms(session)
    counts = {"raised": 0, "repeated": 0, "cleared": 0, "cases": 0, "devices": 0}
    for view, place in device_views(session):
        counts["devices"] += 1
        for rule in rules:
            if not rule.applies_to(view.kind):
                continue
            try:
                condition = evaluate(rule, view, now, season, prep_days)
            except RuleError:
                continue
            current = latest.get((view.id, rule.alarm_type))
            state = None
            if current is not None:
                state = AlarmState(current.id, current.status, current.raised_at, (current.detail or {}).get("evidence"),
                                   manually_cleared=current.cleared_by is not None)  # fmt: skip
            step = next_step(state, condition, now)
            detail = {**condition.detail, "evidence": condition.evidence, "rule": rule.code}
            if step.action == "raise":
                alarm = Alarm(device_id=view.id, alarm_type=rule.alarm_type, severity=rule.severity, status="active",
                              acknowledged=False, raised_at=step.at, last_seen_at=now, repeat_count=1, detail=detail)  # fmt: skip
                session.add(alarm)
                session.flush()
                latest[(view.id, rule.alarm_type)] = alarm
                counts["raised"] += 1
                if rule.opens_case:
                    alarm.event_id = _open_alarm_case(session, alarm, rule, place, detail, now)
                    counts["cases"] += 1
            elif step.action in ("repeat", "refresh"):
                current.last_seen_at = now
                current.severity = rule.severity
                current.detail = detail
                if step.action == "repeat":
                    current.repeat_count += 1
                    counts["repeated"] += 1
            elif step.action == "clear":
                current.status, current.cleared_at = "cleared", step.at
                current.detail = {**(current.detail or {}), "cleared_on": condition.evidence}
                counts["cleared"] += 1
    session.flush()
    active = session.scalar(select(func.count(Alarm.id)).where(Alarm.status == "active"))
    return {"rows": counts["raised"] + counts["cleared"], **counts, "active": active,
            "bad_rules": ", ".join(bad_rules)}  # fmt: skip


def _open_alarm_case(session: Session, alarm: Alarm, rule: Rule, place: dict, detail: dict, now: datetime) -> int:
    case_id, _created = open_case(
        session,
        NewCase(
            community_id=place["community_id"],
            source="iot",
            source_ref=f"alarm:{alarm.id}",
            category=CASE_CATEGORY.get(place["kind"], "other"),
            grade=case_grade(rule.severity),
            description=_describe(rule.alarm_type, place, detail),
            actor_label="iot",
            estate_id=place["estate_id"],
            building_id=place["building_id"],
            grid_id=place["grid_id"],
            lat=place["lat"],
            lon=place["lon"],
            cues=(rule.alarm_type, rule.code),
            confidence=1.0,
        ),
        now,
    )
    return case_id


# --- what staff see and do ---------------------------------------------------------------------------


class AlarmActionError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def alarms_needing_attention(session: Session, community_ids: list[int], now: datetime, days: int = 7) -> list[dict]:
    """Active alarms, and alarms cleared in the last `days` that nobody acknowledged yet; most severe
    and newest first."""
    acker = select(User.id, User.display_name).subquery()
    clearer = select(User.id, User.display_name).subquery()
    rows = session.execute(
        select(Alarm, Device.code, Device.kind, Device.name_zh, Device.name_en, Estate.name_zh, Estate.name_en,
               Building.name_zh, Building.name_en, Event.tracking_code, acker.c.display_name, clearer.c.display_name)
        .join(Device, Device.id == Alarm.device_id)
        .join(Estate, Estate.id == Device.estate_id)
        .outerjoin(Building, Building.id == Device.building_id)
        .outerjoin(Event, Event.id == Alarm.event_id)
        .outerjoin(acker, acker.c.id == Alarm.acknowledged_by)
        .outerjoin(clearer, clearer.c.id == Alarm.cleared_by)
        .where(Estate.community_id.in_(community_ids))
        .where((Alarm.status == "active")
               | ((Alarm.acknowledged.is_(False)) & (Alarm.cleared_at >= now - timedelta(days=days))))
    ).all()  # fmt: skip
    order = {"critical": 0, "major": 1, "minor": 2, "warning": 3}
    out = []
    for a, code, kind, zh, en, ezh, een, bzh, ben, tracking, acked_by, cleared_by in rows:
        out.append({
            "id": a.id, "device_id": a.device_id, "device_code": code, "kind": kind, "device_zh": zh,
            "device_en": en, "estate_zh": ezh, "estate_en": een, "building_zh": bzh, "building_en": ben,
            "alarm_type": a.alarm_type, "severity": a.severity, "status": a.status, "acknowledged": a.acknowledged,
            "raised_at": a.raised_at, "last_seen_at": a.last_seen_at, "cleared_at": a.cleared_at,
            "repeat_count": a.repeat_count, "acknowledged_at": a.acknowledged_at, "acknowledged_by": acked_by,
            "note": a.note, "cleared_by": cleared_by, "clear_note": a.clear_note, "detail": a.detail or {},
            "event_id": a.event_id, "tracking_code": tracking,
        })  # fmt: skip
    return sorted(
        out, key=lambda r: (r["status"] != "active", order.get(r["severity"], 9), -r["raised_at"].timestamp())
    )


def alarm_counts(session: Session, community_ids: list[int]) -> dict[str, int]:
    """Active alarms per severity (counts only)."""
    rows = session.execute(
        select(Alarm.severity, func.count(Alarm.id))
        .join(Device, Device.id == Alarm.device_id)
        .join(Estate, Estate.id == Device.estate_id)
        .where(Alarm.status == "active", Estate.community_id.in_(community_ids))
        .group_by(Alarm.severity)
    )
    return dict(rows.all())


def _alarm_for(session: Session, user_id: int, alarm_id: int) -> Alarm:
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in ALARM_ROLES:
        raise AlarmActionError("forbidden")
    alarm = session.get(Alarm, alarm_id)
    if alarm is None:
        raise AlarmActionError("not_found")
    device = session.get(Device, alarm.device_id)
    if device_in_scope(session, device.id, community_ids_for(session, user_id)) is None:
        raise AlarmActionError("not_found")
    return alarm


def _note(note: str | None, required: bool) -> str | None:
    text = (note or "").strip()
    if len(text) > NOTE_MAX:
        raise AlarmActionError("note_too_long")
    if required and not text:
        raise AlarmActionError("note_required")
    return text or None


def acknowledge(session: Session, user_id: int, alarm_id: int, note: str | None, now: datetime) -> None:
    """Someone has seen it and is on it: who, when and an optional note. Active or cleared."""
    alarm = _alarm_for(session, user_id, alarm_id)
    text = _note(note, required=False)
    if alarm.acknowledged:
        raise AlarmActionError("already_acknowledged")
    alarm.acknowledged, alarm.acknowledged_by, alarm.acknowledged_at = True, user_id, now
    alarm.note = text
    record(session, user_id, "update", "alarm", str(alarm.id), "acknowledge", now)


def clear(session: Session, user_id: int, alarm_id: int, note: str | None, now: datetime) -> None:
    """Declare the condition dealt with, with a note (required). Clearing also acknowledges. If the
    device keeps reporting the condition, the next job run raises a new alarm only on new evidence."""
    alarm = _alarm_for(session, user_id, alarm_id)
    text = _note(note, required=True)
    if alarm.status != "active":
        raise AlarmActionError("not_active")
    alarm.status, alarm.cleared_at, alarm.cleared_by, alarm.clear_note = "cleared", now, user_id, text
    if not alarm.acknowledged:
        alarm.acknowledged, alarm.acknowledged_by, alarm.acknowledged_at = True, user_id, now
    record(session, user_id, "update", "alarm", str(alarm.id), "clear", now)


@dataclass(frozen=True)
class RuleRow:
    code: str
    device_kind: str
    alarm_type: str
    severity: str
    parameters: dict
    opens_case: bool
    active: bool
    problem: str | None


def rule_rows(session: Session) -> list[RuleRow]:
    out = []
    for r in session.scalars(select(AlarmRule).order_by(AlarmRule.id)):
        rule = Rule(r.code, r.device_kind, r.alarm_type, r.severity, dict(r.parameters or {}), r.opens_case)
        out.append(RuleRow(r.code, r.device_kind, r.alarm_type, r.severity, dict(r.parameters or {}), r.opens_case,
                           r.active, check_rule(rule)))  # fmt: skip
    return out


def save_rule(
    session: Session,
    user_id: int,
    code: str,
    severity: str,
    parameters: dict,
    opens_case: bool,
    active: bool,
    now: datetime,
) -> None:
    """An administrator's change to an alarm rule; refused (AlarmActionError) when the rule would not say
    what to check. The next job run uses it. Audited."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.role != "admin":
        raise AlarmActionError("forbidden")
    row = session.scalar(select(AlarmRule).where(AlarmRule.code == code))
    if row is None:
        raise AlarmActionError("not_found")
    if not isinstance(parameters, dict):
        raise AlarmActionError("bad_rule")
    if check_rule(Rule(code, row.device_kind, row.alarm_type, severity, parameters, opens_case)) is not None:
        raise AlarmActionError("bad_rule")
    row.severity, row.parameters, row.opens_case, row.active = severity, parameters, bool(opens_case), bool(active)
    record(session, user_id, "update", "alarm_rule", code, f"severity {severity}, opens case {bool(opens_case)}, "
           f"active {bool(active)}", now)  # fmt: skip
