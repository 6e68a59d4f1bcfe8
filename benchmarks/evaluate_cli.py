"""Benchmark: `kechuang evaluate --input FILE` end to end (a fresh process reading a CSV file, as a
user runs it), against the engine alone on the same profiles in the same run.

- summary: N profiles (default 1,000,000) × all programs, `--format summary`;
  budget ≤ 30 s and ≤ 3 GB peak memory (the child's maximum resident set size).
- M profiles (default 200,000) × all programs, `--format summary` and `--format jsonl` to a file:
  wall time and peak memory of each; jsonl budget ≥ 50,000 enterprise-program results per second.
Each is printed with its ratio to the engine alone (in-process `evaluate` of the same frame,
profiles already typed). The machine is shared: the ratios are what compare across runs.

    .venv/bin/python benchmarks/evaluate_cli.py [N] [M]
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from kechuang.ledgers.uscc import check_char_expr
from kechuang.programs.engine import evaluate
from programs import AS_OF, synth

SUMMARY_BUDGET_S = 30.0
MEMORY_BUDGET_GB = 3.0
JSONL_BUDGET_RATE = 50_000


def population(n: int) -> pl.DataFrame:
    """The programs benchmark's synthetic population with valid credit codes."""
    first = pl.lit("91320200") + pl.col("uscc").str.zfill(9)
    return synth(n).with_columns((first + check_char_expr(first)).alias("uscc"))


def run_cli(args: list[str]) -> tuple[float, float]:
    """(wall seconds, peak resident memory in GB) of one `kechuang` process. The peak is the
    child's own high-water mark (VmHWM, read until it exits): getrusage on a child also counts
    what this process held when it forked."""
    cmd = [sys.executable, "-c", "from kechuang.cli import app; app()", *args]
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak_kb = 0
    status = Path(f"/proc/{proc.pid}/status")
    while proc.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    wall = time.perf_counter() - t
    err = proc.stderr.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SystemExit(f"kechuang {' '.join(args)} failed:\n{err}")
    return wall, peak_kb / 1024 / 1024  # kB → GB


def engine_alone(frame: pl.DataFrame) -> tuple[float, int]:
    t = time.perf_counter()
    res = evaluate(frame, "all", AS_OF)
    return time.perf_counter() - t, sum(r.height for r in res.values())


def verdict(ok: bool) -> str:
    return "ok" if ok else "OVER"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    m = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
    as_of = ["--as-of", str(AS_OF)]
    with tempfile.TemporaryDirectory(prefix="kechuang-bench-") as tmp:
        big = Path(tmp) / "profiles.csv"
        frame = population(n)
        frame.write_csv(big)
        evaluate(frame.head(100), "all", AS_OF)  # warm the rule files and plans
        t_engine, results = engine_alone(frame)
        del frame
        print(f"engine alone: {n:,} profiles × all programs = {results:,} results in {t_engine:.2f} s "
              f"({results / t_engine:,.0f} results/s)")
        wall, gb = run_cli(["evaluate", "-i", str(big), "-f", "summary", *as_of])
        print(f"evaluate --format summary: {n:,} profiles in {wall:.2f} s (budget {SUMMARY_BUDGET_S:.0f} s: "
              f"{verdict(wall <= SUMMARY_BUDGET_S)}), peak memory {gb:.2f} GB (budget "
              f"{MEMORY_BUDGET_GB:.0f} GB: {verdict(gb <= MEMORY_BUDGET_GB)}); {wall / t_engine:.2f}x the engine alone")
        big.unlink()

        small = Path(tmp) / "small.csv"
        frame = population(m)
        frame.write_csv(small)
        t_small, small_results = engine_alone(frame)
        del frame
        print(f"engine alone: {m:,} profiles = {small_results:,} results in {t_small:.2f} s "
              f"({small_results / t_small:,.0f} results/s)")
        wall, gb = run_cli(["evaluate", "-i", str(small), "-f", "summary", *as_of])
        print(f"evaluate --format summary: {m:,} profiles in {wall:.2f} s, peak memory {gb:.2f} GB; "
              f"{wall / t_small:.2f}x the engine alone")
        out = Path(tmp) / "out.jsonl"
        wall, gb = run_cli(["evaluate", "-i", str(small), "-f", "jsonl", "-o", str(out), *as_of])
        with out.open("rb") as fh:
            lines = sum(1 for _ in fh)
        size = out.stat().st_size / 1e6
        rate = lines / wall
        print(f"evaluate --format jsonl: {m:,} profiles → {lines:,} results, {size:,.0f} MB in {wall:.2f} s = "
              f"{rate:,.0f} results/s (budget {JSONL_BUDGET_RATE:,}/s: {verdict(rate >= JSONL_BUDGET_RATE)}), "
              f"peak memory {gb:.2f} GB; {wall / t_small:.2f}x the engine alone")
    print(f"(run on {dt.date.today()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
