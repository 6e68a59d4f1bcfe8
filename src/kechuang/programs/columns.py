"""The column API that rule compilation builds on.

The compiler, the gap solver and the plan builder write ``pl.when(...)``, ``pl.col(...)`` and
Polars expression methods. ``pl`` here is Polars unless an engine swaps in another module with
the same API for the duration of a build (the Spark engine does, see ``programs/spark``); the
rules are compiled by one compiler whatever the engine.
"""

from __future__ import annotations

import contextvars
from contextlib import contextmanager
from types import ModuleType

_api: contextvars.ContextVar[ModuleType | None] = contextvars.ContextVar("column_api", default=None)


class _Api:
    __slots__ = ()

    def __getattr__(self, name: str):
        mod = _api.get()
        if mod is None:
            import polars as mod
        return getattr(mod, name)


pl = _Api()


@contextmanager
def using(module: ModuleType):
    """Build expressions with ``module`` (a Polars-compatible column API) inside the block."""
    token = _api.set(module)
    try:
        yield
    finally:
        _api.reset(token)
