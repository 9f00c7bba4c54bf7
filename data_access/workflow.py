"""The closed loop on the store: every step of a case goes through `act`, which checks the rules of
`domain.workflow` against the case as stored, then writes the case, its trail entry, any photos and
the notices in the caller's one transaction — so a case and its trail never disagree.

Time limits come from the `time_limit` table (per grade and level, on the clock or in working time)
so an administrator can change them without a release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data_access.audit import record_read
from data_access.models import (
    Category,
    Community,
    Event,
    EventAction,
    EventPhoto,
    GradeOverride,
    TimeLimit,
    User,
)
from data_access.notify import INBOX, OutboxNotifier
from data_access.photos import StoredPhoto
from data_access.scope import community_ids_for
from domain.catalog import GRADE_EN, GRADE_ZH, GRADES
from domain.masking import mask_contact
from domain.notify import Notifier
from domain.workcalendar import due_at
from domain.workflow import (
    HANDLER_ROLES,
    REPORTER,
    Actor,
    CaseState,
    WorkflowError,
    allowed_actions,
    check,
    holder_notice,
    holder_role,
    more_severe,
    next_level,
    next_status,
    reporter_notice,
)

SYSTEM = Actor(user_id=None, role="system", grid_id=None, community_ids=())
ACTIVE = ("reported", "in_progress")


# --- time limits and holders ----------------------------------------------------------------------


def time_limits(session: Session) -> dict[tuple[str, int], tuple[int, bool]]:
    return {(r.grade, r.level): (r.minutes, r.working_time) for r in session.scalars(select(TimeLimit))}


def due_for(session: Session, grade: str, level: int, start: datetime) -> datetime:
    minutes, working_time = time_limits(session).get((grade, level), (None, None))
    return due_at(start, grade, minutes, working_time)


def holder_for(session: Session, level: int, grid_id: int | None, community_id: int, category_kind: str) -> int | None:
    """The staff member a case goes to at `level`: the grid's worker or leader, the community's
    secretary, the department or street cadre covering the community. None when nobody holds the post
    (the case still shows in the grid, and the people covering that level may take it)."""
    role = holder_role(level, category_kind)
    base = select(User.id).where(User.active.is_(True)).order_by(User.id).limit(1)
    if level in (1, 2):
        if grid_id is None:
            return None
        return session.scalar(base.where(User.role == role, User.grid_id == grid_id))
    street_id = session.scalar(select(Community.street_id).where(Community.id == community_id))
    covers = or_(
        User.community_id == community_id,
        (User.scope_kind == "street") & (User.street_id == street_id),
        User.scope_kind == "district",
    )
    found = session.scalar(base.where(User.role == role, covers))
    if found is None and level == 4 and role != "street_cadre":
        found = session.scalar(base.where(User.role == "street_cadre", covers))
    return found


# --- reading a case as the rules see it ---------------------------------------------------------


def actor_for(session: Session, user_id: int) -> Actor | None:
    user = session.get(User, user_id)
    if user is None or not user.active:
        return None
    return Actor(user.id, user.role, user.grid_id, tuple(community_ids_for(session, user.id)))


def reporter_actor() -> Actor:
    return Actor(user_id=None, role=REPORTER, grid_id=None, community_ids=())


def _last_resolver(session: Session, case_id: int) -> int | None:
    return session.scalar(
        select(EventAction.actor_id)
        .where(EventAction.event_id == case_id, EventAction.action == "resolve")
        .order_by(EventAction.at.desc(), EventAction.id.desc())
        .limit(1)
    )


def _state(session: Session, event: Event) -> CaseState:
    return CaseState(
        id=event.id,
        status=event.status,
        level=event.level,
        grade=event.grade,
        community_id=event.community_id,
        grid_id=event.grid_id,
        holder_id=event.holder_id,
        resolver_id=_last_resolver(session, event.id) if event.status == "resolved" else None,
    )


def case_state(session: Session, case_id: int) -> CaseState | None:
    event = session.get(Event, case_id)
    return None if event is None else _state(session, event)


def level_since(session: Session, case_id: int) -> datetime | None:
    """When the case arrived at its current level (its report, or the last push-up or escalation)."""
    return session.scalar(
        select(EventAction.at)
        .where(
            EventAction.event_id == case_id,
            or_(EventAction.action == "report", EventAction.from_level != EventAction.to_level),
        )
        .order_by(EventAction.at.desc(), EventAction.id.desc())
        .limit(1)
    )


# --- acting on a case ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionResult:
    case_id: int
    action: str
    status: str
    level: int
    holder_id: int | None
    action_id: int


def _category(session: Session, category_id: int) -> Category:
    return session.get(Category, category_id)


def _notice_params(event: Event, category: Category, note: str | None) -> dict:
    return {
        "code": event.tracking_code,
        "category_zh": category.name_zh,
        "category_en": category.name_en,
        "grade_zh": GRADE_ZH[event.grade],
        "grade_en": GRADE_EN[event.grade],
        "due": event.due_at.strftime("%m-%d %H:%M") if event.due_at else "—",
        "note": note or "",
    }


def notify_user(notifier: Notifier, user_id: int | None, kind: str, event: Event, category: Category, note=None):  # noqa: ANN001
    if user_id is None:
        return
    zh, en = holder_notice(kind, **_notice_params(event, category, note))
    notifier.send(INBOX, f"user:{user_id}", f"case.{kind}", zh, en, f"case:{event.id}")


def _supervisor_for(session: Session, event: Event) -> int | None:
    """Who is told that resolved work waits for a check: the grid leader for grid-level work, else the secretary."""
    if event.level <= 2 and event.grid_id is not None:
        found = session.scalar(
            select(User.id)
            .where(User.active.is_(True), User.role == "grid_leader", User.grid_id == event.grid_id)
            .order_by(User.id)
            .limit(1)
        )
        if found is not None:
            return found
    return holder_for(session, 3, event.grid_id, event.community_id, "")


def _check_l4_target(session: Session, event: Event, actor: Actor, to_user_id: int) -> int:
    target = session.get(User, to_user_id)
    if target is None or not target.active or target.role not in HANDLER_ROLES[4]:
        raise WorkflowError("bad_target")
    if event.community_id not in community_ids_for(session, target.id):
        raise WorkflowError("bad_target")
    return target.id


def act(
    session: Session,
    case_id: int,
    actor: Actor,
    action: str,
    now: datetime,
    note: str | None = None,
    *,
    photos: tuple[StoredPhoto, ...] = (),
    duplicate_of_code: str | None = None,
    new_category: str | None = None,
    new_grade: str | None = None,
    to_user_id: int | None = None,
    notifier: Notifier | None = None,
    public_link: str | None = None,
) -> ActionResult:
    """Take one step on a case; WorkflowError(code) and nothing written when it may not be taken."""
    event = session.scalars(select(Event).where(Event.id == case_id).with_for_update()).one_or_none()
    if event is None:
        raise WorkflowError("not_found")
    state = _state(session, event)
    if actor.role not in (REPORTER, "system") and event.community_id not in actor.community_ids:
        raise WorkflowError("not_found")  # out of scope looks the same as missing
    cleaned = check(state, actor, action, note)
    notifier = notifier or OutboxNotifier(session, now)
    category = _category(session, event.category_id)
    from_status, from_level = event.status, event.level
    event.status = next_status(state, action)
    event.level = next_level(state, action)
    event.updated_at = now
    notice: str | None = None

    if action in ("push_up", "escalate"):
        holder = None
        if action == "push_up" and to_user_id is not None:
            if event.level != 4:
                raise WorkflowError("bad_target")
            holder = _check_l4_target(session, event, actor, to_user_id)
        event.holder_id = holder or holder_for(session, event.level, event.grid_id, event.community_id, category.kind)
        event.due_at = due_for(session, event.grade, event.level, now)
        if action == "escalate":
            event.escalation_count = (event.escalation_count or 0) + 1
            cleaned = cleaned or f"超过L{from_level}处置时限，系统自动升级至L{event.level}"
        notice = action
    elif action == "resolve":
        event.resolved_at = now
        if actor.user_id is not None:
            event.holder_id = event.holder_id or actor.user_id
    elif action == "verify":
        event.closed_at = now
    elif action == "reopen":
        event.reopen_count = (event.reopen_count or 0) + 1
        event.resolved_at = None
        event.holder_id = state.resolver_id or _last_resolver(session, event.id) or event.holder_id
        event.due_at = due_for(session, event.grade, event.level, now)
        notice = "reopen"
    elif action == "link_duplicate":
        original = _open_original(session, event, duplicate_of_code)
        event.duplicate_of_id = original.id
        cleaned = cleaned or f"与事件 {original.tracking_code} 重复"
    elif action == "regrade":
        cleaned = _regrade(session, event, category, actor, new_category, new_grade, cleaned, now)
        category = _category(session, event.category_id)

    record = EventAction(
        event_id=event.id,
        at=now,
        actor_id=actor.user_id,
        actor_label=actor.role,
        action=action,
        from_status=from_status,
        to_status=event.status,
        from_level=from_level,
        to_level=event.level,
        note=cleaned,
    )
    session.add(record)
    session.flush()
    for photo in photos:
        session.add(
            EventPhoto(
                event_id=event.id, action_id=record.id, sha256=photo.sha256, mime=photo.mime, bytes=photo.bytes,
                stage="resolve" if action == "resolve" else "report", created_at=now,
            )
        )  # fmt: skip
    session.flush()
    if notice:
        notify_user(notifier, event.holder_id, notice, event, category, cleaned)
    if action == "resolve":
        notify_user(notifier, _supervisor_for(session, event), "resolve", event, category)
        if event.reporter_contact:
            zh, en = reporter_notice("resolve", code=event.tracking_code, link=public_link or event.tracking_code)
            notifier.send("sms", event.reporter_contact, "case.resolved", zh, en, f"case:{event.id}")
    return ActionResult(event.id, action, event.status, event.level, event.holder_id, record.id)


def _open_original(session: Session, event: Event, code: str | None) -> Event:
    code = (code or "").strip().upper()
    original = session.scalar(
        select(Event).where(Event.tracking_code == code, Event.community_id == event.community_id)
    )
    if original is None or original.id == event.id:
        raise WorkflowError("bad_duplicate")
    seen = {event.id}
    while original.status == "duplicate" and original.duplicate_of_id is not None:  # link to the case itself
        seen.add(original.id)
        original = session.get(Event, original.duplicate_of_id)
        if original is None or original.id in seen:
            raise WorkflowError("bad_duplicate")
    if original.status not in ("reported", "in_progress", "resolved"):
        # DESIGN 5.3: a duplicate joins an open case; a closed or rejected one is not worked on any more,
        # so the new report is a case of its own (or the closed case is reopened)
        raise WorkflowError("duplicate_not_open")
    return original


def _regrade(
    session: Session,
    event: Event,
    category: Category,
    actor: Actor,
    new_category: str | None,
    new_grade: str | None,
    reason: str | None,
    now: datetime,
) -> str:
    target = category
    if new_category and new_category != category.code:
        target = session.scalar(select(Category).where(Category.code == new_category, Category.active.is_(True)))
        if target is None:
            raise WorkflowError("bad_category")
    grade = new_grade or event.grade
    if grade not in GRADES:
        raise WorkflowError("bad_grade")
    if target.id == category.id and grade == event.grade:
        raise WorkflowError("no_change")
    if actor.user_id is not None:  # staff corrections are kept as training data for the grader
        session.add(
            GradeOverride(
                event_id=event.id, user_id=actor.user_id, at=now, old_category=category.code,
                new_category=target.code, old_grade=event.grade, new_grade=grade, reason=reason or "",
            )
        )  # fmt: skip
    old_grade = event.grade
    event.category_id = target.id
    event.grade = grade
    if grade != old_grade and event.status in ACTIVE:
        event.due_at = due_for(session, grade, event.level, level_since(session, event.id) or event.reported_at)
    change = f"{category.name_zh}→{target.name_zh} " if target.id != category.id else ""
    if grade != old_grade:
        change += f"{GRADE_ZH[old_grade]}→{GRADE_ZH[grade]}"
    return f"{change.strip()}：{reason}" if reason else change.strip()


def raise_grade(session: Session, event: Event, grade: str, now: datetime, reason: str) -> None:
    """A system upgrade (a more severe duplicate report arrived): the grade rises, the due time is
    worked out again from when the case reached its level, and the trail says why."""
    if not more_severe(grade, event.grade):
        return
    old = event.grade
    event.grade = grade
    if event.status in ACTIVE:
        event.due_at = due_for(session, grade, event.level, level_since(session, event.id) or event.reported_at)
    event.updated_at = now
    session.add(
        EventAction(
            event_id=event.id, at=now, actor_id=None, actor_label="system", action="regrade",
            from_status=event.status, to_status=event.status, from_level=event.level, to_level=event.level,
            note=f"{GRADE_ZH[old]}→{GRADE_ZH[grade]}：{reason}",
        )
    )  # fmt: skip


# --- the escalation job's query ------------------------------------------------------------------


def overdue_case_ids(session: Session, now: datetime, limit: int = 1000) -> list[int]:
    """Active cases below L4 past their level's due time, the most overdue first."""
    return list(
        session.scalars(
            select(Event.id)
            .where(Event.status.in_(ACTIVE), Event.level < 4, Event.due_at < now)
            .order_by(Event.due_at, Event.id)
            .limit(limit)
        )
    )


def escalate_overdue(session: Session, now: datetime, limit: int = 1000) -> list[int]:
    """Move every overdue case up one level (one level per run). Returns the ids moved."""
    moved = []
    notifier = OutboxNotifier(session, now)
    for case_id in overdue_case_ids(session, now, limit):
        try:
            act(session, case_id, SYSTEM, "escalate", now, notifier=notifier)
        except WorkflowError:
            continue  # changed under us (resolved meanwhile): nothing to escalate
        moved.append(case_id)
    return moved


# --- what the case page needs -------------------------------------------------------------------


def act_as_user(session: Session, user_id: int, case_id: int, action: str, now: datetime, note=None, **kw):  # noqa: ANN001
    """A staff member's step, with the actor (role, grid, communities) read from the store."""
    actor = actor_for(session, user_id)
    if actor is None:
        raise WorkflowError("forbidden")
    return act(session, case_id, actor, action, now, note, **kw)


def actions_for_user(session: Session, user_id: int, case_id: int) -> list[str]:
    actor = actor_for(session, user_id)
    event = session.get(Event, case_id)
    if actor is None or event is None or event.community_id not in actor.community_ids:
        return []
    return allowed_actions(_state(session, event), actor)


def l4_targets(session: Session, case_id: int) -> list[dict]:
    """Who a case may be pushed to at L4: the street cadres and departments covering its community."""
    event = session.get(Event, case_id)
    if event is None:
        return []
    street_id = session.scalar(select(Community.street_id).where(Community.id == event.community_id))
    rows = session.execute(
        select(User.id, User.display_name, User.role, User.department)
        .where(
            User.active.is_(True),
            User.role.in_(HANDLER_ROLES[4]),
            or_(
                User.community_id == event.community_id,
                (User.scope_kind == "street") & (User.street_id == street_id),
                User.scope_kind == "district",
            ),
        )
        .order_by(User.role.desc(), User.id)
    )
    return [dict(r._mapping) for r in rows]


def case_photos(session: Session, case_id: int) -> list[dict]:
    """Photos of a case (and of the trail step they came with), oldest first."""
    rows = session.execute(
        select(EventPhoto.sha256, EventPhoto.mime, EventPhoto.stage, EventPhoto.action_id, EventPhoto.created_at)
        .where(EventPhoto.event_id == case_id)
        .order_by(EventPhoto.created_at, EventPhoto.id)
    )
    return [dict(r._mapping) for r in rows]


CONTACT_ROLES = ("grid_worker", "grid_leader", "secretary", "street_cadre", "department")


def masked_contact(session: Session, case_id: int) -> str | None:
    contact = session.scalar(select(Event.reporter_contact).where(Event.id == case_id))
    return mask_contact(contact) if contact else None


def reveal_contact(session: Session, user_id: int, case_id: int, now: datetime) -> str | None:
    """The reporter's contact in full, for the roles that call reporters back, within their scope;
    every reveal is written to the audit log. None when the caller may not see it."""
    actor = actor_for(session, user_id)
    event = session.get(Event, case_id)
    if actor is None or event is None or actor.role not in CONTACT_ROLES:
        return None
    if event.community_id not in actor.community_ids or not event.reporter_contact:
        return None
    record_read(session, user_id, "event.reporter_contact", str(case_id), event.tracking_code, now)
    return event.reporter_contact
