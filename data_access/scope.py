"""Which communities a caller may see. Every query takes the resulting ids and filters by them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from data_access.models import Community, User


def community_ids_for(session: Session, user_id: int) -> list[int]:
    user = session.get(User, user_id)
    if user is None or not user.active:
        return []
    if user.scope_kind == "district":
        return list(session.scalars(select(Community.id).order_by(Community.id)))
    if user.scope_kind == "street" and user.street_id is not None:
        return list(session.scalars(select(Community.id).where(Community.street_id == user.street_id)))
    return [user.community_id] if user.community_id is not None else []


def community_names(session: Session, community_ids: list[int]) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Community.name_zh, Community.name_en).where(Community.id.in_(community_ids)).order_by(Community.id)
    )
    return [(zh, en) for zh, en in rows]


def all_community_ids(session: Session) -> list[int]:
    """Every community: the scope of a wall token issued without one."""
    return list(session.scalars(select(Community.id).order_by(Community.id)))
