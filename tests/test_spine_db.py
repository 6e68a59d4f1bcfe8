"""Migrations, accounts and audit on the configured database (SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from kechuang import audit, db
from kechuang.accounts import AccountError, User, add_user, authenticate, verify_password


def test_migrations_create_every_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert {"users", "audit_log", "alembic_version"} <= tables
    # every mapped table exists in the migrated schema (no table created outside migrations)
    assert set(db.Base.metadata.tables) <= tables


def test_head_revision_is_current(db_url):
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(db.alembic_config(db_url)).get_heads()
    assert len(heads) == 1, "migrations must form one line"
    assert db.current_revision(db_url) == heads[0]


def test_downgrade_to_base_and_up_again(db_url, engine):
    from alembic import command

    command.downgrade(db.alembic_config(db_url), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    db.upgrade(db_url)
    assert "users" in inspect(engine).get_table_names()


def test_password_hash_is_argon2_and_verifies(session):
    user = add_user(session, "zhou", "s3cret-pass", "officer", "320902")
    session.commit()
    assert user.password_hash.startswith("$argon2")
    assert "s3cret-pass" not in user.password_hash
    assert verify_password(user.password_hash, "s3cret-pass")
    assert authenticate(session, "zhou", "s3cret-pass").id == user.id
    assert authenticate(session, "zhou", "wrong") is None
    assert authenticate(session, "nobody", "s3cret-pass") is None


def test_disabled_user_cannot_authenticate(session):
    user = add_user(session, "wu", "s3cret-pass", "viewer", "320900")
    user.active = False
    session.commit()
    assert authenticate(session, "wu", "s3cret-pass") is None


@pytest.mark.parametrize(
    "args, message",
    [
        (("a", "short", "officer", "320902"), "至少需要 8 个字符"),
        (("b", "long-enough", "officer", None), "必须指定所辖地区"),
        (("c", "long-enough", "viewer", "999999"), "“999999”不存在"),
    ],
)
def test_add_user_rejects_bad_input(session, args, message):
    with pytest.raises(AccountError, match=message):
        add_user(session, *args)


def test_duplicate_username_rejected(session):
    add_user(session, "zheng", "long-enough", "admin")
    with pytest.raises(AccountError, match="已存在"):
        add_user(session, "zheng", "long-enough", "admin")


def test_scope_follows_region_tree(session):
    city = add_user(session, "city", "long-enough", "officer", "320900")
    district = add_user(session, "dist", "long-enough", "officer", "320902")
    admin = add_user(session, "root", "long-enough", "admin")
    assert city.can_see("320902") and city.can_see("320900")
    assert district.can_see("320902") and not district.can_see("320903")
    assert not district.can_see("320900")
    assert admin.can_see("110101")
    assert not district.can_see(None)


def test_audit_records_before_and_after(session):
    audit.record(session, "admin", "update", "user", "zhou", before={"active": True},
                 after={"active": False}, region_code="320902")
    session.commit()
    [entry] = audit.recent(session)
    assert (entry.username, entry.action, entry.before, entry.after) == (
        "admin", "update", {"active": True}, {"active": False})


def test_failed_transaction_leaves_nothing(engine):
    with pytest.raises(RuntimeError):
        with db.session_scope(engine) as s:
            add_user(s, "ghost", "long-enough", "admin")
            raise RuntimeError("boom")
    with db.session_scope(engine) as s:
        assert s.scalar(select(User).where(User.username == "ghost")) is None


def test_a_rested_pooled_connection_lost_with_its_server_process_is_replaced_unseen(engine, monkeypatch):
    """PostgreSQL: a pooled connection is pinged before use only once it has rested; then a
    connection whose server process ended is replaced, and a connection used a moment ago is
    handed out without a ping (the lost one then fails, which the rest interval rules out)."""
    import pytest
    from sqlalchemy import text

    if engine.dialect.name != "postgresql":
        pytest.skip("the idle ping is for database servers")

    def lose_pooled_connection() -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        with engine.connect() as c:  # the pool keeps it, alive
            pid = c.execute(text("SELECT pg_backend_pid()")).scalar()
        killer = create_engine(engine.url, poolclass=NullPool)
        with killer.connect() as k:  # its server process ends while it rests in the pool
            k.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        killer.dispose()

    engine.dispose()
    monkeypatch.setattr(db, "RESTED_S", 3600.0)
    lose_pooled_connection()
    raw = engine.raw_connection()  # the pool's own checkout
    with pytest.raises(engine.dialect.loaded_dbapi.OperationalError):  # rested too briefly to be pinged
        raw.cursor().execute("SELECT 1")
    raw.invalidate()
    engine.dispose()
    monkeypatch.setattr(db, "RESTED_S", 0.0)
    lose_pooled_connection()
    with engine.connect() as c:
        assert c.execute(text("SELECT 1")).scalar() == 1


def test_data_versions_read_again_see_every_commit_from_this_or_another_connection(db_url, engine):
    """A connection that read the versions once answers later reads from what it kept (on SQLite,
    while nothing was committed since): still, a commit through another process's connection and
    a write through its own show in the next read, exactly as the counters hold them."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.pool import NullPool

    def counters(c) -> dict[str, int]:
        rows = c.execute(text("SELECT name, value FROM app_state WHERE name = 'data_version' OR name LIKE 'v:%'"))
        return {n.removeprefix("v:"): int(v) for n, v in rows}

    other = create_engine(db_url, poolclass=NullPool)  # as another process would hold it
    try:
        with engine.connect() as c:
            first = db.data_versions(c)
            assert first == counters(c)
            assert db.data_versions(c) == first
            with other.begin() as o:
                o.execute(text("UPDATE app_state SET value = value + 5 WHERE name = 'data_version'"))
            second = db.data_versions(c)
            assert second["data_version"] == first["data_version"] + 5
            c.execute(text("INSERT INTO app_state (name, value) VALUES ('v:kc_test_source', 7)"))
            third = db.data_versions(c)
            assert third["kc_test_source"] == 7 and third == counters(c)
            third["data_version"] = -1  # a caller's changes to its copy are not kept
            assert db.data_versions(c)["data_version"] == second["data_version"]
            c.rollback()
    finally:
        other.dispose()


def test_sqlite_connections_read_the_file_through_a_memory_map(engine):
    from sqlalchemy import text

    if engine.dialect.name != "sqlite":
        pytest.skip("a SQLite setting")
    with engine.connect() as c:
        assert c.execute(text("PRAGMA mmap_size")).scalar() >= min(db.SQLITE_MMAP_BYTES, 2**31 - 2**16)
