"""Seventh held-out set (tests/reader/heldout7/), written and annotated before the reader's code
was read: a 县委书记 interview quoting 全市/全省 figures, a 区科技局 year-end item opened by
"1—11月", and a 高新区 year-end report whose "2024年,…增长18.5%" carry no marker word. Blind
scores: core 1.000, kind 0.800, full 0.600 — see heldout7/README.md. The set is scored in
test_reader_heldout_sets.py; this file holds the tests of the patterns it covers."""

from __future__ import annotations

import pytest


INTERVIEW = ("书记访谈\n\n2024年3月15日,记者专访了建湖县委书记张立新。\n\n记者:去年成绩如何?\n\n"
             "张立新:去年,全市高新技术企业总数突破2600家,全社会研发投入占比达2.3%。"
             "全省高新技术产业产值占比超过50%。2023年,建湖县新认定高新技术企业52家。"
             "今年全县力争新增高新技术企业60家以上。同时,全市今年要新增高企400家。\n")
from rule_helpers import quantities as _ex


def test_city_and_province_figures_in_a_county_officials_words():
    pytest.importorskip("kechuang.regions")
    got = [(q.value, q.region) for q in _ex(INTERVIEW)]
    assert [r for _v, r in got] == ["盐城市", "盐城市", "江苏省", "建湖县", "建湖县", "盐城市"], got


def test_a_rank_within_the_city_stays_the_countys():
    pytest.importorskip("kechuang.regions")
    text = ("书记访谈\n\n2024年3月15日,记者专访了建湖县委书记张立新。\n\n"
            "张立新:去年,建湖县高新技术企业总数居全市第2位,新增省级研发机构9个。\n")
    assert {q.region for q in _ex(text)} == {"建湖县"}


def test_a_county_level_citys_own_quanshi_is_itself():
    pytest.importorskip("kechuang.regions")
    text = ("东台市召开科技创新大会\n\n2024年2月20日,东台市召开大会。去年,全市新增高新技术企业56家。\n")
    assert [q.region for q in _ex(text)] == ["东台市"]


@pytest.mark.parametrize("opener", ["1—11月", "1-11月", "1至10月"])
def test_a_month_range_opening_a_clause_is_this_years_result(opener):
    text = (f"亭湖区科技局召开总结会\n\n2024年12月18日,亭湖区科技局召开总结会。\n\n"
            f"{opener},全区新认定高新技术企业78家。明年将力争高企总数突破600家。\n")
    got = [(q.value, q.kind, q.period) for q in _ex(text)]
    assert got[0][1:] == ("achievement", "2024") and got[1][1:] == ("target", "2025"), got


def test_own_year_growth_in_a_year_end_report_is_an_achievement():
    text = ("盐南高新区2024年工作报告\n\n(2024年12月26日)\n\n"
            "2024年,盐南高新区高新技术产业产值增长18.5%,新建省级研发机构7个。\n\n"
            "2025年工作目标:力争高新技术产业产值增长20%;确保技术合同成交额突破15亿元。\n")
    got = [(float(q.value), q.kind, q.period) for q in _ex(text)]
    assert got == [(18.5, "achievement", "2024"), (7.0, "achievement", "2024"),
                   (20.0, "target", "2025"), (15.0, "target", "2025")], got


def test_own_year_under_a_goal_verb_stays_a_target():
    # not a year-end document: "2024年,…力争…达" is this year's plan
    text = ("盐南高新区部署2024年工作\n\n(2024年2月26日)\n\n"
            "2024年,盐南高新区力争高新技术产业产值增长20%,确保技术合同成交额达15亿元。\n")
    assert [q.kind for q in _ex(text)] == ["target", "target"]
