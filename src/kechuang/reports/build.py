"""The report's content: period, figures per target, lagging list, header from the editable template."""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..targets.overview import STATUS_COLORS
from ..targets.progress import Progress, progress_report, status_rules

TEMPLATE_FILE = Path(__file__).with_name("template.yaml")
TEMPLATE_ENV = "KECHUANG_REPORT_TEMPLATE"
TEMPLATE_KEYS = ("unit", "doc_number", "title", "intro", "closing", "signature")
WARNINGS_NOTE = "本报告期内没有触发预警规则的事项。"


class ReportError(ValueError):
    """Bad report request (period, template); the message is Chinese and names the value."""


@dataclass(frozen=True)
class ReportPeriod:
    year: int
    start: dt.date
    end: dt.date
    label: str  # 2026年第三季度 / 2026年7月
    code: str   # 2026Q3 / 2026-07


_QUARTERS = "一二三四"


def parse_period(text: str) -> ReportPeriod:
    """``2026Q3`` (quarter) or ``2026-07`` (month)."""
    raw = (text or "").strip()
    m = re.fullmatch(r"(\d{4})[Qq]([1-4])", raw)
    if m:
        y, q = int(m[1]), int(m[2])
        end_month = q * 3
        end = dt.date(y + (end_month == 12), end_month % 12 + 1, 1) - dt.timedelta(days=1)
        return ReportPeriod(y, dt.date(y, end_month - 2, 1), end, f"{y}年第{_QUARTERS[q - 1]}季度", f"{y}Q{q}")
    m = re.fullmatch(r"(\d{4})-?(\d{1,2})", raw)
    if m and 1 <= int(m[2]) <= 12:
        y, mo = int(m[1]), int(m[2])
        end = dt.date(y + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(days=1)
        return ReportPeriod(y, dt.date(y, mo, 1), end, f"{y}年{mo}月", f"{y}-{mo:02d}")
    raise ReportError(f"报告期“{raw[:40]}”无效:请填写季度(如 2026Q3)或月份(如 2026-07)")


def load_template(path: str | Path | None = None) -> dict[str, str]:
    """The department header: the file named by KECHUANG_REPORT_TEMPLATE, else the built-in one.
    Keys missing from an installation's file fall back to the built-in values."""
    base = yaml.safe_load(TEMPLATE_FILE.read_text(encoding="utf-8"))
    path = path or os.environ.get(TEMPLATE_ENV)
    if path:
        p = Path(path)
        try:
            own = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ReportError(f"报告模板文件 {p} 无法读取:{exc}") from None
        if not isinstance(own, dict):
            raise ReportError(f"报告模板文件 {p} 格式错误:应为“键: 值”形式")
        unknown = sorted(set(own) - set(TEMPLATE_KEYS))
        if unknown:
            raise ReportError(f"报告模板文件 {p} 含未知字段:{'、'.join(map(str, unknown))}"
                              f"(可用字段:{'、'.join(TEMPLATE_KEYS)})")
        base.update({k: str(v) for k, v in own.items() if v is not None})
    return {k: str(base.get(k) or "") for k in TEMPLATE_KEYS}


def _fill(text: str, values: dict[str, str], key: str) -> str:
    try:
        return text.format(**values)
    except (KeyError, IndexError, ValueError) as exc:
        raise ReportError(f"报告模板字段 {key} 的占位符无效:{exc}(可用:{{region}} {{period}} {{year}} {{as_of}})") from None


def _pct(v) -> str:
    return "—" if v is None else f"{float(v) * 100:.1f}%"


def _num(v) -> str:
    if v is None:
        return "—"
    return f"{float(v):,.2f}".rstrip("0").rstrip(".")


@dataclass
class Report:
    region_code: str
    region: str
    period: ReportPeriod
    as_of: dt.date
    header: dict[str, str]
    rows: list[Progress]
    lagging: list[Progress]
    counts: list[tuple[str, int]]
    warnings: list[str] = field(default_factory=list)
    warnings_note: str = WARNINGS_NOTE

    def figure_rows(self, rows: list[Progress] | None = None) -> list[list[str]]:
        """One printable row per target: 地区, 指标, 目标值, 当前值, 完成率, 序时进度, 状态."""
        out = []
        for p in self.rows if rows is None else rows:
            t = p.target
            out.append([t.region, t.indicator, f"{_num(t.value)}{t.unit}",
                        _num(p.current) if p.current is None else f"{_num(p.current)}{t.unit}",
                        _pct(p.share), _pct(p.pace), p.status or (p.error or "—")])
        return out

    def summary(self) -> str:
        parts = [f"{s}{n}项" for s, n in self.counts if n]
        total = len(self.rows)
        return (f"纳入统计的目标共{total}项" + (f",其中{'、'.join(parts)}" if parts else "") +
                f";滞后目标{len(self.lagging)}项。")

    def chart_bars(self) -> list[tuple[str, float, float | None, str]]:
        """(label, completion %, pace %, colour) per target with a completion rate."""
        many = len({p.target.region_code for p in self.rows}) > 1
        bars = []
        for p in self.rows:
            if p.share is None:
                continue
            label = f"{p.target.region}·{p.target.indicator}" if many else p.target.indicator
            pace = None if p.expected is None or not p.target.value else float(p.expected / p.target.value) * 100
            bars.append((label, float(p.share) * 100, pace, STATUS_COLORS.get(p.status or "", "#90a4ae")))
        return bars


HEADERS = ["地区", "指标", "目标值", "当前值", "完成率", "序时进度", "状态"]


def lagging_statuses() -> set[str]:
    """The statuses the pace rule (data/status.yaml) counts as behind: every band below the on-track
    one, and an upper-limit target over its limit."""
    rules = status_rules()
    return {label for label, _ in rules.bands[1:]} | {rules.over_limit}


def build_report(session, region_code: str, period: ReportPeriod, *, today: dt.date | None = None,
                 template: str | Path | None = None, source=None, visible=None) -> Report:
    """Progress of a region's bound targets at the end of ``period`` (or today, when earlier).
    ``visible(region_code)`` drops targets the reader may not see."""
    from ..regions import registry

    today = today or dt.date.today()
    if period.start > today:
        raise ReportError(f"报告期“{period.code}”尚未开始")
    as_of = min(period.end, today)
    reg = registry().get(region_code)
    name = reg.full_name if reg else region_code
    rows = progress_report(session, session.get_bind(), region_code=region_code, year=period.year,
                           today=as_of, source=source)
    rows = [p for p in rows if p.target.binding_status == "bound" and (visible is None or visible(p.target.region_code))]
    behind = lagging_statuses()
    lagging = [p for p in rows if p.status in behind]
    counts = [(s, sum(1 for p in rows if p.status == s)) for s in status_rules().labels]
    values = {"region": name, "period": period.label, "year": str(period.year),
              "as_of": f"{as_of.year}年{as_of.month}月{as_of.day}日"}
    header = {k: _fill(v, values, k) for k, v in load_template(template).items()}
    return Report(region_code, name, period, as_of, header, rows, lagging, counts,
                  warnings=_warnings(session, region_code, as_of, visible))


def _warnings(session, region_code: str, as_of: dt.date, visible) -> list[str]:
    """The warnings of the region and the regions under it on the report's day, as the 预警 page
    words them (the same rules file)."""
    from ..regions import registry
    from ..warnings import evaluate

    codes = registry().subtree_codes(region_code)
    return [w.text for w in evaluate(session, codes, today=as_of)
            if visible is None or visible(w.region_code)]
