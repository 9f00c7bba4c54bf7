"""Narrowing a street or district user's page to one of their communities (the comparison view's
drill-down): the community code from the URL is checked against the caller's scope on the server."""

from __future__ import annotations

from dataclasses import replace

from auth.context import current_engine
from data_access.compare import community_by_code, community_list
from data_access.db import reading
from i18n import pick
from pages._context import PageContext


def community_choices(ctx: PageContext) -> list[tuple[str, str]]:
    """(code, name) of the caller's communities; empty for a caller who sees one community only."""
    if len(ctx.community_ids) < 2:
        return []
    with reading(current_engine()) as s:
        rows = community_list(s, ctx.community_ids)
    return [(r["code"], pick(ctx.lang, r["name_zh"], r["name_en"])) for r in rows]


def narrow(ctx: PageContext, code: object) -> tuple[PageContext, dict | None]:
    """(the context limited to community `code`, {code, name}) when the caller sees several communities
    and `code` is one of them; otherwise (ctx, None) unchanged."""
    if len(ctx.community_ids) < 2 or not isinstance(code, str) or not code:
        return ctx, None
    with reading(current_engine()) as s:
        found = community_by_code(s, ctx.community_ids, code)
        if found is None:
            return ctx, None
        row = community_list(s, [found])[0]
    one = {"id": found, "code": row["code"], "name": pick(ctx.lang, row["name_zh"], row["name_en"])}
    return replace(ctx, community_ids=[found]), one
