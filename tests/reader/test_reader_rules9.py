"""Rules added after held-out set 9: tenths, ranges with the unit on both bounds, base values
with their own year, policy awards, meeting years, leads presenting last year's work, bureaus of
named places, bare town titles, zones the registry lacks and Q&A answers after "title name:"."""

from __future__ import annotations

from kechuang.reader.extract import infer_doc_year
from rule_helpers import by_value as _by_value, quantity_rows as _rows


def test_tenths_are_percentages():
    out = _rows("南通市2024年科技工作\n\n目前,规上工业企业中超过两成设立了研发机构,高新区企业占全市的四成以上。"
                "这一政策一成不变。\n")
    two, four = _by_value(out, 20, "%"), _by_value(out, 40, "%")
    assert (two["comparator"], four["comparator"]) == (">=", ">=")
    assert not [r for r in out if r["value"] == 10]


def test_range_with_unit_on_both_bounds_is_one_statement():
    out = _rows("泰州市人才新政\n\n对顶尖人才团队,经评审给予1000万元至5000万元项目资助。\n")
    assert [(r["value"], r["unit"], r["comparator"]) for r in out] == [(1000, "万元", ">=")]


def test_base_value_with_its_own_year_is_dropped():
    out = _rows("海安市科技局 2024年5月20日\n\n全社会研发投入占地区生产总值比重由2020年的2.31%提高到2023年的2.68%,"
                "距2025年目标2.8%还有差距。\n")
    assert [r["value"] for r in out] == [2.68, 2.8]
    new, goal = out
    assert (new["kind"], new["period"]) == ("achievement", "2023")
    assert (goal["kind"], goal["period"]) == ("target", "2025")


def test_average_growth_takes_its_own_sentence_year():
    out = _rows("海安市科技局 2024年5月20日\n\n2025年目标为52%。技术合同成交额年均增长21.5%,2023年达到36.2亿元。\n")
    assert _by_value(out, 21.5, "%")["period"] == "2023"


def test_policy_awards_are_offers_without_year():
    out = _rows("泰州市人才工作会议 2024年4月12日\n\n2023年,全市新引进人才5.6万人。"
                "新政提出,入选省“双创计划”的人才,按1:1给予配套资助,最高100万元;"
                "对新认定的省级博士后创新实践基地,一次性奖励50万元。"
                "去年累计给予企业奖励2000万元。\n")
    for value in (100, 50):
        r = _by_value(out, value, "万元")
        assert (r["kind"], r["period"]) == ("target", "")
    assert _by_value(out, 100, "万元")["comparator"] == "<="
    assert _by_value(out, 2000, "万元")["kind"] == "achievement"


def test_meeting_year_is_the_document_year():
    text = "4月12日,2024年泰州市人才工作会议召开。2023年,全市新引进各类人才5.6万人。今年力争6万人。"
    assert infer_doc_year(text) == 2024


def test_now_reports_the_document_year():
    out = _rows("泰州市人才工作会议召开\n\n2024年4月12日\n\n目前全市近千家企业建立了人才需求清单。\n")
    r = _by_value(out, 1000, "家")
    assert (r["kind"], r["period"], r["comparator"]) == ("achievement", "2024", "~")


def test_counts_of_speakers_and_signers_are_not_statements():
    out = _rows("黄桥镇召开会议\n\n2024年7月10日\n\n会上,3家企业代表作了交流发言。"
                "镇领导与7个村(社区)签订了年度目标责任书。\n")
    assert out == []


PRESSER = """南通市举行全市科技创新工作新闻发布会

2025年1月16日,南通市政府新闻办举行新闻发布会,市科技局局长陈建华介绍2024年全市科技创新工作情况,海门区科技局副局长黄建回答记者提问。

陈建华:崇川区新认定高新技术企业186家,海门区新增省级专精特新中小企业37家。

记者:海门区有哪些举措?

海门区科技局副局长黄建:2024年,海门区新招引科技型项目63个。今年我们计划新招引科技型项目80个。

陈建华:2025年,全市力争高新技术企业总数突破4700家。
"""


def test_lead_presenting_last_year_makes_unmarked_statements_reports():
    out = _rows(PRESSER)
    r = _by_value(out, 186, "家")
    assert (r["kind"], r["period"]) == ("achievement", "2024")
    goal = _by_value(out, 4700, "家")
    assert (goal["kind"], goal["period"]) == ("target", "2025")


def test_answer_after_title_and_name_is_the_bureau_place():
    out = _rows(PRESSER)
    r = _by_value(out, 80, "个")
    assert (r["kind"], r["period"]) == ("target", "2025")
    assert r["region"].endswith("海门区") and r["region_code"] == "320614"


TOWN = """黄桥镇召开上半年经济运行分析会

2024年7月10日,泰兴市黄桥镇召开上半年经济运行分析会。

镇党委书记徐峰在讲话中指出,上半年,全镇完成规上工业开票销售126亿元。

黄桥工业园区党工委书记李军汇报了园区工作。他介绍,园区上半年新签约亿元以上项目9个。
"""


def test_bare_town_title_and_unlisted_zone():
    out = _rows(TOWN)
    assert _by_value(out, 126, "亿元")["region"] == "泰兴市黄桥镇"
    assert _by_value(out, 9, "个")["region"] == "黄桥工业园区"
