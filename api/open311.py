"""Open311 GeoReport v2 under /open311/v2 (the spec: GeoReport/v2/index.md of open311/open311.github.io).

Services are our categories; service requests are our cases, their `service_request_id` the case's
tracking code. Every resource answers in JSON and in XML (`.json` / `.xml`), errors as the spec's
`[{"code", "description"}]` with 400, 403 or 404.

- Reading needs no api key (the spec's GET methods do not): an anonymous reader gets the public fields
  only — no description, the estate instead of the building, the point rounded to about 100 m. A valid
  key gets the full fields of its community (or of every community for an unscoped key); a wrong or
  revoked key is refused with 403, never silently read as anonymous.
- Posting needs a key (kind "open311"); the report goes to the key's community. GeoReport has no
  idempotency key, so a client may send an `Idempotency-Key` header (or `idempotency_key` field); without
  one, the same fields posted again with the same key within REPLAY_WINDOW are taken as a retry and
  answer the request already opened. The reporter's name, email and phone are kept as the case's
  contact (staff only) and never returned. `media_url` is kept as a line of the description and never
  fetched (the office LAN is offline).
- `jurisdiction_id` is optional and names a community by its code.
"""

from __future__ import annotations

import hashlib
import json
import math
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request
from sqlalchemy.exc import IntegrityError

from auth.ratelimit import limiter
from data_access.clock import local_now, to_local_naive
from data_access.db import reading, writing
from data_access.grading import classify_report
from data_access.intake import TEXT_MAX, IntakeError, Report, submit_report
from data_access.open311 import (
    STATUS_GROUPS,
    RequestQuery,
    community_id_by_code,
    find_requests,
    service_codes,
    services,
)
from data_access.replays import replayed_case
from data_access.tokens import find_active_token, mark_used
from i18n import t

bp = Blueprint("open311", __name__, url_prefix="/open311")

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
CHANGESET = "2026-11-25T00:00:00+08:00"  # when the endpoint's shape last changed (clients re-read services)
FORMATS = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
MAX_REQUESTS = 1000  # the spec's "first 1000 requests"
MAX_WINDOW = timedelta(days=90)  # the spec's longest start_date..end_date span, and the default one
REPLAY_WINDOW = timedelta(minutes=10)  # long enough for a client's retries, short enough not to swallow a new report
MEDIA_URL_MAX = 500
PUBLIC_DECIMALS = 3  # about 100 m: where the problem is, not whose door it is
# XML element of each item of a list, by the list's element name (the spec's "⇊ / ↴" pairs)
XML_ITEMS = {"services": "service", "service_requests": "request", "errors": "error", "endpoints": "endpoint",
             "formats": "format", "attributes": "attribute", "values": "value"}  # fmt: skip

INTAKE_TEXT = {
    "text_too_long": f"description (with media_url and address_string) may have at most {TEXT_MAX} characters",
    "contact_too_long": "email, first_name, last_name and phone together may have at most 120 characters",
    "bad_point": "lat and long must be WGS84 decimal degrees",
    "unknown_building": "address_id is not a known address",
    "unknown_estate": "address_id is not a known address",
    "place_required": "the location is outside every community this endpoint serves; send jurisdiction_id",
    "unknown_community": "jurisdiction_id not found",
    "unknown_category": "service_code not found",
}


class Open311Error(Exception):
    def __init__(self, status: int, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.description = description


# --- output -------------------------------------------------------------------------------------


def _xml_value(parent: ET.Element, name: str, value) -> None:  # noqa: ANN001
    node = ET.SubElement(parent, name)
    if isinstance(value, list):
        for item in value:
            _xml_value(node, XML_ITEMS.get(name, "item"), item)
    elif isinstance(value, dict):
        for key, inner in value.items():
            _xml_value(node, key, inner)
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)


def to_xml(root: str, payload) -> bytes:  # noqa: ANN001
    """The spec's schemaless XML for a JSON payload (the Spark convention run backwards)."""
    top = ET.Element(root)
    items = payload if isinstance(payload, list) else None
    if items is not None:
        for item in items:
            _xml_value(top, XML_ITEMS[root], item)
    else:
        for key, value in payload.items():
            _xml_value(top, key, value)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(top, encoding="utf-8", xml_declaration=False)


def respond(fmt: str, root: str, payload, status: int = 200) -> Response:  # noqa: ANN001
    body = to_xml(root, payload) if fmt == "xml" else json.dumps(payload, ensure_ascii=False).encode()
    return Response(body, status=status, content_type=FORMATS.get(fmt, FORMATS["json"]))


def error(fmt: str, status: int, description: str) -> Response:
    return respond(fmt, "errors", [{"code": status, "description": description}], status)


def _fmt_of_path() -> str:
    return "xml" if request.path.endswith(".xml") else "json"


@bp.errorhandler(Open311Error)
def _open311_error(exc: Open311Error):
    return error(_fmt_of_path(), exc.status, exc.description)


@bp.errorhandler(404)
def _not_found(_exc):  # noqa: ANN001
    return error(_fmt_of_path(), 404, "no such Open311 resource; see /open311/v2/discovery.json")


@bp.errorhandler(405)
def _wrong_method(_exc):  # noqa: ANN001
    return error(_fmt_of_path(), 405, f"{request.method} is not allowed on this resource")


# --- request context ----------------------------------------------------------------------------


def _engine():
    return current_app.extensions["cockpit"]["engine"]


def _config():
    return current_app.extensions["cockpit"]["config"]


def _lang() -> str:
    """Service names and notes follow the client's Accept-Language (zh or en), else the default."""
    best = request.accept_languages.best_match(("zh", "zh-CN", "en", "en-US", "en-GB"))
    if best:
        return "en" if best.startswith("en") else "zh"
    return _config()["default_language"]


def _field(name: str) -> str:
    """A parameter from the form (the spec's encoding), a JSON body or the query string; '' when absent."""
    value = request.form.get(name)
    if value is None and request.is_json:
        body = request.get_json(silent=True)
        value = body.get(name) if isinstance(body, dict) else None
    if value is None:
        value = request.args.get(name)
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def _api_key(required: bool) -> dict | None:
    """The caller's key as {id, community_id}; None for an anonymous reader. 403 for a wrong key."""
    key = _field("api_key")
    if not key:
        if required:
            raise Open311Error(403, "api_key is required to post a service request")
        return None
    with reading(_engine()) as s:
        row = find_active_token(s, "open311", key)
        if row is None:
            raise Open311Error(403, "invalid or revoked api_key")
        return {"id": row.id, "community_id": row.community_id}


def _scope(key: dict | None) -> tuple[int, ...] | None:
    """The communities the caller sees: the key's, narrowed or named by jurisdiction_id."""
    jurisdiction = _field("jurisdiction_id")
    own = key["community_id"] if key else None
    if not jurisdiction:
        return None if own is None else (own,)
    with reading(_engine()) as s:
        community_id = community_id_by_code(s, jurisdiction)
    if community_id is None or (own is not None and community_id != own):
        raise Open311Error(404, f"jurisdiction_id {jurisdiction!r} not found")
    return (community_id,)


def _w3c(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=ZoneInfo(_config()["timezone"])).isoformat()


def _parse_w3c(name: str) -> datetime | None:
    raw = _field(name)
    if not raw:
        return None
    try:
        moment = datetime.fromisoformat(raw.replace(" ", "+") if "T" in raw else raw)  # '+' arrives as a space
    except ValueError as exc:
        raise Open311Error(400, f"{name} is not a W3C date-time, e.g. 2026-11-01T00:00:00+08:00") from exc
    return to_local_naive(moment, _config()["timezone"])


def _csv(name: str) -> list[str]:
    return [part.strip() for part in _field(name).split(",") if part.strip()]


# --- discovery and services ---------------------------------------------------------------------


@bp.route("/discovery.<any(json, xml):fmt>", methods=["GET"])
@bp.route("/v2/discovery.<any(json, xml):fmt>", methods=["GET"])
def discovery(fmt: str):
    lang = _lang()
    payload = {
        "changeset": CHANGESET,
        "contact": t("o311.contact", lang),
        "key_service": t("o311.key_service", lang),
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": request.host_url.rstrip("/") + "/open311/v2",
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
    return respond(fmt, "discovery", payload)


@bp.route("/", methods=["GET"])
@bp.route("/v2/", methods=["GET"])
def root():
    """The discovery document at the endpoint's root too, where the discovery spec suggests people look."""
    return discovery("json")


def _service_entry(row: dict, lang: str) -> dict:
    name = row["name_en"] if lang == "en" else row["name_zh"]
    return {
        "service_code": row["code"],
        "service_name": name,
        "description": t("o311.service_description", lang, name=name, grade=t(f"grade.{row['default_grade']}", lang)),
        "metadata": False,  # no extra attributes: the description is graded as it is
        "type": "realtime",
        "keywords": f"{row['name_zh']}, {row['name_en']}",
        "group": row["kind"],
    }


@bp.route("/v2/services.<any(json, xml):fmt>", methods=["GET"])
def service_list(fmt: str):
    _scope(None)  # an unknown jurisdiction_id is a 404 here too
    lang = _lang()
    with reading(_engine()) as s:
        rows = services(s)
    return respond(fmt, "services", [_service_entry(r, lang) for r in rows])


@bp.route("/v2/services/<code>.<any(json, xml):fmt>", methods=["GET"])
def service_definition(code: str, fmt: str):
    _scope(None)
    with reading(_engine()) as s:
        known = code in service_codes(s)
    if not known:
        raise Open311Error(404, f"service_code {code!r} not found")
    return respond(fmt, "service_definition", {"service_code": code, "attributes": []})


# --- service requests ---------------------------------------------------------------------------


def _request_entry(row: dict, lang: str, full: bool) -> dict:
    status = "open" if row["status"] in STATUS_GROUPS["open"] else "closed"
    level = t(f"level.{row['level']}", lang)
    note = t(f"o311.note.{row['status']}", lang, level=level, code=row["duplicate_of"] or "")
    grade = t(f"grade.{row['grade']}", lang)
    due = row["due_at"].strftime("%Y-%m-%d %H:%M") if row["due_at"] and status == "open" else None
    notice = t("o311.notice_due", lang, grade=grade, due=due) if due else t("o311.notice", lang, grade=grade)
    if row["status"] == "duplicate":
        notice = note
    community = row["community_en"] if lang == "en" else row["community_zh"]
    estate = row["estate_en"] if lang == "en" else row["estate_zh"]
    building = row["building_en"] if lang == "en" else row["building_zh"]
    if full:
        address = " ".join(x for x in (building, estate, community) if x) or None
        lat, lon = row["lat"], row["lon"]
    else:
        address = " ".join(x for x in (estate, community) if x) or None
        lat = round(row["lat"], PUBLIC_DECIMALS) if row["lat"] is not None else None
        lon = round(row["lon"], PUBLIC_DECIMALS) if row["lon"] is not None else None
    closed_at = row["closed_at"] if row["status"] == "closed" else None
    return {
        "service_request_id": row["tracking_code"],
        "status": status,
        "status_notes": note,
        "service_name": row["service_en"] if lang == "en" else row["service_zh"],
        "service_code": row["service_code"],
        "description": row["description"] if full else None,
        "agency_responsible": t("o311.agency", lang, community=community, level=level),
        "service_notice": notice,
        "requested_datetime": _w3c(row["reported_at"]),
        "updated_datetime": _w3c(closed_at or row["updated_at"]),
        "expected_datetime": _w3c(row["due_at"]) if status == "open" else None,
        "address": address,
        "address_id": str(row["building_id"]) if full and row["building_id"] else None,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": None,  # photos stay on the LAN; a posted media_url is a line of the description
    }


def _window(now: datetime) -> tuple[datetime, datetime]:
    start, end = _parse_w3c("start_date"), _parse_w3c("end_date")
    if start is None and end is None:
        return now - MAX_WINDOW, now
    if start is None:
        return end - MAX_WINDOW, end
    if end is None:
        return start, start + MAX_WINDOW
    if end < start:
        raise Open311Error(400, "end_date is before start_date")
    if end - start > MAX_WINDOW:
        raise Open311Error(400, "start_date to end_date may span at most 90 days")
    return start, end


def _tracking_codes(given: list[str]) -> tuple[str, ...]:
    """As sent and upper-cased: people copy tracking codes from SMS in lower case."""
    return tuple(dict.fromkeys(c for code in given[:MAX_REQUESTS] for c in (code, code.upper())))


@bp.route("/v2/requests.<any(json, xml):fmt>", methods=["GET"])
def request_list(fmt: str):
    key = _api_key(required=False)
    scope = _scope(key)
    now = local_now(_config()["timezone"])
    ids = _tracking_codes(_csv("service_request_id"))
    if ids:
        # the spec: service_request_id overrides every other argument
        query = RequestQuery(scope, tracking_codes=ids, limit=MAX_REQUESTS)
    else:
        codes = tuple(_csv("service_code"))
        statuses = tuple(s.lower() for s in _csv("status"))
        bad_status = [s for s in statuses if s not in STATUS_GROUPS]
        if bad_status:
            raise Open311Error(400, f"status must be open or closed, not {bad_status[0]!r}")
        with reading(_engine()) as s:
            unknown = [c for c in codes if c not in service_codes(s)]
        if unknown:
            raise Open311Error(400, f"service_code {unknown[0]!r} not found")
        start, end = _window(now)
        query = RequestQuery(scope, service_codes=codes, statuses=statuses, start=start, end=end, limit=MAX_REQUESTS)
    with reading(_engine()) as s:
        rows = find_requests(s, query)
    lang = _lang()
    return respond(fmt, "service_requests", [_request_entry(r, lang, key is not None) for r in rows])


@bp.route("/v2/requests/<request_id>.<any(json, xml):fmt>", methods=["GET"])
def request_one(request_id: str, fmt: str):
    key = _api_key(required=False)
    scope = _scope(key)
    with reading(_engine()) as s:
        rows = find_requests(s, RequestQuery(scope, tracking_codes=_tracking_codes([request_id]), limit=1))
    if not rows:
        raise Open311Error(404, f"service_request_id {request_id!r} not found")
    return respond(fmt, "service_requests", [_request_entry(rows[0], _lang(), key is not None)])


def _point() -> tuple[float | None, float | None]:
    raw_lat, raw_lon = _field("lat"), _field("long")
    if not raw_lat and not raw_lon:
        return None, None
    if not raw_lat or not raw_lon:
        raise Open311Error(400, "lat and long must be sent together")
    try:
        lat, lon = float(raw_lat), float(raw_lon)
    except ValueError as exc:
        raise Open311Error(400, "lat and long must be WGS84 decimal degrees") from exc
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise Open311Error(400, "lat must be within -90..90 and long within -180..180")
    return lat, lon


def _contact() -> str | None:
    name = " ".join(x for x in (_field("last_name"), _field("first_name")) if x)
    parts = [x for x in (name, _field("phone"), _field("email")) if x]
    return " / ".join(parts) or None


def _source_ref(key_id: int, fields: dict, now: datetime) -> tuple[str, list[str]]:
    """The ref a new case is stored under, and every ref under which a replay would already be stored."""
    given = request.headers.get("Idempotency-Key", "").strip() or _field("idempotency_key")
    if given:
        if len(given) > 200:
            raise Open311Error(400, "Idempotency-Key may have at most 200 characters")
        ref = f"k{key_id}:i:{hashlib.sha256(given.encode()).hexdigest()[:40]}"
        return ref, [ref]
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:32]
    slot = int(now.timestamp() // REPLAY_WINDOW.total_seconds())
    # the slot this post lands in and the one before: a retry just after a slot boundary is still a retry
    refs = [f"k{key_id}:f:{digest}:{slot}", f"k{key_id}:f:{digest}:{slot - 1}"]
    return refs[0], refs


@bp.route("/v2/requests.<any(json, xml):fmt>", methods=["POST"])
def request_create(fmt: str):
    key = _api_key(required=True)
    rate = limiter("open311_post", "open311_post_limit")
    if not rate.hit(f"key:{key['id']}"):
        response = error(fmt, 429, "too many service requests from this api_key; try again later")
        response.headers["Retry-After"] = str(rate.retry_after(f"key:{key['id']}"))
        return response
    scope = _scope(key)
    code = _field("service_code")
    if not code:
        raise Open311Error(400, "service_code is required")
    with reading(_engine()) as s:
        known = code in service_codes(s)
    if not known:
        raise Open311Error(404, f"service_code {code!r} not found")
    lat, lon = _point()
    address_string, address_id = _field("address_string"), _field("address_id")
    if lat is None and not address_string and not address_id:
        raise Open311Error(400, "a location is required: lat and long, address_string or address_id")
    building_id = None
    if address_id:
        if not address_id.isdigit():
            raise Open311Error(400, "address_id is not a known address")
        building_id = int(address_id)
    description, media_url = _field("description"), _field("media_url")
    if len(description) > TEXT_MAX:
        raise Open311Error(400, f"description may have at most {TEXT_MAX} characters")
    if media_url and (len(media_url) > MEDIA_URL_MAX or not media_url.lower().startswith(("http://", "https://"))):
        raise Open311Error(400, f"media_url must be an http(s) URL of at most {MEDIA_URL_MAX} characters")
    with reading(_engine()) as s:
        service = next(r for r in services(s) if r["code"] == code)
    lines = [description or service["name_zh"]]
    if address_string:
        lines.append(f"地址 address: {address_string}")
    if media_url:
        lines.append(f"media_url: {media_url}")  # kept as text, never fetched: the LAN is offline
    text = "\n".join(lines)
    if len(text) > TEXT_MAX:
        raise Open311Error(400, INTAKE_TEXT["text_too_long"])

    now = local_now(_config()["timezone"])
    fields = {"service_code": code, "lat": lat, "long": lon, "address_string": address_string,
              "address_id": address_id, "description": description, "media_url": media_url,
              "contact": _contact(), "jurisdiction_id": _field("jurisdiction_id")}  # fmt: skip
    ref, replay_refs = _source_ref(key["id"], fields, now)
    report = Report(
        source="open311", source_ref=ref, text=text, community_id=scope[0] if scope else None,
        category_hint=code, building_id=building_id, lat=lat, lon=lon, contact=_contact(), actor_label="open311",
    )  # fmt: skip
    with reading(_engine()) as s:
        already = replayed_case(s, "open311", replay_refs)
    if already is None:
        # the client chose the service (the hint is kept as the category); the grader decides how urgent it is
        grading = classify_report(_engine(), text, category_hint=code, source="open311", now=now)
        already = _store(report, grading, now, key["id"], replay_refs)
    with reading(_engine()) as s:
        rows = find_requests(s, RequestQuery(None, tracking_codes=(already,), limit=1))
    entry = _request_entry(rows[0], _lang(), full=True)
    return respond(fmt, "service_requests", [
        {"service_request_id": already, "service_notice": entry["service_notice"], "account_id": None}
    ])  # fmt: skip


def _store(report: Report, grading, now: datetime, key_id: int, replay_refs: list[str]) -> str:  # noqa: ANN001
    """Write the case; the tracking code of the new case, or of the one a concurrent retry wrote first."""
    try:
        with writing(_engine()) as s:
            already = replayed_case(s, "open311", replay_refs)
            if already is not None:
                return already
            result = submit_report(s, report, grading, now, duplicate_radius_m=_config()["duplicate_radius_m"])
            mark_used(s, key_id, now)
            return result.tracking_code
    except IntakeError as exc:
        raise Open311Error(400, INTAKE_TEXT.get(exc.code, f"{exc.field or 'request'}: {exc.code}")) from exc
    except IntegrityError:
        with reading(_engine()) as s:
            already = replayed_case(s, "open311", replay_refs)
        if already is None:
            raise
        return already


@bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def unknown(_rest: str):
    """Without this, Dash's catch-all page route would answer unknown Open311 paths with HTML."""
    return error(_fmt_of_path(), 404, "no such Open311 resource; see /open311/v2/discovery.json")
