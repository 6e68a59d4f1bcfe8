"""Numerals: Arabic ("2.185", "1,200"), Chinese ("三", "十二", "一百三十"), mixed ("1.6万")."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
           "六": 6, "七": 7, "八": 8, "九": 9}
_SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
_BIG_UNITS = {"万": 10_000, "亿": 100_000_000}

CN_DIGITS = "零〇一二两三四五六七八九"
CN_NUMERAL_CHARS = CN_DIGITS + "十百千"


def parse_chinese_int(s: str) -> int | None:
    """Parse a Chinese integer numeral (without 万/亿 sections is the common case)."""
    if not s:
        return None
    if len(s) > 1 and all(ch in _DIGITS for ch in s):  # "二〇二三" digit strings
        return int("".join(str(_DIGITS[ch]) for ch in s))
    total = 0
    section = 0
    digit = None
    for ch in s:
        if ch in "零〇":
            continue
        if ch in _DIGITS:
            if digit is not None:
                return None
            digit = _DIGITS[ch]
        elif ch in _SMALL_UNITS:
            section += (1 if digit is None else digit) * _SMALL_UNITS[ch]
            digit = None
        elif ch in _BIG_UNITS:
            section += digit or 0
            total += (section or 1) * _BIG_UNITS[ch]
            section, digit = 0, None
        else:
            return None
    return total + section + (digit or 0)


def parse_number(s: str) -> Decimal | None:
    """Parse an Arabic or Chinese numeral, without a 万/亿 multiplier."""
    s = s.replace(",", "")
    if not s:
        return None
    if s[0].isdigit():
        try:
            return Decimal(s)
        except InvalidOperation:
            return None
    value = parse_chinese_int(s)
    return Decimal(value) if value is not None else None


def to_json_number(d: Decimal) -> int | float:
    """A Decimal as the plainest JSON number (integers without a fraction)."""
    if d == d.to_integral_value():
        return int(d)
    return float(d)
