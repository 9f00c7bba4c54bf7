"""The device registry, telemetry ingestion and what the devices page reads.

Telemetry is append-only and idempotent on (device, ts, metric). Ingestion also keeps
`device_status` — the latest reading per device and metric — so the alarm job and the page read a
few rows per device instead of the raw history.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from data_access.audit import record
from data_access.models import Alarm, Building, Device, DeviceStatus, Estate, Telemetry
from domain.alarms import (
    DeviceView,
    Reading,
    device_state,
    flood_phase,
    next_phase_start,
    parse_date,
    parse_season,
    required_stock,
)
from domain.catalog import DEVICE_KINDS
from domain.iot import CleanReading

DEVICE_ADMIN_ROLES = frozenset({"admin"})


def _insert(session: Session):  # noqa: ANN202
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


def device_ids_by_code(session: Session, codes: set[str], community_ids: list[int] | None) -> dict[str, int]:
    """Active devices by the code gateways send, within the caller's communities (None: all)."""
    if not codes:
        return {}
    query = (
        select(Device.code, Device.id)
        .join(Estate, Estate.id == Device.estate_id)
        .where(Device.code.in_(sorted(codes)), Device.active.is_(True))
    )
    if community_ids is not None:
        query = query.where(Estate.community_id.in_(community_ids))
    return dict(session.execute(query).all())


def store_readings(session: Session, readings: list[CleanReading], ids: dict[str, int]) -> int:
    """Insert the readings (a (device, ts, metric) already stored is left as it is) and move each
    device's latest state forward. Returns how many readings were new."""
    if not readings:
        return 0
    insert = _insert(session)
    rows = [{"device_id": ids[r.device], "ts": r.ts, "metric": r.metric, "value": r.value,
             "fault_code": r.fault_code} for r in readings]  # fmt: skip
    stored = 0
    for start in range(0, len(rows), 1000):
        statement = (
            insert(Telemetry)
            .values(rows[start : start + 1000])
            .on_conflict_do_nothing(index_elements=["device_id", "ts", "metric"])
            .returning(Telemetry.id)
        )
        stored += len(session.execute(statement).all())
    _advance_status(session, rows)
    return stored


def _advance_status(session: Session, rows: list[dict]) -> None:
    """Upsert the newest reading per (device, metric) of the batch, where it is newer than what is kept.
    The batch is reduced first: PostgreSQL refuses one statement touching the same row twice."""
    newest: dict[tuple[int, str], dict] = {}
    for r in rows:
        key = (r["device_id"], r["metric"])
        if key not in newest or r["ts"] > newest[key]["ts"]:
            newest[key] = r
    insert = _insert(session)
    values = [newest[key] for key in sorted(newest)]  # a stable order: the same ids on every engine
    for start in range(0, len(values), 1000):
        statement = insert(DeviceStatus).values(values[start : start + 1000])
        statement = statement.on_conflict_do_update(
            index_elements=["device_id", "metric"],
            set_={"ts": statement.excluded.ts, "value": statement.excluded.value,
                  "fault_code": statement.excluded.fault_code},
            where=statement.excluded.ts > DeviceStatus.ts,
        )  # fmt: skip
        session.execute(statement)


def refresh_device_status(session: Session, device_ids: list[int] | None = None) -> int:
    """Rebuild the latest state from telemetry for these devices (all when None): for data loaded
    without the API (the demo, a bulk load). Returns how many (device, metric) states were written."""
    latest = select(Telemetry.device_id, Telemetry.metric, func.max(Telemetry.ts).label("ts")).group_by(
        Telemetry.device_id, Telemetry.metric
    )
    if device_ids is not None:
        if not device_ids:
            return 0
        latest = latest.where(Telemetry.device_id.in_(device_ids))
    latest = latest.subquery()
    rows = session.execute(
        select(Telemetry.device_id, Telemetry.metric, Telemetry.ts, Telemetry.value, Telemetry.fault_code).join(
            latest,
            and_(
                Telemetry.device_id == latest.c.device_id,
                Telemetry.metric == latest.c.metric,
                Telemetry.ts == latest.c.ts,
            ),
        )  # fmt: skip
    ).all()
    _advance_status(session, [dict(r._mapping) for r in rows])
    return len(rows)


def devices_without_status(session: Session) -> list[int]:
    """Active devices that have telemetry but no kept state (loaded behind the API's back)."""
    has_status = select(DeviceStatus.device_id).distinct()
    has_telemetry = select(Telemetry.device_id).where(Telemetry.device_id == Device.id).exists()
    return list(
        session.scalars(select(Device.id).where(Device.active.is_(True), Device.id.not_in(has_status), has_telemetry))
    )


# --- what the alarm job and the page read ---------------------------------------------------------------


def device_views(session: Session, community_ids: list[int] | None = None) -> list[tuple[DeviceView, dict]]:
    """Every active device with its latest readings, and where it is (for cases and the page)."""
    query = (
        select(Device, Estate, Building)
        .join(Estate, Estate.id == Device.estate_id)
        .outerjoin(Building, Building.id == Device.building_id)
        .where(Device.active.is_(True))
        .order_by(Device.id)
    )
    if community_ids is not None:
        query = query.where(Estate.community_id.in_(community_ids))
    found = session.execute(query).all()
    ids = [d.id for d, _e, _b in found]
    latest: dict[int, dict[str, Reading]] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        for s in session.scalars(select(DeviceStatus).where(DeviceStatus.device_id.in_(chunk))):
            latest.setdefault(s.device_id, {})[s.metric] = Reading(s.ts, s.value, s.fault_code)
    out = []
    for device, estate, building in found:
        view = DeviceView(device.id, device.kind, dict(device.attributes or {}), latest.get(device.id, {}))
        place = {
            "code": device.code, "name_zh": device.name_zh, "name_en": device.name_en, "kind": device.kind,
            "community_id": estate.community_id, "estate_id": estate.id, "estate_code": estate.code,
            "estate_zh": estate.name_zh, "estate_en": estate.name_en,
            "building_id": building.id if building else None,
            "building_zh": building.name_zh if building else None,
            "building_en": building.name_en if building else None,
            "grid_id": (building.grid_id if building else None) or estate.grid_id,
            "lat": building.lat if building else estate.lat, "lon": building.lon if building else estate.lon,
        }  # fmt: skip
        out.append((view, place))
    return out


def device_overview(session: Session, community_ids: list[int]) -> list[dict]:
    """One row per active device: where it is, when it last reported, its active alarms and its state."""
    views = device_views(session, community_ids)
    active: dict[int, list[tuple[str, str]]] = {}
    ids = [v.id for v, _p in views]
    for start in range(0, len(ids), 5000):
        rows = session.execute(
            select(Alarm.device_id, Alarm.alarm_type, Alarm.severity).where(
                Alarm.status == "active", Alarm.device_id.in_(ids[start : start + 5000])
            )
        )
        for device_id, alarm_type, severity in rows:
            active.setdefault(device_id, []).append((alarm_type, severity))
    out = []
    for view, place in views:
        alarms = active.get(view.id, [])
        out.append({**place, "id": view.id, "last_seen": view.last_seen, "alarms": alarms,
                    "state": device_state({a for a, _s in alarms}, view.last_seen),
                    "latest": {m: {"ts": r.ts, "value": r.value, "fault_code": r.fault_code}
                               for m, r in view.latest.items()}})  # fmt: skip
    return out


def device_in_scope(session: Session, device_id: int, community_ids: list[int]) -> Device | None:
    return session.scalar(
        select(Device)
        .join(Estate, Estate.id == Device.estate_id)
        .where(Device.id == device_id, Estate.community_id.in_(community_ids))
    )


def device_history(
    session: Session, device_id: int, community_ids: list[int], since: datetime, until: datetime
) -> dict | None:
    """A device's readings in [since, until] per metric, and its alarms overlapping that span."""
    device = device_in_scope(session, device_id, community_ids)
    if device is None:
        return None
    readings = session.execute(
        select(Telemetry.metric, Telemetry.ts, Telemetry.value, Telemetry.fault_code)
        .where(Telemetry.device_id == device_id, Telemetry.ts >= since, Telemetry.ts <= until)
        .order_by(Telemetry.metric, Telemetry.ts)
    ).all()
    series: dict[str, list[dict]] = {}
    for metric, ts, value, fault in readings:
        series.setdefault(metric, []).append({"ts": ts, "value": value, "fault_code": fault})
    alarms = session.execute(
        select(Alarm.alarm_type, Alarm.severity, Alarm.raised_at, Alarm.cleared_at, Alarm.status)
        .where(Alarm.device_id == device_id, Alarm.raised_at <= until)
        .where((Alarm.cleared_at.is_(None)) | (Alarm.cleared_at >= since))
        .order_by(Alarm.raised_at)
    ).all()
    return {
        "id": device.id, "code": device.code, "kind": device.kind, "name_zh": device.name_zh,
        "name_en": device.name_en, "series": series,
        "alarms": [dict(a._mapping) for a in alarms],
    }  # fmt: skip


def extinguishers_due(session: Session, community_ids: list[int], today: date, within_days: int = 30) -> list[dict]:
    """Extinguishers whose expiry date is within `within_days` or past, soonest first. The attribute
    lives in JSON, whose operators differ between engines, so the (few per community) rows are
    filtered here."""
    rows = session.execute(
        select(Device.id, Device.code, Device.name_zh, Device.name_en, Device.attributes, Estate.name_zh,
               Estate.name_en, Building.name_zh, Building.name_en)
        .join(Estate, Estate.id == Device.estate_id)
        .outerjoin(Building, Building.id == Device.building_id)
        .where(Device.kind == "extinguisher", Device.active.is_(True), Estate.community_id.in_(community_ids))
    ).all()  # fmt: skip
    due = []
    for did, code, zh, en, attrs, ezh, een, bzh, ben in rows:
        expires = parse_date((attrs or {}).get("expires_on"))
        if expires is None:
            continue
        days = (expires - today).days
        if days <= within_days:
            due.append({"id": did, "code": code, "name_zh": zh, "name_en": en, "estate_zh": ezh, "estate_en": een,
                        "building_zh": bzh, "building_en": ben, "expires_on": expires, "days_left": days})  # fmt: skip
    return sorted(due, key=lambda r: (r["days_left"], r["code"]))


def flood_stock(
    session: Session, community_ids: list[int], today: date, season: tuple[str, str], prep_days: int
) -> list[dict]:
    """Each flood-control store: what it holds (latest count), what it must hold before the season
    (prep) and during it, which phase today is in, and the next phase change."""
    rows = session.execute(
        select(Device.id, Device.code, Device.name_zh, Device.name_en, Device.attributes, Estate.name_zh,
               Estate.name_en, DeviceStatus.value, DeviceStatus.ts)
        .join(Estate, Estate.id == Device.estate_id)
        .outerjoin(DeviceStatus, and_(DeviceStatus.device_id == Device.id, DeviceStatus.metric == "quantity"))
        .where(Device.kind == "flood_stock", Device.active.is_(True), Estate.community_id.in_(community_ids))
        .order_by(Device.code)
    ).all()  # fmt: skip
    out = []
    for did, code, zh, en, attrs, ezh, een, quantity, ts in rows:
        attrs = attrs or {}
        own_season = parse_season(attrs.get("flood_season"), season)
        phase = flood_phase(today, own_season, prep_days)
        upcoming, when = next_phase_start(today, own_season, prep_days)
        out.append({
            "id": did, "code": code, "name_zh": zh, "name_en": en, "estate_zh": ezh, "estate_en": een,
            "item": attrs.get("item"), "quantity": quantity, "counted_at": ts,
            "required_prep": required_stock(attrs, "prep"), "required_season": required_stock(attrs, "season"),
            "required_now": required_stock(attrs, phase), "phase": phase, "season": own_season,
            "next_phase": upcoming, "next_phase_on": when,
        })  # fmt: skip
    return out


# --- the registry (administrators) ----------------------------------------------------------------------


class DeviceError(ValueError):
    def __init__(self, code: str, field_name: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field_name


def registry_options(session: Session, community_ids: list[int]) -> dict:
    estates = session.execute(
        select(Estate.id, Estate.code, Estate.name_zh, Estate.name_en)
        .where(Estate.community_id.in_(community_ids))
        .order_by(Estate.id)
    ).all()
    buildings = session.execute(
        select(Building.id, Building.estate_id, Building.name_zh, Building.name_en)
        .join(Estate, Estate.id == Building.estate_id)
        .where(Estate.community_id.in_(community_ids))
        .order_by(Building.estate_id, Building.id)
    ).all()
    return {"estates": [dict(e._mapping) for e in estates], "buildings": [dict(b._mapping) for b in buildings]}


def device_record(session: Session, device_id: int, community_ids: list[int]) -> dict | None:
    device = device_in_scope(session, device_id, community_ids)
    if device is None:
        return None
    return {"id": device.id, "code": device.code, "kind": device.kind, "estate_id": device.estate_id,
            "building_id": device.building_id, "name_zh": device.name_zh, "name_en": device.name_en,
            "attributes": dict(device.attributes or {}), "active": device.active}  # fmt: skip


EDITABLE_ATTRIBUTES = ("expires_on", "required_qty", "flood_season_required_qty", "report_every_minutes", "item")


def save_device(session: Session, user_id: int, community_ids: list[int], values: dict, now: datetime) -> int:
    """Create (no id) or update a device; the attributes named in EDITABLE_ATTRIBUTES are set from
    `values` ("" removes one), others (brand, load...) are kept. Audited. Raises DeviceError."""
    if not isinstance(values, dict):
        raise DeviceError("bad_code", "code")
    code = str(values.get("code") or "").strip()
    if not code or len(code) > 64 or not all(c.isalnum() or c in "._-" for c in code):
        raise DeviceError("bad_code", "code")
    kind = values.get("kind")
    if kind not in DEVICE_KINDS:
        raise DeviceError("bad_kind", "kind")
    estate = session.get(Estate, values.get("estate_id") or 0)
    if estate is None or estate.community_id not in community_ids:
        raise DeviceError("bad_estate", "estate_id")
    building_id = values.get("building_id") or None
    if building_id is not None:
        building = session.get(Building, building_id)
        if building is None or building.estate_id != estate.id:
            raise DeviceError("bad_building", "building_id")
    name_zh, name_en = (values.get("name_zh") or "").strip(), (values.get("name_en") or "").strip()
    if not name_zh or not name_en or len(name_zh) > 80 or len(name_en) > 120:
        raise DeviceError("bad_name", "name_zh")
    device_id = values.get("id")
    clash = session.scalar(select(Device.id).where(Device.code == code))
    if clash is not None and clash != device_id:
        raise DeviceError("code_taken", "code")
    if device_id:
        device = device_in_scope(session, device_id, community_ids)
        if device is None:
            raise DeviceError("not_found")
    else:
        device = Device(attributes={}, active=True)
        session.add(device)
    attributes = dict(device.attributes or {})
    for key in EDITABLE_ATTRIBUTES:
        if key not in values:
            continue
        value = values[key]
        if value in (None, ""):
            attributes.pop(key, None)
        elif key == "expires_on":
            if parse_date(value) is None:
                raise DeviceError("bad_date", key)
            attributes[key] = parse_date(value).isoformat()
        elif key == "item":
            attributes[key] = str(value)[:40]
        else:
            try:
                number = float(value)
            except (TypeError, ValueError) as exc:
                raise DeviceError("bad_number", key) from exc
            if number < 0:
                raise DeviceError("bad_number", key)
            attributes[key] = int(number) if number.is_integer() else number
    device.code, device.kind, device.estate_id, device.building_id = code, kind, estate.id, building_id
    device.name_zh, device.name_en, device.attributes = name_zh, name_en, attributes
    device.active = bool(values.get("active", True))
    session.flush()
    record(session, user_id, "update" if device_id else "create", "device", str(device.id), code, now)
    return device.id
