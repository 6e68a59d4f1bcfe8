"""企业培育 pages: per program counts (pass / close / far) by region with charts, program lists,
the 小升高 list, and a ladder panel on the enterprise page. Reads stored results
(``kechuang evaluate --region``) and the certification ledger (titles held); everything exports
to Excel. Words (program names, statuses, glossary) come from ``programs.catalog``."""

from __future__ import annotations

import datetime as dt

import polars as pl
from typing import Any

from fastapi import APIRouter, HTTPException, Request
from markupsafe import Markup
from pydantic import BaseModel, Field

from ... import cache
from ...db import ledger_sources
from ...limits import limits
from ...programs import store
from ...programs.catalog import (CONFIDENCE_NAMES, GLOSSARY, GROWTH, LADDER, STATUSES, program_name,
                                 program_names, result_name, status_of, why_no_pass)
from ...programs.engine import PROGRAM_ORDER
from ...programs.model import programs_by_id
from ...regions import name_of, registry
from ..deps import CsrfChecked, CurrentUser, DbSession, Scope, esc, render, render_cached, templates
from .ledgers import ENTERPRISE_PANELS

router = APIRouter()
PER_PAGE = 100
# stored results and the certificates held (names, where a page shows them, add the enterprise ledger)
_READS = store.READS + ledger_sources(["certification"])


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


def _counts(session, codes: set[str] | None, scope: str | None, as_of: dt.date) -> pl.DataFrame:
    from ...programs.pipeline import program_counts

    df = program_counts(session.connection(), as_of, codes)
    if df.height == 0:
        return df.with_columns(pl.lit("").alias("area"))
    mapping = {c: _child_of(scope, c) for c in df["region_code"].unique().to_list()}
    return df.with_columns(pl.col("region_code").replace_strict(mapping, default="").alias("area"))


def _cards(session, codes: set[str] | None, scope: str | None, day: dt.date) -> tuple[list[dict], list[dict]]:
    """Per program: counts by area (pass / close / far …), a chart option, and rows for export."""
    names = program_names()
    cards, export = [], []
    df = _counts(session, codes, scope, day)
    for pid in [p for p in PROGRAM_ORDER if p in names] + sorted(set(names) - set(PROGRAM_ORDER)):
        sub = df.filter(pl.col("program") == pid)
        if sub.height == 0:
            continue
        areas = sorted(sub["area"].unique().to_list())
        table = []
        for a in areas:
            row = {k: int(sub.filter((pl.col("area") == a) & (pl.col("status") == k))["n"].sum()) for k, _ in STATUSES}
            for extra in ("scored", "held"):
                row[extra] = int(sub.filter((pl.col("area") == a) & (pl.col("status") == extra))["n"].sum())
            table.append((a, name_of(a), row))
            export.append({"项目": names[pid], "地区": name_of(a), **{lab: row[k] for k, lab in STATUSES},
                           "已持有有效证书": row["held"], "积分企业数": row["scored"]})
        total = {k: sum(r[k] for _, _, r in table) for k, _ in list(STATUSES) + [("scored", ""), ("held", "")]}
        option = {
            "tooltip": {"trigger": "axis"}, "legend": {"data": [lab for _, lab in STATUSES[:3]]},
            "grid": {"left": 60, "right": 20, "bottom": 40, "top": 40},
            "xAxis": {"type": "category", "data": [n for _, n, _ in table]}, "yAxis": {"type": "value"},
            "series": [{"name": lab, "type": "bar", "stack": "all", "data": [r[k] for _, _, r in table]}
                       for k, lab in STATUSES[:3]],
        }
        versions = programs_by_id()[pid]
        cards.append({"id": pid, "name": names[pid], "rows": table, "total": total, "option": option,
                      "scored": versions[-1].kind == "index", "why_zero": why_no_pass(pid, total["pass"],
                                                                             total["depends"]),
                      "low": versions[-1].confidence in ("low", "medium-low")})
    return cards, export


def _asked_name(rs) -> str:
    """What the region box shows: the region the request named (never a default)."""
    return name_of(rs.asked) if rs.asked else ""


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
            cards, export = cache.cached(key, lambda: _cards(session, rs.codes, scope, day), reads=_READS)
        return day, cards, export

    if format == "xlsx":
        from ...excel import xlsx_response

        day, _, export = gather()
        return xlsx_response({"企业培育": pl.DataFrame(export)}, f"企业培育-{day}.xlsx")

    def build():
        day, cards, _ = gather()
        return {"cards": cards, "as_of": day, "region_code": scope, "region_text": _asked_name(rs),
                "status": STATUSES, "glossary": GLOSSARY, **_windows(None, scope)}

    return render_cached(request, "programs/index.html", build, reads=_READS)


def _names_of(conn, usccs) -> dict[str, str]:
    from ...ledgers.store import enterprise_names

    return enterprise_names(conn, usccs)


def _pages(total: int) -> int:
    return max(1, (total + PER_PAGE - 1) // PER_PAGE)


@router.get("/programs/xiaoshenggao", include_in_schema=False)
def xiaoshenggao(request: Request, session: DbSession, rs: Scope, format: str | None = None, page: int = 1):
    """小升高: 科技型中小企业 (passing) without a valid 高企 certificate that are not yet 高企, closest first."""
    from ...programs.pipeline import RANKED, ranked_candidates, valid_holders, with_gaps

    scope = rs.code
    conn = session.connection()
    day = store.latest_as_of(conn, "hnte")

    def ranked_rows() -> pl.DataFrame:
        if day is None:
            return pl.DataFrame(schema=RANKED)
        # candidates change with stored results only; certificate holders are left out at each view
        candidates = ranked_candidates(conn, day, rs.codes)
        held = valid_holders(conn, "hnte", day)
        return candidates.filter(~pl.col("uscc").is_in(sorted(held))) if held else candidates

    def named(rows: pl.DataFrame) -> list[dict]:  # the reasons of these rows only are decoded
        names = _names_of(conn, rows["uscc"].to_list())
        return [dict(r, region=name_of(r["region_code"]), name=names.get(r["uscc"], ""),
                     result_name=result_name(r["result"])) for r in with_gaps(conn, rows.to_dicts())]

    if format == "xlsx":
        from ...excel import xlsx_response

        frame = pl.DataFrame([{"序号": i, "企业名称": r["name"], "统一社会信用代码": r["uscc"], "地区": r["region"],
                               "高企评价": r["result_name"], "得分区间": _range(r),
                               "不符合条件数": r["failing"], "一步之遥": "是" if r["close"] else "",
                               "主要差距": "；".join(r["gaps"])} for i, r in enumerate(named(ranked_rows()), 1)])
        return xlsx_response({"小升高": frame}, "小升高名单.xlsx")

    page = max(1, page)

    def build():
        rows = ranked_rows()
        start = (page - 1) * PER_PAGE
        return {"rows": named(rows.slice(start, PER_PAGE)), "start": start, "total": rows.height, "page": page,
                "pages": _pages(rows.height), "as_of": day, "region_code": scope, "region_text": _asked_name(rs),
                "glossary": {k: GLOSSARY[k] for k in ("一步之遥", "得分区间", "待专家评定", "已持有有效证书")}}

    return render_cached(request, "programs/xiaoshenggao.html", build, reads=_READS + ledger_sources(["enterprise"]))


def _rows_html(rows: list[dict], start: int) -> Markup:
    """The list's table rows, joined here rather than looped in the template (Jinja's per-cell
    look-ups cost more than the rest of a deep page); escaped as the template escapes."""
    out = []
    for n, r in enumerate(rows, start + 1):
        uscc = esc(r["uscc"])
        extra = ("（一步之遥）" if r["status"] == "close" else "") + (
            ' <span class="badge">已持有有效证书</span>' if r["held"] else "")
        out.append(f'<tr data-uscc="{uscc}"><td>{n}</td><td><a href="/enterprises/{uscc}">{esc(r["name"] or r["uscc"])}'
                   f'</a></td><td>{uscc}</td><td>{esc(r["region"])}</td>\n    <td class="status-{esc(r["status"])}">'
                   f'{esc(r["result"])}{extra}</td><td>{esc(r["version"])}</td>\n    <td>{esc(r["score"])}</td>'
                   f'<td>{esc(r["gap"])}</td></tr>')
    return Markup("\n  ".join(out))


def _range(r) -> str:
    from ...programs.gaps import fmt_number

    if r.get("score") is not None:
        return fmt_number(r["score"])
    if r.get("score_min") is not None:
        return f"{fmt_number(r['score_min'])}–{fmt_number(r['score_max'])}"
    return ""


@router.get("/programs/{pid}", include_in_schema=False)
def program_list(pid: str, request: Request, session: DbSession, rs: Scope,
                 result: str | None = None, format: str | None = None, page: int = 1, held: int = 0):
    """A program's results, best first; holders of a valid certificate of the program are left
    out (candidates only) unless ``held=1``."""
    from ...programs.pipeline import valid_holders

    names = program_names()
    if pid not in names:
        raise HTTPException(status_code=404, detail=f"未知的培育项目“{pid}”")
    if result and result not in dict(STATUSES):
        raise HTTPException(status_code=400, detail=f"未知的结果筛选“{result}”，可选："
                            + "、".join(f"{k}（{v}）" for k, v in STATUSES))
    scope = rs.code
    conn = session.connection()
    # the same for every page of the list until results are stored again
    day = cache.per_version(conn, ("program_latest", pid), lambda: store.latest_as_of(conn, pid), reads=store.READS)
    codes = rs.codes
    page = max(1, page)
    export = format == "xlsx"

    def listed() -> tuple[list[dict], int, int]:
        holders = valid_holders(conn, pid, day) if day else frozenset()
        found, total = (store.page(conn, day, pid, codes, result or None, 0 if export else (page - 1) * PER_PAGE,
                                   None if export else PER_PAGE, exclude=None if held else holders)
                        if day else ([], 0))
        held_here = store.left_out(conn, day, pid, codes, result or None, holders) if day else 0
        region_names: dict[str, str] = {}  # a page's hundred rows lie in a few regions
        rows = [{"uscc": r["uscc"], "name": r["name"],
                 "region": region_names.get(r["region_code"]) or region_names.setdefault(
                     r["region_code"], name_of(r["region_code"])),
                 "status": status_of(r["result"], r["close"]), "result": result_name(r["result"]),
                 "version": r["version"], "score": _range(r), "gap": r["next_step"],
                 "held": r["uscc"] in holders} for r in found]
        return rows, total, held_here

    if export:
        from ...excel import xlsx_response

        rows = listed()[0]
        frame = pl.DataFrame([{"企业名称": r["name"], "统一社会信用代码": r["uscc"], "地区": r["region"],
                               "结果": r["result"] + ("（一步之遥）" if r["status"] == "close" else ""),
                               "已持有有效证书": "是" if r["held"] else "", "规则版本": r["version"],
                               "得分/得分区间": r["score"], "首要问题 / 下一步": r["gap"]} for r in rows])
        return xlsx_response({names[pid]: frame}, f"{names[pid]}-{day}.xlsx")

    def build():
        rows, total, holders = listed()
        return {"pid": pid, "name": names[pid], "rows": rows, "rows_html": _rows_html(rows, (page - 1) * PER_PAGE),
                "total": total, "page": page,
                "start": (page - 1) * PER_PAGE, "pages": _pages(total), "as_of": day, "region_code": scope,
                "region_text": _asked_name(rs), "result": result or "", "status": STATUSES,
                "versions": programs_by_id()[pid], "glossary": GLOSSARY, "with_held": bool(held),
                "holders": holders, "confidence_names": CONFIDENCE_NAMES, **_windows(pid, scope)}

    # names come from the enterprise ledger
    return render_cached(request, "programs/list.html", build, reads=_READS + ledger_sources(["enterprise"]))


def _windows(pid: str | None, scope: str | None) -> dict:
    """申报窗口 concerning the region (open first, then upcoming, then the most recently closed)."""
    from ...programs.windows import STATES, windows_for

    today = dt.date.today()
    order = {"open": 0, "upcoming": 1, "closed": 2}
    found = sorted(windows_for(pid, scope), key=lambda w: (
        order[w.state(today)], w.closes_on.toordinal() * (-1 if w.state(today) == "closed" else 1)))
    return {"windows": found, "window_states": STATES, "today": today}


# ---------------------------------------------------------------- enterprise panel

def program_ladder(request: Request, uscc: str, records: dict | None = None) -> dict:
    """One enterprise on the ladders: titles held (valid certificates from the ledger), each
    program's full explanation, and the next step up from the highest title held."""
    from ...programs.explain import view
    from ...programs.pipeline import held_titles

    factory = request.app.state.session_factory
    with factory() as s:
        conn = s.connection()
        day = store.latest_as_of(conn)
        df = store.load(conn, day, None, None, uscc) if day else pl.DataFrame()
    cert = (records or {}).get("certification")
    today = day or dt.date.today()
    held = held_titles(cert, today)
    by = {r["program"]: r for r in (df.iter_rows(named=True) if df.height else [])}

    def step(pid):
        r = by.get(pid)
        h = held.get(pid)
        if r is None:
            v = {"program": pid, "name": program_name(pid), "result": None, "status": "none",
                 "result_name": "未评价", "score": "", "rows": [], "terms": [], "held": h,
                 "headline": "尚未评价" if not h else f"已持有有效证书（有效期至 {h['last_day']}）"}
        else:
            v = view(r, today, h)
        v["id"] = pid
        if h:
            v["status"] = "held"
            v["label"] = "已持有"
        else:
            v["label"] = v["result_name"] + ("（一步之遥）" if v.get("status") == "close" else "")
        return v

    ladder = [step(p) for p in LADDER if p in program_names()]
    growth = [step(p) for p in GROWTH if p in program_names()]
    top = max((i for i, s in enumerate(ladder) if s["held"]), default=-1)
    nxt = next((s for s in ladder[top + 1:] if not s["held"]), None)
    terms = sorted({t for s in ladder + growth for t in s["terms"]} | ({"已持有有效证书"} if held else set()))
    return {"as_of": day, "ladder": ladder, "growth": growth, "next": nxt, "held": held,
            "glossary": [(t, GLOSSARY[t]) for t in terms if t in GLOSSARY],
            "points": step("innovation_points") if "innovation_points" in by else None}


templates.env.globals["program_ladder"] = program_ladder
if "programs/ladder_panel.html" not in ENTERPRISE_PANELS:
    ENTERPRISE_PANELS.append("programs/ladder_panel.html")


# ---------------------------------------------------------------- JSON API

class EvaluateIn(BaseModel):
    as_of: dt.date | None = Field(None, description="评价日期(默认今天;申报日期缺省时据此选择规则版本)")
    program: str = Field("all", description="项目编号,如 hnte、tech_sme;all 为全部")
    profiles: list[dict[str, Any]] = Field(..., min_length=1, max_length=limits().evaluate_profiles,
                                           description="企业画像,键为字段编号或中文名(与 evaluate --input 相同)")


@router.post("/api/evaluate", tags=["programs"], summary="评价企业画像", dependencies=[CsrfChecked])
def api_evaluate(body: EvaluateIn, user: CurrentUser) -> list[dict[str, Any]]:
    """Each profile × program: result, score range, conditions with citations, gaps and the next
    step — the objects `kechuang evaluate --format jsonl` writes. Nothing is stored."""
    from ...programs.engine import evaluate, program_ids
    from ...programs.explain import public, records
    from ...programs.profiles import ProfileError, profiles_from_records

    cap = limits().evaluate_profiles if user.can_write else limits().evaluate_profiles_viewer
    if len(body.profiles) > cap:
        raise HTTPException(status_code=413, detail=f"一次最多评价 {cap:,} 个企业画像(本次 {len(body.profiles):,} 个),"
                                                    "请分批提交")
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
