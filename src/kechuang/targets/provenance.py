"""数字背后的台账记录: the ledger records behind a target's current value, readable — the ledger
kind's Chinese labels and enum labels, region names, money as people write it, enterprise names —
and the reconciliation between the records and the number ("132 家企业,138 条资质荣誉记录:6 家有两条")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl

from ..units import convert, format_number, format_quantity
from .metrics import FrameSource, Metric, compute, load_metrics, rows_behind, value_of
from .store import Target

_CN_TIMES = {2: "两", 3: "三", 4: "四", 5: "五", 6: "六", 7: "七", 8: "八", 9: "九", 10: "十"}
# columns that are machinery, not information for a reader
_HIDDEN = {"key", "year_field", "_source_row"}


@dataclass
class Column:
    id: str
    label: str
    type: str          # ledger field type, or "name" (linked enterprise name), "region"
    unit: str | None = None


@dataclass
class Provenance:
    target: Target
    metric: Metric            # the metric whose records are listed (the numerator of a ratio)
    bound: Metric             # the metric the target is bound to
    when: dt.date
    kind_name: str
    columns: list[Column]
    frame: pl.DataFrame       # readable values (enum labels, region names), one row per record
    value: Any                # the metric's value (metric unit)
    current: Decimal | None   # in the target's unit
    notes: list[str] = field(default_factory=list)   # how the number is made, in Chinese
    duplicates: set[str] = field(default_factory=set)  # enterprises with more than one record

    @property
    def total(self) -> int:
        return self.frame.height

    def page(self, number: int, size: int) -> list[dict]:
        return self.frame.slice((number - 1) * size, size).to_dicts()

    def export_frame(self) -> pl.DataFrame:
        """The records with Chinese headers (label and unit), for Excel."""
        names = {c.id: (f"{c.label}({c.unit})" if c.unit and c.type in ("money", "decimal", "int") else c.label)
                 for c in self.columns}
        return self.frame.select([pl.col(c.id).alias(names[c.id]) for c in self.columns])


def _region_names(codes: list[str]) -> dict[str, str]:
    from kechuang.regions import registry

    reg = registry()
    out = {}
    for c in codes:
        r = reg.get(c) if c else None
        out[c] = r.name if r else c
    return out


def _label(kind, field_id: str | None, default: str) -> str:
    try:
        return kind.field(field_id).label
    except Exception:  # a field the kind does not declare
        return default


def _times(n: int) -> str:
    return f"{_CN_TIMES[n]}条" if n in _CN_TIMES else f"{n} 条"


def _window_text(m: Metric, when: dt.date, kind) -> str:
    def label(fid: str | None) -> str:
        return _label(kind, fid, fid or "记录日期")

    d = when.isoformat()
    if m.window == "ytd":
        return f"{label(m.date_field)}在 {when.year}-01-01 至 {d} 之间的记录"
    if m.window == "cumulative":
        return f"{label(m.date_field)}不晚于 {d} 的全部记录(累计)"
    if m.window == "fiscal_year":
        return f"{when.year} 年度的记录(年度数据)"
    end = f",且{label(m.end_field)}晚于 {d} 或未填" if m.end_field else ""
    return f"{d} 当天有效的记录({label(m.date_field)}不晚于 {d}{end})"


def explain(target: Target, when: dt.date, source: FrameSource, conn=None) -> Provenance:
    """The records behind the target's value on ``when`` with the reconciliation stated. With a
    database connection ``conn``, the records shown are read for the counted records alone, and
    ``source`` need give only what the dashboards keep (`metric_source`: the fields metrics read,
    the enterprises' names); without it, ``source`` gives every field shown."""
    from kechuang.ledgers import get_kind, load_frame

    metrics = load_metrics()
    bound = metrics[target.metric_id]
    m = metrics[bound.ratio[0]] if bound.ratio else bound
    kind = get_kind(m.kind)
    records = None if conn is None else (lambda k, ids: load_frame(conn, k, ids=ids))
    raw = rows_behind(m, target.region_code, when, source, records=records)
    value = value_of(compute(bound, [when], source, metrics), bound, target.region_code, when)
    current = None if value is None else convert(Decimal(str(value)), bound.unit, target.unit)

    # enterprise names from the enterprise ledger where the records carry only a credit code
    uscc_col = kind.uscc_field if kind.uscc_field in raw.columns else ("uscc" if "uscc" in raw.columns else None)
    if uscc_col and ("name" not in raw.columns or raw.get_column("name").null_count() == raw.height):
        ent = source("enterprise")
        if {"uscc", "name"} <= set(ent.columns) and ent.height:
            names = ent.select(pl.col("uscc").alias(uscc_col), pl.col("name").alias("_ent_name")).unique(uscc_col)
            raw = raw.join(names, on=uscc_col, how="left")
            raw = raw.with_columns((pl.coalesce("name", "_ent_name") if "name" in raw.columns
                                    else pl.col("_ent_name")).alias("name")).drop("_ent_name")

    columns: list[Column] = []
    exprs: list[pl.Expr] = []
    if uscc_col:
        columns.append(Column("name", "企业名称", "name"))
        exprs.append(pl.col("name").cast(pl.Utf8) if "name" in raw.columns else pl.lit(None, pl.Utf8).alias("name"))
        columns.append(Column(uscc_col, _label(kind, uscc_col, "统一社会信用代码"), "uscc"))
        exprs.append(pl.col(uscc_col))
    for f in kind.fields:
        if f.id in ("name", uscc_col) or f.id in _HIDDEN or f.id not in raw.columns:
            continue
        col, label, ftype = pl.col(f.id), f.label, f.type
        if f.type == "enum":
            labels = f.enum_labels()
            col = col.cast(pl.Utf8).replace_strict(labels, default=col.cast(pl.Utf8), return_dtype=pl.Utf8)
        elif f.type in ("region", "region_ref"):
            names = _region_names(raw.get_column(f.id).cast(pl.Utf8).unique().to_list())
            col = col.cast(pl.Utf8).replace_strict(names, default=col.cast(pl.Utf8), return_dtype=pl.Utf8)
            label, ftype = ("所属地区" if f.id == kind.region_field else f.label), "region"
        elif f.type == "bool":
            col = pl.when(col.cast(pl.Boolean)).then(pl.lit("是")).when(col.is_not_null()).then(pl.lit("否"))
        elif f.type == "date":
            col = col.cast(pl.Utf8).str.slice(0, 10)
        columns.append(Column(f.id, label, ftype, f.unit))
        exprs.append(col.alias(f.id))
    sort = [c for c in (uscc_col, m.date_field) if c and c in raw.columns]
    frame = raw.sort(sort, nulls_last=True) if sort else raw
    frame = frame.select(exprs)

    notes = [f"统计口径:{_window_text(m, when, kind)}。"]
    if m.filter:
        conds = []
        for c in m.filter:
            try:
                f = kind.field(c["field"])
            except Exception:
                continue
            if c["op"] in ("eq", "in"):
                vals = c["value"] if isinstance(c["value"], list) else [c["value"]]
                conds.append(f"{f.label}为" + "或".join(f.enum_labels().get(str(v), str(v)) for v in vals))
            elif c["op"] == "not_null":
                conds.append(f"已填{f.label}")
        if conds:
            notes.append("筛选条件:" + ";".join(conds) + "。")
    if m.region_by == "enterprise":
        notes.append("记录按企业当前所属地区计入(企业迁出后,其记录随企业计入新地区)。")
    rows = frame.height
    dups: set[str] = set()
    if m.aggregation == "distinct":
        per = raw.group_by(m.agg_field).len()
        n = per.height
        multi = per.filter(pl.col("len") > 1)
        dups = set(multi.get_column(m.agg_field).cast(pl.Utf8).to_list())
        who = "家企业" if m.agg_field == uscc_col else f"个不同的{kind.field(m.agg_field).label}"
        text = f"{n} {who},{rows} 条{kind.name}记录"
        if multi.height:
            counts = multi.group_by("len").len(name="n").sort("len")
            text += ":" + "、".join(f"{r['n']} 家有{_times(r['len'])}" for r in counts.to_dicts())
            text += f"(同一企业只计一次,共 {n} {bound.unit})"
        notes.append(text + "。")
    elif m.aggregation == "count":
        notes.append(f"{rows} 条{kind.name}记录,每条计 1 {m.unit},共 {format_quantity(rows, m.unit)}。")
    elif m.aggregation in ("sum", "latest"):
        f = kind.field(m.agg_field)
        total = raw.get_column(m.agg_field).cast(pl.Float64).sum() if rows else 0
        head = f"{rows} 条{kind.name}记录的{f.label}合计 {format_quantity(total, f.unit or m.unit)}"
        if m.aggregation == "latest":
            head = f"每个{_label(kind, m.latest_by, m.latest_by)}取最新一条后," + head
        notes.append(head + "。")
    if bound.ratio:
        den = metrics[bound.ratio[1]]
        notes.append(f"“{bound.name}” = “{m.name}” ÷ “{den.name}”"
                     + (f" × {format_number(bound.scale)}" if bound.scale != 1 else "")
                     + f";下表是分子“{m.name}”的记录。")
    if current is not None:
        conv = "" if bound.unit == target.unit else f" = {format_quantity(value, bound.unit)}"
        share = ""
        if target.value:
            share = f";目标 {format_quantity(target.value, target.unit)},完成率 {format_number(current / target.value * 100, 1)}%"
        notes.append(f"当前值 {format_quantity(current, target.unit)}{conv}{share}。")
    return Provenance(target, m, bound, when, kind.name, columns, frame, value, current, notes, dups)
