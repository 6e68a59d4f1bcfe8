"""Property: applying any reported gap makes its condition pass (or its indicator score more)."""

import datetime as dt

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kechuang.programs.engine import PASS, evaluate

AS_OF = dt.date(2025, 6, 1)
money = st.decimals(min_value=0, max_value=50000, places=2).map(float)
small = st.integers(min_value=0, max_value=12).map(float)


@st.composite
def profile(draw):
    rev = draw(st.decimals(min_value=1, max_value=40000, places=2).map(float))
    emp = draw(st.integers(min_value=1, max_value=800).map(float))
    return {
        "uscc": "X",
        "registered_on": draw(st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2024, 12, 31))),
        "employees_y1": emp, "employees_y2": draw(st.integers(1, 800).map(float)),
        "employees_y4": draw(st.integers(1, 800).map(float)),
        "tech_staff_y1": draw(st.integers(0, 800).map(float).filter(lambda x: True)) % (emp + 1),
        "rd_staff_y1": draw(st.integers(0, 800).map(float)) % (emp + 1),
        "revenue_y1": rev, "revenue_y2": draw(money) + 1, "revenue_y3": draw(money) + 1, "revenue_y4": draw(money) + 1,
        "main_revenue_y1": rev * draw(st.floats(0.3, 1.0)), "main_revenue_y2": draw(money) + 1,
        "main_revenue_y3": draw(money) + 1,
        "rd_expense_y1": draw(money) % (rev + 1), "rd_expense_y2": draw(money), "rd_expense_y3": draw(money),
        "rd_domestic_y1": 0.0, "rd_domestic_y2": 0.0, "rd_domestic_y3": 0.0,
        "sci_expense_y1": draw(money) % (rev + 1),
        "total_cost_y1": draw(money) + 1, "total_assets_y1": draw(money) + 1,
        "total_liabilities_y1": draw(money), "net_profit_y1": draw(money) - 5000,
        "net_assets_y1": draw(money) + 1, "net_assets_y2": draw(money) + 1, "net_assets_y3": draw(money) + 1,
        "hitech_revenue_y1": draw(money) % (rev + 1), "total_income_y1": rev,
        "ip_class1": draw(small), "ip_class2": draw(small), "ip_class1_own": 0.0, "ip_class1_high_value": 0.0,
        "conversions_3y": draw(small), "valuation_usd_100m": draw(st.decimals(0, 20, places=2).map(float)),
        "market_share": draw(st.decimals(0, 30, places=2).map(float)), "niche_years": draw(small),
        "equity_financing_2y": draw(money), "srdi_platform_score": draw(st.integers(0, 100).map(float)),
    }


def _row_after(df_row: dict, field: str, value: float) -> pl.DataFrame:
    r = dict(df_row)
    r[field] = value
    return pl.DataFrame([r])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=profile(), prog=st.sampled_from(["hnte", "tech_sme", "srdi_sme", "little_giant", "js_gazelle",
                                          "innovative_sme", "js_potential_unicorn"]))
def test_applying_a_gap_passes_the_condition(p, prog):
    p["rd_domestic_y1"] = p["rd_expense_y1"] * 0.5
    base = pl.DataFrame([p])
    res = evaluate(base, [prog], AS_OF)[prog]
    for plan, df in res.parts:
        for cp in plan.conditions:
            for fid in cp.gap_fields:
                needed = df[f"{cp.item.id}.gap.{fid}"][0]
                if needed is None:
                    continue
                after = evaluate(_row_after(p, fid, needed), [prog], AS_OF)[prog]
                code = after.parts[0][1][f"{cp.item.id}.result"][0]
                assert code == PASS, (prog, cp.item.id, fid, p[fid], needed)
        for ip in plan.indicators:
            for fid in ip.gap_fields:
                needed = df[f"{ip.item.id}.gap.{fid}"][0]
                if needed is None:
                    continue
                before = df[f"{ip.item.id}.points"][0]
                after = evaluate(_row_after(p, fid, needed), [prog], AS_OF)[prog].parts[0][1]
                assert after[f"{ip.item.id}.points"][0] > before, (prog, ip.item.id, fid, needed)


def test_gap_words_example():
    """研发费用占比 3.2%,需 ≥ 5%：三年合计还需投入研发费用 … 万元."""
    from kechuang.programs.explain import records

    row = {"uscc": "X", "revenue_y1": 1000.0, "revenue_y2": 1000.0, "revenue_y3": 1000.0,
           "rd_expense_y1": 32.0, "rd_expense_y2": 32.0, "rd_expense_y3": 32.0,
           "registered_on": dt.date(2015, 1, 1)}
    rec = next(records(evaluate(pl.DataFrame([row]), ["hnte"], AS_OF, with_inputs=True)))
    gap = next(g for g in rec["gaps"] if g["field"] == "rd_expense_y1")
    assert gap["needed"] == 86 and gap["delta"] == 54
    assert gap["text"] == "研发费用占比 3.2%，需 ≥ 5%：三年合计还需投入研发费用 54 万元"
