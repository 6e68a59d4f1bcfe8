import datetime as dt
import io
from decimal import Decimal

import openpyxl
import polars as pl

from kechuang.excel import content_disposition, write_xlsx, xlsx_response


def test_write_xlsx_headers_types_and_validation(tmp_path):
    df = pl.DataFrame({
        "uscc": ["91320900MA1XXXXX0A", None],
        "amount": [Decimal("12.3400"), Decimal("5")],
        "day": [dt.date(2024, 3, 1), None],
        "kind": ["甲", "乙"],
    })
    path = tmp_path / "out.xlsx"
    write_xlsx(path, {"企业": df, "空表": pl.DataFrame({"a": []})},
               labels={"uscc": "统一社会信用代码", "amount": "金额"},
               notes={"amount": "单位：万元"}, validations={"kind": ["甲", "乙"]})
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["企业", "空表"]
    ws = wb["企业"]
    assert [c.value for c in ws[1]] == ["统一社会信用代码", "金额", "day", "kind"]
    assert ws["A1"].font.bold
    assert ws.freeze_panes == "A2"
    assert ws["B2"].value == 12.34
    assert ws["C2"].value.date() == dt.date(2024, 3, 1)
    assert ws["C3"].value is None
    assert ws["B1"].comment.text.startswith("单位")
    dv = ws.data_validations.dataValidation
    assert dv and dv[0].type == "list" and "甲" in dv[0].formula1


def test_xlsx_response_chinese_filename():
    resp = xlsx_response(pl.DataFrame({"a": [1]}), "企业台账")
    cd = resp.headers["content-disposition"]
    assert "filename*=UTF-8''%E4%BC%81%E4%B8%9A%E5%8F%B0%E8%B4%A6.xlsx" in cd
    wb = openpyxl.load_workbook(io.BytesIO(resp.body))
    assert wb.active["A2"].value == 1
    assert content_disposition("a.xlsx").startswith('attachment; filename="a.xlsx"')
