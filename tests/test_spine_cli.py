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
    _office_year_is_there(engine)


def _office_year_is_there(engine):
    """The demo city's year of work (演示): a split with one contested share, a past round approved,
    an open round with one district late (warned), tasks with one overdue, officers' enterprises."""
    import datetime as dt

    from sqlalchemy import func, select

    from kechuang import db
    from kechuang.demo.office import CONTESTED, LATE, OFFICERS, seed_office_year
    from kechuang.rounds import board, list_rounds
    from kechuang.service import Visit, my_work
    from kechuang.targets.split import TargetShare
    from kechuang.warnings import evaluate, list_tasks

    today = dt.date.today()
    with db.session_scope(engine) as s:
        statuses = sorted(st for (st,) in s.execute(select(TargetShare.status)))
        assert statuses.count("contested") == 1 and statuses.count("pending") == 1 and statuses.count("confirmed") >= 5
        past, current = sorted(list_rounds(s, None), key=lambda r: r.deadline)
        assert past.status == "closed" and {b.submission.status for b in board(s, past, today)} == {"approved"}
        late = [b.submission.region_code for b in board(s, current, today) if b.overdue]
        assert current.status == "open" and late == [LATE]
        assert LATE in {w.region_code for w in evaluate(s, None, today, only="round_overdue")}
        tasks = list_tasks(s, None)
        assert len(tasks) >= 3 and sum(t.overdue_on(today) for t in tasks) == 1
        assert s.scalar(select(func.count()).select_from(Visit)) > 0
        for username, _name, _code in OFFICERS:
            assert any(i["kind"] == "分包企业" for i in my_work(s, username, None, today))
        assert CONTESTED != LATE
    assert seed_office_year(engine) is None  # a second run changes nothing


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
