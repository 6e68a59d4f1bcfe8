"""Per-enterprise explanations: JSON records (the `evaluate` contract), gap wording,
a tree of reasons, and which missing input matters most."""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Iterator

import polars as pl

from .engine import CODE_NAMES, Plan, Result, index_missing_order
from .fields import fields
from .gaps import default_text, fmt_amount, fmt_number, render


from .model import RESULT_NAMES, STAGE_NAMES


def public(rec: dict) -> dict:
    """The record with only the contract keys (private helpers start with "_", also inside gaps)."""
    out = {k: v for k, v in rec.items() if not k.startswith("_")}
    if "gaps" in out:
        out["gaps"] = [{k: v for k, v in g.items() if not k.startswith("_")} for g in out["gaps"]]
    return out

# words added to a condition's or gap's text (also used by the column-wise writer, jsonl.py)
REVIEW = "（接近临界值，建议人工复核）"
INDICATOR_REVIEW = "（接近分档临界值，建议人工复核）"
FLIP_PASS = "（仅此一项即可使结果变为符合）"
FLIP_NOT_FAIL = "（仅此一项即可不再不符合，其余待专家评定）"

OP_WORDS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "==": "=", "!=": "≠"}


def _num(v):
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return None
        return round(v, 10)
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return v


def _fmt_field(fid: str, v) -> str:
    f = fields().get(fid)
    if v is None:
        return "—"
    return fmt_number(v, f.unit if f and f.type == "ratio" else "")


def plan_records(plan: Plan, df: pl.DataFrame) -> Iterator[dict]:
    for row in df.iter_rows(named=True):
        yield record(plan, row)


def record(plan: Plan, row: dict) -> dict:
    p = plan.program
    code = row.get("result_code")
    out = {
        "uscc": row.get("uscc"),
        "program": p.id,
        "version": p.version,
        "result": CODE_NAMES.get(code) if code is not None else None,
        "score": _num(row.get("score")),
        "score_min": _num(row.get("score_min")),
        "score_max": _num(row.get("score_max")),
        "conditions": [],
        "gaps": [],
        "missing": [],
    }
    if p.kind == "index":
        return _index_record(plan, row, out)
    unknown_items = []
    for cp in plan.conditions:
        it = cp.item
        rc = row.get(f"{it.id}.result")
        res = CODE_NAMES.get(rc)
        value = None
        if cp.has_value:
            value = _num(row.get(f"{it.id}.value"))
            if cp.value_ranged:
                value = [value, _num(row.get(f"{it.id}.value_max"))]
        threshold = _num(cp.threshold_const) if not cp.has_threshold_col else _num(row.get(f"{it.id}.threshold"))
        text = it.text
        if row.get(f"{it.id}.review"):
            text += REVIEW
        out["conditions"].append({"id": it.id, "text": text, "value": value, "op": cp.op or None,
                                  "threshold": threshold, "result": res, "cite": it.cite})
        if res == "unknown":
            unknown_items.append(it)
    for ip in plan.indicators:
        it = ip.item
        pts = _num(row.get(f"{it.id}.points"))
        if ip.ranged:
            pts = [pts, _num(row.get(f"{it.id}.points_max"))]
        text = it.text + (INDICATOR_REVIEW if row.get(f"{it.id}.review") else "")
        out["conditions"].append({"id": it.id, "text": text, "value": pts, "op": "points", "threshold": None,
                                  "result": None, "cite": it.cite})
    out["gaps"] = gaps_for(plan, row)
    out["_close"] = bool(row.get("close"))
    if unknown_items or out["result"] == "unknown":
        out["missing"] = _missing(p, unknown_items or list(p.conditions.values()), row)
    return out


def _index_record(plan: Plan, row: dict, out: dict) -> dict:
    """Innovation points: each indicator's points ([0, full points] while its input is missing),
    the rank and percentile within the stage, and the missing inputs, most points at stake first."""
    p = plan.program
    for ip in plan.indicators:
        it = ip.item
        pts = _num(row.get(f"{it.id}.points"))
        if pts is None and row.get(f"{it.id}.max") is not None:
            pts = [0.0, _num(row.get(f"{it.id}.max"))]
        out["conditions"].append({"id": it.id, "text": it.text, "value": pts, "op": "points",
                                  "threshold": None, "result": None, "cite": it.cite})
    stage = STAGE_NAMES.get(row.get("stage_of"), "同阶段")
    out["conditions"].append({"id": "rank", "text": f"在{stage}企业中的排名（共 {int(row.get('pool_size') or 0)} 家）",
                              "value": _num(row.get("rank")), "op": "rank",
                              "threshold": _num(row.get("pool_size")), "result": None, "cite": p.doc_number})
    out["conditions"].append({"id": "percentile", "text": f"在{stage}企业中的百分位", "value": _num(row.get("percentile")),
                              "op": "percentile", "threshold": None, "result": None, "cite": p.doc_number})
    # a missing input is always flagged, also when the rule file scores it as 0 (C4)
    scored = row.get("score") is not None
    out["missing"] = [f for f in index_missing_order(p)[row.get("stage_of")]
                      if (row[f] is None if f in row else not scored)]
    return out


def _missing(p, items, row) -> list[str]:
    seen: list[str] = []
    expert = p.expert_fields()
    for it in items:
        for fid in sorted(p.item_fields(it)):
            if fid == "application_on" or fid in expert:
                continue
            if row.get(fid) is None and fid not in seen:
                seen.append(fid)
    return seen


def gaps_for(plan: Plan, row: dict) -> list[dict]:
    """Gaps of failing conditions, then next-band gains; single changes that flip the
    overall result first, cheapest (smallest relative change) first."""
    items = []
    parts = [(cp, True) for cp in plan.conditions]
    if row.get("result_code") != 1:  # scored indicators matter only while the result is not yet a pass
        parts += [(ip, False) for ip in plan.indicators]
    for part, is_condition in parts:
        it = part.item
        for fid in part.gap_fields:
            needed = row.get(f"{it.id}.gap.{fid}")
            if needed is None:
                continue
            spec = next(s for s in it.gaps if s.field == fid)
            gain = None if is_condition else row.get(f"{it.id}.gain.{fid}")
            items.append(_gap(it, part if is_condition else None, spec.text, fid, needed, row, gain, plan))
    items.sort(key=lambda g: (not g["_flip"], g["_cost"]))
    for g in items:
        if g["_flip"]:
            g["text"] += FLIP_PASS if g["_flip_to"] == 1 else FLIP_NOT_FAIL
        g["_item"] = g.pop("_src")  # which condition or indicator the gap belongs to (not in the contract)
        del g["_flip"], g["_flip_to"], g["_cost"]
    return items


def _gap(it, cp, template, fid, needed, row, gain, plan) -> dict:
    current = row.get(fid)
    delta = None if current is None else needed - current
    f = fields().get(fid)
    unit = it.unit
    vals = {
        "value": fmt_number(row.get(f"{it.id}.value"), unit) if cp else "",
        "threshold": fmt_number(cp.threshold_const if cp and not cp.has_threshold_col
                                else row.get(f"{it.id}.threshold"), unit) if cp else "",
        "current": fmt_number(current),
        "needed": fmt_number(needed),
        "delta": fmt_number(abs(delta) if delta is not None else None),
        "points": fmt_number(gain),
        "label": f.full_label if f else fid,
    }
    text = render(template, vals) if template else default_text(fid, current, needed, delta)
    flip = bool(row.get(f"flip.{it.id}.{fid}"))
    cost = abs(delta) / max(abs(current), f.step if f else 0.01) if delta is not None and current is not None else math.inf
    return {"field": fid, "current": _num(current), "needed": _num(needed),
            "delta": _num(round(delta, 6) if delta is not None else None), "text": text,
            "_flip": flip, "_flip_to": row.get(f"flipto.{it.id}.{fid}"), "_cost": cost, "_src": it.id}


def records(results: dict[str, Result]) -> Iterator[dict]:
    for res in results.values():
        for plan, df in res.parts:
            yield from plan_records(plan, df)


# ---------------------------------------------------------------- tree

MARK = {"pass": "✔", "fail": "✘", "depends": "≈", "unknown": "?", None: "·"}


def tree(rec: dict, program_name: str = "") -> str:
    """A readable tree of reasons (Publicodes style) for one record."""
    from .model import programs_by_id

    prog = next((q for q in programs_by_id().get(rec["program"], []) if q.version == rec["version"]), None)
    units = {i: it.unit for i, it in (prog.conditions.items() if prog else [])}
    head = f"{program_name or rec['program']}（{rec['version']}）：{RESULT_NAMES.get(rec['result'], rec['result'] or '积分')}"
    if rec.get("score_min") is not None:
        if rec.get("score") is not None:
            head += f"，得分 {fmt_number(rec['score'])}"
        else:
            head += f"，得分区间 {fmt_number(rec['score_min'])}–{fmt_number(rec['score_max'])}"
    lines = [head]
    for c in rec["conditions"]:
        if c["op"] == "points":
            v = c["value"]
            if v is None or (isinstance(v, list) and v[0] is None):
                lines.append(f"  ? {c['text']}：数据不足")
                continue
            pts = f"{fmt_number(v[0])}–{fmt_number(v[1])}" if isinstance(v, list) else fmt_number(v)
            if isinstance(v, list) and prog is not None and prog.kind == "index":  # an input is missing
                lines.append(f"  ? {c['text']}：缺少数据，可得 {pts} 分")
                continue
            lines.append(f"  · {c['text']}：{pts} 分")
            continue
        detail = ""
        if c["op"] and c["op"] not in ("rank",) and c["value"] is not None:
            v = c["value"]
            u = units.get(c["id"], "")
            vs = f"{fmt_number(v[0])}–{fmt_number(v[1])}" if isinstance(v, list) else fmt_number(v, u)
            detail = f"（{vs} {OP_WORDS.get(c['op'], c['op'])} {fmt_number(c['threshold'], u)}）"
        lines.append(f"  {MARK.get(c['result'], '·')} {c['text']}{detail}  〔{c['cite']}〕")
    if rec["missing"]:
        labels = [fields()[m].full_label if m in fields() else m for m in rec["missing"]]
        lines.append(f"  缺少数据：{'、'.join(labels)}")
    for g in rec["gaps"]:
        lines.append(f"  → {g['text']}")
    return "\n".join(lines)


def missing_importance(recs: list[dict]) -> list[tuple[str, int]]:
    """Which missing input blocks the most unknown results (count of records it would help decide)."""
    counts: dict[str, int] = {}
    for r in recs:
        if r["result"] != "unknown":
            continue
        for m in r["missing"]:
            counts[m] = counts.get(m, 0) + 1
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


# ---------------------------------------------------------------- the page view of one record

def required_conditions(p) -> set[str]:
    """Conditions every path needs: the names joined by ``and`` at the top of the rule. A failing
    one disqualifies; conditions under ``or`` are alternative paths."""
    from . import expr as E

    out: set[str] = set()

    def walk(n):
        if isinstance(n, E.Bin) and n.op == "and":
            walk(n.left)
            walk(n.right)
        elif isinstance(n, E.Name) and n.name in p.conditions:
            out.add(n.name)

    if p.rule is not None and p.rule.node is not None:
        walk(p.rule.node)
    return out


def _unit(p, it) -> str:
    """The unit of a condition's compared value: its own, a field's, 分 for scores."""
    from . import expr as E

    if it.unit:
        return it.unit
    node = it.node.left if isinstance(it.node, E.Bin) else None
    while isinstance(node, E.Name):
        name = node.name
        if name in fields():
            return fields()[name].unit
        if name == "score" or name in p.indicators:
            return "分"
        v = p.values.get(name)
        if v is None:
            return ""
        if v.unit:
            return v.unit
        node = v.node
    return ""


def _years(p, it, as_of: dt.date) -> str:
    ys = sorted({as_of.year - fields()[f].year for f in p.item_fields(it) if f in fields() and fields()[f].year})
    if not ys:
        return ""
    return f"{ys[0]}年" if len(ys) == 1 else f"{ys[0]}–{ys[-1]}年"


# a data year named in a rule's wording (not a registration or founding limit such as 2010年及以后注册)
_TEXT_YEAR = re.compile(r"(20\d\d)(?:-(20\d\d))?年(?!及|以后|以前|至|起|成立|注册|度)")


def year_note(text: str, years: str) -> str:
    """When a rule's wording names data years other than those the evaluation used (a rule of an
    earlier application round applied to the latest data), say so."""
    named = sorted({int(y) for m in _TEXT_YEAR.finditer(text) for y in m.groups() if y})
    if not named or not years:
        return ""
    used = [int(y) for y in re.findall(r"20\d\d", years)]
    if named[-1] == used[-1]:
        return ""
    shift = used[-1] - named[-1]
    span = f"{named[0]}年" if len(named) == 1 else f"{named[0]}–{named[-1]}年"
    return f"规则原文按 {span}数据（该申报年度）；此处按最近完整年度 {years}数据套用，年份整体后移 {shift} 年"


def _fmt(v, unit: str) -> str:
    if isinstance(v, list):
        if v[0] == v[1]:
            return fmt_amount(v[0], unit)
        return f"{fmt_amount(v[0], unit)}–{fmt_amount(v[1], unit)}"
    return fmt_amount(v, unit)


def view(rec: dict, as_of: dt.date, held: dict | None = None) -> dict:
    """Everything the enterprise page shows for one stored record: every condition and scored item
    with value, threshold, result, reason, data year, citation and rule confidence — disqualifying
    conditions first — and the gaps of the failing ones only."""
    from .catalog import CONFIDENCE_NAMES, program_name, result_name, status_of
    from .model import programs_by_id

    versions = programs_by_id().get(rec["program"], [])
    p = next((q for q in versions if q.version == rec["version"]), versions[-1] if versions else None)
    required = required_conditions(p) if p else set()
    missing = set(rec.get("missing") or [])
    expert = p.expert_fields() if p else set()
    gaps_by: dict[str, list[str]] = {}
    for g in rec.get("gaps") or []:
        item = g.get("_item")
        if item is None and p is not None:  # results stored before gaps named their item
            item = next((i for i, it in p.conditions.items() if g["field"] in p.item_fields(it)), "")
        gaps_by.setdefault(item, []).append(g["text"])
    res = rec.get("result")
    rows = []
    terms: set[str] = set()
    for c in rec.get("conditions") or []:
        it = (p.conditions.get(c["id"]) or p.indicators.get(c["id"])) if p else None
        unit = _unit(p, it) if it is not None else ""
        conf = (it.confidence if it is not None and it.confidence else (p.confidence if p else ""))
        row = {"id": c["id"], "text": c["text"], "cite": c["cite"], "confidence": CONFIDENCE_NAMES.get(conf, conf),
               "low": conf in ("low", "medium-low"), "note": it.note if it is not None and conf == "low" else "",
               "years": _years(p, it, as_of) if it is not None else "", "gaps": []}
        row["year_note"] = year_note(c["text"], row["years"])
        if row["year_note"]:
            terms.add("数据年度")
        fids = sorted(p.item_fields(it)) if it is not None else []
        lacking = [f for f in fids if f in missing]
        if c["op"] == "points":
            v = c["value"]
            row.update(kind="indicator", group=(it.group if it is not None else "") or "评分项",
                       value=("—" if v is None or (isinstance(v, list) and v[0] is None) else _fmt(v, "") + " 分"),
                       threshold="", result=None, result_name="得分", hard=False)
            if isinstance(v, list) and v[0] != v[1] and p is not None and p.kind == "index":
                names = "、".join(fields()[f].full_label for f in lacking if f in fields())
                row["reason"] = f"缺少数据{'：' + names if names else ''}（可得 {_fmt(v, '')} 分）"
                terms |= {"得分区间", "数据缺失"}
            elif isinstance(v, list) and v[0] != v[1]:
                row["reason"] = "须专家评定，给出可能的最低–最高分"
                terms |= {"得分区间", "待专家评定"}
            elif v is None or (isinstance(v, list) and v[0] is None):
                row["reason"] = "缺少数据：" + "、".join(fields()[f].full_label for f in lacking if f in fields()) \
                    if lacking else "缺少数据"
            else:
                row["reason"] = ""
            if res != "pass":
                row["gaps"] = gaps_by.get(c["id"], [])
            rows.append(row)
            continue
        r = c["result"]
        row.update(kind="condition", group="必备条件" if c["id"] in required else "可选路径（满足其一即可）",
                   result=r, result_name={"pass": "满足", "fail": "不满足", "depends": "待专家评定",
                                          "unknown": "数据缺失"}.get(r, "—"))
        op = OP_WORDS.get(c["op"] or "", c["op"] or "")
        row["value"] = "" if not c["op"] else "—" if c["value"] is None or (isinstance(c["value"], list) and c["value"][0] is None) \
            else _fmt(c["value"], unit)
        row["threshold"] = f"{op} {_fmt(c['threshold'], unit)}" if c["op"] and c["threshold"] is not None else ""
        if r == "fail":
            labels = "、".join(fields()[f].full_label for f in fids if f in fields() and f != "application_on")
            row["reason"] = (f"{row['value']}，要求 {row['threshold']}" if row["threshold"] and row["value"] != "—"
                             else f"按台账数据不成立（依据：{labels}）" if labels else "按台账数据不成立")
            row["gaps"] = gaps_by.get(c["id"], [])
        elif r == "unknown":
            names = [fields()[f].full_label for f in lacking if f in fields()]
            row["reason"] = "缺少数据：" + "、".join(names) if names else "缺少判定所需数据"
            terms.add("数据缺失")
        elif r == "depends":
            judged = [fields()[f].label for f in fids if f in expert and f in fields()]
            row["reason"] = "须专家评定" + (f"：{'、'.join(judged)}" if judged else "")
            terms.add("待专家评定")
        else:
            row["reason"] = f"{row['value']}，要求 {row['threshold']}" if row["threshold"] and row["value"] != "—" else ""
        row["hard"] = r == "fail" and c["id"] in required and not row["gaps"]
        rows.append(row)
    rank = {True: 0, False: 1}

    def order(x):
        if x["kind"] == "indicator":
            return (6, 0)
        req = x["group"] == "必备条件"
        if x["result"] == "fail" and req:
            return (0 if x["hard"] else 1, 0)
        if x["result"] == "unknown" and req:
            return (2, 0)
        if x["result"] == "depends":
            return (3, 0)
        if not req and x["result"] != "pass":
            return (4, 0)
        return (5, rank[req])

    if res == "pass":  # what made it pass first; alternatives not taken last
        rows.sort(key=lambda x: (x["kind"] == "indicator", x["result"] != "pass", x["group"] != "必备条件"))
    else:
        rows.sort(key=order)
    status = status_of(res, rec.get("close"))
    if status == "close":
        terms.add("一步之遥")
    score = ""
    if rec.get("score") is not None:
        score = f"{fmt_number(rec['score'])} 分"
    elif rec.get("score_min") is not None:
        score = f"{fmt_number(rec['score_min'])}–{fmt_number(rec['score_max'])} 分"
        terms.add("得分区间")
    hard = [x for x in rows if x.get("hard")]
    if held:
        headline = f"已持有有效证书（认定日期 {held['issued_on']}，有效期至 {held['last_day']}）"
        terms.add("已持有有效证书")
    elif hard:
        headline = "不符合：" + "；".join(f"{x['text']}（{x['reason']}）" for x in hard)
    elif res == "fail":
        first = next((g for x in rows if x["result"] == "fail" for g in x["gaps"]), "")
        headline = "不符合" + (f"，下一步：{first}" if first else "")
    elif res == "unknown":
        lack = [fields()[f].full_label for f in rec.get("missing") or [] if f in fields()]
        headline = "数据缺失：" + ("、".join(lack) if lack else "判定所需数据不全")
    elif res == "depends":
        headline = "待专家评定：台账能判断的条件都已满足，结果取决于专家评定项" + (f"（得分区间 {score}）" if score else "")
    elif res == "pass":
        headline = "符合"
    else:
        headline = score and f"积分 {score}"
    expert_note = ""
    if p is not None and p.id == "hnte":
        expert_note = expert_share(p, rec)
        if expert_note:
            terms |= {"得分区间", "待专家评定"}
    conf = p.confidence if p else ""
    return {"program": rec["program"], "name": program_name(rec["program"]), "version": rec["version"],
            "doc": (p.doc_number or p.document) if p else "", "confidence": CONFIDENCE_NAMES.get(conf, conf),
            "low": conf in ("low", "medium-low"), "notes": p.notes if p and conf in ("low", "medium-low") else "",
            "result": res, "result_name": result_name(res), "status": status, "score": score,
            "headline": headline, "rows": rows, "held": held, "expert_note": expert_note, "terms": sorted(terms)}


def expert_share(p, rec: dict) -> str:
    """高企: how much of the 100-point score is expert-judged and what range this enterprise can reach."""
    judged = 0.0
    for c in rec.get("conditions") or []:
        if c["op"] == "points" and isinstance(c["value"], list) and c["value"][0] is not None \
                and c["value"][0] != c["value"][1]:
            judged += c["value"][1] - c["value"][0]
    lo, hi = rec.get("score_min"), rec.get("score_max")
    if not judged:
        return ""
    head = ("创新能力评价满分 100 分，其中技术先进程度、核心支持作用、知识产权获得方式、研究开发组织管理水平等由专家评定，"
            f"台账中没有这些评分，因此本企业有 {fmt_number(judged)} 分待专家评定")
    if lo is None or hi is None:
        return head + "；另有数据缺失，暂不能给出总分区间（总分须高于 70 分，国科发火〔2016〕32号 第十一条(七)）。"
    need = "总分须高于 70 分"
    verdict = ("即使专家评定项全部取最高分也达不到" if hi <= 70 else
               "专家评定项取低分时仍可达到" if lo > 70 else "取决于专家评定")
    return (f"{head}，得分区间 {fmt_number(lo)}–{fmt_number(hi)} 分；"
            f"{need}（国科发火〔2016〕32号 第十一条(七)），{verdict}。")
