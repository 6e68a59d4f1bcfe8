"""企业创新积分 on the 18 official core indicators: the hand-derived cases beside the rule files
(data/*.cases.yaml), the file's structure, zone copies changing the score exactly as their
overrides say, and located errors for a copy's mistakes."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml
from helpers_programs import frame, run

from kechuang.programs import expr as E
from kechuang.programs.engine import evaluate
from kechuang.programs.explain import public, records
from kechuang.programs.model import CASES_SUFFIX, DATA, STAGES, load_program

TOL = 1e-6


def _cases():
    for f in sorted(DATA.glob(f"*{CASES_SUFFIX}")):
        doc = yaml.safe_load(f.read_text(encoding="utf-8"))
        for case in doc["cases"]:
            yield pytest.param(doc, case, id=f"{f.name}:{case['name']}")


def _close(got, want) -> bool:
    if want is None or got is None:
        return got is want
    if isinstance(want, list):
        return isinstance(got, list) and len(got) == len(want) and all(_close(a, b) for a, b in zip(got, want))
    if isinstance(want, (int, float)) and not isinstance(want, bool):
        return abs(float(got) - float(want)) <= TOL
    return got == want


@pytest.mark.parametrize("doc, case", list(_cases()))
def test_hand_derived_case(doc, case):
    rows = [{**doc.get("base", {}), **(over or {}), "uscc": uscc} for uscc, over in case["enterprises"].items()]
    wanted = {e.get("program", doc["program"]) for e in case.get("expect", []) + case.get("absent", [])}
    res = evaluate(frame(rows), sorted(wanted), doc["as_of"], with_inputs=True)
    recs = {(r["program"], r["uscc"]): public(r) for r in records(res)}
    stages = {(pid, row["uscc"]): row["stage_of"] for pid, r in res.items() for _, df in r.parts
              for row in df.select("uscc", "stage_of").iter_rows(named=True)}
    problems = []
    for e in case.get("expect", []):
        key = (e.get("program", doc["program"]), e["uscc"])
        rec = recs.get(key)
        if rec is None:
            problems.append(f"{key}: 无结果")
            continue
        conds = {c["id"]: c["value"] for c in rec["conditions"]}
        got = {"stage": stages[key], "result": rec["result"], "score": rec["score"], "score_min": rec["score_min"],
               "score_max": rec["score_max"], "rank": conds["rank"], "percentile": conds["percentile"],
               "missing": rec["missing"]}
        pool = next(c["threshold"] for c in rec["conditions"] if c["id"] == "rank")
        got["pool_size"] = pool
        for k, want in e.items():
            if k in ("uscc", "program"):
                continue
            if k == "points":
                for iid, w in want.items():
                    if not _close(conds[iid], w):
                        problems.append(f"{key} {iid}: 应为 {w}，实际 {conds[iid]}")
            elif not _close(got[k], want):
                problems.append(f"{key} {k}: 应为 {want!r}，实际 {got[k]!r}")
    for e in case.get("absent", []):
        key = (e.get("program", doc["program"]), e["uscc"])
        if key in recs:
            problems.append(f"{key}: 不应有结果")
    assert not problems, "\n".join(problems)


def test_the_18_core_indicators_in_three_groups():
    p = load_program(DATA / "innovation_points-2024.yaml")
    assert p.kind == "index" and p.confidence == "low"
    groups = [i.group for i in p.indicators.values()]
    assert [groups.count(g) for g in ("技术创新指标", "成长经营指标", "辅助指标")] == [7, 6, 5]
    for s in STAGES:
        assert sum(i.weights[s] for i in p.indicators.values()) == 100
    for it in p.indicators.values():  # every local number is declared low confidence, with a note
        assert it.normalize == "full" and set(it.full) == set(STAGES)
        assert it.confidence == "low" and it.note
    assert {k: v.confidence for k, v in p.params.items()} == {"startup_below_years": "low", "mature_from_years": "low"}
    # none of the earlier placeholder inputs remain
    assert not p.fields_used() & {"ip_class1", "ip_class2", "conversions_3y", "has_hnte", "standard_led_5y"}


@pytest.mark.parametrize("zone", ["wuxi_points-2024", "zhenjiang_points-2024"])
def test_a_zone_copy_changes_the_score_exactly_as_its_overrides_say(zone):
    """Recompute the copy's score from the base's per-indicator values with the copy's weights and
    full values: the same number, for a population with every stage."""
    base = load_program(DATA / "innovation_points-2024.yaml")
    copy = load_program(DATA / f"{zone}.yaml")
    changed = {i for i, _ in copy.adjusted}
    assert changed and all(copy.indicators[i].weights != base.indicators[i].weights for i in changed)
    region = {"wuxi_points-2024": "320214", "zhenjiang_points-2024": "321102"}[zone]
    rows = []
    for k in range(12):
        rows.append(dict(region_code=region, registered_on=dt.date(2024 - 2 * k, 1, 1), rd_expense_y1=100.0 * k + 50,
                         rd_expense_y2=300, revenue_y1=2000.0 * (k + 1), revenue_y2=4000, tech_staff_y1=5 * k,
                         employees_y1=80, invention_apps_y1=k, pct_apps_y1=k % 3, tech_contract_amount_y1=90.0 * k,
                         hitech_revenue_y1=700.0 * k, postgrad_staff_y1=k, rd_tax_relief_y1=15.0 * k, net_profit_y1=40.0 * k - 100,
                         net_assets_y1=900, fresh_graduates_y1=k, platforms_prov_2y=k % 2, awards_prov_2y=0,
                         projects_prov_2y=k % 3, vc_amount_y1=300.0 * k))
    b = run("innovation_points", rows)
    z = run(copy.id, rows)
    assert set(b["stage_of"]) == set(STAGES)
    for rb, rz in zip(b.iter_rows(named=True), z.iter_rows(named=True)):
        s = rb["stage_of"]
        wsum = sum(it.weights[s] for it in copy.indicators.values())
        total = 0.0
        for iid, it in copy.indicators.items():
            x = rb[f"{iid}.value"]
            frac = 0.0 if x != x or x <= 0 else min(1.0, x / it.full[s])
            total += frac * 100 * it.weights[s] / wsum
        assert rz["score"] == pytest.approx(total, abs=1e-9)
        if not changed & {"t1_rd_expense"}:
            assert rz["score"] != pytest.approx(rb["score"]) or total == pytest.approx(rb["score"])


def _copy(tmp_path, text: str):
    shutil.copy(DATA / "innovation_points-2024.yaml", tmp_path / "innovation_points-2024.yaml")
    f = tmp_path / "zone_points-2024.yaml"
    f.write_text("extends: innovation_points-2024\nid: zone_points\nname: 某区创新积分\n" + text, encoding="utf-8")
    return f


def test_a_copy_adjusting_one_weight_moves_only_that_share(tmp_path):
    f = _copy(tmp_path, "adjust:\n  a5_vc_amount:\n    weights: {startup: 26}\n    cite: 某区文件第3条\n")
    p = load_program(f)
    assert p.indicators["a5_vc_amount"].weights == {"startup": 26.0, "growth": 3.0, "mature": 2.0}
    assert p.adjusted == [("a5_vc_amount", "某区文件第3条")]
    assert len(p.indicators) == 18 and p.params["mature_from_years"].value == 8


@pytest.mark.parametrize("text, words, line", [
    ("adjust:\n  t9_unknown:\n    weights: {startup: 1}\n    cite: x\n", "t9_unknown", 6),
    ("adjust:\n  t1_rd_expense:\n    weights: {startup: 1}\n", "cite", 6),
    ("params:\n  startup_years: {value: 2}\n", "未声明", 5),
    ("adjust:\n  t1_rd_expense:\n    full: {startup: 0}\n    cite: x\n", "大于 0", 0),
])
def test_a_copy_mistake_is_located(tmp_path, text, words, line):
    with pytest.raises(E.RuleError) as ei:
        load_program(_copy(tmp_path, text))
    msg = str(ei.value)
    assert words in msg and "zone_points-2024.yaml" in msg
    if line:
        assert ei.value.line == line


@pytest.mark.parametrize("cut, words", [
    ("    full: {startup: 200, growth: 1000, mature: 3000}\n", ["full", "t1_rd_expense"]),
    ("    note: 权重与满分值为本地参数（官方权重表未取得）。\n", ["note", "t1_rd_expense"]),  # low confidence needs a note
])
def test_a_broken_base_file_is_refused(tmp_path, cut, words):
    src = (DATA / "innovation_points-2024.yaml").read_text(encoding="utf-8")
    assert cut in src
    f = tmp_path / "innovation_points-2024.yaml"
    f.write_text(src.replace(cut, "", 1), encoding="utf-8")
    with pytest.raises(E.RuleError) as ei:
        load_program(f)
    assert all(w in str(ei.value) for w in words) and "innovation_points-2024.yaml" in str(ei.value)
