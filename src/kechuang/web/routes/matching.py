"""揭榜挂帅 pages and API: the stored demands of the region in scope with their stage and quality,
one demand's ranked supplies with reasons, gates and near misses, its workflow (发榜 → 揭榜 → 评审 →
签约 → 实施 → 验收) as forms, and the funnel per region; every table exports to Excel. Confidential
fields (保密信息, 联系电话) show only to officers of the demand's region (kechuang.ledgers.visibility)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

import polars as pl
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, Field

from ...db import ledger_sources
from ..deps import CsrfChecked, DbSession, Scope, render, render_cached

router = APIRouter()
STATUS_NAMES = {"match": "匹配", "near_miss": "未通过条件"}


def _labels(kind: str, field: str) -> dict[str, str]:
    from ...ledgers import get_kind

    return get_kind(kind).field(field).enum_labels()


def _money(v) -> str:
    if v is None:
        return "面议"
    text = f"{v:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _demand_rows(demands: list[dict]) -> list[dict]:
    solver, region, status = _labels("demand", "solver_type"), _labels("demand", "solver_region"), \
        _labels("demand", "status")
    return [{"需求编号": d["demand_no"], "需求名称": d["title"], "技术领域": d.get("field") or "",
             "榜额(万元)": _money(d.get("budget")),
             "截止日期": d["deadline"].isoformat() if d.get("deadline") else "",
             "揭榜方要求": solver.get(d.get("solver_type"), ""), "揭榜方地域": region.get(d.get("solver_region"), ""),
             "状态": status.get(d.get("status"), "")} for d in demands]


def _day(as_of: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        raise HTTPException(status_code=400, detail=f"日期“{as_of}”格式错误，应为 YYYY-MM-DD")


def _stored_demands(session, rs) -> list[dict]:
    from ...ledgers import get_kind, load_frame
    from ...ledgers.visibility import editable_codes, redact_records
    from ...matching.inputs import records

    demands = records(load_frame(session.connection(), "demand", rs.codes), "demand")
    return redact_records(get_kind("demand"), demands, editable_codes(rs.user))


@router.get("/matching", include_in_schema=False)
def matching_index(request: Request, session: DbSession, rs: Scope, format: str | None = None):
    from ...matching.quality import check

    def demand_rows() -> list[dict]:
        demands = _stored_demands(session, rs)
        rows = _demand_rows(demands)
        today = dt.date.today()
        for r, d in zip(rows, demands):
            r["发榜前待完善"] = "、".join(f.field for f in check(d, today=today)) if d.get("status") == "draft" else ""
        return rows

    if format == "xlsx":
        from ...excel import xlsx_response

        return xlsx_response({"技术需求": pl.DataFrame(demand_rows())}, "揭榜挂帅-技术需求.xlsx")
    # kept per user and day (redaction, 发榜前待完善) until the demand ledger changes
    return render_cached(request, "matching/index.html", lambda: {"rows": demand_rows(), "region_code": rs.code},
                         reads=ledger_sources(["demand"]))


# ---------------------------------------------------------------- funnel

def _funnel_rows(session, rs) -> list[dict]:
    from ...matching.workflow import FUNNEL, funnel
    from ...regions import name_of

    out = []
    for r in funnel(session.connection(), rs.codes):
        row = {"地区": name_of(r["region_code"]) if r["region_code"] else "合计"}
        row.update({label: r[key] for key, label in FUNNEL})
        row["签约率"] = f"{r['signed'] / r['published'] * 100:.1f}%" if r["published"] else "—"
        out.append(row)
    return out


@router.get("/matching/funnel", include_in_schema=False)
def matching_funnel(request: Request, session: DbSession, rs: Scope, format: str | None = None):
    from ...matching.workflow import FUNNEL

    rows = _funnel_rows(session, rs)
    if format == "xlsx":
        from ...excel import xlsx_response

        return xlsx_response({"揭榜挂帅漏斗": pl.DataFrame(rows)}, "揭榜挂帅-漏斗.xlsx")
    stages = [label for _, label in FUNNEL]
    regions = [r for r in rows if r["地区"] != "合计"]
    option = {
        "tooltip": {"trigger": "axis"}, "legend": {"data": stages},
        "grid": {"left": 110, "right": 30, "top": 40, "bottom": 30},
        "xAxis": {"type": "value", "name": "需求数"},
        "yAxis": {"type": "category", "data": [r["地区"] for r in regions][::-1]},
        "series": [{"name": s, "type": "bar", "data": [r[s] for r in regions][::-1]} for s in stages],
    }
    return render(request, "matching/funnel.html", {"rows": rows, "stages": stages, "option": option,
                                                    "region_code": rs.code})


# ---------------------------------------------------------------- one demand

def _one(session, rs, demand_no: str, day: dt.date):
    from ...matching import run, stored
    from ...ledgers import get_kind
    from ...ledgers.visibility import editable_codes, redact_records

    demands, supplies, hnte = stored(session.connection(), rs.codes, day)
    demand = next((d for d in demands if d["demand_no"] == demand_no), None)
    if demand is None:
        raise HTTPException(status_code=404, detail=f"没有编号为“{demand_no}”的技术需求，或不在您的管辖范围内")
    demand = redact_records(get_kind("demand"), [demand], editable_codes(rs.user))[0]
    return demand, supplies, hnte, run


def _match_rows(demand, supplies, hnte, run, day, top) -> list[dict]:
    results = run([demand], supplies, top=max(1, min(top, 100)), as_of=day, hnte_usccs=hnte).results
    by_no = {s["supply_no"]: s for s in supplies}
    kinds, owners = _labels("supply", "kind"), _labels("supply", "owner_type")
    rows = []
    for r in results:
        s = by_no[r.supply]
        rows.append({"rank": r.rank, "score": r.score, "status": STATUS_NAMES[r.status], "supply": s,
                     "kind": kinds.get(s.get("kind"), ""), "owner_type": owners.get(s.get("owner_type"), ""),
                     "gates": r.gates, "failed": [g["text"] for g in r.gates if not g["passed"]],
                     "reasons": r.reasons})
    return rows


@router.get("/matching/{demand_no}", include_in_schema=False)
def matching_demand(demand_no: str, request: Request, session: DbSession, rs: Scope,
                    as_of: str | None = None, top: int = 10, format: str | None = None):
    from ...ledgers.kinds import vocabulary_labels
    from ...matching import workflow as wf
    from ...matching.quality import check

    day = _day(as_of)
    demand, supplies, hnte, run = _one(session, rs, demand_no, day)
    rows = _match_rows(demand, supplies, hnte, run, day, top)
    if format == "xlsx":
        from ...excel import xlsx_response

        frame = pl.DataFrame([{"排名": x["rank"], "结果": x["status"], "相关度": x["score"],
                               "供给编号": x["supply"]["supply_no"], "名称": x["supply"]["title"],
                               "类型": x["kind"], "所属单位": x["supply"].get("owner") or "",
                               "单位类型": x["owner_type"], "匹配理由": "；".join(y["text"] for y in x["reasons"]),
                               "未通过的条件": "；".join(x["failed"])} for x in rows],
                             schema_overrides={"排名": pl.Int64})
        return xlsx_response({"匹配结果": frame}, f"技术需求{demand_no}-匹配结果.xlsx")
    bids = wf.bids(session, demand_no)
    user = rs.user
    return render(request, "matching/demand.html", {
        "demand": _demand_rows([demand])[0], "d": demand, "rows": rows, "as_of": day.isoformat(),
        "flags": check(demand, today=dt.date.today()) if demand.get("status") in ("draft", "published", None) else [],
        "stage": wf.stage_label(demand.get("status")), "bids": bids, "steps": wf.steps(session, demand_no),
        "allowed": wf.allowed_steps(demand.get("status"), bids) if user.can_edit(demand["region_code"]) else set(),
        "bid_solvers": {b.supply_no for b in bids if b.supply_no},
        "contract_types": vocabulary_labels("contract_type"), "tech_fields": vocabulary_labels("contract_tech_field"),
        "today": dt.date.today().isoformat(),
    })


# ---------------------------------------------------------------- workflow forms

def _act(session, rs, fn, *args, **kw):
    """Run one workflow step for the user in scope; a refused step is a Chinese 400."""
    from ...ledgers.visibility import editable_codes
    from ...matching.workflow import WorkflowError

    user = rs.user
    if not user.can_write:
        raise HTTPException(status_code=403, detail="只读用户不能办理揭榜挂帅流程")
    editable = editable_codes(user)
    codes = rs.codes if editable is None else (editable if rs.codes is None else editable & rs.codes)
    try:
        return fn(session, user, *args, region_codes=codes, **kw)
    except WorkflowError as exc:
        raise HTTPException(status_code=400, detail=str(exc))


def _date(text: str | None) -> dt.date:
    if not (text or "").strip():
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise HTTPException(status_code=400, detail=f"日期“{text}”格式错误，应为 YYYY-MM-DD")


def _decimal(text: str | None, label: str, required: bool = False) -> Decimal | None:
    t = (text or "").strip().replace(",", "")
    if not t:
        if required:
            raise HTTPException(status_code=400, detail=f"请填写{label}")
        return None
    try:
        v = Decimal(t)
    except InvalidOperation:
        raise HTTPException(status_code=400, detail=f"{label}“{text}”不是有效的数字")
    if not v.is_finite() or v < 0:
        raise HTTPException(status_code=400, detail=f"{label}“{text}”应为不小于 0 的数字")
    return v


def _back(demand_no: str) -> RedirectResponse:
    from urllib.parse import quote

    return RedirectResponse(f"/matching/{quote(demand_no)}#workflow", status_code=303)


@router.post("/matching/{demand_no}/publish", include_in_schema=False, dependencies=[CsrfChecked])
def publish_form(demand_no: str, session: DbSession, rs: Scope, on: str = Form(""), note: str = Form(""),
                 force: str = Form("")):
    from ...matching.workflow import publish

    _act(session, rs, publish, demand_no, on=_date(on), note=note, force=force == "1")
    return _back(demand_no)


@router.post("/matching/{demand_no}/apply", include_in_schema=False, dependencies=[CsrfChecked])
def apply_form(demand_no: str, session: DbSession, rs: Scope, supply_no: str = Form(""), solver: str = Form(""),
               solver_uscc: str = Form(""), on: str = Form(""), note: str = Form("")):
    from ...matching.workflow import apply

    _act(session, rs, apply, demand_no, on=_date(on), supply_no=supply_no or None, solver=solver or None,
         solver_uscc=solver_uscc or None, note=note)
    return _back(demand_no)


def _bid_demand(session, bid_id: int) -> str:
    from ...matching.workflow import Bid

    bid = session.get(Bid, bid_id)
    if bid is None:
        raise HTTPException(status_code=404, detail=f"没有编号为 {bid_id} 的揭榜记录")
    return bid.demand_no


@router.post("/matching/bids/{bid_id}/review", include_in_schema=False, dependencies=[CsrfChecked])
def review_form(bid_id: int, session: DbSession, rs: Scope, passed: str = Form(...), on: str = Form(""),
                note: str = Form("")):
    from ...matching.workflow import review

    if passed not in ("1", "0"):
        raise HTTPException(status_code=400, detail="请选择评审结论：通过或未通过")
    bid = _act(session, rs, review, bid_id, on=_date(on), passed=passed == "1", note=note)
    return _back(bid.demand_no)


@router.post("/matching/bids/{bid_id}/sign", include_in_schema=False, dependencies=[CsrfChecked])
def sign_form(bid_id: int, session: DbSession, rs: Scope, amount: str = Form(""), tech_amount: str = Form(""),
              contract_type: str = Form(""), tech_field: str = Form(""), contract_no: str = Form(""),
              seller_uscc: str = Form(""), on: str = Form(""), note: str = Form("")):
    from ...matching.workflow import sign

    bid = _act(session, rs, sign, bid_id, on=_date(on), amount=_decimal(amount, "合同成交额", True),
               tech_amount=_decimal(tech_amount, "技术交易额"), contract_type=contract_type,
               tech_field=tech_field or None, contract_no=contract_no or None, seller_uscc=seller_uscc or None,
               note=note)
    return _back(bid.demand_no)


@router.post("/matching/bids/{bid_id}/implement", include_in_schema=False, dependencies=[CsrfChecked])
def implement_form(bid_id: int, session: DbSession, rs: Scope, on: str = Form(""), note: str = Form("")):
    from ...matching.workflow import implement

    bid = _act(session, rs, implement, bid_id, on=_date(on), note=note)
    return _back(bid.demand_no)


@router.post("/matching/bids/{bid_id}/accept", include_in_schema=False, dependencies=[CsrfChecked])
def accept_form(bid_id: int, session: DbSession, rs: Scope, on: str = Form(""), note: str = Form("")):
    from ...matching.workflow import accept

    bid = _act(session, rs, accept, bid_id, on=_date(on), note=note)
    return _back(bid.demand_no)


# ---------------------------------------------------------------- JSON API

class QualityFlagOut(BaseModel):
    id: str = Field(description="indicator 量化指标 / budget 榜额 / deadline 截止日期 / vague 描述笼统")
    field: str
    problem: str
    fix: str


class DemandOut(BaseModel):
    demand_no: str
    title: str
    region_code: str
    status: str | None = Field(None, description="阶段：draft/published/matched/reviewed/signed/implementing/accepted/closed")
    status_label: str
    budget: str | None = Field(None, description="榜额(万元)，精确小数文本；空为面议")
    deadline: dt.date | None = None
    description: str | None = None
    indicators: str | None = None
    restricted_detail: str | None = Field(None, description="保密信息：仅所属地区的业务人员可见")
    flags: list[QualityFlagOut] = Field(default_factory=list, description="发榜前待完善的项")


class GateOut(BaseModel):
    id: str
    text: str
    passed: bool


class ReasonOut(BaseModel):
    kind: str
    text: str
    demand_evidence: str
    supply_evidence: str


class MatchOut(BaseModel):
    supply: str
    title: str
    rank: int | None
    score: float
    status: str = Field(description="match 或 near_miss")
    gates: list[GateOut]
    reasons: list[ReasonOut]


class BidOut(BaseModel):
    id: int
    solver: str
    supply_no: str | None
    status: str
    status_label: str
    amount: str | None
    contract_no: str | None


class StepOut(BaseModel):
    step: str
    step_label: str
    on_date: dt.date
    username: str
    bid_id: int | None
    result: str | None
    note: str


class DemandDetailOut(BaseModel):
    demand: DemandOut
    matches: list[MatchOut]
    bids: list[BidOut]
    steps: list[StepOut]


class FunnelRowOut(BaseModel):
    region_code: str | None = Field(None, description="空为合计")
    collected: int
    published: int
    matched: int
    signed: int
    accepted: int


class StepIn(BaseModel):
    step: str = Field(description="publish 发榜 / apply 揭榜 / review 评审 / sign 签约 / implement 实施 / accept 验收")
    on: dt.date | None = Field(None, description="办理日期，默认今天")
    note: str = ""
    bid_id: int | None = Field(None, description="评审、签约、实施、验收时的揭榜记录编号")
    force: bool = Field(False, description="发榜：已知悉质量问题仍然发榜")
    supply_no: str | None = Field(None, description="揭榜：技术供给编号")
    solver: str | None = Field(None, description="揭榜：揭榜单位名称（无供给编号时）")
    solver_uscc: str | None = None
    passed: bool | None = Field(None, description="评审结论")
    amount: Decimal | None = Field(None, description="签约：合同成交额(万元)")
    tech_amount: Decimal | None = None
    contract_type: str | None = Field(None, description="签约：技术开发/技术转让/技术许可/技术咨询/技术服务")
    tech_field: str | None = None
    contract_no: str | None = None
    seller_uscc: str | None = None


def _demand_out(d: dict, flags) -> DemandOut:
    from ...matching.workflow import stage_label

    return DemandOut(demand_no=d["demand_no"], title=d["title"], region_code=d["region_code"], status=d.get("status"),
                     status_label=stage_label(d.get("status")),
                     budget=None if d.get("budget") is None else format(d["budget"].normalize(), "f"),
                     deadline=d.get("deadline"), description=d.get("description"), indicators=d.get("indicators"),
                     restricted_detail=d.get("restricted_detail"),
                     flags=[QualityFlagOut(id=f.id, field=f.field, problem=f.problem, fix=f.fix) for f in flags])


@router.get("/api/matching/demands", response_model=list[DemandOut], tags=["matching"], summary="揭榜挂帅：技术需求")
def api_demands(session: DbSession, rs: Scope):
    from ...matching.quality import check

    today = dt.date.today()
    return [_demand_out(d, check(d, today=today) if d.get("status") == "draft" else [])
            for d in _stored_demands(session, rs)]


@router.get("/api/matching/demands/{demand_no}", response_model=DemandDetailOut, tags=["matching"],
            summary="揭榜挂帅：一条需求的匹配、揭榜与流程")
def api_demand(demand_no: str, session: DbSession, rs: Scope, as_of: dt.date | None = None, top: int = 10):
    from ...matching import workflow as wf
    from ...matching.quality import check

    day = as_of or dt.date.today()
    demand, supplies, hnte, run = _one(session, rs, demand_no, day)
    rows = _match_rows(demand, supplies, hnte, run, day, top)
    return DemandDetailOut(
        demand=_demand_out(demand, check(demand, today=dt.date.today()) if demand.get("status") == "draft" else []),
        matches=[MatchOut(supply=x["supply"]["supply_no"], title=x["supply"]["title"], rank=x["rank"],
                          score=x["score"], status="match" if x["rank"] is not None else "near_miss",
                          gates=x["gates"], reasons=x["reasons"]) for x in rows],
        bids=[BidOut(id=b.id, solver=b.solver, supply_no=b.supply_no, status=b.status, status_label=b.status_label,
                     amount=None if b.amount is None else format(Decimal(b.amount).normalize(), "f"),
                     contract_no=b.contract_no) for b in wf.bids(session, demand_no)],
        steps=[StepOut(step=s.step, step_label=s.step_label, on_date=s.on_date, username=s.username, bid_id=s.bid_id,
                       result=s.result, note=s.note) for s in wf.steps(session, demand_no)])


@router.post("/api/matching/demands/{demand_no}/steps", response_model=list[StepOut], tags=["matching"],
             summary="揭榜挂帅：办理一步流程", dependencies=[CsrfChecked])
def api_step(demand_no: str, body: StepIn, session: DbSession, rs: Scope):
    """One workflow step; a step the demand's stage does not allow is a 400 with the reason in Chinese."""
    from ...matching import workflow as wf

    on = body.on or dt.date.today()
    if body.step == "publish":
        _act(session, rs, wf.publish, demand_no, on=on, note=body.note, force=body.force)
    elif body.step == "apply":
        _act(session, rs, wf.apply, demand_no, on=on, supply_no=body.supply_no, solver=body.solver,
             solver_uscc=body.solver_uscc, note=body.note)
    elif body.step in ("review", "sign", "implement", "accept"):
        if body.bid_id is None or _bid_demand(session, body.bid_id) != demand_no:
            raise HTTPException(status_code=400, detail="请给出该需求的揭榜记录编号 bid_id")
        kw: dict[str, Any] = {"on": on, "note": body.note}
        if body.step == "review":
            if body.passed is None:
                raise HTTPException(status_code=400, detail="请给出评审结论 passed")
            kw["passed"] = body.passed
        if body.step == "sign":
            kw.update(amount=body.amount, tech_amount=body.tech_amount, contract_type=body.contract_type or "",
                      tech_field=body.tech_field, contract_no=body.contract_no, seller_uscc=body.seller_uscc)
        _act(session, rs, getattr(wf, body.step), body.bid_id, **kw)
    else:
        raise HTTPException(status_code=400, detail=f"未知的流程步骤“{body.step}”，可选：{'、'.join(wf.STEPS)}")
    session.flush()
    return [StepOut(step=s.step, step_label=s.step_label, on_date=s.on_date, username=s.username, bid_id=s.bid_id,
                    result=s.result, note=s.note) for s in wf.steps(session, demand_no)]


@router.get("/api/matching/funnel", response_model=list[FunnelRowOut], tags=["matching"], summary="揭榜挂帅：漏斗")
def api_funnel(session: DbSession, rs: Scope):
    from ...matching.workflow import funnel

    return funnel(session.connection(), rs.codes)
