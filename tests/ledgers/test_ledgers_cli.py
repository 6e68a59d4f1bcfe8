import openpyxl
import polars as pl
from typer.testing import CliRunner

from kechuang.cli import app
from kechuang.ledgers import load_frame
from kechuang.ledgers.uscc import make

runner = CliRunner()


def _file(tmp_path, rows):
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    path = tmp_path / "企业.xlsx"
    wb.save(path)
    return path


def test_cli_import_export_template(db_url, engine, tmp_path):
    u = make("91", "320981", "MA1000021")
    path = _file(tmp_path, [["统一社会信用代码", "企业名称", "所属地区"], [u, "【演示】东台企业", "东台市"]])
    res = runner.invoke(app, ["ledger", "import", "企业", str(path)])
    assert res.exit_code == 0, res.output
    assert "新增 1 条" in res.output
    assert load_frame(engine, "enterprise").get_column("region_code").to_list() == ["320981"]
    from kechuang.targets.metrics import _disk_cache_dir

    # the dashboards' decoded copy of the changed ledger is refreshed by the import itself
    [cached] = _disk_cache_dir(engine).glob("enterprise-*.parquet")
    assert pl.read_parquet(cached).get_column("uscc").to_list() == [u]

    bad = _file(tmp_path, [["统一社会信用代码", "企业名称", "所属地区"], [u[:-1] + "0" if u[-1] != "0" else u[:-1] + "1", "坏", "东台市"]])
    report = tmp_path / "problems.csv"
    res = runner.invoke(app, ["ledger", "import", "enterprise", str(bad), "--report", str(report)])
    assert res.exit_code == 1
    assert "校验位错误" in pl.read_csv(report).get_column("原因")[0]

    out = tmp_path / "out.xlsx"
    res = runner.invoke(app, ["ledger", "export", "企业", "--region", "320981", "--out", str(out)])
    assert res.exit_code == 0, res.output
    ws = openpyxl.load_workbook(out).worksheets[0]
    assert ws.max_row == 2 and ws["A2"].value == u
    res = runner.invoke(app, ["ledger", "export", "企业", "--region", "320902", "--out", str(out)])
    assert openpyxl.load_workbook(out).worksheets[0].max_row == 1

    tpl = tmp_path / "tpl.xlsx"
    res = runner.invoke(app, ["ledger", "template", "资质荣誉", "--out", str(tpl)])
    assert res.exit_code == 0
    assert openpyxl.load_workbook(tpl).worksheets[0]["A1"].value == "统一社会信用代码"
    res = runner.invoke(app, ["ledger", "template", "不存在的台账", "--out", str(tpl)])
    assert res.exit_code == 2 and "未知的台账类型" in res.output
    res = runner.invoke(app, ["ledger", "kinds"])
    assert "产学研合作" in res.output


def test_cli_demo_data(db_url, engine):
    res = runner.invoke(app, ["demo-data", "--city", "盐城市", "--enterprises", "150", "--seed", "4"])
    assert res.exit_code == 0, res.output
    assert load_frame(engine, "enterprise").height == 150
    res = runner.invoke(app, ["demo-data", "--city", "盐城市", "--enterprises", "150", "--seed", "4"])
    assert load_frame(engine, "enterprise").height == 150


def test_cli_import_as_user_is_scoped(db_url, engine, tmp_path):
    from kechuang import db
    from kechuang.accounts import add_user

    with db.session_scope(engine) as s:
        add_user(s, "tinghu", "password-123", "officer", "320902")
        add_user(s, "reader", "password-123", "viewer", "320902")
    u = make("91", "320981", "MA1000031")
    path = _file(tmp_path, [["统一社会信用代码", "企业名称", "行政区划代码"], [u, "【演示】东台企业", "320981"]])
    res = runner.invoke(app, ["ledger", "import", "企业", str(path), "--user", "tinghu"])
    assert res.exit_code == 1 and "不在您的管辖范围" in res.output
    res = runner.invoke(app, ["ledger", "import", "企业", str(path), "--user", "reader"])
    assert res.exit_code == 2 and "只读" in res.output
    assert load_frame(engine, "enterprise").height == 0


def test_demo_data_on_a_new_sqlite_file_loads_and_leaves_wal_truncated(tmp_path):
    """`make demo`'s path as a user runs it: a new database file, created and loaded by one command
    (the version check before the migrations must leave no statement open on the pooled connection,
    or SQLite refuses the load's journal switch and checkpoint)."""
    import os
    import sqlite3
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "var" / "kechuang.db"
    path.parent.mkdir()
    env = {**os.environ, "KECHUANG_DATABASE_URL": f"sqlite:///{path}", "KECHUANG_VAR_DIR": str(path.parent)}
    exe = Path(sys.executable).with_name("kechuang")
    r = subprocess.run([str(exe), "demo-data", "--city", "盐城市", "--enterprises", "120"], capture_output=True,
                       text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    with sqlite3.connect(path) as c:
        assert c.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert c.execute("SELECT COUNT(*) FROM ledger_records WHERE kind = 'enterprise'").fetchone()[0] == 120
