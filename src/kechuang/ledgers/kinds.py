"""Ledger kinds declared as data (``kinds/<id>.yaml``): load, check and resolve them.

A kind file gives: ``id``, ``name`` (Chinese), ``aliases``, ``key`` (field ids forming the natural
key, joined with "|"), ``uscc_field``/``region_field``/``year_field``/``date_field`` (which fields fill
the indexed columns), ``region_from_enterprise`` (take the region from the enterprise ledger when
the row has none), ``fields`` and ``checks`` (``{le: [a, b], message}``: a ≤ b when both present).

Field types: text, uscc, region (a region of the registry, code or name), region_ref (any GB/T 2260
code, e.g. the other party of a contract), industry (GB/T 4754 code), int, year, money (exact
decimal, 万元 unless ``unit`` says otherwise), decimal (exact decimal), date, bool, enum (``values``:
id, label, aliases; files may use the label, an alias or the id; the id is stored; or
``values_from: <id>``, an official vocabulary of ``vocabularies/official.yaml`` shared by kinds).
``restricted: true`` marks a confidential field (保密信息): shown only to those who may edit the
record's region (``ledgers.visibility``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from .. import units

KINDS_DIR = Path(__file__).parent / "kinds"
VOCABULARIES = Path(__file__).parent / "vocabularies" / "official.yaml"

FIELD_TYPES = {"text", "uscc", "region", "region_ref", "industry", "int", "year", "money",
               "decimal", "date", "bool", "enum"}
DECIMAL_SCALE = {"money": 4, "decimal": 4}
TYPE_LABELS = {"text": "文本", "uscc": "18位统一社会信用代码", "region": "行政区划代码或地区名称",
               "region_ref": "6位行政区划代码", "industry": "国民经济行业代码(GB/T 4754)",
               "int": "整数", "year": "年份(四位数字)", "money": "金额", "decimal": "数值",
               "date": "日期(如 2024-03-01)", "bool": "是/否", "enum": "从下拉列表中选择"}


class KindError(ValueError):
    """A problem in a kind definition or an unknown kind (message in Chinese)."""


@dataclass(frozen=True)
class EnumValue:
    id: str
    label: str
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    type: str
    required: bool = False
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    variants: tuple[str, ...] = ()
    values: tuple[EnumValue, ...] = ()
    note: str | None = None
    default_from: dict | None = None
    default: str | None = None
    not_future: bool = False
    restricted: bool = False

    @property
    def is_money(self) -> bool:
        return self.type == "money"

    @property
    def is_decimal(self) -> bool:
        return self.type in ("money", "decimal")

    @property
    def header(self) -> str:
        """Header text used in templates and exports (label + unit)."""
        if self.unit and self.unit not in ("人", "家", "项", "年") and self.unit not in self.label:
            return f"{self.label}({self.unit})"
        return self.label

    def enum_lookup(self) -> dict[str, str]:
        """Every accepted spelling (normalized) → stored id."""
        out: dict[str, str] = {}
        for v in self.values:
            for name in (v.id, v.label, *v.aliases):
                out[normalize_header(name)] = v.id
        return out

    def enum_labels(self) -> dict[str, str]:
        labels = self.__dict__.get("_labels")
        if labels is None:  # frozen dataclass: memoise through __dict__
            labels = {v.id: v.label for v in self.values}
            object.__setattr__(self, "_labels", labels)
        return labels

    def describe(self) -> str:
        """Column note for templates."""
        parts = [TYPE_LABELS.get(self.type, self.type)]
        if self.unit:
            parts.append(f"单位：{self.unit}")
        if self.required:
            parts.append("必填")
        if self.min is not None:
            parts.append(f"不小于{_num(self.min)}")
        if self.max is not None:
            parts.append(f"不大于{_num(self.max)}")
        if self.values:
            parts.append("可选：" + "、".join(v.label for v in self.values))
        if self.default is not None and self.values:
            parts.append(f"为空时默认为“{self.enum_labels().get(self.default, self.default)}”")
        if self.note:
            parts.append(self.note)
        return "；".join(parts)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


@dataclass(frozen=True)
class Validity:
    """When a record is in force: ``start`` <= day <= last day, the last day being ``end``
    (inclusive) or, when blank, ``start`` + ``years[type]`` years − 1 day; no end otherwise."""
    start: str
    end: str
    type_field: str | None = None
    years: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True)
class Kind:
    id: str
    name: str
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    aliases: tuple[str, ...] = ()
    description: str = ""
    uscc_field: str | None = None
    region_field: str | None = None
    year_field: str | None = None
    date_field: str | None = None
    region_from_enterprise: bool = False
    checks: tuple[dict, ...] = ()
    validity: "Validity | None" = None
    advisor: str | None = None
    _by_id: dict = field(default_factory=dict, compare=False, repr=False)

    def field(self, field_id: str) -> Field:
        try:
            return self._by_id[field_id]
        except KeyError:
            raise KindError(f"台账“{self.name}”没有字段“{field_id}”") from None

    def has(self, field_id: str) -> bool:
        return field_id in self._by_id

    @property
    def field_ids(self) -> list[str]:
        return [f.id for f in self.fields]

    def header_lookup(self) -> dict[str, str]:
        """Normalized header spelling → field id (id, label, label+unit, variants)."""
        out: dict[str, str] = {}
        for f in self.fields:
            for name in (f.id, f.label, f.header, *f.variants):
                out.setdefault(normalize_header(name), f.id)
        return out


_HEADER_JUNK = re.compile(r"[\s*＊:：\u3000\"'“”‘’]+")
_UNIT_SUFFIX = re.compile(r"[（(](?:单位[:：]?)?(?:"
                          + "|".join(sorted({*units.symbols(), "年", "㎡", "m2", "m²", "必填", "选填"}, key=len, reverse=True))
                          + r")[)）]$")


def normalize_header(text: Any) -> str:
    """Canonical form of a header cell: no blanks/asterisks/quotes, half-width brackets, no unit suffix."""
    s = "" if text is None else str(text)
    s = s.replace("（", "(").replace("）", ")")
    s = _HEADER_JUNK.sub("", s)
    s = _UNIT_SUFFIX.sub("", s.replace("(", "（").replace(")", "）")).replace("（", "(").replace("）", ")")
    return s.lower()


def _load_kind(path: Path) -> Kind:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise KindError(f"台账定义文件 {path.name} 格式错误：{exc}") from exc
    if not isinstance(raw, dict):
        raise KindError(f"台账定义文件 {path.name} 应为映射")
    for req in ("id", "name", "key", "fields"):
        if req not in raw:
            raise KindError(f"台账定义文件 {path.name} 缺少“{req}”")
    fields = []
    for fr in raw["fields"]:
        ftype = fr.get("type", "text")
        if ftype not in FIELD_TYPES:
            raise KindError(f"{path.name}: 字段“{fr.get('id')}”类型“{ftype}”不支持")
        raw_values = fr.get("values", ()) or ()
        if fr.get("values_from"):
            try:
                raw_values = vocabularies()[str(fr["values_from"])]
            except KeyError:
                raise KindError(f"{path.name}: 字段“{fr.get('id')}”引用了不存在的词表“{fr['values_from']}”") from None
        values = tuple(
            EnumValue(str(v["id"]), str(v["label"]), tuple(str(a) for a in v.get("aliases", ())))
            for v in raw_values
        )
        if ftype == "enum" and not values:
            raise KindError(f"{path.name}: 枚举字段“{fr['id']}”缺少 values")
        if fr.get("default") is not None and (ftype != "enum" or str(fr["default"]) not in {v.id for v in values}):
            raise KindError(f"{path.name}: 字段“{fr['id']}”的默认值“{fr['default']}”不是可选值的 id")
        if fr.get("unit") and not units.known(str(fr["unit"])):
            raise KindError(f"{path.name}: 字段“{fr['id']}”的计量单位“{fr['unit']}”不在单位表中")
        fields.append(Field(
            id=str(fr["id"]), label=str(fr["label"]), type=ftype, required=bool(fr.get("required", False)),
            unit=fr.get("unit") or ("万元" if ftype == "money" else None),
            min=fr.get("min"), max=fr.get("max"), max_length=fr.get("max_length"),
            variants=tuple(str(v) for v in fr.get("variants", ()) or ()), values=values,
            note=fr.get("note"), default_from=fr.get("default_from"),
            default=None if fr.get("default") is None else str(fr["default"]),
            not_future=bool(fr.get("not_future", False)), restricted=bool(fr.get("restricted", False)),
        ))
    by_id = {f.id: f for f in fields}
    if len(by_id) != len(fields):
        raise KindError(f"{path.name}: 字段 id 重复")
    kind = Kind(
        id=str(raw["id"]), name=str(raw["name"]), fields=tuple(fields), key=tuple(raw["key"]),
        aliases=tuple(raw.get("aliases", ()) or ()), description=raw.get("description", ""),
        uscc_field=raw.get("uscc_field"), region_field=raw.get("region_field"),
        year_field=raw.get("year_field"), date_field=raw.get("date_field"),
        region_from_enterprise=bool(raw.get("region_from_enterprise", False)),
        checks=tuple(raw.get("checks", ()) or ()), _by_id=by_id,
        validity=_validity(path, raw.get("validity"), by_id), advisor=raw.get("advisor"),
    )
    for ref in (*kind.key, kind.uscc_field, kind.region_field, kind.year_field, kind.date_field):
        if ref is not None and ref not in by_id:
            raise KindError(f"{path.name}: 引用了不存在的字段“{ref}”")
    if len(kind.id) > 32:
        raise KindError(f"{path.name}: 台账 id 过长")
    for chk in kind.checks:
        for ref in chk.get("le", ()):
            if ref not in by_id:
                raise KindError(f"{path.name}: 校验规则引用了不存在的字段“{ref}”")
    return kind


@lru_cache(maxsize=1)
def vocabularies() -> dict[str, list[dict]]:
    """Official vocabularies by id: lists of {id, label, aliases} (docs/vocabularies.md)."""
    return yaml.safe_load(VOCABULARIES.read_text(encoding="utf-8"))


def vocabulary_labels(vocab: str) -> dict[str, str]:
    """id → label of one official vocabulary."""
    return {str(v["id"]): str(v["label"]) for v in vocabularies()[vocab]}


def _validity(path: Path, raw: Any, by_id: dict) -> Validity | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or "start" not in raw or "end" not in raw:
        raise KindError(f"{path.name}: validity 须给出 start 与 end 字段")
    v = Validity(start=str(raw["start"]), end=str(raw["end"]), type_field=raw.get("type_field"),
                 years=tuple((str(k), int(n)) for k, n in (raw.get("years") or {}).items()))
    for ref in (v.start, v.end, v.type_field):
        if ref is not None and (ref not in by_id or (ref != v.type_field and by_id[ref].type != "date")):
            raise KindError(f"{path.name}: validity 引用的字段“{ref}”不存在或不是日期")
    if v.years and v.type_field is None:
        raise KindError(f"{path.name}: validity 给出 years 时须给出 type_field")
    return v


@lru_cache(maxsize=4)
def all_kinds(directory: str | None = None) -> dict[str, Kind]:
    """Every kind declared in the kinds directory, by id, in a stable order."""
    folder = Path(directory) if directory else KINDS_DIR
    order = ["enterprise", "enterprise_year", "ip", "certification", "talent", "carrier",
             "project", "tech_contract", "cooperation", "demand", "supply"]
    kinds = {k.id: k for k in (_load_kind(p) for p in sorted(folder.glob("*.yaml")))}
    return {k: kinds[k] for k in sorted(kinds, key=lambda x: (order.index(x) if x in order else 99, x))}


def get_kind(name: str) -> Kind:
    """A kind by id, Chinese name or alias (e.g. ``企业``, ``enterprise_year``, ``高企``-free names)."""
    kinds = all_kinds()
    if name in kinds:
        return kinds[name]
    norm = normalize_header(name)
    for k in kinds.values():
        if norm in {normalize_header(x) for x in (k.id, k.name, *k.aliases)}:
            return k
    names = "、".join(f"{k.name}({k.id})" for k in kinds.values())
    raise KindError(f"未知的台账类型“{name}”，可用：{names}")
