"""`kechuang extract` and `kechuang ingest`."""

from __future__ import annotations

import enum
import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

console = Console()
err = Console(stderr=True)

SUPPORTED = {".txt", ".text", ".md", ".html", ".htm", ".xhtml", ".docx", ".pdf"}


class Format(str, enum.Enum):
    jsonl = "jsonl"
    table = "table"


class What(str, enum.Enum):
    quantities = "quantities"
    frameworks = "frameworks"
    people = "people"


def expand_paths(paths: list[Path]) -> list[Path]:
    """Files as given; folders contribute their supported files (sorted)."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED))
        else:
            out.append(p)
    return out


def register(app: typer.Typer) -> None:
    @app.command("extract")
    def extract_cmd(
        files: list[Path] = typer.Argument(..., help="文件或文件夹 (.txt .html .docx .pdf)"),
        format: Format = typer.Option(Format.jsonl, "--format", help="输出格式 jsonl|table"),
        what: What = typer.Option(What.quantities, "--what", help="抽取内容 quantities(量化表述)|frameworks(工作框架)|people(人物)"),
    ) -> None:
        """从政策文件中抽取量化目标/成绩、工作框架或人物 Extract statements from documents."""
        from .extract import extract, rows
        from .load import ReaderError, load_file

        failed = 0
        out = sys.stdout
        for path in expand_paths(files):
            try:
                doc = load_file(path)
                data = rows(extract(doc, (what.value,)), what.value)
            except ReaderError as exc:
                failed += 1
                err.print(f"[red]错误:[/]{exc}", highlight=False)
                continue
            except Exception as exc:  # never let one file stop the others
                failed += 1
                err.print(f"[red]错误:[/]处理文件“{path}”时出现意外问题:{type(exc).__name__}: {exc}", highlight=False)
                continue
            if format is Format.jsonl:
                for row in data:
                    out.write(json.dumps(row, ensure_ascii=False) + "\n")
                out.flush()
            else:
                _table(path.name, what.value, data)
        if failed:
            err.print(f"[red]{failed} 个文件处理失败[/]")
            raise typer.Exit(1)

    @app.command("ingest")
    def ingest_cmd(
        paths: list[Path] = typer.Argument(..., help="文件或文件夹"),
        user: str = typer.Option(None, "--user", help="以该用户身份导入(文件归属其所辖地区)"),
        region: str = typer.Option(None, "--region", help="文件归属的地区(名称或代码;同名文件按归属地区分别管理版本);"
                                   "也作为文件所述地区的默认值(正文另有所指时以正文为准)"),
        published: str = typer.Option(None, "--published", help="发布日期 YYYY-MM-DD(正文未写明日期时据此判断年份)"),
    ) -> None:
        """将政策文件及其量化表述存入数据库 Store documents and their statements."""
        from rich.progress import Progress

        from .. import db
        from ..cliutil import writer_scope
        from .load import ReaderError
        from .store import ingest_file

        import datetime as dt

        from .frame import Priors

        try:
            day = dt.date.fromisoformat(published) if published else None
        except ValueError:
            err.print(f"[red]错误:[/]--published 的值“{published}”无效,应为 YYYY-MM-DD", highlight=False)
            raise typer.Exit(2) from None
        db.upgrade()
        user, owner = writer_scope(user, region)
        priors = Priors(region=owner or "", published=day) if (owner or day) else None
        files = expand_paths(paths)
        failed = created = unchanged = 0
        with Progress(console=err, transient=True) as progress:
            task = progress.add_task("读取文件", total=len(files))
            for path in files:
                try:
                    with db.session_scope() as s:
                        doc, new = ingest_file(s, path, user, owner, priors)
                        n = len(doc.statements)
                        label = f"第 {doc.version} 版" if doc.version > 1 else ""
                    if new:
                        created += 1
                        console.print(f"[green]已入库[/] {path.name} {label} ({n} 条量化表述)", highlight=False)
                    else:
                        unchanged += 1
                        console.print(f"未变化 {path.name}(已入库,内容相同)", highlight=False)
                except ReaderError as exc:
                    failed += 1
                    err.print(f"[red]错误:[/]{exc}", highlight=False)
                except Exception as exc:
                    failed += 1
                    err.print(f"[red]错误:[/]入库文件“{path}”失败:{type(exc).__name__}: {exc}", highlight=False)
                progress.advance(task)
        console.print(f"新入库 {created} 个,未变化 {unchanged} 个,失败 {failed} 个")
        if failed:
            raise typer.Exit(1)


def _table(name: str, what: str, data: list[dict]) -> None:
    if what == "quantities":
        t = Table("数值", "单位", "指标", "类型", "比较", "年份", "地区", "主体", "原文", title=name)
        for r in data:
            t.add_row(str(r["value"]), r["unit"], r["indicator"], "目标" if r["kind"] == "target" else "成绩",
                      r["comparator"], r["period"], r["region"], r["actor"], r["quote"])
    elif what == "frameworks":
        t = Table("名称", "地区", "内容", "原文", title=name)
        for r in data:
            t.add_row(r["name"], r["region"], r["expansion"], r["quote"])
    else:
        t = Table("姓名", "职务", "地区", title=name)
        for r in data:
            t.add_row(r["name"], "、".join(r["titles"]), r["region"])
    console.print(t)
