"""Shared fixtures.

Every test that touches the database gets a fresh, fully migrated database:
a migrated template is built once per session, then copied per test (file copy
on SQLite, CREATE DATABASE … TEMPLATE on PostgreSQL). Set
KECHUANG_TEST_DATABASE_URL to a PostgreSQL server URL to run on PostgreSQL.
"""

from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from kechuang import db

from shared_data import SHARED, shared_path  # noqa: F401  (re-exported for tests)

PG_URL = os.environ.get("KECHUANG_TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def db_template(tmp_path_factory):
    if PG_URL:
        base = make_url(PG_URL)
        name = f"kc_tpl_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
        db.upgrade(url)
        db.engine_for.cache_clear()
        # template must have no open connections
        yield ("pg", name, admin, base)
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        path = tmp_path_factory.mktemp("tpl") / "template.db"
        url = f"sqlite:///{path}"
        db.upgrade(url)
        db.engine_for(url).dispose()
        db.engine_for.cache_clear()
        yield ("sqlite", path, None, None)


@pytest.fixture
def db_url(db_template, tmp_path, monkeypatch):
    """URL of a fresh migrated database; also set as KECHUANG_DATABASE_URL."""
    kind, tpl, admin, base = db_template
    if kind == "pg":
        name = f"kc_t_{uuid.uuid4().hex[:12]}"
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{tpl}"'))
        url = base.set(database=name).render_as_string(hide_password=False)
    else:
        path = tmp_path / "test.db"
        shutil.copy(tpl, path)
        url = f"sqlite:///{path}"
    monkeypatch.setenv("KECHUANG_DATABASE_URL", url)
    monkeypatch.setenv("KECHUANG_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("KECHUANG_SECRET_KEY", "test-secret-key")
    yield url
    engine = db.engine_for(url)
    engine.dispose()
    db.engine_for.cache_clear()
    if kind == "pg":
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def engine(db_url):
    return db.engine_for(db_url)


@pytest.fixture
def session(engine):
    from sqlalchemy.orm import Session

    with Session(engine, expire_on_commit=False) as s:
        yield s
