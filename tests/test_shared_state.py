"""What workers share: rate-limit windows, login-failure counters and cached values — in memory for
one process, in a real Redis for several. Two app instances on one Redis behave as two gunicorn
workers: they count together."""

from __future__ import annotations

import os
import re
import time

import pytest

from app import create_app
from data_access.shared_state import MemoryState, RedisState
from tests.factories import tiny_community

REDIS_ENV = "COCKPIT_TEST_REDIS_URL"  # a throwaway server, started by `make test`


def _redis_url() -> str | None:
    url = os.environ.get(REDIS_ENV)
    if not url and os.environ.get("CI"):
        pytest.fail(f"{REDIS_ENV} is not set: `make test` starts a Redis for these tests")
    return url


@pytest.fixture(params=["memory", "redis"])
def state(request):
    if request.param == "memory":
        yield MemoryState()
        return
    url = _redis_url()
    if not url:
        pytest.skip(f"{REDIS_ENV} not set")
    backend = RedisState(url, prefix=f"test:{time.monotonic_ns()}:")
    yield backend
    for key in backend.client.scan_iter(backend.prefix + "*"):
        backend.client.delete(key)


def test_sliding_window_counts_and_forgets(state):
    assert [state.hit("k", 3, 0.6) for _ in range(4)] == [True, True, True, False]
    assert state.hit("other", 3, 0.6)  # keys are separate
    assert 1 <= state.retry_after("k", 0.6) <= 2
    time.sleep(0.7)
    assert state.hit("k", 3, 0.6)  # the window slid past the old hits


def test_counters_expire_and_values_are_cached_with_a_ttl(state):
    assert [state.incr("fail:x", 1) for _ in range(3)] == [1, 2, 3]
    state.delete("fail:x")
    assert state.incr("fail:x", 1) == 1
    state.set("view:wall:30", b'{"open": 41}', 0.5)
    assert state.get("view:wall:30") == b'{"open": 41}'
    time.sleep(1.1)
    assert state.get("view:wall:30") is None
    assert state.incr("fail:x", 1) == 1  # the counter expired too


def _csrf(client) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)


def _fail_login(client) -> int:
    return client.post(
        "/login", data={"username": "c1_admin", "password": "wrong", "csrf_token": _csrf(client), "next": "/"}
    ).status_code


def test_two_workers_on_one_redis_count_together(sqlite_engine, tmp_path):
    url = _redis_url()
    if not url:
        pytest.skip(f"{REDIS_ENV} not set")
    tiny_community(sqlite_engine)
    RedisState(url).client.flushdb()
    overrides = {"database_url": str(sqlite_engine.url), "redis_url": url, "classify_rate_limit": 4}
    workers = [create_app({**overrides, "instance_dir": str(tmp_path / f"w{n}")}) for n in (1, 2)]
    clients = [w.server.test_client() for w in workers]
    # the public classifier: 4 calls per window for one client, whichever worker answers
    codes = [clients[n % 2].post("/api/v1/classify", json={"text": "楼下垃圾没人清"}).status_code for n in range(6)]
    assert codes == [200, 200, 200, 200, 429, 429]
    # five wrong passwords, alternating between the workers, lock the account
    assert [_fail_login(clients[n % 2]) for n in range(5)] == [401, 401, 401, 401, 429]
    good = clients[0].post(
        "/login", data={"username": "c1_admin", "password": "pw-admin", "csrf_token": _csrf(clients[0]), "next": "/"}
    )
    assert good.status_code == 429  # locked: even the right password is refused
