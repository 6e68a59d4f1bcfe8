"""The payouts ledger (table ``award_payouts``, migration 0015): a 免申即享 list is generated from
the computed awards, each line is confirmed by the enterprise and then paid, with dates. One row
per enterprise, policy, item and triggering year, so an award is never listed or paid twice; the
rows are the history that "not funded before" and cumulative caps read in later years. Every
change is written to the audit log in the same transaction."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from sqlalchemy import JSON, Date, Integer, Numeric, String, UniqueConstraint, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from ..db import Base
from .engine import Award, compute, text
from .model import Policy

STATES = ("listed", "confirmed", "paid")
STATE_NAMES = {"listed": "已生成名单", "confirmed": "企业已确认", "paid": "已拨付"}
NEXT = {"listed": "confirmed", "confirmed": "paid"}


class PayoutError(ValueError):
    """A payout change that is not allowed (message in Chinese)."""


class AwardPayout(Base):
    __tablename__ = "award_payouts"
    __table_args__ = (UniqueConstraint("uscc", "policy", "item", "event_year", name="uq_award_payouts_once"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    region_code: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    policy: Mapped[str] = mapped_column(String(64), nullable=False)
    version: Mapped[str] = mapped_column(String(16), nullable=False)
    item: Mapped[str] = mapped_column(String(64), nullable=False)
    item_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    stack_group: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    event_year: Mapped[int] = mapped_column(Integer, nullable=False)
    payout_year: Mapped[int] = mapped_column(Integer, nullable=False)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 4), nullable=False)
    payers: Mapped[list] = mapped_column(JSON, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="listed")
    listed_on: Mapped[dt.date] = mapped_column(Date, nullable=False)
    confirmed_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    paid_on: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")

    def snapshot(self) -> dict:
        return {"status": self.status, "amount": text(Decimal(self.amount)), "listed_on": _iso(self.listed_on),
                "confirmed_on": _iso(self.confirmed_on), "paid_on": _iso(self.paid_on)}


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


T = AwardPayout.__table__
KINDS = ("enterprise", "certification", "enterprise_year")


def stored_frames(conn: Connection, region_codes: set[str] | None, usccs: list[str] | None = None
                  ) -> dict[str, pl.DataFrame]:
    """The ledgers awards are computed from, for the regions in scope (and some enterprises), with
    the fields the awards read (`facts.ledger_fields`). Whole regions come through the frames kept
    across requests (decoded once per ledger version)."""
    from ..ledgers import load_frame
    from .facts import ledger_fields

    fields = ledger_fields()
    if usccs is None and not conn.info.get("kc_data_changed"):
        from ..targets.metrics import LedgerSource

        source = LedgerSource(conn.engine, region_codes, fields.__getitem__)
        return {k: source(k) for k in KINDS}
    return {k: load_frame(conn, k, region_codes, usccs=usccs, fields=fields[k]) for k in KINDS}


def history(conn: Connection, region_codes: set[str] | None = None, usccs: list[str] | None = None) -> list[dict]:
    q = select(T.c.id, T.c.uscc, T.c.policy, T.c.item, T.c.stack_group.label("group"), T.c.event_year,
               T.c.amount, T.c.status)
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    if usccs is not None:
        q = q.where(T.c.uscc.in_(sorted(usccs)))
    return [dict(r._mapping) for r in conn.execute(q)]


def awards_for(conn: Connection, region: str | None, year: int | list[int], policies: list[Policy] | None = None,
               usccs: list[str] | None = None) -> list[Award]:
    """Computed awards of ``year`` (or of several years) for ``region`` (None = everywhere;
    ``usccs`` = only these enterprises), each with the state of its payout when one was listed."""
    from ..regions import registry

    codes = registry().subtree_codes(region) if region else None
    hist = history(conn, codes, usccs)
    frames = stored_frames(conn, codes, usccs)
    lines = [a for y in ([year] if isinstance(year, int) else year)
             for a in compute(frames, y, region, policies, hist)]
    state = {(h["uscc"], h["policy"], h["item"], h["event_year"]): h["status"] for h in hist}
    for a in lines:
        a.payout_status = state.get((a.uscc, a.policy, a.item, a.event_year))
    return lines


def generate(session: Session, region: str | None, year: int, username: str, on: dt.date | None = None) -> dict:
    """List every payable (免申即享) award of ``year`` not listed before; returns counts."""
    from ..audit import record

    on = on or dt.date.today()
    lines = awards_for(session.connection(), region, year)
    kept = 0
    new: list[tuple[AwardPayout, Award]] = []
    for a in lines:
        if a.status != "payable":
            continue
        if a.payout_status is not None:
            kept += 1
            continue
        new.append((AwardPayout(uscc=a.uscc, name=a.name[:200], region_code=a.region_code, policy=a.policy,
                                version=a.version, item=a.item, item_name=a.item_name[:200],
                                stack_group=a.group[:64], event_year=a.event_year, payout_year=a.payout_year,
                                amount=a.amount,
                                payers=[{"level": p["level"], "region_code": p["region_code"],
                                         "amount": text(p["amount"])} for p in a.payers],
                                status="listed", listed_on=on, updated_by=username), a))
    # one flush for every new row (ids come back in one round trip), then their audit entries
    session.add_all([row for row, _ in new])
    session.flush()
    for row, a in new:
        record(session, username, "award-list", "award_payout", str(row.id), None, row.snapshot(), a.region_code)
        a.payout_status = "listed"
    added = len(new)
    return {"listed": added, "already": kept, "payable": added + kept}


def advance(session: Session, payout_id: int, to: str, username: str, on: dt.date | None = None,
            region_codes: set[str] | None = None) -> AwardPayout:
    """Move one payout forward: listed → confirmed (by the enterprise) → paid."""
    from ..audit import record

    row = session.get(AwardPayout, payout_id)
    if row is None or (region_codes is not None and row.region_code not in region_codes):
        raise PayoutError(f"没有编号为 {payout_id} 的兑现记录，或不在您的管辖范围内")
    if to not in STATES[1:]:
        raise PayoutError(f"兑现状态“{to}”无效，可选：confirmed（企业已确认）、paid（已拨付）")
    if NEXT.get(row.status) != to:
        raise PayoutError(f"兑现记录 {payout_id} 当前为“{STATE_NAMES[row.status]}”，不能改为“{STATE_NAMES[to]}”"
                          f"（顺序：生成名单 → 企业确认 → 拨付）")
    on = on or dt.date.today()
    if on < row.listed_on or (row.confirmed_on and on < row.confirmed_on):
        raise PayoutError(f"日期 {on.isoformat()} 早于上一步的日期")
    before = row.snapshot()
    row.status = to
    if to == "confirmed":
        row.confirmed_on = on
    else:
        row.paid_on = on
    row.updated_by = username
    record(session, username, f"award-{to}", "award_payout", str(row.id), before, row.snapshot(), row.region_code)
    return row


def rows(conn: Connection, region_codes: set[str] | None, payout_year: int | None = None) -> list[dict]:
    q = select(T).order_by(T.c.payout_year, T.c.uscc, T.c.policy, T.c.item)
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    if payout_year is not None:
        q = q.where(T.c.payout_year == payout_year)
    return [dict(r._mapping) for r in conn.execute(q)]
