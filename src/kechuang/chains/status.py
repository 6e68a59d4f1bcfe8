"""A chain in a region: every stored enterprise placed on its nodes (computed from the ledgers,
officers' verdicts applied), each node's status by the declared rules (criteria.yaml) with the rule
that decided it, and 链主 candidates by the declared criteria."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import polars as pl
import sqlalchemy as sa
import yaml

from .assign import Assigner, Assignment, stale
from .store import kept, ledger, place_in_slices, titles_in
from .templates import LAYERS, Chain, chains, override_dir

STATUS_NAMES = {"present": "强", "weak": "弱", "missing": "缺"}
COND_TEXT = {"enterprises": ("企业", "家"), "revenue": ("销售收入合计", "万元"), "certified": ("有效资质企业", "家")}


@lru_cache(maxsize=4)
def _criteria(path: str) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def criteria() -> dict:
    own = override_dir()
    p = own / "criteria.yaml" if own and (own / "criteria.yaml").is_file() else Path(__file__).with_name("criteria.yaml")
    return _criteria(str(p))


@dataclass
class NodeStatus:
    chain: Chain
    node_id: str
    node_name: str
    layer: str
    status: str
    enterprises: int
    revenue: Decimal
    certified: int
    leaders: list[str]
    reason: str
    leader_reasons: dict[str, str] = field(default_factory=dict)
    members: list[Assignment] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"chain": self.chain.id, "node": self.node_id, "node_name": self.node_name, "layer": self.layer,
                "status": self.status, "enterprises": self.enterprises, "leaders": self.leaders,
                "reason": self.reason, "chain_name": self.chain.name, "revenue": str(self.revenue),
                "certified": self.certified,
                "stale": sum(1 for a in self.members if a.stale)}


@dataclass
class RegionView:
    chain: Chain
    region_code: str | None
    as_of: dt.date
    nodes: list[NodeStatus]
    info: dict[str, dict]  # uscc → name, region_code, revenue, titles

    def node(self, node_id: str) -> NodeStatus:
        return next(n for n in self.nodes if n.node_id == node_id)


def _num(v) -> str:
    return f"{v:,.0f}" if isinstance(v, (int, Decimal, float)) else str(v)


def decide_status(stats: dict, rules: list[dict]) -> tuple[str, str]:
    """(status, reason): the first rule whose conditions hold, worded with the figures."""
    for rule in rules:
        all_ = rule.get("all") or {}
        any_ = rule.get("any") or {}
        ok_all = all(stats[k] >= v for k, v in all_.items())
        ok_any = not any_ or any(stats[k] >= v for k, v in any_.items())
        if ok_all and ok_any:
            parts = [f"{COND_TEXT[k][0]} {_num(stats[k])} {COND_TEXT[k][1]} ≥ {_num(v)}" for k, v in all_.items()]
            held = [f"{COND_TEXT[k][0]} {_num(stats[k])} {COND_TEXT[k][1]} ≥ {_num(v)}"
                    for k, v in any_.items() if stats[k] >= v]
            if held:
                parts.append("且" + "或".join(held))
            why = "；".join(parts) or f"企业 {stats['enterprises']} 家"
            return rule["status"], f"{STATUS_NAMES[rule['status']]}：{why}"
    return "missing", f"缺：企业 {stats['enterprises']} 家"


def stored_assignments(conn, chain: Chain | None, region_codes: set[str] | None, as_of: dt.date
                       ) -> tuple[dict[str, list[Assignment]], dict[str, dict]]:
    """Placements on ``chain`` (None: every chain) of the stored enterprises of the regions (None:
    all), officers' verdicts applied, with (uscc → name, region_code, revenue, titles). The
    enterprises are placed a slice of credit codes at a time (`store.place_in_slices`), each slice
    with its own records, titles, revenue and certificates: at province size memory holds what is
    kept (the placed enterprises), not every enterprise's records at once."""
    from ..ledgers.store import LedgerRecord
    from ..ledgers.validity import valid_on_expr
    from . import decisions

    ent = ledger(conn, "enterprise", region_codes)
    if not ent.height:
        return {}, {}
    T = LedgerRecord.__table__
    years = ledger(conn, "enterprise_year", region_codes)
    latest = years.filter(pl.col("revenue").is_not_null()).sort("year").group_by("uscc").last() \
        .select("uscc", "revenue") if years.height else None
    certs = ledger(conn, "certification", region_codes)
    valid = certs.filter(valid_on_expr(as_of)).select("uscc", "cert_type") if certs.height else None
    every = chains()
    which = [chain] if chain is not None else list(every.values())
    verdicts = {c.id: decisions.load(conn, c.id) for c in which}
    placed: dict[str, list[Assignment]] = {}
    info: dict[str, dict] = {}
    for (lo, hi), records, computed in place_in_slices(conn, ent, region_codes):

        def within(frame):
            return frame.filter(pl.col("uscc").is_between(pl.lit(lo), pl.lit(hi)))

        q = sa.select(T.c.uscc, T.c.updated_at).where(T.c.kind == "enterprise", T.c.uscc.between(lo, hi))
        if region_codes is not None:
            q = q.where(T.c.region_code.in_(sorted(region_codes)))
        updated = {u: (at.date() if hasattr(at, "date") else dt.date.fromisoformat(str(at)[:10]))
                   for u, at in conn.execute(q).all()}
        revenue: dict[str, Decimal] = dict(within(latest).iter_rows()) if latest is not None else {}
        held: dict[str, set[str]] = {}
        if valid is not None:
            for u, t in within(valid).iter_rows():
                held.setdefault(u, set()).add(t)
        for r in records:
            u = r["uscc"]
            found = computed[u]
            when = updated.get(u)
            by_chain: dict[str, list[Assignment]] = {}
            for a in found:
                by_chain.setdefault(a.chain.id, []).append(a)
            got = []
            for c in which:
                mine, verdict = by_chain.get(c.id, []), verdicts[c.id].get(u)
                if not mine and not verdict:
                    continue
                for a in mine:
                    a.source, a.date = "企业台账", when
                got += decisions.apply(c, u, mine, verdict)
            for a in got:
                a.stale = stale(a.date, as_of)
            if got:
                placed[u] = got
                info[u] = {"name": r["name"], "region_code": r["region_code"], "revenue": revenue.get(u),
                           "titles": held.get(u, set()), "industry_code": r.get("industry_code"),
                           "main_products": r.get("main_products")}
    return placed, info


def region_view(engine, region_code: str | None, chain: Chain, *, as_of: dt.date | None = None) -> RegionView:
    """Node status and 链主 candidates of ``chain`` in the region's subtree (None: everywhere)."""
    from ..regions import scope_of

    as_of = as_of or dt.date.today()
    if isinstance(engine, sa.Connection):
        placed, info = stored_assignments(engine, chain, scope_of(region_code), as_of)
    else:
        with engine.connect() as conn:
            placed, info = stored_assignments(conn, chain, scope_of(region_code), as_of)
    return build_view(chain, region_code, as_of, placed, info)


def build_view(chain: Chain, region_code: str | None, as_of: dt.date, placed: dict[str, list[Assignment]],
               info: dict[str, dict]) -> RegionView:
    placed = {u: mine for u, got in placed.items() if (mine := [a for a in got if a.chain.id == chain.id])}
    crit = criteria()
    titles = set(crit.get("titles") or [])
    members: dict[str, dict[str, Assignment]] = {n.id: {} for n in chain.nodes}
    parents = {n.id: n.parent for n in chain.nodes}
    for got in placed.values():
        for a in got:
            nid = a.node.id
            while nid:  # a node counts the enterprises of the nodes under it
                have = members[nid].get(a.uscc)
                if have is None or have.confidence < a.confidence:
                    members[nid][a.uscc] = a
                nid = parents.get(nid)
    nodes: list[NodeStatus] = []
    for n in chain.nodes:
        ms = sorted(members[n.id].values(), key=lambda a: (-(info[a.uscc]["revenue"] or 0), a.uscc))
        stats = {"enterprises": len(ms),
                 "revenue": sum((info[a.uscc]["revenue"] or Decimal(0) for a in ms), Decimal(0)),
                 "certified": sum(1 for a in ms if info[a.uscc]["titles"] & titles)}
        status, reason = decide_status(stats, crit["status"])
        nodes.append(NodeStatus(chain, n.id, n.name, n.layer, status, stats["enterprises"], stats["revenue"],
                                stats["certified"], [], reason, members=ms))
    upstream = {a.uscc for ns in nodes if ns.layer == "upstream" for a in ns.members}
    _leaders(nodes, upstream, info, crit["leaders"])
    return RegionView(chain, region_code, as_of, nodes, info)


def _leaders(nodes: list[NodeStatus], upstream: set[str], info: dict[str, dict], c: dict) -> None:
    """链主 candidates of each node by the declared criteria, with the figures that qualified them."""
    from ..ledgers import get_kind

    labels = get_kind("certification").field("cert_type").enum_labels()
    for ns in nodes:
        if ns.layer not in c["layers"] or not ns.members or ns.revenue <= 0:
            continue
        rank = {a.uscc: k for k, a in enumerate(ns.members, 1)}  # members come in revenue order
        cands = []
        for a in ns.members:
            suppliers = len(upstream) - (a.uscc in upstream)  # the local upstream enterprises but itself
            rev = info[a.uscc]["revenue"] or Decimal(0)
            if rev < c["revenue"] or rank[a.uscc] > c["revenue_rank"] or suppliers < c["upstream_suppliers"]:
                continue
            got = sorted(info[a.uscc]["titles"] & set(c["titles"]))
            cands.append((len(got), rev, a.uscc, rank[a.uscc], suppliers, got))
        cands.sort(key=lambda x: (-x[0], -x[1], x[2]))
        for n_t, rev, u, k, suppliers, got in cands[: c["top"]]:
            ns.leaders.append(u)
            ns.leader_reasons[u] = (f"销售收入 {_num(rev)} 万元(≥ {_num(c['revenue'])})，本节点第 {k} 名"
                                    f"(前 {c['revenue_rank']} 名)；本地上游企业 {suppliers} 家(≥ {c['upstream_suppliers']})"
                                    + (f"；资质：{'、'.join(labels.get(t, t) for t in got)}" if got else ""))


def layer_name(layer: str) -> str:
    return LAYERS.get(layer, layer)


def cached_placements(engine, region_code: str | None, as_of: dt.date):
    """Every chain's placements of the region's stored enterprises (None: all regions), kept in the
    view cache until the data change (kechuang.cache): demo-setup picks its examples among every
    chain's and hands each chain its share (`cached_chain_placements`) from one pass."""
    from ..cache import cached
    from ..regions import scope_of

    def compute():
        with engine.connect() as conn:
            return stored_assignments(conn, None, scope_of(region_code), as_of)

    return cached(("chains.placed", str(engine.url), id(chains()), region_code, as_of), compute)


def cached_chain_placements(engine, region_code: str | None, chain: Chain, as_of: dt.date, *, whole=None):
    """One chain's placements of the region's stored enterprises (None: all regions), kept in the
    view cache and on disk per data version (store.kept), so that a restarted server's first view
    of the chain reads them back. Computed for this chain alone: a page holds one chain's share,
    not every chain's (at 1,000,000 enterprises every chain's took 1.6 GB); ``whole``, every
    chain's placements already computed (`cached_placements`), gives the share without a pass."""
    from ..cache import cached
    from ..regions import scope_of

    def compute():
        if whole is not None:
            placed, info = whole
            mine = {u: got for u, got in placed.items() if any(a.chain.id == chain.id for a in got)}
            return mine, {u: info[u] for u in mine}
        with engine.connect() as conn:
            return stored_assignments(conn, chain, scope_of(region_code), as_of)

    key = ("chains.chain", region_code, chain.id, as_of.isoformat())
    return cached(key + (str(engine.url), id(chains())), lambda: kept(engine, key, compute))


def cached_view(engine, region_code: str | None, chain: Chain, as_of: dt.date) -> RegionView:
    from ..cache import cached

    def compute():
        placed, info = cached_chain_placements(engine, region_code, chain, as_of)
        return build_view(chain, region_code, as_of, placed, info)

    return cached(("chains.view", str(engine.url), id(chains()), region_code, chain.id, as_of), compute)


def warm(engine) -> None:
    """Read back the chain views kept on disk for today's current data (a server's start): the
    first view of those chain pages is then served from memory."""
    from .. import cache
    from ..db import data_version
    from ..regions import registry
    from .store import kept_keys

    with engine.connect() as conn:  # as a request would: the views below belong to this version
        cache.observe(str(engine.url), data_version(conn))
    day = dt.date.today().isoformat()
    every = chains()
    for _, region, chain_id, as_of in kept_keys(engine, "chains.chain+"):
        if as_of == day and chain_id in every and (region == "None" or registry().get(region)):
            cached_view(engine, None if region == "None" else region, every[chain_id], dt.date.fromisoformat(as_of))


def cached_gaps(engine, view: RegionView):
    from ..cache import cached
    from .gaps import supplement

    return cached(("chains.gaps", str(engine.url), view.chain.id, id(view.chain), view.region_code, view.as_of),
                  lambda: supplement(engine, view,
                                     everywhere=cached_chain_placements(engine, None, view.chain, view.as_of)))


def enterprise_places(conn, record: dict, ip, as_of: dt.date, *,
                      updated: dt.date | None = None) -> list[Assignment]:
    """Every chain node one stored enterprise sits on (all chains), officers' verdicts applied;
    ``ip`` is the enterprise's IP-ledger frame (its patent titles are evidence) or None."""
    from . import decisions

    out: list[Assignment] = []
    u = record["uscc"]
    every = Assigner.for_chains(*chains().values()).assign(record, titles_in(ip).get(u, []))
    for chain in chains().values():
        got = [a for a in every if a.chain.id == chain.id]
        for a in got:
            a.source, a.date = "企业台账", updated
        got = decisions.apply(chain, u, got, decisions.load(conn, chain.id, u).get(u))
        for a in got:
            a.stale = stale(a.date, as_of)
        out += got
    return out
