"""Metric values computed for many dates at once (and kept per date) equal the plain count of the
records behind each number, on a generated city, whatever dates were asked before."""

import datetime as dt
from decimal import Decimal

import polars as pl
import pytest

from kechuang.ledgers.demo import generate
from kechuang.targets.metrics import compute, dict_source, load_metrics, rows_behind, value_of

d = dt.date
CITY = "320900"
DISTRICTS = ("320900", "320902", "320903")
DAYS = [d(2024, 12, 31), d(2025, 12, 31), d(2026, 3, 4), d(2026, 11, 25), d(2025, 3, 4), d(2026, 1, 1)]


@pytest.fixture(scope="module")
def city():
    return generate(CITY, enterprises=600, seed=7)


_PLAIN: dict = {}


def plain(metric, region, day, source):
    """The value from the records behind it, aggregated one by one."""
    key = (metric.id, region, day)
    if key not in _PLAIN:
        _PLAIN[key] = _plain(metric, region, day, source)
    return _PLAIN[key]


def _plain(metric, region, day, source):
    rows = rows_behind(metric, region, day, source)
    if metric.aggregation == "count":
        return rows.height
    if metric.aggregation == "distinct":
        return rows.get_column(metric.agg_field).drop_nulls().n_unique()
    return sum((Decimal(str(v)) for v in rows.get_column(metric.agg_field).drop_nulls()), Decimal(0))


def same(a, b) -> bool:
    return Decimal(str(a)) == Decimal(str(b))


@pytest.mark.parametrize("order", ["together", "one by one", "overlapping"])
def test_values_by_date_match_the_records_behind_them(city, order):
    metrics = load_metrics()
    source = dict_source(dict(city))  # a new source: nothing kept from another order
    shown = {m.id: m for m in metrics.values() if m.aggregation != "ratio" and m.kind in city}
    assert {m.window for m in shown.values()} >= {"ytd", "as_of", "cumulative", "fiscal_year"}
    assert any(plain(m, CITY, d(2026, 11, 25), source) for m in shown.values())  # the city has data to count
    for m in shown.values():
        if order == "together":
            asked = [DAYS]
        elif order == "one by one":
            asked = [[day] for day in DAYS]
        else:  # some dates kept from an earlier call, others new
            asked = [DAYS[:3], DAYS[2:5], DAYS]
        for days in asked:
            values = compute(m, days, source, metrics)
            assert set(values.get_column("as_of").to_list()) <= set(days)
            assert values.select(pl.struct("region_code", "as_of").is_duplicated().any()).item() is False
            for day in days:
                for region in DISTRICTS:
                    got = value_of(values, m, region, day)
                    want = plain(m, region, day, source)
                    assert same(got, want), (m.id, region, day, got, want)


def test_a_fiscal_year_value_is_the_same_on_every_day_of_the_year(city):
    metrics = load_metrics()
    source = dict_source(dict(city))
    fiscal = [m for m in metrics.values() if m.window == "fiscal_year" and m.kind in city]
    assert fiscal
    for m in fiscal:
        end = compute(m, [d(2025, 12, 31)], source, metrics)
        spring = compute(m, [d(2025, 3, 4)], source, metrics)
        assert spring.get_column("as_of").unique().to_list() in ([], [d(2025, 3, 4)])
        assert (sorted(spring.drop("as_of").rows(), key=str) == sorted(end.drop("as_of").rows(), key=str))
        assert any(plain(m, CITY, d(2025, 3, 4), source) for m in fiscal)
