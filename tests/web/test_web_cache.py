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
