"""Strings of the public parking-permit pages: {key: (zh, en)}."""

from __future__ import annotations

PERMIT_MESSAGES: dict[str, tuple[str, str]] = {}
