"""The app shell: a navbar built from the page registry, the language switch and the user menu."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from i18n import t


def navbar(
    pages: list[dict],
    lang: str,
    pathname: str,
    user_label: str | None,
    role: str | None,
    unread: int | None = None,
    csrf: str | None = None,
) -> dbc.Navbar:
    """`pages`: registry entries the caller may open, each with `path`, `nav_key`, `icon`. `csrf`: the
    session's token, which the logout form posts (a link would let any page log the user out)."""
    links = [
        dbc.NavItem(
            dbc.NavLink(
                [html.I(className=f"bi {p['icon']} me-1", **{"aria-hidden": "true"}), t(p["nav_key"], lang)],
                href=p["path"],
                active="exact" if p["path"] == "/" else "partial",
                id=f"nav-{p['nav_id']}",
            )
        )
        for p in pages
    ]
    other = "en" if lang == "zh" else "zh"
    right = [
        dbc.NavItem(
            dbc.NavLink(
                [html.I(className="bi bi-translate me-1", **{"aria-hidden": "true"}), t("nav.switch_language", lang)],
                href=f"/lang/{other}",
                external_link=True,
                id="nav-lang",
            )
        )
    ]
    if user_label and unread is not None:
        right.append(
            dbc.NavItem(
                dbc.NavLink(
                    [
                        html.I(className="bi bi-bell me-1", **{"aria-hidden": "true"}),
                        html.Span(t("inbox.nav_label", lang, n=unread), className="visually-hidden"),
                        dbc.Badge(str(unread), color="danger", pill=True, id="nav-unread") if unread else None,
                    ],
                    href="/inbox",
                    id="nav-inbox",
                )
            )
        )
    if user_label:
        right.append(
            dbc.NavItem(
                html.Span(
                    [
                        html.I(className="bi bi-person-circle me-1", **{"aria-hidden": "true"}),
                        user_label,
                        " · ",
                        t(f"role.{role}", lang),
                    ],
                    className="navbar-text me-3 align-self-center",
                    id="nav-user",
                )
            )
        )
        right.append(
            dbc.NavItem(
                html.Form(
                    [
                        dcc.Input(type="hidden", name="csrf_token", value=csrf or ""),
                        html.Button(
                            t("nav.logout", lang), type="submit", className="nav-link btn btn-link", id="nav-logout"
                        ),  # fmt: skip
                    ],
                    action="/logout",
                    method="POST",
                    className="d-flex",
                )
            )
        )
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(
                    [html.I(className="bi bi-speedometer2 me-2", **{"aria-hidden": "true"}), t("app.title", lang)],
                    href="/",
                ),
                dbc.NavbarToggler(id="nav-toggler"),
                dbc.Collapse(
                    [dbc.Nav(links, navbar=True, className="me-auto"), dbc.Nav(right, navbar=True)],
                    id="nav-collapse",
                    navbar=True,
                ),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        className="mb-3",
    )
