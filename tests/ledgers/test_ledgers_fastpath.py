"""The fast import path: sheet visibility, merged cells and start rows from the xlsx XML (streamed
in chunks), booleans decided per distinct value, and chunked encode+insert equal to the plain one."""

import datetime as dt
import io

import openpyxl
import polars as pl
import sqlalchemy as sa

from kechuang.ledgers import excel_io, store
from kechuang.ledgers.importer import import_bytes
from kechuang.ledgers.kinds import get_kind
from kechuang.ledgers.uscc import make
from kechuang.ledgers.validate import validate

TODAY = dt.date(2026, 11, 25)
HEAD = ["统一社会信用代码", "年度", "企业名称", "行政区划代码", "职工总数", "研发费用(万元)", "获私募股权投资"]


def usccs(n):
    return [make("91", "320902", f"MA{i:07d}") for i in range(n)]


def book(rows, *, title_rows=0, merges=(), hidden=None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "年度数据"
    for i in range(title_rows):
        ws.append([])  # leading empty rows: calamine trims them, the XML scan must not
    for r in rows:
        ws.append(r)
    for m in merges:
        ws.merge_cells(m)
    if hidden:
        h = wb.create_sheet(hidden)
        h.append(HEAD)
        h.append(rows[1])
        h.sheet_state = "hidden"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def rows(n):
    return [HEAD] + [[u, 2024, f"【演示】企业{i}", "320902", 10 + i % 7, 12.5 + i, "是" if i % 2 else " 否 "]
                     for i, u in enumerate(usccs(n))]


def test_scan_finds_merges_after_many_chunks_and_first_row(monkeypatch):
    # tiny chunks: the "<mergeCells" marker and the first row straddle chunk boundaries
    monkeypatch.setattr(excel_io, "_SCAN_CHUNK", 7)
    data = book(rows(30), title_rows=2, merges=["B20:C20", "E25:E27"], hidden="旧数据")
    infos = {i.name: i for i in excel_io.xlsx_sheets(data)}
    main = infos["年度数据"]
    assert main.state == "visible" and main.first_row == 3
    assert sorted(main.merges) == [("B20:C20", 20, 20), ("E25:E27", 25, 27)]
    assert infos["旧数据"].state == "hidden" and infos["旧数据"].merges == []


def test_merged_cell_and_hidden_sheet_reported_with_sheet_and_row(engine):
    kind = get_kind("enterprise_year")
    res = excel_io.read_ledger_file(kind, book(rows(5), title_rows=1, merges=["B5:C5"]), "年报.xlsx")
    assert len(res.problems) == 1
    p = res.problems[0]
    assert (p.file, p.sheet, p.row, p.value) == ("年报.xlsx", "年度数据", 5, "B5:C5")
    assert "合并单元格" in p.text() and "第5行" in p.text()

    rep = import_bytes(engine, "enterprise_year", book(rows(3), hidden="旧数据"), "年报.xlsx", today=TODAY)
    assert not rep.ok and rep.problems[0].sheet == "旧数据" and "隐藏" in rep.problems[0].reason
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM ledger_records")).scalar_one() == 0


def test_rows_after_leading_empty_rows_keep_their_excel_numbers():
    kind = get_kind("enterprise_year")
    data = rows(3)
    data[2][4] = "很多"
    res = excel_io.read_ledger_file(kind, book(data, title_rows=3), "a.xlsx")
    assert not res.problems
    _typed, problems = validate(kind, res.frame, file="a.xlsx", headers=res.columns, today=TODAY)
    assert [(p.row, p.column, p.value) for p in problems] == [(6, "职工总数", "很多")]


def test_booleans_per_distinct_value():
    kind = get_kind("enterprise_year")
    given = {"uscc": usccs(6), "year": ["2024"] * 6, "region_code": ["320902"] * 6,
             "pe_backed": ["是", " 否 ", "YES", "n", "也许", None]}
    raw = pl.DataFrame({f.id: pl.Series(given.get(f.id, [None] * 6), dtype=pl.String) for f in kind.fields})
    raw = raw.with_columns(pl.Series("_row", range(2, 8)), pl.lit("").alias("_sheet"))
    typed, problems = validate(kind, raw, file="a.csv", today=TODAY)
    assert typed.get_column("pe_backed").to_list() == [True, False, True, False, None, None]
    assert [(p.row, p.value) for p in problems] == [(6, "也许")]


def test_chunked_insert_equals_plain_insert(engine):
    kind = get_kind("enterprise_year")
    raw = excel_io.read_ledger_file(kind, book(rows(23)), "a.xlsx")
    typed, problems = validate(kind, raw.frame, file="a.xlsx", headers=raw.columns, today=TODAY)
    assert not problems
    now = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.timezone.utc)
    with engine.begin() as conn:
        assert store.insert_typed(conn, kind, typed, now, chunk=5) == 23
    with engine.begin() as conn:
        store.insert_encoded(conn, "bench_plain", store.encode(kind, typed), now)
    q = "SELECT key, region_code, uscc, year, data, row_hash FROM ledger_records WHERE kind = :k ORDER BY id"
    with engine.connect() as c:
        chunked = c.execute(sa.text(q), {"k": "enterprise_year"}).all()
        plain = c.execute(sa.text(q), {"k": "bench_plain"}).all()
    assert len(chunked) == 23 and chunked == plain
    assert [r[0] for r in chunked] == typed.get_column("key").to_list()  # file order kept
