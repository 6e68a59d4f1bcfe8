"""Rank supplies for demands: TF-IDF cosine over character bigrams and concepts (synonym and jargon
groups of synonyms.yaml) of title, keywords, indicators and description, BM25 over dictionary words
(jieba's dictionary with the platform's and the records' terms),
field and industry-code overlap, fused into one score in 0–1; a supply naming a look-alike concept
(a contrast of synonyms.yaml) instead of the demand's ranks lower. Then the gates (揭榜方地域,
揭榜方要求, 榜额, 截止日期, 利益冲突). A relevant supply failing a gate is a near miss (rank null)
naming the gate; every reason's evidence is a substring of its record."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any, Iterable

import numpy as np

from . import text as T

DEMAND_TEXT = ("title", "keywords", "indicators", "description")
SUPPLY_TEXT = ("title", "keywords", "description")
DEMAND_LABELS = {"title": "需求名称", "keywords": "关键词", "indicators": "技术指标", "description": "需求描述"}
SUPPLY_LABELS = {"title": "名称", "keywords": "关键词", "description": "简介"}
MIN_SCORE = 0.01  # below this a supply is not relevant to the demand
CODES_AFTER = 0.02  # field and industry codes count once the texts share this much
DUPLICATE_JACCARD = 0.85
W_NGRAMS, W_WORDS, W_CODES = 0.7, 0.3, 0.15
CONCEPT_WEIGHT = 5  # a concept counts as this many bigrams (twice that when the title names it)
LOOKALIKE = 0.6  # score factor of a supply naming a contrasting concept and not the demand's
NEAR_MISS_WINDOW = 3  # a gate-failing supply among the first 3K by score is a near miss


class TfidfCosine:
    """TF-IDF vectors (idf = ln((1 + N)/(1 + df)) + 1; tf raw, or 1 + ln tf when ``sublinear``),
    l2-normalised; ``scores`` is the cosine of a query with every document."""

    def __init__(self, docs: list[list[str]], *, sublinear: bool = False):
        self.n = len(docs)
        self.sublinear = sublinear
        counts = [Counter(d) for d in docs]
        df = Counter(t for c in counts for t in c)
        self.idf = {t: math.log((1 + self.n) / (1 + v)) + 1 for t, v in df.items()}
        ids: dict[str, list[int]] = {}
        vals: dict[str, list[float]] = {}
        for i, c in enumerate(counts):
            w = self._weights(c)
            norm = math.sqrt(sum(x * x for x in w.values())) or 1.0
            for t, x in w.items():
                ids.setdefault(t, []).append(i)
                vals.setdefault(t, []).append(x / norm)
        self.postings = {t: (np.array(ids[t], dtype=np.int64), np.array(vals[t])) for t in ids}

    def _weights(self, c: Counter) -> dict[str, float]:
        if self.sublinear:
            return {t: (1 + math.log(tf)) * self.idf[t] for t, tf in c.items() if t in self.idf}
        return {t: tf * self.idf[t] for t, tf in c.items() if t in self.idf}

    def scores(self, query: Iterable[str]) -> np.ndarray:
        w = self._weights(Counter(query))
        norm = math.sqrt(sum(x * x for x in w.values())) or 1.0
        out = np.zeros(self.n)
        for t, x in w.items():
            idx, v = self.postings[t]
            out[idx] += v * (x / norm)
        return out


class BM25:
    """Okapi BM25 (idf = ln(1 + (N − n + 0.5)/(n + 0.5)), never negative) with each term's weight
    divided by k1 + 1, and a query's score divided by its idf mass: 1.0 means every query term
    occurs often in the document."""

    def __init__(self, docs: list[list[str]], k1: float = 1.2, b: float = 0.75):
        self.n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        avg = float(lengths.mean()) if self.n and lengths.sum() else 1.0
        norm = k1 * (1 - b + b * lengths / avg)
        post_docs: dict[str, list[int]] = {}
        post_tf: dict[str, list[int]] = {}
        for i, d in enumerate(docs):
            for t, tf in Counter(d).items():
                post_docs.setdefault(t, []).append(i)
                post_tf.setdefault(t, []).append(tf)
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.idf: dict[str, float] = {}
        for t, ids in post_docs.items():
            idx = np.array(ids, dtype=np.int64)
            tf = np.array(post_tf[t], dtype=np.float64)
            self.postings[t] = (idx, tf / (tf + norm[idx]))
            self.idf[t] = math.log(1 + (self.n - len(ids) + 0.5) / (len(ids) + 0.5))
        self.unseen_idf = math.log(1 + (self.n + 0.5) / 0.5)

    def scores(self, query: Iterable[str]) -> np.ndarray:
        out = np.zeros(self.n, dtype=np.float64)
        mass = 0.0
        for t in set(query):
            if t in self.postings:
                idx, w = self.postings[t]
                out[idx] += self.idf[t] * w
                mass += self.idf[t]
            else:  # a term no supply has still counts, half, against the query
                mass += 0.5 * self.unseen_idf
        return out / mass if mass else out


@lru_cache(maxsize=1)
def _domain_lookup() -> dict[str, str]:
    """高新技术领域 names and aliases → domain id (the enterprise ledger's enum: one vocabulary)."""
    from ..ledgers import get_kind

    f = get_kind("enterprise").field("hitech_domain")
    return {**{k: v for k, v in f.enum_lookup().items()}}


def domain_of(value: Any) -> str | None:
    if not value:
        return None
    from ..ledgers.kinds import normalize_header

    s = normalize_header(value)
    return _domain_lookup().get(s) or s


@lru_cache(maxsize=4096)
def _region_parents(code: str | None) -> tuple[str | None, str | None]:
    """(province code, prefecture code) of a region (itself included)."""
    if not code:
        return None, None
    from ..regions import registry

    reg = registry()
    r = reg.get(code)
    if r is None:
        return None, None
    chain = [*reg.ancestors(code), r]
    prov = next((x.code for x in chain if x.level == "province"), None)
    pref = next((x.code for x in chain if x.level == "prefecture"), None)
    return prov, pref or prov  # a municipality (北京市) is its own city


def _region_name(code: str | None) -> str:
    """A region in a match's reasons: its full name, "未填写" where none is recorded."""
    from ..regions import name_of

    return name_of(code, full=True) or "未填写"


def _money(v) -> str:
    d = Decimal(str(v)).normalize()
    return f"{d:f}"


@dataclass
class Result:
    demand: str
    supply: str
    rank: int | None
    score: float
    status: str
    gates: list[dict]
    reasons: list[dict]

    def as_dict(self) -> dict:
        return {"demand": self.demand, "supply": self.supply, "rank": self.rank, "score": self.score,
                "status": self.status, "gates": self.gates, "reasons": self.reasons}


@dataclass
class MatchRun:
    results: list[Result] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    duplicates: dict[str, str] = field(default_factory=dict)  # demand_no → the demand it was merged into


class Matcher:
    """An index of supplies; ``match(demand)`` ranks them for one demand."""

    def __init__(self, supplies: list[dict], *, hnte_usccs: set[str] | None = None):
        self.supplies = [s for s in supplies if s.get("status") != "withdrawn"]
        self.hnte_usccs = hnte_usccs
        T.add_terms(s.get("keywords") for s in self.supplies)
        self.texts = [{f: str(s.get(f) or "") for f in SUPPLY_TEXT} for s in self.supplies]
        self.joined = ["\n".join(t.values()) for t in self.texts]
        self.concepts = [T.concepts(j) for j in self.joined]
        self.ngrams = TfidfCosine([_ngram_doc([t["title"]], [t["keywords"], t["description"]], c)
                                   for t, c in zip(self.texts, self.concepts)], sublinear=True)
        tokens = [{f: T.words(t[f]) for f in SUPPLY_TEXT} for t in self.texts]
        self.words = BM25([w["title"] * 2 + w["keywords"] + w["description"] for w in tokens])
        self.word_sets = [set().union(*w.values()) for w in tokens]
        holders: dict[str, list[int]] = {}
        for i, c in enumerate(self.concepts):
            for k in c:
                holders.setdefault(k, []).append(i)
        self.concept_holders = {k: np.array(v, dtype=np.int64) for k, v in holders.items()}
        self.domains = np.array([domain_of(s.get("field")) or "" for s in self.supplies], dtype=object)
        codes = [str(s.get("industry_code") or "") for s in self.supplies]
        self.code_digits = [np.array([c[1:1 + n] if len(c) >= n + 1 else "" for c in codes], dtype=object)
                            for n in (2, 3, 4)]
        self.code_section = np.array([c[:1] for c in codes], dtype=object)

    # ------------------------------------------------------------------ relevance
    def scores(self, demand: dict) -> np.ndarray:
        dtexts = [str(demand.get(f) or "") for f in DEMAND_TEXT]
        dcon = T.concepts("\n".join(dtexts))
        q_words = T.words(dtexts[0]) * 2 + [w for t in dtexts[1:] for w in T.words(t)]
        text = (W_NGRAMS * self.ngrams.scores(_ngram_doc(dtexts[:1], dtexts[1:], dcon))
                + W_WORDS * np.minimum(self.words.scores(q_words), 1.0))
        text *= self._lookalike(dcon)
        code, parts = np.zeros(len(self.supplies)), 0
        dom = domain_of(demand.get("field"))
        if dom:
            code += (self.domains == dom)
            parts += 1
        ic = str(demand.get("industry_code") or "")
        if len(ic) >= 3:
            ind = 0.1 * (self.code_section == ic[:1])
            for n, w in zip((2, 3, 4), (0.4, 0.7, 1.0)):
                if len(ic) >= n + 1:
                    ind = np.where(self.code_digits[n - 2] == ic[1:1 + n], w, ind)
            code += ind
            parts += 1
        if parts:
            code /= parts
            # codes confirm the text; on their own they do not make a supply relevant
            return np.clip((text + W_CODES * code * (text > CODES_AFTER)) / (1 + W_CODES), 0, 1)
        return np.clip(text, 0, 1)

    def _lookalike(self, dcon: dict[str, str]) -> np.ndarray:
        """LOOKALIKE for supplies naming a concept that contrasts with one of the demand's (铅酸电池
        for a 锂电 demand) and not the demand's own concept of that contrast; 1 elsewhere."""
        factor = np.ones(len(self.supplies))
        for group in T.synonyms().contrasts:
            mine = group & dcon.keys()
            if not mine:
                continue
            other = np.zeros(len(self.supplies), dtype=bool)
            own = np.zeros(len(self.supplies), dtype=bool)
            for c in group:
                idx = self.concept_holders.get(c)
                if idx is not None:
                    (own if c in mine else other)[idx] = True
            factor[other & ~own] = LOOKALIKE
        return factor

    # ------------------------------------------------------------------ gates
    def gates(self, demand: dict, s: dict, as_of: dt.date) -> list[dict]:
        out = []
        sr = demand.get("solver_region") or "any"
        if sr in ("province", "city"):
            dprov, dcity = _region_parents(demand.get("region_code"))
            sprov, scity = _region_parents(s.get("region_code"))
            want = dprov if sr == "province" else dcity
            have = sprov if sr == "province" else scity
            ok = want is not None and have == want
            scope = "省内" if sr == "province" else "市内"
            out.append({"id": "solver_region", "passed": ok,
                        "text": f"揭榜方地域限{scope}（{_region_name(want)}）；供给方所在地区：{_region_name(s.get('region_code'))}"
                                + ("" if ok else "，不符合")})
        st = demand.get("solver_type") or "any"
        if st != "any":
            ot = s.get("owner_type")
            ot_label = {"university": "高校", "institute": "科研院所", "enterprise": "企业",
                        "new_rd": "新型研发机构"}.get(ot, "未填写")
            if st == "academic":
                ok = ot in ("university", "institute")
                text = f"揭榜方要求高校院所；供给方单位类型：{ot_label}"
            elif st == "enterprise":
                ok = ot == "enterprise"
                text = f"揭榜方要求企业；供给方单位类型：{ot_label}"
            else:
                hnte, source = self._is_hnte(s, as_of)
                ok = ot == "enterprise" and hnte is True
                state = {True: "是有效高新技术企业", False: "不是有效高新技术企业", None: "未能确认为有效高新技术企业"}[hnte]
                text = f"揭榜方要求高新技术企业；供给方（{ot_label}）{state}（{source}）"
            out.append({"id": "solver_type", "passed": ok, "text": text + ("" if ok else "，不符合")})
        budget, price = demand.get("budget"), s.get("price")
        if budget is not None and price is not None:
            ok = Decimal(str(price)) <= Decimal(str(budget))
            out.append({"id": "budget", "passed": ok,
                        "text": f"意向价格 {_money(price)} 万元{'不超过' if ok else '超过'}榜额 {_money(budget)} 万元"})
        deadline = demand.get("deadline")
        if deadline is not None:
            ok = deadline >= as_of
            out.append({"id": "deadline", "passed": ok,
                        "text": f"揭榜截止日期 {deadline.isoformat()}" + ("，尚未截止" if ok else "，已过期")
                                + f"（对照日期 {as_of.isoformat()}）"})
        du, su = demand.get("uscc"), s.get("uscc")
        if du and su:
            ok = du != su
            out.append({"id": "conflict", "passed": ok,
                        "text": "供给方与发榜单位不是同一单位" if ok
                        else f"供给方与发榜单位是同一单位（信用代码 {su}），存在利益冲突"})
        return out

    def _is_hnte(self, s: dict, as_of: dt.date) -> tuple[bool | None, str]:
        u = s.get("uscc")
        if self.hnte_usccs is not None and u:
            return u in self.hnte_usccs, f"资质荣誉台账，{as_of.isoformat()}"
        v = s.get("has_hnte")
        return (None if v is None else bool(v)), "供给信息“有效高企”栏"

    # ------------------------------------------------------------------ reasons
    def reasons(self, demand: dict, i: int, dwords: set[str] | None = None,
                dcon: dict[str, str] | None = None) -> list[dict]:
        s = self.supplies[i]
        stexts = self.texts[i]
        dtexts = {f: str(demand.get(f) or "") for f in DEMAND_TEXT}
        if dwords is None:
            dwords = {w for f in DEMAND_TEXT for w in T.words(dtexts[f])}
        if dcon is None:
            dcon = T.concepts("\n".join(dtexts.values()))
        out: list[dict] = []
        seen: list[str] = []
        # longer terms first, then rarer: "中水回用" rather than "中水"
        common = sorted(dwords & self.word_sets[i], key=lambda w: (-len(w), -self.words.idf.get(w, 0), w))
        for w in common:
            if len(out) >= 5 or any(w in x or x in w for x in seen):
                continue
            d_ev = _evidence(dtexts, w)
            s_ev = _evidence(stexts, w)
            if d_ev and s_ev:
                seen.append(w)
                out.append({"kind": "term", "text": f"共同术语“{w}”：需求的{DEMAND_LABELS[d_ev[0]]}与供给的{SUPPLY_LABELS[s_ev[0]]}均提及",
                            "demand_evidence": d_ev[1], "supply_evidence": s_ev[1]})
        synonyms = 0
        for c in sorted(dcon.keys() & self.concepts[i].keys()):
            a, b = dcon[c], self.concepts[i][c]
            if synonyms >= 3 or a == b or any(a in x or b in x for x in seen):
                continue
            d_ev, s_ev = _evidence(dtexts, a), _evidence(stexts, b)
            if d_ev and s_ev:
                seen += [a, b]
                synonyms += 1
                out.append({"kind": "synonym",
                            "text": f"同义术语：需求的{DEMAND_LABELS[d_ev[0]]}称“{d_ev[2]}”，供给的{SUPPLY_LABELS[s_ev[0]]}称“{s_ev[2]}”（同指{c}）",
                            "demand_evidence": d_ev[1], "supply_evidence": s_ev[1]})
        joined = self.joined[i]
        phrases = 0
        for f in DEMAND_TEXT:
            for p in _common_runs(dtexts[f], joined):
                if phrases >= 3 or any(p in x or x in p for x in seen):
                    continue
                s_ev = _evidence(stexts, p)
                d_ev = _evidence(dtexts, p)
                if s_ev and d_ev:
                    seen.append(p)
                    phrases += 1
                    out.append({"kind": "phrase", "text": f"相同字串“{p}”：见于需求的{DEMAND_LABELS[d_ev[0]]}与供给的{SUPPLY_LABELS[s_ev[0]]}",
                                "demand_evidence": d_ev[1], "supply_evidence": s_ev[1]})
        dom, sdom = domain_of(demand.get("field")), domain_of(s.get("field"))
        if dom and dom == sdom:
            out.append({"kind": "field", "text": f"技术领域相同：{demand['field']}",
                        "demand_evidence": str(demand["field"]), "supply_evidence": str(s["field"])})
        dc, sc = str(demand.get("industry_code") or ""), str(s.get("industry_code") or "")
        if len(dc) >= 3 and len(sc) >= 3 and dc[:3] == sc[:3]:
            n = 3
            while n < min(len(dc), len(sc)) and dc[n] == sc[n]:
                n += 1
            level = {3: "大类", 4: "中类", 5: "小类"}.get(n, "小类")
            out.append({"kind": "industry_code", "text": f"行业代码同属{level}“{dc[:n]}”（GB/T 4754）",
                        "demand_evidence": dc, "supply_evidence": sc})
        return out

    # ------------------------------------------------------------------ one demand
    def match(self, demand: dict, *, top: int = 10, as_of: dt.date | None = None) -> list[Result]:
        as_of = as_of or dt.date.today()
        if not self.supplies:
            return []
        sc = self.scores(demand)
        dwords = {w for f in DEMAND_TEXT for w in T.words(str(demand.get(f) or ""))}
        dcon = T.concepts("\n".join(str(demand.get(f) or "") for f in DEMAND_TEXT))
        n_cand = min(len(sc), top * (NEAR_MISS_WINDOW + 3) + 20)
        cand = np.argpartition(-sc, n_cand - 1)[:n_cand] if n_cand < len(sc) else np.arange(len(sc))
        cand = sorted((int(i) for i in cand if sc[i] >= MIN_SCORE), key=lambda i: (-sc[i], i))
        matches, misses = [], []
        # a gate-failing supply is a near miss when it scores at least as high as the K-th match or
        # is among the first 2K by score (K matches and K near misses at most)
        for n, i in enumerate(cand):
            if len(matches) >= top and (n >= NEAR_MISS_WINDOW * top or len(misses) >= top):
                break
            gates = self.gates(demand, self.supplies[i], as_of)
            if all(g["passed"] for g in gates):
                if len(matches) < top:
                    matches.append((i, gates))
            elif len(misses) < top:
                misses.append((i, gates))
        out = []
        for rank, (i, gates) in enumerate(matches, 1):
            out.append(Result(str(demand["demand_no"]), str(self.supplies[i]["supply_no"]), rank,
                              round(float(sc[i]), 4), "match", gates, self.reasons(demand, i, dwords, dcon)))
        for i, gates in misses:
            out.append(Result(str(demand["demand_no"]), str(self.supplies[i]["supply_no"]), None,
                              round(float(sc[i]), 4), "near_miss", gates, self.reasons(demand, i, dwords, dcon)))
        out.sort(key=lambda r: (-r.score, r.rank is None, r.rank or 0))
        return out


_CLAUSE = re.compile(r"[，。；;,！？!?\n]")


def _evidence(texts: dict[str, str], term: str) -> tuple[str, str, str] | None:
    """(field, the clause of that field holding ``term``, the term as written there); None when absent."""
    for f, t in texts.items():
        m = re.search(re.escape(term), t, flags=re.IGNORECASE)
        if not m:
            continue
        start, end = m.start(), m.end()
        left = max((x.end() for x in _CLAUSE.finditer(t, 0, start)), default=0)
        right = next((x.start() for x in _CLAUSE.finditer(t, end)), len(t))
        left, right = max(left, start - 20), min(right, end + 20)
        return f, t[left:right].strip() or m.group(0), m.group(0)
    return None


def _ngram_doc(heads: list[str], rest: list[str], concepts: dict[str, str]) -> list[str]:
    """Bigrams of the title and of the other texts, and concepts as CONCEPT_WEIGHT tokens each;
    the title (it names the need) counts twice."""
    out = [g for t in heads for g in T.bigrams(t)] * 2 + [g for t in rest for g in T.bigrams(t)]
    titled = T.concepts("\n".join(heads))
    out += [f"§{c}" for c in concepts for _ in range(CONCEPT_WEIGHT * (1 + (c in titled)))]
    return out


def _common_runs(a: str, b: str, min_len: int = 3) -> list[str]:
    """Maximal runs of Chinese characters of ``a`` (≥ min_len) that also occur in ``b``."""
    out = []
    i = 0
    while i < len(a) - 1:
        if not ("\u4e00" <= a[i] <= "\u9fff") or a[i:i + 2] not in b:
            i += 1
            continue
        j = i + 2
        while j < len(a) and "\u4e00" <= a[j] <= "\u9fff" and a[i:j + 1] in b:
            j += 1
        run = a[i:j]
        if len(run) >= min_len and not all(w in T.STOP for w in T.words(run)):
            out.append(run)
        i = j
    return out


def collapse_duplicates(demands: list[dict]) -> tuple[list[dict], dict[str, str]]:
    """Demands whose title+description share ≥ 85 % of their character bigrams (Jaccard) with an
    earlier one are merged into it; candidates are found through a bottom-4 sketch, then checked."""
    kept: list[dict] = []
    merged: dict[str, str] = {}
    buckets: dict[tuple, list[int]] = {}
    sets: list[set[str]] = []
    for d in demands:
        sh = T.shingles(f"{d.get('title') or ''}{d.get('description') or ''}")
        sketch = tuple(sorted(sh, key=hash)[:4]) if sh else None
        hit = None
        for sk in {sketch, tuple(sorted(sh)[:4]) if sh else None} - {None}:
            for j in buckets.get(sk, []):
                other = sets[j]
                if len(sh & other) / max(len(sh | other), 1) >= DUPLICATE_JACCARD:
                    hit = j
                    break
            if hit is not None:
                break
        if hit is not None:
            merged[str(d["demand_no"])] = str(kept[hit]["demand_no"])
            continue
        kept.append(d)
        sets.append(sh)
        for sk in {sketch, tuple(sorted(sh)[:4]) if sh else None} - {None}:
            buckets.setdefault(sk, []).append(len(kept) - 1)
    return kept, merged


def run(demands: list[dict], supplies: list[dict], *, top: int = 10, as_of: dt.date | None = None,
        hnte_usccs: set[str] | None = None) -> MatchRun:
    """Match every demand (near-duplicates collapsed into the first) against the supplies."""
    as_of = as_of or dt.date.today()
    kept, merged = collapse_duplicates(demands)
    out = MatchRun(duplicates=merged)
    for dup, first in merged.items():
        out.notes.append(f"需求 {dup} 与需求 {first} 的名称和描述近似重复，已合并，只输出 {first} 的匹配结果")
    T.add_terms(d.get("keywords") for d in kept)
    matcher = Matcher(supplies, hnte_usccs=hnte_usccs)
    for d in kept:
        out.results.extend(matcher.match(d, top=top, as_of=as_of))
    return out
