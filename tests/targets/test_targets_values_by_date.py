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
DAYS = [d(2024, 12, 31), d(2025, 12, 31), d(2026, 3, 4), d(2026, 11, 25), d(2025, 3, 4), d(2026, 1, 1),
        d(1990, 6, 30), d(2024, 2, 29), d(2025, 1, 1), d(2026, 12, 31), d(2027, 1, 1), d(2040, 6, 30)]


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
        else:  # some dates asked before, others new; a year's last and first days side by side
            asked = [DAYS[:3], DAYS[2:5], DAYS[8:11] + DAYS[:1], DAYS]
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


def test_periods_that_overlap_touch_or_never_hold_are_counted_as_the_records_are():
    """Edge cases of periods read as running totals: one enterprise's overlapping, touching and
    nested certificates, one ending before it starts, one without a date, a blank expiry (the
    statutory term), a blank credit code; on every day where any of them starts or ends."""
    ent = pl.DataFrame({"id": [1, 2, 3], "uscc": ["A", "B", "C"], "region_code": ["320902", "320903", "320902"],
                        "name": ["甲", "乙", "丙"]})
    rows = [  # uscc, issued_on, expires_on
        ("A", d(2020, 1, 1), d(2022, 12, 31)), ("A", d(2022, 6, 1), d(2025, 5, 31)),  # overlapping
        ("A", d(2025, 6, 1), d(2026, 6, 1)),  # the day after the last one ends
        ("A", d(2021, 1, 1), d(2021, 2, 1)),  # inside another
        ("B", d(2024, 3, 1), d(2023, 3, 1)),  # ends before it starts: never valid
        ("B", None, d(2030, 1, 1)),  # no date: never counted
        ("B", d(2024, 1, 1), None),  # blank expiry: three years for 高新技术企业
        ("C", d(2026, 12, 31), d(2027, 1, 1)), (None, d(2025, 1, 1), d(2027, 1, 1)),
    ]
    cert = pl.DataFrame({"id": list(range(1, len(rows) + 1)), "key": [str(i) for i in range(len(rows))],
                         "region_code": ["320902"] * len(rows), "uscc": [r[0] for r in rows],
                         "cert_type": ["hnte"] * len(rows), "issued_on": [r[1] for r in rows],
                         "expires_on": [r[2] for r in rows]},
                        schema_overrides={"issued_on": pl.Date, "expires_on": pl.Date})
    source = dict_source({"certification": cert, "enterprise": ent})
    metrics = load_metrics()
    edges = {day for _, a, b in rows for x in (a, b) if x for day in (x - dt.timedelta(days=1), x,
                                                                      x + dt.timedelta(days=1))}
    edges |= {d(2019, 1, 1), d(2026, 12, 31), d(2027, 1, 1), d(2026, 12, 30), d(2035, 1, 1)}
    for mid in ("hnte_valid", "hnte_new"):
        m = metrics[mid]
        values = compute(m, sorted(edges), source, metrics)
        for day in sorted(edges):
            for region in ("320900", "320902", "320903"):
                got, want = value_of(values, m, region, day), _plain(m, region, day, source)
                assert same(got, want), (mid, region, day, got, want)
    # the statutory term of the blank expiry holds the enterprise in 320903 until 2026-12-31
    m = metrics["hnte_valid"]
    assert value_of(compute(m, [d(2026, 12, 31)], source, metrics), m, "320903", d(2026, 12, 31)) == 1
    assert value_of(compute(m, [d(2027, 1, 1)], source, metrics), m, "320903", d(2027, 1, 1)) == 0


def test_values_of_chosen_regions_are_those_of_all_regions(city):
    """`value_table` asked for a few regions (as progress asks for its targets' regions) gives each
    of them the value it has among all regions; unknown and repeated codes change nothing."""
    from kechuang.targets.metrics import _indexed, value_table

    metrics = load_metrics()
    source = dict_source(dict(city))
    chosen = [m for m in metrics.values() if m.kind in city and _indexed(m)]
    assert {m.window for m in chosen} >= {"ytd", "as_of", "cumulative"}
    regions = ["320903", "999999", CITY, "320903"]
    found = 0
    for m in chosen:
        every = value_table(m, DAYS, source, metrics)
        some = value_table(m, DAYS, source, metrics, regions=regions)
        assert set(some.map) == {k for k in every.map if k[0] in regions}
        for region in set(regions):
            for day in DAYS:
                assert some.has(region, day) == every.has(region, day)
                assert some.value(region, day) == every.value(region, day)
        found += any(k[0] == CITY for k in some.map)
    assert found >= len(chosen) // 2  # values to compare, not empty tables
