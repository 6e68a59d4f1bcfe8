import datetime as dt
import json
from decimal import Decimal as D

import pytest
from sqlalchemy import inspect, select
from typer.testing import CliRunner

from kechuang.audit import AuditEntry
from kechuang.targets.metrics import dict_source
from kechuang.targets.progress import backfill_snapshots, history, progress_report
from kechuang.targets.store import (Target, TargetError, add_target, bind_target, dismiss_target,
                                    list_targets)

runner = CliRunner()


def test_add_binds_by_synonym_and_keeps_exact_value(session):
    t = add_target(session, region="320900", region_code="320900", indicator="技术合同交易额", value="3.9",
                   unit="亿元", year=2024, source_doc="a.txt", source_quote="技术合同交易额达3.9亿元")
    session.commit()
    got = session.get(Target, t.id)
    assert got.metric_id == "tech_contract_amount" and got.binding_status == "bound"
    assert got.value == D("3.9")


@pytest.mark.parametrize("kw, msg", [
    ({"value": "abc"}, "不是有效数字"),
    ({"value": "-1"}, "非负"),
    ({"unit": " "}, "单位不能为空"),
    ({"comparator": "!="}, "比较符"),
    ({"metric_id": "hnte_valid", "unit": "亿元"}, "不兼容"),
    ({"metric_id": "nope"}, "未知指标"),
    ({"indicator": " "}, "不能为空"),
])
def test_bad_targets_are_refused_and_nothing_is_stored(session, kw, msg):
    args = dict(region="320900", region_code="320900", indicator="高企", value="10", unit="家", year=2024)
    args.update(kw)
    with pytest.raises(TargetError, match=msg):
        add_target(session, **args)
    session.rollback()
    assert list_targets(session) == []


def test_unknown_unit_is_kept_and_flagged_in_chinese(session):
    """A target in a unit the registry does not know is stored, unbound, with the reason."""
    t = add_target(session, region="320900", region_code="320900", indicator="新增高企", value="10", unit="斤",
                   year=2024)
    session.commit()
    got = session.get(Target, t.id)
    assert got.unit == "斤" and got.binding_status == "unbound" and got.metric_id is None
    assert "计量单位“斤”不在单位表中" in got.problem
    with pytest.raises(TargetError, match="不在单位表中"):
        bind_target(session, t.id, "hnte_new", "alice")
    [p] = progress_report(session, session.get_bind(), year=2024, today=dt.date(2024, 6, 30),
                          source=dict_source({}))
    assert p.status is None and "不在单位表中" in p.error


def test_import_keeps_every_unit_the_reader_emits(session):
    """Statements in 台/套/所/个百分点 (reader units) become targets instead of vanishing."""
    from kechuang.reader.store import Document, Statement

    doc = Document(filename="a.txt", title="a", checksum="0" * 64, text="x", published_on=dt.date(2024, 2, 1),
                   ingested_at=dt.datetime.now(dt.timezone.utc))
    session.add(doc)
    session.flush()
    units_ = ["台", "套", "所", "个百分点", "万美元", "平方公里", "斤"]
    for i, u in enumerate(units_):
        session.add(Statement(document_id=doc.id, seq=i, quote=f"新增设备10{u}", start=0, end=5, value=D(10),
                              unit=u, indicator="设备", kind="target", comparator=">=", region="盐城市",
                              region_code="320900", actor="", period="2024"))
    session.flush()
    from kechuang.targets.store import import_statements

    new, _bound = import_statements(session, "t")
    assert new == len(units_)
    got = {t.unit: t.problem for t in list_targets(session)}
    assert set(got) == set(units_)
    assert [u for u, prob in got.items() if prob] == ["斤"]


def test_bind_and_dismiss_are_audited(session):
    t = add_target(session, region="320900", region_code="320900", indicator="新招引科技型企业", value="100",
                   unit="家", year=2024)
    assert t.binding_status == "unbound" and t.metric_id is None
    bind_target(session, t.id, "tech_sme_registered", "alice")
    assert t.binding_status == "bound"
    dismiss_target(session, t.id, "alice")
    session.commit()
    actions = [a.action for a in session.scalars(select(AuditEntry).where(AuditEntry.entity == "target"))]
    assert actions == ["bind", "dismiss"]
    with pytest.raises(TargetError, match="不存在"):
        bind_target(session, 999, "hnte_new", "alice")


def test_progress_report_and_history_snapshots(session, engine, ledgers):
    add_target(session, region="320900", region_code="320900", indicator="新增认定高企", value="2", unit="家",
               year=2024)
    add_target(session, region="320903", region_code="320903", indicator="外资到账", value="3000",
               unit="万美元", year=2024)
    src = dict_source(ledgers)
    rows = progress_report(session, engine, year=2024, today=dt.date(2024, 6, 30), source=src)
    assert [r.current for r in rows] == [1, None]
    scoped = progress_report(session, engine, region_code="320903", year=2024, source=src)
    assert [r.target.region_code for r in scoped] == ["320903"]
    targets = list_targets(session, binding="bound")
    n = backfill_snapshots(session, targets, src, dt.date(2024, 6, 30))
    session.commit()
    snaps = history(session, targets[0].id)
    assert n == 6 and [s.as_of.month for s in snaps] == [1, 2, 3, 4, 5, 6]
    assert [int(s.current) for s in snaps] == [0, 0, 0, 0, 1, 1]
    # taking the same snapshots again refreshes them instead of duplicating
    backfill_snapshots(session, targets, src, dt.date(2024, 6, 30))
    session.commit()
    assert len(history(session, targets[0].id)) == 6


def test_cli_add_queue_bind_progress_jsonl(db_url):
    from kechuang.cli import app

    r = runner.invoke(app, ["targets", "add", "--region", "320900", "--indicator", "新招引科技型企业",
                            "--value", "100", "--unit", "家", "--year", "2024"])
    assert r.exit_code == 0, r.output
    assert "待绑定" in r.output
    r = runner.invoke(app, ["targets", "add", "--region", "320900", "--indicator", "高企", "--value", "x",
                            "--unit", "家"])
    assert r.exit_code == 2 and "不是有效数字" in r.output
    r = runner.invoke(app, ["targets", "bind", "1", "hnte_valid", ])
    assert r.exit_code == 2 and "不能绑定到存量指标" in r.output   # a 新招引 target counts what is added
    r = runner.invoke(app, ["targets", "bind", "1", "tech_sme_registered"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["targets", "unbind", "1"])
    assert r.exit_code == 0 and "已解除绑定" in r.output
    r = runner.invoke(app, ["targets", "bind", "1", "tech_sme_registered"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["targets", "bind", "1", "tech_contract_amount"])
    assert r.exit_code == 2 and "不兼容" in r.output


def test_cli_demo_is_idempotent(db_url, session):
    from kechuang.cli import app

    r = runner.invoke(app, ["targets", "demo", "--year", "2024"])
    assert r.exit_code == 0, r.output
    n = len(list_targets(session))
    assert n > 50
    assert {t.region_code for t in list_targets(session)} >= {"320900", "320902", "320981"}
    assert list_targets(session, binding="unbound")
    r = runner.invoke(app, ["targets", "demo", "--year", "2024"])
    assert "0 个" in r.output and len(list_targets(session)) == n


def test_migration_creates_tables(engine):
    names = set(inspect(engine).get_table_names())
    assert {"targets", "target_snapshots"} <= names


def test_cli_progress_formats(db_url, tmp_path):
    from kechuang.cli import app

    runner.invoke(app, ["targets", "demo", "--year", "2024"])
    r = runner.invoke(app, ["targets", "progress", "--region", "320903", "--year", "2024", "--date",
                            "2024-06-30", "--format", "jsonl"])
    assert r.exit_code == 0, r.output
    rows = [json.loads(line) for line in r.output.splitlines() if line.strip()]
    assert rows and all(row["region_code"] == "320903" for row in rows)
    keys = {"region", "region_code", "indicator", "metric", "period", "comparator", "target", "current",
            "share", "expected", "status", "source"}
    assert all(keys <= set(row) for row in rows)
    assert {row["metric"] for row in rows} >= {"hnte_new", "tech_contract_amount"}
    out = tmp_path / "p.xlsx"
    r = runner.invoke(app, ["targets", "progress", "--year", "2024", "--format", "xlsx", "-o", str(out)])
    assert r.exit_code == 0, r.output
    import polars as pl

    frame = pl.read_excel(out)
    assert "完成率" in frame.columns and frame.height > len(rows)
    r = runner.invoke(app, ["targets", "progress", "--format", "csv"])
    assert r.exit_code == 2


def test_cli_assess_unknown_city(db_url):
    from kechuang.cli import app

    r = runner.invoke(app, ["targets", "assess", "--city", "320200"])
    assert r.exit_code == 2 and "考核指标体系" in r.output


def test_flow_target_never_binds_to_a_stock_metric(session):
    """新增 (flow) against 有效/总数 (stock), by hand and automatically."""
    t = add_target(session, region="320900", region_code="320900", indicator="新增科技企业孵化器", value="3",
                   unit="个", year=2024)
    assert t.metric_id is None  # 孵化器 alone would bind to the stock count of incubators
    with pytest.raises(TargetError, match="期内新增量,不能绑定到存量指标"):
        bind_target(session, t.id, "incubator_count", "alice")
    s = add_target(session, region="320900", region_code="320900", indicator="有效高企总数", value="30",
                   unit="家", year=2024)
    assert s.metric_id == "hnte_valid"
    with pytest.raises(TargetError, match="不能绑定到期内新增指标"):
        bind_target(session, s.id, "hnte_new", "alice")
    f = add_target(session, region="320900", region_code="320900", indicator="新增高企", value="30", unit="家",
                   year=2024)
    assert f.metric_id == "hnte_new"
    from kechuang.targets.store import candidate_metrics

    assert "hnte_valid" not in {m.id for m in candidate_metrics(f)}
    assert {m.unit for m in candidate_metrics(f)} <= {"家", "个", "项", "件", "人", "人次", "名", "位"}


def test_unbind_rebind_restore_are_audited_and_history_follows(session, ledgers):
    from kechuang.targets.store import ImplausibleBinding, restore_target, unbind_target

    src = dict_source(ledgers)
    t = add_target(session, region="320900", region_code="320900", indicator="新认定高企", value="2", unit="家",
                   year=2024, auto_bind=False)
    bind_target(session, t.id, "hnte_new", "alice", source=src, today=dt.date(2024, 6, 30))
    # history recorded at binding, from the dated ledger: one snapshot per month end and today
    assert [s.as_of.month for s in history(session, t.id)] == [1, 2, 3, 4, 5, 6]
    # a 新认定 target cannot be rebound to the count of valid certificates
    with pytest.raises(TargetError, match="期内新增量"):
        bind_target(session, t.id, "hnte_valid", "alice", source=src, today=dt.date(2024, 6, 30))
    unbind_target(session, t.id, "alice")
    assert t.binding_status == "unbound" and history(session, t.id) == []
    dismiss_target(session, t.id, "alice")
    restore_target(session, t.id, "alice")
    assert t.binding_status == "unbound"
    # a target of 0.5 家 bound to the 3 valid certificates of 30 June is 600 %: confirm first
    small = add_target(session, region="320900", region_code="320900", indicator="高企", value="0.5",
                       unit="家", year=2024, auto_bind=False)
    with pytest.raises(ImplausibleBinding, match="完成率 600%,超过 300%"):
        bind_target(session, small.id, "hnte_valid", "alice", source=src, today=dt.date(2024, 6, 30))
    assert small.binding_status == "unbound"
    bind_target(session, small.id, "hnte_valid", "alice", source=src, today=dt.date(2024, 6, 30), confirm=True)
    bind_target(session, small.id, "tech_sme_registered", "bob", source=src, today=dt.date(2024, 6, 30))
    session.commit()
    trail = [(a.action, a.entity_id, (a.before or {}).get("metric_id"), (a.after or {}).get("metric_id"))
             for a in session.scalars(select(AuditEntry).where(AuditEntry.entity == "target")
                                      .order_by(AuditEntry.id))]
    assert trail == [("bind", str(t.id), None, "hnte_new"), ("unbind", str(t.id), "hnte_new", None),
                     ("dismiss", str(t.id), None, None), ("restore", str(t.id), None, None),
                     ("bind", str(small.id), None, "hnte_valid"),
                     ("rebind", str(small.id), "hnte_valid", "tech_sme_registered")]


def test_history_is_recorded_after_a_ledger_import_without_a_command(engine, session):
    """A bound target of this year gets its month-end history as soon as its ledger changes."""
    from kechuang.ledgers.demo import generate_city
    from kechuang.targets.progress import record_after_import

    today = dt.date(2026, 5, 20)
    t = add_target(session, region="320900", region_code="320900", indicator="新认定高企", value="50", unit="家",
                   year=2026)
    other = add_target(session, region="320900", region_code="320900", indicator="技术合同交易额", value="3",
                       unit="亿元", year=2026)
    session.commit()
    generate_city(engine, "320900", enterprises=300, seed=3, today=today)
    assert record_after_import(engine, ["certification"], today) == 5   # Jan–Apr month ends and today
    assert [s.as_of for s in history(session, t.id)][-1] == today
    assert history(session, other.id) == []   # its ledger did not change
