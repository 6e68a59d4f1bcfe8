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


def test_web_write_forgets_views(client_as):
    from web_helpers import csrf_from

    admin = client_as("admin")
    cache.cached(("marker",), lambda: "old")
    token = csrf_from(admin.get("/admin/users").text)
    admin.post("/admin/users", data={"username": "cachetest", "password": "long-enough-1",
                                     "role": "viewer", "region": "亭湖区", "csrf_token": token})
    assert cache.cached(("marker",), lambda: "new") == "new"


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


def test_write_is_committed_and_views_forgotten_before_the_response_starts(app, engine, make_user):
    """A redirect after a form must lead to a page that already shows the write."""
    from fastapi.testclient import TestClient
    from sqlalchemy import select

    from kechuang import db
    from kechuang.accounts import User
    from web_helpers import csrf_from, login

    seen = {}

    async def observed(scope, receive, send):
        async def spy(message):
            if message["type"] == "http.response.start" and scope.get("path") == "/admin/users" \
                    and scope["method"] == "POST":
                with db.session_scope(engine) as s:
                    seen["stored"] = s.scalar(select(User).where(User.username == "visible")) is not None
                seen["view"] = cache.cached(("before-start",), lambda: "recomputed")
            await send(message)

        await app(scope, receive, spy)

    make_user("root", "admin")
    with TestClient(observed) as client:
        assert login(client, "root").status_code == 303
        token = csrf_from(client.get("/admin/users").text)
        cache.cached(("before-start",), lambda: "old")
        r = client.post("/admin/users", data={"username": "visible", "password": "long-enough-1",
                                              "role": "viewer", "region": "亭湖区", "csrf_token": token},
                        follow_redirects=False)
    assert r.status_code == 303
    assert seen == {"stored": True, "view": "recomputed"}
