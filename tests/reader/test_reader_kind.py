"""Kind of a statement: target or achievement (plan words, review parts, reports, awards, rates)."""

from __future__ import annotations

from rule_helpers import PRESSER, by_value as _by_value, quantity_rows as _rows


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


def test_lead_presenting_last_year_makes_unmarked_statements_reports():
    out = _rows(PRESSER)
    r = _by_value(out, 186, "家")
    assert (r["kind"], r["period"]) == ("achievement", "2024")
    goal = _by_value(out, 4700, "家")
    assert (goal["kind"], goal["period"]) == ("target", "2025")


def test_headline_figure_takes_kind_and_period_of_its_body_twin():
    out = _rows("昆山高新技术企业突破3000家\n\n昆山日报讯 2025年1月8日,记者获悉,2024年昆山市高新技术企业"
                "数量突破3000家,同比增长9.1%。\n")
    head, body = [r for r in out if r["value"] == 3000]
    assert (head["kind"], head["period"]) == (body["kind"], body["period"]) == ("achievement", "2024")


def test_award_money_at_a_commendation_is_a_fact_and_counts_are_not():
    out = _rows("锡山区召开科技创新大会\n\n锡山发布 2025年2月12日\n\n会上,表彰先进企业40家,"
                "对受表彰企业发放奖励资金共计1200万元。\n")
    assert [(r["value"], r["unit"], r["kind"], r["period"]) for r in out] == [(1200, "万元", "achievement", "2025")]


def test_problem_part_of_a_report_reports():
    out = _rows("关于扬中市2024年度科技经费预算执行情况的报告\n\n2025年4月\n\n三、存在的问题\n\n"
                "部分项目拨付偏慢，年末结转资金800万元。\n")
    assert (out[0]["kind"], out[0]["period"]) == ("achievement", "2024")


def test_budget_plan_part_is_a_target():
    out = _rows("关于扬中市2024年度科技经费预算执行情况的报告\n\n2025年4月\n\n"
                "四、2025年预算安排和下一步工作\n\n2025年，市级财政安排科技经费预算1.5亿元，较上年增长6%。\n")
    assert {(r["kind"], r["period"]) for r in out} == {("target", "2025")}


def test_subsidy_rates_are_standing_offers():
    out = _rows("常州市产学研政策\n\n2025年3月12日\n\n去年，全市兑现补助资金3850万元。"
                "对企业合作的，按合同实际支付额的10%给予补助。对租用研发用房的，给予最高50%的租金补贴。\n")
    for value in (10, 50):
        r = _by_value(out, value, "%")
        assert (r["kind"], r["period"]) == ("target", "")
    assert _by_value(out, 50, "%")["comparator"] == "<="


def test_breakdown_paragraph_takes_the_kind_and_year_of_the_figures_before_it():
    out = _rows("宿迁市举行技术交易大会\n\n宿迁日报　2025年6月3日\n\n6月2日，大会举行。会上，现场签约项目40个。\n\n"
                "分地区看，沭阳县签约项目12个，泗洪县签约9个。\n")
    for v in (12, 9):
        r = _by_value(out, v, "个")
        assert (r["kind"], r["period"]) == ("achievement", "2025")


def test_goal_inside_a_completion_rate_is_a_target():
    out = _rows("东台市科技局通报\n\n2025年4月10日\n\n一季度，全市完成技术合同成交额5亿元，完成全年目标25亿元的20%。\n")
    assert _by_value(out, 25, "亿元")["kind"] == "target"
    assert _by_value(out, 20, "%")["kind"] == "achievement"


def test_part_of_the_year_after_a_goal_word_is_a_horizon():
    out = _rows("泗阳县科技局通报\n\n2025年4月10日\n\n二季度，全县确保上半年新入库科技型中小企业达到180家。\n")
    r = _by_value(out, 180, "家")
    assert (r["kind"], r["period"]) == ("target", "2025")


def test_growth_after_a_goal_in_its_sentence_is_a_target():
    out = _rows("灌南县科技工作\n\n2025年5月6日\n\n灌南县提出，确保技术合同成交额达到12亿元，同比增长15%以上。\n")
    r = _by_value(out, 15, "%")
    assert (r["kind"], r["comparator"]) == ("target", ">=")


def test_kind_reward_meeting_reports_what_was_paid_in_its_year():
    out = _rows("来源: http://example.cn/news/2019/0305/1.html\n某高新区召开2018年度总结表彰大会\n\n"
                "3月4日,某高新区召开2018年度工作总结表彰大会,兑现奖励资金共计1.2亿元。"
                "其中,研发奖励资金3000万元。\n")
    assert [(r["value"], r["kind"], r["period"]) for r in out] == [
        (1.2, "achievement", "2019"), (3000, "achievement", "2019")]


def test_kind_completion_rate_is_an_achievement_while_its_task_is_a_plan_word():
    out = _rows("某县科技局2022年工作总结\n\n全县研发费用12亿元,年度任务完成率108%。"
                "新增孵化企业60家,完成全年80家任务的75%。\n")
    kinds = {r["value"]: r["kind"] for r in out}
    assert kinds[108] == "achievement" and kinds[75] == "achievement"


def test_kind_estimate_in_an_unnumbered_review_part_is_an_achievement():
    out = _rows("某区政府工作报告\n发布时间:2010-01-20\n\n2009年工作回顾\n\n预计,地区增加值同比增长20%。\n\n"
                "2010年工作安排\n\n地区增加值增长15%。\n")
    assert [(r["value"], r["kind"], r["period"]) for r in out] == [(20, "achievement", "2009"), (15, "target", "2010")]


def test_kind_headline_figure_after_page_furniture_echoes_its_body_twin():
    out = _rows("政府信息公开\n\n我市新增国家高新技术企业13家\n\n发布机构: 市科技局 发布时间: 2020-01-14\n\n"
                "2019年我市认定通过国家高新技术企业13家。目前全市国家高新技术企业达44家。\n")
    assert [(r["value"], r["kind"], r["period"]) for r in out] == [
        (13, "achievement", "2019"), (13, "achievement", "2019"), (44, "achievement", "2020")]
