"""Application windows (申报窗口, windows.yaml beside this module): when enterprises may apply for a program in a
year, issued for a region and everything below it. Loaded once, checked field by field; a bad file
is refused with the entry, field and value named in Chinese (docs/programs.md §9)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

WINDOWS_FILE = Path(__file__).with_name("windows.yaml")
LEVELS = {"national": "国家", "province": "省", "city": "市", "district": "县(市、区)"}
STATES = {"upcoming": "未开始", "open": "申报中", "closed": "已截止"}


class WindowError(ValueError):
    """A bad windows file (message in Chinese, naming file, entry, field and value)."""


@dataclass(frozen=True)
class Window:
    id: str
    program: str
    year: int
    level: str
    region_code: str  # "" = 全国
    issuer: str
    title: str
    opens_on: dt.date
    closes_on: dt.date
    notice: str
    source: str
    cite: str
    demo: bool = False

    @property
    def level_label(self) -> str:
        return LEVELS[self.level]

    def state(self, today: dt.date) -> str:
        if today < self.opens_on:
            return "upcoming"
        return "open" if today <= self.closes_on else "closed"

    def state_label(self, today: dt.date) -> str:
        return STATES[self.state(today)]

    def days_left(self, today: dt.date) -> int:
        """Days from today to the last day (0 on the last day itself)."""
        return (self.closes_on - today).days

    def covers(self, region_code: str) -> bool:
        """Whether an enterprise registered in ``region_code`` may apply through this window."""
        if not self.region_code:
            return True
        from ..regions import registry

        return registry().is_within(region_code, self.region_code)


_REQUIRED = ("id", "program", "year", "level", "issuer", "title", "opens_on", "closes_on", "notice")


def _date(raw, where: str, label: str) -> dt.date:
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    try:
        return dt.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise WindowError(f"{where}:字段“{label}”的值“{raw}”不是日期(应为 YYYY-MM-DD)") from None


def parse_windows(raw, name: str = WINDOWS_FILE.name) -> list[Window]:
    """Check every entry of a windows file; the first problem is raised."""
    from ..regions import registry
    from .catalog import program_names

    if not isinstance(raw, list):
        raise WindowError(f"申报窗口文件 {name}:内容应为条目列表")
    out, seen = [], set()
    for i, e in enumerate(raw, 1):
        where = f"申报窗口文件 {name} 第 {i} 条"
        if not isinstance(e, dict):
            raise WindowError(f"{where}:应为键值条目")
        for key in _REQUIRED:
            if e.get(key) in (None, ""):
                raise WindowError(f"{where}:缺少字段“{key}”")
        wid = str(e["id"])
        where = f"申报窗口文件 {name} 第 {i} 条({wid})"
        if wid in seen:
            raise WindowError(f"{where}:编号“{wid}”重复")
        seen.add(wid)
        if e["program"] not in program_names():
            raise WindowError(f"{where}:字段“program”的值“{e['program']}”不是已知的培育项目")
        if e["level"] not in LEVELS:
            raise WindowError(f"{where}:字段“level”的值“{e['level']}”无效,应为 {'/'.join(LEVELS)} 之一")
        try:
            year = int(e["year"])
        except (TypeError, ValueError):
            year = 0
        if not 2000 <= year <= 2100 or isinstance(e["year"], bool):
            raise WindowError(f"{where}:字段“year”的值“{e['year']}”不是年份")
        code = str(e.get("region_code") or "")
        if code and code not in registry():
            raise WindowError(f"{where}:字段“region_code”的值“{code}”不是已知的行政区划代码")
        if (e["level"] == "national") != (code == ""):
            raise WindowError(f"{where}:字段“region_code”的值“{code}”与级别“{e['level']}”不符"
                              "(国家级窗口的地区代码为空,其他级别必须填写)")
        opens, closes = _date(e["opens_on"], where, "opens_on"), _date(e["closes_on"], where, "closes_on")
        if closes < opens:
            raise WindowError(f"{where}:字段“closes_on”的值“{closes}”早于开始日期 {opens}")
        demo = bool(e.get("demo"))
        if not demo and not str(e.get("source") or "").strip():
            raise WindowError(f"{where}:非演示条目必须在字段“source”中注明公开通知的出处")
        if demo and "演示" not in str(e["title"]):
            raise WindowError(f"{where}:演示条目的标题“{e['title']}”须标明“演示”")
        out.append(Window(wid, str(e["program"]), year, str(e["level"]), code, str(e["issuer"]), str(e["title"]),
                          opens, closes, str(e["notice"]), str(e.get("source") or ""), str(e.get("cite") or ""),
                          demo))
    return sorted(out, key=lambda w: (w.opens_on, w.id))


def load_windows(path: Path) -> list[Window]:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise WindowError(f"申报窗口文件 {path.name} 不是有效的 YAML:{exc}") from None
    return parse_windows(raw, path.name)


@lru_cache(maxsize=1)
def windows() -> tuple[Window, ...]:
    return tuple(load_windows(WINDOWS_FILE))


def windows_for(program: str | None = None, region_code: str | None = None) -> list[Window]:
    """Windows of a program (or all) that concern a region: issued for it, above it or below it."""
    from ..regions import registry

    out = []
    for w in windows():
        if program and w.program != program:
            continue
        if region_code and w.region_code and not (registry().is_within(region_code, w.region_code)
                                                  or registry().is_within(w.region_code, region_code)):
            continue
        out.append(w)
    return out


def closing_soon(today: dt.date, days: int) -> list[Window]:
    """Windows open on ``today`` whose last day is at most ``days`` days away."""
    return [w for w in windows() if w.state(today) == "open" and w.days_left(today) <= days]
