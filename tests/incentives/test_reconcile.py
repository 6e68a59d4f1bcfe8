"""On a random population across the policies' regions and years: every line's payers add up to
its amount, the budget by payer adds up to the lines, per-item totals too, and no line is both
live and superseded within a stacking group."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal

import pytest

from kechuang.incentives import budget, by_item, compute
from kechuang.incentives.cases import frames_of

REGIONS = ["320213", "320214", "320205", "320102", "320104", "440112", "440106", "320902", "320904"]


def population(seed: int, n: int = 400) -> dict:
    rnd = random.Random(seed)
    ents, certs, fin = {}, [], []
    for i in range(n):
        u = f"P{i:04d}"
        ents[u] = {"region_code": rnd.choice(REGIONS), "above_scale": rnd.random() < 0.5,
                   "registered_on": dt.date(rnd.randint(2010, 2024), rnd.randint(1, 12), 1)}
        for t in ("hnte", "tech_sme", "gazelle", "fledgling", "advanced_tech_service"):
            y = rnd.randint(2017, 2024)
            while y <= 2025 and rnd.random() < 0.6:
                certs.append({"uscc": u, "cert_type": t, "level": rnd.choice(["national", "provincial", "municipal"]),
                              "issued_on": dt.date(y, rnd.randint(1, 12), rnd.randint(1, 28))})
                y += 3
        rd = rnd.uniform(0, 20000)
        for y in range(2017, 2026):
            if rnd.random() < 0.9:
                rd *= rnd.uniform(0.7, 1.5)
                fin.append({"uscc": u, "year": y, "rd_expense": round(rd, 4), "revenue": round(rd * 20, 4),
                            "dishonest_list": rnd.random() < 0.05 if rnd.random() < 0.9 else None})
    return {"enterprises": ents, "certifications": certs, "finance": fin}


@pytest.mark.parametrize("year", [2018, 2019, 2021, 2023, 2024])
def test_totals_reconcile(year):
    lines = compute(frames_of(population(year)), year)
    assert Counter(a.status for a in lines)["payable"] > 0
    for a in lines:
        assert sum((p["amount"] for p in a.payers), Decimal(0)) == a.amount, a
        assert a.amount >= 0 and a.amount == a.amount.quantize(Decimal("0.0001"))
    for statuses in (("payable",), ("needs_application",)):
        total = sum((r["amount"] for r in budget(lines, statuses)), Decimal(0))
        assert total == sum((a.amount for a in lines if a.status in statuses), Decimal(0))
    items = by_item(lines)
    assert sum((r["payable_amount"] for r in items), Decimal(0)) == sum(
        (a.amount for a in lines if a.status == "payable"), Decimal(0))
    assert sum(sum(r[s] for s in ("payable", "needs_application", "superseded", "excluded")) for r in items) == len(lines)
    # 就高不重复: at most one live line per enterprise, year and "highest" group
    live = Counter((a.uscc, a.event_year, a.group) for a in lines
                   if a.status in ("payable", "needs_application") and a.superseded_by == "" and
                   any(b.superseded_by.endswith("/" + a.item) and b.uscc == a.uscc for b in lines))
    assert all(v == 1 for v in live.values())
