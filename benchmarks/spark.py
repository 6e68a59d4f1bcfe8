"""Benchmark: the Spark engine against the Polars engine, same profiles, same run.

Generates ``--rows`` profiles (default 10,000,000) as Parquet part files of 1,000,000 rows, drawn
from the tests' threshold population (``tests/programs/helpers_programs.population``: nulls,
values at, one step below and one step above the rules' thresholds, application dates that
choose every rule version): a fifth of the rows are whole rows of it, the rest take each column
from a different row. Then every program, with gaps and one-step-away flips, on both engines:

- Polars: ``run.evaluate_batches`` over the part files (as ``kechuang evaluate`` does: local
  programs per part, pooled programs such as 创新积分 over the whole population at the end);
- Spark (local mode, both cores; ``--master`` or SPARK_MASTER for a cluster): every result
  column computed by Spark's ``noop`` writer, the fingerprint observed in the same pass.

The fingerprint, per program, rule version and result (pass/fail/depends/unknown/none): rows,
rows one step away, the sum of ⌊1000·score⌋ and the sum of ranks within the stage; both engines
must give the same. Prints wall and CPU time of each engine, the ratio, and peak memory (the
Python process for Polars, the Spark JVM for Spark). CPU time is the figure to compare while
other work shares the machine.
Usage: python benchmarks/spark.py [--rows N] [--programs all|id,id] [--master local[2]] [--skip-polars]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "programs"))
from helpers_programs import AS_OF, population  # noqa: E402

from kechuang.programs.engine import CODE_NAMES, program_ids  # noqa: E402
from kechuang.programs.run import evaluate_batches  # noqa: E402

CHUNK = 1_000_000
SEED_ROWS = 10_000
CODES = [*CODE_NAMES, None]


def write_profiles(rows: int, folder: Path) -> None:
    seed = population(SEED_ROWS)
    done, i = 0, 0
    while done < rows:
        n = min(CHUNK, rows - done)
        rng = np.random.default_rng(100 + i)
        whole = rng.random(n) < 0.2
        row = rng.integers(0, SEED_ROWS, n)
        cols = {c: seed[c].gather(pl.Series(np.where(whole, row, rng.integers(0, SEED_ROWS, n))))
                for c in seed.columns if c != "uscc"}
        uscc = pl.Series("uscc", np.arange(done, done + n)).cast(pl.String)
        pl.DataFrame({"uscc": uscc, **cols}).write_parquet(folder / f"part-{i:05d}.parquet")
        done += n
        i += 1


def _add(fp: Counter, key: tuple, n: int, close: int, score: int, rank: int) -> None:
    for k, v in zip(("rows", "close", "score", "rank"), (n, close, score, rank)):
        fp[(*key, k)] += int(v or 0)


def run_polars(folder: Path, ids: list[str]) -> tuple[float, float, int, Counter]:
    """Results computed part by part and dropped once counted (memory: one part, plus the
    columns pooled programs read for the whole population)."""
    t, c = time.perf_counter(), time.process_time()
    fp: Counter = Counter()
    batches = (pl.read_parquet(p) for p in sorted(folder.glob("*.parquet")))
    for results in evaluate_batches(batches, ids, AS_OF, with_inputs=False):
        for res in results.values():
            for plan, df in res.parts:
                score = (pl.col("score") * 1000).floor().cast(pl.Int64).sum() if "score" in df.columns else pl.lit(0)
                rank = pl.col("rank").cast(pl.Int64).sum() if "rank" in df.columns else pl.lit(0)
                agg = df.group_by("result_code").agg(pl.len(), pl.col("close").sum(), score.alias("s"), rank.alias("r"))
                for code, n, close, s, r in agg.iter_rows():
                    _add(fp, (plan.program.id, plan.program.version, code), n, close, s, r)
        del results
    return time.perf_counter() - t, time.process_time() - c, sum(v for k, v in fp.items() if k[-1] == "rows"), fp


def _jvm_cpu(pid: int) -> float:
    f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")


def _jvm_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def run_spark(folder: Path, ids: list[str], master: str | None) -> tuple[float, float, float, int, Counter, float]:
    from pyspark.sql import Observation
    from pyspark.sql import functions as F

    from kechuang.programs import spark as engine

    s = engine.session(master)
    s.sparkContext.setLogLevel("ERROR")
    local = s.sparkContext.master.startswith("local")
    jpid = int(s.sparkContext._jvm.java.lang.ProcessHandle.current().pid()) if local else None
    s.read.parquet(str(folder)).limit(10).collect()  # start the executors before timing
    t, c = time.perf_counter(), _jvm_cpu(jpid) if jpid else 0.0
    res = engine.evaluate(engine.read(s, str(folder)), ids, AS_OF)
    planned = time.perf_counter() - t
    fp: Counter = Counter()
    for r in res.values():
        for plan, df in r.parts:
            code = F.col("result_code")
            aggs = []
            for k in CODES:
                hit = code.isNull() if k is None else code == k
                score = F.floor(F.col("score") * 1000) if "score" in df.columns else F.lit(0)
                rank = F.col("rank").cast("bigint") if "rank" in df.columns else F.lit(0)
                aggs += [F.count(F.when(hit, 1)).alias(f"n{k}"), F.count(F.when(hit & F.col("close"), 1)).alias(f"c{k}"),
                         F.sum(F.when(hit, score)).alias(f"s{k}"), F.sum(F.when(hit, rank)).alias(f"r{k}")]
            obs = Observation()  # counted while written: one pass, not a second job
            df.observe(obs, *aggs).write.format("noop").mode("overwrite").save()
            got = obs.get
            for k in CODES:
                if got[f"n{k}"]:
                    _add(fp, (plan.program.id, plan.program.version, k), got[f"n{k}"], got[f"c{k}"], got[f"s{k}"], got[f"r{k}"])
    secs = time.perf_counter() - t
    cpu = _jvm_cpu(jpid) - c if jpid else float("nan")
    peak = _jvm_peak_mb(jpid) if jpid else float("nan")
    return secs, cpu, planned, sum(v for k, v in fp.items() if k[-1] == "rows"), fp, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--programs", default="all")
    ap.add_argument("--master", default=None, help="Spark master (default SPARK_MASTER or local[2])")
    ap.add_argument("--skip-polars", action="store_true", help="only Spark")
    args = ap.parse_args()
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    ids = program_ids(args.programs if args.programs == "all" else args.programs.split(","))
    with tempfile.TemporaryDirectory(prefix="kc-spark-bench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        write_profiles(args.rows, folder)
        print(f"profiles: {args.rows:,} rows × {len(ids)} programs (generated in {time.perf_counter() - t:.1f} s)", flush=True)
        if not args.skip_polars:
            secs, cpu, n, mine = run_polars(folder, ids)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"polars: {secs:8.1f} s wall {cpu:8.1f} s CPU  {n / secs:12,.0f} results/s  "
                  f"peak {peak:,.0f} MB  ({n:,} enterprise-program results)", flush=True)
        ssecs, scpu, planned, sn, theirs, speak = run_spark(folder, ids, args.master)
        print(f"spark:  {ssecs:8.1f} s wall {scpu:8.1f} s CPU  {sn / ssecs:12,.0f} results/s  "
              f"peak {speak:,.0f} MB (JVM)  (plans built and analysed in {planned:.1f} s)")
        if not args.skip_polars:
            diff = {k: (mine.get(k, 0), theirs.get(k, 0)) for k in mine.keys() | theirs.keys()
                    if mine.get(k, 0) != theirs.get(k, 0)}
            print(f"results identical (rows, one step away, score and rank sums per program, version "
                  f"and result): {'yes' if not diff else 'NO'}")
            assert not diff, sorted(diff.items(), key=str)[:10]
            print(f"spark / polars: {ssecs / secs:.2f}× wall, {scpu / cpu:.2f}× CPU")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
