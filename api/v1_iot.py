"""Machine API for IoT gateways and the door-access system (under /api/v1, machine token).

- `POST /api/v1/telemetry`: a batch of readings (device, ts, metric, value or fault code); idempotent on
  (device, ts, metric); one bad row rejects the batch with row-level errors and stores nothing.
- `POST /api/v1/access-events`: a batch of pseudonymous door events (event id, person id, gate,
  direction, time). A payload carrying an image or a face template anywhere is refused whole.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from api.v1 import EXTRA_PATHS, api_error, token_required
from data_access.access import community_by_code, store_access_events
from data_access.clock import local_now
from data_access.db import reading, writing
from data_access.devices import device_ids_by_code, store_readings
from data_access.tokens import mark_used
from domain.iot import MAX_ACCESS_EVENTS, MAX_READINGS, check_access_events, check_readings, find_biometric

bp = Blueprint("api_v1_iot", __name__, url_prefix="/api/v1")

PROBLEM_TEXT = {
    "missing": "is missing",
    "not_object": "is not a JSON object",
    "unknown_device": "is not an active device code of this token's community",
    "bad_time": "is not an ISO-8601 time",
    "future_time": "is more than 10 minutes in the future",
    "bad_metric": "must be 1-40 lower-case letters, digits or '_', starting with a letter",
    "bad_value": "is not a finite number",
    "bad_fault_code": "must be 1-40 letters, digits, '_', '.' or '-'",
    "duplicate": "repeats a row of this batch",
    "too_many": "has too many rows",
    "unknown_field": "is not a door-event field (only event_id, person_id, gate, direction, at are taken)",
    "bad_id": "must be letters, digits, '.', '_', ':' or '-' (person_id 4-64, event_id 1-80, gate 1-40)",
    "not_pseudonymous": "looks like an ID card or phone number; send the door system's pseudonymous id",
    "bad_direction": 'must be "in" or "out"',
}
SOURCE_MAX = 40


def _engine():
    return current_app.extensions["cockpit"]["engine"]


def _config():
    return current_app.extensions["cockpit"]["config"]


def _details(errors) -> list[dict]:  # noqa: ANN001
    return [{"row": e.row, "field": e.field, "code": e.code, "message": f"{e.field} {PROBLEM_TEXT.get(e.code, e.code)}"}
            for e in errors[:200]]  # fmt: skip


def _scope() -> list[int] | None:
    community_id = g.api_token["community_id"]
    return None if community_id is None else [community_id]


@bp.route("/telemetry", methods=["POST"])
@token_required("machine")
def post_telemetry():
    body = request.get_json(silent=True)
    rows = body.get("readings") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows:
        return api_error(400, "bad_request", 'send JSON {"readings": [{"device", "ts", "metric", "value" or '
                         '"fault_code"}, ...]}')  # fmt: skip
    config = _config()
    now = local_now(config["timezone"])
    codes = {r["device"].strip() for r in rows if isinstance(r, dict) and isinstance(r.get("device"), str)}
    with reading(_engine()) as s:
        ids = device_ids_by_code(s, codes, _scope())
    clean, errors = check_readings(rows, set(ids), now, config["timezone"])
    if errors:
        return api_error(400, "invalid_rows", f"{len(errors)} problem(s); nothing was stored", _details(errors))
    with writing(_engine()) as s:
        stored = store_readings(s, clean, ids)
        mark_used(s, g.api_token["id"], now)
    return jsonify({"received": len(clean), "stored": stored, "already_stored": len(clean) - stored})


@bp.route("/access-events", methods=["POST"])
@token_required("machine")
def post_access_events():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("events"), list) or not body["events"]:
        return api_error(400, "bad_request", 'send JSON {"source", "events": [{"event_id", "person_id", "gate", '
                         '"direction", "at"}, ...]}')  # fmt: skip
    # before anything else: a payload with pictures or biometric templates is refused as a whole, and
    # its paths are named but never its values
    carried = find_biometric(body)
    if carried:
        return api_error(
            422,
            "biometric_data_refused",
            "door events carry only a pseudonymous person id, gate, direction and time; images and face "
            "templates stay in the door system. Nothing was stored.",
            [{"path": path, "code": "biometric_data"} for path in carried[:50]],
        )
    unknown_top = sorted(set(body) - {"source", "community", "events"})
    if unknown_top:
        return api_error(400, "bad_request", "unknown top-level field(s); nothing was stored",
                         [{"field": k, "code": "unknown_field"} for k in unknown_top])  # fmt: skip
    source = body.get("source") or "door-system"
    if not isinstance(source, str) or not 1 <= len(source) <= SOURCE_MAX:
        return api_error(400, "bad_request", f"source must be a name of 1-{SOURCE_MAX} characters")
    community_id = g.api_token["community_id"]
    if community_id is None:
        with reading(_engine()) as s:
            community_id = community_by_code(s, str(body.get("community") or ""))
        if community_id is None:
            return api_error(400, "bad_request", "a token for every community must name the community (its code)")
    config = _config()
    now = local_now(config["timezone"])
    clean, errors = check_access_events(body["events"], now, config["timezone"])
    if errors:
        return api_error(400, "invalid_rows", f"{len(errors)} problem(s); nothing was stored", _details(errors))
    with writing(_engine()) as s:
        stored = store_access_events(s, community_id, source, clean)
        mark_used(s, g.api_token["id"], now)
    return jsonify({"received": len(clean), "stored": stored, "already_stored": len(clean) - stored})


_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
EXTRA_PATHS.update({
    "/telemetry": {
        "post": {
            "summary": "Store a batch of IoT readings (idempotent on device + ts + metric).",
            "description": "All rows or none: one bad row rejects the batch with row-level errors. A reading has a "
            "number (`value`), a fault code (`fault_code`) or both. Faults travel on the `status` metric: "
            "`TRAPPED` (passenger trapped: critical alarm and an urgent case), `DOOR` (door fault), `OOS` (out "
            "of service); a status reading without a fault code ends them. Other metrics: `pressure_mpa` "
            "(fire pumps, extinguishers), `quantity` (flood-control stock), `trips` (elevators). Gateways send "
            "a heartbeat at least every `report_every_minutes` (default 60 for elevators and fire pumps, a day "
            "for extinguishers and stock); more than 10 minutes past it the device is silent. Times without an "
            "offset are Asia/Shanghai. Machine token; a token limited to a community sees only its devices.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["readings"],
                "properties": {"readings": {"type": "array", "maxItems": MAX_READINGS, "items": {
                    "type": "object", "required": ["device", "ts", "metric"],
                    "properties": {
                        "device": {"type": "string", "example": "EL-junjing-03-1"},
                        "ts": {"type": "string", "format": "date-time"},
                        "metric": {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,39}$", "example": "status"},
                        "value": {"type": "number"},
                        "fault_code": {"type": "string", "example": "TRAPPED"},
                    }}}}}}}},
            "responses": {
                "200": {"description": "received, stored, already_stored"},
                "400": {"description": "invalid batch; nothing stored", "content": _ERROR_REF},
                "401": {"description": "no valid machine token", "content": _ERROR_REF},
            },
        }
    },
    "/access-events": {
        "post": {
            "summary": "Store a batch of pseudonymous door events (idempotent on source + event_id).",
            "description": "Only event_id, person_id (the door system's pseudonym, never an ID card or phone "
            "number), gate, direction (in/out) and at are taken; any other field rejects the row. A payload "
            "carrying an image or a face template anywhere (fields named like image, photo, face, template, "
            "feature, base64..., long base64 strings, data: URIs, long number arrays) is refused whole with 422 "
            "and nothing is stored. Events are deleted after COCKPIT_DOOR_EVENT_RETENTION_DAYS. A token for "
            "every community names the community by its code.",
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["events"],
                "properties": {
                    "source": {"type": "string", "maxLength": SOURCE_MAX, "default": "door-system"},
                    "community": {"type": "string", "description": "community code (district-wide tokens only)"},
                    "events": {"type": "array", "maxItems": MAX_ACCESS_EVENTS, "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["event_id", "person_id", "gate", "direction", "at"],
                        "properties": {
                            "event_id": {"type": "string", "maxLength": 80},
                            "person_id": {"type": "string", "minLength": 4, "maxLength": 64, "example": "p-3fa9c1d2e4b7"},
                            "gate": {"type": "string", "maxLength": 40, "example": "junjing-north"},
                            "direction": {"type": "string", "enum": ["in", "out"]},
                            "at": {"type": "string", "format": "date-time"},
                        }}}}}}}},
            "responses": {
                "200": {"description": "received, stored, already_stored"},
                "400": {"description": "invalid batch; nothing stored", "content": _ERROR_REF},
                "401": {"description": "no valid machine token", "content": _ERROR_REF},
                "422": {"description": "the payload carries an image or a face template; nothing stored",
                        "content": _ERROR_REF},
            },
        }
    },
})  # fmt: skip
