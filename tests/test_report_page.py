"""The residents' report line `/report` and its tracking page `/report/<code>`, in-process through
Flask's test client: the form, a good report, a resubmitted form, bad input in both languages (and
nothing stored), CSRF, the rate limit, what the tracking page hides, the reporter's check of a
resolved case, and who may fetch which photo."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app import create_app
from data_access.clock import local_now
from data_access.db import reading, writing
from data_access.models import Building, Estate, Event, EventAction, EventPhoto
from data_access.workflow import act, actor_for
from tests.factories import tiny_community

LON, LAT = 120.2, 30.2
SQUARE = 0.001  # the tiny community's estate: a 100 m square around (LAT, LON)


def _square(lon: float, lat: float, half: float) -> dict:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half], [lon - half, lat + half]]
    return {"type": "Polygon", "coordinates": [ring + [ring[0]]]}


def _store(engine) -> dict:
    """tiny_community with outlines for the plan, and a second estate with its own building."""
    place = tiny_community(engine)
    with writing(engine) as s:
        s.get(Estate, place["estate_id"]).polygon = _square(LON, LAT, SQUARE)
        other = Estate(
            community_id=place["community_id"], grid_id=place["grid_id"], code="e2", name_zh="小区二",
            name_en="Estate Two", kind="residential", lat=LAT + 0.01, lon=LON, polygon=_square(LON, LAT + 0.01, SQUARE),
        )  # fmt: skip
        s.add(other)
        s.flush()
        far = Building(
            estate_id=other.id, grid_id=place["grid_id"], code="9", name_zh="9幢", name_en="Building 9", floors=6,
            units=1, lat=LAT + 0.01, lon=LON,
        )  # fmt: skip
        s.add(far)
        s.flush()
        place.update(other_estate_id=other.id, other_building_id=far.id)
    return place


def _app(engine, tmp_path: Path, **overrides):
    url = engine.url.render_as_string(hide_password=False)
    app = create_app({"instance_dir": str(tmp_path / "instance"), "database_url": url, "run_scheduler": False,
                      **overrides})  # fmt: skip
    app.server.config["TESTING"] = True
    return app


@pytest.fixture
def web(engine, tmp_path):
    """On both engines: the paths that write."""
    place = _store(engine)
    app = _app(engine, tmp_path)
    return app.server.test_client(), engine, place, tmp_path / "instance"


@pytest.fixture
def web_sqlite(sqlite_engine, tmp_path):
    place = _store(sqlite_engine)
    app = _app(sqlite_engine, tmp_path, photo_max_bytes=20_000, public_report_limit=3)
    return app.server.test_client(), sqlite_engine, place, tmp_path / "instance"


def png(size=(40, 30), colour=(200, 60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "PNG")
    return out.getvalue()


def noisy_png() -> bytes:
    """A PNG that does not compress below a few tens of kilobytes."""
    import random

    rng = random.Random(1)
    image = Image.new("RGB", (160, 160))
    image.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(160 * 160)])
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (10, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (30.0, 12.0, 5.0), 3: "E", 4: (120.0, 12.0, 1.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def form_page(client, lang: str = "zh") -> str:
    client.set_cookie("cockpit_lang", lang)
    response = client.get("/report")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def hidden(html: str, name: str) -> str:
    return re.search(rf'name="{name}" value="([^"]*)"', html).group(1)


def good(place: dict, html: str, **change) -> dict:
    data = {
        "csrf_token": hidden(html, "csrf_token"),
        "submission_id": hidden(html, "submission_id"),
        "text": "3幢楼下垃圾堆放好几天了，没人清理",
        "category": "",
        "estate": str(place["estate_id"]),
        "building": str(place["building_id"]),
        "lat": "",
        "lon": "",
        "contact": "13812345678",
    }
    data.update(change)
    return data


def post(client, data: dict, photos: list[tuple[bytes, str]] = ()):
    payload = dict(data)
    if photos:
        payload["photos"] = [(io.BytesIO(content), name) for content, name in photos]
    return client.post("/report", data=payload, content_type="multipart/form-data")


def count(engine, model=Event) -> int:
    with reading(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def stored_files(instance: Path) -> list[Path]:
    folder = instance / "photos"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def code_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    match = re.fullmatch(r"/report/(DX[A-Z2-9]{8})\?new=1", response.headers["Location"])
    assert match, response.headers["Location"]
    return match.group(1)


def case_of(engine, code: str) -> Event:
    with reading(engine) as s:
        event = s.scalar(select(Event).where(Event.tracking_code == code))
        s.expunge(event)
        return event


def staff(engine, place: dict, role: str, case_id: int, action: str, note: str | None = None):
    """A step by a staff member, through the same workflow the staff pages use."""
    with writing(engine) as s:
        return act(s, case_id, actor_for(s, place["users"][role]), action, local_now() + timedelta(seconds=1), note)


# --- the form -------------------------------------------------------------------------------------


def test_the_form_renders_in_both_languages_with_the_stores_categories_and_places(web_sqlite):
    client, _, place, _ = web_sqlite
    zh = form_page(client, "zh")
    assert '<html lang="zh-CN">' in zh and "反映问题" in zh and "社区连线" in zh
    assert ">垃圾堆放</option>" in zh and ">电梯故障</option>" in zh and ">小区一</option>" in zh
    assert f'<optgroup label="小区二" data-estate="{place["other_estate_id"]}">' in zh and ">9幢</option>" in zh
    assert 'href="/lang/en?next=/report"' in zh
    assert 'accept="image/jpeg,image/png,image/webp" multiple' in zh and 'for="text"' in zh and 'for="photos"' in zh
    assert '<svg id="plan"' in zh and 'class="plan-estate"' in zh and 'data-building="' in zh
    assert len(hidden(zh, "submission_id")) >= 16 and hidden(zh, "csrf_token")
    en = form_page(client, "en")
    assert '<html lang="en">' in en and "Report a problem" in en and "反映问题" not in en
    assert ">Garbage / sorting</option>" in en and ">Estate One</option>" in en and ">Building 9</option>" in en
    assert 'href="/lang/zh?next=/report"' in en
    assert hidden(zh, "submission_id") != hidden(en, "submission_id")  # one per form shown
    for page in (zh, en):  # everything from this machine (DESIGN.md 6)
        assert not re.search(r"(src|href)=\"(https?:)?//", page)
    script = client.get("/report/static/report.js")
    assert script.status_code == 200 and b"/api/v1/classify" in script.data
    assert client.get("/report/static/report.css").status_code == 200


def test_the_form_needs_no_login_but_staff_pages_still_do(web_sqlite):
    client, *_ = web_sqlite
    assert client.get("/report").status_code == 200
    assert client.get("/reports").status_code in (302, 401)  # a lookalike path is not public
    assert client.get("/photos/" + "a" * 64).status_code == 302  # the staff photo route: login first


# --- a good report, a resubmitted form ----------------------------------------------------------------


def test_a_good_report_opens_one_graded_case_and_lands_on_its_tracking_page(web):
    client, engine, place, instance = web
    html = form_page(client, "en")
    data = good(place, html, text="E-bikes are charging in the stairwell of building 1 every night", lat="30.2001",
                lon="120.2001", contact=" me@example.org ")  # fmt: skip
    response = post(client, data, [(png(), "stairs.png")])
    code = code_of(response)
    event = case_of(engine, code)
    assert event.source == "resident" and event.source_ref == f"web:{data['submission_id']}"
    assert event.status == "reported" and event.level == 1 and event.grade in ("urgent", "priority", "routine")
    assert event.estate_id == place["estate_id"] and event.building_id == place["building_id"]
    assert event.grid_id == place["grid_id"] and event.reporter_contact == "me@example.org"
    assert (event.lat, event.lon) == (30.2001, 120.2001) and event.due_at is not None
    assert count(engine) == 1 and count(engine, EventPhoto) == 1 and len(stored_files(instance)) == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert code in page and "Thank you, we have your report" in page
    assert "E-bikes are charging in the stairwell" in page and "Estate One · Building 1" in page
    assert 'data-stage="reported" aria-current="step"' in page


def test_a_resubmitted_form_opens_nothing_new_and_lands_on_the_same_page(web):
    client, engine, place, _ = web
    data = good(place, form_page(client))
    first = post(client, data, [(png(), "a.png")])
    again = post(client, data, [(png(), "a.png")])
    changed = post(client, {**data, "text": "另一件事"})  # the same form id is the same report
    assert first.headers["Location"] == again.headers["Location"] == changed.headers["Location"]
    assert count(engine) == 1 and count(engine, EventPhoto) == 1
    fresh = good(place, form_page(client))  # a new form is a new report
    assert post(client, fresh).headers["Location"] != first.headers["Location"] and count(engine) == 2


# --- bad input: a clear error in the user's language, and nothing stored ----------------------------

BAD = [
    ("missing text", {"text": "   "}, [], "请描述一下问题", "Please describe the problem"),
    ("unknown category", {"category": "aliens"}, [], "没有这个问题分类", "That category does not exist"),
    ("building of another estate", {"building": "OTHER"}, [], "所选楼栋不在所选小区内",
     "That building is not in the chosen estate"),
    ("four photos", {}, [(png(colour=(n, 0, 0)), f"p{n}.png") for n in range(4)], "最多只能上传 3 张照片",
     "You can send at most 3 photos"),
    ("a text file named .jpg", {}, [(b"just some text, not a photo", "photo.jpg")], "不是 JPEG、PNG 或 WebP 图片",
     "it is not a JPEG, PNG or WebP image"),
    ("a photo over the size limit", {}, [(noisy_png(), "big.png")], "文件太大", "the file is too large"),
    ("a point off the map", {"lat": "95", "lon": "120.2"}, [], "平面图上的位置无效", "The spot on the plan is not valid"),
    ("a contact that is neither", {"contact": "ring the bell"}, [], "请填写手机号或电子邮箱", "phone number or an email"),
]  # fmt: skip


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_bad_input_gets_the_error_in_the_users_language_and_stores_nothing(sqlite_engine, tmp_path, lang):
    place = _store(sqlite_engine)
    client = _app(sqlite_engine, tmp_path, photo_max_bytes=20_000).server.test_client()
    instance = tmp_path / "instance"
    for what, change, photos, zh, en in BAD:
        html = form_page(client, lang)
        if change.get("building") == "OTHER":
            change = {"building": str(place["other_building_id"])}
        if what != "four photos":  # a valid photo next to the bad one, to show that none is kept
            photos = [(png(), "fine.png"), *photos] if photos else photos
        data = good(place, html, **change)
        response = post(client, data, photos)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, what
        assert (zh if lang == "zh" else en) in page, what
        assert (en if lang == "zh" else zh) not in page, what
        assert 'id="report-errors"' in page and 'class="invalid-feedback d-block"' in page, what
        assert count(sqlite_engine) == 0 and count(sqlite_engine, EventPhoto) == 0, what
        assert stored_files(instance) == [], what
        assert hidden(page, "submission_id") == data["submission_id"], what  # the corrected form is the same report
        if "text" not in change:
            assert data["text"] in page, what  # what was typed is kept
        if photos:
            assert 'id="report-photos-again"' in page, what


def test_a_post_without_the_csrf_token_is_refused_and_stores_nothing(web_sqlite):
    client, engine, place, _ = web_sqlite
    data = good(place, form_page(client, "en"))
    for token in (None, "forged"):
        sent = {k: v for k, v in data.items() if k != "csrf_token"}
        if token:
            sent["csrf_token"] = token
        response = post(client, sent)
        assert response.status_code == 400 and "This page has expired" in response.get_data(as_text=True)
    stranger = client.application.test_client()  # no session at all
    assert post(stranger, data).status_code == 400
    assert count(engine) == 0


def test_reports_are_rate_limited_per_client(web_sqlite):
    client, engine, place, _ = web_sqlite  # public_report_limit=3
    html = form_page(client, "en")
    for _ in range(3):
        assert post(client, good(place, html, text="")).status_code == 400
    response = post(client, good(place, html))
    assert response.status_code == 429 and "Too many reports" in response.get_data(as_text=True)
    assert count(engine) == 0
    other = client.application.test_client()
    html = form_page(other, "zh")
    response = other.post("/report", data=good(place, html), environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 303  # another client has its own allowance


# --- the tracking page ---------------------------------------------------------------------------------


def test_the_tracking_page_shows_progress_but_no_contact_staff_names_or_internal_notes(web):
    client, engine, place, _ = web
    code = code_of(post(client, good(place, form_page(client, "zh"), contact="13812345678")))
    case_id = case_of(engine, code).id
    staff(engine, place, "grid_worker", case_id, "accept")
    staff(engine, place, "grid_worker", case_id, "push_up", "内部备注：请联系物业王经理 13900001111")
    staff(engine, place, "grid_leader", case_id, "resolve", "已清运垃圾，现场已清理干净")
    for lang in ("zh", "en"):
        client.set_cookie("cockpit_lang", lang)
        page = client.get(f"/report/{code}").get_data(as_text=True)
        assert "13812345678" not in page and "138****5678" not in page
        assert "王经理" not in page and "13900001111" not in page
        for role in ("grid_worker", "grid_leader"):
            assert f"{role}-c1" not in page and f"c1_{role}" not in page
        assert "已清运垃圾，现场已清理干净" in page  # the resolution note is meant for the reporter
        assert 'data-stage="resolved" aria-current="step"' in page
    assert "Passed up for handling" in page and "Resolved, awaiting check" in page
    client.set_cookie("cockpit_lang", "zh")
    assert client.get(f"/report/track?code={code.lower()}").headers["Location"] == f"/report/{code}"


def test_a_rejected_report_says_so_with_the_reason(web_sqlite):
    client, engine, place, _ = web_sqlite
    code = code_of(post(client, good(place, form_page(client, "en"))))
    staff(engine, place, "grid_worker", case_of(engine, code).id, "reject", "Private property: not ours to handle")
    page = client.get(f"/report/{code}").get_data(as_text=True)
    assert 'id="report-rejected"' in page and "Not accepted" in page
    assert "Reason: Private property: not ours to handle" in page and 'id="report-check"' not in page


def test_a_duplicate_follows_the_earlier_case_without_showing_its_text(web_sqlite):
    client, engine, place, _ = web_sqlite
    first = code_of(
        post(client, good(place, form_page(client, "en"), text="Rubbish piled up downstairs, garbage bags"))
    )
    second = code_of(post(client, good(place, form_page(client, "en"), text="Garbage bags piled up near the door")))
    original, duplicate = case_of(engine, first), case_of(engine, second)
    assert duplicate.status == "duplicate" and duplicate.duplicate_of_id == original.id
    staff(engine, place, "grid_worker", original.id, "resolve", "Bags collected")
    page = client.get(f"/report/{second}").get_data(as_text=True)
    assert "Merged with an earlier report of the same problem" in page
    assert "Garbage bags piled up near the door" in page and "Rubbish piled up downstairs" not in page
    assert first not in page  # the earlier reporter's code opens their page: not shown to others
    assert 'data-stage="resolved" aria-current="step"' in page and "Bags collected" in page
    assert 'id="report-check"' not in page  # the earlier reporter or the grid leader checks it


def test_an_unknown_code_is_a_404_in_the_users_language(web_sqlite):
    client, *_ = web_sqlite
    client.set_cookie("cockpit_lang", "en")
    for path in ("/report/DXNOTHERE", "/report/track?code=nope", "/report/DX23456789"):
        response = client.get(path)
        assert response.status_code == 404 and "Tracking code not found" in response.get_data(as_text=True), path
    client.set_cookie("cockpit_lang", "zh")
    assert "没有找到这个查询码" in client.get("/report/DX23456789").get_data(as_text=True)


# --- the reporter's check -------------------------------------------------------------------------------


def test_verify_and_reopen_work_only_on_a_resolved_case(web):
    client, engine, place, _ = web
    html = form_page(client, "en")
    code = code_of(post(client, good(place, html)))
    case_id = case_of(engine, code).id
    token = hidden(html, "csrf_token")
    page = client.get(f"/report/{code}").get_data(as_text=True)
    assert 'id="report-check"' not in page  # nothing to check yet
    response = client.post(f"/report/{code}/verify", data={"csrf_token": token})
    assert response.status_code == 409 and "no longer waiting for your check" in response.get_data(as_text=True)
    assert case_of(engine, code).status == "reported"

    staff(engine, place, "grid_worker", case_id, "resolve", "Cleared")
    assert 'id="report-check"' in client.get(f"/report/{code}").get_data(as_text=True)
    assert client.post(f"/report/{code}/reopen", data={"note": "still there"}).status_code == 400  # no CSRF
    response = client.post(f"/report/{code}/reopen", data={"csrf_token": token, "note": "  "})
    assert response.status_code == 400 and "Please say what is still wrong" in response.get_data(as_text=True)
    assert case_of(engine, code).status == "resolved"
    response = client.post(f"/report/{code}/reopen", data={"csrf_token": token, "note": "Half of it is still there"})
    assert response.status_code == 303 and response.headers["Location"] == f"/report/{code}?done=reopen"
    event = case_of(engine, code)
    assert event.status == "in_progress" and event.reopen_count == 1
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Reporter said it is not fixed; reopened" in page and "Half of it is still there" not in page
    with reading(engine) as s:
        step = s.scalar(select(EventAction).where(EventAction.event_id == case_id, EventAction.action == "reopen"))
        assert step.actor_id is None and step.actor_label == "reporter" and step.note == "Half of it is still there"

    staff(engine, place, "grid_worker", case_id, "resolve", "Cleared again")
    response = client.post(f"/report/{code}/verify", data={"csrf_token": token})
    assert response.status_code == 303 and case_of(engine, code).status == "closed"
    page = client.get(f"/report/{code}").get_data(as_text=True)
    assert "Confirmed fixed by the reporter; closed" in page and 'id="report-check"' not in page
    assert (
        'data-stage="closed"' in page and "aria-current" not in page.split('id="report-progress"')[1].split("</ol>")[0]
    )
    response = client.post(f"/report/{code}/reopen", data={"csrf_token": token, "note": "again"})
    assert response.status_code == 409 and case_of(engine, code).status == "closed"


# --- photos -----------------------------------------------------------------------------------------


def test_a_photo_is_served_only_through_its_own_case_and_without_exif(web_sqlite):
    client, engine, place, instance = web_sqlite
    original = jpeg_with_gps()
    mine = code_of(post(client, good(place, form_page(client, "en")), [(original, "gps.jpg")]))
    theirs = code_of(
        post(client, good(place, form_page(client, "en"), text="Broken lamp at the gate", estate="", building=""),
             [(png(), "lamp.png")])
    )  # fmt: skip
    with reading(engine) as s:
        shas = {
            c: s.scalar(select(EventPhoto.sha256).join(Event).where(Event.tracking_code == c)) for c in (mine, theirs)
        }
    page = client.get(f"/report/{mine}").get_data(as_text=True)
    assert f"/report/{mine}/photo/{shas[mine]}" in page

    response = client.get(f"/report/{mine}/photo/{shas[mine]}")
    assert response.status_code == 200 and response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "private" in response.headers["Cache-Control"] and "max-age" in response.headers["Cache-Control"]
    served = response.data
    assert b"Exif" not in served and b"PhoneMaker" not in served
    image = Image.open(io.BytesIO(served))
    assert image.size == (64, 48) and not image.getexif() and not image.getexif().get_ifd(0x8825)

    assert client.get(f"/report/{mine}/photo/{shas[theirs]}").status_code == 404  # another case's photo
    assert client.get(f"/report/{theirs}/photo/{shas[theirs]}").status_code == 200
    assert client.get(f"/report/{mine}/photo/{'0' * 64}").status_code == 404
    assert client.get(f"/report/{mine}/photo/..%2Fsecret_key").status_code == 404


def test_staff_see_photos_of_cases_in_their_communities_only(web_sqlite):
    client, engine, place, _ = web_sqlite
    code = code_of(post(client, good(place, form_page(client, "en")), [(png(), "a.png")]))
    with reading(engine) as s:
        sha = s.scalar(select(EventPhoto.sha256).join(Event).where(Event.tracking_code == code))
    tiny_community(engine, code="c2")  # another community and its staff

    def login(username: str, password: str):
        staff_client = client.application.test_client()
        html = staff_client.get("/login").get_data(as_text=True)
        token = hidden(html, "csrf_token")
        staff_client.post("/login", data={"username": username, "password": password, "csrf_token": token})
        return staff_client

    ours = login("c1_secretary", "pw-secretary")
    response = ours.get(f"/photos/{sha}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert login("c2_secretary", "pw-secretary").get(f"/photos/{sha}").status_code == 404
    assert ours.get("/photos/" + "f" * 64).status_code == 404
    assert client.application.test_client().get(f"/photos/{sha}").status_code == 302  # anonymous: to login


def test_photos_over_the_request_limit_get_a_clear_answer(web_sqlite):
    client, engine, place, _ = web_sqlite
    client.application.config["MAX_CONTENT_LENGTH"] = 60_000  # 16 MB in production: the same path, sooner
    html = form_page(client, "en")
    response = post(client, good(place, html), [(noisy_png(), "a.png"), (noisy_png(), "b.png")])
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and "The photos are too large altogether" in page
    assert 'id="report-form"' in page and count(engine) == 0
