"""The reader's typed records: a quantified statement (``Quantity``, the contract's row) and a
number found in the text before it becomes one (``Candidate``)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .numbers import to_json_number


@dataclass
class Quantity:
    quote: str
    start: int
    end: int
    value: Decimal
    unit: str
    indicator: str
    kind: str
    comparator: str
    period: str = ""
    region: str = ""
    region_code: str = ""
    actor: str = ""
    key_code: str = ""  # registry code of the region or its nearest known ancestor (storage, filters)
    # position of the number itself (for section lookup and highlighting)
    num_start: int = 0
    num_end: int = 0

    def as_contract(self, doc: str) -> dict:
        return {
            "doc": doc, "quote": self.quote, "start": self.start, "end": self.end,
            "value": to_json_number(self.value), "unit": self.unit, "indicator": self.indicator,
            "kind": self.kind, "comparator": self.comparator, "region": self.region,
            "region_code": self.region_code, "actor": self.actor, "period": self.period,
        }


@dataclass(slots=True)
class Candidate:
    """A number with its unit found in the text, before indicator, kind and period are decided."""
    n0: int              # start of the number (or of the rank verb)
    n1: int              # end of the number and its unit
    value: Decimal
    unit: str
    cls: str             # count | money | area | ratio | rank
    approx: bool         # written with 余/多
    c0: int              # the clause around the number
    c1: int
    cmp: str = ""        # comparator decided while finding it (ranges, bare 百/千); "" = read later
    ctx_from: int | None = None   # indicator, kind and period are read from here ("由…", "上百场")
    ind_from: int | None = None   # the indicator alone is read from here ("提高到2023年的…")
