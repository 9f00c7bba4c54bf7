"""Rendering for the residents' public pages: the template gets the caller's language and the
translation helpers, so every visible string goes through i18n."""

from __future__ import annotations

from flask import render_template, request

from auth.context import current_lang
from i18n import HTML_LANG, pick, t


def public_page(template: str, status: int = 200, **context):  # noqa: ANN201 - a Flask (body, status) pair
    lang = current_lang()
    context.setdefault("here", request.full_path.rstrip("?") if request.method == "GET" else request.path)
    context.setdefault("fmt", lambda at: at.strftime("%Y-%m-%d %H:%M") if at else "")
    html = render_template(
        template,
        lang=lang,
        html_lang=HTML_LANG[lang],
        t=lambda key, **kw: t(key, lang, **kw),
        pick=lambda zh, en: pick(lang, zh, en),
        other_lang="en" if lang == "zh" else "zh",
        **context,
    )
    return html, status
