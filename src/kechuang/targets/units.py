"""Units of statements and metrics, and the one conversion function between them.

Families: counts (measure words are interchangeable for counting), money in CNY,
money in USD, area, percent, multiples. Conversion only within a family.
"""

from __future__ import annotations

from decimal import Decimal

# unit -> (family, factor to the family's base unit)
UNITS: dict[str, tuple[str, Decimal]] = {
    "家": ("count", Decimal(1)),
    "个": ("count", Decimal(1)),
    "项": ("count", Decimal(1)),
    "件": ("count", Decimal(1)),
    "人": ("count", Decimal(1)),
    "名": ("count", Decimal(1)),
    "位": ("count", Decimal(1)),
    "人次": ("count", Decimal(1)),
    "元": ("cny", Decimal(1)),
    "万元": ("cny", Decimal(10_000)),
    "亿元": ("cny", Decimal(100_000_000)),
    "万美元": ("usd", Decimal(10_000)),
    "亿美元": ("usd", Decimal(100_000_000)),
    "平方米": ("area", Decimal(1)),
    "万平方米": ("area", Decimal(10_000)),
    # 1 亩 = 10000/15 m² (市制)
    "亩": ("area", Decimal(10_000) / Decimal(15)),
    "%": ("percent", Decimal(1)),
    "倍": ("multiple", Decimal(1)),
}

FAMILY_LABELS = {
    "count": "数量", "cny": "人民币金额", "usd": "美元金额", "area": "面积",
    "percent": "百分比", "multiple": "倍数",
}


class UnitError(ValueError):
    """Unknown or incompatible unit (message in Chinese)."""


def family(unit: str) -> str:
    try:
        return UNITS[unit][0]
    except KeyError:
        raise UnitError(f"未知计量单位“{unit}”") from None


def compatible(a: str, b: str) -> bool:
    return a in UNITS and b in UNITS and UNITS[a][0] == UNITS[b][0]


def convert(value: Decimal | int | float | str | None, from_unit: str, to_unit: str) -> Decimal | None:
    """Convert an exact value between units of one family (3.9 亿元 -> 39000 万元)."""
    if value is None:
        return None
    if from_unit == to_unit:
        return value if isinstance(value, Decimal) else Decimal(str(value))
    fa, fb = family(from_unit), family(to_unit)
    if fa != fb:
        raise UnitError(
            f"计量单位不兼容:“{from_unit}”({FAMILY_LABELS[fa]})不能换算为“{to_unit}”({FAMILY_LABELS[fb]})"
        )
    v = value if isinstance(value, Decimal) else Decimal(str(value))
    return v * UNITS[from_unit][1] / UNITS[to_unit][1]
