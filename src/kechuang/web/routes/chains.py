"""产业链 pages and API: a chain as a tree coloured by node status in the region in scope, a node's
enterprises with their evidence (confirm / correct by an officer), 补链 candidates and actions, and
the "图 + 清单" Excel workbook. Everything is computed by kechuang.chains."""

from __future__ import annotations

import datetime as dt

import polars as pl
from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse

from ..deps import CsrfChecked, CurrentUser, DbSession, Scope, render, require_edit, templates
from .ledgers import ENTERPRISE_PANELS

router = APIRouter()
COLOURS = {"present": "#2e7d32", "weak": "#f9a825", "missing": "#c62828"}
STATUS_NAMES = {"present": "强(已有)", "weak": "弱(薄弱)", "missing": "缺(缺失)"}
EVIDENCE = {"industry_code": "行业代码", "product": "主营产品", "scope": "经营范围", "patent": "专利", "manual": "人工确认"}


def _chain(chain_id: str):
    from ...chains import TemplateError, get_chain

    try:
        return get_chain(chain_id)
    except TemplateError as exc:
        raise HTTPException(status_code=404, detail=str(exc))


def _day(as_of: str | None) -> dt.date:
    try:
        return dt.date.fromisoformat(as_of) if as_of else dt.date.today()
    except ValueError:
        raise HTTPException(status_code=400, detail=f"日期“{as_of}”格式错误，应为 YYYY-MM-DD")


def _view(request: Request, rs, chain, day):
    from ...chains.status import cached_view

    return cached_view(request.app.state.engine, rs.code, chain, day)


def _evidence_text(evidence: list[dict]) -> str:
    return "；".join(f"{EVIDENCE.get(e['kind'], e['kind'])}：{e['value']}" for e in evidence)


def _tree_option(view, region_q: str) -> dict:
    chain = view.chain
    by_id = {ns.node_id: ns for ns in view.nodes}

    def item(node):
        ns = by_id[node.id]
        return {"name": node.name, "value": ns.enterprises,
                "itemStyle": {"color": COLOURS[ns.status], "borderColor": COLOURS[ns.status]},
                "label": {"formatter": f"{node.name}({ns.enterprises})"},
                "children": [item(c) for c in chain.children(node.id)]}

    root = {"name": chain.name, "children": [item(n) for n in chain.children(None)],
            "itemStyle": {"color": "#1565c0"}}
    clicks = {n.name: f"/chains/{chain.id}/nodes/{n.id}{region_q}" for n in chain.nodes}
    return {"tooltip": {"trigger": "item"},
            "series": [{"type": "tree", "data": [root], "top": "2%", "bottom": "2%", "left": "12%", "right": "22%",
                        "symbolSize": 12, "initialTreeDepth": -1, "expandAndCollapse": False,
                        "label": {"position": "left", "verticalAlign": "middle", "align": "right", "fontSize": 13},
                        "leaves": {"label": {"position": "right", "align": "left"}}}],
            "__click": clicks}


def _node_rows(view) -> list[dict]:
    from ...chains.templates import LAYERS

    depth = {}
    for n in view.chain.nodes:
        depth[n.id] = depth.get(n.parent, -1) + 1 if n.parent else 0
    return [{"层级": LAYERS[ns.layer], "节点": "　" * depth[ns.node_id] + ns.node_name, "节点编号": ns.node_id,
             "状态": STATUS_NAMES[ns.status], "企业数": ns.enterprises, "销售收入合计(万元)": float(ns.revenue),
             "有效资质企业数": ns.certified,
             "链主候选": "、".join(view.info[u]["name"] for u in ns.leaders), "判定依据": ns.reason}
            for ns in view.nodes]


def _member_rows(view, node_id: str | None = None) -> list[dict]:
    from ...regions import registry

    reg = registry()
    out = []
    for ns in view.nodes:
        if node_id and ns.node_id != node_id:
            continue
        for a in ns.members:
            i = view.info[a.uscc]
            r = reg.get(i["region_code"])
            out.append({"节点": ns.node_name, "统一社会信用代码": a.uscc, "企业名称": i["name"],
                        "所在地区": r.name if r else i["region_code"], "置信度": round(a.confidence, 2),
                        "证据": _evidence_text(a.evidence), "来源": a.source,
                        "日期": a.date.isoformat() if a.date else "", "已过期": "是" if a.stale else "",
                        "链主候选": "是" if a.uscc in ns.leaders else "",
                        "销售收入(万元)": float(i["revenue"]) if i["revenue"] is not None else None})
    return out


def _gap_rows(gaps) -> list[dict]:
    return [{"节点": g.node.name, "状态": STATUS_NAMES[g.status], "排名": k, "统一社会信用代码": c.uscc,
             "企业名称": c.name, "所在地区": c.region_code, "得分": round(c.score, 2), "理由": "；".join(c.reasons),
             "符合的培育计划": "、".join(c.programs)}
            for g in gaps for k, c in enumerate(g.candidates, 1)]


@router.get("/chains", include_in_schema=False)
def chains_index(request: Request, rs: Scope):
    from ...chains import chains

    return render(request, "chains/index.html", {"chains": list(chains().values()), "region_code": rs.code,
                                                 "region_q": f"?region={rs.asked}" if rs.asked else ""})


@router.get("/chains/{chain_id}", include_in_schema=False)
def chain_page(chain_id: str, request: Request, rs: Scope, as_of: str | None = None, format: str | None = None):
    chain = _chain(chain_id)
    day = _day(as_of)
    view = _view(request, rs, chain, day)
    region_q = f"?region={rs.asked}" if rs.asked else ""
    if format == "xlsx":
        from ...chains.status import cached_gaps
        from ...excel import xlsx_response

        gaps = cached_gaps(request.app.state.engine, view)
        return xlsx_response({"产业链图": pl.DataFrame(_node_rows(view)),
                              "企业清单": pl.DataFrame(_member_rows(view), infer_schema_length=None),
                              "补链清单": pl.DataFrame(_gap_rows(gaps), infer_schema_length=None)},
                             f"{chain.name}-图与清单.xlsx")
    counts = {s: sum(1 for ns in view.nodes if ns.status == s) for s in COLOURS}
    return render(request, "chains/chain.html", {
        "chain": chain, "view": view, "rows": _node_rows(view), "option": _tree_option(view, region_q),
        "counts": counts, "names": STATUS_NAMES, "colours": COLOURS, "region_q": region_q, "as_of": day.isoformat()})


@router.get("/chains/{chain_id}/nodes/{node_id}", include_in_schema=False)
def node_page(chain_id: str, node_id: str, request: Request, rs: Scope, user: CurrentUser,
              as_of: str | None = None, format: str | None = None):
    chain = _chain(chain_id)
    try:
        node = chain.node(node_id)
    except KeyError:
        raise HTTPException(status_code=404, detail=f"产业链“{chain.name}”没有节点“{node_id}”")
    day = _day(as_of)
    view = _view(request, rs, chain, day)
    ns = view.node(node_id)
    gap = None
    if ns.status != "present":
        from ...chains.status import cached_gaps

        gap = next((g for g in cached_gaps(request.app.state.engine, view) if g.node.id == node_id), None)
    members = _member_rows(view, node_id)
    if format == "xlsx":
        from ...excel import xlsx_response

        sheets = {"企业清单": pl.DataFrame(members, infer_schema_length=None)}
        if gap:
            sheets["补链清单"] = pl.DataFrame(_gap_rows([gap]), infer_schema_length=None)
        return xlsx_response(sheets, f"{chain.name}-{node.name}.xlsx")
    return render(request, "chains/node.html", {
        "chain": chain, "node": node, "ns": ns, "view": view, "members": ns.members, "gap": gap,
        "evidence_text": _evidence_text, "names": STATUS_NAMES, "colours": COLOURS, "as_of": day.isoformat(),
        "region_q": f"?region={rs.asked}" if rs.asked else "",
        "can_edit": {a.uscc: user.can_edit(view.info[a.uscc]["region_code"]) for a in ns.members},
        "other_nodes": [n for n in chain.nodes if n.id != node_id]})


@router.post("/chains/{chain_id}/nodes/{node_id}/decide", include_in_schema=False, dependencies=[CsrfChecked])
def decide_node(chain_id: str, node_id: str, session: DbSession, user: CurrentUser, rs: Scope,
                uscc: str = Form(...), verdict: str = Form(...), move_to: str = Form(""), note: str = Form("")):
    """确认 (confirm), 否定 (reject) or 更正 (reject here, confirm on ``move_to``)."""
    from ...chains.decisions import DecisionError, decide
    from ...ledgers import load_frame
    from ...ledgers.uscc import normalize

    chain = _chain(chain_id)
    uscc = normalize(uscc)
    ent = load_frame(session.connection(), "enterprise", rs.codes, usccs=[uscc])
    if not ent.height:
        raise HTTPException(status_code=404, detail="没有找到该企业，或该企业不在您的管辖范围内")
    region = ent.get_column("region_code")[0]
    require_edit(user, region)
    try:
        if verdict == "move":
            if not move_to or move_to == node_id:
                raise DecisionError("更正时请选择另一个节点")
            decide(session, user.username, uscc, chain, node_id, "reject", region_code=region, note=note)
            decide(session, user.username, uscc, chain, move_to, "confirm", region_code=region, note=note)
        else:
            decide(session, user.username, uscc, chain, node_id, verdict, region_code=region, note=note)
    except DecisionError as exc:
        session.rollback()
        raise HTTPException(status_code=400, detail=str(exc))
    session.commit()
    target = move_to if verdict == "move" else node_id
    q = f"?region={rs.asked}" if rs.asked else ""
    return RedirectResponse(f"/chains/{chain_id}/nodes/{target}{q}", status_code=303)


# ---------------------------------------------------------------- JSON API

@router.get("/api/chains", tags=["chains"], summary="产业链模板")
def api_chains(user: CurrentUser):
    from ...chains import chains

    return [{"id": c.id, "name": c.name, "version": c.version, "region_scope": c.region_scope,
             "sources": [s.__dict__ for s in c.sources],
             "nodes": [{"id": n.id, "name": n.name, "parent": n.parent, "layer": n.layer,
                        "industry_codes": list(n.industry_codes), "sei_codes": list(n.sei_codes),
                        "keywords": list(n.keywords), "exclude_keywords": list(n.exclude_keywords),
                        "no_code_reason": n.no_code_reason} for n in c.nodes]}
            for c in chains().values()]


@router.get("/api/chains/{chain_id}/status", tags=["chains"], summary="产业链节点强弱(本地区)")
def api_status(chain_id: str, request: Request, rs: Scope, as_of: str | None = None):
    view = _view(request, rs, _chain(chain_id), _day(as_of))
    return [ns.as_dict() for ns in view.nodes]


@router.get("/api/chains/{chain_id}/nodes/{node_id}/enterprises", tags=["chains"], summary="节点上的企业及证据")
def api_node_enterprises(chain_id: str, node_id: str, request: Request, rs: Scope, as_of: str | None = None):
    chain = _chain(chain_id)
    view = _view(request, rs, chain, _day(as_of))
    try:
        ns = view.node(node_id)
    except StopIteration:
        raise HTTPException(status_code=404, detail=f"产业链“{chain.name}”没有节点“{node_id}”")
    return [a.as_dict() | {"name": view.info[a.uscc]["name"], "region_code": view.info[a.uscc]["region_code"]}
            for a in ns.members]


@router.get("/api/chains/{chain_id}/supplement", tags=["chains"], summary="补链候选企业与可用措施")
def api_supplement(chain_id: str, request: Request, rs: Scope, as_of: str | None = None):
    from ...chains.status import cached_gaps

    view = _view(request, rs, _chain(chain_id), _day(as_of))
    return [g.as_dict() for g in cached_gaps(request.app.state.engine, view)]


def chain_places(request: Request, uscc: str, records: dict) -> list[dict]:
    """The enterprise page's panel: the chain nodes this enterprise sits on, with evidence."""
    from ...chains.status import enterprise_places

    ent = records.get("enterprise")
    if ent is None or not ent.height:
        return []
    engine = request.app.state.engine
    with engine.connect() as conn:
        places = enterprise_places(conn, ent.row(0, named=True), records.get("ip"), dt.date.today())
    return [{"chain": a.chain, "node": a.node, "confidence": a.confidence, "evidence": _evidence_text(a.evidence),
             "manual": a.manual} for a in places]


templates.env.globals["chain_places"] = chain_places
if "chains/enterprise_panel.html" not in ENTERPRISE_PANELS:
    ENTERPRISE_PANELS.append("chains/enterprise_panel.html")
