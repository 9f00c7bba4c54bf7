"""The services page's figures, computed in SQL over the requests made in a span of months (each request
counts in the month it was made, so every figure and the list it drills down to agree):

- requests by specialty and month;
- time to match: hours from the request to its first match (median per month, and overall);
- completion: done or rated, of the requests that ended (done, rated or cancelled);
- satisfaction: the average rating and how the ratings spread, and the share of finished ones rated;
- load per person: each active person's open requests against their limit now, and what they finished
  in the span;
- language gaps: requests flagged because nobody with the specialty spoke their language, per language,
  and how many of them still wait.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from data_access.closure import add_months, hours_between, month_bounds, month_label, months_between, year_month
from data_access.models import ServiceRequest, Specialty, Talent
from data_access.services import open_loads
from domain import services as rules

PERIODS = {"3m": 3, "12m": 12}


def period_months(period: str, now: datetime) -> tuple[str, str]:
    last = month_label(now)
    return add_months(last, 1 - PERIODS.get(period, 12)), last


def _medians(session: Session, scope) -> dict[object, float]:  # noqa: ANN001 - a SQL condition
    """Median hours to the first match per month, and overall under the key None: the average of the
    middle one (odd count) or two (even count) sorted durations."""
    timed = (
        select(
            year_month(ServiceRequest.requested_at).label("k"),
            hours_between(ServiceRequest.matched_at, ServiceRequest.requested_at).label("hours"),
        )
        .where(scope, ServiceRequest.matched_at.is_not(None))
        .subquery()
    )
    out: dict[object, float] = {}
    for by_month in (True, False):
        partition = timed.c.k if by_month else None
        ranked = select(
            timed.c.k,
            timed.c.hours,
            func.row_number().over(partition_by=partition, order_by=timed.c.hours).label("rn"),
            func.count().over(partition_by=partition).label("n"),
        ).subquery()
        middle = ranked.c.rn.in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
        if by_month:
            rows = session.execute(select(ranked.c.k, func.avg(ranked.c.hours)).where(middle).group_by(ranked.c.k))
            out.update({k: float(v) for k, v in rows if v is not None})
        else:
            value = session.scalar(select(func.avg(ranked.c.hours)).where(middle))
            if value is not None:
                out[None] = float(value)
    return out


def service_figures(session: Session, community_ids: list[int], first: str, last: str, now: datetime) -> dict:
    start, end = month_bounds(first, last)
    scope = and_(
        ServiceRequest.community_id.in_(community_ids),
        ServiceRequest.requested_at >= start,
        ServiceRequest.requested_at < end,
    )
    months = months_between(first, last)
    month = year_month(ServiceRequest.requested_at)
    specialties = [
        {"code": c, "name_zh": zh, "name_en": en}
        for c, zh, en in session.execute(
            select(Specialty.code, Specialty.name_zh, Specialty.name_en).order_by(Specialty.id)
        )
    ]

    by_specialty = [
        {"month": m, "specialty": s, "requests": n}
        for m, s, n in session.execute(
            select(month, ServiceRequest.specialty_code, func.count(ServiceRequest.id))
            .where(scope)
            .group_by(month, ServiceRequest.specialty_code)
        )
    ]

    def one(flag) -> object:  # noqa: ANN001 - a SQL condition
        return func.sum(case((flag, 1), else_=0))

    counted = (
        func.count(ServiceRequest.id),
        one(ServiceRequest.matched_at.is_not(None)),
        one(ServiceRequest.status.in_(rules.FINISHED_STATUSES)),
        one(ServiceRequest.status == "cancelled"),
        one(ServiceRequest.status.in_(rules.OPEN_STATUSES)),
        func.count(ServiceRequest.rating),
        func.avg(ServiceRequest.rating),
        one(ServiceRequest.language_gap.is_(True)),
    )
    names = ("requests", "matched", "finished", "cancelled", "open", "rated", "avg_rating", "gaps")
    medians = _medians(session, scope)

    def finish(values, key: object) -> dict:  # noqa: ANN001
        row = dict(zip(names, values, strict=True))
        for name in names:
            if name != "avg_rating":
                row[name] = int(row[name] or 0)
        row["avg_rating"] = float(row["avg_rating"]) if row["avg_rating"] is not None else None
        ended = row["finished"] + row["cancelled"]
        row["completion"] = row["finished"] / ended if ended else None
        row["rated_share"] = row["rated"] / row["finished"] if row["finished"] else None
        row["median_hours"] = medians.get(key)
        return row

    per_month = {m: finish((0, 0, 0, 0, 0, 0, None, 0), m) for m in months}
    for m, *values in session.execute(select(month, *counted).where(scope).group_by(month)):
        per_month[m] = finish(values, m)
    total = finish(session.execute(select(*counted).where(scope)).one(), None)

    ratings = dict.fromkeys(range(1, 6), 0)
    for value, n in session.execute(
        select(ServiceRequest.rating, func.count(ServiceRequest.id))
        .where(scope, ServiceRequest.rating.is_not(None))
        .group_by(ServiceRequest.rating)
    ):
        ratings[int(value)] = n

    people = list(
        session.execute(
            select(Talent.id, Talent.name, Talent.team, Talent.load_limit)
            .where(Talent.community_id.in_(community_ids), Talent.active)
            .order_by(Talent.id)
        )
    )
    loads = open_loads(session, [p.id for p in people])
    finished = dict(
        session.execute(
            select(ServiceRequest.talent_id, func.count(ServiceRequest.id))
            .where(scope, ServiceRequest.status.in_(rules.FINISHED_STATUSES))
            .group_by(ServiceRequest.talent_id)
        ).all()
    )
    load = sorted(
        (
            {"talent_id": p.id, "name": p.name, "team": p.team, "open": loads.get(p.id, 0), "limit": p.load_limit,
             "finished": finished.get(p.id, 0)}
            for p in people
        ),
        key=lambda r: (-r["open"] / max(r["limit"], 1), -r["open"], -r["finished"], r["talent_id"]),
    )  # fmt: skip

    gaps = [
        {"language": lang, "requests": n, "waiting": int(waiting or 0)}
        for lang, n, waiting in session.execute(
            select(
                ServiceRequest.language,
                func.count(ServiceRequest.id),
                one(ServiceRequest.status == "requested"),
            )
            .where(scope, ServiceRequest.language_gap.is_(True))
            .group_by(ServiceRequest.language)
            .order_by(func.count(ServiceRequest.id).desc(), ServiceRequest.language)
        )
    ]
    return {
        "first": first,
        "last": last,
        "months": months,
        "specialties": specialties,
        "by_specialty": by_specialty,
        "per_month": [{"month": m, **per_month[m]} for m in months],
        "total": total,
        "ratings": ratings,
        "load": load,
        "gaps": gaps,
    }
