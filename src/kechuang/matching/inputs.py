"""Demand and supply files for ``kechuang match``: read and checked by the ledgers' own reader and
validation (the ``demand`` and ``supply`` kinds), so the columns, Chinese labels and errors are the
ledgers'; columns the kind does not know are ignored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl

from ..ledgers.excel_io import read_path
from ..ledgers.kinds import Kind, get_kind
from ..ledgers.validate import validate


class MatchInputError(ValueError):
    """A bad demand or supply file; ``problems`` are Chinese texts naming file, row, column, value."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def records(frame: pl.DataFrame, kind: str | Kind) -> list[dict]:
    """Typed frame → one dict per record (field id → value; Decimal, date, bool or text)."""
    ids = (kind if isinstance(kind, Kind) else get_kind(kind)).field_ids
    return frame.select([c for c in ids if c in frame.columns]).to_dicts()


def read_records(path: str | Path, kind: str | Kind, *, today: dt.date | None = None) -> list[dict]:
    """Every record of a file of a ledger kind (demand, supply, …); MatchInputError with every
    problem when any row is bad (nothing is half-read)."""
    k = kind if isinstance(kind, Kind) else get_kind(kind)
    res = read_path(k, path)
    if res.problems or res.frame is None:
        raise MatchInputError([p.text() for p in res.problems])
    typed, problems = validate(k, res.frame, file=Path(path).name, headers=res.columns, today=today)
    if problems:
        raise MatchInputError([p.text() for p in problems])
    return records(typed, k)


def read_demands(path: str | Path, **kw) -> list[dict]:
    return read_records(path, "demand", **kw)


def read_supplies(path: str | Path, **kw) -> list[dict]:
    return read_records(path, "supply", **kw)


def stored(engine, region_codes: set[str] | None, as_of: dt.date) -> tuple[list[dict], list[dict], set[str]]:
    """(demands of the given regions — None: all —, every stored supply, credit codes holding a
    高新技术企业 certificate valid on ``as_of`` by the certification ledger's one validity rule)."""
    from ..ledgers import load_frame

    demands = records(load_frame(engine, "demand", region_codes), "demand")
    supplies = records(load_frame(engine, "supply"), "supply")
    return demands, supplies, hnte_holders(engine, as_of)


def hnte_holders(engine, as_of: dt.date, usccs: list[str] | None = None) -> set[str]:
    """Credit codes (all, or among ``usccs``) holding a 高新技术企业 certificate valid on ``as_of``,
    by the certification ledger's one validity rule."""
    from ..ledgers import load_frame
    from ..ledgers.validity import valid_on_expr

    certs = load_frame(engine, "certification", usccs=usccs)
    return set(certs.filter((pl.col("cert_type") == "hnte") & valid_on_expr(as_of))
               .get_column("uscc").drop_nulls().to_list()) if certs.height else set()
