"""Assessment (考核): rank the districts/zones of a city on an indicator system kept as data
(data/assessment-<city>.yaml), explain each rank by its indicators, and show how ranks move under
alternative weights."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import polars as pl
import yaml

from .metrics import DATA_DIR, FrameSource, MetricError, compute, load_metrics, value_of

NORMALISATIONS = ("min_max", "ratio_to_target", "z_score")


@dataclass(frozen=True)
class Indicator:
    id: str
    name: str
    metric: str
    weight: float
    direction: str = "higher"
    normalisation: str = "min_max"


@dataclass(frozen=True)
class System:
    id: str
    city: str
    name: str
    units: tuple[str, ...] | str
    indicators: tuple[Indicator, ...]
    groups: tuple[tuple[str, float], ...]
    alternatives: tuple[tuple[str, dict[str, float]], ...] = ()

    @property
    def weights(self) -> dict[str, float]:
        return {i.id: i.weight for i in self.indicators}


def parse_system(raw: Any, path: Path) -> System:
    where = f"考核指标体系文件 {path.name}"
    if not isinstance(raw, dict) or not isinstance(raw.get("indicators"), list) or not raw["indicators"]:
        raise MetricError(f"{where}:缺少 indicators 列表")
    metrics = load_metrics()
    default_norm = raw.get("normalisation", "min_max")
    inds = []
    for n, item in enumerate(raw["indicators"], 1):
        try:
            ind = Indicator(id=str(item["id"]), name=str(item["name"]), metric=str(item["metric"]),
                            weight=float(item["weight"]), direction=str(item.get("direction", "higher")),
                            normalisation=str(item.get("normalisation", default_norm)))
        except (KeyError, TypeError, ValueError) as exc:
            raise MetricError(f"{where} 第 {n} 个指标:缺少或错误的字段 {exc}") from None
        if ind.metric not in metrics:
            raise MetricError(f"{where} 第 {n} 个指标({ind.id}):指标“{ind.metric}”不存在")
        if ind.direction not in ("higher", "lower"):
            raise MetricError(f"{where} 第 {n} 个指标({ind.id}):direction “{ind.direction}”应为 higher 或 lower")
        if ind.normalisation not in NORMALISATIONS:
            raise MetricError(f"{where} 第 {n} 个指标({ind.id}):标准化方法“{ind.normalisation}”应为 "
                              + " / ".join(NORMALISATIONS))
        if ind.weight < 0:
            raise MetricError(f"{where} 第 {n} 个指标({ind.id}):权重 {ind.weight} 不能为负")
        inds.append(ind)
    total = sum(i.weight for i in inds)
    if abs(total - 1) > 1e-6:
        raise MetricError(f"{where}:权重之和应为 1,实际为 {total:g}")
    groups = tuple(sorted(((str(g["label"]), float(g["min_ratio"])) for g in raw.get("groups") or []),
                          key=lambda g: -g[1])) or (("—", 0.0),)
    ids = {i.id for i in inds}
    alts = []
    for a in raw.get("alternatives") or []:
        w = a.get("weights")
        if w == "equal":
            w = {i: 1 / len(ids) for i in ids}
        if not isinstance(w, dict) or set(w) - ids:
            raise MetricError(f"{where}:备选权重“{a.get('name')}”引用了不存在的指标 {sorted(set(w or {}) - ids)}")
        alts.append((str(a["name"]), {k: float(v) for k, v in w.items()}))
    units = raw.get("units", "children")
    return System(id=str(raw.get("id") or path.stem), city=str(raw["city"]), name=str(raw.get("name") or ""),
                  units=units if isinstance(units, str) else tuple(map(str, units)),
                  indicators=tuple(inds), groups=groups, alternatives=tuple(alts))


def system_path(city: str) -> Path:
    return DATA_DIR / f"assessment-{city}.yaml"


def load_system(city: str) -> System:
    path = system_path(city)
    if not path.exists():
        raise MetricError(f"地区 {city} 尚无考核指标体系文件 {path.name}")
    return parse_system(yaml.safe_load(path.read_text(encoding="utf-8")), path)


def available_systems() -> list[str]:
    return sorted(p.stem.removeprefix("assessment-") for p in DATA_DIR.glob("assessment-*.yaml"))


def default_system(region_code: str | None = None) -> str | None:
    """The assessment system to show when none is asked for: the one of the region or its nearest
    ancestor, else the only one installed; None when that does not decide it (no built-in city)."""
    systems = available_systems()
    if region_code:
        from kechuang.regions import registry

        reg = registry()
        chain = [region_code] + ([a.code for a in reversed(reg.ancestors(region_code))] if reg.get(region_code) else [])
        for code in chain:
            if code in systems:
                return code
    return systems[0] if len(systems) == 1 else None


def unit_codes(system: System) -> list[str]:
    if system.units != "children":
        return list(system.units)
    from kechuang.regions import registry

    return [r.code for r in registry().children(system.city) if r.level in ("county", "zone")]


# ---------------------------------------------------------------- computation

def raw_values(system: System, units: list[str], source: FrameSource, as_of: dt.date,
               targets: Mapping[tuple[str, str], Decimal] | None = None) -> pl.DataFrame:
    """Wide frame: unit code + one Float64 column per indicator (null = missing)."""
    metrics = load_metrics()
    cols: dict[str, list] = {"region_code": units}
    cache: dict[str, pl.DataFrame] = {}
    for ind in system.indicators:
        m = metrics[ind.metric]
        if ind.metric not in cache:
            cache[ind.metric] = compute(m, [as_of], source, metrics)
        vals = [value_of(cache[ind.metric], m, u, as_of) for u in units]
        if ind.normalisation == "ratio_to_target":
            goal = [(targets or {}).get((u, ind.metric)) for u in units]
            vals = [None if (v is None or not g) else Decimal(str(v)) / Decimal(str(g)) for v, g in zip(vals, goal)]
        cols[ind.id] = [None if v is None else float(v) for v in vals]
    return pl.DataFrame(cols, schema={"region_code": pl.Utf8, **{i.id: pl.Float64 for i in system.indicators}})


def _phi(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2)))


def normalise(system: System, raw: pl.DataFrame) -> pl.DataFrame:
    """Scores in [0, 1] per indicator (higher is better after applying the direction)."""
    exprs = []
    for ind in system.indicators:
        c = pl.col(ind.id)
        if ind.normalisation == "min_max":
            span = c.max() - c.min()
            s = pl.when(span > 0).then((c - c.min()) / span).otherwise(pl.when(c.is_not_null()).then(1.0))
            if ind.direction == "lower":
                s = 1 - s
        elif ind.normalisation == "ratio_to_target":
            s = (c if ind.direction == "higher" else 1 / c).clip(0, 1)
        else:  # z-score, mapped through the normal CDF so that scores stay positive for the average ratio
            std = c.std(ddof=0)
            z = pl.when(std > 0).then((c - c.mean()) / std).otherwise(pl.when(c.is_not_null()).then(0.0))
            if ind.direction == "lower":
                z = -z
            s = z.map_elements(_phi, return_dtype=pl.Float64)
        exprs.append(s.cast(pl.Float64).alias(ind.id))
    return raw.select("region_code", *exprs)


def composite(system: System, scores: pl.DataFrame, weights: Mapping[str, float]) -> pl.Series:
    """Weighted mean of the available scores (missing indicators drop out, weights renormalised)."""
    num = pl.sum_horizontal([pl.col(i.id).fill_null(0) * weights.get(i.id, 0) for i in system.indicators])
    den = pl.sum_horizontal([pl.col(i.id).is_not_null().cast(pl.Float64) * weights.get(i.id, 0)
                             for i in system.indicators])
    return scores.select(pl.when(den > 0).then(num / den).alias("score")).get_column("score")


def _ranks(score: pl.Series) -> pl.Series:
    return score.rank(method="min", descending=True).cast(pl.Int64)


@dataclass
class Assessment:
    system: System
    as_of: dt.date
    table: pl.DataFrame          # region_code, region, score, rank, relative, group
    raw: pl.DataFrame
    scores: pl.DataFrame
    sensitivity: pl.DataFrame    # region_code, region, one rank column per weighting, rank_min, rank_max
    names: dict[str, str] = field(default_factory=dict)

    def explain(self, region_code: str) -> list[dict]:
        """Each indicator's raw value, score, weight, contribution and gap to the average score."""
        row = self.scores.filter(pl.col("region_code") == region_code)
        raw = self.raw.filter(pl.col("region_code") == region_code)
        if row.height == 0:
            return []
        out = []
        for ind in self.system.indicators:
            s, mean = row.item(0, ind.id), self.scores.get_column(ind.id).mean()
            ranks = _ranks(self.scores.get_column(ind.id).fill_null(-1))
            idx = self.scores.get_column("region_code").to_list().index(region_code)
            out.append({"indicator": ind.id, "name": ind.name, "metric": ind.metric, "raw": raw.item(0, ind.id),
                        "score": s, "weight": ind.weight,
                        "contribution": None if s is None else s * ind.weight,
                        "vs_average": None if s is None or mean is None else s - mean,
                        "rank": None if s is None else int(ranks[idx])})
        return out

    def strengths_weaknesses(self, region_code: str, n: int = 2) -> tuple[list[str], list[str]]:
        items = [e for e in self.explain(region_code) if e["vs_average"] is not None]
        items.sort(key=lambda e: -e["vs_average"] * e["weight"])
        strong = [e["name"] for e in items[:n] if e["vs_average"] > 0]
        weak = [e["name"] for e in reversed(items[-n:]) if e["vs_average"] < 0]
        return strong, weak

    def to_json(self) -> list[dict]:
        rows = []
        for r in self.table.iter_rows(named=True):
            strong, weak = self.strengths_weaknesses(r["region_code"])
            rows.append({**r, "strengths": strong, "weaknesses": weak,
                         "indicators": self.explain(r["region_code"])})
        return rows


def assess(system: System, source: FrameSource, as_of: dt.date,
           targets: Mapping[tuple[str, str], Decimal] | None = None, units: list[str] | None = None) -> Assessment:
    units = units or unit_codes(system)
    names = _names(units)
    raw = raw_values(system, units, source, as_of, targets)
    scores = normalise(system, raw)
    base = composite(system, scores, system.weights)
    mean = base.mean() or 0
    rel = (base / mean) if mean else base * 0
    groups = [next((label for label, mn in system.groups if (r or 0) >= mn), system.groups[-1][0])
              for r in rel.to_list()]
    table = pl.DataFrame({
        "region_code": units, "region": [names.get(u, u) for u in units], "score": base.round(4),
        "rank": _ranks(base), "relative": rel.round(4), "group": groups,
    }).sort("rank")
    weightings = [("基准权重", system.weights), *system.alternatives]
    for ind in system.indicators:  # one at a time: this indicator's weight doubled / halved
        for factor, label in ((2.0, "×2"), (0.5, "×½")):
            w = dict(system.weights)
            w[ind.id] *= factor
            weightings.append((f"{ind.name}{label}", w))
    sens = {"region_code": units, "region": [names.get(u, u) for u in units]}
    for label, w in weightings:
        sens[label] = _ranks(composite(system, scores, w)).to_list()
    sensitivity = pl.DataFrame(sens)
    rank_cols = [label for label, _ in weightings]
    sensitivity = sensitivity.with_columns(pl.min_horizontal(rank_cols).alias("最好名次"),
                                           pl.max_horizontal(rank_cols).alias("最差名次"))
    sensitivity = sensitivity.join(table.select("region_code", "rank"), on="region_code").sort("rank").drop("rank")
    return Assessment(system, as_of, table, raw, scores, sensitivity, names)


def target_values(session, year: int) -> dict[tuple[str, str], Decimal]:
    """(region code, metric id) -> target value in the metric's unit, from the bound targets of a year."""
    from .store import list_targets
    from ..units import convert

    metrics = load_metrics()
    out = {}
    for t in list_targets(session, year=year, binding="bound"):
        if t.metric_id in metrics:
            out[(t.region_code, t.metric_id)] = convert(t.value, t.unit, metrics[t.metric_id].unit)
    return out


def _names(codes: list[str]) -> dict[str, str]:
    from kechuang.regions import registry

    reg = registry()
    return {c: (reg.get(c).name if reg.get(c) else c) for c in codes}
