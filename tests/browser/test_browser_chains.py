"""An officer of the demo city works the 产业链 pages in a real browser: the menu, a chain drawn as
a tree coloured by node status, a node's enterprises with their evidence, an enterprise's page
naming its nodes, a confirmation that stays, and the "图 + 清单" workbook."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from kechuang import db
from kechuang.accounts import add_user

pytestmark = pytest.mark.browser

PASSWORD = "browser-pass-9"
TODAY = dt.date(2026, 11, 25)


def test_officer_reads_a_chain_and_confirms_a_placement(live_server, page, engine):
    from kechuang.ledgers.demo import generate_city

    generate_city(engine, "320900", enterprises=400, seed=11, today=TODAY)
    with db.session_scope(engine) as s:
        add_user(s, "kjj", PASSWORD, "officer", "320900", "市科技局")
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "kjj")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")

    page.click("nav >> text=产业链")
    page.wait_for_url("**/chains")
    page.click("text=新能源汽车产业链")
    page.wait_for_selector("#chain-tree canvas")
    # the tree is drawn by ECharts with one colour per status
    series = page.evaluate("() => echarts.getInstanceByDom(document.getElementById('chain-tree')).getOption().series[0].type")
    assert series == "tree"
    statuses = page.eval_on_selector_all("#node-list tbody tr", "rs => rs.map(r => r.dataset.status)")
    assert statuses and set(statuses) <= {"present", "weak", "missing"}

    # a node with enterprises: its list, evidence, and an enterprise page naming the node
    row = page.locator("#node-list tbody tr").filter(has_not_text="缺(缺失)").first
    node_id = row.get_attribute("data-node")
    row.locator("a").first.click()
    page.wait_for_selector("#member-list")
    first = page.locator("#member-list tbody tr").first
    uscc = first.get_attribute("data-uscc")
    assert uscc and ("主营产品" in first.inner_text() or "行业代码" in first.inner_text())
    first.locator("select[name=verdict]").select_option("confirm")
    first.locator("input[name=note]").fill("走访核实")
    with page.expect_navigation():
        first.locator("button[type=submit]").click()
    again = page.locator(f"#member-list tbody tr[data-uscc='{uscc}']")
    assert "人工确认" in again.inner_text() and "走访核实" in again.inner_text()

    page.goto(f"{live_server}/enterprises/{uscc}")
    # the node itself, or the node under it that placed the enterprise (a node counts those under it)
    placed = page.eval_on_selector_all("#chain-places tr[data-node]", "rs => rs.map(r => r.dataset.node)")
    assert any(n == node_id or n.startswith(node_id.split(".")[0] + ".") for n in placed)

    # the workbook officials hand in
    page.goto(f"{live_server}/chains/nev")
    with page.expect_download() as dl:
        page.click("text=导出“图 + 清单”Excel")
    wb = openpyxl.load_workbook(io.BytesIO(open(dl.value.path(), "rb").read()))
    assert wb.sheetnames == ["产业链图", "企业清单", "补链清单"]
