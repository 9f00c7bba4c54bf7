"""What web workers must share besides the database: rate-limit windows, login-failure counters and
the view cache. With COCKPIT_REDIS_URL set they live in Redis, so every gunicorn worker sees the same
counts and one worker's cached view serves the others; without it they live in this process (one
`python app.py`, development).

Both backends offer the same three operations:
- `hit(key, limit, window)`: count one event in a sliding window; False (and not counted) when
  `limit` events already happened within `window` seconds;
- `incr(key, ttl)`: add one to a counter that expires `ttl` seconds after it was first set;
- `get(key)` / `set(key, value, ttl)` of bytes, for the cache, and `add(key, value, ttl)`: set only
  when the key is absent (True when this caller set it), which the cache uses as a short lock so
  that one worker computes a view while the others wait for its result.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque


class MemoryState:
    def __init__(self, clock=time.time) -> None:  # noqa: ANN001
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}
        self._values: dict[str, tuple[float, object]] = {}

    def hit(self, key: str, limit: int, window: float) -> bool:
        now = self.clock()
        with self._lock:
            hits = self._windows.setdefault(key, deque())
            while hits and hits[0] <= now - window:
                hits.popleft()
            if len(hits) >= limit:
                return False
            hits.append(now)
            if len(self._windows) > 50_000:  # forget idle keys so memory stays bounded
                for idle in [k for k, v in self._windows.items() if not v or v[-1] <= now - window]:
                    del self._windows[idle]
            return True

    def retry_after(self, key: str, window: float) -> int:
        with self._lock:
            hits = self._windows.get(key)
            return max(1, int(hits[0] + window - self.clock()) + 1) if hits else 0

    def _live(self, key: str):  # noqa: ANN202
        found = self._values.get(key)
        if found is None or found[0] <= self.clock():
            self._values.pop(key, None)
            return None
        return found

    def incr(self, key: str, ttl: float) -> int:
        with self._lock:
            found = self._live(key)
            expires, count = found if found else (self.clock() + ttl, 0)
            self._values[key] = (expires, count + 1)
            return count + 1

    def delete(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def get(self, key: str) -> bytes | None:
        with self._lock:
            found = self._live(key)
            return found[1] if found else None

    def set(self, key: str, value: bytes, ttl: float) -> None:
        with self._lock:
            if len(self._values) > 10_000:
                for old in [k for k, (expires, _v) in self._values.items() if expires <= self.clock()]:
                    del self._values[old]
            self._values[key] = (self.clock() + ttl, value)

    def discard(self, key: str) -> None:
        with self._lock:
            self._values.pop(key, None)

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._values[key] = (self.clock() + ttl, value)
            return True


# A sliding window in one round trip and atomically, so two workers can never both take the last slot.
_HIT = """
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
if redis.call('ZCARD', key) >= limit then return 0 end
redis.call('ZADD', key, now, member)
redis.call('PEXPIRE', key, math.ceil(window * 1000))
return 1
"""


class RedisState:
    def __init__(self, url: str, prefix: str = "cockpit:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self.prefix = prefix
        self._hit = self.client.register_script(_HIT)

    def hit(self, key: str, limit: int, window: float) -> bool:
        member = f"{time.time():.6f}:{uuid.uuid4().hex[:8]}"
        return bool(self._hit(keys=[self.prefix + "w:" + key], args=[time.time(), window, limit, member]))

    def retry_after(self, key: str, window: float) -> int:
        oldest = self.client.zrange(self.prefix + "w:" + key, 0, 0, withscores=True)
        return max(1, int(oldest[0][1] + window - time.time()) + 1) if oldest else 0

    def incr(self, key: str, ttl: float) -> int:
        name = self.prefix + "c:" + key
        with self.client.pipeline() as pipe:
            pipe.incr(name)
            pipe.expire(name, max(1, int(ttl)), nx=True)  # the window starts at the first failure
            count, _ = pipe.execute()
        return int(count)

    def delete(self, key: str) -> None:
        self.client.delete(self.prefix + "c:" + key)

    def get(self, key: str) -> bytes | None:
        return self.client.get(self.prefix + "v:" + key)

    def set(self, key: str, value: bytes, ttl: float) -> None:
        self.client.set(self.prefix + "v:" + key, value, px=max(1, int(ttl * 1000)))

    def discard(self, key: str) -> None:
        self.client.delete(self.prefix + "v:" + key)

    def add(self, key: str, value: bytes, ttl: float) -> bool:
        return bool(self.client.set(self.prefix + "v:" + key, value, px=max(1, int(ttl * 1000)), nx=True))


def make_state(redis_url: str):  # noqa: ANN201 - MemoryState | RedisState
    return RedisState(redis_url) if redis_url else MemoryState()
