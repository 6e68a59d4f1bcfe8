"""The unit registry: families, factors, 万/亿 prefixes; every unit the reader can emit converts."""

from decimal import Decimal as D

import pytest

from kechuang import units
from kechuang.reader.extract import extract, rows
from kechuang.reader.grammar import grammar
from kechuang.reader.load import load_bytes
from kechuang.reader.tables import table_unit


@pytest.mark.parametrize("value, a, b, want", [
    ("3.9", "亿元", "万元", D(39000)),
    ("152.3", "亿元", "元", D("15230000000")),
    ("50", "万平方米", "平方米", D(500000)),
    ("15", "亩", "平方米", D(10000)),
    ("1", "平方公里", "亩", D(1500)),
    ("2", "亿美元", "万美元", D(20000)),
    ("2.4", "万人", "人", D(24000)),
    ("7", "台", "家", D(7)),
])
def test_conversion_within_a_family(value, a, b, want):
    assert units.convert(value, a, b) == want


@pytest.mark.parametrize("a, b", [("亿元", "亿美元"), ("%", "个百分点"), ("家", "万元"), ("倍", "%")])
def test_no_conversion_across_families(a, b):
    assert not units.compatible(a, b)
    with pytest.raises(units.UnitError, match="不兼容"):
        units.convert(1, a, b)


@pytest.mark.parametrize("bad", ["斤", "", "万%", "亿倍", "万万元"])
def test_unknown_units_say_so_in_chinese(bad):
    assert not units.known(bad)
    with pytest.raises(units.UnitError, match="未知计量单位"):
        units.unit(bad)


def test_same_quantity_is_stricter_than_same_family():
    assert units.quantity_key(5, "名") == units.quantity_key(5, "人")
    assert units.quantity_key("3.9", "亿元") == units.quantity_key(39000, "万元")
    assert units.quantity_key(5, "家") != units.quantity_key(5, "人")


def _reader_units() -> set[str]:
    """Every unit the reader can put in a statement: each unit word the registry gives the reader,
    with each numeral multiplier the registry lists, in prose and in table headers."""
    words, mults = units.reader_units(), ["", *units.multipliers()]
    assert grammar().unit_class == words  # the reader matches the registry's words, no others
    out = set()
    for word in words:
        for mult in mults:
            sample = f"2024年全市力争新增3{mult}{word}。"
            for row in rows(extract(load_bytes(sample.encode(), "u.txt"), ("quantities",)), "quantities"):
                out.add(row["unit"])
            got = table_unit(mult + word if mult in units.prefixes() else word, D(3))
            if got is not None:
                out.add(got[1])
    return out


def test_every_unit_the_reader_emits_converts():
    emitted = _reader_units()
    assert {"个百分点", "台", "套", "所", "万美元", "亿元", "万平方米", "平方公里", "亩"} <= emitted
    for u in emitted:
        assert units.known(u), u
        base = {"count": "个", "cny": "元", "usd": "美元", "area": "平方米", "percent": "%",
                "percent_point": "个百分点", "multiple": "倍"}[units.family(u)]
        assert units.convert(1, u, base) > 0


def test_registry_file_errors_are_chinese():
    with pytest.raises(units.UnitError, match="类别"):
        units.parse_registry({"families": {"count": "数量"}, "prefixes": {}, "units": {"家": {"family": "x"}}})
    with pytest.raises(units.UnitError, match="换算系数"):
        units.parse_registry({"families": {"area": "面积"}, "prefixes": {},
                              "units": {"亩": {"family": "area", "factor": "a/b"}}})


@pytest.mark.parametrize("value, unit, want", [
    (D("152.300000"), "亿元", "152.3 亿元"), (1234567, "家", "1,234,567 家"), ("30", "%", "30%"),
    (D("0.150075"), "亿元", "0.1501 亿元"), (None, "家", "—"), (D("2.50"), "万元", "2.5 万元"), (D("-0.0000"), "家", "0 家"),
])
def test_one_number_format(value, unit, want):
    assert units.format_quantity(value, unit) == want


def test_reader_grammar_names_only_registry_units():
    from kechuang.reader.grammar import Grammar
    spec = dict(grammar().spec, not_unit_before={"斤": "两"})
    with pytest.raises(units.UnitError, match="斤"):
        Grammar(spec)
    with pytest.raises(units.UnitError, match="reader_classes"):
        units.parse_registry({"families": {"count": "数量"}, "prefixes": {}, "units": {"家": {"family": "count"}},
                              "reader_classes": {"count": ["money"]}})


def test_reader_takes_multipliers_and_classes_from_the_registry():
    reg = units.registry()
    assert set(reg.prefixes) <= set(units.multipliers())
    assert "年" not in units.reader_units() and units.reader_units()["亿美元"[1:]] == "money"
    assert units.with_multiplier(D("2.4"), "万", "人") == (D("24000.0"), "人")
    assert units.with_multiplier(D(3), "千万", "元") == (D(3000), "万元")
