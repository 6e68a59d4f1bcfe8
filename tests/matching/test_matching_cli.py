"""``kechuang match`` as checked from outside: files in, JSONL out (docs/contracts.md §6)."""

import json

import pytest
from typer.testing import CliRunner

from helpers_matching import (DEMAND_HEADER, DEMANDER, DEMANDS, SUPPLIER, SUPPLIES, SUPPLY_HEADER,
                              write_csv, write_xlsx)
from kechuang.cli import app

runner = CliRunner()
KEYS = ["demand", "supply", "rank", "score", "status", "gates", "reasons"]


def _run(*args):
    res = runner.invoke(app, ["match", *args, "--as-of", "2026-12-01"])
    return res


def _lines(res):
    assert res.exit_code == 0, res.output
    return [json.loads(x) for x in res.stdout.splitlines() if x.strip()]


@pytest.mark.parametrize("writer, ext", [(write_csv, "csv"), (write_xlsx, "xlsx")])
def test_files_in_jsonl_out(tmp_path, writer, ext):
    d = writer(tmp_path / f"需求.{ext}", DEMAND_HEADER, DEMANDS)
    s = writer(tmp_path / f"供给.{ext}", SUPPLY_HEADER, SUPPLIES)
    res = _run("--demands", str(d), "--supplies", str(s), "--top", "3", "--format", "jsonl")
    rows = _lines(res)
    assert rows and all(list(r) == KEYS for r in rows)
    for r in rows:
        assert 0 <= r["score"] <= 1
        assert r["status"] in ("match", "near_miss")
        assert (r["rank"] is None) is (r["status"] == "near_miss")
        assert all(set(g) == {"id", "text", "passed"} for g in r["gates"])
        assert all(set(x) == {"kind", "text", "demand_evidence", "supply_evidence"} for x in r["reasons"])
    by = {(r["demand"], r["supply"]): r for r in rows}
    assert by[("D1", "S1")]["rank"] == 1
    # the demander's own equipment: conflict of interest; the Beijing team: outside the province
    assert [g["id"] for g in by[("D1", "S4")]["gates"] if not g["passed"]] == ["conflict"]
    assert [g["id"] for g in by[("D1", "S2")]["gates"] if not g["passed"]] == ["solver_region"]
    # 高校院所 only: the company's process is a near miss
    assert by[("D3", "S3")]["status"] == "near_miss"
    assert [g["id"] for g in by[("D3", "S3")]["gates"] if not g["passed"]] == ["solver_type"]
    # D2 repeats D1: collapsed, and said so
    assert "D2" not in {r["demand"] for r in rows}
    assert "近似重复" in res.stderr
    # per demand best first
    for dno in {r["demand"] for r in rows}:
        scores = [r["score"] for r in rows if r["demand"] == dno]
        assert scores == sorted(scores, reverse=True)


def test_evidence_occurs_in_the_input_records(files_csv):
    d, s = files_csv
    rows = _lines(_run("--demands", str(d), "--supplies", str(s)))
    dem = {r[0]: r for r in DEMANDS}
    sup = {r[0]: r for r in SUPPLIES}
    for r in rows:
        for x in r["reasons"]:
            assert any(x["demand_evidence"] in cell for cell in dem[r["demand"]]), x
            assert any(x["supply_evidence"] in cell for cell in sup[r["supply"]]), x


@pytest.fixture
def files_csv(tmp_path):
    return (write_csv(tmp_path / "d.csv", DEMAND_HEADER, DEMANDS),
            write_csv(tmp_path / "s.csv", SUPPLY_HEADER, SUPPLIES))


def test_english_headers_and_unknown_columns(tmp_path):
    d = write_csv(tmp_path / "d.csv", ["demand_no", "title", "description", "region_code", "whatever"],
                  [["X1", "印染废水深度处理与回用", "印染废水COD高，需要深度处理", "320214", "zzz"]])
    s = write_csv(tmp_path / "s.csv", ["supply_no", "title", "description", "owner_type", "region_code", "extra"],
                  [["Y1", "印染废水臭氧催化氧化深度处理技术", "出水COD低于40mg/L", "高校", "320211", "1"]])
    rows = _lines(_run("--demands", str(d), "--supplies", str(s)))
    assert [(r["demand"], r["supply"], r["rank"]) for r in rows] == [("X1", "Y1", 1)]


def test_bad_file_names_file_row_column_value(tmp_path):
    bad = [row[:] for row in DEMANDS]
    bad[2][8] = "一百万"  # 榜额 of the third data row (Excel row 4)
    d = write_csv(tmp_path / "需求.csv", DEMAND_HEADER, bad)
    s = write_csv(tmp_path / "供给.csv", SUPPLY_HEADER, SUPPLIES)
    res = _run("--demands", str(d), "--supplies", str(s))
    assert res.exit_code == 2
    assert res.stdout == ""
    assert "需求.csv" in res.stderr and "第4行" in res.stderr and "榜额(万元)" in res.stderr
    assert "一百万" in res.stderr


def test_missing_required_column_and_missing_file(tmp_path):
    d = write_csv(tmp_path / "d.csv", ["需求编号", "需求描述", "行政区划代码"], [["D1", "描述", "320214"]])
    res = _run("--demands", str(d), "--supplies", str(tmp_path / "无.csv"))
    assert res.exit_code == 2
    assert "缺少必填列：需求名称" in res.stderr
    assert "无.csv" in res.stderr and "文件不存在" in res.stderr


def test_either_files_or_region():
    assert _run().exit_code == 2
    assert _run("--demands", "a.csv").exit_code == 2


def test_region_over_the_stored_ledgers(db_url, engine, tmp_path):
    from kechuang.ledgers import import_file

    d = write_csv(tmp_path / "需求.csv", DEMAND_HEADER,
                  [r[:] for r in DEMANDS[2:]] + [["D9", "印染厂尾水臭氧深度处理", "尾水COD偏高，寻求臭氧催化氧化工艺",
                                                  "", "资源与环境", "", "320214", "", "", "", "企业榜",
                                                  "高新技术企业", "不限", ""]])
    s = write_csv(tmp_path / "供给.csv", SUPPLY_HEADER, SUPPLIES)
    assert import_file(engine, "demand", d).ok
    assert import_file(engine, "supply", s).ok
    # S3's owner is marked 有效高企 in the supply ledger, but holds no certificate in the ledger
    rows = _lines(_run("--region", "320214"))
    by = {(r["demand"], r["supply"]): r for r in rows}
    g = [g for g in by[("D9", "S3")]["gates"] if g["id"] == "solver_type"][0]
    assert g["passed"] is False and "资质荣誉台账" in g["text"]
    cert = write_csv(tmp_path / "资质.csv", ["统一社会信用代码", "资质类型", "级别", "认定日期", "行政区划代码"],
                     [[SUPPLIER, "高新技术企业", "国家级", "2024-11-20", "320214"]])
    report = import_file(engine, "certification", cert)
    assert report.ok, [p.text() for p in report.problems]
    rows = _lines(_run("--region", "320214"))
    by = {(r["demand"], r["supply"]): r for r in rows}
    assert by[("D9", "S3")]["status"] == "match"
    # the certificate's three years end 2027-11-19: a year later it is no longer valid
    res = runner.invoke(app, ["match", "--region", "320214", "--as-of", "2027-11-20"])
    later = {(r["demand"], r["supply"]): r for r in _lines(res)}
    assert later[("D9", "S3")]["status"] == "near_miss"
    assert DEMANDER  # the demander's own code is only in the files


def test_contract_page_equals_the_kinds_and_the_output():
    from test_docs_contracts import keys, table

    from kechuang.ledgers import get_kind

    for n, kind in ((0, "demand"), (1, "supply")):
        k = get_kind(kind)
        for cells in table(f"6.{n + 1} "):
            fid = cells[0].strip("`")
            assert k.has(fid), fid
            assert k.field(fid).header == cells[1], (fid, cells[1])
    assert keys("6.3 ") == KEYS
