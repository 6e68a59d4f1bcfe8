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
