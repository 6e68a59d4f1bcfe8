"""Workers share how busy they are; the busier one hands connections back to the listening socket."""

from __future__ import annotations

import asyncio
import os
from concurrent.futures import ThreadPoolExecutor

from kechuang.web.balance import LoadBoard, Rebalance


async def _page(scope, receive, send):
    if scope["path"] == "/slow":
        await asyncio.sleep(0.05)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"ok"})


async def _get(app, path: str = "/") -> dict[bytes, bytes]:
    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": [],
             "client": ("10.0.0.1", 40000)}
    got = {}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            got.update(message["headers"])

    await app(scope, receive, send)
    return got


def _run(coro):
    """asyncio.run on a thread of its own: a browser test earlier in the same worker may leave an
    event loop running on the test thread."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result(timeout=60)


def _two_workers(tmp_path):
    # two live processes' ids stand for the two workers (a slot of a dead process is reclaimed)
    path = tmp_path / "worker-load"
    return (Rebalance(_page, LoadBoard(path, owner=os.getpid())),
            Rebalance(_page, LoadBoard(path, owner=os.getppid())))


def test_a_worker_busier_than_another_closes_connections_until_they_even_out(tmp_path):
    busy, idle = _two_workers(tmp_path)

    async def run():
        slow = [asyncio.create_task(_get(busy, "/slow")) for _ in range(2)]
        await asyncio.sleep(0.01)
        on_busy, on_idle = await _get(busy), await _get(idle)  # busy serves 3, idle 1
        await asyncio.gather(*slow)
        return on_busy, on_idle, await _get(busy)

    on_busy, on_idle, later = _run(run())
    assert on_busy[b"connection"] == b"close" and on_busy[b"content-type"] == b"text/plain"
    assert b"connection" not in on_idle
    assert b"connection" not in later  # even again: the connection is kept


def test_one_request_more_than_the_other_worker_is_even_enough(tmp_path):
    busy, idle = _two_workers(tmp_path)

    async def run():
        first = asyncio.create_task(_get(busy, "/slow"))  # 1 against 0: kept
        await asyncio.sleep(0.01)
        second = await _get(busy)  # 2 against 0: closed
        return await first, second

    first, second = _run(run())
    assert b"connection" not in first and second[b"connection"] == b"close"


async def _beside_slow(app, slow: int) -> dict[bytes, bytes]:
    """A request's headers, sent while ``slow`` slower requests are in progress on the same worker."""
    pending = [asyncio.create_task(_get(app, "/slow")) for _ in range(slow)]
    await asyncio.sleep(0.01)
    got = await _get(app)
    await asyncio.gather(*pending)
    return got


def test_a_single_worker_keeps_every_connection(tmp_path):
    only = Rebalance(_page, LoadBoard(tmp_path / "worker-load"))
    assert b"connection" not in _run(_beside_slow(only, 3))


def test_a_worker_that_left_no_longer_counts(tmp_path):
    busy, idle = _two_workers(tmp_path)
    idle.board.leave()
    assert b"connection" not in _run(_beside_slow(busy, 2))
