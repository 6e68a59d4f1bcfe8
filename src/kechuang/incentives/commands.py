"""Command line: ``kechuang awards`` (docs/contracts.md §8) and ``kechuang award-payout``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from ..cliutil import date_or_exit, err_console, fail, region_code_or_exit, writer_scope


def awards_cmd(
    region: str = typer.Option(..., "--region", help="地区(代码或名称)"),
    year: int = typer.Option(..., "--year", min=1990, max=2100, help="触发年度(认定、入库、称号、研发数据的年度)"),
    format: str = typer.Option("jsonl", "--format", "-f", help="jsonl | xlsx | summary"),
    out: Path = typer.Option(None, "--output", "-o", help="xlsx 输出文件(默认 awards-地区-年度.xlsx)"),
    compare: Path = typer.Option(None, "--compare", help="政策调整方案文件(同一政策编号的另一版本):测算与现行版本相比各级财政增减"),
    generate: bool = typer.Option(False, "--generate", help="把免申即享的应兑现项写入兑现台账(已列入的不重复列入)"),
    user: str = typer.Option(None, "--user", help="操作用户(写入审计日志)"),
) -> None:
    """政策兑现:按台账计算各企业应享奖励(免申即享)、出资分担与预算 Awards from the ledgers."""
    if format not in ("jsonl", "xlsx", "summary"):
        fail(f"不支持的输出格式“{format}”，可选 jsonl、xlsx、summary")
    code = region_code_or_exit(region)
    from .. import db
    from . import RuleError, load_policy
    from .engine import compare as compare_cost
    from .engine import text
    from .payouts import awards_for, generate as generate_list, history, stored_frames

    try:
        from .model import all_policies

        all_policies()
    except RuleError as exc:
        fail(f"政策文件有误：{exc}")
    engine = db.get_engine()
    if generate:
        username, root = writer_scope(user, code)
        with db.session_scope() as s:
            counts = generate_list(s, code, year, username)
        err_console.print(f"兑现台账：新列入 {counts['listed']} 项，此前已列入 {counts['already']} 项", highlight=False)
    with engine.connect() as conn:
        lines = awards_for(conn, code, year)
        if compare is not None:
            try:
                changed = load_policy(compare)
            except RuleError as exc:
                fail(f"政策文件有误：{exc}")
            from ..regions import registry

            codes = registry().subtree_codes(code)
            try:
                cost = compare_cost(stored_frames(conn, codes), year, code, changed, history(conn, codes))
            except ValueError as exc:
                fail(str(exc))
    if format == "jsonl":
        w = sys.stdout
        for a in lines:
            w.write(json.dumps(a.as_json(), ensure_ascii=False) + "\n")
    elif format == "xlsx":
        from ..excel import write_xlsx
        from .export import sheets

        target = out or Path(f"awards-{code}-{year}.xlsx")
        write_xlsx(target, sheets(lines))
        err_console.print(f"已写入 {target}", highlight=False)
    else:
        _summary(lines)
    if compare is not None:
        if not cost["rows"]:
            err_console.print(f"按“{cost['changed']}”测算，{year} 年触发的奖励各级财政支出不变", highlight=False,
                              soft_wrap=True)
        for r in cost["rows"]:
            err_console.print(r["sentence"] + f"（{text(r['before'])} → {text(r['after'])} 万元）", highlight=False,
                              soft_wrap=True, markup=False)


def _summary(lines) -> None:
    from rich.console import Console
    from rich.table import Table

    from .export import budget_rows, item_rows

    console = Console()
    t = Table("政策", "条目", "免申即享", "应兑现(家)", "须申报(家)", "被替代(家)", "不符合(家)", "应兑现(万元)",
              "须申报(万元)", title="按政策条目")
    for r in item_rows(lines):
        t.add_row(r["政策"], r["条目名称"] + (" [演示]" if r["演示"] else ""), r["免申即享"], str(r["应兑现(家)"]),
                  str(r["须申报(家)"]), str(r["被就高替代(家)"]), str(r["不符合(家)"]),
                  _t(r["应兑现金额(万元)"]), _t(r["须申报金额(万元)"]))
    console.print(t)
    b = Table("兑现年度", "出资层级", "出资地区", "免申即享(万元)", "须申报(万元)", title="按出资方")
    for r in budget_rows(lines):
        b.add_row(str(r["兑现年度"]), r["出资层级"], f"{r['出资地区']} {r['地区代码']}", _t(r["免申即享(万元)"]),
                  _t(r["须申报(万元，含最高额度)"]))
    console.print(b)


def _t(x) -> str:
    from .engine import text

    return text(x)


def payout_cmd(
    payout_id: int = typer.Argument(..., help="兑现记录编号"),
    to: str = typer.Argument(..., help="confirmed(企业已确认) | paid(已拨付)"),
    on: str = typer.Option(None, "--on", help="日期 YYYY-MM-DD(默认今天)"),
    user: str = typer.Option(None, "--user", help="操作用户(写入审计日志)"),
) -> None:
    """兑现进度:企业确认、拨付 Move a payout forward."""
    from .. import db
    from ..regions import registry
    from .payouts import PayoutError, advance

    day = date_or_exit(on)
    username, root = writer_scope(user, None)
    codes = registry().subtree_codes(root) if root else None
    try:
        with db.session_scope() as s:
            row = advance(s, payout_id, to, username, day, codes)
            err_console.print(f"兑现记录 {row.id}：{row.item_name} {row.uscc} → {to}", highlight=False)
    except PayoutError as exc:
        fail(str(exc))


def register(app: typer.Typer) -> None:
    app.command("awards")(awards_cmd)
    app.command("award-payout")(payout_cmd)
