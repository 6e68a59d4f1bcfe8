"""Benchmark of `kechuang match`: quality on the labelled set (benchmarks/data/matching) against two
baselines run in the same process — character-bigram TF-IDF with the gates applied, word-only BM25
with the gates applied — then speed at 10,000 supplies: the labelled pool padded with generated
distractors, index build time, and p50/p95 per query over 1,000 demands.

Budget (issue 13): matcher ≥ the TF-IDF baseline on Recall@10, nDCG@10 and P@1; 0 gate violations;
≥ 90 % of gate-failing relevant supplies reported as near misses; p95 query ≤ 300 ms at 10,000.
Usage: python benchmarks/matching.py [supplies] [queries]
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np

from kechuang.matching import evaluation as E
from kechuang.matching import text as T
from kechuang.matching import engine as G
from kechuang.matching.engine import Matcher, TfidfCosine

DATA = Path(__file__).parent / "data" / "matching"
SUFFIX = ["技术", "系统", "装置", "方法", "工艺", "平台", "关键技术研究", "集成应用", "示范工程", "检测方法"]
SENTENCES = ["针对{a}中的{b}问题，研发{c}，{d}指标提升{n}%。", "以{a}为核心，集成{b}与{c}，已在{n}家单位应用。",
             "开展{a}和{b}研究，形成{c}成套方案，适用于{d}。", "{a}团队长期从事{b}、{c}研究，承担省部级项目{n}项。"]


def distractors(ev: E.EvalSet, n: int, seed: int = 13) -> list[dict]:
    """``n`` generated supplies recombining the labelled pool's keywords and owners (unjudged)."""
    rng = random.Random(seed)
    vocab = sorted({w for s in ev.supplies for w in T._KEYWORD_SPLIT.split(s.get("keywords") or "") if len(w) >= 2})
    owners = [{k: s[k] for k in ("owner", "owner_type", "region_code", "uscc", "has_hnte")} for s in ev.supplies]
    fields = sorted({s["field"] for s in ev.supplies if s.get("field")})
    out = []
    for i in range(n):
        w = rng.sample(vocab, 6)
        desc = "".join(rng.choice(SENTENCES).format(a=w[0], b=w[1], c=w[2], d=w[3], n=rng.randint(2, 60))
                       for _ in range(rng.randint(2, 4)))
        out.append({"supply_no": f"X{i:05d}", "kind": "result", "title": f"{w[0]}{w[4]}{rng.choice(SUFFIX)}",
                    "description": desc, "keywords": "、".join(w[:3]), "field": rng.choice(fields),
                    "industry_code": None, **rng.choice(owners), "maturity": None,
                    "price": None, "status": "available"})
    return out


def row(s: E.Scores) -> str:
    nm = "—" if s.near_miss_share is None else f"{s.near_miss_share:.3f}"
    return f"| {s.name} | {s.recall:.3f} | {s.ndcg:.3f} | {s.p1:.3f} | {s.lookalike:.3f} | {s.violations} | {nm} |"


ABLATIONS = [("without synonym concepts", "CONCEPT_WEIGHT", 0), ("without look-alike contrasts", "LOOKALIKE", 1.0),
             ("without dictionary words", "W_WORDS", 0.0), ("without field and industry codes", "W_CODES", 0.0)]


def ablations(ev: E.EvalSet) -> list[E.Scores]:
    """The matcher with one signal switched off at a time."""
    out = []
    for name, attr, value in ABLATIONS:
        kept = getattr(G, attr)
        setattr(G, attr, value)
        try:
            s, _ = E.evaluate_matcher(ev)
        finally:
            setattr(G, attr, kept)
        s.name = f"matcher {name}"
        out.append(s)
    return out


def main(n_supplies: int = 10_000, n_queries: int = 1_000) -> None:
    ev = E.load_set(DATA)
    print(f"labelled set: {len(ev.demands)} demands, {len(ev.supplies)} supplies, "
          f"{sum(len(ev.relevant(d['demand_no'])) for d in ev.demands)} relevant pairs")
    t = time.perf_counter()
    T.words("预热分词器")  # the tokenizer's dictionary loads once per process
    print(f"tokenizer load: {time.perf_counter() - t:.2f} s (once per process)")
    m, _ = E.evaluate_matcher(ev)
    tf, bm = E.tfidf_baseline(ev), E.word_bm25_baseline(ev)
    print("\n| system | Recall@10 | nDCG@10 | P@1 | answer above look-alike | gate violations | near-miss share |"
          "\n|---|---|---|---|---|---|---|")
    for s in (m, tf, bm, *ablations(ev)):
        print(row(s))
    print(f"\nmatcher − TF-IDF: Recall@10 {m.recall - tf.recall:+.3f}, nDCG@10 {m.ndcg - tf.ndcg:+.3f}, "
          f"P@1 {m.p1 - tf.p1:+.3f}")

    pool = ev.supplies + distractors(ev, max(0, n_supplies - len(ev.supplies)))
    # wall time, and the process's CPU time (what the run costs when other work shares the cores)
    t, c = time.perf_counter(), time.process_time()
    matcher = Matcher(pool, hnte_usccs=ev.hnte_usccs)
    build, build_cpu = time.perf_counter() - t, time.process_time() - c
    t, c = time.perf_counter(), time.process_time()
    baseline = TfidfCosine([E.char_bigrams(E.supply_text(s)) for s in pool])
    build_tf, build_tf_cpu = time.perf_counter() - t, time.process_time() - c
    queries = [ev.demands[i % len(ev.demands)] for i in range(n_queries)]
    wall, cpu, wall_tf = [], [], []
    for d in queries:
        t, c = time.perf_counter(), time.process_time()
        matcher.match(d, top=E.K, as_of=ev.as_of)
        wall.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        t = time.perf_counter()
        baseline.scores(E.char_bigrams(E.demand_text(d)))
        wall_tf.append(time.perf_counter() - t)

    def pct(xs, q):
        return np.percentile(np.array(xs) * 1000, q)

    print(f"\n{len(pool):,} supplies: index build {build:.2f} s wall, {build_cpu:.2f} s CPU "
          f"(TF-IDF baseline {build_tf:.2f} s wall, {build_tf_cpu:.2f} s CPU; ratio {build_cpu / build_tf_cpu:.1f}× CPU)")
    print(f"{n_queries:,} queries (ranking, gates, reasons): p50 {pct(wall, 50):.1f} ms, p95 {pct(wall, 95):.1f} ms wall; "
          f"p50 {pct(cpu, 50):.1f} ms, p95 {pct(cpu, 95):.1f} ms CPU "
          f"(TF-IDF scoring alone p50 {pct(wall_tf, 50):.1f} ms, p95 {pct(wall_tf, 95):.1f} ms wall)")
    padded, _ = E.evaluate_matcher(ev, pool)
    print(f"quality among {len(pool):,} supplies (distractors unjudged, counted as not relevant): "
          f"Recall@10 {padded.recall:.3f}, nDCG@10 {padded.ndcg:.3f}, P@1 {padded.p1:.3f}, "
          f"violations {padded.violations}, near-miss share {padded.near_miss_share:.3f}")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
