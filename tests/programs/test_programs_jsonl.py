"""The column-wise JSONL writer gives, line for line, the per-record explanation
(``explain.record``) on a population with nulls and values at, just below and just above every
threshold, for every program and rule version; and its number formatting is Python's."""

from __future__ import annotations

import io
import json
import math

import polars as pl
import pytest

from kechuang.programs.engine import evaluate
from kechuang.programs.explain import FLIP_NOT_FAIL, FLIP_PASS, INDICATOR_REVIEW, REVIEW, _num, plan_records, public
from kechuang.programs.gaps import fmt_number
from kechuang.programs.jsonl import fmt_expr, num_json, write_lines

from helpers_programs import AS_OF, population

ROWS = 2000


def test_lines_match_the_records_on_every_program():
    res = evaluate(population(ROWS, seed=5), "all", AS_OF, with_inputs=True)
    versions = 0
    seen = {"lines": 0, "gaps>1": 0, "missing": 0, "review": 0, "flip": 0}
    for r in res.values():
        for plan, part in r.parts:
            versions += 1
            out = io.StringIO()
            assert write_lines(plan, part, out) == part.height
            lines = out.getvalue().splitlines()
            want = [public(rec) for rec in plan_records(plan, part)]
            assert len(lines) == len(want)
            for line, rec in zip(lines, want):
                got = json.loads(line)
                assert list(got) == list(rec)  # the contract's key order
                assert got == rec, (plan.program.id, plan.program.version, rec["uscc"])
                seen["lines"] += 1
                seen["gaps>1"] += len(rec["gaps"]) > 1
                seen["missing"] += bool(rec["missing"])
                seen["review"] += any(c["text"].endswith((REVIEW, INDICATOR_REVIEW)) for c in rec["conditions"])
                seen["flip"] += any(g["text"].endswith((FLIP_PASS, FLIP_NOT_FAIL)) for g in rec["gaps"])
    # the population reaches every branch the writer has
    assert versions >= 14 and seen["lines"] > ROWS * 5
    assert min(seen.values()) > 20, seen


EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, 2.5, 2.675, 1.005, 0.145, -61.355, 318.425, 0.125, 1e-12, -1e-12,
         0.1 + 0.2, 1 / 3, 20597.280000000002, 1.4000000000000001, 123456.78901234567, 5e-11, 1.5e-10,
         4.5e5 + 0.123456789012, 9e15, 1e16, 1e20, -1e20, 0.00001, 12.3456, 99.995, 0.005, -0.005,
         float("inf"), float("-inf"), float("nan"), None]


@pytest.mark.parametrize("unit", ["", "%"])
def test_text_numbers_are_fmt_number(unit):
    df = pl.DataFrame({"x": pl.Series(EDGES, dtype=pl.Float64)})
    got = df.select(fmt_expr(pl.col("x"), pl.Float64, unit)).to_series().to_list()
    assert got == [fmt_number(v, unit) for v in EDGES]


def test_json_numbers_are_pythons_round():
    df = pl.DataFrame({"x": pl.Series(EDGES, dtype=pl.Float64), "i": pl.Series([3] * len(EDGES), dtype=pl.Int64)})
    got = df.select(num_json(pl.col("x"), pl.Float64)).to_series().to_list()
    for v, text in zip(EDGES, got):
        want = _num(v)
        if want is None:
            assert text == "null"
        else:
            assert json.loads(text) == want and math.copysign(1, json.loads(text)) == math.copysign(1, want), (v, text)
    assert df.select(num_json(pl.col("i"), pl.Int64)).to_series().to_list() == ["3"] * len(EDGES)


def test_a_utf8_file_gets_the_same_lines(tmp_path):
    """Files take the bytes Polars writes; other streams take text: the same lines."""
    res = evaluate(population(300, seed=9), ["hnte", "innovation_points"], AS_OF, with_inputs=True)
    path = tmp_path / "out.jsonl"
    text = io.StringIO()
    with path.open("w", encoding="utf-8") as fh:
        fh.write("首行\n")
        for r in res.values():
            for plan, part in r.parts:
                write_lines(plan, part, fh)
                write_lines(plan, part, text)
        fh.write("末行\n")
    got = path.read_text(encoding="utf-8").splitlines()
    assert got[0] == "首行" and got[-1] == "末行"
    assert got[1:-1] == text.getvalue().splitlines() and len(got) > 300
