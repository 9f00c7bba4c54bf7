"""Community-local wall clock (naive, Asia/Shanghai by default); see models.py on time storage."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

DEFAULT_TZ = "Asia/Shanghai"


def local_now(tz: str = DEFAULT_TZ) -> datetime:
    return datetime.now(ZoneInfo(tz)).replace(tzinfo=None, microsecond=0)


def to_local_naive(moment: datetime, tz: str = DEFAULT_TZ) -> datetime:
    """An aware datetime in community-local naive time; a naive one is taken as already local."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(ZoneInfo(tz)).replace(tzinfo=None)
