import datetime as dt
from decimal import Decimal as D

import pytest

from kechuang.targets.metrics import dict_source
from kechuang.targets.progress import StatusRules, compute_progress, judge, status_rules, year_fraction
from kechuang.targets.store import Target

d = dt.date


def target(tid, code, metric, value, unit="家", comparator=">=", year=2024):
    return Target(id=tid, region_code=code, region=code, indicator=metric, metric_id=metric, period=str(year),
                  year=year, comparator=comparator, value=D(value), unit=unit, source_doc="doc.txt",
                  source_quote="q", binding_status="bound")


def test_flow_target_linear_pace(ledgers):
    # 10 new HNTE in the city in 2024; on 30 June (day 182 of 366) one is certified
    [p] = compute_progress([target(1, "320900", "hnte_new", "10")], dict_source(ledgers), d(2024, 6, 30))
    assert p.current == 1
    assert p.pace == (D(182) / D(366)).quantize(D("0.0001"))
    assert p.expected == (D(10) * p.pace).quantize(D("0.0001"))
    assert p.share == D("0.1")
    assert p.status == "严重滞后"   # 10 % done at 49.7 % of the year


def test_last_years_curve_is_information_not_status(ledgers):
    # last year the only certificate came in November: the seasonal expectation is 0, yet the status
    # follows the one rule (completion rate against the days gone), as everywhere else
    [p] = compute_progress([target(1, "320900", "hnte_new", "10")], dict_source(ledgers), d(2024, 6, 30))
    assert p.expected_seasonal == 0
    assert p.status == "严重滞后"


def test_same_completion_rate_same_status_in_every_region():
    """Two districts each hold 2 valid certificates against a target of 4 on 30 June: 亭湖区 already had
    both at the end of 2023, 盐都区 gained both this year. The same completion rate on the same day
    must give the same status (it gave 严重滞后 in one and 正常 in the other)."""
    import polars as pl

    cert = pl.DataFrame({
        "key": ["a1", "a2", "b1", "b2"], "region_code": ["320902", "320902", "320903", "320903"],
        "uscc": ["A1", "A2", "B1", "B2"], "cert_type": ["hnte"] * 4,
        "issued_on": [d(2022, 5, 1), d(2023, 6, 1), d(2024, 2, 1), d(2024, 5, 1)],
        "expires_on": [d(2025, 5, 1), d(2026, 6, 1), d(2027, 2, 1), d(2027, 5, 1)], "year": [2022, 2023, 2024, 2024],
    }).with_columns(pl.col("issued_on").alias("record_date"))
    a, b = compute_progress([target(1, "320902", "hnte_valid", "4"), target(2, "320903", "hnte_valid", "4")],
                            dict_source({"certification": cert}), d(2024, 6, 30))
    assert a.share == b.share == D("0.5")
    assert a.baseline != b.baseline  # different starting points …
    assert a.status == b.status == "正常"   # … one rule: 50 % done at 49.7 % of the year


def test_future_target_is_not_started(ledgers):
    """A 2027 target seen in 2026 is 未开始, not 严重滞后."""
    [p] = compute_progress([target(1, "320900", "hnte_new", "10", year=2027)], dict_source(ledgers),
                           d(2026, 6, 30))
    assert p.status == "未开始" and p.current is None


def test_annual_data_not_yet_due_is_no_data(ledgers):
    """R&D expense comes from annual (fiscal-year) reports: in 2024 the 2024 figures are not there yet;
    that is 暂无数据, not 0 and 严重滞后. The 2023 figures are there."""
    src = dict_source(ledgers)
    p24, p23 = compute_progress([target(1, "320900", "rd_expense_total", "100", unit="万元"),
                                 target(2, "320900", "rd_expense_total", "100", unit="万元", year=2023)], src,
                                d(2024, 6, 30))
    assert p24.status == "暂无数据" and p24.current is None and p24.to_json()["current"] is None
    assert p23.current == 80 and p23.status == "滞后"   # 80 % at the year's end


def test_done_and_money_in_target_unit(ledgers):
    ts = [target(1, "320902", "tech_contract_amount", "0.1", unit="亿元"),
          target(2, "320900", "hnte_valid", "3")]
    p1, p2 = compute_progress(ts, dict_source(ledgers), d(2024, 12, 31))
    assert p1.current == D("0.150075")       # 1500.75 万元 in 亿元
    assert p1.status == "已完成" and p1.share == D("1.5008")
    assert p2.status == "已完成"


def test_past_year_is_judged_at_year_end(ledgers):
    [p] = compute_progress([target(1, "320900", "hnte_new", "2", year=2023)], dict_source(ledgers),
                           d(2024, 6, 30))
    assert p.as_of == d(2023, 12, 31) and p.current == 1
    assert p.expected == 2 and p.status == "严重滞后"   # 1 of 2 at year end


def test_unbound_target_has_no_figures(ledgers):
    t = target(1, "320900", None, "5")
    t.binding_status = "unbound"
    [p] = compute_progress([t], dict_source(ledgers), d(2024, 6, 30))
    j = p.to_json()
    assert j["metric"] is None and j["current"] is None and j["status"] is None
    assert set(j) >= {"region", "region_code", "indicator", "metric", "period", "comparator", "target",
                      "current", "share", "expected", "status", "source"}
    assert j["source"] == {"doc": "doc.txt", "quote": "q"}


@pytest.mark.parametrize("cur, pace, status", [
    (D(9), D("0.5"), "正常"), (D(8), D("0.5"), "滞后"), (D(6), D("0.5"), "严重滞后"), (D(20), D("0.5"), "已完成"),
    (D(18), D(1), "正常"), (D(13), D(1), "严重滞后"), (None, D("0.5"), "暂无数据"),
])
def test_status_bands_from_data(cur, pace, status):
    from kechuang.targets.progress import Progress

    p = Progress(target(1, "320900", "hnte_new", "20"), None, d(2024, 6, 30), current=cur, pace=pace)
    assert judge(p, status_rules()) == status


def test_the_rule_is_stated_in_chinese():
    text = "".join(status_rules().describe())
    assert "完成率 = 当前值 ÷ 目标值" in text and "进度比 ≥ 90%" in text and "未开始" in text and "暂无数据" in text


def test_ceiling_target():
    from kechuang.targets.progress import Progress

    p = Progress(target(1, "320900", "hnte_new", "5", comparator="<="), None, d(2024, 6, 30), current=D(6),
                 pace=D(1))
    assert judge(p, status_rules()) == "严重滞后"
    p.current = D(5)
    assert judge(p, status_rules()) == "正常"


def test_year_fraction():
    assert year_fraction(d(2023, 12, 31)) == 1
    assert year_fraction(d(2024, 1, 1)) == D(1) / D(366)


def test_plain_target_rows_give_the_same_progress(ledgers):
    """The rows the web keeps between requests (`TargetRow`) hold every column progress reads:
    the same targets as ORM objects and as rows give the same progress, field for field."""
    from kechuang.targets.progress import TargetRow

    columns = {c.name for c in Target.__table__.columns} - {"created_by", "created_at"}
    assert set(TargetRow.__slots__) == columns
    unbound = target(6, "320900", None, "5")
    unbound.binding_status = "unbound"
    orm = [target(1, "320900", "hnte_new", "10"), target(2, "320902", "tech_contract_amount", "0.1", unit="亿元"),
           target(3, "320900", "hnte_valid", "3", comparator="<="), target(4, "320900", "hnte_new", "2", year=2027),
           target(5, "320900", "rd_expense_total", "100", unit="万元"), unbound]
    for t in orm:
        t.source_statement_id, t.problem = None, ""
    rows = [TargetRow.of(t) for t in orm]
    src = dict_source(ledgers)
    for day in (d(2024, 3, 1), d(2024, 6, 30), d(2024, 12, 31)):
        plain = [p.to_json() for p in compute_progress(rows, src, day)]
        assert plain == [p.to_json() for p in compute_progress(orm, src, day)]
        assert [j["id"] for j in plain] == [1, 2, 3, 4, 5, 6] and plain[1]["current"] is not None
