"""A bounded load on a running cockpit: N logged-in staff browsing pages, mixed with wall screens,
for a fixed time. Prints p50 / p95 / max per page, the error count, the Dash requests a page view made
on average and the throughput.

    bash scripts/prod_local.sh start --district        # gunicorn workers + 2 schedulers + PostgreSQL + Redis
    .venv/bin/python bench/load.py --url http://127.0.0.1:8050 --password demo-pass-1 --users 50 --seconds 60
    .venv/bin/python bench/load.py --password demo-pass-1 --users 5 --seconds 20 --pages governance,case

Each virtual user logs in once with a demo account (the demo's roles, its grid staff, and the district
demo's `street_puyan` and `district`), then loops: open a staff page, read it for a few seconds
(`--think`, 3-10 s by default), repeat. Every staff page of the cockpit is in the mix (PAGES below, with
its share of page views); a page some roles may not open is only opened by the accounts whose role may,
and street and district accounts also open the comparison view `/compare`. A case or service-request
detail page opens a case / request the account saw in its own grid.

A page view is what the browser does after the first load, timed from the first request to the last
answer: Dash's page router renders the layout on the server (`_pages_location` -> `_pages_content`),
then the renderer fires the page's callbacks, as dash-renderer does with a new layout chunk (the
callback list comes from `/_dash-dependencies`, fetched once per user, and the frame around the pages
from `/_dash-layout`):
- a callback with an Output in the new layout fires unless it is `prevent_initial_call`; one with an
  Input in the new layout and an Output outside it (in the frame) fires even then;
- one with some Input or State missing from the page and the frame is not sent (the browser raises
  a "nonexistent object" error; listed under "notes" at the end); one whose Inputs are all missing is
  dropped silently; clientside callbacks run in the browser and are not sent; the router is not fired
  again; callbacks with pattern-matching (MATCH / ALL) ids are not emulated (all of them are
  `prevent_initial_call` today; the count is printed);
- the answers update the page: a callback whose Input an answer changed fires next, and components an
  answer adds (new children) are treated as a new layout chunk, up to MAX_ROUNDS rounds; a callback
  waits while another pending one still has to produce one of its Inputs, as the renderer orders them;
- the callbacks that are ready are sent together, at most MAX_PARALLEL at a time (a browser's six
  connections per host). Inputs and State carry the values in the layout (None when the layout does
  not set the prop); `changedPropIds` is empty, as in the renderer's initial calls.
An answer other than 200 or 204 (no update) is an error, named by the callback's output; so is a page
that shows the forbidden or not-found note, and a comparison view showing a single community.

The users start over the first `--ramp` seconds (5 by default): with `--ramp 0` all of them send their
first page in the same instant, and those requests queue behind each other in the workers (on 2 cores,
about 0.9 s for the last of ~55). Wall screens (`--wall-token`, the one printed at seeding) load /wall/
and refresh all their views and the alert poll every `--wall-every` seconds, as their browser does.
Target: 0 errors and p95 under 1 s for staff pages with 50 users.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project: bench.wall_screens, pages

from bench.wall_screens import percentile  # noqa: E402
from pages import audit, case_new, system, welfare  # noqa: E402

STAFF_ACCOUNTS = ["secretary", "grid_leader", "grid_worker", "street_cadre", "department", "viewer", "admin"] + [
    f"{prefix}{n}" for prefix in ("gw", "gl") for n in range(1, 7)
]
# the district demo's wider scopes (README "The district demo"): Puyan street's cadre and the district viewer
STAFF_ACCOUNTS += ["street_puyan", "district"]
# accounts whose scope spans several communities: they also open the comparison view
MULTI_COMMUNITY = {"street_cadre", "street_puyan", "district"}


def role_of(account: str) -> str:
    """The demo account's role (README "Demo logins": the username is the role for the seven)."""
    if re.fullmatch(r"gw\d+", account):
        return "grid_worker"
    if re.fullmatch(r"gl\d+", account):
        return "grid_leader"
    return {"street_puyan": "street_cadre", "district": "viewer"}.get(account, account)


# (name, path, share of page views, roles that may open it as the page declares them, or None for every role)
PAGES = [
    ("hotspots", "/", 18, None),
    ("governance", "/governance", 15, None),
    ("case", "/governance/case/{case_id}", 12, None),
    ("metrics", "/governance/metrics", 6, None),
    ("new_case", "/governance/new", 2, frozenset(case_new.PAGE["roles"])),
    ("parking", "/parking", 6, None),
    ("data", "/data", 7, None),
    ("devices", "/data/devices", 5, None),
    ("access", "/data/access", 3, None),
    ("welfare", "/data/welfare", 3, frozenset(welfare.PAGE["roles"])),
    ("audit", "/data/audit", 1, frozenset(audit.PAGE["roles"])),
    ("services", "/services", 4, None),
    ("requests", "/services/requests", 4, None),
    ("request", "/services/request/{code}", 3, None),
    ("library", "/services/library", 2, None),
    ("estate_index", "/estate-index", 5, None),
    ("inbox", "/inbox", 3, None),
    ("system", "/system", 1, frozenset(system.PAGE["roles"])),
]
COMPARE = ("compare", "/compare", 15, None)  # 社区对比, for MULTI_COMMUNITY accounts only

ROUTER_OUTPUT = ".._pages_content.children..._pages_store.data.."
MAX_PARALLEL = 6  # a browser's connections per host: the renderer's concurrent callbacks queue behind them
MAX_ROUNDS = 5  # chained rounds (answers firing further callbacks) emulated per page view
MAX_CALLS = 60  # callbacks per page view at most (a guard against a loop)


def router_payload(path: str, search: str = "") -> dict:
    return {
        "output": ROUTER_OUTPUT,
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": path},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }


# --- the renderer: which callbacks a new layout fires, and their payloads -------------------------------------


def id_key(component_id: str | dict) -> str:
    """The renderer's stringifyId: a dict id as JSON with sorted keys, no spaces."""
    if isinstance(component_id, dict):
        return json.dumps(component_id, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return component_id


def split_id_prop(spec: str) -> dict:
    """`id.prop` (a dict id may hold dots; a prop may not) -> {"id", "property"}, the property as the
    renderer sends it (an `@hash` allow_duplicate suffix kept: the server strips it)."""
    dot = spec.rindex(".")
    raw = spec[:dot]
    return {"id": json.loads(raw) if raw.startswith("{") else raw, "property": spec[dot + 1 :]}


def parse_outputs(output: str) -> list[dict]:
    """A dependency's output string: `id.prop` or the multi-output form `..a.p...b.q..`."""
    if output.startswith(".."):
        return [split_id_prop(part) for part in output[2:-2].split("...")]
    return [split_id_prop(output)]


def _is_pattern(component_id: str | dict) -> bool:
    return isinstance(component_id, dict) and any(isinstance(v, list) for v in component_id.values())


def _spec(entry: dict) -> dict:
    raw = entry["id"]
    return {
        "id": json.loads(raw) if isinstance(raw, str) and raw.startswith("{") else raw,
        "property": entry["property"],
    }


@dataclass
class Callback:
    output: str
    outputs: list[dict]
    inputs: list[dict]
    state: list[dict]
    prevent_initial_call: bool
    out_ids: set[str] = field(default_factory=set)
    out_keys: set[tuple[str, str]] = field(default_factory=set)
    in_keys: set[tuple[str, str]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.out_ids = {id_key(o["id"]) for o in self.outputs}
        self.out_keys = {(id_key(o["id"]), o["property"].split("@")[0]) for o in self.outputs}
        self.in_keys = {(id_key(i["id"]), i["property"]) for i in self.inputs}

    def payload(self, store: dict[str, dict]) -> dict:
        def vals(specs: list[dict]) -> list[dict]:
            return [{**s, "value": store.get(id_key(s["id"]), {}).get(s["property"])} for s in specs]

        multi = self.output.startswith("..")
        return {
            "output": self.output,
            "outputs": self.outputs if multi else self.outputs[0],
            "inputs": vals(self.inputs),
            "state": vals(self.state),
            "changedPropIds": [],
        }


def walk_layout(node, found: dict[str, dict]) -> dict[str, dict]:  # noqa: ANN001
    """Every component with an id in a layout chunk: id -> its props (children may be lists, dicts,
    strings; components may also sit in other props)."""
    if isinstance(node, list):
        for item in node:
            walk_layout(item, found)
    elif isinstance(node, dict):
        props = node.get("props") if "type" in node and "namespace" in node else None
        if isinstance(props, dict):
            if props.get("id") is not None:
                found[id_key(props["id"])] = props
            for value in props.values():
                if isinstance(value, list | dict):
                    walk_layout(value, found)
        else:
            for value in node.values():
                if isinstance(value, list | dict):
                    walk_layout(value, found)
    return found


class Renderer:
    """The callbacks of /_dash-dependencies the bench sends, and the renderer's rules for firing them."""

    def __init__(self, deps: list[dict]) -> None:
        self.callbacks: list[Callback] = []
        self.patterns = self.patterns_initial = self.clientside = 0
        for dep in deps:
            if dep["output"] == ROUTER_OUTPUT:
                continue
            if dep.get("clientside_function"):
                self.clientside += 1
                continue
            outputs = [] if dep.get("no_output") else parse_outputs(dep["output"])
            inputs, state = [_spec(i) for i in dep["inputs"]], [_spec(s) for s in dep["state"]]
            if any(_is_pattern(s["id"]) for s in outputs + inputs + state):
                self.patterns += 1
                self.patterns_initial += not dep.get("prevent_initial_call")
                continue
            self.callbacks.append(
                Callback(dep["output"], outputs, inputs, state, bool(dep.get("prevent_initial_call")))
            )
        self.notes: set[str] = set()
        self.lock = threading.Lock()

    def _sendable(self, cb: Callback, store: dict[str, dict], page: str) -> bool:
        missing = [s for s in cb.inputs + cb.state if id_key(s["id"]) not in store]
        if not missing:
            return True
        if cb.inputs and all(id_key(i["id"]) not in store for i in cb.inputs):
            return False  # every Input missing: the renderer drops it without a word
        with self.lock:
            names = ", ".join(f"{id_key(s['id'])}.{s['property']}" for s in missing)
            self.notes.add(f"{page}: {cb.output[:70]} not sent, missing {names} (a browser error)")
        return False

    def for_chunk(self, chunk_ids: set[str], store: dict[str, dict], page: str) -> list[Callback]:
        """What a new layout chunk fires (dash-renderer's getLayoutCallbacks with the chunk's path)."""
        fired = []
        for cb in self.callbacks:
            by_output = not cb.prevent_initial_call and bool(cb.out_ids & chunk_ids)
            present_outside = [o for o in cb.out_ids if o in store and o not in chunk_ids]
            by_input = bool(present_outside) and any(k[0] in chunk_ids for k in cb.in_keys)
            if (by_output or by_input) and self._sendable(cb, store, page):
                fired.append(cb)
        return fired

    def for_changes(self, changed: set[tuple[str, str]], store: dict[str, dict], page: str) -> list[Callback]:
        """What answers that changed these props fire (prevent_initial_call does not matter here)."""
        return [
            cb
            for cb in self.callbacks
            if cb.in_keys & changed and any(o in store for o in cb.out_ids) and self._sendable(cb, store, page)
        ]


@dataclass
class View:
    ok: bool = True
    detail: str = ""
    calls: int = 0  # callbacks sent after the router
    store: dict = field(default_factory=dict)


class Browser:
    """One logged-in user's browser tab: the frame from /_dash-layout, the callbacks, six connections."""

    def __init__(self, base: str, session: requests.Session, renderer: Renderer | None = None) -> None:
        self.base, self.session = base, session
        session.mount(base, HTTPAdapter(pool_connections=1, pool_maxsize=MAX_PARALLEL))
        self.headers = {"X-CSRFToken": session.cookies.get("_csrf_token", "")}
        if renderer is None:
            response = session.get(f"{base}/_dash-dependencies", timeout=30)
            response.raise_for_status()
            renderer = Renderer(response.json())
        self.renderer = renderer
        response = session.get(f"{base}/_dash-layout", timeout=30)
        response.raise_for_status()
        self.frame = walk_layout(response.json(), {})
        self.frame.pop("_pages_content", None)  # replaced by each page's chunk
        self.pool = ThreadPoolExecutor(MAX_PARALLEL)

    def _post(self, payload: dict) -> requests.Response:
        return self.session.post(f"{self.base}/_dash-update-component", json=payload, headers=self.headers,
                                 timeout=30)  # fmt: skip

    def open(self, page: str, path: str) -> View:
        view = View()
        try:
            response = self._post(router_payload(path))
            if response.status_code != 200:
                return View(False, f"router HTTP {response.status_code}")
            body = response.json()["response"]
            chunk = walk_layout(body["_pages_content"]["children"], {})
            if "forbidden-note" in chunk or "not-found-note" in chunk:
                return View(
                    False, f"{path} showed the {'forbidden' if 'forbidden-note' in chunk else 'not-found'} note"
                )
            if page == "compare" and "cmp-single" in response.text:  # the note for one community
                return View(False, "compare showed a single community")
            store = {k: dict(v) for k, v in self.frame.items()}
            store.setdefault("_pages_location", {}).update(pathname=path, search="")
            store.update(chunk)
            store["_pages_store"] = {"data": body.get("_pages_store", {}).get("data")}
            view.store = store
            pending = self.renderer.for_chunk(set(chunk), store, page)
            for _round in range(MAX_ROUNDS):
                if not pending or view.calls >= MAX_CALLS:
                    break
                pending = self._round(page, pending, view)
        except (requests.RequestException, ValueError, KeyError) as exc:
            view.ok, view.detail = False, f"{type(exc).__name__} {exc}"[:200]
        return view

    def _round(self, page: str, pending: list[Callback], view: View) -> list[Callback]:
        """Send the pending callbacks that are ready together; apply the answers; return what fires next."""
        waiting_on = [set().union(*(o.out_keys for o in pending if o is not cb)) for cb in pending]
        ready = [cb for cb, outs in zip(pending, waiting_on, strict=True) if not cb.in_keys & outs] or pending
        ready = ready[: MAX_CALLS - view.calls]
        store = view.store
        futures = [(cb, self.pool.submit(self._post, cb.payload(store))) for cb in ready]
        view.calls += len(ready)
        changed: set[tuple[str, str]] = set()
        added: dict[str, dict] = {}
        for cb, future in futures:
            response = future.result()
            if response.status_code == 204:  # PreventUpdate / no_update everywhere
                continue
            if response.status_code != 200:
                if view.ok:
                    view.ok, view.detail = False, f"{cb.output[:80]}: HTTP {response.status_code}"
                continue
            for component, props in response.json().get("response", {}).items():
                store.setdefault(component, {}).update(props)
                for prop, value in props.items():
                    changed.add((component, prop))
                    if isinstance(value, list | dict):
                        walk_layout(value, added)
        store.update(added)
        after = [cb for cb in pending if cb not in ready]
        after += self.renderer.for_changes(changed, store, page) + self.renderer.for_chunk(set(added), store, page)
        unique: dict[str, Callback] = {}
        for cb in after:
            unique.setdefault(cb.output, cb)
        return list(unique.values())


# --- the load --------------------------------------------------------------------------------------------------


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = defaultdict(list)
        self.calls: dict[str, list[int]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.samples: list[str] = []

    def add(self, name: str, seconds: float, ok: bool, detail: str = "", calls: int = 0) -> None:
        with self.lock:
            self.times[name].append(seconds)
            self.calls[name].append(calls)
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


def seen_in(store: dict[str, dict]) -> dict[str, list]:
    """The cases and service requests a page view listed (what the user can click through to)."""
    seen: dict[str, list] = {}
    rows = store.get("gov-grid-table", {}).get("rowData")
    if rows:
        seen["case_id"] = [row["id"] for row in rows[:500]]
    rows = store.get("svcq-grid", {}).get("rowData")
    if rows:
        codes = [re.search(r"/services/request/([^)\s]+)", str(row.get("code", ""))) for row in rows[:500]]
        seen["code"] = [m.group(1) for m in codes if m]
    return seen


def pages_for(account: str, wanted: set[str]) -> list[tuple[str, str, int, frozenset | None]]:
    role = role_of(account)
    pages = PAGES + [COMPARE] if account in MULTI_COMMUNITY else PAGES
    return [p for p in pages if p[0] in wanted and (p[3] is None or role in p[3])]


def staff_user(browser: Browser, pages: list, seen: dict[str, list], stop: threading.Event, rec: Recorder,
               rng: random.Random, think: tuple[float, float], ramp: float = 0.0) -> None:  # fmt: skip
    seen = {k: list(v) for k, v in seen.items()}
    # a detail page needs something to open: only once the account's grid listed one
    pages = [p for p in pages if all(key in seen for key in re.findall(r"\{(\w+)\}", p[1]))]
    if not pages:
        return
    weights = [p[2] for p in pages]
    stop.wait(rng.uniform(0, ramp))  # people open the cockpit at different moments, not all in one instant
    while not stop.is_set():
        name, path, _share, _roles = rng.choices(pages, weights=weights)[0]
        path = path.format(**{key: rng.choice(values) for key, values in seen.items()})
        started = time.perf_counter()
        view = browser.open(name, path)
        rec.add(name, time.perf_counter() - started, view.ok, view.detail, view.calls)
        seen.update(seen_in(view.store))
        stop.wait(rng.uniform(*think))
    browser.pool.shutdown(wait=False)


class _WallRecorder:
    """bench/wall_screens.py's screens record (name, ms, bytes, ok); this run's table wants seconds."""

    def __init__(self, rec: Recorder) -> None:
        self.rec = rec

    def add(self, name: str, ms: float, _size: int, ok: bool, _started: float | None = None) -> None:
        self.rec.add(f"wall:{name}", ms / 1000, ok, "" if ok else "wall callback failed", 1)


def wall_screen(base: str, token: str, stop: threading.Event, rec: Recorder, every: float) -> None:
    """A wall screen as its browser drives it: /wall/ with the token, the build, then every `every`
    seconds a refresh of all its views and the alert poll (bench/wall_screens.py's Screen)."""
    from bench.wall_screens import Screen

    screen = Screen(base, token, max(1, int(every)), _WallRecorder(rec))
    n = 0
    try:
        screen.build()
        while not stop.wait(every):
            n += 1
            screen.refresh_all(n)
            screen.poll(n)
    except Exception as exc:  # noqa: BLE001 - a screen that stops is an error in the table, not a silent thread
        rec.add("wall:build" if n == 0 else "wall:refresh", 0.0, False, f"{type(exc).__name__} {exc}"[:200])


def main() -> int:
    names = [p[0] for p in PAGES] + [COMPARE[0]]
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
    parser.add_argument(
        "--pages", default="all", help=f"comma-separated pages to open (default all): {','.join(names)}"
    )
    parser.add_argument("--wall-token", help="a wall token: adds wall screens refreshing /wall/")
    parser.add_argument("--walls", type=int, default=5)
    parser.add_argument("--wall-every", type=float, default=5.0)
    args = parser.parse_args()
    base = args.url.rstrip("/")
    wanted = set(names) if args.pages == "all" else {n.strip() for n in args.pages.split(",") if n.strip()}
    if unknown := wanted - set(names):
        parser.error(f"unknown pages: {', '.join(sorted(unknown))} (known: {', '.join(names)})")

    accounts = [STAFF_ACCOUNTS[n % len(STAFF_ACCOUNTS)] for n in range(args.users)]
    browsers: list[Browser] = []
    renderer = None
    for account in accounts:
        browsers.append(Browser(base, log_in(base, account, args.password), renderer))
        renderer = browsers[-1].renderer  # one /_dash-dependencies for all: the app is the same for everyone
    # what each account's grids list (for the case and request pages), looked at once per account, unmeasured
    seen_by_account: dict[str, dict[str, list]] = {}
    for account, browser in zip(accounts, browsers, strict=True):
        if account not in seen_by_account:
            seen = seen_by_account[account] = {}
            for page, path in (("governance", "/governance"), ("requests", "/services/requests")):
                seen.update(seen_in(browser.open(page, path).store))
    renderer.notes.clear()  # the notes of the measured run only
    rec, stop = Recorder(), threading.Event()
    threads = [
        threading.Thread(
            target=staff_user,
            args=(browser, pages_for(account, wanted), seen_by_account[account], stop, rec, random.Random(n),
                  tuple(args.think), args.ramp),
            daemon=True,
        )
        for n, (account, browser) in enumerate(zip(accounts, browsers, strict=True))
    ]  # fmt: skip
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
    print(f"{'page':<14}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}{'calls':>7}")
    total = errors = posts = 0
    staff_p95 = []
    for name in sorted(rec.times):
        times, calls = rec.times[name], rec.calls[name]
        total += len(times)
        errors += rec.errors[name]
        p95 = percentile(times, 0.95) * 1000
        if name.startswith("wall:"):
            posts += len(times)
            per_view = "-"
        else:
            staff_p95.append(p95)
            posts += len(times) + sum(calls)  # the router and the callbacks
            per_view = f"{sum(calls) / len(calls):.1f}"
        print(f"{name:<14}{len(times):>6}{statistics.median(times) * 1000:>9.0f}{p95:>9.0f}"
              f"{max(times) * 1000:>9.0f}{rec.errors[name]:>8}{per_view:>7}")  # fmt: skip
    print("calls: callbacks a page view fired after the router, on average (the router not counted)")
    print(f"page views and wall calls {total}, {total / elapsed:.1f}/s ({posts / elapsed:.1f} Dash requests/s), "
          f"errors {errors}")  # fmt: skip
    for sample in rec.samples:
        print("  e.g.", sample)
    if renderer.patterns:
        print(f"not emulated: {renderer.patterns} pattern-matching callbacks "
              f"({renderer.patterns_initial} of them fire at layout)")  # fmt: skip
    for note in sorted(renderer.notes)[:10]:
        print("  note:", note)
    worst = max(staff_p95) if staff_p95 else 0
    met = errors == 0 and worst < 1000
    print(f"target: 0 errors and p95 < 1000 ms for every staff page -> {'met' if met else 'NOT met'} "
          f"(worst staff p95 {worst:.0f} ms)")  # fmt: skip
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
