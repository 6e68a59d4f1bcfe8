"""Kind (target or achievement) and period of a statement, as the document frame sets them."""

from __future__ import annotations

from kechuang.reader.extract import extract, rows
from kechuang.reader.load import load_bytes


def _rows(text: str) -> list[dict]:
    return rows(extract(load_bytes(text.encode("utf-8"), "a.txt"), ("quantities",)), "quantities")


def test_kind_reward_meeting_reports_what_was_paid_in_its_year():
    out = _rows("来源: http://example.cn/news/2019/0305/1.html\n某高新区召开2018年度总结表彰大会\n\n"
                "3月4日,某高新区召开2018年度工作总结表彰大会,兑现奖励资金共计1.2亿元。"
                "其中,研发奖励资金3000万元。\n")
    assert [(r["value"], r["kind"], r["period"]) for r in out] == [
        (1.2, "achievement", "2019"), (3000, "achievement", "2019")]


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


def test_kind_completion_rate_is_an_achievement_while_its_task_is_a_plan_word():
    out = _rows("某县科技局2022年工作总结\n\n全县研发费用12亿元,年度任务完成率108%。"
                "新增孵化企业60家,完成全年80家任务的75%。\n")
    kinds = {r["value"]: r["kind"] for r in out}
    assert kinds[108] == "achievement" and kinds[75] == "achievement"


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


def test_kind_estimate_in_an_unnumbered_review_part_is_an_achievement():
    out = _rows("某区政府工作报告\n发布时间:2010-01-20\n\n2009年工作回顾\n\n预计,地区增加值同比增长20%。\n\n"
                "2010年工作安排\n\n地区增加值增长15%。\n")
    assert [(r["value"], r["kind"], r["period"]) for r in out] == [(20, "achievement", "2009"), (15, "target", "2010")]


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


def test_region_rank_among_the_country_is_not_a_national_document():
    from kechuang.reader.extract import extract

    ex = extract(load_bytes("无锡高新区进入全国20强\n发布时间:2022-02-25\n\n截至2021年底,研发投入强度达到4.84%。\n"
                            .encode("utf-8"), "a.txt"), ("quantities",))
    assert ex.frame.region != "全国"


def test_kind_headline_figure_after_page_furniture_echoes_its_body_twin():
    out = _rows("政府信息公开\n\n我市新增国家高新技术企业13家\n\n发布机构: 市科技局 发布时间: 2020-01-14\n\n"
                "2019年我市认定通过国家高新技术企业13家。目前全市国家高新技术企业达44家。\n")
    assert [(r["value"], r["kind"], r["period"]) for r in out] == [
        (13, "achievement", "2019"), (13, "achievement", "2019"), (44, "achievement", "2020")]


def test_period_undated_summary_with_next_year_plan_is_written_in_its_review_year():
    out = _rows("区科技局2024年工作总结和2025年工作计划\n\n一、工作完成情况\n\n今年以来入库科技型中小企业19家,完成率63%。\n\n"
                "二、2025年工作计划\n\n力争新增高新技术企业10家。\n")
    assert [(r["value"], r["kind"], r["period"]) for r in out] == [
        (19, "achievement", "2024"), (63, "achievement", "2024"), (10, "target", "2025")]
