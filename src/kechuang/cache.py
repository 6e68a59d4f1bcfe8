"""A small in-process cache for derived views (dashboards, progress, rankings).

Entries are dropped as soon as the data they were computed from may have changed: every request
that opens a database session reports the shared data versions (`kechuang.db.data_versions`, bumped
by any committed data write from any process) through `observe`. An entry names the sources it
reads (`reads`: tables, ledger kinds as `db.ledger_sources` names them) and is stale when one of
their versions moved; an entry that names none is stale after any data change. Logins and other
bookkeeping writes do not count as data changes, so they leave dashboards warm.
`ttl` only bounds how long a value lives that depends on the clock.
"""

from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Hashable, Iterable, Iterator, Mapping, TypeVar

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")

ALL = "data_version"  # the counter of every data change: what an entry without `reads` depends on

_lock = threading.Lock()
_entries: dict[Hashable, tuple[int, tuple, float, Any]] = {}
_computing: dict[Hashable, threading.Lock] = {}
_generation = 0
_source: str | None = None  # the database last observed
_versions: dict[str, int] = {}  # its versions as last observed
_MAX_ENTRIES = 512
_computed = 0  # views computed since start (a miss that ran `compute`)


def _forget_all() -> None:  # with _lock held
    global _generation
    _generation += 1
    _entries.clear()


def bump() -> None:
    """Forget every cached view."""
    with _lock:
        _forget_all()


def keep_file(path, write, family: str) -> None:
    """Keep a derived value as the file ``path`` for other processes: written through a temporary
    file (``write(tmp)``) and moved into place, then the older files of its ``family`` (a glob in
    the same folder) removed. A failed write is ignored: the file is only a cache."""
    import os

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        write(tmp)
        os.replace(tmp, path)
        for old in path.parent.glob(family):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        pass


@contextmanager
def file_lock(path) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created when missing) across processes: the
    worker processes that would compute the same kept file at the same time (at a start, after a
    change) take turns, and the later ones find the file written. Where files cannot be locked,
    nothing is held: the file is only a cache."""
    try:
        import fcntl

        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")
    except (ImportError, OSError):
        yield
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX)
        except OSError:
            pass
        yield
    finally:
        handle.close()  # closing releases the lock


def observe(source: str, versions: Mapping[str, int] | int | None) -> None:
    """Note the data versions of database `source` (a URL) as a request reads them: views computed
    from sources whose version moved are stale from now on."""
    global _source, _versions
    if not isinstance(versions, Mapping):
        versions = {ALL: versions}
    if source == _source and versions == _versions:
        return
    with _lock:
        if source != _source:  # another database (tests): nothing cached for the last one holds
            _forget_all()
            _source = source
        _versions = dict(versions)


def sources(reads: Iterable[str] | None) -> tuple[str, ...]:
    """The version names an entry reading `reads` depends on (every change when None)."""
    from .db import ANY_SOURCE

    return (ALL,) if reads is None else tuple(sorted(set(reads))) + (ANY_SOURCE,)


def _stamp(deps: tuple[str, ...]) -> tuple:  # with _lock held
    return tuple(_versions.get(d, 0) for d in deps)


def changed(before: Mapping[str, int] | None, after: Mapping[str, int] | None) -> set[str]:
    """The version names that differ between two readings of `db.data_versions`."""
    before, after = before or {}, after or {}
    return {k for k in set(before) | set(after) if before.get(k, 0) != after.get(k, 0)}


def cached(key: Hashable, compute: Callable[[], T], ttl: float = 600.0, reads: Iterable[str] | None = None) -> T:
    """The cached value for `key`, computing it once even when many requests ask at the same time.

    `reads`: the sources the value is computed from (None: any data)."""
    deps = sources(reads)
    hit = _fresh(key, ttl, deps)
    if hit is not None:
        return hit[0]
    with _lock:
        key_lock = _computing.setdefault(key, threading.Lock())
    with key_lock:  # one computation per key; the others wait for its result
        hit = _fresh(key, ttl, deps)
        if hit is not None:
            return hit[0]
        with _lock:
            gen, stamp = _generation, _stamp(deps)
        now = time.monotonic()
        global _computed
        _computed += 1
        value = compute()
        with _lock:
            # a write during compute makes the value stale: don't keep it
            if gen == _generation and stamp == _stamp(deps):
                _entries.pop(key, None)
                while len(_entries) >= _MAX_ENTRIES:  # the oldest out, so many pages of one list
                    _entries.pop(next(iter(_entries)))  # never take every dashboard with them
                _entries[key] = (gen, stamp, now, value)
            _computing.pop(key, None)
        return value


def computed() -> int:
    """How many views this process has computed (not served from the cache) so far."""
    return _computed


def _fresh(key: Hashable, ttl: float, deps: tuple[str, ...]) -> tuple[Any] | None:
    with _lock:
        hit = _entries.get(key)
        if (hit is not None and hit[0] == _generation and hit[1] == _stamp(deps)
                and time.monotonic() - hit[2] < ttl):
            return (hit[3],)
    return None


# Ordered id lists behind deep paging (sorted by a JSON field, or by a program's ranking) are large,
# so they live in their own small store, keyed by the data version they were read at.
_lists: dict[Hashable, Any] = {}
_lists_lock = threading.Lock()
_LIST_ENTRIES = 24


def ordered_ids(conn, key: Hashable, query, reads: Iterable[str] | None = None) -> "np.ndarray":
    """The ids `query` (a SELECT of one id column, ordered) returns, read once per data version
    (of `reads`, see `cached`).

    Pages are then slices of this array, so page 1,000 costs the same as page 1."""
    return per_version(conn, key, lambda: id_array(conn, query), reads)


def id_array(conn, query) -> "np.ndarray":
    """The integers in the first column of `query`'s rows, in order, read from the driver's cursor
    in blocks: SQLAlchemy's row objects cost about half the time of a million ids."""
    import numpy as np

    result = conn.execute(query)
    parts = [np.empty(0, dtype=np.int64)]
    try:
        while rows := result.cursor.fetchmany(100_000):
            parts.append(np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)))
    finally:
        result.close()
    return np.concatenate(parts)


def note_versions(conn, versions: Mapping[str, int] | None) -> None:
    """The data versions `conn`'s current transaction read (a request reads them as it starts), so
    that `per_version` need not read them again within it."""
    conn.info["kc_versions"] = (conn.get_transaction(), versions)


def transaction_versions(conn) -> Mapping[str, int] | None:
    """The versions `note_versions` noted for `conn`'s current transaction (None: not noted)."""
    noted = conn.info.get("kc_versions")
    if noted is None or noted[0] is None or noted[0] is not conn.get_transaction():
        return None
    return noted[1]


def per_version(conn, key: Hashable, make: Callable[[], T], reads: Iterable[str] | None = None, *,
                kept: dict | None = None) -> T:
    """`make()` (a large derived list, e.g. ordered ids) computed once per version of what it
    `reads` (see `cached`) in `conn`'s database; within a transaction that has uncommitted writes,
    computed afresh every time. ``kept``: the caller's own store, holding the newest value of each
    of its keys, for a few small values that the large lists must not push out."""
    from .db import data_versions

    if conn.info.get("kc_data_changed"):  # this transaction has uncommitted writes: read them directly
        return make()
    versions = transaction_versions(conn)
    if versions is None:
        versions = data_versions(conn) or {}
    stamp = tuple(versions.get(d, 0) for d in sources(reads))
    url = str(conn.engine.url)
    if kept is not None:  # the newest value of each key, with the stamp it was made at
        def look():
            hit = kept.get((url, key))
            return hit[1] if hit is not None and hit[0] == stamp else _MISS

        def store(value):
            kept[(url, key)] = (stamp, value)

        return _once(("kept", url, key), look, store, make)
    full = (url, stamp, key)

    def look_list():
        hit = _lists.get(full, _MISS)
        if hit is not _MISS:  # the most recently used last: a list in use is not the next to go
            _lists[full] = _lists.pop(full)
        return hit

    def store_list(value):
        if len(_lists) >= _LIST_ENTRIES:
            _lists.pop(next(iter(_lists)))  # the least recently used first
        _lists[full] = value

    return _once(("ids",) + full, look_list, store_list, make)


_MISS = object()


def _once(lock_key: tuple, look: Callable[[], Any], store: Callable[[Any], None], make: Callable[[], T]) -> T:
    """``look()`` (under the lists' lock), else ``make()`` once however many threads ask at a time,
    kept by ``store``."""
    with _lists_lock:
        hit = look()
    if hit is not _MISS:
        return hit
    with _lock:
        key_lock = _computing.setdefault(lock_key, threading.Lock())
    try:
        with key_lock:
            with _lists_lock:
                hit = look()
            if hit is not _MISS:
                return hit
            value = make()
            with _lists_lock:
                store(value)
            return value
    finally:
        with _lock:
            _computing.pop(lock_key, None)
