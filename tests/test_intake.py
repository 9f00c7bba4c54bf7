"""Intake on a real store: a report becomes a placed, graded case at L1; a replay opens nothing new;
a report of the same category within 50 m of an open case joins it (and a more severe one raises
its grade); photos are checked by content, stored once and stripped of EXIF."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from data_access.db import reading, writing
from data_access.intake import IntakeError, Report, submit_report
from data_access.models import Building, Event, EventAction, EventPhoto
from data_access.photos import photo_path, store_photo
from domain.geo import distance_m
from domain.grading import Grading
from domain.photos import PhotoError
from tests.factories import tiny_community

NOW = datetime(2026, 11, 25, 10, 0)


def grading(category="garbage", grade="routine") -> Grading:
    return Grading(category=category, grade=grade, confidence=0.8, cues=("垃圾",), method="rules")


def _submit(engine, report: Report, g: Grading | None = None, now=NOW):
    with writing(engine) as s:
        return submit_report(s, report, g or grading(), now)


def _count(engine, model) -> int:
    with reading(engine) as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def place(engine):
    return tiny_community(engine)


def test_a_report_becomes_a_case_at_l1_of_its_grid(engine, place):
    result = _submit(engine, Report(source="resident", source_ref="web:1", text=" 楼下垃圾堆了三天 ",
                                    building_id=place["building_id"], contact="13900001111"))  # fmt: skip
    assert result.created and result.status == "reported" and result.tracking_code.startswith("DX")
    with reading(engine) as s:
        event = s.get(Event, result.case_id)
        assert (event.grid_id, event.estate_id, event.level) == (place["grid_id"], place["estate_id"], 1)
        assert event.holder_id == place["users"]["grid_worker"]
        assert event.description == "楼下垃圾堆了三天" and event.reporter_contact == "13900001111"
        assert event.grade_cues == ["垃圾"] and event.grade_confidence == 0.8
        assert (event.lat, event.lon) == (30.2, 120.2)  # the building pins it down


def test_a_replay_opens_nothing_new(engine, place):
    report = Report(source="camera_car", source_ref="car1:42", text="违停", estate_id=place["estate_id"])
    first = _submit(engine, report, grading("illegal_parking"))
    again = _submit(engine, report, grading("illegal_parking"))
    assert (again.case_id, again.created) == (first.case_id, False)
    assert _count(engine, Event) == 1 and _count(engine, EventAction) == 1


def test_same_category_within_50_m_joins_the_open_case(engine, place):
    first = _submit(engine, Report(source="resident", source_ref="a", text="垃圾", lat=30.2, lon=120.2,
                                   estate_id=place["estate_id"]))  # fmt: skip
    near = (30.2 + 0.0003, 120.2)  # about 33 m north
    assert distance_m(30.2, 120.2, *near) < 50
    second = _submit(engine, Report(source="camera_car", source_ref="car:1", text="垃圾堆放", lat=near[0],
                                    lon=near[1], estate_id=place["estate_id"]))  # fmt: skip
    assert second.status == "duplicate" and second.duplicate_of_id == first.case_id
    assert second.duplicate_of_code == first.tracking_code
    far = _submit(engine, Report(source="resident", source_ref="b", text="垃圾", lat=30.2 + 0.0006, lon=120.2,
                                 estate_id=place["estate_id"]))  # about 67 m: a case of its own  # fmt: skip
    other_kind = _submit(engine, Report(source="resident", source_ref="c", text="路灯不亮", lat=30.2, lon=120.2,
                                        estate_id=place["estate_id"]), grading("public_lighting"))  # fmt: skip
    assert far.status == "reported" and other_kind.status == "reported"
    with reading(engine) as s:
        joined = s.scalars(
            select(EventAction.action).where(EventAction.event_id == first.case_id).order_by(EventAction.id)
        ).all()
    assert joined == ["report", "duplicate_joined"]


def test_a_more_severe_duplicate_raises_the_open_case(engine, place):
    first = _submit(engine, Report(source="resident", source_ref="lift1", text="电梯坏了", building_id=place["building_id"]),
                    grading("elevator_fault", "priority"))  # fmt: skip
    later = NOW + timedelta(minutes=20)
    dup = _submit(engine, Report(source="resident", source_ref="lift2", text="电梯困人了！", building_id=place["building_id"]),
                  grading("elevator_fault", "urgent"), now=later)  # fmt: skip
    assert dup.duplicate_of_id == first.case_id
    with reading(engine) as s:
        original = s.get(Event, first.case_id)
        assert original.grade == "urgent"
        assert original.due_at == NOW + timedelta(minutes=30)  # urgent: 30 min on the clock from its arrival
        assert s.scalar(select(func.count()).where(EventAction.action == "regrade")) == 1


def test_a_closed_case_does_not_swallow_a_new_report(engine, place):
    first = _submit(engine, Report(source="resident", source_ref="x", text="垃圾", building_id=place["building_id"]))
    with writing(engine) as s:
        s.get(Event, first.case_id).status = "closed"
    second = _submit(engine, Report(source="resident", source_ref="y", text="垃圾", building_id=place["building_id"]))
    assert second.status == "reported"


@pytest.mark.parametrize(
    ("report", "code"),
    [
        (Report(source="resident", source_ref="e1", text="   "), "text_required"),
        (Report(source="resident", source_ref="e2", text="x" * 4001), "text_too_long"),
        (Report(source="martians", source_ref="e3", text="垃圾"), "bad_source"),
        (Report(source="resident", source_ref="e4", text="垃圾", lat=91.0, lon=120.0), "bad_point"),
        (Report(source="resident", source_ref="e5", text="垃圾", lat=30.0), "bad_point"),
        (Report(source="resident", source_ref="e6", text="垃圾", building_id=99999), "unknown_building"),
        (Report(source="resident", source_ref="e7", text="垃圾", estate_id=99999), "unknown_estate"),
    ],
)
def test_bad_reports_are_refused_and_nothing_is_written(engine, place, report, code):
    with pytest.raises(IntakeError) as err:
        _submit(engine, report)
    assert err.value.code == code
    assert _count(engine, Event) == 0


def test_an_unknown_category_writes_nothing(engine, place):
    with pytest.raises(IntakeError) as err:
        _submit(engine, Report(source="resident", source_ref="u", text="x", estate_id=place["estate_id"]),
                grading("no_such_category"))  # fmt: skip
    assert err.value.code == "unknown_category" and _count(engine, Event) == 0


def test_building_of_another_estate_is_refused(engine, place):
    other = tiny_community(engine, code="c2", with_users=False)
    with pytest.raises(IntakeError) as err:
        _submit(engine, Report(source="resident", source_ref="m", text="垃圾", estate_id=place["estate_id"],
                               building_id=other["building_id"]))  # fmt: skip
    assert err.value.code == "unknown_building"
    with reading(engine) as s:
        assert s.get(Building, other["building_id"]) is not None


def _jpeg_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (30.0, 12.0, 5.0), 1: "N"}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def test_photos_are_checked_by_content_stripped_and_stored_once(engine, place, tmp_path):
    raw = _jpeg_with_gps()
    assert b"PhoneMaker" in raw
    photo = store_photo(tmp_path, raw, max_bytes=1_000_000)
    stored = photo_path(tmp_path, photo.sha256, photo.mime).read_bytes()
    assert photo.mime == "image/jpeg" and b"PhoneMaker" not in stored and b"Exif" not in stored
    assert Image.open(io.BytesIO(stored)).size == (64, 48)
    assert store_photo(tmp_path, raw, max_bytes=1_000_000) == photo  # same photo, same file
    for data, code in (
        (b"", "empty"),
        (b"just text pretending to be a photo.jpg", "not_image"),
        (b"\xff\xd8\xff" + b"\x00" * 100, "not_image"),  # starts like a JPEG, is not one
        (raw, "too_large"),
    ):
        with pytest.raises(PhotoError) as err:
            store_photo(tmp_path, data, max_bytes=len(raw) - 1 if code == "too_large" else 1_000_000)
        assert err.value.code == code
    result = _submit(engine, Report(source="resident", source_ref="p", text="垃圾", building_id=place["building_id"],
                                    photos=(photo,)))  # fmt: skip
    with reading(engine) as s:
        rows = s.execute(select(EventPhoto.sha256, EventPhoto.stage).where(EventPhoto.event_id == result.case_id)).all()
    assert [tuple(r) for r in rows] == [(photo.sha256, "report")]
