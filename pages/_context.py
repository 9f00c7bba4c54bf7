"""What a page layout or callback knows about its request: caller, language, scope, clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auth.context import current_config, current_engine, current_lang, current_user
from data_access.clock import local_now
from data_access.db import reading
from data_access.scope import community_ids_for
from data_access.users import SessionUser


@dataclass(frozen=True)
class PageContext:
    user: SessionUser
    lang: str
    now: datetime
    community_ids: list[int]


def page_context() -> PageContext:
    """Only called behind the login guard and a role check, so a user is present."""
    user = current_user()
    with reading(current_engine()) as s:
        ids = community_ids_for(s, user.id)
    return PageContext(user=user, lang=current_lang(), now=local_now(current_config()["timezone"]), community_ids=ids)
