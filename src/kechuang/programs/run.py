"""Evaluate a profile file in batches and write results as they are produced.

``evaluate_file`` yields, per batch of enterprises, the engine's results (``{program: Result}``);
programs whose results depend on the whole pool (``Program.pooled``: ranks, normalisation) are
evaluated once at the end over the columns they read. Writers (``jsonl``, ``parquet``, ``xlsx``,
``summary``, ``table``) consume those results one batch at a time; ``summary`` and ``parquet``
never build a Python object per row.

Engines: ``ENGINES`` maps a name to a function ``(path, program ids, as_of, batch_rows) →
iterator of {program: Result}``.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
from collections import Counter
from pathlib import Path
from typing import IO, Callable, Iterable, Iterator

import polars as pl

from .engine import CODE_NAMES, Result, evaluate, index_missing_order
from .model import programs_by_id
from .profiles import BATCH_ROWS, profile_batches

Results = dict[str, Result]
FORMATS = ("jsonl", "parquet", "xlsx", "table", "summary")
XLSX_MAX_ROWS = 1_048_575  # one header row


def evaluate_batches(batches: Iterable[pl.DataFrame], ids: list[str], as_of: dt.date, *,
                     with_inputs: bool = True, brief: bool = False) -> Iterator[Results]:
    """Results batch by batch; pooled programs last, over the whole population. ``brief``: only
    the columns ``summary`` and ``missing_counts`` read (``engine.evaluate``)."""
    pooled = [pid for pid in ids if any(p.pooled for p in programs_by_id()[pid])]
    local = [pid for pid in ids if pid not in pooled]
    keep: set[str] = {"uscc", "application_on"}
    for pid in pooled:
        for p in programs_by_id()[pid]:
            keep |= p.fields_used()
    held: list[pl.DataFrame] = []
    for frame in batches:
        if local:
            yield evaluate(frame, local, as_of, with_inputs=with_inputs, brief=brief)
        if pooled:
            held.append(frame.select([c for c in frame.columns if c in keep]))
    if pooled and held:
        yield evaluate(pl.concat(held, how="vertical"), pooled, as_of, with_inputs=with_inputs, brief=brief)


def polars_file(path: Path, ids: list[str], as_of: dt.date, batch_rows: int = BATCH_ROWS, *,
                brief: bool = False) -> Iterator[Results]:
    return evaluate_batches(profile_batches(path, batch_rows), ids, as_of, brief=brief)


def spark_file(path: Path | None, ids: list[str], as_of: dt.date, batch_rows: int = BATCH_ROWS, *,
               table: str | None = None, master: str | None = None) -> Iterator[Results]:
    """Evaluate on Spark (CSV/Parquet path or a Spark table); results reach the writers one
    program at a time. Rows are not batched: Spark spreads them over its executors."""
    from .spark import evaluate, read, session

    res = evaluate(read(session(master), path and str(path), table), ids, as_of, with_inputs=True)
    for pid in ids:
        yield {pid: res[pid].to_polars()}


ENGINES: dict[str, Callable[..., Iterator[Results]]] = {"polars": polars_file, "spark": spark_file}


def evaluate_file(path: Path | None, ids: list[str], as_of: dt.date, *, engine: str = "polars",
                  batch_rows: int = BATCH_ROWS, **options) -> Iterator[Results]:
    """``options`` go to the engine (Polars: ``brief``; Spark: ``table``, ``master``)."""
    return ENGINES[engine](path and Path(path), ids, as_of, batch_rows, **options)


# ---------------------------------------------------------------- writers

class Writer:
    """Consumes results batch by batch; ``close`` finishes the output."""

    rows = 0

    def add(self, results: Results) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass


class JsonlWriter(Writer):
    """One JSON object per enterprise and program (the keys of the ``evaluate`` contract),
    built column-wise (``jsonl.py``)."""

    def __init__(self, stream: IO[str]):
        self.stream = stream

    def add(self, results: Results) -> None:
        from .jsonl import write_lines

        for res in results.values():
            for plan, df in res.parts:
                self.rows += write_lines(plan, df, self.stream)


class ParquetWriter(Writer):
    """One row per enterprise and program: the summary columns plus the ids of failing and
    undecided conditions. Batches go to part files merged at the end (bounded memory)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.dir = Path(tempfile.mkdtemp(prefix="kechuang-parquet-"))
        self.parts: list[Path] = []

    def add(self, results: Results) -> None:
        frames = [machine_frame(res) for res in results.values() if res.parts]
        if not frames:
            return
        df = pl.concat(frames, how="vertical_relaxed")
        part = self.dir / f"{len(self.parts):06d}.parquet"
        df.write_parquet(part)
        self.parts.append(part)
        self.rows += df.height

    def close(self) -> None:
        try:
            if self.parts:
                pl.scan_parquet(self.parts).sink_parquet(self.path)
            else:
                machine_frame(Result("", [])).write_parquet(self.path)
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def machine_frame(res: Result) -> pl.DataFrame:
    """Summary columns plus ``failed`` / ``undecided`` (condition ids) for every part."""
    base = res.summary()
    lists = []
    for plan, df in res.parts:
        def ids_with(code: int) -> pl.Expr:
            parts = [pl.when(pl.col(f"{cp.item.id}.result") == code).then(pl.lit(cp.item.id))
                     for cp in plan.conditions]
            if not parts:
                return pl.lit([], dtype=pl.List(pl.String))
            return pl.concat_list(parts).list.drop_nulls()
        lists.append(df.select("uscc", ids_with(0).alias("failed"), ids_with(3).alias("undecided")).drop("uscc"))
    if not lists:
        return base.with_columns(pl.lit([], dtype=pl.List(pl.String)).alias("failed"),
                                 pl.lit([], dtype=pl.List(pl.String)).alias("undecided"))
    return pl.concat([base, pl.concat(lists, how="vertical")], how="horizontal")


class XlsxWriter(Writer):
    """Summary, conditions and gaps sheets; an Excel sheet holds at most 1,048,575 rows."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.sheets: dict[str, list[pl.DataFrame]] = {}

    def add(self, results: Results) -> None:
        from .explain import records
        from .export import workbook_frames

        for name, df in workbook_frames(list(records(results))).items():
            self.sheets.setdefault(name, []).append(df)
            if sum(d.height for d in self.sheets[name]) > XLSX_MAX_ROWS:
                raise TooManyRows(f"结果超过 Excel 工作表的行数上限（{XLSX_MAX_ROWS:,} 行），"
                                  "请改用 --format parquet 或 jsonl")
            self.rows += df.height if name == "评价汇总" else 0

    def close(self) -> None:
        from ..excel import write_xlsx

        write_xlsx(self.path, {k: pl.concat(v, how="diagonal_relaxed") for k, v in self.sheets.items()})


class TableWriter(Writer):
    """Records kept for a table on screen (small populations)."""

    def __init__(self) -> None:
        self.recs: list[dict] = []

    def add(self, results: Results) -> None:
        from .explain import records

        self.recs += records(results)
        self.rows = len(self.recs)


class TooManyRows(ValueError):
    pass


class SummaryWriter(Writer):
    """Counts per program and result (and 一步之遥), from the result columns."""

    def __init__(self) -> None:
        self.counts: Counter = Counter()
        self.order: list[str] = []

    def add(self, results: Results) -> None:
        for pid, res in results.items():
            if res.parts and pid not in self.order:
                self.order.append(pid)
            for _, df in res.parts:
                g = df.group_by("result_code").agg(pl.len().alias("n"), pl.col("close").sum().alias("c"))
                for code, n, c in g.iter_rows():
                    self.counts[(pid, CODE_NAMES.get(code))] += n
                    self.counts[(pid, "close")] += c or 0
                self.rows += df.height


def missing_counts(results: Results) -> Counter:
    """How many undecided (unknown) results each missing input blocks — the same fields as the
    records' ``missing`` lists, counted from the columns."""
    out: Counter = Counter()
    for res in results.values():
        for plan, df in res.parts:
            p = plan.program
            unknown = pl.col("result_code") == 3
            expert = p.expert_fields()
            if p.kind == "index":  # as explain._index_record: the stage's inputs once the stage is known
                order = index_missing_order(p)
                decide = set(order[None]) - set(order["startup"])
                known = pl.col("stage_of").is_not_null() if "stage_of" in df.columns else pl.lit(False)
                exprs = [(unknown & (pl.col(f).is_null() if f in df.columns else pl.lit(True))
                          & (~known if f in decide else pl.lit(True))).fill_null(False).sum().alias(f)
                         for f in order[None]]
                row = df.select(exprs).row(0, named=True) if exprs else {}
                out.update({k: v for k, v in row.items() if v})
                continue
            else:
                codes = {cp.item.id: pl.col(f"{cp.item.id}.result") == 3 for cp in plan.conditions}
                none_unknown = ~pl.any_horizontal(list(codes.values())) if codes else pl.lit(True)
                items = [(cp.item, codes[cp.item.id] | none_unknown) for cp in plan.conditions]
            per_field: dict[str, list[pl.Expr]] = {}
            for it, chosen in items:
                for fid in p.item_fields(it):
                    if fid != "application_on" and fid not in expert and fid in df.columns:
                        per_field.setdefault(fid, []).append(chosen)
            if not per_field:
                continue
            row = df.select([(unknown & pl.col(fid).is_null() & pl.any_horizontal(ch)).fill_null(False)
                             .sum().alias(fid) for fid, ch in per_field.items()]).row(0, named=True)
            out.update({k: v for k, v in row.items() if v})
    return out
