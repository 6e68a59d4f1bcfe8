"""企业培育 pages: per program counts (pass / close / far) by region with charts, program lists,
the 小升高 list, and a ladder panel on the enterprise page. Reads stored results
(``kechuang evaluate --region``); everything exports to Excel."""

from __future__ import annotations

import datetime as dt

import polars as pl
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from ...programs import store
from ...programs.engine import PROGRAM_ORDER
from ...programs.model import RESULT_NAMES, programs_by_id
from ...regions import registry
from ..deps import CsrfChecked, CurrentUser, DbSession, Scope, render, render_cached, templates
from .ledgers import ENTERPRISE_PANELS

router = APIRouter()

STATUS = [("pass", "符合"), ("close", "一步之遥"), ("far", "差距较大"), ("depends", "待专家评定"),
          ("unknown", "数据缺失")]
LADDER = ["tech_sme", "innovative_sme", "hnte", "srdi_sme", "little_giant"]
GROWTH = ["js_gazelle", "js_potential_unicorn", "js_unicorn"]


def _names() -> dict[str, str]:
    return {pid: v[-1].name for pid, v in programs_by_id().items()}


def _child_of(scope: str | None, code: str) -> str:
    """The child of ``scope`` that contains ``code`` (or code itself)."""
    reg = registry()
    chain = [r.code for r in reg.ancestors(code)] + [code] if reg.get(code) else [code]
    if scope is None:
        return chain[1] if len(chain) > 1 and reg.get(chain[0]) and reg.get(chain[0]).level == "province" else chain[0]
    if scope in chain:
        i = chain.index(scope)
        return chain[i + 1] if i + 1 < len(chain) else scope
    return code


def _region_name(code: str) -> str:
    r = registry().get(code)
    return r.name if r else (code or "未知地区")


def _counts(session, codes: set[str] | None, scope: str | None, as_of: dt.date) -> pl.DataFrame:
    df = store.counts(session.connection(), as_of, codes)
    if df.height == 0:
        return df.with_columns(pl.lit("").alias("area"))
    mapping = {c: _child_of(scope, c) for c in df["region_code"].unique().to_list()}
    return df.with_columns(pl.col("region_code").replace_strict(mapping, default="").alias("area"))


def _cards(session, codes: set[str] | None, scope: str | None, day: dt.date) -> tuple[list[dict], list[dict]]:
    """Per program: counts by area (pass / close / far …), a chart option, and rows for export."""
    names = _names()
    cards, export = [], []
    df = _counts(session, codes, scope, day)
    for pid in [p for p in PROGRAM_ORDER if p in names] + sorted(set(names) - set(PROGRAM_ORDER)):
        sub = df.filter(pl.col("program") == pid)
        if sub.height == 0:
            continue
        areas = sorted(sub["area"].unique().to_list())
        table = []
        for a in areas:
            row = {k: int(sub.filter((pl.col("area") == a) & (pl.col("status") == k))["n"].sum()) for k, _ in STATUS}
            row["scored"] = int(sub.filter((pl.col("area") == a) & (pl.col("status") == "scored"))["n"].sum())
            table.append((a, _region_name(a), row))
            export.append({"项目": names[pid], "地区": _region_name(a), **{lab: row[k] for k, lab in STATUS},
                           "积分企业数": row["scored"]})
        total = {k: sum(r[k] for _, _, r in table) for k, _ in STATUS + [("scored", "")]}
        option = {
            "tooltip": {"trigger": "axis"}, "legend": {"data": [lab for _, lab in STATUS[:3]]},
            "grid": {"left": 60, "right": 20, "bottom": 40, "top": 40},
            "xAxis": {"type": "category", "data": [n for _, n, _ in table]}, "yAxis": {"type": "value"},
            "series": [{"name": lab, "type": "bar", "stack": "all", "data": [r[k] for _, _, r in table]}
                       for k, lab in STATUS[:3]],
        }
        cards.append({"id": pid, "name": names[pid], "rows": table, "total": total, "option": option,
                      "scored": pid == "innovation_points"})
    return cards, export


@router.get("/programs", include_in_schema=False)
def programs_index(request: Request, session: DbSession, rs: Scope, as_of: str | None = None,
                   format: str | None = None):
    scope = rs.code

    def gather():
        day = dt.date.fromisoformat(as_of) if as_of else store.latest_as_of(session.connection())
        cards, export = [], []
        if day is not None:
            from ... import cache

            key = ("program_cards", str(session.get_bind().url), scope, rs.key, day)
            cards, export = cache.cached(key, lambda: _cards(session, rs.codes, scope, day))
        return day, cards, export

    if format == "xlsx":
        from ...excel import xlsx_response

        day, _, export = gather()
        return xlsx_response({"企业培育": pl.DataFrame(export)}, f"企业培育-{day}.xlsx")

    def build():
        day, cards, _ = gather()
        return {"cards": cards, "as_of": day, "region_code": scope, "status": STATUS}

    return render_cached(request, "programs/index.html", build)


def _list_frame(session, codes: set[str] | None, pid: str, day, result: str | None) -> pl.DataFrame:
    df = store.load(session.connection(), day, pid, codes)
    if df.height == 0:
        return df
    status = pl.when(pl.col("result") == "fail").then(
        pl.when(pl.col("close")).then(pl.lit("close")).otherwise(pl.lit("far"))).otherwise(pl.col("result"))
    df = df.with_columns(status.alias("status"))
    if result:
        df = df.filter(pl.col("status") == result)
    return df


@router.get("/programs/xiaoshenggao", include_in_schema=False)
def xiaoshenggao(request: Request, session: DbSession, rs: Scope, format: str | None = None):
    """小升高: 科技型中小企业 (passing) that are not yet 高企, closest first."""
    from ... import cache
    from ...programs.pipeline import xiaoshenggao as ranked

    scope = rs.code
    conn = session.connection()
    day = store.latest_as_of(conn, "hnte")

    def ranked_rows():
        if day is None:
            return []
        codes = rs.codes
        key = ("xiaoshenggao", str(session.get_bind().url), day, rs.key)
        return [dict(r, region=_region_name(r["region_code"]))
                for r in cache.cached(key, lambda: ranked(conn, day, codes))]

    if format == "xlsx":
        from ...excel import xlsx_response

        frame = pl.DataFrame([{"统一社会信用代码": r["uscc"], "地区": r["region"],
                               "高企评价": RESULT_NAMES.get(r["result"], r["result"]),
                               "不符合条件数": r["failing"], "一步之遥": "是" if r["close"] else "",
                               "主要差距": "；".join(r["gaps"])} for r in ranked_rows()])
        return xlsx_response({"小升高": frame}, "小升高名单.xlsx")

    def build():
        rows = ranked_rows()
        return {"rows": rows[:500], "total": len(rows), "as_of": day, "region_code": scope}

    return render_cached(request, "programs/xiaoshenggao.html", build)


@router.get("/programs/{pid}", include_in_schema=False)
def program_list(pid: str, request: Request, session: DbSession, rs: Scope,
                 result: str | None = None, format: str | None = None, page: int = 1):
    names = _names()
    if pid not in names:
        raise HTTPException(status_code=404, detail=f"未知的培育项目“{pid}”")
    scope = rs.code
    conn = session.connection()
    day = store.latest_as_of(conn, pid)
    codes = rs.codes
    per = 100
    page = max(1, page)
    export = format == "xlsx"
    found, total = (store.page(conn, day, pid, codes, result or None, 0 if export else (page - 1) * per,
                               None if export else per) if day else ([], 0))
    rows = [{"uscc": r["uscc"], "region": _region_name(r["region_code"]),
             "status": ("close" if r["close"] else "far") if r["result"] == "fail" else r["result"],
             "result": RESULT_NAMES.get(r["result"], r["result"] or "积分"), "version": r["version"],
             "score": r["score"], "score_min": r["score_min"], "score_max": r["score_max"],
             "gap": r["next_step"], "missing": 0} for r in found]
    if export:
        from ...excel import xlsx_response

        frame = pl.DataFrame([{"统一社会信用代码": r["uscc"], "地区": r["region"], "结果": r["result"],
                               "版本": r["version"], "得分": r["score"], "最低分": r["score_min"],
                               "最高分": r["score_max"], "首要差距": r["gap"]} for r in rows])
        return xlsx_response({names[pid]: frame}, f"{names[pid]}-{day}.xlsx")
    return render(request, "programs/list.html", {
        "pid": pid, "name": names[pid], "rows": rows, "total": total, "page": page,
        "pages": max(1, (total + per - 1) // per), "as_of": day, "region_code": scope, "result": result or "",
        "status": STATUS, "versions": programs_by_id()[pid]})


# ---------------------------------------------------------------- enterprise panel

def program_ladder(request: Request, uscc: str) -> dict:
    """Position of one enterprise on the ladders and its next step (for the enterprise page)."""
    factory = request.app.state.session_factory
    with factory() as s:
        conn = s.connection()
        day = store.latest_as_of(conn)
        df = store.load(conn, day, None, None, uscc) if day else pl.DataFrame()
    names = _names()
    by = {r["program"]: r for r in (df.iter_rows(named=True) if df.height else [])}

    def step(pid):
        r = by.get(pid)
        if r is None:
            return {"id": pid, "name": names.get(pid, pid), "result": None, "label": "未评价", "gap": ""}
        return {"id": pid, "name": names.get(pid, pid), "result": r["result"],
                "label": RESULT_NAMES.get(r["result"], "积分"),
                "score": r["score"], "score_min": r["score_min"], "score_max": r["score_max"],
                "gap": r["gaps"][0]["text"] if r["gaps"] else "", "missing": r["missing"]}

    ladder = [step(p) for p in LADDER if p in names]
    growth = [step(p) for p in GROWTH if p in names]
    nxt = next((s for s in ladder if s["result"] not in ("pass",)), None)
    return {"as_of": day, "ladder": ladder, "growth": growth, "next": nxt,
            "points": step("innovation_points") if "innovation_points" in by else None}


templates.env.globals["program_ladder"] = program_ladder
if "programs/ladder_panel.html" not in ENTERPRISE_PANELS:
    ENTERPRISE_PANELS.append("programs/ladder_panel.html")


# ---------------------------------------------------------------- JSON API

class EvaluateIn(BaseModel):
    as_of: dt.date | None = Field(None, description="评价日期(默认今天;申报日期缺省时据此选择规则版本)")
    program: str = Field("all", description="项目编号,如 hnte、tech_sme;all 为全部")
    profiles: list[dict[str, Any]] = Field(..., min_length=1, max_length=20_000,
                                           description="企业画像,键为字段编号或中文名(与 evaluate --input 相同)")


@router.post("/api/evaluate", tags=["programs"], summary="评价企业画像", dependencies=[CsrfChecked])
def api_evaluate(body: EvaluateIn, user: CurrentUser) -> list[dict[str, Any]]:
    """Each profile × program: result, score range, conditions with citations, gaps and the next
    step — the objects `kechuang evaluate --format jsonl` writes. Nothing is stored."""
    from ...programs.engine import evaluate, program_ids
    from ...programs.explain import public, records
    from ...programs.profiles import ProfileError, profiles_from_records

    try:
        ids = program_ids(body.program)
    except KeyError as exc:
        raise HTTPException(status_code=422, detail=exc.args[0])
    try:
        frame = profiles_from_records(body.profiles)
    except ProfileError as exc:
        raise HTTPException(status_code=422, detail=str(exc))
    results = evaluate(frame, ids, body.as_of or dt.date.today(), with_inputs=True)
    return [public(r) for r in records(results)]
