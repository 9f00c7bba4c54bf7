"""The residents' report line 社区连线 (public, no account, phone-first, Chinese or English).

- GET  /report                          the form: text, optional category, place, up to 3 photos, contact
- POST /report                          check, grade, store as a case; 303 to its tracking page
- GET  /report/track?code=DX...         the lookup box, redirects to the tracking page
- GET  /report/<code>                   the tracking page: progress without personal data
- POST /report/<code>/verify|reopen     the reporter's check of a resolved case
- GET  /report/<code>/photo/<sha256>    a photo of that case (or of the case it joined)

A submitted form carries a one-time `submission_id`: the case's natural key is
("resident", "web:<submission_id>"), so a double click or a resubmitted page opens nothing new and
lands on the same tracking page.
"""

from __future__ import annotations

import hmac
import logging
import math
import re
import secrets

from flask import Blueprint, redirect, request, send_file, session, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from auth.context import current_config, current_engine, current_lang
from auth.guard import csrf_token
from auth.ratelimit import client_key, limiter
from data_access.clock import local_now
from data_access.db import reading, writing
from data_access.grading import classify_report
from data_access.intake import CONTACT_MAX, TEXT_MAX, IntakeError, Report, submit_report
from data_access.photos import StoredPhoto, photo_path, store_photo
from data_access.public_cases import (
    case_id_for_code,
    case_photo_mime,
    form_choices,
    public_case,
    resolution_note,
    tracking_code_for,
)
from data_access.workflow import act, reporter_actor
from domain.geo import valid_point
from domain.photos import MAX_PHOTOS_PER_REPORT, PhotoError, check_upload
from domain.workflow import NOTE_MAX, WorkflowError
from i18n import pick, t
from public.render import public_page

bp = Blueprint(
    "report", __name__, template_folder="templates", static_folder="static", static_url_path="/report/static"
)
log = logging.getLogger(__name__)

SOURCE = "resident"
CODE = re.compile(r"^DX[A-Z2-9]{8}$")
SHA = re.compile(r"^[0-9a-f]{64}$")
SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{4,22}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
STAGES = ("reported", "in_progress", "resolved", "closed")
PLAN_WIDTH = 1000.0
PLAN_MAX_TALL, PLAN_MAX_FLAT = 1.3, 2.5  # height / width limits of the drawn plan
LABEL_MAX, LABEL_MIN = 38, 18  # estate names on the plan, in plan units (1000 across)
PHOTO_CACHE_SECONDS = 7 * 24 * 3600
# where each field's error is shown (IntakeError.field -> form control id)
FIELD_OF = {"text": "text", "category": "category", "estate": "estate", "building": "building", "lat": "plan",
            "contact": "contact", "photos": "photos", "community": "estate"}  # fmt: skip


def _t(key: str, **params) -> str:
    return t(key, current_lang(), **params)


# --- the form ------------------------------------------------------------------------------------


def _ring(polygon: dict | None) -> list[list[float]]:
    if not polygon or polygon.get("type") != "Polygon" or not polygon.get("coordinates"):
        return []
    return [p for p in polygon["coordinates"][0] if len(p) >= 2]


def _site_plan(choices: dict, lang: str, values: dict) -> dict | None:
    """The estates' and grids' outlines and the buildings, projected onto an SVG canvas (lon/lat to a
    flat plane scaled by cos(latitude): at a community's size the distortion is invisible)."""
    rings = [_ring(g["polygon"]) for g in choices["grids"]] + [_ring(e["polygon"]) for e in choices["estates"]]
    points = [(p[0], p[1]) for ring in rings for p in ring]
    points += [(b["lon"], b["lat"]) for e in choices["estates"] for b in e["buildings"]]
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    pad_lon = max((max(lons) - min(lons)) * 0.04, 1e-4)
    pad_lat = max((max(lats) - min(lats)) * 0.04, 1e-4)
    lon0, lon1, lat0, lat1 = min(lons) - pad_lon, max(lons) + pad_lon, min(lats) - pad_lat, max(lats) + pad_lat
    cos_mid = math.cos(math.radians((lat0 + lat1) / 2))
    # widen a tall plan (or heighten a flat one) so it fits a phone screen without shrinking to a sliver
    width_m, height_m = (lon1 - lon0) * cos_mid, lat1 - lat0
    if height_m > PLAN_MAX_TALL * width_m:
        extra = (height_m / PLAN_MAX_TALL / cos_mid - (lon1 - lon0)) / 2
        lon0, lon1 = lon0 - extra, lon1 + extra
    elif width_m > PLAN_MAX_FLAT * height_m:
        extra = (width_m / PLAN_MAX_FLAT - height_m) / 2
        lat0, lat1 = lat0 - extra, lat1 + extra
    ky = PLAN_WIDTH / ((lon1 - lon0) * cos_mid)
    kx = ky * cos_mid

    def xy(lon: float, lat: float) -> tuple[float, float]:
        return round((lon - lon0) * kx, 1), round((lat1 - lat) * ky, 1)

    def pts(ring: list[list[float]]) -> str:
        return " ".join("{},{}".format(*xy(p[0], p[1])) for p in ring)

    estates = []
    for e in choices["estates"]:
        ring = _ring(e["polygon"])
        name = pick(lang, e["name_zh"], e["name_en"])
        size = LABEL_MAX
        if ring:
            xs, ys = zip(*(xy(p[0], p[1]) for p in ring), strict=True)
            # a CJK character is about 1 em wide, a Latin letter about 0.55: keep the name inside its outline
            ems = sum(1.0 if ord(ch) > 0x2E80 else 0.55 for ch in name) or 1.0
            size = max(LABEL_MIN, min(LABEL_MAX, 0.9 * (max(xs) - min(xs)) / ems))
            label = ((min(xs) + max(xs)) / 2, min(ys) + size + 4)
        else:
            label = xy(e["lon"], e["lat"])
        estates.append({"id": e["id"], "points": pts(ring), "name": name, "lx": round(label[0], 1),
                        "ly": round(label[1], 1), "size": round(size)})  # fmt: skip
    buildings = [
        {
            "id": b["id"],
            "estate_id": e["id"],
            "name": pick(lang, b["name_zh"], b["name_en"]),
            "xy": xy(b["lon"], b["lat"]),
        }
        for e in choices["estates"]
        for b in e["buildings"]
    ]
    marker = None
    lat, lon = _float(values.get("lat")), _float(values.get("lon"))
    if lat is not None and lon is not None and valid_point(lat, lon):
        marker = xy(lon, lat)
    return {
        "width": PLAN_WIDTH, "height": round((lat1 - lat0) * ky, 1), "lon0": lon0, "lat1": lat1, "kx": kx, "ky": ky,
        "grids": [{"points": pts(_ring(g["polygon"])), "name": pick(lang, g["name_zh"], g["name_en"])}
                  for g in choices["grids"] if _ring(g["polygon"])],
        "estates": estates, "buildings": buildings, "marker": marker,
    }  # fmt: skip


def _form_page(values: dict, errors: list[tuple[str, str]], status: int = 200, photos_lost: bool = False):
    lang = current_lang()
    with reading(current_engine()) as s:
        choices = form_choices(s)
    categories = [{"code": c["code"], "name": pick(lang, c["name_zh"], c["name_en"])} for c in choices["categories"]]
    estates = [
        {
            "id": e["id"],
            "name": pick(lang, e["name_zh"], e["name_en"])
            + (f" · {pick(lang, e['community_zh'], e['community_en'])}" if e["community_zh"] else ""),
            "buildings": [{"id": b["id"], "name": pick(lang, b["name_zh"], b["name_en"])} for b in e["buildings"]],
        }
        for e in choices["estates"]
    ]
    field_errors: dict[str, list[str]] = {}
    for field_id, message in errors:
        field_errors.setdefault(field_id, []).append(message)
    mb = current_config()["photo_max_bytes"] / (1024 * 1024)
    client_strings = {
        "suggest": t("report.suggest", lang, category="{category}", grade="{grade}"),
        "categories": {c["code"]: c["name"] for c in categories},
        "grades": {g: t(f"grade.{g}", lang) for g in ("urgent", "priority", "routine")},
        "too_many": t("report.photo.too_many", lang),
        "marked": t("report.plan_marked", lang),
        "none": t("report.plan_none", lang),
        "sending": t("report.sending", lang),
        "max_photos": MAX_PHOTOS_PER_REPORT,
    }
    return public_page(
        "report/form.html",
        status,
        values=values,
        errors=errors,
        field_errors=field_errors,
        categories=categories,
        estates=estates,
        plan=_site_plan(choices, lang, values),
        csrf=csrf_token(),
        photo_mb=f"{mb:g}",
        photos_lost=photos_lost,
        text_max=TEXT_MAX,
        contact_max=CONTACT_MAX,
        max_photos=MAX_PHOTOS_PER_REPORT,
        client_strings=client_strings,
    )


def _new_submission_id() -> str:
    return secrets.token_urlsafe(18)


@bp.get("/report")
def form():
    return _form_page({"submission_id": _new_submission_id()}, [])


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.form.get("csrf_token")
    return bool(expected and sent and hmac.compare_digest(expected, sent))


def _float(raw: object) -> float | None:
    try:
        value = float(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def _int(raw: str) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdigit() and len(raw) < 12 else None


def _photo_message(name: str, code: str) -> str:
    mb = f"{current_config()['photo_max_bytes'] / (1024 * 1024):g}"
    return _t("report.photo_problem", name=name or "?", error=_t(f"report.photo.{code}", mb=mb))


def _check_form(values: dict, choices: dict) -> tuple[list[tuple[str, str]], dict]:
    """Field errors (control id, message) of what the store would refuse anyway, found before anything
    is written, and the parsed values."""
    errors: list[tuple[str, str]] = []
    text = values["text"]
    if not text.strip():
        errors.append(("text", _t("report.intake.text_required")))
    elif len(text) > TEXT_MAX:
        errors.append(("text", _t("report.intake.text_too_long")))
    category = values["category"].strip() or None
    if category is not None and category not in {c["code"] for c in choices["categories"]}:
        errors.append(("category", _t("report.intake.unknown_category")))
    estates = {e["id"]: e for e in choices["estates"]}
    estate_id = _int(values["estate"])
    if values["estate"].strip() and estate_id not in estates:
        errors.append(("estate", _t("report.intake.unknown_estate")))
        estate_id = None
    building_id = _int(values["building"])
    building_estate = {b["id"]: e["id"] for e in choices["estates"] for b in e["buildings"]}
    if values["building"].strip() and (
        building_id not in building_estate or (estate_id is not None and building_estate[building_id] != estate_id)
    ):
        errors.append(("building", _t("report.intake.unknown_building")))
    lat = lon = None
    if values["lat"].strip() or values["lon"].strip():
        lat, lon = _float(values["lat"]), _float(values["lon"])
        if lat is None or lon is None or not valid_point(lat, lon):
            errors.append(("plan", _t("report.intake.bad_point")))
    contact = values["contact"].strip()
    if len(contact) > CONTACT_MAX:
        errors.append(("contact", _t("report.intake.contact_too_long")))
    elif contact and not (PHONE.match(contact) or EMAIL.match(contact)):
        errors.append(("contact", _t("report.error.contact_format")))
    parsed = {"text": text, "category": category, "estate_id": estate_id, "building_id": building_id,
              "lat": lat, "lon": lon, "contact": contact or None}  # fmt: skip
    return errors, parsed


def _read_photos() -> tuple[list[tuple[str, bytes]], list[tuple[str, str]]]:
    """The uploaded photos' bytes, and the errors a look at their size and first bytes already shows."""
    max_bytes = current_config()["photo_max_bytes"]
    files = [f for f in request.files.getlist("photos") if f is not None and f.filename]
    if len(files) > MAX_PHOTOS_PER_REPORT:
        return [], [("photos", _t("report.photo.too_many"))]
    photos, errors = [], []
    for storage in files:
        data = storage.stream.read(max_bytes + 1)  # one byte over is enough to know it is too large
        try:
            check_upload(data, max_bytes)
        except PhotoError as exc:
            errors.append(("photos", _photo_message(storage.filename, exc.code)))
            continue
        photos.append((storage.filename, data))
    return photos, errors


def _tracking_redirect(code: str, **flags):
    return redirect(url_for(".status_page", code=code, **flags), 303)


@bp.post("/report")
def submit():
    form_data = request.form
    values = {name: form_data.get(name, "") for name in
              ("text", "category", "estate", "building", "lat", "lon", "contact", "submission_id")}  # fmt: skip
    photos_sent = any(f.filename for f in request.files.getlist("photos"))
    if not _csrf_ok():
        return _form_page(values, [("form", _t("report.error.csrf"))], 400, photos_sent)
    rate = limiter("report", "public_report_limit")
    key = client_key()
    if not rate.hit(key):
        minutes = max(1, math.ceil(rate.retry_after(key) / 60))
        return _form_page(values, [("form", _t("report.error.rate_limited", minutes=minutes))], 429, photos_sent)
    submission_id = values["submission_id"].strip()
    if not SUBMISSION.match(submission_id):
        values["submission_id"] = _new_submission_id()
        return _form_page(values, [("form", _t("report.intake.bad_ref"))], 400, photos_sent)
    source_ref = f"web:{submission_id}"
    engine = current_engine()
    with reading(engine) as s:
        choices = form_choices(s)
        already = tracking_code_for(s, SOURCE, source_ref)
    if already is not None:  # the same form sent again: the case it opened, and nothing new
        return _tracking_redirect(already, new=1)

    errors, parsed = _check_form(values, choices)
    photos, photo_errors = _read_photos()
    errors += photo_errors
    if errors:
        return _form_page(values, errors, 400, photos_sent)
    config = current_config()
    stored: list[StoredPhoto] = []
    for name, data in photos:
        try:
            stored.append(store_photo(config.instance_path, data, config["photo_max_bytes"]))
        except PhotoError as exc:
            errors.append(("photos", _photo_message(name, exc.code)))
    if errors:
        return _form_page(values, errors, 400, photos_sent)

    now = local_now(config["timezone"])
    grading = classify_report(engine, parsed["text"], category_hint=parsed["category"], source=SOURCE, now=now)
    report = Report(
        source=SOURCE, source_ref=source_ref, text=parsed["text"], category_hint=parsed["category"],
        estate_id=parsed["estate_id"], building_id=parsed["building_id"], lat=parsed["lat"], lon=parsed["lon"],
        contact=parsed["contact"], actor_label="resident", photos=tuple(stored),
    )  # fmt: skip
    try:
        with writing(engine) as s:
            result = submit_report(s, report, grading, now, duplicate_radius_m=config["duplicate_radius_m"])
    except IntakeError as exc:
        field_id = FIELD_OF.get(exc.field or "", "form")
        return _form_page(values, [(field_id, _t(f"report.intake.{exc.code}"))], 400, photos_sent)
    except Exception:
        # The same form sent twice at once: the other request won the unique (source, source_ref).
        with reading(engine) as s:
            already = tracking_code_for(s, SOURCE, source_ref)
        if already is None:
            raise
        return _tracking_redirect(already, new=1)
    if result.created:
        log.info("resident report %s opened (%s, %s)", result.tracking_code, result.category, result.grade)
    return _tracking_redirect(result.tracking_code, new=1)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc):  # noqa: ANN001
    # The body was refused unread, so what was typed is gone: a fresh form with the reason.
    if request.view_args and "code" in request.view_args:  # the reporter's check on a tracking page
        return _status_page(request.view_args["code"], [_t("report.wf_error.note_too_long")], "", 413)
    errors = [("photos", _t("report.error.request_too_large"))]
    return _form_page({"submission_id": _new_submission_id()}, errors, 413, photos_lost=True)


# --- the tracking page ---------------------------------------------------------------------------


def _not_found():
    return public_page("report/not_found.html", 404)


def _normal_code(raw: str | None) -> str:
    return re.sub(r"[\s-]", "", raw or "").upper()


@bp.get("/report/track")
def lookup():
    code = _normal_code(request.args.get("code"))
    if not CODE.match(code):
        return _not_found()
    return redirect(url_for(".status_page", code=code))


def _stages(status: str) -> list[dict]:
    current = STAGES.index(status) if status in STAGES else -1
    return [
        {"key": stage, "state": "done" if i < current or status == "closed" else "current" if i == current else "todo"}
        for i, stage in enumerate(STAGES)
    ]


def _status_page(code: str, errors: list[str] | None = None, note: str = "", status: int = 200):
    code = _normal_code(code)
    if not CODE.match(code):
        return _not_found()
    with reading(current_engine()) as s:
        view = public_case(s, code)
    if view is None:
        return _not_found()
    shown = view["original"] or view  # a duplicate follows the case it joined
    resolved_at, resolution = resolution_note(shown["timeline"])
    return public_page(
        "report/status.html",
        status,
        case=view,
        shown=shown,
        stages=_stages(shown["status"]),
        resolution=resolution if shown["status"] in ("resolved", "closed") else None,
        resolved_at=resolved_at,
        rejection=next((s["note"] for s in reversed(shown["timeline"]) if s["action"] == "reject"), None),
        can_check=view["status"] == "resolved",
        errors=errors or [],
        note=note,
        note_max=NOTE_MAX,
        sent=request.args.get("new") == "1",
        done=request.args.get("done") if request.args.get("done") in ("verify", "reopen") else None,
        csrf=csrf_token(),
        here=f"/report/{code}",
    )


@bp.get("/report/<code>")
def status_page(code: str):
    return _status_page(code)


def _check(code: str, action: str):
    code = _normal_code(code)
    note = request.form.get("note", "")
    if not CODE.match(code):
        return _not_found()
    if not _csrf_ok():
        return _status_page(code, [_t("report.error.csrf")], note, 400)
    rate = limiter("report_check", "public_report_limit")
    key = client_key()
    if not rate.hit(key):
        minutes = max(1, math.ceil(rate.retry_after(key) / 60))
        return _status_page(code, [_t("report.error.rate_limited", minutes=minutes)], note, 429)
    engine = current_engine()
    with reading(engine) as s:
        case_id = case_id_for_code(s, code)
    if case_id is None:
        return _not_found()
    now = local_now(current_config()["timezone"])
    try:
        with writing(engine) as s:
            act(s, case_id, reporter_actor(), action, now, note if action == "reopen" else None)
    except WorkflowError as exc:
        known = exc.code if exc.code in ("wrong_status", "note_required", "note_too_long") else "forbidden"
        return _status_page(code, [_t(f"report.wf_error.{known}")], note, 409 if known == "wrong_status" else 400)
    return _tracking_redirect(code, done=action)


@bp.post("/report/<code>/verify")
def verify(code: str):
    return _check(code, "verify")


@bp.post("/report/<code>/reopen")
def reopen(code: str):
    return _check(code, "reopen")


@bp.get("/report/<path:_anything>")
def unknown_path(_anything: str):
    # Without this, Dash's catch-all would answer any other path under the public prefix with its shell.
    return _not_found()


@bp.get("/report/<code>/photo/<sha256>")
def photo(code: str, sha256: str):
    code = _normal_code(code)
    if not CODE.match(code) or not SHA.match(sha256):
        return _not_found()
    with reading(current_engine()) as s:
        mime = case_photo_mime(s, code, sha256)
    if mime is None:
        return _not_found()
    path = photo_path(current_config().instance_path, sha256, mime)
    if not path.is_file():
        log.warning("photo %s of %s is in the store but not on disk", sha256, code)
        return _not_found()
    response = send_file(path, mimetype=mime, conditional=True, etag=sha256, max_age=PHOTO_CACHE_SECONDS)
    # content-addressed, so it never changes; private: shared caches have no business with it
    response.headers["Cache-Control"] = f"private, max-age={PHOTO_CACHE_SECONDS}, immutable"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    return response
