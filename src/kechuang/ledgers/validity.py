"""Whether a record (a certificate, a title) is in force on a day: the one rule for every reader.

The rule is declared on the kind (``validity`` in ``kinds/<id>.yaml``): valid on day d when
start <= d <= last day; the last day is the recorded end date (inclusive) or, when it is blank,
start + N years − 1 day for the types with a statutory term (高新技术企业: three years from the
certificate date, 国科发火〔2016〕32号 Art. 9; see docs/certificate-validity.md). A blank end of
another type has no known end.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from .kinds import get_kind


def _rule(kind: str):
    v = get_kind(kind).validity
    if v is None:
        raise ValueError(f"台账“{get_kind(kind).name}”没有有效期规则")
    return v


def last_day_expr(kind: str = "certification") -> pl.Expr:
    """The last day a record is in force (null: no known end)."""
    v = _rule(kind)
    end = pl.col(v.end).cast(pl.Date)
    if not v.years:
        return end
    term = None
    for t, n in v.years:
        cond = pl.col(v.type_field).cast(pl.String) == t
        off = pl.col(v.start).cast(pl.Date).dt.offset_by(f"{n}y") - pl.duration(days=1)
        term = (pl.when(cond) if term is None else term.when(cond)).then(off)
    return pl.coalesce(end, term.otherwise(None))


def valid_on_expr(day: dt.date | pl.Expr, kind: str = "certification") -> pl.Expr:
    """True where the record is in force on ``day`` (a date or a date expression)."""
    v = _rule(kind)
    d = pl.lit(day, dtype=pl.Date) if isinstance(day, dt.date) else day
    last = last_day_expr(kind)
    return ((pl.col(v.start).cast(pl.Date) <= d) & (last.is_null() | (last >= d))).fill_null(False)


def last_day(record: dict, kind: str = "certification") -> dt.date | None:
    """``last_day_expr`` for one record (a dict of field values)."""
    frame = pl.DataFrame([{k: record.get(k) for k in rule_fields(kind)}],
                         schema={k: (pl.Date if k != _rule(kind).type_field else pl.String) for k in rule_fields(kind)})
    return frame.select(last_day_expr(kind)).item()


def valid_on(record: dict, day: dt.date, kind: str = "certification") -> bool:
    """``valid_on_expr`` for one record."""
    frame = pl.DataFrame([{k: record.get(k) for k in rule_fields(kind)}],
                         schema={k: (pl.Date if k != _rule(kind).type_field else pl.String) for k in rule_fields(kind)})
    return bool(frame.select(valid_on_expr(day, kind)).item())


def rule_fields(kind: str = "certification") -> list[str]:
    """The fields the rule reads (start, end, type)."""
    v = _rule(kind)
    return [f for f in (v.start, v.end, v.type_field) if f]
