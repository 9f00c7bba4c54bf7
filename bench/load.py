"""A bounded load on a running cockpit: N logged-in staff browsing pages, mixed with wall screens,
for a fixed time. Prints p50 / p95 / max per page, the error count and the throughput.

    bash scripts/prod_local.sh start --district        # gunicorn workers + 2 schedulers + PostgreSQL + Redis
    .venv/bin/python bench/load.py --url http://127.0.0.1:8050 --password demo-pass-1 --users 50 --seconds 60

Each virtual user logs in once with a demo account (the demo's roles, its grid staff, and the district
demo's `street_puyan` and `district`), then loops: open a page the way the browser does after the first
load (Dash's page router renders the layout on the server; the staff pages render their data into it,
their callbacks are actions, and the case grid's data callback is sent after /governance; street and
district accounts also open the comparison view `/compare`), read it for a few seconds (`--think`,
3-10 s by default), repeat. The users start over the first `--ramp` seconds (5 by default): with
`--ramp 0` all of them send their first page in the same instant, and those requests queue behind
each other in the workers (on 2 cores, about 0.9 s for the last of ~55). Wall screens (`--wall-token`,
the one printed at seeding) load /wall/ and refresh all their views and the alert poll every `--wall-every` seconds, as
their browser does. Target: 0 errors and p95 under 1 s for staff pages with 50 users.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # bench.wall_screens

STAFF_ACCOUNTS = ["secretary", "grid_leader", "grid_worker", "street_cadre", "department", "viewer", "admin"] + [
    f"{prefix}{n}" for prefix in ("gw", "gl") for n in range(1, 7)
]
# the district demo's wider scopes (README "The district demo"): Puyan street's cadre and the district viewer
STAFF_ACCOUNTS += ["street_puyan", "district"]
# accounts whose scope spans several communities: they also open the comparison view
MULTI_COMMUNITY = {"street_cadre", "street_puyan", "district"}
# (name, path, share of page views)
PAGES = [
    ("hotspots", "/", 25),
    ("governance", "/governance", 20),
    ("case", "/governance/case/{case_id}", 15),
    ("metrics", "/governance/metrics", 10),
    ("parking", "/parking", 10),
    ("data", "/data", 10),
    ("devices", "/data/devices", 5),
    ("access", "/data/access", 3),
    ("welfare", "/data/welfare", 2),  # a role without welfare access gets the page's refusal
    ("estate-index", "/estate-index", 5),
    ("services", "/services", 5),
    ("requests", "/services/requests", 4),
    ("library", "/services/library", 3),
    ("inbox", "/inbox", 5),
]
COMPARE = ("compare", "/compare", 15)  # 社区对比, for MULTI_COMMUNITY accounts only


def router_payload(path: str, search: str = "") -> dict:
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }


def governance_grid_payload() -> dict:
    """The case grid's data callback with no filter (the heaviest query a staff page makes). The
    inputs are listed in the callback's order (pages/governance.py)."""
    inputs = [
        {"id": i, "property": "value", "value": None}
        for i in ("gov-status", "gov-grade", "gov-category", "gov-grid", "gov-source", "gov-period")
    ]
    inputs += [
        {"id": "gov-overdue", "property": "value", "value": False},
        {"id": "gov-level", "property": "value", "value": None},
        {"id": "gov-drill", "property": "data", "value": {}},
    ]  # fmt: skip
    return {
        "output": "..gov-grid-table.rowData...gov-count.children..",
        "outputs": [{"id": "gov-grid-table", "property": "rowData"}, {"id": "gov-count", "property": "children"}],
        "inputs": inputs,
        "changedPropIds": ["gov-status.value"],
        "state": [],
    }


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []

    def add(self, name: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.times[name].append(seconds)
            if not ok:
                self.errors[name] += 1
                if len(self.samples) < 5:
                    self.samples.append(f"{name}: {detail}")


def log_in(base: str, username: str, password: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base}/login", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = session.post(f"{base}/login", data={"username": username, "password": password, "csrf_token": token,
                                                   "next": "/"}, allow_redirects=False, timeout=30)  # fmt: skip
    if response.status_code != 302:
        hint = (
            " (seed the district demo: prod_local.sh start --district)"
            if username in ("street_puyan", "district")
            else ""
        )
        raise RuntimeError(f"login {username} failed: {response.status_code}{hint}")
    return session


def staff_user(base: str, session: requests.Session, case_ids: list[int], stop: threading.Event, rec: Recorder,
               rng: random.Random, think: tuple[float, float], multi: bool = False, ramp: float = 0.0) -> None:  # fmt: skip
    headers = {"X-CSRFToken": session.cookies.get("_csrf_token", "")}
    pages = PAGES + [COMPARE] if multi else PAGES
    weights = [w for _n, _p, w in pages]
    stop.wait(rng.uniform(0, ramp))  # people open the cockpit at different moments, not all in one instant
    while not stop.is_set():
        name, path, _w = rng.choices(pages, weights=weights)[0]
        path = path.format(case_id=rng.choice(case_ids) if case_ids else 1)
        started = time.perf_counter()
        try:
            response = session.post(f"{base}/_dash-update-component", json=router_payload(path), headers=headers,
                                    timeout=30)  # fmt: skip
            ok = response.status_code == 200
            detail = f"HTTP {response.status_code}"
            if ok and name == "compare" and "cmp-single" in response.text:  # the note for one community
                ok, detail = False, "compare showed a single community"
            if ok and name == "governance":
                grid = session.post(f"{base}/_dash-update-component", json=governance_grid_payload(), headers=headers,
                                    timeout=30)  # fmt: skip
                ok, detail = grid.status_code == 200, f"grid HTTP {grid.status_code}"
        except requests.RequestException as exc:
            ok, detail = False, type(exc).__name__
        rec.add(name, time.perf_counter() - started, ok, detail)
        stop.wait(rng.uniform(*think))


class _WallRecorder:
    """bench/wall_screens.py's screens record (name, ms, bytes, ok); this run's table wants seconds."""

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec

    def add(self, name: str, ms: float, _size: int, ok: bool, _started: float | None = None) -> None:
        self.rec.add(f"wall:{name}", ms / 1000, ok, "" if ok else "wall callback failed")


def wall_screen(base: str, token: str, stop: threading.Event, rec: Recorder, every: float) -> None:
    """A wall screen as its browser drives it: /wall/ with the token, the build, then every `every`
    seconds a refresh of all its views and the alert poll (bench/wall_screens.py's Screen)."""
    from bench.wall_screens import Screen

    screen = Screen(base, token, max(1, int(every)), _WallRecorder(rec))
    try:
        screen.build()
    except Exception as exc:  # noqa: BLE001 - a screen that cannot build counts as an error, not a lost thread
        rec.add("wall:build", 0.0, False, type(exc).__name__)
        return
    n = 0
    while not stop.wait(every):
        n += 1
        screen.refresh_all(n)
        screen.poll(n)


def case_ids_for(base: str, session: requests.Session) -> list[int]:
    headers = {"X-CSRFToken": session.cookies.get("_csrf_token", "")}
    body = session.post(f"{base}/_dash-update-component", json=governance_grid_payload(), headers=headers,
                        timeout=60).json()  # fmt: skip
    rows = body["response"]["gov-grid-table"]["rowData"]
    return [row["id"] for row in rows[:500]]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8050")
    parser.add_argument("--password", required=True, help="the demo password (COCKPIT_DEMO_PASSWORD)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(3.0, 10.0),
        metavar=("MIN", "MAX"),
        help="seconds a user spends on a page before the next one (uniform)",
    )
    parser.add_argument(
        "--ramp",
        type=float,
        default=5.0,
        help="seconds over which the users open their first page (uniform); 0 sends every first page in one "
        "instant, a burst the workers queue (measured p95 then shows that burst)",
    )
    parser.add_argument("--wall-token", help="a wall token: adds wall screens refreshing /wall/")
    parser.add_argument("--walls", type=int, default=5)
    parser.add_argument("--wall-every", type=float, default=5.0)
    args = parser.parse_args()
    base = args.url.rstrip("/")

    accounts = [STAFF_ACCOUNTS[n % len(STAFF_ACCOUNTS)] for n in range(args.users)]
    sessions = [log_in(base, account, args.password) for account in accounts]
    case_ids = case_ids_for(base, sessions[0])
    rec, stop = Recorder(), threading.Event()
    threads = [
        threading.Thread(
            target=staff_user,
            args=(
                base,
                s,
                case_ids,
                stop,
                rec,
                random.Random(n),
                tuple(args.think),
                accounts[n] in MULTI_COMMUNITY,
                args.ramp,
            ),  # fmt: skip
            daemon=True,
        )
        for n, s in enumerate(sessions)
    ]
    if args.wall_token:
        threads += [threading.Thread(target=wall_screen, args=(base, args.wall_token, stop, rec, args.wall_every),
                                     daemon=True) for _ in range(args.walls)]  # fmt: skip
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    time.sleep(args.seconds)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)
    elapsed = time.perf_counter() - started

    print(f"{args.users} staff users" + (f" + {args.walls} wall screens" if args.wall_token else "")
          + f", {elapsed:.0f} s against {base} (first pages spread over {args.ramp:g} s)")  # fmt: skip
    print(f"{'page':<14}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}")
    total = errors = 0
    staff_p95 = []
    for name in sorted(rec.times):
        times = rec.times[name]
        total += len(times)
        errors += rec.errors[name]
        p95 = percentile(times, 0.95) * 1000
        if not name.startswith("wall:"):
            staff_p95.append(p95)
        print(f"{name:<14}{len(times):>6}{statistics.median(times) * 1000:>9.0f}{p95:>9.0f}"
              f"{max(times) * 1000:>9.0f}{rec.errors[name]:>8}")  # fmt: skip
    print(f"requests {total}, {total / elapsed:.1f}/s, errors {errors}")
    for sample in rec.samples:
        print("  e.g.", sample)
    worst = max(staff_p95) if staff_p95 else 0
    met = errors == 0 and worst < 1000
    print(f"target: 0 errors and p95 < 1000 ms for every staff page -> {'met' if met else 'NOT met'} "
          f"(worst staff p95 {worst:.0f} ms)")  # fmt: skip
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
