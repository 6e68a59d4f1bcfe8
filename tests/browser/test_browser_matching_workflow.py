"""An officer of 新吴区 in a real browser takes a demand through 发榜 → 揭榜 → 评审 → 签约 on the
揭榜挂帅 page; the contract appears in the technology-contract ledger and the funnel chart draws."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from kechuang import db
from kechuang.accounts import add_user
from kechuang.ledgers import import_file

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "matching"))

from helpers_matching import SUPPLIES, SUPPLY_HEADER, write_csv  # noqa: E402
from test_browser_targets_officer import PASSWORD, _login  # noqa: E402
from test_matching_workflow import GOOD, HEADER  # noqa: E402

pytestmark = pytest.mark.browser


def test_officer_publishes_takes_bid_reviews_and_signs(live_server, page, engine, tmp_path):
    assert import_file(engine, "demand", write_csv(tmp_path / "d.csv", HEADER, [GOOD])).ok
    assert import_file(engine, "supply", write_csv(tmp_path / "s.csv", SUPPLY_HEADER, SUPPLIES)).ok
    with db.session_scope(engine) as s:
        add_user(s, "xinwu", PASSWORD, "officer", "320214", "新吴区科技局")
    _login(page, live_server, "xinwu")

    page.goto(f"{live_server}/matching")
    with page.expect_navigation():
        page.click("#demand-list a:has-text('印染废水深度处理')")
    assert page.locator("#stage").inner_text() == "待发布"
    with page.expect_navigation():
        page.click("#publish-form button[type=submit]")
    assert page.locator("#stage").inner_text() == "已发布"

    # 揭榜: the local enterprise's result (S3) from the ranked matches
    with page.expect_navigation():
        page.click("#match-list tr[data-supply='S3'] form.apply-supply button")
    assert page.locator("#stage").inner_text() == "已揭榜"
    row = page.locator("#bids tbody tr").first
    assert "已揭榜" in row.inner_text()
    with page.expect_navigation():
        row.locator("button[name=passed][value='1']").click()
    assert "评审通过" in page.locator("#bids tbody tr").first.inner_text()

    form = page.locator("#bids form.sign-form")
    form.locator("input[name=amount]").fill("88.5")
    form.locator("select[name=contract_type]").select_option(label="技术开发")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.locator("#stage").inner_text() == "已签约"
    bid = page.locator("#bids tbody tr").first.inner_text()
    assert "已签约" in bid and "88.5" in bid
    steps = page.locator("#steps tbody").inner_text()
    for label in ("发榜", "揭榜", "评审", "签约"):
        assert label in steps
    assert "xinwu" in steps

    page.goto(f"{live_server}/ledgers/tech_contract")
    assert "印染废水深度处理与中水回用" in page.locator("table").first.inner_text()

    page.goto(f"{live_server}/matching/funnel")
    page.wait_for_function("document.querySelector('#funnel-chart canvas') !== null")
    total = page.locator("#funnel-table tr.total").inner_text().split()
    assert total[:6] == ["合计", "1", "1", "1", "1", "0"]
