"""IoT alarm rules and the alarm lifecycle (DESIGN.md 5.6), as pure functions.

The model follows ThingsBoard: an alarm has a severity (critical, major, minor, warning), a status
(active or cleared) and, independently, acknowledged or not; there is at most one active alarm per
device and alarm type, a repeat of the condition updates it, and it clears by itself when the
condition ends.

Rules are data (`alarm_rule` rows). What a rule checks follows from its parameters:
- `fault_code` (+ optional `metric`, default "status"): the device's latest reading of that metric
  carries this fault code (elevator trapped passenger, door fault, out of service);
- `below` / `above` + `metric`: the latest reading of the metric is below / above the value
  (fire-pump and extinguisher pressure);
- `days_before` (+ optional `attribute`, default "expires_on"): the date attribute is at most that
  many days away, or past (extinguisher replacement);
- `metric` on a flood_stock device without a threshold: the latest quantity is below what the device's
  attributes require in the flood-season prep window (`required_qty`) or during the season
  (`flood_season_required_qty`); outside both no quantity is required;
- `silent_minutes`: no reading for the device's reporting interval plus that many minutes. Gateways
  push faults the moment they happen and a heartbeat every `report_every_minutes` (per device
  attribute, else per kind in the rule's parameters), so silence is counted from the expected beat.
An explicit `check` parameter overrides the inference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

SEVERITIES = ("critical", "major", "minor", "warning")  # most severe first
CHECKS = ("fault", "threshold", "expiry", "stock", "silence")
DEFAULT_REPORT_EVERY = {"elevator": 60, "fire_pump": 60, "extinguisher": 24 * 60, "flood_stock": 24 * 60}
CASE_CATEGORY = {
    "elevator": "elevator_fault",
    "fire_pump": "fire_equipment",
    "extinguisher": "fire_equipment",
    "flood_stock": "waterlogging",
}
# Case descriptions and inbox notices are written by jobs, which may not import i18n (DESIGN.md 2).
ALARM_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "trapped_passenger": ("电梯困人", "passenger trapped in the elevator"),
    "door_fault": ("电梯门故障", "elevator door fault"),
    "out_of_service": ("电梯停运", "elevator out of service"),
    "silent": ("设备离线（无数据）", "device silent (no data)"),
    "pressure_low": ("压力过低", "pressure low"),
    "expiring": ("即将到期或已过期", "expiring or expired"),
    "stock_short": ("防汛物资不足", "flood-control stock short"),
}


class RuleError(ValueError):
    """A rule whose parameters do not say what to check."""


@dataclass(frozen=True)
class Rule:
    code: str
    device_kind: str  # a device kind, or "*" for every kind
    alarm_type: str
    severity: str
    parameters: dict
    opens_case: bool = False

    def applies_to(self, kind: str) -> bool:
        return self.device_kind in ("*", kind)


@dataclass(frozen=True)
class Reading:
    ts: datetime
    value: float | None
    fault_code: str | None


@dataclass(frozen=True)
class DeviceView:
    """What the rules may look at: the kind, the attributes and the latest reading per metric."""

    id: int
    kind: str
    attributes: dict
    latest: dict[str, Reading] = field(default_factory=dict)

    @property
    def last_seen(self) -> datetime | None:
        return max((r.ts for r in self.latest.values()), default=None)


@dataclass(frozen=True)
class Condition:
    holds: bool
    # what shows the condition (a reading's time, an expiry date...): a manually cleared alarm is
    # raised again only on evidence it has not seen
    evidence: str | None = None
    evidence_at: datetime | None = None  # when the evidence was observed, if it is a reading
    since: datetime | None = None  # when the condition began, when that is known (silence)
    detail: dict = field(default_factory=dict)


def rule_check(parameters: dict, device_kind: str) -> str:
    explicit = parameters.get("check")
    if explicit:
        if explicit not in CHECKS:
            raise RuleError(f"unknown check {explicit!r}")
        return explicit
    if "fault_code" in parameters:
        return "fault"
    if "silent_minutes" in parameters:
        return "silence"
    if "days_before" in parameters:
        return "expiry"
    if "metric" in parameters and ("below" in parameters or "above" in parameters):
        return "threshold"
    if "metric" in parameters and device_kind == "flood_stock":
        return "stock"
    raise RuleError(f"parameters {sorted(parameters)} say nothing to check")


def check_rule(rule: Rule) -> str | None:
    """None when the rule can be evaluated, else why not (shown to administrators)."""
    if rule.severity not in SEVERITIES:
        return f"unknown severity {rule.severity!r}"
    try:
        check = rule_check(rule.parameters, rule.device_kind)
    except RuleError as exc:
        return str(exc)
    p = rule.parameters
    try:
        if check == "threshold":
            float(p.get("below", p.get("above")))
        if check == "silence":
            int(p["silent_minutes"])
        if check == "expiry":
            int(p["days_before"])
    except (TypeError, ValueError, KeyError):
        return f"parameters of {check} are not numbers"
    return None


# --- flood season ---------------------------------------------------------------------------------


def parse_season(text: str | list | tuple | None, fallback: tuple[str, str]) -> tuple[str, str]:
    """A season as ("MM-DD", "MM-DD"): a device attribute (list of two) or the setting "04-15..10-15"."""
    if isinstance(text, (list, tuple)) and len(text) == 2:
        start, end = str(text[0]), str(text[1])
    elif isinstance(text, str) and ".." in text:
        start, end = (part.strip() for part in text.split("..", 1))
    else:
        return fallback
    for part in (start, end):
        try:
            datetime.strptime(f"2024-{part}", "%Y-%m-%d")
        except ValueError:
            return fallback
    return start, end


def _on(day: date, month_day: str) -> date:
    month, dom = (int(x) for x in month_day.split("-"))
    if month == 2 and dom == 29:
        dom = 28
    return date(day.year, month, dom)


def flood_phase(day: date, season: tuple[str, str], prep_days: int) -> str:
    """ "season" from the season's start to its end (inclusive), "prep" in the `prep_days` before the
    start, "off" otherwise. Seasons do not wrap the new year (Hangzhou: mid-April to mid-October)."""
    start, end = _on(day, season[0]), _on(day, season[1])
    if start <= day <= end:
        return "season"
    if start - timedelta(days=prep_days) <= day < start:
        return "prep"
    return "off"


def required_stock(attributes: dict, phase: str) -> float | None:
    """The quantity a flood-control store must hold in this phase (None: nothing required)."""

    def number(key: str) -> float | None:
        value = attributes.get(key)
        try:
            return float(value) if value is not None and value != "" else None
        except (TypeError, ValueError):
            return None

    if phase == "season":
        return number("flood_season_required_qty") or number("required_qty")
    if phase == "prep":
        return number("required_qty")
    return None


def next_phase_start(day: date, season: tuple[str, str], prep_days: int) -> tuple[str, date]:
    """The next phase change after `day`: ("prep", date) or ("season", date) or ("off", date)."""
    start, end = _on(day, season[0]), _on(day, season[1])
    prep = start - timedelta(days=prep_days)
    if day < prep:
        return "prep", prep
    if day < start:
        return "season", start
    if day <= end:
        return "off", end + timedelta(days=1)
    return "prep", _on(date(day.year + 1, 1, 1), season[0]) - timedelta(days=prep_days)


# --- evaluating a rule --------------------------------------------------------------------------


def parse_date(value) -> date | None:  # noqa: ANN001
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def report_every(rule: Rule, device: DeviceView) -> int:
    own = device.attributes.get("report_every_minutes")
    if isinstance(own, (int, float)) and own > 0:
        return int(own)
    per_kind = rule.parameters.get("report_every_minutes")
    if isinstance(per_kind, dict) and isinstance(per_kind.get(device.kind), (int, float)):
        return int(per_kind[device.kind])
    if isinstance(per_kind, (int, float)) and per_kind > 0:
        return int(per_kind)
    return DEFAULT_REPORT_EVERY.get(device.kind, 60)


def evaluate(
    rule: Rule, device: DeviceView, now: datetime, season: tuple[str, str] = ("04-15", "10-15"), prep_days: int = 30
) -> Condition:
    """Does `rule` hold for `device` at `now`? Raises RuleError for a rule that says nothing to check."""
    p = rule.parameters
    check = rule_check(p, rule.device_kind)
    if check == "fault":
        reading = device.latest.get(p.get("metric", "status"))
        if reading is None:
            return Condition(False)
        holds = (reading.fault_code or "").upper() == str(p["fault_code"]).upper()
        return Condition(holds, reading.ts.isoformat(), reading.ts, detail={"fault_code": reading.fault_code})
    if check == "threshold":
        metric = p["metric"]
        reading = device.latest.get(metric)
        if reading is None or reading.value is None:
            return Condition(False)
        if "below" in p:
            limit = float(p["below"])
            holds = reading.value < limit
        else:
            limit = float(p["above"])
            holds = reading.value > limit
        detail = {
            "metric": metric,
            "value": reading.value,
            "limit": limit,
            "direction": "below" if "below" in p else "above",
        }
        return Condition(holds, reading.ts.isoformat(), reading.ts, detail=detail)
    if check == "expiry":
        expires = parse_date(device.attributes.get(p.get("attribute", "expires_on")))
        if expires is None:
            return Condition(False)
        days = (expires - now.date()).days
        holds = days <= int(p["days_before"])
        return Condition(holds, expires.isoformat(), detail={"expires_on": expires.isoformat(), "days_left": days})
    if check == "stock":
        reading = device.latest.get(p.get("metric", "quantity"))
        phase = flood_phase(now.date(), parse_season(device.attributes.get("flood_season"), season), prep_days)
        required = required_stock(device.attributes, phase)
        if reading is None or reading.value is None or required is None:
            return Condition(False, detail={"phase": phase})
        holds = reading.value < required
        detail = {"quantity": reading.value, "required": required, "phase": phase}
        # a new phase is new evidence too: short before the season and still short in it are two findings
        return Condition(holds, f"{reading.ts.isoformat()}/{phase}", reading.ts, detail=detail)
    # silence: measured from the last reading; a device that never reported shows as "no data" on the
    # page but raises nothing, so registering a device ahead of its gateway does not alarm
    last = device.last_seen
    if last is None:
        return Condition(False)
    every = report_every(rule, device)
    silent_from = last + timedelta(minutes=every + int(p["silent_minutes"]))
    holds = now > silent_from
    return Condition(holds, last.isoformat(), since=silent_from, detail={"last_seen": last.isoformat(), "every": every})


# --- the lifecycle ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlarmState:
    """The alarm of one device and type that the job compares with the rule's verdict."""

    id: int
    status: str  # active / cleared
    raised_at: datetime
    evidence: str | None
    manually_cleared: bool = False


@dataclass(frozen=True)
class Step:
    action: str  # raise / repeat / refresh / clear / none
    at: datetime | None = None


def next_step(current: AlarmState | None, condition: Condition, now: datetime) -> Step:
    """What the job does with the device's latest alarm of this type given the rule's verdict.

    - no active alarm and the condition holds: raise one (unless a person cleared the last one and
      nothing new has been seen since: clearing by hand is "dealt with", not "raise it again next minute");
    - active and holds: a repeat on new evidence, else just confirm it is still there;
    - active and no longer holds: clear it (at the time the evidence says, never in the future).
    """
    active = current is not None and current.status == "active"
    if condition.holds:
        if active:
            same = condition.evidence is not None and condition.evidence == current.evidence
            return Step("refresh" if same else "repeat", now)
        if current is not None and current.manually_cleared and condition.evidence == current.evidence:
            return Step("none")
        start = condition.since or condition.evidence_at or now
        return Step("raise", min(start, now))
    if active:
        at = condition.evidence_at if condition.evidence_at and condition.evidence_at <= now else now
        return Step("clear", max(at, current.raised_at))
    return Step("none")


def case_grade(severity: str) -> str:
    """The grade of the case an alarm opens: a critical alarm is danger to people now."""
    return {"critical": "urgent", "major": "priority"}.get(severity, "routine")


def device_state(alarm_types: set[str], last_seen: datetime | None) -> str:
    """normal / alarm / silent, as the devices page shows it. Silence outranks other alarms (the
    readings behind them are stale); a device that never reported is silent unless a rule that needs
    no reading (an expiry date) already flags it."""
    if "silent" in alarm_types:
        return "silent"
    if alarm_types:
        return "alarm"
    return "silent" if last_seen is None else "normal"
