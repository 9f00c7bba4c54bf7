"""The machine API under /api/v1: bearer-token auth on every route but the public grader (/classify, rate-limited)
and the OpenAPI description; JSON in and out, JSON errors."""

from __future__ import annotations

import base64
import binascii
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Blueprint, current_app, g, jsonify, request
from sqlalchemy.exc import IntegrityError

from auth.ratelimit import client_key, limiter
from data_access.clock import local_now, to_local_naive
from data_access.db import reading, writing
from data_access.grading import classify_report
from data_access.intake import TEXT_MAX, IntakeError, Report, submit_report
from data_access.open311 import services
from data_access.parking import current_shareable, insert_samples, lot_ids_by_code
from data_access.photos import store_photo
from data_access.replays import stored_cases
from data_access.tokens import find_active_token, mark_used
from domain.geo import valid_point
from domain.occupancy import MAX_BATCH, check_occupancy
from domain.parking import data_span
from domain.photos import PhotoError, check_upload

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")
MAX_DETECTIONS = 100  # photos travel in the JSON: a bigger batch would pass the 16 MB request cap
DETECTION_TEXT_MAX = 1000

ERROR_TEXT = {
    "missing": "is missing",
    "unknown_lot": "is not a known lot code (of this token's community)",
    "bad_time": "is not an ISO-8601 time",
    "bad_count": "is not a whole number of spaces, 0 or more",
    "shared_over": "is more than occupied (shared cars are counted in occupied)",
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
        codes = {r.get("lot") for r in rows if isinstance(r, dict) and isinstance(r.get("lot"), str)}
        lots = lot_ids_by_code(s, codes, _scope())  # a token limited to a community writes to its lots only
    clean, errors = check_occupancy(rows, set(lots), _config()["timezone"])
    if errors:
        details = [
            {"row": e.row, "field": e.field, "code": e.code, "message": f"{e.field} {ERROR_TEXT[e.code]}"}
            for e in errors[:200]
        ]
        return api_error(400, "invalid_rows", f"{len(errors)} problem(s); nothing was stored", details)
    with writing(_engine()) as s:
        stored = insert_samples(s, clean, lots, source="api")
    over = sum(1 for lot, _at, n, _sh in clean if n > lots[lot][1])
    return jsonify({"received": len(clean), "stored": stored, "already_stored": len(clean) - stored,
                    "over_capacity": over}), 200  # fmt: skip


REASON_TEXT = {
    "no_data": "no samples in the history",
    "too_little_history": "too few windows with data in the history",
    "gaps": "too many samples missing in the history",
    "counter_stuck": "the counter reported the same count throughout",
}
PARAMETER_FIELDS = ("capacity", "share_window", "window_start", "window_end", "weekdays_only", "quantile",
                    "history_weeks", "safety_buffer")  # fmt: skip


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def shareable_lot(r: dict) -> dict:
    """One lot's current result for the API: the figure, why it was withheld, the parameters it was
    computed with and the span of data it used."""
    span = data_span(r["data_from"], r["data_to"], r["samples_used"], r["parameters"])
    parameters = r["parameters"] or {}
    return {
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
        "peak": r["peak"],
        "reason": r["reason"],
        "reason_text": REASON_TEXT.get(r["reason"], r["reason"]) if r["reason"] else None,
        "computed_at": r["computed_at"].isoformat(),
        "parameters": {key: parameters[key] for key in PARAMETER_FIELDS if key in parameters},
        "data": {**span, "first_sample": _iso(span["first_sample"]), "last_sample": _iso(span["last_sample"])},
    }


@bp.route("/parking/shareable", methods=["GET"])
@token_required("machine", "wall")
def get_shareable():
    """The current shareable spaces per lot and window: for each lot the result of the latest
    computation of the `parking` job, with its parameters and the span of data it used."""
    with reading(_engine()) as s:
        rows = current_shareable(s, _scope())
    lots = [shareable_lot(r) for r in rows]
    totals = {w: sum(x["shareable"] or 0 for x in lots if x["window"] == w) for w in ("day", "night")}
    return jsonify({"as_of": local_now(_config()["timezone"]).isoformat(), "totals": totals, "lots": lots})


# --- camera car and the public grader ---------------------------------------------------------

CAMERA_ERROR_TEXT = {
    "missing": "is missing",
    "bad_id": "must be 1-40 letters, digits, '.', '_' or '-'",
    "unknown_category": "is not a known category code (see /open311/v2/services.json)",
    "bad_time": "is not an ISO-8601 time",
    "future_time": "is in the future",
    "bad_point": "is not a WGS84 latitude/longitude pair",
    "bad_photo": "is not base64",
    "empty": "is empty",
    "too_large": "is larger than the photo limit",
    "not_image": "is not a JPEG, PNG or WebP image",
    "too_long": "is too long",
    "duplicate": "repeats a (device_id, detection_id) pair of this batch",
    "too_many": f"has more than {MAX_DETECTIONS} rows",
    "not_object": "is not a JSON object",
}
INTAKE_FIELD = {"bad_point": "lat", "place_required": "lat", "unknown_community": "lat", "unknown_category": "category"}
INTAKE_TEXT = {
    "place_required": "is outside every community; use a token limited to the community the car patrols",
    "unknown_community": "is outside the token's community",
    "bad_point": "is not a WGS84 latitude/longitude pair",
    "unknown_category": "is not an active category",
    "text_too_long": "is too long",
}
_ID = re.compile(r"^[A-Za-z0-9._-]{1,40}$")
CLOCK_SKEW = timedelta(minutes=10)  # a detection "from the future" beyond this is a device with a wrong clock


@dataclass(frozen=True)
class Detection:
    device_id: str
    detection_id: str
    category: str
    captured_at: datetime
    lat: float
    lon: float
    photo: bytes | None
    description: str

    @property
    def ref(self) -> str:
        return f"{self.device_id}:{self.detection_id}"


def _row_error(row: int, field: str, code: str) -> dict:
    return {"row": row, "field": field, "code": code, "message": f"{field} {CAMERA_ERROR_TEXT.get(code, code)}"}


def check_detections(rows: list, categories: set[str], now: datetime, tz: str, max_photo: int):
    """(clean detections, row-level errors): every problem of every row, before anything is stored."""
    if len(rows) > MAX_DETECTIONS:
        return [], [_row_error(0, "detections", "too_many")]
    clean, errors, seen = [], [], set()
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.append(_row_error(i, "row", "not_object"))
            continue
        problems = []
        ids = {}
        for name in ("device_id", "detection_id"):
            value = row.get(name)
            value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
            if value in (None, ""):
                problems.append((name, "missing"))
            elif not isinstance(value, str) or not _ID.match(value):
                problems.append((name, "bad_id"))
            ids[name] = value
        category = row.get("category")
        if not category:
            problems.append(("category", "missing"))
        elif category not in categories:
            problems.append(("category", "unknown_category"))
        captured = None
        raw_time = row.get("captured_at")
        if not raw_time:
            problems.append(("captured_at", "missing"))
        else:
            try:
                captured = to_local_naive(datetime.fromisoformat(str(raw_time)), tz)
            except ValueError:
                problems.append(("captured_at", "bad_time"))
            else:
                if captured > now + CLOCK_SKEW:
                    problems.append(("captured_at", "future_time"))
        lat, lon = row.get("lat"), row.get("lon")
        if lat is None or lon is None:
            problems.append(("lat" if lat is None else "lon", "missing"))
        elif not valid_point(lat, lon):
            problems.append(("lat", "bad_point"))
        photo = None
        raw_photo = row.get("photo_base64")
        if raw_photo not in (None, ""):
            try:
                photo = base64.b64decode(raw_photo, validate=True) if isinstance(raw_photo, str) else None
            except (binascii.Error, ValueError):
                photo = None
            if photo is None:
                problems.append(("photo_base64", "bad_photo"))
            else:
                try:
                    check_upload(photo, max_photo)
                except PhotoError as exc:
                    problems.append(("photo_base64", exc.code))
        description = row.get("description") or ""
        if not isinstance(description, str) or len(description) > DETECTION_TEXT_MAX:
            problems.append(("description", "too_long"))
        if not problems:
            ref = f"{ids['device_id']}:{ids['detection_id']}"
            if ref in seen:
                problems.append(("detection_id", "duplicate"))
            seen.add(ref)
        if problems:
            errors.extend(_row_error(i, field, code) for field, code in problems)
            continue
        clean.append(Detection(ids["device_id"], ids["detection_id"], category, captured, float(lat), float(lon),
                               photo, description.strip()))  # fmt: skip
    return clean, errors


@bp.route("/camera-detections", methods=["POST"])
@token_required("machine")
def post_camera_detections():
    """A batch of camera-car detections; idempotent on (device_id, detection_id); all rows or none.
    Each becomes a case, or joins an open case of the same category nearby as its duplicate."""
    body = request.get_json(silent=True)
    rows = body.get("detections") if isinstance(body, dict) else None
    if not isinstance(rows, list) or not rows:
        return api_error(400, "bad_request", 'send JSON {"detections": [{"device_id", "detection_id", "category", '
                         '"captured_at", "lat", "lon", "photo_base64"}, ...]}')  # fmt: skip
    config = _config()
    now = local_now(config["timezone"])
    with reading(_engine()) as s:
        names = {r["code"]: r["name_zh"] for r in services(s)}
    clean, errors = check_detections(rows, set(names), now, config["timezone"], config["photo_max_bytes"])
    if errors:
        return api_error(400, "invalid_rows", f"{len(errors)} problem(s); nothing was stored", errors[:200])
    with reading(_engine()) as s:
        stored = stored_cases(s, "camera_car", [d.ref for d in clean])
    reports = []
    for i, d in enumerate(clean):
        if d.ref in stored:
            continue  # a replay: neither graded nor photographed again
        text = d.description or f"巡查车识别：{names[d.category]}"
        grading = classify_report(_engine(), text, category_hint=d.category, source="camera_car", now=now)
        photos = ()
        if d.photo is not None:
            try:
                photos = (store_photo(config.instance_path, d.photo, config["photo_max_bytes"]),)
            except PhotoError as exc:
                return api_error(400, "invalid_rows", "1 problem(s); nothing was stored",
                                 [_row_error(i, "photo_base64", exc.code)])  # fmt: skip
        report = Report(
            source="camera_car", source_ref=d.ref, text=text, community_id=g.api_token["community_id"],
            category_hint=d.category, lat=d.lat, lon=d.lon, actor_label="camera_car", photos=photos,
            reported_at=d.captured_at,
        )  # fmt: skip
        reports.append((i, report, grading))
    try:
        results = _store_detections(reports, now)
    except RowRefused as refused:
        code = refused.error.code
        field = INTAKE_FIELD.get(code, refused.error.field or "row")
        detail = {"row": refused.row, "field": field, "code": code, "message": f"{field} {INTAKE_TEXT.get(code, code)}"}
        return api_error(400, "invalid_rows", "1 problem(s); nothing was stored", [detail])
    cases = []
    for d in clean:
        r = results.get(d.ref)
        if r is not None:
            case = {"service_request_id": r.tracking_code, "status": r.status, "duplicate_of": r.duplicate_of_code,
                    "replay": not r.created}  # fmt: skip
        else:
            old = stored[d.ref]
            case = {"service_request_id": old["tracking_code"], "status": old["status"],
                    "duplicate_of": old["duplicate_of"], "replay": True}  # fmt: skip
        cases.append({"device_id": d.device_id, "detection_id": d.detection_id, **case})
    created = [r for r in results.values() if r.created]
    return jsonify({
        "received": len(clean),
        "created": sum(1 for r in created if r.status != "duplicate"),
        "joined_duplicates": sum(1 for r in created if r.status == "duplicate"),
        "already_stored": len(clean) - len(created),
        "cases": cases,
    }), 200  # fmt: skip


class RowRefused(Exception):
    """Intake refused one row (found only once the store is asked, e.g. a point outside every community)."""

    def __init__(self, row: int | None, error: IntakeError) -> None:
        super().__init__(error.code)
        self.row = row
        self.error = error


def _store_detections(reports: list, now: datetime) -> dict:
    """All reports in one transaction. A concurrent batch with the same detections makes the unique key
    refuse ours on PostgreSQL; the second attempt then finds them stored (intake is idempotent)."""
    config = _config()
    for attempt in (1, 2):
        results, current = {}, None
        try:
            with writing(_engine()) as s:
                for i, report, grading in reports:
                    current = i
                    results[report.source_ref] = submit_report(
                        s, report, grading, now, duplicate_radius_m=config["duplicate_radius_m"]
                    )
                if reports:
                    mark_used(s, g.api_token["id"], now)
            return results
        except IntakeError as exc:
            raise RowRefused(current, exc) from exc
        except IntegrityError:
            if attempt == 2:
                raise
    return {}


@bp.route("/classify", methods=["POST"])
def classify():
    """The grader the report form uses: public, rate-limited per client address."""
    rate = limiter("classify", "classify_rate_limit")
    key = client_key()
    if not rate.hit(key):
        response, status = api_error(429, "rate_limited", "too many classify calls; try again later")
        response.headers["Retry-After"] = str(rate.retry_after(key))
        return response, status
    body = request.get_json(silent=True)
    text = body.get("text") if isinstance(body, dict) else None
    if not isinstance(text, str) or not text.strip():
        return api_error(400, "bad_request", 'send JSON {"text": "..."}',
                         [{"field": "text", "code": "missing", "message": "text is missing or empty"}])  # fmt: skip
    if len(text) > TEXT_MAX:
        return api_error(400, "bad_request", f"text may have at most {TEXT_MAX} characters",
                         [{"field": "text", "code": "too_long", "message": f"text has {len(text)} characters"}])  # fmt: skip
    grading = classify_report(_engine(), text, now=local_now(_config()["timezone"]))
    return jsonify({"category": grading.category, "grade": grading.grade,
                    "confidence": round(grading.confidence, 3), "cues": list(grading.cues)})  # fmt: skip


# Other modules serving under /api/v1 (their own blueprints) add their paths here when imported,
# so the one description lists every route.
EXTRA_PATHS: dict = {}


@bp.route("/openapi.json", methods=["GET"])
def openapi():
    return jsonify({**OPENAPI, "paths": {**OPENAPI["paths"], **EXTRA_PATHS}})


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
                                                "shared": {
                                                    "type": "integer",
                                                    "minimum": 0,
                                                    "description": "optional: how many of the occupied spaces "
                                                    "hold cars of shared-parking permit holders (known at the gate "
                                                    "by plate); the parking job leaves them out of the lot's own "
                                                    "use, so sharing does not shrink what it shares",
                                                },
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
                "description": "Machine or wall token. Each lot carries the result of the latest computation of "
                "the parking job for it (greatest computed_at, then the later run): shareable, peak, computed_at, "
                "the parameters it used (capacity, share_window, window_start, window_end, weekdays_only, "
                "quantile, history_weeks, safety_buffer) and the span of data it used in `data` (first_sample, "
                "last_sample, days, weeks, history_weeks, samples_used, samples_expected, samples_missing, "
                "coverage, windows_with_data, windows_expected, clamped_over_capacity, duplicates_in_slot, "
                "negative_dropped). A withheld lot has shareable null, a reason (no_data, too_little_history, "
                "gaps, counter_stuck) and its reason_text.",
                "responses": {
                    "200": {"description": "as_of, totals {day, night}, lots [{lot, window, status, shareable, "
                            "peak, reason, reason_text, computed_at, parameters {...}, data {...}, ...}]"},
                    "401": {"description": "no valid token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                },
            }
        },
        "/camera-detections": {
            "post": {
                "summary": "Store a batch of camera-car detections as cases (idempotent on device_id + detection_id).",
                "description": "All rows or none: one bad row rejects the batch with row-level errors. Each detection "
                "opens a case, or joins an open case of the same category within COCKPIT_DUPLICATE_RADIUS_M as its "
                "duplicate. Photos are base64 JPEG, PNG or WebP; they are re-encoded without EXIF. captured_at "
                "without an offset is taken as Asia/Shanghai. Machine token; a token limited to a community files "
                "its detections there.",
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["detections"],
                                "properties": {
                                    "detections": {
                                        "type": "array",
                                        "maxItems": MAX_DETECTIONS,
                                        "items": {
                                            "type": "object",
                                            "required": ["device_id", "detection_id", "category", "captured_at", "lat", "lon"],
                                            "properties": {
                                                "device_id": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,40}$", "example": "car-01"},
                                                "detection_id": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,40}$"},
                                                "category": {"type": "string", "description": "a service_code of /open311/v2/services.json", "example": "illegal_parking"},
                                                "captured_at": {"type": "string", "format": "date-time"},
                                                "lat": {"type": "number", "minimum": -90, "maximum": 90},
                                                "lon": {"type": "number", "minimum": -180, "maximum": 180},
                                                "photo_base64": {"type": "string", "format": "byte"},
                                                "description": {"type": "string", "maxLength": DETECTION_TEXT_MAX},
                                            },
                                        },
                                    }
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "received, created, joined_duplicates, already_stored, and per detection "
                            "its service_request_id, status and duplicate_of"},
                    "400": {"description": "invalid batch; nothing stored", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "401": {"description": "no valid machine token", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                },
            }
        },
        "/classify": {
            "post": {
                "summary": "Grade a report's text: category, grade, confidence and the cues behind them.",
                "description": "Public (no token), rate-limited per client address (COCKPIT_CLASSIFY_RATE_LIMIT per "
                "COCKPIT_RATE_WINDOW_SECONDS). The grader the report form uses; nothing is stored.",
                "security": [],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["text"],
                                "properties": {"text": {"type": "string", "minLength": 1, "maxLength": TEXT_MAX}},
                            }
                        }
                    },
                },
                "responses": {
                    "200": {"description": "{category, grade, confidence, cues}"},
                    "400": {"description": "text missing, empty or too long", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    "429": {"description": "over the rate limit; see Retry-After", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                },
            }
        },
    },
}  # fmt: skip


@bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_rest: str):
    """Without this, Dash's catch-all page route would answer unknown API paths with HTML."""
    return api_error(404, "not_found", "no such API resource")
