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


def writer_scope(username: str | None, region: str | None) -> tuple[str, str | None]:
    """(user name for the audit log, root of the region subtree a command may write) from --user
    and --region: a user writes inside its own subtree; --region narrows it (None = everything)."""
    root = region_code_or_exit(region) if region else None
    if not username:
        return "cli", root
    from sqlalchemy import select

    from . import db
    from .accounts import User
    from .regions import registry

    with db.session_scope() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            fail(f"用户“{username}”不存在或已停用")
        if not user.can_write:
            fail(f"用户“{username}”是只读用户，不能写入数据")
        own = None if user.is_admin else user.region_code
    if root is not None and own is not None and not registry().is_within(root, own):
        fail(f"地区 {root} 不在用户“{username}”的管辖范围内")
    return username, root or own
