"""`kechuang regions ...` commands."""

from __future__ import annotations

from typer.testing import CliRunner

from kechuang.cli import app

runner = CliRunner()


def test_find_jiangyin():
    result = runner.invoke(app, ["regions", "find", "江阴"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == ["320281 江苏省无锡市江阴市"]


def test_find_ambiguous_lists_all_and_within_narrows():
    out = runner.invoke(app, ["regions", "find", "鼓楼区"]).output.splitlines()
    assert "320106 江苏省南京市鼓楼区" in out and "320302 江苏省徐州市鼓楼区" in out
    result = runner.invoke(app, ["regions", "find", "鼓楼区", "--within", "南京市"])
    assert result.output.splitlines() == ["320106 江苏省南京市鼓楼区"]


def test_find_unknown_exits_nonzero():
    result = runner.invoke(app, ["regions", "find", "火星市"])
    assert result.exit_code == 1


def test_show_tree():
    result = runner.invoke(app, ["regions", "show", "高邮"])
    assert result.exit_code == 0, result.output
    assert "321084 高邮市" in result.output
    assert "卸甲镇" in result.output and "送桥镇" in result.output


def test_show_ambiguous_explains():
    result = runner.invoke(app, ["regions", "show", "鼓楼区"])
    assert result.exit_code == 2
