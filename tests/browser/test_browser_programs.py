"""An officer of the demo city works the 企业培育 pages in a real browser: program counts with the
reason 高企 has no 符合, lists by region name with names and pages, the 小升高 list without
certificate holders, and an enterprise page that explains every criterion."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from kechuang import db
from kechuang.accounts import add_user

pytestmark = pytest.mark.browser

PASSWORD = "browser-pass-9"
TODAY = dt.date(2026, 11, 25)


def _setup(engine):
    from kechuang.cli import app as cli
    from kechuang.ledgers.demo import generate_city

    generate_city(engine, "320900", enterprises=400, seed=11, today=TODAY)
    r = CliRunner().invoke(cli, ["evaluate", "--region", "320900", "--program", "all", "--as-of", str(TODAY)])
    assert r.exit_code == 0, r.output
    with db.session_scope(engine) as s:
        add_user(s, "kjj", PASSWORD, "officer", "320900", "市科技局")
    return [json.loads(x) for x in r.stdout.strip().splitlines()]


def _login(page, base):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", "kjj")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def _holders(engine) -> set[str]:
    from kechuang.ledgers.store import load_frame
    from kechuang.ledgers.validity import valid_on

    with engine.connect() as conn:
        certs = load_frame(conn, "certification").filter(pl.col("cert_type") == "hnte").to_dicts()
    return {c["uscc"] for c in certs if valid_on(c, TODAY)}


def test_officer_works_the_cultivation_pages(live_server, page, engine, tmp_path):
    recs = _setup(engine)
    holders = _holders(engine)
    _login(page, live_server)

    # 1. the overview: no region box pre-filled; 高企's zero 符合 explained; glossary
    page.goto(f"{live_server}/programs")
    assert page.locator("input[name=region]").input_value() == ""
    hnte = page.locator("#program-hnte")
    assert "“符合”为 0" in hnte.inner_text() and "专家评定" in hnte.inner_text()
    page.locator("#glossary summary").click()
    assert "一步之遥" in page.locator("#glossary").inner_text()

    # 2. a program list filtered by a region *name*, with enterprise names, paged, exported
    page.goto(f"{live_server}/programs/tech_sme")
    page.fill("input[name=region]", "亭湖区")
    with page.expect_navigation():
        page.press("input[name=region]", "Enter")
    assert page.locator("input[name=region]").input_value() == "亭湖区"
    rows = page.locator("#program-list tbody tr")
    assert rows.count() > 0
    first = rows.first.locator("td").nth(1).inner_text()
    assert first.startswith("【演示】")
    assert all(r == "亭湖区" for r in page.locator("#program-list tbody tr td:nth-child(4)").all_inner_texts())
    page.goto(f"{live_server}/programs/tech_sme")
    assert "已排除持有有效科技型中小企业证书" in page.locator("#held-note").inner_text()
    with page.expect_navigation():
        page.click("#held-note a")  # 显示全部
    total = sum(1 for r in recs if r["program"] == "tech_sme")
    assert page.locator("#program-list tbody tr").count() == 100 and total > 100
    with page.expect_navigation():
        page.click("a[rel=next]")
    assert page.locator("#program-list tbody tr").count() == min(100, total - 100)
    with page.expect_download() as dl:
        page.click("text=导出 Excel")
    wb = openpyxl.load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()))
    assert wb.active.max_row == total + 1 and wb.active["A1"].value == "企业名称"

    # 3. 小升高: names, no holder of a valid 高企 certificate, to the enterprise page
    page.goto(f"{live_server}/programs/xiaoshenggao")
    listed = page.locator("#xsg-list tbody tr").evaluate_all("rs => rs.map(r => r.dataset.uscc)")
    assert listed and not (set(listed) & holders)
    with page.expect_navigation():
        page.locator("#xsg-list tbody tr").first.locator("a").click()
    assert page.locator("#program-ladder").count() == 1
    page.locator("#explain-hnte").evaluate("d => { d.open = true; }")
    hnte_rows = page.locator("#explain-hnte tr.criterion")
    assert hnte_rows.count() >= 8
    assert "得分区间" in page.locator("#explain-hnte").inner_text()

    # 4. a certificate holder's ladder starts from the title held
    holder = sorted(holders)[0]
    page.goto(f"{live_server}/enterprises/{holder}")
    assert "高新技术企业" in page.locator("#titles-held").inner_text()
    assert page.locator("#ladder-summary tr[data-program=hnte] td").first.inner_text() == "已持有"
    assert "高新技术企业" not in page.locator("#next-step").inner_text()

    # 5. an enterprise over the 科小 size ceiling: the disqualifier is the first row and the headline
    big = next(r["uscc"] for r in recs if r["program"] == "tech_sme" and r["result"] == "fail" and any(
        c["id"] == "size_revenue" and c["result"] == "fail" for c in r["conditions"]))
    page.goto(f"{live_server}/enterprises/{big}")
    page.locator("#explain-tech_sme").evaluate("d => { d.open = true; }")
    top = page.locator("#explain-tech_sme tr.criterion").first
    assert "hard-fail" in top.get_attribute("class")
    assert "不符合：" in page.locator("#ladder-summary tr[data-program=tech_sme]").inner_text()
    cells = page.locator("#explain-tech_sme tr.criterion[data-criterion=size_revenue] td").all_inner_texts()
    assert any(c.endswith("亿元") for c in cells) and "≤ 2 亿元" in cells
    text = page.locator("#program-ladder").inner_text()
    for raw in ("hnte", "tech_sme", "national", "pass", "fail", "unknown"):
        assert raw not in text
    page.screenshot(path=str(tmp_path / "enterprise.png"), full_page=True)
