"""Database engine, sessions and migrations (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from . import version_watch
from .settings import get_settings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


class Base(DeclarativeBase):
    """Declarative base shared by every capability's tables."""


# Tables whose writes do not change what derived views show (logins, the audit trail, bookkeeping).
_NOT_DATA = frozenset({"users", "user_sessions", "audit_log", "app_state", "alembic_version",
                       "chain_placements"})  # derived: stored placements recomputed from the ledgers
# not data, but counted on their own (``v:users``, ``v:user_sessions``) without moving
# ``data_version``: a worker may then keep who a session belongs to until a login, logout,
# revocation or account change says otherwise
QUIET_SOURCES = frozenset({"users", "user_sessions"})
_DML = re.compile(r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM)\s+\"?(\w+)", re.I)


def _track_data_version(engine: Engine) -> None:
    """Count committed data changes in app_state, whoever makes them: ``data_version`` counts every
    change, and one row per source (``v:<table>``, ``v:ledger:<kind>`` for ledger records a store
    function names by kind, ``v:*`` for a raw write that names none) counts the changes to it.

    Every process (web workers, command-line imports) shares the counters through the database, so a
    cached view anywhere can tell with one small read whether what it was computed from has changed.
    """

    @event.listens_for(engine, "before_cursor_execute")
    def _note_write(conn, _cursor, statement, _params, _context, _executemany):
        m = _DML.match(statement)
        if not m:
            return
        table = m.group(1).lower()
        if table not in _NOT_DATA:
            conn.info["kc_data_changed"] = True
            conn.info.setdefault("kc_sources", set()).add(table)
        elif table in QUIET_SOURCES:
            conn.info.setdefault("kc_quiet", set()).add(table)

    @event.listens_for(engine, "rollback")
    def _forget(conn):
        conn.info.pop("kc_data_changed", None)
        conn.info.pop("kc_sources", None)
        conn.info.pop("kc_quiet", None)

    @event.listens_for(engine, "commit")
    def _bump(conn):  # runs just before the DBAPI commit, inside the same transaction
        sources = conn.info.pop("kc_sources", None) or {ANY_SOURCE}
        quiet = conn.info.pop("kc_quiet", None) or set()
        data = conn.info.pop("kc_data_changed", False)
        if not data and not quiet:
            return
        cur = conn.connection.dbapi_connection.cursor()
        try:
            if conn.dialect.name == "postgresql":
                cur.execute("SELECT to_regclass('app_state') IS NOT NULL")
            else:
                cur.execute("SELECT COUNT(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'app_state'")
            if cur.fetchone()[0]:  # absent while migrations build an older schema
                pg = conn.dialect.name == "postgresql"
                back = " RETURNING value" if pg else ""
                made: dict[str, int] = {}
                if data:
                    cur.execute("UPDATE app_state SET value = value + 1 WHERE name = 'data_version'" + back)
                    if pg:
                        made["data_version"] = cur.fetchone()[0]
                p = "%s" if conn.dialect.paramstyle in ("format", "pyformat") else "?"
                # sorted: concurrent writers lock rows in one order
                for source in sorted((sources if data else set()) | quiet):
                    cur.execute(f"INSERT INTO app_state (name, value) VALUES ({p}, 1) ON CONFLICT (name)"
                                " DO UPDATE SET value = app_state.value + 1" + back, (_PREFIX + source[:60],))
                    if pg:
                        made[source[:60]] = cur.fetchone()[0]
                if pg:  # delivered to listeners when this transaction commits
                    cur.execute(f"NOTIFY {version_watch.CHANNEL}")
                    watch = version_watch.of(conn.engine)
                    if watch is not None:
                        watch.expect(made)
        finally:
            cur.close()


ANY_SOURCE = "*"  # a change whose source is not known: every view counts it
_PREFIX = "v:"


def mark_data_changed(conn, *sources: str) -> None:
    """Note a data write made through the raw DB-API cursor (which the statement hook above does
    not see): the transaction's commit then bumps the data version like any other write, and the
    versions of ``sources`` (e.g. ``ledger_source(kind)``; none given: every source)."""
    conn.info["kc_data_changed"] = True
    conn.info.setdefault("kc_sources", set()).update(sources or (ANY_SOURCE,))


def insert_rows(conn, cur, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    """Many rows into ``table`` through ``cur``, a DB-API cursor of ``conn``: one COPY on
    PostgreSQL (an INSERT per row costs the server a statement each), ``executemany`` elsewhere.
    A raw write: the caller notes it with `mark_data_changed`."""
    names = ", ".join(columns)
    if conn.dialect.name == "postgresql":
        with cur.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    p = "%s" if conn.dialect.paramstyle in ("format", "pyformat") else "?"
    cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join([p] * len(columns))})", rows)


def row_chunks(conn, q, size: int) -> Iterator[list]:
    """The rows of ``q`` in lists of ``size``, as the driver gives them (tuples: on SQLite dates
    come as text and booleans as 0/1). SQLite steps through a result as it is read; PostgreSQL
    reads it through a server-side cursor (``yield_per``, on the statement: a caller's connection
    keeps its own options). SQLAlchemy's row objects cost three times the driver's rows: 100,000
    yearly ledger records held 0.86 GB against 0.26 GB."""
    if conn.dialect.name == "postgresql":
        yield from conn.execute(q.execution_options(yield_per=size)).partitions()
        return
    result = conn.execute(q)
    try:
        while rows := result.cursor.fetchmany(size):
            yield rows
    finally:
        result.close()


def ledger_source(kind: str) -> str:
    """The source name of one ledger kind's records."""
    return f"ledger:{kind}"


def among(conn, column, values: Sequence):
    """``column IN values``; on PostgreSQL ``column = ANY(one array parameter)``, so the statement's
    text is the same for any number of values: SQLAlchemy renders it and the driver parses it once,
    where a hundred ids made a new text each time."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy import any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def ledger_sources(kinds) -> tuple[str, ...]:
    """What a view over these ledger kinds reads: each kind, and the table itself (a write to
    ledger_records that does not name its kind counts for all of them)."""
    return tuple(sorted({ledger_source(k) for k in kinds})) + ("ledger_records",)


def data_version(conn) -> int | None:
    """The shared count of committed data changes (None before the migration that keeps it)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        return conn.execute(text("SELECT value FROM app_state WHERE name = 'data_version'")).scalar()
    except DBAPIError:
        return None


def data_versions(conn) -> dict[str, int] | None:
    """Every counter: ``data_version`` and the count of changes per source (None before the
    migration that keeps them). Every request asks; on SQLite a pragma says whether they can have
    moved since this connection last read them, on PostgreSQL a worker's `version_watch` holds them,
    and otherwise they are one small read."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    marks = _change_marks(conn)  # taken before the read: a commit during it moves them again
    if marks is not None:
        seen = conn.connection.info.get(_SEEN)
        if seen is not None and seen[0] == marks:
            return dict(seen[1])
    else:  # PostgreSQL: the versions as the last change notice left them (`version_watch`)
        watch = version_watch.of(conn.engine)
        known = watch.current() if watch is not None else None
        if known is not None:
            return known
    try:
        versions = _versions_of(conn.execute(text(_VERSIONS_SQL)))
    except DBAPIError:
        return None
    if marks is not None:
        conn.connection.info[_SEEN] = (marks, versions)
    return dict(versions)


_VERSIONS_SQL = "SELECT name, value FROM app_state WHERE name = 'data_version' OR name LIKE 'v:%'"


def _versions_of(rows) -> dict[str, int]:
    return {(name[len(_PREFIX):] if name.startswith(_PREFIX) else name): int(value) for name, value in rows}


def read_versions_raw(dbapi_conn) -> dict[str, int]:
    """`data_versions` read through a DB-API connection (the version watch's own)."""
    cur = dbapi_conn.cursor()
    try:
        cur.execute(_VERSIONS_SQL)
        return _versions_of(cur.fetchall())
    finally:
        cur.close()


# in a pooled SQLite connection's info: (its change marks, the versions it read then). Every request
# reads the versions; while the marks stand still, the pragma replaces the query over the counters.
_SEEN = "kc_versions_seen"


def _change_marks(conn) -> tuple[int, int] | None:
    """On SQLite, marks that move whenever the database may have changed: ``PRAGMA data_version``
    (moves when another connection, of any process, commits) and this connection's own count of
    changed rows. None on other databases."""
    if conn.dialect.name != "sqlite":
        return None
    raw = conn.connection.dbapi_connection
    cur = raw.cursor()
    try:
        return cur.execute("PRAGMA data_version").fetchone()[0], raw.total_changes
    finally:
        cur.close()


def make_engine(url: str) -> Engine:
    engine = _make_engine(url)
    _track_data_version(engine)
    return engine


class DatabaseError(RuntimeError):
    """The database cannot be used as configured (message in Chinese)."""


def _sqlite_path(url: str) -> Path | None:
    if not url.startswith("sqlite"):
        return None
    path = url.split("///", 1)[-1].split("?", 1)[0]
    return Path(path) if path and path != ":memory:" else None


def ensure_location(url: str | None = None) -> None:
    """Create the directory of a SQLite database (only `db upgrade` and `demo-setup` do this:
    elsewhere a missing directory means a mistyped path, and is an error)."""
    path = _sqlite_path(url or get_settings().database_url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(f"无法创建数据库目录“{path.parent}”:{exc.strerror or exc}") from None


def explain_error(exc: BaseException, url: str | None = None) -> str:
    """What a database fault means, in Chinese, without a traceback."""
    text = str(getattr(exc, "orig", None) or exc)
    low = text.lower()
    where = ""
    try:
        path = _sqlite_path(url or get_settings().database_url)
        where = f"“{path}”" if path else ""
    except Exception:
        pass
    if isinstance(exc, DatabaseError):
        return str(exc)
    if "readonly" in low or "read-only" in low:
        return f"数据库文件只读{where},无法写入:请检查文件及其目录的写权限"
    if "unable to open database" in low:
        return f"无法打开数据库文件{where}:目录不存在或没有访问权限"
    if "database is locked" in low:
        return "数据库正被其他进程占用(已锁定),请稍后重试"
    if "disk i/o" in low or "disk is full" in low or "database or disk is full" in low:
        return "数据库所在磁盘已满或读写出错"
    if "file is not a database" in low or "malformed" in low:
        return f"数据库文件{where}已损坏或不是数据库文件"
    if "no such table" in low or ("relation" in low and "does not exist" in low):
        return "数据库结构不是最新版本,请先运行 kechuang db upgrade"
    if "password authentication failed" in low:
        return "数据库用户名或密码错误"
    if "could not connect" in low or "connection refused" in low or "could not translate host" in low:
        return "无法连接数据库服务器,请检查 KECHUANG_DATABASE_URL 中的地址和端口"
    if "database" in low and "does not exist" in low:
        return "数据库不存在,请先创建数据库再运行 kechuang db upgrade"
    if "could not parse" in low or "can't load plugin" in low:
        return "数据库地址 KECHUANG_DATABASE_URL 格式不正确(例如 sqlite:///var/kechuang.db)"
    return f"数据库出错({type(exc).__name__}),请联系管理员"


def _make_engine(url: str) -> Engine:
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        return _create(url)
    except (ArgumentError, NoSuchModuleError, ValueError):
        raise DatabaseError("数据库地址 KECHUANG_DATABASE_URL 格式不正确(例如 sqlite:///var/kechuang.db "
                            "或 postgresql+psycopg://用户:密码@主机/库名)") from None


# SQLite reads the database file through a memory map up to this size (SQLite's own limit, 2 GB,
# applies): a list page's hundred rows lie on a hundred pages of a large file, and read through the
# connection's small page cache each was a system call and a copy (2.3 ms per hundred rows against
# 0.6 ms mapped). The mapped pages are the operating system's file cache, shared by every connection
# and worker, not memory of the process's own.
SQLITE_MMAP_BYTES = 2**31


def _create(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = _sqlite_path(url)
        if path is not None and not path.parent.is_dir():
            raise DatabaseError(f"数据库目录“{path.parent}”不存在:请检查 KECHUANG_DATABASE_URL,"
                                "或先运行 kechuang db upgrade 创建数据库")
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **_POOL)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
            cur.close()

        return engine
    engine = create_engine(url, **_POOL)
    _ping_when_rested(engine)
    return engine


RESTED_S = 1.0  # a pooled connection unused for longer is pinged before it is handed out


def _ping_when_rested(engine: Engine) -> None:
    """Ping a pooled connection before use only when it has rested: under load a connection comes
    back within milliseconds, and pinging every checkout (``pool_pre_ping``) cost each request a
    round trip. A connection lost in the second before its next use fails that request only:
    SQLAlchemy then drops every pooled connection older than the failure."""
    from sqlalchemy.exc import DisconnectionError

    @event.listens_for(engine, "checkin")
    def _rest(_dbapi_conn, record):
        record.info["kc_rested_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn, record, _proxy):
        since = record.info.pop("kc_rested_at", None)
        if since is None or time.monotonic() - since <= RESTED_S:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"pooled connection lost: {exc}") from exc


# Requests run in a thread pool of 40 and may open a second connection for ledger reads: 20 kept
# open, so that a busy worker does not open (a PostgreSQL server process) and close one per request.
_POOL = {"pool_size": 20, "max_overflow": 60}


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


def upgrade(url: str | None = None, revision: str = "head", create: bool = False) -> None:
    """Apply migrations; ``create`` makes a missing SQLite directory first (`db upgrade`, `demo-setup`)."""
    from alembic import command

    url = url or get_settings().database_url
    if create:
        ensure_location(url)
    else:
        engine_for(url)  # a missing directory or a bad URL is an error, not a new empty database
    cfg = alembic_config(url)
    _refuse_newer(url, cfg)
    command.upgrade(cfg, revision)


def _refuse_newer(url: str, cfg) -> None:
    """A database migrated by a newer kechuang is refused in words (alembic only says it cannot
    locate the revision): this program does not know its tables, and must not write to them."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    found = current_revision(url)
    if found is None:
        return
    scripts = ScriptDirectory.from_config(cfg)
    try:
        scripts.get_revision(found)
    except CommandError:
        raise DatabaseError(f"数据库结构版本 {found} 比本程序支持的最新版本 {scripts.get_current_head()} 新:"
                            "请安装较新版本的 kechuang 后再使用此数据库") from None


def current_revision(url: str | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine_for(url or get_settings().database_url).connect() as conn:
        # alembic's look for its table leaves a cursor in a reference cycle: returned to the pool, the
        # connection would keep that statement open until the garbage collector ran, and SQLite would
        # refuse the checkpoint that ends a bulk load. Detached, the connection is closed here.
        conn.detach()
        return MigrationContext.configure(conn).get_current_revision()
