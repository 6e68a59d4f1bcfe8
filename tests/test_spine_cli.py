"""The command line: help, db upgrade, users, regions."""

from __future__ import annotations

from typer.testing import CliRunner

from kechuang.cli import app

runner = CliRunner()


def test_help_is_chinese():
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0
    assert "科创" in r.output
    for command in ("serve", "db", "user", "regions"):
        assert command in r.output


def test_user_add_list_disable(db_url):
    r = runner.invoke(app, ["user", "add", "liu", "--role", "officer", "--region", "亭湖区",
                            "--password", "long-enough-9"])
    assert r.exit_code == 0, r.output
    assert "320902" in r.output
    r = runner.invoke(app, ["user", "list"])
    assert "liu" in r.output and "亭湖区" in r.output and "启用" in r.output
    r = runner.invoke(app, ["user", "disable", "liu"])
    assert r.exit_code == 0
    assert "停用" in runner.invoke(app, ["user", "list"]).output


def test_user_add_unknown_region_fails_in_chinese(db_url):
    r = runner.invoke(app, ["user", "add", "ma", "--role", "officer", "--region", "火星市",
                            "--password", "long-enough-9"])
    assert r.exit_code == 2
    assert "火星市" in r.output


def test_db_upgrade_is_idempotent(db_url):
    for _ in range(2):
        r = runner.invoke(app, ["db", "upgrade"])
        assert r.exit_code == 0, r.output
        assert "数据库已是最新版本" in r.output


def test_regions_find_jiangyin():
    r = runner.invoke(app, ["regions", "find", "江阴"])
    assert r.exit_code == 0
    assert "320281 江苏省无锡市江阴市" in r.output.splitlines()


def test_demo_setup_loads_a_city_and_readies_its_dashboards(db_url, engine):
    from typer.testing import CliRunner

    from kechuang.cli import app
    from kechuang.targets.metrics import _disk_cache_dir, dashboard_kinds

    res = CliRunner().invoke(app, ["demo-setup", "--city", "盐城市", "--enterprises", "300"])
    assert res.exit_code == 0, res.output
    assert "yancheng" in res.output and "kechuang-demo" in res.output
    cached = {p.name.split("-")[0] for p in _disk_cache_dir(engine).glob("*.parquet")}
    assert set(dashboard_kinds()) <= cached
    with engine.connect() as c:
        from sqlalchemy import text

        assert c.execute(text("SELECT COUNT(*) FROM program_results")).scalar() > 0
        assert c.execute(text("SELECT COUNT(*) FROM targets")).scalar() > 0


def test_command_line_imports_only_what_a_command_uses():
    """Start-up: registering every command imports no data frame, web or database library;
    a command imports them when it runs."""
    import subprocess
    import sys

    heavy = ("polars", "fastapi", "sqlalchemy", "numpy", "uvicorn")
    code = ("import sys, kechuang.cli; print(' '.join(m for m in %r if m in sys.modules))" % (heavy,))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    code = ("import sys; from typer.testing import CliRunner; from kechuang.cli import app; "
            "r = CliRunner().invoke(app, ['regions', 'find', '江阴']); assert '320281' in r.output, r.output; "
            "print(' '.join(m for m in %r if m in sys.modules))" % (heavy,))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
