"""Headless Debian Chromium on a phone-sized screen: a resident reports a problem on `/report`, the
tracking page shows it, the grid worker resolves it, the tracking page shows it resolved and the
resident confirms — in Chinese and in English, with no console errors and no request leaving the
machine. And the form still works with JavaScript off."""

from __future__ import annotations

import os
import re
import shutil
import threading
from datetime import timedelta

import pytest
from werkzeug.serving import make_server

from app import create_app
from data_access.clock import local_now
from data_access.db import make_engine, reading, writing
from data_access.workflow import act, actor_for
from tests.test_browser import ARTIFACTS, CHROMIUM, PageWatch, browser  # noqa: F401 - browser is a fixture
from tests.test_report_page import _store, png

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
TEXT = {
    "zh": ("2幢楼下垃圾堆放好几天了，垃圾袋都破了", "垃圾堆放", "已清运垃圾，地面已冲洗"),
    "en": ("Garbage bags piled up by the bins for days, the rubbish is spilling out", "Garbage / sorting",
           "Rubbish collected and the ground washed"),
}  # fmt: skip


@pytest.fixture(scope="module")
def report_server(tmp_path_factory, sqlite_template):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is missing: `make test` installs it")
        pytest.skip("no /usr/bin/chromium")
    folder = tmp_path_factory.mktemp("report-live")
    db = folder / "cockpit.db"
    shutil.copyfile(sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    place = _store(engine)
    app = create_app({"instance_dir": str(folder), "database_url": f"sqlite:///{db}", "run_scheduler": False})
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", engine, place
    server.shutdown()
    engine.dispose()


def _resolve(engine, place: dict, code: str, note: str) -> None:
    from sqlalchemy import select

    from data_access.models import Event

    with reading(engine) as s:
        case_id = s.scalar(select(Event.id).where(Event.tracking_code == code))
    with writing(engine) as s:
        worker = actor_for(s, place["users"]["grid_worker"])
        act(s, case_id, worker, "resolve", local_now() + timedelta(seconds=1), note)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_resident_journey_on_a_phone(report_server, browser, lang):  # noqa: F811 - the imported fixture
    base, engine, place = report_server
    text, category_name, resolution = TEXT[lang]
    context = browser.new_context(viewport=PHONE, locale="zh-CN" if lang == "zh" else "en-GB")
    page = context.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/lang/{lang}?next=/report")
    assert page.get_attribute("html", "lang") == ("zh-CN" if lang == "zh" else "en")

    # typing brings a suggestion in words (category and grade), which one tap adopts
    page.fill("#text", text)
    page.wait_for_selector("#report-suggestion:not([hidden])", timeout=10_000)
    suggestion = page.inner_text("#report-suggestion-text")
    assert category_name in suggestion
    assert any(
        word in suggestion for word in (("紧急", "较急", "一般") if lang == "zh" else ("Urgent", "Priority", "Routine"))
    )
    page.click("#report-suggestion-use")
    assert page.input_value("#category") == "garbage"

    # a tap next to a building on the plan marks the spot and picks the estate and the building
    page.locator(f'.plan-building[data-building="{place["building_id"]}"]').click()
    assert page.input_value("#estate") == str(place["estate_id"])
    assert page.input_value("#building") == str(place["building_id"])
    assert page.input_value("#lat") and page.input_value("#lon")
    assert page.is_visible("#plan-marker")
    # the building list follows the estate
    page.select_option("#estate", str(place["other_estate_id"]))
    assert page.locator("#building option").count() == 2  # "none" and the other estate's one building
    page.select_option("#estate", str(place["estate_id"]))
    page.select_option("#building", str(place["building_id"]))

    page.set_input_files("#photos", files=[{"name": "bins.png", "mimeType": "image/png", "buffer": png()}])
    page.fill("#contact", "13812345678")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report_form_{lang}.png"), full_page=True)
    page.click("#report-submit")
    page.wait_for_url(re.compile(r".*/report/DX[A-Z2-9]{8}\?new=1$"))

    # the tracking page shows it, without the contact
    code = page.inner_text("#report-code").strip()
    assert re.fullmatch(r"DX[A-Z2-9]{8}", code)
    assert text in page.inner_text("#report-description")
    assert page.inner_text("#report-category") == category_name
    assert page.get_attribute('#report-progress li[data-stage="reported"]', "aria-current") == "step"
    assert page.locator("#report-photos img").count() == 1
    page.wait_for_function("() => document.querySelector('#report-photos img').naturalWidth > 0")
    assert "13812345678" not in page.content()

    # staff resolve it; the tracking page shows it resolved, with the note, and the resident confirms
    _resolve(engine, place, code, resolution)
    page.reload()
    assert page.get_attribute('#report-progress li[data-stage="resolved"]', "aria-current") == "step"
    assert resolution in page.inner_text("#report-resolution")
    assert page.is_visible("#report-check")
    page.screenshot(path=str(ARTIFACTS / f"report_resolved_{lang}.png"), full_page=True)
    page.click("#report-verify")
    page.wait_for_url(re.compile(r".*done=verify$"))
    assert page.get_attribute("#report-status", "data-status") == "closed"
    assert page.locator("#report-progress li.is-done").count() == 4
    assert ("反映人确认已解决" if lang == "zh" else "Confirmed fixed by the reporter") in page.inner_text(
        "#report-timeline"
    )

    assert watch.outside == []
    assert watch.errors == []
    context.close()


def test_the_form_works_without_javascript(report_server, browser):  # noqa: F811 - the imported fixture
    base, _, place = report_server
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/lang/en?next=/report")
    assert not page.is_visible("#plan")  # it needs a script to take a tap
    assert page.locator("#building optgroup").count() == 2  # every building, under its estate
    page.fill("#text", "The lamp at the gate of building 9 has been off all week")
    page.select_option("#building", str(place["other_building_id"]))
    page.click("#report-submit")
    page.wait_for_url(re.compile(r".*/report/DX[A-Z2-9]{8}\?new=1$"))
    assert "Estate Two · Building 9" in page.inner_text("#report-details")
    assert watch.outside == [] and watch.errors == []
    context.close()
