"""Metrics as data: a ledger kind + declarative filter + aggregation + time window, computed with
Polars per region code and date and rolled up through the region tree.

Definitions live in data/metrics.yaml. Filters are a tiny declarative language (no eval).
"""

from __future__ import annotations

import datetime as dt
import threading
from bisect import bisect_right
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import polars as pl
import yaml

from ..units import known as known_unit

DATA_DIR = Path(__file__).parent / "data"
METRICS_FILE = DATA_DIR / "metrics.yaml"

WINDOWS = ("ytd", "as_of", "cumulative", "fiscal_year")
OPS = ("eq", "ne", "in", "not_in", "between", "gte", "lte", "gt", "lt", "not_null", "is_null")
DECIMAL = pl.Decimal(38, 6)


class MetricError(ValueError):
    """A bad metric definition or a metric that cannot be computed (message in Chinese)."""


@dataclass(frozen=True)
class Metric:
    id: str
    name: str
    unit: str
    aggregation: str  # count | distinct | sum | latest | ratio
    kind: str | None = None
    agg_field: str | None = None
    latest_by: str | None = None
    ratio: tuple[str, str] | None = None
    scale: Decimal = Decimal(1)
    filter: tuple[dict, ...] = ()
    window: str | None = None
    date_field: str = "record_date"
    end_field: str | None = None
    region_by: str = "record"
    note: str = ""

    @property
    def is_stock(self) -> bool:
        """A level (valid/cumulative on a date) rather than a flow counted from 1 January."""
        return self.window in ("as_of", "cumulative")

    @property
    def sense_label(self) -> str:
        """How the metric counts, in Chinese: a level on the date, what was added in the period, a ratio."""
        if self.aggregation == "ratio":
            return "比率"
        if self.window == "fiscal_year":
            return "年度数据"
        return "统计日总数" if self.is_stock else "期内新增"

    def fields(self) -> set[str]:
        out = {c["field"] for c in self.filter}
        if self.kind is None:
            return out
        for f in (self.agg_field, self.latest_by, self.end_field):
            if f:
                out.add(f)
        if self.window != "fiscal_year":
            out.add(self.date_field)
        return out


# ---------------------------------------------------------------- loading and validation

def _err(path: Path, idx: int, mid: str, what: str) -> MetricError:
    return MetricError(f"指标定义文件 {path.name} 第 {idx + 1} 个指标({mid or '无id'}):{what}")


def _parse_condition(path: Path, idx: int, mid: str, cond: Any) -> dict:
    if not isinstance(cond, dict) or "field" not in cond:
        raise _err(path, idx, mid, f"筛选条件必须含 field,实际为 {cond!r}")
    ops = [k for k in cond if k != "field"]
    if len(ops) != 1 or ops[0] not in OPS:
        raise _err(path, idx, mid, f"筛选条件 {cond!r} 的运算符必须是 {', '.join(OPS)} 之一且只有一个")
    op, val = ops[0], cond[ops[0]]
    if op in ("in", "not_in") and not isinstance(val, list):
        raise _err(path, idx, mid, f"字段 {cond['field']} 的 {op} 需要列表,实际为 {val!r}")
    if op == "between" and not (isinstance(val, list) and len(val) == 2):
        raise _err(path, idx, mid, f"字段 {cond['field']} 的 between 需要两个值 [下限, 上限],实际为 {val!r}")
    return {"field": str(cond["field"]), "op": op, "value": val}


def parse_metrics(raw: Any, path: Path = METRICS_FILE) -> dict[str, Metric]:
    if not isinstance(raw, dict) or not isinstance(raw.get("metrics"), list):
        raise MetricError(f"指标定义文件 {path.name}:缺少 metrics 列表")
    out: dict[str, Metric] = {}
    for i, m in enumerate(raw["metrics"]):
        if not isinstance(m, dict):
            raise _err(path, i, "", f"应为映射,实际为 {m!r}")
        mid = str(m.get("id") or "")
        if not mid:
            raise _err(path, i, mid, "缺少 id")
        if mid in out:
            raise _err(path, i, mid, "id 重复")
        for req in ("name", "unit", "aggregation"):
            if not m.get(req):
                raise _err(path, i, mid, f"缺少 {req}")
        if not known_unit(str(m["unit"])):
            raise _err(path, i, mid, f"未知计量单位“{m['unit']}”")
        agg = m["aggregation"]
        kw: dict[str, Any] = {}
        if agg == "count":
            name = "count"
        elif isinstance(agg, dict) and len({"distinct", "sum", "latest", "ratio"} & set(agg)) == 1:
            name = next(k for k in ("distinct", "sum", "latest", "ratio") if k in agg)
            if name == "ratio":
                pair = agg["ratio"]
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise _err(path, i, mid, f"ratio 需要 [分子指标, 分母指标],实际为 {pair!r}")
                kw["ratio"] = (str(pair[0]), str(pair[1]))
                kw["scale"] = Decimal(str(agg.get("scale", 1)))
            else:
                kw["agg_field"] = str(agg[name])
                if name == "latest":
                    kw["latest_by"] = str(agg.get("by", "key"))
        else:
            raise _err(path, i, mid, f"聚合方式 {agg!r} 无效(count / distinct / sum / latest / ratio)")
        if name != "ratio":
            if not m.get("kind"):
                raise _err(path, i, mid, "缺少台账种类 kind")
            if m.get("window") not in WINDOWS:
                raise _err(path, i, mid, f"时间窗口 {m.get('window')!r} 无效({' / '.join(WINDOWS)})")
        conds = tuple(_parse_condition(path, i, mid, c) for c in (m.get("filter") or []))
        region_by = m.get("region_by", "record")
        if region_by not in ("record", "enterprise"):
            raise _err(path, i, mid, f"region_by {region_by!r} 无效(record / enterprise)")
        out[mid] = Metric(
            id=mid, name=str(m["name"]), unit=str(m["unit"]), aggregation=name,
            kind=m.get("kind"), filter=conds, window=m.get("window"),
            date_field=str(m.get("date_field") or "record_date"), end_field=m.get("end_field"),
            region_by=region_by, note=str(m.get("note") or ""), **kw,
        )
    for i, m in enumerate(out.values()):
        if m.ratio:
            for part in m.ratio:
                if part not in out or out[part].ratio:
                    raise _err(path, i, m.id, f"比值引用的指标“{part}”不存在或本身是比值")
    return out


@lru_cache(maxsize=4)
def _load(path: str) -> dict[str, Metric]:
    p = Path(path)
    try:
        raw = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise MetricError(f"指标定义文件 {p.name} 不是有效的 YAML:{exc}") from None
    return parse_metrics(raw, p)


def load_metrics(path: Path | None = None) -> dict[str, Metric]:
    return _load(str(path or METRICS_FILE))


def get_metric(metric_id: str) -> Metric:
    metrics = load_metrics()
    if metric_id not in metrics:
        raise MetricError(f"未知指标“{metric_id}”")
    return metrics[metric_id]


# ---------------------------------------------------------------- filters and windows

def _lit(v: Any) -> Any:
    if isinstance(v, float):
        return Decimal(str(v))
    return v


def _cmp(col: pl.Expr, op: str, v: Any) -> pl.Expr:
    if isinstance(v, (int, float, Decimal)) and not isinstance(v, bool):
        col = col.cast(pl.Float64)
        v = float(v)
    return {"gte": col >= v, "lte": col <= v, "gt": col > v, "lt": col < v, "eq": col == v, "ne": col != v}[op]


def condition_expr(cond: Mapping[str, Any]) -> pl.Expr:
    col = pl.col(cond["field"])
    op, v = cond["op"], cond["value"]
    if op == "not_null":
        return col.is_not_null() if v else col.is_null()
    if op == "is_null":
        return col.is_null() if v else col.is_not_null()
    if op == "in":
        return col.cast(pl.Utf8).is_in([str(x) for x in v])
    if op == "not_in":  # a missing value is "not in" the list
        return col.is_null() | ~col.cast(pl.Utf8).is_in([str(x) for x in v])
    if op == "ne":
        return col.is_null() | _cmp(col, "ne", v) if not isinstance(v, str) else \
            col.is_null() | (col.cast(pl.Utf8) != v)
    if op == "between":
        return _cmp(col, "gte", v[0]) & _cmp(col, "lte", v[1])
    if op in ("eq", "ne") and isinstance(v, str):
        return (col.cast(pl.Utf8) == v) if op == "eq" else (col.cast(pl.Utf8) != v)
    return _cmp(col, op, v)


def filter_expr(conds: Iterable[Mapping[str, Any]]) -> pl.Expr:
    expr = pl.lit(True)
    for c in conds:
        expr = expr & condition_expr(c).fill_null(False)
    return expr


def window_expr(metric: Metric, d: dt.date) -> pl.Expr:
    if metric.window == "fiscal_year":
        return (pl.col("year") == d.year).fill_null(False)
    date = pl.col("_date")
    if metric.window == "ytd":
        e = (date >= dt.date(d.year, 1, 1)) & (date <= d)
    elif metric.window == "cumulative":
        e = date <= d
    else:  # as_of: valid on d, i.e. start <= d <= last day (ledgers.validity for kinds that declare it)
        e = date <= d
        if metric.end_field:
            e = e & (pl.col("_end").is_null() | (pl.col("_end") >= d))
    return e.fill_null(False)


def _as_date(frame: pl.DataFrame, col: str) -> pl.Expr:
    dtype = frame.schema[col]
    if dtype == pl.Date:
        return pl.col(col)
    if dtype == pl.Datetime or isinstance(dtype, pl.Datetime):
        return pl.col(col).dt.date()
    return pl.col(col).cast(pl.Utf8).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)


# ---------------------------------------------------------------- region roll-up

def _prefix_ancestors(code: str) -> list[str]:
    """GB/T 2260 structure: 320205 -> 320200 -> 320000 (used when the registry has no entry)."""
    out = []
    if len(code) == 6 and code.isdigit():
        if code[4:] != "00":
            out.append(code[:4] + "00")
        if code[2:] != "0000":
            out.append(code[:2] + "0000")
    return out


def ancestor_codes(code: str) -> list[str]:
    """Codes of the region's ancestors (nearest first), from the region registry when it knows the code."""
    from kechuang.regions import registry

    reg = registry()
    if reg.get(code) is not None:
        return [a if isinstance(a, str) else a.code for a in reg.ancestors(code) if
                (a if isinstance(a, str) else a.code) != code]
    return _prefix_ancestors(code)


def rollup_map(codes: Iterable[str]) -> pl.DataFrame:
    """(region_code, rollup_code) pairs: every code maps to itself and each of its ancestors."""
    pairs_a: list[str] = []
    pairs_b: list[str] = []
    for c in set(codes):
        if c is None:
            continue
        for a in [c, *ancestor_codes(c)]:
            pairs_a.append(c)
            pairs_b.append(a)
    return pl.DataFrame({"region_code": pairs_a, "rollup_code": pairs_b},
                        schema={"region_code": pl.Utf8, "rollup_code": pl.Utf8})


# ---------------------------------------------------------------- sources of ledger frames

FrameSource = Callable[[str], pl.DataFrame]


from ..ledgers.frames import _FRAMES, _FRAMES_LOCK, _disk_cache_dir, whole_frame  # noqa: E402,F401 (tests reach them here)


class LedgerSource:
    """Ledger frames from the database (`whole_frame`), cut to `region_codes` when given.

    Frames are kept across requests in this process (and as Parquet files for other processes)
    and brought up to date only when the kind's records change, so dashboards do not decode the
    whole ledger on every page view. ``fields(kind)`` names the fields to decode of a kind (the
    id and region always come); without it every field is
    decoded. `metric_source` decodes what metrics read."""

    def __init__(self, engine, region_codes: set[str] | None = None,
                 fields: Callable[[str], Iterable[str]] | None = None, versions: Mapping[str, int] | None = None):
        self.engine = engine
        self.region_codes = region_codes
        self.fields = fields
        self._cache: dict[str, pl.DataFrame] = {}
        self._versions: dict | None = dict(versions) if versions else None

    def stamps(self, frames: list[tuple[str, pl.DataFrame | None]]) -> tuple | None:
        """The data versions of (kind, frame) pairs this source gave (None frames left out), or
        None when a frame is cut to regions or is no longer the one kept for its kind."""
        from ..ledgers.frames import kept_version

        if self.region_codes is not None:
            return None
        out = []
        for kind, frame in frames:
            if frame is not None:
                version = kept_version(self.engine, kind, frame)
                if version is None:
                    return None
                out.append((kind, version))
        return tuple(out)

    def __call__(self, kind: str) -> pl.DataFrame:
        if kind not in self._cache:
            if self._versions is None:  # read once: the kinds of one computation share the reading
                from ..db import data_versions

                with self.engine.connect() as conn:
                    self._versions = data_versions(conn) or {}
            frame = whole_frame(self.engine, kind, None if self.fields is None else self.fields(kind),
                                versions=self._versions or None)
            if self.region_codes is not None:
                frame = frame.filter(pl.col("region_code").is_in(sorted(self.region_codes)))
            self._cache[kind] = frame
        return self._cache[kind]


def metric_source(engine, region_codes: set[str] | None = None, versions: Mapping[str, int] | None = None) -> LedgerSource:
    """The ledgers as the dashboards read them: only the fields metrics count and the enterprises'
    names (`kept_fields`), so a province's ledgers cost the memory of a few columns; `rows_behind`
    reads the whole records it shows by id. ``versions``: the data versions the caller already
    read (a request's, `cache.transaction_versions`), which the frames are then matched with."""
    return LedgerSource(engine, region_codes, kept_fields, versions)


def kept_fields(kind: str) -> frozenset[str]:
    """What the frames kept for the dashboards hold of a kind (`warm` decodes it): the fields
    metrics read, and the enterprises' names, which warnings and the rows behind a number show."""
    from ..ledgers.frames import NAME_FIELDS

    return metric_fields(kind) | (frozenset(NAME_FIELDS) if kind == "enterprise" else frozenset())


@lru_cache(maxsize=64)
def metric_fields(kind: str) -> frozenset[str]:
    """The fields of a ledger kind that metrics read (with the kind's validity rule fields, the
    credit code where the enterprise's region counts, the year of annual data): what a dashboard
    decodes of it, so every metric of the kind shares one frame."""
    out = _validity_fields(kind) | ({"uscc"} if kind == "enterprise" else set())  # its region per credit code
    for m in load_metrics().values():
        if m.kind == kind:
            out |= m.fields() | ({"uscc"} if m.region_by == "enterprise" else set()) | (
                {"year"} if m.window == "fiscal_year" else set())
    return frozenset(out)


def _validity_fields(kind: str) -> set[str]:
    from ..ledgers.kinds import all_kinds
    from ..ledgers.validity import rule_fields

    known = all_kinds().get(kind)
    return set(rule_fields(kind)) if known is not None and known.validity is not None else set()


def dashboard_kinds() -> list[str]:
    """The ledger kinds that metrics read (their decoded frames are worth keeping)."""
    return sorted({m.kind for m in load_metrics().values() if m.kind} | {"enterprise"})


TARGET_TABLES = ("targets", "target_shares", "target_snapshots")


def progress_reads() -> tuple[str, ...]:
    """The data sources target progress and the assessment read (for `kechuang.cache.cached`):
    the targets and every ledger a metric counts."""
    from ..db import ledger_sources

    return TARGET_TABLES + ledger_sources(dashboard_kinds())


def warm(engine, kinds: Iterable[str] | None = None, *, prepare: bool = False) -> None:
    """Decode the ledgers behind the dashboards now (at a server's start, or after an import)
    rather than in the first page view that needs them; also refreshes their Parquet files.
    ``prepare``: also prepare every metric's records and build its `DateIndex` (a server's start:
    the first view then only looks values up)."""
    source = metric_source(engine)
    wanted = set(dashboard_kinds())
    for kind in sorted(wanted if kinds is None else wanted & set(kinds)):
        source(kind)
    if prepare:
        for m in load_metrics().values():
            if m.kind and (kinds is None or m.kind in set(kinds)):
                try:
                    date_index(m, source) if _indexed(m) else _prepared(m, source)
                except MetricError:  # a metric its ledger cannot feed: its pages say so
                    pass


def dict_source(frames: Mapping[str, pl.DataFrame]) -> FrameSource:
    def get(kind: str) -> pl.DataFrame:
        if kind in frames:
            return frames[kind]
        return pl.DataFrame(schema={"key": pl.Utf8, "region_code": pl.Utf8, "uscc": pl.Utf8,
                                    "year": pl.Int64, "record_date": pl.Date})
    return get


# ---------------------------------------------------------------- computation

def _end_expr(metric: Metric, df: pl.DataFrame) -> pl.Expr:
    """The last day a record counts (inclusive): the kind's validity rule when it declares one."""
    from ..ledgers.kinds import all_kinds
    from ..ledgers.validity import last_day_expr

    kind = all_kinds().get(metric.kind)
    rule = kind.validity if kind else None
    if rule is not None and rule.end == metric.end_field and rule.start == metric.date_field:
        return last_day_expr(kind.id)
    return _as_date(df, metric.end_field)


# metric id -> (ledger frame, enterprise frame, metric, prepared records): kept while the frames
# they came from are the ones the source gives (the frames kept across requests, `whole_frame`)
_PREPARED: dict[str, tuple] = {}
_PREPARED_LOCK = threading.Lock()


_PREPARING: dict[str, threading.Lock] = {}


def _prepared(metric: Metric, source: FrameSource) -> pl.DataFrame:
    """What a metric counts, condensed (`_condensed`) and exploded to every ancestor region;
    computed again only when the source gives other frames (after a change of their records),
    and then once: by the first asker (a server's warm-up, a page view) or by another worker
    process, whose result is kept as a file (`_kept_prepared`)."""
    frame = source(metric.kind)
    ent = source("enterprise") if metric.region_by == "enterprise" and "uscc" in frame.columns else None

    def fresh():
        with _PREPARED_LOCK:
            hit = _PREPARED.get(metric.id)
        return hit[3] if hit is not None and hit[0] is frame and hit[1] is ent and hit[2] == metric else None

    df = fresh()
    if df is not None:
        return df
    with _PREPARED_LOCK:
        preparing = _PREPARING.setdefault(metric.id, threading.Lock())
    with preparing:  # the others asking meanwhile wait for this result
        df = fresh()
        if df is None:
            df = _kept_prepared(metric, source, frame, ent,
                                lambda: _exploded(_condensed(metric, _prepare(metric, frame, ent))))
            with _PREPARED_LOCK:
                _PREPARED[metric.id] = (frame, ent, metric, df)
    return df


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """The code that prepares a metric's records (this module, the validity rule): a kept file
    made by other code is not read."""
    import hashlib

    from ..ledgers import validity

    return hashlib.sha1(Path(__file__).read_bytes() + Path(validity.__file__).read_bytes()).hexdigest()


def _kept_prepared(metric: Metric, source: FrameSource, frame: pl.DataFrame, ent: pl.DataFrame | None,
                   make: Callable[[], pl.DataFrame]) -> pl.DataFrame:
    """``make()``, kept as a Parquet file beside the ledger frames for the data versions of the
    frames it reads (when `source` gives the whole kept frames), so other worker processes and
    restarts read a metric's prepared records instead of preparing them again."""
    import hashlib

    from .. import __version__
    from ..cache import file_lock, keep_file

    stamps = source.stamps([(metric.kind, frame), ("enterprise", ent)]) if isinstance(source, LedgerSource) else None
    url = source.engine.url if stamps is not None else None
    if stamps is None or (url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")):
        return make()
    tag = hashlib.sha1(repr((str(source.engine.url), __version__, _code_digest(), metric, stamps)).encode()
                       ).hexdigest()[:20]
    path = _disk_cache_dir(source.engine).parent / "prepared-metrics" / f"{metric.id}-{tag}.parquet"
    with file_lock(path.with_name(f"{metric.id}.lock")):  # one worker prepares, the others read its file
        if path.exists():
            try:
                return pl.read_parquet(path)
            except Exception:  # a damaged file is only a cache: prepare again
                pass
        df = make()
        keep_file(path, df.write_parquet, f"{metric.id}-*.parquet")
    return df


def _prepare(metric: Metric, frame: pl.DataFrame, ent: pl.DataFrame | None) -> pl.DataFrame:
    """The records a metric counts (its filter applied), with _date/_end columns and the region
    they count in, holding only the columns counting reads (and the record id)."""
    missing = sorted(f for f in metric.fields() | {"region_code"} if f not in frame.columns)
    if missing and frame.height == 0:  # an empty ledger: nothing to count
        frame = frame.with_columns([pl.lit(None, dtype=pl.Utf8).alias(f) for f in missing])
    elif missing:
        raise MetricError(f"指标“{metric.name}”({metric.id}):台账“{metric.kind}”缺少字段 {', '.join(missing)}")
    keep = metric.fields() | {"id", "region_code", "uscc", "year"}
    if metric.end_field:
        keep |= _validity_fields(metric.kind)
    if "id" not in frame.columns:  # frames handed in whole may lack record ids: rows are told by position
        frame = frame.with_row_index("id").with_columns(pl.col("id").cast(pl.Int64))
    frame = frame.select([c for c in frame.columns if c in keep])
    df = frame.filter(filter_expr(metric.filter))
    extra = []
    if metric.window != "fiscal_year":
        extra.append(_as_date(df, metric.date_field).alias("_date"))
    if metric.end_field:
        extra.append(_end_expr(metric, df).alias("_end"))
    if extra:
        df = df.with_columns(extra)
    if ent is not None:
        if "uscc" in ent.columns and "region_code" in ent.columns and ent.height:
            ent = _enterprise_regions(ent)
            df = (df.join(ent, on="uscc", how="left")
                    .with_columns(pl.coalesce("_ent_region", "region_code").alias("region_code"))
                    .drop("_ent_region"))
    needed = {"id", "region_code", "year", "_date", "_end", metric.agg_field, metric.latest_by}
    return df.select([c for c in df.columns if c in needed])


_ENT_REGIONS: list = []  # [(enterprise frame, its uscc -> _ent_region map)]: one map per kept frame


def _enterprise_regions(ent: pl.DataFrame) -> pl.DataFrame:
    """uscc → the enterprise's current region (_ent_region) of an enterprise-ledger frame, made once
    per frame (every metric counted in the enterprise's region joins it)."""
    with _PREPARED_LOCK:
        if _ENT_REGIONS and _ENT_REGIONS[0][0] is ent:
            return _ENT_REGIONS[0][1]
    out = ent.select(pl.col("uscc"), pl.col("region_code").alias("_ent_region")).unique("uscc", keep="last")
    with _PREPARED_LOCK:
        _ENT_REGIONS[:] = [(ent, out)]
    return out


def _condensed(metric: Metric, df: pl.DataFrame) -> pl.DataFrame:
    """The records reduced to what the windows and the aggregation tell apart: per region and
    window dates, the count (_n) or the sum of a count or sum metric, the distinct values of a
    distinct one; a latest metric keeps its records. The same values, from far fewer rows."""
    keys = [c for c in ("region_code", "year" if metric.window == "fiscal_year" else "_date", "_end")
            if c in df.columns]
    if metric.aggregation == "count":
        return df.group_by(keys).agg(pl.len().cast(pl.Int64).alias("_n"))
    if metric.aggregation == "sum":
        return df.group_by(keys).agg(pl.col(metric.agg_field).cast(DECIMAL).sum())
    if metric.aggregation == "distinct":
        return df.select(keys + [metric.agg_field]).unique()
    return df.drop("id")


def _exploded(df: pl.DataFrame) -> pl.DataFrame:
    """Each row once for its region and once for every ancestor (rollup_code)."""
    amap = rollup_map(df.get_column("region_code").unique().to_list())
    return df.join(amap, on="region_code", how="inner")


# ---------------------------------------------------------------- values on any day as a look-up

_EPOCH = dt.date(1970, 1, 1)
_DAY_OFFSET = 1 << 31  # day numbers (Polars dates: days since 1970) made non-negative for the keys


def _day(d: dt.date) -> int:
    return (d - _EPOCH).days


def _indexed(metric: Metric) -> bool:
    """Whether a metric's value on a day is a difference of running totals (`DateIndex`)."""
    return metric.aggregation in ("count", "sum", "distinct") and metric.window in ("ytd", "cumulative", "as_of")


class DateIndex:
    """A metric's values on any day, read from running totals per region (rollup_code) over the
    days on which something starts or stops counting, instead of filtering its records per day.

    A record counts from its date; under an as_of window with an end it stops the day after its
    last day (`window_expr`: start <= d <= end, a blank end never stops; a record without a date,
    or ending before it starts, never counts). A distinct value counts once per region while any
    of its records does: its overlapping periods are merged first (ytd: its first date of each
    year; cumulative: its first date). A ytd value is the total on the day less the total on the
    last day of the year before. Beside the value, the number of records counting tells which
    regions have records on the day (`compute` leaves the others out)."""

    def __init__(self, metric: Metric, df: pl.DataFrame):
        self.metric = metric
        ends = metric.window == "as_of" and "_end" in df.columns
        start = pl.col("_date").cast(pl.Int32)
        rows = df.lazy().filter(pl.col("_date").is_not_null())
        if ends:
            rows = rows.filter(pl.col("_end").is_null() | (pl.col("_end") >= pl.col("_date")))
        if metric.aggregation == "sum":
            weight = pl.col(metric.agg_field).cast(DECIMAL).fill_null(0)
        else:  # a distinct metric's values come from its own events (`_distinct_events`)
            weight = pl.col("_n").cast(pl.Int64) if metric.aggregation == "count" else pl.lit(0, dtype=pl.Int64)
        presence = pl.col("_n").cast(pl.Int64) if metric.aggregation == "count" else pl.lit(1, dtype=pl.Int64)
        parts = [rows.select("rollup_code", start.alias("day"), weight.alias("v"), presence.alias("n"))]
        if ends:
            stop = rows.filter(pl.col("_end").is_not_null())
            parts.append(stop.select("rollup_code", (pl.col("_end").cast(pl.Int32) + 1).alias("day"),
                                     (-weight).alias("v"), (-presence).alias("n")))
        if metric.aggregation == "distinct":
            parts += self._distinct_events(metric, rows, ends)
        events = (pl.concat(parts, how="vertical_relaxed")
                  .group_by("rollup_code", "day").agg(pl.col("v").sum(), pl.col("n").sum())
                  .sort("rollup_code", "day")
                  .with_columns(pl.col("v").cum_sum().over("rollup_code"), pl.col("n").cum_sum().over("rollup_code"))
                  .collect())
        codes = events.get_column("rollup_code")
        self.regions: list[str] = codes.unique(maintain_order=True).to_list()
        self.number = {c: i for i, c in enumerate(self.regions)}
        region_no = codes.replace_strict(self.number, return_dtype=pl.Int64).to_numpy()
        self.keys = (region_no << 32) | (events.get_column("day").cast(pl.Int64).to_numpy() + _DAY_OFFSET)
        self.values = events.get_column("v").to_list()
        self.present = events.get_column("n").to_list()
        self._by_region: dict[str, tuple[list[int], list, list[int]]] = {}

    @staticmethod
    def _distinct_events(metric: Metric, rows: pl.LazyFrame, ends: bool) -> list[pl.LazyFrame]:
        """+1 (and -1) per region and distinct value: the days it starts (and stops) counting."""
        key = ["rollup_code", metric.agg_field]
        rows = rows.filter(pl.col(metric.agg_field).is_not_null())
        one = pl.lit(1, dtype=pl.Int64)
        nothing = pl.lit(0, dtype=pl.Int64).alias("n")
        if metric.window == "ytd":
            firsts = rows.group_by(*key, pl.col("_date").dt.year().alias("_y")).agg(pl.col("_date").min())
        elif not ends:
            firsts = rows.group_by(key).agg(pl.col("_date").min())
        else:  # merge each value's overlapping periods, so that it counts once on any day
            return [DateIndex._merged_periods(metric, rows).lazy()]
        return [firsts.select("rollup_code", pl.col("_date").cast(pl.Int32).alias("day"), one.alias("v"), nothing)]

    @staticmethod
    def _merged_periods(metric: Metric, rows: pl.LazyFrame) -> pl.DataFrame:
        """+1 on the first day and -1 the day after the last of each run of overlapping periods of
        a region's distinct value. Sorted by value and start, a period opens a run when it starts
        after every earlier period of its value has ended: a running maximum of the last days,
        over numbers that put each value's days above the previous value's (group × 2³²)."""
        import numpy as np

        shift, never, group = 1 << 30, (1 << 30) - 1, 1 << 32  # days offset to be positive; a blank end
        key = ["rollup_code", metric.agg_field]
        spans = (rows.select(*key, pl.col("_date").cast(pl.Int64).alias("s"),
                             pl.col("_end").cast(pl.Int64).fill_null(never).alias("e"))
                 .sort(*key, "s")
                 .with_columns(((pl.col("rollup_code") != pl.col("rollup_code").shift(1))
                                | (pl.col(metric.agg_field) != pl.col(metric.agg_field).shift(1)))
                               .fill_null(True).cum_sum().cast(pl.Int64).alias("_g"))
                 .collect())
        schema = {"rollup_code": pl.Utf8, "day": pl.Int32, "v": pl.Int64, "n": pl.Int64}
        if spans.height == 0:
            return pl.DataFrame(schema=schema)
        g = spans.get_column("_g").to_numpy() * group
        reach = np.maximum.accumulate(g + spans.get_column("e").to_numpy() + shift)
        opens = (g + spans.get_column("s").to_numpy() + shift) > np.concatenate(([-1], reach[:-1]))
        closes = np.concatenate((opens[1:], [True]))  # the last period of its run
        last = reach[closes] - g[closes] - shift
        codes = spans.get_column("rollup_code")
        start = pl.DataFrame({"rollup_code": codes.filter(opens), "day": spans.get_column("s").filter(opens),
                              "v": 1, "n": 0}, schema=schema)
        stop = pl.DataFrame({"rollup_code": codes.filter(closes), "day": last + 1, "v": -1, "n": 0}, schema=schema)
        return pl.concat([start, stop.filter(pl.col("day") != never + 1)])

    def lookup(self, dates: Iterable[dt.date], regions: Iterable[str] | None = None) -> dict[tuple[str, dt.date], Any]:
        """(region_code, date) -> value, for each region (of ``regions``, default all) having records
        on each of ``dates``."""
        dates = list(dates)
        asked = [_day(d) for d in dates]
        ytd = self.metric.window == "ytd"
        starts = [_day(dt.date(d.year, 1, 1)) - 1 for d in dates] if ytd else None  # the day before 1 January
        out = {}
        for code in (self.regions if regions is None else dict.fromkeys(regions)):
            events = self._events(code)
            if events is None:
                continue
            days, values, present = events
            for i, d in enumerate(dates):
                at = bisect_right(days, asked[i]) - 1
                n, value = (present[at], values[at]) if at >= 0 else (0, 0)
                if ytd:
                    at = bisect_right(days, starts[i]) - 1
                    if at >= 0:
                        n, value = n - present[at], value - values[at]
                if n > 0:
                    out[(code, d)] = value
        return out

    def _events(self, code: str) -> tuple[list[int], list, list[int]] | None:
        """A region's event days with the running totals on them, as lists for `bisect` (a page's
        look-ups name a few regions and days: list look-ups cost less than array calls there)."""
        got = self._by_region.get(code)
        if got is None:
            number = self.number.get(code)
            if number is None:
                return None
            import numpy as np

            lo, hi = np.searchsorted(self.keys, [number << 32, (number + 1) << 32]).tolist()
            days = ((self.keys[lo:hi] & 0xFFFFFFFF) - _DAY_OFFSET).tolist()
            got = self._by_region[code] = (days, self.values[lo:hi], self.present[lo:hi])
        return got

    def frame(self, dates: Iterable[dt.date]) -> pl.DataFrame:
        """`lookup` as `compute` gives it: columns region_code, as_of, value."""
        found = self.lookup(dates)
        return pl.DataFrame({"region_code": [r for r, _ in found], "as_of": [d for _, d in found],
                             "value": list(found.values())},
                            schema={"region_code": pl.Utf8, "as_of": pl.Date, "value": value_dtype(self.metric)})


_INDEXES: dict[str, tuple] = {}  # metric id -> (prepared records, metric, DateIndex)


def date_index(metric: Metric, source: FrameSource) -> DateIndex:
    """The metric's `DateIndex`, built once per version of its prepared records."""
    df = _prepared(metric, source)
    with _PREPARED_LOCK:
        hit = _INDEXES.get(metric.id)
    if hit is not None and hit[0] is df and hit[1] == metric:
        return hit[2]
    with _PREPARED_LOCK:
        building = _PREPARING.setdefault(("index", metric.id), threading.Lock())
    with building:
        with _PREPARED_LOCK:
            hit = _INDEXES.get(metric.id)
        if hit is not None and hit[0] is df and hit[1] == metric:
            return hit[2]
        index = DateIndex(metric, df)
        with _PREPARED_LOCK:
            _INDEXES[metric.id] = (df, metric, index)
    return index


# (metric id, date) -> (prepared records, metric, values): a metric's values on one date, kept
# while its prepared records are the same object, so a change to targets alone (dismissed,
# restored, edited) recomputes no ledger counts, and another day reuses the year ends it shares
_VALUES: dict[tuple, tuple] = {}
_VALUES_MAX = 4096


def _kept(store: dict, metric: Metric, df: pl.DataFrame, days: Iterable[dt.date]) -> dict[dt.date, Any]:
    """What ``store`` keeps of the metric on each of ``days`` while its prepared records are ``df``."""
    out = {}
    with _PREPARED_LOCK:
        for d in days:
            hit = store.get((metric.id, d))
            if hit is not None and hit[0] is df and hit[1] == metric:
                out[d] = hit[2]
    return out


def _keep(store: dict, metric: Metric, df: pl.DataFrame, values: Mapping[dt.date, Any]) -> None:
    with _PREPARED_LOCK:
        for d, v in values.items():
            store.pop((metric.id, d), None)
            while len(store) >= _VALUES_MAX:
                store.pop(next(iter(store)))
            store[(metric.id, d)] = (df, metric, v)


def _aggregate(metric: Metric, df: pl.LazyFrame) -> pl.LazyFrame:
    """Per region (rollup_code) and date (as_of): the metric's value over the rows ``df`` holds for
    that date."""
    g = ["rollup_code", "as_of"]
    if metric.aggregation == "count":
        out = df.group_by(g).agg(pl.col("_n").sum().cast(pl.Int64).alias("value"))
    elif metric.aggregation == "distinct":
        out = df.group_by(g).agg(pl.col(metric.agg_field).drop_nulls().n_unique().cast(pl.Int64).alias("value"))
    elif metric.aggregation == "sum":
        out = df.group_by(g).agg(pl.col(metric.agg_field).cast(DECIMAL).sum().alias("value"))
    else:  # latest value per entity, summed (ties: the later record in the ledger's order)
        sort_col = "_date" if "_date" in df.collect_schema().names() else "year"
        out = (df.sort(sort_col, maintain_order=True).group_by([*g, metric.latest_by])
                 .agg(pl.col(metric.agg_field).last())
                 .group_by(g).agg(pl.col(metric.agg_field).cast(DECIMAL).sum().alias("value")))
    return out.rename({"rollup_code": "region_code"})


def value_dtype(metric: Metric) -> pl.DataType:
    if metric.aggregation in ("count", "distinct"):
        return pl.Int64
    if metric.aggregation == "ratio":
        return pl.Float64
    return DECIMAL


def compute(metric: Metric | str, dates: Iterable[dt.date], source: FrameSource,
            metrics: Mapping[str, Metric] | None = None) -> pl.DataFrame:
    """Values of a metric: columns region_code, as_of, value (one row per region having records
    and date; regions without records are absent — read them through `value_of`)."""
    metrics = metrics or load_metrics()
    m = metrics[metric] if isinstance(metric, str) else metric
    dates = sorted(set(dates))
    schema = {"region_code": pl.Utf8, "as_of": pl.Date, "value": value_dtype(m)}
    if m.aggregation == "ratio":
        num = compute(metrics[m.ratio[0]], dates, source, metrics)
        den = compute(metrics[m.ratio[1]], dates, source, metrics)
        j = num.join(den, on=["region_code", "as_of"], how="inner", suffix="_den")
        return j.select(
            "region_code", "as_of",
            pl.when(pl.col("value_den").cast(pl.Float64) != 0)
              .then(pl.col("value").cast(pl.Float64) / pl.col("value_den").cast(pl.Float64) * float(m.scale))
              .otherwise(None).round(4).alias("value"),
        )
    if _indexed(m):
        return date_index(m, source).frame(dates)
    df = _prepared(m, source)
    # a fiscal-year window reads the year alone: every day of a year shares the values of its end
    asked = {d: dt.date(d.year, 12, 31) if m.window == "fiscal_year" else d for d in dates}
    kept: dict[dt.date, pl.DataFrame] = _kept(_VALUES, m, df, set(asked.values()))
    missing = sorted(set(asked.values()) - set(kept))
    if missing:  # every missing date in one query: the rows each date's window holds, grouped by date
        rows = pl.concat([df.lazy().filter(window_expr(m, d)).with_columns(as_of=pl.lit(d, dtype=pl.Date))
                          for d in missing])
        new = (_aggregate(m, rows).select("region_code", "as_of", pl.col("value").cast(schema["value"]))
               .collect())
        split = new.partition_by("as_of", as_dict=True, include_key=True)
        kept.update({d: split.get((d,), new.clear()) for d in missing})
        _keep(_VALUES, m, df, {d: kept[d] for d in missing})
    if not dates:
        return pl.DataFrame(schema=schema)
    return pl.concat([kept[d] if asked[d] == d else kept[asked[d]].with_columns(as_of=pl.lit(d, dtype=pl.Date))
                      for d in dates])


# (metric id, a year's last day) -> (prepared records, metric, {region_code: value}): annual values
_YEARS: dict[tuple, tuple] = {}


def value_table(metric: Metric | str, dates: Iterable[dt.date], source: FrameSource,
                metrics: Mapping[str, Metric] | None = None, regions: Iterable[str] | None = None) -> "ValueTable":
    """`compute`'s values as a `ValueTable` (the same numbers) without building frames for every
    call: a look-up in the metric's `DateIndex`, or its kept values per year for annual data.
    ``regions``: the region codes to be looked up (the others may be left out), default all."""
    metrics = metrics or load_metrics()
    m = metrics[metric] if isinstance(metric, str) else metric
    dates = sorted(set(dates))
    if _indexed(m):
        return ValueTable(date_index(m, source).lookup(dates, regions), m)
    if m.window != "fiscal_year" or m.aggregation == "ratio":
        return ValueTable(compute(m, dates, source, metrics), m)
    ends = {d: dt.date(d.year, 12, 31) for d in dates}
    df = _prepared(m, source)
    per_end: dict[dt.date, dict] = _kept(_YEARS, m, df, set(ends.values()))
    missing = sorted(set(ends.values()) - set(per_end))
    if missing:
        new = compute(m, missing, source, metrics)
        per_end.update({e: {} for e in missing})
        for r, e, v in zip(new.get_column("region_code").to_list(), new.get_column("as_of").to_list(),
                           new.get_column("value").to_list()):
            per_end[e][r] = v
        _keep(_YEARS, m, df, {e: per_end[e] for e in missing})
    if regions is None:
        return ValueTable({(r, d): v for d in dates for r, v in per_end[ends[d]].items()}, m)
    regions = list(dict.fromkeys(regions))
    return ValueTable({(r, d): year[r] for d in dates if (year := per_end[ends[d]]) for r in regions if r in year}, m)


def zero(metric: Metric) -> Any:
    return None if metric.aggregation == "ratio" else (0 if metric.aggregation in ("count", "distinct") else Decimal(0))


def value_of(values: pl.DataFrame, metric: Metric, region_code: str, d: dt.date) -> Any:
    """One value from a `compute` result; a region/date without records is zero (None for ratios)."""
    hit = values.filter((pl.col("region_code") == region_code) & (pl.col("as_of") == d))
    if hit.height == 0:
        return zero(metric)
    v = hit.item(0, "value")
    if isinstance(v, Decimal):
        return v.normalize() if v == v.to_integral_value() else v
    return v


_ABSENT = object()


class ValueTable:
    """A `compute` result as a dictionary, for many look-ups (the same answers as `value_of` and
    `has_value`)."""

    def __init__(self, values: pl.DataFrame | dict[tuple[str, dt.date], Any], metric: Metric):
        self.metric = metric
        if isinstance(values, dict):  # (region_code, date) -> value, as `value_table` gathers them
            self.map = values
        else:
            self.map = dict(zip(zip(values.get_column("region_code").to_list(), values.get_column("as_of").to_list()),
                                values.get_column("value").to_list()))

    def has(self, region_code: str, d: dt.date) -> bool:
        return (region_code, d) in self.map

    def value(self, region_code: str, d: dt.date) -> Any:
        v = self.map.get((region_code, d), _ABSENT)
        if v is _ABSENT:
            return zero(self.metric)
        if isinstance(v, Decimal):
            return v.normalize() if v == v.to_integral_value() else v
        return v


def has_value(values: pl.DataFrame, region_code: str, d: dt.date) -> bool:
    """Whether a `compute` result has records for the region and date (absent is not the same as zero
    for annual data not reported yet)."""
    return values.filter((pl.col("region_code") == region_code) & (pl.col("as_of") == d)).height > 0


def rows_behind(metric: Metric | str, region_code: str, d: dt.date, source: FrameSource,
                metrics: Mapping[str, Metric] | None = None, *,
                records: Callable[[str, list[int]], pl.DataFrame] | None = None) -> pl.DataFrame:
    """The ledger records counted in a metric's value for a region (its whole subtree) on a date,
    with the fields `source` gives (a plain `LedgerSource`: every field) and the region they are
    counted in. ``records(kind, ids)``: the records of those ids with the fields to show (e.g.
    `ledgers.load_frame` with ``ids``), read instead of the source's frame, so that the source
    need give only what metrics read (`metric_source`) and no kept frame grows to whole records."""
    metrics = metrics or load_metrics()
    m = metrics[metric] if isinstance(metric, str) else metric
    if m.aggregation == "ratio":
        m = metrics[m.ratio[0]]
    frame = source(m.kind)
    ent = source("enterprise") if m.region_by == "enterprise" and "uscc" in frame.columns else None
    counted = (_exploded(_prepare(m, frame, ent)).filter(pl.col("rollup_code") == region_code)
               .filter(window_expr(m, d)).select("id", pl.col("region_code").alias("_counted_in")))
    if records is not None:
        rows = records(m.kind, counted.get_column("id").to_list()).join(counted, on="id", how="inner",
                                                                        maintain_order="left")
    elif "id" in frame.columns:
        rows = frame.join(counted, on="id", how="inner", maintain_order="left")
    else:  # told by position, as `_prepare` numbered them
        rows = (frame.with_row_index("id").with_columns(pl.col("id").cast(pl.Int64))
                .join(counted, on="id", how="inner", maintain_order="left").drop("id"))
    return rows.with_columns(pl.col("_counted_in").alias("region_code")).drop("_counted_in")


def check_fields_against_kinds(kinds_dir: Path, metrics: Mapping[str, Metric] | None = None) -> list[str]:
    """Problems: metrics naming a ledger kind or field that the ledger kind files do not declare."""
    metrics = metrics or load_metrics()
    declared: dict[str, set[str]] = {}
    for p in sorted(kinds_dir.glob("*.yaml")):
        raw = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        fields = raw.get("fields") or []
        ids = set()
        for f in fields:
            if isinstance(f, dict) and "id" in f:
                ids.add(str(f["id"]))
            elif isinstance(f, str):
                ids.add(f)
        if isinstance(fields, dict):
            ids = set(map(str, fields))
        declared[str(raw.get("id") or p.stem)] = ids | {"key", "region_code", "uscc", "year", "record_date"}
    problems = []
    for m in metrics.values():
        if m.kind is None:
            continue
        if m.kind not in declared:
            problems.append(f"{m.id}: 台账种类“{m.kind}”未声明")
            continue
        for f in sorted(m.fields() - declared[m.kind]):
            problems.append(f"{m.id}: 台账“{m.kind}”没有字段“{f}”")
    return problems
