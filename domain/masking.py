"""Personal data shown masked (DESIGN.md 5.7): licence plates and phone numbers.

Also the plate rules the permit form checks, since a plate is only stored in its normal form:
- ordinary plates (GA 36): province character, issuing-authority letter, five letters or digits,
  the last of which may be 学 (driving school), 警 (police), 挂 (trailer), 港 or 澳;
- new-energy plates, eight characters: small cars put D (battery) or F (other) right after the
  authority letter ("浙AD12345", "浙AFA1234"), large vehicles put it last ("浙A12345D").
Letters I and O are never issued (they read as 1 and 0).
"""

from __future__ import annotations

import re
import unicodedata

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_LETTER = "A-HJ-NP-Z"
_ALNUM = "A-HJ-NP-Z0-9"
_PLATE = re.compile(
    rf"^[{PROVINCES}][{_LETTER}]"
    rf"(?:[{_ALNUM}]{{4}}[{_ALNUM}学警挂港澳]"  # ordinary, 7 characters
    rf"|[DF][{_ALNUM}][0-9]{{4}}"  # new energy, small car, 8 characters
    rf"|[0-9]{{5}}[DF])$"  # new energy, large vehicle, 8 characters
)


def normalise_plate(raw: str | None) -> str:
    """Upper case, half-width, without the spaces, dots or dashes people type in the middle."""
    text = unicodedata.normalize("NFKC", raw or "").upper()
    return re.sub(r"[\s·•.\-_]", "", text)


def valid_plate(plate: str) -> bool:
    """A normalised Chinese plate, ordinary (7 characters) or new-energy (8)."""
    return bool(_PLATE.match(plate))


def mask_plate(plate: str | None) -> str:
    """ "浙A12345" -> "浙A***45": the province and authority letter and the last two characters
    stay, everything between is starred; a short or odd value never shows more than half."""
    text = normalise_plate(plate)
    n = len(text)
    if n == 0:
        return ""
    if n >= 5:
        return text[:2] + "*" * (n - 4) + text[-2:]
    keep = (n - 1) // 2  # 1 -> 0, 2 -> 0, 3 -> 1, 4 -> 1
    return text[:keep] + "*" * (n - keep)


def mask_phone(phone: str | None) -> str:
    """ "13812345678" -> "138****5678"; other lengths keep at most the last four digits and hide
    at least half of the number."""
    text = re.sub(r"[\s\-()]", "", phone or "")
    prefix = ""
    if text.startswith("+"):
        prefix, text = "+", text[1:]
    n = len(text)
    if n == 0:
        return prefix
    if n == 11:
        return prefix + text[:3] + "****" + text[-4:]
    tail = min(4, n // 2)
    head = min(3, max(0, n // 2 - tail))
    return prefix + text[:head] + "*" * (n - head - tail) + (text[-tail:] if tail else "")


def mask_contact(contact: str | None) -> str:
    """A reporter's contact as free text: a phone number masked as phones are, an e-mail address as
    "z***@example.com" (the mailbox hidden, the domain kept), anything else with at most a quarter shown."""
    text = (contact or "").strip()
    if not text:
        return ""
    if "@" in text:
        local, _sep, domain = text.rpartition("@")
        return (local[:1] + "***@" + domain) if local else "***@" + domain
    if re.fullmatch(r"\+?[\d\s\-()]{5,}", text):
        return mask_phone(text)
    keep = len(text) // 4
    return text[:keep] + "*" * (len(text) - keep)


def mask_name(name: str | None) -> str:
    """A person's name with only what identifies a household member in front of staff who may not
    see names: "王小明" -> "王**" (the surname), "Anna Schmidt" -> "A*** S***" (initials)."""
    text = (name or "").strip()
    if not text:
        return ""
    if re.search(r"[\u3400-\u9fff]", text):
        compact = re.sub(r"\s+", "", text)
        return compact[0] + "*" * max(1, len(compact) - 1)
    return " ".join(part[0] + "***" for part in text.split() if part)
