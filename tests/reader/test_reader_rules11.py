"""Rules added after held-out set 11: a report on a year's execution (执行情况的报告) named by the
title, performance and problem parts of a report, budget plans as a plan part, 年底前 as the end of
the document's year, a zone opening the headline before any verb, and subsidy rates."""

from __future__ import annotations

from rule_helpers import by_value as _by_value, quantity_rows as _rows


def test_execution_report_title_makes_its_year_the_documents():
    out = _rows("关于句容市2024年度科技经费预算执行情况的报告\n\n——2025年4月20日在句容市人大常委会会议上\n\n"
                "一、预算执行情况\n\n2024年，科技经费实际支出1.2亿元。\n\n二、资金使用绩效\n\n"
                "有效高新技术企业达到410家。\n")
    r = _by_value(out, 410, "家")
    assert (r["kind"], r["period"]) == ("achievement", "2024")


def test_problem_part_of_a_report_reports():
    out = _rows("关于扬中市2024年度科技经费预算执行情况的报告\n\n2025年4月\n\n三、存在的问题\n\n"
                "部分项目拨付偏慢，年末结转资金800万元。\n")
    assert (out[0]["kind"], out[0]["period"]) == ("achievement", "2024")


def test_budget_plan_part_is_a_target():
    out = _rows("关于扬中市2024年度科技经费预算执行情况的报告\n\n2025年4月\n\n"
                "四、2025年预算安排和下一步工作\n\n2025年，市级财政安排科技经费预算1.5亿元，较上年增长6%。\n")
    assert {(r["kind"], r["period"]) for r in out} == {("target", "2025")}


def test_year_end_deadline_is_the_end_of_the_documents_year():
    out = _rows("溧阳市推进科技载体建设\n\n溧阳日报 2025年5月6日\n\n去年，全市新增孵化器2家。\n\n"
                "年底前，溧阳市将新增众创空间3家。\n")
    assert _by_value(out, 3, "家")["period"] == "2025年底"
    assert _by_value(out, 2, "家")["period"] == "2024"


def test_last_years_year_end_is_not_this_years():
    out = _rows("溧阳市科技工作\n\n2025年5月6日\n\n截至去年年底，全市有效高企达到560家。\n")
    assert out[0]["period"] == "2024"


def test_zone_opening_the_headline_before_any_verb_owns_the_text():
    out = _rows("常州高新区加快建设孵化载体\n\n常州高新区管委会 2025年6月18日\n\n"
                "截至5月底，全区已建成科技企业孵化器38家。\n")
    assert out[0]["region"] == "常州高新区"


def test_subsidy_rates_are_standing_offers():
    out = _rows("常州市产学研政策\n\n2025年3月12日\n\n去年，全市兑现补助资金3850万元。"
                "对企业合作的，按合同实际支付额的10%给予补助。对租用研发用房的，给予最高50%的租金补贴。\n")
    for value in (10, 50):
        r = _by_value(out, value, "%")
        assert (r["kind"], r["period"]) == ("target", "")
    assert _by_value(out, 50, "%")["comparator"] == "<="
