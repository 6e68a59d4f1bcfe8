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
from typing import Any, Callable, Hashable, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_entries: dict[Hashable, tuple[int, float, Any]] = {}
_computing: dict[Hashable, threading.Lock] = {}
_generation = 0
_seen_versions: dict[str, object] = {}
_MAX_ENTRIES = 512


def bump() -> None:
    """Forget every cached view (call after a write)."""
    global _generation
    with _lock:
        _generation += 1
        _entries.clear()


def observe(source: str, version: object) -> None:
    """Forget every cached view if `source`'s data version differs from the last one seen."""
    global _generation
    if _seen_versions.get(source, _lock) == version:
        return
    with _lock:
        if _seen_versions.get(source, _lock) != version:
            _seen_versions[source] = version
            _generation += 1
            _entries.clear()


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
        value = compute()
        with _lock:
            if gen == _generation:  # a write during compute makes the value stale: don't keep it
                if len(_entries) >= _MAX_ENTRIES:
                    _entries.clear()
                _entries[key] = (gen, now, value)
            _computing.pop(key, None)
        return value


def _fresh(key: Hashable, ttl: float) -> tuple[Any] | None:
    with _lock:
        hit = _entries.get(key)
        if hit is not None and hit[0] == _generation and time.monotonic() - hit[1] < ttl:
            return (hit[2],)
    return None
