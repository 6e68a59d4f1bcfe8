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
