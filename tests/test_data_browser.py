"""Headless Chromium over the data module: a trapped-passenger reading posted to the telemetry API becomes a
critical alarm with an urgent case after one `iot_alarms` run; the devices page shows it and staff
acknowledge alarms with a note, in both languages; the population drill-down and the welfare page show
real content. No console errors, no request leaving the machine."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
import requests
from werkzeug.serving import make_server

from app import create_app
from data_access.clock import local_now
from data_access.db import make_engine
from data_access.demo import build_demo
from jobs import iot_alarms
from jobs import welfare as welfare_job
from tests.test_browser import ARTIFACTS, CHROMIUM, PageWatch, browser  # noqa: F401 - browser is a fixture

pytestmark = pytest.mark.browser
PASSWORD = "demo-pass-456"
ELEVATOR = "EL-junjing-03-1"


@pytest.fixture(scope="module")
def data_server(tmp_path_factory, sqlite_template):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is missing: `make test` installs it")
        pytest.skip("no /usr/bin/chromium")
    folder = tmp_path_factory.mktemp("data-live")
    db = folder / "cockpit.db"
    shutil.copyfile(sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    demo = build_demo(engine, password=PASSWORD)
    app = create_app({"instance_dir": str(folder), "database_url": f"sqlite:///{db}", "run_scheduler": False})
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    # what a lift gateway sends when a passenger is trapped, then one cycle of the every-minute job
    now = local_now()
    reading = {"device": ELEVATOR, "ts": now.isoformat(), "metric": "status", "value": 1, "fault_code": "TRAPPED"}
    response = requests.post(f"{base}/api/v1/telemetry", json={"readings": [reading]},
                             headers={"Authorization": f"Bearer {demo.machine_token}"}, timeout=10)  # fmt: skip
    assert response.json()["stored"] == 1
    summary = iot_alarms.run(engine, local_now())
    assert summary["cases"] == 1
    welfare_job.run(engine, local_now())
    engine.dispose()
    yield base
    server.shutdown()


def log_in(page, base: str, lang: str, username: str) -> None:
    page.goto(f"{base}/lang/{lang}?next=/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_devices_page_and_acknowledging_an_alarm(data_server, browser, lang):  # noqa: F811
    base = data_server
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    watch = PageWatch(page, base)
    log_in(page, base, lang, "grid_worker")
    page.goto(f"{base}/data/devices")
    page.wait_for_selector("#dev-alarms-table")
    page.wait_for_selector("#dev-grid .ag-row")
    body = page.inner_text("body")
    assert ("物联设备" if lang == "zh" else "Devices") in body
    # the trapped passenger: critical, with the urgent case it opened
    first = page.locator("#dev-alarms-table tbody tr").first
    assert ELEVATOR in first.inner_text()
    assert ("紧急" if lang == "zh" else "Critical") in first.inner_text()
    assert ("电梯困人" if lang == "zh" else "Passenger trapped") in first.inner_text()
    assert first.locator("a[href^='/governance/case/']").count() == 1
    assert int(page.inner_text("#kpi-dev-alarm-value")) >= 1

    # acknowledge the first alarm nobody has acknowledged yet (zh: the trapped passenger; en: the next one)
    row = page.locator(
        "#dev-alarms-table tbody tr", has=page.locator("button", has_text="确认" if lang == "zh" else "Acknowledge")
    ).first
    row_id = row.get_attribute("id")
    note = "维保人员已赶往现场" if lang == "zh" else "Lift engineer on the way"
    row.locator("input").fill(note)
    row.locator("button", has_text="确认" if lang == "zh" else "Acknowledge").click()
    page.wait_for_selector("#dev-done")
    assert ("告警已确认" if lang == "zh" else "Alarm acknowledged") in page.inner_text("#dev-done")
    acked = page.locator(f"[id='{row_id}']")
    acked.wait_for()
    text = acked.inner_text()
    assert note in text and ("确认" in text if lang == "zh" else "by " in text)
    assert page.locator(f"[id='{row_id}'] button", has_text="确认" if lang == "zh" else "Acknowledge").count() == 0
    page.screenshot(path=str(ARTIFACTS / f"devices_{lang}.png"), full_page=True)

    # clearing needs a note: without one the server refuses and says why
    cleared = page.locator("#dev-alarms-table tbody tr").first
    cleared.locator("button", has_text="清除" if lang == "zh" else "Clear").click()
    page.wait_for_selector("#dev-error")
    assert ("需要填写处理说明" if lang == "zh" else "needs a note") in page.inner_text("#dev-error")

    # the case the alarm opened is urgent, on the clock
    page.locator("#dev-alarms-table tbody tr").first.locator("a[href^='/governance/case/']").click()
    page.wait_for_selector("#case-trail .trail-step")
    assert ("紧急" if lang == "zh" else "Urgent") in page.inner_text("body")

    # a device's history chart
    page.goto(f"{base}/data/devices?device=1")
    page.wait_for_selector("#dev-history .main-svg")
    assert watch.errors == [] and watch.outside == []
    context.close()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_population_drill_down_and_welfare_page(data_server, browser, lang):  # noqa: F811
    base = data_server
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    watch = PageWatch(page, base)
    log_in(page, base, lang, "grid_worker")
    page.goto(f"{base}/data")
    page.wait_for_selector("#data-pyramid .main-svg")
    page.wait_for_selector("#data-care .main-svg")
    page.screenshot(path=str(ARTIFACTS / f"data_population_{lang}.png"), full_page=True)
    page.click("#pop-estate-junjing")
    page.wait_for_selector("#pop-buildings-table")
    page.locator("#pop-buildings-table a").first.click()
    page.wait_for_selector("#pop-households-table")
    masked = page.inner_text("#pop-households-table")
    assert "*" in masked
    reveal = page.locator("#pop-households-table button", has_text="查看" if lang == "zh" else "Reveal").first
    reveal.click()
    page.wait_for_selector("#pop-households-table .revealed")

    page.goto(f"{base}/data/welfare")
    page.wait_for_selector("#welf-tasks-table")
    tasks = page.inner_text("#welf-tasks-table")
    assert ("待探访" if lang == "zh" else "To visit") in tasks and "*" in tasks
    page.screenshot(path=str(ARTIFACTS / f"welfare_{lang}.png"), full_page=True)
    page.goto(f"{base}/data/access")
    page.wait_for_selector("#acc-heatmap .main-svg")
    assert watch.errors == [] and watch.outside == []
    context.close()
