"""Helpers for program tests: build profiles, evaluate, read results by name."""

from __future__ import annotations

import datetime as dt

import polars as pl

from kechuang.programs.engine import CODE_NAMES, evaluate
from kechuang.programs.fields import fields

AS_OF = dt.date(2025, 6, 1)


def frame(rows: list[dict]) -> pl.DataFrame:
    cols = sorted({k for r in rows for k in r})
    data = {}
    for c in cols:
        f = fields()[c]
        data[c] = pl.Series(c, [r.get(c) for r in rows], dtype=f.dtype, strict=False)
    return pl.DataFrame(data)


def run(program: str, rows: list[dict], as_of: dt.date = AS_OF, **kw):
    rows = [{"uscc": f"U{i:03d}", **r} for i, r in enumerate(rows)]
    res = evaluate(frame(rows), [program], as_of, **kw)[program]
    parts = []
    for plan, df in res.parts:
        parts.append(df)
    df = pl.concat(parts, how="diagonal_relaxed").sort("uscc")
    return df


def cond(df: pl.DataFrame, cid: str) -> list[str]:
    return [CODE_NAMES[c] for c in df[f"{cid}.result"].to_list()]


def result(df: pl.DataFrame) -> list[str]:
    return [CODE_NAMES[c] if c is not None else None for c in df["result_code"].to_list()]


def points(df: pl.DataFrame, iid: str) -> list:
    lo = df[f"{iid}.points"].to_list()
    if f"{iid}.points_max" in df.columns:
        return [(a, b) if a != b else a for a, b in zip(lo, df[f"{iid}.points_max"].to_list())]
    return lo
