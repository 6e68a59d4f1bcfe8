"""The office's year in a real browser: the city sets a target and splits it down, a district confirms
its share; the city opens a reporting round, the district submits, the city returns it once and then
approves, and the district's progress shows the approved figure."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from kechuang import db
from kechuang.accounts import add_user
from kechuang.ledgers.uscc import make

pytestmark = pytest.mark.browser

PASSWORD = "browser-pass-9"
CITY, TINGHU, YANDU = "320900", "320902", "320903"


def _login(browser, base, username):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    return context, page


def _click(page, selector):
    with page.expect_navigation():
        page.click(selector)


def _split(page, tinghu_wan: str) -> None:
    """Split by hand to 亭湖区 (in 万元) and 盐都区 (0.5 亿元) only."""
    form = page.locator("#split-form")
    for box in form.locator("input[name=regions]").all():
        box.uncheck()
    form.locator(f"input[name=regions][value='{TINGHU}']").check()
    form.locator(f"input[name=regions][value='{YANDU}']").check()
    form.locator(f"input[name=value_{TINGHU}]").fill(tinghu_wan)
    form.locator(f"select[name=unit_{TINGHU}]").select_option("万元")
    form.locator(f"input[name=value_{YANDU}]").fill("0.5")
    _click(page, "#split-form button[type=submit]")


def _contract_file(tmp_path, name: str, amount: str):
    uscc = make("91", TINGHU, "MA9000041")
    path = tmp_path / name
    path.write_text("合同登记编号,合同名称,合同类型,统一社会信用代码,行政区划代码,合同成交额,登记日期\n"
                    f"HT-2026-1,星河技术开发,技术开发,{uscc},{TINGHU},{amount},{dt.date.today().isoformat()}\n",
                    encoding="utf-8")
    return str(path)


def test_target_split_confirmed_and_a_round_returned_then_approved(live_server, browser, engine, tmp_path):
    from kechuang.targets.store import Target

    with db.session_scope(engine) as s:
        add_user(s, "yc", PASSWORD, "officer", CITY, "盐城市科技局")
        add_user(s, "th", PASSWORD, "officer", TINGHU, "亭湖区科技局")
    year = dt.date.today().year
    city_ctx, city = _login(browser, live_server, "yc")
    th_ctx, th = _login(browser, live_server, "th")
    try:
        # the city sets its target
        city.goto(f"{live_server}/targets")
        _click(city, "a[href='/targets/new']")
        city.fill("#new-target input[name=indicator]", "技术合同成交额")
        city.fill("#new-target input[name=value]", "1.5")
        city.select_option("#new-target select[name=unit]", "亿元")
        city.fill("#new-target input[name=period]", str(year))
        city.select_option("#new-target select[name=metric]", "tech_contract_amount")
        _click(city, "#new-target button[type=submit]")
        assert "技术合同成交额" in city.locator("h1").inner_text()
        # and splits it by hand to two districts, one in 万元: the sum is checked in 亿元
        _split(city, "9000")
        assert "少于" in city.locator("p.error").inner_text()  # 1.4 亿元 < 1.5 亿元: refused, nothing saved
        _split(city, "10000")
        shares = city.locator("#shares")
        assert shares.locator("tbody tr").count() == 2 and "待确认" in shares.inner_text()
        with db.session_scope(engine) as s:
            child = s.scalar(select(Target.id).where(Target.region_code == TINGHU))

        # the district confirms its share
        th.goto(f"{live_server}/targets/{child}")
        assert "分解下达" in th.locator("#share").inner_text()
        _click(th, "#share form:has(input[name=agree][value='1']) button")
        assert "已确认" in th.locator("#share .share-status").inner_text()
        city.reload()
        assert "已确认" in city.locator(f"#shares tr[data-region='{TINGHU}']").inner_text()

        # the city opens a quarterly round for the technology-contract ledger
        city.goto(f"{live_server}/rounds")
        city.select_option("#open-round-form select[name=period_kind]", "quarter")
        city.fill("#open-round-form input[name=period]", f"{year}-Q4")
        city.fill("#open-round-form input[name=deadline]", f"{year + 1}-01-10")
        city.check("#open-round-form input[name=kinds][value=tech_contract]")
        _click(city, "#open-round-form button[type=submit]")
        round_url = city.url.split("#")[0]
        assert "未提交" in city.locator(f"#r{TINGHU}").inner_text()

        # the district uploads its figures and submits
        th.goto(round_url)
        row = th.locator(f"#r{TINGHU}")
        row.locator("form.upload input[type=file]").set_input_files(_contract_file(tmp_path, "四季度.csv", "50"))
        _click(th, f"#r{TINGHU} form.upload button[type=submit]")
        assert "四季度.csv" in th.locator(f"#r{TINGHU}").inner_text()
        _click(th, f"#r{TINGHU} form[action$='/submit'] button")
        assert th.locator(f"#r{TINGHU}").get_attribute("data-status") == "submitted"

        # the city returns it once, with a reason
        city.reload()
        city.fill(f"#r{TINGHU} input[name=reason]", "成交额与登记证明不符")
        _click(city, f"#r{TINGHU} form[action$='/return'] button")
        assert "已退回" in city.locator(f"#r{TINGHU}").inner_text()

        # the district corrects and submits again; the city approves
        th.reload()
        assert "成交额与登记证明不符" in th.locator(f"#r{TINGHU}").inner_text()
        th.locator(f"#r{TINGHU} form.upload input[type=file]").set_input_files(
            _contract_file(tmp_path, "四季度-更正.csv", "80"))
        _click(th, f"#r{TINGHU} form.upload button[type=submit]")
        _click(th, f"#r{TINGHU} form[action$='/submit'] button")
        city.reload()
        _click(city, f"#r{TINGHU} form[action$='/approve'] button")
        assert city.locator(f"#r{TINGHU}").get_attribute("data-status") == "approved"
        assert "未提交" in city.locator(f"#r{YANDU}").inner_text()  # the board shows who has not

        # the approved figure is in the district's progress
        th.goto(f"{live_server}/targets?year={year}")
        row = th.locator(f"#progress-table tr[data-target-id='{child}']")
        assert row.locator("td.current").inner_text().strip() == "80"
        assert "0.8%" in row.locator("td.share").inner_text()  # 80 of 10,000 万元
        th.goto(f"{live_server}/ledgers")
        assert "th" in th.locator("tr[data-kind='tech_contract'] td.last-by").inner_text()
    finally:
        city_ctx.close()
        th_ctx.close()
