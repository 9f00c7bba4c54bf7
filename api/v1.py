"""The machine API under /api/v1: bearer-token auth on every route, JSON in and out, JSON errors."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Blueprint, current_app, g, jsonify, request

from data_access.clock import local_now
from data_access.db import reading, writing
from data_access.parking import current_shareable, insert_samples, lot_ids_by_code
from data_access.tokens import find_active_token
from domain.occupancy import MAX_BATCH, check_occupancy

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

ERROR_TEXT = {
    "missing": "is missing",
    "unknown_lot": "is not a known lot code",
    "bad_time": "is not an ISO-8601 time",
    "bad_count": "is not a whole number of spaces, 0 or more",
    "duplicate": "repeats a (lot, sampled_at) pair of this batch",
    "too_many": f"has more than {MAX_BATCH} rows",
}


def _engine():
    return current_app.extensions["cockpit"]["engine"]


def _config():
    return current_app.extensions["cockpit"]["config"]


def api_error(status: int, code: str, message: str, details: list | None = None):
    body = {"error": {"code": code, "message": message}}
    if details:
        body["error"]["details"] = details
    return jsonify(body), status


def token_required(*kinds: str) -> Callable:
    """Bearer token of one of `kinds`; the token's community (if any) scopes what the route sees."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            header = request.headers.get("Authorization", "")
            token = header[7:].strip() if header.lower().startswith("bearer ") else ""
            with reading(_engine()) as s:
                row = next((r for r in (find_active_token(s, kind, token) for kind in kinds) if r), None)
                if row is None:
                    return api_error(401, "unauthorized", "a valid bearer token is required")
                g.api_token = {"id": row.id, "kind": row.kind, "community_id": row.community_id}
            return fn(*args, **kwargs)

        return wrapper

    return decorate


def _scope() -> list[int] | None:
    community_id = g.api_token["community_id"]
    return None if community_id is None else [community_id]


@bp.errorhandler(404)
def not_found(_exc):  # noqa: ANN001
    return api_error(404, "not_found", "no such API resource")


@bp.errorhandler(405)
def wrong_method(_exc):  # noqa: ANN001
    return api_error(405, "method_not_allowed", "this resource does not take that method")


@bp.route("/parking/occupancy", methods=["POST"])
@token_required("machine")
def post_occupancy():
    """A batch of counter readings; idempotent on (lot, sampled_at); all rows or none."""
    body = request.get_json(silent=True)
    rows = body.get("samples") if isinstance(body, dict) else body
    if not isinstance(rows, list) or not rows:
        return api_error(400, "bad_request", 'send JSON {"samples": [{"lot", "sampled_at", "occupied"}, ...]}')
    with reading(_engine()) as s:
        lots = lot_ids_by_code(s, {r.get("lot") for r in rows if isinstance(r, dict) and isinstance(r.get("lot"), str)})
    clean, errors = check_occupancy(rows, set(lots), _config()["timezone"])
    if errors:
        details = [
            {"row": e.row, "field": e.field, "code": e.code, "message": f"{e.field} {ERROR_TEXT[e.code]}"}
            for e in errors[:200]
        ]
        return api_error(400, "invalid_rows", f"{len(errors)} problem(s); nothing was stored", details)
    with writing(_engine()) as s:
        stored = insert_samples(
            s, [{"lot_id": lots[lot][0], "sampled_at": at, "occupied": n} for lot, at, n in clean], source="api"
        )
    over = sum(1 for lot, _at, n in clean if n > lots[lot][1])
    return jsonify({"received": len(clean), "stored": stored, "already_stored": len(clean) - stored,
                    "over_capacity": over}), 200  # fmt: skip


@bp.route("/parking/shareable", methods=["GET"])
@token_required("machine", "wall")
def get_shareable():
    """The current shareable spaces per lot and window, as the last `parking` job run published them."""
    with reading(_engine()) as s:
        rows = current_shareable(s, _scope())
    lots = [
        {
            "lot": r["lot"],
            "name_zh": r["lot_zh"],
            "name_en": r["lot_en"],
            "estate": r["estate"],
            "window": r["window"],
            "window_start": r["window_start"],
            "window_end": r["window_end"],
            "weekdays_only": r["weekdays_only"],
            "capacity": r["capacity"],
            "status": r["status"],
            "shareable": r["shareable"],
            "reason": r["reason"],
            "computed_at": r["computed_at"].isoformat(),
        }
        for r in rows
    ]
    totals = {w: sum(x["shareable"] or 0 for x in lots if x["window"] == w) for w in ("day", "night")}
    return jsonify({"as_of": local_now(_config()["timezone"]).isoformat(), "totals": totals, "lots": lots})


@bp.route("/openapi.json", methods=["GET"])
def openapi():
    return jsonify(OPENAPI)


_ERROR = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {"type": "array", "items": {"type": "object"}},
            },
            "required": ["code", "message"],
        }
    },
}
OPENAPI = {
    "openapi": "3.0.3",
    "info": {"title": "Community Cockpit machine API", "version": "1"},
    "servers": [{"url": "/api/v1"}],
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {"Error": _ERROR},
    },
    "security": [{"bearer": []}],
    "paths": {
        "/parking/occupancy": {
            "post": {
                "summary": "Store a batch of parking counter readings (idempotent on lot + sampled_at).",
                "description": "All rows or none: one bad row rejects the batch with row-level errors. "
                "Times are ISO-8601; without an offset they are taken as Asia/Shanghai. Machine token.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["samples"],
                                "properties": {
                                    "samples": {
                                        "type": "array",
                                        "maxItems": MAX_BATCH,
                                        "items": {
                                            "type": "object",
                                            "required": ["lot", "sampled_at", "occupied"],
                                            "properties": {
                                                "lot": {"type": "string", "example": "P-junjing"},
                                                "sampled_at": {"type": "string", "format": "date-time"},
                                                "occupied": {"type": "integer", "minimum": 0},
                                            },
                                        },
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "received, stored, already_stored, over_capacity counts"},
                    "400": {"description": "invalid batch", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "401": {"description": "no valid machine token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                },
            }
        },
        "/parking/shareable": {
            "get": {
                "summary": "Current shareable spaces per lot and window, and the day and night totals.",
                "description": "Machine or wall token. A withheld lot has shareable null and a reason.",
                "responses": {
                    "200": {"description": "as_of, totals {day, night}, lots [...]"},
                    "401": {"description": "no valid token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                },
            }
        },
    },
}  # fmt: skip


@bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_rest: str):
    """Without this, Dash's catch-all page route would answer unknown API paths with HTML."""
    return api_error(404, "not_found", "no such API resource")
