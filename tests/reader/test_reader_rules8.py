"""Rules added after held-out set 8: slash-form indicator bulletins, project sizes, dated news
leads, bare zone titles and verbs before a place."""

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


def test_project_size_is_a_fact_of_the_document_year():
    text = ("海门区举行重大项目集中签约活动\n\n2024年4月2日\n\n"
            "本次签约的新材料项目预计2026年建成,建成后年产值30亿元;智能装备项目总投资12亿元,计划明年投产。"
            "今年,全区力争签约项目总投资突破300亿元。\n")
    out = _rows(text)
    size = _by_value(out, 12, "亿元")
    assert (size["kind"], size["period"]) == ("achievement", "2024")
    plan = _by_value(out, 300, "亿元")
    assert plan["kind"] == "target"
    assert _by_value(out, 30, "亿元")["period"] == "2026"


def test_news_lead_date_gives_the_document_year():
    text = ("海门区举行二季度项目签约仪式\n\n来源:海门日报 2024年6月4日\n\n"
            "6月3日上午,海门区举行二季度项目签约仪式,现场签约项目8个。\n")
    row = _by_value(_rows(text), 8, "个")
    assert (row["kind"], row["period"]) == ("achievement", "2024")


def test_bare_zone_title_speaks_for_the_zone_in_the_title():
    text = ("海安高新区召开2024年项目推进会\n\n2024年3月6日\n\n"
            "海安市委常委、高新区党工委书记周立军在会上表示,今年高新区力争新开工项目40个以上。\n")
    row = _by_value(_rows(text), 40, "个")
    assert row["region"] == "海安高新区"


def test_verb_before_a_place_is_not_part_of_its_name():
    text = ("如东县2024年政府工作报告(摘要)\n\n2024年1月20日\n\n"
            "二、2024年主要目标\n\n推动镇域发展。支持岔河镇工业开票销售突破60亿元。\n")
    row = _by_value(_rows(text), 60, "亿元")
    assert row["region"].endswith("如东县岔河镇") and "支持" not in row["region"]


def test_meeting_event_gives_the_document_year():
    text = ("泗阳县召开2024年科技创新大会\n\n2024-02-26 来源:泗阳发布\n\n"
            "会上,县政府与多所高校现场签约产学研合作项目9个。\n")
    row = _by_value(_rows(text), 9, "个")
    assert row["period"] == "2024"
