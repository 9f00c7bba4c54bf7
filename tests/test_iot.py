"""IoT devices: the alarm rules and lifecycle with a frozen clock, a critical alarm opening an urgent case,
acknowledging and clearing, idempotent telemetry through the API, flood stock and extinguisher expiry."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from data_access.alarms import AlarmActionError, acknowledge, clear
from data_access.db import reading, writing
from data_access.devices import store_readings
from data_access.models import Alarm, AuditLog, Category, Device, DeviceStatus, Event, Notification, Telemetry
from data_access.tokens import issue_token
from domain.alarms import (
    AlarmState,
    Condition,
    DeviceView,
    Reading,
    Rule,
    evaluate,
    flood_phase,
    next_step,
    required_stock,
)
from domain.iot import CleanReading, check_readings
from jobs import iot_alarms
from tests.factories import NOW, tiny_community

T0 = NOW  # 2026-11-25 10:00, outside the flood season


def add_devices(engine, place: dict) -> dict[str, int]:
    """An elevator, a fire pump, an extinguisher and a flood store in the tiny community's building."""
    specs = [
        ("EL-1", "elevator", {}),
        ("FP-1", "fire_pump", {}),
        ("EX-1", "extinguisher", {"expires_on": (T0.date() + timedelta(days=400)).isoformat()}),
        ("FS-1", "flood_stock", {"item": "sandbags", "required_qty": 100, "flood_season_required_qty": 200}),
    ]
    ids = {}
    with writing(engine) as s:
        for code, kind, attrs in specs:
            d = Device(code=code, kind=kind, estate_id=place["estate_id"], building_id=place["building_id"],
                       name_zh=f"设备{code}", name_en=f"Device {code}", attributes=attrs, active=True)  # fmt: skip
            s.add(d)
            s.flush()
            ids[code] = d.id
    return ids


def post(engine, ids: dict, *readings: tuple) -> int:
    """(code, ts, metric, value, fault) readings stored as the API stores them."""
    with writing(engine) as s:
        return store_readings(s, [CleanReading(c, ts, m, v, f) for c, ts, m, v, f in readings], ids)


def heartbeat(engine, ids: dict, at: datetime) -> None:
    post(engine, ids, ("EL-1", at, "status", 0.0, None), ("FP-1", at, "pressure_mpa", 0.7, None),
         ("EX-1", at, "pressure_mpa", 1.3, None), ("FS-1", at, "quantity", 250.0, None))  # fmt: skip


def alarms(engine, code: str | None = None) -> list[Alarm]:
    with reading(engine) as s:
        query = select(Alarm).join(Device, Device.id == Alarm.device_id).order_by(Alarm.id)
        if code:
            query = query.where(Device.code == code)
        rows = list(s.scalars(query))
        s.expunge_all()
        return rows


@pytest.fixture
def site(engine):
    place = tiny_community(engine)
    ids = add_devices(engine, place)
    heartbeat(engine, ids, T0 - timedelta(minutes=5))
    return engine, place, ids


# --- the rules, pure ---------------------------------------------------------------------------------


def _view(kind: str, attrs: dict | None = None, **latest: Reading) -> DeviceView:
    return DeviceView(1, kind, attrs or {}, latest)


def test_each_default_rule_checks_what_design_says():
    trapped = Rule("t", "elevator", "trapped_passenger", "critical", {"fault_code": "TRAPPED"}, True)
    assert evaluate(trapped, _view("elevator", status=Reading(T0, 1, "TRAPPED")), T0).holds
    assert not evaluate(trapped, _view("elevator", status=Reading(T0, 1, "DOOR")), T0).holds
    assert not evaluate(trapped, _view("elevator"), T0).holds  # never reported: nothing to say

    pump = Rule("p", "fire_pump", "pressure_low", "critical", {"metric": "pressure_mpa", "below": 0.3})
    assert evaluate(pump, _view("fire_pump", pressure_mpa=Reading(T0, 0.29, None)), T0).holds
    assert not evaluate(pump, _view("fire_pump", pressure_mpa=Reading(T0, 0.3, None)), T0).holds

    expiry = Rule("e", "extinguisher", "expiring", "minor", {"days_before": 30})
    in_30 = _view("extinguisher", {"expires_on": (T0.date() + timedelta(days=30)).isoformat()})
    in_31 = _view("extinguisher", {"expires_on": (T0.date() + timedelta(days=31)).isoformat()})
    expired = _view("extinguisher", {"expires_on": (T0.date() - timedelta(days=3)).isoformat()})
    assert evaluate(expiry, in_30, T0).holds and evaluate(expiry, expired, T0).holds
    assert not evaluate(expiry, in_31, T0).holds

    silent = Rule("s", "*", "silent", "warning", {"silent_minutes": 10, "report_every_minutes": {"elevator": 60}})
    seen = _view("elevator", status=Reading(T0, 0, None))
    assert not evaluate(silent, seen, T0 + timedelta(minutes=70)).holds
    late = evaluate(silent, seen, T0 + timedelta(minutes=71))
    assert late.holds and late.since == T0 + timedelta(minutes=70)
    own_interval = _view("elevator", {"report_every_minutes": 5}, status=Reading(T0, 0, None))
    assert evaluate(silent, own_interval, T0 + timedelta(minutes=16)).holds


def test_flood_stock_is_measured_against_the_phase_requirement():
    season = ("04-15", "10-15")
    assert flood_phase(date(2026, 3, 15), season, 30) == "off"
    assert flood_phase(date(2026, 3, 16), season, 30) == "prep"
    assert flood_phase(date(2026, 4, 15), season, 30) == "season"
    assert flood_phase(date(2026, 10, 15), season, 30) == "season"
    assert flood_phase(date(2026, 10, 16), season, 30) == "off"
    attrs = {"required_qty": 100, "flood_season_required_qty": 200}
    assert (required_stock(attrs, "prep"), required_stock(attrs, "season"), required_stock(attrs, "off")) == (
        100,
        200,
        None,
    )
    rule = Rule("f", "flood_stock", "stock_short", "major", {"metric": "quantity"})
    store = _view("flood_stock", attrs, quantity=Reading(datetime(2026, 3, 20), 150, None))
    assert not evaluate(rule, store, datetime(2026, 3, 20, 9)).holds  # 150 >= 100 before the season
    assert evaluate(rule, store, datetime(2026, 5, 1, 9)).holds  # 150 < 200 in it
    assert not evaluate(rule, store, datetime(2026, 11, 1, 9)).holds  # nothing required off season


def test_the_lifecycle_steps():
    holds = Condition(True, "a", T0)
    assert next_step(None, holds, T0 + timedelta(minutes=1)).action == "raise"
    active = AlarmState(1, "active", T0, "a")
    assert next_step(active, holds, T0).action == "refresh"
    assert next_step(active, Condition(True, "b", T0), T0).action == "repeat"
    ended = next_step(active, Condition(False, "c", T0 + timedelta(minutes=3)), T0 + timedelta(minutes=5))
    assert ended.action == "clear" and ended.at == T0 + timedelta(minutes=3)
    by_hand = AlarmState(1, "cleared", T0, "a", manually_cleared=True)
    assert next_step(by_hand, holds, T0).action == "none"  # nothing new since a person cleared it
    assert next_step(by_hand, Condition(True, "b", T0), T0).action == "raise"
    auto = AlarmState(1, "cleared", T0, "a", manually_cleared=False)
    assert next_step(auto, holds, T0).action == "raise"


# --- the job with a frozen clock ----------------------------------------------------------------------


def test_trapped_passenger_raises_a_critical_alarm_and_one_urgent_case(site):
    engine, place, ids = site
    assert iot_alarms.run(engine, T0)["raised"] == 0  # all readings normal

    post(engine, ids, ("EL-1", T0 + timedelta(seconds=30), "status", 1.0, "TRAPPED"))
    summary = iot_alarms.run(engine, T0 + timedelta(minutes=1))
    assert summary["raised"] == 1 and summary["cases"] == 1
    [alarm] = alarms(engine, "EL-1")
    assert (alarm.alarm_type, alarm.severity, alarm.status, alarm.acknowledged) == (
        "trapped_passenger",
        "critical",
        "active",
        False,
    )
    assert alarm.raised_at == T0 + timedelta(seconds=30)  # when the reading said so
    with reading(engine) as s:
        case = s.get(Event, alarm.event_id)
        category = s.scalar(select(Category.code).where(Category.id == case.category_id))
        assert (case.source, case.source_ref, case.grade, category) == (
            "iot",
            f"alarm:{alarm.id}",
            "urgent",
            "elevator_fault",
        )
        assert (case.grid_id, case.building_id, case.status, case.level) == (
            place["grid_id"],
            place["building_id"],
            "reported",
            1,
        )
        assert case.holder_id == place["users"]["grid_worker"]
        assert case.due_at == case.reported_at + timedelta(minutes=30)  # urgent runs on the clock
        assert "EL-1" in case.description and "电梯困人" in case.description
        assert s.scalar(select(func.count(Notification.id)).where(Notification.event_id == case.id)) == 1

    # the same minute again changes nothing; a second trapped reading repeats the one alarm
    assert iot_alarms.run(engine, T0 + timedelta(minutes=1))["raised"] == 0
    post(engine, ids, ("EL-1", T0 + timedelta(minutes=1, seconds=30), "status", 1.0, "TRAPPED"))
    assert iot_alarms.run(engine, T0 + timedelta(minutes=2))["repeated"] == 1
    [alarm] = alarms(engine, "EL-1")
    assert alarm.repeat_count == 2 and alarm.status == "active"
    with reading(engine) as s:
        assert s.scalar(select(func.count(Event.id)).where(Event.source == "iot")) == 1

    # the condition ends: the alarm clears by itself at the time of the reading that ended it
    post(engine, ids, ("EL-1", T0 + timedelta(minutes=20), "status", 0.0, None))
    assert iot_alarms.run(engine, T0 + timedelta(minutes=21))["cleared"] == 1
    [alarm] = alarms(engine, "EL-1")
    assert alarm.status == "cleared" and alarm.cleared_at == T0 + timedelta(minutes=20) and alarm.cleared_by is None

    # trapped again later: a new alarm and a new case
    post(engine, ids, ("EL-1", T0 + timedelta(hours=2), "status", 1.0, "TRAPPED"))
    iot_alarms.run(engine, T0 + timedelta(hours=2, minutes=1))
    assert [a.status for a in alarms(engine, "EL-1")] == ["cleared", "active"]
    with reading(engine) as s:
        assert s.scalar(select(func.count(Event.id)).where(Event.source == "iot")) == 2


def test_fire_pump_pressure_opens_a_fire_equipment_case_and_minor_rules_open_none(site):
    engine, _place, ids = site
    post(engine, ids, ("FP-1", T0, "pressure_mpa", 0.21, None), ("EX-1", T0, "pressure_mpa", 0.8, None))
    summary = iot_alarms.run(engine, T0 + timedelta(minutes=1))
    assert summary["raised"] == 2 and summary["cases"] == 1
    [pump] = alarms(engine, "FP-1")
    [extinguisher] = alarms(engine, "EX-1")
    assert pump.severity == "critical" and pump.detail["value"] == 0.21 and pump.detail["limit"] == 0.3
    assert extinguisher.severity == "minor" and extinguisher.event_id is None
    with reading(engine) as s:
        code = s.scalar(
            select(Category.code).join(Event, Event.category_id == Category.id).where(Event.id == pump.event_id)
        )
        assert code == "fire_equipment"


def test_a_device_that_stops_reporting_goes_silent_and_comes_back(site):
    engine, _place, ids = site
    last = T0 - timedelta(minutes=5)
    iot_alarms.run(engine, last + timedelta(minutes=70))
    assert alarms(engine, "EL-1") == []
    iot_alarms.run(engine, last + timedelta(minutes=71))
    [silent] = alarms(engine, "EL-1")
    assert silent.alarm_type == "silent" and silent.severity == "warning"
    assert silent.raised_at == last + timedelta(minutes=70)
    assert {a.alarm_type for a in alarms(engine, "FP-1")} == {"silent"}
    assert alarms(engine, "EX-1") == []  # a daily reporter is not silent after an hour
    post(engine, ids, ("EL-1", T0 + timedelta(minutes=80), "status", 0.0, None))
    iot_alarms.run(engine, T0 + timedelta(minutes=81))
    assert alarms(engine, "EL-1")[0].status == "cleared"


def test_expiry_and_flood_stock_follow_the_attributes_and_the_season(site, engine):
    _engine, _place, ids = site
    with writing(engine) as s:
        s.get(Device, ids["EX-1"]).attributes = {"expires_on": (T0.date() + timedelta(days=12)).isoformat()}
    post(engine, ids, ("FS-1", T0, "quantity", 150.0, None))
    iot_alarms.run(engine, T0)
    assert [a.alarm_type for a in alarms(engine, "EX-1")] == ["expiring"]
    assert alarms(engine, "FS-1") == []  # November: off season, nothing required
    may = datetime(2027, 5, 3, 9)
    post(engine, ids, ("FS-1", may, "quantity", 150.0, None), ("EL-1", may, "status", 0.0, None),
         ("FP-1", may, "pressure_mpa", 0.7, None))  # fmt: skip
    iot_alarms.run(engine, may)
    [short] = alarms(engine, "FS-1")
    assert (short.alarm_type, short.severity, short.detail["required"], short.detail["phase"]) == (
        "stock_short",
        "major",
        200,
        "season",
    )
    post(engine, ids, ("FS-1", may + timedelta(hours=1), "quantity", 260.0, None))
    iot_alarms.run(engine, may + timedelta(hours=1))
    assert alarms(engine, "FS-1")[0].status == "cleared"


def test_staff_acknowledge_and_clear_with_a_note_and_the_server_checks_role_and_scope(site):
    engine, place, ids = site
    other = tiny_community(engine, code="c2")
    post(engine, ids, ("FP-1", T0, "pressure_mpa", 0.2, None))
    iot_alarms.run(engine, T0 + timedelta(minutes=1))
    [alarm] = alarms(engine, "FP-1")
    users = place["users"]
    with pytest.raises(AlarmActionError, match="forbidden"), writing(engine) as s:
        acknowledge(s, users["viewer"], alarm.id, None, T0)
    with pytest.raises(AlarmActionError, match="not_found"), writing(engine) as s:
        acknowledge(s, other["users"]["secretary"], alarm.id, None, T0)
    with pytest.raises(AlarmActionError, match="note_required"), writing(engine) as s:
        clear(s, users["grid_worker"], alarm.id, "  ", T0)
    with writing(engine) as s:
        acknowledge(s, users["grid_worker"], alarm.id, "维保已出发", T0 + timedelta(minutes=2))
    with pytest.raises(AlarmActionError, match="already_acknowledged"), writing(engine) as s:
        acknowledge(s, users["grid_leader"], alarm.id, None, T0)
    [alarm] = alarms(engine, "FP-1")
    assert (alarm.acknowledged, alarm.acknowledged_by, alarm.acknowledged_at, alarm.note, alarm.status) == (
        True,
        users["grid_worker"],
        T0 + timedelta(minutes=2),
        "维保已出发",
        "active",
    )
    with writing(engine) as s:
        clear(s, users["grid_leader"], alarm.id, "已更换减压阀", T0 + timedelta(minutes=30))
    [alarm] = alarms(engine, "FP-1")
    assert (alarm.status, alarm.cleared_by, alarm.clear_note) == ("cleared", users["grid_leader"], "已更换减压阀")
    # the pump still reports the same low reading: a hand-cleared alarm is not raised again on old evidence...
    assert iot_alarms.run(engine, T0 + timedelta(minutes=31))["raised"] == 0
    # ...but a new low reading raises a new one
    post(engine, ids, ("FP-1", T0 + timedelta(minutes=40), "pressure_mpa", 0.2, None))
    assert iot_alarms.run(engine, T0 + timedelta(minutes=41))["raised"] == 1
    with reading(engine) as s:
        actions = list(s.scalars(select(AuditLog.detail).where(AuditLog.entity == "alarm").order_by(AuditLog.id)))
    assert actions == ["acknowledge", "clear"]


# --- telemetry through the API --------------------------------------------------------------------------


def _client(engine, tmp_path):
    from app import create_app

    app = create_app({"instance_dir": str(tmp_path / "instance"),
                      "database_url": engine.url.render_as_string(hide_password=False)})  # fmt: skip
    app.server.config["TESTING"] = True
    return app


def test_telemetry_api_is_authenticated_all_or_nothing_and_idempotent(site, tmp_path):
    engine, place, _ids = site
    other = tiny_community(engine, code="c2", with_users=False)
    with writing(engine) as s:
        token = issue_token(s, "machine", "gateway", T0, place["community_id"])
        foreign = issue_token(s, "machine", "other gateway", T0, other["community_id"])
        wall = issue_token(s, "wall", "wall", T0, place["community_id"])
    client = _client(engine, tmp_path).server.test_client()
    at = (datetime.now().replace(microsecond=0) - timedelta(hours=12)).isoformat()
    batch = {"readings": [{"device": "EL-1", "ts": at, "metric": "status", "value": 1, "fault_code": "TRAPPED"},
                          {"device": "FP-1", "ts": at, "metric": "pressure_mpa", "value": 0.66}]}  # fmt: skip
    with reading(engine) as s:
        before = s.scalar(select(func.count(Telemetry.id)))
    assert client.post("/api/v1/telemetry", json=batch).status_code == 401
    assert client.post("/api/v1/telemetry", json=batch, headers={"Authorization": f"Bearer {wall}"}).status_code == 401
    # another community's token does not know these devices
    refused = client.post("/api/v1/telemetry", json=batch, headers={"Authorization": f"Bearer {foreign}"})
    assert refused.status_code == 400 and refused.get_json()["error"]["details"][0]["code"] == "unknown_device"

    auth = {"Authorization": f"Bearer {token}"}
    bad = {"readings": [*batch["readings"], {"device": "EL-1", "ts": "yesterday", "metric": "Status"}]}
    response = client.post("/api/v1/telemetry", json=bad, headers=auth)
    assert response.status_code == 400
    codes = {(d["row"], d["field"], d["code"]) for d in response.get_json()["error"]["details"]}
    assert {(2, "ts", "bad_time"), (2, "metric", "bad_metric"), (2, "value", "missing")} <= codes
    with reading(engine) as s:
        assert s.scalar(select(func.count(Telemetry.id))) == before  # nothing of the batch was stored

    first = client.post("/api/v1/telemetry", json=batch, headers=auth).get_json()
    assert first == {"received": 2, "stored": 2, "already_stored": 0}
    replay = client.post("/api/v1/telemetry", json=batch, headers=auth).get_json()
    assert replay == {"received": 2, "stored": 0, "already_stored": 2}
    with reading(engine) as s:
        assert s.scalar(select(func.count(Telemetry.id))) == before + 2
        status = s.scalar(select(DeviceStatus).where(DeviceStatus.metric == "status"))
        assert status.fault_code == "TRAPPED"
    # an older reading arriving late is stored but does not move the device's latest state back
    older = (datetime.fromisoformat(at) - timedelta(hours=1)).isoformat()
    late = {"readings": [{"device": "EL-1", "ts": older, "metric": "status", "value": 0}]}
    assert client.post("/api/v1/telemetry", json=late, headers=auth).get_json()["stored"] == 1
    with reading(engine) as s:
        assert s.scalar(select(DeviceStatus.fault_code).where(DeviceStatus.metric == "status")) == "TRAPPED"
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/telemetry" in spec["paths"] and "/access-events" in spec["paths"]


def test_reading_checks_name_every_problem():
    rows = [{"device": "EL-1", "ts": "2026-11-25T10:00:00+08:00", "metric": "status", "fault_code": "TRAPPED"},
            {"device": "EL-1", "ts": "2026-11-25T10:00:00+08:00", "metric": "status", "fault_code": "TRAPPED"},
            {"device": "EL-1", "ts": "2027-01-01T00:00:00", "metric": "status", "value": "hot"}, "x"]  # fmt: skip
    clean, errors = check_readings(rows, {"EL-1"}, T0, "Asia/Shanghai")
    assert clean == []
    assert {(e.row, e.field, e.code) for e in errors} == {
        (1, "ts", "duplicate"),
        (2, "ts", "future_time"),
        (2, "value", "bad_value"),
        (3, "row", "not_object"),
    }


def test_every_message_family_the_data_pages_build_exists_in_both_languages():
    from domain.alarms import ALARM_TYPE_NAMES, SEVERITIES
    from domain.catalog import DEVICE_KINDS
    from domain.people import CARE_TAGS
    from i18n import MESSAGES

    families = {
        "dev.sev_": SEVERITIES,
        "dev.type_": tuple(ALARM_TYPE_NAMES),
        "dev.kind_": DEVICE_KINDS,
        "dev.state_": ("normal", "alarm", "silent"),
        "dev.phase_": ("prep", "season", "off"),
        "dev.metric_": ("pressure_mpa", "quantity", "trips"),
        "dev.done_": ("ack", "clear"),
        "dev.error_": ("forbidden", "not_found", "note_required", "note_too_long", "already_acknowledged", "not_active",
                       "bad_rule"),
        "dev.reg_error_": ("bad_code", "bad_kind", "bad_estate", "bad_building", "bad_name", "code_taken", "not_found",
                           "bad_date", "bad_number"),
        "acc.dir_": ("in", "out"),
        "acc.span_": ("1", "7", "30", "365"),
        "aud.action_": ("read", "reveal", "create", "update", "delete", "import"),
        "pop.tab_": ("pop", "devices", "access", "welfare", "audit"),
        "pop.gender_": ("F", "M"),
        "pop.import_error_": ("empty", "too_large", "not_table", "no_header", "too_many", "bad_kind", "forbidden"),
        "pop.problem_": ("missing", "bad_id", "bad_code", "bad_number", "bad_room", "bad_choice", "duplicate",
                         "too_long", "bad_phone", "bad_year", "bad_country", "bad_language", "bad_tag",
                         "unknown_estate", "unknown_building", "taken", "place_taken", "unknown_household"),
        "pop.field_": ("external_id", "estate", "building", "unit", "room", "size", "tenure", "household", "name",
                       "phone", "birth_year", "gender", "nationality", "languages", "care_tags", "relation"),
        "pop.error_": ("forbidden", "not_found", "duplicate", "missing", "bad_number", "bad_choice", "too_long",
                       "bad_phone", "bad_year", "bad_country", "bad_language", "bad_tag"),
        "welf.task_": ("open", "visited", "closed"),
        "welf.done_": ("visit", "threshold", "away", "end", "enrol"),
        "welf.error_": ("forbidden", "not_found", "unknown_resident", "bad_pid", "consent_required", "bad_consent_time",
                        "bad_threshold", "pid_taken", "already_watched", "note_required", "note_too_long",
                        "already_ended", "not_open", "away_missing", "away_order", "away_past", "away_too_long"),
    }  # fmt: skip
    missing = [prefix + v for prefix, values in families.items() for v in values if prefix + v not in MESSAGES]
    assert missing == [] and len(CARE_TAGS) == 6


def test_what_the_devices_page_reads(site):
    from data_access.alarms import alarm_counts, alarms_needing_attention
    from data_access.devices import device_history, device_overview, extinguishers_due, flood_stock

    engine, place, ids = site
    cid = [place["community_id"]]
    with writing(engine) as s:
        s.get(Device, ids["EX-1"]).attributes = {"expires_on": (T0.date() - timedelta(days=2)).isoformat()}
    post(engine, ids, ("EL-1", T0, "status", 1.0, "DOOR"), ("FS-1", T0, "quantity", 90.0, None))
    iot_alarms.run(engine, T0 + timedelta(minutes=1))
    with reading(engine) as s:
        states = {r["code"]: r["state"] for r in device_overview(s, cid)}
        assert states == {"EL-1": "alarm", "FP-1": "normal", "EX-1": "alarm", "FS-1": "normal"}
        assert alarm_counts(s, cid) == {"major": 1, "minor": 1}
        listed = alarms_needing_attention(s, cid, T0 + timedelta(minutes=1))
        assert [(a["device_code"], a["severity"]) for a in listed] == [("EL-1", "major"), ("EX-1", "minor")]
        assert [(r["code"], r["days_left"]) for r in extinguishers_due(s, cid, T0.date())] == [("EX-1", -2)]
        [store] = flood_stock(s, cid, date(2027, 3, 20), ("04-15", "10-15"), 30)
        assert (store["phase"], store["required_now"], store["quantity"], store["next_phase"]) == (
            "prep",
            100,
            90,
            "season",
        )
        history = device_history(s, ids["EL-1"], cid, T0 - timedelta(days=1), T0 + timedelta(hours=1))
        assert [p["fault_code"] for p in history["series"]["status"]] == [None, "DOOR"]
        assert [a["alarm_type"] for a in history["alarms"]] == ["door_fault"]
        assert device_history(s, ids["EL-1"], [place["community_id"] + 99], T0, T0) is None


def test_administrators_edit_the_registry(site):
    from data_access.devices import DeviceError, save_device

    engine, place, ids = site
    users = place["users"]
    values = {"code": "EX-NEW", "kind": "extinguisher", "estate_id": place["estate_id"],
              "building_id": place["building_id"], "name_zh": "新灭火器", "name_en": "New extinguisher",
              "expires_on": "2027-05-01", "required_qty": ""}  # fmt: skip
    with writing(engine) as s:
        new = save_device(s, users["admin"], [place["community_id"]], values, T0)
        save_device(s, users["admin"], [place["community_id"]],
                    {**values, "id": ids["FS-1"], "code": "FS-1", "kind": "flood_stock", "expires_on": "",
                     "required_qty": "120", "flood_season_required_qty": 240}, T0)  # fmt: skip
    with reading(engine) as s:
        assert s.get(Device, new).attributes == {"expires_on": "2027-05-01"}
        assert s.get(Device, ids["FS-1"]).attributes == {"item": "sandbags", "required_qty": 120,
                                                         "flood_season_required_qty": 240}  # fmt: skip
    for change, code in (({"code": "EL-1"}, "code_taken"), ({"kind": "toaster"}, "bad_kind"),
                         ({"estate_id": 999}, "bad_estate"), ({"expires_on": "soon"}, "bad_date"),
                         ({"required_qty": "-3"}, "bad_number"), ({"name_en": ""}, "bad_name")):  # fmt: skip
        with pytest.raises(DeviceError) as caught, writing(engine) as s:
            save_device(s, users["admin"], [place["community_id"]], {**values, "code": "EX-X", **change}, T0)
        assert caught.value.code == code


def test_administrators_edit_the_rules_and_the_next_run_uses_them(site):
    from data_access.alarms import save_rule

    engine, place, ids = site
    users = place["users"]
    post(engine, ids, ("FP-1", T0, "pressure_mpa", 0.45, None))
    assert iot_alarms.run(engine, T0 + timedelta(minutes=1))["raised"] == 0
    with pytest.raises(AlarmActionError, match="forbidden"), writing(engine) as s:
        save_rule(s, users["secretary"], "fire_pump_pressure", "critical", {"metric": "pressure_mpa", "below": 0.5},
                  True, True, T0)  # fmt: skip
    with pytest.raises(AlarmActionError, match="bad_rule"), writing(engine) as s:
        save_rule(s, users["admin"], "fire_pump_pressure", "critical", {"metric": "pressure_mpa"}, True, True, T0)
    with writing(engine) as s:
        save_rule(s, users["admin"], "fire_pump_pressure", "major", {"metric": "pressure_mpa", "below": 0.5}, False,
                  True, T0)  # fmt: skip
    summary = iot_alarms.run(engine, T0 + timedelta(minutes=2))
    assert (summary["raised"], summary["cases"]) == (1, 0)
    assert alarms(engine, "FP-1")[0].severity == "major"
