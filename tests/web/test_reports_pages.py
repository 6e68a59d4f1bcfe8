"""The 报告 page: preview, .docx/.pdf/.xlsx downloads, region scope and a bad period."""

import io

import pytest

from kechuang import db
from kechuang.targets.store import add_target


@pytest.fixture
def report_targets(engine):
    with db.session_scope(engine) as s:
        add_target(s, region="亭湖区", region_code="320902", indicator="有效高新技术企业数", value="5", unit="家",
                   year=2024)
        add_target(s, region="盐都区", region_code="320903", indicator="技术合同交易额", value="7", unit="亿元",
                   year=2024)


def test_report_page_and_downloads(client_as, report_targets):
    from docx import Document

    c = client_as("officer", "320902")
    page = c.get("/reports", params={"period": "2024Q4"})
    assert page.status_code == 200
    assert "亭湖区" in page.text and "2024年第四季度" in page.text and "下载 Word" in page.text
    assert "技术合同交易额" not in page.text  # 盐都区's target is outside the officer's region
    word = c.get("/reports", params={"period": "2024Q4", "format": "docx"})
    assert word.status_code == 200 and word.headers["content-type"].startswith("application/vnd.openxml")
    doc = Document(io.BytesIO(word.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    assert "2024年第四季度" in text and "有效高新技术企业数" in cells and "5家" in cells
    pdf = c.get("/reports", params={"period": "2024-12", "format": "pdf"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    xlsx = c.get("/reports", params={"period": "2024Q4", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_region_outside_scope_is_403(client_as, report_targets):
    c = client_as("officer", "320902")
    r = c.get("/reports", params={"region": "盐都区", "period": "2024Q4", "format": "pdf"},
              headers={"accept": "application/json"})
    assert r.status_code == 403


def test_bad_period_is_a_chinese_400_naming_it(client_as):
    c = client_as("officer", "320902")
    r = c.get("/reports", params={"period": "2026Q5", "format": "docx"}, headers={"accept": "application/json"})
    assert r.status_code == 400 and "报告期“2026Q5”无效" in r.json()["detail"]
