"""Structured logs: every request gets an id (the caller's X-Request-ID or a new one), echoed in the
response and attached to every log line written while it is served, so one user's complaint can be
followed through the web workers' logs. COCKPIT_LOG_FORMAT=json writes one JSON object per line for
a log collector; text is for people."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request

log = logging.getLogger("cockpit.http")
_SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        for key in ("method", "path", "status", "ms", "user"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: str, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


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
