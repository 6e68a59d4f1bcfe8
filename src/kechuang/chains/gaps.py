"""补链: for each weak or missing node of a region, enterprises elsewhere (the stored ledgers of
other regions) that sit on that node, ranked with reasons, and what else kechuang offers there:
open 揭榜 demands of the region that speak to the node, and the programs the candidates qualify
for (the programs engine over their profiles built from the ledgers)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl

from ..regions import name_of
from .status import RegionView, criteria, stored_assignments
from .templates import Chain, Node


@dataclass
class Candidate:
    uscc: str
    name: str
    region_code: str
    node: str
    score: float
    reasons: list[str]
    evidence: list[dict]
    programs: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"uscc": self.uscc, "name": self.name, "region_code": self.region_code, "node": self.node,
                "score": round(self.score, 3), "reasons": self.reasons, "evidence": self.evidence,
                "programs": self.programs}


@dataclass
class NodeGap:
    node: Node
    status: str
    candidates: list[Candidate]
    demands: list[dict]

    def as_dict(self) -> dict:
        return {"node": self.node.id, "node_name": self.node.name, "status": self.status,
                "candidates": [c.as_dict() for c in self.candidates], "demands": self.demands}


def _demands(conn, nodes: list[Node], region_codes: set[str] | None) -> list[dict]:
    """Open demands (已发布) of the region whose text names a keyword of the nodes (a node and
    those under it), without their look-alike words."""
    from ..ledgers import load_frame

    d = load_frame(conn, "demand", region_codes)
    if not d.height:
        return []
    out = []
    for r in d.filter(pl.col("status") == "published").iter_rows(named=True):
        text = " ".join(str(r.get(k) or "") for k in ("title", "description", "keywords", "indicators"))
        hit = next((k for n in nodes for k in n.keywords
                    if k in text and not any(x in text for x in n.exclude_keywords)), None)
        if hit:
            out.append({"demand_no": r["demand_no"], "title": r["title"], "term": hit,
                        "deadline": r["deadline"].isoformat() if r.get("deadline") else None})
    return out


def _programs(conn, usccs: set[str], as_of: dt.date) -> dict[str, list[str]]:
    """Credit code → names of the programs it passes, by the programs engine on its ledger profile."""
    if not usccs:
        return {}
    from ..ledgers import all_kinds, build_profiles, load_frame
    from ..programs.catalog import program_name
    from ..programs.engine import evaluate

    frames = {k.id: load_frame(conn, k, usccs=usccs) for k in all_kinds().values() if k.uscc_field}
    profiles = build_profiles(None, None, as_of, frames=frames)
    out: dict[str, list[str]] = {}
    if not profiles.height:
        return out
    for pid, res in evaluate(profiles, "all", as_of, gaps=False, flips=False).items():
        for u, result in res.summary().select("uscc", "result").iter_rows():
            if result == "pass":
                out.setdefault(u, []).append(program_name(pid))
    return out


def supplement(engine, view: RegionView, *, top: int | None = None, everywhere=None) -> list[NodeGap]:
    """补链 candidates and actions for the weak and missing nodes of ``view``; ``everywhere`` may
    give the placements of all regions' enterprises (as ``stored_assignments`` returns them)."""
    from ..regions import scope_of
    from ..regions import registry

    c = criteria().get("supplement") or {}
    top = top or int(c.get("top", 20))
    bonus = float(c.get("same_province_bonus", 0.1))
    chain: Chain = view.chain
    gaps = [ns for ns in view.nodes if ns.status in ("weak", "missing")]
    if not gaps:
        return []
    local = scope_of(view.region_code) if view.region_code else None
    province = view.region_code[:2] if view.region_code else None
    with engine.connect() as conn:
        placed, info = everywhere or stored_assignments(conn, chain, None, view.as_of)
        out = []
        for ns in gaps:
            node = chain.node(ns.node_id)
            covered = chain.subtree(node.id)  # a group node is supplied through the nodes under it
            rows = []
            revs = [info[u]["revenue"] or Decimal(0) for u, got in placed.items()
                    if any(a.node.id in covered for a in got)]
            top_rev = max(revs, default=Decimal(0))
            for u, got in placed.items():
                a = max((a for a in got if a.node.id in covered), key=lambda a: a.confidence, default=None)
                if a is None or local is None or info[u]["region_code"] in local:
                    continue
                i = info[u]
                rev = i["revenue"] or Decimal(0)
                score = 0.5 * a.confidence + (0.3 * float(rev / top_rev) if top_rev else 0.0)
                where = "在本节点" if a.node.id == node.id else f"在下级节点“{a.node.name}”"
                reasons = [where + "：" + "、".join(f"{_KIND[e['kind']]} {e['value']}" for e in a.evidence)]
                if rev:
                    reasons.append(f"销售收入 {rev:,.0f} 万元")
                if i["titles"]:
                    from ..ledgers import get_kind

                    labels = get_kind("certification").field("cert_type").enum_labels()
                    reasons.append("资质：" + "、".join(labels.get(t, t) for t in sorted(i["titles"])))
                    score += 0.1
                if province and i["region_code"][:2] == province:
                    reasons.append(f"同省({name_of(i['region_code'], full=True)})")
                    score += bonus
                else:
                    reasons.append(f"所在地：{name_of(i['region_code'], full=True)}")
                rows.append(Candidate(u, i["name"], i["region_code"], node.id, min(score, 1.0), reasons, a.evidence))
            rows.sort(key=lambda x: (-x.score, x.uscc))
            out.append(NodeGap(node, ns.status, rows[:top],
                               _demands(conn, [chain.node(n) for n in covered], local)))
        qualified = _programs(conn, {x.uscc for g in out for x in g.candidates}, view.as_of)
    for g in out:
        for x in g.candidates:
            x.programs = qualified.get(x.uscc, [])
    return out


_KIND = {"industry_code": "行业代码", "product": "主营产品", "scope": "经营范围", "patent": "专利", "manual": "人工确认"}
