"""Login, scope, CSRF and API access of the web shell."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from web_helpers import PASSWORD, csrf_from, login


def test_healthz(anon):
    assert anon.get("/healthz").json() == {"status": "ok"}


def test_anonymous_page_redirects_to_login(anon):
    r = anon.get("/", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith("/login")
    page = anon.get("/")
    assert "登录" in page.text and 'name="password"' in page.text


def test_anonymous_api_gets_401(anon):
    r = anon.get("/api/regions/320902")
    assert r.status_code == 401
    assert r.json()["detail"] == "未登录或登录已过期"


def test_login_wrong_password(anon, make_user):
    make_user("zhang", "officer", "320902")
    r = login(anon, "zhang", "wrong-password")
    assert r.status_code == 401
    assert "用户名或密码错误" in r.text
    assert anon.get("/", follow_redirects=False).status_code == 303


def test_session_cookie_is_http_only(anon, make_user):
    make_user("li", "officer", "320902")
    r = login(anon, "li")
    assert r.status_code == 303
    cookie = r.headers["set-cookie"]
    assert "kechuang_session=" in cookie and "httponly" in cookie.lower()
    assert "samesite=lax" in cookie.lower()


def test_login_rate_limited(anon, make_user):
    make_user("wang", "officer", "320902")
    codes = [login(anon, "wang", "bad-password-x").status_code for _ in range(5)]
    assert codes == [401] * 5
    # even the right password is refused while blocked
    r = login(anon, "wang", PASSWORD)
    assert r.status_code == 429
    assert "登录失败次数过多" in r.text


def test_officer_sees_overview_of_own_region(client_as):
    c = client_as("officer", "320902")
    r = c.get("/")
    assert r.status_code == 200
    assert "总览" in r.text and "亭湖区" in r.text


def test_officer_scope_api_and_pages(client_as):
    c = client_as("officer", "320902")
    own = c.get("/api/regions/320902")
    assert own.status_code == 200
    assert own.json()["full_name"] == "江苏省盐城市亭湖区"
    other = c.get("/api/regions/320903")
    assert other.status_code == 403
    assert c.get("/regions/320903", headers={"accept": "text/html"}).status_code == 403
    assert c.get("/regions/320902", headers={"accept": "text/html"}).status_code == 200
    # parent region is outside the subtree too
    assert c.get("/api/regions/320900").status_code == 403


def test_city_officer_sees_districts(client_as):
    c = client_as("officer", "320900")
    r = c.get("/api/regions/320900")
    assert r.status_code == 200
    codes = {child["code"] for child in r.json()["children"]}
    assert {"320902", "320903"} <= codes
    assert c.get("/api/regions/320903").status_code == 200
    assert c.get("/api/regions/320281").status_code == 403  # 江阴市, another city


def test_unknown_region_404(client_as):
    c = client_as("admin")
    assert c.get("/api/regions/999999").status_code == 404


def test_admin_only_pages(client_as):
    officer = client_as("officer", "320902")
    assert officer.get("/admin/audit", headers={"accept": "text/html"}).status_code == 403
    admin = client_as("admin")
    r = admin.get("/admin/audit")
    assert r.status_code == 200
    assert "<td>登录</td>" in r.text  # the logins above are audited, in Chinese
    assert "<td>login</td>" not in r.text


def test_admin_adds_user_and_is_audited(client_as):
    admin = client_as("admin")
    token = csrf_from(admin.get("/admin/users").text)
    r = admin.post("/admin/users", data={"username": "zhao", "password": "long-enough-1",
                                         "role": "viewer", "region": "亭湖区", "csrf_token": token},
                   follow_redirects=False)
    assert r.status_code == 303
    page = admin.get("/admin/users").text
    assert "zhao" in page
    audit = admin.get("/admin/audit?entity=user").text
    assert "zhao" in audit and "320902" in audit


def test_admin_add_user_bad_region_message(client_as):
    admin = client_as("admin")
    token = csrf_from(admin.get("/admin/users").text)
    r = admin.post("/admin/users", data={"username": "qian", "password": "long-enough-1",
                                         "role": "officer", "region": "不存在的地方", "csrf_token": token})
    assert r.status_code == 400
    assert "不存在的地方" in r.text


def test_openapi_lists_region_api(anon, client_as):
    assert anon.get("/api/openapi.json").status_code == 401  # documentation needs a login too
    spec = client_as("viewer", "320900").get("/api/openapi.json").json()
    assert "/api/regions/{code}" in spec["paths"]


def _iter_routes(routes, prefix=""):
    for route in routes:
        if isinstance(route, APIRoute):
            yield prefix + route.path, route
        elif hasattr(route, "original_router"):  # an included router
            yield from _iter_routes(route.original_router.routes, prefix + route.include_context.prefix)


def _post_form_routes(app):
    for path, route in _iter_routes(app.routes):
        if route.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            yield path, route


def test_every_post_route_rejects_missing_or_wrong_csrf(app, client_as):
    """Every POST endpoint must refuse a request without the right CSRF token."""
    admin = client_as("admin")
    checked = 0
    for raw_path, route in _post_form_routes(app):
        path = re.sub(r"\{[^}]+\}", "1", raw_path)
        for headers, data in (({}, {}), ({"X-CSRF-Token": "wrong"}, {"csrf_token": "wrong"})):
            method = sorted(route.methods & {"POST", "PUT", "PATCH", "DELETE"})[0]
            r = admin.request(method, path, data=data, headers=headers, follow_redirects=False)
            assert r.status_code == 403, f"{raw_path} accepted a request without a valid CSRF token"
        checked += 1
    assert checked >= 3  # login, logout, user management at least


def test_csrf_token_is_bound_to_session(app, make_user):
    make_user("sun", "officer", "320902")
    other = TestClient(app)
    token_of_other = csrf_from(other.get("/login").text)
    mine = TestClient(app)
    mine.get("/login")
    r = mine.post("/login", data={"username": "sun", "password": PASSWORD, "csrf_token": token_of_other})
    assert r.status_code == 403


def test_viewer_reads_but_cannot_edit(client_as, session):
    from sqlalchemy import select

    from kechuang.accounts import User

    viewer = client_as("viewer", "320900")
    assert viewer.get("/api/regions/320902").status_code == 200
    user = session.scalar(select(User).where(User.role == "viewer"))
    assert user.can_see("320902") and not user.can_edit("320902")


@pytest.mark.parametrize("path", ["/", "/admin/users"])
def test_pages_load_local_assets_only(client_as, path):
    admin = client_as("admin")
    html = admin.get(path).text
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts and all(s.startswith("/static/") for s in scripts)
    for s in scripts:
        assert admin.get(s).status_code == 200, s


def test_table_export_returns_the_table_with_numbers_as_numbers(client_as):
    import io

    import openpyxl

    from web_helpers import csrf_from

    c = client_as("viewer", "320900")
    token = csrf_from(c.get("/").text)
    body = {"title": "下辖地区/对比", "header": ["地区", "企业数", "地区"],
            "rows": [["亭湖区", "1,234", "甲"], ["盐都区", "—", "乙"], ["大丰区", "56.5"]]}
    assert c.post("/export/table", json=body).status_code == 403  # no CSRF token
    r = c.post("/export/table", json=body, headers={"X-CSRF-Token": token})
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert "filename*=UTF-8''%E4%B8%8B%E8%BE%96" in r.headers["content-disposition"]
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0] == ("地区", "企业数", "地区_")
    assert rows[1:] == [("亭湖区", 1234, "甲"), ("盐都区", None, "乙"), ("大丰区", 56.5, None)]
    too_many = {"title": "x", "header": ["a"], "rows": [["1"]] * 50_001}
    assert c.post("/export/table", json=too_many, headers={"X-CSRF-Token": token}).status_code == 422
