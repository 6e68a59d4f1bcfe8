"""Streaming `kechuang evaluate`: batches of a file give the same results as the whole file in
memory, on a population with missing cells and values exactly at thresholds."""

from __future__ import annotations

import csv
import json
import random
from collections import Counter

import polars as pl
import pytest
from helpers_programs import AS_OF
from typer.testing import CliRunner

from kechuang.cli import app
from kechuang.ledgers.uscc import make
from kechuang.programs.engine import evaluate
from kechuang.programs.explain import missing_importance, public, records
from kechuang.programs.profiles import read_profiles
from kechuang.programs.run import SummaryWriter, evaluate_file, missing_counts

runner = CliRunner()
N = 240
EDGES = {  # values at or next to the thresholds of the rule files
    "revenue_y1": [5000, 20000, 2000, 100, 4999.99], "employees_y1": [500, 300, 1000, 20, 10],
    "rd_expense_y1": [250, 1000, 0, 60], "tech_staff_y1": [50, 100, 10], "ip_class1": [0, 1, 2],
    "ip_class2": [0, 1, 5], "net_assets_y1": [0, 1000], "market_share": [10, 0],
}

CLOSE = dict(employees_y1=100, tech_staff_y1=25, revenue_y1=5000, total_assets_y1=5000, rd_expense_y1=250,
             total_cost_y1="", ip_class1=0, ip_class2=0, restricted_industry="否", major_incident="否",
             dishonest_list="否", has_hnte="否", award_national_5y_top3="否", rd_institution_level="无",
             standard_led_5y="否")


def _population(path, n=N, seed=3):
    rnd = random.Random(seed)
    cols = ["uscc", "name", "registered_on", "application_on", "employees_y1", "employees_y4", "tech_staff_y1",
            "rd_staff_y1", "revenue_y1", "revenue_y2", "revenue_y3", "revenue_y4", "main_revenue_y1",
            "total_income_y1", "hitech_revenue_y1", "rd_expense_y1", "rd_expense_y2", "rd_expense_y3",
            "rd_domestic_y1", "rd_domestic_y2", "rd_domestic_y3", "sci_expense_y1", "total_cost_y1",
            "net_profit_y1", "net_assets_y1", "net_assets_y2", "total_assets_y1", "total_liabilities_y1",
            "ip_class1", "ip_class1_own", "ip_class1_high_value", "ip_class2", "equity_financing_3y",
            "award_national_5y_top3", "award_provincial_3y_top3", "standard_led_5y", "conversions_3y", "equity_financing_2y",
            "market_share", "niche_years", "has_hnte", "dishonest_list", "major_incident",
            "restricted_industry", "rd_institution_level", "hitech_domain", "hnte_tech_band",
            "invention_apps_y1", "pct_apps_y1", "postgrad_staff_y1", "rd_tax_relief_y1", "fresh_graduates_y1",
            "vc_amount_y1", "platforms_prov_2y", "awards_prov_2y", "projects_prov_2y", "tech_contract_amount_y1"]
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        for i in range(n):
            row = []
            for c in cols:
                if c == "uscc":
                    v = make("91", "320281", f"MA{i:07d}")
                elif c == "name":
                    v = f"企业{i}"
                elif c in ("registered_on", "application_on"):
                    v = "" if c == "application_on" and i % 3 else f"{rnd.choice([2012, 2019, 2023])}-0{rnd.randint(1, 9)}-1{rnd.randint(0, 9)}"
                elif c in ("has_hnte", "dishonest_list", "major_incident", "restricted_industry",
                           "award_national_5y_top3", "award_provincial_3y_top3", "standard_led_5y"):
                    v = rnd.choice(["是", "否", "否", "否"])
                elif c == "rd_institution_level":
                    v = rnd.choice(["无", "municipal", "provincial", "national"])
                elif c == "hitech_domain":
                    v = rnd.choice(["electronic_info", "other"])
                elif c == "hnte_tech_band":
                    v = rnd.choice(["A", "C", "E", ""])
                elif c in EDGES and rnd.random() < 0.5:
                    v = rnd.choice(EDGES[c])
                elif c.startswith(("ip_", "conversions", "niche", "employees", "tech_staff", "rd_staff", "invention",
                                   "pct_", "postgrad", "fresh", "platforms", "awards", "projects")):
                    v = rnd.randint(0, 600 if c.startswith(("employees", "tech", "rd_")) else 8)
                else:
                    v = round(rnd.uniform(0, 30000), 2) if c != "market_share" else round(rnd.uniform(0, 30), 1)
                if c not in ("uscc", "name") and rnd.random() < 0.06:
                    v = ""  # missing, never zero
                row.append(v)
            if i % 8 == 0:  # a few points short of 科技型中小企业: one step away
                row = [CLOSE.get(c, v) for c, v in zip(cols, row)]
            w.writerow(row)
    return path


@pytest.fixture(scope="module")
def population(tmp_path_factory):
    path = _population(tmp_path_factory.mktemp("stream") / "profiles.csv")
    res = evaluate(read_profiles(path), "all", AS_OF, with_inputs=True)
    return path, res, list(records(res))


def _key(r):
    return (r["uscc"], r["program"], r["version"])


def test_streamed_jsonl_equals_in_memory(population, tmp_path):
    path, _, recs = population
    out = tmp_path / "r.jsonl"
    r = runner.invoke(app, ["evaluate", "-i", str(path), "-p", "all", "--as-of", str(AS_OF), "-o", str(out),
                            "--batch-rows", "17"])
    assert r.exit_code == 0, r.output
    streamed = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    expected = [public(x) for x in recs]
    assert len(streamed) == len(expected)
    assert sorted(streamed, key=_key) == sorted(expected, key=_key)
    # pooled ranks are over the whole file, not over a batch
    ranks = [c["value"] for x in streamed if x["program"] == "innovation_points"
             for c in x["conditions"] if c["id"] == "rank"]
    assert max(v for v in ranks if v is not None) > 17
    assert {x["result"] for x in streamed} >= {"pass", "fail", "unknown"}


@pytest.mark.parametrize("brief", [False, True])
def test_summary_and_missing_counts_from_columns(population, brief):
    path, res, recs = population
    w = SummaryWriter()
    missing = Counter()
    for results in evaluate_file(path, list(res), AS_OF, batch_rows=50, brief=brief):
        w.add(results)
        missing += missing_counts(results)
    expected = Counter((r["program"], r["result"]) for r in recs)
    expected.update((r["program"], "close") for r in recs if r.get("_close"))
    assert +w.counts == +expected
    assert expected[("tech_sme", "close")] > 0
    assert sorted(missing.items()) == sorted(missing_importance(recs))


def test_brief_results_are_the_full_results_columns(population):
    """``brief`` keeps a subset of the columns (no values, gaps or flips), each equal to the full run's."""
    path, res, _ = population
    brief = evaluate(read_profiles(path), "all", AS_OF, with_inputs=True, brief=True)
    assert list(brief) == list(res)
    for pid, r in res.items():
        assert len(brief[pid].parts) == len(r.parts)
        for (plan, full), (_, short) in zip(r.parts, brief[pid].parts):
            assert {"result_code", "close", "uscc"} <= set(short.columns) < set(full.columns)
            assert not any(".gap." in c or c.startswith("flip") for c in short.columns)
            assert {f"{cp.item.id}.result" for cp in plan.conditions} <= set(short.columns)
            assert short.equals(full.select(short.columns))
        assert brief[pid].summary().equals(r.summary())


def test_parquet_output(population, tmp_path):
    path, _, recs = population
    out = tmp_path / "r.parquet"
    r = runner.invoke(app, ["evaluate", "-i", str(path), "-p", "all", "--as-of", str(AS_OF), "-f", "parquet",
                            "-o", str(out), "--batch-rows", "64"])
    assert r.exit_code == 0, r.output
    df = pl.read_parquet(out)
    got = sorted(zip(df["uscc"], df["program"], df["result"], df["close"], df["failed"].to_list()))
    want = sorted((x["uscc"], x["program"], x["result"], bool(x.get("_close")),
                   [c["id"] for c in x["conditions"] if c["result"] == "fail"]) for x in recs)
    assert got == want


def test_duplicate_in_a_later_batch_names_both_rows(tmp_path):
    path = _population(tmp_path / "p.csv", n=30)
    lines = path.read_text(encoding="utf-8").splitlines()
    lines.append(lines[2])  # the credit code of row 3 again, as row 32
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "r.jsonl"
    r = runner.invoke(app, ["evaluate", "-i", str(path), "-p", "tech_sme", "-o", str(out), "--batch-rows", "8"])
    assert r.exit_code == 2
    assert "p.csv 第32行" in r.output and "与第3行重复" in r.output
    assert not out.exists()  # nothing half-written


def test_plain_and_written_out_cells_type_alike():
    """A column of plain numbers/dates takes the reader's fast parse; the same values written with
    separators, blanks, percent signs or 年月日 go through the text steps and come out equal."""
    from kechuang.programs.profiles import profiles_from_table

    codes = [make("91", "320281", f"MB{i:07d}") for i in range(4)]
    plain = pl.DataFrame({"uscc": codes, "revenue_y1": ["1200.5", "", "0", "30000"],
                          "market_share": ["12.5", "3", None, "0"],
                          "registered_on": ["2019-03-01", "2020-12-31", "", "2001-01-09"]})
    written = pl.DataFrame({"uscc": codes, "revenue_y1": ["1,200.5", "null", " 0 ", "30，000"],
                            "market_share": ["12.5%", " 3", "—", "0"],
                            "registered_on": ["2019年3月1日", "2020/12/31", "-", "2001.1.9"]})
    assert profiles_from_table(plain, "a").equals(profiles_from_table(written, "b"))
    with pytest.raises(Exception) as exc:
        profiles_from_table(plain.with_columns(pl.Series("revenue_y1", ["1", "-2", "3", "4"])), "c")
    assert "c 第3行，列“revenue_y1”，值“-2”：不能为负数" in str(exc.value)
