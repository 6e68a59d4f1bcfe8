import datetime as dt
from decimal import Decimal as D
from pathlib import Path

import pytest

from kechuang.targets.assessment import assess, load_system, parse_system
from kechuang.targets.metrics import MetricError, dict_source

UNITS = ["320902", "320903", "320904"]
P = Path("assessment-test.yaml")


def system(**over):
    raw = {"id": "t", "city": "320900", "units": UNITS,
           "indicators": [{"id": "a", "name": "高企", "metric": "hnte_valid", "weight": 0.5},
                          {"id": "b", "name": "技术合同", "metric": "tech_contract_amount", "weight": 0.5}],
           "groups": [{"label": "领先", "min_ratio": 1.25}, {"label": "较强", "min_ratio": 1.0},
                      {"label": "中等", "min_ratio": 0.7}, {"label": "追赶", "min_ratio": 0}],
           "alternatives": [{"name": "只看高企", "weights": {"a": 1.0, "b": 0.0}}]}
    raw.update(over)
    return parse_system(raw, P)


def test_min_max_ranking_groups_and_sensitivity(ledgers):
    # hnte_valid on 31 Dec 2024: 0 / 2 / 1 -> 0, 1, 0.5; contracts 1500.75 / 0 / 0 -> 1, 0, 0
    a = assess(system(), dict_source(ledgers), dt.date(2024, 12, 31))
    t = {r["region_code"]: r for r in a.table.iter_rows(named=True)}
    assert [t[u]["score"] for u in UNITS] == [0.5, 0.5, 0.25]
    assert [t[u]["rank"] for u in UNITS] == [1, 1, 3]
    assert [t[u]["relative"] for u in UNITS] == [1.2, 1.2, 0.6]
    assert [t[u]["group"] for u in UNITS] == ["较强", "较强", "追赶"]
    s = {r["region_code"]: r for r in a.sensitivity.iter_rows(named=True)}
    assert [s[u]["只看高企"] for u in UNITS] == [3, 1, 2]
    assert s["320902"]["最差名次"] == 3 and s["320903"]["最好名次"] == 1
    explained = {e["indicator"]: e for e in a.explain("320902")}
    assert explained["a"]["score"] == 0 and explained["b"]["contribution"] == 0.5
    strong, weak = a.strengths_weaknesses("320902")
    assert strong == ["技术合同"] and weak == ["高企"]


def test_ratio_to_target_and_z_score(ledgers):
    sysm = system(indicators=[
        {"id": "r", "name": "新认定完成率", "metric": "hnte_new", "weight": 0.5, "normalisation": "ratio_to_target"},
        {"id": "z", "name": "高企", "metric": "hnte_valid", "weight": 0.5, "normalisation": "z_score"}], alternatives=[])
    targets = {("320903", "hnte_new"): D(2), ("320902", "hnte_new"): D(4)}
    a = assess(sysm, dict_source(ledgers), dt.date(2024, 12, 31), targets)
    raw = {r["region_code"]: r for r in a.raw.iter_rows(named=True)}
    assert raw["320903"]["r"] == 0.5 and raw["320902"]["r"] == 0 and raw["320904"]["r"] is None
    sc = {r["region_code"]: r for r in a.scores.iter_rows(named=True)}
    assert sc["320904"]["z"] == pytest.approx(0.5)          # the middle value has z = 0
    assert sc["320903"]["z"] > 0.5 > sc["320902"]["z"]
    # 320904 lacks a target: that indicator is shown missing and scores 0; its weight is not handed to
    # the z-score (no silent renormalisation), so the components add up to the score
    t = {r["region_code"]: r for r in a.table.iter_rows(named=True)}
    assert t["320904"]["score"] == pytest.approx(0.25)
    for u in UNITS:
        parts = a.explain(u)
        assert sum(e["contribution"] for e in parts) == pytest.approx(t[u]["score"], abs=1e-4)
    missing = {e["indicator"]: e for e in a.explain("320904")}["r"]
    assert missing["missing"] and missing["contribution"] == 0 and missing["goal"] is None
    shown = {e["indicator"]: e for e in a.explain("320903")}["r"]
    assert (shown["actual"], shown["goal"], shown["raw"]) == (1, 2, 0.5)   # 1 new of a target of 2


def test_export_has_chinese_headers_and_reproduces_the_score(ledgers):
    a = assess(system(), dict_source(ledgers), dt.date(2024, 12, 31))
    sheets = a.export_frames()
    assert list(sheets) == ["排名", "得分明细", "指标与权重", "权重敏感性", "计算规则"]
    for frame in sheets.values():
        assert all(not c.isascii() for c in frame.columns), frame.columns
    for row in sheets["得分明细"].to_dicts():
        parts = sum(v for k, v in row.items() if k.endswith("·贡献"))
        assert parts == pytest.approx(row["综合得分(各项贡献之和)"], abs=1e-4)
    params = {p["id"]: p for p in a.parameters()}
    assert params["a"]["figures"] == "最小值 0,最大值 2" and params["a"]["weight"] == 0.5
    assert a.rank_of("320904")["rank"] == 3 and a.rank_of("320904")["of"] == 3


def test_lower_is_better_inverts():
    from kechuang.targets.assessment import normalise
    import polars as pl

    sysm = system(indicators=[{"id": "a", "name": "x", "metric": "hnte_valid", "weight": 1, "direction": "lower"}], alternatives=[])
    out = normalise(sysm, pl.DataFrame({"region_code": UNITS, "a": [0.0, 2.0, 1.0]}))
    assert out["a"].to_list() == [1.0, 0.0, 0.5]


@pytest.mark.parametrize("over, msg", [
    ({"indicators": [{"id": "a", "name": "x", "metric": "hnte_valid", "weight": 0.4}]}, "权重之和"),
    ({"indicators": [{"id": "a", "name": "x", "metric": "nope", "weight": 1}]}, "不存在"),
    ({"indicators": [{"id": "a", "name": "x", "metric": "hnte_valid", "weight": 1, "normalisation": "rank"}]},
     "标准化方法"),
    ({"alternatives": [{"name": "x", "weights": {"zz": 1}}]}, "不存在的指标"),
])
def test_bad_system_files_are_reported(over, msg):
    with pytest.raises(MetricError, match=msg) as exc:
        system(**over)
    assert "assessment-test.yaml" in str(exc.value)


def test_shipped_system_loads():
    s = load_system("320900")
    assert abs(sum(s.weights.values()) - 1) < 1e-9 and s.alternatives
