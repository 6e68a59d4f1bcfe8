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


def linear_rules():
    r = status_rules()
    return StatusRules(r.done, r.bands, r.over_limit, "linear")


def test_flow_target_linear_pace(ledgers):
    # 10 new HNTE in the city in 2024; on 30 June (day 182 of 366) one is certified
    [p] = compute_progress([target(1, "320900", "hnte_new", "10")], dict_source(ledgers), d(2024, 6, 30),
                           linear_rules())
    assert p.current == 1
    assert p.expected_linear == (D(10) * D(182) / D(366)).quantize(D("0.0001"))
    assert p.share == D("0.1")
    assert p.status == "严重滞后"   # 1 / 4.97 < 0.7


def test_flow_target_seasonal_curve_from_last_year(ledgers):
    # last year the only certificate came in November: by 30 June nothing was expected yet
    [p] = compute_progress([target(1, "320900", "hnte_new", "10")], dict_source(ledgers), d(2024, 6, 30))
    assert p.expected_seasonal == 0
    assert p.expected == 0
    assert p.status == "正常"


def test_stock_target_measured_from_last_year_end(ledgers):
    # 盐都区: 1 valid HNTE at the end of 2023, target 4 for 2024, 2 valid on 30 June
    [p] = compute_progress([target(1, "320903", "hnte_valid", "4")], dict_source(ledgers), d(2024, 6, 30),
                           linear_rules())
    assert p.baseline == 1 and p.current == 2
    expected = 1 + 3 * D(182) / D(366)
    assert p.expected_linear == expected.quantize(D("0.0001"))
    assert p.status == "严重滞后"   # (2-1)/(2.49-1) = 0.67


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


@pytest.mark.parametrize("cur, expected, status", [
    (D(9), D(10), "正常"), (D(8), D(10), "滞后"), (D(6), D(10), "严重滞后"), (D(20), D(10), "已完成"),
])
def test_status_bands_from_data(cur, expected, status):
    from kechuang.targets.progress import Progress

    p = Progress(target(1, "320900", "hnte_new", "20"), None, d(2024, 6, 30), current=cur,
                 expected=expected, baseline=D(0))
    assert judge(p, status_rules()) == status


def test_ceiling_target():
    from kechuang.targets.progress import Progress

    p = Progress(target(1, "320900", "hnte_new", "5", comparator="<="), None, d(2024, 6, 30), current=D(6))
    assert judge(p, status_rules()) == "严重滞后"
    p.current = D(5)
    assert judge(p, status_rules()) == "正常"


def test_year_fraction():
    assert year_fraction(d(2023, 12, 31)) == 1
    assert year_fraction(d(2024, 1, 1)) == D(1) / D(366)
