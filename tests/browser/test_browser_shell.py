"""A district officer logs in, sees the overview, and is refused another district."""

from __future__ import annotations

import pytest

from kechuang import db
from kechuang.accounts import add_user

pytestmark = pytest.mark.browser

PASSWORD = "browser-pass-1"


def _login(page, base, username):
    page.goto(f"{base}/")
    assert "/login" in page.url
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def test_district_officer_overview_and_403(live_server, page, engine, tmp_path):
    with db.session_scope(engine) as s:
        add_user(s, "tinghu", PASSWORD, "officer", "320902", "亭湖区科技局")
    _login(page, live_server, "tinghu")
    assert page.url.rstrip("/") == live_server
    heading = page.locator("h1").first.inner_text()
    assert "总览" in heading and "亭湖区" in heading
    assert page.locator("nav.mainnav a", has_text="台账").count() == 1
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)

    resp = page.goto(f"{live_server}/regions/320903")
    assert resp.status == 403
    assert "无权访问" in page.content()

    api = page.request.get(f"{live_server}/api/regions/320903")
    assert api.status == 403
    own = page.request.get(f"{live_server}/api/regions/320902")
    assert own.status == 200 and own.json()["name"] == "亭湖区"


def test_wrong_password_shows_chinese_error(live_server, page, engine):
    with db.session_scope(engine) as s:
        add_user(s, "yandu", PASSWORD, "officer", "320903")
    page.goto(f"{live_server}/login")
    page.fill("input[name=username]", "yandu")
    page.fill("input[name=password]", "not-the-password")
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert page.locator(".error").inner_text() == "用户名或密码错误"


def test_any_table_exports_to_excel_as_shown(live_server, page, engine, tmp_path):
    import openpyxl

    with db.session_scope(engine) as s:
        add_user(s, "root", PASSWORD, "admin", None, "系统管理员")
        add_user(s, "yandu", PASSWORD, "officer", "320903", "盐都区科技局")
    _login(page, live_server, "root")
    page.goto(f"{live_server}/admin/users")
    shown = page.locator("table").first
    header = [t.strip() for t in shown.locator("thead th").all_inner_texts() if t.strip()]
    names = [t.strip() for t in shown.locator("tbody tr td:first-child").all_inner_texts()]
    with page.expect_download() as info:
        page.locator("button.table-export").first.click()
    path = tmp_path / "users.xlsx"
    info.value.save_as(path)
    ws = openpyxl.load_workbook(path).active
    rows = [[("" if v is None else str(v)) for v in r] for r in ws.iter_rows(values_only=True)]
    assert rows[0] == header
    assert [r[0] for r in rows[1:]] == names and "yandu" in names
    # pages with their own (complete) export get no second button
    page.goto(f"{live_server}/targets")
    assert page.locator("#progress-table").count() == 1
    assert page.locator("button.table-export").count() == 0
