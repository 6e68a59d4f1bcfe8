"""The enterprise page's view of one result: every criterion, disqualifiers first, reasons,
data years, citations and rule confidence; words from one catalogue."""

import datetime as dt

from kechuang.ledgers.uscc import check_char
from kechuang.programs.engine import evaluate
from kechuang.programs.explain import records, view
from kechuang.programs.profiles import profiles_from_records
from kechuang.programs.store import next_step

AS_OF = dt.date(2026, 11, 25)


def _uscc(n: int) -> str:
    body = f"91320902MA1MUX7{n:02d}"
    return body + check_char(body)


BIG = {  # sales 3.18亿 over the 科小 ceiling, few technical staff
    "revenue_y1": 31800, "revenue_y2": 30000, "revenue_y3": 28000, "employees_y1": 200, "tech_staff_y1": 9,
    "total_assets_y1": 15000, "rd_expense_y1": 900, "rd_expense_y2": 800, "rd_expense_y3": 700,
    "total_cost_y1": 20000, "restricted_industry": "否", "major_incident": "否", "dishonest_list": "否",
    "ip_class1": 0, "ip_class2": 2, "registered_on": "2015-01-01", "hitech_revenue_y1": 20000,
    "total_income_y1": 32000, "has_hnte": "否", "award_national_5y_top3": "否", "standard_led_5y": "否",
    "rd_institution_level": "none",
}


def _recs(profile: dict, programs):
    frame = profiles_from_records([{"uscc": _uscc(1), **profile}])
    return {r["program"]: r for r in records(evaluate(frame, programs, AS_OF, with_inputs=True))}


def test_disqualifier_comes_before_any_gap():
    rec = _recs(BIG, ["tech_sme"])["tech_sme"]
    assert rec["result"] == "fail"
    v = view(rec, AS_OF)
    first = v["rows"][0]
    assert first["id"] == "size_revenue" and first["hard"] and first["result"] == "fail"
    assert first["value"] == "3.18 亿元" and first["threshold"] == "≤ 2 亿元"
    assert v["headline"].startswith("不符合：年销售收入不超过2亿元")
    assert "科技人员" not in v["headline"]
    assert next_step(rec).startswith("不符合：年销售收入不超过2亿元")
    # every condition and scored item is shown, each with a citation and a confidence
    assert {r["id"] for r in v["rows"]} == {c["id"] for c in rec["conditions"]}
    assert all(r["cite"] and r["confidence"] for r in v["rows"])
    # no gap on a row that passes; a failing or unknown row always says why
    assert all(not r["gaps"] for r in v["rows"] if r["result"] == "pass")
    assert all(r["reason"] for r in v["rows"] if r["result"] in ("fail", "unknown"))
    # the year of each figure: _y1 is the last complete fiscal year before the evaluation
    assert first["years"] == "2025年"


def test_unknown_names_the_missing_data_and_hnte_range_is_explained():
    partial = {k: v for k, v in BIG.items() if k not in ("ip_class1", "ip_class2")}
    recs = _recs(partial, ["tech_sme", "hnte"])
    v = view(recs["tech_sme"], AS_OF)
    unknown = [r for r in v["rows"] if r["result"] == "unknown"]
    assert unknown and all(r["reason"].startswith("缺少数据") for r in unknown)
    assert any("知识产权" in r["reason"] for r in unknown)
    full = dict(BIG, conversions_3y=3, net_assets_y1=9000, net_assets_y2=8000, net_assets_y3=7000,
                rd_domestic_y1=900, rd_domestic_y2=800, rd_domestic_y3=700, hitech_domain="电子信息")
    h = view(_recs(full, ["hnte"])["hnte"], AS_OF)
    assert h["score"] and "–" in h["score"]
    assert "得分区间" in h["terms"] and "待专家评定" in h["terms"]
    assert "由专家评定" in h["expert_note"] and "70" in h["expert_note"] and "得分区间" in h["expert_note"]


def test_low_confidence_rules_are_marked():
    from kechuang.programs.model import programs_by_id

    p = next(q for q in programs_by_id()["srdi_sme"] if q.version == "2026")
    rec = {"uscc": _uscc(2), "program": "srdi_sme", "version": "2026", "result": "fail", "score": None,
           "score_min": None, "score_max": None,
           "conditions": [{"id": "niche_3y", "text": p.conditions["niche_3y"].text, "value": 1.0, "op": ">=",
                           "threshold": 3.0, "result": "fail", "cite": "x"}], "gaps": [], "missing": []}
    v = view(rec, AS_OF)
    assert v["low"] and v["confidence"] == "低" and v["rows"][0]["low"]


def test_held_certificate_is_the_headline():
    rec = _recs(BIG, ["tech_sme"])["tech_sme"]
    v = view(rec, AS_OF, {"issued_on": dt.date(2024, 1, 1), "last_day": dt.date(2026, 12, 31)})
    assert v["headline"].startswith("已持有有效证书") and "2026-12-31" in v["headline"]


def test_rule_years_differing_from_data_years_are_stated():
    from kechuang.programs.explain import year_note

    note = year_note("路径三：2019年及以后注册，2023年营业收入5亿元以上", "2025年")
    assert "2023年" in note and "2025年" in note and "后移 2 年" in note
    assert year_note("路径一：2010年及以后注册，2020年营业收入1000万元以上，2020-2023年营业收入复合增长率20%以上",
                     "2022–2025年").startswith("规则原文按 2020–2023年数据")
    assert year_note("2018年及以后成立，估值0.5亿美元以上", "") == ""
    assert year_note("上年度科技活动费用占营业收入比例超过4%", "2025年") == ""
