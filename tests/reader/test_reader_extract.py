"""Quantity grammar, sections and the JSONL contract."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from kechuang.cli import app
from kechuang.reader.extract import extract, infer_doc_year, rows
from kechuang.reader.load import load_bytes
from kechuang.reader.quantities import find_quantities

CONTRACT_KEYS = {"doc", "quote", "start", "end", "value", "unit", "indicator", "kind", "comparator",
                 "region", "region_code", "actor", "period"}


def q(text, year=2024):
    return find_quantities(text, year)


def one(text, year=2024):
    found = q(text, year)
    assert len(found) == 1, [(x.value, x.unit, x.quote) for x in found]
    return found[0]


@pytest.mark.parametrize("text,value,unit", [
    ("今年力争新招引科技型企业100家。", Decimal(100), "家"),
    ("技术合同交易额达3.9亿元。", Decimal("3.9"), "亿元"),
    ("引进大学生1.6万人。", Decimal(16000), "人"),
    ("新增科创载体50万平方米。", Decimal(50), "万平方米"),
    ("外资到账3000万美元。", Decimal(3000), "万美元"),
    ("产值突破1千亿元。", Decimal(1000), "亿元"),
    ("研发投入强度不低于4.5%。", Decimal("4.5"), "%"),
    ("企业数量实现翻番。", Decimal(2), "倍"),
    ("高新技术产业产值增速位列全省第一。", Decimal(1), "位"),
    ("高企总数达到十二家。", Decimal(12), "家"),
    ("新增授权发明专利68件。", Decimal(68), "件"),
])
def test_values_and_units(text, value, unit):
    s = one(text)
    assert (s.value, s.unit) == (value, unit)
    assert text[s.start:s.end] == s.quote


@pytest.mark.parametrize("text", [
    "2月5日,省委召开全会。",
    "中共高邮市委十二届五次全会胜利召开。",
    "新闻热线:84683100。",
    "聚焦“5+2”战略性新兴产业和23条重点产业链。",
    "加快推进“876”创新引领工程。",
    "深化S333科创走廊建设,发展5G应用,打造“3+3+N”产业。",
    "回答好“五个创新之问”,一个目标去实现。",
    "新春第一个工作日,创新是第一动力。",
    "2025年成为全国重要的科技成果转移转化基地。",
])
def test_not_statements(text):
    assert q(text) == []


def test_numbers_inside_framework_expansion_are_not_statements():
    text = "加快推进“876”创新引领工程(8条重点产业链,7个未来产业[人工智能、元宇宙],6大传统产业)。"
    assert q(text) == []


@pytest.mark.parametrize("text,comparator", [
    ("引进高层次人才10人以上。", ">="),
    ("总数突破6000家。", ">="),
    ("全年招引亿元以上企业12个。", "="),
    ("引进优秀博士以上人才15名。", "="),
    ("培育企业20家左右。", "~"),
    ("能耗控制在5%以内。", "<="),
    ("全年力争申报国家重点人才计划16人。", "="),
])
def test_comparators(text, comparator):
    assert one(text).comparator == comparator


def test_size_class_amount_is_part_of_indicator():
    found = q("全年招引企业12个,其中20亿元项目1个。")
    assert [(x.value, x.unit) for x in found] == [(12, "个"), (1, "个")]
    assert "20亿元" in found[1].indicator


@pytest.mark.parametrize("text,kind,period", [
    ("去年高企总数达2338家。", "achievement", "2023"),
    ("2023年,确保实现技术合同交易额达3.9亿元。", "target", "2023"),
    ("今年力争新招引科技型企业100家。", "target", "2024"),
    ("力争到2026年,产业规模突破3000亿元。", "target", "2026"),
    ("到2026年底,培育企业30家。", "target", "2026年底"),
    ("已建成孵化器12个。", "achievement", ""),
    ("每年新增高企100家以上。", "target", "每年"),
])
def test_kind_and_period(text, kind, period):
    s = one(text)
    assert (s.kind, s.period) == (kind, period)


def test_relative_years_without_document_year():
    assert one("去年高企总数达2338家。", None).period == "last_year"


def test_document_year():
    assert infer_doc_year("龙年新春,全市召开大会。") == 2024
    assert infer_doc_year("出台《2023年政策意见》。2023年,确保实现……到2026年……") == 2023
    assert infer_doc_year("没有年份") is None


def test_sections_interview_and_district_heading():
    text = ("今日高邮\n\n中共高邮市委召开全会。\n\n聚焦科技创新\n\n——访市委常委、卸甲镇党委书记 周伟\n\n"
            "周伟说,今年确保新增认定高新技术企业3家。\n\n通讯员 张鑫 记者 王冰彬\n\n"
            "点燃科创引擎\n\n——访市科技局党组书记、局长 曹勇\n\n曹勇表示,今年力争认定高新技术企业130家。\n")
    doc = load_bytes(text.encode(), "interview.txt")
    ex = extract(doc)
    got = [(s.value, s.region, s.actor) for s in ex.quantities]
    assert got[0][1] == "高邮市卸甲镇"
    assert got[1][1] == "高邮市" and got[1][2] == "高邮市科技局"
    people = {p["name"]: p for p in ex.people}
    assert people["周伟"]["titles"] == ["市委常委", "卸甲镇党委书记"]
    assert people["王冰彬"]["titles"] == ["记者"]


def test_spaced_district_heading():
    text = "无锡市召开科技创新大会\n\n梁 溪 区\n\n今年力争新增科创载体50万平方米。\n"
    ex = extract(load_bytes(text.encode(), "wx.txt"))
    s = ex.quantities[0]
    assert (s.region, s.region_code) == ("无锡市梁溪区", "320213")


def test_cli_jsonl_contract(tmp_path):
    f = tmp_path / "a.txt"
    f.write_text("盐城晚报讯 去年高企总数达2338家,3家企业获评省独角兽企业。\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", str(f), "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(lines) == 2
    text = load_bytes(f.read_bytes(), f.name).text
    for row in lines:
        assert set(row) == CONTRACT_KEYS
        assert text[row["start"]:row["end"]] == row["quote"]
        assert row["region"] == "盐城市" and row["region_code"] == "320900"
    assert lines[0]["value"] == 2338 and lines[0]["kind"] == "achievement"


def test_cli_frameworks_and_people(tmp_path):
    f = tmp_path / "b.txt"
    f.write_text("镇江市召开大会。市委书记马明龙出席。加快推进“876”创新引领工程(8条重点产业链,7个未来产业,6大传统产业)。\n",
                 encoding="utf-8")
    r = CliRunner().invoke(app, ["extract", str(f), "--what", "frameworks"])
    fw = [json.loads(x) for x in r.stdout.splitlines()]
    assert fw[0]["name"] == "876" and "7个未来产业" in fw[0]["expansion"]
    assert set(fw[0]) == {"doc", "quote", "start", "end", "name", "region", "expansion"}
    r = CliRunner().invoke(app, ["extract", str(f), "--what", "people"])
    people = [json.loads(x) for x in r.stdout.splitlines()]
    assert {"doc": "b.txt", "name": "马明龙", "titles": ["市委书记"], "region": "镇江市"} in people
