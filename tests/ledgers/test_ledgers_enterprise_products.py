"""主营产品 and 经营范围 on the enterprise ledger: import under common header spellings, checks, template, export."""

import datetime as dt
import io

import openpyxl

from kechuang.ledgers import get_kind, load_frame
from kechuang.ledgers.excel_io import write_export, write_template
from kechuang.ledgers.importer import import_bytes
from kechuang.ledgers.uscc import make
from test_ledgers_import import xlsx

A = make("91", "320902", "MD0000A01")
B = make("91", "320902", "MD0000A02")


def imp(engine, rows):
    return import_bytes(engine, "enterprise", xlsx(rows), "企业.xlsx", today=dt.date(2026, 11, 25))


def header_row(data: bytes) -> list:
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    return [c.value for c in next(ws.iter_rows(max_row=1))]


def test_products_and_scope_import_under_usual_headers_and_export(engine):
    rows = [["统一社会信用代码", "企业名称", "所属地区", "行业代码", "主要产品", "营业范围"],
            [A, "【演示】甲电池科技有限公司", "320902", "C3841", "磷酸铁锂储能电芯、电池模组",
             "一般项目：电池制造；电池销售；新兴能源技术研发。"],
            [B, "【演示】乙贸易有限公司", "320902", "F5179", None, None]]
    rep = imp(engine, rows)
    assert rep.ok, [p.text() for p in rep.problems]
    f = {r["uscc"]: r for r in load_frame(engine, "enterprise").iter_rows(named=True)}
    assert f[A]["main_products"] == "磷酸铁锂储能电芯、电池模组"
    assert f[A]["business_scope"].startswith("一般项目：电池制造")
    assert f[B]["main_products"] is None and f[B]["business_scope"] is None  # both optional

    out = io.BytesIO()
    write_export(get_kind("enterprise"), load_frame(engine, "enterprise"), out)
    head = header_row(out.getvalue())
    assert "主营产品" in head and "经营范围" in head
    ws = openpyxl.load_workbook(io.BytesIO(out.getvalue())).active
    col = head.index("主营产品")
    assert "磷酸铁锂储能电芯、电池模组" in [r[col] for r in ws.iter_rows(min_row=2, values_only=True)]


def test_template_lists_the_new_columns():
    out = io.BytesIO()
    write_template(get_kind("enterprise"), out)
    head = header_row(out.getvalue())
    assert "主营产品" in head and "经营范围" in head


def test_over_long_scope_is_refused_with_row_and_field(engine):
    rows = [["统一社会信用代码", "企业名称", "所属地区", "主营产品", "经营范围"],
            [A, "【演示】甲电池科技有限公司", "320902", "电芯", "电池制造；" * 500]]
    rep = imp(engine, rows)
    assert not rep.ok
    p = rep.problems[0]
    assert p.row == 2 and "经营范围" in p.text() and "过长" in p.reason
    assert load_frame(engine, "enterprise").height == 0  # nothing half-stored


def test_demo_enterprises_have_products_of_their_industry_and_marked_scope():
    from kechuang.ledgers.demo import PRODUCTS, generate

    ent = generate("320900", 800, seed=11, today=dt.date(2026, 11, 25))["enterprise"]
    assert ent["main_products"].null_count() == 0 and ent["business_scope"].null_count() == 0
    for r in ent.select("industry_code", "main_products", "business_scope").iter_rows(named=True):
        pool = PRODUCTS[r["industry_code"]][0]
        assert set(r["main_products"].split("、")) <= set(pool), r
        assert r["business_scope"].startswith("【演示】") and "经营活动" in r["business_scope"]
    # the look-alikes a chain map must not place are present among traders
    trade = " ".join(ent.filter(ent["industry_code"] == "F5179")["main_products"].to_list())
    assert "铅酸蓄电池销售" in trade or "保健食品销售" in trade
