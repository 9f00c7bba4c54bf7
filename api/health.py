"""`/healthz`: is the store reachable, at which migration, is a scheduler leading (and who stands
by), and how did each job last run."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from data_access.clock import local_now
from data_access.jobruns import last_runs
from data_access.leader import scheduler_status
from data_access.migrate import current_revision

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    engine = current_app.extensions["cockpit"]["engine"]
    config = current_app.extensions["cockpit"]["config"]
    # a heartbeat older than three beats means that scheduler is gone
    stale_after = timedelta(seconds=3 * config["scheduler_heartbeat_seconds"])
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(engine)
        jobs = last_runs(engine)
        scheduler = scheduler_status(engine, local_now(config["timezone"]), stale_after)
    except Exception as exc:  # the point of a health check is to say so, not to crash
        return jsonify({"status": "error", "database": f"unreachable: {type(exc).__name__}"}), 503
    return jsonify(
        {"status": "ok", "database": "ok", "schema_revision": revision, "scheduler": scheduler, "jobs": jobs}
    )
