"""Award / standard / title flags derived from the certification ledger (closed world per region)."""

import datetime as dt

import polars as pl

from kechuang.ledgers import build_profiles
from kechuang.ledgers.kinds import get_kind

TODAY = dt.date(2026, 11, 25)
FLAGS = ["award_national_5y_top3", "award_national_3y_top3", "award_provincial_3y_top3", "award_sci_3y",
         "standard_led_5y", "innovation_title"]


def _frames(cert_rows: list[dict], ey_rows: list[dict] | None = None,
            regions: dict[str, str] | None = None) -> dict[str, pl.DataFrame]:
    regions = regions or {}
    ids = sorted({r["uscc"] for r in cert_rows} | set(regions) | {"NONE"})
    ent = pl.DataFrame({"uscc": ids, "name": ids, "region_code": [regions.get(u, "320902") for u in ids]})
    cert_rows = [{"region_code": regions.get(r["uscc"], "320902"), "level": "national", **r} for r in cert_rows]
    frames = {"enterprise": ent, "certification": pl.DataFrame(cert_rows) if cert_rows else None,
              "enterprise_year": pl.DataFrame(ey_rows or [{"uscc": "NONE", "year": 2025}])}
    out = {}
    for kid, f in frames.items():
        kind = get_kind(kid)
        if f is None:
            f = pl.DataFrame({fld.id: pl.Series([], dtype=pl.String) for fld in kind.fields})
        for fld in kind.fields:
            if fld.id not in f.columns:
                f = f.with_columns(pl.lit(None).alias(fld.id))
        out[kid] = f
    out["ip"] = pl.DataFrame({k: [] for k in ("uscc", "status", "granted_on", "ip_class", "self_developed",
                                               "high_value", "main_product_related")},
                             schema={"uscc": pl.String, "status": pl.String, "granted_on": pl.Date,
                                     "ip_class": pl.String, "self_developed": pl.Boolean,
                                     "high_value": pl.Boolean, "main_product_related": pl.Boolean})
    return out


def _profiles(engine, frames) -> dict[str, dict]:
    p = build_profiles(engine, None, TODAY, frames=frames)
    return {r["uscc"]: r for r in p.iter_rows(named=True)}


def test_awards_ranks_and_windows(engine):
    d = dt.date
    rows = [
        {"uscc": "NAT2", "cert_type": "national_sci_award", "rank": 2, "issued_on": d(2022, 1, 10), "year": 2021},
        {"uscc": "NAT5", "cert_type": "national_sci_award", "rank": 5, "issued_on": d(2024, 1, 10)},
        {"uscc": "OLD", "cert_type": "national_sci_award", "rank": 1, "issued_on": d(2020, 1, 10)},
        {"uscc": "PROV", "cert_type": "provincial_sci_award", "level": "provincial", "rank": 3,
         "issued_on": d(2024, 6, 1)},
        {"uscc": "NORANK", "cert_type": "provincial_sci_award", "level": "provincial", "issued_on": d(2025, 6, 1)},
        {"uscc": "FUTURE", "cert_type": "national_sci_award", "rank": 1, "issued_on": d(2027, 1, 1)},
        {"uscc": "HNTE", "cert_type": "hnte", "issued_on": d(2025, 11, 1)},
    ]
    p = _profiles(engine, _frames(rows))
    # rank 2 in 2021: within five years (2021..2026) but not three (2023..2026)
    assert (p["NAT2"]["award_national_5y_top3"], p["NAT2"]["award_national_3y_top3"]) == (True, False)
    assert p["NAT2"]["award_sci_3y"] is False
    assert (p["NAT5"]["award_national_5y_top3"], p["NAT5"]["award_sci_3y"]) == (False, True)
    assert p["OLD"]["award_national_5y_top3"] is False  # 2020 is outside the five years
    assert (p["PROV"]["award_provincial_3y_top3"], p["PROV"]["award_national_5y_top3"]) == (True, False)
    # an award without its rank: "top three" stays missing, "any award" is known
    assert p["NORANK"]["award_provincial_3y_top3"] is None and p["NORANK"]["award_sci_3y"] is True
    assert p["FUTURE"]["award_national_5y_top3"] is False  # issued after the evaluation date
    # closed world: no award record in a region that keeps the ledger means none
    for u in ("HNTE", "NONE"):
        assert [p[u][f] for f in FLAGS] == [False] * len(FLAGS), u


def test_standards_and_titles(engine):
    d = dt.date
    rows = [
        {"uscc": "STD_IND", "cert_type": "standard_led", "standard_kind": "industry", "level": "provincial",
         "issued_on": d(2023, 3, 1)},
        {"uscc": "STD_LOCAL", "cert_type": "standard_led", "standard_kind": "local", "issued_on": d(2023, 3, 1)},
        {"uscc": "STD_NAT_LEVEL", "cert_type": "standard_led", "issued_on": d(2024, 3, 1)},
        {"uscc": "STD_PART", "cert_type": "standard_participated", "standard_kind": "national",
         "issued_on": d(2024, 3, 1)},
        {"uscc": "DEMO", "cert_type": "tech_innovation_demo", "issued_on": d(2019, 3, 1)},
        {"uscc": "IPX", "cert_type": "ip_advantage", "issued_on": d(2021, 3, 1), "expires_on": d(2024, 3, 1)},
        {"uscc": "IPD", "cert_type": "ip_demo", "issued_on": d(2023, 3, 1), "expires_on": d(2027, 3, 1)},
    ]
    p = _profiles(engine, _frames(rows))
    assert p["STD_IND"]["standard_led_5y"] is True
    assert p["STD_LOCAL"]["standard_led_5y"] is False
    assert p["STD_NAT_LEVEL"]["standard_led_5y"] is True
    assert p["STD_PART"]["standard_led_5y"] is False  # taking part is not leading
    assert p["DEMO"]["innovation_title"] is True
    assert p["IPX"]["innovation_title"] is False  # expired
    assert p["IPD"]["innovation_title"] is True
    assert p["DEMO"]["standard_led_5y"] is False


def test_region_without_the_ledger_stays_missing_and_year_ledger_counts(engine):
    rows = [{"uscc": "A", "cert_type": "hnte", "issued_on": dt.date(2025, 1, 1)}]
    regions = {"A": "320902", "B": "320903", "C": "320903"}
    ey = [{"uscc": "C", "year": 2024, "standard_led": True, "award_provincial_top3": False},
          {"uscc": "A", "year": 2023, "award_national_top3": True}]
    p = _profiles(engine, _frames(rows, ey, regions))
    assert p["A"]["award_sci_3y"] is False
    assert p["A"]["award_national_5y_top3"] is True  # stated by the enterprise-year ledger
    # 320903 keeps no certification ledger: missing, not "no"
    assert [p["B"][f] for f in FLAGS] == [None] * len(FLAGS)
    assert p["C"]["standard_led_5y"] is True and p["C"]["award_provincial_3y_top3"] is False
    assert p["C"]["award_sci_3y"] is None


def test_uploaded_profile_file_keeps_empty_as_missing(tmp_path):
    from kechuang.programs.engine import evaluate
    from kechuang.programs.profiles import read_profiles

    from kechuang.ledgers.uscc import make

    f = tmp_path / "p.csv"
    f.write_text("uscc,employees_y1,tech_staff_y1,revenue_y1,total_assets_y1,rd_expense_y1,ip_class2,"
                 "restricted_industry,major_incident,dishonest_list,has_hnte,award_national_5y_top3\n"
                 f"{make('91', '320902', 'MA1W2P3Q4')},100,5,5000,5000,50,0,否,否,否,否,\n", encoding="utf-8")
    frame = read_profiles(f)
    assert frame["award_national_5y_top3"][0] is None
    df = evaluate(frame, ["tech_sme"], TODAY)["tech_sme"].parts[0][1]
    assert df["direct.result"][0] == 3  # unknown, not fail
