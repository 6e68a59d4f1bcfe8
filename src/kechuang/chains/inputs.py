"""Enterprise files for ``kechuang chains assign``: the enterprise ledger's columns (English ids or
Chinese labels, read and checked by the ledgers' own reader) with 主营产品 and 经营范围; only the
credit code is required. An optional IP ledger file gives patent titles."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from ..ledgers.kinds import Kind, get_kind

class ChainInputError(ValueError):
    """A bad input file; ``problems`` are Chinese texts naming file, row, column and value."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@lru_cache(maxsize=1)
def input_kind() -> Kind:
    k = get_kind("enterprise")
    fields = [replace(f, required=(f.id == k.uscc_field)) for f in k.fields]
    return replace(k, fields=tuple(fields), _by_id={f.id: f for f in fields})


def _read(kind: Kind, path: Path, today: dt.date | None) -> list[dict]:
    from ..matching.inputs import MatchInputError, read_records

    try:
        return read_records(path, kind, today=today)
    except MatchInputError as exc:
        raise ChainInputError(exc.problems) from None


def read_enterprises(path: str | Path, *, today: dt.date | None = None) -> list[dict]:
    """One dict per enterprise row; ChainInputError with every problem when any row is bad."""
    return _read(input_kind(), Path(path), today)


def read_patents(path: str | Path, *, today: dt.date | None = None) -> dict[str, list[str]]:
    """Credit code → titles of its patents in force or pending (an IP ledger file)."""
    out: dict[str, list[str]] = {}
    for r in _read(get_kind("ip"), Path(path), today):
        if r.get("status") != "lapsed":
            out.setdefault(r["uscc"], []).append(r["title"])
    return out
