"""The labelled set (benchmarks/data/chains_labelled.csv) placed by the engine and by the
code-only baseline in the same run: the engine must stay above the floors of issue #14 and ahead
of the baseline on every measure."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "chains.py"


def test_engine_meets_the_floors_and_beats_code_only():
    spec = importlib.util.spec_from_file_location("bench_chains", BENCH)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    res = mod.run()
    ours, base = res["kechuang.chains"], res["baseline (code only)"]
    assert ours["chain accuracy"] >= 0.90
    assert ours["node accuracy"] >= 0.80
    assert ours["look-alike false placement"] <= 0.05
    assert ours["plain false placement"] <= 0.05
    for m in ("chain accuracy", "node accuracy", "node precision"):
        assert ours[m] > base[m], m
    assert ours["look-alike false placement"] < base["look-alike false placement"]
