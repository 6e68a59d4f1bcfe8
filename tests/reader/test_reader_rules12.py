"""Rules added after held-out set 12: a breakdown paragraph ("分地区看,…") continuing the figures
before it, the goal inside a completion rate, a part of the year after a goal word, growth after a
goal in its sentence, and the threshold naming who gets a policy's award."""

from __future__ import annotations

from rule_helpers import by_value as _by_value, quantity_rows as _rows


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


def test_threshold_naming_award_recipients_is_not_a_statement():
    out = _rows("宿迁市科技政策\n\n2025年5月6日\n\n对技术合同成交额首次超过500万元的企业，给予一次性奖励5万元。\n")
    assert [(r["value"], r["unit"]) for r in out] == [(5, "万元")]
