import datetime as dt
import hashlib
import io
import json
from decimal import Decimal

import openpyxl
import polars as pl
import pytest
import sqlalchemy as sa

from kechuang.ledgers import load_frame
from kechuang.ledgers.importer import import_bytes
from kechuang.ledgers.uscc import check_char, is_valid, make, problem

U1 = make("91", "320902", "MA1000001")
U2 = make("91", "320903", "MA1000002")
U3 = make("92", "320981", "MA1000003")
HEAD = ["统一社会信用代码", "企业名称", "行政区划代码", "国民经济行业代码", "注册日期", "规上企业"]


def xlsx(rows, *, title_rows=0, sheet="企业", extra=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    for i in range(title_rows):
        ws.append([f"说明第{i + 1}行"])
    for r in rows:
        ws.append(r)
    if extra:
        extra(wb)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def good_rows():
    return [HEAD,
            [U1, "【演示】甲科技有限公司", "320902", "C3825", dt.date(2015, 3, 1), "是"],
            [U2, "【演示】乙科技有限公司", "盐都区", "I6513", "2018/5/6", "否"],
            [U3, "【演示】丙科技有限公司", "320981", "C2710", "2020年7月8日", None]]


def dump(engine) -> str:
    """Hash of every row of the tables an import may touch."""
    h = hashlib.sha256()
    with engine.connect() as c:
        for table in ("ledger_records", "audit_log"):
            for row in c.execute(sa.text(f"SELECT * FROM {table} ORDER BY id")):
                h.update(repr(tuple(row)).encode())
    return h.hexdigest()


def imp(engine, kind, data, name="t.xlsx", **kw):
    kw.setdefault("today", dt.date(2026, 11, 25))
    return import_bytes(engine, kind, data, name, **kw)


def test_uscc_check_character():
    assert check_char("91440300192203821") == "6"  # a published code
    assert is_valid("914403001922038216")
    assert "校验位" in problem("914403001922038217")
    assert "18位" in problem("9144030019220382")
    assert "非法字符" in problem("91440300192203821I")
    assert is_valid(U1) and is_valid(U2) and is_valid(U3)


def test_clean_import_then_reimport_is_noop(engine):
    data = xlsx(good_rows(), title_rows=2)
    rep = imp(engine, "企业", data)
    assert rep.ok, [p.text() for p in rep.problems]
    assert (rep.inserted, rep.updated, rep.unchanged) == (3, 0, 0)
    frame = load_frame(engine, "enterprise").sort("uscc")
    assert frame.get_column("uscc").to_list() == sorted([U1, U2, U3])
    assert frame.schema["registered_on"] == pl.Date
    row = frame.filter(pl.col("uscc") == U2).row(0, named=True)
    assert row["region_code"] == "320903" and row["registered_on"] == dt.date(2018, 5, 6)
    assert row["above_scale"] is False
    before = dump(engine)
    rep2 = imp(engine, "企业", data)
    assert rep2.ok and (rep2.inserted, rep2.updated, rep2.unchanged) == (0, 0, 3)
    assert dump(engine) == before


def test_changed_row_updates_and_is_audited(engine):
    imp(engine, "企业", xlsx(good_rows()))
    rows = good_rows()
    rows[1][1] = "【演示】甲科技股份有限公司"
    rep = imp(engine, "企业", xlsx(rows), username="alice")
    assert rep.ok and (rep.inserted, rep.updated, rep.unchanged) == (0, 1, 2)
    with engine.connect() as c:
        audit = c.execute(sa.text("SELECT username, action, entity_id, before, after FROM audit_log "
                                  "WHERE action='update'")).all()
    assert len(audit) == 1
    user, _action, key, before, after = audit[0]
    before, after = (json.loads(x) if isinstance(x, str) else x for x in (before, after))
    assert user == "alice" and key == U1
    assert before == {"name": "【演示】甲科技有限公司"} and after == {"name": "【演示】甲科技股份有限公司"}


def _expect_rejected(engine, data, name="t.xlsx", kind="企业", **kw):
    imp(engine, "企业", xlsx(good_rows()))  # existing content that must survive
    before = dump(engine)
    rep = imp(engine, kind, data, name, **kw)
    assert not rep.ok
    assert dump(engine) == before
    return rep


def test_all_problems_reported_at_once(engine):
    rows = good_rows()
    rows.append([U1[:17] + ("0" if U1[17] != "0" else "1"), "坏校验位", "320902", "C3825", "2020-01-01", "是"])
    rows.append([make("91", "320902", "MA1000009"), "日期不存在", "320902", "C3825", "2023-02-30", "是"])
    rows.append([make("91", "320902", "MA100000A"), "未来日期", "320902", "C3825", "2027-01-01", "也许"])
    rows.append([U2, "重复", "320903", "C3825", "2020-01-01", "否"])
    rep = _expect_rejected(engine, xlsx(rows))
    texts = [p.text() for p in rep.problems]
    by_row = {p.row: p for p in rep.problems}
    assert "校验位错误" in by_row[5].reason and by_row[5].column == "统一社会信用代码"
    assert "日期不存在" in by_row[6].reason and by_row[6].value == "2023-02-30"
    assert any(p.row == 7 and "晚于今天" in p.reason for p in rep.problems)
    assert any(p.row == 7 and "是”或“否" in p.reason for p in rep.problems)
    assert any(p.row == 8 and "与第3行重复" in p.reason for p in rep.problems)
    assert all(t.startswith("文件“t.xlsx”，工作表“企业”，第") for t in texts)


def test_negative_money_and_text_in_number(engine):
    imp(engine, "企业", xlsx(good_rows()))
    head = ["统一社会信用代码", "年度", "职工总数", "销售收入(万元)", "研发费用", "净利润"]
    rows = [head, [U1, 2024, 120, "3500.5", "-10", "-20"], [U2, "2024", "一百", "abc", "12", "3"]]
    before = dump(engine)
    rep = imp(engine, "企业年度数据", xlsx(rows, sheet="年度"))
    assert dump(engine) == before
    reasons = {(p.row, p.column): p.reason for p in rep.problems}
    assert reasons[(2, "研发费用")] == "金额不能为负数"
    assert (2, "净利润") not in reasons  # net profit may be negative
    assert reasons[(3, "职工总数")] == "不是有效的数字"
    assert reasons[(3, "销售收入(万元)")] == "不是有效的数字"


def test_enterprise_year_takes_region_from_enterprise_and_keeps_decimals(engine):
    imp(engine, "企业", xlsx(good_rows()))
    head = ["统一社会信用代码", "年度", "职工总数", "销售收入", "研发费用", "境内研发费用"]
    rows = [head, [U1, 2024, 120, "3500.1234", 210.5, 200], [U2, 2023, 15, 800, "12.30", None]]
    rep = imp(engine, "enterprise_year", xlsx(rows))
    assert rep.ok, [p.text() for p in rep.problems]
    f = load_frame(engine, "enterprise_year").sort("uscc")
    assert f.get_column("key").to_list() == sorted([f"{U1}|2024", f"{U2}|2023"])
    r1 = f.filter(pl.col("uscc") == U1).row(0, named=True)
    assert r1["revenue"] == Decimal("3500.1234") and r1["region_code"] == "320902"
    assert r1["rd_expense"] == Decimal("210.5") and r1["rd_domestic"] == Decimal("200")
    # unknown enterprise without a region
    rows = [head, [make("91", "320902", "MA100000B"), 2024, 1, 1, 1, 1]]
    rep = imp(engine, "enterprise_year", xlsx(rows))
    assert not rep.ok and "无法确定所属地区" in rep.problems[0].reason


def test_cross_field_check(engine):
    imp(engine, "企业", xlsx(good_rows()))
    head = ["统一社会信用代码", "年度", "研发费用", "境内研发费用"]
    rep = imp(engine, "企业年度数据", xlsx([head, [U1, 2024, 10, 20]]))
    assert not rep.ok and "境内研发费用不能大于研发费用" in rep.problems[0].reason


def test_scope_other_region_cannot_be_changed(engine):
    imp(engine, "企业", xlsx(good_rows()))
    rows = [HEAD, [U1, "改名", "320903", "C3825", "2015-03-01", "是"]]  # U1 belongs to 亭湖区
    rep = _expect_rejected(engine, xlsx(rows), scope_root="320903")
    assert any("已由" in p.reason and "320902" in p.reason for p in rep.problems)
    rows = [HEAD, [make("91", "320902", "MA100000C"), "新企业", "320902", "C3825", "2015-03-01", "是"]]
    rep = _expect_rejected(engine, xlsx(rows), scope_root="320903")
    assert "不在您的管辖范围" in rep.problems[0].reason
    # inside the scope it works
    rows = [HEAD, [make("91", "320903", "MA100000D"), "新企业", "320903", "C3825", "2015-03-01", "是"]]
    assert imp(engine, "企业", xlsx(rows), scope_root="320903").ok


def test_merged_cells_hidden_and_empty_sheets(engine):
    def merge(wb):
        wb.active.merge_cells("B3:C3")

    rep = _expect_rejected(engine, xlsx(good_rows(), extra=merge))
    assert "合并单元格" in rep.problems[0].reason and "B3:C3" in rep.problems[0].reason

    # a merged title above the header is fine
    def title_merge(wb):
        wb.active.insert_rows(1)
        wb.active["A1"] = "企业名录"
        wb.active.merge_cells("A1:F1")

    assert imp(engine, "企业", xlsx(good_rows(), extra=title_merge)).ok

    def hidden(wb):
        ws = wb.create_sheet("旧数据")
        for r in good_rows():
            ws.append(r)
        ws.sheet_state = "hidden"

    rep = _expect_rejected(engine, xlsx(good_rows(), extra=hidden))
    assert rep.problems[0].sheet == "旧数据" and "隐藏" in rep.problems[0].reason

    def empty(wb):
        wb.create_sheet("空表")

    assert imp(engine, "企业", xlsx(good_rows(), extra=empty)).ok
    wb = openpyxl.Workbook()
    buf = io.BytesIO()
    wb.save(buf)
    rep = _expect_rejected(engine, buf.getvalue())
    assert "没有数据" in rep.problems[0].reason


def test_header_search(engine):
    assert imp(engine, "企业", xlsx(good_rows(), title_rows=5)).ok
    rep = _expect_rejected(engine, xlsx(good_rows(), title_rows=12))
    assert "未找到" in rep.problems[0].reason and "表头" in rep.problems[0].reason
    rows = good_rows()
    rows[0] = ["信用代码", "企业名称", "所属地区"]  # variants; but 注册日期 etc. optional
    rows = [r[:3] for r in rows]
    assert imp(engine, "企业", xlsx(rows)).ok
    rep = _expect_rejected(engine, xlsx([["企业名称", "所属地区"], ["甲", "320902"]]))
    assert "缺少必填列：统一社会信用代码" in rep.problems[0].reason


def test_csv_gbk_and_utf8(engine):
    text = "\n".join(",".join("" if v is None else str(v) for v in r) for r in good_rows())
    rep = imp(engine, "企业", text.encode("gbk"), "企业.csv")
    assert rep.ok, [p.text() for p in rep.problems]
    assert rep.inserted == 3
    rep = imp(engine, "企业", ("\ufeff" + text).encode("utf-8"), "企业.csv")
    assert rep.ok and rep.unchanged == 3
    names = load_frame(engine, "企业").get_column("name").to_list()
    assert "【演示】乙科技有限公司" in names


def test_zero_byte_and_not_excel(engine):
    rep = _expect_rejected(engine, b"", "empty.xlsx")
    assert rep.problems[0].reason == "文件为空（0 字节）"
    rep = _expect_rejected(engine, b"%PDF-1.4 this is not a spreadsheet", "x.xlsx")
    assert "不是有效的 Excel" in rep.problems[0].reason
    rep = _expect_rejected(engine, b"PK\x03\x04garbage-zip", "x.xlsx")
    assert "不是有效的 Excel" in rep.problems[0].reason
    rep = _expect_rejected(engine, bytes(range(256)) * 10, "x.csv")
    assert rep.problems


@pytest.mark.parametrize("kind", ["ip", "certification", "talent", "carrier", "project",
                                  "tech_contract", "cooperation"])
def test_template_roundtrip_headers(tmp_path, engine, kind):
    from kechuang.ledgers.excel_io import write_template
    from kechuang.ledgers.kinds import get_kind

    k = get_kind(kind)
    path = tmp_path / "t.xlsx"
    write_template(k, path)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    headers = [c.value for c in ws[1]]
    assert headers == [f.header for f in k.fields]
    assert ws.cell(1, 1).comment is not None
    enum_cols = [f for f in k.fields if f.type == "enum"]
    assert len(ws.data_validations.dataValidation) >= len(enum_cols)
    # an empty template imports as "no data rows", changing nothing
    rep = imp(engine, kind, path.read_bytes())
    assert not rep.ok and "没有数据行" in rep.problems[0].reason


def test_concurrent_duplicate_insert_is_reported_not_raised(engine, monkeypatch):
    from kechuang.ledgers import store

    real = store.existing

    def stale(conn, kind, keys=None):  # pretend the row was not there when we looked
        return real(conn, kind, keys).clear()

    imp(engine, "企业", xlsx(good_rows()))
    before = dump(engine)
    rows = good_rows()
    rows[1][1] = "改名"
    monkeypatch.setattr(store, "existing", stale)
    rep = imp(engine, "企业", xlsx(rows))
    assert not rep.ok and "同时写入" in rep.problems[0].reason
    assert dump(engine) == before


def xls(rows, *, title_rows=0, sheet="企业") -> bytes:
    """A real Excel 97–2003 workbook (BIFF8), as older office software still writes."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet(sheet)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    for i in range(title_rows):
        ws.write(i, 0, f"说明第{i + 1}行")
    for r, row in enumerate(rows, start=title_rows):
        for c, v in enumerate(row):
            if v is None:
                continue
            ws.write(r, c, v, date_style) if isinstance(v, dt.date) else ws.write(r, c, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_xls_import_reimport_and_row_numbers_in_problems(engine):
    data = xls(good_rows(), title_rows=1)
    assert data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    rep = imp(engine, "企业", data, "旧台账.xls")
    assert rep.ok, [p.text() for p in rep.problems]
    assert (rep.inserted, rep.updated, rep.unchanged) == (3, 0, 0)
    row = load_frame(engine, "enterprise").filter(pl.col("uscc") == U1).row(0, named=True)
    assert row["registered_on"] == dt.date(2015, 3, 1) and row["above_scale"] is True
    assert imp(engine, "企业", data, "旧台账.xls").unchanged == 3

    rows = good_rows()
    rows.append([make("91", "320902", "MA1000009"), "日期不存在", "320902", "C3825", "2023-02-30", "是"])
    rep = _expect_rejected(engine, xls(rows, title_rows=1), "旧台账.xls")
    [p] = rep.problems
    # title row 1, header row 2, data rows 3–6: the bad one is row 6 as Excel shows it
    assert (p.row, p.column, p.value) == (6, "注册日期", "2023-02-30")
    assert p.text().startswith("文件“旧台账.xls”，工作表“企业”，第6行")


def test_import_records_mixes_ids_and_labels_and_reports_like_a_file(engine):
    from kechuang.ledgers.importer import import_records

    good = {"uscc": U1, "企业名称": "【演示】甲科技有限公司", "行政区划代码": "320902", "above_scale": True}
    bad = {"统一社会信用代码": make("91", "320902", "MA1000009"), "name": "日期不存在", "region_code": "320902",
           "registered_on": "2023-02-30"}
    before = dump(engine)
    rep = import_records(engine, "企业", [good, bad], today=dt.date(2026, 11, 25))
    assert not rep.ok and dump(engine) == before
    [p] = rep.problems
    assert (p.row, p.column, p.value) == (3, "registered_on", "2023-02-30")  # row 2 is records[0]
    rep = import_records(engine, "企业", [good], today=dt.date(2026, 11, 25))
    assert rep.ok and rep.inserted == 1
    row = load_frame(engine, "enterprise").row(0, named=True)
    assert row["name"] == "【演示】甲科技有限公司" and row["above_scale"] is True


def test_written_units_convert_through_the_unit_registry(engine):
    """"3亿元" in a 万元 column is 30000 万元, "1.2万人" is 12000 people; a unit of another family
    is an error naming it, never a silently wrong number."""
    imp(engine, "企业", xlsx(good_rows()))
    head = ["统一社会信用代码", "年度", "职工总数", "销售收入", "研发费用"]
    rows = [head, [U1, 2024, "1.2万人", "3亿元", "2,500 万元"], [U2, 2024, "15名", "800元", 12]]
    rep = imp(engine, "enterprise_year", xlsx(rows))
    assert rep.ok, [p.text() for p in rep.problems]
    f = load_frame(engine, "enterprise_year").sort("uscc")
    r1, r2 = (f.filter(pl.col("uscc") == u).row(0, named=True) for u in (U1, U2))
    assert (r1["employees"], r1["revenue"], r1["rd_expense"]) == (12000, Decimal(30000), Decimal(2500))
    assert (r2["employees"], r2["revenue"]) == (15, Decimal("0.08"))
    before = dump(engine)
    rep = imp(engine, "enterprise_year", xlsx([head, [U1, 2023, "15家", "4亿美元", 1]]))
    assert dump(engine) == before
    reasons = {(p.row, p.column): p.reason for p in rep.problems}
    assert reasons[(2, "销售收入")] == "单位“亿美元”不能换算为本列的单位“万元”"
    assert reasons[(2, "职工总数")] == "单位“家”不能换算为本列的单位“人”"
