"""Gates, near misses, reasons and duplicates of kechuang.matching on the smallest inputs."""

import datetime as dt
from decimal import Decimal

import pytest

from kechuang.matching import Matcher, run
from kechuang.matching.engine import DEMAND_TEXT, SUPPLY_TEXT

AS_OF = dt.date(2026, 12, 1)
U1 = "91320214MA1X2Y3W4A"
U2 = "91320214MA1X2Y3W5Y"


def demand(**kw):
    base = {"demand_no": "D1", "title": "锂电池极片缺陷视觉检测", "description": "在线检测极片划痕和漏箔",
            "indicators": "检测精度0.1毫米", "keywords": None, "field": "电子信息", "industry_code": "C3841",
            "region_code": "320214", "uscc": None, "budget": None, "deadline": None, "list_type": "enterprise",
            "solver_type": "any", "solver_region": "any"}
    return {**base, **kw}


def supply(**kw):
    base = {"supply_no": "S1", "kind": "result", "title": "极片表面缺陷在线视觉检测系统",
            "description": "线阵相机检测锂电池极片划痕、漏箔", "keywords": "机器视觉、缺陷检测", "field": "电子信息",
            "industry_code": "C3841", "owner": "江南大学", "owner_type": "university", "uscc": None,
            "region_code": "320211", "maturity": "mature", "price": None, "has_hnte": None, "status": "available"}
    return {**base, **kw}


def other():
    return supply(supply_no="S9", title="茶叶采摘机器人", description="丘陵茶园嫩芽识别与采摘", keywords="农业机械",
                  field="先进制造与自动化", industry_code="C3572")


def one(d, s, **kw):
    res = run([d], [s, other()], as_of=AS_OF, **kw).results
    [r] = [r for r in res if r.supply == s["supply_no"]]
    assert all(r.supply != "S9" for r in res)  # the unrelated supply is not returned
    return r


def gate(r, gid):
    [g] = [g for g in r.gates if g["id"] == gid]
    return g


def test_no_gate_applies_on_an_open_demand():
    r = one(demand(), supply())
    assert r.status == "match" and r.rank == 1 and r.gates == []
    assert 0 < r.score <= 1


@pytest.mark.parametrize("scope, region, passed", [
    ("province", "320211", True), ("province", "110108", False),
    ("city", "320211", True), ("city", "320102", False), ("any", "110108", None)])
def test_solver_region_gate(scope, region, passed):
    r = one(demand(solver_region=scope), supply(region_code=region))
    if passed is None:
        assert r.status == "match" and not [g for g in r.gates if g["id"] == "solver_region"]
        return
    assert gate(r, "solver_region")["passed"] is passed
    assert (r.status, r.rank is None) == (("match", False) if passed else ("near_miss", True))


@pytest.mark.parametrize("need, owner_type, hnte, passed", [
    ("academic", "university", None, True), ("academic", "institute", None, True),
    ("academic", "enterprise", True, False),
    ("enterprise", "enterprise", None, True), ("enterprise", "university", None, False),
    ("hnte", "enterprise", True, True), ("hnte", "enterprise", False, False),
    ("hnte", "enterprise", None, False), ("hnte", "university", None, False)])
def test_solver_type_gate(need, owner_type, hnte, passed):
    r = one(demand(solver_type=need), supply(owner_type=owner_type, has_hnte=hnte, uscc=U2))
    g = gate(r, "solver_type")
    assert g["passed"] is passed
    assert r.status == ("match" if passed else "near_miss")
    assert ("不符合" in g["text"]) is (not passed)


def test_hnte_from_the_certification_ledger_wins_over_the_column():
    d, s = demand(solver_type="hnte"), supply(owner_type="enterprise", uscc=U2, has_hnte=False)
    assert gate(one(d, s, hnte_usccs={U2}), "solver_type")["passed"] is True
    s2 = supply(owner_type="enterprise", uscc=U2, has_hnte=True)
    g = gate(one(d, s2, hnte_usccs=set()), "solver_type")
    assert g["passed"] is False and "资质荣誉台账" in g["text"]


@pytest.mark.parametrize("budget, price, passed", [("100", "100", True), ("100", "100.5", False),
                                                   (None, "5", None), ("100", None, None)])
def test_budget_gate(budget, price, passed):
    r = one(demand(budget=budget and Decimal(budget)), supply(price=price and Decimal(price)))
    ids = [g["id"] for g in r.gates]
    if passed is None:
        assert "budget" not in ids and r.status == "match"
    else:
        assert gate(r, "budget")["passed"] is passed and r.status == ("match" if passed else "near_miss")


@pytest.mark.parametrize("deadline, passed", [(AS_OF, True), (AS_OF - dt.timedelta(days=1), False)])
def test_deadline_gate(deadline, passed):
    r = one(demand(deadline=deadline), supply())
    assert gate(r, "deadline")["passed"] is passed
    assert r.status == ("match" if passed else "near_miss")


def test_conflict_of_interest_gate():
    assert gate(one(demand(uscc=U1), supply(uscc=U1, owner_type="enterprise")), "conflict")["passed"] is False
    r = one(demand(uscc=U1), supply(uscc=U2, owner_type="enterprise"))
    assert gate(r, "conflict")["passed"] is True and r.status == "match"


def test_no_gated_supply_is_a_match_and_every_near_miss_names_its_gate():
    supplies = [supply(supply_no=f"S{i}", region_code=reg, price=Decimal(p))
                for i, (reg, p) in enumerate([("320211", "50"), ("110108", "50"), ("320211", "500"),
                                              ("320102", "80"), ("440305", "10")])]
    res = run([demand(solver_region="province", budget=Decimal("100"))], supplies, as_of=AS_OF, top=3).results
    matches = [r for r in res if r.status == "match"]
    misses = [r for r in res if r.status == "near_miss"]
    assert sorted(r.rank for r in matches) == list(range(1, len(matches) + 1))
    assert {r.supply for r in matches} == {"S0", "S3"}
    assert {r.supply for r in misses} == {"S1", "S2", "S4"}
    for r in matches:
        assert all(g["passed"] for g in r.gates)
    for r in misses:
        assert r.rank is None and any(not g["passed"] for g in r.gates)
    assert [r.score for r in res] == sorted((r.score for r in res), reverse=True)


def test_every_evidence_is_found_in_its_record():
    d = demand(keywords="机器视觉", description="涂布产线需要在线检测划痕、漏箔、气泡等缺陷；检测速度80米/分钟")
    sups = [supply(), supply(supply_no="S2", title="工业视觉检测团队", description="从事表面缺陷检测、机器视觉研究",
                             keywords="机器视觉", industry_code="C3841")]
    res = run([d], sups, as_of=AS_OF).results
    assert res and all(r.reasons for r in res)
    by_no = {s["supply_no"]: s for s in sups}
    for r in res:
        s = by_no[r.supply]
        kinds = {x["kind"] for x in r.reasons}
        assert "field" in kinds and "industry_code" in kinds
        for x in r.reasons:
            assert set(x) == {"kind", "text", "demand_evidence", "supply_evidence"}
            assert x["demand_evidence"] and x["supply_evidence"]
            assert any(x["demand_evidence"] in str(d[f] or "") for f in (*DEMAND_TEXT, "field", "industry_code"))
            assert any(x["supply_evidence"] in str(s[f] or "") for f in (*SUPPLY_TEXT, "field", "industry_code"))


def test_unrelated_supply_is_not_returned_and_relevant_one_ranks_first():
    res = run([demand()], [other(), supply(supply_no="S2", title="锂电池电解液配方", description="高电压电解液添加剂",
                                            keywords="电解液", field="新材料", industry_code="C2662"), supply()],
              as_of=AS_OF).results
    assert res[0].supply == "S1" and res[0].rank == 1
    assert "S9" not in {r.supply for r in res}


def test_near_duplicate_demands_are_collapsed():
    d1 = demand()
    d2 = demand(demand_no="D2", description="在线检测极片划痕和漏箔！")
    d3 = demand(demand_no="D3", title="印染废水深度处理", description="废水COD高、色度大")
    out = run([d1, d2, d3], [supply()], as_of=AS_OF)
    assert out.duplicates == {"D2": "D1"}
    assert "D2" in out.notes[0] and "D1" in out.notes[0]
    assert "D2" not in {r.demand for r in out.results}


def test_withdrawn_supply_is_never_returned():
    assert Matcher([supply(status="withdrawn")]).match(demand(), as_of=AS_OF) == []
