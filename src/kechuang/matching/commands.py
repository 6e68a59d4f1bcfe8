"""Command line: ``kechuang match`` (docs/contracts.md §6)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..cliutil import date_or_exit, err_console, fail, region_code_or_exit


def match_cmd(
    demands: Path = typer.Option(None, "--demands", help="技术需求文件 (CSV / xlsx)"),
    supplies: Path = typer.Option(None, "--supplies", help="技术供给文件：成果、专家团队、平台、专利 (CSV / xlsx)"),
    region: str = typer.Option(None, "--region", help="按台账匹配某地区(代码或名称)的技术需求"),
    top: int = typer.Option(10, "--top", "-k", min=1, max=200, help="每条需求最多返回的匹配数"),
    format: str = typer.Option("jsonl", "--format", "-f", help="jsonl"),
    as_of: str = typer.Option(None, "--as-of", help="对照日期 YYYY-MM-DD（截止日期、高企有效期；默认今天）"),
) -> None:
    """技术需求与成果、团队匹配（揭榜挂帅 / 产学研）Match technology demands with supplies."""
    if format != "jsonl":
        fail(f"不支持的输出格式“{format}”，可选 jsonl")
    day = date_or_exit(as_of)
    if region and (demands or supplies):
        fail("请指定 --demands 与 --supplies 文件，或 --region 地区（二者选一）")
    from .engine import run
    from .inputs import MatchInputError, read_demands, read_supplies

    hnte = None
    if region:
        from .. import db
        from ..regions import scope_of
        from .inputs import stored

        code = region_code_or_exit(region)
        d_rows, s_rows, hnte = stored(db.get_engine(), scope_of(code), day)
    elif demands and supplies:
        problems = []
        d_rows = s_rows = []
        try:
            d_rows = read_demands(demands)
        except MatchInputError as exc:
            problems += exc.problems
        try:
            s_rows = read_supplies(supplies)
        except MatchInputError as exc:
            problems += exc.problems
        if problems:
            for p in problems:
                err_console.print(p, highlight=False, markup=False)
            raise typer.Exit(2)
    else:
        fail("请同时指定 --demands 与 --supplies 文件，或指定 --region 地区")
    result = run(d_rows, s_rows, top=top, as_of=day, hnte_usccs=hnte)
    for note in result.notes:
        err_console.print(note, highlight=False, markup=False)
    out = sys.stdout
    for r in result.results:
        out.write(json.dumps(r.as_dict(), ensure_ascii=False) + "\n")


def register(app: typer.Typer) -> None:
    app.command("match")(match_cmd)
