"""Headless Debian Chromium: log in, open every page in both languages, see real demo content,
no console errors and no request leaving the machine."""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from data_access.clock import local_now
from data_access.db import make_engine
from data_access.demo import build_demo
from i18n import t
from jobs import parking, rollups

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "demo-pass-123"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture(scope="module")
def live_folder(tmp_path_factory) -> Path:
    """Where the live server keeps its instance; its store is cockpit.db in it."""
    return tmp_path_factory.mktemp("live")


@pytest.fixture(scope="module")
def live_server(live_folder, sqlite_template):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is missing: `make test` installs it")
        pytest.skip("no /usr/bin/chromium")
    folder = live_folder
    db = folder / "cockpit.db"
    shutil.copyfile(sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    demo = build_demo(engine, password=PASSWORD)
    rollups.run(engine, local_now())  # what the scheduler does right after start
    parking.run(engine, local_now())
    engine.dispose()
    app = create_app({"instance_dir": str(folder), "database_url": f"sqlite:///{db}", "run_scheduler": False})
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", demo
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-default-apps"],
        )  # fmt: skip
        yield chromium
        chromium.close()


class PageWatch:
    """Collects console errors and any request that is not to the app under test."""

    def __init__(self, page, base: str):
        self.errors: list[str] = []
        self.outside: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on(
            "request",
            lambda r: None if r.url.startswith((base, "data:", "blob:")) else self.outside.append(r.url),
        )


def log_in(page, base: str, lang: str, username: str) -> None:
    page.goto(f"{base}/lang/{lang}?next=/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#login-submit")
    page.wait_for_url(f"{base}/")


EXPECT = {
    # path: (selector that must show real content, zh text, en text)
    "/": ("#kpi-open-value", "最新事件", "Latest cases"),
    "/data": ("#data-pyramid .main-svg", "各小区住户数", "Households per estate"),
    "/governance": ("#gov-grid-table .ag-row", "综合治理", "Governance"),
    "/governance/metrics": ("#metric-bar .main-svg", "按期结案率", "On-time closure rate"),
    "/parking": ("#park-heatmap .main-svg", "潮汐停车", "Tidal shared parking"),
    "/services": ("#svc-specialty-chart .main-svg", "人才库", "Talent library"),
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_in_both_languages(live_server, browser, lang):
    base, demo = live_server
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    watch = PageWatch(page, base)
    log_in(page, base, lang, "secretary")
    assert page.get_attribute("html", "lang") == ("zh-CN" if lang == "zh" else "en")
    ARTIFACTS.mkdir(exist_ok=True)
    for path, (selector, zh, en) in EXPECT.items():
        page.goto(base + path)
        page.wait_for_selector(selector, timeout=20_000)
        page.wait_for_load_state("networkidle")
        body = page.inner_text("body")
        assert (zh if lang == "zh" else en) in body, path
        nav = ("热点", "数据", "综合治理", "停车", "服务")
        if lang == "en":
            nav = ("Hotspots", "Data", "Governance", "Parking", "Services")
        assert all(word in page.inner_text("nav") for word in nav)
        name = path.strip("/").replace("/", "_") or "hotspots"
        page.screenshot(path=str(ARTIFACTS / f"{name}_{lang}.png"), full_page=True)

    # real numbers, not placeholders
    page.goto(base + "/")
    page.wait_for_selector("#kpi-open-value")
    assert int(page.inner_text("#kpi-open-value")) > 0
    assert page.locator("#hot-feed-list .latest-case").count() >= 5
    page.wait_for_selector("#hot-plan .scatterlayer .point")  # open cases on the site plan
    page.wait_for_selector("#hot-trend .main-svg")  # the trend drawn from the rollups

    # the published tidal-parking figures, computed by the job from the stored occupancy
    page.goto(base + "/parking")
    page.wait_for_selector("#kpi-park-day-value")
    assert (page.inner_text("#kpi-park-day-value"), page.inner_text("#kpi-park-night-value")) == ("126", "182")
    page.click("#park-shareable-table a >> nth=3")
    page.wait_for_url(f"{base}/parking?lot=*")
    page.wait_for_selector("#park-history .main-svg")

    page.goto(base + "/")
    page.wait_for_selector("#kpi-overdue-value")
    # a tile drills down to the cases behind it
    overdue = int(page.inner_text("#kpi-overdue-value"))
    page.click("#kpi-overdue-link")
    page.wait_for_url(f"{base}/governance?overdue=1")
    page.wait_for_function(
        "n => (document.querySelector('#gov-count')?.innerText || '').includes(String(n))", arg=overdue
    )
    # the count text and the grid's rows are drawn separately: wait for the rows too
    page.wait_for_function(
        "n => document.querySelectorAll('#gov-grid-table .ag-row').length === n", arg=min(overdue, 20)
    )

    # the grid drills down to a case page with its trail
    page.goto(base + "/governance")
    page.wait_for_selector("#gov-grid-table .ag-row a")
    page.locator("#gov-grid-table .ag-row a").first.click()
    page.wait_for_selector("#case-trail .trail-step")
    assert page.locator("#case-trail .trail-step").count() >= 1
    assert ("流转记录" if lang == "zh" else "Trail") in page.inner_text("body")
    page.screenshot(path=str(ARTIFACTS / f"case_{lang}.png"), full_page=True)

    assert watch.outside == []
    assert watch.errors == []
    context.close()


# Every other page of the registry: (account that may open it, selector of its real content, title key).
# With EXPECT above this covers app.PAGE_MODULES; a new page fails the test below until it is listed here.
MORE_PAGES = {
    "/data/devices": ("secretary", "#kpi-dev-normal-value", "dev.title"),
    "/data/access": ("secretary", "#kpi-acc-gates-value", "acc.title"),
    "/data/welfare": ("secretary", "#welf-watches-table tbody tr", "welf.title"),
    "/governance/case/<case_id>": ("secretary", "#case-trail .trail-step", "case.trail"),
    "/governance/new": ("secretary", "#newcase-text", "newcase.title"),
    "/services/requests": ("secretary", "#svcq-grid .ag-row", "svcq.title"),
    "/services/request/<code>": ("secretary", "#svcr-trail", "svcq.detail_code"),
    "/services/library": ("secretary", "#lib-grid .ag-row", "svcq.tab.library"),
    "/estate-index": ("secretary", "#idx-page", "idx.title"),
    "/compare": ("secretary", "#cmp-single", "compare.single_community"),  # one community: the page says so
    "/inbox": ("grid_worker", "#inbox-list .list-group-item", "inbox.title"),  # the demo's recent hand-overs
    "/system": ("admin", "#tok-table tbody tr", "sys.title"),
    "/data/audit": ("admin", "#aud-grid .ag-row", "aud.title"),  # the reads of personal data made above
}


def _registered_paths() -> set[str]:
    from app import PAGE_MODULES

    return {module.PAGE.get("path") or module.PAGE["path_template"] for module in PAGE_MODULES}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_other_registered_page_opens_with_real_content(live_server, live_folder, browser, lang):
    assert set(EXPECT) | set(MORE_PAGES) == _registered_paths()
    base, _ = live_server
    engine = make_engine(f"sqlite:///{live_folder / 'cockpit.db'}")
    with engine.connect() as conn:
        values = {
            "<case_id>": str(conn.exec_driver_sql("SELECT min(id) FROM event").scalar()),
            "<code>": conn.exec_driver_sql("SELECT min(tracking_code) FROM service_request").scalar(),
        }
    engine.dispose()
    for username in ("secretary", "grid_worker", "admin"):  # the order matters: the audit log shows the reads
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        watch = PageWatch(page, base)
        log_in(page, base, lang, username)
        for path, (account, selector, title_key) in MORE_PAGES.items():
            if account != username:
                continue
            url = path
            for placeholder, value in values.items():
                url = url.replace(placeholder, value)
            page.goto(base + url)
            page.wait_for_selector(selector, timeout=20_000)
            page.wait_for_load_state("networkidle")
            assert t(title_key, lang, code=values["<code>"]) in page.inner_text("#page-frame"), path
            if path == "/inbox":  # unread notices are counted in the navbar
                assert int(page.inner_text("#nav-unread")) >= 1
        assert watch.outside == [], username
        assert watch.errors == [], username
        context.close()


def test_filtering_the_case_grid(live_server, browser):
    base, _ = live_server
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    watch = PageWatch(page, base)
    log_in(page, base, "en", "grid_leader")
    page.goto(f"{base}/governance")
    page.wait_for_selector("#gov-grid-table .ag-row")
    total = page.inner_text("#gov-count")
    page.click("#gov-overdue")
    page.wait_for_function("t => (document.querySelector('#gov-count')?.innerText || t) !== t", arg=total)
    overdue_rows = page.locator("#gov-grid-table .ag-row")
    assert overdue_rows.count() >= 1
    assert all(text == "Overdue" for text in page.locator("#gov-grid-table .ag-row [col-id=overdue]").all_inner_texts())
    assert watch.errors == [] and watch.outside == []
    context.close()


def test_a_metrics_bar_drills_down_to_its_cases(live_server, browser):
    base, _ = live_server
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    watch = PageWatch(page, base)
    log_in(page, base, "zh", "secretary")
    page.goto(f"{base}/governance/metrics?period=3m&dimension=grid")
    page.wait_for_selector("#metric-bar .main-svg")
    closed = page.inner_text("#metric-table tbody tr:first-child td:nth-child(3)")  # the first grid's 已结
    assert int(closed) > 0
    # the closure-rate trace; its last bar is the first grid (drawn top down)
    bar = page.locator("#metric-bar .trace.bars").first.locator(".point path").last.bounding_box()
    # plotly's drag layer lies over the bars and turns a real mouse click there into clickData
    page.mouse.move(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    page.mouse.click(bar["x"] + bar["width"] / 2, bar["y"] + bar["height"] / 2)
    page.wait_for_url(f"{base}/governance?*status=closed*")
    page.wait_for_selector("#gov-drill-alert")
    page.wait_for_function("n => (document.querySelector('#gov-count')?.innerText || '') === `共 ${n} 件`", arg=closed)
    assert "应结" in page.inner_text("#gov-drill-alert")
    page.click("#gov-drill-clear")
    page.wait_for_selector("#gov-drill-alert", state="detached")
    assert watch.errors == [] and watch.outside == []
    context.close()


def test_hotspots_filter_and_a_plan_marker_drill_down_to_the_case_grid(live_server, browser):
    base, _ = live_server
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    watch = PageWatch(page, base)
    log_in(page, base, "en", "secretary")
    page.wait_for_selector("#hot-plan .scatterlayer .point")
    everything = page.inner_text("#kpi-open-value")
    page.click("#hot-grade")
    page.click("[role=listbox] [role=option]:has-text('Routine')")  # the options open in a popover
    page.wait_for_function("n => document.querySelector('#kpi-open-value')?.innerText !== n", arg=everything)
    routine = int(page.inner_text("#kpi-open-value"))
    assert 0 < routine < int(everything)
    assert "grade=routine" in page.get_attribute("#kpi-open-link", "href")
    point = page.locator("#hot-plan .scatterlayer .point").first.bounding_box()
    page.mouse.move(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
    page.mouse.click(point["x"] + point["width"] / 2, point["y"] + point["height"] / 2)
    page.wait_for_url(f"{base}/governance?*estate=*")
    assert "grade=routine" in page.url and "status=open" in page.url
    page.wait_for_selector("#gov-drill-alert")
    page.wait_for_selector("#gov-grid-table .ag-row")
    grades = page.locator("#gov-grid-table .ag-row [col-id=grade]").all_inner_texts()
    assert grades and set(grades) == {"Routine"}
    assert watch.errors == [] and watch.outside == []
    context.close()


def test_wrong_login_stays_on_login_with_a_message(live_server, browser):
    base, _ = live_server
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("#username", "viewer")
    page.fill("#password", "not-it")
    page.click("#login-submit")
    assert "用户名或密码不正确" in page.inner_text("#login-error")
    context.close()


def test_every_demo_login_works_and_logs_out(live_server, browser):
    """Each account the demo prints opens the cockpit on real figures; the navbar's logout ends it."""
    base, demo = live_server
    for username, role in demo.logins:
        context = browser.new_context()
        page = context.new_page()
        watch = PageWatch(page, base)
        log_in(page, base, "zh", username)
        page.wait_for_selector("#kpi-open-value", timeout=20_000)
        assert page.inner_text("#kpi-open-value").strip().isdigit(), username
        assert t(f"role.{role}", "zh") in page.inner_text("#nav-user"), username
        page.click("#nav-logout")
        page.wait_for_url(f"{base}/login")
        page.goto(f"{base}/governance")
        assert page.url.startswith(f"{base}/login"), username  # the session is gone
        assert not watch.errors and not watch.outside, (username, watch.errors, watch.outside)
        context.close()
