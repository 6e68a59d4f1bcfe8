"""kechuang command line (Typer + Rich). Capability packages add their commands
through ``kechuang.<package>.commands.register(app)``."""

from __future__ import annotations

import importlib
import os

import typer
from rich.console import Console
from typer.core import TyperGroup

from .cliutil import err_console, region_code_or_exit

PACKAGES = ("reader", "ledgers", "programs", "targets", "reports", "matching", "chains", "incentives", "demo")


class _Commands(TyperGroup):
    """The top-level group. The capability packages' commands are imported and built only when a
    command this module does not define is asked for, or the list of all (help): a command of this
    module (``regions find``) starts without them."""

    _loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        extra = typer.Typer(rich_markup_mode=app.rich_markup_mode, pretty_exceptions_enable=False)
        for name in PACKAGES:
            importlib.import_module(f"kechuang.{name}.commands").register(extra)
        added = typer.main.get_group(extra).commands
        mine = dict(self.commands)
        # help lists commands before groups, each in the order registered (as one Typer app would)
        order = [n for n, c in mine.items() if not isinstance(c, TyperGroup)]
        order += [n for n, c in added.items() if not isinstance(c, TyperGroup) and n not in mine]
        order += [n for n, c in mine.items() if isinstance(c, TyperGroup)]
        order += [n for n, c in added.items() if isinstance(c, TyperGroup) and n not in mine]
        self.commands.clear()
        self.commands.update({n: mine.get(n) or added[n] for n in order})

    def get_command(self, ctx, cmd_name: str):
        cmd = super().get_command(ctx, cmd_name)
        if cmd is None and not self._loaded:
            self._load()
            cmd = super().get_command(ctx, cmd_name)
        return cmd

    def list_commands(self, ctx) -> list[str]:
        self._load()
        return super().list_commands(ctx)


app = typer.Typer(
    cls=_Commands,
    help="科创 kechuang — 区域科技创新工作平台 (regional science & technology innovation platform)",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)
console = Console()

db_app = typer.Typer(help="数据库 database", no_args_is_help=True)
user_app = typer.Typer(help="用户管理 users", no_args_is_help=True)
regions_app = typer.Typer(help="行政区划 regions", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(regions_app, name="regions")


@app.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="监听地址 host"),
    port: int = typer.Option(8000, help="端口 port"),
    workers: int = typer.Option(1, help="进程数 worker processes"),
) -> None:
    """启动 Web 服务 Serve the web app."""
    import uvicorn

    from . import db

    db.upgrade()
    os.environ.setdefault("KECHUANG_WARM", "1")  # workers decode the dashboards' ledgers at start
    os.environ.setdefault("KECHUANG_REFRESH", "1")  # and recompute viewed pages after data changes
    console.print(f"[green]科创 kechuang 已启动:[/] http://{host}:{port}")
    uvicorn.run("kechuang.web.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level="warning",
                # a worker busy decoding a large ledger (GIL held) answers the supervisor's ping late:
                # give it a minute before it is taken for hung and killed with its requests
                timeout_worker_healthcheck=60,
                proxy_headers=False)  # X-Forwarded-For only from KECHUANG_TRUSTED_PROXIES (see web.security)  # uvloop + httptools when installed


@db_app.command("upgrade")
def db_upgrade() -> None:
    """升级数据库结构到最新版本 Apply migrations."""
    from . import db

    db.upgrade(create=True)
    console.print(f"[green]数据库已是最新版本[/] ({db.current_revision()})")


@user_app.command("add")
def user_add(
    username: str = typer.Argument(..., help="用户名"),
    role: str = typer.Option("officer", help="角色 admin|officer|viewer"),
    region: str = typer.Option(None, "--region", help="所辖地区(代码或名称)"),
    password: str = typer.Option(..., prompt="密码", hide_input=True, confirmation_prompt=True),
    name: str = typer.Option("", help="显示名称"),
) -> None:
    """新增用户 Add a user."""
    from . import db
    from .accounts import AccountError, add_user
    from .audit import record
    code = region_code_or_exit(region) if region else None
    try:
        with db.session_scope() as s:
            user = add_user(s, username, password, role, code, name)
            record(s, "cli", "create", "user", user.username,
                   after={"role": user.role, "region_code": user.region_code})
    except AccountError as exc:
        err_console.print(f"[red]{exc}[/]")
        raise typer.Exit(2)
    console.print(f"[green]已添加用户[/] {username} ({role}, {code or '全部地区'})")


@user_app.command("list")
def user_list() -> None:
    """列出用户 List users."""
    from rich.table import Table
    from sqlalchemy import select

    from . import db
    from .accounts import Role, User
    from .regions import registry

    table = Table("用户名", "名称", "角色", "所辖地区", "状态")
    with db.session_scope() as s:
        for u in s.scalars(select(User).order_by(User.username)):
            region = registry().get(u.region_code) if u.region_code else None
            table.add_row(u.username, u.display_name, Role(u.role).label,
                          region.full_name if region else "全部地区", "启用" if u.active else "停用")
    console.print(table)


@user_app.command("disable")
def user_disable(username: str) -> None:
    """停用用户 Disable a user."""
    from sqlalchemy import select

    from . import db
    from .accounts import User
    from .audit import record

    with db.session_scope() as s:
        user = s.scalar(select(User).where(User.username == username))
        if user is None:
            err_console.print(f"[red]用户“{username}”不存在[/]")
            raise typer.Exit(2)
        user.active = False
        record(s, "cli", "disable", "user", username, before={"active": True}, after={"active": False})
    console.print(f"已停用用户 {username}")


@regions_app.command("find")
def regions_find(
    text: str = typer.Argument(..., help="地名或代码"),
    within: str = typer.Option(None, "--within", help="限定上级地区(代码或名称)"),
) -> None:
    """查找行政区划 Find regions by name, alias or code."""
    from .regions import registry

    reg = registry()
    scope = region_code_or_exit(within) if within else None
    found = reg.find(text, within=scope)
    if not found:
        err_console.print(f"[red]未找到地区“{text}”[/]")
        raise typer.Exit(1)
    for r in found:
        console.print(f"{r.code} {r.full_name}", highlight=False)


@regions_app.command("show")
def regions_show(
    region: str = typer.Argument(..., help="地区代码或名称"),
    depth: int = typer.Option(1, "--depth", min=0, help="显示的下级层数"),
) -> None:
    """显示地区及其下级 Show a region and its children as a tree."""
    from rich.tree import Tree

    from .regions import registry

    reg = registry()
    root = reg.get(region_code_or_exit(region))

    def label(r) -> str:
        alias = f" [dim](又称 {'、'.join(r.aliases)})[/]" if r.aliases else ""
        return f"[bold]{r.code}[/] {r.name} [cyan]{r.level_label}[/]{alias}"

    def grow(node, code: str, left: int) -> None:
        if left <= 0:
            return
        for child in reg.children(code):
            grow(node.add(label(child)), child.code, left - 1)

    tree = Tree(f"{label(root)}  [dim]{root.full_name}[/]")
    grow(tree, root.code, depth)
    console.print(tree, highlight=False)


if __name__ == "__main__":  # pragma: no cover
    app()
