"""Per-client rate limits for the public pages and the public API (a sliding window in memory).

Counters live in this process: with several gunicorn workers each worker counts on its own, so a
client gets at most (workers x limit). The district-scale issue moves these counters to Redis.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from flask import current_app, request

from auth.context import EXTENSION


class SlidingWindowLimiter:
    def __init__(self, limit: int, window_seconds: float, clock=time.monotonic) -> None:  # noqa: ANN001
        self.limit = limit
        self.window = window_seconds
        self.clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str) -> bool:
        """Count one request of `key`; False when it is over the limit (and then it is not counted)."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - self.window:
                hits.popleft()
            if len(hits) >= self.limit:
                return False
            hits.append(now)
            if len(self._hits) > 50_000:  # forget idle clients so memory stays bounded
                for idle in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
                    del self._hits[idle]
            return True

    def retry_after(self, key: str) -> int:
        with self._lock:
            hits = self._hits.get(key)
            if not hits:
                return 0
            return max(1, int(hits[0] + self.window - self.clock()) + 1)


def client_key() -> str:
    """The caller's address as the server sees it (a reverse proxy must pass the real one through)."""
    return request.remote_addr or "unknown"


def limiter(name: str, limit_setting: str) -> SlidingWindowLimiter:
    """The app's limiter called `name`, sized from the settings (one per app, made on first use)."""
    ext = current_app.extensions[EXTENSION]
    limiters = ext.setdefault("rate_limiters", {})
    if name not in limiters:
        config = ext["config"]
        limiters[name] = SlidingWindowLimiter(config[limit_setting], config["rate_window_seconds"])
    return limiters[name]
