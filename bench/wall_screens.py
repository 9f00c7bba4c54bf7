"""Many wall screens on one server: p50 / p95 / max and payload bytes of every wall callback with 1, 10
and 50 simulated screens, on the demo community and at district scale, and how many times the server
computed a view (the view cache's count) against how many refreshes the screens asked for.

    .venv/bin/python bench/wall_screens.py                 # the demo community (Dongxin)
    .venv/bin/python bench/wall_screens.py --district      # + the district demo: ~60 communities, a year each

It seeds a fresh SQLite store in a temporary folder (as `python -m data_access init --demo [--district]`
does), runs the jobs the scheduler runs at start (rollups, parking), and starts the app in a child process
on loopback — one process, threaded, as `make run` serves it. Each simulated screen does what the
browser does: loads /wall/ with its token, builds the screen once, then every `--refresh` seconds asks
for the five views' refreshes together and every 3 s for the alert poll, sending back the state it was
last given (so the answers are the real Patch / no-update answers). Screens start spread over the first
interval, as screens switched on at different times are. The district run uses a wall token for every
community (the district's wall), the demo run one for Dongxin.

Target: p95 under 250 ms per callback with 50 screens at district scale; computations per interval
stay at one per view however many screens ask.
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

VIEWS = ("hotspots", "governance", "parking", "index", "iot")
ALERT_POLL_SECONDS = 3
TARGET_P95_MS = 250


# --- the store and the server ---------------------------------------------------------------------------------


def seed(folder: Path, district: bool) -> tuple[str, str, dict]:
    """A fresh store with the demo (and district); returns (database url, wall token, timings)."""
    from sqlalchemy import select

    from data_access.clock import local_now
    from data_access.db import make_engine, writing
    from data_access.demo import build_demo
    from data_access.migrate import upgrade_to_head
    from data_access.models import Community
    from data_access.tokens import issue_token
    from jobs import parking, rollups

    url = f"sqlite:///{folder}/cockpit.db"
    engine = make_engine(url)
    upgrade_to_head(engine)
    timings = {}
    started = time.perf_counter()
    build_demo(engine, password="bench-pass")
    timings["demo seed s"] = time.perf_counter() - started
    if district:
        from data_access.demo_district import build_district

        started = time.perf_counter()
        build_district(engine, password="bench-pass")
        timings["district seed s"] = time.perf_counter() - started
    now = local_now()
    started = time.perf_counter()
    rollups.run(engine, now)
    parking.run(engine, now)
    timings["jobs s"] = time.perf_counter() - started
    with writing(engine) as s:
        community = None if district else s.scalar(select(Community.id).where(Community.code == "dongxin"))
        token = issue_token(s, "wall", "bench wall", now, community)
    engine.dispose()
    return url, token, timings


def serve(url: str, folder: str, port: int, computations, ready, overrides: dict | None = None) -> None:  # noqa: ANN001
    """The child process: the app on loopback, reporting its view cache's computation count
    (`computations`, `ready`: multiprocessing values)."""
    import logging

    from werkzeug.serving import make_server

    from app import create_app

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app({"instance_dir": folder, "database_url": url, "run_scheduler": False, **(overrides or {})})
    cache = app.server.extensions["cockpit"]["view_cache"]

    def report() -> None:
        while True:
            computations.value = cache.computations
            time.sleep(0.1)

    threading.Thread(target=report, daemon=True).start()
    server = make_server("127.0.0.1", port, app.server, threaded=True)
    ready.set()
    server.serve_forever()


# --- one simulated screen --------------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.bytes: dict[str, list[int]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)

    def add(self, name: str, ms: float, size: int, ok: bool) -> None:
        with self.lock:
            self.ms[name].append(ms)
            self.bytes[name].append(size)
            if not ok:
                self.errors[name] += 1


def _payload(outputs: list[tuple[str, str]], trigger: tuple[str, str, object], state: list[tuple[str, str]],
             stores: dict) -> dict:  # fmt: skip
    output = "...".join(f"{i}.{p}" for i, p in outputs)
    return {
        "output": f"..{output}.." if len(outputs) > 1 else output,
        "outputs": [{"id": i, "property": p} for i, p in outputs],
        "inputs": [{"id": trigger[0], "property": trigger[1], "value": trigger[2]}],
        "changedPropIds": [f"{trigger[0]}.{trigger[1]}"],
        "state": [{"id": i, "property": p, "value": stores.get(i)} for i, p in state],
    }


def _refresh_call(view: str, n: int, stores: dict) -> dict:
    common = [("wall-config", "data"), ("wall-scale", "data")]
    if view == "hotspots":
        outputs = [("wall-tiles", "children"), ("wall-feed", "children"), ("wall-feed-state", "data"),
                   ("wall-plan", "figure"), ("wall-plan-state", "data"), ("wall-trend", "figure"),
                   ("wall-trend-list", "children"), ("wall-trend-state", "data"), ("wall-asof-hotspots", "children")]  # fmt: skip
        state = common + [("wall-feed-state", "data"), ("wall-plan-state", "data"), ("wall-plan-geometry", "data"),
                          ("wall-trend-state", "data")]  # fmt: skip
    elif view == "parking":
        outputs = [("wall-parking-bigs", "children"), ("wall-parking-lots", "children"),
                   ("wall-digest-parking", "data"), ("wall-tide", "figure"), ("wall-tide-state", "data"),
                   ("wall-asof-parking", "children")]  # fmt: skip
        state = common + [("wall-digest-parking", "data"), ("wall-tide-state", "data")]
    else:
        outputs = [
            (f"wall-body-{view}", "children"),
            (f"wall-digest-{view}", "data"),
            (f"wall-asof-{view}", "children"),
        ]
        state = common + [(f"wall-digest-{view}", "data")]
    return _payload(outputs, (f"wall-refresh-{view}", "n_intervals", n), state, stores)


def _stores_in(node, found: dict) -> dict:  # noqa: ANN001
    if isinstance(node, dict):
        if node.get("type") == "Store" and "id" in node.get("props", {}):
            found[node["props"]["id"]] = node["props"].get("data")
        for v in node.values():
            _stores_in(v, found)
    elif isinstance(node, list):
        for v in node:
            _stores_in(v, found)
    return found


def _keep_state(answer: dict, stores: dict) -> None:
    """What the browser keeps from an answer: the stores' new data (a Patch only ever goes to a figure)."""
    for component, props in (answer.get("response") or {}).items():
        if component in stores and "data" in props:
            stores[component] = props["data"]


class Screen:
    def __init__(self, base: str, token: str, refresh: int, rec: Recorder) -> None:
        self.base, self.token, self.refresh, self.rec = base, token, refresh, rec
        self.session = requests.Session()
        self.stores: dict = {}
        self.lock = threading.Lock()  # the browser sends one screen's callbacks over one connection pool

    def _post(self, name: str, payload: dict) -> dict | None:
        started = time.perf_counter()
        try:
            response = self.session.post(f"{self.base}/wall/_dash-update-component", json=payload, timeout=60)
            ok = response.status_code in (200, 204)
            size = len(response.content)
        except requests.RequestException:
            ok, size, response = False, 0, None
        self.rec.add(name, (time.perf_counter() - started) * 1000, size, ok)
        if response is not None and response.status_code == 200:
            return response.json()
        return None

    def build(self) -> None:
        page = self.session.get(f"{self.base}/wall/?token={self.token}&refresh={self.refresh}", timeout=60)
        page.raise_for_status()
        search = f"?token={self.token}&refresh={self.refresh}"
        payload = _payload(
            [("wall-root-body", "children"), ("wall-boot", "disabled")],
            ("wall-scale", "data", 1),
            [("wall-url", "search")],
            {"wall-url": search},
        )
        payload["inputs"].append({"id": "wall-boot", "property": "n_intervals", "value": None})
        built = self._post("build", payload)
        if built is None:
            raise RuntimeError("the wall did not build")
        self.stores = _stores_in(built, {"wall-scale": 1})

    def refresh_all(self, n: int) -> None:
        """One refresh of every view, sent together as the browser's intervals fire together."""
        threads = [threading.Thread(target=self._refresh, args=(view, n)) for view in VIEWS]
        for th in threads:
            th.start()
        for th in threads:
            th.join()

    def refresh_loop(self, rounds: int, start_at: float) -> None:
        for n in range(1, rounds + 1):
            wait = start_at + n * self.refresh - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self.refresh_all(n)

    def _refresh(self, view: str, n: int) -> None:
        answer = self._post(view, _refresh_call(view, n, self.stores))
        if answer:
            with self.lock:
                _keep_state(answer, self.stores)

    def poll(self, n: int) -> None:
        payload = _payload(
            [("wall-popup", "children"), ("wall-popup", "className"), ("wall-alert-digest", "data")],
            ("wall-alert-poll", "n_intervals", n),
            [("wall-config", "data"), ("wall-alert-digest", "data")],
            self.stores,
        )
        answer = self._post("alerts", payload)
        if answer:
            with self.lock:
                _keep_state(answer, self.stores)

    def poll_loop(self, until: float, start_at: float) -> None:
        n = 0
        while True:
            n += 1
            at = start_at + n * ALERT_POLL_SECONDS
            if at > until:
                return
            time.sleep(max(0.0, at - time.monotonic()))
            self.poll(n)


def run_level(base: str, token: str, screens: int, refresh: int, rounds: int, computations) -> tuple[Recorder, int]:  # noqa: ANN001
    rec = Recorder()
    rng = random.Random(screens)
    walls = [Screen(base, token, refresh, rec) for _ in range(screens)]
    before = computations.value
    offsets = sorted(rng.uniform(0, refresh) for _ in walls)  # switched on at different moments
    threads = []

    def one(screen: Screen, offset: float) -> None:
        time.sleep(offset)
        screen.build()
        start_at = time.monotonic()
        poller = threading.Thread(target=screen.poll_loop, args=(start_at + rounds * refresh, start_at))
        poller.start()
        screen.refresh_loop(rounds, start_at)
        poller.join()

    for screen, offset in zip(walls, offsets, strict=True):
        th = threading.Thread(target=one, args=(screen, offset))
        th.start()
        threads.append(th)
    for th in threads:
        th.join()
    return rec, computations.value - before


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(label: str, screens: int, rec: Recorder, computed: int, refresh: int, rounds: int) -> float:
    print(f"\n{label}: {screens} screen(s), refresh every {refresh} s, {rounds} rounds")
    print(f"  {'callback':<11} {'calls':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'bytes p50':>10} {'bytes max':>10} {'errors':>6}")  # fmt: skip
    worst = 0.0
    for name in ("build", *VIEWS, "alerts"):
        ms = rec.ms.get(name)
        if not ms:
            continue
        p95 = percentile(ms, 0.95)
        worst = max(worst, p95) if name != "build" else worst
        sizes = rec.bytes[name]
        print(f"  {name:<11} {len(ms):>6} {statistics.median(ms):>8.1f} {p95:>8.1f} {max(ms):>8.1f} "
              f"{int(statistics.median(sizes)):>10} {max(sizes):>10} {rec.errors.get(name, 0):>6}")  # fmt: skip
    asked = sum(len(rec.ms.get(v, [])) for v in (*VIEWS, "alerts")) + len(rec.ms.get("build", []))
    print(f"  views computed by the server: {computed} for {asked} callbacks asked "
          f"({asked / max(computed, 1):.1f} callbacks per computation)")  # fmt: skip
    return worst


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--district", action="store_true", help="also seed the district (~60 communities)")
    parser.add_argument("--screens", default="1,10,50", help="comma-separated screen counts")
    parser.add_argument("--refresh", type=int, default=10, help="seconds between a screen's refreshes")
    parser.add_argument("--rounds", type=int, default=6, help="refresh rounds per screen at each level")
    parser.add_argument("--port", type=int, default=8077)
    args = parser.parse_args()
    levels = [int(n) for n in args.screens.split(",")]
    label = "district (~60 communities, wall for all)" if args.district else "demo (Dongxin)"
    with tempfile.TemporaryDirectory() as folder:
        url, token, timings = seed(Path(folder), args.district)
        print(f"{label}: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
        ctx = multiprocessing.get_context("spawn")
        computations = ctx.Value("l", 0)
        ready = ctx.Event()
        server = ctx.Process(target=serve, args=(url, folder, args.port, computations, ready), daemon=True)
        server.start()
        if not ready.wait(120):
            print("the server did not start", file=sys.stderr)
            return 1
        base = f"http://127.0.0.1:{args.port}"
        # one screen first, unmeasured: the app's first requests import and warm what every later one reuses
        warm = Screen(base, token, args.refresh, Recorder())
        warm.build()
        worst = {}
        try:
            for screens in levels:
                rec, computed = run_level(base, token, screens, args.refresh, args.rounds, computations)
                worst[screens] = report(label, screens, rec, computed, args.refresh, args.rounds)
        finally:
            server.terminate()
            server.join(10)
    top = max(levels)
    verdict = "ok" if worst[top] < TARGET_P95_MS else "OVER"
    print(f"\nworst refresh/alert p95 at {top} screens: {worst[top]:.1f} ms (target < {TARGET_P95_MS} ms: {verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
