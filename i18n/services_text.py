"""Services wording built from codes: half-days ("tue morning") and the reasons behind a match
(`domain.services.Reason`), shared by the staff pages and the residents' pages.

Names that live elsewhere (specialties in the store, languages in `domain.languages`) come in as
arguments, since this layer imports nothing of ours but itself.
"""

from __future__ import annotations

from collections.abc import Callable

from i18n import t


def slot_text(slot: str | tuple[str, str], lang: str) -> str:
    """ "tue morning" or ("tue", "morning") -> "周二上午" / "Tue morning"."""
    day, part = slot.split() if isinstance(slot, str) else slot
    joiner = "" if lang == "zh" else " "
    part_text = t(f"svcreq.part.{part}", lang)
    return t(f"svcreq.day.{day}", lang) + joiner + (part_text if lang == "zh" else part_text.lower())


def slots_text(slots, lang: str) -> str:  # noqa: ANN001 - slot codes or pairs
    slots = list(slots)
    if not slots:
        return t("svcreq.any_time", lang)
    return ("、" if lang == "zh" else ", ").join(slot_text(s, lang) for s in slots)


def reason_text(
    reason: dict, lang: str, specialty_name: Callable[[str], str], language_name: Callable[[str, str], str]
) -> str:
    """One reason as a sentence fragment in `lang`; an unknown code (a newer rule) shows as itself."""
    code = reason.get("code", "")
    key = f"match.reason.{code}"
    params = {}
    if "specialty" in reason:
        params["specialty"] = specialty_name(reason["specialty"])
    if "language" in reason:
        params["language"] = language_name(reason["language"], lang)
    if "slots" in reason:
        params["slots"] = slots_text(reason["slots"], lang)
    for name in ("n", "used", "limit"):
        if name in reason:
            params[name] = reason[name]
    try:
        return t(key, lang, **params)
    except (KeyError, IndexError):
        return code
