"""Profiles for the warning tests."""

from __future__ import annotations

import datetime as dt

# An enterprise that passes 高新技术企业 with R&D expense 250 万元 a year on 5000 万元 sales (5 %),
# expert-judged items given; lower R&D makes the R&D ratio the only failing condition.
HNTE_BASE = dict(registered_on=dt.date(2015, 1, 1), employees_y1=100, tech_staff_y1=20, revenue_y1=5000,
                 revenue_y2=5000, revenue_y3=5000, hitech_revenue_y1=4000, total_income_y1=5000, ip_class1=1,
                 ip_class2=3, conversions_3y=15, hitech_domain="electronic_info", major_incident=False,
                 net_assets_y1=1500, net_assets_y2=1200, net_assets_y3=1000, hnte_tech_band="A", hnte_core_band="A",
                 hnte_ip_source="own", hnte_standards=True, hnte_management_score=18)


def hnte_profile(uscc: str, rd_per_year: float) -> dict:
    """Three equal years of R&D expense (all domestic)."""
    return {"uscc": uscc, **HNTE_BASE, **{f"rd_expense_y{k}": rd_per_year for k in (1, 2, 3)},
            **{f"rd_domestic_y{k}": rd_per_year for k in (1, 2, 3)}}


# 科技型中小企业: 16 (staff 25 %) + 40 (R&D 5 %) + 0 (no IP) = 56 of the 60 points, one Ⅱ-class IP away
TECH_SME_BASE = dict(employees_y1=100, tech_staff_y1=25, revenue_y1=5000, total_assets_y1=5000, rd_expense_y1=250,
                     ip_class1=0, ip_class2=0, restricted_industry=False, major_incident=False, dishonest_list=False,
                     has_hnte=False, award_national_5y_top3=False, rd_institution_level="none", standard_led_5y=False)


def tech_sme_close(uscc: str) -> dict:
    return {"uscc": uscc, **TECH_SME_BASE}
