"""Shared by the benchmark scripts (run as `python benchmarks/<name>.py`, so this folder is on the path)."""

from __future__ import annotations

import time
from typing import Callable


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    """The fastest of `repeat` runs of `fn`, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)
