"""The page queries on the demo community, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from sqlalchemy import func, select

from data_access.cases import GRID_ROW_LIMIT, CaseFilter, case_detail, case_rows, filter_options
from data_access.db import reading
from data_access.hotspots import kpis, latest_cases
from data_access.models import Community, Event, Resident
from data_access.population import age_sex, foreign_by_country, households_per_estate, population_totals
from data_access.talent import talent_by_specialty, talent_list
from tests.conftest import DEMO_AS_OF


def _scope(session) -> list[int]:
    return [session.scalar(select(Community.id).where(Community.code == "dongxin"))]


def test_population_figures_add_up(demo_engine):
    with reading(demo_engine) as s:
        ids = _scope(s)
        totals = population_totals(s, ids)
        pyramid = age_sex(s, ids, DEMO_AS_OF.year)
        households = households_per_estate(s, ids)
        foreign = foreign_by_country(s, ids)
        residents = s.scalar(select(func.count(Resident.id)))
    assert totals["residents"] == residents == sum(r["count"] for r in pyramid)
    assert totals["households"] == sum(r["households"] for r in households) == 3000
    assert [r["code"] for r in households] == sorted(
        (r["code"] for r in households), key=lambda c: -next(h["households"] for h in households if h["code"] == c)
    )
    assert totals["countries"] == len(foreign) == 38 and totals["foreign"] == sum(r["residents"] for r in foreign)
    assert foreign[0]["residents"] >= foreign[-1]["residents"]
    assert {r["band"] for r in pyramid} == {"0-14", "15-29", "30-44", "45-59", "60-74", "75+"}
    assert sum(r["count"] for r in pyramid if r["band"] in ("60-74", "75+")) > 0.1 * residents
    assert age_sex(s, [], DEMO_AS_OF.year) == [] or all(r["count"] == 0 for r in age_sex(s, [], DEMO_AS_OF.year))


def test_case_grid_filters_narrow_and_agree_with_the_kpis(demo_engine):
    with reading(demo_engine) as s:
        ids = _scope(s)
        figures = kpis(s, ids, DEMO_AS_OF)
        everything = case_rows(s, ids, CaseFilter(), DEMO_AS_OF)
        open_rows = case_rows(s, ids, CaseFilter(status="open"), DEMO_AS_OF)
        overdue = case_rows(s, ids, CaseFilter(overdue_only=True), DEMO_AS_OF)
        urgent = case_rows(s, ids, CaseFilter(grade="urgent"), DEMO_AS_OF)
        parking = case_rows(s, ids, CaseFilter(category="illegal_parking", source="camera_car"), DEMO_AS_OF)
        today = case_rows(s, ids, CaseFilter(period="today"), DEMO_AS_OF)
        week = case_rows(s, ids, CaseFilter(period="7d"), DEMO_AS_OF)
        crafted = case_rows(
            s, ids, CaseFilter(status="'; DROP TABLE event; --", grade="x", period="forever"), DEMO_AS_OF
        )
        options = filter_options(s, ids)
        total = s.scalar(select(func.count(Event.id)))
    assert len(everything) == min(total, GRID_ROW_LIMIT)
    assert len(open_rows) == figures["open"] and len(overdue) == figures["overdue"] > 0
    assert all(r["overdue"] for r in overdue)
    assert urgent and all(r["grade"] == "urgent" for r in urgent)
    assert parking and all(r["category"] == "illegal_parking" and r["source"] == "camera_car" for r in parking)
    assert len(today) == figures["new_today"] > 0 and len(week) > len(today)
    assert all(r["reported_at"].date() == DEMO_AS_OF.date() for r in today)
    assert len(crafted) == len(everything)  # unknown values are ignored, never run as SQL
    assert len(options["categories"]) == 15 and len(options["grids"]) == 6
    assert everything[0]["reported_at"] >= everything[-1]["reported_at"]


def test_case_detail_has_an_ordered_trail_and_respects_scope(demo_engine):
    with reading(demo_engine) as s:
        ids = _scope(s)
        latest = latest_cases(s, ids, limit=50)
        escalated = s.scalar(select(Event.id).where(Event.level == 4).limit(1))
        detail = case_detail(s, ids, escalated)
        outside = case_detail(s, [ids[0] + 999], escalated)
    assert len(latest) == 50
    assert detail["level"] == 4 and detail["trail"][0]["action"] == "report"
    times = [step["at"] for step in detail["trail"]]
    assert times == sorted(times)
    assert any(step["action"] in ("escalate", "push_up") for step in detail["trail"])
    assert outside is None


def test_talent_library_by_specialty(demo_engine):
    with reading(demo_engine) as s:
        ids = _scope(s)
        by_specialty = talent_by_specialty(s, ids)
        people = talent_list(s, ids)
    assert len(by_specialty) == 6 and all(r["people"] > 0 for r in by_specialty)
    legal = next(r for r in by_specialty if r["code"] == "legal")
    assert "en" in legal["languages"]
    assert sum(r["people"] for r in by_specialty) >= len(people) >= 50
    assert all("contact" not in p for p in people)
