"""`kechuang targets …` and `kechuang assess`: target register, progress, snapshots, assessment."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..cliutil import date_or_exit

console = Console()
err = Console(stderr=True)

targets_app = typer.Typer(help="目标与进度 targets, metrics and progress", no_args_is_help=True)

STATUS_STYLE = {"已完成": "green", "正常": "cyan", "滞后": "yellow", "严重滞后": "red", "未开始": "dim", "暂无数据": "dim"}


def _fail(msg: str, code: int = 2):
    err.print(f"[red]{msg}[/]", highlight=False)
    raise typer.Exit(code)


def _region(text: str | None) -> str | None:
    if not text:
        return None
    from .store import TargetError, resolve_region

    try:
        return resolve_region(text)[0]
    except TargetError as exc:
        _fail(str(exc))


def _fmt(v) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:,.4g}" if abs(v) < 1 else f"{v:,.2f}".rstrip("0").rstrip(".")
    return f"{v:,}"


@targets_app.command("progress")
def progress_cmd(
    region: str = typer.Option(None, "--region", help="地区代码或名称(含下级)"),
    year: int = typer.Option(None, "--year", help="目标年度(默认今年)"),
    as_of: str = typer.Option(None, "--date", help="统计日期 YYYY-MM-DD(默认今天)"),
    fmt: str = typer.Option("table", "--format", help="table | jsonl | xlsx"),
    output: Path = typer.Option(None, "--output", "-o", help="xlsx 输出文件(默认 目标进度.xlsx)"),
) -> None:
    """目标进度:当前值、完成率、序时进度与状态 Progress of targets."""
    from kechuang import db

    from .progress import progress_frame, progress_report

    if fmt not in ("table", "jsonl", "xlsx"):
        _fail(f"--format “{fmt}” 无效,应为 table / jsonl / xlsx")
    today = date_or_exit(as_of)
    code = _region(region)
    with db.session_scope() as s:
        rows = progress_report(s, db.get_engine(), region_code=code, year=year or today.year, today=today)
        data = [p.to_json() for p in rows]
        frame = progress_frame(rows) if fmt == "xlsx" else None
    if fmt == "jsonl":
        for j in data:
            print(json.dumps(j, ensure_ascii=False))
        return
    if fmt == "xlsx":
        from kechuang.excel import write_xlsx

        path = output or Path("目标进度.xlsx")
        write_xlsx(path, {"目标进度": frame})
        console.print(f"已导出 {len(data)} 个目标到 {path}")
        return
    table = Table("ID", "地区", "指标", "目标", "当前", "完成率", "序时应达", "状态", title=f"目标进度({today})")
    for j in data:
        st = j["status"] or ("未绑定指标" if j["metric"] is None else j.get("error", "—"))
        table.add_row(str(j["id"]), j["region"], j["indicator"], f"{j['comparator']}{_fmt(j['target'])}{j['unit']}",
                      _fmt(j["current"]), "—" if j["share"] is None else f"{j['share'] * 100:.1f}%",
                      _fmt(j["expected"]), f"[{STATUS_STYLE.get(st, 'dim')}]{st}[/]")
    console.print(table)


@targets_app.command("import-statements")
def import_statements_cmd(
    user: str = typer.Option(None, "--user", help="以该用户身份登记(只取其所辖地区导入的文件中的目标)"),
    region: str = typer.Option(None, "--region", help="只登记该地区(名称或代码)及下级的文件中的目标"),
) -> None:
    """从文档抽取的目标语句登记目标(自动绑定指标)Register targets from the reader's statements."""
    from kechuang import db
    from kechuang.cliutil import writer_scope
    from kechuang.regions import registry

    from .store import import_statements

    username, root = writer_scope(user, region)
    codes = registry().subtree_codes(root) if root else None
    try:
        with db.session_scope() as s:
            new, bound = import_statements(s, username, region_codes=codes)
    except Exception as exc:  # the reader's tables may be missing in an old database
        if "statements" in str(exc) or "documents" in str(exc):
            _fail("尚无文档语句表,请先运行 kechuang db upgrade 并导入文档")
        raise
    console.print(f"新登记目标 {new} 个,其中自动绑定指标 {bound} 个,待人工绑定 {new - bound} 个")


@targets_app.command("add")
def add_cmd(
    region: str = typer.Option(..., "--region", help="地区代码或名称"),
    indicator: str = typer.Option(..., "--indicator", help="指标(原文写法)"),
    value: str = typer.Option(..., "--value", help="目标值"),
    unit: str = typer.Option(..., "--unit", help="单位,如 家 亿元 万平方米"),
    year: int = typer.Option(None, "--year", help="年度"),
    period: str = typer.Option("", "--period", help="期限,如 2024 或 2026年底"),
    comparator: str = typer.Option(">=", "--comparator", help=">= = <= ~"),
    metric: str = typer.Option(None, "--metric", help="指标 id(不填则按同义词表自动绑定)"),
    source: str = typer.Option("手工录入", "--source", help="来源文件"),
    quote: str = typer.Option("", "--quote", help="原文"),
) -> None:
    """手工录入目标 Add a target by hand."""
    from kechuang import db
    from kechuang.audit import record

    from .store import TargetError, add_target

    if not year and not period:
        year = dt.date.today().year
    try:
        with db.session_scope() as s:
            t = add_target(s, region=region, indicator=indicator, value=value, unit=unit, year=year,
                           period=period, comparator=comparator, metric_id=metric, source_doc=source,
                           source_quote=quote, created_by="cli")
            record(s, "cli", "create", "target", t.id, None, t.as_dict(), t.region_code)
            tid, mid = t.id, t.metric_id
    except TargetError as exc:
        _fail(str(exc))
    console.print(f"已登记目标 {tid}" + (f",绑定指标 {mid}" if mid else ",未识别指标,已进入待绑定队列"))


@targets_app.command("bind")
def bind_cmd(target_id: int = typer.Argument(..., help="目标 ID"),
             metric: str = typer.Argument(..., help="指标 id(见 kechuang targets metrics)"),
             confirm: bool = typer.Option(False, "--confirm", help="完成率超过 300% 时仍然绑定")) -> None:
    """把目标绑定(或改绑)到指标 Bind or rebind a target to a metric."""
    from kechuang import db

    from .metrics import metric_source
    from .store import TargetError, bind_target

    try:
        with db.session_scope() as s:
            bind_target(s, target_id, metric, "cli", source=metric_source(db.get_engine()), confirm=confirm)
    except TargetError as exc:
        _fail(str(exc))
    console.print(f"目标 {target_id} 已绑定指标 {metric}")


@targets_app.command("unbind")
def unbind_cmd(target_id: int = typer.Argument(..., help="目标 ID")) -> None:
    """解除目标与指标的绑定 Undo a binding (the target waits in the queue again)."""
    from kechuang import db

    from .store import TargetError, unbind_target

    try:
        with db.session_scope() as s:
            unbind_target(s, target_id, "cli")
    except TargetError as exc:
        _fail(str(exc))
    console.print(f"目标 {target_id} 已解除绑定")


@targets_app.command("dismiss")
def dismiss_cmd(target_id: int = typer.Argument(..., help="目标 ID")) -> None:
    """忽略无法度量的目标 Dismiss a target that no ledger measures."""
    from kechuang import db

    from .store import TargetError, dismiss_target

    try:
        with db.session_scope() as s:
            dismiss_target(s, target_id, "cli")
    except TargetError as exc:
        _fail(str(exc))
    console.print(f"目标 {target_id} 已忽略")


@targets_app.command("queue")
def queue_cmd() -> None:
    """待绑定指标的目标 Targets waiting for a metric."""
    from kechuang import db

    from .store import list_targets

    table = Table("ID", "地区", "指标(原文)", "目标", "来源")
    with db.session_scope() as s:
        for t in list_targets(s, binding="unbound"):
            table.add_row(str(t.id), t.region, t.indicator, f"{t.comparator}{t.value.normalize():f}{t.unit}",
                          t.source_doc)
    console.print(table)


@targets_app.command("metrics")
def metrics_cmd() -> None:
    """列出指标定义 List metric definitions."""
    from .metrics import load_metrics

    table = Table("id", "名称", "单位", "台账", "口径")
    for m in load_metrics().values():
        how = f"{m.ratio[0]} / {m.ratio[1]}" if m.ratio else f"{m.aggregation} {m.agg_field or ''} {m.window}"
        table.add_row(m.id, m.name, m.unit, m.kind or "—", how)
    console.print(table)


@targets_app.command("snapshot")
def snapshot_cmd(
    as_of: str = typer.Option(None, "--date", help="快照日期(默认今天)"),
    backfill: bool = typer.Option(False, "--backfill", help="按月末补齐本年度历史快照"),
) -> None:
    """保存进度快照(用于年度进度曲线)Store progress snapshots."""
    from kechuang import db

    from .metrics import metric_source
    from .progress import backfill_snapshots, compute_progress, take_snapshots
    from .store import list_targets

    today = date_or_exit(as_of)
    with db.session_scope() as s:
        targets = list_targets(s, year=today.year, binding="bound")
        source = metric_source(db.get_engine())
        if backfill:
            n = backfill_snapshots(s, targets, source, today)
        else:
            n = take_snapshots(s, compute_progress(targets, source, today))
    console.print(f"已保存 {n} 条进度快照")


@targets_app.command("demo")
def demo_cmd(year: int = typer.Option(None, "--year", help="年度(默认今年)")) -> None:
    """载入演示城市及各区县演示目标 Load the demo city's targets."""
    from kechuang import db

    from .demo import load_demo_targets
    from .metrics import MetricError, metric_source
    from .progress import record_history
    from .store import list_targets

    y = year or dt.date.today().year
    with db.session_scope() as s:
        n = load_demo_targets(s, y)
    try:  # their history from the dated demo ledgers, so the progress curves show at once
        with db.session_scope() as s:
            record_history(s, list_targets(s, year=y, binding="bound"), metric_source(db.get_engine()),
                           dt.date.today())
    except (MetricError, ImportError):
        pass
    console.print(f"已载入演示目标 {n} 个")


@targets_app.command("assess")
def assess_cmd(
    city: str = typer.Option(None, "--city", help="城市代码或名称(需有考核指标体系文件;只装有一个时可省略)"),
    as_of: str = typer.Option(None, "--date", help="统计日期(默认今天)"),
    fmt: str = typer.Option("table", "--format", help="table | jsonl | xlsx"),
    output: Path = typer.Option(None, "--output", "-o", help="xlsx 输出文件"),
) -> None:
    """考核排名:各区县/园区得分、分组与权重敏感性 Assessment ranking."""
    from kechuang import db

    from .assessment import assess, load_system, target_values
    from .metrics import MetricError, metric_source

    from .assessment import default_system

    code = _region(city) if city else default_system()
    if code is None:
        _fail("请用 --city 指定城市(名称或代码)")
    today = date_or_exit(as_of)
    try:
        system = load_system(code)
        with db.session_scope() as s:
            goals = target_values(s, today.year)
        result = assess(system, metric_source(db.get_engine()), today, goals)
    except (MetricError, ImportError) as exc:
        _fail(str(exc) if isinstance(exc, MetricError) else "台账尚不可用")
    if fmt == "jsonl":
        for row in result.to_json():
            print(json.dumps(row, ensure_ascii=False))
        return
    if fmt == "xlsx":
        from kechuang.excel import write_xlsx

        path = output or Path("考核排名.xlsx")
        write_xlsx(path, result.export_frames())
        console.print(f"已导出到 {path}")
        return
    table = Table("名次", "地区", "综合得分", "相对均值", "分组", "优势", "短板", title=f"{system.name}({today})")
    for row in result.to_json():
        table.add_row(str(row["rank"]), row["region"], f"{row['score'] or 0:.3f}",
                      f"{(row['relative'] or 0) * 100:.0f}%", row["group"], "、".join(row["strengths"]),
                      "、".join(row["weaknesses"]))
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(targets_app, name="targets")
