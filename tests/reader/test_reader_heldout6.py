"""Sixth held-out set (tests/reader/heldout6/), written and annotated before the reader's code
was read: a 市委全会 report going district by district, a 县委书记 interview that quotes the
city's figures first, and a 高新区 year-end meeting. Blind scores: core 1.000, kind 0.852,
full 0.352 — see heldout6/README.md. The set is scored in test_reader_heldout_sets.py; this
file holds the tests of the patterns it covers."""

from __future__ import annotations

import pytest

from kechuang.reader.people import find_people
from kechuang.reader.quantities import find_quantities
from rule_helpers import quantities as _ex


def test_an_interview_lead_keeps_only_the_title():
    people = find_people("编者按:2024年2月20日,本报记者专访了泗洪县委书记王亚光,请他谈谈工作。")
    assert people["王亚光"].titles == ["泗洪县委书记"]


def test_the_interviewee_answers_for_his_county_not_the_city():
    pytest.importorskip("kechuang.regions")
    text = ("县委书记谈创新\n\n2024年2月20日,本报记者专访了泗洪县委书记王亚光。\n\n"
            "记者:今年有哪些目标?\n\n王亚光:去年,宿迁全市高新技术企业总数达1120家。"
            "去年泗洪县新认定高新技术企业46家。今年全县力争新增高新技术企业50家以上。\n")
    got = [(q.value, q.region) for q in _ex(text)]
    assert [r for _v, r in got] == ["宿迁市", "泗洪县", "泗洪县"], got


def test_a_zone_heading_the_title_owns_the_report():
    pytest.importorskip("kechuang.regions")
    text = ("淮安高新区召开科技创新工作推进会\n\n(2023年12月22日)近日,淮安高新区召开会议。\n\n"
            "会议指出,今年以来,全区新增高新技术企业43家。明年将招引科技型项目60个。\n")
    assert [(q.region, q.period) for q in _ex(text)] == [("淮安高新区", "2023"), ("淮安高新区", "2024")]


def test_a_year_end_document_reports_this_year_and_plans_the_new_one():
    text = ("(2023年12月22日)会议总结今年工作,谋划明年发展。\n\n"
            "今年全区新建省级工程技术研究中心5家。\n\n"
            "新的一年,力争新增高新技术企业50家以上。\n")
    got = [(float(q.value), q.kind, q.period) for q in find_quantities(text, 2023)]
    assert got == [(5, "achievement", "2023"), (50, "target", "2024")], got
    # in a document of the year's start, 新的一年 and 今年 are the same year, still to do
    early = text.replace("12月22日", "2月22日").replace("谋划明年发展", "部署全年工作")
    got = [(float(q.value), q.kind, q.period) for q in find_quantities(early, 2023)]
    assert got == [(5, "target", "2023"), (50, "target", "2023")], got
