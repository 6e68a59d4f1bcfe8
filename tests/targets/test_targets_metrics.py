import datetime as dt
from decimal import Decimal as D

import polars as pl
import pytest

from kechuang.targets.metrics import (MetricError, compute, date_index, dict_source, load_metrics, parse_metrics,
                                      rows_behind, value_of)
from kechuang.units import UnitError, convert



d = dt.date


@pytest.fixture
def src(ledgers):
    return dict_source(ledgers)


def val(metric_id, src, code, when):
    m = load_metrics()[metric_id]
    return value_of(compute(m, [when], src), m, code, when)


def test_valid_hnte_expiring_mid_year(src):
    # on 31 Jan 2024 A's certificate (2021-03-10 .. 2024-03-10) is still valid
    assert val("hnte_valid", src, "320902", d(2024, 1, 31)) == 1
    assert val("hnte_valid", src, "320900", d(2024, 1, 31)) == 3
    # valid means issued_on <= d <= expires_on (docs/certificate-validity.md): the expiry day counts
    assert val("hnte_valid", src, "320902", d(2024, 3, 10)) == 1
    assert val("hnte_valid", src, "320902", d(2024, 3, 11)) == 0
    # by 30 June C is certified in 盐都区, A has lapsed
    assert val("hnte_valid", src, "320903", d(2024, 6, 30)) == 2
    assert val("hnte_valid", src, "320900", d(2024, 6, 30)) == 3


def test_renewal_on_expiry_day_counts_once(src):
    # A's old certificate expires 2021-03-10, the renewal is issued the same day
    assert val("hnte_valid", src, "320902", d(2021, 3, 10)) == 1
    assert val("hnte_valid", src, "320902", d(2021, 3, 9)) == 1


def test_moved_enterprise_counts_in_new_district_only(src):
    when = d(2024, 1, 31)
    values = compute("hnte_valid", [when], src)
    m = load_metrics()["hnte_valid"]
    assert value_of(values, m, "320904", when) == 1   # D now in 大丰区
    assert value_of(values, m, "320902", when) == 1   # only A, not D
    districts = sum(value_of(values, m, c, when) for c in ("320902", "320903", "320904"))
    assert districts == value_of(values, m, "320900", when)


def test_new_hnte_year_to_date(src):
    assert val("hnte_new", src, "320900", d(2024, 6, 30)) == 1
    assert val("hnte_new", src, "320900", d(2024, 4, 30)) == 0
    assert val("hnte_new", src, "320903", d(2023, 12, 31)) == 1
    assert val("hnte_new", src, "320900", d(2023, 6, 30)) == 0


def test_sum_of_contract_amounts_is_exact(src):
    assert val("tech_contract_amount", src, "320902", d(2024, 6, 30)) == D("1200.5")
    assert val("tech_contract_amount", src, "320900", d(2024, 12, 31)) == D("1500.75")
    assert val("tech_contract_amount", src, "320903", d(2024, 12, 31)) == 0
    assert val("tech_contract_amount", src, "320903", d(2023, 12, 31)) == D("1000")
    assert isinstance(val("tech_contract_amount", src, "320902", d(2024, 12, 31)), D)


def test_ratio_of_two_metrics(src):
    # (50 + 30) / (1000 + 500) * 100
    assert val("rd_intensity", src, "320900", d(2023, 12, 31)) == pytest.approx(5.3333, abs=1e-4)
    assert val("rd_intensity", src, "320903", d(2023, 12, 31)) == pytest.approx(6.0)
    assert val("rd_expense_total", src, "320900", d(2022, 6, 1)) == D("40")


def test_rows_behind_a_number(src):
    rows = rows_behind("hnte_valid", "320900", d(2024, 6, 30), src)
    assert sorted(rows["uscc"].to_list()) == ["B", "C", "D"]
    rows = rows_behind("hnte_valid", "320904", d(2024, 6, 30), src)
    assert rows["uscc"].to_list() == ["D"]


def test_latest_aggregation_and_filters():
    raw = {"metrics": [{"id": "area_latest", "name": "面积", "unit": "万平方米", "kind": "carrier",
                        "aggregation": {"latest": "area", "by": "carrier_id"}, "window": "cumulative",
                        "filter": [{"field": "area", "between": [1, 100]}]}]}
    metrics = parse_metrics(raw)
    frame = pl.DataFrame({
        "key": ["1a", "1b", "2a", "3a"], "region_code": ["320902"] * 4, "carrier_id": ["c1", "c1", "c2", "c3"],
        "record_date": [d(2023, 1, 1), d(2024, 1, 1), d(2023, 5, 1), d(2023, 5, 1)],
        "area": [D("2"), D("3.5"), D("1"), D("500")],
    })
    m = metrics["area_latest"]
    vals = compute(m, [d(2023, 12, 31), d(2024, 12, 31)], dict_source({"carrier": frame}), metrics)
    assert value_of(vals, m, "320902", d(2023, 12, 31)) == D("3")
    assert value_of(vals, m, "320902", d(2024, 12, 31)) == D("4.5")


def test_missing_field_is_reported_in_chinese():
    frame = pl.DataFrame({"key": ["x"], "region_code": ["320902"], "record_date": [d(2024, 1, 1)]})
    with pytest.raises(MetricError, match="缺少字段 cert_type"):
        compute("hnte_new", [d(2024, 2, 1)], dict_source({"certification": frame}))


@pytest.mark.parametrize("bad, msg", [
    ({"id": "x", "name": "x", "unit": "家", "kind": "ip", "aggregation": "count", "window": "ever"}, "时间窗口"),
    ({"id": "x", "name": "x", "unit": "斤", "kind": "ip", "aggregation": "count", "window": "ytd"}, "未知计量单位"),
    ({"id": "x", "name": "x", "unit": "家", "kind": "ip", "aggregation": "median", "window": "ytd"}, "聚合方式"),
    ({"id": "x", "name": "x", "unit": "家", "kind": "ip", "aggregation": "count", "window": "ytd",
      "filter": [{"field": "a", "like": "b"}]}, "运算符"),
    ({"id": "x", "name": "x", "unit": "%", "aggregation": {"ratio": ["a", "b"]}}, "比值引用"),
])
def test_bad_definitions_name_file_metric_and_value(bad, msg):
    with pytest.raises(MetricError, match=msg) as exc:
        parse_metrics({"metrics": [bad]})
    assert "metrics.yaml" in str(exc.value) and "(x)" in str(exc.value)


def test_shipped_metrics_load_and_cover_domain_indicators():
    metrics = load_metrics()
    names = {m.name for m in metrics.values()}
    for wanted in ["有效高新技术企业数", "新认定高新技术企业数", "科技型中小企业入库数", "研发费用总额", "研发投入强度",
                   "技术合同成交额", "科创载体面积", "引进大学生数", "引进高层次人才数", "人才计划入选数",
                   "产学研合作项目数", "授权发明专利数", "亿元以上项目数"]:
        assert wanted in names


def test_unit_conversion():
    assert convert(D("3.9"), "亿元", "万元") == D("39000")
    assert convert(D("2.185"), "亿元", "万元") == D("21850")
    assert convert(50, "万平方米", "平方米") == D("500000")
    assert convert(D("15"), "亩", "平方米") == D("10000")
    with pytest.raises(UnitError, match="不兼容"):
        convert(1, "亿元", "万美元")


def test_buyer_side_contracts_are_not_counted_and_missing_role_is(ledgers):
    frames = dict(ledgers)
    frames["tech_contract"] = frames["tech_contract"].with_columns(
        role=pl.Series(["buyer", None, "seller"]))
    src = dict_source(frames)
    assert val("tech_contract_amount", src, "320902", d(2024, 12, 31)) == D("300.25")


def test_metric_fields_exist_in_ledger_kinds():
    from pathlib import Path

    from kechuang.targets.metrics import check_fields_against_kinds

    kinds = Path(__file__).resolve().parents[2] / "src" / "kechuang" / "ledgers" / "kinds"
    if not any(kinds.glob("*.yaml")):
        pytest.skip("ledger kinds not present")
    assert check_fields_against_kinds(kinds) == []


def test_values_are_kept_while_the_frames_are_the_same_and_follow_new_frames(ledgers):
    """The same frames (a change to targets only) give the values computed before; other frames
    (the contracts changed) give values computed from them."""
    m = load_metrics()["tech_contract_amount"]
    src = dict_source(ledgers)
    first = date_index(m, src)  # every date's value is read from it
    compute(m, [d(2024, 6, 30), d(2024, 12, 31)], src)
    assert date_index(m, src) is first
    changed = dict(ledgers)
    changed["tech_contract"] = ledgers["tech_contract"].with_columns(role=pl.Series(["buyer", None, "seller"]))
    assert date_index(m, dict_source(changed)) is not first
    assert value_of(compute(m, [d(2024, 12, 31)], dict_source(changed)), m, "320902", d(2024, 12, 31)) == D("300.25")
    assert value_of(compute(m, [d(2024, 12, 31)], src), m, "320902", d(2024, 12, 31)) != D("300.25")
