"""Database engine, sessions and migrations (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from .settings import get_settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    """Declarative base shared by every capability's tables."""


# Tables whose writes do not change what derived views show (logins, the audit trail, bookkeeping).
_NOT_DATA = frozenset({"users", "user_sessions", "audit_log", "app_state", "alembic_version"})
_DML = re.compile(r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.I)


def _track_data_version(engine: Engine) -> None:
    """Count committed data changes in app_state.data_version, whoever makes them.

    Every process (web workers, command-line imports) shares the counter through the database, so a
    cached view anywhere can tell that it is stale with one indexed read.
    """

    @event.listens_for(engine, "before_cursor_execute")
    def _note_write(conn, _cursor, statement, _params, _context, _executemany):
        m = _DML.match(statement)
        if m and m.group(1).lower() not in _NOT_DATA:
            conn.info["kc_data_changed"] = True

    @event.listens_for(engine, "rollback")
    def _forget(conn):
        conn.info.pop("kc_data_changed", None)

    @event.listens_for(engine, "commit")
    def _bump(conn):  # runs just before the DBAPI commit, inside the same transaction
        if not conn.info.pop("kc_data_changed", False):
            return
        cur = conn.connection.dbapi_connection.cursor()
        try:
            if conn.dialect.name == "postgresql":
                cur.execute("SELECT to_regclass('app_state') IS NOT NULL")
            else:
                cur.execute("SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'app_state'")
            if cur.fetchone()[0]:  # absent while migrations build an older schema
                cur.execute("UPDATE app_state SET value = value + 1 WHERE name = 'data_version'")
        finally:
            cur.close()


def mark_data_changed(conn) -> None:
    """Note a data write made through the raw DB-API cursor (which the statement hook above does
    not see): the transaction's commit then bumps the data version like any other write."""
    conn.info["kc_data_changed"] = True


def data_version(conn) -> int | None:
    """The shared count of committed data changes (None before the migration that keeps it)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        return conn.execute(text("SELECT value FROM app_state WHERE name = 'data_version'")).scalar()
    except DBAPIError:
        return None


def make_engine(url: str) -> Engine:
    engine = _make_engine(url)
    _track_data_version(engine)
    return engine


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # requests run in a thread pool of 40 and may open a second connection for ledger reads
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                               pool_size=20, max_overflow=60)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=50)


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return engine_for(get_settings().database_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A transaction: commits on success, rolls back everything on error."""
    with transaction(session_factory(engine)) as session:
        yield session


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session from `factory` whose work commits on success and rolls back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url or get_settings().database_url), revision)


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine_for(url or get_settings().database_url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
