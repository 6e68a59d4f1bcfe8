"""A small in-process cache for derived views (dashboards, progress, rankings).

Entries are dropped as soon as the data they were computed from may have changed: every request
that opens a database session reports the shared data version (`kechuang.db.data_version`, bumped by
any committed data write from any process) through `observe`, and a new version forgets every entry.
Logins and other bookkeeping writes do not count as data changes, so they leave dashboards warm.
`ttl` only bounds how long a value lives that depends on the clock.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any, Callable, Hashable, TypeVar

if TYPE_CHECKING:
    import numpy as np

T = TypeVar("T")

_lock = threading.Lock()
_entries: dict[Hashable, tuple[int, float, Any]] = {}
_computing: dict[Hashable, threading.Lock] = {}
_generation = 0
_seen_versions: dict[str, object] = {}
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


def observe(source: str, version: object) -> None:
    """Forget every cached view if `source`'s data version differs from the last one seen."""
    if _seen_versions.get(source, _lock) == version:
        return
    with _lock:
        if _seen_versions.get(source, _lock) != version:
            _seen_versions[source] = version
            _forget_all()


def cached(key: Hashable, compute: Callable[[], T], ttl: float = 600.0) -> T:
    """The cached value for `key`, computing it once even when many requests ask at the same time."""
    hit = _fresh(key, ttl)
    if hit is not None:
        return hit[0]
    with _lock:
        key_lock = _computing.setdefault(key, threading.Lock())
    with key_lock:  # one computation per key; the others wait for its result
        hit = _fresh(key, ttl)
        if hit is not None:
            return hit[0]
        with _lock:
            gen = _generation
        now = time.monotonic()
        global _computed
        _computed += 1
        value = compute()
        with _lock:
            if gen == _generation:  # a write during compute makes the value stale: don't keep it
                if len(_entries) >= _MAX_ENTRIES:
                    _entries.clear()
                _entries[key] = (gen, now, value)
            _computing.pop(key, None)
        return value


def computed() -> int:
    """How many views this process has computed (not served from the cache) so far."""
    return _computed


def _fresh(key: Hashable, ttl: float) -> tuple[Any] | None:
    with _lock:
        hit = _entries.get(key)
        if hit is not None and hit[0] == _generation and time.monotonic() - hit[1] < ttl:
            return (hit[2],)
    return None


# Ordered id lists behind deep paging (sorted by a JSON field, or by a program's ranking) are large,
# so they live in their own small store, keyed by the data version they were read at.
_lists: dict[Hashable, Any] = {}
_lists_lock = threading.Lock()
_LIST_ENTRIES = 24


def ordered_ids(conn, key: Hashable, query) -> "np.ndarray":
    """The ids `query` (a SELECT of one id column, ordered) returns, read once per data version.

    Pages are then slices of this array, so page 1,000 costs the same as page 1."""
    import numpy as np

    return per_version(conn, key, lambda: np.fromiter((r[0] for r in conn.execute(query)), dtype=np.int64))


def per_version(conn, key: Hashable, make: Callable[[], T]) -> T:
    """`make()` (a large derived list, e.g. ordered ids) computed once per data version of `conn`'s
    database; within a transaction that has uncommitted writes, computed afresh every time."""
    from .db import data_version

    if conn.info.get("kc_data_changed"):  # this transaction has uncommitted writes: read them directly
        return make()
    full = (str(conn.engine.url), data_version(conn), key)
    with _lists_lock:
        hit = _lists.get(full)
    if hit is not None:
        return hit
    with _lock:
        key_lock = _computing.setdefault(("ids",) + full, threading.Lock())
    with key_lock:
        with _lists_lock:
            hit = _lists.get(full)
        if hit is not None:
            return hit
        value = make()
        with _lists_lock:
            if len(_lists) >= _LIST_ENTRIES:
                _lists.pop(next(iter(_lists)))  # oldest first
            _lists[full] = value
        with _lock:
            _computing.pop(("ids",) + full, None)
        return value
