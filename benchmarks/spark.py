"""Benchmark: the Spark engine against the Polars engine, same profiles, same run.

Generates ``--rows`` synthetic profiles (default 10,000,000; written once as Parquet in
chunks of 1,000,000 so that neither engine's input is held twice), then evaluates every
program with gaps on both engines: Polars (``engine.evaluate``, results in memory) and Spark
(``programs.spark.evaluate``, every result column computed and discarded by Spark's ``noop``
writer, the results counted in the same pass; local mode, ``--master`` or SPARK_MASTER for a cluster). Prints both times, rows per
second and the ratio. Usage: python benchmarks/spark.py [--rows N] [--programs all|id,id]
[--master local[2]] [--skip-polars]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import polars as pl
from programs import AS_OF, synth

from kechuang.programs.engine import evaluate, program_ids

CHUNK = 1_000_000


def write_profiles(rows: int, folder: Path) -> None:
    done, i = 0, 0
    while done < rows:
        n = min(CHUNK, rows - done)
        synth(n, seed=7 + i).with_columns(
            (pl.lit(f"{i:03d}-") + pl.col("uscc")).alias("uscc"),
        ).write_parquet(folder / f"part-{i:05d}.parquet")
        done += n
        i += 1


def run_polars(folder: Path, ids: list[str]) -> tuple[float, int]:
    """Every program over each part file in turn (results computed and dropped, as Spark's
    ``noop`` writer does): memory stays that of one million profiles."""
    t = time.perf_counter()
    n = 0
    for part in sorted(folder.glob("*.parquet")):
        res = evaluate(pl.read_parquet(part), ids, AS_OF)
        n += sum(r.height for r in res.values())
        del res
    return time.perf_counter() - t, n


def run_spark(folder: Path, ids: list[str], master: str | None) -> tuple[float, float, int]:
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    from kechuang.programs import spark as engine

    s = engine.session(master)
    s.sparkContext.setLogLevel("ERROR")
    s.read.parquet(str(folder)).limit(10).collect()  # start the executors before timing
    t = time.perf_counter()
    res = engine.evaluate(engine.read(s, str(folder)), ids, AS_OF)
    planned = time.perf_counter() - t
    n = 0
    for r in res.values():
        for _, df in r.parts:
            rows = Observation()  # counted while written: one pass, not a second job
            df.observe(rows, F.count(F.lit(1)).alias("n")).write.format("noop").mode("overwrite").save()
            n += rows.get["n"]
    secs = time.perf_counter() - t
    return secs, planned, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--programs", default="all")
    ap.add_argument("--master", default=None, help="Spark master (default SPARK_MASTER or local[2])")
    ap.add_argument("--skip-polars", action="store_true", help="only Spark (when the rows do not fit in memory)")
    args = ap.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    ids = program_ids(args.programs if args.programs == "all" else args.programs.split(","))
    with tempfile.TemporaryDirectory(prefix="kc-spark-bench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        write_profiles(args.rows, folder)
        print(f"profiles: {args.rows:,} rows × {len(ids)} programs (generated in {time.perf_counter() - t:.1f} s)")
        if not args.skip_polars:
            secs, n = run_polars(folder, ids)
            print(f"polars: {secs:8.1f} s  {n / secs:12,.0f} results/s  ({n:,} enterprise-program results)")
        ssecs, planned, sn = run_spark(folder, ids, args.master)
        print(f"spark:  {ssecs:8.1f} s  {sn / ssecs:12,.0f} results/s  (plans built and analysed in {planned:.1f} s)")
        if not args.skip_polars:
            print(f"polars:  {n / secs:12,.0f} results/s, {args.rows / secs:12,.0f} profiles/s; "
                  f"spark: {sn / ssecs:12,.0f} results/s, {args.rows / ssecs:12,.0f} profiles/s")
        if not args.skip_polars:
            assert sn == n, (sn, n)
            print(f"spark / polars: {ssecs / secs:.2f}×")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
