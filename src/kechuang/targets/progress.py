"""Progress of targets: current value, completion rate (完成率), time-pro-rata pace (序时进度), status
from ONE rule for all regions (data/status.yaml), last year's seasonal curve for information, and
snapshots for history charts."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from .metrics import DATA_DIR, FrameSource, Metric, MetricError, ValueTable, load_metrics, value_table
from .store import COMPARATOR_LABELS, Target, TargetSnapshot
from ..regions import scope_of
from ..units import UnitError, convert

STATUS_FILE = DATA_DIR / "status.yaml"
Q4 = Decimal("0.0001")


@dataclass(frozen=True)
class StatusRules:
    done: str
    bands: tuple[tuple[str, Decimal], ...]
    over_limit: str
    within_limit: str = "正常"
    not_started: str = "未开始"
    no_data: str = "暂无数据"
    implausible_share: Decimal | None = None

    @property
    def labels(self) -> list[str]:
        return list(dict.fromkeys([self.done, *[b[0] for b in self.bands], self.within_limit, self.over_limit,
                                   self.not_started, self.no_data]))

    def describe(self) -> list[str]:
        """The rule in Chinese, as the targets page states it."""
        bands = [f"进度比 ≥ {_pct(m)} 为“{label}”" for label, m in self.bands[:-1]]
        return [
            "完成率 = 当前值 ÷ 目标值;序时进度 = 统计日在目标年度中已过的天数 ÷ 全年天数(年度结束后为 100%);"
            "比率类指标(如研发投入强度)是全年要保持的水平,序时进度按 100% 计;进度比 = 完成率 ÷ 序时进度。",
            f"当前值达到目标值为“{self.done}”;否则" + ",".join(bands) + f",其余为“{self.bands[-1][0]}”。",
            f"上限类目标(不超过):未超过上限为“{self.within_limit}”,超过为“{self.over_limit}”。",
            f"目标年度尚未开始为“{self.not_started}”;台账尚无该期数据(如年度数据次年才报送)为“{self.no_data}”。",
            "所有地区使用同一规则:同一天、同样的完成率,状态相同。",
        ]


def _pct(d: Decimal) -> str:
    return f"{(d * 100).normalize():f}%"


def parse_status(raw: Any, path: Path = STATUS_FILE) -> StatusRules:
    try:
        bands = tuple((str(b["status"]), Decimal(str(b["min_ratio"]))) for b in raw["bands"])
        bands = tuple(sorted(bands, key=lambda b: -b[1]))
        rules = StatusRules(str(raw["done"]), bands, str(raw.get("over_limit") or bands[-1][0]),
                            str(raw.get("within_limit") or bands[0][0]), str(raw.get("not_started") or "未开始"),
                            str(raw.get("no_data") or "暂无数据"),
                            Decimal(str(raw["implausible_share"])) if raw.get("implausible_share") else None)
    except (KeyError, TypeError, ValueError, ArithmeticError, IndexError) as exc:
        raise MetricError(f"状态阈值文件 {path.name} 格式错误:{exc!r}") from None
    if not rules.bands or rules.bands[-1][1] != 0:
        raise MetricError(f"状态阈值文件 {path.name}:最后一档的 min_ratio 必须为 0")
    return rules


@lru_cache(maxsize=2)
def status_rules(path: str = str(STATUS_FILE)) -> StatusRules:
    return parse_status(yaml.safe_load(Path(path).read_text(encoding="utf-8")), Path(path))


def _dec(v: Any) -> Decimal | None:
    if v is None:
        return None
    return v if isinstance(v, Decimal) else Decimal(str(v))


def _num(v: Decimal | None) -> int | float | None:
    """JSON number of an exact value (integers stay integers)."""
    if v is None:
        return None
    if v == v.to_integral_value():
        return int(v)
    return float(v.quantize(Decimal("0.000001")).normalize())


def json_number(v: Any) -> int | float | None:
    """A figure of a progress row as `Progress.to_json` gives it."""
    return _num(_dec(v))


@lru_cache(maxsize=1024)  # the same few days for every target of a page
def year_fraction(d: dt.date) -> Decimal:
    days = 366 if calendar.isleap(d.year) else 365
    return Decimal(d.timetuple().tm_yday) / Decimal(days)


def effective_date(year: int, today: dt.date) -> dt.date:
    """The date progress is measured on: today within the target's year, else the year's end/start."""
    if today.year > year:
        return dt.date(year, 12, 31)
    if today.year < year:
        return dt.date(year, 1, 1)
    return today


@lru_cache(maxsize=1024)
def _minus_year(d: dt.date) -> dt.date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February
        return d.replace(year=d.year - 1, day=28)


@dataclass
class Progress:
    target: Target
    metric: Metric | None
    as_of: dt.date
    current: Decimal | None = None
    expected: Decimal | None = None
    share: Decimal | None = None
    pace: Decimal | None = None
    status: str | None = None
    error: str = ""
    implausible: bool = False  # completion rate above the plausible limit: check the binding
    # the ledger's values the reference figures below are read from (None: there are none)
    values: ValueTable | None = field(default=None, repr=False, compare=False)

    # The reference figures (the linear and last year's seasonal expectation, the starting value)
    # are for the API and a target's own page; the progress table and its charts never read them,
    # so they are computed on first read, not for every target of every date viewed.
    @property
    def expected_linear(self) -> Decimal | None:
        return self._reference()[0]

    @property
    def expected_seasonal(self) -> Decimal | None:
        return self._reference()[1]

    @property
    def baseline(self) -> Decimal | None:
        return self._reference()[2]

    def _reference(self) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
        ref = self.__dict__.get("_ref")
        if ref is None:
            ref = self.__dict__["_ref"] = (_reference(self, self.metric, self.values)
                                           if self.values is not None and self.metric is not None else (None,) * 3)
        return ref

    def to_json(self) -> dict:
        t = self.target
        return {
            "id": t.id,
            "region": t.region,
            "region_code": t.region_code,
            "indicator": t.indicator,
            "metric": t.metric_id if t.binding_status == "bound" else None,
            "metric_name": self.metric.name if self.metric else None,
            "period": t.period,
            "comparator": t.comparator,
            "target": _num(_dec(t.value)),
            "unit": t.unit,
            "current": _num(self.current),
            "share": _num(self.share),
            "pace": _num(self.pace),
            "expected": _num(self.expected),
            "expected_linear": _num(self.expected_linear),
            "expected_seasonal": _num(self.expected_seasonal),
            "status": self.status,
            "implausible": self.implausible,
            "as_of": self.as_of.isoformat(),
            "source": {"doc": t.source_doc, "quote": t.source_quote},
            **({"error": self.error} if self.error else {}),
        }


def judge(p: Progress, rules: StatusRules) -> str | None:
    """The status from the completion rate and the pace only (data/status.yaml; the same rule for
    every region)."""
    t, cur = p.target, p.current
    if p.pace is None:
        return None
    if cur is None:
        return rules.no_data
    goal = _dec(t.value)
    if t.comparator in ("<=", "<"):
        ok = cur <= goal if t.comparator == "<=" else cur < goal
        return rules.within_limit if ok else rules.over_limit
    if (cur > goal) if t.comparator == ">" else (cur >= goal):
        return rules.done
    share = cur / goal if goal else Decimal(1)
    ratio = Decimal(1) if p.pace <= 0 else share / p.pace
    for label, minimum in rules.bands:
        if ratio >= minimum:
            return label
    return rules.bands[-1][0]


def compute_progress(targets: Iterable[Target], source: FrameSource, today: dt.date | None = None,
                     rules: StatusRules | None = None) -> list[Progress]:
    """Progress of each target on `today` (clipped into the target's year)."""
    today = today or dt.date.today()
    return progress_series(targets, source, [today], rules)[today]


def progress_series(targets: Iterable[Target], source: FrameSource, days: Iterable[dt.date],
                    rules: StatusRules | None = None) -> dict[dt.date, list[Progress]]:
    """Progress of each target on each of ``days``; every metric is computed once for all of them."""
    rules = rules or status_rules()
    metrics = load_metrics()
    targets, days = list(targets), sorted(set(days))
    out: dict[dt.date, dict[int, Progress]] = {d: {} for d in days}
    by_metric: dict[str, list[tuple[dt.date, Target]]] = {}
    for today in days:
        for t in targets:
            m = metrics.get(t.metric_id) if t.binding_status == "bound" and t.metric_id else None
            out[today][t.id] = p = Progress(t, m, effective_date(t.year, today), error=t.problem or "")
            if m is not None and today < dt.date(t.year, 1, 1):  # a 2027 target in 2026
                p.pace, p.status = Decimal(0), rules.not_started
                continue
            if m is not None:
                by_metric.setdefault(m.id, []).append((today, t))
            elif t.binding_status == "bound":
                p.error = f"指标“{t.metric_id}”不存在"
    for mid, pairs in by_metric.items():
        m = metrics[mid]
        dates: set[dt.date] = set()
        for today, year in {(today, t.year) for today, t in pairs}:
            e = effective_date(year, today)
            dates |= {e, _minus_year(e), dt.date(year - 1, 12, 31), dt.date(year - 2, 12, 31)}
        try:
            values = value_table(m, dates, source, metrics, regions={t.region_code for _, t in pairs})
        except (MetricError, ImportError) as exc:
            for today, t in pairs:
                out[today][t.id].error = str(exc) if isinstance(exc, MetricError) else "台账尚不可用"
            continue
        for today, t in pairs:
            p = out[today][t.id]
            try:
                _fill(p, m, values, rules)
            except UnitError as exc:
                p.error = str(exc)
    return {d: [out[d][t.id] for t in targets] for d in days}


@lru_cache(maxsize=1024)
def _pace(frac: Decimal) -> Decimal:
    return frac.quantize(Q4, ROUND_HALF_UP)


_ONE, _ZERO, Q6 = Decimal(1), Decimal(0), Decimal("0.000001")


def _reader(m: Metric, t: Target, values: ValueTable):
    """The metric's value for the target's region on a day, as an exact number in the target's unit
    (None where the ledger has none)."""
    code, same_unit, get = t.region_code, m.unit == t.unit, values.value

    def v(d: dt.date) -> Decimal | None:
        raw = get(code, d)
        if raw is None:
            return None
        x = raw if isinstance(raw, Decimal) else Decimal(raw) if isinstance(raw, int) else Decimal(str(raw))
        return x if same_unit else convert(x, m.unit, t.unit)

    return v


def _is_level(m: Metric, t: Target) -> bool:
    """A level to hold (a ratio, a ceiling) is judged against the whole target; an amount against
    the days gone."""
    return m.aggregation == "ratio" or t.comparator in ("<=", "<")


def _fill(p: Progress, m: Metric, values: ValueTable, rules: StatusRules) -> None:
    t, e = p.target, p.as_of
    goal = _dec(t.value)
    p.pace = pace = _ONE if _is_level(m, t) else _pace(year_fraction(e) if e.year == t.year else _ONE)
    if m.unit != t.unit:
        convert(_ZERO, m.unit, t.unit)  # units of different kinds: a UnitError for the target, on every date
    p.values = values
    if m.window == "fiscal_year" and not values.has(t.region_code, e):
        current = None  # the year's annual figures are not reported yet: no data, not zero
        p.error = f"台账尚无 {e.year} 年度数据(年度数据在次年报送)"
    else:
        current = _reader(m, t, values)(e)
    # what the status compares with: the target times the pace (the same for every region)
    p.expected = (goal * pace).quantize(Q4, ROUND_HALF_UP)
    if current is not None:
        p.current = current = current.quantize(Q6, ROUND_HALF_UP)
        if goal:
            p.share = (current / goal).quantize(Q4, ROUND_HALF_UP)
    p.status = judge(p, rules)
    p.implausible = bool(p.share is not None and rules.implausible_share is not None
                         and p.share > rules.implausible_share)


def _reference(p: Progress, m: Metric, values: ValueTable) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    """(expected_linear, expected_seasonal, baseline) of a filled `Progress`: where the days gone
    and where last year's pace would put the target's region, and what it started the year from."""
    t, e = p.target, p.as_of
    goal, v = _dec(t.value), _reader(m, t, values)
    frac = year_fraction(e) if e.year == t.year else _ONE
    seasonal = baseline = None
    if _is_level(m, t):  # a ratio or a ceiling is a level to hold, not an amount to accumulate
        linear = goal
    elif m.is_stock:
        prev_end, prev2_end = v(dt.date(t.year - 1, 12, 31)), v(dt.date(t.year - 2, 12, 31))
        prev_same = v(_minus_year(e))
        baseline = prev_end or _ZERO
        linear = baseline + (goal - baseline) * frac
        last_gain = (prev_end or 0) - (prev2_end or 0)
        if prev_end is not None and prev2_end is not None and last_gain > 0 and prev_same is not None:
            share = min(max((prev_same - prev2_end) / last_gain, _ZERO), _ONE)
            seasonal = baseline + (goal - baseline) * share
    else:
        baseline = _ZERO
        linear = goal * frac
        prev_end = v(dt.date(t.year - 1, 12, 31))
        prev_same = v(_minus_year(e)) if prev_end and prev_end > 0 else None
        if prev_end and prev_end > 0 and prev_same is not None:
            seasonal = goal * min(prev_same / prev_end, _ONE)
    return tuple(None if x is None else x.quantize(Q4, ROUND_HALF_UP) for x in (linear, seasonal, baseline))


# ---------------------------------------------------------------- snapshots

def take_snapshots(session: Session, progress: Iterable[Progress]) -> int:
    """Store (or refresh) one snapshot per target and date."""
    n = 0
    for p in progress:
        if p.target.binding_status != "bound" or p.current is None:
            continue
        snap = session.scalar(select(TargetSnapshot).where(
            TargetSnapshot.target_id == p.target.id, TargetSnapshot.as_of == p.as_of))
        if snap is None:
            snap = TargetSnapshot(target_id=p.target.id, as_of=p.as_of)
            session.add(snap)
        snap.current, snap.expected, snap.share, snap.status = p.current, p.expected, p.share, p.status
        n += 1
    session.flush()
    return n


def month_ends(year: int, until: dt.date) -> list[dt.date]:
    out = []
    for month in range(1, 13):
        d = dt.date(year, month, calendar.monthrange(year, month)[1])
        if d > until:
            break
        out.append(d)
    if until.year == year and (not out or out[-1] != until):
        out.append(until)
    return out


def backfill_snapshots(session: Session, targets: list[Target], source: FrameSource, until: dt.date) -> int:
    """Snapshots at each month end of the targets' years up to `until` (from the dated ledger)."""
    n = 0
    years = sorted({t.year for t in targets})
    for y in years:
        ts = [t for t in targets if t.year == y]
        for d in month_ends(y, min(until, dt.date(y, 12, 31))):
            n += take_snapshots(session, compute_progress(ts, source, d))
    return n


def record_history(session: Session, targets: list[Target], source: FrameSource, today: dt.date) -> int:
    """Record the history of bound targets from the dated ledger, without any command: a snapshot at
    each month end of the target's year not yet recorded, and today's (refreshed). Called when a
    target is bound, when its page is opened and after a ledger import."""
    bound = [t for t in targets if t.binding_status == "bound" and t.metric_id and today >= dt.date(t.year, 1, 1)]
    if not bound:
        return 0
    have = {(s.target_id, s.as_of): s for s in session.scalars(
        select(TargetSnapshot).where(TargetSnapshot.target_id.in_([t.id for t in bound])))}
    n = 0
    for y in sorted({t.year for t in bound}):
        ts = [t for t in bound if t.year == y]
        days = month_ends(y, min(today, dt.date(y, 12, 31)))
        todo = [t for t in ts if today in days or any((t.id, d) not in have for d in days)]
        series = progress_series(todo, source, days) if todo else {}
        for d, rows in series.items():
            for p in rows:
                if p.current is None or ((p.target.id, d) in have and d != today):
                    continue
                snap = have.get((p.target.id, d))
                if snap is None:
                    snap = have[(p.target.id, d)] = TargetSnapshot(target_id=p.target.id, as_of=d)
                    session.add(snap)
                snap.current, snap.expected, snap.share, snap.status = p.current, p.expected, p.share, p.status
                n += 1
    session.flush()
    return n


def record_after_import(engine, kinds: Iterable[str], today: dt.date | None = None) -> int:
    """After a ledger import: the history of this year's bound targets whose metrics read a changed
    ledger kind (the enterprise ledger moves every enterprise-counted metric)."""
    from kechuang import db

    from .metrics import metric_source
    from .store import list_targets

    kinds = set(kinds)
    today = today or dt.date.today()
    metrics = load_metrics()

    def reads(m: Metric) -> bool:
        if m.ratio:
            return any(reads(metrics[x]) for x in m.ratio)
        return m.kind in kinds or ("enterprise" in kinds and m.region_by == "enterprise")

    wanted = {m.id for m in metrics.values() if reads(m)}
    with db.session_scope(engine) as session:
        targets = [t for t in list_targets(session, year=today.year, binding="bound") if t.metric_id in wanted]
        return record_history(session, targets, metric_source(engine), today)


def history(session: Session, target_id: int) -> list[TargetSnapshot]:
    return list(session.scalars(select(TargetSnapshot).where(TargetSnapshot.target_id == target_id)
                                .order_by(TargetSnapshot.as_of)))


# ---------------------------------------------------------------- report helpers (CLI and web)

@dataclass(frozen=True, slots=True)
class TargetRow:
    """A target's columns as plain values, read as a `Target` is read (progress, tables, charts):
    kept between requests without a session, and read many times per view at no ORM cost."""
    id: int
    region_code: str
    region: str
    indicator: str
    metric_id: str | None
    period: str
    year: int
    comparator: str
    value: Decimal
    unit: str
    source_statement_id: int | None
    source_doc: str
    source_quote: str
    binding_status: str
    problem: str

    @classmethod
    def of(cls, t: Target) -> TargetRow:
        return cls(t.id, t.region_code, t.region, t.indicator, t.metric_id, t.period, t.year, t.comparator,
                   t.value, t.unit, t.source_statement_id, t.source_doc, t.source_quote, t.binding_status,
                   t.problem)


def kept_targets(session: Session, *, region_code: str | None = None, year: int | None = None) -> tuple[TargetRow, ...]:
    """The bound and unbound targets `progress_report` reads, as plain rows kept until the targets
    change (`kechuang.cache`: only where data versions are observed, as in a web request)."""
    from .. import cache
    from .store import list_targets

    def load():
        return tuple(TargetRow.of(t) for t in list_targets(session, year=year, region_codes=scope_of(region_code),
                                                             binding=("bound", "unbound")))

    return cache.cached(("targets", str(session.get_bind().url), region_code, year), load, reads=("targets",))


def progress_report(session: Session, engine, *, region_code: str | None = None, year: int | None = None,
                    today: dt.date | None = None, include_dismissed: bool = False,
                    source: FrameSource | None = None) -> list[Progress]:
    from .metrics import metric_source
    from .store import list_targets

    binding = None if include_dismissed else ("bound", "unbound")
    targets = list_targets(session, year=year, region_codes=scope_of(region_code), binding=binding)
    return compute_progress(targets, source or metric_source(engine), today)


COLUMNS = {
    "region": "地区", "region_code": "地区代码", "indicator": "指标(原文)", "metric_name": "对应指标",
    "period": "期限", "comparator": "比较", "target": "目标值", "unit": "单位", "current": "当前值",
    "share": "完成率", "pace": "序时进度", "expected": "序时进度应达", "status": "状态", "as_of": "统计日期",
    "source_doc": "来源文件", "source_quote": "原文",
}


def progress_frame(rows: list[Progress]):
    """One row per target with Chinese column labels, for Excel."""
    import polars as pl

    data = []
    for p in rows:
        j = p.to_json()
        j["source_doc"], j["source_quote"] = j["source"]["doc"], j["source"]["quote"]
        j["comparator"] = COMPARATOR_LABELS.get(j["comparator"], j["comparator"])
        data.append({label: j.get(key) for key, label in COLUMNS.items()})
    schema = {label: (pl.Float64 if key in ("target", "current", "share", "pace", "expected") else pl.Utf8)
              for key, label in COLUMNS.items()}
    return pl.DataFrame(data, schema=schema, strict=False)
