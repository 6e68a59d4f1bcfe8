"""Enterprise profile columns: ids, Chinese labels, types and units (data/fields.yaml)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import polars as pl
import yaml

DATA = Path(__file__).parent / "data"
YEAR_WORDS = {1: "上年", 2: "前年", 3: "大前年", 4: "第四年"}


@dataclass(frozen=True)
class Field:
    id: str
    label: str
    type: str
    unit: str = ""
    step: float = 0.01
    signed: bool = False
    base: str = ""
    year: int = 0
    values: tuple = ()
    aliases: dict = field(default_factory=dict, hash=False, compare=False)
    extension: bool = False

    @property
    def kind(self) -> str:
        """The expression-language kind of the column."""
        if self.type in ("money", "number", "count", "percent"):
            return "num"
        if self.type == "date":
            return "date"
        if self.type == "bool":
            return "bool"
        return "str"

    @property
    def dtype(self) -> pl.DataType:
        return {"num": pl.Float64, "date": pl.Date, "bool": pl.Boolean, "str": pl.String}[self.kind]

    @property
    def full_label(self) -> str:
        if self.year:
            return f"{self.label}({YEAR_WORDS.get(self.year, f'第{self.year}年')})"
        return self.label


@lru_cache(maxsize=1)
def fields() -> dict[str, Field]:
    raw = yaml.safe_load((DATA / "fields.yaml").read_text(encoding="utf-8"))["fields"]
    out: dict[str, Field] = {}
    for f in raw:
        step = float(f.get("step", 1 if f["type"] == "count" else 0.01))
        common = dict(label=f["label"], type=f["type"], unit=f.get("unit", ""), step=step,
                      signed=bool(f.get("signed", False)), values=tuple(f.get("values", ())),
                      aliases=dict(f.get("aliases", {})), extension=bool(f.get("extension", False)))
        years = f.get("years")
        if years:
            for y in years:
                fid = f"{f['id']}_y{y}"
                out[fid] = Field(id=fid, base=f["id"], year=y, **common)
        else:
            out[f["id"]] = Field(id=f["id"], base=f["id"], **common)
    return out


@lru_cache(maxsize=1)
def header_map() -> dict[str, str]:
    """Every accepted column header (English id, Chinese label, label with year) → id."""
    out: dict[str, str] = {}
    for fid, f in fields().items():
        keys = {fid, fid.lower()}
        if f.year:
            if f.year == 1:  # a bare label means the last complete fiscal year
                keys.add(f.label)
            for lab in (f.label,):
                keys |= {f"{lab}_y{f.year}", f"{lab}y{f.year}", f"{lab}({YEAR_WORDS.get(f.year)})",
                         f"{lab}（{YEAR_WORDS.get(f.year)}）"}
        else:
            keys.add(f.label)
        for k in keys:
            out[_norm(k)] = fid
    return out


def _norm(header: str) -> str:
    return str(header).strip().replace("（", "(").replace("）", ")").replace(" ", "").lower()


def column_for(header: str) -> str | None:
    return header_map().get(_norm(header))
