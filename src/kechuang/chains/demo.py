"""Demo data for the chain pages (demo-setup): the stored placements computed ahead of time, and a
few officers' decisions (确认 / 否定 / 更正) on the demo city's enterprises, every note marked 演示."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from .decisions import decide, load
from .status import cached_chain_placements, cached_placements
from .templates import chains

OFFICER = "yancheng"  # the demo city's officer (kechuang.demo.DEMO_USERS)


def seed(engine, city_code: str, *, confirm: int = 3, reject: int = 1, correct: int = 2) -> dict[str, int]:
    """Decide on a few of the city's placements, chosen by rule (no hand list), each verdict on
    different chains: the least confident product-backed placements are confirmed; a placement
    without product evidence (经营范围 words or the industry code alone) is rejected; an enterprise
    on a leaf node is corrected to a sibling under the same parent. Nothing is done when decisions
    are there already. Counts per verdict."""
    every = chains()
    with engine.connect() as conn:
        if any(load(conn, c) for c in every):
            return {"confirm": 0, "reject": 0, "correct": 0}
    placed, _info = cached_placements(engine, city_code, dt.date.today())
    flat = sorted((a for got in placed.values() for a in got), key=lambda a: (a.confidence, a.uscc, a.node.id))
    done: set[str] = set()
    plan: list[tuple] = []

    def pick(verdict: str, wanted: int, fits) -> None:
        used: set[str] = set()
        for a in flat:
            if len(used) >= wanted:
                return
            if a.uscc in done or a.chain.id in used:
                continue
            got = fits(a)
            if got:
                plan.append((verdict, a) + got)
                done.add(a.uscc)
                used.add(a.chain.id)

    def product(a):
        return any(e["kind"] == "product" for e in a.evidence)

    def sibling(a):
        if not a.node.parent:
            return None
        to = next((n for n in a.chain.children(a.node.parent) if n.id != a.node.id), None)
        if to is None or any(x.node.id == to.id for x in placed[a.uscc]):
            return None
        return to, f"演示：实地走访后更正为“{to.name}”"

    pick("confirm", confirm, lambda a: (None, "演示：已核对企业产品手册，确认") if product(a) else None)
    pick("reject", reject, lambda a: None if product(a) else
         (None, "演示：仅凭经营范围或行业代码，走访核实企业未实际生产此类产品"))
    pick("correct", correct, sibling)
    with Session(engine) as s:
        for verdict, a, to, note in plan:
            region = _info[a.uscc]["region_code"]
            if verdict == "correct":
                decide(s, OFFICER, a.uscc, a.chain, a.node.id, "reject", region_code=region, note=note)
                decide(s, OFFICER, a.uscc, a.chain, to.id, "confirm", region_code=region, note=note)
            else:
                decide(s, OFFICER, a.uscc, a.chain, a.node.id, verdict, region_code=region, note=note)
        s.commit()
    return {v: sum(1 for p in plan if p[0] == v) for v in ("confirm", "reject", "correct")}


def warm(engine, region_code: str) -> None:
    """Keep every chain's placements of the region on disk for today, so the first view of each
    chain page reads them back (store.kept) instead of computing them."""
    day = dt.date.today()
    whole = cached_placements(engine, region_code, day)
    for chain in chains().values():
        cached_chain_placements(engine, region_code, chain, day, whole=whole)
