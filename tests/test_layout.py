"""The import direction of DESIGN.md section 2 holds: a test fails when it breaks."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST_PARTY = {
    "app",
    "pages",
    "components",
    "data_access",
    "jobs",
    "domain",
    "api",
    "auth",
    "i18n",
    "settings",
    "public",
    "logconfig",
}

# package -> first-party packages it may import (itself always allowed)
ALLOWED = {
    "domain": set(),
    "i18n": set(),
    "settings": set(),
    "logconfig": set(),  # log format for every process: nothing of ours, no web framework
    "components": {"domain", "i18n"},
    "data_access": {"domain", "settings"},
    "jobs": {"data_access", "domain", "settings", "logconfig"},
    "api": {"data_access", "domain", "settings", "i18n", "auth"},
    "auth": {"data_access", "domain", "settings", "i18n", "logconfig"},
    "pages": {"components", "data_access", "domain", "settings", "i18n", "auth"},
    "public": {"data_access", "domain", "i18n", "auth", "settings"},
    "app": FIRST_PARTY - {"app"},
}
# third-party packages a layer must not reach for
FORBIDDEN_THIRD_PARTY = {
    "components": {"sqlalchemy", "flask"},
    "data_access": {"dash", "dash_bootstrap_components", "dash_ag_grid", "plotly", "flask"},
    "domain": {"dash", "sqlalchemy", "flask", "plotly"},
    "jobs": {"dash", "flask"},
    "public": {"dash", "sqlalchemy"},
    "logconfig": {"dash", "flask", "sqlalchemy"},
}


def _modules():
    for path in sorted(ROOT.glob("*.py")) + sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", "tests", "bench", "migrations", "scripts"}:
            continue
        yield rel.parts[0].removesuffix(".py"), path


def _imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name.split(".")[0], node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module.split(".")[0], node.lineno


def test_every_layer_imports_only_what_design_allows():
    problems = []
    seen_packages = set()
    for package, path in _modules():
        if package not in ALLOWED:  # a new top-level package needs its place in the rules above
            problems.append(f"{path.relative_to(ROOT)}: package {package!r} has no import rule")
            continue
        seen_packages.add(package)
        for name, line in _imports(path):
            if name in FIRST_PARTY and name != package and name not in ALLOWED[package]:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
            if name in FORBIDDEN_THIRD_PARTY.get(package, set()):
                problems.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert {"app", "pages", "components", "data_access", "jobs", "domain", "api", "logconfig"} <= seen_packages
    assert problems == []


def test_nothing_imports_pages_or_app():
    problems = [
        f"{path.relative_to(ROOT)}:{line}"
        for package, path in _modules()
        if package not in ("app", "pages")
        for name, line in _imports(path)
        if name in ("pages", "app")
    ]
    assert problems == []


def test_checker_catches_a_broken_direction(tmp_path):
    """The checker itself sees a component reaching into data_access."""
    bad = tmp_path / "bad.py"
    bad.write_text("from data_access.db import reading\nimport sqlalchemy\n")
    names = {n for n, _ in _imports(bad)}
    assert "data_access" not in ALLOWED["components"] and "data_access" in names
    assert "sqlalchemy" in FORBIDDEN_THIRD_PARTY["components"] and "sqlalchemy" in names


def test_sql_lives_in_data_access_only():
    offenders = []
    for package, path in _modules():
        if package in ("data_access", "app"):
            continue
        if any(name == "sqlalchemy" for name, _ in _imports(path)):
            text = path.read_text(encoding="utf-8")
            if "select(" in text or "session.execute" in text or "text(" in text:
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []
