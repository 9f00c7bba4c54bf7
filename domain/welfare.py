"""Welfare watch (DESIGN.md 5.7) and the retention of door events, as pure rules.

A watch is opt-in: it counts only with consent recorded (who gave it, when, who recorded it, on what
basis) and while it has not ended. No door activity (in or out, any gate) for longer than the
person's threshold raises one visit task; an away period covering the moment suppresses it, and the
hours of an away period never count as silence. Without a watch, or without consent, nothing is ever
raised, whatever the door events say.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MIN_THRESHOLD_HOURS = 4
MAX_THRESHOLD_HOURS = 24 * 14


@dataclass(frozen=True)
class Watch:
    threshold_hours: int
    consent_at: datetime | None
    consent_given_by: str | None
    consent_basis: str | None
    active: bool
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Verdict:
    state: str  # no_consent / ended / away / ok / due
    quiet_since: datetime | None = None  # the last door activity (or when watching began)
    quiet_hours: float | None = None


def consented(watch: Watch, now: datetime) -> bool:
    return bool(
        watch.consent_at is not None
        and watch.consent_at <= now
        and (watch.consent_given_by or "").strip()
        and (watch.consent_basis or "").strip()
    )


def welfare_verdict(watch: Watch, last_activity: datetime | None, aways: list[tuple[datetime, datetime]],
                    now: datetime) -> Verdict:  # fmt: skip
    """Whether a visit is due at `now`.

    Silence is counted from the latest of: the last door event, the consent (watching starts then),
    and the end of any away period that has ended. An away period covering `now` answers "away".
    """
    if not watch.active or (watch.ended_at is not None and watch.ended_at <= now):
        return Verdict("ended")
    if not consented(watch, now):
        return Verdict("no_consent")
    if any(start <= now < end for start, end in aways):
        return Verdict("away")
    marks = [watch.consent_at]
    if last_activity is not None and last_activity <= now:
        marks.append(last_activity)
    marks.extend(end for start, end in aways if end <= now)
    since = max(marks)
    hours = (now - since).total_seconds() / 3600
    return Verdict("due" if hours > watch.threshold_hours else "ok", since, hours)


def check_threshold(hours) -> int | None:  # noqa: ANN001
    """A per-person threshold in whole hours within sensible bounds, else None."""
    try:
        value = int(hours)
    except (TypeError, ValueError):
        return None
    return value if MIN_THRESHOLD_HOURS <= value <= MAX_THRESHOLD_HOURS else None


def check_away(starts_at: datetime | None, ends_at: datetime | None, now: datetime) -> str | None:
    """None when the away period is acceptable, else an error code."""
    if starts_at is None or ends_at is None:
        return "missing"
    if ends_at <= starts_at:
        return "order"
    if ends_at < now:
        return "past"
    if ends_at - starts_at > timedelta(days=180):
        return "too_long"
    return None


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Door events strictly before this moment are past the retention period."""
    return now - timedelta(days=max(1, int(days)))


# Inbox notices are composed by the job, which may not import i18n (DESIGN.md 2). They name the door to
# knock on and nothing else: no name, no door history.
WELFARE_NOTICES: dict[str, tuple[str, str]] = {
    "welfare.visit": (
        "【关怀探访】{place_zh} 的关怀对象已超过 {hours} 小时没有门禁记录，请尽快上门探访，并在“数据 › 关怀”页登记结果。",
        "[Welfare visit] The watched resident at {place_en} has had no door activity for over {hours} hours. "
        "Please visit soon and record the visit under Data › Welfare.",
    ),
    "welfare.escalated": (
        "【关怀探访未完成】{place_zh} 的探访任务已等待 {hours} 小时仍未登记，请跟进。",
        "[Welfare visit overdue] The visit to {place_en} has waited {hours} hours without being recorded; "
        "please follow up.",
    ),
}


def welfare_notice(key: str, **params: object) -> tuple[str, str]:
    zh, en = WELFARE_NOTICES[key]
    return zh.format(**params), en.format(**params)


def place_names(estate: tuple[str, str], building: tuple[str, str], unit: int, room: str) -> tuple[str, str]:
    """The door to knock on, in both languages: "君景庭 3幢 2单元 1502" / "Junjing Court Bldg 3, unit 2, 1502"."""
    return f"{estate[0]}{building[0]}{unit}单元{room}室", f"{estate[1]} {building[1]}, unit {unit}, room {room}"
