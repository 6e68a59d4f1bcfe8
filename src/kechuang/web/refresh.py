"""Recompute recently viewed pages in the background after a data change.

Views derived from the data (dashboards, progress, rankings, list counts) are cached per data
version (`kechuang.cache`); a committed write anywhere bumps the version and every worker forgets
them. Without help, the next person to open a dashboard pays for the recomputation. Here each
worker remembers the pages its users viewed lately (path, query, the viewer's own session cookie;
in memory only) and a background thread watches the shared data version: when it moves, the
thread requests those pages again inside the process, most recently viewed first, so their views
are computed before anyone asks. Freshness does not depend on this: a request always checks the
version itself and never gets a view older than the data it sees; at worst it waits for (or does)
the computation the refresher has not reached yet.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections import OrderedDict

from .. import db

REPLAY_HEADER = b"x-kechuang-refresh"
_SKIP = ("/static", "/healthz", "/api/", "/login", "/logout")
log = logging.getLogger("kechuang")


class NoteViews:
    """Pure ASGI middleware: notes successful HTML page views (GET, not exports) in `pages`."""

    def __init__(self, app, pages: "RecentPages"):
        self.app = app
        self.pages = pages

    async def __call__(self, scope, receive, send):
        if (scope["type"] != "http" or scope["method"] != "GET" or scope["path"].startswith(_SKIP)
                or b"format=" in scope.get("query_string", b"")):
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or ())
        if REPLAY_HEADER in headers:
            return await self.app(scope, receive, send)
        status = {}

        async def spy(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                status["html"] = any(k == b"content-type" and v.startswith(b"text/html")
                                     for k, v in message.get("headers", ()))
            await send(message)

        await self.app(scope, receive, spy)
        user = (scope.get("state") or {}).get("user")
        if status.get("code") == 200 and status.get("html") and user is not None and b"cookie" in headers:
            self.pages.note(user.id, scope["path"], scope.get("query_string", b""), headers[b"cookie"])


class RecentPages:
    """The pages users of this worker viewed lately, one entry per user and URL."""

    def __init__(self, size: int = 48, keep_seconds: float = 1800.0):
        self.size = size
        self.keep = keep_seconds
        self._pages: OrderedDict[tuple, tuple[float, str, bytes, bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def note(self, user_id: int, path: str, query: bytes, cookie: bytes) -> None:
        key = (user_id, path, query)
        with self._lock:
            self._pages.pop(key, None)
            self._pages[key] = (time.monotonic(), path, query, cookie)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)

    def recent(self) -> list[tuple[str, bytes, bytes]]:
        """Pages viewed within `keep_seconds`, most recent first."""
        now = time.monotonic()
        with self._lock:
            return [(p, q, c) for t, p, q, c in reversed(self._pages.values()) if now - t < self.keep]


class Refresher(threading.Thread):
    """Watches the data version; after a change, requests the recent pages again in-process."""

    def __init__(self, app, pages: RecentPages, engine, interval: float = 0.05):
        super().__init__(daemon=True, name="refresh-views")
        self.app = app
        self.pages = pages
        self.engine = engine
        self.interval = interval
        self.stopped = threading.Event()
        self.passes = 0  # completed refresh passes (for tests and benchmarks)

    def version(self):
        with self.engine.connect() as conn:
            return db.data_version(conn)

    def run(self) -> None:
        seen = None
        while not self.stopped.wait(self.interval):
            try:
                v = self.version()
                if v is None or v == seen:
                    continue
                if seen is not None:  # the first reading is the version the worker started at
                    asyncio.run(self._replay(v))
                    self.passes += 1
                seen = v
            except Exception:  # a refresh is only a head start; requests still compute what they need
                log.warning("后台刷新视图失败", exc_info=True)
                time.sleep(1)

    async def _replay(self, version) -> None:
        import httpx

        transport = httpx.ASGITransport(app=self.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://refresh") as client:
            for path, query, cookie in self.pages.recent():
                if self.stopped.is_set() or self.version() != version:
                    return  # newer data: the next pass starts over with it
                url = path + ("?" + query.decode("latin-1") if query else "")
                await client.get(url, headers={"cookie": cookie.decode("latin-1"), REPLAY_HEADER.decode(): "1",
                                               "accept": "text/html"})


def start(app, pages: RecentPages, engine) -> Refresher:
    worker = Refresher(app, pages, engine)
    worker.start()
    return worker
