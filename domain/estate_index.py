"""The estate running index (小区运行指数, DESIGN.md 5.5) as pure functions.

Inputs of one estate and month: the households' ballots (7 aspects, 1-5) and the 14 property-company and
18 owners'-committee indicators (0-100). The method:

- every input on 0-100: an aspect's mean rating r becomes (r - 1) / 4 * 100; an indicator keeps its score,
  or 100 - score when lower is better;
- three sub-indices (residents, property, committee) are weighted means of their inputs; the index is the
  weighted mean of the sub-indices. Written flat: each input has the effective weight
  (its group's share) x (its share inside the group), and the index is the weighted mean of the inputs
  present, so a missing input or a missing group re-weights the rest;
- coverage is the sum of the effective weights present (1.0 when nothing is missing);
- level: red when a safety aspect (fire safety, elevator running) scores below the safety floor, provided
  turnout reached the floor (a handful of ballots should not call an interview); otherwise not rated when
  coverage is below the minimum; otherwise green / yellow / red by the thresholds on the published
  (one-decimal) value;
- a seeded Monte Carlo jitters every weight (groups and inputs) by up to +/- the jitter, recomputes every
  rated estate's value and rank per draw, and gives each estate the central interval of its ranks and
  the share of draws in which it would be red: a red card that survives most weight choices is not an
  artefact of one of them.

Turnout below the floor marks the result; it is never hidden.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np

from domain.catalog import BALLOT_ASPECTS

ASPECTS: tuple[str, ...] = tuple(code for code, _zh, _en in BALLOT_ASPECTS)
ASPECT_NAMES: dict[str, tuple[str, str]] = {code: (zh, en) for code, zh, en in BALLOT_ASPECTS}
GROUPS = ("residents", "property", "committee")
LEVELS = ("green", "yellow", "red", "none")  # none: not rated (no inputs, or too little coverage)

DEFAULT_PARAMETERS: dict = {
    "sub_weights": {"residents": 0.40, "property": 0.35, "committee": 0.25},
    "green_at": 80,
    "yellow_at": 60,
    "safety_floor": 50,
    "safety_aspects": ["fire_safety", "elevator"],
    "turnout_floor": 0.2,
    "min_coverage": 0.5,
    "monte_carlo": {"draws": 1000, "seed": 7, "weight_jitter": 0.2, "interval": 0.9},
}
MAX_DRAWS = 20_000
MAX_WEIGHT = 100.0

# A red estate's interview (约谈) is set a week after the result, the rectification due a month later.
INTERVIEW_AFTER_DAYS = 7
RECTIFY_DAYS = 30
ATTENDEE_ROLES = ("grid_leader", "committee", "property_manager")
MAX_ITEMS = 5


# --- months -------------------------------------------------------------------------------------------

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(text: object) -> str | None:
    """'YYYY-MM' or None."""
    if not isinstance(text, str):
        return None
    match = _MONTH.match(text.strip())
    return match.group(0) if match else None


def month_of(moment: datetime | date) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def add_months(month: str, n: int) -> str:
    index = int(month[:4]) * 12 + int(month[5:]) - 1 + n
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def previous_month(now: datetime) -> str:
    """The month the `estate_index` job computes when it runs at `now`: the one before now's month."""
    return add_months(month_of(now), -1)


def month_start(month: str) -> datetime:
    return datetime(int(month[:4]), int(month[5:]), 1)


def months_between(first: str, last: str) -> list[str]:
    out, cursor = [], first
    while cursor <= last:
        out.append(cursor)
        cursor = add_months(cursor, 1)
    return out


# --- the method -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Component:
    """One input: an aspect of the ballot or an indicator, with its group, direction and default weight."""

    code: str
    group: str  # residents / property / committee
    higher_is_better: bool = True
    weight: float = 1.0


def components(indicators: Iterable[tuple[str, str, bool, float]]) -> tuple[Component, ...]:
    """The aspects (in ballot order) and the indicators (code, group, higher_is_better, weight) by code."""
    aspects = tuple(Component(code, "residents") for code in ASPECTS)
    return aspects + tuple(Component(c, g, bool(h), float(w)) for c, g, h, w in sorted(indicators))


@dataclass(frozen=True)
class Method:
    """A version's parameters with every default filled in and every weight explicit."""

    version: str
    components: tuple[Component, ...]
    sub_weights: dict[str, float]
    weights: dict[str, float]
    green_at: float
    yellow_at: float
    safety_floor: float
    safety_aspects: tuple[str, ...]
    turnout_floor: float
    min_coverage: float
    draws: int
    seed: int
    jitter: float
    interval: float

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.components)

    @property
    def group_of(self) -> dict[str, str]:
        return {c.code: c.group for c in self.components}

    def effective_weights(self) -> dict[str, float]:
        """Each input's share of the whole index when nothing is missing (they sum to 1)."""
        total = sum(self.sub_weights[g] for g in GROUPS)
        out = {}
        for group in GROUPS:
            inner = sum(self.weights[c.code] for c in self.components if c.group == group)
            for c in self.components:
                if c.group == group:
                    out[c.code] = (self.sub_weights[group] / total) * (self.weights[c.code] / inner) if inner else 0.0
        return out

    def parameters(self) -> dict:
        """What a stored result keeps of its method: enough to recompute it by hand."""
        return {
            "sub_weights": dict(self.sub_weights),
            "weights": dict(self.weights),
            "lower_is_better": sorted(c.code for c in self.components if not c.higher_is_better),
            "green_at": self.green_at,
            "yellow_at": self.yellow_at,
            "safety_floor": self.safety_floor,
            "safety_aspects": list(self.safety_aspects),
            "turnout_floor": self.turnout_floor,
            "min_coverage": self.min_coverage,
            "monte_carlo": {
                "draws": self.draws,
                "seed": self.seed,
                "weight_jitter": self.jitter,
                "interval": self.interval,
            },
        }


def full_parameters(parameters: Mapping | None) -> dict:
    """A version's stored parameters over the defaults (a version stored before a key existed keeps working)."""
    out = copy.deepcopy(DEFAULT_PARAMETERS)
    for key, value in (parameters or {}).items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = copy.deepcopy(value)
    return out


def resolve_method(version: str, parameters: Mapping | None, comps: tuple[Component, ...]) -> Method:
    """The method of `version`: its parameters over the defaults; a component the version names no weight for
    takes its definition's weight (aspects: 1)."""
    p = full_parameters(parameters)
    named = p.get("weights") or {}
    mc = p["monte_carlo"]
    return Method(
        version=version,
        components=comps,
        sub_weights={g: float(p["sub_weights"].get(g, 0.0)) for g in GROUPS},
        weights={c.code: float(named.get(c.code, c.weight)) for c in comps},
        green_at=float(p["green_at"]),
        yellow_at=float(p["yellow_at"]),
        safety_floor=float(p["safety_floor"]),
        safety_aspects=tuple(a for a in p["safety_aspects"] if a in ASPECTS),
        turnout_floor=float(p["turnout_floor"]),
        min_coverage=float(p["min_coverage"]),
        draws=int(mc["draws"]),
        seed=int(mc["seed"]),
        jitter=float(mc["weight_jitter"]),
        interval=float(mc["interval"]),
    )


def check_parameters(parameters: Mapping, comps: tuple[Component, ...]) -> list[str]:
    """Problems of a new version's parameters, as message-key suffixes (empty when it may be stored)."""
    problems: list[str] = []

    def number(value: object) -> float | None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return float(value) if np.isfinite(value) else None

    subs = parameters.get("sub_weights")
    sub_values = [number(subs.get(g)) for g in GROUPS] if isinstance(subs, Mapping) else [None]
    if any(v is None or v < 0 or v > MAX_WEIGHT for v in sub_values) or sum(v or 0 for v in sub_values) <= 0:
        problems.append("sub_weights")
    green, yellow = number(parameters.get("green_at")), number(parameters.get("yellow_at"))
    if green is None or yellow is None or not 0 < yellow < green <= 100:
        problems.append("thresholds")
    floor = number(parameters.get("safety_floor"))
    if floor is None or not 0 <= floor <= 100:
        problems.append("safety_floor")
    safety = parameters.get("safety_aspects")
    if not isinstance(safety, list | tuple) or any(a not in ASPECTS for a in safety):
        problems.append("safety_aspects")
    for key in ("turnout_floor", "min_coverage"):
        value = number(parameters.get(key))
        if value is None or not 0 <= value <= 1:
            problems.append(key)
    mc = parameters.get("monte_carlo")
    mc = mc if isinstance(mc, Mapping) else {}
    draws, seed = mc.get("draws"), mc.get("seed")
    jitter, interval = number(mc.get("weight_jitter")), number(mc.get("interval", 0.9))
    if not isinstance(draws, int) or isinstance(draws, bool) or not 100 <= draws <= MAX_DRAWS:
        problems.append("draws")
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        problems.append("seed")
    if jitter is None or not 0 <= jitter < 1:
        problems.append("jitter")
    if interval is None or not 0.5 <= interval < 1:
        problems.append("interval")
    weights = parameters.get("weights", {})
    known = {c.code for c in comps}
    if (
        not isinstance(weights, Mapping)
        or set(weights) - known
        or any(number(w) is None or not 0 <= w <= MAX_WEIGHT for w in weights.values())
    ):
        problems.append("weights")
    elif "sub_weights" not in problems:
        # a group that counts needs at least one input that counts in it
        for group, share in zip(GROUPS, sub_values, strict=True):
            inner = [weights.get(c.code, c.weight) for c in comps if c.group == group]
            if share and not any(w > 0 for w in inner):
                problems.append("weights")
                break
    return problems


# --- one estate -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EstateInputs:
    estate_id: int
    households: int
    ballots: int
    aspect_means: Mapping[str, float] = field(default_factory=dict)  # mean rating 1-5 per aspect
    indicator_scores: Mapping[str, float] = field(default_factory=dict)  # as entered, 0-100


@dataclass
class EstateResult:
    estate_id: int
    value: float | None
    sub: dict[str, float | None]
    coverage: float
    turnout: float
    low_turnout: bool
    level: str
    scores: dict[str, float]  # every input present, on 0-100 with the direction applied
    raw: dict[str, float]  # aspect mean ratings (1-5) and indicator scores as entered
    group_coverage: dict[str, float]
    ballots: int
    households: int
    override: list[str]  # safety aspects below the floor that made it red
    override_skipped: list[str]  # safety aspects below the floor that did not count: turnout too low
    weakest: list[str]
    rank: int | None = None
    rank_low: int | None = None
    rank_high: int | None = None
    red_share: float | None = None

    def components_json(self, method: Method) -> dict:
        return {
            "scores": self.scores,
            "raw": self.raw,
            "sub": self.sub,
            "group_coverage": self.group_coverage,
            "ballots": self.ballots,
            "households": self.households,
            "override": self.override,
            "override_skipped": self.override_skipped,
            "weakest": self.weakest,
            "red_share": self.red_share,
            "method_version": method.version,
            "parameters": method.parameters(),
        }


def aspect_score(mean_rating: float) -> float:
    """A mean rating on the 1-5 scale as 0-100."""
    return (min(5.0, max(1.0, float(mean_rating))) - 1.0) / 4.0 * 100.0


def input_scores(inputs: EstateInputs, method: Method) -> tuple[dict[str, float], dict[str, float]]:
    """(scores on 0-100, raw values) of the inputs present; indicators outside the method are ignored."""
    scores: dict[str, float] = {}
    raw: dict[str, float] = {}
    if inputs.ballots > 0:
        for code in ASPECTS:
            if code in inputs.aspect_means and inputs.aspect_means[code] is not None:
                raw[code] = round(float(inputs.aspect_means[code]), 3)
                scores[code] = aspect_score(inputs.aspect_means[code])
    direction = {c.code: c.higher_is_better for c in method.components if c.group != "residents"}
    for code, value in inputs.indicator_scores.items():
        if code in direction and value is not None:
            raw[code] = float(value)
            scores[code] = float(value) if direction[code] else 100.0 - float(value)
    return scores, raw


def level_for(value: float | None, coverage: float, override: bool, method: Method) -> str:
    if value is None:
        return "none"
    if override:
        return "red"
    if coverage < method.min_coverage:
        return "none"
    if value < method.yellow_at:
        return "red"
    if value < method.green_at:
        return "yellow"
    return "green"


def weakest_components(scores: Mapping[str, float], override: Iterable[str], method: Method) -> list[str]:
    """The inputs to work on first: those below the yellow threshold and the safety aspects that made it red,
    lowest first, at most MAX_ITEMS; with none below the threshold, the three lowest."""
    ranked = sorted(scores, key=lambda code: (scores[code], code))
    chosen = [c for c in ranked if scores[c] < method.yellow_at or c in set(override)]
    return (chosen or ranked[:3])[:MAX_ITEMS]


def estate_result(inputs: EstateInputs, method: Method) -> EstateResult:
    scores, raw = input_scores(inputs, method)
    weights = method.effective_weights()
    present = {c: w for c, w in weights.items() if c in scores}
    coverage = sum(present.values())
    value = sum(w * scores[c] for c, w in present.items()) / coverage if coverage > 0 else None
    sub: dict[str, float | None] = {}
    group_coverage: dict[str, float] = {}
    for group in GROUPS:
        inner = {c: method.weights[c] for c in method.codes if method.group_of[c] == group}
        have = {c: w for c, w in inner.items() if c in scores and w > 0}
        total = sum(inner.values())
        sub[group] = round(sum(w * scores[c] for c, w in have.items()) / sum(have.values()), 1) if have else None
        group_coverage[group] = round(sum(have.values()) / total, 3) if total else 0.0
    turnout = inputs.ballots / inputs.households if inputs.households > 0 else 0.0
    low_turnout = turnout < method.turnout_floor
    below = [a for a in method.safety_aspects if a in scores and scores[a] < method.safety_floor]
    override, skipped = ([], below) if low_turnout else (below, [])
    shown = round(value, 1) if value is not None else None
    level = level_for(shown, coverage, bool(override), method)
    return EstateResult(
        estate_id=inputs.estate_id,
        value=shown,
        sub=sub,
        coverage=round(coverage, 3),
        turnout=round(turnout, 4),
        low_turnout=low_turnout,
        level=level,
        scores={c: round(s, 1) for c, s in scores.items()},
        raw=raw,
        group_coverage=group_coverage,
        ballots=inputs.ballots,
        households=inputs.households,
        override=override,
        override_skipped=skipped,
        weakest=weakest_components(scores, override, method),
    )


# --- a month of estates -----------------------------------------------------------------------------------


def competition_ranks(values: np.ndarray) -> np.ndarray:
    """1 + the number of strictly higher values, along the last axis (ties share a rank)."""
    return 1 + (values[..., None, :] > values[..., :, None]).sum(axis=-1)


def monte_carlo(score_matrix: np.ndarray, method: Method) -> np.ndarray:
    """Values of each estate (columns) under `method.draws` jittered weightings (rows).

    score_matrix: estates x components on 0-100, NaN where an input is missing."""
    rng = np.random.default_rng(method.seed)
    codes = method.codes
    group_index = np.array([GROUPS.index(method.group_of[c]) for c in codes])
    base_groups = np.array([method.sub_weights[g] for g in GROUPS], dtype=float)
    base_inner = np.array([method.weights[c] for c in codes], dtype=float)
    jitter = method.jitter
    groups = base_groups * (1 + rng.uniform(-jitter, jitter, size=(method.draws, len(GROUPS))))
    inner = base_inner * (1 + rng.uniform(-jitter, jitter, size=(method.draws, len(codes))))
    groups /= groups.sum(axis=1, keepdims=True)
    for g in range(len(GROUPS)):
        columns = group_index == g
        totals = inner[:, columns].sum(axis=1, keepdims=True)
        inner[:, columns] = np.divide(inner[:, columns], totals, out=np.zeros_like(inner[:, columns]), where=totals > 0)
    effective = groups[:, group_index] * inner  # draws x components
    present = ~np.isnan(score_matrix)
    filled = np.where(present, score_matrix, 0.0)
    weight_sum = effective @ present.T.astype(float)  # draws x estates
    weighted = effective @ filled.T
    return np.divide(weighted, weight_sum, out=np.full_like(weighted, np.nan), where=weight_sum > 0)


def rank_month(results: list[EstateResult], method: Method) -> None:
    """Ranks (1 = best) of the rated estates, their Monte Carlo rank intervals and red shares, in place."""
    rated = [r for r in results if r.level != "none"]
    if not rated:
        return
    points = np.array([r.value for r in rated], dtype=float)
    for r, rank in zip(rated, competition_ranks(points), strict=True):
        r.rank = int(rank)
    matrix = np.array([[r.scores.get(c, np.nan) for c in method.codes] for r in rated], dtype=float)
    values = monte_carlo(matrix, method)
    ranks = competition_ranks(np.where(np.isnan(values), -np.inf, values))
    tail = (1 - method.interval) / 2
    for column, r in enumerate(rated):
        low, high = np.quantile(ranks[:, column], [tail, 1 - tail], method="inverted_cdf")
        # the interval always holds the published rank, whatever the draws did
        r.rank_low, r.rank_high = int(min(low, r.rank)), int(max(high, r.rank))
        red = np.ones(method.draws, dtype=bool) if r.override else np.round(values[:, column], 1) < method.yellow_at
        r.red_share = round(float(red.mean()), 3)


def compute_month(inputs: Iterable[EstateInputs], method: Method) -> list[EstateResult]:
    """Every estate's result for one month of one community (ranks are within the estates given)."""
    results = [estate_result(i, method) for i in inputs]
    rank_month(results, method)
    return results


# --- red warning: the rectification case ------------------------------------------------------------------


def rectification_dates(opened: datetime) -> tuple[date, date]:
    """Interview a week after the result (on a weekday), rectification due a month after the interview."""
    interview = opened.date() + timedelta(days=INTERVIEW_AFTER_DAYS)
    while interview.weekday() >= 5:
        interview += timedelta(days=1)
    return interview, interview + timedelta(days=RECTIFY_DAYS)


def rectification_items(result: EstateResult, method: Method) -> list[dict]:
    """What the estate must work on: its weakest inputs, with the score that put them there."""
    group_of = method.group_of
    return [{"code": c, "group": group_of[c], "score": result.scores[c]} for c in result.weakest]


def change_since(red_value: float | None, value: float | None, level: str) -> str:
    """How a later month compares with the red month: improved / worse / same / not_rated."""
    if value is None or red_value is None or level == "none":
        return "not_rated"
    if level != "red" and value > red_value:
        return "improved"
    if value > red_value:
        return "better_still_red"
    if value < red_value:
        return "worse"
    return "same"
