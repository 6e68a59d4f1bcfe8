"""A busy worker hands kept-alive connections back to the listening socket; an idle one keeps them."""

from __future__ import annotations

import asyncio

from kechuang.web.balance import Rebalance


async def _page(scope, receive, send):
    if scope["path"] == "/slow":
        await asyncio.sleep(0.05)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def _get(app, path: str, client=("10.0.0.1", 40000)) -> dict[bytes, bytes]:
    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": [], "client": client}
    got = {}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            got.update(message["headers"])

    await app(scope, receive, send)
    return got


def test_an_idle_worker_keeps_every_connection_open():
    app = Rebalance(_page, busy_requests=3)

    async def run():
        return [await _get(app, "/") for _ in range(20)]

    assert all(b"connection" not in h for h in asyncio.run(run()))


def test_a_busy_worker_closes_a_connection_after_its_share_of_requests():
    app = Rebalance(_page, busy_requests=3)

    async def run():
        slow = asyncio.create_task(_get(app, "/slow", client=("10.0.0.2", 40001)))  # another user's request
        await asyncio.sleep(0.01)
        mine = [await _get(app, "/") for _ in range(7)]
        await slow
        return mine, await _get(app, "/")

    mine, later = asyncio.run(run())
    closed = [h.get(b"connection") == b"close" for h in mine]
    assert closed == [False, False, True, False, False, True, False]
    assert all(h[b"content-type"] == b"text/plain" for h in mine)  # the page's own headers stay
    assert b"connection" not in later  # idle again: the connection is kept
