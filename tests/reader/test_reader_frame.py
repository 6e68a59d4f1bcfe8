"""The document frame: who issued a document, where and when, what kind it is, and its parts."""

from __future__ import annotations

import datetime as dt

from kechuang.reader.load import load_bytes


def _load(text: str, name: str = "a.txt"):
    return load_bytes(text.encode("utf-8"), name)


def test_frame_date_labelled_publication_wins_over_month_span():
    doc = _load("全区2024年1-6月份企业入库情况\n来源:区科技局 发布时间:2024-07-05 10:12\n\n1-6月份,全区入库企业120家。\n")
    assert doc.published_on == dt.date(2024, 7, 5)


def test_frame_date_with_time_is_not_joined_into_one_number():
    doc = _load("某区召开大会\n\n2022-03-08 09:30:00 来源:某区融媒\n\n会上,全区新增企业20家。\n")
    assert doc.published_on == dt.date(2022, 3, 8)


def test_frame_date_from_the_page_address_when_the_text_has_none():
    for url, day in (("http://example.cn/news/2019/0412/88.html", dt.date(2019, 4, 12)),
                     ("http://example.cn/a/202105/t20210520_123.html", dt.date(2021, 5, 20)),
                     ("https://news.example.com/21/0930/10/ABC.html", dt.date(2021, 9, 30))):
        doc = _load(f"来源: {url}\n某市科技工作取得新进展\n\n目前,全市高新技术企业达500家。\n")
        assert doc.published_on == day, url


def test_frame_date_month_span_alone_is_not_a_date():
    doc = _load("2023年1-8月份全市科技型企业情况\n\n1-8月份,全市新增企业300家。\n")
    assert doc.published_on is None


def _frame(text: str):
    from kechuang.reader.extract import extract

    return extract(_load(text), ("quantities",)).frame


def test_frame_kind_from_the_title():
    assert _frame("2022年全市科技经费投入统计公报\n\n2022年,全市投入经费10亿元。\n").kind == "bulletin"
    assert _frame("某县科技局2023年工作总结\n\n2023年,新增企业12家。\n").kind == "summary"
    assert _frame("全市2024年1-6月份企业入库情况通报\n\n1-6月份,全市入库企业120家。\n").kind == "progress"
    assert _frame("某市召开科技创新大会\n\n会上,某市签约项目8个。\n").kind == "meeting"


def test_frame_region_national_bulletin_and_province_voice():
    assert _frame("2021年全国研发经费统计公报\n国家统计局\n\n全国投入经费2万亿元。\n").region == "全国"
    f = _frame("重点产业链评价活动举行\n\n我省首批链主企业12户。太原市和大同市各有3户。\n")
    assert f.region == "山西省"


def test_frame_region_town_heading_the_title_under_its_city():
    f = _frame("南头镇:打造家电产业集群丨中山镇街书记谈\n\n2024年,南头镇将新增规上企业20家。\n")
    assert f.region == "中山市南头镇" and f.key_code == "442000"


def test_frame_region_title_scope_of_a_notice_picks_the_place_of_that_level():
    f = _frame("全市2024年1-6月份企业入库情况通报\n来源:市科技局\n\n1-6月份,天津市入库企业900家,"
               "其中武清区200家,武清区企业最多。\n")
    assert f.region == "天津市"


def test_frame_progress_notice_reports_achievements_of_its_year():
    from kechuang.reader.extract import extract, rows

    ex = extract(_load("上半年某市高新技术产业稳步增长\n发布时间:2019-07-20\n\n组织申报高新技术企业40家。\n"),
                 ("quantities",))
    (row,) = rows(ex, "quantities")
    assert (row["kind"], row["period"]) == ("achievement", "2019")


def test_frame_uploader_region_is_the_default_subject():
    from kechuang.reader.extract import extract, rows
    from kechuang.reader.frame import Priors

    doc = _load("县科技局2022年工作总结\n\n一、2022年工作总结\n\n全县研发费用16亿元。\n")
    ex = extract(doc, ("quantities",), priors=Priors(region="320902"))  # 亭湖区
    assert ex.frame.region == "盐城市亭湖区" and "region" in ex.frame.given
    assert rows(ex, "quantities")[0]["region"] == "盐城市亭湖区"


def test_frame_text_narrowing_the_uploader_region_keeps_the_narrower_place():
    from kechuang.reader.extract import extract
    from kechuang.reader.frame import Priors

    doc = _load("亭湖区召开科技创新大会\n\n会上,亭湖区签约项目8个。\n")
    ex = extract(doc, ("quantities",), priors=Priors(region="320900"))  # 盐城市
    assert ex.frame.region == "盐城市亭湖区"


def test_frame_officer_correction_is_final():
    from kechuang.reader.extract import extract
    from kechuang.reader.frame import Priors

    doc = _load("亭湖区召开科技创新大会\n\n会上,亭湖区签约项目8个。\n")
    ex = extract(doc, ("quantities",), priors=Priors(region="320900", kind="plan", strict=True))
    assert (ex.frame.region, ex.frame.kind) == ("盐城市", "plan")


def test_frame_text_alone_when_no_priors_are_given():
    assert _frame("县科技局2022年工作总结\n\n全县研发费用16亿元。\n").given == ()
