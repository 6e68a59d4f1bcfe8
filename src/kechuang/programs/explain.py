"""Per-enterprise explanations: JSON records (the `evaluate` contract), gap wording,
a tree of reasons, and which missing input matters most."""

from __future__ import annotations

import datetime as dt
import math
from typing import Iterator

import polars as pl

from .engine import CODE_NAMES, Plan, Result
from .fields import fields
from .gaps import default_text, fmt_number, render


def public(rec: dict) -> dict:
    """The record with only the contract keys (private helpers start with "_")."""
    return {k: v for k, v in rec.items() if not k.startswith("_")}
from .model import RESULT_NAMES

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
        for ip in plan.indicators:
            it = ip.item
            out["conditions"].append({"id": it.id, "text": it.text, "value": _num(row.get(f"{it.id}.value")),
                                      "op": "points", "threshold": None,
                                      "result": None, "cite": it.cite})
        out["conditions"].append({"id": "rank", "text": f"在评价范围内的排名（共 {int(row.get('pool_size') or 0)} 家）",
                                  "value": _num(row.get("rank")), "op": "rank",
                                  "threshold": _num(row.get("pool_size")), "result": None, "cite": p.doc_number})
        # C4: a missing input is always flagged, also when the rule file scores it as 0
        out["missing"] = _missing(p, p.indicators.values(), row)
        if row.get("score") is not None:  # only inputs actually carried in the row
            out["missing"] = [f for f in out["missing"] if f in row]
        return out
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
            text += "（接近临界值，建议人工复核）"
        out["conditions"].append({"id": it.id, "text": text, "value": value, "op": cp.op or None,
                                  "threshold": threshold, "result": res, "cite": it.cite})
        if res == "unknown":
            unknown_items.append(it)
    for ip in plan.indicators:
        it = ip.item
        pts = _num(row.get(f"{it.id}.points"))
        if ip.ranged:
            pts = [pts, _num(row.get(f"{it.id}.points_max"))]
        text = it.text + ("（接近分档临界值，建议人工复核）" if row.get(f"{it.id}.review") else "")
        out["conditions"].append({"id": it.id, "text": text, "value": pts, "op": "points", "threshold": None,
                                  "result": None, "cite": it.cite})
    out["gaps"] = gaps_for(plan, row)
    out["_close"] = out["result"] == "fail" and any(
        row.get(f"flip.{src}.{fid}") and _modest(row.get(fid), row.get(f"{src}.gap.{fid}"))
        for src, fid in plan.flips)
    if unknown_items or out["result"] == "unknown":
        out["missing"] = _missing(p, unknown_items or list(p.conditions.values()), row)
    return out


def _modest(current, needed) -> bool:
    """Whether a single change is a step an enterprise can take: at least halfway there already,
    or one more unit of a count (one more patent). Raising equity financing from nothing to
    5 million yuan flips a result but is not "one step away"."""
    if current is None or needed is None or isinstance(current, bool) or isinstance(needed, bool):
        return False
    try:
        cur, need = float(current), float(needed)
    except (TypeError, ValueError):
        return False
    return abs(need - cur) <= max(0.5 * abs(need), 1.0)


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
            g["text"] += ("（仅此一项即可使结果变为符合）" if g["_flip_to"] == 1
                          else "（仅此一项即可不再不符合，其余待专家评定）")
        del g["_flip"], g["_flip_to"], g["_cost"], g["_src"]
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
