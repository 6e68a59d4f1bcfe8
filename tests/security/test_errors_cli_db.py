"""Database faults and command-line errors: a Chinese line and an exit code, no traceback; a
missing database directory is an error, not a new empty database."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

KECHUANG = [sys.executable, "-c", "from kechuang.cliutil import main; main()"]


def _run(args, env_extra: dict, cwd: Path):
    env = {**os.environ, **env_extra}
    return subprocess.run(KECHUANG + args, capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def _no_traceback(r):
    assert "Traceback" not in r.stderr + r.stdout, r.stderr[-2000:]


def test_missing_database_directory_is_an_error_not_a_new_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'typo' / 'kechuang.db'}"
    f = tmp_path / "企业.csv"
    f.write_text("统一社会信用代码,企业名称,行政区划代码\n", encoding="utf-8")
    r = _run(["ledger", "import", "enterprise", str(f)], {"KECHUANG_DATABASE_URL": url}, tmp_path)
    assert r.returncode != 0
    assert "目录" in r.stderr and "不存在" in r.stderr
    _no_traceback(r)
    assert not (tmp_path / "typo").exists()
    r = _run(["db", "upgrade"], {"KECHUANG_DATABASE_URL": url}, tmp_path)  # the one command that creates it
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "typo" / "kechuang.db").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only files")
def test_read_only_database_is_explained(tmp_path, db_url):
    if not db_url.startswith("sqlite"):
        pytest.skip("file permissions are a SQLite matter")
    path = Path(db_url.split("///", 1)[1])
    for p in (path, path.parent):
        p.chmod(0o555 if p.is_dir() else 0o444)
    try:
        r = _run(["user", "add", "ro_user", "--role", "admin", "--password", "good-horse-42"],
                 {"KECHUANG_DATABASE_URL": db_url}, tmp_path)
    finally:
        path.parent.chmod(0o755)
        path.chmod(0o644)
    assert r.returncode != 0 and "只读" in r.stderr, r.stderr
    _no_traceback(r)


def test_bad_database_url_is_explained(tmp_path):
    r = _run(["user", "list"], {"KECHUANG_DATABASE_URL": "nonsense://"}, tmp_path)
    assert r.returncode != 0 and "KECHUANG_DATABASE_URL" in r.stderr
    _no_traceback(r)


def test_directory_given_as_a_file_and_unwritable_report(tmp_path, db_url):
    r = _run(["ledger", "import", "enterprise", str(tmp_path)], {"KECHUANG_DATABASE_URL": db_url}, tmp_path)
    assert r.returncode != 0 and ("文件夹" in r.stderr + r.stdout or "不存在" in r.stderr + r.stdout)
    _no_traceback(r)
    r = _run(["ledger", "export", "enterprise", "--out", "/proc/无权写入.xlsx"],
             {"KECHUANG_DATABASE_URL": db_url}, tmp_path)
    assert r.returncode != 0
    _no_traceback(r)


def test_bad_role_is_a_chinese_line(tmp_path, db_url):
    r = _run(["user", "add", "someone", "--role", "boss", "--region", "亭湖区", "--password", "good-horse-42"],
             {"KECHUANG_DATABASE_URL": db_url}, tmp_path)
    assert r.returncode != 0 and "角色“boss”无效" in r.stderr
    _no_traceback(r)


def test_web_database_fault_is_a_chinese_503(app, client_as, engine):
    from sqlalchemy import text

    c = client_as("officer", "320902")
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE ledger_records"))
    from fastapi.testclient import TestClient

    r = TestClient(app, raise_server_exceptions=False, cookies=c.cookies).get(
        "/api/ledgers/enterprise", headers={"accept": "application/json"})
    assert r.status_code == 503 and "db upgrade" in r.json()["detail"]


def test_a_database_from_a_newer_kechuang_is_refused_in_words(tmp_path, db_url):
    """Serving or upgrading a database whose schema a later version made: a Chinese line naming
    both versions, no traceback, and the database left as it was."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as c:
        head = c.execute(text("SELECT version_num FROM alembic_version")).scalar()
        c.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        for args in (["db", "upgrade"], ["serve", "--port", "1"]):
            r = _run(args, {"KECHUANG_DATABASE_URL": db_url}, tmp_path)
            assert r.returncode != 0 and "9999" in r.stderr and head in r.stderr and "较新版本" in r.stderr, r.stderr
            _no_traceback(r)
        with engine.connect() as c:
            assert c.execute(text("SELECT version_num FROM alembic_version")).scalar() == "9999"
    finally:
        engine.dispose()


def test_reading_the_schema_version_leaves_no_statement_open_on_a_pooled_connection(tmp_path):
    """On a new SQLite file the version check (before the migrations) must not leave a statement
    open on a connection the pool hands out next: SQLite would then refuse the checkpoint that
    ends a bulk load until the garbage collector happened to run."""
    import gc

    from kechuang import db

    url = f"sqlite:///{tmp_path / 'kechuang.db'}"
    gc.disable()  # as between two collections: what a reference cycle holds stays held
    try:
        assert db.current_revision(url) is None
        with db.engine_for(url).connect() as conn:
            raw = conn.connection.driver_connection
            assert raw.execute("PRAGMA journal_mode=DELETE").fetchone()[0] == "delete"
            raw.execute("CREATE TABLE loaded (n INTEGER)")
            raw.commit()
            assert raw.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
            assert raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0  # 0: not blocked
    finally:
        gc.enable()
        db.engine_for(url).dispose()
        db.engine_for.cache_clear()
