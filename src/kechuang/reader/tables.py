"""Statements in tables: rows under a header naming completed/target columns
("技术合同成交额(亿元) 28.6 25") and slash rows ("指标：86家/100家/86%")."""

from __future__ import annotations

import re
from decimal import Decimal

from .. import units
from .grammar import grammar
from .kind_period import decide_period
from .numbers import parse_number
from .positions import Positions
from .records import Quantity


def slash_rows(text: str, p: "Positions", doc_year: int | None) -> list[Quantity]:
    """Rows "指标：86家/100家/86%" after a header naming the columns "完成值/目标值/完成率";
    a row without a year of its own takes the header's period, else the document's year."""
    g = grammar()
    h = g.slash_header.search(text)
    if h is None:
        return []
    kinds = [g.table_col[c.strip()] for c in h.group().split("/")]
    head_period = decide_period(p, h.start(), doc_year, "", "") or (str(doc_year) if doc_year else "")
    out: list[Quantity] = []
    pos = text.find("\n", h.end()) + 1
    while 0 < pos < len(text):
        e = text.find("\n", pos)
        e = len(text) if e < 0 else e
        m = g.slash_row.fullmatch(text, pos, e)
        values = list(g.slash_value.finditer(text, m.start("vals"), m.end("vals"))) if m else []
        if m is not None and len(values) == len(kinds):
            q0 = m.start("name")
            for kind, v in zip(kinds, values):
                num = parse_number(v.group("num"))
                conv = table_unit(v.group("unit"), num) if num is not None else None
                if conv is None:
                    continue
                out.append(Quantity(
                    quote=text[q0:v.end()], start=q0, end=v.end(), value=conv[0], unit=conv[1],
                    indicator=m.group("name").strip()[:128], kind=kind, comparator="=",
                    period=decide_period(p, v.start(), doc_year, "", "") or head_period,
                    num_start=v.start(), num_end=v.end()))
        pos = e + 1
    return out


_TABLE_ROW = re.compile(r"(?P<name>[^\s\d()()][^\n()()]{1,30}?)[ \t]*[((](?P<unit>[^\s))]{1,5})[))]"
                        r"(?P<vals>(?:[ \t]+[\d][\d.,]*%?)+)[ \t]*$")
_TABLE_VALUE = re.compile(r"\d[\d.,]*")


def table_unit(unit: str, value: Decimal):
    """("亿元", 28.6) → (28.6, "亿元"); ("万人", 3.2) → (32000, "人"); None for an unknown unit."""
    mult = unit[0] if unit[:1] in units.registry().prefixes and len(unit) > 1 else ""
    base = unit[len(mult):]
    if base not in grammar().unit_class:
        return None
    return units.with_multiplier(value, mult, base)


def table_rows(text: str, p: "Positions", doc_year: int | None) -> list[Quantity]:
    """Rows under a header line naming completed/target columns, up to the first line that is
    not a row ("指标名称 完成值 目标值" / "技术合同成交额(亿元) 28.6 25")."""
    g = grammar()
    out: list[Quantity] = []
    done = -1
    for h in g.table_header.finditer(text):
        l0 = text.rfind("\n", 0, h.start()) + 1
        if l0 <= done or (h.start() != l0 and not text[h.start() - 1].isspace()):
            continue
        done = l0
        l1 = text.find("\n", h.start())
        l1 = len(text) if l1 < 0 else l1
        cols = text[l0:l1].split()
        if len(cols) < 2 or len(cols) > 6 or not all(c in g.table_col for c in cols[1:]) or cols[0] in g.table_col:
            continue
        kinds = [g.table_col[c] for c in cols[1:]]
        pos = l1 + 1
        while pos < len(text):
            e = text.find("\n", pos)
            e = len(text) if e < 0 else e
            m = _TABLE_ROW.fullmatch(text, pos, e)
            if m is None:
                break
            values = list(_TABLE_VALUE.finditer(text, m.start("vals"), m.end("vals")))
            for kind, v in zip(kinds, values):
                num = parse_number(v.group())
                conv = table_unit(m.group("unit"), num) if num is not None else None
                if conv is None:
                    continue
                out.append(Quantity(
                    quote=text[pos:v.end()], start=pos, end=v.end(), value=conv[0], unit=conv[1],
                    indicator=m.group("name").strip()[:128], kind=kind, comparator="=",
                    period=decide_period(p, v.start(), doc_year, "", ""), num_start=v.start(), num_end=v.end()))
            pos = e + 1
    return out
