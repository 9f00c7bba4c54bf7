"""Shared-parking permits: applications, allocation runs, notices, the capacity-drop path, masking,
and the public pages (assumes app.py registers `public.parking_permits.bp` and auth/guard.py lists
"/parking/apply" and "/parking/permit/" as public)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from data_access.db import reading, writing
from data_access.models import OutboxMessage, ParkingLot, ParkingPermit, ShareableCapacity
from data_access.notify import OutboxNotifier
from data_access.permits import PermitError, apply, permit_status, permits_overview, run_allocation, window_lots
from domain import allocation
from domain.masking import mask_phone, mask_plate, normalise_plate, valid_plate
from tests.factories import NOW, tiny_community

LOTS = (  # code, window, start, end, shareable (None = withheld)
    ("P-d1", "day", "08:00", "18:00", 2),
    ("P-d2", "day", "08:00", "18:00", 1),
    ("P-d3", "day", "08:00", "18:00", None),
    ("P-n1", "night", "18:00", "08:00", 1),
)


def _lots(engine, place: dict, now: datetime = NOW) -> dict[str, int]:
    ids = {}
    with writing(engine) as s:
        for code, window, start, end, shareable in LOTS:
            lot = ParkingLot(
                estate_id=place["estate_id"], code=code, name_zh=f"{code}停车场", name_en=f"{code} car park",
                capacity=50, share_window=window, window_start=start, window_end=end, weekdays_only=True,
                quantile=0.9, history_weeks=8, safety_buffer=0, lat=30.2, lon=120.2,
            )  # fmt: skip
            s.add(lot)
            s.flush()
            ids[code] = lot.id
            _publish(s, lot.id, window, shareable, now)
    return ids


def _publish(s, lot_id: int, window: str, shareable: int | None, now: datetime) -> None:
    s.add(
        ShareableCapacity(
            lot_id=lot_id, share_window=window, computed_at=now, status="withheld" if shareable is None else "published",
            shareable=shareable, peak=None, parameters={}, samples_used=0,
            reason="too little history" if shareable is None else None,
        )
    )  # fmt: skip


def _apply(engine, name: str, plate: str, preferences: list[str], window: str = "day", at: datetime = NOW) -> str:
    with writing(engine) as s:
        return apply(s, at, "resident", name, plate, "13812345678", window, preferences).tracking_code


def _allocate(engine, now: datetime = NOW) -> dict:
    with writing(engine) as s:
        return run_allocation(s, now, OutboxNotifier(s, now))


def _permits(engine) -> dict[str, ParkingPermit]:
    with reading(engine) as s:
        permits = {p.applicant_name: p for p in s.scalars(select(ParkingPermit))}
        s.expunge_all()  # detached snapshots, readable after the transaction
        return permits


def _outbox(engine) -> list[OutboxMessage]:
    with reading(engine) as s:
        messages = list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        s.expunge_all()
        return messages


@pytest.fixture
def store(engine):
    place = tiny_community(engine, with_users=False)
    return engine, _lots(engine, place)


# --- masking and plates -----------------------------------------------------------------------


def test_plates_and_phones_are_masked():
    assert mask_plate("浙A12345") == "浙A***45"
    assert mask_plate("浙AD12345") == "浙A****45"
    assert mask_plate(" 浙a·12345 ") == "浙A***45"
    assert mask_plate("AB12") == "A***" and mask_plate("A") == "*" and mask_plate("") == ""
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone("+4420712345678") == "+44*******5678"
    assert mask_phone("12345678") == "****5678" and mask_phone("123") == "**3" and mask_phone(None) == ""


def test_plate_rules_cover_ordinary_and_new_energy_plates():
    for plate in ("浙A12345", "浙AD12345", "浙AFA1234", "浙A12345D", "粤B1234学", "京AB123C"):
        assert valid_plate(normalise_plate(plate)), plate
    for plate in ("浙A1234", "浙A123456", "XA12345", "浙1A2345", "浙AI2345", "浙AD1234X", "浙A12345X", ""):
        assert not valid_plate(normalise_plate(plate)), plate
    assert normalise_plate("浙ａ·12 345") == "浙A12345"


# --- applications, allocation, notices (both engines) -------------------------------------------


def test_apply_stores_a_pending_permit_with_a_tracking_code(store):
    engine, lots = store
    code = _apply(engine, "王小明", "浙a 12345", ["P-d1", "P-d2"])
    assert re.fullmatch(r"PK[A-Z2-9]{8}", code)
    permit = _permits(engine)["王小明"]
    assert permit.status == "pending" and permit.plate == "浙A12345" and permit.lot_id is None
    assert permit.preferences == ["P-d1", "P-d2"] and permit.share_window == "day" and permit.decided_at is None


@pytest.mark.parametrize(
    ("kind", "name", "plate", "contact", "window", "prefs", "key"),
    [
        ("resident", "", "浙A12345", "13812345678", "day", ["P-d1"], "permit.error.name_required"),
        ("resident", "A", "ABC", "13812345678", "day", ["P-d1"], "permit.error.plate_format"),
        ("resident", "A", "浙A12345", "", "day", ["P-d1"], "permit.error.contact_required"),
        ("resident", "A", "浙A12345", "call me", "day", ["P-d1"], "permit.error.contact_format"),
        ("visitor", "A", "浙A12345", "13812345678", "day", ["P-d1"], "permit.error.kind"),
        ("resident", "A", "浙A12345", "13812345678", "day", [], "permit.error.choice_required"),
        ("resident", "A", "浙A12345", "13812345678", "day", ["P-d1", "P-d1"], "permit.error.repeated_choice"),
        ("resident", "A", "浙A12345", "13812345678", "day", ["P-d1", "P-d2", "P-d3", "P-x"],
         "permit.error.too_many_choices"),
        ("resident", "A", "浙A12345", "13812345678", "day", ["P-n1"], "permit.error.choice_window"),
        ("resident", "A", "浙A12345", "13812345678", "day", ["P-nope"], "permit.error.choice_window"),
        ("resident", "A", "浙A12345", "13812345678", "dusk", ["P-d1"], "permit.error.window"),
    ],
)  # fmt: skip
def test_a_bad_application_stores_nothing(store, kind, name, plate, contact, window, prefs, key):
    engine, _ = store
    with pytest.raises(PermitError) as caught, writing(engine) as s:
        apply(s, NOW, kind, name, plate, contact, window, prefs)
    assert caught.value.key == key
    with reading(engine) as s:
        assert s.scalar(select(func.count(ParkingPermit.id))) == 0


def test_allocation_grants_waitlists_and_notifies_in_both_languages(store):
    engine, lots = store
    minute = timedelta(minutes=1)
    _apply(engine, "a", "浙A10001", ["P-d1", "P-d2"], at=NOW)
    _apply(engine, "b", "浙A10002", ["P-d2"], at=NOW + minute)
    _apply(engine, "c", "浙A10003", ["P-d1"], at=NOW + 2 * minute)
    _apply(engine, "d", "浙A10004", ["P-d1", "P-d3"], at=NOW + 3 * minute)  # P-d3 is withheld
    _apply(engine, "n", "浙AD10005", ["P-n1"], window="night", at=NOW + 4 * minute)
    summary = _allocate(engine, NOW + 10 * minute)
    assert summary["day_capacity"] == 3 and summary["day_granted"] == 3 and summary["day_waitlisted"] == 1
    assert summary["night_granted"] == 1 and summary["newly_granted"] == 4 and summary["newly_waitlisted"] == 1
    permits = _permits(engine)
    assert {n: (p.status, p.lot_id) for n, p in permits.items()} == {
        "a": ("granted", lots["P-d1"]),
        "b": ("granted", lots["P-d2"]),
        "c": ("granted", lots["P-d1"]),
        "d": ("waitlisted", None),
        "n": ("granted", lots["P-n1"]),
    }
    assert all(p.decided_at == NOW + 10 * minute for p in permits.values())
    outbox = _outbox(engine)
    assert len(outbox) == 5 and summary["notices"] == 5
    by_ref = {m.ref: m for m in outbox}
    a = by_ref[f"permit:{permits['a'].tracking_code}"]
    assert a.channel == "sms" and a.recipient == "13812345678" and a.subject_key == "notice.permit_granted"
    assert "P-d1停车场" in a.body_zh and "浙A***01" in a.body_zh and "获批" in a.body_zh
    assert "P-d1 car park" in a.body_en and "granted" in a.body_en and not re.search(r"[\u4e00-\u9fff]停", a.body_en)
    d = by_ref[f"permit:{permits['d'].tracking_code}"]
    assert d.subject_key == "notice.permit_waitlisted" and "第1位" in d.body_zh and "position 1" in d.body_en
    for message in outbox:
        assert "浙A1000" not in message.body_zh + message.body_en  # never the full plate
        assert message.sent_at is None
    # a re-run with nothing changed changes nothing and sends nothing
    again = _allocate(engine, NOW + 20 * minute)
    assert again["newly_granted"] == again["moved"] == again["withdrawn"] == again["notices"] == 0
    assert len(_outbox(engine)) == 5
    assert all(p.decided_at == NOW + 10 * minute for p in _permits(engine).values())


def test_a_capacity_drop_withdraws_the_overflow_back_to_the_waitlist_with_a_notice(store):
    engine, lots = store
    minute = timedelta(minutes=1)
    for n, name in enumerate("abc"):
        _apply(engine, name, f"浙A2000{n}", ["P-d1", "P-d2"], at=NOW + n * minute)
    _allocate(engine, NOW + 10 * minute)
    assert {p.status for p in _permits(engine).values()} == {"granted"}
    # the nightly job publishes fewer spaces at P-d1 (2 -> 1) and withholds P-d2
    later = NOW + timedelta(days=1)
    with writing(engine) as s:
        _publish(s, lots["P-d1"], "day", 1, later)
        _publish(s, lots["P-d2"], "day", None, later)
    summary = _allocate(engine, later)
    assert summary["withdrawn"] == 2 and summary["day_granted"] == 1 and summary["newly_granted"] == 0
    permits = _permits(engine)
    assert permits["a"].status == "granted" and permits["a"].lot_id == lots["P-d1"]  # the earliest keeps it
    assert permits["a"].decided_at == NOW + 10 * minute
    for name in "bc":
        assert permits[name].status == "waitlisted" and permits[name].lot_id is None
        assert permits[name].decided_at == later
    notices = [m for m in _outbox(engine) if m.subject_key == "notice.permit_withdrawn"]
    assert len(notices) == 2
    assert {m.ref for m in notices} == {f"permit:{permits[n].tracking_code}" for n in "bc"}
    for m in notices:
        assert "收回" in m.body_zh and "候补" in m.body_zh and "withdrawn" in m.body_en and "waiting list" in m.body_en
    with reading(engine) as s:
        b, c = permit_status(s, permits["b"].tracking_code), permit_status(s, permits["c"].tracking_code)
    assert (b["status"], b["position"], c["position"]) == ("waitlisted", 1, 2)
    assert b["notice"]["subject_key"] == "notice.permit_withdrawn"
    # capacity comes back: the withdrawn are served again, first in line, and told so
    with writing(engine) as s:
        _publish(s, lots["P-d1"], "day", 2, later + timedelta(days=1))
    summary = _allocate(engine, later + timedelta(days=1))
    assert summary["newly_granted"] == 1 and _permits(engine)["b"].status == "granted"


def test_permit_status_shows_no_personal_data(store):
    engine, _ = store
    code = _apply(engine, "李四", "浙AD12345", ["P-d2", "P-d1"])
    _allocate(engine)
    with reading(engine) as s:
        status = permit_status(s, code.lower())
        assert permit_status(s, "PKNOTHERE") is None and permit_status(s, "") is None
    assert status["status"] == "granted" and status["lot"] == "P-d2" and status["lot_en"] == "P-d2 car park"
    assert status["plate_masked"] == "浙A****45" and status["window"] == "day"
    assert [c["lot"] for c in status["choices"]] == ["P-d2", "P-d1"]
    assert status["notice"]["subject_key"] == "notice.permit_granted"
    text = repr(status)
    assert "李四" not in text and "13812345678" not in text and "浙AD12345" not in text


def test_permits_overview_counts_per_lot_and_window(store):
    engine, lots = store
    for n in range(4):
        _apply(engine, f"p{n}", f"浙A3000{n}", ["P-d1"], at=NOW + timedelta(minutes=n))
    _apply(engine, "q", "浙A30009", ["P-n1"], window="night")
    _allocate(engine)
    with reading(engine) as s:
        overview = permits_overview(s, None)
        assert permits_overview(s, [999])["lots"] == []
    per_lot = {row["lot"]: row for row in overview["lots"]}
    assert per_lot["P-d1"]["granted"] == 2 and per_lot["P-d1"]["waitlisted_first_choice"] == 2
    assert per_lot["P-d1"]["shareable"] == 2 and per_lot["P-d3"]["shareable"] is None
    assert overview["windows"]["day"] == {"granted": 2, "waitlisted": 2, "pending": 0, "shareable": 3}
    assert overview["windows"]["night"]["granted"] == 1


def test_window_lots_mark_withheld_lots_unavailable(store):
    engine, _ = store
    with reading(engine) as s:
        day = {lot["lot"]: lot for lot in window_lots(s, "day")}
        night = window_lots(s, "night")
    assert set(day) == {"P-d1", "P-d2", "P-d3"} and [lot["lot"] for lot in night] == ["P-n1"]
    assert day["P-d1"]["available"] and day["P-d1"]["shareable"] == 2
    assert not day["P-d3"]["available"] and day["P-d3"]["shareable"] is None


def test_the_demo_community_offers_the_published_spaces(sqlite_engine):
    from data_access.demo import build_demo
    from jobs import parking

    now = datetime(2026, 11, 20, 15, 30)
    build_demo(sqlite_engine, as_of=now, password="demo-pass-1")
    parking.run(sqlite_engine, now)
    with reading(sqlite_engine) as s:
        day, night = window_lots(s, "day"), window_lots(s, "night")
    assert sum(lot["shareable"] or 0 for lot in day) == 126 and len(day) == 3
    assert sum(lot["shareable"] or 0 for lot in night) == 182 and len(night) == 2
    code = _apply(sqlite_engine, "demo", "浙A88888", ["P-eastcom", "P-zhicheng"], window="night", at=now)
    _allocate(sqlite_engine, now)
    with reading(sqlite_engine) as s:
        assert permit_status(s, code)["lot"] == "P-eastcom"


# --- the public pages (SQLite, through the Flask test client) ----------------------------------


@pytest.fixture
def web(sqlite_engine, tmp_path):
    from app import create_app

    place = tiny_community(sqlite_engine, with_users=False)
    lots = _lots(sqlite_engine, place)
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": str(sqlite_engine.url)})
    app.server.config["TESTING"] = True
    return app.server.test_client(), sqlite_engine, lots


def _form(client, lang: str = "zh", window: str = "day") -> str:
    client.set_cookie("cockpit_lang", lang)
    response = client.get(f"/parking/apply?window={window}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


GOOD = {"applicant_kind": "employee", "applicant_name": "Jane Roe", "plate": "浙A12345", "contact": "13912345678",
        "window": "day", "choice1": "P-d2", "choice2": "P-d1", "choice3": ""}  # fmt: skip


def _count(engine) -> int:
    with reading(engine) as s:
        return s.scalar(select(func.count(ParkingPermit.id)))


def test_the_form_renders_in_chinese_and_english_without_login(web):
    client, _, _ = web
    zh = _form(client, "zh")
    assert '<html lang="zh-CN">' in zh and "潮汐共享停车申请" in zh and "第一志愿" in zh
    assert "P-d1停车场（可共享 2 个车位）" in zh and "P-d3停车场（暂不可用）" in zh
    assert re.search(r'<option value="P-d3" disabled>', zh) and "P-n1" not in zh
    assert 'href="/lang/en?next=' in zh and "https://" not in zh and "http://" not in zh
    en = _form(client, "en", "night")
    assert '<html lang="en">' in en and "Tidal shared parking" in en and "1st choice" in en
    assert "P-n1 car park (1 spaces shared)" in en and "P-d1" not in en


@pytest.mark.parametrize(
    ("lang", "change", "message"),
    [
        ("zh", {"plate": "12345"}, "车牌号格式不正确"),
        ("en", {"plate": "12345"}, "not a valid Chinese plate"),
        ("zh", {"applicant_name": " "}, "请填写姓名"),
        ("en", {"choice1": "P-d1", "choice2": "P-d1"}, "Each car park may be chosen only once"),
        ("en", {"choice1": "P-n1", "choice2": ""}, "does not share spaces in this window"),
        ("zh", {"choice1": "", "choice2": ""}, "请至少选择一个停车场"),
        ("en", {"choice3": "P-d3", "choice4": "P-n1"}, "at most 3 car parks"),
    ],
)
def test_bad_input_rerenders_the_form_with_the_error_in_the_users_language(web, lang, change, message):
    client, engine, _ = web
    token = _token(_form(client, lang))
    response = client.post("/parking/apply", data={**GOOD, **change, "csrf_token": token})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert message in html and 'id="permit-errors"' in html
    assert 'value="Jane Roe"' in html or change.get("applicant_name")  # what was typed is kept
    assert _count(engine) == 0


def test_a_post_without_the_csrf_token_is_refused(web):
    client, engine, _ = web
    _form(client, "en")
    assert client.post("/parking/apply", data=GOOD).status_code == 400
    assert client.post("/parking/apply", data={**GOOD, "csrf_token": "forged"}).status_code == 400
    fresh = web[0].application.test_client()  # no session at all
    assert fresh.post("/parking/apply", data={**GOOD, "csrf_token": "x"}).status_code == 400
    assert _count(engine) == 0


def test_a_good_application_redirects_to_a_status_page_without_personal_data(web):
    client, engine, lots = web
    token = _token(_form(client, "en"))
    response = client.post("/parking/apply", data={**GOOD, "plate": "浙a·12345", "csrf_token": token})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert re.fullmatch(r"/parking/permit/PK[A-Z2-9]{8}", location)
    with reading(engine) as s:
        permit = s.scalar(select(ParkingPermit))
        s.expunge_all()
    assert permit.status == "granted" and permit.lot_id == lots["P-d2"]  # allocated on demand
    page = client.get(location)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<html lang="en">' in html and "Granted" in html and "P-d2 car park" in html
    assert "浙A***45" in html and permit.tracking_code in html and "is granted" in html  # the notice
    assert "Jane Roe" not in html and "13912345678" not in html and "浙A12345" not in html
    client.set_cookie("cockpit_lang", "zh")
    zh = client.get(location).get_data(as_text=True)
    assert "已获批" in zh and "P-d2停车场" in zh and "Jane Roe" not in zh
    # the lookup box leads to the same page, whatever the case typed
    lookup = client.get(f"/parking/permit?code={permit.tracking_code.lower()}")
    assert lookup.status_code == 302 and lookup.headers["Location"] == location


def test_a_second_applicant_is_waitlisted_and_sees_the_position(web):
    client, engine, _ = web
    token = _token(_form(client, "zh"))
    client.post("/parking/apply", data={**GOOD, "choice2": "", "csrf_token": token})
    response = client.post("/parking/apply", data={**GOOD, "plate": "浙B54321", "choice2": "", "csrf_token": token})
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "候补中" in html and "候补第 1 位" in html and "浙B***21" in html


def test_an_unknown_code_is_a_404_in_the_users_language(web):
    client, _, _ = web
    client.set_cookie("cockpit_lang", "en")
    response = client.get("/parking/permit/PKNOTHERE")
    assert response.status_code == 404 and "Application not found" in response.get_data(as_text=True)
    client.set_cookie("cockpit_lang", "zh")
    response = client.get("/parking/permit/PKNOTHERE")
    assert response.status_code == 404 and "未找到该申请" in response.get_data(as_text=True)
    assert client.get("/parking/permit/<script>").status_code == 404
    assert client.get("/parking/permit?code=%3Cb%3E").status_code == 404


def test_a_pool_too_large_to_solve_keeps_its_decisions_and_the_run_says_why(store, monkeypatch):
    engine, lots = store
    minute = timedelta(minutes=1)
    for n, name in enumerate("abc"):
        _apply(engine, name, f"浙A3000{n}", ["P-d1", "P-d2"], at=NOW + n * minute)
    _allocate(engine, NOW + 10 * minute)
    before = {name: (p.status, p.lot_id) for name, p in _permits(engine).items()}
    assert {status for status, _ in before.values()} == {"granted"}
    later = NOW + timedelta(days=1)
    with writing(engine) as s:
        _publish(s, lots["P-d1"], "day", 1, later)
    notices = len(_outbox(engine))
    monkeypatch.setattr(allocation, "MAX_CELLS", 4)  # what a pool of thousands does to the real limit
    summary = _allocate(engine, later)
    assert summary["day_unsolved"] == 3 and "cost matrix would be too large" in summary["day_problem"]
    assert {name: (p.status, p.lot_id) for name, p in _permits(engine).items()} == before
    assert len(_outbox(engine)) == notices  # nobody told of a decision that was not made
