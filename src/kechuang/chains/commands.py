"""Command line: ``kechuang chains assign`` and ``kechuang chains status`` (docs/contracts.md §7)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import typer

from ..cliutil import date_or_exit, err_console, fail, region_code_or_exit

app = typer.Typer(help="产业链：企业上链、节点强弱、链主与补链 Industry chains", no_args_is_help=True)


def _chains_or_exit(chain: str | None):
    from .templates import TemplateError, chains, get_chain

    try:
        return {chain: get_chain(chain)} if chain else chains()
    except TemplateError as exc:
        fail(str(exc))


def _start(format: str, as_of: str | None) -> dt.date:
    """The day to judge on, after refusing an output format other than jsonl."""
    if format != "jsonl":
        fail(f"不支持的输出格式“{format}”，可选 jsonl")
    return date_or_exit(as_of)


def _jsonl(rows) -> None:
    out = sys.stdout
    for r in rows:
        out.write(json.dumps(r, ensure_ascii=False, default=str) + "\n")


@app.command("assign")
def assign_cmd(
    input: Path = typer.Option(..., "--input", "-i", help="企业文件 (CSV / xlsx)：信用代码、行业代码、主营产品、经营范围"),
    chain: str = typer.Option(None, "--chain", help="只看某条产业链(模板 id)"),
    patents: Path = typer.Option(None, "--patents", help="知识产权台账文件(可选，专利名称作为证据)"),
    format: str = typer.Option("jsonl", "--format", "-f", help="jsonl"),
    as_of: str = typer.Option(None, "--as-of", help="对照日期 YYYY-MM-DD(判断是否过期；默认今天)"),
) -> None:
    """企业上链：每家企业所在的产业链节点、置信度与证据 Place enterprises on chain nodes."""
    day = _start(format, as_of)
    _chains_or_exit(chain)
    from .assign import Assigner, stale
    from .inputs import ChainInputError, read_enterprises, read_patents

    problems: list[str] = []
    rows, titles = [], {}
    try:
        rows = read_enterprises(input, today=day)
    except ChainInputError as exc:
        problems += exc.problems
    if patents:
        try:
            titles = read_patents(patents, today=day)
        except ChainInputError as exc:
            problems += exc.problems
    if problems:
        for p in problems:
            err_console.print(p, highlight=False, markup=False)
        raise typer.Exit(2)
    when = dt.date.fromtimestamp(input.stat().st_mtime)
    from .templates import chains

    assigner = Assigner.for_chains(*chains().values())
    out = []
    for r in rows:
        for a in assigner.assign(r, titles.get(r["uscc"]), chain=chain):
            a.source, a.date, a.stale = f"文件:{input.name}", when, stale(when, day)
            out.append(a.as_dict())
    _jsonl(out)


@app.command("status")
def status_cmd(
    region: str = typer.Option(..., "--region", help="地区(名称或行政区划代码)"),
    chain: str = typer.Option(..., "--chain", help="产业链(模板 id)"),
    format: str = typer.Option("jsonl", "--format", "-f", help="jsonl"),
    as_of: str = typer.Option(None, "--as-of", help="对照日期 YYYY-MM-DD(资质有效期、是否过期；默认今天)"),
) -> None:
    """产业链节点强弱：每个节点 present / weak / missing、企业数、链主候选与判定依据 Node status of a region."""
    day = _start(format, as_of)
    code = region_code_or_exit(region)
    selected = _chains_or_exit(chain)
    from .. import db
    from .status import region_view

    view = region_view(db.get_engine(), code, selected[chain], as_of=day)
    _jsonl(n.as_dict() for n in view.nodes)


@app.command("templates")
def templates_cmd() -> None:
    """列出产业链模板 List chain templates."""
    for c in _chains_or_exit(None).values():
        typer.echo(f"{c.id}\t{c.name}\t{c.version}\t{c.region_scope}\t{len(c.nodes)} 个节点\t{c.path.name}")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="chains")
