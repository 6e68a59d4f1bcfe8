"""科技型中小企业 test vectors T1–T10 (docs/programs.md §3.7)."""

import pytest
from helpers_programs import cond, points, result, run

BASE = dict(employees_y1=100, tech_staff_y1=12, revenue_y1=5000, total_assets_y1=5000,
            rd_expense_y1=300, total_cost_y1=4000, ip_class1=0, ip_class2=1,
            restricted_industry=False, major_incident=False, dishonest_list=False,
            has_hnte=False, award_national_5y_top3=False, rd_institution_level="none", standard_led_5y=False)


def with_(**kw):
    return {**BASE, **kw}


def test_size_t1():
    df = run("tech_sme", [with_(employees_y1=500, revenue_y1=20000, total_assets_y1=20000, rd_expense_y1=1200),
                          with_(employees_y1=501)])
    assert cond(df, "size_staff") == ["pass", "fail"]
    assert cond(df, "size_revenue") == ["pass", "pass"]
    assert cond(df, "size_assets") == ["pass", "pass"]


@pytest.mark.parametrize("staff,pts", [(30, 20), (29.99, 16), (25, 16), (20, 12), (15, 8), (10, 4), (9.99, 0)])
def test_staff_bands_t2_t3(staff, pts):
    df = run("tech_sme", [with_(tech_staff_y1=staff)])
    assert points(df, "staff_score") == [pts]


def test_staff_zero_fails_overall_t3_t8():
    df = run("tech_sme", [with_(tech_staff_y1=8, rd_expense_y1=300, ip_class1=1)])
    assert points(df, "staff_score") == [0]
    assert df["score"][0] == 80
    assert cond(df, "staff_nonzero") == ["fail"]
    assert result(df) == ["fail"]


@pytest.mark.parametrize("ratio,pts", [(0.06, 50), (0.0599, 40), (0.02, 10), (0.0199, 0), (0.05, 40), (0.03, 20)])
def test_rd_sales_bands_t4(ratio, pts):
    df = run("tech_sme", [with_(rd_expense_y1=5000 * ratio, total_cost_y1=None)])
    assert points(df, "rd_sales_score") == [pts]
    assert points(df, "rd_score") == [pts]  # the cost ratio is missing: the sales ratio is chosen


def test_best_ratio_t5():
    df = run("tech_sme", [with_(rd_expense_y1=150, revenue_y1=5000, total_cost_y1=500)])  # 3% sales, 30% cost
    assert points(df, "rd_sales_score") == [20]
    assert points(df, "rd_cost_score") == [50]
    assert points(df, "rd_score") == [50]


@pytest.mark.parametrize("c1,c2,pts", [(1, 0, 30), (0, 4, 24), (0, 3, 18), (0, 2, 12), (0, 1, 6), (0, 0, 0)])
def test_ip_bands_t6(c1, c2, pts):
    df = run("tech_sme", [with_(ip_class1=c1, ip_class2=c2)])
    assert points(df, "ip_score") == [pts]


def test_exactly_60_passes_t7():
    row = with_(tech_staff_y1=12, rd_expense_y1=300, total_cost_y1=None, ip_class1=0, ip_class2=1)
    df = run("tech_sme", [row])
    assert df["score"][0] == 60
    assert result(df) == ["pass"]


def test_direct_path_t9():
    df = run("tech_sme", [with_(tech_staff_y1=12, rd_expense_y1=0, ip_class2=0, has_hnte=True)])
    assert df["score"][0] < 60
    assert result(df) == ["pass"]


def test_violation_fails_t10():
    df = run("tech_sme", [with_(tech_staff_y1=40, rd_expense_y1=400, ip_class1=1, dishonest_list=True)])
    assert df["score"][0] >= 90
    assert result(df) == ["fail"]


def test_missing_direct_field_can_make_unknown():
    df = run("tech_sme", [with_(rd_expense_y1=0, ip_class2=0, has_hnte=None)])
    assert result(df) == ["unknown"]
    df = run("tech_sme", [with_(rd_expense_y1=400, ip_class1=1, has_hnte=None)])
    assert result(df) == ["pass"]  # a missing direct path does not matter when the score passes


def test_ip_gap_words():
    df = run("tech_sme", [with_(ip_class2=1)])
    assert df["ip_score.gap.ip_class2"][0] == 2
    assert df["ip_score.gain.ip_class2"][0] == 6
