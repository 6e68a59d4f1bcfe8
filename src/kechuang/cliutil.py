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


def explain(exc: BaseException) -> str:
    """A Chinese line for an error no command caught (files, permissions, the database)."""
    from sqlalchemy.exc import SQLAlchemyError

    from .db import DatabaseError, explain_error

    name = getattr(exc, "filename", None)
    if isinstance(exc, IsADirectoryError):
        return f"“{name}”是文件夹,这里需要一个文件"
    if isinstance(exc, NotADirectoryError):
        return f"路径“{name}”中有一段不是文件夹"
    if isinstance(exc, PermissionError):
        return f"没有权限读写“{name}”"
    if isinstance(exc, FileNotFoundError):
        return f"文件或目录“{name}”不存在"
    if isinstance(exc, OSError) and exc.errno == 28:
        return "磁盘空间不足"
    if isinstance(exc, OSError):
        return f"读写“{name}”失败:{exc.strerror or exc}"
    if isinstance(exc, (DatabaseError, SQLAlchemyError)):
        return explain_error(exc)
    if isinstance(exc, UnicodeError):
        return "文件编码无法识别,请另存为 UTF-8 编码"
    return f"程序内部错误({type(exc).__name__}),请联系管理员并附上所用的命令"


def main() -> None:
    """The `kechuang` command: every error ends in a Chinese line and a non-zero exit code."""
    import logging
    import sys

    from .cli import app

    try:
        app()
    except KeyboardInterrupt:
        err_console.print("[yellow]已中断[/]")
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - the last line of defence for the command line
        logging.getLogger("kechuang").debug("命令失败", exc_info=exc)
        err_console.print(f"[red]错误:{explain(exc)}[/]", highlight=False)
        sys.exit(1)
