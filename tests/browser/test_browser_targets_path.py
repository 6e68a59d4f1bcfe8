"""The whole path in a real browser: upload a policy document, load the demo ledgers, import and
bind a target, and read the right progress figure on the dashboard."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kechuang import db
from kechuang.accounts import add_user
from shared_data import shared_path

pytestmark = pytest.mark.browser

PASSWORD = "browser-pass-2"
GAOYOU = "321084"  # 高邮市, the region whose targets corpus document 003 states
YEAR_END = dt.date(2023, 12, 31)


def test_document_to_dashboard(live_server, page, engine, tmp_path):
    doc = next(iter(sorted(shared_path("corpus").glob("003_*.txt"))))
    from kechuang.ledgers.demo import generate_city
    from kechuang.targets.metrics import LedgerSource, compute, value_of

    generate_city(engine, "321000", enterprises=3000, seed=7)  # 扬州市, which holds 高邮市
    with db.session_scope(engine) as s:
        add_user(s, "yangzhou", PASSWORD, "officer", "321000", "扬州市科技局")

    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "yangzhou")
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")

    # 1. upload the document
    page.goto(f"{live_server}/docs")
    page.set_input_files("input[type=file][name=file]", str(doc))
    with page.expect_navigation():
        page.click("form[action='/docs/upload'] button[type=submit]")
    assert "高邮" in page.content()

    # 2. import its targets, 3. bind one that is waiting in the queue
    page.goto(f"{live_server}/targets/queue")
    with page.expect_navigation():
        page.click("form[action='/targets/import'] button")
    row = page.locator("tr", has_text="新招引科技型企业").first
    assert row.count() == 1, "the 科技企业 target of 高邮市 should wait for a binding"
    target_id = re.search(r"/targets/(\d+)/bind", row.locator("form").first.get_attribute("action")).group(1)
    row.locator("select[name=metric]").select_option("tech_sme_registered")
    with page.expect_navigation():
        row.locator("form[action$='/bind'] button").click()
    assert page.locator(f"form[action='/targets/{target_id}/bind']").count() == 0

    # 4. the dashboard shows the figure the ledgers give
    expected = value_of(compute("tech_sme_registered", [YEAR_END], LedgerSource(engine)),
                        _metric("tech_sme_registered"), GAOYOU, YEAR_END)
    assert expected and expected > 0
    page.goto(f"{live_server}/targets?region={GAOYOU}&year=2023&date={YEAR_END}")
    shown = page.locator(f"tr[data-target-id='{target_id}']")
    assert shown.count() == 1
    cells = shown.locator("td").all_inner_texts()
    assert f"{int(expected):,}" in cells, cells
    share = float(expected) / 100 * 100
    assert any(c.strip() == f"{share:.1f}%" for c in cells), cells
    page.screenshot(path=str(tmp_path / "targets.png"), full_page=True)


def _metric(mid):
    from kechuang.targets.metrics import get_metric

    return get_metric(mid)
