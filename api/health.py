"""`/healthz`: is the store reachable, at which migration, is a scheduler leading (and who stands
by), is Redis reachable (when the workers share state through it), and how did each job last run.

200 with `"status": "ok"` when all is well; 503 with `"status": "degraded"` and the `reason` when the
database or Redis cannot be reached, no scheduler leads (`none`: jobs are not running) or two claim
to (`split`). A job run still marked `running` whose scheduler stopped beating shows as `stale`."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify

from data_access.clock import local_now
from data_access.db import ping
from data_access.jobruns import last_runs
from data_access.leader import scheduler_status
from data_access.migrate import current_revision

bp = Blueprint("health", __name__)

SCHEDULER_REASONS = {
    "none": "no scheduler is leading: jobs are not running (is `python -m jobs` up?)",
    "split": "more than one scheduler claims to lead",
}


def _redis(ext: dict, config) -> dict | None:  # noqa: ANN001
    if not config["redis_url"]:
        return None
    client = getattr(ext.get("shared_state"), "client", None)
    try:
        if client is None:
            raise RuntimeError("no Redis client")
        client.ping()
        return {"status": "ok"}
    except Exception as exc:  # noqa: BLE001 - any failure is what the check reports
        return {"status": "unreachable", "error": type(exc).__name__}


@bp.route("/healthz")
def healthz():
    ext = current_app.extensions["cockpit"]
    engine, config = ext["engine"], ext["config"]
    # a heartbeat older than three beats means that scheduler is gone
    stale_after = timedelta(seconds=3 * config["scheduler_heartbeat_seconds"])
    reasons: list[str] = []
    body: dict = {}
    redis = _redis(ext, config)
    try:
        ping(engine)
        now = local_now(config["timezone"])
        body.update(
            database="ok",
            schema_revision=current_revision(engine),
            scheduler=scheduler_status(engine, now, stale_after),
            jobs=last_runs(engine, now, stale_after),
        )
        if body["scheduler"]["status"] != "ok":
            reasons.append(SCHEDULER_REASONS[body["scheduler"]["status"]])
    except Exception as exc:  # noqa: BLE001 - the point of a health check is to say so, not to crash
        body["database"] = f"unreachable: {type(exc).__name__}"
        reasons.append(f"database unreachable ({type(exc).__name__})")
    if redis is not None:
        body["redis"] = redis
        if redis["status"] != "ok":
            reasons.append(f"Redis unreachable ({redis['error']}): rate limits, login lockouts and the cache fail")
    status = {"status": "degraded", "reason": "; ".join(reasons)} if reasons else {"status": "ok"}
    return jsonify({**status, **body}), 503 if reasons else 200
