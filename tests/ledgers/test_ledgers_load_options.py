"""Reading a ledger through a caller's connection leaves that connection's options as they were."""

import datetime as dt
import io

import openpyxl

from kechuang.ledgers import load_frame
from kechuang.ledgers.importer import import_bytes


def test_load_frame_leaves_the_callers_connection_options(engine):
    wb = openpyxl.Workbook()
    for r in (["姓名", "人才计划", "级别", "入选年度", "入选日期", "工作单位", "行政区划代码"],
              ["演示·甲", "国家重点人才计划", "国家级", 2025, "2025-08-01", "【演示】甲公司", "320902"]):
        wb.active.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    assert import_bytes(engine, "talent", buf.getvalue(), "t.xlsx", today=dt.date(2026, 11, 25)).ok
    with engine.connect() as conn:
        before = dict(conn.get_execution_options())
        assert load_frame(conn, "talent").height == 1
        assert dict(conn.get_execution_options()) == before
