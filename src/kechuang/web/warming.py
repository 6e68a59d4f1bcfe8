"""A server process's warm-up at its start (`kechuang.warm.warm_all`), run beside the event loop.

The process answers /healthz (alive) and /readyz (503 until warm) at once, so a supervisor or a
load balancer can tell a warming worker from a dead one, and a reload does not time out on a
province-size warm-up. Every other request waits until the warm-up is done instead of competing
with it for the processor: it is then answered at full speed.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time

_ANSWERED_AT_ONCE = ("/healthz", "/readyz", "/static")
log = logging.getLogger("kechuang")


class Warming:
    def __init__(self):
        self.ready = threading.Event()
        self.ready.set()  # ready unless a warm-up has been started
        self._done: asyncio.Event | None = None

    async def start(self, warm, engine, then=None) -> None:
        """Start `warm(engine)` in a thread; `then()` runs in it afterwards, before readiness."""
        loop = asyncio.get_running_loop()
        self._done = asyncio.Event()
        self.ready.clear()

        def run():
            began = time.perf_counter()
            try:
                warm(engine)
                if then is not None:
                    then()
            finally:
                self.ready.set()
                loop.call_soon_threadsafe(self._done.set)
                log.info("预热完成,用时 %.1f 秒", time.perf_counter() - began)

        threading.Thread(target=run, name="kechuang-warm", daemon=True).start()

    async def wait(self) -> None:
        if not self.ready.is_set() and self._done is not None:
            await self._done.wait()


class WaitUntilWarm:
    """Pure ASGI middleware: requests other than health checks and static files wait for the warm-up."""

    def __init__(self, app, warming: Warming):
        self.app = app
        self.warming = warming

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and not self.warming.ready.is_set() \
                and not scope["path"].startswith(_ANSWERED_AT_ONCE):
            await self.warming.wait()
        return await self.app(scope, receive, send)
