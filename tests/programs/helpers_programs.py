"""Helpers for program tests: build profiles, evaluate, read results by name."""

from __future__ import annotations

import datetime as dt
import math
import random

import polars as pl

from kechuang.ledgers.uscc import check_char
from kechuang.programs.engine import CODE_NAMES, evaluate
from kechuang.programs.fields import fields
from kechuang.programs.model import programs_by_id

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


# ---------------------------------------------------------------- a population at the thresholds

REGIONS = ["320902", "320205", "320581", "310101", "110108"]
ROUND_MONEY = [0.0, 100.0, 500.0, 1000.0, 2000.0, 3000.0, 5000.0, 10000.0, 20000.0, 50000.0]


def _used() -> list[str]:
    out = set()
    for versions in programs_by_id().values():
        for p in versions:
            out |= p.fields_used()
    return sorted(out | {"application_on", "uscc"})


def _value(rng: random.Random, fid: str):
    f = fields()[fid]
    if fid == "uscc":
        return None
    if rng.random() < 0.1:
        return None
    if f.kind == "num":
        if f.type == "money":
            return rng.choice(ROUND_MONEY) if rng.random() < 0.2 else round(rng.uniform(0, 30000), 2)
        if f.type == "count":
            return float(rng.randint(0, 400))
        if f.type == "percent":
            return round(rng.uniform(0, 1), 4)
        return float(rng.randint(0, 20)) if f.step >= 1 else round(rng.uniform(0, 20), 2)
    if f.kind == "date":
        if fid == "application_on":  # every rule version is chosen by some rows
            return dt.date(2019, 1, 1) + dt.timedelta(days=rng.randint(0, 2700))
        return dt.date(1995, 1, 1) + dt.timedelta(days=rng.randint(0, 11000))
    if f.kind == "bool":
        return rng.random() < 0.5
    if f.values:
        return rng.choice(f.values)
    return rng.choice(REGIONS)


def _uscc(i: int) -> str:
    s = f"91320900MA1{i:06d}"
    return s + check_char(s)


def population(n: int, seed: int = 12) -> pl.DataFrame:
    """Random profiles, then moved onto the thresholds: where the engine reports the value a
    field needs (a gap), set it to that value, one step below or one step above."""
    rng = random.Random(seed)
    cols = _used()
    rows = [{c: _value(rng, c) for c in cols} | {"uscc": _uscc(i)} for i in range(n)]
    df = pl.DataFrame({c: pl.Series(c, [r[c] for r in rows], dtype=fields()[c].dtype) for c in cols})
    res = evaluate(df, "all", AS_OF)
    edges: dict[str, list[tuple[str, float]]] = {}
    for r in res.values():
        for _, part in r.parts:
            gap_cols = [c for c in part.columns if ".gap." in c]
            for row in part.select(["uscc", *gap_cols]).iter_rows(named=True):
                for c in gap_cols:
                    if row[c] is not None and math.isfinite(row[c]):
                        edges.setdefault(row["uscc"], []).append((c.split(".gap.")[1], row[c]))
    by_id = {r["uscc"]: r for r in rows}
    for uscc, found in edges.items():
        for fid, needed in rng.sample(found, min(3, len(found))):
            step = fields()[fid].step
            by_id[uscc][fid] = round(needed + rng.choice((0.0, 0.0, -step, step)), 6)
    return pl.DataFrame({c: pl.Series(c, [r[c] for r in rows], dtype=fields()[c].dtype) for c in cols})
