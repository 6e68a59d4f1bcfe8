"""Shared by the rule tests (test_reader_kind.py, _period, _region, _tables, _values) and the held-out tests."""

from __future__ import annotations

from kechuang.reader.extract import extract, rows
from kechuang.reader.load import load_bytes


def quantity_rows(text: str) -> list[dict]:
    """The quantity statements of a text as the JSONL rows `kechuang extract` writes."""
    return rows(extract(load_bytes(text.encode("utf-8"), "t.txt"), ("quantities",)), "quantities")


def by_value(out: list[dict], value, unit: str) -> dict:
    """The first statement with this value and unit."""
    return next(r for r in out if r["value"] == value and r["unit"] == unit)


def quantities(text: str) -> list:
    """The Quantity objects the extractor finds in a text."""
    return extract(load_bytes(text.encode("utf-8"), "x.txt"), ("quantities",)).quantities


# A city press conference with district speakers: shared by the kind and region rules.
PRESSER = """南通市举行全市科技创新工作新闻发布会

2025年1月16日,南通市政府新闻办举行新闻发布会,市科技局局长陈建华介绍2024年全市科技创新工作情况,海门区科技局副局长黄建回答记者提问。

陈建华:崇川区新认定高新技术企业186家,海门区新增省级专精特新中小企业37家。

记者:海门区有哪些举措?

海门区科技局副局长黄建:2024年,海门区新招引科技型项目63个。今年我们计划新招引科技型项目80个。

陈建华:2025年,全市力争高新技术企业总数突破4700家。
"""
