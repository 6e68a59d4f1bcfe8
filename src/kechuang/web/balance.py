"""Spread kept-alive connections over the worker processes.

`kechuang serve --workers N` runs N processes that accept from one listening socket; a browser
keeps its connection open and sends every later request to the process that accepted it. Which
process accepts is luck: 20 connections opened at once land 14 on one worker and 6 on the other
as often as not, and the crowded worker's users then wait twice as long while the other worker
idles. Here a worker that has other requests in progress ends a connection after it has carried
`BUSY_REQUESTS` requests in such times (``Connection: close`` on the response; browsers and HTTP
clients open a new one for the next request). The new connection is taken by whichever worker
reaches the socket first, which is most often the one with less to do, so a crowded worker sheds
connections until the load is even. An idle server keeps connections as long as HTTP allows.
"""

from __future__ import annotations

BUSY_REQUESTS = 16  # requests a connection carries while its worker is busy, then it is closed
_TRACKED = 10_000  # connections remembered at most (entries of closed connections are dropped)


class Rebalance:
    """Pure ASGI middleware (see the module's note)."""

    def __init__(self, app, busy_requests: int = BUSY_REQUESTS):
        self.app = app
        self.busy_requests = busy_requests
        self.in_progress = 0  # only this worker's event loop changes it
        self.carried: dict[tuple, int] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("client") is None:
            return await self.app(scope, receive, send)
        close = False
        if self.in_progress > 0:  # another request is being served: this one waits for a share
            key = tuple(scope["client"])
            n = self.carried.get(key, 0) + 1
            if n >= self.busy_requests:
                self.carried.pop(key, None)
                close = True
            else:
                if len(self.carried) >= _TRACKED:
                    self.carried.clear()
                self.carried[key] = n
        self.in_progress += 1
        try:
            if not close:
                return await self.app(scope, receive, send)

            async def closing(message):
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
                await send(message)

            return await self.app(scope, receive, closing)
        finally:
            self.in_progress -= 1
