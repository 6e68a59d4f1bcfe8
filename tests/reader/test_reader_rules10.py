"""Rules added after held-out set 10: a closed year's report named by the title, headline figures
echoing the body, award money paid at a commendation, the province speaking for itself, "分别"
lists of places and zones named …工业园/科技园/产业园."""

from __future__ import annotations

from rule_helpers import by_value as _by_value, quantity_rows as _rows


def test_report_title_year_makes_whole_year_figures_results_of_that_year():
    out = _rows("常熟市2023年国民经济和社会发展统计公报\n\n常熟市统计局 2024年3月20日\n\n"
                "全年技术合同成交额58.2亿元,比上年增长12.4%。年末有效高新技术企业1260家。\n")
    assert {(r["kind"], r["period"]) for r in out} == {("achievement", "2023")}
    assert len(out) == 3


def test_report_title_with_a_plan_keeps_the_publication_year():
    out = _rows("常熟市科技局2023年工作总结和2024年工作计划\n\n发布时间:2024年1月5日\n\n"
                "全年力争新增高新技术企业200家。\n")
    assert (out[0]["kind"], out[0]["period"]) == ("target", "2024")


def test_headline_figure_takes_kind_and_period_of_its_body_twin():
    out = _rows("昆山高新技术企业突破3000家\n\n昆山日报讯 2025年1月8日,记者获悉,2024年昆山市高新技术企业"
                "数量突破3000家,同比增长9.1%。\n")
    head, body = [r for r in out if r["value"] == 3000]
    assert (head["kind"], head["period"]) == (body["kind"], body["period"]) == ("achievement", "2024")


def test_award_money_at_a_commendation_is_a_fact_and_counts_are_not():
    out = _rows("锡山区召开科技创新大会\n\n锡山发布 2025年2月12日\n\n会上,表彰先进企业40家,"
                "对受表彰企业发放奖励资金共计1200万元。\n")
    assert [(r["value"], r["unit"], r["kind"], r["period"]) for r in out] == [(1200, "万元", "achievement", "2025")]


def test_provincial_body_and_province_figures_make_the_province_the_region():
    out = _rows("全省科技型中小企业数量创新高\n\n2025年1月15日,记者从江苏省科技厅获悉,去年全省科技型中小企业"
                "评价入库9.1万家,苏州市入库2.3万家。\n")
    assert _by_value(out, 91000, "家")["region"] == "江苏省"
    assert _by_value(out, 23000, "家")["region"] == "苏州市"


def test_respective_lists_give_each_number_its_own_place():
    out = _rows("无锡市科技局 2025年1月20日\n\n去年,江阴市、宜兴市高新技术企业分别新增310家和150家,"
                "同比分别增长12.1%和8.4%;全市技术合同成交额分别增长,研发机构分别为12家、8家。\n")
    assert [(r["value"], r["region"]) for r in out if r["unit"] in ("家", "%") and r["value"] in (310, 150, 12.1, 8.4)] \
        == [(310, "江阴市"), (150, "宜兴市"), (12.1, "江阴市"), (8.4, "宜兴市")]
    # a list without places keeps the context's region
    assert {r["region"] for r in out if r["value"] in (12, 8)} == {"无锡市"}


def test_zone_named_gongyeyuan_opens_its_own_clause():
    out = _rows("张家港市科技局 2025年1月10日\n\n去年,张家港市高新技术企业新增160家。张家港冶金工业园新增高新技术企业18家。\n")
    assert _by_value(out, 18, "家")["region"] == "张家港冶金工业园"
    assert _by_value(out, 160, "家")["region"] == "张家港市"
