"""Enterprise → chain nodes with a confidence and the evidence for each placement.

Evidence (docs/chains.md §assignment): the registered industry code against the node's GB/T 4754
classes or groups; template keywords found in 主营产品 (product), 经营范围 (scope) and patent titles
(patent). A node's exclusion terms veto its keyword evidence in the clause they occur in, and when a
look-alike term is all the products say, the code is vetoed too. A code claimed by several nodes
(e.g. 3841 for EV and storage cells and consumer batteries) places an enterprise only when it has no
product text that speaks to any node; product evidence always ranks first."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from .templates import Chain, Node, normalize_code
from .text import Spotter, clauses

# weights of the evidence (declared here once; the benchmark reports what they achieve)
W_CODE_SPECIFIC = 0.45   # the node is the only one claiming the enterprise's class
W_CODE_SHARED = 0.3      # class claimed by several nodes, or a 3-digit group match
W_PRODUCT = 0.45         # first product keyword; +0.1 for each further one
W_SCOPE = 0.25           # first scope keyword; +0.1 for each further one
W_PATENT = 0.1           # per patent title naming a keyword, at most 0.2
FALLBACK = 0.5           # a keyword found only across word boundaries counts half
PLACE = 0.3              # confidence needed to place an enterprise on a node
STALE_DAYS = 365
APPLICATION = re.compile(r"用于|应用于|适用于|配套于|供应给|面向")
TRADE = re.compile(r"批发|零售|贸易|经销|代理销售|进出口")
MAKING = re.compile(r"制造|生产|加工|研发|设计|组装")
LAYER_ORDER = {"upstream": 0, "midstream": 1, "downstream": 2}
CHIP_HEAD = "芯片"       # a product item ending in 芯片 is a chip, whatever it is for


@dataclass
class Assignment:
    uscc: str
    chain: Chain
    node: Node
    confidence: float
    evidence: list[dict]
    source: str = ""
    date: dt.date | None = None
    stale: bool = False
    manual: str | None = None  # 'confirm' when an officer confirmed it

    def as_dict(self) -> dict:
        return {"uscc": self.uscc, "chain": self.chain.id, "chain_name": self.chain.name,
                "node": self.node.id, "node_name": self.node.name, "layer": self.node.layer,
                "confidence": round(self.confidence, 3), "evidence": self.evidence,
                "source": self.source, "date": self.date.isoformat() if self.date else None,
                "stale": self.stale}


@dataclass
class _Hits:
    code: str = ""            # '' | 'specific' | 'shared'
    code_value: str = ""
    product: list[tuple[str, bool]] = field(default_factory=list)
    scope: list[tuple[str, bool]] = field(default_factory=list)
    patent: list[str] = field(default_factory=list)
    vetoed: bool = False      # the products name only this node's look-alikes


class Assigner:
    """Places enterprises on the nodes of the given chains."""

    def __init__(self, chains: dict[str, Chain]):
        self.chains = chains
        self.nodes = [(c, n) for c in chains.values() for n in c.nodes]
        self.by_keyword: dict[str, list[int]] = {}
        self.by_exclude: dict[str, list[int]] = {}
        self.by_code: dict[str, list[int]] = {}
        for i, (_, n) in enumerate(self.nodes):
            for k in n.keywords:
                self.by_keyword.setdefault(k, []).append(i)
            for k in n.exclude_keywords:
                self.by_exclude.setdefault(k, []).append(i)
            for code in n.industry_codes:
                self.by_code.setdefault(code, []).append(i)
        self.spotter = Spotter(set(self.by_keyword) | set(self.by_exclude))

    @classmethod
    def for_chains(cls, *chains: Chain) -> "Assigner":
        """One assigner per set of templates, kept (the tokenizer and indexes are built once)."""
        key = tuple((c.id, id(c)) for c in chains)
        got = _ASSIGNERS.get(key)
        if got is None:
            got = _ASSIGNERS[key] = cls({c.id: c for c in chains})
        return got

    # -- evidence ---------------------------------------------------------------------------
    def _codes(self, code: str, hits: dict[int, _Hits]) -> None:
        c = normalize_code(code)
        if not c:
            return
        exact = self.by_code.get(c, []) if len(c) == 4 else []
        group = [i for g, idx in self.by_code.items() if len(g) == 3 and c[:3] == g for i in idx]
        if len(c) == 3:  # an enterprise registered only to a group
            group += [i for g, idx in self.by_code.items() if len(g) == 4 and g[:3] == c for i in idx]
        for i in exact:
            h = hits.setdefault(i, _Hits())
            h.code, h.code_value = ("specific" if len(exact) == 1 else "shared"), code
        for i in set(group) - set(exact):
            h = hits.setdefault(i, _Hits())
            if not h.code:
                h.code, h.code_value = "shared", code

    def _other_chain(self, outer: str, inner: str) -> bool:
        """A keyword inside a longer one still counts when it names a node of another chain:
        纯电动环卫车 is on the NEV chain and, through 环卫车, on the automotive special-vehicle node."""
        outer_chains = {self.nodes[i][0].id for i in self.by_keyword.get(outer, [])}
        inner_chains = {self.nodes[i][0].id for i in self.by_keyword.get(inner, [])}
        return bool(outer_chains and inner_chains) and not inner_chains & outer_chains

    def _product_spans(self, clause: str, spans: list, trade: bool = False) -> list:
        """What a product item names, not what it is for or that it is traded: words after 用于 /
        before 用 (application), words of a 批发 / 贸易 item, and modifiers before a head word of
        another node (BMS模拟前端芯片 is a chip) are dropped."""
        m = APPLICATION.search(clause)
        cut = m.start() if m else len(clause)
        keep = []
        trade = trade or bool(TRADE.search(clause))
        for sp in spans:
            w, st, en, _ = sp
            if st >= cut or (clause[en:en + 1] == "用" and clause[en:en + 2] != "用于" and en + 1 < len(clause)):
                continue
            if trade and not TRADE.search(w):
                continue
            keep.append(sp)
        if keep and clause.endswith(CHIP_HEAD) and keep[-1][2] < len(clause):
            # "BMS模拟前端芯片": the words before the head say what the chip is for
            keep = [sp for sp in keep if sp[0] in self.by_exclude or any(
                CHIP_HEAD in k for i in self.by_keyword.get(sp[0], []) for k in self.nodes[i][1].keywords)]
        if len(keep) > 1:
            # modifiers before the head word: kept when they name a part the head is made of, a
            # node of the head's chain not downstream of it ("全钒液流电池储能系统" is a flow-battery
            # maker too); dropped when they say what it is for ("纯电动汽车电机控制器")
            last = keep[-1]
            head = set(self.by_keyword.get(last[0], []))
            head_at = {(self.nodes[i][0].id, LAYER_ORDER[self.nodes[i][1].layer]) for i in head}

            def part_of_head(word: str) -> bool:
                return any(c == self.nodes[i][0].id and LAYER_ORDER[self.nodes[i][1].layer] <= at
                           for i in self.by_keyword.get(word, []) for c, at in head_at)
            keep = [sp for sp in keep if sp[2] > last[1] or sp is last or sp[0] in self.by_exclude
                    or set(self.by_keyword.get(sp[0], [])) & head or part_of_head(sp[0])]
        return keep

    def _text(self, text: str, kind: str, hits: dict[int, _Hits]) -> None:
        # a products field that names trading and no making: the words are goods traded
        trade = kind == "product" and bool(TRADE.search(text or "")) and not MAKING.search(text or "")
        for clause in clauses(text):
            spans = self.spotter.spans(clause, self._other_chain)
            if kind != "scope":
                spans = self._product_spans(clause, spans, trade)
            vetoed = {i for w, *_ in spans for i in self.by_exclude.get(w, [])}
            named = set()
            for w, _s, _e, whole in spans:
                for i in self.by_keyword.get(w, []):
                    if i in vetoed:
                        continue
                    named.add(i)
                    h = hits.setdefault(i, _Hits())
                    lst = h.product if kind == "product" else h.scope if kind == "scope" else None
                    if lst is not None:
                        if all(x[0] != w for x in lst):
                            lst.append((w, whole))
                    elif w not in h.patent:
                        h.patent.append(w)
            if kind == "product":
                for i in vetoed - named:
                    hits.setdefault(i, _Hits()).vetoed = True

    @staticmethod
    def _weight(found: list[tuple[str, bool]], first: float, more: float, cap: float) -> float:
        total = 0.0
        for k, (_, whole) in enumerate(sorted(found, key=lambda x: not x[1])):
            total += (first if k == 0 else more) * (1 if whole else FALLBACK)
        return min(total, cap)

    # -- placement --------------------------------------------------------------------------
    def assign(self, enterprise: dict, patents: list[str] | None = None, *,
               chain: str | None = None) -> list[Assignment]:
        """The nodes one enterprise sits on, best first (empty when none)."""
        hits: dict[int, _Hits] = {}
        self._codes(enterprise.get("industry_code") or "", hits)
        self._text(enterprise.get("main_products") or "", "product", hits)
        self._text(enterprise.get("business_scope") or "", "scope", hits)
        for title in patents or []:
            self._text(title, "patent", hits)
        has_product = any(h.product for h in hits.values())
        product_chains = {self.nodes[i][0].id for i, h in hits.items() if h.product}
        has_text = bool((enterprise.get("main_products") or "").strip()
                        or (enterprise.get("business_scope") or "").strip())
        vetoed_any = any(h.vetoed for h in hits.values())
        products = enterprise.get("main_products") or ""
        trade_only = bool(TRADE.search(products)) and not MAKING.search(products)
        out = []
        for i, h in hits.items():
            c, n = self.nodes[i]
            if chain and c.id != chain:
                continue
            words = h.product or h.scope or h.patent
            if not words:
                # code alone: a class only this node claims, when the products say nothing else
                # and name no look-alike; a shared class only when there is no text at all
                if h.vetoed or vetoed_any or has_product or trade_only:
                    continue  # a pure trader is not placed by its wholesale class alone
                if h.code == "specific" and len(normalize_code(h.code_value)) == 4:
                    pass
                elif h.code and not has_text:
                    pass
                else:
                    continue
            if h.vetoed and not h.product:
                continue
            if has_product and not h.product and (not h.code or c.id in product_chains):
                continue  # another node's product evidence beats scope words and codes
            score = 0.0
            evidence = []
            if h.code:
                score += W_CODE_SPECIFIC if h.code == "specific" else W_CODE_SHARED
                evidence.append({"kind": "industry_code", "value": h.code_value})
            score += self._weight(h.product, W_PRODUCT, 0.1, 0.65)
            score += self._weight(h.scope, W_SCOPE, 0.1, 0.35)
            score += min(W_PATENT * len(h.patent), 0.2)
            evidence += [{"kind": "product", "value": w} for w, _ in h.product]
            evidence += [{"kind": "scope", "value": w} for w, _ in h.scope]
            evidence += [{"kind": "patent", "value": w} for w in h.patent]
            if score + 1e-9 < PLACE:
                continue
            out.append(Assignment(str(enterprise.get("uscc") or ""), c, n, min(score, 0.99), evidence))
        # product-backed placements first; among them higher confidence, then more specific words
        out.sort(key=lambda a: (-any(e["kind"] == "product" for e in a.evidence), -a.confidence,
                                -max((len(e["value"]) for e in a.evidence if e["kind"] == "product"), default=0),
                                a.chain.id, a.node.id))
        return out


_ASSIGNERS: dict[tuple, Assigner] = {}


def stale(day: dt.date | None, as_of: dt.date) -> bool:
    return day is not None and (as_of - day).days > STALE_DAYS
