"""The one translation layer: every visible string goes through `t(key, lang)`.

Messages live in `i18n/messages.py` as {key: (zh, en)}; a test fails when a key used in the code
is missing, or when a language is empty for a key.
"""

from __future__ import annotations

from i18n.messages import MESSAGES
from i18n.messages_compare import COMPARE_MESSAGES
from i18n.messages_data import DATA_MESSAGES
from i18n.messages_governance import GOVERNANCE_MESSAGES
from i18n.messages_index import INDEX_MESSAGES
from i18n.messages_metrics import METRICS_MESSAGES
from i18n.messages_permits import PERMIT_MESSAGES
from i18n.messages_report import REPORT_MESSAGES
from i18n.messages_services import SERVICES_MESSAGES
from i18n.messages_tokens import TOKEN_MESSAGES
from i18n.messages_wall import WALL_MESSAGES

MESSAGES = {
    **MESSAGES,
    **GOVERNANCE_MESSAGES,
    **DATA_MESSAGES,
    **INDEX_MESSAGES,
    **PERMIT_MESSAGES,
    **METRICS_MESSAGES,
    **REPORT_MESSAGES,
    **SERVICES_MESSAGES,
    **TOKEN_MESSAGES,
    **COMPARE_MESSAGES,
    **WALL_MESSAGES,
}

LANGUAGES = ("zh", "en")
HTML_LANG = {"zh": "zh-CN", "en": "en"}


def normalise(lang: str | None, default: str = "zh") -> str:
    return lang if lang in LANGUAGES else default


def t(key: str, lang: str, **params) -> str:
    zh, en = MESSAGES[key]
    text = en if lang == "en" else zh
    return text.format(**params) if params else text


def pick(lang: str, zh: str, en: str) -> str:
    """For names stored in both languages in the database (categories, estates, indicators)."""
    return en if lang == "en" else zh
