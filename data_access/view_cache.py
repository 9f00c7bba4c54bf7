"""A server-side cache of computed views, keyed by view, scope and refresh interval, so that N wall
screens (or N staff pages) refreshing every T seconds cost one computation per T, not N.

The key holds the interval's bucket (`floor(clock / T)`), so every screen with the same interval sees
the same result until the next bucket, and a result never outlives its interval. Values are JSON in
the app's shared state: in Redis with several gunicorn workers (one worker computes, the others read
its result), in the process otherwise. While one caller computes a key the others wait for its
result instead of computing it too (a short lock taken with `add`), so the cost holds even when
fifty screens ask at the same instant.

Computed ahead (`get(..., ahead=True)`, intervals of PREFETCH_MIN_INTERVAL seconds or more): a view
somebody asked for in the last PREFETCH_IDLE_INTERVALS intervals is computed for the next bucket a
little before that bucket starts (twice its last computation time, at least MIN_LEAD seconds, at
most half the interval), by a thread of this process, under the same lock, so the screens that ask
when the bucket turns find it ready instead of waiting for it. Such a value is at most the lead
older than one computed when asked; its "as of" says when it was computed. Shorter intervals (the
pop-up poll) are computed when asked, never ahead.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

LOCK_SECONDS = 5.0  # the longest a caller waits for another's computation before doing it itself
POLL_SECONDS = 0.02
PREFETCH_MIN_INTERVAL = 5.0
PREFETCH_IDLE_INTERVALS = 2
MIN_LEAD = 0.5
COMPUTATIONS_KEY = "stats:view_computations"  # counted in the shared state too (the bench reads it across workers)

log = logging.getLogger(__name__)


def scope_key(community_ids: Iterable[int] | None) -> str:
    if community_ids is None:
        return "all"
    ids = ",".join(str(i) for i in sorted(set(community_ids)))
    return hashlib.sha1(ids.encode()).hexdigest()[:16]


class ViewCache:
    def __init__(
        self,
        state,  # noqa: ANN001
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        prefetch: bool = True,
        thread: bool = True,
    ) -> None:
        self.state = state
        self.clock = clock
        self.sleep = sleep
        self.prefetch = prefetch
        self.thread = thread  # False: nothing runs ahead by itself (a test calls run_ahead with its clock)
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.computations = 0  # how many times this process computed a view (the bench reads it)
        self.computed = Counter()  # the same per view
        # views computed ahead: (view, scope, interval) -> compute, when last asked, next bucket done
        self._ahead: dict[tuple[str, str, float], dict] = {}
        self._seconds: dict[tuple[str, str, float], float] = {}  # each one's last computation time
        self._ahead_guard = threading.Lock()
        self._thread: threading.Thread | None = None

    def _local_lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            if len(self._locks) > 1000:  # old buckets' locks
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(key, threading.Lock())

    @staticmethod
    def _key(view: str, scope: str, interval: float, bucket: int) -> str:
        return f"view:{view}:{interval:g}:{scope}:{bucket}"

    def get(self, view: str, scope: str, interval: float, compute: Callable[[], Any], ahead: bool = False) -> Any:
        """The view's value for the current bucket of `interval` seconds, computing it at most once.
        `ahead`: also compute the next buckets' values before they start while somebody keeps asking
        (`compute` must then need nothing of the request: it runs on another thread)."""
        interval = max(1.0, float(interval))
        now = self.clock()
        bucket = int(now // interval)
        if ahead and self.prefetch and interval >= PREFETCH_MIN_INTERVAL:
            self._register((view, scope, interval), compute, now)
        key = self._key(view, scope, interval, bucket)
        ttl = (bucket + 1) * interval - now + 1.0
        found = self.state.get(key)
        if found is not None:
            return json.loads(found)
        with self._local_lock(key):  # threads of this process queue here
            found = self.state.get(key)
            if found is not None:
                return json.loads(found)
            if not self.state.add(key + ":lock", b"1", LOCK_SECONDS):  # another worker computes it
                deadline = self.clock() + LOCK_SECONDS
                while self.clock() < deadline:
                    self.sleep(POLL_SECONDS)
                    found = self.state.get(key)
                    if found is not None:
                        return json.loads(found)
            try:
                value = self._compute((view, scope, interval), compute)
                self.state.set(key, json.dumps(value, ensure_ascii=False, default=str).encode(), ttl)
            finally:
                self.state.discard(key + ":lock")
            return json.loads(json.dumps(value, default=str))  # the same shape a cached read returns

    def _compute(self, family: tuple[str, str, float], compute: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        value = compute()
        self._seconds[family] = time.perf_counter() - started
        self.computations += 1
        self.computed[family[0]] += 1
        try:
            self.state.incr(COMPUTATIONS_KEY, 86400)
        except Exception:  # noqa: BLE001 - a statistic never fails a view
            log.debug("could not count a view computation", exc_info=True)
        return value

    # --- computed ahead -------------------------------------------------------------------------------------

    def _register(self, family: tuple[str, str, float], compute: Callable[[], Any], now: float) -> None:
        with self._ahead_guard:
            entry = self._ahead.get(family)
            if entry is None:
                self._ahead[family] = {"compute": compute, "asked": now, "done": int(now // family[2])}
            else:
                entry["compute"], entry["asked"] = compute, now
            if self.thread and (self._thread is None or not self._thread.is_alive()):
                self._thread = threading.Thread(target=self._ahead_loop, name="view-cache-ahead", daemon=True)
                self._thread.start()

    def lead(self, family: tuple[str, str, float]) -> float:
        """How long before its bucket a view is computed ahead."""
        return min(family[2] / 2, max(MIN_LEAD, 2 * self._seconds.get(family, 0.0)))

    def run_ahead(self) -> float:
        """One pass: compute every view that is due for its next bucket; returns when the next is due.
        The thread calls it in a loop; tests call it with their own clock."""
        now = self.clock()
        wake = now + 1.0
        with self._ahead_guard:
            families = list(self._ahead.items())
        for family, entry in families:
            interval = family[2]
            if now - entry["asked"] > PREFETCH_IDLE_INTERVALS * interval:  # its screens have gone
                with self._ahead_guard:
                    self._ahead.pop(family, None)
                continue
            upcoming = int(now // interval) + 1
            if entry["done"] >= upcoming:
                wake = min(wake, (upcoming + 1) * interval - self.lead(family))
                continue
            due = upcoming * interval - self.lead(family)
            if now < due:
                wake = min(wake, due)
                continue
            entry["done"] = upcoming
            try:
                self._fill(family, upcoming, entry["compute"])
            except Exception:  # noqa: BLE001 - the screens will compute it when they ask
                log.exception("computing view %s ahead failed", family[0])
        return wake

    def _fill(self, family: tuple[str, str, float], bucket: int, compute: Callable[[], Any]) -> None:
        view, scope, interval = family
        key = self._key(view, scope, interval, bucket)
        with self._local_lock(key):
            if self.state.get(key) is not None or not self.state.add(key + ":lock", b"1", LOCK_SECONDS):
                return  # already there, or another worker computes it
            try:
                value = self._compute(family, compute)
                ttl = (bucket + 1) * interval - self.clock() + 1.0
                self.state.set(key, json.dumps(value, ensure_ascii=False, default=str).encode(), ttl)
            finally:
                self.state.discard(key + ":lock")

    def _ahead_loop(self) -> None:
        while True:
            with self._ahead_guard:
                if not self._ahead:
                    self._thread = None
                    return
            try:
                wake = self.run_ahead()
            except Exception:  # noqa: BLE001 - keep the thread alive
                log.exception("the view cache's ahead pass failed")
                wake = self.clock() + 1.0
            self.sleep(min(1.0, max(0.02, wake - self.clock())))
