"""Second held-out set (tests/reader/heldout2/), written and annotated before the reader's code
was read. Blind scores (all eight documents): core 0.981, kind 0.971, full 0.705 — see
heldout2/README.md. The thresholds sit a little under what the fixed reader reaches (1.000).
The set is scored in test_reader_heldout_sets.py; this file holds the tests of the patterns it covers."""

from __future__ import annotations

import pytest

from kechuang.reader.extract import extract, infer_doc_year
from kechuang.reader.quantities import find_quantities
from rule_helpers import quantities as _ex


def test_list_lead_in_governs_kind_and_period():
    found = find_quantities("会议通报了2023年度工作情况。\n\n新的一年,全市科技工作确保实现:\n"
                            "高新技术企业总数达到450家;\n科技型中小企业评价入库1200家。\n", 2024)
    assert [(q.value, q.kind, q.period) for q in found] == [(450, "target", "2024"), (1200, "target", "2024")]
    found = find_quantities("书记强调,2024年是关键之年,全市要重点抓好以下工作:\n"
                            "一是壮大创新主体。新增高新技术企业250家。\n二是建强平台。新建研发机构60个。\n", 2024)
    assert [(q.kind, q.period) for q in found] == [("target", "2024"), ("target", "2024")]


def test_lead_in_stops_at_a_blank_line():
    found = find_quantities("确保实现:\n新增高企50家。\n\n会议通报,去年新增高企40家。\n", 2024)
    assert [(q.value, q.kind) for q in found] == [(50, "target"), (40, "achievement")]


def test_framework_expansion_is_not_a_statement():
    found = find_quantities("加快构建“1+3+N”科技创新平台体系,即1个中华药港、3个省级高新区和N个专业园区。"
                            "今年新增高新技术企业300家。", 2024)
    assert [(q.value, q.unit) for q in found] == [(300, "家")]


def test_commendations_are_not_statements():
    assert find_quantities("会议表彰了2023年度全市科技创新先进单位20个和先进个人50名。", 2024) == []


def test_year_from_this_year_is_and_closed_years():
    assert infer_doc_year("2月19日,大会召开。过去一年成绩显著。2024年是全面落实改革的关键之年。到2026年……") == 2024
    assert infer_doc_year("2月19日,大会召开。会议表彰了2023年度先进集体。") == 2024
    assert infer_doc_year("出台《2023年政策意见》。2023年,确保实现……到2026年……") == 2023


def test_places_opening_sentences_and_clauses():
    pytest.importorskip("kechuang.regions")
    text = ("宿迁市召开全市科技创新大会\n\n宿迁日报讯 2024年2月19日,全市科技创新大会召开。\n\n"
            "过去一年,全市高新技术企业净增218家。宿城区新增省级以上研发机构12个;沭阳县高新技术产业产值增长18.2%。\n\n"
            "宿豫区表示,今年将新增高新技术企业40家;泗阳县提出,全年实现技术合同成交额15亿元。\n")
    assert [q.region for q in _ex(text)] == ["宿迁市", "宿迁市宿城区", "沭阳县", "宿迁市宿豫区", "泗阳县"]


def test_counted_subject_ends_a_place_scope():
    pytest.importorskip("kechuang.regions")
    text = ("锡山区召开科技创新大会\n\n2024年2月21日,锡山区召开大会。\n\n"
            "东港镇成功创成省级创新型乡镇,3家企业入选省潜在独角兽企业名单。\n")
    assert [q.region for q in _ex(text)] == ["无锡市锡山区"]


def test_interview_subtitle_without_space_names_the_town():
    pytest.importorskip("kechuang.regions")
    text = "做强特色产业\n——访涟水县高沟镇党委书记刘强\n\n记者:今年目标?\n\n刘强:去年,全镇新增高新技术企业6家。\n"
    assert [q.region for q in _ex(text)][0].endswith("涟水县高沟镇")
