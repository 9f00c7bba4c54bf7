"""Every visible string goes through one layer, and every key exists in both languages."""

from __future__ import annotations

import re
from pathlib import Path

from domain.catalog import GRADES, LEVELS, ROLES, SOURCES, STATUSES
from i18n import MESSAGES, t

ROOT = Path(__file__).resolve().parent.parent
KEY_PREFIXES = ("app", "nav", "login", "common", "role", "level", "grade", "status", "source", "action", "actor",
                "hot", "data", "gov", "case", "time", "svc", "sys", "park", "permit", "metric",
                "tok", "o311", "wf", "inbox", "newcase", "photo", "report",
                "svcreq", "svcq", "svcfig", "lib", "match",
                "pop", "dev", "acc", "welf", "aud",
                "idx", "vote", "compare", "scope", "wall")  # fmt: skip
LITERAL = re.compile(r"[\"']((?:" + "|".join(KEY_PREFIXES) + r")\.[a-z0-9_.]+)[\"']")


def test_every_key_has_both_languages_and_they_differ_where_expected():
    for key, pair in MESSAGES.items():
        assert isinstance(pair, tuple) and len(pair) == 2, key
        zh, en = pair
        assert zh.strip() and en.strip(), key
    # Chinese text really is Chinese on the core shell strings
    for key in ("app.title", "nav.hotspots", "nav.data", "nav.governance", "nav.services", "login.submit"):
        assert re.search(r"[\u4e00-\u9fff]", t(key, "zh")), key
        assert not re.search(r"[\u4e00-\u9fff]", t(key, "en")), key


def test_every_key_used_in_the_code_exists():
    used = set()
    for folder in ("app.py", "pages", "components", "auth", "api", "data_access", "public"):
        base = ROOT / folder
        files = [base] if base.is_file() else list(base.rglob("*.py")) + list(base.rglob("*.html"))
        for path in files:
            for match in LITERAL.finditer(path.read_text(encoding="utf-8")):
                key = match.group(1)
                if not key.endswith("."):
                    used.add(key)
    missing = sorted(k for k in used if k not in MESSAGES and not k.endswith((".py", ".html")))
    assert len(used) > 60
    assert missing == []


def test_key_families_built_at_run_time_are_complete():
    families = {
        "grade": GRADES,
        "status": (*STATUSES, "open"),
        "source": SOURCES,
        "role": ROLES,
        "level": [str(n) for n in LEVELS],
        "action": (
            "report",
            "accept",
            "push_up",
            "escalate",
            "resolve",
            "verify",
            "reopen",
            "close",
            "reject",
            "link_duplicate",
            "duplicate_joined",
            "regrade",
        ),  # fmt: skip
        "actor": ("system", "resident", "camera_car", "iot", "open311", "reporter", "staff"),
        # codes raised by domain.workflow / data_access.workflow, domain.photos and data_access.intake
        "wf.error": (
            "forbidden",
            "not_found",
            "wrong_status",
            "note_required",
            "note_too_long",
            "unknown_action",
            "top_level",
            "bad_target",
            "bad_duplicate",
            "bad_category",
            "bad_grade",
            "no_change",
        ),
        "wf.done": ("accept", "push_up", "resolve", "reject", "verify", "reopen", "regrade", "link_duplicate"),
        "wf.btn": ("accept", "push_up", "resolve", "reject", "verify", "reopen", "regrade", "link_duplicate"),
        "photo.error": ("empty", "too_large", "not_image", "not_found"),
        "newcase.error": (
            "text_required",
            "text_too_long",
            "contact_too_long",
            "bad_point",
            "unknown_building",
            "unknown_estate",
            "place_required",
            "unknown_community",
            "unknown_category",
            "bad_source",
            "bad_ref",
        ),
        "park.window": ("day", "night"),
        "park.reason": ("no_data", "too_little_history", "gaps", "counter_stuck"),
        "park.upload_error": ("empty", "not_text", "no_header"),
        "park.kind": ("resident", "employee"),
        "park.permit": ("pending", "granted", "waitlisted", "withdrawn", "cancelled"),
        "park.problem": ("missing", "unknown_lot", "bad_time", "bad_count", "duplicate", "too_many"),
    }

    def key(family: str, value: str) -> str:
        return f"{family}_{value}" if family.startswith("park.") else f"{family}.{value}"

    missing = [key(fam, v) for fam, values in families.items() for v in values if key(fam, v) not in MESSAGES]
    assert missing == []


def test_parameters_fill_in_both_languages():
    assert t("gov.count", "zh", n=12) == "共 12 件"
    assert t("gov.count", "en", n=12) == "12 cases"
