"""Headless Debian Chromium: the estate index page draws its ranking, trend, radar and indicators with a red estate
and its case, and a resident votes on a phone — in Chinese and in English, with no console error and no request
leaving the machine."""

from __future__ import annotations

import os
import re
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from app import create_app
from data_access.ballots import ballot_key
from data_access.clock import local_now
from data_access.db import make_engine
from domain.ballots import format_code, household_code
from domain.estate_index import month_of
from jobs import estate_index as index_job
from tests.test_browser import ARTIFACTS, CHROMIUM, PageWatch, browser  # noqa: F401 - browser is a fixture
from tests.test_estate_index import MONTH, RUN_AT, _ballots, _community, _scores

pytestmark = pytest.mark.browser
TEXT = {
    "zh": ("小区运行指数", "红色预警", "整改事项", "感谢您的评议"),
    "en": ("Estate running index", "Red warning", "Items to rectify", "Thank you for your rating"),
}


@pytest.fixture(scope="module")
def index_server(tmp_path_factory, sqlite_template):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is missing: `make test` installs it")
        pytest.skip("no /usr/bin/chromium")
    folder = tmp_path_factory.mktemp("index-live")
    db = folder / "cockpit.db"
    shutil.copyfile(sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    place = _community(engine)
    e1, e2 = place["estate_id"], place["e2"]
    _ballots(engine, e1, place["homes"][e1], MONTH, 75, 5, fire_safety=25)
    _scores(engine, e1, MONTH, 55, 55)
    _ballots(engine, e2, place["homes"][e2], MONTH, 90, 6)
    _scores(engine, e2, MONTH, 85, 85)
    index_job.run(engine, RUN_AT)
    app = create_app({"instance_dir": str(folder), "database_url": f"sqlite:///{db}", "run_scheduler": False})
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", place, ballot_key(folder)
    server.shutdown()
    engine.dispose()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_and_the_ballot_in_a_browser(index_server, browser, lang):  # noqa: F811 - the imported fixture
    base, place, key = index_server
    title, red, items, thanks = TEXT[lang]
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/lang/{lang}?next=/login")
    page.fill("#username", "c1_secretary")
    page.fill("#password", "pw-secretary")
    page.click("#login-submit")
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/estate-index?month={MONTH}")
    for selector in ("#idx-ranking", "#idx-trend .main-svg", "#idx-radar .main-svg", "#idx-ind-property .main-svg"):
        page.wait_for_selector(selector, timeout=20_000)
    page.wait_for_selector("#idx-entry-fields input", timeout=20_000)  # the entry form loads for the secretary
    page.wait_for_load_state("networkidle")
    body = page.inner_text("body")
    assert title in body and red in body and items in body
    assert page.inner_text("#idx-detail-level").strip() == red
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"estate_index_{lang}.png"), full_page=True)
    assert watch.errors == [] and watch.outside == []

    phone = browser.new_context(viewport={"width": 390, "height": 844})
    resident = phone.new_page()
    watch = PageWatch(resident, base)
    resident.goto(f"{base}/lang/{lang}?next=/vote?estate={place['estate_id']}")
    home = place["homes"][place["estate_id"]][8 if lang == "zh" else 9]
    resident.fill("#code", format_code(household_code(key, home, month_of(local_now()))))
    for aspect in ("fire_safety", "elevator", "garbage_sorting", "property_management", "sanitation",
                   "epidemic_prevention", "dog_keeping"):  # fmt: skip
        resident.click(f"label[for={aspect}-4]")
    resident.fill("#comment", "楼道灯已修好" if lang == "zh" else "The stairwell light works again")
    resident.click("#vote-submit")
    resident.wait_for_selector("#vote-thanks")
    assert thanks in resident.inner_text("body") and re.search(r"/vote/thanks", resident.url)
    resident.screenshot(path=str(ARTIFACTS / f"vote_{lang}.png"), full_page=True)
    assert watch.errors == [] and watch.outside == []
    phone.close()
    context.close()
