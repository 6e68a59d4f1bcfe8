"""Indicator phrases found in documents -> metric ids (data/synonyms.yaml)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from .metrics import DATA_DIR, MetricError, load_metrics
from ..units import compatible

SYNONYMS_FILE = DATA_DIR / "synonyms.yaml"
_STRIP = re.compile(r"[\s“”\"‘’'「」『』《》()（）·]")


def normalise(phrase: str) -> str:
    return _STRIP.sub("", phrase or "")


@dataclass(frozen=True)
class SynonymTable:
    phrases: tuple[tuple[str, str], ...]  # (normalised phrase, metric id), longest first
    ignore: tuple[str, ...]
    flow_words: tuple[str, ...] = ()
    stock_words: tuple[str, ...] = ()

    def flow_or_stock(self, indicator: str) -> str | None:
        """"flow" (新增 …), "stock" (有效, 总数 …) or None when the indicator does not say."""
        text = normalise(indicator)
        if any(w in text for w in self.flow_words):
            return "flow"
        if any(w in text for w in self.stock_words):
            return "stock"
        return None

    def match(self, indicator: str, unit: str | None = None) -> str | None:
        """The metric an indicator phrase means, or None when unknown, ignored, of another unit or of
        the other time sense (a 新增 target never binds to a stock metric)."""
        text = normalise(indicator)
        if not text:
            return None
        blocked = [ig for ig in self.ignore if ig in text]
        metrics = load_metrics()
        sense = self.flow_or_stock(indicator)
        for phrase, mid in self.phrases:
            m = metrics[mid]
            if sense is not None and m.aggregation != "ratio" and m.is_stock != (sense == "stock"):
                continue
            if phrase in text and (not unit or compatible(unit, m.unit)):
                # an ignored word binds only when the matched phrase itself names it
                return None if any(ig not in phrase for ig in blocked) else mid
        return None


def parse_synonyms(raw, path: Path = SYNONYMS_FILE) -> SynonymTable:
    metrics = load_metrics()
    if not isinstance(raw, dict) or not isinstance(raw.get("synonyms"), dict):
        raise MetricError(f"同义词文件 {path.name}:缺少 synonyms 映射")
    seen: dict[str, str] = {}
    for mid, phrases in raw["synonyms"].items():
        if mid not in metrics:
            raise MetricError(f"同义词文件 {path.name}:指标“{mid}”在 metrics.yaml 中不存在")
        if not isinstance(phrases, list):
            raise MetricError(f"同义词文件 {path.name}:指标“{mid}”的同义词应为列表")
        for p in phrases:
            n = normalise(str(p))
            if n in seen and seen[n] != mid:
                raise MetricError(f"同义词文件 {path.name}:短语“{p}”同时对应“{seen[n]}”和“{mid}”")
            seen[n] = mid
    ordered = tuple(sorted(seen.items(), key=lambda kv: (-len(kv[0]), kv[0])))
    ignore = tuple(normalise(str(x)) for x in (raw.get("ignore") or []))
    flow = tuple(normalise(str(x)) for x in (raw.get("flow_words") or []))
    stock = tuple(normalise(str(x)) for x in (raw.get("stock_words") or []))
    return SynonymTable(ordered, ignore, flow, stock)


@lru_cache(maxsize=2)
def _load(path: str) -> SynonymTable:
    p = Path(path)
    return parse_synonyms(yaml.safe_load(p.read_text(encoding="utf-8")), p)


def synonyms(path: Path | None = None) -> SynonymTable:
    return _load(str(path or SYNONYMS_FILE))


def bind_indicator(indicator: str, unit: str | None = None) -> str | None:
    return synonyms().match(indicator, unit)
