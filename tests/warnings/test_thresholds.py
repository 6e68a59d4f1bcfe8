"""Each warning rule at its threshold and one step either side, with the threshold read from
rules.yaml (so a changed parameter moves the test with it):
- 完成率低于序时进度: fires at N points below the pace line, and at N + 0.01; not at N − 0.01;
- 一步之遥: a single change of at most half the needed value (R&D expense, three equal years) is one
  step; a cent more is not;
- 证书即将到期: a certificate whose last day is 89 or 90 days away is warned; 91 days is not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from helpers_warnings import hnte_profile

from kechuang import db
from kechuang.ledgers.importer import import_records
from kechuang.ledgers.uscc import make
from kechuang.warnings import evaluate, rules

TINGHU = "320902"
# 14 March 2026 is day 73 of 365: the pace line (序时进度) stands at exactly 20 %
PACE_DAY, PACE = dt.date(2026, 3, 14), Decimal("0.2")
GOAL = Decimal(1000)  # 万元 of technology contracts in 2026


@pytest.mark.parametrize("offset,fires", [(Decimal(0), True), (Decimal("0.01"), True), (Decimal("-0.01"), False)])
def test_pace_gap_fires_from_n_points_below_the_pace_line(engine, offset, fires):
    from kechuang.targets.store import add_target

    n = Decimal(str(rules()["pace_gap"].params["points"]))
    gap = n + offset  # percentage points below the pace line
    current = GOAL * (PACE - gap / 100)
    uscc = make("91", TINGHU, "MA9300001")
    rep = import_records(engine, "enterprise", [{"uscc": uscc, "name": "【演示】进度测试科技", "region_code": TINGHU}])
    assert rep.ok, rep.problems
    rep = import_records(engine, "tech_contract", [{
        "contract_no": "2026320902000001", "contract_name": "测试合同", "contract_type": "技术开发", "role": "卖方",
        "uscc": uscc, "region_code": TINGHU, "amount": str(current), "registered_on": "2026-02-01"}])
    assert rep.ok, rep.problems
    with db.session_scope(engine) as s:
        t = add_target(s, region="亭湖区", region_code=TINGHU, indicator="技术合同成交额", value=GOAL, unit="万元",
                       year=2026, metric_id="tech_contract_amount")
        tid = t.id
    with db.session_scope(engine) as s:
        found = [w for w in evaluate(s, None, PACE_DAY, only="pace_gap") if w.subject == str(tid)]
    assert bool(found) is fires
    if fires:
        assert f"差 {float(gap):.1f} 个百分点" in found[0].text and "序时进度 20.0%" in found[0].text


@pytest.mark.parametrize("rd_per_year,close", [(187.5, True), (187.51, True), (187.49, False)])
def test_near_miss_is_a_change_of_at_most_half_the_needed_value(store_results, engine, rd_per_year, close):
    # 5 % of 15000 万元 sales = 750 万元 R&D in three years; with three equal years r, raising one year
    # to 750 − 2r is one step when 750 − 3r ≤ (750 − 2r) / 2, i.e. r ≥ 187.5
    uscc = make("91", TINGHU, "MA9300002")
    [rec] = store_results([{**hnte_profile(uscc, rd_per_year), "region_code": TINGHU}], ["hnte"], dt.date(2026, 6, 1))
    assert rec["result"] == "fail"
    needed = next(g["needed"] for g in rec["gaps"] if g["field"] == "rd_expense_y1")
    assert needed == pytest.approx(750 - 2 * rd_per_year)
    with db.session_scope(engine) as s:
        found = evaluate(s, None, dt.date(2026, 6, 2), only="near_miss")
    assert [w.uscc for w in found] == ([uscc] if close else [])
    if close:
        assert "高新技术企业" in found[0].text and "研发费用" in found[0].text


@pytest.mark.parametrize("delta", [-1, 0, 1])
def test_certificate_warned_up_to_n_days_before_its_last_day(engine, delta):
    n = int(rules()["cert_expiring"].params["days"])
    today = dt.date.today()
    last = today + dt.timedelta(days=n + delta)
    uscc = make("91", TINGHU, "MA9300003")
    assert import_records(engine, "enterprise", [{"uscc": uscc, "name": "【演示】证书测试科技",
                                                  "region_code": TINGHU}]).ok
    rep = import_records(engine, "certification", [{
        "uscc": uscc, "cert_type": "hnte", "level": "national", "year": last.year - 3,
        "issued_on": (last - dt.timedelta(days=1000)).isoformat(), "expires_on": last.isoformat()}])
    assert rep.ok, rep.problems
    with db.session_scope(engine) as s:
        found = evaluate(s, None, today, only="cert_expiring")
    assert [w.uscc for w in found] == ([uscc] if delta <= 0 else [])
    if delta <= 0:
        assert f"剩 {n + delta} 天" in found[0].text and str(last) in found[0].text
