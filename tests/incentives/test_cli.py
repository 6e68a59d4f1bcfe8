"""`kechuang awards` over stored ledgers: xlsx sheets, summary, a policy change's cost,
the payout list and payout steps."""

from __future__ import annotations

import json

import openpyxl
import pytest
from typer.testing import CliRunner

from kechuang import db
from kechuang.cli import app
from kechuang.incentives.model import DATA
from kechuang.ledgers.importer import import_records
from kechuang.ledgers.uscc import check_char

runner = CliRunner()


def uscc(n: int) -> str:
    s = f"91320200MA1{n:06d}"
    return s + check_char(s)


@pytest.fixture
def stored(db_url):
    eng = db.engine_for(db_url)
    ents = [{"uscc": uscc(i), "name": f"企业{i}", "region_code": r} for i, r in
            ((1, "320213"), (2, "320213"), (3, "320205"), (4, "320902"))]
    assert import_records(eng, "enterprise", ents).ok
    certs = [{"uscc": uscc(i), "cert_type": "hnte", "level": "national", "issued_on": "2024-11-01"} for i in (1, 2, 3, 4)]
    assert import_records(eng, "certification", certs).ok
    fin = [{"uscc": uscc(4), "year": y, "dishonest_list": False} for y in (2023, 2024)]
    assert import_records(eng, "enterprise_year", fin).ok
    return eng


def test_xlsx_and_summary(stored, tmp_path):
    out = tmp_path / "a.xlsx"
    r = runner.invoke(app, ["awards", "--region", "无锡市", "--year", "2024", "--format", "xlsx", "--output", str(out)])
    assert r.exit_code == 0, r.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["免申即享名单", "须申报", "全部明细", "按条目", "按出资方"]
    assert wb["须申报"].max_row == 4  # header + three first recognitions (Wuxi measures need an application)
    r = runner.invoke(app, ["awards", "--region", "320200", "--year", "2024", "--format", "summary"])
    assert r.exit_code == 0 and "按政策条目" in r.stdout and "按出资方" in r.stdout and "320200" in r.stdout


def test_policy_change_cost(stored, tmp_path):
    text = (DATA / "wuxi-hnte-2024.yaml").read_text(encoding="utf-8")
    old = "      - {payer: prefecture, ceiling: 10}\n"
    assert old in text
    scenario = tmp_path / "wuxi-hnte-2024b.yaml"
    scenario.write_text(text.replace(old, "      - {payer: prefecture, ceiling: 30}\n")
                        .replace('version: "2024"', 'version: "2024b"'), encoding="utf-8")
    r = runner.invoke(app, ["awards", "--region", "320200", "--year", "2024", "--format", "jsonl",
                            "--compare", str(scenario)])
    assert r.exit_code == 0, r.output
    assert "无锡市（市级）财政2025 年增加 60 万元" in r.output.replace("\n", "")  # 3 firms × (30 − 10)
    bad = tmp_path / "bad.yaml"
    bad.write_text(text.replace("ceiling: 10", "ceiling: 十"), encoding="utf-8")
    r = runner.invoke(app, ["awards", "--region", "320200", "--year", "2024", "--compare", str(bad)])
    assert r.exit_code == 2 and "bad.yaml" in r.output and "hnte_first" in r.output


def test_generate_then_pay(stored):
    r = runner.invoke(app, ["awards", "--region", "盐城市", "--year", "2024", "--generate"])
    assert r.exit_code == 0, r.output
    recs = [json.loads(x) for x in r.stdout.splitlines() if x.strip()]
    payable = [x for x in recs if x["status"] == "payable"]
    assert [(x["uscc"], x["amount"], x["payout_status"], x["demo"]) for x in payable] == [(uscc(4), "20", "listed", True)]
    r = runner.invoke(app, ["award-payout", "1", "paid"])
    assert r.exit_code == 2 and "顺序" in r.output
    assert runner.invoke(app, ["award-payout", "1", "confirmed"]).exit_code == 0
    assert runner.invoke(app, ["award-payout", "1", "paid"]).exit_code == 0
    r = runner.invoke(app, ["awards", "--region", "盐城市", "--year", "2024", "--generate"])
    assert "新列入 0 项" in r.output
    assert [json.loads(x)["payout_status"] for x in r.stdout.splitlines() if '"payable"' in x] == ["paid"]
