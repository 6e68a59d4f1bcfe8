"""数字背后的台账记录: Chinese labels and values, names, money as written, the reconciliation."""

import datetime as dt
from decimal import Decimal as D

import polars as pl

from kechuang.targets.metrics import dict_source
from kechuang.targets.provenance import explain
from kechuang.targets.store import Target

d = dt.date


def _target(metric, value, unit):
    return Target(id=1, region_code="320900", region="盐城市", indicator="x", metric_id=metric, period="2024",
                  year=2024, comparator=">=", value=D(value), unit=unit, binding_status="bound")


def _frames():
    cert = pl.DataFrame({
        "key": ["A-21", "A-24", "B-23", "C-24"], "region_code": ["320902", "320902", "320903", "320903"],
        "uscc": ["A", "A", "B", "C"], "cert_type": ["hnte"] * 4, "level": ["national"] * 4,
        "issued_on": [d(2021, 12, 1), d(2024, 11, 20), d(2023, 5, 1), d(2024, 3, 1)],
        "expires_on": [d(2024, 12, 31), d(2027, 11, 20), d(2026, 5, 1), d(2027, 3, 1)],
        "year": [2021, 2024, 2023, 2024],
    }).with_columns(pl.col("issued_on").alias("record_date"))
    ent = pl.DataFrame({"key": ["A", "B", "C"], "uscc": ["A", "B", "C"], "name": ["甲科技", "乙材料", "丙智能"],
                        "region_code": ["320902", "320903", "320903"]})
    contracts = pl.DataFrame({
        "key": ["k1", "k2"], "region_code": ["320902", "320903"], "uscc": ["A", "B"],
        "registered_on": [d(2024, 2, 1), d(2024, 7, 1)], "role": ["seller", "seller"],
        "amount": [D("1000000"), D("523000")]}, schema_overrides={"amount": pl.Decimal(38, 6)})
    return {"certification": cert, "enterprise": ent, "tech_contract": contracts}


def test_records_behind_a_count_are_readable_and_reconciled():
    p = explain(_target("hnte_valid", "4", "家"), d(2024, 12, 1), dict_source(_frames()))
    labels = [c.label for c in p.columns]
    assert labels[:2] == ["企业名称", "统一社会信用代码"] and "资质类型" in labels and "所属地区" in labels
    rows = p.frame.to_dicts()
    assert {r["name"] for r in rows} == {"甲科技", "乙材料", "丙智能"}
    assert {r["cert_type"] for r in rows} == {"高新技术企业"} and {r["level"] for r in rows} == {"国家级"}
    assert {r["region_code"] for r in rows} == {"亭湖区", "盐都区"}
    # 甲科技 holds the old certificate (valid to the end of 2024) and the new one: counted once
    assert "3 家企业,4 条资质荣誉记录:1 家有两条" in "".join(p.notes)
    assert p.duplicates == {"A"} and p.current == 3
    headers = p.export_frame().columns
    assert headers[0] == "企业名称" and "hnte" not in str(p.export_frame().to_dicts())


def test_money_is_written_as_people_write_it():
    p = explain(_target("tech_contract_amount", "150", "亿元"), d(2024, 12, 31), dict_source(_frames()))
    text = "".join(p.notes)
    assert "2 条技术合同记录的合同成交额合计 1,523,000 万元" in text
    assert "当前值 152.3 亿元 = 1,523,000 万元;目标 150 亿元,完成率 101.5%" in text
    assert "152.300000" not in text
