"""Cases written from docs/programs.md for the gaps closed here: innovation points (§5), Jiangsu
registration and the 3亿元 potential-unicorn path (§6.2), Wuxi gazelle paths (§6.3),
创新型中小企业 direct paths (§4.2). Each threshold exactly, and one unit either side."""

import datetime as dt

import pytest
from helpers_programs import cond, result, run


APP = dt.date(2025, 6, 1)


# ---------------------------------------------------------------- innovation points (§5)
IP_BASE = dict(rd_expense_y1=100, revenue_y1=1000, revenue_y2=900, rd_staff_y1=10, tech_staff_y1=20,
               employees_y1=100, ip_class1=1, ip_class1_high_value=0, ip_class2=2, conversions_3y=3,
               rd_institution_level="none", hitech_revenue_y1=600, total_income_y1=1000, net_profit_y1=50,
               net_assets_y1=500, net_assets_y2=450, equity_financing_3y=0, has_hnte=False,
               award_national_5y_top3=False, award_provincial_3y_top3=False, standard_led_5y=False,
               application_on=APP)


@pytest.mark.parametrize("registered, stage", [
    (dt.date(2022, 6, 2), "startup"),   # 2 years 364 days: 不满3年
    (dt.date(2022, 6, 1), "growth"),    # exactly 3 years
    (dt.date(2017, 6, 2), "growth"),    # one day short of 8 years
    (dt.date(2017, 6, 1), "mature"),    # exactly 8 years
])
def test_stage_from_years_when_not_given(registered, stage):
    df = run("innovation_points", [{**IP_BASE, "registered_on": registered}])
    assert df["stage_of"].to_list() == [stage]


def test_declared_stage_wins_over_age():
    df = run("innovation_points", [{**IP_BASE, "registered_on": dt.date(2000, 1, 1), "stage": "startup"}])
    assert df["stage_of"].to_list() == ["startup"]


# ---------------------------------------------------------------- Jiangsu (§6.2)
PU = dict(region_code="320902", dishonest_list=False, pe_backed=True, listed=False, application_on=APP)


def test_potential_unicorn_3yi_yuan_path():
    rows = [{**PU, "registered_on": dt.date(2021, 1, 1), "valuation_cny_100m": 3.0},       # 3亿元 exactly
            {**PU, "registered_on": dt.date(2021, 1, 1), "valuation_cny_100m": 2.99},
            {**PU, "registered_on": dt.date(2021, 1, 1), "valuation_cny_100m": 3.0, "valuation_usd_100m": 0.3},
            {**PU, "registered_on": dt.date(2021, 1, 1), "valuation_usd_100m": 0.49, "valuation_cny_100m": 2.99},
            {**PU, "registered_on": dt.date(2021, 1, 1), "valuation_usd_100m": 0.5}]                 # J8
    df = run("js_potential_unicorn", rows)
    assert df["version"].unique().to_list() == ["2025"]
    assert result(df) == ["pass", "unknown", "pass", "fail", "pass"]


def test_potential_unicorn_founding_year_windows():
    rows = [{**PU, "registered_on": dt.date(2020, 1, 1), "valuation_usd_100m": 0.5},
            {**PU, "registered_on": dt.date(2019, 12, 31), "valuation_usd_100m": 0.5},   # older path needs > 1
            {**PU, "registered_on": dt.date(2017, 1, 1), "valuation_usd_100m": 1.0},     # J9: 1.0 fails
            {**PU, "registered_on": dt.date(2017, 1, 1), "valuation_usd_100m": 1.01},    # J9: 1.01 passes
            {**PU, "registered_on": dt.date(2015, 1, 1), "valuation_usd_100m": 1.01},
            {**PU, "registered_on": dt.date(2014, 12, 31), "valuation_usd_100m": 3.0},   # J10
            {**PU, "registered_on": dt.date(2018, 1, 1), "valuation_usd_100m": 0.9, "valuation_cny_100m": 9}]
    df = run("js_potential_unicorn", rows)
    assert result(df) == ["pass", "fail", "fail", "pass", "pass", "fail", "fail"]


def test_potential_unicorn_version_switch_and_cny_only_from_2025():
    row = {**PU, "registered_on": dt.date(2021, 1, 1), "valuation_usd_100m": 0.4, "valuation_cny_100m": 3.0}
    df = run("js_potential_unicorn", [{**row, "application_on": dt.date(2024, 12, 31)},
                                      {**row, "application_on": dt.date(2025, 1, 1)}])
    assert df["version"].to_list() == ["2023", "2025"]
    assert result(df) == ["fail", "pass"]


@pytest.mark.parametrize("program, row", [
    ("js_potential_unicorn", {**PU, "registered_on": dt.date(2021, 1, 1), "valuation_usd_100m": 0.5}),
    ("js_unicorn", {**PU, "registered_on": dt.date(2010, 1, 1), "valuation_usd_100m": 10.01}),
])
def test_registered_in_jiangsu(program, row):
    rows = [{**row, "region_code": "320902"}, {**row, "region_code": "320000"}, {**row, "region_code": "310101"},
            {**row, "region_code": "330201"}, {**row, "region_code": None}]
    df = run(program, rows)
    assert cond(df, "basics") == ["pass", "pass", "fail", "fail", "unknown"]
    assert result(df) == ["pass", "pass", "fail", "fail", "unknown"]


def test_gazelle_registered_in_jiangsu():
    row = dict(dishonest_list=False, restricted_industry=False, registered_on=dt.date(2010, 1, 1),
               revenue_y4=1000, revenue_y1=1728, revenue_y2=1500, sci_expense_y1=100)
    df = run("js_gazelle", [{**row, "region_code": "320902"}, {**row, "region_code": "340100"}],
             as_of=dt.date(2024, 6, 1))
    assert result(df) == ["pass", "fail"]


# ---------------------------------------------------------------- Wuxi (§6.3)
WX = dict(region_code="320205", dishonest_list=False, restricted_industry=False,
          registered_on=dt.date(2016, 1, 1), ip_class1=0, ip_class2=1, revenue_y1=3000,
          main_revenue_y1=2000, main_revenue_y2=2000, rd_expense_y1=100, rd_expense_y2=100,
          rd_expense_y3=100, net_profit_y1=100, net_profit_y2=100, strategic_emerging=False,
          equity_financing_3y=0)
WX_DATE = dt.date(2023, 6, 1)


def test_wuxi_path_c_venture_capital():
    vc = {**WX, "strategic_emerging": True, "equity_financing_3y": 500}
    rows = [vc, {**vc, "vc_amount_confirmed": True}, {**vc, "vc_amount_confirmed": False},
            {**vc, "equity_financing_3y": 0}, {**vc, "strategic_emerging": False}]
    df = run("wuxi_gazelle", rows, as_of=WX_DATE)
    assert result(df) == ["depends", "pass", "fail", "fail", "fail"]


@pytest.mark.parametrize("profit_y1, expected", [(110, "pass"), (109.99, "fail"), (100, "fail")])
def test_wuxi_net_profit_growth_alternative(profit_y1, expected):
    df = run("wuxi_gazelle", [{**WX, "net_profit_y1": profit_y1}], as_of=WX_DATE)   # main growth 0%
    assert result(df) == [expected]


def test_wuxi_profit_growth_needs_a_positive_base():
    df = run("wuxi_gazelle", [{**WX, "net_profit_y2": 0, "net_profit_y1": 500}], as_of=WX_DATE)
    assert result(df) == ["unknown"]


@pytest.mark.parametrize("revenue, growth, expected", [
    (2000, 0.20, "pass"), (1999.99, 0.20, "fail"), (2000, 0.1999, "fail"),
    (5000, 0.15, "pass"), (4999.99, 0.15, "fail"), (10000, 0.10, "pass"), (49999.99, 0.10, "pass"),
    (50000, 0.10, "fail"),
])
def test_wuxi_revenue_bands(revenue, growth, expected):
    row = {**WX, "revenue_y1": revenue, "main_revenue_y2": 1000, "main_revenue_y1": 1000 * (1 + growth)}
    df = run("wuxi_gazelle", [row], as_of=WX_DATE)
    assert cond(df, "path_scale_growth") == [expected]


@pytest.mark.parametrize("registered, expected", [
    (dt.date(2020, 6, 1), "pass"), (dt.date(2020, 6, 2), "fail"),     # 3 years exactly / 2.99
    (dt.date(2013, 6, 1), "pass"), (dt.date(2012, 6, 1), "fail")])    # 10 years / 11 years
def test_wuxi_age_window(registered, expected):
    row = {**WX, "registered_on": registered, "main_revenue_y1": 2400}
    df = run("wuxi_gazelle", [row], as_of=WX_DATE)
    assert cond(df, "path_scale_growth") == [expected]


def test_wuxi_pool_is_wuxi_only():
    row = {**WX, "main_revenue_y1": 2400}
    df = run("wuxi_gazelle", [row, {**row, "region_code": "320902"}], as_of=WX_DATE)
    assert result(df) == ["pass", "fail"]


# ---------------------------------------------------------------- 创新型 direct paths (§4.2)
INNOV_LOW = dict(dishonest_list=False, major_incident=False, restricted_industry=False,
                 ip_class1_high_value=0, ip_class1_own=0, ip_class1=0, ip_class2=0, revenue_y1=1000,
                 rd_expense_y1=0, main_revenue_y1=600, main_revenue_y2=600, total_liabilities_y1=80,
                 total_assets_y1=100, strategic_emerging=False, award_national_5y_top3=False,
                 award_provincial_3y_top3=False, has_hnte=False, rd_institution_level="none",
                 equity_financing_3y=0)


@pytest.mark.parametrize("extra, expected", [
    ({}, "fail"),
    ({"award_sci_3y": True}, "pass"),                 # any national/provincial award in 3 years
    ({"award_provincial_3y_top3": True}, "pass"),
    ({"award_national_3y_top3": True}, "pass"),
    ({"award_national_5y_top3": True}, "fail"),       # a 5-year window is wider than the text
    ({"has_hnte": True}, "pass"),
    ({"innovation_title": True}, "pass"),
    ({"rd_institution_level": "provincial"}, "pass"),
    ({"rd_institution_level": "national"}, "pass"),
    ({"rd_institution_level": "municipal"}, "fail"),
    ({"equity_financing_3y": 500}, "pass"),
    ({"equity_financing_3y": 499.99}, "fail"),
])
def test_innovative_direct_paths(extra, expected):
    df = run("innovative_sme", [{**INNOV_LOW, **extra}])
    assert df["score"][0] < 60
    assert result(df) == [expected]


def test_innovative_direct_award_missing_stays_unknown():
    df = run("innovative_sme", [{**INNOV_LOW, "award_provincial_3y_top3": None}])
    assert cond(df, "direct_award") == ["unknown"] and result(df) == ["unknown"]
