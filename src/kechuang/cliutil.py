"""Option parsing shared by the command-line modules: a Chinese message and exit code 2 on bad input."""

from __future__ import annotations

import datetime as dt

import typer
from rich.console import Console

err_console = Console(stderr=True)


def fail(message: str, code: int = 2):
    err_console.print(f"[red]{message}[/]", highlight=False)
    raise typer.Exit(code)


def date_or_exit(text: str | None) -> dt.date:
    """A YYYY-MM-DD option; today when not given."""
    if not text:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"日期“{text}”格式错误,应为 YYYY-MM-DD")


def region_code_or_exit(text: str) -> str:
    """The code of a region given by name or code."""
    from .regions import RegionError, lookup

    try:
        return lookup(text).code
    except RegionError as exc:
        fail(str(exc))
