"""The 创新积分 inputs in the profiles built from the ledgers: yearly values from 企业年度数据 (y1),
two-year sums, the technology-contract amount from its ledger; absent stays missing, never zero."""

import datetime as dt

import polars as pl

from kechuang.ledgers import build_profiles
from kechuang.ledgers.kinds import get_kind

TODAY = dt.date(2026, 11, 25)  # y1 = 2025, y2 = 2024


def _kind_frame(kid: str, rows: list[dict]) -> pl.DataFrame:
    kind = get_kind(kid)
    f = pl.DataFrame(rows) if rows else pl.DataFrame({fld.id: pl.Series([], dtype=pl.String) for fld in kind.fields})
    for fld in kind.fields:
        if fld.id not in f.columns:
            f = f.with_columns(pl.lit(None).alias(fld.id))
    return f


def _profiles(engine, ey: list[dict], tc: list[dict], regions: dict[str, str]) -> dict[str, dict]:
    ent = pl.DataFrame({"uscc": list(regions), "name": list(regions), "region_code": list(regions.values())})
    frames = {"enterprise": _kind_frame("enterprise", ent.to_dicts()),
              "enterprise_year": _kind_frame("enterprise_year", ey),
              "certification": _kind_frame("certification", [{"uscc": "C", "cert_type": "hnte", "level": "national",
                                                              "issued_on": dt.date(2020, 1, 1), "region_code": "320214"}]),
              "tech_contract": _kind_frame("tech_contract", [dict(t, region_code=regions[t["uscc"]]) for t in tc]),
              "ip": pl.DataFrame(schema={"uscc": pl.String, "status": pl.String, "granted_on": pl.Date,
                                         "ip_class": pl.String, "self_developed": pl.Boolean,
                                         "high_value": pl.Boolean, "main_product_related": pl.Boolean})}
    p = build_profiles(engine, None, TODAY, frames=frames)
    return {r["uscc"]: r for r in p.iter_rows(named=True)}


def test_points_inputs_from_the_ledgers(engine):
    ey = [
        {"uscc": "A", "year": 2025, "invention_apps": 3, "pct_apps": 1, "postgrad_staff": 12, "rd_tax_relief": 40.5,
         "fresh_graduates": 4, "vc_amount": 800, "prov_platforms": 1, "prov_awards": 0, "prov_projects": 1},
        {"uscc": "A", "year": 2024, "invention_apps": 9, "prov_platforms": 1, "prov_awards": 2},
        {"uscc": "A", "year": 2023, "prov_projects": 5},  # outside the two years
        {"uscc": "B", "year": 2024, "invention_apps": 2, "prov_projects": 1},  # nothing for y1
    ]
    tc = [{"uscc": "A", "year": 2025, "amount": 120, "role": "seller"},
          {"uscc": "A", "year": 2025, "amount": 30, "role": None},
          {"uscc": "A", "year": 2025, "amount": 500, "role": "buyer"},
          {"uscc": "A", "year": 2024, "amount": 70, "role": "seller"}]
    p = _profiles(engine, ey, tc, {"A": "320281", "B": "320281", "C": "320214"})
    a, b, c = p["A"], p["B"], p["C"]
    assert (a["invention_apps_y1"], a["pct_apps_y1"], a["postgrad_staff_y1"], a["fresh_graduates_y1"]) == (3, 1, 12, 4)
    assert float(a["rd_tax_relief_y1"]) == 40.5 and float(a["vc_amount_y1"]) == 800
    assert (a["platforms_prov_2y"], a["awards_prov_2y"], a["projects_prov_2y"]) == (2, 2, 1)
    assert a["tech_contract_amount_y1"] == 150  # sold in 2025; the bought one and 2024 left out
    # B: the year-1 values are missing, not zero; two-year sums from the one year given
    assert b["invention_apps_y1"] is None and b["vc_amount_y1"] is None
    assert (b["projects_prov_2y"], b["platforms_prov_2y"]) == (1, None)
    # the region keeps the contract ledger: no contract is 0; elsewhere it stays missing
    assert b["tech_contract_amount_y1"] == 0 and c["tech_contract_amount_y1"] is None
