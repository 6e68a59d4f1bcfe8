"""Talent application stage / intake defaults and project completed investment on import."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import polars as pl

from kechuang.ledgers import get_kind, load_frame
from kechuang.ledgers.importer import import_bytes


def xlsx(rows) -> bytes:
    wb = openpyxl.Workbook()
    for r in rows:
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def imp(engine, kind, rows):
    return import_bytes(engine, kind, xlsx(rows), "t.xlsx", today=dt.date(2026, 11, 25))


def test_old_talent_file_imports_as_selections_with_intake_from_program(engine):
    rows = [["姓名", "人才计划", "级别", "入选年度", "入选日期", "工作单位", "行政区划代码"],
            ["演示·甲", "国家重点人才计划", "国家级", 2025, "2025-08-01", "【演示】甲公司", "320902"],
            ["演示·乙", "引进博士", "市级", 2025, None, "【演示】甲公司", "320902"],
            ["演示·丙", "区县级人才计划", "区县级", 2025, None, "【演示】甲公司", "320902"]]
    rep = imp(engine, "talent", rows)
    assert rep.ok, [p.text() for p in rep.problems]
    f = load_frame(engine, "talent").sort("person_name")
    assert f.get_column("stage").to_list() == ["selected", "selected", "selected"]
    got = dict(zip(f.get_column("person_name"), f.get_column("intake")))
    assert got == {"演示·甲": "high_level", "演示·乙": "doctor", "演示·丙": None}


def test_application_stage_and_dates_are_read_and_checked(engine):
    head = ["姓名", "人才计划", "级别", "年度", "申报状态", "申报日期", "结果公布日期", "工作单位", "行政区划代码", "引进类别"]
    rows = [head,
            ["演示·甲", "国家重点人才计划", "国家级", 2026, "评审中", "2026-03-01", None, "【演示】甲公司", "320902", None],
            ["演示·乙", "省双创计划", "省级", 2026, "未入选", "2026-02-01", "2026-07-01", "【演示】甲公司", "320902", None],
            ["演示·丙", "引进大学生", "区县级", 2026, None, None, "2026-07-01", "【演示】甲公司", "320902", "博士"]]
    rep = imp(engine, "talent", rows)
    assert rep.ok, [p.text() for p in rep.problems]
    f = {r["person_name"]: r for r in load_frame(engine, "talent").iter_rows(named=True)}
    assert [f[p]["stage"] for p in ("演示·甲", "演示·乙", "演示·丙")] == ["applied", "rejected", "selected"]
    assert f["演示·甲"]["applied_on"] == dt.date(2026, 3, 1) and f["演示·甲"]["selected_on"] is None
    # an explicit 引进类别 wins over the one implied by the program
    assert [f[p]["intake"] for p in ("演示·甲", "演示·乙", "演示·丙")] == ["high_level", "high_level", "doctor"]

    bad = [head, ["演示·丁", "国家重点人才计划", "国家级", 2026, "入选", "2026-05-01", "2026-04-01",
                  "【演示】甲公司", "320902", None]]
    rep = imp(engine, "talent", bad)
    assert not rep.ok and "结果公布日期不能早于申报日期" in rep.problems[0].reason
    assert rep.problems[0].row == 2


def test_stage_default_is_declared_in_the_template_note():
    stage = get_kind("talent").field("stage")
    assert stage.default == "selected" and "默认为“入选”" in stage.describe()


def test_project_completed_investment(engine):
    head = ["项目编号", "项目名称", "项目类型", "承担单位", "行政区划代码", "总投资(万元)", "本年完成投资(万元)",
            "统计日期", "项目状态", "开始日期"]
    rows = [head, ["DEMO-1", "【演示】技改", "技术改造", "【演示】甲", "320902", 5000, "1200.55", "2026-10-31", "在建", "2025-03-01"],
            ["DEMO-2", "【演示】旧项目", "技改项目", "【演示】乙", "320902", 800, None, None, "在建", "2025-03-01"]]
    rep = imp(engine, "project", rows)
    assert rep.ok, [p.text() for p in rep.problems]
    f = load_frame(engine, "project").sort("project_no")
    assert f.get_column("completed_investment").to_list() == [Decimal("1200.55"), None]
    assert f.get_column("investment_reported_on").to_list() == [dt.date(2026, 10, 31), None]

    bad = [head, ["DEMO-3", "【演示】技改", "技术改造", "【演示】甲", "320902", 500, 600, "2026-10-31", "在建", "2025-03-01"]]
    rep = imp(engine, "project", bad)
    assert not rep.ok and "完成投资不能大于总投资" in rep.problems[0].reason


def test_demo_applications_contain_the_selections():
    from kechuang.ledgers.demo import generate

    t = generate("320900", enterprises=600, seed=7)["talent"]
    assert set(t.get_column("stage").unique().to_list()) >= {"selected", "rejected"}
    results = t.filter(pl.col("applied_on").is_not_null() & pl.col("selected_on").is_not_null())
    assert results.filter(pl.col("applied_on") > pl.col("selected_on")).height == 0
    assert t.filter((pl.col("stage") == "applied") & pl.col("selected_on").is_not_null()).height == 0
    grads = t.filter(pl.col("program") == "graduate")
    assert grads.height > 0 and set(grads.get_column("intake").unique().to_list()) == {"graduate"}
