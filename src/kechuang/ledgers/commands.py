"""Command line: ``kechuang ledger import|export|template|kinds`` and ``kechuang demo-data``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()
err = Console(stderr=True)

ledger_app = typer.Typer(help="台账 ledgers: 导入、导出、模板", no_args_is_help=True)


def _kind_or_exit(name: str):
    from .kinds import KindError, get_kind

    try:
        return get_kind(name)
    except KindError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2)


def _region_or_exit(text: str | None) -> str | None:
    if not text:
        return None
    from ..regions import RegionError, lookup

    try:
        return lookup(text).code
    except RegionError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2)


def _user_scope(username: str | None, region: str | None) -> tuple[str, str | None]:
    from ..cliutil import writer_scope

    return writer_scope(username, region)


@ledger_app.command("kinds")
def kinds_cmd() -> None:
    """列出台账类型 List ledger kinds."""
    from .kinds import all_kinds

    table = Table("标识", "名称", "关键字段", "字段数", "说明")
    for k in all_kinds().values():
        table.add_row(k.id, k.name, "、".join(k.field(f).label for f in k.key), str(len(k.fields)),
                      k.description)
    console.print(table)


@ledger_app.command("import")
def import_cmd(
    kind: str = typer.Argument(..., help="台账类型（如 企业、企业年度数据、enterprise）"),
    file: Path = typer.Argument(..., help=".xlsx / .xls / .csv 文件"),
    user: str = typer.Option(None, "--user", help="以该用户身份导入（限其管辖地区）"),
    region: str = typer.Option(None, "--region", help="只允许导入该地区及下级的记录"),
    max_problems: int = typer.Option(200, help="最多显示的问题条数（全部问题可用 --report 保存）"),
    report_path: Path = typer.Option(None, "--report", help="把全部问题写入 .xlsx 或 .csv"),
) -> None:
    """导入台账文件 Import a ledger file (all-or-nothing)."""
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    from .. import db
    from .importer import import_file

    k = _kind_or_exit(kind)
    username, root = _user_scope(user, region)
    engine = db.get_engine()
    db.upgrade()
    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), TaskProgressColumn(),
                  TimeElapsedColumn(), console=err, transient=True) as prog:
        task = prog.add_task(f"导入{k.name}", total=4)

        def step(label: str, done: int, total: int) -> None:
            prog.update(task, description=f"{k.name}：{label}", completed=done, total=total)

        report = import_file(engine, k, file, username=username, scope_root=root, progress=step)
    for w in report.warnings:
        err.print(f"[yellow]提示：{w}[/]")
    if not report.ok:
        table = Table("工作表", "行", "列", "值", "原因", title=f"{report.file}：{report.summary()}")
        for p in report.problems[:max_problems]:
            table.add_row(p.sheet or "", str(p.row or ""), p.column or "", "" if p.value is None else str(p.value),
                          p.reason)
        err.print(table)
        if len(report.problems) > max_problems:
            err.print(f"……另有 {len(report.problems) - max_problems} 个问题未显示")
        if report_path:
            _write_problems(report.problems, report_path)
            err.print(f"全部问题已写入 {report_path}")
        raise typer.Exit(1)
    console.print(f"[green]{k.name}导入完成[/]：{report.summary()}")
    if report.inserted or report.updated:
        _refresh_dashboards(engine, k.id)


def _refresh_dashboards(engine, kind: str) -> None:
    """Decode the changed ledger for the dashboards here, so their next view does not wait for it."""
    from ..targets.metrics import warm
    from ..targets.progress import record_after_import

    with err.status("更新看板数据缓存……"):
        warm(engine, [kind])
        record_after_import(engine, [kind])  # the targets' history, without any command


def _write_problems(problems, path: Path) -> None:
    import polars as pl

    frame = pl.DataFrame([p.as_dict() for p in problems], schema={
        "file": pl.String, "sheet": pl.String, "row": pl.Int64, "column": pl.String,
        "value": pl.String, "reason": pl.String}).rename(
        {"file": "文件", "sheet": "工作表", "row": "行", "column": "列", "value": "值", "reason": "原因"})
    if path.suffix.lower() == ".csv":
        frame.write_csv(path, include_bom=True)
    else:
        from ..excel import write_xlsx

        write_xlsx(path, {"问题": frame})


@ledger_app.command("export")
def export_cmd(
    kind: str = typer.Argument(..., help="台账类型"),
    out: Path = typer.Option(..., "--out", help="输出 .xlsx 文件"),
    region: str = typer.Option(None, "--region", help="地区（含下级）代码或名称"),
    year: int = typer.Option(None, "--year", help="年度"),
    where: list[str] = typer.Option(None, "--where", help="字段筛选，如 --where cert_type=hnte（可多次）"),
) -> None:
    """导出台账 Export a ledger to Excel."""
    import polars as pl

    from .. import db
    from .excel_io import write_export
    from ..regions import scope_of
    from .store import load_frame

    k = _kind_or_exit(kind)
    code = _region_or_exit(region)
    frame = load_frame(db.get_engine(), k, scope_of(code))
    if year is not None:
        frame = frame.filter(pl.col("year") == year)
    for cond in where or []:
        if "=" not in cond:
            err.print(f"[red]筛选条件“{cond}”应为 字段=值[/]")
            raise typer.Exit(2)
        fid, value = cond.split("=", 1)
        fid = fid.strip()
        if fid not in frame.columns:
            labels = {f.label: f.id for f in k.fields}
            if fid not in labels:
                err.print(f"[red]台账“{k.name}”没有字段“{fid}”[/]")
                raise typer.Exit(2)
            fid = labels[fid]
        f = k.field(fid) if k.has(fid) else None
        if f is not None and f.type == "enum":
            value = f.enum_lookup().get(value, value)
        frame = frame.filter(pl.col(fid).cast(pl.String) == value)
    write_export(k, frame, out)
    console.print(f"[green]已导出[/] {frame.height} 条{k.name}记录 → {out}")


@ledger_app.command("template")
def template_cmd(
    kind: str = typer.Argument(..., help="台账类型"),
    out: Path = typer.Option(..., "--out", help="输出 .xlsx 文件"),
) -> None:
    """生成空白导入模板 Write an empty import template."""
    from .excel_io import write_template

    k = _kind_or_exit(kind)
    write_template(k, out)
    console.print(f"[green]已生成模板[/] {k.name} → {out}")


def demo_data_cmd(
    city: str = typer.Option(..., "--city", help="城市名称或代码，如 扬州市"),
    enterprises: int = typer.Option(20000, "--enterprises", help="企业数"),
    seed: int = typer.Option(2026, "--seed", help="随机种子（相同种子生成相同数据）"),
    today: str = typer.Option("2026-11-25", "--today", help="“今天”的日期（决定年度数据与证书有效期）"),
    replace: bool = typer.Option(True, "--replace/--keep", help="先删除该城市已有的合成数据"),
) -> None:
    """生成合成演示台账（名称带“【演示】”标记） Generate a synthetic demo ledger set."""
    from .. import db
    from .demo import generate_city

    code = _region_or_exit(city)
    db.upgrade()
    engine = db.get_engine()
    from rich.progress import Progress

    with Progress(console=err, transient=True) as prog:
        task = prog.add_task("生成演示数据", total=None)

        def step(label: str, done: int, total: int) -> None:
            prog.update(task, description=label, completed=done, total=total)

        counts = generate_city(engine, code, enterprises=enterprises, seed=seed,
                               today=dt.date.fromisoformat(today), replace=replace, progress=step)
    table = Table("台账", "记录数", title="演示数据（合成，非真实企业）")
    from .kinds import get_kind

    for kid, n in counts.items():
        table.add_row(get_kind(kid).name, f"{n:,}")
    console.print(table)


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")
    app.command("demo-data")(demo_data_cmd)
