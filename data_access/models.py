"""The whole domain as SQLAlchemy 2.0 typed models (DESIGN.md section 4).

Conventions:
- Times are naive and in community-local time (Asia/Shanghai; China keeps no daylight saving), so
  "today" and "this month" are plain date ranges in SQL on every engine.
- Every row belongs to a community, directly (community_id) or through its estate.
- Tables that machines write carry a natural idempotency key under a UNIQUE constraint, so a
  replayed batch inserts nothing new.
- Indexes follow the queries: community/estate + time.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


def _fk(target: str, nullable: bool = False, ondelete: str | None = None) -> Any:
    return mapped_column(ForeignKey(target, ondelete=ondelete), nullable=nullable, index=True)


# --- places -------------------------------------------------------------------------------------


class Street(Base):
    __tablename__ = "street"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    district_zh: Mapped[str] = mapped_column(String(80))
    district_en: Mapped[str] = mapped_column(String(120))


class Community(Base):
    __tablename__ = "community"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    street_id: Mapped[int] = _fk("street.id")
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    center_lat: Mapped[float] = mapped_column(Float)
    center_lon: Mapped[float] = mapped_column(Float)


class Grid(Base):
    """网格: the unit a grid worker and grid leader answer for; polygon as GeoJSON (lon, lat)."""

    __tablename__ = "grid"
    __table_args__ = (UniqueConstraint("community_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = _fk("community.id")
    code: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    polygon: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Estate(Base):
    """A residential estate (小区) or an office park (园区)."""

    __tablename__ = "estate"
    __table_args__ = (
        UniqueConstraint("community_id", "code"),
        CheckConstraint("kind IN ('residential', 'office')", name="kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = _fk("community.id")
    grid_id: Mapped[int | None] = _fk("grid.id", nullable=True)
    code: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(16))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    polygon: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Building(Base):
    __tablename__ = "building"
    __table_args__ = (UniqueConstraint("estate_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = _fk("estate.id")
    grid_id: Mapped[int | None] = _fk("grid.id", nullable=True)
    code: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    floors: Mapped[int] = mapped_column(Integer)
    units: Mapped[int] = mapped_column(Integer)  # 单元 (stairwells)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


# --- people ---------------------------------------------------------------------------------------


class Household(Base):
    __tablename__ = "household"
    __table_args__ = (UniqueConstraint("building_id", "unit", "room"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)  # import idempotency key
    building_id: Mapped[int] = _fk("building.id")
    unit: Mapped[int] = mapped_column(Integer)
    room: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(Integer)
    tenure: Mapped[str] = mapped_column(String(16), default="owner")  # owner / tenant


class Resident(Base):
    """Personal data: name and phone are shown masked unless the role needs them (audited)."""

    __tablename__ = "resident"
    __table_args__ = (CheckConstraint("gender IN ('F', 'M')", name="gender"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)
    household_id: Mapped[int] = _fk("household.id")
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str | None] = mapped_column(String(32))
    birth_year: Mapped[int] = mapped_column(Integer)
    gender: Mapped[str] = mapped_column(String(1))
    nationality: Mapped[str] = mapped_column(String(2))  # ISO 3166-1 alpha-2
    languages: Mapped[str] = mapped_column(String(80))  # comma-separated ISO 639-1
    care_tags: Mapped[str] = mapped_column(String(200), default="")  # comma-separated
    relation: Mapped[str] = mapped_column(String(16), default="self")


# --- staff, access and audit ----------------------------------------------------------------------


class User(Base):
    __tablename__ = "user_account"
    __table_args__ = (
        CheckConstraint(
            "role IN ('grid_worker','grid_leader','secretary','street_cadre','department','admin','viewer')",
            name="role",
        ),
        CheckConstraint("scope_kind IN ('community','street','district')", name="scope_kind"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    display_name: Mapped[str] = mapped_column(String(80))
    scope_kind: Mapped[str] = mapped_column(String(16), default="community")
    community_id: Mapped[int | None] = _fk("community.id", nullable=True)
    street_id: Mapped[int | None] = _fk("street.id", nullable=True)
    grid_id: Mapped[int | None] = _fk("grid.id", nullable=True)
    department: Mapped[str | None] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime)


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    __table_args__ = (Index("ix_login_attempt_user_time", "username", "attempted_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[datetime] = mapped_column(DateTime)
    success: Mapped[bool] = mapped_column(Boolean)
    remote_addr: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """Machine-API tokens, wall device tokens and Open311 api keys; only a hash is stored."""

    __tablename__ = "api_token"
    __table_args__ = (CheckConstraint("kind IN ('machine','wall','open311')", name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    community_id: Mapped[int | None] = _fk("community.id", nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    # wall tokens: what an administrator set for that screen ({"views", "rotate", "refresh", "lang"})
    settings: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class AuditLog(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_time", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime)
    user_id: Mapped[int | None] = _fk("user_account.id", nullable=True)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))  # read / reveal / update / delete / login
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)


class JobRun(Base):
    __tablename__ = "job_run"
    __table_args__ = (Index("ix_job_run_job_started", "job", "started_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    started_at: Mapped[datetime] = mapped_column(DateTime)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # running / ok / error
    rows: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)


class SchedulerNode(Base):
    """One `python -m jobs` process: the leader (holding the lock, running jobs) or a standby. Each
    beats every few seconds, so /healthz can tell a dead scheduler from a quiet one."""

    __tablename__ = "scheduler_node"
    id: Mapped[int] = mapped_column(primary_key=True)
    node: Mapped[str] = mapped_column(String(120), unique=True)  # host:pid:start
    role: Mapped[str] = mapped_column(String(16))  # leader / standby / stopped
    started_at: Mapped[datetime] = mapped_column(DateTime)
    beat_at: Mapped[datetime] = mapped_column(DateTime)
    leader_since: Mapped[datetime | None] = mapped_column(DateTime)


class Notification(Base):
    """In-app inbox; an SMS or WeChat notifier would send the same rows."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = _fk("user_account.id")
    event_id: Mapped[int | None] = _fk("event.id", nullable=True)
    kind: Mapped[str] = mapped_column(String(32))
    message_zh: Mapped[str] = mapped_column(String(300))
    message_en: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- governance -----------------------------------------------------------------------------------


class Category(Base):
    __tablename__ = "category"
    __table_args__ = (CheckConstraint("default_grade IN ('urgent','priority','routine')", name="grade"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))
    default_grade: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class TimeLimit(Base):
    """How long a case of a grade may stay at a level before the escalation job moves it up."""

    __tablename__ = "time_limit"
    __table_args__ = (UniqueConstraint("grade", "level"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    grade: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer)
    minutes: Mapped[int] = mapped_column(Integer)
    working_time: Mapped[bool] = mapped_column(Boolean)  # False: on the clock


class Event(Base):
    """A case (事件): one reported problem, from intake to closure."""

    __tablename__ = "event"
    __table_args__ = (
        UniqueConstraint("source", "source_ref"),
        CheckConstraint("grade IN ('urgent','priority','routine')", name="grade"),
        CheckConstraint(
            "status IN ('reported','in_progress','resolved','closed','rejected','duplicate')", name="status"
        ),
        CheckConstraint("level BETWEEN 1 AND 4", name="level"),
        Index("ix_event_community_reported", "community_id", "reported_at"),
        Index("ix_event_community_status_due", "community_id", "status", "due_at"),
        Index("ix_event_grid_status", "grid_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    source: Mapped[str] = mapped_column(String(16))
    source_ref: Mapped[str] = mapped_column(String(80))  # natural key within the source
    category_id: Mapped[int] = _fk("category.id")
    grade: Mapped[str] = mapped_column(String(16))
    grade_confidence: Mapped[float | None] = mapped_column(Float)
    grade_cues: Mapped[list[Any] | None] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text)
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    estate_id: Mapped[int | None] = _fk("estate.id", nullable=True)
    building_id: Mapped[int | None] = _fk("building.id", nullable=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    status: Mapped[str] = mapped_column(String(16))
    level: Mapped[int] = mapped_column(Integer, default=1)
    holder_id: Mapped[int | None] = _fk("user_account.id", nullable=True)
    reporter_contact: Mapped[str | None] = mapped_column(String(120))  # personal data
    reported_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    escalation_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_of_id: Mapped[int | None] = _fk("event.id", nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class EventAction(Base):
    """The trail (流转记录): one row per step, written in the same transaction as the case."""

    __tablename__ = "event_action"
    __table_args__ = (Index("ix_event_action_event_at", "event_id", "at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[int | None] = _fk("user_account.id", nullable=True)
    actor_label: Mapped[str] = mapped_column(String(40))  # who, when not a user: system, resident...
    action: Mapped[str] = mapped_column(String(24))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    from_level: Mapped[int | None] = mapped_column(Integer)
    to_level: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)


class EventPhoto(Base):
    __tablename__ = "event_photo"
    __table_args__ = (UniqueConstraint("event_id", "sha256"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = _fk("event.id", ondelete="CASCADE")
    action_id: Mapped[int | None] = _fk("event_action.id", nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    mime: Mapped[str] = mapped_column(String(32))
    bytes: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(16))  # report / resolve
    created_at: Mapped[datetime] = mapped_column(DateTime)


class GradeOverride(Base):
    """Staff corrections of the automatic grading, kept as training data."""

    __tablename__ = "grade_override"
    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = _fk("event.id", ondelete="CASCADE")
    user_id: Mapped[int] = _fk("user_account.id")
    at: Mapped[datetime] = mapped_column(DateTime)
    old_category: Mapped[str] = mapped_column(String(40))
    new_category: Mapped[str] = mapped_column(String(40))
    old_grade: Mapped[str] = mapped_column(String(16))
    new_grade: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)


class CaseDailyRollup(Base):
    """Maintained by the `rollups` job so charts and the wall never scan raw cases."""

    __tablename__ = "case_daily_rollup"
    __table_args__ = (UniqueConstraint("community_id", "day", "category_id", "source"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    day: Mapped[date] = mapped_column(Date)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"))
    source: Mapped[str] = mapped_column(String(16))
    opened: Mapped[int] = mapped_column(Integer)
    closed: Mapped[int] = mapped_column(Integer)
    closed_on_time: Mapped[int] = mapped_column(Integer)


# --- parking ----------------------------------------------------------------------------------


class ParkingLot(Base):
    """A lot and its sharing settings (DESIGN.md 5.4), stored as data per lot."""

    __tablename__ = "parking_lot"
    __table_args__ = (
        UniqueConstraint("estate_id", "code"),
        CheckConstraint("share_window IN ('day','night')", name="share_window"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = _fk("estate.id")
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int] = mapped_column(Integer)
    share_window: Mapped[str] = mapped_column(String(8))
    window_start: Mapped[str] = mapped_column(String(5))  # "08:00"
    window_end: Mapped[str] = mapped_column(String(5))  # "18:00"; before start means overnight
    weekdays_only: Mapped[bool] = mapped_column(Boolean, default=True)
    quantile: Mapped[float] = mapped_column(Float, default=0.9)
    history_weeks: Mapped[int] = mapped_column(Integer, default=8)
    safety_buffer: Mapped[int] = mapped_column(Integer, default=0)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class ParkingSample(Base):
    __tablename__ = "parking_sample"
    __table_args__ = (UniqueConstraint("lot_id", "sampled_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("parking_lot.id"))
    sampled_at: Mapped[datetime] = mapped_column(DateTime)
    occupied: Mapped[int] = mapped_column(Integer)
    # of `occupied`, the cars of shared-parking permit holders, when the gate knows them by plate; the
    # parking job leaves them out of the lot's own use, so sharing does not shrink what it shares
    shared: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16), default="counter")


class ShareableCapacity(Base):
    """One computed result of the `parking` job, with the parameters and data span it used."""

    __tablename__ = "shareable_capacity"
    __table_args__ = (
        Index("ix_shareable_lot_computed", "lot_id", "computed_at"),
        # a run's natural key: two runs for the same time (a replay, or two schedulers racing) update one row
        UniqueConstraint("lot_id", "share_window", "computed_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("parking_lot.id"))
    share_window: Mapped[str] = mapped_column(String(8))
    computed_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # published / withheld
    shareable: Mapped[int | None] = mapped_column(Integer)
    peak: Mapped[float | None] = mapped_column(Float)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    data_from: Mapped[datetime | None] = mapped_column(DateTime)
    data_to: Mapped[datetime | None] = mapped_column(DateTime)
    samples_used: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str | None] = mapped_column(Text)
    job_run_id: Mapped[int | None] = mapped_column(ForeignKey("job_run.id"))


class ParkingPermit(Base):
    __tablename__ = "parking_permit"
    __table_args__ = (
        CheckConstraint("status IN ('pending','granted','waitlisted','withdrawn','cancelled')", name="status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    community_id: Mapped[int] = _fk("community.id")
    applicant_kind: Mapped[str] = mapped_column(String(16))  # resident / employee
    applicant_name: Mapped[str] = mapped_column(String(80))  # personal data
    plate: Mapped[str] = mapped_column(String(16))  # personal data
    contact: Mapped[str | None] = mapped_column(String(120))
    share_window: Mapped[str] = mapped_column(String(8))
    preferences: Mapped[list[Any]] = mapped_column(JSON)  # ranked lot codes
    status: Mapped[str] = mapped_column(String(16))
    lot_id: Mapped[int | None] = _fk("parking_lot.id", nullable=True)
    applied_at: Mapped[datetime] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- IoT, door access, welfare ----------------------------------------------------------------


class Device(Base):
    __tablename__ = "device"
    __table_args__ = (CheckConstraint("kind IN ('elevator','fire_pump','extinguisher','flood_stock')", name="kind"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)  # the id gateways send
    kind: Mapped[str] = mapped_column(String(16))
    estate_id: Mapped[int] = _fk("estate.id")
    building_id: Mapped[int | None] = _fk("building.id", nullable=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # expiry, required qty...
    installed_on: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Telemetry(Base):
    __tablename__ = "telemetry"
    __table_args__ = (
        UniqueConstraint("device_id", "ts", "metric"),
        Index("ix_telemetry_device_ts", "device_id", "ts"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    ts: Mapped[datetime] = mapped_column(DateTime)
    metric: Mapped[str] = mapped_column(String(40))
    value: Mapped[float | None] = mapped_column(Float)
    fault_code: Mapped[str | None] = mapped_column(String(40))


class DeviceStatus(Base):
    """The latest reading per device and metric, kept by ingestion, so the every-minute alarm job and
    the devices page never scan raw telemetry (tens of millions of rows at district scale)."""

    __tablename__ = "device_status"
    __table_args__ = (UniqueConstraint("device_id", "metric"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    metric: Mapped[str] = mapped_column(String(40))
    ts: Mapped[datetime] = mapped_column(DateTime)
    value: Mapped[float | None] = mapped_column(Float)
    fault_code: Mapped[str | None] = mapped_column(String(40))


class AlarmRule(Base):
    __tablename__ = "alarm_rule"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    device_kind: Mapped[str] = mapped_column(String(16))
    alarm_type: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(16))
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    opens_case: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Alarm(Base):
    """ThingsBoard-style alarm: one active alarm per device and type (partial unique index)."""

    __tablename__ = "alarm"
    __table_args__ = (
        CheckConstraint("severity IN ('critical','major','minor','warning')", name="severity"),
        CheckConstraint("status IN ('active','cleared')", name="status"),
        Index(
            "uq_alarm_active_device_type",
            "device_id",
            "alarm_type",
            unique=True,
            sqlite_where=text("status = 'active'"),
            postgresql_where=text("status = 'active'"),
        ),
        Index("ix_alarm_status_raised", "status", "raised_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("device.id"))
    alarm_type: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    acknowledged: Mapped[bool] = mapped_column(Boolean, default=False)
    raised_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(DateTime)
    repeat_count: Mapped[int] = mapped_column(Integer, default=1)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)  # the acknowledgement note
    event_id: Mapped[int | None] = _fk("event.id", nullable=True)
    cleared_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: cleared by the job
    clear_note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # what the rule saw: reading, threshold, evidence


class AccessEvent(Base):
    """Pseudonymous door event: person id, gate, direction, time. Never images or face templates."""

    __tablename__ = "access_event"
    __table_args__ = (
        UniqueConstraint("source", "source_id"),
        CheckConstraint("direction IN ('in','out')", name="direction"),
        Index("ix_access_event_community_at", "community_id", "at"),
        Index("ix_access_event_person_at", "person_pid", "at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    source: Mapped[str] = mapped_column(String(40))
    source_id: Mapped[str] = mapped_column(String(80))
    person_pid: Mapped[str] = mapped_column(String(64))
    gate: Mapped[str] = mapped_column(String(40))
    direction: Mapped[str] = mapped_column(String(3))
    at: Mapped[datetime] = mapped_column(DateTime)


class WelfareWatch(Base):
    """Opt-in watch over a vulnerable resident, with the consent recorded."""

    __tablename__ = "welfare_watch"
    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = _fk("resident.id")
    person_pid: Mapped[str] = mapped_column(String(64), unique=True)
    threshold_hours: Mapped[int] = mapped_column(Integer, default=24)
    consent_at: Mapped[datetime] = mapped_column(DateTime)
    consent_given_by: Mapped[str] = mapped_column(String(80))  # the resident or a guardian
    consent_recorded_by: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    consent_basis: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)


class WelfareAway(Base):
    __tablename__ = "welfare_away"
    id: Mapped[int] = mapped_column(primary_key=True)
    watch_id: Mapped[int] = _fk("welfare_watch.id")
    starts_at: Mapped[datetime] = mapped_column(DateTime)
    ends_at: Mapped[datetime] = mapped_column(DateTime)


class WelfareAlert(Base):
    """A visit task for the grid worker; one open task per watch (partial unique index)."""

    __tablename__ = "welfare_alert"
    __table_args__ = (
        Index(
            "uq_welfare_alert_open_watch",
            "watch_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    watch_id: Mapped[int] = _fk("welfare_watch.id")
    raised_at: Mapped[datetime] = mapped_column(DateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16))  # open / visited / closed
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime)
    note: Mapped[str | None] = mapped_column(Text)
    # kept on the task because the door events behind it are deleted after the retention period
    last_activity_at: Mapped[datetime | None] = mapped_column(DateTime)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


# --- estate running index ---------------------------------------------------------------------


class Ballot(Base):
    """One household's monthly vote: seven aspects, 1-5 each."""

    __tablename__ = "ballot"
    __table_args__ = (
        UniqueConstraint("household_id", "month"),
        Index("ix_ballot_estate_month", "estate_id", "month"),
        *(
            CheckConstraint(f"{a} BETWEEN 1 AND 5", name=a)
            for a in (
                "fire_safety",
                "elevator",
                "garbage_sorting",
                "property_management",
                "sanitation",
                "epidemic_prevention",
                "dog_keeping",
            )
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    estate_id: Mapped[int] = mapped_column(ForeignKey("estate.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    fire_safety: Mapped[int] = mapped_column(Integer)
    elevator: Mapped[int] = mapped_column(Integer)
    garbage_sorting: Mapped[int] = mapped_column(Integer)
    property_management: Mapped[int] = mapped_column(Integer)
    sanitation: Mapped[int] = mapped_column(Integer)
    epidemic_prevention: Mapped[int] = mapped_column(Integer)
    dog_keeping: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    cast_at: Mapped[datetime] = mapped_column(DateTime)


class IndicatorDef(Base):
    __tablename__ = "indicator"
    __table_args__ = (CheckConstraint("group_code IN ('property','committee')", name="group_code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    group_code: Mapped[str] = mapped_column(String(16))
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))
    meaning_zh: Mapped[str] = mapped_column(String(200))
    meaning_en: Mapped[str] = mapped_column(String(200))
    higher_is_better: Mapped[bool] = mapped_column(Boolean, default=True)
    weight: Mapped[float] = mapped_column(Float, default=1.0)


class IndicatorScore(Base):
    __tablename__ = "indicator_score"
    __table_args__ = (
        UniqueConstraint("estate_id", "indicator_id", "month"),
        CheckConstraint("score BETWEEN 0 AND 100", name="score"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estate.id"))
    indicator_id: Mapped[int] = mapped_column(ForeignKey("indicator.id"))
    month: Mapped[str] = mapped_column(String(7))
    score: Mapped[float] = mapped_column(Float)
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(DateTime)


class IndexMethod(Base):
    """A versioned method: weights, thresholds and turnout floor. Results name their version."""

    __tablename__ = "index_method"
    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(16), unique=True)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=False)


class EstateIndex(Base):
    __tablename__ = "estate_index"
    __table_args__ = (UniqueConstraint("estate_id", "month", "method_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estate.id"))
    month: Mapped[str] = mapped_column(String(7))
    method_version: Mapped[str] = mapped_column(String(16))
    value: Mapped[float | None] = mapped_column(Float)
    resident_sub: Mapped[float | None] = mapped_column(Float)
    property_sub: Mapped[float | None] = mapped_column(Float)
    committee_sub: Mapped[float | None] = mapped_column(Float)
    coverage: Mapped[float] = mapped_column(Float)
    level: Mapped[str] = mapped_column(String(8))  # green / yellow / red
    rank: Mapped[int | None] = mapped_column(Integer)
    rank_low: Mapped[int | None] = mapped_column(Integer)
    rank_high: Mapped[int | None] = mapped_column(Integer)
    turnout: Mapped[float] = mapped_column(Float)
    low_turnout: Mapped[bool] = mapped_column(Boolean, default=False)
    components: Mapped[dict[str, Any]] = mapped_column(JSON)
    computed_at: Mapped[datetime] = mapped_column(DateTime)


class Rectification(Base):
    __tablename__ = "rectification"
    __table_args__ = (UniqueConstraint("estate_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = _fk("estate.id")
    month: Mapped[str] = mapped_column(String(7))  # the red month that opened it
    status: Mapped[str] = mapped_column(String(16))  # open / closed
    interview_on: Mapped[date | None] = mapped_column(Date)
    attendees: Mapped[list[Any]] = mapped_column(JSON, default=list)
    items: Mapped[list[Any]] = mapped_column(JSON, default=list)
    due_on: Mapped[date | None] = mapped_column(Date)
    follow_up: Mapped[list[Any]] = mapped_column(JSON, default=list)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- services ---------------------------------------------------------------------------------


class Specialty(Base):
    __tablename__ = "specialty"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(120))


class Talent(Base):
    """A volunteer or expert of the 360 library; the contact is personal data."""

    __tablename__ = "talent"
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = _fk("community.id")
    name: Mapped[str] = mapped_column(String(80))
    contact: Mapped[str | None] = mapped_column(String(64))
    team: Mapped[str] = mapped_column(String(80))
    specialties: Mapped[list[Any]] = mapped_column(JSON)  # specialty codes
    languages: Mapped[list[Any]] = mapped_column(JSON)  # ISO 639-1
    availability: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"mon": ["09:00-12:00"], ...}
    load_limit: Mapped[int] = mapped_column(Integer, default=3)
    bio_zh: Mapped[str | None] = mapped_column(String(300))
    bio_en: Mapped[str | None] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    joined_on: Mapped[date] = mapped_column(Date)


class ServiceRequest(Base):
    __tablename__ = "service_request"
    __table_args__ = (
        CheckConstraint("status IN ('requested','matched','scheduled','done','rated','cancelled')", name="status"),
        Index("ix_service_request_community_at", "community_id", "requested_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    specialty_code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    preferred_times: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[str | None] = mapped_column(String(120))  # personal data
    status: Mapped[str] = mapped_column(String(16))
    talent_id: Mapped[int | None] = _fk("talent.id", nullable=True)
    requested_at: Mapped[datetime] = mapped_column(DateTime)
    matched_at: Mapped[datetime | None] = mapped_column(DateTime)
    scheduled_for: Mapped[datetime | None] = mapped_column(DateTime)
    done_at: Mapped[datetime | None] = mapped_column(DateTime)
    rating: Mapped[int | None] = mapped_column(Integer)
    rating_comment: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None] = mapped_column(DateTime)
    language_gap: Mapped[bool] = mapped_column(Boolean, default=False)  # nobody with the specialty spoke it
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # the public form's one-time id ("web:<id>"): a resubmitted form finds its request instead of adding one
    submission_ref: Mapped[str | None] = mapped_column(String(80), unique=True)


class ServiceAction(Base):
    """The trail of a service request: who did what and when; a match keeps the reasons it was made on
    (the chosen person's and the runner-up's scores as they stood), so "why" survives later changes."""

    __tablename__ = "service_action"
    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = _fk("service_request.id")
    at: Mapped[datetime] = mapped_column(DateTime)
    actor_id: Mapped[int | None] = _fk("user_account.id", nullable=True)
    actor_label: Mapped[str] = mapped_column(String(20))  # resident / system / the staff member's role
    action: Mapped[str] = mapped_column(String(20))  # request / match / schedule / done / rate / cancel
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    talent_id: Mapped[int | None] = _fk("talent.id", nullable=True)
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)


# --- notices --------------------------------------------------------------------------------------


class OutboxMessage(Base):
    """A notice waiting for a gateway (SMS now, WeChat later), in both languages; the recipient is
    personal data. A gateway sends the rows whose sent_at is empty and stamps them."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_created_at", "created_at"),
        Index("ix_outbox_message_ref", "ref"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))  # sms / wechat
    recipient: Mapped[str] = mapped_column(String(120))
    subject_key: Mapped[str] = mapped_column(String(80))
    body_zh: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    ref: Mapped[str] = mapped_column(String(80))  # what it is about, e.g. "permit:PK7G2M9QXA"
    created_at: Mapped[datetime] = mapped_column(DateTime)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
