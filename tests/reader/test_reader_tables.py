"""Tables flattened into lines: one statement per column value."""

from __future__ import annotations

from rule_helpers import by_value as _by_value, quantity_rows as _rows

BULLETIN = """如东县2024年上半年人才工作主要指标完成情况

各镇(区、街道):

现将2024年1—6月主要指标通报如下(完成值/目标值/完成率):

引进高层次人才:45名/80名/56.3%
新增博士后工作站:3个/5个/60%

岔河镇新增技能人才:120人/200人/60%
备注:15/20 仅供参考

如东县人才办
2024年7月5日
"""


def test_slash_rows_one_statement_per_column():
    out = _rows(BULLETIN)
    done, goal, rate = _by_value(out, 45, "名"), _by_value(out, 80, "名"), _by_value(out, 56.3, "%")
    assert (done["kind"], goal["kind"], rate["kind"]) == ("achievement", "target", "achievement")
    assert {done["period"], goal["period"], rate["period"]} == {"2024"}
    assert done["quote"] == "引进高层次人才:45名" and goal["quote"] == "引进高层次人才:45名/80名"
    assert _by_value(out, 200, "人")["region"].endswith("岔河镇")
    # each value once; a line that is not "指标:v/v/v" with one value per column is no row
    assert len([r for r in out if r["value"] == 45]) == 1
    assert not [r for r in out if r["value"] in (15, 20)]


def test_slash_values_need_a_column_header():
    out = _rows("如东县2024年科技工作通报\n\n引进高层次人才:45名/80名/56.3%\n")
    assert not [r for r in out if r["value"] == 80]
