"""The residents' monthly ballot (每月评议) of the estate running index: public, no account, phone-first.

- GET  /vote[?estate=ID]        the ballot: estate, the household's code from this month's notice, the 7 aspects
                                (1-5) and an optional comment
- POST /vote                    check, cast once per household and month; 303 to the thanks page
- GET  /vote/thanks?estate=ID   the receipt (nothing personal on it)

A wrong code and a code of another estate get the same answer, so the form tells nobody which codes exist
where; every POST counts against the client's rate limit, so codes cannot be guessed at speed.
"""

from __future__ import annotations

import hmac
import math

from flask import Blueprint, redirect, request, session, url_for

from auth.context import current_config, current_engine, current_lang
from auth.guard import csrf_token
from auth.ratelimit import client_key, limiter
from data_access.ballots import BallotError, ballot_key, cast_ballot, vote_estates
from data_access.clock import local_now
from data_access.db import reading, writing
from domain.ballots import COMMENT_MAX, RATINGS, check_ballot
from domain.catalog import BALLOT_ASPECTS
from domain.estate_index import month_of, parse_month
from i18n import pick, t
from i18n.messages_index import month_label
from public.render import public_page

bp = Blueprint("ballot", __name__, template_folder="templates")
STATUS = {"code": 400, "estate": 400, "already": 409}


def _t(key: str, **params) -> str:
    return t(key, current_lang(), **params)


def _int(raw: object) -> int | None:
    text = str(raw or "").strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _form_page(values: dict, errors: list[tuple[str, str]], status: int = 200):
    lang = current_lang()
    with reading(current_engine()) as s:
        estates = vote_estates(s)
    many_communities = len({e["community_zh"] for e in estates}) > 1
    field_errors: dict[str, list[str]] = {}
    for field, message in errors:
        field_errors.setdefault(field, []).append(message)
    now = local_now(current_config()["timezone"])
    return public_page(
        "vote/form.html",
        status,
        values=values,
        errors=errors,
        field_errors=field_errors,
        estates=[
            {
                "id": e["id"],
                "name": pick(lang, e["name_zh"], e["name_en"])
                + (f" · {pick(lang, e['community_zh'], e['community_en'])}" if many_communities else ""),
            }
            for e in estates
        ],
        aspects=[{"code": code, "name": pick(lang, zh, en)} for code, zh, en in BALLOT_ASPECTS],
        ratings=RATINGS,
        month=month_label(month_of(now), lang),
        comment_max=COMMENT_MAX,
        csrf=csrf_token(),
    )


@bp.get("/vote")
def form():
    return _form_page({"estate": str(_int(request.args.get("estate")) or "")}, [])


def _csrf_ok() -> bool:
    expected = session.get("csrf")
    sent = request.form.get("csrf_token")
    return bool(expected and sent and hmac.compare_digest(expected, sent))


@bp.post("/vote")
def submit():
    form_data = request.form
    values = {name: form_data.get(name, "") for name in ("estate", "code", "comment")}
    values.update({code: form_data.get(code, "") for code, _zh, _en in BALLOT_ASPECTS})
    if not _csrf_ok():
        return _form_page(values, [("form", _t("vote.error.csrf"))], 400)
    rate = limiter("vote", "public_vote_limit")
    key = client_key()
    if not rate.hit(key):
        minutes = max(1, math.ceil(rate.retry_after(key) / 60))
        return _form_page(values, [("form", _t("vote.error.rate_limited", minutes=minutes))], 429)
    ratings, comment, problems = check_ballot(values, values["comment"])
    errors = [
        (p, _t("vote.error.comment_too_long", n=COMMENT_MAX) if p == "comment" else _t("vote.error.rating"))
        for p in problems
    ]
    estate_id = _int(values["estate"])
    if estate_id is None:
        errors.insert(0, ("estate", _t("vote.error.estate")))
    if not values["code"].strip():
        errors.insert(0, ("code", _t("vote.error.code_required")))
    if errors:
        return _form_page(values, errors, 400)
    config = current_config()
    now = local_now(config["timezone"])
    try:
        with writing(current_engine()) as s:
            receipt = cast_ballot(s, ballot_key(config.instance_path), estate_id, values["code"], ratings, comment, now)
    except BallotError as exc:
        field = "estate" if exc.key == "estate" else "code"
        return _form_page(values, [(field, _t(f"vote.error.{exc.key}"))], STATUS[exc.key])
    return redirect(url_for("ballot.thanks", estate=estate_id, month=receipt["month"]), 303)


@bp.get("/vote/thanks")
def thanks():
    lang = current_lang()
    estate_id = _int(request.args.get("estate"))
    month = parse_month(request.args.get("month"))
    with reading(current_engine()) as s:
        estate = next((e for e in vote_estates(s) if e["id"] == estate_id), None)
    if estate is None or month is None:
        return redirect(url_for("ballot.form"))
    return public_page(
        "vote/thanks.html",
        estate=pick(lang, estate["name_zh"], estate["name_en"]),
        month=month_label(month, lang),
        estate_id=estate_id,
    )
