"""Talent applications, intake categories and completed investment: metrics on small hand-made ledgers."""

import datetime as dt
from decimal import Decimal as D

import polars as pl

from kechuang.targets.metrics import compute, dict_source, load_metrics, rows_behind, value_of

d = dt.date


def talent() -> pl.DataFrame:
    # 320902: national_key applied by p1 (selected), p2 (rejected), p3 (pending) in 2024, p4 selected in 2023;
    # a row without stage (an older file) counts as a selection; js_innovation p6 rejected;
    # graduates g1, g2 (g1 twice under two employers), doctor dr1; 320903: national p7 applied.
    rows = [
        ("p1", "national_key", 2024, "selected", "high_level", "320902", "E1"),
        ("p2", "national_key", 2024, "rejected", "high_level", "320902", "E1"),
        ("p3", "national_key", 2024, "applied", "high_level", "320902", "E2"),
        ("p4", "national_key", 2023, "selected", "high_level", "320902", "E2"),
        ("p5", "js_innovation", 2024, None, "high_level", "320902", "E1"),
        ("p6", "js_innovation", 2024, "rejected", "high_level", "320902", "E1"),
        ("p7", "national_key", 2024, "applied", "high_level", "320903", "E3"),
        ("g1", "graduate", 2024, "selected", "graduate", "320902", "E1"),
        ("g1", "graduate", 2024, "selected", "graduate", "320902", "E2"),
        ("g2", "graduate", 2024, None, "graduate", "320903", "E3"),
        ("dr1", "doctor", 2024, "selected", "doctor", "320902", "E1"),
        ("old", "doctor", 2024, "selected", None, "320902", "E1"),  # stored before 引进类别 existed
    ]
    cols = ["person_name", "program", "year", "stage", "intake", "region_code", "employer"]
    f = pl.DataFrame([dict(zip(cols, r)) for r in rows], schema_overrides={"stage": pl.Utf8, "intake": pl.Utf8})
    return f.with_columns(key=pl.concat_str(["program", "year", "person_name", "employer"], separator="|"),
                          uscc=pl.lit(None, dtype=pl.Utf8), record_date=pl.lit(None, dtype=pl.Date))


def projects() -> pl.DataFrame:
    return pl.DataFrame({
        "key": ["x1", "x2", "x3", "x4", "x5", "x6"],
        "region_code": ["320902", "320902", "320903", "320902", "320902", "320902"],
        "uscc": ["A", "B", "C", "D", "E", "F"],
        "project_type": ["tech_renovation", "tech_renovation", "tech_renovation", "tech_renovation",
                         "major", "tech_renovation"],
        "investment": [D("10000"), D("5000"), D("3000"), D("8000"), D("90000"), D("700")],
        "completed_investment": [D("2500.5"), D("1200"), D("800.25"), D("4000"), D("30000"), None],
        # x4 was last reported in 2023: last year's completed investment is not this year's
        "investment_reported_on": [d(2024, 3, 31), d(2024, 6, 30), d(2024, 5, 31), d(2023, 12, 31),
                                   d(2024, 6, 30), None],
        "status": ["started", "completed", "started", "started", "started", "started"],
        "start_on": [d(2023, 5, 1)] * 6,
    }, schema_overrides={"investment": pl.Decimal(38, 6), "completed_investment": pl.Decimal(38, 6)})


def val(metric_id, frames, code, when):
    m = load_metrics()[metric_id]
    return value_of(compute(m, [when], dict_source(frames)), m, code, when)


def test_applications_include_every_stage_and_selections_only_the_selected():
    f = {"talent": talent()}
    when = d(2024, 12, 31)
    assert val("national_talent_applied", f, "320902", when) == 3   # p1, p2, p3
    assert val("national_talent_applied", f, "320900", when) == 4   # + p7 in 盐都区
    assert val("national_talent_selected", f, "320902", when) == 1  # p1 only
    assert val("provincial_talent_applied", f, "320902", when) == 2  # p5, p6
    assert val("provincial_talent_selected", f, "320902", when) == 1  # p5 (no stage = selected)
    assert val("talent_program_applied", f, "320900", when) == 6     # p1 p2 p3 p5 p6 p7
    assert val("talent_program_selected", f, "320900", when) == 2    # p1 p5
    assert val("national_talent_applied", f, "320902", d(2023, 6, 1)) == 1  # p4 in 2023


def test_selected_never_exceed_applied():
    f = {"talent": talent()}
    for level in ("talent_program", "national_talent", "provincial_talent", "city_talent"):
        for code in ("320900", "320902", "320903"):
            assert val(f"{level}_selected", f, code, d(2024, 12, 31)) <= val(f"{level}_applied", f, code, d(2024, 12, 31))


def test_intake_categories_are_counted_exactly():
    f = {"talent": talent()}
    when = d(2024, 12, 31)
    assert val("graduates_introduced", f, "320902", when) == 1   # g1 once although under two employers
    assert val("graduates_introduced", f, "320900", when) == 2   # + g2
    assert val("doctors_introduced", f, "320902", when) == 1     # dr1; "old" has no intake
    # high-level: p1 and p5 selected in 2024 (p2 rejected, p3 pending)
    assert val("high_level_talent", f, "320900", when) == 2


def test_completed_investment_of_tech_upgrade_projects_year_to_date():
    f = {"project": projects()}
    # by 30 Apr 2024 only x1 (320902) and nothing in 320903 has been reported
    assert val("tech_upgrade_investment_completed", f, "320902", d(2024, 4, 30)) == D("2500.5")
    assert val("tech_upgrade_investment_completed", f, "320903", d(2024, 4, 30)) == 0
    # by year end: x1 + x2 in 320902, x3 in 320903; x4 (2023 report) and x5 (major) excluded
    assert val("tech_upgrade_investment_completed", f, "320902", d(2024, 12, 31)) == D("3700.5")
    assert val("tech_upgrade_investment_completed", f, "320900", d(2024, 12, 31)) == D("4500.75")
    assert val("tech_upgrade_investment_completed", f, "320902", d(2023, 12, 31)) == D("4000")
    assert val("major_project_investment_completed", f, "320900", d(2024, 12, 31)) == D("30000")
    assert val("project_investment_completed", f, "320900", d(2024, 12, 31)) == D("34500.75")
    behind = rows_behind("tech_upgrade_investment_completed", "320900", d(2024, 12, 31), dict_source(f))
    assert sorted(behind.get_column("key").to_list()) == ["x1", "x2", "x3"]
