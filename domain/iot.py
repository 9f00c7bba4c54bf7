"""Checking machine batches before anything is stored: IoT telemetry and door-access events.

A batch is all or nothing: one bad row rejects it, and every problem of every row is named.
Door events are pseudonymous by construction (DESIGN.md 5.7): a row may carry only an event id, a
pseudonymous person id, a gate, a direction and a time. A payload that carries an image or a face
template anywhere is refused whole before any row is looked at, so nothing of it is ever stored.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.occupancy import parse_time

MAX_READINGS = 5000
MAX_ACCESS_EVENTS = 5000
CLOCK_SKEW = timedelta(minutes=10)  # a reading "from the future" beyond this is a gateway with a wrong clock
_METRIC = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_FAULT = re.compile(r"^[A-Za-z0-9_.-]{1,40}$")
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,80}$")
_PID = re.compile(r"^[A-Za-z0-9._:-]{4,64}$")
_GATE = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
# what a real identity looks like: a resident ID card number (18 characters) or a mainland mobile number
_ID_CARD = re.compile(r"^\d{17}[\dXx]$")
_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")

ACCESS_FIELDS = frozenset({"event_id", "person_id", "gate", "direction", "at"})
# field-name fragments that mean a picture or biometric data
BIOMETRIC_WORDS = ("image", "img", "photo", "picture", "face", "template", "feature", "biometric", "snapshot",
                   "base64", "portrait", "jpeg", "jpg", "png", "video", "embedding", "vector", "fingerprint",
                   "iris")  # fmt: skip
_BLOB = re.compile(r"^[A-Za-z0-9+/=\s_-]{200,}$")
LONG_NUMBER_LIST = 32  # a face template often travels as a list of floats


@dataclass(frozen=True)
class RowError:
    row: int  # 0-based position in the batch
    field: str
    code: str


@dataclass(frozen=True)
class CleanReading:
    device: str
    ts: datetime
    metric: str
    value: float | None
    fault_code: str | None


@dataclass(frozen=True)
class CleanAccessEvent:
    event_id: str
    person_id: str
    gate: str
    direction: str
    at: datetime


def _number(value) -> float | None:  # noqa: ANN001
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)) and math.isfinite(float(value)):
        return float(value)
    return None


def check_readings(
    rows: list, device_codes: set[str], now: datetime, tz: str, max_rows: int = MAX_READINGS
) -> tuple[list[CleanReading], list[RowError]]:
    """rows: {"device", "ts", "metric", "value"?, "fault_code"?}; at least one of value and fault_code."""
    if len(rows) > max_rows:
        return [], [RowError(0, "readings", "too_many")]
    clean, errors, seen = [], [], set()
    for i, raw in enumerate(rows):
        if not isinstance(raw, dict):
            errors.append(RowError(i, "row", "not_object"))
            continue
        problems = []
        device = raw.get("device")
        if not isinstance(device, str) or not device.strip():
            problems.append(("device", "missing"))
        elif device.strip() not in device_codes:
            problems.append(("device", "unknown_device"))
        ts = parse_time(raw.get("ts"), tz)
        if raw.get("ts") in (None, ""):
            problems.append(("ts", "missing"))
        elif ts is None:
            problems.append(("ts", "bad_time"))
        elif ts > now + CLOCK_SKEW:
            problems.append(("ts", "future_time"))
        metric = raw.get("metric")
        if not isinstance(metric, str) or not metric:
            problems.append(("metric", "missing"))
        elif not _METRIC.match(metric):
            problems.append(("metric", "bad_metric"))
        has_value, has_fault = raw.get("value") is not None, raw.get("fault_code") not in (None, "")
        value = _number(raw.get("value")) if has_value else None
        if has_value and value is None:
            problems.append(("value", "bad_value"))
        fault = raw.get("fault_code") if has_fault else None
        if has_fault and (not isinstance(fault, str) or not _FAULT.match(fault)):
            problems.append(("fault_code", "bad_fault_code"))
        if not has_value and not has_fault:
            problems.append(("value", "missing"))
        if not problems:
            key = (device.strip(), ts, metric)
            if key in seen:
                problems.append(("ts", "duplicate"))
            seen.add(key)
        if problems:
            errors.extend(RowError(i, f, c) for f, c in problems)
            continue
        clean.append(CleanReading(device.strip(), ts, metric, value, fault.upper() if fault else None))
    return (clean, []) if not errors else ([], errors)


def find_biometric(payload, path: str = "") -> list[str]:  # noqa: ANN001
    """Where a payload carries what door events must never carry: a field named like an image, photo,
    face or template, a long base64-like string (or a data: URI), or a long list of numbers. Returns
    the paths (never the values)."""
    found: list[str] = []
    if isinstance(payload, dict):
        for key, value in payload.items():
            name = str(key).lower()
            here = f"{path}.{key}" if path else str(key)
            if any(word in name for word in BIOMETRIC_WORDS):
                found.append(here)
                continue
            found.extend(find_biometric(value, here))
    elif isinstance(payload, list):
        if len(payload) >= LONG_NUMBER_LIST and all(_number(v) is not None for v in payload):
            return [path or "$"]
        for i, value in enumerate(payload):
            found.extend(find_biometric(value, f"{path}[{i}]"))
    elif isinstance(payload, str):
        text = payload.strip()
        if text.lower().startswith("data:") or (len(text) >= 200 and _BLOB.match(text)):
            found.append(path or "$")
    return found


def pseudonymous(person_id: str) -> bool:
    """A person id that is neither an ID card number nor a phone number (the door system must map
    people to its own opaque ids before sending)."""
    compact = re.sub(r"[\s-]", "", person_id)
    return not (_ID_CARD.match(compact) or _MOBILE.match(compact))


def check_access_events(
    rows: list, now: datetime, tz: str, max_rows: int = MAX_ACCESS_EVENTS
) -> tuple[list[CleanAccessEvent], list[RowError]]:
    if len(rows) > max_rows:
        return [], [RowError(0, "events", "too_many")]
    clean, errors, seen = [], [], set()
    for i, raw in enumerate(rows):
        if not isinstance(raw, dict):
            errors.append(RowError(i, "row", "not_object"))
            continue
        problems = [(str(k), "unknown_field") for k in raw if k not in ACCESS_FIELDS]
        values = {}
        for name, pattern in (("event_id", _ID), ("person_id", _PID), ("gate", _GATE)):
            value = raw.get(name)
            value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
            if value in (None, ""):
                problems.append((name, "missing"))
            elif not isinstance(value, str) or not pattern.match(value):
                problems.append((name, "bad_id"))
            values[name] = value
        pid = values["person_id"]
        if isinstance(pid, str) and _PID.match(pid) and not pseudonymous(pid):
            problems.append(("person_id", "not_pseudonymous"))
        direction = raw.get("direction")
        if direction not in ("in", "out"):
            problems.append(("direction", "missing" if direction in (None, "") else "bad_direction"))
        at = parse_time(raw.get("at"), tz)
        if raw.get("at") in (None, ""):
            problems.append(("at", "missing"))
        elif at is None:
            problems.append(("at", "bad_time"))
        elif at > now + CLOCK_SKEW:
            problems.append(("at", "future_time"))
        if not problems:
            if values["event_id"] in seen:
                problems.append(("event_id", "duplicate"))
            seen.add(values["event_id"])
        if problems:
            errors.extend(RowError(i, f, c) for f, c in problems)
            continue
        clean.append(CleanAccessEvent(values["event_id"], values["person_id"], values["gate"], direction, at))
    return (clean, []) if not errors else ([], errors)
