"""Period of a statement: the year it is about (document year, review years, horizons, deadlines)."""

from __future__ import annotations

from kechuang.reader.extract import infer_doc_year
from kechuang.reader.load import load_bytes
from rule_helpers import by_value as _by_value, quantity_rows as _rows


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


def test_meeting_event_gives_the_document_year():
    text = ("泗阳县召开2024年科技创新大会\n\n2024-02-26 来源:泗阳发布\n\n"
            "会上,县政府与多所高校现场签约产学研合作项目9个。\n")
    row = _by_value(_rows(text), 9, "个")
    assert row["period"] == "2024"


def test_average_growth_takes_its_own_sentence_year():
    out = _rows("海安市科技局 2024年5月20日\n\n2025年目标为52%。技术合同成交额年均增长21.5%,2023年达到36.2亿元。\n")
    assert _by_value(out, 21.5, "%")["period"] == "2023"


def test_meeting_year_is_the_document_year():
    text = "4月12日,2024年泰州市人才工作会议召开。2023年,全市新引进各类人才5.6万人。今年力争6万人。"
    assert infer_doc_year(text) == 2024


def test_now_reports_the_document_year():
    out = _rows("泰州市人才工作会议召开\n\n2024年4月12日\n\n目前全市近千家企业建立了人才需求清单。\n")
    r = _by_value(out, 1000, "家")
    assert (r["kind"], r["period"], r["comparator"]) == ("achievement", "2024", "~")


def test_report_title_with_a_plan_keeps_the_publication_year():
    out = _rows("常熟市科技局2023年工作总结和2024年工作计划\n\n发布时间:2024年1月5日\n\n"
                "全年力争新增高新技术企业200家。\n")
    assert (out[0]["kind"], out[0]["period"]) == ("target", "2024")


def test_year_end_deadline_is_the_end_of_the_documents_year():
    out = _rows("溧阳市推进科技载体建设\n\n溧阳日报 2025年5月6日\n\n去年，全市新增孵化器2家。\n\n"
                "年底前，溧阳市将新增众创空间3家。\n")
    assert _by_value(out, 3, "家")["period"] == "2025年底"
    assert _by_value(out, 2, "家")["period"] == "2024"


def test_last_years_year_end_is_not_this_years():
    out = _rows("溧阳市科技工作\n\n2025年5月6日\n\n截至去年年底，全市有效高企达到560家。\n")
    assert out[0]["period"] == "2024"


def test_execution_report_title_makes_its_year_the_documents():
    out = _rows("关于句容市2024年度科技经费预算执行情况的报告\n\n——2025年4月20日在句容市人大常委会会议上\n\n"
                "一、预算执行情况\n\n2024年，科技经费实际支出1.2亿元。\n\n二、资金使用绩效\n\n"
                "有效高新技术企业达到410家。\n")
    r = _by_value(out, 410, "家")
    assert (r["kind"], r["period"]) == ("achievement", "2024")


def test_report_title_year_makes_whole_year_figures_results_of_that_year():
    out = _rows("常熟市2023年国民经济和社会发展统计公报\n\n常熟市统计局 2024年3月20日\n\n"
                "全年技术合同成交额58.2亿元,比上年增长12.4%。年末有效高新技术企业1260家。\n")
    assert {(r["kind"], r["period"]) for r in out} == {("achievement", "2023")}
    assert len(out) == 3


def test_period_dated_news_plan_item_without_a_year_takes_the_document_year():
    out = _rows("某镇:打造新材料产业园丨某市镇街书记说\n发布:2023-01-28\n\n2023年,某镇将坚定信心。\n\n"
                "一是锚定更高目标。保证工业投资增长20%。\n")
    assert [(r["value"], r["kind"], r["period"]) for r in out] == [(20, "target", "2023")]


def test_period_progress_notice_figures_take_its_year():
    out = _rows("全市2022年1-8月份企业入库情况通报\n发布时间:2022-09-02\n\n1-8月份,全市入库企业900家。\n")
    assert [(r["kind"], r["period"]) for r in out] == [("achievement", "2022")]


def test_period_bulletin_title_year_rules_its_figures():
    out = _rows("2021年全国研发经费统计公报\n国家统计局\n2022年8月31日\n\n一、经费情况\n\n"
                "分类型看,基础研究经费1800亿元。\n")
    assert [(r["kind"], r["period"], r["region"]) for r in out] == [("achievement", "2021", "全国")]


def test_period_comparison_base_is_last_year():
    out = _rows("来源: http://example.cn/a/2020/0301/9.html\n某区召开2019年度总结表彰大会\n\n"
                "会上兑现奖补资金2亿元,相比去年的1.5亿元,增长了33%。\n")
    periods = {r["value"]: (r["kind"], r["period"]) for r in out}
    assert periods[2] == ("achievement", "2020") and periods[1.5] == ("achievement", "2019")


def test_period_year_of_recognition_is_not_the_period():
    out = _rows("发布时间:2020-03-02\n某区召开大会\n\n会上补发2018年认定的30家企业奖励,金额900万元。\n")
    assert {r["value"]: r["period"] for r in out} == {30: "2020", 900: "2020"}


def test_period_undated_news_of_a_released_plan_takes_the_plan_start():
    from kechuang.reader.extract import extract

    ex = extract(load_bytes("某市召开科技创新大会\n\n大会发布了《某市科技创新行动方案(2026—2028年)》,"
                            "提出到2028年建成中试平台50家。\n".encode("utf-8"), "a.txt"), ("quantities",))
    assert ex.year == 2026


def test_period_event_of_a_closed_year_in_the_lead_sets_the_document_year():
    from kechuang.reader.extract import infer_doc_year

    text = "3月20日,重点产业链2022年度评价交流活动举行。2022年,全省产业链营收增长15%。2022年新增链主企业8户。\n"
    assert infer_doc_year(text) == 2023


def test_period_as_of_now_after_an_old_year_is_the_document_year():
    out = _rows("发布时间:2025-02-06\n某市科技创新大会举行\n\n自2022年获批建设创新中心以来,"
                "成效明显。如今,全市高新技术企业突破1.6万家。\n")
    assert [(r["kind"], r["period"]) for r in out] == [("achievement", "2025")]


def test_period_undated_plan_speaks_from_its_first_year():
    out = _rows("某区科技企业倍增行动方案(2023—2027年)\n\n到2025年,全区高新技术企业突破75家。"
                "到2027年,科技型企业超过870家。每年新增科技型企业100家。\n")
    assert [(r["value"], r["kind"], r["period"]) for r in out] == [
        (75, "target", "2025"), (870, "target", "2027"), (100, "target", "每年")]


def test_period_work_report_review_and_plan_parts():
    out = _rows("某区人民政府工作报告\n发布时间:2021-01-29\n\n一、2020年工作回顾\n\n过去一年,全区地区生产总值增长5%。\n\n"
                "二、2021年主要目标\n\n地区生产总值增长6%左右。\n")
    assert [(r["value"], r["kind"], r["period"]) for r in out] == [(5, "achievement", "2020"), (6, "target", "2021")]


def test_period_review_published_early_in_a_year_is_about_the_year_before():
    out = _rows("新吴科创丨成绩单来了!\n发布时间:2024-01-10\n\n新增高新技术企业300家,研发投入超100亿元。\n")
    assert {(r["kind"], r["period"]) for r in out} == {("achievement", "2023")}


def test_period_undated_summary_with_next_year_plan_is_written_in_its_review_year():
    out = _rows("区科技局2024年工作总结和2025年工作计划\n\n一、工作完成情况\n\n今年以来入库科技型中小企业19家,完成率63%。\n\n"
                "二、2025年工作计划\n\n力争新增高新技术企业10家。\n")
    assert [(r["value"], r["kind"], r["period"]) for r in out] == [
        (19, "achievement", "2024"), (63, "achievement", "2024"), (10, "target", "2025")]
