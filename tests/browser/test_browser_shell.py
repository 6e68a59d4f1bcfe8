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
