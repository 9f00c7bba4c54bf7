"""Shared fixtures: migrated stores on SQLite and PostgreSQL, built once and copied per test."""

from __future__ import annotations

import os
import shutil
import sys
import uuid
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from data_access.db import make_engine  # noqa: E402
from data_access.migrate import upgrade_to_head  # noqa: E402

PG_ENV = "COCKPIT_TEST_PG_URL"  # an admin URL of a throwaway server, set by `make test`


def _pg_admin_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url and os.environ.get("CI"):
        pytest.fail(f"{PG_ENV} is not set: `make test` starts a PostgreSQL cluster for the data-access tests")
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> str | None:
    admin = _pg_admin_url()
    if not admin:
        yield None
        return
    name = f"cockpit_tpl_{uuid.uuid4().hex[:8]}"
    admin_engine = create_engine(make_url(admin), isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin).set(database=name)
    engine = make_engine(url.render_as_string(hide_password=False))
    upgrade_to_head(engine)
    engine.dispose()
    yield name
    with admin_engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


def _fresh_sqlite(template: Path, tmp_path: Path) -> str:
    target = tmp_path / "cockpit.db"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def _fresh_pg(template: str) -> tuple[str, callable]:
    admin = make_url(_pg_admin_url())
    name = f"cockpit_t_{uuid.uuid4().hex[:10]}"
    admin_engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))

    def drop() -> None:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()

    return admin.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path, sqlite_template):
    """A freshly migrated, empty store on each engine (the data-access tests run on both)."""
    if request.param == "sqlite":
        yield _fresh_sqlite(sqlite_template, tmp_path)
        return
    template = request.getfixturevalue("pg_template")
    if template is None:
        pytest.skip(f"{PG_ENV} not set")
    url, drop = _fresh_pg(template)
    yield url
    drop()


@pytest.fixture
def engine(db_url):
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(tmp_path, sqlite_template):
    eng = make_engine(_fresh_sqlite(sqlite_template, tmp_path))
    yield eng
    eng.dispose()


@pytest.fixture
def pg_engine(pg_template):
    """A freshly migrated PostgreSQL store (for tests that compare it with SQLite)."""
    if pg_template is None:
        pytest.skip(f"{PG_ENV} not set")
    url, drop = _fresh_pg(pg_template)
    eng = make_engine(url)
    yield eng
    eng.dispose()
    drop()


DEMO_AS_OF = datetime(2026, 11, 20, 15, 30)  # a Friday afternoon


@pytest.fixture(scope="session")
def demo_sqlite_template(tmp_path_factory, sqlite_template) -> Path:
    """The demo community built once per test session on SQLite; modules get copies of the file."""
    from data_access.demo import build_demo

    path = tmp_path_factory.mktemp("demo-template") / "demo.db"
    shutil.copyfile(sqlite_template, path)
    eng = make_engine(f"sqlite:///{path}")
    build_demo(eng, as_of=DEMO_AS_OF, password="demo-pass-1")
    with eng.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # everything in the main file, so a copy is whole
    eng.dispose()
    return path


@pytest.fixture(scope="session")
def demo_pg_template(pg_template) -> str | None:
    """The demo built once per session on PostgreSQL, as a template database modules clone."""
    from data_access.demo import build_demo

    if pg_template is None:
        yield None
        return
    url, drop = _fresh_pg(pg_template)
    eng = make_engine(url)
    build_demo(eng, as_of=DEMO_AS_OF, password="demo-pass-1")
    eng.dispose()  # a template must have no open connections when it is cloned
    yield make_url(url).database
    drop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def demo_engine(request, tmp_path_factory):
    """The demo community (as of DEMO_AS_OF) in a store of the module's own, on each engine."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copyfile(request.getfixturevalue("demo_sqlite_template"), path)
        eng, drop = make_engine(f"sqlite:///{path}"), None
    else:
        template = request.getfixturevalue("demo_pg_template")
        if template is None:
            pytest.skip(f"{PG_ENV} not set")
        url, drop = _fresh_pg(template)
        eng = make_engine(url)
    yield eng
    eng.dispose()
    if drop:
        drop()
