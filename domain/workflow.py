"""The closed loop (发现 → 派发 → 解决 → 核查 → 评价) as pure rules: who may do what to a case, and what
each step changes (DESIGN.md 5.3).

A case starts at L1 (the grid worker of its grid). Whoever holds it accepts it, resolves it on the
spot, pushes it up a level with a reason, or rejects it as not ours. A resolved case is verified
(closed) or reopened (返工) by a supervisor — the grid leader, the community secretary, the street
cadre — or by the reporter through the tracking page, never by the person who resolved it. The
`escalation` job moves a case nobody finished within its level's time limit up one level.

`data_access.workflow` applies these rules to the store; this module decides, it writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.catalog import GRADES, LEVEL_ROLE

# action -> (statuses it starts from, status it leaves; None = unchanged)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "accept": (("reported",), "in_progress"),
    "push_up": (("reported", "in_progress"), None),
    "resolve": (("reported", "in_progress"), "resolved"),
    "verify": (("resolved",), "closed"),
    "reopen": (("resolved",), "in_progress"),
    "reject": (("reported", "in_progress"), "rejected"),
    "link_duplicate": (("reported", "in_progress"), "duplicate"),
    "regrade": (("reported", "in_progress", "resolved"), None),
    "escalate": (("reported", "in_progress"), None),
}
STAFF_ACTIONS = ("accept", "push_up", "resolve", "reject", "link_duplicate", "regrade", "verify", "reopen")
NOTE_REQUIRED = frozenset({"push_up", "resolve", "reopen", "reject", "regrade"})
NOTE_MAX = 2000

# Who works a case at each level. L4 is the street liaison cadre, or the department (the city
# management squad, 城管) for public-order categories.
HANDLER_ROLES = {1: ("grid_worker",), 2: ("grid_leader",), 3: ("secretary",), 4: ("street_cadre", "department")}
L4_DEPARTMENT_KINDS = ("order",)
SUPERVISES_UP_TO = {"grid_leader": 2, "secretary": 4, "street_cadre": 4}
GRID_BOUND_ROLES = ("grid_worker", "grid_leader")
REGRADE_ROLES = ("grid_leader", "secretary", "street_cadre", "admin")
# Every staff role may register a case except the read-only viewer.
REPORTING_ROLES = frozenset(("grid_worker", "grid_leader", "secretary", "street_cadre", "department", "admin"))


class WorkflowError(ValueError):
    """A step that may not be taken; `code` is a stable key (wf.error.<code> in the UI)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CaseState:
    id: int
    status: str
    level: int
    grade: str
    community_id: int
    grid_id: int | None
    holder_id: int | None
    resolver_id: int | None = None  # who resolved it last (may not verify it)


@dataclass(frozen=True)
class Actor:
    """A staff member (user_id set) or the reporter on the tracking page (user_id None, role 'reporter')."""

    user_id: int | None
    role: str
    grid_id: int | None
    community_ids: tuple[int, ...]


REPORTER = "reporter"


def in_scope(case: CaseState, actor: Actor) -> bool:
    if actor.role == REPORTER:
        return True  # the tracking code itself is the reporter's proof
    if case.community_id not in actor.community_ids:
        return False
    return actor.role not in GRID_BOUND_ROLES or actor.grid_id == case.grid_id


def is_handler(case: CaseState, actor: Actor) -> bool:
    """The holder, or anyone who covers the case's level in its grid / community (a colleague on duty)."""
    if actor.user_id is None or not in_scope(case, actor):
        return False
    return actor.user_id == case.holder_id or actor.role in HANDLER_ROLES[case.level]


def is_supervisor(case: CaseState, actor: Actor) -> bool:
    """Who signs off resolved work: the grid leader for work done in the grid (L1-L2), the secretary
    and the street cadre for any level."""
    if actor.user_id is None or actor.role not in SUPERVISES_UP_TO or not in_scope(case, actor):
        return False
    return case.level <= SUPERVISES_UP_TO[actor.role]


def may(case: CaseState, actor: Actor, action: str) -> bool:
    """Whether `actor` may take `action` on `case` now (status, role, scope and the four-eyes rule)."""
    if action not in TRANSITIONS or action == "escalate":
        return False
    if case.status not in TRANSITIONS[action][0]:
        return False
    if action in ("accept", "resolve", "reject", "push_up"):
        if action == "push_up" and case.level >= 4:
            return False
        return is_handler(case, actor)
    if action == "link_duplicate":
        return is_handler(case, actor) or is_supervisor(case, actor)
    if action == "regrade":
        if case.status == "resolved":
            return False
        return is_handler(case, actor) or (
            actor.role in REGRADE_ROLES and in_scope(case, actor) and actor.user_id is not None
        )
    if action in ("verify", "reopen"):
        if actor.role == REPORTER:
            return True
        if actor.user_id is not None and actor.user_id == case.resolver_id:
            return False  # nobody signs off their own work
        return is_supervisor(case, actor)
    return False


def allowed_actions(case: CaseState, actor: Actor) -> list[str]:
    return [a for a in STAFF_ACTIONS if may(case, actor, a)]


def check(case: CaseState, actor: Actor, action: str, note: str | None) -> str | None:
    """Raise WorkflowError unless the step may be taken; returns the cleaned note."""
    if action not in TRANSITIONS:
        raise WorkflowError("unknown_action")
    if case.status not in TRANSITIONS[action][0]:
        raise WorkflowError("wrong_status")
    if action == "escalate":
        if actor.role != "system":
            raise WorkflowError("forbidden")
    elif not may(case, actor, action):
        raise WorkflowError("forbidden")
    cleaned = (note or "").strip()
    if len(cleaned) > NOTE_MAX:
        raise WorkflowError("note_too_long")
    if action in NOTE_REQUIRED and not cleaned:
        raise WorkflowError("note_required")
    return cleaned or None


def next_status(case: CaseState, action: str) -> str:
    to = TRANSITIONS[action][1]
    return case.status if to is None else to


def next_level(case: CaseState, action: str) -> int:
    if action in ("push_up", "escalate"):
        if case.level >= 4:
            raise WorkflowError("top_level")
        return case.level + 1
    return case.level


def l4_role(category_kind: str) -> str:
    return "department" if category_kind in L4_DEPARTMENT_KINDS else "street_cadre"


def holder_role(level: int, category_kind: str) -> str:
    return l4_role(category_kind) if level == 4 else LEVEL_ROLE[level]


def more_severe(a: str, b: str) -> bool:
    """Whether grade `a` is more severe than grade `b`."""
    return GRADES.index(a) < GRADES.index(b)


# Inbox texts for the new holder (composed in data_access and jobs, which may not import i18n).
HOLDER_NOTICES: dict[str, tuple[str, str]] = {
    "report": ("新事件 {code}（{category_zh}，{grade_zh}）已派给您，请在 {due} 前处置。",
               "New case {code} ({category_en}, {grade_en}) is yours; due {due}."),
    "push_up": ("事件 {code}（{category_zh}）由下级上报至您处理：{note}",
                "Case {code} ({category_en}) was pushed up to you: {note}"),
    "escalate": ("事件 {code}（{category_zh}）超过时限未办结，已自动升级至您处理，请在 {due} 前处置。",
                 "Case {code} ({category_en}) ran past its time limit and was escalated to you; due {due}."),
    "reopen": ("事件 {code}（{category_zh}）核查未通过，需要返工：{note}",
               "Case {code} ({category_en}) failed its check and needs rework: {note}"),
    "resolve": ("事件 {code}（{category_zh}）已办结待核查。", "Case {code} ({category_en}) is resolved and awaits your check."),
}  # fmt: skip

REPORTER_NOTICES: dict[str, tuple[str, str]] = {
    "resolve": ("【东信社区】您反映的问题（{code}）已处理完毕，请查看：{link}。如仍未解决，可在该页面提出返工。",
                "[Dongxin Community] Your report {code} has been dealt with: {link}. If it is not fixed, "
                "you can say so on that page."),
}  # fmt: skip


def holder_notice(kind: str, **params: object) -> tuple[str, str]:
    zh, en = HOLDER_NOTICES[kind]
    return zh.format(**params), en.format(**params)


def reporter_notice(kind: str, **params: object) -> tuple[str, str]:
    zh, en = REPORTER_NOTICES[kind]
    return zh.format(**params), en.format(**params)
