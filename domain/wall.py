"""Rules of the wall screen (/wall): its views, the playlist and timing a screen may be given, and
the spike rule of the per-category trend. Pure: the page and data_access build on it."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# The views a wall rotates through, in their default order.
WALL_VIEWS = ("hotspots", "governance", "parking", "index", "iot")

ROTATE_RANGE = (5, 3600)  # seconds a view stays on screen
REFRESH_RANGE = (1, 300)  # seconds between two refreshes of the figures
LANGS = ("zh", "en")

# A category is "spiking" when its count is at least this many cases and more than SPIKE_SIGMAS
# Poisson standard deviations above its usual level (the mean of the same window in the weeks before).
SPIKE_MIN_COUNT = 3
SPIKE_SIGMAS = 3.0
BASELINE_DAYS = 28  # the 24 h window is compared with each of the previous 28 days
BASELINE_WEEKS = 4  # the 7 day window with each of the previous 4 weeks


class WallOptionError(ValueError):
    """A playlist or timing that cannot be used; `code` names the field for the message."""

    def __init__(self, code: str, value: object = None) -> None:
        super().__init__(code)
        self.code = code
        self.value = value


@dataclass(frozen=True)
class WallOptions:
    views: tuple[str, ...]
    rotate_seconds: int
    refresh_seconds: int
    lang: str


def parse_views(text: object) -> tuple[str, ...]:
    """'hotspots,parking' -> ('hotspots', 'parking'); unknown or repeated names are refused."""
    if isinstance(text, list | tuple):
        names = [str(v).strip() for v in text]
    elif isinstance(text, str):
        names = [v.strip() for v in text.split(",")]
    else:
        raise WallOptionError("views", text)
    names = [n for n in names if n]
    if not names:
        raise WallOptionError("views", text)
    unknown = [n for n in names if n not in WALL_VIEWS]
    if unknown or len(set(names)) != len(names):
        raise WallOptionError("views", ",".join(unknown) or text)
    return tuple(names)


def _seconds(value: object, bounds: tuple[int, int], code: str) -> int:
    try:
        seconds = int(str(value).strip())
    except (TypeError, ValueError):
        raise WallOptionError(code, value) from None
    if not bounds[0] <= seconds <= bounds[1]:
        raise WallOptionError(code, value)
    return seconds


def resolve_options(query: Mapping[str, str], stored: Mapping | None, defaults: Mapping) -> WallOptions:
    """What a screen shows: the URL wins over what an administrator stored for the token, which wins
    over the settings' defaults. Raises WallOptionError for a value that cannot be used."""
    stored = stored or {}

    def pick(name: str):  # noqa: ANN202
        if query.get(name) not in (None, ""):
            return query[name]
        if stored.get(name) not in (None, ""):
            return stored[name]
        return defaults[name]

    lang = str(pick("lang")).strip()
    if lang not in LANGS:
        raise WallOptionError("lang", lang)
    return WallOptions(
        views=parse_views(pick("views")),
        rotate_seconds=_seconds(pick("rotate"), ROTATE_RANGE, "rotate"),
        refresh_seconds=_seconds(pick("refresh"), REFRESH_RANGE, "refresh"),
        lang=lang,
    )


def clean_stored(raw: Mapping | None) -> dict:
    """The per-screen settings an administrator stores on a wall token, checked as the URL's are:
    only the fields given (an empty one falls back to the defaults), views as a list. Raises
    WallOptionError for a value that cannot be used, so nothing half-valid is stored."""
    raw = raw or {}
    unknown = set(raw) - {"views", "rotate", "refresh", "lang"}
    if unknown:
        raise WallOptionError("field", ",".join(sorted(unknown)))
    cleaned: dict = {}
    if raw.get("views") not in (None, "", [], ()):
        cleaned["views"] = list(parse_views(raw["views"]))
    if raw.get("rotate") not in (None, ""):
        cleaned["rotate"] = _seconds(raw["rotate"], ROTATE_RANGE, "rotate")
    if raw.get("refresh") not in (None, ""):
        cleaned["refresh"] = _seconds(raw["refresh"], REFRESH_RANGE, "refresh")
    if raw.get("lang") not in (None, ""):
        lang = str(raw["lang"]).strip()
        if lang not in LANGS:
            raise WallOptionError("lang", lang)
        cleaned["lang"] = lang
    return cleaned


def usual_level(history: Sequence[float]) -> float:
    return sum(history) / len(history) if history else 0.0


def is_spike(current: float, history: Sequence[float]) -> bool:
    """More than SPIKE_SIGMAS Poisson deviations above the usual level, and at least a few cases
    (so one case in a normally quiet category is not an alarm). No history: never a spike."""
    if not history or current < SPIKE_MIN_COUNT:
        return False
    usual = usual_level(history)
    return current > usual + SPIKE_SIGMAS * math.sqrt(max(usual, 1.0))
