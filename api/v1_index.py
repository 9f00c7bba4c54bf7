"""GET /api/v1/estate-index: each estate's running index of a month, for machines and the wall.

Machine or wall token (the wall shows the ranking; nothing on it is personal). A token limited to a community
sees that community's estates only. Results are those of the active method version unless `version` names
another; every result carries its method version, and the answer carries that version's parameters.
"""

from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, request

from api.v1 import EXTRA_PATHS, api_error, token_required
from data_access.db import reading
from data_access.estate_index import latest_month, load_method, month_results
from domain.estate_index import parse_month

bp = Blueprint("api_v1_index", __name__, url_prefix="/api/v1")


def _engine():
    return current_app.extensions["cockpit"]["engine"]


@bp.route("/estate-index", methods=["GET"])
@token_required("machine", "wall")
def get_estate_index():
    community_id = g.api_token["community_id"]
    scope = None if community_id is None else [community_id]
    raw_month = request.args.get("month")
    month = parse_month(raw_month) if raw_month is not None else None
    if raw_month is not None and month is None:
        return api_error(
            400,
            "bad_request",
            "month must be YYYY-MM",
            [{"field": "month", "code": "bad_month", "message": f"{raw_month!r} is not YYYY-MM"}],
        )
    with reading(_engine()) as s:
        version = request.args.get("version")
        method = load_method(s, version) if version else load_method(s)
        if method is None:
            return api_error(404, "not_found", f"no method version {version!r}" if version else "no method version")
        month = month or latest_month(s, scope, method.version)
        rows = month_results(s, scope, month, method.version) if month else []
    estates = [
        {
            "community": r["community"],
            "estate": r["estate"],
            "name_zh": r["estate_zh"],
            "name_en": r["estate_en"],
            "month": r["month"],
            "method_version": r["method_version"],
            "value": r["value"],
            "level": r["level"],
            "rank": r["rank"],
            "rank_interval": [r["rank_low"], r["rank_high"]] if r["rank"] is not None else None,
            "red_share": r["components"].get("red_share"),
            "sub_indices": r["sub"],
            "coverage": r["coverage"],
            "turnout": r["turnout"],
            "low_turnout": r["low_turnout"],
            "ballots": r["components"].get("ballots"),
            "safety_override": r["components"].get("override", []),
            "weakest": r["components"].get("weakest", []),
            "computed_at": r["computed_at"].isoformat(),
        }
        for r in rows
    ]
    return jsonify(
        {"month": month, "method_version": method.version, "parameters": method.parameters(), "estates": estates}
    )


_ERROR_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
EXTRA_PATHS.update(
    {
        "/estate-index": {
            "get": {
                "summary": "Each estate's running index (小区运行指数) of a month.",
                "description": "Machine or wall token. Without `month`, the latest computed month. Results of the "
                "active method version unless `version` names another. Each estate: value (0-100, null when "
                "not rated), level (green / yellow / red / none), rank within its community and the Monte Carlo "
                "rank interval, the share of weight draws in which it is red, sub-indices, coverage, turnout "
                "(low_turnout marks a month below the method's turnout floor), the safety aspects that forced "
                "red, and the weakest inputs.",
                "parameters": [
                    {"name": "month", "in": "query", "schema": {"type": "string", "pattern": "^\\d{4}-\\d{2}$"}},
                    {"name": "version", "in": "query", "schema": {"type": "string", "example": "v1"}},
                ],
                "responses": {
                    "200": {"description": "month, method_version, parameters, estates [...]"},
                    "400": {"description": "month is not YYYY-MM", "content": _ERROR_REF},
                    "401": {"description": "no valid machine or wall token", "content": _ERROR_REF},
                    "404": {"description": "no such method version", "content": _ERROR_REF},
                },
            }
        }
    }
)
