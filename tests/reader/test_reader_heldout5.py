"""Fifth held-out set (tests/reader/heldout5/), written and annotated before the reader's code
was read: a city 科技局 新春第一会 report naming districts inline, a 开发区党工委书记 interview on a
三年行动计划(2024—2026年), and a town's mid-year report. Blind scores: core 1.000, kind 1.000,
full 0.429 — see heldout5/README.md. Thresholds sit a little under what the fixed reader reaches
(core 1.000, kind 1.000, full 0.964).
The set is scored in test_reader_heldout_sets.py; this file holds the tests of the patterns it covers."""

from __future__ import annotations

import pytest

from kechuang.reader.extract import extract, infer_doc_year
from kechuang.reader.quantities import find_quantities
from rule_helpers import quantities as _ex


def test_a_reviewed_year_speaks_for_the_next():
    text = ("2月18日,市科技局召开会议,总结2023年全市科技工作,部署2024年重点任务。\n\n"
            "会议还对2023年度全市科技工作先进集体进行了表彰。\n")
    assert infer_doc_year(text) == 2024
    # without the review the year named most often still decides
    assert infer_doc_year("2023年全市新增高企300家。2023年技术合同成交额增长20%。2024年力争更多。") == 2023


def test_year_to_date_words_take_the_document_year():
    found = find_quantities("上半年,全镇完成规上工业产值428.6亿元。去年上半年新增高企12家。", 2024)
    assert [(float(q.value), q.kind, q.period) for q in found] == [
        (428.6, "achievement", "2024"), (12, "achievement", "2023")]


def test_a_town_heading_the_title_owns_the_report():
    pytest.importorskip("kechuang.regions")
    text = ("长江镇召开上半年经济运行分析会\n\n2024-07-16 来源:如皋日报\n\n"
            "7月15日,长江镇召开会议。如皋市委常委、长江镇党委书记周建华出席。\n\n"
            "会议通报,上半年,全镇完成规上工业产值428.6亿元。\n")
    assert [(q.region, q.period) for q in _ex(text)] == [("如皋市长江镇", "2024")]
    # a county's own report keeps the county
    text = "如皋市召开科技大会\n\n2024-02-18 来源:如皋日报\n\n今年全市新增高企100家。\n"
    assert [q.region for q in _ex(text)] == ["如皋市"]


def test_inline_places_after_qizhong_and_zones_as_written():
    pytest.importorskip("kechuang.regions")
    text = ("淮安市科技局召开会议\n\n2024年2月18日,会议在淮安召开。去年,淮安经济技术开发区新建研发中心9个。"
            "今年各县区要主动认领任务,其中洪泽区力争高企数量增长20%以上。\n")
    assert [q.region for q in _ex(text)] == ["淮安经济技术开发区", "淮安市洪泽区"]
