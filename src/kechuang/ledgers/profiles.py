"""Enterprise profiles (docs/contracts.md §2) built from the ledgers, vectorized.

Years count back from the last complete fiscal year before ``as_of``: ``_y1`` = as_of.year − 1,
``_y2`` the year before, and so on. Missing ledger values stay null (missing, never zero).
Derived columns:
- ``conversions_3y`` = sum of 科技成果转化数 over y1..y3; ``equity_financing_2y/_3y`` = sums over
  y1..y2 / y1..y3 (null when every year is missing); ``platforms_prov_2y`` / ``awards_prov_2y`` /
  ``projects_prov_2y`` = sums over y1..y2 of the yearly provincial-or-higher counts (likewise);
- ``tech_contract_amount_y1`` = 成交额 of the 技术合同 ledger registered in y1 where the enterprise is
  not the buyer; 0 when the region keeps that ledger and has none for the enterprise, else missing;
- ``award_national_5y_top3`` / ``standard_led_5y`` = any over y1..y5; ``award_provincial_3y_top3`` any
  over y1..y3; ``pe_backed`` any over y1..y3; other per-year flags and levels from y1;
- ``ip_class1`` / ``ip_class1_own`` / ``ip_class1_high_value`` / ``ip_class2`` = valid (status 有效,
  granted on or before as_of) IP related to the main products (unless marked unrelated);
- ``has_hnte`` = a 高新技术企业 certificate valid on as_of (``ledgers.validity``: issued_on ≤ as_of ≤
  expires_on, the expiry day included; 3 years from issue when the expiry is not recorded).

Award, standard and title flags also come from the 资质荣誉 (certification) ledger, records issued on
or before ``as_of`` whose year is within the window (y1..yN plus the current year up to ``as_of``):
- ``award_national_5y_top3`` / ``award_national_3y_top3``: 国家级科技奖 with 完成单位排名 ≤ 3;
  ``award_provincial_3y_top3``: 省级科技奖 with rank ≤ 3; ``award_sci_3y``: either, any rank;
- ``standard_led_5y``: 主导制定标准 of an international, national or industry standard (or, with no
  standard kind recorded, at level 国家级);
- ``innovation_title``: a valid 国家级技术创新示范企业 / 国家知识产权优势企业 / 示范企业 title.

Closed world, for these derived flags only: when the office of the enterprise's region keeps the
certification ledger (the ledger holds at least one record of that region), no matching record
means the enterprise has none → False. An award recorded without its rank leaves the top-3 flag
missing. Elsewhere (no certification record in the region) the flags stay missing unless the
enterprise-year ledger states them. A flag is True when either ledger says so. This never applies
to an uploaded profile file (``kechuang evaluate --input``), where an empty cell stays missing.
Expert-judged HNTE items (``hnte_*``) are never derived.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

import polars as pl
from sqlalchemy.engine import Engine

from .store import load_frame
from .validity import valid_on_expr

PER_YEAR = {  # enterprise_year field → profile years
    "employees": (1, 4), "tech_staff": (1,), "rd_staff": (1,),
    "revenue": (1, 2, 3, 4), "main_revenue": (1, 2, 3), "total_income": (1,), "hitech_revenue": (1,),
    "rd_expense": (1, 2, 3), "rd_domestic": (1, 2, 3), "sci_expense": (1,), "total_cost": (1,),
    "net_profit": (1,), "net_assets": (1, 2, 3), "total_assets": (1,), "total_liabilities": (1,),
    "invention_apps": (1,), "pct_apps": (1,), "postgrad_staff": (1,), "rd_tax_relief": (1,),
    "fresh_graduates": (1,), "vc_amount": (1,),
}
TWO_YEARS = {"prov_platforms": "platforms_prov_2y", "prov_awards": "awards_prov_2y",
             "prov_projects": "projects_prov_2y"}  # enterprise_year count → profile sum over y1..y2
LATEST = ["valuation_usd_100m", "niche_years", "market_share", "digital_level", "rd_institution_level",
          "major_incident", "dishonest_list", "hnte_tech_band", "hnte_core_band", "hnte_ip_source",
          "hnte_standards", "hnte_management_score"]

PROFILE_COLUMNS = [
    "uscc", "name", "region_code", "industry_code", "registered_on", "application_on",
    "employees_y1", "employees_y4", "tech_staff_y1", "rd_staff_y1",
    "revenue_y1", "revenue_y2", "revenue_y3", "revenue_y4", "main_revenue_y1", "main_revenue_y2",
    "main_revenue_y3", "total_income_y1", "hitech_revenue_y1", "rd_expense_y1", "rd_expense_y2",
    "rd_expense_y3", "rd_domestic_y1", "rd_domestic_y2", "rd_domestic_y3", "sci_expense_y1",
    "total_cost_y1", "net_profit_y1", "net_assets_y1", "net_assets_y2", "net_assets_y3",
    "total_assets_y1", "total_liabilities_y1",
    "ip_class1", "ip_class1_own", "ip_class1_high_value", "ip_class2",
    "conversions_3y", "equity_financing_2y", "equity_financing_3y",
    "valuation_usd_100m", "pe_backed", "listed", "niche_years", "market_share", "digital_level",
    "hitech_domain", "strategic_emerging", "rd_institution_level",
    "has_hnte", "award_national_5y_top3", "award_provincial_3y_top3", "standard_led_5y",
    "award_national_3y_top3", "award_sci_3y", "innovation_title",
    "major_incident", "dishonest_list", "restricted_industry",
    "hnte_tech_band", "hnte_core_band", "hnte_ip_source", "hnte_standards", "hnte_management_score",
    "invention_apps_y1", "pct_apps_y1", "postgrad_staff_y1", "rd_tax_relief_y1", "fresh_graduates_y1",
    "vc_amount_y1", "platforms_prov_2y", "awards_prov_2y", "projects_prov_2y", "tech_contract_amount_y1",
]


def _scope(region_code: str | None) -> set[str] | None:
    if not region_code:
        return None
    from ..regions import scope_of

    return scope_of(region_code)


def _sum_years(col: str, years: range) -> pl.Expr:
    cond = pl.col("_y").is_in(list(years))
    vals = pl.col(col).filter(cond)
    return pl.when(vals.is_not_null().any()).then(vals.sum()).otherwise(None)


NATIONAL_STANDARD_KINDS = ["international", "national", "industry"]
TITLE_TYPES = ["tech_innovation_demo", "ip_advantage", "ip_demo"]
# flag → (enterprise_year per-year flag folded into it, or None)
CERT_FLAGS = {"award_national_5y_top3": "award_national_5y_top3", "award_national_3y_top3": None,
              "award_provincial_3y_top3": "award_provincial_3y_top3", "award_sci_3y": None,
              "standard_led_5y": "standard_led_5y", "innovation_title": None}


def _state(cond: pl.Expr, value: pl.Expr | None = None) -> pl.Expr:
    """Per enterprise: 1 a matching record says yes, -1 one is undecided (value null), 0 none says yes."""
    if value is None:
        return pl.when(cond.fill_null(False).any()).then(1).otherwise(0).cast(pl.Int8)
    yes = (cond & value).fill_null(False).any()
    undecided = (cond.fill_null(False) & value.is_null()).any()
    return pl.when(yes).then(1).when(undecided).then(-1).otherwise(0).cast(pl.Int8)


def _cert_flags(cert: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """uscc + one Int8 state column per derived flag (see the module docstring)."""
    y1 = as_of.year - 1
    c = cert.with_columns(
        pl.col("cert_type").cast(pl.String), pl.col("level").cast(pl.String),
        pl.col("standard_kind").cast(pl.String), pl.col("rank").cast(pl.Int64),
        pl.coalesce(pl.col("year").cast(pl.Int32), pl.col("issued_on").dt.year().cast(pl.Int32)).alias("_yr"),
    ).filter(pl.col("issued_on") <= as_of)

    def within(n: int) -> pl.Expr:
        return pl.col("_yr") >= y1 - n + 1

    nat = pl.col("cert_type") == "national_sci_award"
    prov = pl.col("cert_type") == "provincial_sci_award"
    top3 = pl.col("rank") <= 3
    std = (pl.col("cert_type") == "standard_led") & (
        pl.col("standard_kind").is_in(NATIONAL_STANDARD_KINDS)
        | (pl.col("standard_kind").is_null() & (pl.col("level") == "national")))
    title = pl.col("cert_type").is_in(TITLE_TYPES) & valid_on_expr(as_of)
    return c.group_by("uscc").agg(
        _state(nat & within(5), top3).alias("award_national_5y_top3"),
        _state(nat & within(3), top3).alias("award_national_3y_top3"),
        _state(prov & within(3), top3).alias("award_provincial_3y_top3"),
        _state((nat | prov) & within(3)).alias("award_sci_3y"),
        _state(std & within(5)).alias("standard_led_5y"),
        _state(title).alias("innovation_title"),
    )


BATCH = 100_000  # enterprises per batch of `profile_batches`


def build_profiles(engine: Engine | None, region_code: str | None, as_of: dt.date, *,
                   frames: dict[str, pl.DataFrame] | None = None) -> pl.DataFrame:
    """One row per enterprise of the region subtree, in the profile columns of docs/contracts.md §2,
    in credit-code order: every batch of `profile_batches` in one frame.

    ``frames`` may supply ledger frames (kind id → frame as returned by ``load_frame``) instead of
    reading them from the database (used by tests and benchmarks).
    """
    if frames is not None:
        codes = _scope(region_code)
        read: dict[str, pl.DataFrame] = {}  # the closed world and the profiles read the same frames

        def get(kind: str) -> pl.DataFrame:
            if kind not in read:
                f = frames[kind] if kind in frames else load_frame(engine, kind, codes)
                read[kind] = f if codes is None or kind not in frames else \
                    f.filter(pl.col("region_code").is_in(sorted(codes)))
            return read[kind]

        kept = {k: set(get(k).get_column("region_code").drop_nulls().unique().to_list())
                for k in ("certification", "tech_contract")}
        return _profiles(get, as_of, kept)
    batches = list(profile_batches(engine, region_code, as_of))
    return pl.concat(batches) if len(batches) > 1 else batches[0]


def profile_batches(engine: Engine, region_code: str | None, as_of: dt.date, *,
                    size: int = BATCH) -> Iterator[pl.DataFrame]:
    """`build_profiles` a batch at a time: the profiles of ``size`` enterprises (distinct credit
    codes of the enterprise ledger) after another, each built from the records of its range of
    credit codes only, so memory holds one batch's ledger records, not a province's. The result
    does not depend on ``size``: a profile reads its own enterprise's records, and which regions
    keep a ledger (the closed world above) is read once for the whole subtree."""
    import sqlalchemy as sa

    from .store import LedgerRecord, has_index

    codes = _scope(region_code)
    T = LedgerRecord.__table__

    def scoped(q):
        return q if codes is None else q.where(T.c.region_code.in_(sorted(codes)))

    with engine.connect() as conn:
        usccs = conn.execute(scoped(sa.select(T.c.uscc).distinct().where(
            T.c.kind == "enterprise", T.c.uscc.is_not(None))).order_by(T.c.uscc)).scalars().all()
        kept = {k: set(conn.execute(scoped(sa.select(T.c.region_code).distinct().where(T.c.kind == k))).scalars())
                for k in ("certification", "tech_contract")}
        # a database not yet upgraded (`kechuang db upgrade`) lacks the index a range is read from:
        # there, one batch, as before the index, rather than a scan of each kind per batch
        ranged = has_index(conn, "ix_ledger_records_kind_uscc")
    if len(usccs) <= size or not ranged:  # one batch: the subtree's records by region
        yield _profiles(lambda kind: load_frame(engine, kind, codes), as_of, kept)
        return
    for at in range(0, len(usccs), size):
        span = (usccs[at], usccs[min(at + size, len(usccs)) - 1])
        yield _profiles(lambda kind: load_frame(engine, kind, codes, uscc_range=span), as_of, kept)


def _profiles(get, as_of: dt.date, kept: dict[str, set[str]]) -> pl.DataFrame:
    """The profiles of the enterprises ``get("enterprise")`` gives, from the records ``get(kind)``
    gives; ``kept``: per ledger kind, the regions that keep it (the closed world)."""
    ent = get("enterprise")
    base = ent.select(
        "uscc", "name", "region_code", "industry_code", "registered_on",
        pl.lit(as_of, dtype=pl.Date).alias("application_on"),
        "listed", "hitech_domain", "strategic_emerging", "restricted_industry",
    )
    y1 = as_of.year - 1
    ey = get("enterprise_year").filter(pl.col("year").is_between(y1 - 4, y1)).with_columns(
        (y1 + 1 - pl.col("year")).alias("_y"))
    aggs = []
    for col, ys in PER_YEAR.items():
        for k in ys:
            aggs.append(pl.col(col).filter(pl.col("_y") == k).first().alias(f"{col}_y{k}"))
    for col in LATEST:
        aggs.append(pl.col(col).filter(pl.col("_y") == 1).first().alias(col))
    aggs += [
        _sum_years("conversions", range(1, 4)).alias("conversions_3y"),
        _sum_years("equity_financing", range(1, 3)).alias("equity_financing_2y"),
        _sum_years("equity_financing", range(1, 4)).alias("equity_financing_3y"),
        *[_sum_years(src, range(1, 3)).alias(dst) for src, dst in TWO_YEARS.items()],
        pl.col("pe_backed").filter(pl.col("_y") <= 3).max().alias("pe_backed"),
        pl.col("award_national_top3").filter(pl.col("_y") <= 5).max().alias("award_national_5y_top3"),
        pl.col("award_provincial_top3").filter(pl.col("_y") <= 3).max().alias("award_provincial_3y_top3"),
        pl.col("standard_led").filter(pl.col("_y") <= 5).max().alias("standard_led_5y"),
    ]
    per = ey.group_by("uscc").agg(aggs)

    ip = get("ip").filter(
        (pl.col("status") == "granted")
        & (pl.col("granted_on").is_null() | (pl.col("granted_on") <= as_of))
        & (pl.col("main_product_related").is_null() | pl.col("main_product_related"))
    )
    ipc = ip.group_by("uscc").agg(
        (pl.col("ip_class") == "I").sum().alias("ip_class1"),
        ((pl.col("ip_class") == "I") & pl.col("self_developed").fill_null(False)).sum().alias("ip_class1_own"),
        ((pl.col("ip_class") == "I") & pl.col("high_value").fill_null(False)).sum().alias("ip_class1_high_value"),
        (pl.col("ip_class") == "II").sum().alias("ip_class2"),
    )

    cert_all = get("certification")
    hnte = cert_all.filter((pl.col("cert_type") == "hnte") & valid_on_expr(as_of)).select("uscc").unique() \
        .with_columns(pl.lit(True).alias("has_hnte"))

    # technology contracts sold in y1; closed world where the region keeps that ledger
    tc = get("tech_contract")
    sold = tc.filter((pl.col("year") == y1) & (pl.col("role").cast(pl.String) != "buyer").fill_null(True)) \
        .group_by("uscc").agg(pl.col("amount").cast(pl.Float64).sum().alias("tech_contract_amount_y1"))
    tc_kept = sorted(kept["tech_contract"])

    out = (base.join(per, on="uscc", how="left")
           .join(ipc, on="uscc", how="left")
           .join(hnte, on="uscc", how="left")
           .join(sold, on="uscc", how="left"))
    out = out.with_columns(pl.when(pl.col("tech_contract_amount_y1").is_null() & pl.col("region_code").is_in(tc_kept))
                           .then(0.0).otherwise(pl.col("tech_contract_amount_y1")).alias("tech_contract_amount_y1"))
    # flags from the certification ledger; closed world where the region keeps that ledger
    cert_kept = sorted(kept["certification"])
    states = _cert_flags(cert_all, as_of).rename({k: f"__c.{k}" for k in CERT_FLAGS})
    out = out.join(states, on="uscc", how="left")
    flag_exprs = []
    for flag, ey_col in CERT_FLAGS.items():
        st = pl.col(f"__c.{flag}")
        from_cert = (pl.when(st == 1).then(True).when(st == -1).then(None).when(st == 0).then(False)
                     .when(pl.col("region_code").is_in(cert_kept)).then(False).otherwise(None))
        if ey_col is None:
            flag_exprs.append(from_cert.alias(flag))
            continue
        ey = pl.col(ey_col)
        flag_exprs.append(pl.when(ey.fill_null(False) | from_cert.fill_null(False)).then(True)
                          .when((st == -1) | (ey.is_null() & from_cert.is_null())).then(None)
                          .otherwise(False).alias(flag))
    out = out.with_columns(flag_exprs).drop([f"__c.{k}" for k in CERT_FLAGS])
    # IP counts: an enterprise with no valid IP record has 0, not "missing"
    out = out.with_columns(
        [pl.col(c).fill_null(0).cast(pl.Int64) for c in
         ("ip_class1", "ip_class1_own", "ip_class1_high_value", "ip_class2")]
        + [pl.col("has_hnte").fill_null(False)]
    )
    for c in PROFILE_COLUMNS:
        if c not in out.columns:
            out = out.with_columns(pl.lit(None).alias(c))
    return out.select(PROFILE_COLUMNS).sort("uscc")
