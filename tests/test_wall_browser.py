"""The wall screen in headless Debian Chromium, as the office PC runs it: opened with a token, it
rotates, pops up a new urgent case within 10 s of the report, shows the stale banner with the age of
what is on screen when the server goes away and recovers by itself when it is back; both languages;
no console error and no request leaving the machine."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from app import create_app
from data_access.clock import local_now
from data_access.db import make_engine, reading, writing
from data_access.models import ApiToken, Community, Estate
from data_access.tokens import issue_token, revoke_token
from tests.test_browser import CHROMIUM, PageWatch

pytestmark = pytest.mark.browser
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


class RestartableServer:
    """The app on one fixed loopback port that a test can stop and start again, as an office's server
    goes down and comes back at the same address."""

    def __init__(self, app) -> None:  # noqa: ANN001
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.app = app
        self.server = None

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app.server, threaded=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def wall_site(tmp_path_factory, demo_sqlite_template):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Debian chromium is missing: `make test` installs it")
        pytest.skip("no /usr/bin/chromium")
    folder = tmp_path_factory.mktemp("wall-live")
    db = folder / "cockpit.db"
    shutil.copyfile(demo_sqlite_template, db)
    engine = make_engine(f"sqlite:///{db}")
    now = local_now()
    with writing(engine) as s:
        community_id = s.scalar(select(Community.id).where(Community.code == "dongxin"))
        tokens = {
            "wall": issue_token(s, "wall", "office wall", now, community_id),
            "spare": issue_token(s, "wall", "spare wall", now, community_id),
            "open311": issue_token(s, "open311", "resident app", now, community_id),
        }
        estate = s.execute(select(Estate.lat, Estate.lon).where(Estate.community_id == community_id)).first()
    app = create_app({"instance_dir": str(folder), "database_url": f"sqlite:///{db}", "run_scheduler": False})
    server = RestartableServer(app)
    server.start()
    yield {"server": server, "engine": engine, "tokens": tokens, "spot": estate, "app": app}
    server.stop()
    engine.dispose()


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


def _open(browser, base: str, token: str, query: str = "", size=(1920, 1080)):  # noqa: ANN001, ANN202
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    watch = PageWatch(page, base)
    page.goto(f"{base}/wall/?token={token}{query}")
    page.wait_for_selector("#wall-screen", timeout=20_000)
    return context, page, watch


def _report_urgent(site) -> float:
    """A resident's app reports a trapped passenger; returns when it was stored (time.monotonic)."""
    client = site["app"].server.test_client()
    lat, lon = site["spot"]
    response = client.post(
        "/open311/v2/requests.json",
        data={"api_key": site["tokens"]["open311"], "service_code": "elevator_fault", "lat": str(lat),
              "long": str(lon), "description": "电梯困人，有老人被困在轿厢里，请马上来"},
    )  # fmt: skip
    assert response.status_code == 200, response.get_data(as_text=True)
    return time.monotonic()


def _wait(predicate, seconds: float, step: float = 0.25) -> float | None:  # noqa: ANN001
    """Seconds until predicate() holds, or None if it never did within `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if predicate():
            return time.monotonic() - start
        time.sleep(step)
    return None


def _real_errors(watch: PageWatch) -> list[str]:
    # while the server is away, Chromium logs each refused connection itself; that is the outage, not a bug
    return [e for e in watch.errors if "ERR_CONNECTION_REFUSED" not in e and "Failed to fetch" not in e]


def test_the_wall_rotates_pops_up_goes_stale_and_recovers(wall_site, browser):
    server = wall_site["server"]
    base = server.base
    context, page, watch = _open(browser, base, wall_site["tokens"]["wall"], "&rotate=5&refresh=2")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert "热点总览" in page.inner_text("#wall-view-0")
    assert "数据截至" in page.inner_text("#wall-asof-hotspots")
    assert page.inner_text("#wall-tile-open").strip().isdigit()
    page.wait_for_selector("#wall-plan .scatterlayer .point")  # the site plan draws its open cases
    page.wait_for_selector("#wall-trend .main-svg")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "wall_hotspots_zh.png"))

    # rotation: the second view comes up after 5 s, the header's tab follows
    assert _wait(lambda: "show-1" in (page.get_attribute("#wall-screen", "class") or ""), 12) is not None
    assert page.locator("#wall-view-1").is_visible() and not page.locator("#wall-view-0").is_visible()

    # pop-up: a new urgent case shows within 10 s of being stored, and stays
    assert "shown" not in (page.get_attribute("#wall-popup", "class") or "")
    _report_urgent(wall_site)
    took = _wait(lambda: "shown" in (page.get_attribute("#wall-popup", "class") or ""), 10)
    assert took is not None, "the urgent case did not pop up within 10 s"
    popup = page.inner_text("#wall-popup")
    assert "紧急事件" in popup and "电梯" in popup
    assert "老人被困" not in popup  # the case's text (a resident's words) never reaches the wall
    page.screenshot(path=str(ARTIFACTS / "wall_popup_zh.png"))
    time.sleep(4)
    assert "shown" in (page.get_attribute("#wall-popup", "class") or "")

    # the server goes away: the screen keeps its figures and says how old they are
    open_before = page.inner_text("#wall-tile-open")
    server.stop()
    went_stale = _wait(lambda: "shown" in (page.get_attribute("#wall-banner", "class") or ""), 15)
    assert went_stale is not None, "no stale banner within 15 s of the server stopping"
    banner = page.inner_text("#wall-banner")
    assert "连接中断" in banner and "秒前" in banner
    assert page.inner_text("#wall-tile-open") == open_before  # nothing cleared
    page.screenshot(path=str(ARTIFACTS / "wall_stale_zh.png"))
    time.sleep(5)  # a few failed refreshes: backing off, the age keeps counting
    assert "连接中断" in page.inner_text("#wall-banner")

    # back: the next retry clears the banner by itself and the figures are current again
    server.start()
    recovered = _wait(lambda: "shown" not in (page.get_attribute("#wall-banner", "class") or ""), 40)
    assert recovered is not None, "the wall did not recover within 40 s of the server returning"
    assert _wait(lambda: "数据截至" in page.inner_text("#wall-asof-hotspots"), 10) is not None
    assert not _real_errors(watch), watch.errors
    assert not watch.outside, watch.outside
    context.close()


def test_the_wall_in_english_at_4k_and_a_revoked_token_stops_it(wall_site, browser):
    base = wall_site["server"].base
    context, page, watch = _open(browser, base, wall_site["tokens"]["spare"], "&lang=en&refresh=2", (3840, 2160))
    assert page.get_attribute("html", "lang") == "en"
    text = page.inner_text("#wall-screen")
    for words in ("Hotspots", "Governance loop", "Tidal parking", "Estate index", "Safety and IoT", "Data as of"):
        assert words in text, words
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in page.inner_text("#wall-tiles"))  # no Chinese left over
    page.screenshot(path=str(ARTIFACTS / "wall_hotspots_en_4k.png"))

    with reading(wall_site["engine"]) as s:
        token_id = s.scalar(select(ApiToken.id).where(ApiToken.name == "spare wall"))
    with writing(wall_site["engine"]) as s:
        revoke_token(s, token_id, local_now())
    stopped = _wait(lambda: "revoked" in page.inner_text("#wall-banner"), 15)
    assert stopped is not None, "a revoked screen did not say so"
    assert not watch.outside, watch.outside
    context.close()
