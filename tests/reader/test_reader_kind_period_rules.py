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
