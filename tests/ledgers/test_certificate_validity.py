"""One validity rule for certificates: dashboards (metrics) and enterprise profiles agree."""

import datetime as dt

import polars as pl
import pytest

from kechuang.ledgers import build_profiles
from kechuang.ledgers.kinds import get_kind
from kechuang.ledgers.validity import last_day, valid_on
from kechuang.targets.metrics import compute, dict_source, value_of, get_metric, rows_behind

D = dt.date
CASES = [  # uscc, issued, expires
    ("BLANK", D(2023, 12, 1), None),          # blank expiry: through 2026-11-30
    ("EXPDAY", D(2023, 6, 1), D(2026, 11, 30)),  # the expiry day itself counts
    ("GONE", D(2023, 6, 1), D(2026, 11, 29)),
    ("OLDBLANK", D(2020, 1, 1), None),        # blank, long ago: not valid forever
    ("FUTURE", D(2026, 12, 1), None),
]
DAYS = [D(2026, 11, 29), D(2026, 11, 30), D(2026, 12, 1)]


def _frames():
    ids = [c[0] for c in CASES]
    ent = pl.DataFrame({"uscc": ids, "name": ids, "region_code": ["320902"] * len(ids)})
    cert = pl.DataFrame({"uscc": ids, "cert_type": ["hnte"] * len(ids), "level": ["national"] * len(ids),
                         "region_code": ["320902"] * len(ids),
                         "issued_on": pl.Series([c[1] for c in CASES], dtype=pl.Date),
                         "expires_on": pl.Series([c[2] for c in CASES], dtype=pl.Date)})
    out = {"enterprise": ent, "certification": cert, "enterprise_year": pl.DataFrame({"uscc": ["BLANK"], "year": [2025]})}
    for kid in list(out):
        for fld in get_kind(kid).fields:
            if fld.id not in out[kid].columns:
                out[kid] = out[kid].with_columns(pl.lit(None).alias(fld.id))
    out["ip"] = pl.DataFrame(schema={"uscc": pl.String, "status": pl.String, "granted_on": pl.Date,
                                     "ip_class": pl.String, "self_developed": pl.Boolean,
                                     "high_value": pl.Boolean, "main_product_related": pl.Boolean})
    return out


def test_rule_on_single_records():
    assert last_day({"cert_type": "hnte", "issued_on": D(2023, 12, 1)}) == D(2026, 11, 30)
    assert last_day({"cert_type": "hnte", "issued_on": D(2024, 2, 29)}) == D(2027, 2, 27)
    assert valid_on({"cert_type": "hnte", "issued_on": D(2023, 6, 1), "expires_on": D(2026, 11, 30)}, D(2026, 11, 30))
    assert not valid_on({"cert_type": "hnte", "issued_on": D(2020, 1, 1)}, D(2026, 1, 1))
    # a title without a statutory term and no expiry has no known end
    assert valid_on({"cert_type": "ip_demo", "issued_on": D(2010, 1, 1)}, D(2026, 1, 1))


@pytest.mark.parametrize("day", DAYS)
def test_metrics_and_profiles_agree(engine, day):
    frames = _frames()
    prof = build_profiles(engine, None, day, frames=frames)
    holders = set(prof.filter(pl.col("has_hnte"))["uscc"].to_list())
    expected = {u for u, i, e in CASES if valid_on({"cert_type": "hnte", "issued_on": i, "expires_on": e}, day)}
    assert holders == expected
    m = get_metric("hnte_valid")
    n = value_of(compute(m, [day], dict_source(frames)), m, "320902", day)
    assert n == len(holders)
    counted = set(rows_behind(m, "320902", day, dict_source(frames))["uscc"].to_list())
    assert counted == holders
    if day == D(2026, 11, 30):
        assert holders == {"BLANK", "EXPDAY"}
