"""Small hand-made ledgers for metric tests (values chosen so results can be computed by hand)."""

import datetime as dt
from decimal import Decimal as D

import polars as pl

d = dt.date


def small_ledgers() -> dict[str, pl.DataFrame]:
    cert = pl.DataFrame(
        {
            "key": ["A-h18", "A-h21", "B-h23", "C-h24", "D-h22", "E-t24", "E-t23"],
            "region_code": ["320902", "320902", "320903", "320903", "320902", "320902", "320902"],
            "uscc": ["A", "A", "B", "C", "D", "E", "E"],
            "cert_type": ["hnte", "hnte", "hnte", "hnte", "hnte", "tech_sme", "tech_sme"],
            "issued_on": [d(2018, 3, 10), d(2021, 3, 10), d(2023, 11, 20), d(2024, 5, 1), d(2022, 12, 1),
                          d(2024, 4, 15), d(2023, 4, 20)],
            "expires_on": [d(2021, 3, 10), d(2024, 3, 10), d(2026, 11, 20), d(2027, 5, 1), d(2025, 12, 1),
                           None, None],
            "year": [2018, 2021, 2023, 2024, 2022, 2024, 2023],
        }
    ).with_columns(pl.col("issued_on").alias("record_date"))
    # D's certificate was recorded in 亭湖区 but the enterprise has moved to 大丰区
    enterprise = pl.DataFrame({
        "key": ["A", "B", "C", "D", "E"], "uscc": ["A", "B", "C", "D", "E"],
        "region_code": ["320902", "320903", "320903", "320904", "320902"],
    })
    contracts = pl.DataFrame(
        {
            "key": ["k1", "k2", "k3"],
            "region_code": ["320902", "320902", "320903"],
            "uscc": ["A", "A", "B"],
            "registered_on": [d(2024, 2, 1), d(2024, 7, 1), d(2023, 12, 30)],
            "role": ["seller", None, "seller"],
            "amount": [D("1200.5"), D("300.25"), D("1000")],
        },
        schema_overrides={"amount": pl.Decimal(38, 6)},
    )
    ey = pl.DataFrame(
        {
            "key": ["A|2023", "B|2023", "A|2022"],
            "region_code": ["320902", "320903", "320902"],
            "uscc": ["A", "B", "A"],
            "year": [2023, 2023, 2022],
            "rd_expense": [D("50"), D("30"), D("40")],
            "revenue": [D("1000"), D("500"), D("900")],
        },
        schema_overrides={"rd_expense": pl.Decimal(38, 6), "revenue": pl.Decimal(38, 6)},
    )
    return {"certification": cert, "enterprise": enterprise, "tech_contract": contracts, "enterprise_year": ey}


import pytest  # noqa: E402


@pytest.fixture
def ledgers():
    return small_ledgers()


@pytest.fixture
def shared_path(request):
    """The root conftest's `shared_path` helper (skips when ../shared is absent)."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "conftest.py"
    for plugin in request.config.pluginmanager.get_plugins():
        if getattr(plugin, "__file__", None) and Path(plugin.__file__).resolve() == root:
            return plugin.shared_path
    pytest.skip("root conftest not loaded")
