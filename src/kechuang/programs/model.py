"""Program rule files (data/<program>-<version>.yaml): loading, validation, versions."""

from __future__ import annotations

import copy
import datetime as dt
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from . import expr as E
from .columns import pl
from .fields import Field, fields
from .yamlmarks import MarkedDict, load_marked

DATA = Path(__file__).parent / "data"
CASES_SUFFIX = ".cases.yaml"  # hand-derived test cases beside a rule file
STAGES = ("startup", "growth", "mature")
STAGE_NAMES = {"startup": "初创期", "growth": "成长期", "mature": "稳定期"}
RESULT_NAMES = {"pass": "符合", "fail": "不符合", "depends": "待专家评定", "unknown": "数据缺失"}


@dataclass
class Src:
    file: str
    line: int
    column: int
    text: str

    def error(self, exc: E.RuleError) -> E.RuleError:
        if exc.file:
            return exc
        return exc.located(self.file, self.line, self.column, self.text)


@dataclass
class GapSpec:
    field: str
    text: str = ""


CONFIDENCES = ("high", "medium-high", "medium", "medium-low", "low")


@dataclass
class Item:
    """A value, condition or indicator of a program."""

    id: str
    kind: str  # value | condition | indicator
    text: str = ""
    cite: str = ""
    node: E.Node | None = None  # condition/value/indicator expression
    src: Src | None = None
    unit: str = ""
    gaps: list[GapSpec] = field(default_factory=list)
    # indicators
    value_node: E.Node | None = None
    value_src: Src | None = None
    bands: list[E.Band] = field(default_factory=list)
    band_srcs: list[Src] = field(default_factory=list)
    missing: object = None
    max: float | None = None
    weights: dict[str, float] = field(default_factory=dict)
    full: dict[str, float] = field(default_factory=dict)  # per stage: the value that earns full points
    normalize: str = ""
    group: str = ""
    note: str = ""  # why a choice was made where the source text is silent
    confidence: str = ""  # per item, when lower than the file's


@dataclass
class Param:
    """A declared local parameter: a number the source text leaves open, chosen here and named so
    that a zone's copy can override it (``params:`` in a rule file)."""

    id: str
    value: float
    text: str = ""
    unit: str = ""
    cite: str = ""
    note: str = ""
    confidence: str = ""


@dataclass
class Program:
    id: str
    version: str
    name: str
    document: str
    doc_number: str
    effective_from: dt.date
    effective_to: dt.date | None
    checked_on: dt.date
    confidence: str
    file: str
    kind: str = "certification"  # certification | index
    sources: list[str] = field(default_factory=list)
    notes: str = ""
    values: dict[str, Item] = field(default_factory=dict)
    tables: dict[str, list[E.Band]] = field(default_factory=dict)
    indicators: dict[str, Item] = field(default_factory=dict)
    conditions: dict[str, Item] = field(default_factory=dict)
    score: Item | None = None
    rule: Item | None = None
    extends: str = ""
    params: dict[str, Param] = field(default_factory=dict)
    regions: list[str] = field(default_factory=list)  # region code prefixes evaluated (empty: all)
    adjusted: list[tuple[str, str]] = field(default_factory=list)  # (item or param id, cite) a copy changed

    @property
    def key(self) -> str:
        return f"{self.id}-{self.version}"

    def env(self, as_of: dt.date) -> "ProgramEnv":
        return ProgramEnv(self, as_of)

    @property
    def pooled(self) -> bool:
        """Whether a result depends on the whole population evaluated together (pool ranks and
        normalisation), so the population cannot be evaluated in separate batches."""
        return self.kind == "index"

    def fields_used(self) -> set[str]:
        """Profile columns referenced anywhere in the program."""
        names: set[str] = set()
        for item in [*self.values.values(), *self.indicators.values(), *self.conditions.values(),
                     *(i for i in (self.score, self.rule) if i)]:
            for n in (item.node, item.value_node):
                if n is not None:
                    names |= E.names_in(n)
            for b in item.bands:
                if b.when is not None:
                    names |= E.names_in(b.when)
        out = {n for n in names if n in fields()}
        return out | {"region_code"} if self.regions else out

    def expert_fields(self) -> set[str]:
        """Inputs whose absence gives a range or ``depends`` (expert-judged), never ``unknown``."""
        cache = self.__dict__.setdefault("_expert_cache", None)
        if cache is not None:
            return cache
        out: set[str] = set()

        def walk(n):
            if isinstance(n, E.Call):
                if n.name in ("expert", "judged") and n.args:
                    out.update(x for x in E.names_in(n.args[0]) if x in fields())
                for a in n.args:
                    walk(a)
            elif isinstance(n, E.Bin):
                walk(n.left)
                walk(n.right)
            elif isinstance(n, E.Unary):
                walk(n.arg)

        for it in [*self.values.values(), *self.indicators.values(), *self.conditions.values()]:
            for n in [it.node, it.value_node] + [b.when for b in it.bands]:
                if n is not None:
                    walk(n)
            if it.kind == "indicator" and it.missing is not None and it.value_node is not None:
                out.update(x for x in E.names_in(it.value_node) if x in fields())
        self.__dict__["_expert_cache"] = out
        return out

    def lookup(self, name: str) -> Item | None:
        if name == "score":
            return self.score
        return self.values.get(name) or self.indicators.get(name) or self.conditions.get(name)

    def refs(self, item: Item) -> set[str]:
        """Program items (values, indicators, conditions, score) referenced directly."""
        names: set[str] = set()
        for n in [item.node, item.value_node] + [b.when for b in item.bands]:
            if n is not None:
                names |= E.names_in(n)
        return {n for n in names if self.lookup(n) is not None and n != item.id}

    def item_fields(self, item: Item) -> set[str]:
        """Profile columns an item depends on, through values/indicators/conditions."""
        cache = self.__dict__.setdefault("_fields_cache", {})
        key = (item.kind, item.id)
        if key not in cache:
            cache[key] = self._item_fields(item)
        return cache[key]

    def _item_fields(self, item: Item) -> set[str]:
        seen: set[str] = set()
        out: set[str] = set()

        def walk_item(it: Item):
            if it.id in seen:
                return
            seen.add(it.id)
            nodes = [it.node, it.value_node] + [b.when for b in it.bands]
            for n in nodes:
                if n is None:
                    continue
                for name in E.names_in(n):
                    if name in fields():
                        out.add(name)
                    elif name in self.values:
                        walk_item(self.values[name])
                    elif name in self.indicators:
                        walk_item(self.indicators[name])
                    elif name in self.conditions:
                        walk_item(self.conditions[name])
                    elif name == "score" and self.score:
                        walk_item(self.score)
                    elif name in ("application_on",):
                        out.add("application_on")

        walk_item(item)
        return out


class ProgramEnv(E.Env):
    def __init__(self, program: Program, as_of: dt.date):
        self.p = program
        self.as_of = as_of

    def table(self, name):
        return self.p.tables.get(name)

    def resolve(self, name: str, c: E.Compiler) -> E.Val | None:
        p = self.p
        if name in p.values:
            return compile_item(p.values[name], c)
        if name in p.indicators:
            return compile_indicator(p.indicators[name], c)
        if name in p.conditions:
            return compile_item(p.conditions[name], c)
        if name == "score" and p.score is not None:
            return compile_item(p.score, c)
        if name in p.params:
            return E.lit(p.params[name].value, "num")
        if name == "as_of":
            return E.Val("date", pl.lit(self.as_of, dtype=pl.Date), const=self.as_of, is_const=True)
        if name == "application_on":
            base = c.subst.get("application_on", pl.col("application_on"))
            return E.Val("date", pl.coalesce([base, pl.lit(self.as_of, dtype=pl.Date)]))
        f = fields().get(name)
        if f is not None:
            return E.Val(f.kind, c.subst.get(name, pl.col(name)))
        return None


def compile_item(item: Item, c: E.Compiler) -> E.Val:
    try:
        return c.compile(item.node)
    except E.RuleError as exc:
        raise item.src.error(exc) from None


def compile_indicator(item: Item, c: E.Compiler) -> E.Val:
    if item.node is not None:
        return compile_item(item, c)
    x = None
    if item.value_node is not None:
        try:
            v = c.compile(item.value_node)
            v = c._need(v, ("num", "str", "bool"), item.value_node.pos, "指标取值")
        except E.RuleError as exc:
            raise item.value_src.error(exc) from None
        if v.ranged:
            raise item.value_src.error(E.RuleError("分档指标的取值不能是专家评分区间", pos=0))
        x = v.lo
    conds = None
    if any(b.when is not None for b in item.bands):
        conds = []
        for b, s in zip(item.bands, item.band_srcs):
            try:
                cv = c._need(c.compile(b.when), ("bool",), b.when.pos, "分档条件")
            except E.RuleError as exc:
                raise s.error(exc) from None
            if cv.ranged:
                raise s.error(E.RuleError("分档条件不能依赖专家判定", pos=0))
            conds.append(cv.lo)
    elif x is None:
        raise item.src.error(E.RuleError("分档指标需要 value"))
    return E.band_lookup(x, item.bands, item.missing, conds)


# ---------------------------------------------------------------- loading

class _Reader:
    """Reads one rule file, turning structural mistakes into located RuleErrors."""

    def __init__(self, raw: MarkedDict, file: str):
        self.raw = raw
        self.file = file

    def fail(self, d: MarkedDict | None, key, message: str) -> E.RuleError:
        line, col = (d.mark(key) if isinstance(d, MarkedDict) else (getattr(d, "line", 0), 1))
        return E.RuleError(message, file=self.file, line=line, column=col,
                           expr=str(d.get(key, "")) if isinstance(d, dict) and key in d else "")

    def req(self, d: MarkedDict, key: str, what: str):
        if key not in d or d[key] in (None, ""):
            raise E.RuleError(f"{what}缺少“{key}”", file=self.file, line=getattr(d, "line", 0), column=1)
        return d[key]

    def date(self, d: MarkedDict, key: str, required: bool = True) -> dt.date | None:
        v = d.get(key)
        if v is None and not required:
            return None
        if isinstance(v, dt.date):
            return v
        try:
            return dt.date.fromisoformat(str(v))
        except ValueError:
            raise self.fail(d, key, f"“{key}”应为 YYYY-MM-DD 日期，实际为“{v}”") from None

    def expr(self, d: MarkedDict, key: str) -> tuple[E.Node, Src]:
        text = str(d[key])
        line, col = d.mark(key)
        src = Src(self.file, line, col, text)
        try:
            return E.parse(text), src
        except E.RuleError as exc:
            raise src.error(exc) from None

    def points(self, d: MarkedDict, key: str):
        v = d[key]
        if isinstance(v, (int, float)):
            return float(v)
        if isinstance(v, list) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v) and v[0] <= v[1]:
            return (float(v[0]), float(v[1])) if v[0] != v[1] else float(v[0])
        raise self.fail(d, key, f"分值应为数字或 [下限, 上限]，实际为“{v}”")

    def bands(self, d: MarkedDict, key: str) -> tuple[list[E.Band], list[Src]]:
        out, srcs = [], []
        for b in d[key]:
            if not isinstance(b, MarkedDict):
                raise self.fail(d, key, "每一档应写作 {range: ..., points: ...}")
            pts_key = "points" if "points" in b else "value"
            if pts_key not in b:
                raise self.fail(b, "range", "分档缺少 points/value")
            pts = self.points(b, pts_key)
            if "range" in b:
                try:
                    lo, hi, li, hi_i = E.parse_interval(b["range"])
                except E.RuleError as exc:
                    raise self.fail(b, "range", exc.message) from None
                out.append(E.Band(lo, hi, li, hi_i, pts, str(b.get("label", ""))))
                line, col = b.mark("range")
                srcs.append(Src(self.file, line, col, str(b["range"])))
            elif "when" in b:
                node, src = self.expr(b, "when")
                out.append(E.Band(0, 0, True, True, pts, str(b.get("label", "")), when=node))
                srcs.append(src)
            else:
                raise self.fail(b, pts_key, "分档需要 range（区间）或 when（条件）")
        if any(b.when is not None for b in out) and not all(b.when is not None for b in out):
            raise self.fail(d, key, "同一指标的分档不能混用 range 与 when")
        return out, srcs

    def per_stage(self, d: MarkedDict, key: str, iid: str) -> dict[str, float]:
        """A number for every stage: one number, or {startup: …, growth: …, mature: …}."""
        v = d[key]
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            vals = {s: float(v) for s in STAGES}
        elif isinstance(v, dict) and set(v) == set(STAGES) and all(
                isinstance(x, (int, float)) and not isinstance(x, bool) for x in v.values()):
            vals = {s: float(v[s]) for s in STAGES}
        else:
            raise self.fail(d, key, f"指标“{iid}”的 {key} 应为正数或按阶段给出 {{startup, growth, mature}}")
        if any(x <= 0 for x in vals.values()):
            raise self.fail(d, key, f"指标“{iid}”的 {key} 应大于 0")
        return vals

    def params(self, raw: MarkedDict) -> dict[str, Param]:
        out: dict[str, Param] = {}
        for pid, body in (raw.get("params") or {}).items():
            if not isinstance(body, MarkedDict) or "value" not in body:
                raise self.fail(raw.get("params"), pid, f"参数“{pid}”应写作 {{value: 数值, text: …, note: …}}")
            v = body["value"]
            if not isinstance(v, (int, float)) or isinstance(v, bool):
                raise self.fail(body, "value", f"参数“{pid}”的取值应为数值，实际为“{v}”")
            if pid in fields() or pid in ("score", "rule", "as_of", "application_on"):
                raise self.fail(raw.get("params"), pid, f"参数“{pid}”与企业画像字段或保留名称同名，请改名")
            conf = str(body.get("confidence", "") or "")
            if conf and conf not in CONFIDENCES:
                raise self.fail(body, "confidence", f"confidence 应为 {'/'.join(CONFIDENCES)}，实际为“{conf}”")
            if conf == "low" and not body.get("note"):
                raise self.fail(body, "confidence", f"参数“{pid}”标为低置信度，须用 note 说明原因")
            out[str(pid)] = Param(str(pid), float(v), str(body.get("text", "")), str(body.get("unit", "")),
                                  str(body.get("cite", "")), str(body.get("note", "") or ""), conf)
        return out

    def gaps(self, d: MarkedDict) -> list[GapSpec]:
        g = d.get("gap")
        if not g:
            return []
        if isinstance(g, dict):
            g = [g]
        out = []
        for spec in g:
            fid = spec.get("field")
            if fid not in fields():
                raise self.fail(spec, "field", f"差距字段“{fid}”不是企业画像中的列")
            out.append(GapSpec(fid, str(spec.get("text", ""))))
        return out

    def item(self, d: MarkedDict, kind: str) -> Item:
        if not isinstance(d, MarkedDict):
            raise E.RuleError(f"{kind} 条目应为映射", file=self.file)
        iid = str(self.req(d, "id", kind))
        if iid in fields() or iid in ("score", "rule", "as_of", "application_on"):
            raise self.fail(d, "id", f"编号“{iid}”与企业画像字段或保留名称同名，请改名")
        it = Item(id=iid, kind=kind, text=str(d.get("text", "")), cite=str(d.get("cite", "")),
                  unit=str(d.get("unit", "")), group=str(d.get("group", "")))
        if kind == "condition" and not it.cite:
            raise self.fail(d, "id", f"条件“{iid}”缺少出处 cite")
        if "expr" in d:
            it.node, it.src = self.expr(d, "expr")
        it.gaps = self.gaps(d)
        it.note = str(d.get("note", "") or "")
        it.confidence = str(d.get("confidence", "") or "")
        if it.confidence and it.confidence not in CONFIDENCES:
            raise self.fail(d, "confidence", f"confidence 应为 {'/'.join(CONFIDENCES)}，实际为“{it.confidence}”")
        if it.confidence == "low" and not it.note:
            raise self.fail(d, "confidence", f"“{iid}”标为低置信度，须用 note 说明原因")
        if kind == "indicator":
            if "value" in d:
                it.value_node, it.value_src = self.expr(d, "value")
            if "bands" in d:
                it.bands, it.band_srcs = self.bands(d, "bands")
            if it.node is None and not it.bands:
                raise self.fail(d, "id", f"指标“{iid}”需要 expr 或 bands")
            if "missing" in d:
                it.missing = self.points(d, "missing")
            it.max = float(d["max"]) if "max" in d else None
            it.normalize = str(d.get("normalize", ""))
            if "weights" in d:
                w = d["weights"]
                missing = [s for s in STAGES if s not in w]
                if missing:
                    raise self.fail(d, "weights", f"指标“{iid}”缺少阶段权重：{'、'.join(STAGE_NAMES[s] for s in missing)}")
                it.weights = {s: float(w[s]) for s in STAGES}
            if "full" in d:
                it.full = self.per_stage(d, "full", iid)
            if it.normalize == "full" and not it.full:
                raise self.fail(d, "normalize", f"指标“{iid}”按满分值计分（normalize: full），须给出 full（满分值）")
            it.src = it.src or it.value_src or Src(self.file, d.line, 1, iid)
        elif it.node is None:
            raise self.fail(d, "id", f"“{iid}”缺少 expr")
        return it


def _overlay(base, body: MarkedDict) -> MarkedDict:
    """``base`` with the keys of ``body`` laid over it; per-stage maps merge stage by stage."""
    if not isinstance(base, MarkedDict):
        return body
    out = copy.copy(base)
    out.marks = dict(base.marks)
    for k, v in body.items():
        if k in ("weights", "full") and isinstance(v, dict) and isinstance(base.get(k), dict):
            v = {**base[k], **v}
        out[k] = v
        out.marks[k] = body.mark(k)
    return out


def _adjust(merged: MarkedDict, child: MarkedDict, file: str) -> None:
    """`adjust:` — a zone's copy changes named indicators (weights, full values …) of its base,
    each change with its own citation; an id the base does not have is an error."""
    adjust = child.get("adjust") or {}
    if not isinstance(adjust, MarkedDict):
        line, col = child.mark("adjust")
        raise E.RuleError("adjust 应为映射：指标编号 → 要改的键", file=file, line=line, column=col)
    items = list(merged.get("indicators") or [])
    index = {x.get("id"): i for i, x in enumerate(items)}
    for iid, body in adjust.items():
        line, col = adjust.mark(iid)
        if iid not in index:
            raise E.RuleError(f"adjust 中的指标“{iid}”在所继承的规则文件中不存在", file=file, line=line,
                              column=col, expr=str(iid))
        if not isinstance(body, MarkedDict) or not body.get("cite"):
            raise E.RuleError(f"adjust 中的指标“{iid}”须用 cite 说明调整依据", file=file, line=line, column=col,
                              expr=str(iid))
        change = copy.copy(body)
        change.marks = dict(body.marks)
        change["adjust_cite"] = change.pop("cite")
        items[index[iid]] = _overlay(items[index[iid]], change)
    merged["indicators"] = items


def _merge(parent: MarkedDict, child: MarkedDict) -> MarkedDict:
    """`extends:` — the child overrides top-level keys; list sections merge by id; `params` merge
    key by key and `adjust` changes named indicators (see ``_adjust``)."""
    out = copy.copy(parent)
    out.marks = dict(parent.marks)
    removed = set(child.get("remove", []) or [])
    for key, val in child.items():
        if key in ("extends", "remove", "adjust"):
            continue
        if key == "params" and isinstance(val, MarkedDict):
            m = MarkedDict(parent.get("params") or {})
            m.marks = dict(getattr(parent.get("params"), "marks", {}) or {})
            m.file, m.line = val.file, val.line
            for pid, body in val.items():
                if pid not in m:
                    line, col = val.mark(pid)
                    raise E.RuleError(f"参数“{pid}”在所继承的规则文件中未声明", file=val.file, line=line,
                                      column=col, expr=str(pid))
                m[pid] = _overlay(m[pid], body) if isinstance(body, MarkedDict) else body
                m.marks[pid] = val.mark(pid)
            out[key] = m
            out.marks[key] = child.mark(key)
            continue
        if key in ("conditions", "indicators") and isinstance(val, list):
            base = [x for x in parent.get(key, []) if x.get("id") not in removed]
            ids = {x.get("id"): i for i, x in enumerate(base)}
            merged = list(base)
            for x in val:
                if x.get("id") in ids:
                    merged[ids[x.get("id")]] = x
                else:
                    merged.append(x)
            out[key] = merged
        elif key in ("values", "tables") and isinstance(val, dict):
            m = MarkedDict({k: v for k, v in parent.get(key, {}).items() if k not in removed})
            m.marks = dict(getattr(parent.get(key), "marks", {}) or {})
            m.marks.update(val.marks)
            m.file = val.file
            m.line = val.line
            m.update(val)
            out[key] = m
        else:
            out[key] = val
        out.marks[key] = child.mark(key)
    for key in ("conditions", "indicators"):
        if key in out and key not in child and removed:
            out[key] = [x for x in out[key] if x.get("id") not in removed]
    if "adjust" in child:
        _adjust(out, child, child.file)
    return out


def _resolved(path: Path, chain: tuple) -> MarkedDict:
    """The raw mapping of a rule file with its own `extends:` applied."""
    raw = load_marked(path)
    if not raw.get("extends"):
        return raw
    parent_name = str(raw["extends"])
    ppath = path.parent / f"{parent_name}.yaml"
    if not ppath.exists() or parent_name in chain:
        line, col = raw.mark("extends")
        raise E.RuleError(f"extends 指向的规则文件“{parent_name}”不存在或循环继承",
                          file=path.name, line=line, column=col, expr=parent_name)
    return _merge(_resolved(ppath, (*chain, parent_name)), raw)


def load_program(path: Path, _chain: tuple = ()) -> Program:
    path = Path(path)
    raw = load_marked(path)
    file = path.name
    if not isinstance(raw, MarkedDict):
        raise E.RuleError("规则文件应为 YAML 映射", file=file, line=1, column=1)
    if raw.get("extends"):
        parent_name = str(raw["extends"])
        ppath = path.parent / f"{parent_name}.yaml"
        if not ppath.exists() or parent_name in _chain:
            line, col = raw.mark("extends")
            raise E.RuleError(f"extends 指向的规则文件“{parent_name}”不存在或循环继承",
                              file=file, line=line, column=col, expr=parent_name)
        parent_raw = load_marked(ppath)
        if parent_raw.get("extends"):  # a copy of a copy: resolve the base's own base first
            parent_raw = _resolved(ppath, (*_chain, parent_name))
        child = raw
        raw = _merge(parent_raw, raw)
        adjusted = [(str(k), str(v.get("cite", "")) if isinstance(v, dict) else "")
                    for k, v in (child.get("adjust") or {}).items()]
        adjusted += [(str(k), str(v.get("cite", "")) if isinstance(v, dict) else "")
                     for k, v in (child.get("params") or {}).items()]
    else:
        adjusted = []
    r = _Reader(raw, file)
    values = raw.get("values") or {}
    p = Program(
        id=str(r.req(raw, "id", "规则文件")),
        version=str(r.req(raw, "version", "规则文件")),
        name=str(r.req(raw, "name", "规则文件")),
        document=str(r.req(raw, "document", "规则文件")),
        doc_number=str(raw.get("doc_number", "")),
        effective_from=r.date(raw, "effective_from"),
        effective_to=r.date(raw, "effective_to", required=False),
        checked_on=r.date(raw, "checked_on"),
        confidence=str(r.req(raw, "confidence", "规则文件")),
        file=file,
        kind=str(raw.get("kind", "certification")),
        sources=[str(s) for s in raw.get("sources", []) or []],
        notes=str(raw.get("notes", "") or ""),
        extends=str(raw.get("extends", "") or ""),
        adjusted=adjusted,
    )
    p.params = r.params(raw)
    p.regions = [str(x) for x in raw.get("regions", []) or []]
    if any(not x.isdigit() for x in p.regions):
        raise r.fail(raw, "regions", f"regions 应为行政区划代码前缀（数字），实际为“{'、'.join(p.regions)}”")
    if p.confidence not in CONFIDENCES:
        raise r.fail(raw, "confidence", f"confidence 应为 high/medium-high/medium/medium-low/low，实际为“{p.confidence}”")
    for name, body in values.items():
        if isinstance(body, MarkedDict):
            it = Item(id=name, kind="value", text=str(body.get("text", "")), cite=str(body.get("cite", "")),
                      unit=str(body.get("unit", "")))
            it.node, it.src = r.expr(body, "expr")
        else:
            it = Item(id=name, kind="value")
            line, col = values.mark(name)
            text = str(body)
            it.src = Src(file, line, col, text)
            try:
                it.node = E.parse(text)
            except E.RuleError as exc:
                raise it.src.error(exc) from None
        p.values[name] = it
    for name, body in (raw.get("tables") or {}).items():
        bands, _ = r.bands(body, "bands")
        p.tables[name] = bands
    for d in raw.get("indicators", []) or []:
        it = r.item(d, "indicator")
        if it.id in p.params:
            raise r.fail(d, "id", f"编号“{it.id}”与参数同名")
        if it.id in p.indicators or it.id in p.values:
            raise r.fail(d, "id", f"编号“{it.id}”重复")
        p.indicators[it.id] = it
    for d in raw.get("conditions", []) or []:
        it = r.item(d, "condition")
        if it.id in p.conditions or it.id in p.indicators or it.id in p.values:
            raise r.fail(d, "id", f"编号“{it.id}”重复")
        p.conditions[it.id] = it
    if raw.get("score"):
        node, src = r.expr(raw, "score")
        p.score = Item(id="score", kind="value", text="总分", node=node, src=src)
    elif p.kind == "index":
        p.score = None  # computed from weights
    if raw.get("rule"):
        node, src = r.expr(raw, "rule")
        p.rule = Item(id="rule", kind="condition", text="认定规则", node=node, src=src)
    elif p.kind == "certification":
        if not p.conditions:
            raise E.RuleError("规则文件没有任何条件", file=file, line=1, column=1)
        text = " and ".join(p.conditions)
        p.rule = Item(id="rule", kind="condition", text="全部条件", node=E.parse(text),
                      src=Src(file, raw.line, 1, text))
    if p.kind == "index":
        missing = [i.id for i in p.indicators.values() if not i.weights]
        if missing:
            raise r.fail(raw, "indicators", f"积分指标缺少阶段权重：{'、'.join(missing)}")
    validate(p)
    return p


def validate(p: Program) -> None:
    """Compile everything once so that mistakes surface at load time, located."""
    c = E.Compiler(p.env(dt.date.today()))
    for it in [*p.values.values(), *p.conditions.values(), *(i for i in (p.score, p.rule) if i)]:
        v = compile_item(it, c)
        if it.kind == "condition" and v.kind != "bool":
            raise it.src.error(E.RuleError("条件表达式的结果应为真假值（比较或 and/or）", pos=0))
    for it in p.indicators.values():
        v = compile_indicator(it, c)
        if v.kind != "num":
            raise it.src.error(E.RuleError("指标的结果应为分值（数值）", pos=0))


@lru_cache(maxsize=1)
def all_programs() -> tuple[Program, ...]:
    return tuple(load_program(f) for f in sorted(DATA.glob("*-*.yaml")) if not f.name.endswith(CASES_SUFFIX))


def programs_by_id() -> dict[str, list[Program]]:
    out: dict[str, list[Program]] = {}
    for p in all_programs():
        out.setdefault(p.id, []).append(p)
    for versions in out.values():
        versions.sort(key=lambda q: q.effective_from)
    return out


def version_windows(versions: list[Program]) -> list[tuple[Program, dt.date, dt.date | None]]:
    """Each version with [from, to] (inclusive); a missing end stops the day before the next."""
    out = []
    for i, p in enumerate(versions):
        end = p.effective_to
        if end is None and i + 1 < len(versions):
            end = versions[i + 1].effective_from - dt.timedelta(days=1)
        out.append((p, p.effective_from, end))
    return out


def select_version(program_id: str, on: dt.date) -> Program | None:
    for p, start, end in version_windows(programs_by_id().get(program_id, [])):
        if start <= on and (end is None or on <= end):
            return p
    return None


def field_meta(fid: str) -> Field | None:
    return fields().get(fid)
