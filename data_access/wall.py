"""What the wall screen (/wall) shows: one function per piece of a view, each returning plain JSON data
(ISO strings for times) so a result can be cached and shared by every screen (data_access/view_cache.py).

Nothing here returns a person: no reporter, contact, handler, case text, plate or resident. A case is
its category, grade, place (estate and building), level and times; an alarm its device, type and
severity. The staff hotspots page reads the same functions and adds its links.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session

from data_access import closure
from data_access.compare import case_figures, module_figures
from data_access.devices import extinguishers_due, flood_stock
from data_access.estate_index import latest_month, month_results
from data_access.estate_index import trend as index_trend
from data_access.hotspots import HotspotFilter, estate_ids, kpis
from data_access.models import (
    Alarm,
    Building,
    CaseDailyRollup,
    Category,
    Community,
    Device,
    DeviceStatus,
    Estate,
    EstateIndex,
    Event,
    Grid,
    IndexMethod,
    ParkingLot,
    ParkingSample,
    Rectification,
)
from data_access.parking import current_shareable, lot_settings
from data_access.permits import permits_overview
from domain.catalog import DEVICE_KINDS, GRADES, OPEN_STATUSES, SOURCES
from domain.parking import window_open
from domain.wall import BASELINE_DAYS, BASELINE_WEEKS, is_spike, usual_level

FEED_SIZE = 12
TREND_ESTATES = 8
MARKER_CAP = 1500  # more open cases than this on one plan: the most severe and newest are drawn
ALERT_CAP = 5
FEED_SEVERITIES = ("critical", "major")  # minor and warning alarms (an extinguisher due) stay on the IoT view
GRADE_ORDER = {g: i for i, g in enumerate(GRADES)}
SEVERITY_ORDER = {"critical": 0, "major": 1, "minor": 2, "warning": 3}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _place(estate_zh, estate_en, building_zh, building_en) -> dict:  # noqa: ANN001
    return {"estate_zh": estate_zh, "estate_en": estate_en, "building_zh": building_zh, "building_en": building_en}


# --- hotspots: tiles ---------------------------------------------------------------------------------------


def tiles(session: Session, community_ids: list[int], now: datetime, flt: HotspotFilter | None = None) -> dict:
    """The seven tiles: new today, open, overdue, on-time closure this month (the hotspots page's
    definitions; of the cases a filter keeps, if any), shared parking spaces open now, red estates,
    active critical alarms (these three are the whole scope's: a case filter does not apply to them)."""
    figures = kpis(session, community_ids, now, flt)
    modules = module_figures(session, community_ids)
    red = modules["red_estates"]
    critical = modules["critical_alarms"]
    return {
        **figures,
        "parking": parking_open_now(session, community_ids, now),
        "red_estates": None if red is None else sum(v["red"] for v in red.values()),
        "red_month": None if red is None else next((v["month"] for v in red.values()), None),
        "critical_alarms": None if critical is None else sum(critical.values()),
    }


def parking_open_now(session: Session, community_ids: list[int], now: datetime) -> dict | None:
    """Shared spaces in the windows open at `now` (lots whose last result is published), and the
    permits granted on those lots. None when no lot in scope has ever published."""
    results = current_shareable(session, community_ids)
    if not results:
        return None
    lots = {
        lot.id: lot
        for lot in session.scalars(select(ParkingLot).where(ParkingLot.id.in_([r["lot_id"] for r in results])))
    }
    overview = {row["lot_id"]: row for row in permits_overview(session, community_ids)["lots"]}
    spaces = granted = 0
    windows = set()
    for row in results:
        lot = lots[row["lot_id"]]
        if row["status"] != "published" or not window_open(now, lot_settings(lot)):
            continue
        spaces += row["shareable"] or 0
        granted += overview.get(lot.id, {}).get("granted", 0)
        windows.add(row["window"])
    return {"spaces": spaces, "granted": granted, "windows": sorted(windows)}


# --- hotspots: the feed ----------------------------------------------------------------------------------


def feed(
    session: Session, community_ids: list[int], limit: int = FEED_SIZE, flt: HotspotFilter | None = None
) -> list[dict]:
    """The latest cases and critical or major alarms, newest first. Each item has a stable `key` (the wall patches its
    list by it), a kind, a time, a grade or severity, what and where. A filter (the staff page's) keeps the
    cases it matches, and the alarms only when it names no category or grade (an alarm has neither)."""
    flt = flt.validated() if flt else HotspotFilter()
    cases = session.execute(
        select(Event.id, Event.reported_at, Event.grade, Event.status, Event.level, Event.source, Category.code,
               Category.name_zh, Category.name_en, Estate.name_zh, Estate.name_en, Building.name_zh, Building.name_en)
        .join(Category, Category.id == Event.category_id)
        .outerjoin(Estate, Estate.id == Event.estate_id)
        .outerjoin(Building, Building.id == Event.building_id)
        .where(Event.community_id.in_(community_ids), *flt.case_conditions(community_ids))
        .order_by(Event.reported_at.desc(), Event.id.desc())
        .limit(limit)
    ).all()  # fmt: skip
    alarm_query = (
        select(Alarm.id, Alarm.raised_at, Alarm.severity, Alarm.status, Alarm.acknowledged, Alarm.alarm_type,
               Device.kind, Estate.name_zh, Estate.name_en, Building.name_zh, Building.name_en, Device.id)
        .join(Device, Device.id == Alarm.device_id)
        .join(Estate, Estate.id == Device.estate_id)
        .outerjoin(Building, Building.id == Device.building_id)
        .where(Estate.community_id.in_(community_ids), Alarm.severity.in_(FEED_SEVERITIES))
        .order_by(Alarm.raised_at.desc(), Alarm.id.desc())
        .limit(limit)
    )  # fmt: skip
    if flt.estate:
        alarm_query = alarm_query.where(Device.estate_id.in_(estate_ids(community_ids, flt.estate)))
    alarms = [] if flt.on_cases_only else session.execute(alarm_query).all()
    items = [
        {"key": f"c{cid}", "kind": "case", "id": cid, "at": _iso(at), "grade": grade, "status": status,
         "level": level, "source": source, "category": code, "category_zh": czh, "category_en": cen,
         **_place(ezh, een, bzh, ben)}
        for cid, at, grade, status, level, source, code, czh, cen, ezh, een, bzh, ben in cases
    ] + [
        {"key": f"a{aid}", "kind": "alarm", "id": aid, "at": _iso(at), "severity": severity, "status": status,
         "acknowledged": bool(acked), "alarm_type": alarm_type, "device_kind": kind, "device": device_id,
         **_place(ezh, een, bzh, ben)}
        for aid, at, severity, status, acked, alarm_type, kind, ezh, een, bzh, ben, device_id in alarms
    ]  # fmt: skip
    items.sort(key=lambda item: (item["at"], item["key"]), reverse=True)
    return items[:limit]


# --- hotspots: the site plan ---------------------------------------------------------------------------------


def plan_outlines(session: Session, community_ids: list[int]) -> dict:
    """The drawn site plan: grid and estate outlines (GeoJSON rings, lon/lat) and estate labels. It
    changes only when an administrator edits the map, so the wall sends it once per page load."""
    grids = [
        {"code": code, "name_zh": zh, "name_en": en, "ring": _ring(polygon)}
        for code, zh, en, polygon in session.execute(
            select(Grid.code, Grid.name_zh, Grid.name_en, Grid.polygon)
            .where(Grid.community_id.in_(community_ids), Grid.polygon.is_not(None))
            .order_by(Grid.id)
        )
    ]
    estates = [
        {"code": code, "name_zh": zh, "name_en": en, "kind": kind, "lat": lat, "lon": lon, "ring": _ring(polygon)}
        for code, zh, en, kind, lat, lon, polygon in session.execute(
            select(Estate.code, Estate.name_zh, Estate.name_en, Estate.kind, Estate.lat, Estate.lon, Estate.polygon)
            .where(Estate.community_id.in_(community_ids))
            .order_by(Estate.id)
        )
    ]
    return {"grids": [g for g in grids if g["ring"]], "estates": estates}


def _ring(polygon: dict | None) -> list[list[float]]:
    if not polygon or polygon.get("type") != "Polygon" or not polygon.get("coordinates"):
        return []
    return [[round(p[0], 6), round(p[1], 6)] for p in polygon["coordinates"][0] if len(p) >= 2]


def plan_markers(session: Session, community_ids: list[int], flt: HotspotFilter | None = None) -> list[dict]:
    """Every open case with a place (that the filter, if any, keeps): its own point, else its building's,
    else its estate's. Most severe and newest first, at most MARKER_CAP."""
    lat = func.coalesce(Event.lat, Building.lat, Estate.lat)
    lon = func.coalesce(Event.lon, Building.lon, Estate.lon)
    severity = case({g: i for i, g in enumerate(GRADES)}, value=Event.grade, else_=len(GRADES))
    rows = session.execute(
        select(Event.id, Event.grade, Event.status, Category.code, lat, lon)
        .join(Category, Category.id == Event.category_id)
        .outerjoin(Estate, Estate.id == Event.estate_id)
        .outerjoin(Building, Building.id == Event.building_id)
        .where(
            Event.community_id.in_(community_ids),
            Event.status.in_(OPEN_STATUSES),
            lat.is_not(None),
            *(flt.case_conditions(community_ids) if flt else ()),
        )
        .order_by(severity, Event.reported_at.desc(), Event.id.desc())
        .limit(MARKER_CAP)
    )
    return [
        {
            "id": cid,
            "grade": grade,
            "status": status,
            "category": code,
            "lat": round(y, 6),
            "lon": round(x, 6),
        }
        for cid, grade, status, code, y, x in rows
    ]


# --- hotspots: the trend per category ----------------------------------------------------------------------------


def category_trend(session: Session, community_ids: list[int], now: datetime, flt: HotspotFilter | None = None) -> dict:
    """Per category: reported cases in each of the last 24 hours, the 24 h and 7 day totals, their
    usual levels (the mean of the same window over the previous 28 days / 4 weeks, from the daily
    rollups) and whether each is a spike (domain/wall.py). Categories with no case in the baseline
    or the windows are left out. Under a filter (the staff page's) only its cases count; a grade or an
    estate, which the rollups do not keep, is counted from the cases themselves."""
    flt = flt.validated() if flt else HotspotFilter()
    conditions = (Event.community_id.in_(community_ids), *flt.case_conditions(community_ids))
    hour = now.replace(minute=0, second=0, microsecond=0)
    first_hour = hour - timedelta(hours=23)
    hourly: dict[int, list[int]] = {}
    for category_id, at in session.execute(
        select(Event.category_id, Event.reported_at).where(
            *conditions, Event.reported_at >= first_hour, Event.reported_at <= now
        )
    ):
        slot = int((at - first_hour).total_seconds() // 3600)
        if 0 <= slot < 24:
            hourly.setdefault(category_id, [0] * 24)[slot] += 1
    today = now.date()
    since = today - timedelta(days=7 * (BASELINE_WEEKS + 1) + BASELINE_DAYS)
    daily: dict[int, dict] = {}
    if flt.grade or flt.estate:
        start = datetime.combine(since, datetime.min.time())
        for category_id, at in session.execute(
            select(Event.category_id, Event.reported_at).where(*conditions, Event.reported_at >= start)
        ):
            per_day = daily.setdefault(category_id, {})
            per_day[at.date()] = per_day.get(at.date(), 0) + 1
    else:
        for category_id, day, opened in session.execute(
            select(CaseDailyRollup.category_id, CaseDailyRollup.day, func.sum(CaseDailyRollup.opened))
            .where(CaseDailyRollup.community_id.in_(community_ids), CaseDailyRollup.day >= since)
            .group_by(CaseDailyRollup.category_id, CaseDailyRollup.day)
        ):
            daily.setdefault(category_id, {})[day] = int(opened or 0)
    category_query = select(Category.id, Category.code, Category.name_zh, Category.name_en)
    if flt.category:
        category_query = category_query.where(Category.code == flt.category)
    categories = session.execute(category_query).all()
    out = []
    for category_id, code, zh, en in sorted(categories):
        hours = hourly.get(category_id, [0] * 24)
        days = daily.get(category_id, {})
        day_total = sum(hours)
        day_history = [days.get(today - timedelta(days=d), 0) for d in range(1, BASELINE_DAYS + 1)]
        week_total = sum(days.get(today - timedelta(days=d), 0) for d in range(7))
        week_history = [
            sum(days.get(today - timedelta(days=7 * w + d), 0) for d in range(7)) for w in range(1, BASELINE_WEEKS + 1)
        ]
        if not day_total and not week_total and not any(day_history):
            continue
        out.append({
            "category": code, "name_zh": zh, "name_en": en, "hourly": hours,
            "day": day_total, "day_usual": round(usual_level(day_history), 1), "day_spike": is_spike(day_total, day_history),
            "week": week_total, "week_usual": round(usual_level(week_history), 1),
            "week_spike": is_spike(week_total, week_history),
        })  # fmt: skip
    out.sort(key=lambda r: (-(r["day_spike"] or r["week_spike"]), -r["day"], -r["week"], r["category"]))
    return {"first_hour": _iso(first_hour), "categories": out}


# --- the governance loop ----------------------------------------------------------------------------------------


def governance_loop(session: Session, community_ids: list[int], now: datetime) -> dict:
    """This month's closed loop (due, closed, on time, resolved, reopened and their rates), the cases
    being worked per level (and how many of them are overdue), this month's cases per source, and a
    ranking of the grids (one community) or of the communities (several) by overdue cases."""
    month = closure.month_label(now)
    per_community = case_figures(session, community_ids, month, month, now)
    totals = {
        k: sum(f[k] for f in per_community.values()) for k in ("due", "closed", "on_time", "resolved", "reopened")
    }
    totals["closed_rate"] = totals["closed"] / totals["due"] if totals["due"] else None
    totals["on_time_rate"] = totals["on_time"] / totals["due"] if totals["due"] else None
    totals["rework_rate"] = totals["reopened"] / totals["resolved"] if totals["resolved"] else None
    in_scope = Event.community_id.in_(community_ids)
    levels = {lvl: {"level": lvl, "open": 0, "overdue": 0} for lvl in (1, 2, 3, 4)}
    for level, open_count, overdue_count in session.execute(
        select(Event.level, func.count(), func.count(case((closure.overdue(now), 1))))
        .where(in_scope, Event.status.in_(closure.ACTIVE_WORK))
        .group_by(Event.level)
    ):
        levels[level] = {"level": level, "open": open_count, "overdue": overdue_count}
    first, _after = closure.month_bounds(month)
    sources = dict.fromkeys(SOURCES, 0)
    for source, n in session.execute(
        select(Event.source, func.count()).where(in_scope, Event.reported_at >= first).group_by(Event.source)
    ):
        sources[source] = n
    return {
        "month": month,
        "totals": totals,
        "levels": [levels[k] for k in sorted(levels)],
        "sources": sources,
        "units": _units(session, community_ids, per_community, now),
    }


def _units(session: Session, community_ids: list[int], per_community: dict, now: datetime) -> dict:
    if len(community_ids) > 1:
        names = {
            cid: (zh, en)
            for cid, zh, en in session.execute(
                select(Community.id, Community.name_zh, Community.name_en).where(Community.id.in_(community_ids))
            )
        }
        rows = [
            {"name_zh": names[cid][0], "name_en": names[cid][1], "open": f["open"], "overdue": f["overdue"],
             "on_time_rate": f["on_time_rate"]}
            for cid, f in per_community.items() if cid in names
        ]  # fmt: skip
        kind = "community"
    else:
        rows = [
            {"name_zh": zh, "name_en": en, "open": n_open, "overdue": n_overdue, "on_time_rate": None}
            for zh, en, n_open, n_overdue in session.execute(
                select(Grid.name_zh, Grid.name_en, func.count(Event.id), func.count(case((closure.overdue(now), 1))))
                .join(Event, and_(Event.grid_id == Grid.id, Event.status.in_(closure.ACTIVE_WORK)), isouter=True)
                .where(Grid.community_id.in_(community_ids))
                .group_by(Grid.id, Grid.name_zh, Grid.name_en)
            )
        ]
        kind = "grid"
    rows.sort(key=lambda r: (-r["overdue"], -r["open"], r["name_en"]))
    return {"kind": kind, "rows": rows[:12]}


# --- parking ---------------------------------------------------------------------------------------------


def parking(session: Session, community_ids: list[int], now: datetime) -> dict:
    """Per lot: capacity, the latest count, its window and whether it is open now, the shareable
    spaces last published (or why none), permits granted; the day and night totals."""
    results = {r["lot_id"]: r for r in current_shareable(session, community_ids)}
    permits = permits_overview(session, community_ids)
    granted = {row["lot_id"]: row["granted"] for row in permits["lots"]}
    latest = (
        select(ParkingSample.occupied)
        .where(ParkingSample.lot_id == ParkingLot.id)
        .order_by(ParkingSample.sampled_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    latest_at = (
        select(ParkingSample.sampled_at)
        .where(ParkingSample.lot_id == ParkingLot.id)
        .order_by(ParkingSample.sampled_at.desc())
        .limit(1)
        .scalar_subquery()
    )
    lots = []
    lots_by_id: dict[int, ParkingLot] = {}
    totals = {"day": 0, "night": 0}
    for lot, occupied, at in session.execute(
        select(ParkingLot, latest, latest_at)
        .join(Estate, Estate.id == ParkingLot.estate_id)
        .where(Estate.community_id.in_(community_ids))
        .order_by(ParkingLot.share_window, ParkingLot.code)
    ):
        lots_by_id[lot.id] = lot
        result = results.get(lot.id)
        published = result is not None and result["status"] == "published"
        if published and lot.share_window in totals:
            totals[lot.share_window] += result["shareable"] or 0
        lots.append({
            "lot": lot.code, "name_zh": lot.name_zh, "name_en": lot.name_en, "window": lot.share_window,
            "window_start": lot.window_start, "window_end": lot.window_end, "capacity": lot.capacity,
            "occupied": None if occupied is None else min(int(occupied), lot.capacity), "sampled_at": _iso(at),
            "open_now": window_open(now, lot_settings(lot)),
            "shareable": result["shareable"] if published else None,
            "reason": None if published or result is None else result["reason"],
            "granted": granted.get(lot.id, 0),
        })  # fmt: skip
    return {
        "lots": lots,
        "tide": _tide(session, lots_by_id, now),
        "totals": totals,
        "waiting": {w: v["waitlisted"] + v["pending"] for w, v in permits["windows"].items()},
        "granted": {w: v["granted"] for w, v in permits["windows"].items()},
    }


def _tide(session: Session, lots: dict[int, ParkingLot], now: datetime) -> dict:
    """Per 15-minute sample time of the last 24 h: the share of spaces taken in the lots that share by
    day (residential) and in those that share by night (office parks). Summed in SQL per window kind;
    the lot ids in the condition keep each engine on the (lot, time) index."""
    since = now - timedelta(hours=24)
    capacity = {"day": 0, "night": 0}
    for lot in lots.values():
        if lot.share_window in capacity:
            capacity[lot.share_window] += lot.capacity
    series: dict[str, dict[str, float]] = {"day": {}, "night": {}}
    for window in series:
        ids = [i for i, lot in lots.items() if lot.share_window == window]
        if not ids or not capacity[window]:
            continue
        for at, occupied, reporting in session.execute(
            select(ParkingSample.sampled_at, func.sum(ParkingSample.occupied), func.count())
            .where(ParkingSample.lot_id.in_(ids), ParkingSample.sampled_at >= since, ParkingSample.sampled_at <= now)
            .group_by(ParkingSample.sampled_at)
            .order_by(ParkingSample.sampled_at)
        ):
            if reporting == len(ids):  # a moment some counter missed would draw a false dip
                series[window][_iso(at)] = round(min(1.0, float(occupied or 0) / capacity[window]), 3)
    times = sorted(set(series["day"]) | set(series["night"]))
    return {
        "times": times,
        "day": [series["day"].get(x) for x in times],
        "night": [series["night"].get(x) for x in times],
    }


# --- the estate index ---------------------------------------------------------------------------------------


def estate_index(session: Session, community_ids: list[int]) -> dict | None:
    """The latest month's ranking (active method): value, level, rank and rank interval, coverage and
    the low-turnout mark; and the rectification cases still open. None before any month is computed."""
    version = session.scalar(select(IndexMethod.version).where(IndexMethod.active.is_(True)).limit(1))
    if version is None:
        return None
    # the latest month in which some estate was rated (a month being re-run early may rate nobody yet)
    month = session.scalar(
        select(func.max(EstateIndex.month))
        .join(Estate, Estate.id == EstateIndex.estate_id)
        .where(Estate.community_id.in_(community_ids), EstateIndex.method_version == version,
               EstateIndex.rank.is_not(None))
    ) or latest_month(session, community_ids, version)  # fmt: skip
    if month is None:
        return None
    rows = month_results(session, community_ids, month, version)
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, -(r["value"] or 0), r["estate"]))
    open_cases = dict(
        session.execute(
            select(Rectification.estate_id, func.count())
            .join(Estate, Estate.id == Rectification.estate_id)
            .where(Estate.community_id.in_(community_ids), Rectification.status == "open")
            .group_by(Rectification.estate_id)
        ).all()
    )
    return {
        "month": month,
        "version": version,
        "estates": [
            {
                "estate": r["estate"],
                "name_zh": r["estate_zh"],
                "name_en": r["estate_en"],
                "community_zh": r.get("community_zh") if len(community_ids) > 1 else None,
                "community_en": r.get("community_en") if len(community_ids) > 1 else None,
                "value": None if r["value"] is None else round(r["value"], 1),
                "level": r["level"],
                "rank": r["rank"],
                "rank_low": r["rank_low"],
                "rank_high": r["rank_high"],
                "coverage": round(r["coverage"], 2),
                "low_turnout": bool(r["low_turnout"]),
                "open_rectification": open_cases.get(r["estate_id"], 0),
            }
            for r in rows
        ],  # fmt: skip
        "levels": {level: sum(1 for r in rows if r["level"] == level) for level in ("green", "yellow", "red")},
        "open_rectifications": sum(open_cases.values()),
        "trend": _index_trend(session, community_ids, version, month, len(rows)),
    }


def _index_trend(session: Session, community_ids: list[int], version: str, month: str, estates: int) -> list[dict]:
    """Twelve months of each estate's value, for a wall that shows few estates (a district's dozens of
    lines would be unreadable: it shows the ranking only)."""
    if estates > TREND_ESTATES:
        return []
    first = closure.add_months(month, -11)
    return [
        {"estate": r["estate"], "name_zh": r["estate_zh"], "name_en": r["estate_en"], "month": r["month"],
         "value": None if r["value"] is None else round(r["value"], 1)}
        for r in index_trend(session, community_ids, version, first, month)
    ]  # fmt: skip


# --- safety and IoT ---------------------------------------------------------------------------------------------


def iot(
    session: Session,
    community_ids: list[int],
    now: datetime,
    season: tuple[str, str],
    prep_days: int,
    alarm_limit: int = 10,
) -> dict:
    """Devices per kind and state (normal / alarm / silent, as the devices page counts them), the active
    alarms (most severe, newest first), extinguishers due within 30 days, flood stock short of what it
    must hold now."""
    in_scope = and_(Estate.id == Device.estate_id, Estate.community_id.in_(community_ids))
    active = and_(Alarm.device_id == Device.id, Alarm.status == "active")
    silent = exists().where(active, Alarm.alarm_type == "silent")
    other = exists().where(active, Alarm.alarm_type != "silent")
    reported = exists().where(DeviceStatus.device_id == Device.id)
    state = case((silent, "silent"), (other, "alarm"), (reported, "normal"), else_="silent")
    counts = {kind: {"normal": 0, "alarm": 0, "silent": 0} for kind in DEVICE_KINDS}
    for kind, device_state, n in session.execute(
        select(Device.kind, state, func.count())
        .join(Estate, in_scope)
        .where(Device.active.is_(True))
        .group_by(Device.kind, state)
    ):
        counts.setdefault(kind, {"normal": 0, "alarm": 0, "silent": 0})[device_state] = n
    severity = case(SEVERITY_ORDER, value=Alarm.severity, else_=9)
    alarm_rows = session.execute(
        select(Alarm.id, Alarm.alarm_type, Alarm.severity, Alarm.acknowledged, Alarm.raised_at, Alarm.repeat_count,
               Device.kind, Estate.name_zh, Estate.name_en, Building.name_zh, Building.name_en)
        .join(Device, Device.id == Alarm.device_id)
        .join(Estate, in_scope)
        .outerjoin(Building, Building.id == Device.building_id)
        .where(Alarm.status == "active")
        .order_by(severity, Alarm.raised_at.desc(), Alarm.id.desc())
        .limit(alarm_limit)
    ).all()  # fmt: skip
    by_severity = dict.fromkeys(SEVERITY_ORDER, 0)
    for sev, n in session.execute(
        select(Alarm.severity, func.count())
        .join(Device, Device.id == Alarm.device_id)
        .join(Estate, in_scope)
        .where(Alarm.status == "active")
        .group_by(Alarm.severity)
    ):
        by_severity[sev] = n
    return {
        "devices": counts,
        "alarms": [
            {
                "id": aid,
                "alarm_type": kind_,
                "severity": sev,
                "acknowledged": bool(acked),
                "raised_at": _iso(at),
                "repeats": repeats,
                "device_kind": dkind,
                **_place(ezh, een, bzh, ben),
            }
            for aid, kind_, sev, acked, at, repeats, dkind, ezh, een, bzh, ben in alarm_rows
        ],  # fmt: skip
        "alarms_by_severity": by_severity,
        "extinguishers": _extinguishers(extinguishers_due(session, community_ids, now.date())),
        "flood": _flood(flood_stock(session, community_ids, now.date(), season, prep_days)),
    }


def _extinguishers(rows: list[dict]) -> dict:
    return {"expired": sum(1 for r in rows if r["days_left"] < 0), "due": sum(1 for r in rows if r["days_left"] >= 0)}


def _flood(rows: list[dict]) -> dict:
    """Stores short of what they must hold now (before the season: the pre-season quantity)."""
    short = [
        {"name_zh": r["name_zh"], "name_en": r["name_en"], "estate_zh": r["estate_zh"], "estate_en": r["estate_en"],
         "item": r["item"], "quantity": r["quantity"], "required": r["required_now"], "phase": r["phase"]}
        for r in rows
        if r["required_now"] and (r["quantity"] is None or r["quantity"] < r["required_now"])
    ]  # fmt: skip
    phase = rows[0]["phase"] if rows else None
    return {"stores": len(rows), "short": short, "phase": phase}


def _safe_cues(cues: list | None) -> list[str]:
    """The grader's cues are lexicon words cut from the report; keep the short ones with no digit or
    address sign in them, so a number or an e-mail address typed next to a cue never reaches the wall."""
    keep = []
    for cue in cues or []:
        text = str(cue).strip()
        if text and len(text) <= 16 and not any(ch.isdigit() or ch in "@+" for ch in text):
            keep.append(text)
    return keep[:4]


# --- pop-ups -------------------------------------------------------------------------------------------------


def alerts(session: Session, community_ids: list[int], now: datetime, minutes: int) -> list[dict]:
    """What pops up on the wall: urgent cases nobody has accepted yet and active critical alarms nobody
    has acknowledged, stored within the last `minutes`; newest first."""
    since = now - timedelta(minutes=minutes)
    cases = session.execute(
        select(Event.id, Event.reported_at, Event.level, Event.source, Event.grade_cues, Category.code,
               Category.name_zh, Category.name_en, Estate.name_zh, Estate.name_en, Building.name_zh, Building.name_en)
        .join(Category, Category.id == Event.category_id)
        .outerjoin(Estate, Estate.id == Event.estate_id)
        .outerjoin(Building, Building.id == Event.building_id)
        .where(Event.community_id.in_(community_ids), Event.grade == "urgent", Event.status == "reported",
               Event.reported_at >= since)
        .order_by(Event.reported_at.desc(), Event.id.desc())
        .limit(ALERT_CAP)
    ).all()  # fmt: skip
    alarms = session.execute(
        select(Alarm.id, Alarm.raised_at, Alarm.alarm_type, Device.kind, Estate.name_zh, Estate.name_en,
               Building.name_zh, Building.name_en)
        .join(Device, Device.id == Alarm.device_id)
        .join(Estate, Estate.id == Device.estate_id)
        .outerjoin(Building, Building.id == Device.building_id)
        .where(Estate.community_id.in_(community_ids), Alarm.status == "active", Alarm.severity == "critical",
               Alarm.acknowledged.is_(False), Alarm.raised_at >= since)
        .order_by(Alarm.raised_at.desc(), Alarm.id.desc())
        .limit(ALERT_CAP)
    ).all()  # fmt: skip
    items = [
        {"key": f"c{cid}", "kind": "case", "at": _iso(at), "level": level, "source": source,
         "cues": _safe_cues(cues), "category": code, "category_zh": czh, "category_en": cen,
         **_place(ezh, een, bzh, ben)}
        for cid, at, level, source, cues, code, czh, cen, ezh, een, bzh, ben in cases
    ] + [
        {"key": f"a{aid}", "kind": "alarm", "at": _iso(at), "alarm_type": alarm_type, "device_kind": kind,
         **_place(ezh, een, bzh, ben)}
        for aid, at, alarm_type, kind, ezh, een, bzh, ben in alarms
    ]  # fmt: skip
    items.sort(key=lambda item: (item["at"], item["key"]), reverse=True)
    return items[:ALERT_CAP]
