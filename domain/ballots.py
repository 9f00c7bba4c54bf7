"""The monthly resident ballot (DESIGN.md 5.5): per-household codes, checking a ballot, scrubbing comments.

A household proves itself with the code its monthly notice carries. The code is derived, not stored: the
first 40 bits of HMAC-SHA256(key, "ballot|<household id>|<month>") written as 8 characters of an alphabet
without 0/O, 1/I/L look-alikes. Checking a code means deriving the codes of the chosen estate's households,
so a code of another estate fails exactly like a mistyped one.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

from domain.estate_index import ASPECTS

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # 32 symbols: no 0, O, 1 or I
CODE_LENGTH = 8
COMMENT_MAX = 500
RATINGS = (1, 2, 3, 4, 5)

_SEPARATORS = re.compile(r"[\s\-_.·]")
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
_LONG_NUMBER = re.compile(r"\+?\d(?:[\d\s\-]{5,}\d)")  # phone, ID or account numbers
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def household_code(key: bytes, household_id: int, month: str) -> str:
    digest = hmac.new(key, f"ballot|{household_id}|{month}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest[:5], "big")
    chars = []
    for _ in range(CODE_LENGTH):
        chars.append(CODE_ALPHABET[number & 31])
        number >>= 5
    return "".join(chars)


def normalise_code(raw: object) -> str | None:
    """What a resident typed, upper case without spaces or dashes; None unless it can be a code."""
    if not isinstance(raw, str):
        return None
    text = _SEPARATORS.sub("", raw).upper()
    if len(text) != CODE_LENGTH or any(ch not in CODE_ALPHABET for ch in text):
        return None
    return text


def format_code(code: str) -> str:
    """As printed on the notice: two groups of four."""
    return f"{code[:4]}-{code[4:]}"


def check_ballot(ratings: Mapping[str, object], comment: object) -> tuple[dict[str, int], str | None, list[str]]:
    """(ratings 1-5 per aspect, the comment or None, problems as field names: an aspect left out or a comment
    too long)."""
    clean: dict[str, int] = {}
    problems: list[str] = []
    for aspect in ASPECTS:
        value = ratings.get(aspect)
        try:
            number = int(str(value).strip())
        except (TypeError, ValueError):
            number = 0
        if number in RATINGS:
            clean[aspect] = number
        else:
            problems.append(aspect)
    text = comment.strip() if isinstance(comment, str) else ""
    if len(text) > COMMENT_MAX:
        problems.append("comment")
    return clean, (scrub_comment(text) or None), problems


def scrub_comment(text: str | None) -> str:
    """A comment without the personal data people sometimes type into one: e-mail addresses and long numbers
    (phones, ID cards, accounts) become ***; control characters go."""
    if not text:
        return ""
    text = _CONTROL.sub("", text)
    text = _EMAIL.sub("***", text)
    return _LONG_NUMBER.sub("***", text).strip()
