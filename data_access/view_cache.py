"""A server-side cache of computed views, keyed by view, scope and refresh interval, so that N wall
screens (or N staff pages) refreshing every T seconds cost one computation per T, not N.

The key holds the interval's bucket (`floor(clock / T)`), so every screen with the same interval sees
the same result until the next bucket, and a result never outlives its interval. Values are JSON in
the app's shared state: in Redis with several gunicorn workers (one worker computes, the others read
its result), in the process otherwise. While one caller computes a key the others wait for its
result instead of computing it too (a short lock taken with `add`), so the cost holds even when
fifty screens ask at the same instant.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

LOCK_SECONDS = 5.0  # the longest a caller waits for another's computation before doing it itself
POLL_SECONDS = 0.02


def scope_key(community_ids: Iterable[int] | None) -> str:
    if community_ids is None:
        return "all"
    ids = ",".join(str(i) for i in sorted(set(community_ids)))
    return hashlib.sha1(ids.encode()).hexdigest()[:16]


class ViewCache:
    def __init__(
        self, state, clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep
    ) -> None:  # noqa: ANN001
        self.state = state
        self.clock = clock
        self.sleep = sleep
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self.computations = 0  # how many times this process computed a view (the bench reads it)

    def _local_lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            if len(self._locks) > 1000:  # old buckets' locks
                self._locks = {k: v for k, v in self._locks.items() if v.locked()}
            return self._locks.setdefault(key, threading.Lock())

    def get(self, view: str, scope: str, interval: float, compute: Callable[[], Any]) -> Any:
        """The view's value for the current bucket of `interval` seconds, computing it at most once."""
        interval = max(1.0, float(interval))
        now = self.clock()
        bucket = int(now // interval)
        key = f"view:{view}:{interval:g}:{scope}:{bucket}"
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
                value = compute()
                self.computations += 1
                self.state.set(key, json.dumps(value, ensure_ascii=False, default=str).encode(), ttl)
            finally:
                self.state.discard(key + ":lock")
            return json.loads(json.dumps(value, default=str))  # the same shape a cached read returns
