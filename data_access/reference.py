"""Seed the editable reference data (DESIGN.md 5) into an empty store; safe to re-run."""

from __future__ import annotations

import copy
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import AlarmRule, Category, IndexMethod, IndicatorDef, Specialty, TimeLimit
from domain import catalog
from domain.catalog import DEFAULT_LIMIT_MINUTES, WORKING_TIME_GRADES
from domain.estate_index import DEFAULT_PARAMETERS

DEFAULT_ALARM_RULES = (
    # code, device kind, alarm type, severity, parameters, opens a case
    ("elevator_trapped", "elevator", "trapped_passenger", "critical", {"fault_code": "TRAPPED"}, True),
    ("elevator_door", "elevator", "door_fault", "major", {"fault_code": "DOOR"}, False),
    ("elevator_out_of_service", "elevator", "out_of_service", "major", {"fault_code": "OOS"}, False),
    # silence counts from the expected heartbeat: gateways push faults at once and a beat every N minutes
    (
        "device_silent",
        "*",
        "silent",
        "warning",
        {
            "silent_minutes": 10,
            "report_every_minutes": {"elevator": 60, "fire_pump": 60, "extinguisher": 1440, "flood_stock": 1440},
        },
        False,
    ),  # fmt: skip
    ("fire_pump_pressure", "fire_pump", "pressure_low", "critical", {"metric": "pressure_mpa", "below": 0.3}, True),
    ("extinguisher_pressure", "extinguisher", "pressure_low", "minor", {"metric": "pressure_mpa", "below": 1.0}, False),
    ("extinguisher_expiry", "extinguisher", "expiring", "minor", {"days_before": 30}, False),
    ("flood_stock_short", "flood_stock", "stock_short", "major", {"metric": "quantity"}, False),
)

# v1 of the estate index method (DESIGN.md 5.5); the rules that read it live in domain/estate_index.py
DEFAULT_INDEX_METHOD = copy.deepcopy(DEFAULT_PARAMETERS)


def seed_reference(session: Session, now: datetime) -> None:
    if session.scalar(select(Category.id).limit(1)) is None:
        session.add_all(
            Category(code=c.code, name_zh=c.name_zh, name_en=c.name_en, kind=c.kind, default_grade=c.default_grade)
            for c in catalog.CATEGORIES
        )
    if session.scalar(select(TimeLimit.id).limit(1)) is None:
        session.add_all(
            TimeLimit(grade=g, level=lvl, minutes=DEFAULT_LIMIT_MINUTES[g], working_time=g in WORKING_TIME_GRADES)
            for g in catalog.GRADES
            for lvl in catalog.LEVELS
        )
    if session.scalar(select(IndicatorDef.id).limit(1)) is None:
        session.add_all(
            IndicatorDef(
                code=i.code,
                group_code=i.group,
                name_zh=i.name_zh,
                name_en=i.name_en,
                meaning_zh=i.meaning_zh,
                meaning_en=i.meaning_en,
            )
            for i in catalog.INDICATORS
        )
    if session.scalar(select(Specialty.id).limit(1)) is None:
        session.add_all(Specialty(code=c, name_zh=zh, name_en=en) for c, zh, en in catalog.SPECIALTIES)
    if session.scalar(select(AlarmRule.id).limit(1)) is None:
        session.add_all(
            AlarmRule(code=c, device_kind=k, alarm_type=a, severity=s, parameters=p, opens_case=o)
            for c, k, a, s, p, o in DEFAULT_ALARM_RULES
        )
    if session.scalar(select(IndexMethod.id).limit(1)) is None:
        session.add(
            IndexMethod(version="v1", parameters=DEFAULT_INDEX_METHOD, created_at=now, created_by="system", active=True)
        )
    session.flush()
