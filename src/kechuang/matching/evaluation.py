"""The labelled evaluation set of the matcher (benchmarks/data/matching, see its README) and the
measures reported on it: Recall@10, nDCG@10 and P@1 over the matches, gate violations judged by an
independent reading of each gate, the share of gate-failing relevant supplies reported as near
misses; plus the two baselines run on the same set (character-bigram TF-IDF with the gates applied,
word-only BM25 with the gates applied)."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Callable

import numpy as np
import yaml

from ..ledgers.kinds import get_kind
from ..ledgers.uscc import make

AS_OF = dt.date(2026, 12, 1)
K = 10


@dataclass
class EvalSet:
    demands: list[dict]
    supplies: list[dict]
    labels: dict[str, dict[str, int]]  # demand_no → supply_no → grade (2 solves it, 1 helps, 0 judged not relevant)
    hnte_usccs: set[str]  # credit codes holding a valid 高新技术企业 certificate (the certification ledger)
    as_of: dt.date = AS_OF

    def relevant(self, demand_no: str) -> dict[str, int]:
        return {s: g for s, g in self.labels.get(demand_no, {}).items() if g > 0}


def _enum(kind: str, fid: str, value, default=None):
    if value is None:
        return default
    return get_kind(kind).field(fid).enum_lookup()[str(value)]


def load_set(folder: str | Path) -> EvalSet:
    """Read owners.yaml, demands_*.yaml and pool.yaml of ``folder``. A supply written twice (same
    owner and title) is one record carrying the labels of both places."""
    folder = Path(folder)
    owners = yaml.safe_load((folder / "owners.yaml").read_text(encoding="utf-8"))
    org: dict[str, dict] = {}
    hnte: set[str] = set()
    for n, (name, (otype, region, *cert)) in enumerate(owners.items(), 1):
        ot = _enum("supply", "owner_type", otype)
        uscc = make("91", region, f"MA{n:07d}") if ot == "enterprise" else None
        claim = cert[0] if cert else None
        if claim == "证书":
            hnte.add(uscc)
        org[name] = {"owner": name, "owner_type": ot, "region_code": region, "uscc": uscc,
                     "has_hnte": (claim is not None) if ot == "enterprise" else None}
    supplies: dict[tuple[str, str], dict] = {}
    labels: dict[str, dict[str, int]] = {}

    def add_supply(owner, title, desc, kw, extra, fld, demand_no=None, grade=None):
        key = (owner, title)
        s = supplies.get(key)
        if s is None:
            o = org[owner]
            s = {"supply_no": f"S{len(supplies) + 1:04d}", "kind": _enum("supply", "kind", extra.get("kind"), "result"),
                 "title": title, "description": desc, "keywords": kw, "field": extra.get("field", fld),
                 "industry_code": extra.get("code"), **o, "maturity": None,
                 "price": Decimal(str(extra["price"])) if "price" in extra else None, "status": "available"}
            supplies[key] = s
        if demand_no is not None:
            labels.setdefault(demand_no, {})[s["supply_no"]] = grade
        for d, g in (extra.get("labels") or {}).items():
            labels.setdefault(d, {})[s["supply_no"]] = g

    demands = []
    for path in sorted(folder.glob("demands_*.yaml")):
        for d in yaml.safe_load(path.read_text(encoding="utf-8")):
            pub = org.get(d.get("publisher"))
            demands.append({
                "demand_no": d["id"], "title": d["title"], "description": d.get("description"),
                "indicators": d.get("indicators"), "keywords": d.get("keywords"), "field": d.get("field"),
                "industry_code": d.get("code"), "region_code": pub["region_code"] if pub else d["region"],
                "uscc": pub["uscc"] if pub else None, "publisher": d.get("publisher"),
                "budget": Decimal(str(d["budget"])) if d.get("budget") is not None else None,
                "deadline": d.get("deadline"),
                "list_type": _enum("demand", "list_type", d.get("list_type"), "enterprise" if pub else "government"),
                "solver_type": _enum("demand", "solver_type", d.get("solver_type"), "any"),
                "solver_region": _enum("demand", "solver_region", d.get("solver_region"), "any")})
            for row in d["supplies"]:
                grade, owner, title, desc, kw, *rest = row
                add_supply(owner, title, desc, kw, rest[0] if rest else {}, d.get("field"), d["id"], grade)
    pool = folder / "pool.yaml"
    if pool.exists():
        for owner, title, desc, kw, extra in yaml.safe_load(pool.read_text(encoding="utf-8")):
            add_supply(owner, title, desc, kw, extra, None)
    return EvalSet(demands, list(supplies.values()), labels, hnte)


# ---------------------------------------------------------------------------- gates, read again
def gate_failures(d: dict, s: dict, hnte_usccs: set[str], as_of: dt.date) -> list[str]:
    """The gates a pair fails, read from the codes' prefixes (2 digits: province, 4: city; a
    municipality is its own city), independently of the engine, as the judge of violations."""
    out = []
    dr, sr = str(d.get("region_code") or ""), str(s.get("region_code") or "")
    scope = d.get("solver_region") or "any"
    if scope != "any":
        n = 2 if scope == "province" or dr[:2] in ("11", "12", "31", "50") else 4
        if dr[:n] != sr[:n]:
            out.append("solver_region")
    need, ot = d.get("solver_type") or "any", s.get("owner_type")
    if (need == "academic" and ot not in ("university", "institute")) or (need == "enterprise" and ot != "enterprise") \
            or (need == "hnte" and (ot != "enterprise" or s.get("uscc") not in hnte_usccs)):
        out.append("solver_type")
    if d.get("budget") is not None and s.get("price") is not None and s["price"] > d["budget"]:
        out.append("budget")
    if d.get("deadline") is not None and d["deadline"] < as_of:
        out.append("deadline")
    if d.get("uscc") and d.get("uscc") == s.get("uscc"):
        out.append("conflict")
    return out


# ---------------------------------------------------------------------------- measures
def dcg(gains: list[int]) -> float:
    return sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains))


@dataclass
class Scores:
    name: str
    recall: float = 0.0
    ndcg: float = 0.0
    p1: float = 0.0
    demands: int = 0
    violations: int | None = None
    near_miss_share: float | None = None
    lookalike: float | None = None  # share of (answer, look-alike) pairs ordered right
    per_demand: dict[str, tuple[float, float, float]] = field(default_factory=dict)


def score_rankings(name: str, ev: EvalSet, ranked: dict[str, list[str]],
                   near_misses: dict[str, set[str]] | None = None, supplies: list[dict] | None = None) -> Scores:
    """``ranked``: demand_no → supply_nos returned as matches, best first."""
    by_no = {s["supply_no"]: s for s in (supplies or ev.supplies)}
    out = Scores(name)
    violations, failing, reported = 0, 0, 0
    for d in ev.demands:
        dno = d["demand_no"]
        rel = ev.relevant(dno)
        top = ranked.get(dno, [])[:K]
        violations += sum(1 for s in top if gate_failures(d, by_no[s], ev.hnte_usccs, ev.as_of))
        passing = {s: g for s, g in rel.items() if not gate_failures(d, by_no[s], ev.hnte_usccs, ev.as_of)}
        if near_misses is not None:
            gated = set(rel) - set(passing)
            failing += len(gated)
            reported += len(gated & near_misses.get(dno, set()))
        if not passing:
            continue
        r = sum(1 for s in top if s in passing) / min(len(passing), K)
        ideal = dcg(sorted(passing.values(), reverse=True)[:K])
        n = dcg([passing.get(s, 0) for s in top]) / ideal
        p = 1.0 if top and top[0] in passing else 0.0
        out.per_demand[dno] = (r, n, p)
    m = len(out.per_demand)
    out.demands = m
    out.recall = sum(v[0] for v in out.per_demand.values()) / m
    out.ndcg = sum(v[1] for v in out.per_demand.values()) / m
    out.p1 = sum(v[2] for v in out.per_demand.values()) / m
    out.violations = violations
    if near_misses is not None:
        out.near_miss_share = reported / failing if failing else 1.0
    return out


def evaluate_matcher(ev: EvalSet, supplies: list[dict] | None = None) -> tuple[Scores, list]:
    """The matcher over the set (or over ``supplies``, e.g. the set padded with distractors)."""
    from .engine import Matcher

    m = Matcher(supplies if supplies is not None else ev.supplies, hnte_usccs=ev.hnte_usccs)
    ranked, misses, results = {}, {}, []
    for d in ev.demands:
        res = m.match(d, top=K, as_of=ev.as_of)
        results.extend(res)
        ranked[d["demand_no"]] = [r.supply for r in sorted((r for r in res if r.rank), key=lambda r: r.rank)]
        misses[d["demand_no"]] = {r.supply for r in res if r.status == "near_miss"}
    out = score_rankings("matcher", ev, ranked, misses, supplies)
    out.lookalike = lookalike_order(ev, m.scores, m.supplies)
    return out, results


def lookalike_order(ev: EvalSet, scores: Callable[[dict], np.ndarray], supplies: list[dict] | None = None) -> float:
    """Share of (answer, look-alike) pairs of a demand — a grade-2 supply and one judged 0 — in which
    the answer scores higher, gates aside."""
    pos = {s["supply_no"]: i for i, s in enumerate(supplies or ev.supplies)}
    right = total = 0
    for d in ev.demands:
        labels = ev.labels.get(d["demand_no"], {})
        answers = [pos[s] for s, g in labels.items() if g == 2]
        lookalikes = [pos[s] for s, g in labels.items() if g == 0]
        if not answers or not lookalikes:
            continue
        sc = scores(d)
        for a in answers:
            for b in lookalikes:
                total += 1
                right += sc[a] > sc[b]
    return right / total


# ---------------------------------------------------------------------------- baselines
def tfidf_scorer(ev: EvalSet) -> Callable[[dict], np.ndarray]:
    from .engine import TfidfCosine

    index = TfidfCosine([char_bigrams(supply_text(s)) for s in ev.supplies])
    return lambda d: index.scores(char_bigrams(demand_text(d)))


def word_bm25_scorer(ev: EvalSet) -> Callable[[dict], np.ndarray]:
    from . import text as T
    from .engine import BM25

    index = BM25([T.words(supply_text(s)) for s in ev.supplies])
    return lambda d: index.scores(T.words(demand_text(d)))


def supply_text(s: dict) -> str:
    return "\n".join(str(s.get(f) or "") for f in ("title", "keywords", "description"))


def demand_text(d: dict) -> str:
    return "\n".join(str(d.get(f) or "") for f in ("title", "keywords", "indicators", "description"))


def char_bigrams(text: str) -> list[str]:
    """Every pair of adjacent characters of the lower-cased text, spaces collapsed (as a
    character-n-gram vectoriser with n = 2 reads it)."""
    t = " ".join(text.lower().split())
    return [t[i:i + 2] for i in range(len(t) - 1)]


def gated_ranking(ev: EvalSet, scores: Callable[[dict], np.ndarray], supplies: list[dict]) -> dict[str, list[str]]:
    """Each demand's supplies by score, gate-failing ones left out, the first K with a score > 0."""
    ranked = {}
    for d in ev.demands:
        sc = scores(d)
        order = np.argsort(-sc, kind="stable")
        top = []
        for i in order:
            if sc[i] <= 0 or len(top) >= K:
                break
            if not gate_failures(d, supplies[i], ev.hnte_usccs, ev.as_of):
                top.append(supplies[i]["supply_no"])
        ranked[d["demand_no"]] = top
    return ranked


def _baseline(name: str, ev: EvalSet, scores: Callable[[dict], np.ndarray]) -> Scores:
    out = score_rankings(name, ev, gated_ranking(ev, scores, ev.supplies))
    out.lookalike = lookalike_order(ev, scores)
    return out


def tfidf_baseline(ev: EvalSet) -> Scores:
    return _baseline("bigram TF-IDF + gates", ev, tfidf_scorer(ev))


def word_bm25_baseline(ev: EvalSet) -> Scores:
    return _baseline("word BM25 + gates", ev, word_bm25_scorer(ev))
