"""Log lines for every cockpit process — the web workers, `python -m jobs`, `python app.py` — in one
format: COCKPIT_LOG_FORMAT=json writes one JSON object per line for a log collector, text is for
people. Each line carries a request id: the web app's filter (auth/requestlog.py) names the request
being served; elsewhere it is "-". Imports nothing of the cockpit's and no web framework, so the
scheduler can use it too."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
EXTRA_KEYS = ("method", "path", "status", "ms", "user")


class NoRequestFilter(logging.Filter):
    """Gives every record a request id ("-" outside a request), so both formats can name it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = "-"
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
        for key in EXTRA_KEYS:
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(log_format: str, level: int = logging.INFO, filters: Iterable[logging.Filter] = ()) -> None:
    """One handler on the root logger, to stderr, in `log_format` (json or text); `filters` add
    fields to every record (the web app's request id)."""
    handler = logging.StreamHandler()
    for record_filter in (*filters, NoRequestFilter()):
        handler.addFilter(record_filter)
    handler.setFormatter(JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
