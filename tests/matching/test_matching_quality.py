"""Quality floor of the matcher on the labelled set (benchmarks/data/matching, see its README):
at least the character-bigram TF-IDF baseline on every measure, no gate violation, near misses
reported, every reason's evidence in its records. Not timed (speed lives in benchmarks/matching.py)."""

from pathlib import Path

import pytest

from kechuang.matching import evaluation as E
from kechuang.matching.engine import DEMAND_TEXT, SUPPLY_TEXT

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data" / "matching"


@pytest.fixture(scope="module")
def ev():
    return E.load_set(DATA)


@pytest.fixture(scope="module")
def matched(ev):
    return E.evaluate_matcher(ev)


def test_the_set_is_large_and_hard_enough(ev):
    assert len(ev.demands) >= 60 and len(ev.supplies) >= 400
    assert len({s["field"] for s in ev.supplies}) == 8
    grades = [g for labels in ev.labels.values() for g in labels.values()]
    assert grades.count(2) >= 150 and grades.count(1) >= 30 and grades.count(0) >= 100
    by_no = {s["supply_no"]: s for s in ev.supplies}
    failing = {g for d in ev.demands for s in ev.relevant(d["demand_no"])
               for g in E.gate_failures(d, by_no[s], ev.hnte_usccs, ev.as_of)}
    assert failing == {"solver_region", "solver_type", "budget", "deadline", "conflict"}


def test_matcher_at_least_the_bigram_tfidf_baseline(ev, matched):
    m, _ = matched
    base = E.tfidf_baseline(ev)
    assert base.demands == m.demands >= 55
    assert m.recall >= base.recall
    assert m.ndcg >= base.ndcg
    assert m.p1 >= base.p1
    assert m.lookalike >= base.lookalike  # answers above the look-alikes written for each demand


def test_matcher_beats_word_only_bm25(ev, matched):
    m, _ = matched
    words = E.word_bm25_baseline(ev)
    assert m.ndcg > words.ndcg and m.recall >= words.recall


def test_no_gate_violation_and_near_misses_reported(matched):
    m, results = matched
    assert m.violations == 0
    assert m.near_miss_share >= 0.9
    for r in results:
        failed = [g["id"] for g in r.gates if not g["passed"]]
        assert (r.status == "near_miss") is bool(failed)


def test_every_evidence_occurs_in_its_record(ev, matched):
    _, results = matched
    demands = {d["demand_no"]: d for d in ev.demands}
    supplies = {s["supply_no"]: s for s in ev.supplies}
    kinds = set()
    for r in results:
        d, s = demands[r.demand], supplies[r.supply]
        for x in r.reasons:
            kinds.add(x["kind"])
            assert any(x["demand_evidence"] in str(d[f] or "") for f in (*DEMAND_TEXT, "field", "industry_code")), x
            assert any(x["supply_evidence"] in str(s[f] or "") for f in (*SUPPLY_TEXT, "field", "industry_code")), x
    assert {"term", "synonym", "phrase", "field"} <= kinds


def test_synonyms_and_lookalikes(ev, matched):
    """锂电 meets 锂离子电池 through the synonym list; the 铅酸电池 look-alike stays below the answers."""
    _, results = matched
    by_title = {s["title"]: s["supply_no"] for s in ev.supplies}
    d11 = [r for r in results if r.demand == "D11"]
    rank = {r.supply: i for i, r in enumerate(d11)}
    answer = by_title["锂离子电池荷电状态与健康状态联合估计"]
    lead_acid = by_title["铅酸蓄电池极板化成工艺"]
    assert answer in rank and rank[answer] < rank.get(lead_acid, len(d11))
    syn = [x for r in d11 if r.supply == answer for x in r.reasons if x["kind"] == "synonym"]
    assert syn and any("锂电" in x["demand_evidence"] for x in syn)
