"""Evaluate programs over a whole population of enterprise profiles (vectorized, Polars).

Per program the result frame has, besides ``uscc``/``program``/``version``/``result``/
``score``/``score_min``/``score_max``, one set of columns per condition
(``<id>.result`` Int8 code, ``<id>.value``, ``<id>.threshold``, ``<id>.review``,
``<id>.gap.<field>``), per indicator (``<id>.points``, ``<id>.points_max``,
``<id>.gap.<field>``, ``<id>.gain``) and ``flip.<source>.<field>`` (that single change
turns a failing result into pass, or into depends when only expert-judged items stay open —
such a result can never pass from data alone) with ``flipto.<source>.<field>``, the result
code after the change. Result codes: 0 fail, 1 pass, 2 depends, 3 unknown.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import operator
from dataclasses import dataclass, field

from . import expr as E
from .columns import pl
from .fields import fields
from .gaps import Solver, comparisons
from .model import (STAGES, Item, Program, compile_indicator, compile_item, programs_by_id,
                    version_windows)

FAIL, PASS, DEPENDS, UNKNOWN = 0, 1, 2, 3
CODE_NAMES = {FAIL: "fail", PASS: "pass", DEPENDS: "depends", UNKNOWN: "unknown"}
REVIEW_MARGIN = 0.00005  # ±0.005 percentage points
BRIEF_COLUMNS = ("result_code", "close", "score", "score_min", "score_max", "stage_of")
PROGRAM_ORDER = ["tech_sme", "innovative_sme", "hnte", "srdi_sme", "little_giant",
                 "js_gazelle", "js_potential_unicorn", "js_unicorn", "innovation_points"]


def code_of(v: E.Val) -> pl.Expr:
    if not v.ranged:
        e = pl.when(v.lo).then(PASS).when(~v.lo).then(FAIL).otherwise(UNKNOWN)
    else:
        nec, pos = v.lo, v.hi
        e = (pl.when(nec).then(PASS).when(~pos).then(FAIL)
             .when(~nec & pos).then(DEPENDS).otherwise(UNKNOWN))
    return e.cast(pl.Int8)


@dataclass
class CondPlan:
    item: Item
    op: str = ""
    threshold_const: object = None
    has_value: bool = False
    value_ranged: bool = False
    has_threshold_col: bool = False
    review: bool = False
    gap_fields: list[str] = field(default_factory=list)


@dataclass
class IndPlan:
    item: Item
    ranged: bool = False
    gap_fields: list[str] = field(default_factory=list)


@dataclass
class Plan:
    program: Program
    as_of: dt.date
    exprs: list[pl.Expr]
    conditions: list[CondPlan]
    indicators: list[IndPlan]
    flips: list[tuple[str, str]]
    score_ranged: bool = False
    pre: list[pl.Expr] = field(default_factory=list)  # raw gap candidates, computed first
    post: list[pl.Expr] = field(default_factory=list)  # flips, computed from exprs
    stages: list[list[pl.Expr]] = field(default_factory=list)  # named items as columns
    keep_extra: list[str] = field(default_factory=list)  # stage columns that are outputs


def _band_index(x: pl.Expr | None, bands: list[E.Band], conds: list[pl.Expr] | None) -> pl.Expr:
    e = None
    for i, b in enumerate(bands):
        cond = E.band_match(x, b) if conds is None else conds[i]
        if conds is not None:
            e = (pl.when(cond.is_null()) if e is None else e.when(cond.is_null())).then(None)
            e = e.when(cond).then(pl.lit(i, dtype=pl.Int8))
        else:
            e = (pl.when(cond) if e is None else e.when(cond)).then(pl.lit(i, dtype=pl.Int8))
    e = e.otherwise(None)
    if x is not None:
        e = pl.when(x.is_null()).then(None).otherwise(e)
    return e


def _band_target(item: Item, k: int) -> E.Node | None:
    """A comparison that puts the value into band k (for bands ordered best first)."""
    b = item.bands[k]
    if b.when is not None:
        leaves = comparisons(b.when)
        return leaves[0] if leaves else None
    nxt = item.bands[k + 1] if k + 1 < len(item.bands) else None
    if nxt is None or item.value_node is None:
        return None
    pos = item.value_node.pos
    if b.lo >= nxt.hi and b.lo != -math.inf:  # higher is better
        return E.Bin(pos, ">=" if b.lo_incl else ">", item.value_node, E.Num(pos, b.lo))
    if b.hi <= nxt.lo and b.hi != math.inf:  # lower is better
        return E.Bin(pos, "<=" if b.hi_incl else "<", item.value_node, E.Num(pos, b.hi))
    return None


def _range_band_gap(it: Item, idx: pl.Expr, solver: Solver):
    """One solve per comparison operator: the next better band's edge is a per-row threshold."""
    groups: dict[str, list[tuple[int, float, float]]] = {}
    for k in range(1, len(it.bands)):
        target = _band_target(it, k - 1)
        if target is None:
            continue
        gain = _pts(it.bands[k - 1].value) - _pts(it.bands[k].value)
        groups.setdefault(target.op, []).append((k, target.right.value, gain))
    if not groups or not solver.depends(it.value_node):
        return None, None
    needed_e = gain_e = None
    for op, items in groups.items():
        edge = None
        for k, e, _ in items:
            edge = (pl.when(idx == k) if edge is None else edge.when(idx == k)).then(pl.lit(e))
        node = E.Bin(it.value_node.pos, op, it.value_node, E.Pre(0, E.Val("num", edge.otherwise(None))))
        nd = solver.needed(node)
        if nd is None:
            continue
        ks = [k for k, _, _ in items]
        needed_e = (pl.when(idx.is_in(ks)) if needed_e is None else needed_e.when(idx.is_in(ks))).then(nd)
        for k, _, gain in items:
            gain_e = (pl.when(idx == k) if gain_e is None else gain_e.when(idx == k)).then(pl.lit(gain))
    return needed_e, gain_e


def _pts(v):
    return v[0] if isinstance(v, tuple) else v


def materialize(p: Program, env) -> tuple[list[list[pl.Expr]], dict[str, E.Val]]:
    """Compute every named item as a column, level by level, so that later expressions
    refer to columns instead of repeating whole trees."""
    names = [*p.values, *p.indicators, *p.conditions] + (["score"] if p.score is not None else [])
    level: dict[str, int] = {}

    def lvl(name: str, depth: int = 0) -> int:
        if name not in level:
            if depth > 200:
                raise E.RuleError(f"“{name}”存在循环引用")
            refs = p.refs(p.lookup(name))
            level[name] = 1 + max((lvl(r, depth + 1) for r in refs), default=-1)
        return level[name]

    for n in names:
        lvl(n)
    cols: dict[str, E.Val] = {}
    stages: list[list[pl.Expr]] = []
    for L in range(max(level.values(), default=-1) + 1):
        c = E.Compiler(env, cols=cols)
        stage: list[pl.Expr] = []
        new: dict[str, E.Val] = {}
        for name in names:
            if level[name] != L:
                continue
            v = c.name(name)
            if v.is_const or v.kind == "null":
                new[name] = v
                continue
            lo = f"__lo.{name}"
            stage.append(v.lo.alias(lo))
            if v.ranged:
                hi = f"__hi.{name}"
                stage.append(v.hi.alias(hi))
                new[name] = E.Val(v.kind, pl.col(lo), pl.col(hi))
            else:
                new[name] = E.Val(v.kind, pl.col(lo))
        cols.update(new)
        if stage:
            stages.append(stage)
    return stages, cols


def _subst_compiler(p: Program, env, cols: dict[str, E.Val], subst: dict[str, pl.Expr]) -> E.Compiler:
    keep = {n: v for n, v in cols.items() if not (p.item_fields(p.lookup(n)) & set(subst))}
    return E.Compiler(env, subst, keep)


def build_plan(p: Program, as_of: dt.date, *, gaps: bool = True, flips: bool = True) -> Plan:
    env = p.env(as_of)
    if p.kind == "index":
        return _build_index_plan(p, as_of, None)
    stages, cols = materialize(p, env)
    c = E.Compiler(env, cols=cols)
    exprs: list[pl.Expr] = []
    pre: list[pl.Expr] = []
    post: list[pl.Expr] = []
    conds: list[CondPlan] = []
    inds: list[IndPlan] = []
    flip_list: list[tuple[str, str]] = []
    flip_subst: list[tuple[str, str, pl.Expr]] = []

    idx_stage: list[pl.Expr] = []
    for it in p.indicators.values():
        v = c.name(it.id)
        ip = IndPlan(it, ranged=v.ranged)
        exprs.append(v.lo.alias(f"{it.id}.points"))
        if v.ranged:
            exprs.append(v.hi.alias(f"{it.id}.points_max"))
        if it.unit == "%" and it.value_node is not None and it.bands:
            x = c.compile(it.value_node).lo
            near = None
            for b in it.bands:
                for edge in (b.lo, b.hi):
                    if math.isfinite(edge):
                        t = (x - edge).abs() <= REVIEW_MARGIN
                        near = t if near is None else near | t
            if near is not None:
                exprs.append(near.fill_null(False).alias(f"{it.id}.review"))
        if gaps and it.gaps and it.bands and len(it.bands) > 1:
            conds_k = None
            if it.bands[0].when is not None:
                conds_k = [c.compile(b.when).lo for b in it.bands]
            x = c.compile(it.value_node).lo if (it.value_node is not None and conds_k is None) else None
            idx_stage.append(_band_index(x, it.bands, conds_k).alias(f"__idx.{it.id}"))
            idx = pl.col(f"__idx.{it.id}")
            for spec in it.gaps:
                solver = Solver(p, c, spec.field)
                needed_e = gain_e = None
                if conds_k is None and it.value_node is not None:
                    needed_e, gain_e = _range_band_gap(it, idx, solver)
                for k in range(1, len(it.bands)) if needed_e is None else ():
                    # the nearest better band this input can reach
                    nd = None
                    for j in range(k - 1, -1, -1):
                        target = _band_target(it, j)
                        if target is None or not solver.depends(target):
                            continue
                        nd = solver.needed(target)
                        if nd is not None:
                            break
                    if nd is None:
                        continue
                    gain = _pts(it.bands[j].value) - _pts(it.bands[k].value)
                    needed_e = (pl.when(idx == k) if needed_e is None else needed_e.when(idx == k)).then(nd)
                    gain_e = (pl.when(idx == k) if gain_e is None else gain_e.when(idx == k)).then(pl.lit(gain))
                if needed_e is None:
                    continue
                raw = f"__n.{it.id}.{spec.field}"
                pre.append(needed_e.otherwise(None).alias(raw))
                needed_e = pl.col(raw)
                # verify: the new value really scores more
                cs = _subst_compiler(p, env, cols, {spec.field: pl.coalesce([needed_e, pl.col(spec.field)])})
                newv = compile_indicator(it, cs)
                ok = newv.lo > v.lo
                gap_name = f"{it.id}.gap.{spec.field}"
                exprs.append(pl.when(ok).then(needed_e).alias(gap_name))
                exprs.append(pl.when(ok & needed_e.is_not_null()).then(gain_e.otherwise(None))
                             .alias(f"{it.id}.gain.{spec.field}"))
                ip.gap_fields.append(spec.field)
                flip_subst.append((it.id, spec.field, pl.col(gap_name)))
        inds.append(ip)

    score_ranged = False
    if p.score is not None:
        s = c.name("score")
        score_ranged = s.ranged
        exprs.append(pl.when(s.lo == s.hi).then(s.lo).alias("score"))
        exprs.append(s.lo.alias("score_min"))
        exprs.append(s.hi.alias("score_max"))

    for it in p.conditions.values():
        v = c.name(it.id)
        code = code_of(v)
        cp = CondPlan(it)
        exprs.append(code.alias(f"{it.id}.result"))
        node = it.node
        if isinstance(node, E.Bin) and node.op in (">=", ">", "<=", "<", "==", "!="):
            lv = c.compile(node.left)
            rv = c.compile(node.right)
            if lv.kind in ("num", "date") and rv.kind in ("num", "date"):
                cp.op = node.op
                cp.has_value = True
                cp.value_ranged = lv.ranged
                exprs.append(lv.lo.alias(f"{it.id}.value"))
                if lv.ranged:
                    exprs.append(lv.hi.alias(f"{it.id}.value_max"))
                if rv.is_const:
                    cp.threshold_const = rv.const
                else:
                    cp.has_threshold_col = True
                    exprs.append(rv.lo.alias(f"{it.id}.threshold"))
                if it.unit == "%" and not lv.ranged and not rv.ranged:
                    cp.review = True
                    exprs.append(((lv.lo - rv.lo).abs() <= REVIEW_MARGIN).fill_null(False)
                                 .alias(f"{it.id}.review"))
        if gaps:
            for spec in it.gaps:
                solver = Solver(p, c, spec.field)
                needed = None
                for leaf in comparisons(node):
                    if solver.depends(leaf):
                        needed = solver.needed(leaf)
                        if needed is not None:
                            break
                if needed is None:
                    continue
                raw = f"__n.{it.id}.{spec.field}"
                pre.append(needed.alias(raw))
                needed = pl.col(raw)
                cs = _subst_compiler(p, env, cols, {spec.field: pl.coalesce([needed, pl.col(spec.field)])})
                ok = code_of(compile_item(it, cs)) == PASS
                gap_name = f"{it.id}.gap.{spec.field}"
                exprs.append(pl.when((code == FAIL) & ok).then(needed).alias(gap_name))
                cp.gap_fields.append(spec.field)
                flip_subst.append((it.id, spec.field, pl.col(gap_name)))
        conds.append(cp)

    rv = compile_item(p.rule, c)
    rcode = code_of(rv)
    exprs.append(rcode.alias("result_code"))
    if gaps and flips:
        for src, fid, needed in flip_subst:
            cs = _subst_compiler(p, env, cols, {fid: pl.coalesce([needed, pl.col(fid)])})
            after = code_of(compile_item(p.rule, cs))
            # the change removes every failing condition: pass, or depends when only
            # expert-judged items remain open (they can never pass from the data alone)
            ok = after.is_in([PASS, DEPENDS])
            post.append(((pl.col("result_code") == FAIL) & needed.is_not_null() & ok.fill_null(False))
                        .alias(f"flip.{src}.{fid}"))
            post.append(pl.when((pl.col("result_code") == FAIL) & needed.is_not_null()).then(after)
                        .alias(f"flipto.{src}.{fid}"))
            flip_list.append((src, fid))
    if idx_stage:
        stages = stages + [idx_stage]
    return Plan(p, as_of, exprs, conds, inds, flip_list, score_ranged, pre=pre, post=post,
                stages=stages)


def _stage_pick(stage: pl.Expr, per_stage: dict[str, float]) -> pl.Expr:
    """The number for the row's stage (null when the stage is unknown)."""
    e = None
    for s in STAGES:
        e = (pl.when(stage == s) if e is None else e.when(stage == s)).then(pl.lit(float(per_stage[s])))
    return e.otherwise(None)


def index_shares(p: Program) -> dict[str, dict[str, float]]:
    """Per indicator and stage: the points it can earn, 100 · wᵢ(stage) / Σ w(stage)."""
    out: dict[str, dict[str, float]] = {}
    for s in STAGES:
        wsum = sum(it.weights[s] for it in p.indicators.values()) or 1.0
        for it in p.indicators.values():
            out.setdefault(it.id, {})[s] = 100 * it.weights[s] / wsum
    return out


def index_missing_order(p: Program) -> dict[str | None, list[str]]:
    """Per stage, the inputs of an index program, the one with the most points at stake first
    (Σ of the full points of the indicators it feeds; ties in file order). Under ``None`` (stage
    unknown): the inputs that decide the stage, then the others in file order."""
    expert = p.expert_fields()
    order: list[str] = []
    feeds: dict[str, list[str]] = {}
    for it in p.indicators.values():
        for fid in sorted(p.item_fields(it)):
            if fid == "application_on" or fid in expert:
                continue
            if fid not in feeds:
                order.append(fid)
            feeds.setdefault(fid, []).append(it.id)
    shares = index_shares(p)
    out: dict[str | None, list[str]] = {}
    for s in STAGES:
        stake = {f: sum(shares[i][s] for i in ids) for f, ids in feeds.items()}
        out[s] = sorted(order, key=lambda f: (-round(stake[f], 9), order.index(f)))
    decide = sorted(p.item_fields(p.values["stage_of"]) - {"application_on"}) if "stage_of" in p.values else []
    out[None] = decide + [f for f in order if f not in decide]
    return out


def _build_index_plan(p: Program, as_of: dt.date, c: E.Compiler) -> Plan:
    """Innovation points: each indicator earns fᵢ · 100 · wᵢ(stage) / Σ w(stage) points, fᵢ ∈ [0, 1]
    (``full``: value / full value of the stage, capped; ``pool_*``: normalised within the pool).
    A missing input leaves its indicator open between 0 and its full points: the score is then
    undetermined, ``score_min``/``score_max`` bound it. Rank and percentile are within the stage.
    Stages (raw values, fractions, points, sums) keep expressions small."""
    stages, cols = materialize(_without_indicators(p), p.env(as_of))
    c = E.Compiler(p.env(as_of), cols=cols)
    exprs: list[pl.Expr] = []
    inds: list[IndPlan] = []
    stage = c.name("stage_of").lo if "stage_of" in p.values else pl.col("stage")
    st = pl.col("stage_of")
    shares = index_shares(p)
    raw_stage, frac_stage, pts_stage = [], [], []
    parts = []
    for it in p.indicators.values():
        v = compile_indicator(it, c)
        raw = f"{it.id}.value"
        raw_stage.append(v.lo.alias(raw))
        x = pl.col(raw)
        if it.normalize == "full":
            full = _stage_pick(st, it.full)
            # an undefined ratio (0/0) earns nothing; a value at or over the full value earns all
            x = (pl.when(x.is_nan()).then(0.0).when(x >= full).then(1.0).when(x <= 0).then(0.0)
                 .otherwise(x / full))
        elif it.normalize == "pool_minmax":
            lo, hi = x.min(), x.max()
            x = pl.when(hi > lo).then((x - lo) / (hi - lo)).otherwise(pl.when(x.is_not_null()).then(1.0))
        elif it.normalize == "pool_log":  # min-max of log(1 + x): robust to the skew of money amounts
            lx = x.clip(lower_bound=0).log1p()
            lo, hi = lx.min(), lx.max()
            x = pl.when(hi > lo).then((lx - lo) / (hi - lo)).otherwise(pl.when(x.is_not_null()).then(1.0))
        elif it.normalize == "pool_rank":
            cnt = x.count()
            x = pl.when(cnt > 1).then((x.rank("min") - 1) / (cnt - 1)).otherwise(
                pl.when(x.is_not_null()).then(1.0))
        elif it.normalize not in ("", "none"):
            raise it.src.error(E.RuleError(
                f"未知的计分方法“{it.normalize}”（可选 full、pool_minmax、pool_log、pool_rank）"))
        if it.missing is not None:
            x = x.fill_null(float(_pts(it.missing)))
        frac_stage.append(x.alias(f"{it.id}.fraction"))
        share = _stage_pick(st, shares[it.id])
        pts_stage.append((pl.col(f"{it.id}.fraction") * share).alias(f"{it.id}.points"))
        pts_stage.append(share.alias(f"{it.id}.max"))
        parts.append((it, pl.col(f"{it.id}.points"), pl.col(f"{it.id}.max")))
        inds.append(IndPlan(it))
    stages = stages + [raw_stage + [stage.alias("stage_of")], frac_stage, pts_stage]
    # plain left-to-right sums (nulls handled explicitly): the same on every engine
    low = functools.reduce(operator.add, [x.fill_null(0.0) for _, x, _ in parts])
    high = functools.reduce(operator.add, [pl.when(x.is_null()).then(m).otherwise(x) for _, x, m in parts])
    anynull = pl.any_horizontal([x.is_null() for _, x, _ in parts])
    stages.append([pl.when(st.is_null()).then(None).otherwise(low).alias("score_min"),
                   pl.when(st.is_null()).then(None).otherwise(high).alias("score_max"),
                   pl.when(anynull | st.is_null()).then(None).otherwise(low).alias("score")])
    score = pl.col("score")
    rank = score.rank("min", descending=True).over("stage_of").cast(pl.Float64)
    stages.append([rank.alias("rank"), score.count().over("stage_of").cast(pl.Float64).alias("pool_size")])
    n, r = pl.col("pool_size"), pl.col("rank")
    exprs.append(pl.when(r.is_null()).then(None).when(n > 1).then((n - r) * 100.0 / (n - 1))
                 .otherwise(100.0).alias("percentile"))
    exprs.append(pl.when(score.is_null()).then(pl.lit(UNKNOWN, dtype=pl.Int8)).alias("result_code"))
    plan = Plan(p, as_of, exprs, [], inds, [], stages=stages)
    plan.keep_extra = (["score", "score_min", "score_max", "rank", "pool_size", "stage_of"]
                       + [f"{it.id}.{k}" for it, _, _ in parts for k in ("value", "points", "max")])
    return plan


def modest(current: pl.Expr, needed: pl.Expr) -> pl.Expr:
    """Whether a single change is a step an enterprise can take: at least halfway there already,
    or one more unit of a count (one more patent). Raising equity financing from nothing to
    5 million yuan flips a result but is not "one step away"."""
    return ((needed - current).abs() <= pl.max_horizontal(0.5 * needed.abs(), pl.lit(1.0))).fill_null(False)


def close_expr(plan: Plan) -> pl.Expr:
    """一步之遥: a failing result that one modest change of an amount turns into pass (or depends)."""
    terms = [pl.col(f"flip.{src}.{fid}") & modest(pl.col(fid), pl.col(f"{src}.gap.{fid}"))
             for src, fid in plan.flips if fields()[fid].kind == "num"]
    if not terms:
        return pl.lit(False).alias("close")
    return ((pl.col("result_code") == FAIL) & pl.any_horizontal(terms)).fill_null(False).alias("close")


def _null_if_any(exprs: list[pl.Expr], value: pl.Expr) -> pl.Expr:
    return pl.when(pl.any_horizontal([e.is_null() for e in exprs])).then(None).otherwise(value)


def _without_indicators(p: Program) -> Program:
    import copy

    q = copy.copy(p)
    q.indicators = {}
    q.score = None
    return q


# ---------------------------------------------------------------- frames

def prepare(frame: pl.DataFrame | pl.LazyFrame, needed: set[str]) -> pl.LazyFrame:
    """Add absent columns as null (missing, never zero) and cast to the engine's types."""
    lf = frame.lazy()
    schema = lf.collect_schema()
    casts = []
    for fid in sorted(needed | {"uscc", "application_on"}):
        f = fields().get(fid)
        if f is None:
            continue
        if fid not in schema:
            casts.append(pl.lit(None, dtype=f.dtype).alias(fid))
        elif schema[fid] != f.dtype:
            casts.append(pl.col(fid).cast(f.dtype, strict=False).alias(fid))
    return lf.with_columns(casts) if casts else lf


def _polars_plan(p: Program, as_of: dt.date, gaps: bool, flips: bool) -> Plan:
    """``build_plan`` with Polars columns, once per rule version and evaluation date (a file is
    evaluated batch by batch with the same plans)."""
    cache = p.__dict__.setdefault("_polars_plans", {})
    key = (id(p), as_of, gaps, flips)  # a shallow copy of ``p`` shares the dict, not the plans
    if key not in cache:
        if len(cache) > 8:
            cache.clear()
        cache[key] = build_plan(p, as_of, gaps=gaps, flips=flips)
    return cache[key]


def program_ids(spec: str | list[str] | None) -> list[str]:
    known = programs_by_id()
    if spec in (None, "all") or spec == ["all"]:
        ids = [i for i in PROGRAM_ORDER if i in known] + sorted(set(known) - set(PROGRAM_ORDER))
        return ids
    ids = [spec] if isinstance(spec, str) else list(spec)
    bad = [i for i in ids if i not in known]
    if bad:
        raise KeyError(f"未知的培育项目：{'、'.join(bad)}；可选：{'、'.join(sorted(known))}")
    return ids


def fields_needed(ids: list[str], keep: tuple[str, ...],
                  with_inputs: bool) -> tuple[set[str], tuple[str, ...]]:
    """The input columns every version of ``ids`` reads, and the columns to keep beside results."""
    needed: set[str] = set(keep)
    for pid in ids:
        for p in programs_by_id()[pid]:
            needed |= p.fields_used()
    if with_inputs:
        keep = tuple(["uscc"] + sorted(needed - {"uscc"}))
    return needed, keep


def evaluate(frame: pl.DataFrame | pl.LazyFrame, programs: str | list[str] | None = "all",
             as_of: dt.date | None = None, *, gaps: bool = True, flips: bool = True,
             keep: tuple[str, ...] = ("uscc",), with_inputs: bool = False,
             brief: bool = False) -> dict[str, "Result"]:
    """Evaluate ``programs`` for every row; versions are chosen per row by application date.
    ``with_inputs`` keeps every input column the programs read (for explanations). ``brief``
    keeps of the results only what ``Result.summary`` and the counts of missing inputs read
    (``BRIEF_COLUMNS`` and each condition's result code): the query then skips every value,
    gap text and flip that no kept column needs."""
    as_of = as_of or dt.date.today()
    ids = program_ids(programs)
    needed, keep = fields_needed(ids, keep, with_inputs)
    lf = prepare(frame, needed).collect().lazy()  # once, shared by every program's query
    app = pl.coalesce([pl.col("application_on"), pl.lit(as_of, dtype=pl.Date)])
    bounds = lf.select(app.min().alias("lo"), app.max().alias("hi")).collect().row(0)
    jobs = []
    for pid in ids:
        for p, start, end in version_windows(programs_by_id()[pid]):
            if bounds[0] is not None and (bounds[1] < start or (end is not None and bounds[0] > end)):
                continue
            whole = bounds[0] is not None and bounds[0] >= start and (end is None or bounds[1] <= end)
            sub = lf if whole else lf.filter((app >= start) & (app <= end if end else pl.lit(True)))
            if p.regions:  # a zone's program: only the enterprises of the zone
                sub = sub.filter(pl.any_horizontal([pl.col("region_code").str.starts_with(r) for r in p.regions])
                                 .fill_null(False))
            plan = _polars_plan(p, as_of, gaps, flips)
            q = sub
            for stage in plan.stages:
                q = q.with_columns(stage)
            if plan.pre:
                q = q.with_columns(plan.pre)
            q = q.with_columns(plan.exprs)
            if plan.post:
                q = q.with_columns(plan.post)
            q = q.with_columns(close_expr(plan))
            names = [k for k in keep] + plan.keep_extra + [e.meta.output_name() for e in plan.exprs + plan.post]
            names.append("close")
            if brief:
                names = [n for n in names if n in keep or n in BRIEF_COLUMNS or n.endswith(".result")]
            q = q.select(names).with_columns(
                pl.lit(p.id).alias("program"), pl.lit(p.version).alias("version"))
            jobs.append((pid, plan, q))
    frames = pl.collect_all([q for _, _, q in jobs]) if jobs else []
    out: dict[str, Result] = {}
    for (pid, plan, _), df in zip(jobs, frames):
        out.setdefault(pid, Result(pid, []))
        out[pid].parts.append((plan, df))
    for pid in ids:
        out.setdefault(pid, Result(pid, []))
    return out


@dataclass
class Result:
    """Evaluation of one program (possibly several versions, one frame each)."""

    program: str
    parts: list[tuple[Plan, pl.DataFrame]]

    @property
    def height(self) -> int:
        return sum(df.height for _, df in self.parts)

    def summary(self) -> pl.DataFrame:
        """uscc, program, version, result, score, score_min, score_max, close."""
        frames = []
        for plan, df in self.parts:
            cols = [pl.col("uscc"), pl.col("program"), pl.col("version"),
                    pl.col("result_code").replace_strict(CODE_NAMES, default=None, return_dtype=pl.String)
                    .alias("result")]
            for k in ("score", "score_min", "score_max"):
                cols.append(pl.col(k) if k in df.columns else pl.lit(None, dtype=pl.Float64).alias(k))
            cols.append(pl.col("close"))
            frames.append(df.select(cols))
        if not frames:
            return pl.DataFrame(schema={"uscc": pl.String, "program": pl.String, "version": pl.String,
                                        "result": pl.String, "score": pl.Float64, "score_min": pl.Float64,
                                        "score_max": pl.Float64, "close": pl.Boolean})
        return pl.concat(frames, how="vertical_relaxed")
