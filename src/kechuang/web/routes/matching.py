"""技术需求对接 pages: the stored demands of the region in scope, and one demand's ranked supplies
with reasons, gates and near misses (kechuang.matching over the stored ledgers); both export to
Excel. Restricted details (保密信息) are never shown here."""

from __future__ import annotations

import datetime as dt

import polars as pl
from fastapi import APIRouter, HTTPException, Request

from ..deps import DbSession, Scope, render

router = APIRouter()
STATUS_NAMES = {"match": "匹配", "near_miss": "未通过条件"}


def _labels(kind: str, field: str) -> dict[str, str]:
    from ...ledgers import get_kind

    return get_kind(kind).field(field).enum_labels()


def _demand_rows(demands: list[dict]) -> list[dict]:
    solver, region, status = _labels("demand", "solver_type"), _labels("demand", "solver_region"), \
        _labels("demand", "status")
    return [{"需求编号": d["demand_no"], "需求名称": d["title"], "技术领域": d.get("field") or "",
             "榜额(万元)": "面议" if d.get("budget") is None else f"{d['budget']:f}".rstrip("0").rstrip("."),
             "截止日期": d["deadline"].isoformat() if d.get("deadline") else "",
             "揭榜方要求": solver.get(d.get("solver_type"), ""), "揭榜方地域": region.get(d.get("solver_region"), ""),
             "状态": status.get(d.get("status"), "")} for d in demands]


def _day(as_of: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        raise HTTPException(status_code=400, detail=f"日期“{as_of}”格式错误，应为 YYYY-MM-DD")


@router.get("/matching", include_in_schema=False)
def matching_index(request: Request, session: DbSession, rs: Scope, format: str | None = None):
    from ...ledgers import load_frame
    from ...matching.inputs import records

    demands = records(load_frame(session.connection(), "demand", rs.codes), "demand")
    rows = _demand_rows(demands)
    if format == "xlsx":
        from ...excel import xlsx_response

        return xlsx_response({"技术需求": pl.DataFrame(rows)}, "技术需求.xlsx")
    return render(request, "matching/index.html", {"rows": rows, "region_code": rs.code})


@router.get("/matching/{demand_no}", include_in_schema=False)
def matching_demand(demand_no: str, request: Request, session: DbSession, rs: Scope,
                    as_of: str | None = None, top: int = 10, format: str | None = None):
    from ...matching import run, stored

    day = _day(as_of)
    demands, supplies, hnte = stored(session.connection(), rs.codes, day)
    demand = next((d for d in demands if d["demand_no"] == demand_no), None)
    if demand is None:
        raise HTTPException(status_code=404, detail=f"没有编号为“{demand_no}”的技术需求，或不在您的管辖范围内")
    results = run([demand], supplies, top=max(1, min(top, 100)), as_of=day, hnte_usccs=hnte).results
    by_no = {s["supply_no"]: s for s in supplies}
    kinds = _labels("supply", "kind")
    owners = _labels("supply", "owner_type")
    rows = []
    for r in results:
        s = by_no[r.supply]
        rows.append({"rank": r.rank, "score": r.score, "status": STATUS_NAMES[r.status], "supply": s,
                     "kind": kinds.get(s.get("kind"), ""), "owner_type": owners.get(s.get("owner_type"), ""),
                     "gates": r.gates, "failed": [g["text"] for g in r.gates if not g["passed"]],
                     "reasons": r.reasons})
    if format == "xlsx":
        from ...excel import xlsx_response

        frame = pl.DataFrame([{"排名": x["rank"], "结果": x["status"], "相关度": x["score"],
                               "供给编号": x["supply"]["supply_no"], "名称": x["supply"]["title"],
                               "类型": x["kind"], "所属单位": x["supply"].get("owner") or "",
                               "单位类型": x["owner_type"], "匹配理由": "；".join(y["text"] for y in x["reasons"]),
                               "未通过的条件": "；".join(x["failed"])} for x in rows],
                             schema_overrides={"排名": pl.Int64})
        return xlsx_response({"匹配结果": frame}, f"技术需求{demand_no}-匹配结果.xlsx")
    return render(request, "matching/demand.html", {"demand": _demand_rows([demand])[0], "d": demand,
                                                    "rows": rows, "as_of": day.isoformat()})
