"""PostgreSQL's change notices: the shared data versions (`db.data_versions`) kept in memory.

Every committed data change bumps counters in app_state and, on PostgreSQL, sends a notice on
`CHANNEL` (`db._track_data_version`). A web worker listens on a connection of its own and reads the
counters again only after a notice, so a request learns the versions without a statement of its
own: a page served from the cache then costs no round trip at all (no BEGIN, no read, no COMMIT).

A notice reaches the listener a little after the commit that sent it. Commits made by this process
are known before they finish (`expect`): until the notice of such a commit has been read, `current`
answers None and the caller reads the counters itself, so a page after a write always sees it.
A commit of another process is seen by the first request that begins after its notice arrives
(within a millisecond on one machine). A lost listening connection also answers None until it has
been opened again: requests read the counters themselves meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time

CHANNEL = "kc_data_versions"
EXPECT_S = 5.0  # an own commit whose notice has not come by then failed, or its notice was lost
RETRY_S = 2.0  # between attempts to open a lost listening connection
DRAIN_S = 1.0  # notices are read at least this often, also while no request comes

log = logging.getLogger("kechuang")

_watches: dict[object, "VersionWatch"] = {}  # database URL → its watch in this process
_registry_lock = threading.Lock()


def start(engine) -> "VersionWatch":
    """The watch of ``engine``'s database in this process, started on first call."""
    key = _key(engine)
    with _registry_lock:
        watch = _watches.get(key)
        if watch is None or watch.stopped.is_set():
            watch = _watches[key] = VersionWatch(engine)
            watch.begin()
        watch.users += 1
        return watch


def stop(watch: "VersionWatch") -> None:
    """Let go of a watch `start` returned; the last user closes it."""
    with _registry_lock:
        watch.users -= 1
        if watch.users > 0:
            return
        if _watches.get(watch.key) is watch:
            del _watches[watch.key]
    watch.close()


def of(engine) -> "VersionWatch | None":
    """The running watch of ``engine``'s database, if this process started one."""
    return _watches.get(_key(engine)) if _watches else None


def _key(engine):
    return engine.url  # an immutable value: engines made for one URL share the watch


class VersionWatch:
    """The counters of one database, read on a connection that listens on `CHANNEL`."""

    def __init__(self, engine):
        self.key = _key(engine)
        self._connect = _connector(engine)
        self._lock = threading.Lock()
        self._conn = None
        self._versions: dict[str, int] | None = None
        self._expected: dict[str, tuple[int, float]] = {}  # name → (value, when) of own commits
        self._retry_at = 0.0
        self.users = 0
        self.stopped = threading.Event()

    def begin(self) -> None:
        self.current()
        threading.Thread(target=self._drain, daemon=True, name="version-watch").start()

    def current(self) -> dict[str, int] | None:
        """The versions as committed, or None when the caller must read them: the connection is
        lost, or a commit of this process is not yet confirmed by its notice."""
        with self._lock:
            if self.stopped.is_set():
                return None
            try:
                if self._conn is None:
                    if time.monotonic() < self._retry_at:
                        return None
                    self._open()
                elif self._noticed():
                    self._read()
            except Exception:  # any fault of the listening connection: read directly until reopened
                log.warning("数据版本监听连接中断,暂改为每次请求读取", exc_info=True)
                self._drop()
                return None
            if self._expected and not self._confirmed():
                return None
            return dict(self._versions)

    def expect(self, values: dict[str, int]) -> None:
        """Counters a commit of this process is about to make (name → value): until the watch
        has read them, `current` answers None."""
        now = time.monotonic()
        with self._lock:
            for name, value in values.items():
                held = self._expected.get(name)
                if held is None or held[0] < value:
                    self._expected[name] = (value, now)

    def close(self) -> None:
        self.stopped.set()
        with self._lock:
            self._drop()

    def _confirmed(self) -> bool:  # with _lock held
        now = time.monotonic()
        have = self._versions
        for name, (value, since) in list(self._expected.items()):
            if have.get(name, 0) >= value or now - since > EXPECT_S:
                del self._expected[name]
        return not self._expected

    def _open(self) -> None:
        conn = self._connect()
        try:
            conn.autocommit = True
            conn.execute(f"LISTEN {CHANNEL}")
        except Exception:
            conn.close()
            raise
        self._conn = conn
        self._read()  # after LISTEN: a change from here on also sends a notice

    def _noticed(self) -> bool:
        got = False
        for _ in self._conn.notifies(timeout=0):
            got = True
        return got

    def _read(self) -> None:
        from .db import read_versions_raw

        self._versions = read_versions_raw(self._conn)

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        self._versions = None
        self._retry_at = time.monotonic() + RETRY_S
        if conn is not None:
            try:
                conn.close()
            except Exception:
                pass

    def _drain(self) -> None:
        """Read notices while no request does, so they do not queue up on the server."""
        while not self.stopped.wait(DRAIN_S):
            self.current()


def _connector(engine):
    """A function opening a new DB-API connection with ``engine``'s settings, outside its pool."""
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    dbapi = engine.dialect.loaded_dbapi
    return lambda: dbapi.connect(*cargs, **cparams)
