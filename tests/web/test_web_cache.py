"""The derived-view cache: reuse within ttl, forget on bump, never keep a value computed across a write."""

from __future__ import annotations

from kechuang import cache


def test_reuses_until_bumped():
    calls = []

    def compute():
        calls.append(1)
        return len(calls)

    assert cache.cached(("t", 1), compute) == 1
    assert cache.cached(("t", 1), compute) == 1
    cache.bump()
    assert cache.cached(("t", 1), compute) == 2


def test_ttl_expires():
    n = iter(range(10))
    first = cache.cached(("ttl",), lambda: next(n), ttl=0.0)
    assert cache.cached(("ttl",), lambda: next(n), ttl=0.0) == first + 1


def test_value_computed_across_a_write_is_not_kept():
    def compute():
        cache.bump()  # a write lands while the view is being computed
        return "stale"

    assert cache.cached(("race",), compute) == "stale"
    assert cache.cached(("race",), lambda: "fresh") == "fresh"



def test_a_full_cache_lets_its_oldest_entry_go_not_every_entry(monkeypatch):
    """Many pages of one list fill the cache: the oldest view leaves, the others stay served."""
    monkeypatch.setattr(cache, "_MAX_ENTRIES", 3)
    cache.bump()
    calls = []

    def compute(name):
        calls.append(name)
        return name

    for name in ("a", "b", "c", "d"):  # the fourth entry pushes out the first only
        cache.cached(("fifo", name), lambda name=name: compute(name))
    assert [cache.cached(("fifo", n), lambda n=n: compute(n)) for n in ("b", "c", "d")] == ["b", "c", "d"]
    assert calls == ["a", "b", "c", "d"]
    cache.cached(("fifo", "a"), lambda: compute("a"))
    assert calls == ["a", "b", "c", "d", "a"]

def _target(engine, code="320903", indicator="新招引科技型企业"):
    from kechuang import db
    from kechuang.targets.store import add_target

    with db.session_scope(engine) as s:
        return add_target(s, region="盐都区", region_code=code, indicator=indicator, value="5",
                          unit="家", year=2024).id


def test_a_data_write_anywhere_makes_the_next_request_recompute(client_as, db_url):
    from kechuang import db

    c = client_as("officer", "320903")
    cache.cached(("marker",), lambda: "old")
    assert c.get("/").status_code == 200
    assert cache.cached(("marker",), lambda: "new") == "old"      # reading keeps views
    other_process = db.make_engine(db_url)                         # e.g. an import from the command line
    _target(other_process)
    other_process.dispose()
    assert cache.cached(("marker",), lambda: "new") == "old"      # nothing noticed between requests
    assert c.get("/").status_code == 200
    assert cache.cached(("marker",), lambda: "new") == "new"


def test_logins_leave_views_warm(client_as):
    client_as("admin")
    cache.cached(("warm",), lambda: "kept")
    client_as("officer", "320903")  # a second login: users/audit writes are not data changes
    assert cache.cached(("warm",), lambda: "recomputed") == "kept"


def test_data_version_counts_commits_of_data_only(engine):
    import sqlalchemy as sa

    from kechuang import db
    from kechuang.accounts import add_user

    def version():
        with engine.connect() as conn:
            return db.data_version(conn)

    v0 = version()
    assert v0 is not None
    with db.session_scope(engine) as s:
        add_user(s, "bookkeeping", "long-enough-1", "viewer", "320900")
    assert version() == v0
    try:
        with db.session_scope(engine) as s:
            s.execute(sa.text("INSERT INTO ledger_records (kind, key, region_code, data, row_hash, "
                              "created_at, updated_at) VALUES ('enterprise', 'k', '320903', '{}', 'h', "
                              "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
            raise RuntimeError("abandon")
    except RuntimeError:
        pass
    assert version() == v0                      # rolled back: no change
    _target(engine)
    assert version() == v0 + 1


def test_concurrent_misses_compute_once():
    import threading
    import time

    calls = []

    def slow():
        calls.append(1)
        time.sleep(0.2)
        return "v"

    results = []
    threads = [threading.Thread(target=lambda: results.append(cache.cached(("stampede",), slow)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["v"] * 8 and len(calls) == 1


def test_write_is_committed_before_the_response_starts(app, engine, client_as):
    """A redirect after a form must lead to a page that already shows the write."""
    from sqlalchemy import select

    from kechuang import db
    from kechuang.targets.store import Target
    from web_helpers import csrf_from

    tid = _target(engine)
    seen = {}

    async def observed(scope, receive, send):
        async def spy(message):
            if message["type"] == "http.response.start" and scope["method"] == "POST":
                with db.session_scope(engine) as s:
                    seen["status"] = s.scalar(select(Target.binding_status).where(Target.id == tid))
            await send(message)

        await app(scope, receive, spy)

    c = client_as("officer", "320903")
    token = csrf_from(c.get("/targets/queue").text)
    from fastapi.testclient import TestClient

    with TestClient(observed, cookies=c.cookies) as spied:
        r = spied.post(f"/targets/{tid}/dismiss", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert seen["status"] == "dismissed"


def test_cached_page_carries_each_sessions_own_csrf_token_and_follows_data(app, engine, make_user):
    from fastapi.testclient import TestClient

    from web_helpers import csrf_from, login

    make_user("twice", "officer", "320903")
    first, second = TestClient(app), TestClient(app)
    for c in (first, second):
        assert login(c, "twice").status_code == 303
    pages = [c.get("/targets?year=2024") for c in (first, second)]
    tokens = [csrf_from(p.text) for p in pages]
    assert tokens[0] != tokens[1] and all("kc-csrf-slot" not in p.text for p in pages)
    assert "有效高企" not in pages[0].text
    tid = _target(engine, indicator="有效高企")
    assert all("有效高企" in c.get("/targets?year=2024").text for c in (first, second))
    for c, token in zip((first, second), tokens):  # each session's token is accepted
        r = c.post(f"/targets/{tid}/dismiss", data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303
    assert "有效高企" not in first.get("/targets?year=2024").text
    first.close()
    second.close()


def test_a_list_kept_per_version_follows_the_versions_its_transaction_read(engine):
    """Within a request's transaction the versions read as it started name the kept list; a later
    transaction on the same connection reads its own, and a commit in between yields a new list."""
    from kechuang import db

    made = []

    def make():
        made.append(1)
        return len(made)

    def in_request():
        with engine.connect() as conn, conn.begin():
            versions = db.data_versions(conn)
            cache.note_versions(conn, versions)
            assert cache.transaction_versions(conn) == versions
            return cache.per_version(conn, ("noted",), make)  # reads any data

    with engine.connect() as conn:
        with conn.begin():
            cache.note_versions(conn, {"data_version": -1})
        with conn.begin():  # another transaction: the note of the last one does not count
            assert cache.transaction_versions(conn) is None
    first = in_request()
    assert in_request() == first and len(made) == 1
    _target(engine)  # a committed data change
    assert in_request() == first + 1


def test_a_full_store_of_lists_lets_the_least_recently_used_go(engine, monkeypatch):
    """A list read again just now stays when a new one needs room; the one unused longest goes."""
    monkeypatch.setattr(cache, "_LIST_ENTRIES", 3)
    with cache._lists_lock:
        cache._lists.clear()
    made: list[str] = []

    def kept(conn, name: str) -> str:
        def make():
            made.append(name)
            return name
        return cache.per_version(conn, ("lru", name), make)

    with engine.connect() as conn:
        for name in ("a", "b", "c"):
            kept(conn, name)
        kept(conn, "a")  # read again: now the most recently used
        kept(conn, "d")  # room for d: b goes, not a
        kept(conn, "a")
        kept(conn, "b")
    assert made == ["a", "b", "c", "d", "b"]


def test_a_page_from_the_cache_sends_no_statement_and_a_write_shows_on_the_next(app, make_user, db_url):
    """A started server serves a cached page without a statement to the database (on PostgreSQL its
    worker keeps the data versions from change notices); a write from another engine shows on the
    very next request."""
    import time

    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from kechuang import db, version_watch
    from web_helpers import login

    make_user("quiet", "officer", "320903")
    statements = []
    with TestClient(app) as c:
        assert login(c, "quiet").status_code == 303
        assert "有效高企" not in c.get("/targets?year=2024").text
        watch = version_watch.of(app.state.engine)
        deadline = time.monotonic() + 5
        while watch is not None and watch.current() is None and time.monotonic() < deadline:
            time.sleep(0.01)  # the notice of the login's commit
        event.listen(app.state.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        assert c.get("/targets?year=2024").status_code == 200
        assert statements == []
        other = db.make_engine(db_url)
        _target(other, indicator="有效高企")
        other.dispose()
        assert "有效高企" in c.get("/targets?year=2024").text
