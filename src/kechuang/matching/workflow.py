"""揭榜挂帅 workflow: 发榜 → 揭榜 (one or several teams: 赛马) → 评审 → 签约 → 实施 → 验收.

A demand (the ``demand`` ledger) moves through the stages of its ``status`` field; each team that
takes it on is a bid (``match_bids``); every step is dated, attributed (``match_steps``) and written
to the audit log in the caller's transaction. A step the current stage does not allow is refused
with a Chinese ``WorkflowError``. Signing registers a technology contract (``tech_contract``) and,
when the solver is a university or institute, an industry–university cooperation (``cooperation``)
through the ledgers' own validation, so the targets counting those ledgers count it
(docs/matching-workflow.md).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Date, DateTime, ForeignKey, Integer, Numeric, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from .. import audit
from ..db import Base

# the steps in order, named as the audit log names them
STEPS = {k: audit.ACTION_LABELS[k] for k in ("publish", "apply", "review", "sign", "implement", "accept")}
# demand stages (the demand ledger's status ids) in order; ``closed`` stands outside the order
STAGES = ("draft", "published", "matched", "reviewed", "signed", "implementing", "accepted")
BID_STATUS = {"applied": "已揭榜", "shortlisted": "评审通过", "rejected": "评审未通过", "signed": "已签约",
              "implementing": "实施中", "accepted": "已验收"}
# what a bid's status says about its demand's stage
_BID_STAGE = {"applied": "matched", "shortlisted": "reviewed", "rejected": "reviewed", "signed": "signed",
              "implementing": "implementing", "accepted": "accepted"}
ACADEMIC = ("university", "institute", "new_rd")  # supply owner types that make a signing 产学研合作


class Bid(Base):
    __tablename__ = "match_bids"
    __table_args__ = (sa.UniqueConstraint("demand_no", "solver", name="uq_match_bids_demand_solver"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    demand_no: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    region_code: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    supply_no: Mapped[str | None] = mapped_column(String(60), nullable=True)
    solver: Mapped[str] = mapped_column(String(200), nullable=False)
    solver_uscc: Mapped[str | None] = mapped_column(String(18), nullable=True)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 4), nullable=True)
    contract_no: Mapped[str | None] = mapped_column(String(60), nullable=True)
    coop_no: Mapped[str | None] = mapped_column(String(60), nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    @property
    def status_label(self) -> str:
        return BID_STATUS.get(self.status, self.status)


class Step(Base):
    __tablename__ = "match_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    demand_no: Mapped[str] = mapped_column(String(60), nullable=False, index=True)
    bid_id: Mapped[int | None] = mapped_column(Integer, ForeignKey("match_bids.id", ondelete="CASCADE"),
                                               nullable=True)
    region_code: Mapped[str] = mapped_column(String(16), nullable=False)
    step: Mapped[str] = mapped_column(String(16), nullable=False)
    result: Mapped[str | None] = mapped_column(String(16), nullable=True)
    on_date: Mapped[dt.date] = mapped_column(Date, nullable=False)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)

    @property
    def step_label(self) -> str:
        return STEPS.get(self.step, self.step)


class WorkflowError(ValueError):
    """A step refused (message in Chinese, naming the demand and what to do)."""


def stage_label(stage: str | None) -> str:
    from ..ledgers import get_kind

    return get_kind("demand").field("status").enum_labels().get(stage or "", stage or "")


def _rank(stage: str | None) -> int:
    return STAGES.index(stage) if stage in STAGES else (1 if stage == "closed" else 0)


# ---------------------------------------------------------------- reads

def demand(conn, demand_no: str, region_codes: set[str] | None) -> dict:
    """One stored demand inside ``region_codes`` (typed), else WorkflowError."""
    from ..ledgers import store

    rows, _ = store.page_records(conn, "demand", region_codes, filters={"demand_no": demand_no}, limit=1)
    if not rows:
        raise WorkflowError(f"没有编号为“{demand_no}”的技术需求，或不在您的管辖范围内")
    return rows[0]


def supply(conn, supply_no: str) -> dict:
    from ..ledgers import store

    rows, _ = store.page_records(conn, "supply", None, filters={"supply_no": supply_no}, limit=1)
    if not rows:
        raise WorkflowError(f"没有编号为“{supply_no}”的技术供给（成果、团队或平台）")
    return rows[0]


def bids(session: Session, demand_no: str) -> list[Bid]:
    return list(session.scalars(select(Bid).where(Bid.demand_no == demand_no).order_by(Bid.id)))


def steps(session: Session, demand_no: str) -> list[Step]:
    return list(session.scalars(select(Step).where(Step.demand_no == demand_no).order_by(Step.id)))


def allowed_steps(stage: str | None, bid_list: list[Bid]) -> set[str]:
    """Which steps the demand's stage and bids allow now (for forms; each step checks again)."""
    out = set()
    if stage == "draft":
        out.add("publish")
    if stage in ("published", "matched"):
        out.add("apply")
    status = {b.status for b in bid_list}
    for step, need in (("review", "applied"), ("sign", "shortlisted"), ("implement", "signed"),
                       ("accept", "implementing")):
        if need in status and stage != "closed":
            out.add(step)
    return out


# ---------------------------------------------------------------- steps

def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _bid(session: Session, bid_id: int, region_codes: set[str] | None) -> Bid:
    bid = session.get(Bid, bid_id)
    if bid is None or (region_codes is not None and bid.region_code not in region_codes):
        raise WorkflowError(f"没有编号为 {bid_id} 的揭榜记录，或不在您的管辖范围内")
    return bid


def _record_step(session: Session, user, d: dict, step: str, on: dt.date, note: str,
                 bid: Bid | None = None, result: str | None = None, after: dict | None = None) -> Step:
    s = Step(demand_no=d["demand_no"], bid_id=bid.id if bid else None, region_code=d["region_code"], step=step,
             result=result, on_date=on, username=user.username, note=(note or "").strip()[:2000],
             created_at=_now())
    session.add(s)
    audit.record(session, user.username, step, "matching", d["demand_no"], region_code=d["region_code"],
                 after={"步骤": STEPS[step], "日期": on.isoformat(), **({"揭榜方": bid.solver} if bid else {}),
                        **(after or {}), **({"说明": s.note} if s.note else {})})
    return s


def _ledger_write(session: Session, user, kind: str, record: dict, source: str) -> None:
    """Insert or update one ledger record in this transaction, by the ledgers' own validation."""
    from ..ledgers import get_kind
    from ..ledgers.importer import import_records

    k = get_kind(kind)
    root = None if (user.is_admin or not user.region_code) else user.region_code
    report = import_records(session.connection(), k, [record], source=source, username=user.username,
                            scope_root=root)
    if not report.ok:
        def label(col):
            return k.field(col).label if k.has(col) else col

        raise WorkflowError(f"{k.name}台账未能登记：" + "；".join(
            f"{label(p.column)}“{'' if p.value is None else p.value}”{p.reason}" if p.column else p.reason
            for p in report.problems))


def _set_stage(session: Session, user, d: dict, stage: str, source: str) -> None:
    """Advance the demand's status (never back) in the demand ledger."""
    if _rank(stage) <= _rank(d.get("status")) and d.get("status") != "draft":
        return
    rec = {k: v for k, v in d.items() if v is not None}
    rec["status"] = stage
    _ledger_write(session, user, "demand", rec, source)
    d["status"] = stage


def _refuse(d: dict, action: str, hint: str) -> WorkflowError:
    return WorkflowError(f"需求“{d['demand_no']}”当前状态为“{stage_label(d.get('status'))}”，不能{action}；{hint}")


def publish(session: Session, user, demand_no: str, *, on: dt.date, region_codes: set[str] | None,
            note: str = "", force: bool = False) -> Step:
    """发榜: draft → published; refused while the demand has quality flags unless ``force``."""
    from .quality import check

    d = demand(session.connection(), demand_no, region_codes)
    if d.get("status") != "draft":
        raise _refuse(d, "发榜", "只有“待发布”的需求可以发榜")
    flags = check(d, today=on)
    if flags and not force:
        raise WorkflowError(f"需求“{demand_no}”发榜前尚需完善 {len(flags)} 项："
                            + "；".join(f"【{f.field}】{f.problem}" for f in flags)
                            + "。请修改需求后重新导入，或确认“已知悉以上问题，仍然发榜”")
    _set_stage(session, user, d, "published", "发榜")
    return _record_step(session, user, d, "publish", on, note,
                        after={"未完善项": [f.field for f in flags]} if flags else None)


def apply(session: Session, user, demand_no: str, *, on: dt.date, region_codes: set[str] | None,
          supply_no: str | None = None, solver: str | None = None, solver_uscc: str | None = None,
          note: str = "") -> Bid:
    """揭榜: a team (a stored supply, or a named unit) takes on a published demand; several may (赛马).
    A stored supply must pass the demand's gates (kechuang.matching)."""
    from ..ledgers.uscc import normalize, problem

    conn = session.connection()
    d = demand(conn, demand_no, region_codes)
    if d.get("status") not in ("published", "matched"):
        raise _refuse(d, "揭榜", "需求须已发榜且尚未评审" if _rank(d.get("status")) < 1
                      else "评审开始后不再接受揭榜")
    if d.get("deadline") and on > d["deadline"]:
        raise WorkflowError(f"需求“{demand_no}”的揭榜截止日期 {d['deadline'].isoformat()} 已过，不能再揭榜")
    s = None
    if supply_no:
        s = supply(conn, supply_no.strip())
        failed = [g["text"] for g in _gates(conn, d, s, on) if not g["passed"]]
        if failed:
            raise WorkflowError(f"“{s['title']}”不符合需求“{demand_no}”的揭榜条件：" + "；".join(failed))
        solver = solver or s.get("owner") or s["title"]
        solver_uscc = solver_uscc or s.get("uscc")
    solver = (solver or "").strip()
    if not solver:
        raise WorkflowError("请选择揭榜的成果、团队或平台，或填写揭榜单位名称")
    if solver_uscc:
        solver_uscc = normalize(solver_uscc)
        bad = problem(solver_uscc)
        if bad:
            raise WorkflowError(f"揭榜单位统一社会信用代码“{solver_uscc}”有误：{bad}")
    if d.get("uscc") and solver_uscc == d["uscc"]:
        raise WorkflowError("揭榜单位与发榜单位相同（利益冲突），不能揭榜")
    if session.scalar(select(Bid).where(Bid.demand_no == demand_no, Bid.solver == solver[:200])):
        raise WorkflowError(f"“{solver}”已揭榜需求“{demand_no}”，不能重复揭榜")
    now = _now()
    bid = Bid(demand_no=demand_no, region_code=d["region_code"], supply_no=s["supply_no"] if s else None,
              solver=solver[:200], solver_uscc=solver_uscc or None, status="applied", created_at=now,
              updated_at=now)
    session.add(bid)
    session.flush()
    _set_stage(session, user, d, "matched", "揭榜")
    _record_step(session, user, d, "apply", on, note, bid,
                 after={"供给编号": bid.supply_no} if bid.supply_no else None)
    return bid


def _gates(conn, d: dict, s: dict, on: dt.date) -> list[dict]:
    from .engine import Matcher
    from .inputs import hnte_holders

    hnte = hnte_holders(conn, on, [s["uscc"]] if s.get("uscc") else [])
    return Matcher([s], hnte_usccs=hnte).gates(d, s, on)


def _advance(session: Session, user, bid_id: int, region_codes, step: str, need: str, action: str,
             hint: str) -> tuple[Bid, dict]:
    bid = _bid(session, bid_id, region_codes)
    d = demand(session.connection(), bid.demand_no, region_codes)
    if d.get("status") == "closed":
        raise _refuse(d, action, "该需求已结束")
    if bid.status != need:
        raise WorkflowError(f"“{bid.solver}”对需求“{bid.demand_no}”的揭榜当前为“{bid.status_label}”，不能{action}；{hint}")
    return bid, d


def review(session: Session, user, bid_id: int, *, on: dt.date, passed: bool, region_codes: set[str] | None,
           note: str = "") -> Bid:
    """评审: applied → shortlisted (评审通过) or rejected."""
    bid, d = _advance(session, user, bid_id, region_codes, "review", "applied", "评审",
                      "只有“已揭榜”的揭榜方可以评审")
    bid.status = "shortlisted" if passed else "rejected"
    bid.updated_at = _now()
    _set_stage(session, user, d, "reviewed", "评审")
    _record_step(session, user, d, "review", on, note, bid, result="passed" if passed else "rejected",
                 after={"结论": "通过" if passed else "未通过"})
    return bid


def sign(session: Session, user, bid_id: int, *, on: dt.date, region_codes: set[str] | None, amount: Decimal,
         contract_type: str, tech_field: str | None = None, tech_amount: Decimal | None = None,
         contract_no: str | None = None, seller_uscc: str | None = None, note: str = "") -> Bid:
    """签约: shortlisted → signed; registers the technology contract and, for a university or
    institute solver, the 产学研合作 record (the ledgers' enums and validation)."""
    bid, d = _advance(session, user, bid_id, region_codes, "sign", "shortlisted", "签约",
                      "须先评审通过")
    if amount is None or amount <= 0:
        raise WorkflowError("请填写大于 0 的合同成交额（万元）")
    conn = session.connection()
    s = supply(conn, bid.supply_no) if bid.supply_no else {}
    seller = (seller_uscc or bid.solver_uscc or "").strip().upper() or None
    contract_no = (contract_no or "").strip() or f"JB-{d['demand_no']}-{bid.id}"
    local = bool(seller) and (s.get("region_code") or d["region_code"]) and \
        (region_codes is None or (s.get("region_code") or d["region_code"]) in region_codes)
    if seller and local:  # registered by the seller (技术输出) where it is
        party = {"uscc": seller, "role": "seller", "name": bid.solver, "counterparty": d.get("publisher") or "",
                 "region_code": s.get("region_code") or d["region_code"]}
    elif d.get("uscc"):  # registered by the demanding enterprise (技术吸纳)
        party = {"uscc": d["uscc"], "role": "buyer", "name": d.get("publisher") or "", "counterparty": bid.solver,
                 "region_code": d["region_code"]}
    else:
        raise WorkflowError("技术合同须有一方的统一社会信用代码：请填写卖方（揭榜单位）信用代码")
    contract = {"contract_no": contract_no, "contract_name": d["title"], "contract_type": contract_type,
                "tech_field": tech_field or d.get("tech_field") or s.get("tech_field"), "demand_no": d["demand_no"],
                **party, "seller_region": s.get("region_code"), "buyer_region": d["region_code"],
                "amount": amount, "tech_amount": tech_amount, "signed_on": on, "registered_on": on}
    _ledger_write(session, user, "tech_contract", contract, "揭榜签约")
    coop_no = None
    if s.get("owner_type") in ACADEMIC and d.get("uscc"):
        coop_no = contract_no
        _ledger_write(session, user, "cooperation", {
            "coop_no": coop_no, "uscc": d["uscc"], "name": d.get("publisher") or "", "region_code": d["region_code"],
            "institution": bid.solver, "topic": d["title"],
            "coop_type": "transfer" if contract_type in ("transfer", "license") else "commissioned",
            "amount": amount, "signed_on": on, "start_on": on, "status": "ongoing"}, "揭榜签约")
    bid.status, bid.amount, bid.contract_no, bid.coop_no, bid.updated_at = "signed", amount, contract_no, coop_no, _now()
    _set_stage(session, user, d, "signed", "签约")
    _record_step(session, user, d, "sign", on, note, bid,
                 after={"合同登记编号": contract_no, "成交额(万元)": str(amount),
                        **({"产学研合作编号": coop_no} if coop_no else {})})
    return bid


def implement(session: Session, user, bid_id: int, *, on: dt.date, region_codes: set[str] | None,
              note: str = "") -> Bid:
    """实施: signed → implementing."""
    bid, d = _advance(session, user, bid_id, region_codes, "implement", "signed", "开始实施", "须先签约")
    bid.status, bid.updated_at = "implementing", _now()
    _set_stage(session, user, d, "implementing", "实施")
    _record_step(session, user, d, "implement", on, note, bid)
    return bid


def accept(session: Session, user, bid_id: int, *, on: dt.date, region_codes: set[str] | None,
           note: str = "") -> Bid:
    """验收: implementing → accepted; the cooperation record becomes 已完成."""
    bid, d = _advance(session, user, bid_id, region_codes, "accept", "implementing", "验收", "须先开始实施")
    if bid.coop_no:
        from ..ledgers import store

        rows, _ = store.page_records(session.connection(), "cooperation", None,
                                     filters={"coop_no": bid.coop_no}, limit=1)
        if rows:
            _ledger_write(session, user, "cooperation",
                          {**{k: v for k, v in rows[0].items() if v is not None}, "status": "completed", "end_on": on},
                          "揭榜验收")
    bid.status, bid.updated_at = "accepted", _now()
    _set_stage(session, user, d, "accepted", "验收")
    _record_step(session, user, d, "accept", on, note, bid, result="passed")
    return bid


# ---------------------------------------------------------------- funnel

FUNNEL = (("collected", "征集"), ("published", "发榜"), ("matched", "揭榜"), ("signed", "签约"),
          ("accepted", "验收"))
_FUNNEL_RANK = {"collected": 0, "published": 1, "matched": 2, "signed": 4, "accepted": 6}


def funnel(conn, region_codes: set[str] | None) -> list[dict[str, Any]]:
    """Per region of the demands: how many were collected, published, matched (揭榜), signed and
    accepted — a demand counts at every stage up to the furthest its status or bids reached —
    then the total row (region_code None)."""
    from ..ledgers import load_frame

    frame = load_frame(conn, "demand", region_codes)
    if not frame.height:
        return []
    q = select(Bid.demand_no, Bid.status)
    if region_codes is not None:
        q = q.where(Bid.region_code.in_(sorted(region_codes)))
    reached: dict[str, int] = {}
    for no, status in conn.execute(q):
        reached[no] = max(reached.get(no, 0), _rank(_BID_STAGE[status]))
    rows: dict[str, dict] = {}
    for no, region, status in frame.select("demand_no", "region_code", "status").iter_rows():
        r = max(_rank(status), reached.get(no, 0))
        row = rows.setdefault(region, {"region_code": region, **{k: 0 for k, _ in FUNNEL}})
        for k, _ in FUNNEL:
            row[k] += r >= _FUNNEL_RANK[k]
    out = sorted(rows.values(), key=lambda x: (-x["collected"], x["region_code"]))
    total = {"region_code": None, **{k: sum(x[k] for x in out) for k, _ in FUNNEL}}
    return [*out, total]
