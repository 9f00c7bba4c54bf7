"""The camera car's batches and the public grader: idempotent replays, all-or-nothing batches with row-level
errors, duplicates joined within 50 m, photos stored without EXIF, and the grader's limits."""

from __future__ import annotations

import base64
import io
from datetime import timedelta
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from data_access.clock import local_now
from data_access.db import reading, writing
from data_access.models import Category, Event, EventAction, EventPhoto, Notification
from data_access.photos import photo_path
from data_access.tokens import issue_token
from tests.factories import add_case, tiny_community
from tests.test_open311 import _app, _place

URL = "/api/v1/camera-detections"


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 40, 40))
    exif = Image.Exif()
    exif[0x010F] = "CameraCarMaker"  # Make
    exif[0x8825] = {1: "N", 2: (30.0, 12.0, 0.0), 3: "E", 4: (120.0, 12.0, 0.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture
def car(engine, tmp_path):
    place = _place(engine)
    with writing(engine) as s:
        place["token"] = issue_token(s, "machine", "camera car 1", local_now(), place["community_id"])
        place["wall"] = issue_token(s, "wall", "wall", local_now())
    app = _app(engine, tmp_path)
    return app.server.test_client(), place, engine, tmp_path / "instance"


def _detection(n: int, **fields) -> dict:
    row = {
        "device_id": "car-01",
        "detection_id": f"d{n:04d}",
        "category": "illegal_parking",
        "captured_at": (local_now() - timedelta(minutes=30 - n)).isoformat(),
        "lat": 30.2 + n * 0.0005,  # about 55 m apart: each its own case
        "lon": 120.2,
    }
    row.update(fields)
    return row


def _send(client, token: str | None, rows):  # noqa: ANN001
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(URL, json={"detections": rows}, headers=headers)


def _counts(engine) -> tuple[int, ...]:  # noqa: ANN001
    with reading(engine) as s:
        return tuple(
            s.scalar(select(func.count()).select_from(model))
            for model in (Event, EventAction, EventPhoto, Notification)
        )


def test_a_batch_is_stored_as_cases_and_a_replay_changes_nothing(car):
    client, place, engine, _ = car
    rows = [_detection(0, photo_base64=base64.b64encode(_jpeg_with_gps()).decode()), _detection(1, category="road_damage",
            description="路面有一个大坑"), _detection(2, category="shop_spillover", captured_at="2026-11-20T09:00:00")]  # fmt: skip
    first = _send(client, place["token"], rows)
    assert first.status_code == 200, first.get_data(as_text=True)
    body = first.get_json()
    assert (body["received"], body["created"], body["joined_duplicates"], body["already_stored"]) == (3, 3, 0, 0)
    assert [c["detection_id"] for c in body["cases"]] == ["d0000", "d0001", "d0002"]
    assert all(c["service_request_id"].startswith("DX") and c["status"] == "reported" for c in body["cases"])
    with reading(engine) as s:
        stored = {
            e.source_ref: (e.source, e.grade, e.community_id, e.grid_id, e.reported_at, e.description)
            for e in s.scalars(select(Event))
        }
        cats = dict(s.execute(select(Event.source_ref, Category.code).join(Category)).all())
    assert set(stored) == {"car-01:d0000", "car-01:d0001", "car-01:d0002"}
    assert cats == {"car-01:d0000": "illegal_parking", "car-01:d0001": "road_damage", "car-01:d0002": "shop_spillover"}
    assert all(v[0] == "camera_car" and v[2] == place["community_id"] for v in stored.values())
    assert stored["car-01:d0000"][3] == place["grid_id"]  # placed in the grid its point lies in
    assert str(stored["car-01:d0002"][4]) == "2026-11-20 09:00:00"  # when it was seen, not when it arrived
    assert stored["car-01:d0001"][5] == "路面有一个大坑" and "机动车违停" in stored["car-01:d0000"][5]
    before = _counts(engine)
    assert before[2] == 1

    again = _send(client, place["token"], rows)
    assert again.status_code == 200
    assert (again.get_json()["created"], again.get_json()["already_stored"]) == (0, 3)
    assert [c["service_request_id"] for c in again.get_json()["cases"]] == [
        c["service_request_id"] for c in body["cases"]
    ]
    assert all(c["replay"] for c in again.get_json()["cases"]) and not any(c["replay"] for c in body["cases"])
    assert _counts(engine) == before
    # a batch that repeats one stored detection and brings a new one stores only the new one
    mixed = _send(client, place["token"], [rows[0], _detection(9, category="garbage")]).get_json()
    assert (mixed["created"], mixed["already_stored"]) == (1, 1)
    assert _counts(engine)[0] == before[0] + 1


def test_one_bad_row_rejects_the_whole_batch_with_row_level_errors(car):
    client, place, engine, instance = car
    good_photo = base64.b64encode(_jpeg_with_gps()).decode()
    rows = [
        _detection(0, photo_base64=good_photo),
        _detection(1, category="potholes"),
        _detection(2, captured_at="yesterday", lat=95),
        _detection(3, photo_base64=base64.b64encode(b"%PDF-1.4 not a photo").decode()),
        _detection(0),  # the same (device, detection) twice in one batch
        _detection(5, device_id="car 01/../x"),
        _detection(6, photo_base64="@@not base64@@"),
        _detection(7, captured_at=(local_now() + timedelta(days=1)).isoformat()),
    ]
    response = _send(client, place["token"], rows)
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_rows" and "nothing was stored" in error["message"]
    found = {(d["row"], d["field"], d["code"]) for d in error["details"]}
    assert found == {
        (1, "category", "unknown_category"),
        (2, "captured_at", "bad_time"),
        (2, "lat", "bad_point"),
        (3, "photo_base64", "not_image"),
        (4, "detection_id", "duplicate"),
        (5, "device_id", "bad_id"),
        (6, "photo_base64", "bad_photo"),
        (7, "captured_at", "future_time"),
    }
    assert all(d["message"].startswith(d["field"]) for d in error["details"])
    assert _counts(engine) == (0, 0, 0, 0)
    assert not (instance / "photos").exists()  # checked before any photo was written

    missing = _send(client, place["token"], [{"device_id": "car-01"}])
    assert {(d["field"], d["code"]) for d in missing.get_json()["error"]["details"]} >= {
        ("detection_id", "missing"), ("category", "missing"), ("captured_at", "missing"), ("lat", "missing"),
    }  # fmt: skip
    assert _send(client, place["token"], []).status_code == 400
    assert client.post(URL, data="not json", headers={"Authorization": f"Bearer {place['token']}"}).status_code == 400
    too_many = _send(client, place["token"], [_detection(n) for n in range(101)])
    assert too_many.status_code == 400 and too_many.get_json()["error"]["details"][0]["code"] == "too_many"
    assert _counts(engine) == (0, 0, 0, 0)


def test_a_detection_near_an_open_case_of_its_category_joins_it(car):
    client, place, engine, _ = car
    now = local_now()
    original = add_case(engine, place, "open-1", now - timedelta(hours=2), category="illegal_parking")
    with writing(engine) as s:
        event = s.get(Event, original)
        event.lat, event.lon = 30.2, 120.2
        code = event.tracking_code
    near = _detection(0, lat=30.2003, lon=120.2)  # about 33 m away
    far = _detection(1, detection_id="far", lat=30.2010, lon=120.2)  # about 110 m away
    other = _detection(2, category="garbage", lat=30.2001, lon=120.2)  # near, but another category
    body = _send(client, place["token"], [near, far, other]).get_json()
    by_id = {c["detection_id"]: c for c in body["cases"]}
    assert by_id["d0000"]["status"] == "duplicate" and by_id["d0000"]["duplicate_of"] == code
    assert by_id["far"]["status"] == "reported" and by_id["far"]["duplicate_of"] is None
    assert by_id["d0002"]["status"] == "reported"
    assert (body["created"], body["joined_duplicates"]) == (2, 1)
    with reading(engine) as s:
        joined = s.scalar(select(EventAction.note).where(EventAction.event_id == original,
                                                         EventAction.action == "duplicate_joined"))  # fmt: skip
    assert joined == by_id["d0000"]["service_request_id"]


def test_photos_are_stored_without_exif(car):
    client, place, engine, instance = car
    raw = _jpeg_with_gps()
    assert Image.open(io.BytesIO(raw)).getexif()  # the camera's photo carries EXIF (GPS, maker)
    response = _send(client, place["token"], [_detection(0, photo_base64=base64.b64encode(raw).decode())])
    assert response.status_code == 200
    with reading(engine) as s:
        photo = s.scalar(select(EventPhoto))
        sha, mime, stage = photo.sha256, photo.mime, photo.stage
    path = photo_path(instance, sha, mime)
    assert Path(path).is_file() and stage == "report" and mime == "image/jpeg"
    with Image.open(path) as stored:
        assert not stored.getexif() and stored.size == (64, 48)
    assert b"CameraCarMaker" not in Path(path).read_bytes()


def test_only_a_machine_token_may_send_detections(car):
    client, place, engine, _ = car
    for token in (None, "ckm_wrong", place["wall"], place["key"]):
        response = _send(client, token, [_detection(0)])
        assert response.status_code == 401 and response.get_json()["error"]["code"] == "unauthorized"
    assert _counts(engine) == (0, 0, 0, 0)


def test_an_unscoped_token_files_detections_by_their_point(engine, tmp_path):
    place = _place(engine)  # c1's estate and grid are drawn around (30.2, 120.2)
    tiny_community(engine, code="c9", with_users=False)
    with writing(engine) as s:
        token = issue_token(s, "machine", "district car", local_now())
    client = _app(engine, tmp_path).server.test_client()
    response = _send(client, token, [_detection(0)])
    assert response.status_code == 200, response.get_data(as_text=True)
    with reading(engine) as s:
        assert s.scalar(select(Event.community_id)) == place["community_id"]  # the outline it lies in
    # a point outside every outline cannot be placed: the store refuses that row, and the row before it,
    # already written in the same transaction, is rolled back with it
    before = _counts(engine)
    refused = _send(client, token, [_detection(1), _detection(2, lat=30.3)])
    assert refused.status_code == 400
    (detail,) = refused.get_json()["error"]["details"]
    assert (detail["row"], detail["field"], detail["code"]) == (1, "lat", "place_required")
    assert "outside every community" in detail["message"]
    assert _counts(engine) == before


def test_classify_answers_with_category_grade_confidence_and_cues(car):
    client, _, engine, _ = car
    response = client.post("/api/v1/classify", json={"text": "3幢电梯困人了，里面有老人，快来"})
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"category", "grade", "confidence", "cues"}
    assert body["category"] == "elevator_fault" and body["grade"] == "urgent"
    assert 0 < body["confidence"] <= 1 and any("困" in cue for cue in body["cues"])
    english = client.post("/api/v1/classify", json={"text": "Someone parked on the fire lane again"}).get_json()
    assert english["category"] == "fire_lane_blocked" and english["grade"] == "priority"
    assert _counts(engine) == (0, 0, 0, 0)  # grading stores nothing


def test_classify_refuses_empty_or_oversized_text(sqlite_engine, tmp_path):
    client = _app(sqlite_engine, tmp_path).server.test_client()
    for body in ({"text": ""}, {"text": "   "}, {}, {"text": 42}, {"text": "长" * 4001}, ["text"]):
        response = client.post("/api/v1/classify", json=body)
        assert response.status_code == 400, body
        error = response.get_json()["error"]
        assert error["code"] == "bad_request" and error["details"][0]["field"] == "text"
    assert client.post("/api/v1/classify", data="text=hi").status_code == 400  # JSON only


def test_classify_is_rate_limited_per_client(sqlite_engine, tmp_path):
    client = _app(sqlite_engine, tmp_path, classify_rate_limit=3).server.test_client()
    for _ in range(3):
        assert client.post("/api/v1/classify", json={"text": "垃圾没人清运"}).status_code == 200
    limited = client.post("/api/v1/classify", json={"text": "垃圾没人清运"})
    assert limited.status_code == 429 and limited.get_json()["error"]["code"] == "rate_limited"
    assert int(limited.headers["Retry-After"]) > 0
    other = client.post("/api/v1/classify", json={"text": "垃圾"}, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert other.status_code == 200  # another client has its own allowance


def test_the_openapi_description_lists_the_new_routes(sqlite_engine, tmp_path):
    client = _app(sqlite_engine, tmp_path).server.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    assert {"/camera-detections", "/classify"} <= set(spec["paths"])
    assert spec["paths"]["/classify"]["post"]["security"] == []
    detection = spec["paths"]["/camera-detections"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert detection["properties"]["detections"]["maxItems"] == 100


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(sqlite_engine, tmp_path):
    """All traffic comes from nginx's address; with COCKPIT_TRUSTED_PROXIES=1 the client is the one nginx
    names in X-Forwarded-For, and without it that header (anyone can send it) is ignored."""
    proxy = {"REMOTE_ADDR": "127.0.0.1"}
    behind = _app(sqlite_engine, tmp_path, classify_rate_limit=2, trusted_proxies=1).server.test_client()
    for client_ip in ("192.168.1.20", "192.168.1.21"):
        headers = {"X-Forwarded-For": client_ip}
        for _ in range(2):
            ok = behind.post("/api/v1/classify", json={"text": "垃圾"}, headers=headers, environ_base=proxy)
            assert ok.status_code == 200
        refused = behind.post("/api/v1/classify", json={"text": "垃圾"}, headers=headers, environ_base=proxy)
        assert refused.status_code == 429, client_ip

    direct = _app(sqlite_engine, tmp_path, classify_rate_limit=2).server.test_client()
    for n in range(2):
        spoofed = {"X-Forwarded-For": f"10.9.9.{n}"}
        assert direct.post("/api/v1/classify", json={"text": "垃圾"}, headers=spoofed).status_code == 200
    assert (
        direct.post("/api/v1/classify", json={"text": "垃圾"}, headers={"X-Forwarded-For": "10.9.9.7"}).status_code
        == 429
    )
