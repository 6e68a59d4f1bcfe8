"""PostgreSQL's change notices keep a worker's data versions in memory (`kechuang.version_watch`):
never older than a commit of this process, following other processes' commits by their notices,
and falling back to reading the counters whenever the listening connection is lost."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import event, text

from kechuang import db, version_watch


@pytest.fixture
def watch(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("change notices are PostgreSQL's")
    w = version_watch.start(engine)
    yield w
    version_watch.stop(w)


def counters(engine) -> dict[str, int]:
    with engine.connect() as c:
        rows = c.execute(text("SELECT name, value FROM app_state WHERE name = 'data_version' OR name LIKE 'v:%'"))
        return {n.removeprefix("v:"): int(v) for n, v in rows}


def commit_change(engine, source: str = "kc_test") -> None:
    with engine.begin() as c:
        db.mark_data_changed(c, source)


def until(check, seconds: float = 5.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.01)
    return check()


def test_a_commit_sends_a_notice_on_the_channel(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("change notices are PostgreSQL's")
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    listener = engine.dialect.loaded_dbapi.connect(*cargs, **cparams, autocommit=True)
    try:
        listener.execute(f"LISTEN {version_watch.CHANNEL}")
        commit_change(engine)
        got = list(listener.notifies(timeout=5, stop_after=1))
        assert [n.channel for n in got] == [version_watch.CHANNEL]
    finally:
        listener.close()


def test_the_watch_answers_the_counters_without_a_statement(engine, watch):
    statements = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with engine.connect() as c:
        assert db.data_versions(c) == counters(engine)
        statements.clear()
        assert db.data_versions(c) == db.data_versions(c)
    assert statements == []


def test_another_process_commit_is_seen_once_its_notice_arrives(db_url, engine, watch):
    before = watch.current()
    code = ("import sys; from kechuang import db; e = db.make_engine(sys.argv[1])\n"
            "with e.begin() as c: db.mark_data_changed(c, 'kc_other')")
    subprocess.run([sys.executable, "-c", code, db_url], check=True)
    after = until(lambda: (v := watch.current()) and v["data_version"] > before["data_version"] and v)
    assert after and after == counters(engine)
    assert after["kc_other"] == before.get("kc_other", 0) + 1


def test_an_own_commit_is_read_directly_until_its_notice_is_read(engine, watch, monkeypatch):
    before = watch.current()
    monkeypatch.setattr(watch, "_noticed", lambda: False)  # the notice not yet delivered
    commit_change(engine)
    assert watch.current() is None
    with engine.connect() as c:  # a request after the commit sees it all the same
        assert db.data_versions(c)["data_version"] == before["data_version"] + 1
    monkeypatch.undo()
    assert until(lambda: watch.current()) == counters(engine)


def test_a_lost_listening_connection_falls_back_to_reading_and_reopens(engine, watch, monkeypatch):
    monkeypatch.setattr(version_watch, "RETRY_S", 0.0)
    pid = watch._conn.info.backend_pid
    with engine.connect() as c:
        c.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    commit_change(engine)
    with engine.connect() as c:
        assert db.data_versions(c) == counters(engine)
    reopened = until(lambda: watch.current() is not None and watch._conn.info.backend_pid != pid)
    assert reopened and watch.current() == counters(engine)


def test_a_second_user_of_a_database_shares_its_watch_and_the_last_closes_it(engine, watch):
    again = version_watch.start(engine)
    assert again is watch
    version_watch.stop(again)
    assert version_watch.of(engine) is watch and watch.current() is not None
