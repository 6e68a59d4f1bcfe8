"""JSON Lines of the ``evaluate`` contract, built column-wise.

For each rule version's frame, what is the same on every row (keys, ids, condition wording,
citations, constant thresholds, gap wording) is encoded once; each row's values are formatted
by Polars expressions and joined into one JSON line per row. A line is the JSON of
``explain.public(explain.record(plan, row))`` for the same row (numbers as Python's
``round``, text numbers as ``gaps.fmt_number``); tests compare the two on every program.
"""

from __future__ import annotations

import json
from typing import IO

import numpy as np
import polars as pl

from .engine import CODE_NAMES, FAIL, PASS, UNKNOWN, Plan, index_missing_order
from .model import STAGE_NAMES, STAGES
from .explain import FLIP_PASS, FLIP_NOT_FAIL, INDICATOR_REVIEW, REVIEW, _num
from .fields import fields
from .gaps import fmt_number, template_parts

CHUNK_ROWS = 50_000  # rows turned into text at a time (bounded memory)
_TWO53 = 2.0 ** 53


def _js(v) -> str:
    return json.dumps(v, ensure_ascii=False)


def _lit(s: str) -> pl.Expr:
    return pl.lit(s, dtype=pl.String)


def _in_text(s: str) -> str:
    """Words for inside a JSON string."""
    return _js(s)[1:-1]


# ---------------------------------------------------------------- numbers

def _scaled_round(x: np.ndarray, d: int) -> np.ndarray:
    """x·10^d rounded to an integer as Python rounds the exact binary value (ties to even), for
    |x·10^d| < 2^53. Only where the rounded product sits on a tie (or is too large to show one)
    does the product's own rounding error decide; it comes from Dekker's exact product (10^d,
    d ≤ 10, has at most 24 significant bits, so both partial products are exact)."""
    s = float(10 ** d)
    with np.errstate(all="ignore"):
        p = x * s
        k = np.rint(p)
        doubt = np.flatnonzero((np.abs(p - np.trunc(p)) == 0.5) | (np.abs(p) >= 2.0 ** 52))
        if doubt.size:
            xs, ps = x[doubt], p[doubt]
            c = xs * 134217729.0
            hi = c - (c - xs)
            err = (hi * s - ps) + (xs - hi) * s
            f = np.floor(ps)
            tie = ps - f == 0.5
            k[doubt] = np.where(tie, np.where(err > 0, f + 1, np.where(err < 0, f, np.rint(ps))),
                                np.where(np.abs(err) == 0.5, np.where(ps % 2 == 0, ps, ps + np.sign(err)), ps))
        return k


def _np_round(x: np.ndarray, d: int) -> np.ndarray:
    """Python's ``round(x, d)`` for each value (non-finite values pass through)."""
    s = float(10 ** d)
    with np.errstate(all="ignore"):
        r = _scaled_round(x, d) / s
        r = np.where(r == 0, np.copysign(0.0, x), r)
        return np.where(np.abs(x * s) >= _TWO53, x, r)


def _on_floats(e: pl.Expr, fn) -> pl.Expr:
    return e.cast(pl.Float64).map_batches(lambda s: pl.Series(fn(s.to_numpy().astype(np.float64, copy=False))),
                                         return_dtype=pl.Float64, is_elementwise=True)


def py_round(x: pl.Expr, d: int) -> pl.Expr:
    """Python's ``round(x, d)`` for a float column (finite values; others come out NaN or as is)."""
    return _on_floats(x, lambda a: _np_round(a, d))


def _negative(x: pl.Expr) -> pl.Expr:
    """x < 0, also for -0.0."""
    return (x < 0) | ((x == 0) & ((1.0 / x) < 0))


def num_json(e: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """JSON of ``explain._num`` of a column value (never null: "null")."""
    if dtype.is_float():
        return pl.when(e.is_finite()).then(py_round(e, 10).cast(pl.String)).otherwise(_lit("null"))
    if dtype.is_integer():
        return e.cast(pl.String).fill_null("null")
    if dtype == pl.Boolean:
        return pl.when(e).then(_lit("true")).when(~e).then(_lit("false")).otherwise(_lit("null"))
    if dtype == pl.Date:
        return ('"' + e.dt.to_string("%Y-%m-%d") + '"').fill_null("null")
    if dtype == pl.String:
        return str_json(e)
    return _lit("null")


def str_json(e: pl.Expr) -> pl.Expr:
    """A JSON string (escaped as ``json.dumps(..., ensure_ascii=False)``) or null."""
    return pl.struct(e.alias("v")).struct.json_encode().str.slice(5).str.head(-1)


def cents(w: pl.Expr) -> pl.Expr:
    """|w| in hundredths, rounded as ``f"{w:.2f}"`` rounds."""
    return _on_floats(w, lambda a: np.abs(_scaled_round(a, 2))).cast(pl.Int128, strict=False)


def _two_places(w: pl.Expr, cents: pl.Expr) -> pl.Expr:
    """``f"{w:.2f}".rstrip("0").rstrip(".")`` for a finite float column, given its ``cents``."""
    frac = cents % 100
    tail = (pl.when(frac == 0).then(_lit(""))
            .when(frac % 10 == 0).then("." + (frac // 10).cast(pl.String))
            .otherwise("." + frac.cast(pl.String).str.zfill(2)))
    return pl.when(_negative(w)).then(_lit("-")).otherwise(_lit("")) + (cents // 100).cast(pl.String) + tail


def fmt_expr(e: pl.Expr, dtype: pl.DataType, unit: str = "", hundredths: pl.Expr | None = None) -> pl.Expr:
    """``gaps.fmt_number`` of a column value, as text for inside a JSON string; ``hundredths``:
    ``cents`` of the value (×100 for "%") when already computed."""
    if dtype == pl.String:
        return str_json(e).str.slice(1).str.head(-1).fill_null("—")
    if dtype == pl.Date:
        return e.dt.to_string("%Y-%m-%d").fill_null("—")
    if dtype == pl.Boolean:
        return pl.when(e).then(_lit("True")).when(~e).then(_lit("False")).otherwise(_lit("—"))
    if dtype == pl.Null:
        return _lit("—")
    if dtype.is_integer() and unit != "%":
        return e.cast(pl.String).fill_null("—")
    x = e.cast(pl.Float64)
    w = x * 100 if unit == "%" else x
    words = pl.when(w.is_infinite()).then(pl.when(w > 0).then(_lit("inf")).otherwise(_lit("-inf")))
    # whole numbers print their digits (f"{-0.0:.2f}" keeps its sign, so "%" leaves 0 to the cents)
    whole = (w == w.floor()) if unit != "%" else (w == w.floor()) & (w != 0)
    words = words.when(whole).then(w.cast(pl.Int128, strict=False).cast(pl.String))
    words = words.otherwise(_two_places(w, cents(w) if hundredths is None else hundredths))
    if unit == "%":
        words = words + "%"
    return pl.when(x.is_null() | x.is_nan()).then(_lit("—")).otherwise(words)


# ---------------------------------------------------------------- one line per row

class _Frame:
    """Column access by name (an absent column reads as null, as ``row.get`` does), and the
    intermediate columns the line is built from, computed in stages so that no expression
    repeats another: 0–1 derived values, 2 hundredths, 3 JSON and words, 4 gap objects, 5 gap order,
    6 the gap list; the line itself joins columns and constant text."""

    def __init__(self, schema: pl.Schema, detail: bool = False):
        self.schema = schema
        self.stages: list[dict[str, pl.Expr]] = [{}, {}, {}, {}, {}, {}, {}]
        self.detail = detail  # the stored reasons document rather than the evaluate record
        self.gaps: list[tuple[str, pl.Expr, pl.Expr, pl.Expr]] = []  # item, present, text (escaped), rank

    def has(self, name: str) -> bool:
        return name in self.schema

    def col(self, name: str) -> pl.Expr:
        return pl.col(name) if name in self.schema else pl.lit(None)

    def dtype(self, name: str) -> pl.DataType:
        return self.schema.get(name, pl.Null)

    def add(self, stage: int, key: str, expr: pl.Expr) -> pl.Expr:
        name = f"\x00{key}"
        self.stages[stage].setdefault(name, expr)
        return pl.col(name)

    def derive(self, key: str, expr: pl.Expr, dtype: pl.DataType, stage: int = 0) -> str:
        """A derived column (stage 0, or 1 when it reads a stage-0 one): its name, usable with
        ``num`` and ``words``."""
        self.add(stage, key, expr)
        self.schema = pl.Schema({**self.schema, f"\x00{key}": dtype})
        return f"\x00{key}"

    def num(self, name: str) -> pl.Expr:
        if not self.has(name):
            return _lit("null")
        return self.add(3, f"num:{name}", num_json(pl.col(name), self.dtype(name)))

    def words(self, name: str, unit: str = "") -> pl.Expr:
        if not self.has(name):
            return _lit("—")
        dtype = self.dtype(name)
        hundredths = None
        if dtype.is_float() or (dtype.is_integer() and unit == "%"):
            x = pl.col(name).cast(pl.Float64)
            hundredths = self.add(2, f"cents:{name}:{unit}", cents(x * 100 if unit == "%" else x))
        return self.add(3, f"fmt:{name}:{unit}", fmt_expr(pl.col(name), dtype, unit, hundredths))

    def truthy(self, name: str) -> pl.Expr:
        if name not in self.schema:
            return pl.lit(False)
        return pl.col(name).cast(pl.Boolean, strict=False).fill_null(False)

    def frame(self, df: pl.DataFrame | pl.LazyFrame, line: pl.Expr, **more: pl.Expr) -> pl.LazyFrame:
        lf = df.lazy()
        for stage in self.stages:
            if stage:
                lf = lf.with_columns([e.alias(n) for n, e in stage.items()])
        return lf.select(line.alias("line"), *(e.alias(n) for n, e in more.items()))


def _code_json(e: pl.Expr) -> pl.Expr:
    return e.replace_strict({k: _js(v) for k, v in CODE_NAMES.items()}, default="null",
                            return_dtype=pl.String).fill_null("null")


def _join(parts: list[pl.Expr | str]) -> pl.Expr:
    """Concatenate text pieces, merging adjacent literals."""
    out: list[pl.Expr] = []
    buf = ""
    for p in parts:
        if isinstance(p, str):
            buf += p
            continue
        if buf:
            out.append(_lit(buf))
            buf = ""
        out.append(p)
    if buf:
        out.append(_lit(buf))
    return pl.concat_str(out) if len(out) > 1 else out[0]


def _list(items: list[pl.Expr]) -> pl.Expr:
    """A JSON list of the non-null items, in order."""
    if not items:
        return _lit("[]")
    joined = pl.concat_str([i + ", " for i in items], ignore_nulls=True).str.strip_suffix(", ")
    return "[" + joined + "]"


_BUILT: dict[tuple, tuple[_Frame, pl.Expr]] = {}


def _built(plan: Plan, df: pl.DataFrame | pl.LazyFrame, detail: bool) -> tuple[_Frame, pl.Expr]:
    """The expressions, built once per rule version, evaluation date, frame schema and form."""
    schema = df.collect_schema() if isinstance(df, pl.LazyFrame) else df.schema
    key = (plan.program.id, plan.program.version, plan.as_of, tuple(schema.items()), detail)
    if key not in _BUILT:
        if len(_BUILT) > 64:
            _BUILT.clear()
        _BUILT[key] = _build(plan, schema, detail)
    return _BUILT[key]


def lines(plan: Plan, df: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """The JSON line (column ``line``) of each row of a plan's frame: the ``evaluate`` record."""
    fr, line = _built(plan, df, False)
    return fr.frame(df, line)


def stored(plan: Plan, df: pl.DataFrame | pl.LazyFrame) -> pl.LazyFrame:
    """What ``programs.store`` keeps of each row, as ``store.row`` makes it of ``explain.record``:
    uscc, result, the scores rounded to 4 places, close, gap_count, fail_count, next_step, and ``line``,
    the reasons document (conditions, gaps with the item each belongs to, missing inputs) as JSON."""
    fr, line = _built(plan, df, True)
    code = fr.col("result_code")
    more = {"uscc": fr.col("uscc").cast(pl.String),
            "result": code.replace_strict(CODE_NAMES, default=None, return_dtype=pl.String),
            "close": fr.truthy("close"), "gap_count": line.str.count_matches('{"field": ', literal=True),
            "fail_count": _fail_count(plan, fr),
            "next_step": _next_step(plan, fr).str.slice(0, 400)}
    for k in ("score", "score_min", "score_max"):
        x = fr.col(k).cast(pl.Float64)
        more[k] = pl.when(x.is_finite()).then(py_round(py_round(x, 10), 4)) if fr.has(k) else pl.lit(None, pl.Float64)
    return fr.frame(df, line, **more)


def _fail_count(plan: Plan, fr: _Frame) -> pl.Expr:
    """``store.fail_count`` of each row: its conditions whose result is fail."""
    failing = [(fr.col(f"{cp.item.id}.result") == FAIL).fill_null(False).cast(pl.Int32) for cp in plan.conditions]
    return pl.sum_horizontal(failing) if failing and plan.program.kind != "index" else pl.lit(0, pl.Int32)


def _unescaped(e: pl.Expr) -> pl.Expr:
    """Text built for inside a JSON string, as text."""
    return ('"' + e + '"').str.json_decode(pl.String)


def _next_step(plan: Plan, fr: _Frame) -> pl.Expr:
    """``store.next_step`` of each row: a failing condition every path needs that no gap mends,
    else the first gap of a failing condition (of a failing result), else the first gap."""
    from .explain import required_conditions

    if plan.program.kind == "index" or not fr.gaps and not plan.conditions:
        return _lit("")
    failed = (fr.col("result_code") == FAIL).fill_null(False)
    failing = {cp.item.id: (fr.col(f"{cp.item.id}.result") == FAIL).fill_null(False) for cp in plan.conditions}
    required = required_conditions(plan.program)
    hard = []
    for cp in plan.conditions:
        it = cp.item
        if it.id not in required:
            continue
        mended = [present for item, present, _, _ in fr.gaps if item == it.id]
        text = _lit(it.text)
        if fr.has(f"{it.id}.review"):
            text = pl.when(fr.truthy(f"{it.id}.review")).then(_lit(it.text + REVIEW)).otherwise(text)
        keep = failing[it.id] & ~pl.any_horizontal(mended) if mended else failing[it.id]
        hard.append(pl.when(keep).then(text))
    hard_text = pl.concat_str(hard, separator="；", ignore_nulls=True) if hard else _lit("")

    def first(among: list[tuple[pl.Expr, pl.Expr, pl.Expr]]) -> pl.Expr:
        if not among:
            return pl.lit(None, pl.String)
        least = pl.min_horizontal([pl.when(ok).then(rank) for ok, rank, _ in among])
        return pl.coalesce([pl.when(ok & (rank == least)).then(text) for ok, rank, text in among])

    gaps = [(present, rank, text) for _, present, text, rank in fr.gaps]
    of_failing = [(present & failing[item], rank, text) for item, present, text, rank in fr.gaps if item in failing]
    chosen = pl.when(failed & (hard_text != "")).then("不符合：" + hard_text)
    if gaps:
        chosen = chosen.when(failed & pl.any_horizontal([ok for ok, _, _ in of_failing] or [pl.lit(False)])).then(
            _unescaped(first(of_failing))).otherwise(_unescaped(first(gaps)))
    return fr.add(6, "next_step", chosen.fill_null(""))


def _build(plan: Plan, schema: pl.Schema, detail: bool = False) -> tuple[_Frame, pl.Expr]:
    p = plan.program
    fr = _Frame(schema, detail)
    head: list[pl.Expr | str] = ['{"conditions": ['] if detail else [
        '{"uscc": ', fr.num("uscc"), f', "program": {_js(p.id)}, "version": {_js(p.version)}, "result": ',
        fr.add(3, "result", _code_json(pl.col("result_code"))) if fr.has("result_code") else "null",
        ', "score": ', fr.num("score"), ', "score_min": ', fr.num("score_min"),
        ', "score_max": ', fr.num("score_max"), ', "conditions": [']
    if p.kind == "index":
        return fr, _join(head + _index_body(plan, fr))
    conds: list[pl.Expr | str] = []
    for cp in plan.conditions:
        it = cp.item
        text = _reviewed(fr, it, REVIEW)
        value = _value(fr, f"{it.id}.value", cp.value_ranged) if cp.has_value else "null"
        threshold = (fr.num(f"{it.id}.threshold") if cp.has_threshold_col
                     else _js(_num(cp.threshold_const)))
        conds += [", " if conds else "", f'{{"id": {_js(it.id)}, "text": ', text, ', "value": ', value,
                  f', "op": {_js(cp.op or None)}, "threshold": ', threshold, ', "result": ',
                  fr.add(3, f"result:{it.id}", _code_json(fr.col(f"{it.id}.result"))), f', "cite": {_js(it.cite)}}}']
    for ip in plan.indicators:
        it = ip.item
        text = _reviewed(fr, it, INDICATOR_REVIEW)
        pts = _value(fr, f"{it.id}.points", ip.ranged)
        conds += [", " if conds else "", f'{{"id": {_js(it.id)}, "text": ', text, ', "value": ', pts,
                  f', "op": "points", "threshold": null, "result": null, "cite": {_js(it.cite)}}}']
    body = ['], "gaps": ', _gaps(plan, fr), ', "missing": ', _missing(plan, fr), "}"]
    return fr, _join(head + conds + body)


def _reviewed(fr: _Frame, it, suffix: str) -> pl.Expr:
    """An item's wording, with ``suffix`` on rows whose value sits near a threshold."""
    text = _lit(_js(it.text))
    if not fr.has(f"{it.id}.review"):
        return text
    return fr.add(3, f"text:{it.id}", pl.when(fr.truthy(f"{it.id}.review")).then(_lit(_js(it.text + suffix)))
                  .otherwise(text))


def _value(fr: _Frame, name: str, ranged: bool) -> pl.Expr:
    """A value, or ``[lo, hi]`` (the upper end in ``name + "_max"``) for an expert-judged range."""
    if not ranged:
        return fr.num(name)
    return _join(["[", fr.num(name), ", ", fr.num(f"{name}_max"), "]"])


def _index_body(plan: Plan, fr: _Frame) -> list[pl.Expr | str]:
    """As ``explain._index_record``: points per indicator ([0, full] while missing), rank and
    percentile within the stage, missing inputs with the most points at stake first."""
    p = plan.program
    out: list[pl.Expr | str] = []
    for ip in plan.indicators:
        it = ip.item
        pts, top = f"{it.id}.points", f"{it.id}.max"
        value = fr.num(pts)
        if fr.has(pts) and fr.has(top):
            value = fr.add(4, f"pts:{it.id}", pl.when(fr.col(pts).is_null() & fr.col(top).is_not_null())
                           .then(pl.concat_str([_lit("[0.0, "), fr.num(top), _lit("]")]))
                           .otherwise(fr.num(pts)))
        out += [f'{{"id": {_js(it.id)}, "text": {_js(it.text)}, "value": ', value,
                f', "op": "points", "threshold": null, "result": null, "cite": {_js(it.cite)}}}, ']
    pool = fr.col("pool_size").cast(pl.Float64).fill_null(0).cast(pl.Int64).cast(pl.String)
    stage = fr.add(3, "stage_name", fr.col("stage_of").cast(pl.String).replace_strict(
        {k: _in_text(v) for k, v in STAGE_NAMES.items()}, default=_in_text("同阶段"), return_dtype=pl.String).fill_null(_in_text("同阶段")))
    out += ['{"id": "rank", "text": "', _in_text("在"), stage, _in_text("企业中的排名（共 "), pool, _in_text(" 家）"),
            '", "value": ', fr.num("rank"), ', "op": "rank", "threshold": ', fr.num("pool_size"),
            f', "result": null, "cite": {_js(p.doc_number)}}}, ',
            '{"id": "percentile", "text": "', _in_text("在"), stage, _in_text("企业中的百分位"),
            '", "value": ', fr.num("percentile"), ', "op": "percentile", "threshold": null',
            f', "result": null, "cite": {_js(p.doc_number)}}}], "gaps": [], "missing": ']
    # a missing input is always flagged; once scored, only inputs carried in the row
    lists = {}
    for stage_id, order in index_missing_order(p).items():
        items = []
        for fid in order:
            lacking = fr.col(fid).is_null() if fr.has(fid) else fr.col("score").is_null()
            items.append(pl.when(lacking).then(_lit(_js(fid))))
        lists[stage_id] = _list(items)
    st = fr.col("stage_of").cast(pl.String)
    chosen = lists[None]
    for stage_id in reversed(STAGES):
        chosen = pl.when(st == stage_id).then(lists[stage_id]).otherwise(chosen)
    return out + [fr.add(3, "missing", chosen), "}"]


def _missing(plan: Plan, fr: _Frame) -> pl.Expr:
    """Inputs absent for the undecided conditions (all conditions when the result is unknown
    but none is), in condition order, each once."""
    p = plan.program
    expert = p.expert_fields()
    unknown = {cp.item.id: (fr.col(f"{cp.item.id}.result") == UNKNOWN).fill_null(False) for cp in plan.conditions}
    some = fr.add(0, "some_unknown", pl.any_horizontal(list(unknown.values())) if unknown else pl.lit(False))
    whole = (fr.col("result_code") == UNKNOWN).fill_null(False)
    chosen = {i: fr.add(1, f"chosen:{i}", pl.when(some).then(u).otherwise(whole)) for i, u in unknown.items()}
    earlier: dict[str, list[pl.Expr]] = {}
    items = []
    for cp in plan.conditions:
        for fid in sorted(p.item_fields(cp.item)):
            if fid == "application_on" or fid in expert:
                continue
            ch = chosen[cp.item.id]
            first = ch if fid not in earlier else ch & ~pl.any_horizontal(earlier[fid])
            lacking = fr.col(fid).is_null() if fr.has(fid) else pl.lit(True)
            items.append(pl.when(first & lacking).then(_lit(_js(fid))))
            earlier.setdefault(fid, []).append(ch)
    return fr.add(3, "missing", _list(items))


def _gaps(plan: Plan, fr: _Frame) -> pl.Expr:
    """Gap objects: single changes that flip the result first, then the cheapest (stable)."""
    not_passed = (fr.col("result_code") != PASS).fill_null(True)
    parts = [(cp, True) for cp in plan.conditions] + [(ip, False) for ip in plan.indicators]
    found = []
    for part, is_condition in parts:
        it = part.item
        for fid in part.gap_fields:
            name = f"{it.id}.gap.{fid}"
            if not fr.has(name):
                continue
            present = pl.col(name).is_not_null() if is_condition else pl.col(name).is_not_null() & not_passed
            found.append(_gap(part if is_condition else None, it, fid, fr, present, len(found)))
    if not found:
        return _lit("[]")
    # rank of each gap among the row's gaps by (flips first, cost), ties in rule order
    slots = []
    for i, (k, c, j) in enumerate(found):
        before = [(kj < k) | ((kj == k) & (cj < c)) | (((kj == k) & (cj == c)) if jx < i else pl.lit(False))
                  for jx, (kj, cj, _) in enumerate(found) if jx != i]
        rank = pl.sum_horizontal([(b & pj.is_not_null()).cast(pl.Int32) for b, (_, _, pj) in zip(
            before, [f for jx, f in enumerate(found) if jx != i])]) if before else pl.lit(0)
        slots.append(fr.add(5, f"rank:{i}", rank))
    fr.gaps = [(item, present, text, rank) for (item, present, text), rank in zip(fr.gaps, slots)]
    ordered = [pl.coalesce([pl.when(r == pos).then(j) for r, (_, _, j) in zip(slots, found)])
               for pos in range(len(found))]
    return fr.add(6, "gaps", _list(ordered))


def _gap(cp, it, fid: str, fr: _Frame, present: pl.Expr, n: int) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """One gap: its sort key (0 when this change alone flips the result, else 1), its relative
    cost, and its JSON (null when the row has no such gap), as intermediate columns."""
    needed_name = f"{it.id}.gap.{fid}"
    current = fr.col(fid)
    delta = fr.derive(f"delta:{it.id}:{fid}", (pl.col(needed_name) - current).cast(pl.Float64)
                      if fr.has(fid) else pl.lit(None, dtype=pl.Float64), pl.Float64)
    rounded = fr.derive(f"delta6:{it.id}:{fid}", py_round(pl.col(delta), 6), pl.Float64, 1)
    size = fr.derive(f"absdelta:{it.id}:{fid}", pl.col(delta).abs(), pl.Float64, 1)
    f = fields().get(fid)
    spec = next(s for s in it.gaps if s.field == fid)
    unit = it.unit

    def words(name: str) -> pl.Expr:
        if name == "value":
            return fr.words(f"{it.id}.value", unit) if cp is not None else _lit("")
        if name == "threshold":
            if cp is None:
                return _lit("")
            if not cp.has_threshold_col:
                return _lit(_in_text(fmt_number(cp.threshold_const, unit)))
            return fr.words(f"{it.id}.threshold", unit)
        if name == "current":
            return fr.words(fid)
        if name == "needed":
            return fr.words(needed_name)
        if name == "delta":
            return fr.words(size)
        if name == "points":
            return fr.words(f"{it.id}.gain.{fid}") if cp is None else _lit("—")
        if name == "label":
            return _lit(_in_text(f.full_label if f else fid))
        return _lit(_in_text("{" + name + "}"))

    if spec.text:
        text: list[pl.Expr | str] = []
        for literal, name in template_parts(spec.text):
            text.append(_in_text(literal))
            if name is not None:
                text.append(words(name))
    else:
        label, u = _in_text(f.full_label if f else fid), _in_text(f.unit if f else "")
        d = pl.col(delta)
        grows = pl.when(d.is_nan()).then(False).otherwise(d.fill_null(0) >= 0)
        word = pl.when(grows).then(_lit("增加")).otherwise(_lit("减少"))
        either = fr.derive(f"absdelta0:{it.id}:{fid}", d.fill_null(0).abs(), pl.Float64, 1)
        text = [f"{label}现为 ", fr.words(fid), f"{u}，需达到 ", fr.words(needed_name),
                f"{u}（", word, " ", fr.words(either), f"{u}）"]
    flip = fr.truthy(f"flip.{it.id}.{fid}")
    suffix = pl.when(flip).then(pl.when(fr.col(f"flipto.{it.id}.{fid}") == PASS).then(_lit(_in_text(FLIP_PASS)))
                                .otherwise(_lit(_in_text(FLIP_NOT_FAIL)))).otherwise(_lit(""))
    step = f.step if f else 0.01
    cost = pl.when(pl.col(delta).is_not_null() & current.is_not_null()) \
        .then(pl.col(size) / pl.max_horizontal(current.cast(pl.Float64).abs(), pl.lit(step))) \
        .otherwise(float("inf"))
    item = f', "_item": {_js(it.id)}' if fr.detail else ""  # which item the gap belongs to (stored only)
    j = _join([f'{{"field": {_js(fid)}, "current": ', fr.num(fid), ', "needed": ', fr.num(needed_name),
               ', "delta": ', fr.num(rounded), ', "text": "', *text, suffix, f'"{item}}}'])
    fr.gaps.append((it.id, present, fr.add(4, f"gaptext:{n}", _join([*text, suffix]))))
    return (fr.add(3, f"gapkey:{n}", pl.when(flip).then(0).otherwise(1)), fr.add(3, f"gapcost:{n}", cost),
            fr.add(4, f"gapjson:{n}", pl.when(present).then(j)))


# ---------------------------------------------------------------- writing

def write_lines(plan: Plan, df: pl.DataFrame, stream: IO[str]) -> int:
    """Write the frame's records, one JSON line each, a chunk of rows at a time."""
    raw = getattr(stream, "buffer", None)  # a text file's bytes: UTF-8 straight from Polars
    for start in range(0, df.height, CHUNK_ROWS):
        # streaming: the rows' lines are built on every core (one expression joins each line)
        out = lines(plan, df.slice(start, CHUNK_ROWS)).collect(engine="streaming")
        if out["line"].null_count():
            raise ValueError(f"{plan.program.id}: a record could not be written as JSON")
        if raw is not None and (getattr(stream, "encoding", "") or "").lower().replace("-", "") == "utf8":
            stream.flush()
            out.write_csv(raw, include_header=False, quote_style="never")
        else:
            stream.write(out["line"].str.join("\n").item() + "\n")
    return df.height
