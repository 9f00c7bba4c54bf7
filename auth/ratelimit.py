"""Per-client rate limits for the public pages and the public API (sliding windows).

The windows live in the app's shared state (data_access.shared_state): Redis when COCKPIT_REDIS_URL
is set, so all gunicorn workers count together; this process's memory otherwise.
"""

from __future__ import annotations

from flask import current_app, request

from auth.context import EXTENSION


class RateLimit:
    """`limit` events per `window` seconds per key, in the app's shared state under `name`."""

    def __init__(self, state, name: str, limit: int, window: float) -> None:  # noqa: ANN001
        self.state, self.name, self.limit, self.window = state, name, limit, window

    def hit(self, key: str) -> bool:
        """Count one request of `key`; False when it is over the limit (and then it is not counted)."""
        return self.state.hit(f"{self.name}:{key}", self.limit, self.window)

    def retry_after(self, key: str) -> int:
        return self.state.retry_after(f"{self.name}:{key}", self.window)


def client_key() -> str:
    """The caller's address as the server sees it (a reverse proxy must pass the real one through)."""
    return request.remote_addr or "unknown"


def limiter(name: str, limit_setting: str) -> RateLimit:
    """The app's limit called `name`, sized from the settings."""
    ext = current_app.extensions[EXTENSION]
    config = ext["config"]
    return RateLimit(ext["shared_state"], name, config[limit_setting], config["rate_window_seconds"])
