"""Permit allocation for tidal shared parking (DESIGN.md 5.4): an exact assignment solver.

`allocate(applicants, capacities)` gives each applicant at most one lot they ranked, never more
applicants in a lot than its shareable spaces, and picks, among all feasible allocations, the one
that is best in this lexicographic order:

1. serve as many applicants as possible;
2. (holder protection, on by default) keep as many current permit holders served as possible, so a
   granted permit is only ever lost when capacity drops, never to a newcomer who ranked the lot
   higher; a maximum matching that keeps every holder served always exists while the holders'
   current allocation still fits, so this level never costs level 1 anything;
3. minimise the sum of preference ranks (0 = first choice);
4. keep each holder in their current lot (stability: a daily re-run does not reshuffle people);
5. tie-break: among allocations still equal, leave later applications unserved rather than earlier.

It is solved as one linear assignment problem (scipy's `linear_sum_assignment`): one row per
applicant; one column per usable space of each lot ("slot", at most as many per lot as applicants
who ranked it) plus one "unserved" dummy column per applicant. A cell's cost is a mixed-radix number
whose digits are the levels above, each weight larger than the largest possible total of all lower
levels, so minimising the sum minimises the levels in order, exactly. Costs stay integers below
2**53, where float64 arithmetic is exact; the problem is first split into independent components
(lots linked by applicants who rank them both) to keep the numbers and the matrix small. When a
component's costs would not fit, the lowest levels are dropped for it, in order: the application-order
tie-break (level 5), then stability (level 4); `Allocation.relaxed` names what was dropped. A component
with fewer spaces than applicants is solved with one row per space (a space may stay empty) rather than
one per applicant, so a crowd competing for a few spaces stays small. A component that still does not
fit (`AllocationTooLarge`) is left out: its applicants are listed in `Allocation.unsolved`, neither
served nor waitlisted, so the caller can keep their current decisions and report why.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import linear_sum_assignment

EXACT_LIMIT = 2**53  # integers up to here are exact in float64
MAX_CELLS = 50_000_000  # the largest cost matrix one component may take (400 MB of float64)


class AllocationTooLarge(ValueError):
    """One linked component is too large for the exact solver (costs past 2**53 or the matrix past MAX_CELLS)."""


@dataclass(frozen=True)
class Applicant:
    id: object
    preferences: tuple[str, ...]  # ranked lot codes, first choice first
    current_lot: str | None = None  # the lot held now (a granted permit), if any


@dataclass
class Allocation:
    assignments: dict[object, str] = field(default_factory=dict)  # applicant id -> lot code
    waitlist: list[object] = field(default_factory=list)  # unserved ids, in application order
    served: int = 0
    rank_sum: int = 0
    holders_kept_served: int = 0  # holders that still have a lot (possibly another one)
    kept: list[object] = field(default_factory=list)  # holders left in their current lot
    moved: list[object] = field(default_factory=list)  # holders moved to another lot
    dropped: list[object] = field(default_factory=list)  # holders left without a lot
    used: dict[str, int] = field(default_factory=dict)  # lot code -> spaces allocated
    relaxed: set[str] = field(default_factory=set)  # levels dropped for some component: "order", "stability"
    unsolved: list[object] = field(default_factory=list)  # ids of components too large to solve
    problems: list[str] = field(default_factory=list)  # why, one line per component left out

    def rank_of(self, applicant: Applicant) -> int | None:
        lot = self.assignments.get(applicant.id)
        return None if lot is None else _ranks(applicant)[lot]


def _ranks(applicant: Applicant) -> dict[str, int]:
    """Lot -> rank (first occurrence wins if a lot is listed twice)."""
    ranks: dict[str, int] = {}
    for position, lot in enumerate(applicant.preferences):
        ranks.setdefault(lot, position)
    return ranks


def _as_applicant(item: Applicant | Sequence) -> Applicant:
    if isinstance(item, Applicant):
        return item
    applicant_id, preferences, *rest = item
    return Applicant(applicant_id, tuple(preferences), rest[0] if rest else None)


def allocate(
    applicants: Iterable[Applicant | Sequence],
    capacities: Mapping[str, int],
    protect_holders: bool = True,
) -> Allocation:
    """Applicants in application order, as `Applicant` or (id, ranked lot codes, current lot or
    None); capacities {lot code: spaces} (missing or negative = 0). With `protect_holders=False`
    the order is exactly: served, rank sum, stability, application order."""
    people = [_as_applicant(a) for a in applicants]
    ids = [p.id for p in people]
    if len(set(ids)) != len(ids):
        raise ValueError("applicant ids must be unique")
    caps = {lot: max(0, int(n)) for lot, n in capacities.items()}
    usable = [{lot: r for lot, r in _ranks(p).items() if caps.get(lot, 0) > 0} for p in people]

    result = Allocation()
    unsolved: set[int] = set()
    for component in _components(usable):
        try:
            assignments, relaxed = _solve(component, people, usable, caps, protect_holders)
        except AllocationTooLarge as exc:
            unsolved.update(component)
            result.problems.append(str(exc))
            continue
        result.assignments.update(assignments)
        result.relaxed.update(relaxed)

    for index, person in enumerate(people):
        lot = result.assignments.get(person.id)
        if index in unsolved:
            result.unsolved.append(person.id)
            continue
        if lot is None:
            result.waitlist.append(person.id)
        else:
            result.served += 1
            result.rank_sum += usable[index][lot]
            result.used[lot] = result.used.get(lot, 0) + 1
        if person.current_lot is not None:
            if lot is None:
                result.dropped.append(person.id)
            else:
                result.holders_kept_served += 1
                (result.kept if lot == person.current_lot else result.moved).append(person.id)
    return result


def _components(usable: list[dict[str, int]]) -> list[list[int]]:
    """Applicant indexes grouped so that no lot is ranked across groups (union-find over lots)."""
    parent: dict[str, str] = {}

    def find(lot: str) -> str:
        while parent[lot] != lot:
            parent[lot] = parent[parent[lot]]
            lot = parent[lot]
        return lot

    for lots in usable:
        for lot in lots:
            parent.setdefault(lot, lot)
        first = next(iter(lots), None)
        for lot in lots:
            parent[find(lot)] = find(first)
    groups: dict[str, list[int]] = {}
    for index, lots in enumerate(usable):
        if lots:
            groups.setdefault(find(next(iter(lots))), []).append(index)
    return list(groups.values())


def _weights(n: int, max_rank: int, protect_holders: bool) -> tuple[tuple[int, int, int, int, int], tuple[str, ...]]:
    """Mixed-radix weights (unserved, holder dropped, rank, moved, order): each weight exceeds the
    largest total all lower levels can reach together, so the levels compare lexicographically.
    The lowest levels are dropped (weight 0) only when the costs would not fit below 2**53: first the
    application-order tie-break, then stability. Returns the weights and the names of the levels dropped."""
    for dropped in ((), ("order",), ("order", "stability")):
        w_order = 0 if "order" in dropped else 1
        w_moved = 0 if "stability" in dropped else (n * (n - 1) // 2) * w_order + 1  # order total <= n(n-1)/2
        w_rank = w_moved * (n + 1) if w_moved else 1  # holders moved or dropped <= n
        w_dropped = w_rank * (n * max_rank + 1) if protect_holders else 0  # rank sum <= n * max_rank
        w_unserved = w_dropped * (n + 1) if protect_holders else w_rank * (n * max_rank + 1)
        if w_unserved * (n + 1) < EXACT_LIMIT:
            return (w_unserved, w_dropped, w_rank, w_moved, w_order), dropped
    raise AllocationTooLarge(f"{n} applicants compete for the same lots: too many for exact float costs")


def _solve(
    component: list[int],
    people: list[Applicant],
    usable: list[dict[str, int]],
    caps: dict[str, int],
    protect_holders: bool,
) -> tuple[dict[object, str], tuple[str, ...]]:
    n = len(component)
    ranked_by = Counter(lot for i in component for lot in usable[i])
    lots = sorted(ranked_by)
    slots = [lot for lot in lots for _ in range(min(caps[lot], ranked_by[lot]))]
    columns: dict[str, tuple[int, int]] = {}  # lot -> its slots' column range (slots of a lot are adjacent)
    for col, lot in enumerate(slots):
        start, _end = columns.get(lot, (col, col))
        columns[lot] = (start, col + 1)
    max_rank = max(r for i in component for r in usable[i].values())
    (w_unserved, w_dropped, w_rank, w_moved, w_order), relaxed = _weights(n, max_rank, protect_holders)
    short_side = min(n, len(slots))
    if short_side * (n + len(slots)) > MAX_CELLS:
        raise AllocationTooLarge(
            f"{n} applicants compete for {len(slots)} spaces in linked lots: the cost matrix would be too large"
        )

    assign = np.full((n, len(slots)), np.inf)  # the cost of giving an applicant one space
    unserved = np.empty(n)  # the cost of leaving them unserved
    for row, i in enumerate(component):
        person = people[i]
        holder = person.current_lot is not None
        for lot, rank in usable[i].items():  # every slot of a ranked lot costs the same for this applicant
            start, end = columns[lot]
            assign[row, start:end] = rank * w_rank + (w_moved if holder and lot != person.current_lot else 0)
        # rows are in application order: leaving an earlier applicant unserved costs more
        unserved[row] = w_unserved + (w_dropped + w_moved if holder else 0) + (n - 1 - row) * w_order
    if len(slots) < n:
        # one row per space: giving it to an applicant saves their unserved cost; a space may stay empty.
        # The total differs from the one-row-per-applicant form by the constant sum of unserved costs.
        cost = np.hstack([(assign - unserved[:, None]).T, np.zeros((len(slots), len(slots)))])
        space_rows, cols = linear_sum_assignment(cost)
        pairs = [(c, r) for r, c in zip(space_rows, cols, strict=True) if c < n]
    else:
        cost = np.hstack([assign, np.repeat(unserved[:, None], n, axis=1)])
        rows, cols = linear_sum_assignment(cost)
        pairs = [(r, c) for r, c in zip(rows, cols, strict=True) if c < len(slots)]
    return {people[component[r]].id: slots[c] for r, c in pairs}, relaxed
