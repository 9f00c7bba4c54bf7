"""Structured logs: every request gets an id (the caller's X-Request-ID or a new one), echoed in the
response and attached to every log line written while it is served, so one user's complaint can be
followed through the web workers' logs. COCKPIT_LOG_FORMAT=json writes one JSON object per line for
a log collector; text is for people."""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request

import logconfig
from logconfig import JsonFormatter  # noqa: F401 - re-exported: the app's log lines

log = logging.getLogger("cockpit.http")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    """The process's log format (logconfig), with the id of the request being served on every line."""
    logconfig.configure_logging(log_format, level, filters=[RequestIdFilter()])


def install(server: Flask) -> None:
    @server.before_request
    def _start():
        sent = request.headers.get("X-Request-ID", "")
        g.request_id = sent if _SAFE_ID.match(sent) else uuid.uuid4().hex[:16]
        g.request_started = time.perf_counter()

    @server.after_request
    def _finish(response):
        response.headers["X-Request-ID"] = g.get("request_id", "-")
        if not request.path.startswith(("/_dash-component-suites/", "/assets/", "/vendor/")):
            elapsed = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
            log.info(
                "%s %s %s %.0f ms", request.method, request.path, response.status_code, elapsed,
                extra={"method": request.method, "path": request.path, "status": response.status_code,
                       "ms": round(elapsed, 1)},
            )  # fmt: skip
        return response
