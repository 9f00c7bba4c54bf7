"""The wall screen left running: headless Debian Chromium refreshes a wall through at least 500 refresh
cycles while new cases keep arriving, and the JS heap, DOM node and event-listener counts are read
(after a forced garbage collection) at the start and at the end.

    .venv/bin/python bench/wall_soak.py                     # 500 cycles at 1 s, about 9 minutes
    .venv/bin/python bench/wall_soak.py --cycles 100        # a shorter look

A cycle is one refresh of every view of the screen (hotspots, governance, parking, index, IoT; the
alert poll runs beside them). The screen rotates every 5 s, so every view is drawn again and again.
While it runs, a resident's app reports a case every `--report-every` seconds through Open311 (one in
ten urgent), so the feed, the site plan, the trend and the pop-up keep changing, and those changes go
out as Patch updates. "Start" is read after the first `--warmup` cycles (the renderer's first figures,
fonts and caches), "end" after the last. Target: heap and DOM nodes grow by less than 10 %.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.wall_screens import seed, serve  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
TARGET_GROWTH = 0.10
ROUTINE = (
    ("garbage", "楼下垃圾桶满了，没人清运"),
    ("public_lighting", "楼道灯坏了，晚上很黑"),
    (
        "illegal_parking",
        "消防通道有车乱停",
    ),
)
URGENT = ("elevator_fault", "电梯困人，有人被困在轿厢里")


def metrics(cdp) -> dict:  # noqa: ANN001 - a CDP session
    cdp.send("HeapProfiler.collectGarbage")
    time.sleep(0.5)
    found = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    return {
        "heap_mb": found["JSHeapUsedSize"] / 1e6,
        "nodes": int(found["Nodes"]),
        "listeners": int(found["JSEventListeners"]),
    }


def reporter(base: str, key: str, lat: float, lon: float, every: float, stop: threading.Event, sent: list) -> None:
    rng = random.Random(7)
    while not stop.wait(every):
        code, text = URGENT if rng.random() < 0.1 else rng.choice(ROUTINE)
        data = {"api_key": key, "service_code": code, "lat": f"{lat + rng.uniform(-0.001, 0.001):.6f}",
                "long": f"{lon + rng.uniform(-0.001, 0.001):.6f}", "description": f"{text}（{len(sent) + 1}）"}  # fmt: skip
        try:
            response = requests.post(f"{base}/open311/v2/requests.json", data=data, timeout=30)
            ok = response.status_code == 200
            if not ok:
                print(f"report refused: HTTP {response.status_code} {response.text[:200]}", file=sys.stderr)
        except requests.RequestException as exc:
            ok = False
            print(f"report failed: {exc}", file=sys.stderr)
        sent.append(ok)


def open311_key_and_spot(url: str) -> tuple[str, float, float]:
    from sqlalchemy import select

    from data_access.clock import local_now
    from data_access.db import make_engine, writing
    from data_access.models import Community, Estate
    from data_access.tokens import issue_token

    engine = make_engine(url)
    with writing(engine) as s:
        community = s.scalar(select(Community.id).where(Community.code == "dongxin"))
        key = issue_token(s, "open311", "soak reporter", local_now(), community)
        lat, lon = s.execute(select(Estate.lat, Estate.lon).where(Estate.community_id == community)).first()
    engine.dispose()
    return key, lat, lon


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=500, help="refresh cycles to run (at least 500 for the target)")
    parser.add_argument("--refresh", type=int, default=1, help="seconds between refreshes")
    parser.add_argument("--warmup", type=int, default=20, help="cycles before the start reading")
    parser.add_argument("--report-every", type=float, default=3.0, help="seconds between new cases")
    parser.add_argument("--port", type=int, default=8078)
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as folder:
        url, token, timings = seed(Path(folder), district=False)
        key, lat, lon = open311_key_and_spot(url)
        ctx = multiprocessing.get_context("spawn")
        computations = ctx.Value("l", 0)
        ready = ctx.Event()
        # the reporter posts far more than a real app would: lift the per-key limit for the run
        overrides = {"open311_post_limit": 100_000}
        server = ctx.Process(target=serve, args=(url, folder, args.port, computations, ready, overrides), daemon=True)
        server.start()
        ready.wait(120)
        base = f"http://127.0.0.1:{args.port}"
        stop = threading.Event()
        sent: list[bool] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
            )
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            cycles = {"n": 0}
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

            def count(request) -> None:  # noqa: ANN001
                body = request.post_data or "" if request.method == "POST" else ""
                if "wall-refresh-hotspots" in body:
                    cycles["n"] += 1

            page.on("request", count)
            page.goto(f"{base}/wall/?token={token}&refresh={args.refresh}&rotate=5")
            page.wait_for_selector("#wall-screen", timeout=60_000)
            cdp = page.context.new_cdp_session(page)
            cdp.send("Performance.enable")
            threading.Thread(target=reporter, args=(base, key, lat, lon, args.report_every, stop, sent),
                             daemon=True).start()  # fmt: skip
            began = time.monotonic()

            def wait_cycles(n: int) -> None:
                while cycles["n"] < n:
                    page.wait_for_timeout(250)  # lets the page's events through to the counters

            wait_cycles(args.warmup)
            start = metrics(cdp)
            readings = [(cycles["n"], start)]
            for mark in range(args.warmup + 100, args.cycles, 100):
                wait_cycles(mark)
                readings.append((cycles["n"], metrics(cdp)))
            wait_cycles(args.cycles)
            end = metrics(cdp)
            readings.append((cycles["n"], end))
            minutes = (time.monotonic() - began) / 60
            feed_items = page.locator("#wall-feed li").count()
            stop.set()
            browser.close()
        server.terminate()
        server.join(10)

    print(f"wall soak: {cycles['n']} refresh cycles in {minutes:.1f} min (refresh {args.refresh} s, rotate 5 s), "
          f"{sum(sent)} cases reported meanwhile ({len(sent) - sum(sent)} failed), feed showing {feed_items}")  # fmt: skip
    print(f"  {'cycle':>6} {'JS heap MB':>11} {'DOM nodes':>10} {'listeners':>10}")
    for n, m in readings:
        print(f"  {n:>6} {m['heap_mb']:>11.2f} {m['nodes']:>10} {m['listeners']:>10}")
    verdicts = []
    for name in ("heap_mb", "nodes", "listeners"):
        growth = (end[name] - start[name]) / start[name] if start[name] else 0.0
        verdicts.append(growth < TARGET_GROWTH)
        print(f"  {name:<10} start {start[name]:.2f}  end {end[name]:.2f}  growth {growth * 100:+.1f} %")
    print(f"  page errors: {len(errors)}" + (f" (first: {errors[0][:120]})" if errors else ""))
    ok = all(verdicts[:2]) and cycles["n"] >= 500
    print(f"target: heap and DOM growth < {TARGET_GROWTH * 100:.0f} % over >= 500 cycles: {'ok' if ok else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
