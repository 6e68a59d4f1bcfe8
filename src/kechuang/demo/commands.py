"""`kechuang demo-setup` and `kechuang demo-users`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

console = Console()


def register(app: typer.Typer) -> None:
    @app.command("demo-users")
    def demo_users() -> None:
        """创建演示用户 Create the demo accounts."""
        from .. import db
        from . import DEMO_PASSWORD, ensure_demo_users

        db.upgrade()
        with db.session_scope() as s:
            users = ensure_demo_users(s)
        _print_logins(users, DEMO_PASSWORD)

    @app.command("demo-setup")
    def demo_setup(
        city: str = typer.Option("盐城市", help="演示城市"),
        enterprises: int = typer.Option(20000, help="合成企业数量"),
        force: bool = typer.Option(False, help="已有台账数据时也重新生成"),
    ) -> None:
        """一步准备演示环境:迁移数据库、生成合成台账、演示目标、企业培育评估、演示用户。"""
        from typer.main import get_command

        from .. import db
        from ..cli import app as root
        from . import DEMO_PASSWORD, ensure_demo_users

        db.upgrade(create=True)
        cmd = get_command(root)
        names = set(cmd.list_commands(None))  # type: ignore[attr-defined]

        def run(args: list[str]) -> None:
            if args[0] not in names:
                console.print(f"[yellow]跳过 {' '.join(args)}(该功能未安装)[/]")
                return
            console.print(f"[bold]» kechuang {' '.join(args)}[/]")
            cmd.main(args, prog_name="kechuang", standalone_mode=False)

        from ..regions import lookup

        city_code = lookup(city).code
        if force or not _has_ledger_data():
            run(["demo-data", "--city", city, "--enterprises", str(enterprises)])
        else:
            console.print("[green]已有台账数据,跳过生成(使用 --force 重新生成)[/]")
        run(["targets", "demo"])
        _seed_matching(city_code)
        run(["evaluate", "--region", city_code, "--program", "all", "--format", "summary"])
        import datetime as dt

        # the demo city's award policy (演示) on last year's recognitions: the 免申即享 list
        run(["awards", "--region", city_code, "--year", str(dt.date.today().year - 1), "--format", "summary",
             "--generate"])
        _seed_office(city_code)
        _warm_dashboards()
        _chains(city_code)
        with db.session_scope() as s:
            users = ensure_demo_users(s)
        _print_logins(users, DEMO_PASSWORD)


def _seed_matching(city_code: str) -> None:
    from .. import db
    from ..matching.demo import seed

    with console.status("揭榜挂帅演示：技术需求、技术供给与流程……"):
        counts = seed(db.get_engine(), city_code)
    console.print(f"揭榜挂帅演示：{counts['demands']} 条技术需求、{counts['supplies']} 条技术供给、"
                  f"{counts['signed']} 项已签约")


def _seed_office(city_code: str) -> None:
    from .. import db
    from .office import seed_office_year

    with console.status("工作演示:目标分解、填报轮次、分包服务与督办……"):
        counts = seed_office_year(db.get_engine(), city_code)
    if counts is None:
        console.print("[green]已有工作演示数据,跳过[/]")
    else:
        console.print(f"工作演示:分解下达 {counts.get('shares', 0)} 个地区、填报轮次 {counts.get('rounds', 0)} 个、"
                      f"分包企业 {counts.get('served', 0)} 家、督办任务 {counts.get('tasks', 0)} 项")


def _warm_dashboards() -> None:
    from .. import db

    from ..targets.metrics import warm

    with console.status("解码看板所用台账(首次打开页面无需等待)……"):
        warm(db.get_engine())


def _chains(city_code: str) -> None:
    from .. import db
    from ..chains.demo import seed, warm
    from ..chains.store import refresh

    engine = db.get_engine()
    with console.status("产业链：计算并保存企业在链上的位置(首次打开产业链页面无需等待)……"):
        n = refresh(engine)
        got = seed(engine, city_code)
        warm(engine, city_code)
    console.print(f"产业链：{n} 家企业的链上位置已保存；演示人工判定 确认 {got['confirm']} 条、"
                  f"否定 {got['reject']} 条、更正 {got['correct']} 条")


def _has_ledger_data() -> bool:
    from sqlalchemy import inspect, text

    from .. import db

    engine = db.get_engine()
    if not inspect(engine).has_table("ledger_records"):
        return False
    with engine.connect() as c:
        return c.execute(text("SELECT 1 FROM ledger_records LIMIT 1")).first() is not None


def _print_logins(users, password: str) -> None:
    from ..regions import registry

    table = Table("用户名", "密码", "角色", "所辖地区", title="演示账号(仅供演示,勿用于生产)")
    for username, name, role, code in users:
        region = registry().get(code) if code else None
        table.add_row(username, password, name, region.full_name if region else "全部地区")
    console.print(table)
