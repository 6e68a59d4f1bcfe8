"""梯度培育 G1–G14, 2026 N1–N6, Jiangsu J1–J10, innovation points C1–C6, versions."""

import datetime as dt
import shutil

import pytest
from helpers_programs import cond, points, result, run

from kechuang.programs import expr as E
from kechuang.programs.model import DATA, load_program, select_version

ELIG = dict(dishonest_list=False, major_incident=False, restricted_industry=False)

# ---------------------------------------------------------------- 创新型
INNOV = dict(**ELIG, ip_class1_high_value=0, ip_class1_own=1, ip_class1=1, ip_class2=0,
             revenue_y1=1000, rd_expense_y1=30, main_revenue_y1=600, main_revenue_y2=600 / 1.1,
             total_liabilities_y1=60, total_assets_y1=100, strategic_emerging=False,
             award_national_5y_top3=False, award_provincial_3y_top3=False, has_hnte=False,
             rd_institution_level="none", equity_financing_3y=0)


def test_innovative_g1_pass():
    df = run("innovative_sme", [INNOV])
    assert df["score"][0] == 70
    assert [df[f"{g}.points"][0] for g in ("innovation_group", "growth_group", "specialization_group")] == [30, 20, 20]
    assert result(df) == ["pass"]


def test_innovative_g2_growth_group_fails():
    row = {**INNOV, "ip_class1_own": 0, "ip_class1": 0, "rd_expense_y1": 50, "main_revenue_y1": 700,
           "main_revenue_y2": 700, "total_liabilities_y1": 50, "strategic_emerging": True}
    df = run("innovative_sme", [row])
    assert df["score"][0] == 60
    assert cond(df, "growth_15") == ["fail"]
    assert result(df) == ["fail"]


def test_innovative_g3_g4_direct():
    df = run("innovative_sme", [{**INNOV, "rd_expense_y1": 0, "has_hnte": True},
                                {**INNOV, "rd_expense_y1": 0, "equity_financing_3y": 500},
                                {**INNOV, "rd_expense_y1": 0, "equity_financing_3y": 499.99}])
    assert result(df) == ["pass", "pass", "fail"]


def test_innovative_g5_debt_edges():
    df = run("innovative_sme", [{**INNOV, "total_liabilities_y1": 55}, {**INNOV, "total_liabilities_y1": 75},
                                {**INNOV, "total_liabilities_y1": 55.01}])
    assert points(df, "debt") == [10, 0, 5]
    assert df["debt.review"].to_list() == [True, True, False]


def test_innovative_growth_zero_is_zero_points():
    df = run("innovative_sme", [{**INNOV, "main_revenue_y2": 600}, {**INNOV, "main_revenue_y2": 600 / 1.15}])
    assert points(df, "growth") == [0, 20]


# ---------------------------------------------------------------- 专精特新
SRDI = dict(**ELIG, niche_years=2.0, rd_expense_y1=100, revenue_y1=1000 / 0.3 * 0.3 * 100 / 30 * 1,  # 3333.3
            equity_financing_2y=0, award_provincial_3y_top3=False, award_national_5y_top3=False,
            rd_expense_y2=100, maker_top500_3y=False,
            main_revenue_y1=3000, main_revenue_y2=2700, main_revenue_y3=2450, chain_role="key",
            digital_level=3, quality_award=True, quality_cert=True, own_brand=True, standard_drafting=False,
            net_profit_y1=400, total_liabilities_y1=40, total_assets_y1=100, srdi_local_score=10,
            ip_class1_high_value=1, ip_class1_own=1, ip_class1=1, ip_class2=0, rd_staff_y1=20,
            employees_y1=100, rd_institution_level="provincial")


def test_srdi_g6_pass_at_edges():
    row = {**SRDI, "revenue_y1": 1000 / 0.3 * 0.3 * 1, "rd_expense_y1": 30}
    row = {**SRDI, "niche_years": 2.0, "rd_expense_y1": 100, "revenue_y1": 1000 * 100 / 30}
    df = run("srdi_sme", [row])
    assert cond(df, "niche_2y") == ["pass"]
    assert cond(df, "rd_amount") == ["pass"]
    assert cond(df, "rd_ratio_3") == ["pass"]
    assert df["score"][0] >= 60
    assert result(df) == ["pass"]
    exact = {**SRDI, "rd_expense_y1": 30 * 1, "revenue_y1": 1000}
    df = run("srdi_sme", [{**exact, "rd_expense_y1": 100, "revenue_y1": 1000 * 100 / 30}])
    assert result(df) == ["pass"]


def test_srdi_g7_rd_amount():
    df = run("srdi_sme", [{**SRDI, "rd_expense_y1": 99.9, "revenue_y1": 1998}])
    assert cond(df, "rd_amount") == ["fail"]
    assert df["rd_amount.gap.rd_expense_y1"][0] == pytest.approx(100)


def test_srdi_g8_scale_by_financing():
    df = run("srdi_sme", [{**SRDI, "revenue_y1": 999, "equity_financing_2y": 2000},
                          {**SRDI, "revenue_y1": 999, "equity_financing_2y": 1999}])
    assert cond(df, "scale") == ["pass", "fail"]


def test_srdi_g9_direct():
    row = {**SRDI, "srdi_local_score": 0, "ip_class1_high_value": 0, "ip_class1_own": 0, "ip_class1": 0,
           "rd_institution_level": "none", "chain_role": "other", "digital_level": 1,
           "rd_expense_y1": 1000, "rd_expense_y2": 1000, "revenue_y1": 20000}
    df = run("srdi_sme", [row])
    assert df["score"][0] < 60
    assert cond(df, "direct") == ["pass"]
    assert result(df) == ["pass"]


def test_srdi_g10_niche_points():
    df = run("srdi_sme", [{**SRDI, "niche_years": 7}, {**SRDI, "niche_years": 12}, {**SRDI, "niche_years": 1.9}])
    assert points(df, "niche_score") == [3, 5, 0]
    assert cond(df, "niche_2y") == ["pass", "pass", "fail"]


def test_srdi_g11_quality_cap():
    df = run("srdi_sme", [{**SRDI, "quality_award": False, "quality_cert": True, "own_brand": True}])
    assert points(df, "quality_score") == [5]
    df = run("srdi_sme", [{**SRDI, "quality_award": False, "quality_cert": True, "own_brand": False}])
    assert points(df, "quality_score") == [3]


def test_srdi_debt_convention():
    df = run("srdi_sme", [{**SRDI, "total_liabilities_y1": v} for v in (50, 60, 60.01, 70)])
    assert points(df, "debt_score") == [5, 3, 1, 0]


# ---------------------------------------------------------------- 小巨人
LG = dict(has_srdi_sme=True, niche_years=3, main_revenue_y1=8400, revenue_y1=12000,
          main_revenue_y2=8000, main_revenue_y3=7619.047619047619 * 1.0,
          governance_ok=True, total_liabilities_y1=70, total_assets_y1=100, market_share=10.0, own_brand=True,
          rd_expense_y1=360, rd_expense_y2=372, revenue_y2=12000, rd_institution_level="municipal",
          ip_class1=2, ip_with_benefit=2, award_national_3y_top3=False, maker_top50_3y=False,
          key_chain_link=True, priority_field=True)


def test_little_giant_g12_g13():
    df = run("little_giant", [LG, {**LG, "total_liabilities_y1": 70.01}])
    assert cond(df, "rd_intensity") == ["pass", "pass"]
    assert cond(df, "debt_70") == ["pass", "fail"]
    assert result(df) == ["pass", "fail"]


def test_little_giant_g14():
    row = {**LG, "revenue_y1": 8000, "revenue_y2": 8000, "main_revenue_y1": 5600, "main_revenue_y2": 5600 / 1.05,
           "main_revenue_y3": 5600 / 1.05 / 1.05, "rd_expense_y1": 8000 * 0.059, "rd_expense_y2": 8000 * 0.07}
    df = run("little_giant", [row, {**row, "award_national_3y_top3": True}])
    assert cond(df, "rd_intensity") == ["fail", "fail"]
    assert result(df) == ["fail", "pass"]


def test_little_giant_unjudged_items_depend():
    df = run("little_giant", [{**LG, "key_chain_link": None}])
    assert result(df) == ["depends"]


# ---------------------------------------------------------------- 2026 revision
N1 = dict(has_tech_sme=True, has_innovative_sme=False, niche_years=3, revenue_y1=1500, equity_financing_2y=0,
          main_revenue_y1=1200, total_liabilities_y1=80, total_assets_y1=100,
          rd_expense_y1=100, rd_expense_y2=100, revenue_y2=100 / 0.03,
          ip_class1=1, award_provincial_3y_top3=False, rd_institution_level="none",
          market_share=12, srdi_platform_score=50)
NEW = dt.date(2026, 5, 1)


def test_2026_n1_to_n5():
    rows = [N1,                                                              # N1: every boundary exactly
            {**N1, "rd_expense_y2": 99},                                      # N2
            {**N1, "revenue_y1": 1400, "main_revenue_y1": 1120, "equity_financing_2y": 2000},  # N3
            {**N1, "total_liabilities_y1": 80.01},                            # N4
            {**N1, "srdi_platform_score": 49}]                                # N5
    df = run("srdi_sme", rows, as_of=NEW)
    assert set(df["version"].to_list()) == {"2026"}
    assert cond(df, "main_share_80")[0] == "pass" and cond(df, "debt_80")[0] == "pass"
    assert result(df)[0] == "pass"
    assert cond(df, "rd_each_year")[1] == "fail"
    assert cond(df, "scale")[2] == "pass"
    assert cond(df, "debt_80")[3] == "fail"
    assert cond(df, "platform_score_50")[4] == "fail"
    assert result(df)[1:] == ["fail", "pass", "fail", "fail"]


def test_version_switch_n6():
    assert select_version("srdi_sme", dt.date(2026, 3, 31)).version == "2022"
    assert select_version("srdi_sme", dt.date(2026, 4, 1)).version == "2026"
    assert select_version("js_unicorn", dt.date(2024, 12, 31)).version == "2023"
    assert select_version("js_unicorn", dt.date(2025, 1, 1)).version == "2025"
    rows = [{**N1, "application_on": dt.date(2026, 3, 31)}, {**N1, "application_on": dt.date(2026, 4, 1)}]
    df = run("srdi_sme", rows, as_of=NEW)
    assert df.sort("uscc")["version"].to_list() == ["2022", "2026"]


# ---------------------------------------------------------------- Jiangsu
GZ = dict(region_code="320902", dishonest_list=False, restricted_industry=False, registered_on=dt.date(2010, 1, 1),
          revenue_y4=1000, revenue_y1=1728, revenue_y2=1500, sci_expense_y1=1728 * 0.0401,
          employees_y4=50, employees_y1=60, employees_y2=55)
GZ_DATE = dt.date(2024, 6, 1)


def test_gazelle_j1_to_j4():
    rows = [{**GZ, "sci_expense_y1": 1728 * 0.04},                  # J1
            GZ,                                                     # J2
            {**GZ, "revenue_y1": 1727, "sci_expense_y1": 1727 * 0.0401},  # J3
            {**GZ, "registered_on": dt.date(2009, 12, 31)}]         # J4
    df = run("js_gazelle", rows, as_of=GZ_DATE)
    assert cond(df, "sci_ratio_4") == ["fail", "pass", "pass", "pass"]
    assert cond(df, "path_revenue")[1:] == ["pass", "fail", "fail"]
    assert result(df) == ["fail", "pass", "fail", "fail"]


def test_gazelle_j5_j6():
    base = {**GZ, "revenue_y4": 900, "employees_y4": 100, "employees_y1": 220, "employees_y2": 200,
            "sci_expense_y1": 1728 * 0.05}
    df = run("js_gazelle", [base, {**base, "employees_y4": 99}], as_of=GZ_DATE)
    assert cond(df, "path_staff") == ["pass", "fail"]
    j6 = {**GZ, "registered_on": dt.date(2019, 6, 1), "revenue_y1": 50000, "sci_expense_y1": 50000 * 0.045,
          "revenue_y4": 40000, "no_large_drop": True}
    df = run("js_gazelle", [j6], as_of=GZ_DATE)
    assert cond(df, "path_young_large") == ["pass"]
    assert result(df) == ["pass"]


def test_gazelle_cagr_gap_inverts():
    df = run("js_gazelle", [{**GZ, "revenue_y1": 1600, "sci_expense_y1": 100}], as_of=GZ_DATE)
    assert cond(df, "path_revenue") == ["fail"]
    assert df["path_revenue.gap.revenue_y1"][0] == pytest.approx(1728, abs=0.01)


UNI = dict(region_code="320902", dishonest_list=False, registered_on=dt.date(2008, 3, 1), pe_backed=True, listed=False)


def test_unicorn_j7():
    df = run("js_unicorn", [{**UNI, "valuation_usd_100m": 10.0}, {**UNI, "valuation_usd_100m": 10.0, "key_tech": True},
                            {**UNI, "valuation_usd_100m": 10.0, "key_tech": False},
                            {**UNI, "valuation_usd_100m": 10.01}])
    assert result(df) == ["depends", "pass", "fail", "pass"]


def test_potential_unicorn_j8_to_j10():
    rows = [{**UNI, "registered_on": dt.date(2021, 1, 1), "valuation_usd_100m": 0.5},
            {**UNI, "registered_on": dt.date(2017, 1, 1), "valuation_usd_100m": 1.0},
            {**UNI, "registered_on": dt.date(2017, 1, 1), "valuation_usd_100m": 1.01},
            {**UNI, "registered_on": dt.date(2014, 1, 1), "valuation_usd_100m": 3.0}]
    df = run("js_potential_unicorn", rows)
    assert result(df) == ["pass", "fail", "pass", "fail"]


def test_yancheng_copy_is_strict_on_cagr():
    df = run("yancheng_gazelle", [{**GZ, "in_city_pool": True}, {**GZ, "in_city_pool": True, "revenue_y1": 1729}],
             as_of=GZ_DATE)
    assert cond(df, "path_revenue") == ["fail", "pass"]  # > 20% strictly
    assert "sci_ratio_4" not in " ".join(df.columns)


# ---------------------------------------------------------------- innovation points (more in test_programs_points.py)
def test_innovation_points_c3_local_indicator(tmp_path):
    shutil.copy(DATA / "innovation_points-2024.yaml", tmp_path / "innovation_points-2024.yaml")
    (tmp_path / "yc_points-2024.yaml").write_text(
        "extends: innovation_points-2024\nid: yc_points\nname: 盐城创新积分\n"
        "indicators:\n  - {id: l19_carrier, group: 本地, text: 创新载体级别, cite: 盐城本地, expr: carrier_level,"
        " missing: 0, normalize: full, full: 3, weights: {startup: 1, growth: 1, mature: 1}}\n", encoding="utf-8")
    p = load_program(tmp_path / "yc_points-2024.yaml")
    assert len(p.indicators) == 19 and "t1_rd_expense" in p.indicators


def test_wuxi_city_copy_without_code():
    base = dict(region_code="320205", dishonest_list=False, restricted_industry=False,
                registered_on=dt.date(2016, 1, 1), ip_class1=0, ip_class2=1, revenue_y1=3000, main_revenue_y1=2400, main_revenue_y2=2000,
                rd_expense_y1=100, rd_expense_y2=100, rd_expense_y3=100,
                net_profit_y1=105, net_profit_y2=100, strategic_emerging=False, equity_financing_3y=0)
    rows = [base, {**base, "main_revenue_y1": 2399}, {**base, "ip_class2": 0},
            {**base, "main_revenue_y1": 2000, "rd_expense_y1": 400}]
    df = run("wuxi_gazelle", rows, as_of=dt.date(2023, 6, 1))
    assert result(df) == ["pass", "fail", "fail", "pass"]
    assert df["path_rd.gap.rd_expense_y1"][1] == 400
    assert "sci_ratio_4.result" not in df.columns
