"""What counts as a quantified statement and its value (tenths, ranges, bases, counts)."""

from __future__ import annotations

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


def test_counts_of_speakers_and_signers_are_not_statements():
    out = _rows("黄桥镇召开会议\n\n2024年7月10日\n\n会上,3家企业代表作了交流发言。"
                "镇领导与7个村(社区)签订了年度目标责任书。\n")
    assert out == []


def test_threshold_naming_award_recipients_is_not_a_statement():
    out = _rows("宿迁市科技政策\n\n2025年5月6日\n\n对技术合同成交额首次超过500万元的企业，给予一次性奖励5万元。\n")
    assert [(r["value"], r["unit"]) for r in out] == [(5, "万元")]
