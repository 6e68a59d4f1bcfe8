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
