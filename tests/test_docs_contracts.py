"""docs/contracts.md against the code: the key and column tables of the page must equal what the
commands emit and accept today, so the page cannot drift from the code (or the code from the page)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kechuang.cli import app
from kechuang.ledgers.uscc import check_char
from kechuang.programs.engine import program_ids
from kechuang.programs.fields import column_for, fields
from kechuang.programs.model import DATA, programs_by_id

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
runner = CliRunner()


def section(title: str) -> str:
    """Text under the heading that starts with `title`, up to the next heading of any level."""
    lines = DOC.splitlines()
    start = next((i for i, ln in enumerate(lines) if re.match(r"#+ ", ln) and ln.lstrip("# ").startswith(title)),
                 None)
    assert start is not None, f"docs/contracts.md has no heading starting with {title!r}"
    body = []
    for ln in lines[start + 1:]:
        if ln.startswith("#"):
            break
        body.append(ln)
    return "\n".join(body)


def table(title: str, n: int = 0) -> list[list[str]]:
    """Rows (cells stripped) of the n-th table of a section, header and rule excluded."""
    blocks: list[list[str]] = []
    prev = False
    for ln in section(title).splitlines():
        is_row = ln.startswith("|")
        if is_row and not prev:
            blocks.append([])
        if is_row:
            blocks[-1].append(ln)
        prev = is_row
    assert len(blocks) > n and len(blocks[n]) > 2, f"no table {n} under {title!r}"
    return [[c.strip() for c in ln.strip().strip("|").split("|")] for ln in blocks[n][2:]]


def keys(title: str, n: int = 0) -> list[str]:
    """The backticked names of a table's first column, in order."""
    out = []
    for cells in table(title, n):
        m = re.fullmatch(r"`([^`]+)`", cells[0])
        assert m, f"first cell {cells[0]!r} under {title!r} is not one backticked name"
        out.append(m.group(1))
    return out


def uscc(n: int) -> str:
    s = f"91320900MA1{n:06d}"
    return s + check_char(s)


# ---------------------------------------------------------------------------- extract

def _extract(what: str) -> list[dict]:
    docs = sorted((ROOT / "tests" / "reader" / "heldout").glob("*.txt"))
    assert docs
    r = runner.invoke(app, ["extract", *map(str, docs), "--format", "jsonl", "--what", what])
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    assert recs, f"no {what} found in the held-out documents"
    return recs


@pytest.mark.parametrize("what, title", [("quantities", "1.1 "), ("frameworks", "1.3 "), ("people", "1.4 ")])
def test_extract_keys(what, title):
    documented = keys(title)
    for rec in _extract(what):
        assert list(rec) == documented


def test_extract_units_listed():
    from kechuang import units as registry

    units = section("1.2 ").split("Contract units:")[1].split(".")[0].split()
    assert units[:4] == ["家", "人", "名", "个"] and "万平方米" in units and "%" in units
    known = set(registry.symbols())
    assert set(units) <= known, "a contract unit is missing from the unit registry"
    for rec in _extract("quantities"):  # units beyond the contract list must be in the registry
        assert rec["unit"] in units or rec["unit"] in known, rec


# ---------------------------------------------------------------------------- profile

def test_profile_columns_equal_fields_yaml():
    contract, ext = keys("2.1 "), keys("2.2 ")
    assert len(contract) == len(set(contract)) and not set(contract) & set(ext)
    assert set(contract) | set(ext) == set(fields()), "docs/contracts.md §2 and programs/data/fields.yaml differ"
    assert not [c for c in contract if fields()[c].extension], "an extension column is listed as contract"


@pytest.mark.parametrize("title", ["2.1 ", "2.2 "])
def test_profile_chinese_labels_accepted(title):
    for cells in table(title):
        col = cells[0].strip("`")
        label = cells[1]
        # a bare label names _y1; earlier years are accepted with a suffix
        header = label if fields()[col].year in (0, 1) else f"{label}_y{fields()[col].year}"
        assert column_for(header) == col, f"header {header!r} does not read as {col}"


# ---------------------------------------------------------------------------- evaluate

HEAD = ("统一社会信用代码,企业名称,注册日期,职工总数_y1,科技人员数,销售(营业)收入_y1,研发费用_y1,成本费用总额,"
        "资产总额,Ⅰ类知识产权数,Ⅱ类知识产权数,限制淘汰类,重大安全质量环境事故,失信/经营异常名录,有效高企,"
        "近五年国家级科技奖(前三),研发机构级别,近五年主导制定标准\n")


def _row(n, rd):
    return f"{uscc(n)},企业{n},2018-03-01,100,12,5000,{rd},4000,5000,0,1,否,否,否,否,否,无,否\n"


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    f = tmp_path_factory.mktemp("contracts") / "p.csv"
    f.write_text(HEAD + _row(1, 280) + _row(2, 300), encoding="utf-8")
    r = runner.invoke(app, ["evaluate", "--input", str(f), "--program", "all", "--format", "jsonl",
                            "--as-of", "2025-06-01"])
    assert r.exit_code == 0, r.output
    return [json.loads(x) for x in r.stdout.splitlines() if x.strip()]


def test_evaluate_record_keys(evaluated):
    documented = keys("3.1 ")
    assert all(list(rec) == documented for rec in evaluated)


def test_evaluate_condition_gap_keys_and_results(evaluated):
    conds = [c for rec in evaluated for c in rec["conditions"]]
    gaps = [g for rec in evaluated for g in rec["gaps"]]
    assert conds and gaps and any(rec["missing"] for rec in evaluated)
    assert all(list(c) == keys("3.2 ") for c in conds)
    assert all(list(g) == keys("3.3 ") for g in gaps)
    results = set(keys("3.4 "))
    assert {rec["result"] for rec in evaluated} - {None} <= results
    assert {c["result"] for c in conds} - {None} <= results


def test_program_ids_and_rule_files():
    contract, ext = keys("3.5 "), keys("3.5 ", 1)
    assert contract == ["hnte", "tech_sme", "innovative_sme", "srdi_sme", "little_giant", "js_gazelle",
                        "js_unicorn", "js_potential_unicorn", "innovation_points"]
    assert set(contract) | set(ext) == set(program_ids("all"))
    # the loader's pattern: rule files are <id>-<version>.yaml; hand-derived cases sit beside them
    files = {p.name for p in DATA.glob("*-*.yaml") if not p.name.endswith(".cases.yaml")}
    listed = set()
    for cells in table("3.5 ") + table("3.5 ", 1):
        pid = cells[0].strip("`")
        assert cells[1] == programs_by_id()[pid][-1].name
        listed |= set(re.findall(r"`([^`]+\.yaml)`", cells[2]))
    assert listed == files


# ---------------------------------------------------------------------------- awards

def test_awards_keys_and_statuses(db_url):
    from kechuang import db
    from kechuang.ledgers.importer import import_records

    eng = db.engine_for(db_url)
    a, b = uscc(11), uscc(12)
    assert import_records(eng, "enterprise", [{"uscc": a, "name": "甲", "region_code": "320902"},
                                              {"uscc": b, "name": "乙", "region_code": "320902"}]).ok
    assert import_records(eng, "certification", [
        {"uscc": a, "cert_type": "hnte", "level": "national", "issued_on": "2024-11-01"},
        {"uscc": b, "cert_type": "gazelle", "level": "provincial", "issued_on": "2024-05-01"}]).ok
    r = runner.invoke(app, ["awards", "--region", "320900", "--year", "2024", "--format", "jsonl"])
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    assert recs and all(list(rec) == keys("8.1 ") for rec in recs)
    statuses = {c[0].strip("`") for c in table("8.2 ")}
    assert {rec["status"] for rec in recs} <= statuses
    assert {"needs_application"} <= {rec["status"] for rec in recs}
