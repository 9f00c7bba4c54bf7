"""Many wall screens on one server: p50 / p95 / max and payload bytes of every wall callback with 1, 10
and 50 simulated screens, on the demo community and at district scale, and how many times the server
computed a view (the view cache's count) against how many callbacks the screens asked for.

    .venv/bin/python bench/wall_screens.py                 # the demo community (Dongxin)
    .venv/bin/python bench/wall_screens.py --district      # + the district demo: ~60 communities, a year each
    .venv/bin/python bench/wall_screens.py --district --server gunicorn --workers 3   # as production serves it
    .venv/bin/python bench/wall_screens.py --district --boot-spread 0   # every screen switched on at once

It seeds a fresh SQLite store in a temporary folder (as `python -m data_access init --demo [--district]`
does), runs the jobs the scheduler runs at start (rollups, parking), and starts the app on loopback:
`--server threaded` (the default) is one process, threaded, as `make run` serves it; `--server gunicorn`
is `gunicorn -w N 'app:create_server()'` with a throwaway Redis for what the workers share (the view
cache), as the production layout runs it (README; redis-server must be installed). Each simulated screen
does what the browser does: loads /wall/ with its token, builds the screen once, then every `--refresh`
seconds asks for the five views' refreshes together and every 3 s for the alert poll, sending back the
state it was last given (so the answers are the real Patch / no-update answers). Screens are switched
on at random moments over the first `--boot-spread` seconds (one refresh interval by default; 0: all in
the same instant, as after a power cut). The district run uses a wall token for every community (the
district's wall), the demo run one for Dongxin.

Each level is reported twice: the boot burst (every callback asked until the last screen has built its
screen, the builds included) and the steady state after it (refreshes and alert polls only). Before the
first level one unmeasured screen builds once on the fresh server (the app's first requests import and
warm what every later one reuses); its time is printed too.

Target: p95 under 250 ms for every callback with 50 screens at district scale, the boot burst included;
computations per interval stay at one per view however many screens ask.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import socket
import statistics
import subprocess
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
        self.samples: list[tuple[float, str, float, int, bool]] = []  # (started, callback, ms, bytes, ok)

    def add(self, name: str, ms: float, size: int, ok: bool, started: float | None = None) -> None:
        with self.lock:
            self.ms[name].append(ms)
            self.bytes[name].append(size)
            if not ok:
                self.errors[name] += 1
            self.samples.append((time.monotonic() if started is None else started, name, ms, size, ok))

    def split(self, at: float) -> tuple[Recorder, Recorder]:
        """The samples started before `at` and those started from it on."""
        before, after = Recorder(), Recorder()
        for started, name, ms, size, ok in self.samples:
            (before if started < at else after).add(name, ms, size, ok, started)
        return before, after


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


def build_payload(token: str, refresh: int) -> dict:
    """The wall's build callback as the browser sends it once the page has loaded with the token."""
    payload = _payload(
        [("wall-root-body", "children"), ("wall-boot", "disabled")],
        ("wall-scale", "data", 1),
        [("wall-url", "search")],
        {"wall-url": f"?token={token}&refresh={refresh}"},
    )
    payload["inputs"].append({"id": "wall-boot", "property": "n_intervals", "value": None})
    return payload


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
        at = time.monotonic()
        started = time.perf_counter()
        try:
            response = self.session.post(f"{self.base}/wall/_dash-update-component", json=payload, timeout=60)
            ok = response.status_code in (200, 204)
            size = len(response.content)
        except requests.RequestException:
            ok, size, response = False, 0, None
        self.rec.add(name, (time.perf_counter() - started) * 1000, size, ok, at)
        if response is not None and response.status_code == 200:
            return response.json()
        return None

    def build(self) -> None:
        page = self.session.get(f"{self.base}/wall/?token={self.token}&refresh={self.refresh}", timeout=60)
        page.raise_for_status()
        built = self._post("build", build_payload(self.token, self.refresh))
        if built is None:
            raise RuntimeError("the wall did not build")
        self.stores = _stores_in(built, {"wall-scale": 1})
        self.built_at = time.monotonic()

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


def run_level(base: str, token: str, screens: int, refresh: int, rounds: int, spread: float, computations):  # noqa: ANN001
    """One level: `screens` screens switched on over `spread` seconds, each refreshing `rounds` times.
    Returns the recorder, the views computed meanwhile and when the last screen had built (monotonic)."""
    rec = Recorder()
    rng = random.Random(screens)
    walls = [Screen(base, token, refresh, rec) for _ in range(screens)]
    before = computations()
    offsets = sorted(rng.uniform(0, spread) for _ in walls)  # switched on at different moments
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
    booted = max(getattr(w, "built_at", 0.0) for w in walls)
    return rec, computations() - before, booted


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def report(title: str, rec: Recorder) -> float:
    """The table of one phase; returns its worst p95 (every callback, the build included)."""
    print(f"  {title}")
    print(f"    {'callback':<11} {'calls':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'bytes p50':>10} {'bytes max':>10} {'errors':>6}")  # fmt: skip
    worst = 0.0
    for name in ("build", *VIEWS, "alerts"):
        ms = rec.ms.get(name)
        if not ms:
            continue
        p95 = percentile(ms, 0.95)
        worst = max(worst, p95)
        sizes = rec.bytes[name]
        print(f"    {name:<11} {len(ms):>6} {statistics.median(ms):>8.1f} {p95:>8.1f} {max(ms):>8.1f} "
              f"{int(statistics.median(sizes)):>10} {max(sizes):>10} {rec.errors.get(name, 0):>6}")  # fmt: skip
    return worst


def report_level(label: str, screens: int, rec: Recorder, booted: float, computed: int, args) -> dict:  # noqa: ANN001
    print(f"\n{label}: {screens} screen(s), switched on over {args.boot_spread:g} s, refresh every {args.refresh} s, "
          f"{args.rounds} rounds, {args.server_label}")  # fmt: skip
    burst, steady = rec.split(booted)
    worst = {"burst": report("boot burst (until the last screen has built; builds included):", burst)}
    worst["steady"] = report("steady state (after the last build):", steady)
    worst["all"] = report("all together:", rec)
    asked = sum(len(v) for v in rec.ms.values())
    print(f"  computations by the server (views, and the layouts and plans it built): {computed} for {asked} "
          f"callbacks asked ({asked / max(computed, 1):.1f} callbacks per computation)")  # fmt: skip
    return worst


# --- the server as production runs it ----------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(url: str, folder: str, port: int, workers: int) -> tuple[list[subprocess.Popen], str]:
    """A throwaway Redis and `gunicorn -w N 'app:create_server()'` on loopback; returns the processes
    (to stop) and the Redis URL."""
    if not shutil.which("redis-server"):
        raise SystemExit("--server gunicorn needs redis-server (the workers share the view cache in Redis)")
    root = Path(__file__).resolve().parent.parent
    redis_port = _free_port()
    redis = subprocess.Popen(
        ["redis-server", "--bind", "127.0.0.1", "--port", str(redis_port), "--save", "", "--appendonly", "no",
         "--dir", folder],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    env = {**os.environ, "COCKPIT_DATABASE_URL": url, "COCKPIT_REDIS_URL": redis_url,
           "COCKPIT_INSTANCE_DIR": folder, "COCKPIT_RUN_SCHEDULER": "false", "COCKPIT_LOG_FORMAT": "json"}  # fmt: skip
    python = str(root / ".venv" / "bin" / "python") if (root / ".venv").exists() else sys.executable
    # the session-signing key, made once before the workers start (they would race to make it)
    subprocess.run([python, "-c", "from settings import ensure_secret_key, load_config; ensure_secret_key(load_config())"],
                   env=env, cwd=root, check=True)  # fmt: skip
    gunicorn = shutil.which("gunicorn", path=str(Path(python).parent)) or "gunicorn"
    log = open(Path(folder) / "gunicorn.log", "ab")  # noqa: SIM115 - kept open for the server's life
    web = subprocess.Popen(
        [gunicorn, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60", "app:create_server()"],
        env=env, cwd=root, stdout=log, stderr=log,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            # up: it answers (503 "degraded" is expected: no scheduler runs beside the bench)
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code in (200, 503):
                return [web, redis], redis_url
        except requests.RequestException:
            pass
        time.sleep(0.5)
    for proc in (web, redis):
        proc.terminate()
    raise SystemExit(f"gunicorn did not start (see {folder}/gunicorn.log)")


def curl_burst(base: str, token: str, refresh: int, screens: int, folder: str) -> list[float] | None:
    """`screens` builds sent in one instant by curl (one process, parallel transfers): the screens' own
    client here is Python, whose threads share one interpreter lock and this machine's two cores with
    the server, so at a burst part of what the table above reports is the client receiving 50 screens'
    250 KB at once. curl costs little CPU, so its times are closer to what 50 separate wall PCs see.
    Returns the seconds of each 200 answer, or None without curl."""
    from auth.wall import WALL_COOKIE

    if not shutil.which("curl"):
        return None
    body = Path(folder) / "build.json"
    body.write_text(json.dumps(build_payload(token, refresh)))
    url = f"{base}/wall/_dash-update-component"
    command = ["curl", "-s", "-Z", "--parallel-immediate", "--parallel-max", str(screens), "-H",
               "Content-Type: application/json", "--cookie", f"{WALL_COOKIE}={token}", "--data-binary", f"@{body}",
               "-w", "%{time_total} %{http_code}\\n"]  # fmt: skip
    for _ in range(screens):
        command += ["-o", "/dev/null", url]
    lines = subprocess.run(command, capture_output=True, text=True, timeout=120).stdout.split("\n")
    return [float(line.split()[0]) for line in lines if line.strip().endswith(" 200")]


def redis_counter(redis_url: str):  # noqa: ANN201
    """Computations counted by every worker in the shared state (data_access/view_cache.py)."""
    import redis

    from data_access.view_cache import COMPUTATIONS_KEY

    client = redis.Redis.from_url(redis_url)
    return lambda: int(client.get("cockpit:c:" + COMPUTATIONS_KEY) or 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--district", action="store_true", help="also seed the district (~60 communities)")
    parser.add_argument("--screens", default="1,10,50", help="comma-separated screen counts")
    parser.add_argument("--refresh", type=int, default=10, help="seconds between a screen's refreshes")
    parser.add_argument("--rounds", type=int, default=6, help="refresh rounds per screen at each level")
    parser.add_argument("--boot-spread", type=float, default=None,
                        help="screens are switched on over this many seconds (default: one refresh interval; 0: at once)")  # fmt: skip
    parser.add_argument("--server", choices=("threaded", "gunicorn"), default="threaded",
                        help="one threaded process (make run) or gunicorn workers sharing Redis (production)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (--server gunicorn)")
    parser.add_argument("--port", type=int, default=8077)
    parser.add_argument("--curl-burst", type=int, default=0, metavar="N",
                        help="at the end, N builds in one instant sent by curl (a client that costs little CPU)")  # fmt: skip
    args = parser.parse_args()
    if args.boot_spread is None:
        args.boot_spread = float(args.refresh)
    args.server_label = (
        f"gunicorn, {args.workers} workers, Redis" if args.server == "gunicorn" else "one threaded process"
    )
    levels = [int(n) for n in args.screens.split(",")]
    label = "district (~60 communities, wall for all)" if args.district else "demo (Dongxin)"
    with tempfile.TemporaryDirectory() as folder:
        url, token, timings = seed(Path(folder), args.district)
        print(f"{label}: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()) + f"; {args.server_label}")
        processes: list = []
        if args.server == "gunicorn":
            processes, redis_url = start_gunicorn(url, folder, args.port, args.workers)
            computations = redis_counter(redis_url)
        else:
            ctx = multiprocessing.get_context("spawn")
            counter = ctx.Value("l", 0)
            ready = ctx.Event()
            server = ctx.Process(target=serve, args=(url, folder, args.port, counter, ready), daemon=True)
            server.start()
            processes.append(server)
            if not ready.wait(120):
                print("the server did not start", file=sys.stderr)
                return 1
            computations = lambda: counter.value  # noqa: E731
        base = f"http://127.0.0.1:{args.port}"
        worst = {}
        try:
            warm = Screen(base, token, args.refresh, Recorder())
            warm.build()
            print(f"first build on the fresh server (unmeasured below): {warm.rec.ms['build'][0]:.1f} ms, "
                  f"{warm.rec.bytes['build'][0]} bytes")  # fmt: skip
            for screens in levels:
                rec, computed, booted = run_level(
                    base, token, screens, args.refresh, args.rounds, args.boot_spread, computations
                )
                worst[screens] = report_level(label, screens, rec, booted, computed, args)
            for attempt in range(3 if args.curl_burst else 0):
                times = curl_burst(base, token, args.refresh, args.curl_burst, folder)
                if times is None:
                    print("--curl-burst: curl is not installed")
                    break
                ms = [t * 1000 for t in times]
                print(f"curl burst {attempt + 1}: {args.curl_burst} builds at once, {len(ms)} answered 200: "
                      f"p50 {percentile(ms, 0.5):.1f} ms, p95 {percentile(ms, 0.95):.1f} ms, max {max(ms):.1f} ms")  # fmt: skip
                time.sleep(args.refresh)  # the next attempt in another bucket
        finally:
            for proc in processes:
                proc.terminate()
            for proc in processes:
                proc.join(10) if hasattr(proc, "join") else proc.wait(10)
    top = max(levels)
    for phase, name in (("burst", "boot burst"), ("steady", "steady state"), ("all", "all together")):
        verdict = "ok" if worst[top][phase] < TARGET_P95_MS else "OVER"
        print(
            f"worst p95 at {top} screens, {name}: {worst[top][phase]:.1f} ms (target < {TARGET_P95_MS} ms: {verdict})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
