"""Small hand-made stores for tests that need to know every row (the demo is a fixture too)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from data_access.db import writing
from data_access.models import Building, Category, Community, Estate, Event, EventAction, Grid, Street
from data_access.reference import seed_reference
from data_access.users import create_user
from domain.catalog import ROLES

NOW = datetime(2026, 11, 25, 10, 0)  # a Wednesday


def tiny_community(engine, code: str = "c1", now: datetime = NOW, with_users: bool = True) -> dict:
    """One street, one community with a grid, an estate and a building, and one user per role
    (username f"{code}_{role}", password "pw-" + role)."""
    with writing(engine) as s:
        seed_reference(s, now)
        street = s.scalar(select(Street).where(Street.code == "st1"))
        if street is None:
            street = Street(code="st1", name_zh="街道", name_en="Street", district_zh="区", district_en="District")
            s.add(street)
            s.flush()
        community = Community(
            code=code,
            street_id=street.id,
            name_zh=f"社区{code}",
            name_en=f"Community {code}",
            center_lat=30.2,
            center_lon=120.2,
        )
        s.add(community)
        s.flush()
        grid = Grid(community_id=community.id, code="G1", name_zh="第一网格", name_en="Grid 1")
        s.add(grid)
        s.flush()
        estate = Estate(
            community_id=community.id, grid_id=grid.id, code="e1", name_zh="小区一", name_en="Estate One",
            kind="residential", lat=30.2, lon=120.2,
        )  # fmt: skip
        s.add(estate)
        s.flush()
        building = Building(
            estate_id=estate.id, grid_id=grid.id, code="1", name_zh="1幢", name_en="Building 1", floors=18, units=2,
            lat=30.2, lon=120.2,
        )  # fmt: skip
        s.add(building)
        s.flush()
        users = {}
        if with_users:
            for role in ROLES:
                user = create_user(
                    s, f"{code}_{role}", "pw-" + role, role, now, display_name=f"{role}-{code}",
                    community_id=community.id, grid_id=grid.id if role in ("grid_worker", "grid_leader") else None,
                )  # fmt: skip
                users[role] = user.id
        return {"community_id": community.id, "grid_id": grid.id, "estate_id": estate.id, "building_id": building.id,
                "users": users}  # fmt: skip


def add_case(
    engine,
    place: dict,
    ref: str,
    reported_at: datetime,
    status: str = "reported",
    grade: str = "routine",
    category: str = "garbage",
    due_at: datetime | None = None,
    resolved_at: datetime | None = None,
    closed_at: datetime | None = None,
    escalation_count: int = 0,
    description: str = "楼下垃圾堆放",
) -> int:
    with writing(engine) as s:
        category_id = s.scalar(select(Category.id).where(Category.code == category))
        event = Event(
            tracking_code=f"T{ref}"[:16], community_id=place["community_id"], source="staff", source_ref=ref,
            category_id=category_id, grade=grade, description=description, estate_id=place["estate_id"],
            building_id=place["building_id"], grid_id=place["grid_id"], status=status, level=1,
            reported_at=reported_at, due_at=due_at or reported_at + timedelta(hours=4), resolved_at=resolved_at,
            closed_at=closed_at, escalation_count=escalation_count, updated_at=reported_at,
        )  # fmt: skip
        s.add(event)
        s.flush()
        s.add(
            EventAction(
                event_id=event.id, at=reported_at, actor_label="resident", action="report", to_status="reported",
                to_level=1, note=None,
            )
        )  # fmt: skip
        return event.id
