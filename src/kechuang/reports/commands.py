"""`kechuang report`: a region's progress report as Word or PDF."""

from __future__ import annotations

from pathlib import Path

import typer

from ..cliutil import fail, region_code_or_exit


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report(
        region: str = typer.Option(..., "--region", help="地区(代码或名称)"),
        period: str = typer.Option(..., "--period", help="报告期:季度如 2026Q3,月份如 2026-07"),
        format: str = typer.Option("docx", "--format", help="docx 或 pdf"),
        output: Path = typer.Option(..., "-o", "--output", help="输出文件"),
    ):
        """生成地区月度/季度进度报告 Write a region's progress report (.docx / .pdf)."""
        from .. import db
        from . import ReportError, build_report, parse_period, render_docx, render_pdf

        if format not in ("docx", "pdf"):
            fail(f"格式“{format}”无效:请填写 docx 或 pdf")
        code = region_code_or_exit(region)
        try:
            when = parse_period(period)
            with db.session_scope(db.get_engine()) as session:
                rep = build_report(session, code, when)
            data = render_docx(rep) if format == "docx" else render_pdf(rep)
        except ReportError as exc:
            fail(str(exc))
        output.write_bytes(data)
        typer.echo(f"已生成 {output}({rep.region} {rep.period.label},目标 {len(rep.rows)} 项,滞后 {len(rep.lagging)} 项)")
