"""Background refresh of viewed pages after a data change (kechuang.web.refresh): the page a user
viewed is computed again for the new data before the user asks, and still shows the change."""

from __future__ import annotations

import asyncio
import threading

from kechuang import cache, db



def _in_own_thread(coro) -> None:
    """Run a replay as the refresher does, on a thread of its own: a browser test earlier in the
    same worker may leave an event loop running on the test thread."""
    errors = []

    def run():
        try:
            asyncio.run(coro)
        except BaseException as e:  # re-raised on the test thread
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join(120)
    assert not t.is_alive(), "replay did not finish"
    if errors:
        raise errors[0]

def _add_target(url: str, indicator: str) -> None:
    from kechuang.targets.store import add_target

    other = db.make_engine(url)  # another process, e.g. an import from the command line
    with db.session_scope(other) as s:
        add_target(s, region="盐都区", region_code="320903", indicator=indicator, value="5", unit="家", year=2024)
    other.dispose()


def _refresher(app, engine):
    from kechuang.web.refresh import Refresher

    return Refresher(app, app.state.recent_pages, engine)


def test_viewed_pages_are_recomputed_after_a_change_before_the_next_view(app, engine, db_url, client_as):
    c = client_as("officer", "320903")
    assert c.get("/targets?year=2024").status_code == 200
    assert c.get("/targets/queue").status_code == 200
    assert [p for _, p, _ in app.state.recent_pages.recent()] == ["/targets/queue", "/targets"]
    assert c.get("/targets?year=2024&format=xlsx").status_code == 200  # exports are not noted
    assert len(app.state.recent_pages.recent()) == 2

    _add_target(db_url, "新增高新技术企业数")
    refresher = _refresher(app, engine)
    _in_own_thread(refresher._replay(refresher.version()))
    refresher.close()

    before = cache.computed()
    page = c.get("/targets?year=2024")
    assert page.status_code == 200
    assert "新增高新技术企业数" in page.text          # fresh: the change shows
    assert cache.computed() == before               # and nothing was left to compute


def test_without_a_refresh_the_next_view_computes_and_is_still_fresh(app, db_url, client_as):
    c = client_as("officer", "320903")
    assert c.get("/targets?year=2024").status_code == 200
    _add_target(db_url, "新增科技型中小企业数")
    before = cache.computed()
    page = c.get("/targets?year=2024")
    assert "新增科技型中小企业数" in page.text
    assert cache.computed() > before


def test_the_refresher_thread_follows_the_data_version(app, engine, db_url, client_as):
    c = client_as("officer", "320903")
    assert c.get("/targets?year=2024").status_code == 200
    refresher = _refresher(app, engine)
    refresher.interval = 0.01
    refresher.baseline = refresher.version()
    done = threading.Event()
    replay = refresher._replay

    async def noted(version, changed=None):
        await replay(version, changed)
        done.set()

    refresher._replay = noted
    refresher.start()
    try:
        _add_target(db_url, "新增专精特新企业数")
        assert done.wait(timeout=60), "no refresh pass after a data change"
    finally:
        refresher.stopped.set()
        refresher.join(timeout=10)
    before = cache.computed()
    assert "新增专精特新企业数" in c.get("/targets?year=2024").text
    assert cache.computed() == before


def test_the_refresher_reads_each_change_on_the_connection_it_keeps(app, engine, db_url):
    refresher = _refresher(app, engine)
    try:
        first = refresher.version()
        kept = refresher._conn
        _add_target(db_url, "新增高新技术企业数")  # committed by another process
        second = refresher.version()
        assert refresher._conn is kept  # no checkout per reading
        assert second != first and second == refresher.version()
        assert cache.changed(first, second)
        refresher.close()  # a closed (or broken) connection is replaced at the next reading
        assert refresher.version() == second and refresher._conn is not None
    finally:
        refresher.close()


def test_workers_share_the_pages_they_saw_without_secrets(tmp_path):
    from kechuang.web.refresh import RecentPages

    one, other = RecentPages(tmp_path), RecentPages(tmp_path)
    one.note(7, "/targets", "year=2024")
    one.publish()
    assert other.recent() == [(7, "/targets", "year=2024")]
    text = next(tmp_path.glob("*.json")).read_text()
    assert "cookie" not in text.lower() and "sid" not in text


def test_of_many_dates_of_one_page_the_latest_few_are_replayed(tmp_path):
    from kechuang.web.refresh import RecentPages

    pages = RecentPages(tmp_path, variants=2)
    for day in range(1, 6):
        pages.note(7, "/targets", f"date=2026-03-0{day}")
    pages.note(8, "/targets", "date=2026-03-01")  # another user's view of the same page
    pages.note(7, "/ledgers", "")
    recent = pages.recent()
    assert len(recent) == 4 and set(recent) == {(7, "/ledgers", ""), (8, "/targets", "date=2026-03-01"),
                                                 (7, "/targets", "date=2026-03-05"), (7, "/targets", "date=2026-03-04")}


def test_a_client_cannot_name_the_refresh_user(app, anon, make_user):
    from kechuang.web.deps import REFRESH_USER

    make_user("someone", "officer", "320903")
    r = anon.get("/targets", headers={REFRESH_USER: "1", "x-" + REFRESH_USER: "1"}, follow_redirects=False)
    assert r.status_code == 303 and "/login" in r.headers["location"]


def test_replays_wait_for_the_users_requests_in_progress(app, engine, client_as):
    """A user's request in progress is counted (a replay is not), and the refresher starts its
    next replay only once no user's request is in progress."""
    seen = []
    app.add_api_route("/_busy_probe", lambda: seen.append(app.state.recent_pages.busy) or {})
    c = client_as("officer", "320903")
    assert c.get("/_busy_probe").status_code == 200
    assert seen == [1] and app.state.recent_pages.busy == 0

    refresher = _refresher(app, engine)
    app.state.recent_pages.busy = 1

    def finish_request():  # a request that ends a moment later
        import time

        time.sleep(0.3)
        app.state.recent_pages.busy = 0

    t = threading.Thread(target=finish_request)
    t.start()
    refresher._let_requests_go_first(longest=120)
    assert app.state.recent_pages.busy == 0  # returned only once the request was over
    t.join()
