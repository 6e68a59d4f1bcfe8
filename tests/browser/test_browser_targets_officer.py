"""An officer of the demo city (盐城市) in a real browser: targets in every unit the reader emits are
kept, one status rule stated and applied, binding chosen/checked/confirmed/undone, the records behind
a number readable, and the assessment reproducible with the district's own rank."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from kechuang import db
from kechuang.accounts import add_user

pytestmark = pytest.mark.browser

PASSWORD = "browser-pass-9"
TODAY = dt.date(2026, 11, 25)   # the demo ledgers' "today"
YEAR = TODAY.year


def _demo_city(engine, *users):
    from kechuang.ledgers.demo import generate_city
    from kechuang.targets.demo import load_demo_targets

    generate_city(engine, "320900", enterprises=3000, seed=7, today=TODAY)
    with db.session_scope(engine) as s:
        load_demo_targets(s, YEAR)
        for name, code, display in users:
            add_user(s, name, PASSWORD, "officer", code, display)


def _login(page, base, username):
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def _pct(text: str) -> float | None:
    m = re.search(r"([\d.]+)%", text)
    return float(m.group(1)) / 100 if m else None


def test_document_targets_in_every_reader_unit_are_kept(live_server, page, engine, tmp_path):
    """An officer uploads a work plan with 台, 座, 个百分点 and 套: every target reaches the queue."""
    _demo_city(engine, ("yancheng", "320900", "盐城市科技局"))
    doc = tmp_path / "盐城市科技局2026年工作要点.txt"
    doc.write_text("盐城市科技局2026年工作要点\n2026年,全市力争新增工业机器人应用500台,建设中试基地12座,"
                   "推动研发投入强度提高0.2个百分点,新建科技服务平台8套。\n", encoding="utf-8")
    _login(page, live_server, "yancheng")
    page.goto(f"{live_server}/docs")
    page.set_input_files("input[type=file][name=file]", str(doc))
    with page.expect_navigation():
        page.click("form[action='/docs/upload'] button[type=submit]")
    page.goto(f"{live_server}/targets/queue")
    with page.expect_navigation():
        page.click("form[action='/targets/import'] button")
    queue = page.locator("#queue")
    for indicator, shown in (("工业机器人", "500 台"), ("中试基地", "12 座"), ("研发投入强度", "0.2 个百分点"),
                             ("科技服务平台", "8 套")):
        row = queue.locator("tr", has_text=indicator)
        assert row.count() == 1, indicator
        assert shown in row.inner_text(), row.inner_text()
        assert row.locator(".problem").count() == 0
    page.screenshot(path=str(tmp_path / "queue-units.png"), full_page=True)


def test_one_status_rule_for_every_region(live_server, page, engine, tmp_path):
    _demo_city(engine, ("yancheng", "320900", "盐城市科技局"))
    with db.session_scope(engine) as s:
        from kechuang.targets.store import add_target

        add_target(s, region="盐城市", region_code="320900", indicator="新认定高新技术企业", value=700, unit="家",
                   year=YEAR + 1, period=f"{YEAR + 1}")
    _login(page, live_server, "yancheng")
    page.goto(f"{live_server}/targets?year={YEAR}&date={TODAY}")
    rule = page.locator("#status-rule")
    assert "所有地区使用同一规则" in rule.inner_text() and "进度比 ≥ 90%" in rule.inner_text()
    rows = page.locator("#progress-table tbody tr")
    seen = 0
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        share, pace, status = _pct(cells[4]), _pct(cells[5]), cells[6].strip()
        if status == "已完成":
            assert share >= 1
        elif status in ("正常", "滞后", "严重滞后"):
            ratio = share / pace
            # the stated rule, the same in every district (the table rounds to 0.1 %)
            want = "正常" if ratio >= 0.9 else ("滞后" if ratio >= 0.7 else "严重滞后")
            if abs(ratio - 0.9) > 0.005 and abs(ratio - 0.7) > 0.005:
                assert status == want, cells
            seen += 1
    assert seen >= 20
    rd = page.locator("#progress-table tbody tr", has_text="研发费用").first
    assert "暂无数据" in rd.inner_text() and "严重滞后" not in rd.inner_text()
    page.screenshot(path=str(tmp_path / "status.png"), full_page=True)
    page.goto(f"{live_server}/targets?year={YEAR + 1}&date={TODAY}")
    later = page.locator("#progress-table tbody tr", has_text="新认定高新技术企业").first
    assert "未开始" in later.inner_text() and "严重滞后" not in later.inner_text()


def test_binding_chosen_checked_confirmed_and_undone(live_server, page, engine, tmp_path):
    _demo_city(engine, ("yancheng", "320900", "盐城市科技局"))
    with db.session_scope(engine) as s:
        from kechuang.targets.store import add_target

        odd = add_target(s, region="亭湖区", region_code="320902", indicator="高企", value=5, unit="家", year=YEAR,
                         auto_bind=False).id
    _login(page, live_server, "yancheng")
    page.goto(f"{live_server}/targets/queue")
    row = page.locator("#queue tr", has_text="新招引科技型企业").first
    select = row.locator("select[name=metric]")
    assert select.input_value() == ""                     # nothing chosen for the officer
    options = select.locator("option").all_inner_texts()
    assert not any("有效高新技术企业数" in o for o in options)   # a 新招引 target: no stock metric offered
    row.locator("button", has_text="绑定").click()          # not chosen: the browser refuses to send
    assert select.evaluate("el => el.validity.valueMissing")
    assert page.url.endswith("/targets/queue")
    select.select_option("tech_sme_registered")
    with page.expect_navigation():
        row.locator("button", has_text="绑定").click()
    assert page.locator("#queue tr", has_text="新招引科技型企业").count() == 0

    # 5 家 against the hundreds of valid certificates of 亭湖区: the officer is asked to confirm
    row = page.locator(f"#queue tr[data-target-id='{odd}']")
    row.locator("select[name=metric]").select_option("hnte_valid")
    with page.expect_navigation():
        row.locator("button", has_text="绑定").click()
    warning = page.locator("#implausible")
    assert "超过 300%" in warning.inner_text() and "确认绑定" in warning.inner_text()
    page.screenshot(path=str(tmp_path / "confirm.png"), full_page=True)
    page.check("input[name=confirm]")
    with page.expect_navigation():
        page.click("#implausible button[type=submit]")
    page.goto(f"{live_server}/targets/{odd}")
    assert "已绑定" in page.locator("#binding").inner_text()
    with page.expect_navigation():
        page.click("#binding button:has-text('解除绑定')")
    assert "尚未绑定" in page.locator("#binding").inner_text()
    trail = page.locator("#binding-trail").inner_text()
    assert "绑定指标" in trail and "解除绑定" in trail and "有效高新技术企业数" in trail
    assert "hnte" not in trail and re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", trail)
    page.screenshot(path=str(tmp_path / "binding.png"), full_page=True)

    # the administrator reads the same trail in the audit log: Chinese verbs, Beijing time, no escapes
    with db.session_scope(engine) as s:
        add_user(s, "shiju", PASSWORD, "admin", None, "市局管理员")
    with page.expect_navigation():
        page.click("form[action='/logout'] button")
    _login(page, live_server, "shiju")
    page.goto(f"{live_server}/admin/audit?entity=target")
    log = page.locator("table.data").inner_text()
    assert "北京时间" in log and "绑定指标" in log and "解除绑定" in log and "目标" in log
    assert "unbind" not in log and "\\u" not in log


def test_records_behind_a_number(live_server, page, engine, tmp_path):
    _demo_city(engine, ("yancheng", "320900", "盐城市科技局"))
    _login(page, live_server, "yancheng")
    page.goto(f"{live_server}/targets?year={YEAR}&date={TODAY}")
    row = page.locator("#progress-table tbody tr", has_text="有效高企").first
    shown = row.locator("td.current a").inner_text()
    with page.expect_navigation():
        row.locator("td.current a").click()
    assert "数字背后的台账记录" in page.locator("h1").inner_text()
    headers = page.locator("#ledger-rows thead th").all_inner_texts()
    assert headers[:2] == ["企业名称", "统一社会信用代码"] and "资质类型" in headers
    assert all(not h.isascii() for h in headers), headers
    body = page.locator("#ledger-rows tbody").inner_text()
    assert "高新技术企业" in body and "hnte" not in body and "national" not in body
    rec = page.locator("#reconciliation").inner_text()
    m = re.search(r"(\d[\d,]*) 家企业,(\d[\d,]*) 条资质荣誉记录", rec)
    assert m and m.group(1) == shown.replace(" 家", ""), (rec, shown)
    if m.group(1) != m.group(2):
        assert "家有两条" in rec
    name = page.locator("#ledger-rows tbody tr td a").first
    firm = name.inner_text()
    with page.expect_navigation():
        name.click()
    assert "/enterprises/" in page.url and firm in page.content()
    # money as people write it
    page.goto(f"{live_server}/targets?year={YEAR}&date={TODAY}")
    row = page.locator("#progress-table tbody tr", has_text="技术合同交易额").first
    with page.expect_navigation():
        row.locator("td.current a").click()
    rec = page.locator("#reconciliation").inner_text()
    assert "亿元" in rec and not re.search(r"\d\.\d{5,}", rec), rec
    page.screenshot(path=str(tmp_path / "rows.png"), full_page=True)


def test_assessment_reproducible_and_own_rank(live_server, page, engine, tmp_path):
    _demo_city(engine, ("tinghu", "320902", "亭湖区科技局"))
    _login(page, live_server, "tinghu")
    page.goto(f"{live_server}/assessment?date={TODAY}")
    own = page.locator("#own-rank").inner_text()
    m = re.search(r"亭湖区:第 (\d+) 名\(共 (\d+) 个地区\)", own)
    assert m and 1 <= int(m.group(1)) <= int(m.group(2)), own
    ranking = page.locator("#ranking tbody tr.own").inner_text()
    assert "亭湖区" in ranking and ranking.split()[0] == m.group(1)
    weights = page.locator("#weights tbody tr")
    total = sum(_pct(weights.nth(i).locator("td").nth(2).inner_text()) for i in range(weights.count()))
    assert abs(total - 1) < 1e-6
    assert "计 0 分" in page.locator("#rule").inner_text()
    rows = page.locator("#components tbody tr")
    assert rows.count() == 1                      # only the district's own details
    parts = [float(x) for x in rows.first.locator(".contribution").all_inner_texts()]
    score = float(rows.first.locator("td.total").inner_text())
    assert abs(sum(parts) - score) < 1e-3
    page.screenshot(path=str(tmp_path / "assessment.png"), full_page=True)
