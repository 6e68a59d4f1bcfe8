"""A quarter run end to end in a real browser, as the officers would: the city opens the third-quarter
round; 亭湖区 types its figures in on the web and submits on time; 盐都区 misses the deadline, is
warned and followed up (督办, assigned to its officer), then reports late; the city returns it once
with a reason and approves both; the approved figures show in progress; the city downloads the
quarter's report as .docx and .pdf and both open with the figures in them.

The deadline passes on the clock, not in the data: the whole process (server included) runs on a
travelling clock, so every date the app stamps or compares is its own; nothing is written to the
database by hand after the targets are set."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import time_machine
from sqlalchemy import select

from kechuang import db
from kechuang.accounts import add_user
from kechuang.ledgers.uscc import make

pytestmark = pytest.mark.browser

PASSWORD = "browser-pass-9"
CITY, TINGHU, YANDU = "320900", "320902", "320903"
BEIJING = dt.timezone(dt.timedelta(hours=8))
OPENED = dt.datetime(2026, 10, 9, 10, 0, tzinfo=BEIJING)  # the round is opened; deadline 10-15
AFTER_DEADLINE = dt.datetime(2026, 10, 16, 9, 30, tzinfo=BEIJING)
AFTER_DUE = dt.datetime(2026, 10, 19, 9, 30, tzinfo=BEIJING)  # the 督办 task was due 10-18


def _click(page, selector):
    with page.expect_navigation():
        page.click(selector)


def _sign_in(page, base, username):
    """Log in (again: a session lasts a working day, and days pass in this test)."""
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    _click(page, "button[type=submit]")


def _late_file(tmp_path, amount: str) -> str:
    path = tmp_path / "盐都区三季度技术合同.csv"
    path.write_text("合同登记编号,合同名称,合同类型,统一社会信用代码,行政区划代码,合同成交额,登记日期\n"
                    f"YD-2026-7,盐都智能装备技术服务,技术服务,{make('91', YANDU, 'MA9000072')},{YANDU},{amount},"
                    "2026-09-25\n", encoding="utf-8")
    return str(path)


def test_a_quarter_end_to_end(live_server, browser, engine, tmp_path):
    from docx import Document
    from pypdf import PdfReader

    from kechuang.targets.store import Target, add_target

    with time_machine.travel(OPENED, tick=True) as clock:
        with db.session_scope(engine) as s:
            add_user(s, "yc", PASSWORD, "officer", CITY, "盐城市科技局")
            add_user(s, "th", PASSWORD, "officer", TINGHU, "亭湖区科技局")
            add_user(s, "yd", PASSWORD, "officer", YANDU, "盐都区科技局")
            # the year's targets, set at the new-year meeting
            for code, name in ((TINGHU, "亭湖区"), (YANDU, "盐都区")):
                add_target(s, region=name, region_code=code, indicator="技术合同成交额", value="100", unit="万元",
                           year=2026, metric_id="tech_contract_amount", created_by="yc")
            targets = {t.region_code: t.id for t in s.scalars(select(Target))}
        contexts = [browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900},
                                        accept_downloads=True) for _ in range(3)]
        city, th, yd = (c.new_page() for c in contexts)
        try:
            for page, name in ((city, "yc"), (th, "th"), (yd, "yd")):
                _sign_in(page, live_server, name)

            # 10-09: the city opens the third-quarter round for the technology-contract ledger
            city.goto(f"{live_server}/rounds")
            form = city.locator("#open-round-form")
            form.locator("select[name=period_kind]").select_option("quarter")
            form.locator("input[name=period]").fill("2026-Q3")
            form.locator("input[name=deadline]").fill("2026-10-15")
            form.locator("input[name=kinds][value=tech_contract]").check()
            _click(city, "#open-round-form button[type=submit]")
            round_url = city.url.split("#")[0]
            assert "2026年第3季度" in city.locator("h1").inner_text()
            assert city.locator(f"#r{YANDU}").get_attribute("data-status") == "pending"

            # 亭湖区 types its figures in, cell by cell; a wrong amount is refused first, naming the cell
            th.goto(round_url)
            _click(th, f"#r{TINGHU} a.fill")
            cells = {"contract_no": "TH-2026-31", "contract_name": "亭湖新材料技术开发",
                     "uscc": make("91", TINGHU, "MA9000071"), "region_code": "亭湖区", "amount": "6O",
                     "registered_on": "2026-09-20"}
            for field, value in cells.items():
                th.fill(f"#fill-table input[name='c1.{field}']", value)
            th.select_option("#fill-table select[name='c1.contract_type']", "技术开发")
            _click(th, "#fill-form button[name=save]")
            error = th.locator("p.error").inner_text()
            assert "第1行" in error and "合同成交额" in error and "6O" in error
            assert th.locator("#fill-table td.bad input[name='c1.amount']").count() == 1
            th.fill("#fill-table input[name='c1.amount']", "60")
            _click(th, "#fill-form button[name=save]")
            row = th.locator(f"#r{TINGHU}")
            assert "网页填报-技术合同.csv(1 行)" in row.inner_text()
            _click(th, f"#r{TINGHU} form[action$='/submit'] button")
            assert th.locator(f"#r{TINGHU}").get_attribute("data-status") == "submitted"
            assert "逾期提交" not in th.locator(f"#r{TINGHU}").inner_text()  # on time

            # 10-16: the deadline has passed and 盐都区 has not reported
            clock.move_to(AFTER_DEADLINE)
            for page, name in ((city, "yc"), (th, "th"), (yd, "yd")):
                _sign_in(page, live_server, name)
            city.goto(round_url)
            assert "逾期未交" in city.locator(f"#r{YANDU}").inner_text()
            assert "逾期" not in city.locator(f"#r{TINGHU}").inner_text()
            city.goto(f"{live_server}/warnings?rule=round_overdue")
            warning = city.locator("#warning-list tr", has_text="盐都区未在截止日 2026-10-15 前提交")
            assert warning.count() == 1
            assert city.locator("#warning-list tr", has_text="亭湖区未在截止日").count() == 0
            # it becomes a 督办 task for 盐都区's officer, due in two days
            warning.locator("input[name=assignee]").fill("yd")
            warning.locator("input[name=due_on]").fill("2026-10-18")
            _click(city, "#warning-list tr:has-text('盐都区未在截止日') button[type=submit]")
            task = city.locator("#warning-tasks tbody tr", has_text="盐都区未在截止日")
            assert "yd" in task.inner_text() and "2026-10-18" in task.inner_text() and "待办" in task.inner_text()
            assert "已督办" in city.locator("#warning-list tr", has_text="盐都区未在截止日").inner_text()

            # 10-19: the task is overdue on the overview of both offices
            clock.move_to(AFTER_DUE)
            for page, name in ((city, "yc"), (th, "th"), (yd, "yd")):
                _sign_in(page, live_server, name)
            for page in (city, yd):
                page.goto(f"{live_server}/")
                assert "1 项督办任务已逾期未办结" in page.locator("#overdue-tasks").inner_text()
            th.goto(f"{live_server}/")
            assert "已逾期" not in th.locator("#overdue-tasks").inner_text()  # not 亭湖区's
            yd.goto(f"{live_server}/warnings")
            assert "yd" in yd.locator("#warning-tasks tbody tr", has_text="盐都区未在截止日").inner_text()

            # 盐都区 reports late, by file, and answers the task
            yd.goto(round_url)
            yd.locator(f"#r{YANDU} form.upload input[type=file]").set_input_files(_late_file(tmp_path, "40"))
            _click(yd, f"#r{YANDU} form.upload button[type=submit]")
            _click(yd, f"#r{YANDU} form[action$='/submit'] button")
            assert "逾期提交" in yd.locator(f"#r{YANDU}").inner_text()
            yd.goto(f"{live_server}/warnings")
            yd.fill("#warning-tasks tr:has-text('盐都区未在截止日') input[name=response]", "已于10月19日补报三季度技术合同")
            _click(yd, "#warning-tasks tr:has-text('盐都区未在截止日') form[action$='/respond'] button")
            assert "已回复" in yd.locator("#warning-tasks tbody tr", has_text="盐都区未在截止日").inner_text()

            # the city approves 亭湖区, returns 盐都区 once with a reason
            city.goto(round_url)
            _click(city, f"#r{TINGHU} form[action$='/approve'] button")
            assert city.locator(f"#r{TINGHU}").get_attribute("data-status") == "approved"
            city.fill(f"#r{YANDU} input[name=reason]", "成交额与登记证明不符,请核对")
            _click(city, f"#r{YANDU} form[action$='/return'] button")
            assert "已退回" in city.locator(f"#r{YANDU}").inner_text()

            # 盐都区 corrects the figure on the web form (its file shows there) and submits again
            yd.goto(round_url)
            assert "成交额与登记证明不符" in yd.locator(f"#r{YANDU}").inner_text()
            _click(yd, f"#r{YANDU} a.fill")
            assert yd.locator("#fill-table input[name='c1.contract_no']").input_value() == "YD-2026-7"
            yd.fill("#fill-table input[name='c1.amount']", "45")
            _click(yd, "#fill-form button[name=save]")
            _click(yd, f"#r{YANDU} form[action$='/submit'] button")

            # the city approves it and closes the task; then the round is closed (归档)
            city.reload()
            _click(city, f"#r{YANDU} form[action$='/approve'] button")
            assert city.locator(f"#r{YANDU}").get_attribute("data-status") == "approved"
            assert "yc" in city.locator(f"#r{YANDU} td.last-by").inner_text()
            city.goto(f"{live_server}/warnings")
            _click(city, "#warning-tasks tr:has-text('盐都区未在截止日') form[action$='/finish'] button")
            assert "已办结" in city.locator("#warning-tasks tbody tr", has_text="盐都区未在截止日").inner_text()
            city.goto(round_url)
            city.once("dialog", lambda d: d.accept())
            _click(city, "#close-round button")
            assert "已关闭" in city.locator("h1").inner_text()

            # the approved figures are in progress
            city.goto(f"{live_server}/targets?year=2026")
            for code, figure in ((TINGHU, "60"), (YANDU, "45")):
                row = city.locator(f"#progress-table tr[data-target-id='{targets[code]}']")
                assert row.locator("td.current").inner_text().strip() == figure

            # the quarter's report, as Word and as PDF
            city.goto(f"{live_server}/reports")
            city.fill("input[name=period]", "2026Q3")
            _click(city, "button:has-text('生成预览')")
            assert "2026年第三季度" in city.locator("h1").inner_text()
            texts = {}
            for label, kind in (("下载 Word", "docx"), ("下载 PDF", "pdf")):
                with city.expect_download() as got:
                    city.click(f"a:has-text('{label}')")
                download = got.value
                assert download.suggested_filename.endswith(f".{kind}")
                data = open(download.path(), "rb").read()
                if kind == "docx":
                    doc = Document(io.BytesIO(data))
                    texts[kind] = "\n".join([p.text for p in doc.paragraphs] +
                                            [c.text for t in doc.tables for r in t.rows for c in r.cells])
                else:
                    texts[kind] = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)
            for kind, text in texts.items():
                flat = "".join(text.split())
                assert "盐城市" in flat and "2026年第三季度" in flat, kind
                assert "60万元" in flat and "45万元" in flat, (kind, flat[:800])
        finally:
            for c in contexts:
                c.close()
