"""Assessment (考核): rank the districts/zones of a city on an indicator system kept as data
(data/assessment-<city>.yaml), explain each rank by its indicators, and show how ranks move under
alternative weights.

The score is reproducible by hand: 综合得分 = Σ 权重 × 标准化得分, where each indicator's score comes
from its raw value by the stated normalisation; an indicator without data scores 0 (its weight is
not handed to the others), so the components shown always add up to the score."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from functools import lru_cache
from decimal import Decimal
from pathlib import Path
from typing import Any, Mapping

import polars as pl
import yaml

from .metrics import DATA_DIR, FrameSource, MetricError, load_metrics, value_table

NORMALISATIONS = ("min_max", "ratio_to_target", "z_score")
NORMALISATION_LABELS = {
    "min_max": "极差标准化:(原始值 − 最小值) ÷ (最大值 − 最小值);各地区相同时均计 1",
    "ratio_to_target": "目标完成率:原始值 ÷ 本地区目标值,超过 1 按 1 计",
    "z_score": "标准分:(原始值 − 平均值) ÷ 标准差,再按正态分布换算为 0–1",
}
DIRECTION_LABELS = {"higher": "越大越好", "lower": "越小越好(得分取 1 − 标准化值)"}
MISSING_RULE = ("缺少数据的指标计 0 分,其权重不分给其他指标(不重新归一),"
                "因此各项贡献之和就是综合得分;请补齐台账后重新计算。")


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
    return _parsed_system(str(path), path.stat().st_mtime_ns)


@lru_cache(maxsize=8)
def _parsed_system(path: str, _mtime_ns: int) -> System:
    """A system file read once (again when it is rewritten), not on every assessment."""
    return parse_system(yaml.safe_load(Path(path).read_text(encoding="utf-8")), Path(path))


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
               targets: Mapping[tuple[str, str], Decimal] | None = None, ratio: bool = True) -> pl.DataFrame:
    """Wide frame: unit code + one Float64 column per indicator (null = missing); with ``ratio``
    the ratio_to_target indicators hold value ÷ target."""
    metrics = load_metrics()
    cols: dict[str, list] = {"region_code": units}
    cache: dict[str, pl.DataFrame] = {}
    for ind in system.indicators:
        m = metrics[ind.metric]
        if ind.metric not in cache:
            cache[ind.metric] = value_table(m, [as_of], source, metrics)
        vals = [cache[ind.metric].value(u, as_of) for u in units]
        if ratio and ind.normalisation == "ratio_to_target":
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
    """Σ weight × score; a missing indicator scores 0 (MISSING_RULE: no renormalisation)."""
    return scores.select(pl.sum_horizontal([pl.col(i.id).fill_null(0) * weights.get(i.id, 0)
                                            for i in system.indicators]).alias("score")).get_column("score")


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
    actual: pl.DataFrame | None = None   # metric values before ratio_to_target (same shape as raw)
    goals: pl.DataFrame | None = None    # the target each ratio_to_target value is divided by

    def parameters(self) -> list[dict]:
        """Each indicator as the page states it: weight, direction, normalisation and its figures."""
        metrics = load_metrics()
        out = []
        for ind in self.system.indicators:
            col = self.raw.get_column(ind.id).drop_nulls()
            figures = ""
            if col.len() and ind.normalisation == "min_max":
                figures = f"最小值 {_fmt(col.min())},最大值 {_fmt(col.max())}"
            elif col.len() and ind.normalisation == "z_score":
                figures = f"平均值 {_fmt(col.mean())},标准差 {_fmt(col.std(ddof=0))}"
            out.append({"id": ind.id, "name": ind.name, "metric": metrics[ind.metric].name,
                        "unit": "完成率" if ind.normalisation == "ratio_to_target" else metrics[ind.metric].unit,
                        "weight": ind.weight, "direction": DIRECTION_LABELS[ind.direction],
                        "normalisation": NORMALISATION_LABELS[ind.normalisation], "figures": figures,
                        "missing": self.raw.height - col.len()})
        return out

    def rank_of(self, region_code: str) -> dict | None:
        hit = self.table.filter(pl.col("region_code") == region_code)
        return None if hit.height == 0 else {**hit.row(0, named=True), "of": self.table.height}

    def export_frames(self, visible: set[str] | None = None) -> dict[str, pl.DataFrame]:
        """The workbook: every sheet with Chinese headers; the detail sheet reproduces each score (for
        the ``visible`` regions only, when given)."""
        table = self.table.select(pl.col("rank").alias("名次"), pl.col("region").alias("地区"),
                                  pl.col("region_code").alias("行政区划代码"), pl.col("score").alias("综合得分"),
                                  pl.col("relative").alias("相对均值"), pl.col("group").alias("分组"))
        params = pl.DataFrame([{"指标": p["name"], "台账指标": p["metric"], "单位": p["unit"], "权重": p["weight"],
                                "方向": p["direction"], "标准化方法": p["normalisation"], "计算参数": p["figures"],
                                "缺数据地区数": p["missing"]} for p in self.parameters()])
        detail = []
        for r in self.table.iter_rows(named=True):
            if visible is not None and r["region_code"] not in visible:
                continue
            row = {"名次": r["rank"], "地区": r["region"]}
            for e in self.explain(r["region_code"]):
                row[f"{e['name']}·原始值"] = e["raw"]
                row[f"{e['name']}·标准化得分"] = e["score"]
                row[f"{e['name']}·权重"] = e["weight"]
                row[f"{e['name']}·贡献"] = e["contribution"]
            row["综合得分(各项贡献之和)"] = r["score"]
            detail.append(row)
        sens = self.sensitivity.rename({"region": "地区"}).drop("region_code")
        rule = pl.DataFrame({"说明": ["综合得分 = Σ 权重 × 标准化得分。", MISSING_RULE,
                                      *[f"{p['name']}:{p['normalisation']}" for p in self.parameters()]]})
        return {"排名": table, "得分明细": pl.DataFrame(detail), "指标与权重": params, "权重敏感性": sens,
                "计算规则": rule}

    def explain(self, region_code: str) -> list[dict]:
        """Each indicator's raw value, score, weight, contribution and gap to the average score."""
        row = self.scores.filter(pl.col("region_code") == region_code)
        raw = self.raw.filter(pl.col("region_code") == region_code)
        if row.height == 0:
            return []
        out = []
        idx = self.scores.get_column("region_code").to_list().index(region_code)
        stats = self._indicator_stats()
        for ind in self.system.indicators:
            s, (mean, ranks) = row.item(0, ind.id), stats[ind.id]
            actual = self.actual.item(idx, ind.id) if self.actual is not None else raw.item(0, ind.id)
            goal = self.goals.item(idx, ind.id) if self.goals is not None else None
            out.append({"indicator": ind.id, "name": ind.name, "metric": ind.metric, "raw": raw.item(0, ind.id),
                        "actual": actual, "goal": goal, "normalisation": ind.normalisation,
                        "score": s, "weight": ind.weight, "missing": s is None,
                        "contribution": (s or 0.0) * ind.weight,
                        "vs_average": None if mean is None else (s or 0.0) - mean,
                        "rank": None if s is None else int(ranks[idx])})
        return out

    def _indicator_stats(self) -> dict[str, tuple]:
        """Per indicator: the mean score (missing as 0) and every unit's rank; the same for every
        unit explained, so computed once."""
        stats = self.__dict__.get("_stats")
        if stats is None:
            stats = {ind.id: (self.scores.get_column(ind.id).fill_null(0).mean(),
                              _ranks(self.scores.get_column(ind.id).fill_null(-1)).to_list())
                     for ind in self.system.indicators}
            self.__dict__["_stats"] = stats
        return stats

    def strengths_weaknesses(self, region_code: str, n: int = 2,
                             explained: list[dict] | None = None) -> tuple[list[str], list[str]]:
        items = [e for e in (explained or self.explain(region_code)) if e["vs_average"] is not None]
        items.sort(key=lambda e: -e["vs_average"] * e["weight"])
        strong = [e["name"] for e in items[:n] if e["vs_average"] > 0]
        weak = [e["name"] for e in reversed(items[-n:]) if e["vs_average"] < 0]
        return strong, weak

    def to_json(self) -> list[dict]:
        rows = []
        for r in self.table.iter_rows(named=True):
            indicators = self.explain(r["region_code"])
            strong, weak = self.strengths_weaknesses(r["region_code"], explained=indicators)
            rows.append({**r, "strengths": strong, "weaknesses": weak, "indicators": indicators})
        return rows


def assess(system: System, source: FrameSource, as_of: dt.date,
           targets: Mapping[tuple[str, str], Decimal] | None = None, units: list[str] | None = None) -> Assessment:
    units = units or unit_codes(system)
    names = _names(units)
    raw = raw_values(system, units, source, as_of, targets)
    actual = raw_values(system, units, source, as_of, None, ratio=False)
    goals = pl.DataFrame({"region_code": units, **{
        i.id: [None if (g := (targets or {}).get((u, i.metric))) is None else float(g) for u in units]
        for i in system.indicators}}, schema={"region_code": pl.Utf8, **{i.id: pl.Float64 for i in system.indicators}})
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
    return Assessment(system, as_of, table, raw, scores, sensitivity, names, actual, goals)


def cached_assessment(session, city: str, as_of: dt.date) -> Assessment:
    """`assess` of `city`'s indicator system on `as_of` over the stored ledgers and this year's
    targets, computed once per version of the data it reads (kechuang.cache) and shared by the
    assessment page and the overview."""
    from ..cache import cached
    from .metrics import metric_source, progress_reads

    engine = session.get_bind()
    return cached(("assessment", str(engine.url), city, as_of),
                  lambda: assess(load_system(city), metric_source(engine), as_of, target_values(session, as_of.year)),
                  reads=progress_reads())


def warm(engine) -> None:
    """Assess every installed city on today's data (a server's start): the overview and the
    assessment page then read the result."""
    from .. import cache
    from ..db import data_versions, session_scope

    today = dt.date.today()
    with session_scope(engine) as session:
        cache.observe(str(engine.url), data_versions(session.connection()))  # as a request would
        for city in available_systems():
            cached_assessment(session, city, today)


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


def _fmt(v) -> str:
    from ..units import format_number

    return format_number(v, 4)


def _names(codes: list[str]) -> dict[str, str]:
    from kechuang.regions import registry

    reg = registry()
    return {c: (reg.get(c).name if reg.get(c) else c) for c in codes}
