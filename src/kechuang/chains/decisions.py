"""An officer's word on a placement: ``confirm`` keeps an enterprise on a node whatever the
computation says (evidence kind ``manual``), ``reject`` takes it off; a correction is a rejection of
one node and a confirmation of another. Stored, audited, applied after every recomputation."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy import DateTime, Integer, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base
from .assign import Assignment
from .templates import Chain

VERDICTS = {"confirm": "确认", "reject": "否定"}


class ChainDecision(Base):
    __tablename__ = "chain_decisions"
    __table_args__ = (sa.UniqueConstraint("uscc", "node", name="uq_chain_decisions_uscc_node"),
                      sa.Index("ix_chain_decisions_chain", "chain", "uscc"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False)
    chain: Mapped[str] = mapped_column(String(64), nullable=False)
    node: Mapped[str] = mapped_column(String(128), nullable=False)
    verdict: Mapped[str] = mapped_column(String(16), nullable=False)
    region_code: Mapped[str | None] = mapped_column(String(16), nullable=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    note: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class DecisionError(ValueError):
    pass


def decide(session: Session, username: str, uscc: str, chain: Chain, node_id: str, verdict: str, *,
           region_code: str | None = None, note: str = "") -> ChainDecision:
    """Record (or replace) the verdict on ``uscc`` at ``node_id``, audited in the same transaction."""
    from .. import audit

    if verdict not in VERDICTS:
        raise DecisionError(f"无效的判定“{verdict}”，可选 confirm(确认)、reject(否定)")
    try:
        chain.node(node_id)
    except KeyError:
        raise DecisionError(f"产业链“{chain.name}”没有节点“{node_id}”") from None
    if len(note) > 500:
        raise DecisionError("说明不能超过 500 个字符")
    row = session.scalars(sa.select(ChainDecision).where(ChainDecision.uscc == uscc,
                                                        ChainDecision.node == node_id)).first()
    before = None
    if row is None:
        row = ChainDecision(uscc=uscc, chain=chain.id, node=node_id)
        session.add(row)
    else:
        before = {"verdict": row.verdict, "note": row.note, "username": row.username}
    row.verdict, row.note, row.username, row.region_code = verdict, note, username, region_code
    row.decided_at = dt.datetime.now(dt.timezone.utc)
    audit.record(session, username, "chain-" + verdict, "chain", f"{uscc}@{node_id}", before,
                 {"verdict": verdict, "note": note, "chain": chain.id, "node": node_id}, region_code)
    return row


def load(conn, chain_id: str, uscc: str | None = None) -> dict[str, list[ChainDecision]]:
    """Credit code → decisions on this chain (of one enterprise when ``uscc`` is given)."""
    q = sa.select(ChainDecision.__table__).where(ChainDecision.chain == chain_id)
    if uscc:
        q = q.where(ChainDecision.uscc == uscc)
    rows = conn.execute(q).all()
    out: dict[str, list] = {}
    for r in rows:
        out.setdefault(r.uscc, []).append(r)
    return out


def apply(chain: Chain, uscc: str, computed: list[Assignment], decisions) -> list[Assignment]:
    """Computed placements with the officers' verdicts applied (confirmations carry ``manual``)."""
    if not decisions:
        return computed
    by_node = {d.node: d for d in decisions}
    out = []
    for a in computed:
        d = by_node.get(a.node.id)
        if d is not None and d.verdict == "reject":
            continue
        out.append(a)
    have = {a.node.id: a for a in out}
    for d in decisions:
        if d.verdict != "confirm":
            continue
        try:
            node = chain.node(d.node)
        except KeyError:  # the template dropped the node since
            continue
        when = d.decided_at.date() if d.decided_at else None
        ev = {"kind": "manual", "value": f"{d.username}确认" + (f"：{d.note}" if d.note else "")}
        a = have.get(d.node)
        if a is None:
            a = Assignment(uscc, chain, node, 1.0, [])
            out.append(a)
        a.evidence = [ev] + a.evidence
        a.confidence, a.manual, a.source, a.date = 1.0, "confirm", f"人工确认:{d.username}", when
    out.sort(key=lambda a: -a.confidence)
    return out
