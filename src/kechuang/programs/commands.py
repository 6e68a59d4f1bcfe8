"""Command line: ``kechuang evaluate`` and ``kechuang programs list|check|explain``."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from ..cliutil import date_or_exit

console = Console()
err = Console(stderr=True)

programs_app = typer.Typer(help="培育项目规则 programs (rules as data)", no_args_is_help=True)
STALE_DAYS = 365


def _load_rules():
    from .expr import RuleError
    from .model import all_programs

    try:
        return all_programs()
    except RuleError as exc:
        err.print(f"[red]规则文件有误：[/]{exc}")
        raise typer.Exit(2)


def evaluate_cmd(
    input: Path = typer.Option(None, "--input", "-i", help="企业画像文件 (CSV / xlsx)，按批读取"),
    region: str = typer.Option(None, "--region", help="按台账评价某地区(代码或名称)，结果按评价日期保存"),
    program: str = typer.Option("all", "--program", "-p", help="项目编号，如 hnte、tech_sme；all 为全部"),
    format: str = typer.Option("jsonl", "--format", "-f",
                               help="jsonl | xlsx | parquet(供程序读取) | table | summary(各项目结果汇总)"),
    out: Path = typer.Option(None, "--out", "-o", help="输出文件（默认：jsonl 输出到屏幕）"),
    as_of: str = typer.Option(None, "--as-of", help="评价日期 YYYY-MM-DD（默认今天；申报日期缺省时用它选择规则版本）"),
    engine: str = typer.Option("polars", "--engine", help="计算引擎：polars（单机，默认）| spark（Apache Spark，需 Java）"),
    table: str = typer.Option(None, "--table", help="Spark 表名（--engine spark 时代替 --input）"),
    master: str = typer.Option(None, "--master", help="Spark master（默认 SPARK_MASTER 或 local[2]；spark-submit 时由其指定）"),
    batch_rows: int = typer.Option(100_000, "--batch-rows", min=1, hidden=True, help="每批读取的企业数"),
) -> None:
    """评价企业是否符合培育项目条件 Evaluate enterprises against cultivation programs."""
    from .engine import program_ids
    from .profiles import ProfileError
    from .run import ENGINES, FORMATS, evaluate_batches, evaluate_file, missing_counts

    _load_rules()
    day = date_or_exit(as_of)
    if (table or master) and engine != "spark":
        err.print("[red]--table 与 --master 仅用于 --engine spark[/]")
        raise typer.Exit(2)
    if (bool(input) + bool(region) + bool(table)) != 1:
        err.print("[red]请指定 --input 文件、--region 地区或 --table 表（三者选一）[/]")
        raise typer.Exit(2)
    if region and engine != "polars":
        err.print("[red]按台账评价地区（--region）只用 polars 引擎[/]")
        raise typer.Exit(2)
    try:
        ids = program_ids(program)
    except KeyError as exc:
        err.print(f"[red]{exc.args[0]}[/]")
        raise typer.Exit(2)
    if format not in FORMATS:
        err.print(f"[red]不支持的输出格式“{format}”，可选 {'、'.join(FORMATS)}[/]")
        raise typer.Exit(2)
    if engine not in ENGINES:
        err.print(f"[red]不支持的计算引擎“{engine}”，可选 {'、'.join(ENGINES)}[/]")
        raise typer.Exit(2)
    regions: dict[str, str] = {}
    evaluated: list[str] = []  # the enterprises evaluated from the ledgers (--region)
    if input or table:
        # a summary reads only result codes: the engine leaves out values, gaps and flips
        options = {"table": table, "master": master} if engine == "spark" else {"brief": format == "summary"}
        batches = evaluate_file(input, ids, day, engine=engine, batch_rows=batch_rows, **options)
    else:
        from .. import db
        from ..ledgers import profile_batches
        from ..regions import RegionError, lookup

        try:
            code = lookup(region).code
        except RegionError as exc:
            err.print(f"[red]{exc}[/]")
            raise typer.Exit(2)

        def profiles():  # built from the ledgers a batch at a time, and the enterprises noted
            for frame in profile_batches(db.get_engine(), code, day, size=batch_rows):
                evaluated.extend(frame.get_column("uscc").to_list())
                regions.update(zip(frame["uscc"].to_list(), frame["region_code"].to_list()))
                yield frame

        batches = evaluate_batches(profiles(), ids, day)
    target = out or (Path(f"evaluation-{day}.{format}") if format in ("xlsx", "parquet") else None)
    tmp = target.with_name(f".{target.name}.part") if target else None
    writer, stream = _writer(format, tmp)
    missing = Counter()
    saved = 0

    def produced():
        nonlocal missing
        for results in batches:
            writer.add(results)
            missing += missing_counts(results)
            status.update(f"正在评价 {len(ids)} 个项目：已得出 {writer.rows:,} 条结果…")
            yield results

    try:
        with console.status(f"正在评价 {len(ids)} 个项目…") as status:
            if region:
                from .store import save_results  # db: imported with the ledgers above

                def shown(n: int) -> None:  # the old rows are deleted after this: results show already
                    err.print(f"[green]已保存 {n} 条评价结果（评价日期 {day}），页面已显示新结果[/]")

                # committed in batches as the results come; the date's earlier results stay shown
                # until all are written
                saved = save_results(db.get_engine(), day, produced(), regions, ids, usccs=evaluated,
                                     progress=status.update, shown=shown)
            else:
                for _ in produced():
                    pass
        writer.close()
    except Exception as exc:
        from .store import SaveError

        if not isinstance(exc, (ProfileError, ValueError, SaveError)):
            raise
        if stream is not None and stream is not sys.stdout:
            stream.close()
        if tmp is not None:
            tmp.unlink(missing_ok=True)
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1 if isinstance(exc, SaveError) else 2)
    if stream is not None and stream is not sys.stdout:
        stream.close()
    if tmp is not None:
        tmp.replace(target)
    if writer.rows == 0 and (input or table) or region and not evaluated:
        err.print("[yellow]没有可评价的企业[/]")
    top = sorted(missing.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
    if top:
        from .fields import fields as _fields

        err.print("[yellow]数据缺失导致无法判定的结果，补齐以下字段影响最大：[/]"
                  + "、".join(f"{_fields()[f].full_label if f in _fields() else f}（{n} 项）" for f, n in top),
                  soft_wrap=True)
    if region and saved:
        err.print("评价结果保存完成")
    if format == "summary":
        _print_summary(writer)
    elif format == "table":
        _print_table(writer.recs)
    elif target is not None:
        err.print(f"[green]已写出 {writer.rows:,} 条结果：{target}[/]")


def _writer(format: str, path: Path | None):
    from .run import JsonlWriter, ParquetWriter, SummaryWriter, TableWriter, XlsxWriter

    if format == "jsonl":
        stream = open(path, "w", encoding="utf-8") if path else sys.stdout
        return JsonlWriter(stream), stream
    if format == "parquet":
        return ParquetWriter(path), None
    if format == "xlsx":
        return XlsxWriter(path), None
    if format == "summary":
        return SummaryWriter(), None

    return TableWriter(), None


def _print_summary(w) -> None:
    """Counts of results per program: what an office reads first after evaluating a region."""
    from .catalog import program_names, result_name

    names = program_names()
    order = ("pass", "depends", "fail", "unknown")
    t = Table(title="评价结果汇总")
    t.add_column("项目", no_wrap=True)
    for head in (*(result_name(k) for k in order), "其中一步之遥", "积分排名"):
        t.add_column(head, justify="right")
    for pid in w.order:
        scored = w.counts.get((pid, None), 0)
        t.add_row(names.get(pid, pid), *(f"{w.counts.get((pid, k), 0):,}" for k in order),
                  f"{w.counts.get((pid, 'close'), 0):,}", f"{scored:,}" if scored else "")
    console.print(t)


def _print_table(recs: list[dict]) -> None:
    from .catalog import program_names, result_name

    names = program_names()
    t = Table("统一社会信用代码", "项目", "版本", "结果", "得分", "差距")
    for r in recs:
        score = "" if r["score_min"] is None else (
            f"{r['score']:g}" if r["score"] is not None else f"{r['score_min']:g}–{r['score_max']:g}")
        t.add_row(r["uscc"], names.get(r["program"], r["program"]), r["version"],
                  result_name(r["result"]), score,
                  r["gaps"][0]["text"] if r["gaps"] else "")
    console.print(t)


@programs_app.command("list")
def list_cmd(today: str = typer.Option(None, "--today", help="以该日期判断规则是否超过一年未核对"),
             sources: bool = typer.Option(False, "--sources", help="同时列出每个版本的资料来源")) -> None:
    """列出培育项目、版本、依据文件与核对日期 List programs, versions and sources."""
    from .model import programs_by_id, version_windows

    _load_rules()
    day = date_or_exit(today)
    t = Table("编号", "名称", "版本", "依据文件", "有效期", "核对日期", "置信度")
    stale = []
    for pid, versions in programs_by_id().items():
        for p, start, end in version_windows(versions):
            age = (day - p.checked_on).days
            checked = str(p.checked_on)
            if age > STALE_DAYS:
                checked = f"[red]{p.checked_on}（超过一年未核对）[/]"
                stale.append(p)
            t.add_row(pid, p.name, p.version, f"{p.document} {p.doc_number}".strip(),
                      f"{start} 至 {end or '今'}", checked, p.confidence)
    out = console if console.is_terminal else Console(width=240)
    out.print(t)
    if sources:
        for pid, versions in programs_by_id().items():
            for p in versions:
                out.print(f"[bold]{p.name} {p.version}[/]（{p.file}，置信度 {p.confidence}）", highlight=False)
                for src in p.sources:
                    out.print(f"  {src}", highlight=False, soft_wrap=True)
                if p.notes:
                    out.print(f"  说明：{p.notes}", highlight=False, soft_wrap=True)
    for p in stale:
        err.print(f"[yellow]警告：{p.file} 的规则内容自 {p.checked_on} 起超过一年未核对，请对照原文复核[/]",
                  soft_wrap=True)


@programs_app.command("check")
def check_cmd(files: list[Path] = typer.Argument(..., help="规则文件 (.yaml)")) -> None:
    """检查规则文件（出错时给出文件、行、列和表达式）Validate rule files."""
    from .expr import RuleError
    from .model import load_program

    bad = 0
    for f in files:
        try:
            p = load_program(f)
            console.print(f"[green]✔[/] {f.name}：{p.name} {p.version}，{len(p.conditions)} 项条件，{len(p.indicators)} 项指标")
        except RuleError as exc:
            bad += 1
            err.print(f"[red]✘[/] {exc}")
    if bad:
        raise typer.Exit(1)


@programs_app.command("explain")
def explain_cmd(
    input: Path = typer.Option(..., "--input", "-i", help="企业画像文件 (CSV / xlsx)"),
    uscc: str = typer.Option(..., "--uscc", help="统一社会信用代码"),
    program: str = typer.Option("all", "--program", "-p"),
    as_of: str = typer.Option(None, "--as-of"),
) -> None:
    """逐条说明某企业的评价结果和下一步 Explain one enterprise's results."""
    import polars as pl

    from .engine import evaluate, program_ids
    from .explain import records, tree
    from .model import programs_by_id
    from .profiles import ProfileError, read_profiles

    try:
        frame = read_profiles(input)
    except ProfileError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(2)
    frame = frame.filter(pl.col("uscc") == uscc.strip().upper())
    if frame.height == 0:
        err.print(f"[red]文件中没有统一社会信用代码为“{uscc}”的企业[/]")
        raise typer.Exit(1)
    results = evaluate(frame, program_ids(program), date_or_exit(as_of), with_inputs=True)
    for r in records(results):
        console.print(tree(r, programs_by_id()[r["program"]][-1].name), highlight=False)
        console.print()


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate_cmd)
    app.add_typer(programs_app, name="programs")
