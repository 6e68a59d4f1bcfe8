"""Award policy files (data/<policy>-<version>.yaml): loading and checking.

A file is one policy document and version: issuer, document number, region, effective dates and
items. Each item has a trigger event from the ledgers, conditions in the programs' expression
language (``kechuang.programs.expr``), an amount formula, payers by region level, a stacking
group, the payout year and whether it is paid without application (免申即享). Mistakes are
``RuleError``s located by file, line and column, naming the item, the field and the value.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

from ..programs import expr as E
from ..programs.model import CONFIDENCES, Src
from ..programs.model import _Reader as ProgramReader
from ..programs.yamlmarks import MarkedDict, load_marked
from .facts import CERT_TYPES, FACTS, TRIGGERS

DATA = Path(__file__).parent / "data"
CASES_SUFFIX = ".cases.yaml"
PAYER_LEVELS = {"province": "省级", "prefecture": "市级", "county": "区县级", "zone": "园区"}
STACK_RULES = {"highest": "就高不重复", "cumulative": "可叠加"}


@dataclass
class Condition:
    id: str
    text: str
    cite: str
    node: E.Node
    src: Src
    exclusion: bool = False  # an exclusion (失信, 已获奖励 …) rather than an eligibility condition


@dataclass
class Formula:
    """One part of an amount, paid by one level."""

    payer: str
    kind: str  # fixed | ceiling | bands | ratio | match
    value: Decimal | None = None  # fixed amount or ceiling
    ratio: Decimal | None = None
    cap: Decimal | None = None
    base: E.Node | None = None  # ratio base or band value
    base_src: Src | None = None
    bands: list[tuple[E.Band, Decimal]] = field(default_factory=list)
    match: str = ""  # "policy_id/item_id" whose amount is matched
    share: Decimal | None = None  # share of a split formula (weights normalised to 1)


@dataclass
class Item:
    id: str
    name: str
    cite: str
    trigger: str
    cert_types: tuple[str, ...]
    conditions: list[Condition]
    parts: list[Formula]
    group: str
    rule: str  # highest | cumulative
    cap: Decimal | None = None  # cumulative cap of the group, all levels included
    once: str = ""  # "" | item | group: not funded before (within the same policy id)
    times: int = 1
    payout_offset: int = 1
    no_application: bool = False
    no_application_cite: str = ""
    note: str = ""
    confidence: str = ""
    demo: bool = False

    @property
    def ceiling(self) -> bool:
        return any(p.kind == "ceiling" for p in self.parts)


@dataclass
class Policy:
    id: str
    version: str
    name: str
    issuer: str
    document: str
    doc_number: str
    region: str
    effective_from: dt.date
    effective_to: dt.date | None
    checked_on: dt.date
    confidence: str
    file: str
    sources: list[str] = field(default_factory=list)
    notes: str = ""
    demo: bool = False
    items: dict[str, Item] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.id}-{self.version}"

    def in_force(self, day: dt.date) -> bool:
        return self.effective_from <= day and (self.effective_to is None or day <= self.effective_to)


def _dec(v) -> Decimal:
    if isinstance(v, bool):
        raise InvalidOperation
    d = Decimal(str(v).replace("_", "").strip())
    if not d.is_finite():
        raise InvalidOperation
    return d


class _Reader(ProgramReader):
    """Reads one policy file; every mistake names the file, line, item, field and value (dates
    are read as in program files)."""

    def __init__(self, file: str):
        self.file = file

    def fail(self, d, key, message: str, item: str = "") -> E.RuleError:
        line, col = d.mark(key) if isinstance(d, MarkedDict) else (getattr(d, "line", 0), 1)
        where = f"条目“{item}”的" if item else ""
        value = d.get(key, "") if isinstance(d, dict) else ""
        return E.RuleError(f"{where}字段“{key}”取值“{value}”有误：{message}", file=self.file, line=line, column=col)

    def req(self, d, key: str, item: str = ""):
        if not isinstance(d, dict) or key not in d or d[key] in (None, ""):
            where = f"条目“{item}”" if item else "政策文件"
            raise E.RuleError(f"{where}缺少字段“{key}”", file=self.file, line=getattr(d, "line", 0), column=1)
        return d[key]

    def money(self, d, key: str, item: str) -> Decimal:
        try:
            v = _dec(d[key])
        except (InvalidOperation, ValueError):
            raise self.fail(d, key, "应为金额数字（万元）", item) from None
        if v < 0:
            raise self.fail(d, key, "金额不能为负数", item)
        return v

    def expr(self, d, key: str, item: str) -> tuple[E.Node, Src]:
        text = str(d[key])
        line, col = d.mark(key)
        src = Src(self.file, line, col, text)
        try:
            node = E.parse(text)
        except E.RuleError as exc:
            raise src.error(_named(exc, item, key)) from None
        return node, src

    # ---------------------------------------------------------------- item parts

    def formula(self, d, item: str, payer: str) -> Formula:
        # under ``match`` the ratio is the share of the matched money, not an amount formula of its own
        kinds = [k for k in ("fixed", "ceiling", "bands", "ratio", "match") if k in d
                 and not (k == "ratio" and "match" in d)]
        if len(kinds) != 1:
            raise E.RuleError(f"条目“{item}”的金额须且只须给出 fixed、ceiling、bands、ratio、match 之一",
                              file=self.file, line=getattr(d, "line", 0), column=1)
        kind = kinds[0]
        f = Formula(payer=payer, kind=kind)
        if kind in ("fixed", "ceiling"):
            f.value = self.money(d, kind, item)
        elif kind == "ratio":
            f.ratio = self.money(d, "ratio", item)
            f.base, f.base_src = self.expr(d, self.req(d, "base", item) and "base", item)
            if "cap" in d:
                f.cap = self.money(d, "cap", item)
        elif kind == "match":
            ref = str(d["match"])
            if "/" not in ref:
                raise self.fail(d, "match", "应写作 政策编号/条目编号", item)
            f.match = ref
            f.ratio = self.money(d, "ratio", item) if "ratio" in d else Decimal(1)
            if "cap" in d:
                f.cap = self.money(d, "cap", item)
        else:
            f.base, f.base_src = self.expr(d, self.req(d, "value", item) and "value", item)
            bands = d["bands"]
            if not isinstance(bands, list) or not bands:
                raise self.fail(d, "bands", "应为分档列表 [{range: …, amount: …}]", item)
            for b in bands:
                if not isinstance(b, MarkedDict) or "range" not in b or "amount" not in b:
                    raise self.fail(d, "bands", "每一档应写作 {range: [下限, 上限), amount: 万元}", item)
                try:
                    lo, hi, li, hi_i = E.parse_interval(b["range"])
                except E.RuleError as exc:
                    raise self.fail(b, "range", exc.message, item) from None
                f.bands.append((E.Band(lo, hi, li, hi_i, 0.0, str(b.get("label", ""))), self.money(b, "amount", item)))
        return f

    def parts(self, d: MarkedDict, item: str) -> list[Formula]:
        amount = self.req(d, "amount", item)
        if isinstance(amount, list):
            out = []
            for p in amount:
                if not isinstance(p, MarkedDict):
                    raise self.fail(d, "amount", "每一部分应为映射 {payer: …, fixed: …}", item)
                out.append(self.formula(p, item, self.payer(p, "payer", item)))
            return out
        if not isinstance(amount, MarkedDict):
            raise self.fail(d, "amount", "应为映射（如 {fixed: 50}）或按出资层级分列的列表", item)
        split = self.req(d, "split", item)
        if not isinstance(split, MarkedDict) or not split:
            raise self.fail(d, "split", "应为 {出资层级: 份额}，如 {prefecture: 1, county: 1}", item)
        base = self.formula(amount, item, "")
        weights = {}
        for level in split:
            self.payer_name(split, level, item)
            weights[level] = self.money(split, level, item)
        total = sum(weights.values())
        if total <= 0:
            raise self.fail(d, "split", "份额之和应大于 0", item)
        return [Formula(**{**base.__dict__, "payer": level, "share": w / total}) for level, w in weights.items()]

    def payer_name(self, d, key, item) -> str:
        if key not in PAYER_LEVELS:
            raise E.RuleError(f"条目“{item}”的出资层级“{key}”未知，可用：{'、'.join(PAYER_LEVELS)}",
                              file=self.file, line=d.mark(key)[0], column=1)
        return key

    def payer(self, d, key, item) -> str:
        v = str(self.req(d, key, item))
        if v not in PAYER_LEVELS:
            raise self.fail(d, key, f"出资层级应为 {'、'.join(PAYER_LEVELS)} 之一", item)
        return v

    def item(self, d, policy_demo: bool) -> Item:
        if not isinstance(d, MarkedDict):
            raise E.RuleError("items 的每一项应为映射", file=self.file, line=getattr(d, "line", 0), column=1)
        iid = str(self.req(d, "id"))
        trig = self.req(d, "trigger", iid)
        if not isinstance(trig, MarkedDict):
            raise self.fail(d, "trigger", "应为映射 {event: …, cert_type: …}", iid)
        event = str(self.req(trig, "event", iid))
        if event not in TRIGGERS:
            raise self.fail(trig, "event", f"可用的触发事件：{'、'.join(f'{k}（{v}）' for k, v in TRIGGERS.items())}", iid)
        types = trig.get("cert_type") or []
        types = tuple(str(t) for t in (types if isinstance(types, list) else [types]))
        if event in ("first_recognition", "re_recognition", "title") and not types:
            raise self.fail(trig, "event", "认定类触发事件须给出 cert_type", iid)
        for t in types:
            if t not in CERT_TYPES():
                raise self.fail(trig, "cert_type", f"资质类型“{t}”不在资质荣誉台账中，可用：{'、'.join(CERT_TYPES())}", iid)
        conds = []
        for c in d.get("conditions", []) or []:
            if not isinstance(c, MarkedDict):
                raise self.fail(d, "conditions", "每个条件应为映射 {id, text, expr, cite}", iid)
            cid = str(self.req(c, "id", iid))
            if not c.get("cite"):
                raise E.RuleError(f"条目“{iid}”的条件“{cid}”缺少出处 cite", file=self.file, line=c.line, column=1)
            node, src = self.expr(c, self.req(c, "expr", iid) and "expr", iid)
            conds.append(Condition(cid, str(c.get("text", "")), str(c["cite"]), node, src,
                                   exclusion=bool(c.get("exclusion", False))))
        stacking = d.get("stacking") or {}
        rule = str(stacking.get("rule", "cumulative"))
        if rule not in STACK_RULES:
            raise self.fail(stacking, "rule", f"叠加规则应为 {'、'.join(STACK_RULES)} 之一", iid)
        once = d.get("once") or {}
        scope = str(once.get("scope", "")) if once else ""
        if scope not in ("", "item", "group"):
            raise self.fail(once, "scope", "应为 item（本条目）或 group（同一叠加组）", iid)
        payout = d.get("payout") or {}
        offset = payout.get("year_offset", 0)
        if not isinstance(offset, int) or offset < 0:
            raise self.fail(payout, "year_offset", "应为非负整数（0 为当年兑现，1 为次年）", iid)
        cite = str(self.req(d, "cite", iid))
        conf = str(d.get("confidence", "") or "")
        if conf and conf not in CONFIDENCES:
            raise self.fail(d, "confidence", f"应为 {'/'.join(CONFIDENCES)}", iid)
        if conf == "low" and not d.get("note"):
            raise self.fail(d, "confidence", "标为低置信度时须用 note 说明原因", iid)
        it = Item(
            id=iid, name=str(self.req(d, "name", iid)), cite=cite, trigger=event, cert_types=types,
            conditions=conds, parts=self.parts(d, iid), group=str(stacking.get("group", "") or f"item:{iid}"),
            rule=rule, cap=self.money(stacking, "cap", iid) if "cap" in stacking else None,
            once=scope, times=int(once.get("times", 1)) if once else 1, payout_offset=offset,
            no_application=bool(d.get("no_application", False)),
            no_application_cite=str(d.get("no_application_cite", "") or ""),
            note=str(d.get("note", "") or ""), confidence=conf, demo=bool(d.get("demo", policy_demo)),
        )
        if it.no_application and not it.no_application_cite:
            raise self.fail(d, "no_application", "免申即享须以 no_application_cite 注明依据", iid)
        return it


def _named(exc: E.RuleError, item: str, key: str) -> E.RuleError:
    """Prefix an expression error with the item and field it sits in."""
    return E.RuleError(f"条目“{item}”的字段“{key}”：{exc.message}", pos=exc.pos)


def _bad_date(path: Path) -> tuple[int, str, str] | None:
    """(line, key, value) of an impossible date, which the YAML reader refuses without a position."""
    import re

    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for m in re.finditer(r"([A-Za-z_]+):\s*(\d{4}-\d{1,2}-\d{1,2})\b", line):
            try:
                dt.date.fromisoformat(m.group(2))
            except ValueError:
                return n, m.group(1), m.group(2)
    return None


def load_policy(path: Path) -> Policy:
    path = Path(path)
    file = path.name
    try:
        raw = load_marked(path)
    except Exception as exc:  # a YAML syntax error: keep its position
        bad = _bad_date(path)
        if bad:
            raise E.RuleError(f"字段“{bad[1]}”取值“{bad[2]}”有误：应为 YYYY-MM-DD 日期", file=file, line=bad[0],
                              column=1) from None
        mark = getattr(exc, "problem_mark", None)
        raise E.RuleError(f"YAML 格式错误：{getattr(exc, 'problem', exc)}", file=file,
                          line=(mark.line + 1) if mark else 0, column=(mark.column + 1) if mark else 0) from None
    if not isinstance(raw, MarkedDict):
        raise E.RuleError("政策文件应为 YAML 映射", file=file, line=1, column=1)
    r = _Reader(file)
    from ..regions import registry

    region = str(r.req(raw, "region"))
    if registry().get(region) is None:
        raise r.fail(raw, "region", "不是已知的行政区划代码")
    demo = bool(raw.get("demo", False))
    p = Policy(
        id=str(r.req(raw, "id")), version=str(r.req(raw, "version")), name=str(r.req(raw, "name")),
        issuer=str(r.req(raw, "issuer")), document=str(r.req(raw, "document")),
        doc_number=str(raw.get("doc_number", "") or ""), region=region,
        effective_from=r.date(raw, "effective_from"), effective_to=r.date(raw, "effective_to", required=False),
        checked_on=r.date(raw, "checked_on"), confidence=str(r.req(raw, "confidence")), file=file,
        sources=[str(s) for s in raw.get("sources", []) or []], notes=str(raw.get("notes", "") or ""), demo=demo,
    )
    if p.confidence not in CONFIDENCES:
        raise r.fail(raw, "confidence", f"应为 {'/'.join(CONFIDENCES)}")
    items = raw.get("items")
    if not isinstance(items, list) or not items:
        raise E.RuleError("政策文件没有任何条目 items", file=file, line=raw.line, column=1)
    for d in items:
        it = r.item(d, demo)
        if it.id in p.items:
            raise r.fail(d, "id", "条目编号重复", it.id)
        p.items[it.id] = it
    validate(p)
    return p


def validate(p: Policy) -> None:
    """Compile every expression once so that mistakes surface at load time, located."""
    from .facts import FactsEnv

    c = E.Compiler(FactsEnv())
    for it in p.items.values():
        for cond in it.conditions:
            try:
                v = c.compile(cond.node)
            except E.RuleError as exc:
                raise cond.src.error(_named(exc, it.id, f"conditions.{cond.id}")) from None
            if v.kind != "bool":
                raise cond.src.error(_named(E.RuleError("条件的结果应为真假值（比较或 and/or）", pos=0),
                                            it.id, f"conditions.{cond.id}"))
        for f in it.parts:
            if f.base is None:
                continue
            try:
                v = c.compile(f.base)
            except E.RuleError as exc:
                raise f.base_src.error(_named(exc, it.id, "amount")) from None
            if v.kind != "num":
                raise f.base_src.error(_named(E.RuleError("金额的计算基数应为数值", pos=0), it.id, "amount"))
    for it in p.items.values():
        for f in it.parts:
            if f.kind == "match" and f.match.split("/", 1)[0] == p.id and f.match.split("/", 1)[1] not in p.items:
                raise E.RuleError(f"条目“{it.id}”的字段“match”取值“{f.match}”有误：本政策没有该条目",
                                  file=p.file, line=0, column=0)


@lru_cache(maxsize=1)
def all_policies() -> tuple[Policy, ...]:
    return tuple(load_policy(f) for f in policy_files())


def policy_files(folder: Path = DATA) -> list[Path]:
    return sorted(f for f in folder.glob("*.yaml") if not f.name.endswith(CASES_SUFFIX))


def policy_by_key(key: str) -> Policy | None:
    return next((p for p in all_policies() if p.key == key or p.file == key), None)
