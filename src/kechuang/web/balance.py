"""Spread kept-alive connections evenly over the worker processes.

`kechuang serve --workers N` runs N processes that accept from one listening socket; a browser
keeps its connection open and sends every later request to the process that accepted it. Which
process accepts is luck: 20 connections opened together land 14 on one worker and 6 on the other
as often as not, and the crowded worker's users then wait twice as long while the other idles.

Each worker publishes how many requests it is serving in a slot of a small shared file
(`LoadBoard`). A worker serving two or more requests than the least busy worker answers with
``Connection: close``: the browser opens a new connection for its next request, which the
listening socket hands to whichever worker takes it first, most often the one with less to do.
Connections move only while the load is uneven; a server with one worker, or an idle one, keeps
them as long as HTTP allows.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path

SLOTS = 64  # workers sharing one board at most
_SLOT = struct.Struct("<qq")  # pid, requests in progress
_IN_PROGRESS = struct.Struct("<q")  # the second half of a slot


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal: only whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        pass
    return True


class LoadBoard:
    """Requests in progress per worker process, in a file every worker maps into memory."""

    def __init__(self, path: Path, owner: int | None = None):
        import fcntl

        self.owner = owner if owner is not None else os.getpid()
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # workers starting together claim slots one at a time
            if os.fstat(fd).st_size < SLOTS * _SLOT.size:
                os.ftruncate(fd, SLOTS * _SLOT.size)
            self.map = mmap.mmap(fd, SLOTS * _SLOT.size)
            self.slot = self._claim()
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @classmethod
    def open(cls, path: Path) -> "LoadBoard | None":
        """This process's board at ``path``, or None where the file cannot be made (then the server
        runs without balancing)."""
        try:
            return cls(path)
        except (OSError, ValueError, ImportError):
            return None

    def _claim(self) -> int:
        free = None
        for i in range(SLOTS):
            pid, _ = _SLOT.unpack_from(self.map, i * _SLOT.size)
            if pid == self.owner:
                return i
            if pid and not _alive(pid):  # a worker that ended without leaving (killed, crashed)
                _SLOT.pack_into(self.map, i * _SLOT.size, 0, 0)
                pid = 0
            if free is None and pid == 0:
                free = i
        if free is None:
            raise OSError("no free slot")
        _SLOT.pack_into(self.map, free * _SLOT.size, self.owner, 0)
        return free

    def set(self, in_progress: int) -> None:
        _IN_PROGRESS.pack_into(self.map, self.slot * _SLOT.size + _IN_PROGRESS.size, in_progress)

    def least_other(self) -> int | None:
        """The fewest requests another worker is serving (None: no other worker)."""
        return min((n for i, (pid, n) in enumerate(_SLOT.iter_unpack(self.map)) if pid and i != self.slot),
                   default=None)

    def leave(self) -> None:
        _SLOT.pack_into(self.map, self.slot * _SLOT.size, 0, 0)


class Rebalance:
    """Pure ASGI middleware (see the module's note); without a board it passes requests through."""

    def __init__(self, app, board: LoadBoard | None):
        self.app = app
        self.board = board
        self.in_progress = 0  # only this worker's event loop changes it

    async def __call__(self, scope, receive, send):
        board = self.board
        if scope["type"] != "http" or board is None:
            return await self.app(scope, receive, send)
        self.in_progress += 1
        board.set(self.in_progress)
        least = board.least_other()
        try:
            if least is None or self.in_progress <= least + 1:
                return await self.app(scope, receive, send)

            async def closing(message):
                if message["type"] == "http.response.start":
                    message = {**message, "headers": [*message.get("headers", ()), (b"connection", b"close")]}
                await send(message)

            return await self.app(scope, receive, closing)
        finally:
            self.in_progress -= 1
            board.set(self.in_progress)
