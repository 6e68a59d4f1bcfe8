"""Recompute recently viewed pages in the background after a data change.

Views derived from the data (dashboards, progress, rankings, list counts) are cached per data
versions of the sources they read (`kechuang.cache`); a committed write anywhere bumps the versions
of what it wrote, and every worker stops serving the views that read it. Without help, the next
person to open such a page pays for the recomputation. Here the workers note the pages their users
viewed lately (user id, path, query, and the sources the page declared it reads: no cookies or
tokens), share that list through a small file per worker under var/cache/recent-pages/, and a
background thread in each worker watches the shared data versions: when they move, the thread
requests again, inside its process and as their users, the pages that read a changed source, most
recently viewed first, so their views are computed before anyone asks. Freshness does not depend on this: a request always checks the
version itself and never gets a view older than the data it sees; at worst it waits for (or does)
the computation the refresher has not reached yet.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
import time
from collections import OrderedDict
from pathlib import Path

from .. import db
from .deps import REFRESH_USER

_SKIP = ("/static", "/healthz", "/api/", "/login", "/logout")
log = logging.getLogger("kechuang")


class NoteViews:
    """Pure ASGI middleware: notes successful HTML page views (GET, not exports) in `pages`, and
    counts the users' requests in progress (`pages.busy`), which the refresher lets go first."""

    def __init__(self, app, pages: "RecentPages"):
        self.app = app
        self.pages = pages

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or REFRESH_USER in (scope.get("state") or {}):
            return await self.app(scope, receive, send)
        self.pages.busy += 1  # only this worker's event loop changes it (replays are not counted)
        try:
            await self._call(scope, receive, send)
        finally:
            self.pages.busy -= 1

    async def _call(self, scope, receive, send):
        if (scope["method"] != "GET" or scope["path"].startswith(_SKIP)
                or b"format=" in scope.get("query_string", b"")):
            return await self.app(scope, receive, send)
        status = {}

        async def spy(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["html"] = any(k == b"content-type" and v.startswith(b"text/html")
                                     for k, v in message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, spy)
        state = scope.get("state") or {}
        user = state.get("user")
        if status.get("code") == 200 and status.get("html") and user is not None:
            self.pages.note(user.id, scope["path"], scope.get("query_string", b"").decode("latin-1"),
                            state.get("kc_reads"))


class RecentPages:
    """The pages users viewed lately, one entry per user and URL: this worker's in memory, all
    workers' through `folder` (one JSON file per process, rewritten when its list changed)."""

    def __init__(self, folder: Path | None = None, size: int = 32, keep_seconds: float = 1800.0,
                 variants: int = 3):
        self.folder = folder
        self.size = size
        self.variants = variants  # the most URLs of one user and path (other queries) replayed
        self.keep = keep_seconds
        self._pages: OrderedDict[tuple, tuple[float, tuple | None]] = OrderedDict()
        self._lock = threading.Lock()
        self._dirty = False
        self.busy = 0  # users' requests in progress in this worker

    def note(self, user_id: int, path: str, query: str, reads=None) -> None:
        """A page viewed now; `reads`: the data sources it declared (None: any data)."""
        key = (user_id, path, query)
        with self._lock:
            self._pages.pop(key, None)
            self._pages[key] = (time.time(), None if reads is None else tuple(reads))
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
            self._dirty = True

    def publish(self) -> None:
        """Write this worker's list for the other workers (when it changed)."""
        if self.folder is None or not self._dirty:
            return
        with self._lock:
            items = [[*k, t, reads] for k, (t, reads) in self._pages.items()]
            self._dirty = False
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            path = self.folder / f"{os.getpid()}.json"
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(items))
            os.replace(tmp, path)
        except OSError:
            pass

    def recent(self, changed: set[str] | None = None) -> list[tuple[int, str, str]]:
        """Pages viewed within `keep_seconds` by users of any worker, most recent first; with
        `changed` (version names, `kechuang.cache.changed`), only the pages that read one of them."""
        from .. import cache

        now = time.time()
        with self._lock:
            seen = dict(self._pages)
        if self.folder is not None and self.folder.is_dir():
            for f in self.folder.glob("*.json"):
                try:
                    if now - f.stat().st_mtime > self.keep:
                        continue
                    for uid, path, query, t, reads in json.loads(f.read_text()):
                        key = (uid, path, query)
                        if t > seen.get(key, (0.0,))[0]:
                            seen[key] = (t, None if reads is None else tuple(reads))
                except (OSError, ValueError, TypeError):
                    continue
        ordered = sorted(((t, k) for k, (t, reads) in seen.items() if now - t < self.keep
                          and (changed is None or changed & set(cache.sources(reads)))), reverse=True)
        out, variants = [], {}
        for _, k in ordered:  # a user who looked through many dates of one page: the latest few
            variants[k[:2]] = n = variants.get(k[:2], 0) + 1
            if n <= self.variants:
                out.append(k)
        return out[: self.size]


class Refresher(threading.Thread):
    """Watches the data version; after a change, requests the recent pages again in-process."""

    def __init__(self, app, pages: RecentPages, engine, interval: float = 0.05):
        super().__init__(daemon=True, name="refresh-views")
        self.app = app
        self.pages = pages
        self.engine = engine
        self.interval = interval
        self.stopped = threading.Event()
        self.baseline = None  # the version the views are computed for (None: the first one read)
        self._conn = None

    def version(self) -> dict[str, int] | None:
        """The shared data versions, read on a connection the refresher keeps in autocommit: one
        statement per reading, where a pooled connection would add a checkout (with PostgreSQL's
        ping) and a rollback, 20 times a second. Reopened after a failed or empty reading."""
        try:
            if self._conn is None:
                self._conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            got = db.data_versions(self._conn)
        except Exception:
            self.close()
            raise
        if got is None:
            self.close()
        return got

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()  # a broken (invalidated) one closes without error: the pool discards it

    def run(self) -> None:
        from .. import cache

        seen = self.baseline
        try:
            while not self.stopped.wait(self.interval):
                try:
                    self.pages.publish()
                    v = self.version()
                    if v is None or v == seen:
                        continue
                    if seen is not None:  # the first reading is the version the worker started at
                        asyncio.run(self._replay(v, cache.changed(seen, v)))
                    seen = v
                except Exception:  # a refresh is only a head start; requests still compute what they need
                    log.warning("后台刷新视图失败", exc_info=True)
                    time.sleep(1)
        finally:
            self.close()

    async def _replay(self, version, changed: set[str] | None = None) -> None:
        for user_id, path, query in self.pages.recent(changed):
            self._let_requests_go_first()
            if self.stopped.is_set() or self.version() != version:
                return  # newer data: the next pass starts over with it
            await self._get(user_id, path, query)

    def _let_requests_go_first(self, longest: float = 1.0) -> None:
        """Wait (up to `longest` seconds) while users' requests are in progress in this worker: a
        replay holds the interpreter while it runs, and a page served from the cache would take
        twice as long beside it. Under steady load the replays still proceed, one per `longest`."""
        until = time.monotonic() + longest
        while self.pages.busy > 0 and time.monotonic() < until and not self.stopped.is_set():
            time.sleep(0.002)

    async def _get(self, user_id: int, path: str, query: str) -> None:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "root_path": "",
                 "query_string": query.encode("latin-1"), "client": ("127.0.0.1", 0), "server": ("refresh", 80),
                 "headers": [(b"host", b"refresh"), (b"accept", b"text/html")],
                 "state": {REFRESH_USER: user_id}}

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(_message):
            pass

        await self.app(scope, receive, send)


def start(app, pages: RecentPages, engine) -> Refresher:
    worker = Refresher(app, pages, engine)
    worker.start()
    return worker
