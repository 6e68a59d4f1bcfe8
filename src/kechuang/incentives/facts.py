"""Trigger events and the facts award conditions may name, built from the ledgers.

One row per enterprise and event of the year: a certification record of the year (first or
renewed, by the records of the same type before it), an enterprise registered in the year, a
finance row of the year (for R&D-increase rewards). Each row carries the enterprise's facts
(region, 规上, finance of the year and the year before, 失信) and, per certificate type, whether
the enterprise holds a valid one at the end of the year (``ledgers/validity.py``).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import polars as pl

from ..programs import expr as E

TRIGGERS = {
    "first_recognition": "首次认定/首次入库（此前无同类记录）",
    "re_recognition": "重新认定（此前已有同类记录）",
    "title": "获得称号或资质（不论首次与否）",
    "registration": "在本地注册落户（以企业台账注册日期为准）",
    "rd_increase": "研发费用较上年增长（财务台账）",
}

# name → (kind, Chinese label); holds_<cert type> are added per type
BASE_FACTS = {
    "event_date": ("date", "触发事件日期"),
    "event_year": ("num", "触发年度"),
    "cert_type": ("str", "资质类型"),
    "cert_level": ("str", "资质级别"),
    "prior_count": ("num", "此前同类记录数"),
    "region_code": ("str", "所属地区代码"),
    "above_scale": ("bool", "规上企业"),
    "listed": ("bool", "已上市"),
    "registered_on": ("date", "注册日期"),
    "industry_code": ("str", "国民经济行业代码"),
    "revenue": ("num", "当年销售收入(万元)"),
    "revenue_prev": ("num", "上年销售收入(万元)"),
    "rd_expense": ("num", "当年研发费用(万元)"),
    "rd_expense_prev": ("num", "上年研发费用(万元)"),
    "rd_increase": ("num", "研发费用较上年增加额(万元)"),
    "dishonest": ("bool", "当年或上年列入失信/经营异常名录"),
}


@lru_cache(maxsize=1)
def CERT_TYPES() -> tuple[str, ...]:  # noqa: N802 - a constant read from the ledger kind
    from ..ledgers import get_kind

    return tuple(v.id for v in get_kind("certification").field("cert_type").values)


@lru_cache(maxsize=1)
def FACTS() -> dict[str, tuple[str, str]]:  # noqa: N802
    from ..ledgers import get_kind

    labels = get_kind("certification").field("cert_type").enum_labels()
    out = dict(BASE_FACTS)
    for t in CERT_TYPES():
        out[f"holds_{t}"] = ("bool", f"年末持有有效的{labels[t]}")
    return out


class FactsEnv(E.Env):
    """Names in award conditions resolve to the columns of the events frame."""

    def resolve(self, name: str, compiler: E.Compiler) -> E.Val | None:
        fact = FACTS().get(name)
        if fact is None:
            return None
        return E.Val(fact[0], compiler.subst.get(name, pl.col(name)))


def ledger_fields() -> dict[str, tuple[str, ...]]:
    """The fields `events` reads of each ledger kind (the record id and region always come)."""
    from ..ledgers.validity import rule_fields

    return {"enterprise": ("uscc", "name", "above_scale", "listed", "registered_on", "industry_code"),
            "certification": tuple(dict.fromkeys(("uscc", "cert_type", "level", "issued_on", "year",
                                                  *rule_fields()))),
            "enterprise_year": ("uscc", "year", "revenue", "rd_expense", "dishonest_list")}


def _f64(col: str) -> pl.Expr:
    return pl.col(col).cast(pl.Float64)


def events(frames: dict[str, pl.DataFrame], year: int) -> pl.DataFrame:
    """Every event of ``year`` with its facts. ``frames``: ``enterprise``, ``certification``,
    ``enterprise_year`` as typed ledger frames (``ledgers.load_frame``); missing kinds are empty."""
    from ..ledgers.validity import valid_on_expr

    ent = frames.get("enterprise")
    cert = frames.get("certification")
    fin = frames.get("enterprise_year")
    year_end = dt.date(year, 12, 31)
    parts = []
    if cert is not None and cert.height:
        c = cert.with_columns(pl.col("issued_on").cast(pl.Date),
                              pl.coalesce(pl.col("year"), pl.col("issued_on").dt.year()).cast(pl.Int64).alias("_y"))
        c = c.sort("uscc", "cert_type", "issued_on").with_columns(
            pl.int_range(pl.len()).over("uscc", "cert_type").cast(pl.Float64).alias("prior_count"))
        parts.append(c.filter(pl.col("_y") == year).select(
            "uscc", pl.lit("cert").alias("event"), pl.col("cert_type").cast(pl.String),
            pl.col("level").cast(pl.String).alias("cert_level"), pl.col("issued_on").alias("event_date"),
            "prior_count"))
    if ent is not None and ent.height and "registered_on" in ent.columns:
        parts.append(ent.filter(pl.col("registered_on").cast(pl.Date).dt.year() == year).select(
            "uscc", pl.lit("registration").alias("event"), pl.lit(None, pl.String).alias("cert_type"),
            pl.lit(None, pl.String).alias("cert_level"), pl.col("registered_on").cast(pl.Date).alias("event_date"),
            pl.lit(None, pl.Float64).alias("prior_count")))
    if fin is not None and fin.height:
        parts.append(fin.filter((pl.col("year") == year) & pl.col("rd_expense").is_not_null()).select(
            "uscc", pl.lit("rd").alias("event"), pl.lit(None, pl.String).alias("cert_type"),
            pl.lit(None, pl.String).alias("cert_level"), pl.lit(year_end).alias("event_date"),
            pl.lit(None, pl.Float64).alias("prior_count")).unique("uscc"))
    schema = {"uscc": pl.String, "event": pl.String, "cert_type": pl.String, "cert_level": pl.String,
              "event_date": pl.Date, "prior_count": pl.Float64}
    ev = pl.concat([p.cast(schema) for p in parts]) if parts else pl.DataFrame(schema=schema)
    ev = ev.with_columns(pl.col("event_date").dt.year().cast(pl.Float64).alias("event_year"))

    # the enterprise
    ent_cols = {"region_code": pl.String, "above_scale": pl.Boolean, "listed": pl.Boolean,
                "registered_on": pl.Date, "industry_code": pl.String, "name": pl.String}
    if ent is not None and ent.height:
        e = ent.select("uscc", *[(pl.col(k) if k in ent.columns else pl.lit(None)).cast(t).alias(k)
                                 for k, t in ent_cols.items()]).unique("uscc", keep="last")
    else:
        e = pl.DataFrame(schema={"uscc": pl.String, **ent_cols})
    ev = ev.join(e, on="uscc", how="left")

    # finance of the year and the year before
    fin_schema = {"uscc": pl.String, "revenue": pl.Float64, "rd_expense": pl.Float64, "dishonest": pl.Boolean}

    def fin_of(y: int, suffix: str) -> pl.DataFrame:
        if fin is None or not fin.height:
            f = pl.DataFrame(schema=fin_schema)
        else:
            f = fin.filter(pl.col("year") == y).select(
                "uscc", _f64("revenue").alias("revenue"), _f64("rd_expense").alias("rd_expense"),
                (pl.col("dishonest_list") if "dishonest_list" in fin.columns else pl.lit(None))
                .cast(pl.Boolean).alias("dishonest")).unique("uscc", keep="last")
        return f.rename({k: k + suffix for k in fin_schema if k != "uscc"})

    ev = ev.join(fin_of(year, ""), on="uscc", how="left").join(fin_of(year - 1, "_prev"), on="uscc", how="left")
    ev = ev.with_columns(
        (pl.col("rd_expense") - pl.col("rd_expense_prev")).alias("rd_increase"),
        # Kleene or: listed in either year → true; known clean in a year and unknown in the other → unknown
        (pl.col("dishonest") | pl.col("dishonest_prev")).alias("dishonest"),
    ).drop("dishonest_prev")

    # certificates held at the end of the year
    held_cols = [f"holds_{t}" for t in CERT_TYPES()]
    if cert is not None and cert.height:
        h = (cert.with_columns(valid_on_expr(year_end).alias("_v"))
             .filter(pl.col("_v")).group_by("uscc")
             .agg(pl.col("cert_type").cast(pl.String).unique().alias("_types")))
        h = h.with_columns([pl.col("_types").list.contains(t).alias(f"holds_{t}") for t in CERT_TYPES()]).drop("_types")
        ev = ev.join(h, on="uscc", how="left").with_columns([pl.col(c).fill_null(False) for c in held_cols])
    else:
        ev = ev.with_columns([pl.lit(False).alias(c) for c in held_cols])
    return ev
