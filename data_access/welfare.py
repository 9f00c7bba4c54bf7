"""Welfare watch: opt-in watches with consent, away periods, the `welfare` job's visit tasks, and what
the welfare page reads — every view of a watch or a task written to the audit log.

The visit task is a `welfare_alert` row on the welfare page plus an inbox notice, not a governance
case: cases are seen by every staff role (viewers included), climb to the street and departments,
feed metrics and the public Open311 list. A task says "someone who lives alone at this door has not
been seen for N hours" and is seen only by the grid's own worker and leader and the secretary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data_access.audit import record
from data_access.models import (
    AccessEvent,
    Building,
    Estate,
    Household,
    Resident,
    User,
    WelfareAlert,
    WelfareAway,
    WelfareWatch,
)
from data_access.notify import INBOX, OutboxNotifier
from data_access.people import PeopleError, reveal_resident
from data_access.scope import community_ids_for
from domain.masking import mask_name
from domain.welfare import Watch, check_away, check_threshold, place_names, welfare_notice, welfare_verdict

WELFARE_ROLES = frozenset({"grid_worker", "grid_leader", "secretary"})
ENROL_ROLES = frozenset({"grid_leader", "secretary"})
NOTE_MAX = 1000
_PID_OK = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-")


class WelfareError(ValueError):
    def __init__(self, code: str, field_name: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field_name


def _watch_places(session: Session):  # noqa: ANN202
    return (
        select(WelfareWatch, Resident, Household, Building, Estate)
        .join(Resident, Resident.id == WelfareWatch.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Estate, Estate.id == Building.estate_id)
    )


def _grid(building: Building, estate: Estate) -> int | None:
    return building.grid_id or estate.grid_id


@dataclass(frozen=True)
class Caller:
    id: int
    role: str
    grid_id: int | None
    community_ids: tuple[int, ...]

    def covers(self, community_id: int, grid_id: int | None) -> bool:
        if self.role not in WELFARE_ROLES or community_id not in self.community_ids:
            return False
        return self.role == "secretary" or (grid_id is not None and grid_id == self.grid_id)


def caller(session: Session, user_id: int) -> Caller:
    user = session.get(User, user_id)
    if user is None or not user.active or user.role not in WELFARE_ROLES:
        raise WelfareError("forbidden")
    return Caller(user.id, user.role, user.grid_id, tuple(community_ids_for(session, user_id)))


def _domain_watch(w: WelfareWatch) -> Watch:
    return Watch(w.threshold_hours, w.consent_at, w.consent_given_by, w.consent_basis, w.active, w.ended_at)


def _aways(session: Session, watch_ids: list[int]) -> dict[int, list[tuple[datetime, datetime]]]:
    out: dict[int, list[tuple[datetime, datetime]]] = {}
    if watch_ids:
        for a in session.scalars(select(WelfareAway).where(WelfareAway.watch_id.in_(watch_ids))):
            out.setdefault(a.watch_id, []).append((a.starts_at, a.ends_at))
    return out


def _last_activity(session: Session, pids_by_community: dict[int, list[str]], now: datetime) -> dict[str, datetime]:
    """The last door event at or before `now` per pseudonym (the (person, time) index answers it)."""
    out = {}
    for community_id, pids in pids_by_community.items():
        rows = session.execute(
            select(AccessEvent.person_pid, func.max(AccessEvent.at))
            .where(AccessEvent.person_pid.in_(pids), AccessEvent.community_id == community_id, AccessEvent.at <= now)
            .group_by(AccessEvent.person_pid)
        )
        out.update(dict(rows.all()))
    return out


# --- the job -----------------------------------------------------------------------------------------


def _visit_holder(session: Session, grid_id: int | None, community_id: int, role: str) -> int | None:
    query = select(User.id).where(User.active.is_(True), User.role == role).order_by(User.id).limit(1)
    if role in ("grid_worker", "grid_leader"):
        return session.scalar(query.where(User.grid_id == grid_id)) if grid_id is not None else None
    return session.scalar(query.where(User.community_id == community_id))


def run_welfare(session: Session, now: datetime, escalate_after_hours: int = 4) -> dict:
    """Raise a visit task for each consented watch whose person has been quiet past the threshold;
    close open tasks whose reason has gone (activity resumed, away, watch ended); tell the grid leader
    about a task nobody recorded within `escalate_after_hours`."""
    found = session.execute(_watch_places(session)).all()
    watch_ids = [w.id for w, *_rest in found]
    aways = _aways(session, watch_ids)
    pids: dict[int, list[str]] = {}
    for w, _r, _h, _b, e in found:
        pids.setdefault(e.community_id, []).append(w.person_pid)
    last = _last_activity(session, pids, now)
    open_alerts = {
        a.watch_id: a
        for a in session.scalars(
            select(WelfareAlert).where(WelfareAlert.status == "open", WelfareAlert.watch_id.in_(watch_ids or [0]))
        )
    }
    # a recorded visit is a sighting too: silence after it counts from the visit, not from the last door event
    visited = dict(
        session.execute(
            select(WelfareAlert.watch_id, func.max(WelfareAlert.resolved_at))
            .where(WelfareAlert.status == "visited", WelfareAlert.watch_id.in_(watch_ids or [0]),
                   WelfareAlert.resolved_at <= now)
            .group_by(WelfareAlert.watch_id)
        ).all()
    )  # fmt: skip
    notifier = OutboxNotifier(session, now)
    counts = {"watched": 0, "raised": 0, "closed": 0, "escalated": 0, "no_consent": 0}
    for watch, _resident, household, building, estate in found:
        seen = [x for x in (last.get(watch.person_pid), visited.get(watch.id)) if x is not None]
        verdict = welfare_verdict(_domain_watch(watch), max(seen, default=None), aways.get(watch.id, []), now)
        if verdict.state == "no_consent":
            counts["no_consent"] += 1
        if verdict.state not in ("ended", "no_consent"):
            counts["watched"] += 1
        alert = open_alerts.get(watch.id)
        place_zh, place_en = place_names((estate.name_zh, estate.name_en), (building.name_zh, building.name_en),
                                         household.unit, household.room)  # fmt: skip
        grid_id = _grid(building, estate)
        if verdict.state == "due" and alert is None:
            worker = (_visit_holder(session, grid_id, estate.community_id, "grid_worker")
                      or _visit_holder(session, grid_id, estate.community_id, "grid_leader")
                      or _visit_holder(session, grid_id, estate.community_id, "secretary"))  # fmt: skip
            alert = WelfareAlert(watch_id=watch.id, raised_at=now, last_seen_at=now, status="open",
                                 assigned_to=worker, last_activity_at=verdict.quiet_since)  # fmt: skip
            session.add(alert)
            session.flush()
            counts["raised"] += 1
            if worker is not None:
                zh, en = welfare_notice("welfare.visit", place_zh=place_zh, place_en=place_en,
                                        hours=int(verdict.quiet_hours))  # fmt: skip
                notifier.send(INBOX, f"user:{worker}", "welfare.visit", zh, en, f"welfare:{alert.id}")
        elif verdict.state == "due":
            alert.last_seen_at = now
            if alert.escalated_at is None and now - alert.raised_at >= timedelta(hours=escalate_after_hours):
                leader = _visit_holder(session, grid_id, estate.community_id, "grid_leader") or _visit_holder(
                    session, grid_id, estate.community_id, "secretary"
                )
                alert.escalated_at = now
                counts["escalated"] += 1
                if leader is not None:
                    hours = int((now - alert.raised_at).total_seconds() // 3600)
                    zh, en = welfare_notice("welfare.escalated", place_zh=place_zh, place_en=place_en, hours=hours)
                    notifier.send(INBOX, f"user:{leader}", "welfare.escalated", zh, en, f"welfare:{alert.id}")
        elif alert is not None:
            # the reason for the visit has gone: seen at the door again, away, or the watch ended
            alert.status, alert.resolved_at = "closed", now
            alert.note = {"ok": "auto: door activity resumed", "away": "auto: away period"}.get(
                verdict.state, "auto: watch ended"
            )
            counts["closed"] += 1
    session.flush()
    return {"rows": counts["raised"] + counts["closed"], **counts}


# --- the page -------------------------------------------------------------------------------------------


def _in_scope(rows, who: Caller):  # noqa: ANN001, ANN202
    return [r for r in rows if who.covers(r[4].community_id, _grid(r[3], r[4]))]


def visit_tasks(session: Session, user_id: int, now: datetime, days: int = 14) -> list[dict]:
    """Open tasks and those closed in the last `days`, for the grid's staff: the door to knock on, a
    masked name, how long it has been quiet — nothing of the door history. Each view is audited."""
    who = caller(session, user_id)
    assignee = select(User.id, User.display_name).subquery()
    rows = session.execute(
        select(WelfareAlert, assignee.c.display_name)
        .outerjoin(assignee, assignee.c.id == WelfareAlert.assigned_to)
        .where((WelfareAlert.status == "open") | (WelfareAlert.raised_at >= now - timedelta(days=days)))
        .order_by(WelfareAlert.status != "open", WelfareAlert.raised_at.desc())
    ).all()
    if not rows:
        return []
    places = {
        r[0].id: r
        for r in session.execute(_watch_places(session).where(WelfareWatch.id.in_({a.watch_id for a, _n in rows})))
    }
    out = []
    for alert, assignee_name in rows:
        place = places.get(alert.watch_id)
        if place is None or not who.covers(place[4].community_id, _grid(place[3], place[4])):
            continue
        watch, resident, household, building, estate = place
        zh, en = place_names((estate.name_zh, estate.name_en), (building.name_zh, building.name_en), household.unit,
                             household.room)  # fmt: skip
        quiet = alert.last_activity_at
        out.append({
            "id": alert.id, "status": alert.status, "raised_at": alert.raised_at, "place_zh": zh, "place_en": en,
            "name": mask_name(resident.name), "resident_id": resident.id, "threshold_hours": watch.threshold_hours,
            "quiet_since": quiet,
            "quiet_hours": int((alert.raised_at - quiet).total_seconds() // 3600) if quiet else None,
            "assigned_to": assignee_name, "mine": alert.assigned_to == who.id, "resolved_at": alert.resolved_at,
            "note": alert.note, "escalated_at": alert.escalated_at,
        })  # fmt: skip
        record(session, user_id, "read", "welfare_alert", str(alert.id), "visit task", now)
    return out


def watch_list(session: Session, user_id: int, now: datetime) -> list[dict]:
    """Watches in the caller's scope with their consent record and away periods; each view audited."""
    who = caller(session, user_id)
    rows = _in_scope(session.execute(_watch_places(session).order_by(WelfareWatch.id)).all(), who)
    recorders = {r[0].consent_recorded_by for r in rows}
    names = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(recorders or {0}))).all())
    aways: dict[int, list[dict]] = {}
    if rows:
        for a in session.scalars(
            select(WelfareAway)
            .where(WelfareAway.watch_id.in_([r[0].id for r in rows]), WelfareAway.ends_at >= now)
            .order_by(WelfareAway.starts_at)
        ):
            aways.setdefault(a.watch_id, []).append({"id": a.id, "starts_at": a.starts_at, "ends_at": a.ends_at})
    out = []
    for watch, resident, household, building, estate in rows:
        zh, en = place_names((estate.name_zh, estate.name_en), (building.name_zh, building.name_en), household.unit,
                             household.room)  # fmt: skip
        out.append({
            "id": watch.id, "resident_id": resident.id, "name": mask_name(resident.name), "place_zh": zh,
            "place_en": en, "threshold_hours": watch.threshold_hours, "consent_at": watch.consent_at,
            "consent_given_by": watch.consent_given_by, "consent_recorded_by": names.get(watch.consent_recorded_by),
            "consent_basis": watch.consent_basis, "active": watch.active, "ended_at": watch.ended_at,
            "aways": aways.get(watch.id, []),
        })  # fmt: skip
        record(session, user_id, "read", "welfare_watch", str(watch.id), "watch list", now)
    return out


def welfare_counts(session: Session, community_ids: list[int]) -> dict[str, int]:
    """Active watches and open visit tasks — counts only."""
    base = (
        select(func.count(func.distinct(WelfareWatch.id)))
        .join(Resident, Resident.id == WelfareWatch.resident_id)
        .join(Household, Household.id == Resident.household_id)
        .join(Building, Building.id == Household.building_id)
        .join(Estate, Estate.id == Building.estate_id)
        .where(Estate.community_id.in_(community_ids))
    )
    watches = session.scalar(base.where(WelfareWatch.active.is_(True)))
    tasks = session.scalar(
        base.join(WelfareAlert, WelfareAlert.watch_id == WelfareWatch.id).where(WelfareAlert.status == "open")
    )
    return {"watches": watches, "open_tasks": tasks}


def _watch_in_scope(session: Session, who: Caller, watch_id: int):  # noqa: ANN202
    row = session.execute(_watch_places(session).where(WelfareWatch.id == watch_id)).first()
    if row is None or not who.covers(row[4].community_id, _grid(row[3], row[4])):
        raise WelfareError("not_found")
    return row


def enrol(
    session: Session,
    user_id: int,
    resident_external_id: str,
    person_pid: str,
    consent_given_by: str,
    consent_at: datetime | None,
    consent_basis: str,
    threshold_hours,  # noqa: ANN001
    now: datetime,
) -> int:
    """Start watching a resident who (or whose guardian) has consented. Raises WelfareError."""
    who = caller(session, user_id)
    if who.role not in ENROL_ROLES:
        raise WelfareError("forbidden")
    resident = session.scalar(select(Resident).where(Resident.external_id == str(resident_external_id or "").strip()))
    if resident is None:
        raise WelfareError("unknown_resident", "resident")
    household = session.get(Household, resident.household_id)
    building = session.get(Building, household.building_id)
    estate = session.get(Estate, building.estate_id)
    if not who.covers(estate.community_id, _grid(building, estate)):
        raise WelfareError("unknown_resident", "resident")
    pid = (person_pid or "").strip()
    if not 4 <= len(pid) <= 64 or set(pid) - _PID_OK:
        raise WelfareError("bad_pid", "person_pid")
    given_by, basis = (consent_given_by or "").strip(), (consent_basis or "").strip()
    if not given_by or len(given_by) > 80:
        raise WelfareError("consent_required", "consent_given_by")
    if not basis or len(basis) > 200:
        raise WelfareError("consent_required", "consent_basis")
    if consent_at is None or consent_at > now:
        raise WelfareError("bad_consent_time", "consent_at")
    threshold = check_threshold(threshold_hours)
    if threshold is None:
        raise WelfareError("bad_threshold", "threshold_hours")
    if session.scalar(select(WelfareWatch.id).where(WelfareWatch.person_pid == pid)) is not None:
        raise WelfareError("pid_taken", "person_pid")
    if session.scalar(
        select(WelfareWatch.id).where(WelfareWatch.resident_id == resident.id, WelfareWatch.active.is_(True))
    ):
        raise WelfareError("already_watched", "resident")
    watch = WelfareWatch(resident_id=resident.id, person_pid=pid, threshold_hours=threshold, consent_at=consent_at,
                         consent_given_by=given_by, consent_recorded_by=user_id, consent_basis=basis, active=True)  # fmt: skip
    session.add(watch)
    session.flush()
    record(session, user_id, "create", "welfare_watch", str(watch.id), f"consent recorded ({basis})", now)
    return watch.id


def set_threshold(session: Session, user_id: int, watch_id: int, hours, now: datetime) -> None:  # noqa: ANN001
    who = caller(session, user_id)
    if who.role not in ENROL_ROLES:
        raise WelfareError("forbidden")
    watch = _watch_in_scope(session, who, watch_id)[0]
    threshold = check_threshold(hours)
    if threshold is None:
        raise WelfareError("bad_threshold", "threshold_hours")
    old, watch.threshold_hours = watch.threshold_hours, threshold
    record(session, user_id, "update", "welfare_watch", str(watch.id), f"threshold {old} -> {threshold} h", now)


def end_watch(session: Session, user_id: int, watch_id: int, reason: str, now: datetime) -> None:
    """Consent withdrawn (or no longer needed): the watch stops at once; the job closes an open task."""
    who = caller(session, user_id)
    if who.role not in ENROL_ROLES:
        raise WelfareError("forbidden")
    watch = _watch_in_scope(session, who, watch_id)[0]
    text = (reason or "").strip()
    if not text or len(text) > NOTE_MAX:
        raise WelfareError("note_required", "note")
    if not watch.active:
        raise WelfareError("already_ended")
    watch.active, watch.ended_at = False, now
    record(session, user_id, "update", "welfare_watch", str(watch.id), f"ended: {text}", now)


def add_away(session: Session, user_id: int, watch_id: int, starts_at, ends_at, now: datetime) -> int:  # noqa: ANN001
    """An away period (in hospital, with family): no task is raised while it lasts."""
    who = caller(session, user_id)
    watch = _watch_in_scope(session, who, watch_id)[0]
    problem = check_away(starts_at, ends_at, now)
    if problem:
        raise WelfareError(f"away_{problem}", "away")
    away = WelfareAway(watch_id=watch.id, starts_at=starts_at, ends_at=ends_at)
    session.add(away)
    session.flush()
    record(session, user_id, "create", "welfare_away", str(away.id), f"watch {watch.id}", now)
    return away.id


def record_visit(session: Session, user_id: int, alert_id: int, note: str, now: datetime) -> None:
    """The grid worker has visited: a note (required) closes the task."""
    who = caller(session, user_id)
    alert = session.get(WelfareAlert, alert_id)
    if alert is None:
        raise WelfareError("not_found")
    _watch_in_scope(session, who, alert.watch_id)
    text = str(note or "").strip()
    if not text:
        raise WelfareError("note_required", "note")
    if len(text) > NOTE_MAX:
        raise WelfareError("note_too_long", "note")
    if alert.status != "open":
        raise WelfareError("not_open")
    alert.status, alert.resolved_at, alert.resolved_by, alert.note = "visited", now, user_id, text
    record(session, user_id, "update", "welfare_alert", str(alert.id), "visit recorded", now)


def reveal_for_visit(session: Session, user_id: int, alert_id: int, now: datetime) -> dict:
    """The name and phone of the person a visit task is about, for the staff who may knock on the
    door (audited as a reveal for a welfare visit)."""
    who = caller(session, user_id)
    alert = session.get(WelfareAlert, alert_id)
    if alert is None:
        raise WelfareError("not_found")
    watch = _watch_in_scope(session, who, alert.watch_id)[0]
    try:
        return reveal_resident(session, user_id, watch.resident_id, now, purpose=f"welfare visit {alert.id}")
    except PeopleError as exc:
        raise WelfareError(exc.code) from exc
