"""The one unit registry (data in units.yaml beside this file): families, factors, 万/亿 prefixes
and conversion within a family. The reader, the ledgers, the targets and the scorers use it.

A unit symbol is a base unit ("元", "家", "平方米") or a base unit after a 万/亿 prefix ("亿元",
"万平方米", "万人"); both convert with exact decimals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import yaml

UNITS_FILE = Path(__file__).with_name("units.yaml")


class UnitError(ValueError):
    """Unknown or incompatible unit (message in Chinese)."""


@dataclass(frozen=True)
class Unit:
    symbol: str        # as written ("亿元")
    base: str          # the base symbol after the prefix and alias ("元")
    prefix: str        # "" | "万" | "亿"
    family: str        # "cny"
    factor: Decimal    # to the family's base unit (1e8 for 亿元)
    measure: str       # what a count counts ("人" for 名); the family for other units

    @property
    def family_label(self) -> str:
        return registry().families[self.family]


@dataclass(frozen=True)
class _Base:
    family: str
    factor: Fraction
    prefixed: tuple[str, ...]
    alias_of: str | None
    same_as: str | None


@dataclass(frozen=True)
class Registry:
    families: dict[str, str]             # id -> Chinese label
    prefixes: dict[str, int]             # 万 -> 10000
    bases: dict[str, _Base]
    no_multiplier: frozenset[str]        # families without 万/亿 (%, 倍 …)
    multipliers: dict[str, int]          # numeral multipliers before a unit, the prefixes included
    reader_classes: dict[str, str]       # family -> the reader's class (count, money, area, ratio)

    def parse(self, symbol: str) -> Unit:
        s = (symbol or "").strip()
        prefix, base = "", s
        if s not in self.bases and s[:1] in self.prefixes and s[1:] in self.bases:
            prefix, base = s[0], s[1:]
        b = self.bases.get(base)
        if b is None:
            raise UnitError(f"未知计量单位“{symbol}”(单位表中没有这个单位)")
        if prefix and b.family in self.no_multiplier:
            raise UnitError(f"未知计量单位“{symbol}”(“{base}”不能带“{prefix}”)")
        name = b.alias_of or base
        f = b.factor * (self.prefixes[prefix] if prefix else 1)
        measure = (b.same_as or name) if b.family == "count" else b.family
        return Unit(symbol=s, base=name, prefix=prefix, family=b.family,
                    factor=Decimal(f.numerator) / Decimal(f.denominator), measure=measure)


def _fraction(raw, where: str) -> Fraction:
    try:
        return Fraction(str(raw))
    except (ValueError, ZeroDivisionError):
        raise UnitError(f"单位表 {UNITS_FILE.name}:{where} 的换算系数“{raw}”不是数字或分数") from None


def parse_registry(raw) -> Registry:
    if not isinstance(raw, dict) or not all(isinstance(raw.get(k), dict) for k in ("families", "prefixes", "units")):
        raise UnitError(f"单位表 {UNITS_FILE.name}:需要 families、prefixes、units 三个映射")
    families = {str(k): str(v) for k, v in raw["families"].items()}
    prefixes = {str(k): int(v) for k, v in raw["prefixes"].items()}
    bases: dict[str, _Base] = {}
    for sym, spec in raw["units"].items():
        sym = str(sym)
        spec = spec or {}
        fam = spec.get("family")
        if fam not in families:
            raise UnitError(f"单位表 {UNITS_FILE.name}:单位“{sym}”的类别“{fam}”未在 families 中声明")
        pre = tuple(map(str, spec.get("prefixed") or ()))
        if set(pre) - set(prefixes):
            raise UnitError(f"单位表 {UNITS_FILE.name}:单位“{sym}”的前缀 {pre} 不在 prefixes 中")
        bases[sym] = _Base(fam, _fraction(spec.get("factor", 1), f"单位“{sym}”"), pre,
                           spec.get("alias_of"), spec.get("same_as"))
    for sym, b in bases.items():
        for other in (b.alias_of, b.same_as):
            if other is not None and (other not in bases or bases[other].family != b.family):
                raise UnitError(f"单位表 {UNITS_FILE.name}:单位“{sym}”引用的“{other}”不存在或类别不同")
    no_mult = frozenset(map(str, raw.get("no_multiplier") or ()))
    if no_mult - set(families):
        raise UnitError(f"单位表 {UNITS_FILE.name}:no_multiplier 中的类别 {sorted(no_mult - set(families))} 未声明")
    multipliers = dict(prefixes)
    for word, factor in (raw.get("multipliers") or {}).items():
        multipliers[str(word)] = int(factor)
    reader_classes: dict[str, str] = {}
    for cls, fams in (raw.get("reader_classes") or {}).items():
        for fam in fams or ():
            if fam not in families:
                raise UnitError(f"单位表 {UNITS_FILE.name}:reader_classes 中“{cls}”的类别“{fam}”未在 families 中声明")
            reader_classes[str(fam)] = str(cls)
    return Registry(families, prefixes, bases, no_mult, multipliers, reader_classes)


@lru_cache(maxsize=1)
def registry() -> Registry:
    return parse_registry(yaml.safe_load(UNITS_FILE.read_text(encoding="utf-8")))


@lru_cache(maxsize=256)
def unit(symbol: str) -> Unit:
    """The parsed unit; UnitError (Chinese) when the registry does not know it."""
    return registry().parse(symbol)


def known(symbol: str) -> bool:
    try:
        unit(symbol)
    except UnitError:
        return False
    return True


def family(symbol: str) -> str:
    return unit(symbol).family


def family_label(symbol: str) -> str:
    return unit(symbol).family_label


def compatible(a: str, b: str) -> bool:
    return known(a) and known(b) and unit(a).family == unit(b).family


def convert(value: Decimal | int | float | str | None, from_unit: str, to_unit: str) -> Decimal | None:
    """An exact value in another unit of the same family (3.9 亿元 → 39000 万元)."""
    if value is None:
        return None
    v = value if isinstance(value, Decimal) else Decimal(str(value))
    if from_unit == to_unit:
        return v
    a, b = unit(from_unit), unit(to_unit)
    if a.family != b.family:
        raise UnitError(f"计量单位不兼容:“{from_unit}”({a.family_label})不能换算为“{to_unit}”({b.family_label})")
    return v * a.factor / b.factor


def quantity_key(value, symbol: str) -> tuple[str, Decimal]:
    """(what is measured, value in the family's base unit): two figures are the same quantity when
    these are equal (3.9 亿元 = 39000 万元; 5 名 = 5 人, but 5 家 ≠ 5 人)."""
    u = unit(symbol)
    v = value if isinstance(value, Decimal) else Decimal(str(value))
    return u.measure, v * u.factor


def with_multiplier(value: Decimal, mult_word: str, base: str) -> tuple[Decimal, str] | None:
    """A number written with a numeral multiplier before a unit ("3.9亿元", "2.4万人", "50万平方米"):
    (value, unit) as statements carry it — the 万/亿 stays in the unit where the unit is written with
    it (亿元, 万平方米), otherwise it multiplies the value (24000 人). ``mult_word`` is one of
    ``multipliers()`` ("千万") or ""; None when the unit takes no multiplier (5万%)."""
    reg = registry()
    b = reg.bases[base]
    if not mult_word:
        return value, b.alias_of or base
    if b.family in reg.no_multiplier:
        return None
    mult = _multiplier_value(mult_word)
    last = mult_word[-1]
    if last in b.prefixed:
        return value * mult / reg.prefixes[last], last + base
    return value * mult, b.alias_of or base


@lru_cache(maxsize=32)
def _multiplier_value(word: str) -> Decimal:
    return Decimal(registry().multipliers[word])


def multipliers() -> dict[str, int]:
    """Numeral multipliers a number may carry before a unit (万, 亿, 千万 …) and their values."""
    return dict(registry().multipliers)


def prefixes() -> list[str]:
    """The 万/亿 prefixes a unit may be written with (万元, 亿美元, 万平方米)."""
    return list(registry().prefixes)


def reader_units() -> dict[str, str]:
    """The unit words the reader reads after a number, in the registry's order, each with the
    reader's class (count, money, area, ratio)."""
    reg = registry()
    return {sym: reg.reader_classes[b.family] for sym, b in reg.bases.items() if b.family in reg.reader_classes}


def base_symbols() -> list[str]:
    """Base unit symbols in the registry's order (the words a reader recognises after a number)."""
    return list(registry().bases)


def symbols() -> list[str]:
    """Every unit as people choose it from a list: each base and its customary prefixed forms."""
    out = []
    for sym, b in registry().bases.items():
        if b.alias_of:
            continue
        out += [sym, *(p + sym for p in b.prefixed)]
    return out


def format_number(value, decimals: int = 2) -> str:
    """A number as people write it: thousands separators, no trailing zeros (152.300000 → "152.3",
    1234567 → "1,234,567"); ``decimals`` places at most (4 below 1, so 0.0012 亿元 stays visible);
    "—" when missing."""
    if value is None or value == "":
        return "—"
    try:
        v = value if isinstance(value, Decimal) else Decimal(str(value))
    except ArithmeticError:
        return str(value)
    if not v.is_finite():
        return "—"
    places = decimals if abs(v) >= 1 or v == 0 else max(decimals, 4)
    q = v.quantize(Decimal(1).scaleb(-places))
    text = f"{q:,f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def format_quantity(value, symbol: str, decimals: int = 2) -> str:
    """"152.3 亿元", "30%", "1,200 家"; "—" when missing."""
    num = format_number(value, decimals)
    if num == "—" or not symbol:
        return num
    return f"{num}{symbol}" if symbol == "%" else f"{num} {symbol}"


__all__ = ["format_number", "format_quantity", "Unit", "UnitError", "compatible", "convert", "family", "family_label", "known", "quantity_key",
           "multipliers", "prefixes", "reader_units", "registry", "symbols", "base_symbols", "unit", "with_multiplier"]
