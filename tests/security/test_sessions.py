"""Sessions and logins: server-side records, back-off that locks nobody out, proxies trusted only
when configured, weak passwords refused, security headers, API documentation behind login."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kechuang import db
from kechuang.accounts import AccountError, add_user
from sec_helpers import TINGHU, token
from web_helpers import PASSWORD, csrf_from, login


def _copy(app, client) -> TestClient:
    """Another browser holding a copy of the client's cookie."""
    other = TestClient(app)
    other.cookies.update(client.cookies)
    return other


def test_logout_ends_the_session_for_a_copied_cookie(app, client_as):
    c = client_as("officer", TINGHU)
    thief = _copy(app, c)
    assert thief.get("/api/me").status_code == 200
    r = c.post("/logout", data={"csrf_token": token(c)["X-CSRF-Token"]}, follow_redirects=False)
    assert r.status_code == 303
    assert thief.get("/api/me").status_code == 401


def test_password_change_ends_every_other_session(app, client_as, make_user):
    make_user("zhang", "officer", TINGHU)
    a, b = TestClient(app), TestClient(app)
    assert login(a, "zhang").status_code == 303 and login(b, "zhang").status_code == 303
    old_cookie = _copy(app, a)
    r = a.post("/account/password", data={"csrf_token": token(a)["X-CSRF-Token"], "current": PASSWORD,
                                          "new": "12345678"})
    assert r.status_code == 400 and "数字" in r.text
    r = a.post("/account/password", data={"csrf_token": token(a)["X-CSRF-Token"], "current": PASSWORD,
                                          "new": "new-horse-77"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/account?done=1"
    # the browser that changed it goes on with a fresh session; every other one (and its old cookie) ends
    assert a.get("/api/me").status_code == 200
    assert b.get("/api/me").status_code == 401 and old_cookie.get("/api/me").status_code == 401
    assert login(b, "zhang", "new-horse-77").status_code == 303
    assert login(b, "zhang", PASSWORD).status_code == 401


def test_administrator_revokes_and_disables(app, client_as, make_user):
    make_user("li", "officer", TINGHU)
    victim = TestClient(app)
    assert login(victim, "li").status_code == 303
    admin = client_as("admin")
    page = admin.get("/admin/users").text
    assert "全部注销" in page
    r = admin.post("/admin/users/li/sessions/revoke", data={"csrf_token": csrf_from(page)}, follow_redirects=False)
    assert r.status_code == 303
    assert victim.get("/api/me").status_code == 401


def _elsewhere(db_url):
    """A session on its own engine, as another process (the command line, another worker) has."""
    from sqlalchemy.orm import Session

    return Session(db.make_engine(db_url))


def test_a_session_known_to_the_worker_still_ends_when_another_process_disables_the_user(app, make_user, db_url):
    from sqlalchemy import select

    from kechuang.accounts import User

    make_user("qian", "officer", TINGHU)
    c = TestClient(app)
    assert login(c, "qian").status_code == 303
    assert c.get("/api/me").status_code == 200 and c.get("/api/me").status_code == 200  # now known
    with _elsewhere(db_url) as s:
        s.scalar(select(User).where(User.username == "qian")).active = False
        s.commit()
    assert c.get("/api/me").status_code == 401


def test_a_session_known_to_the_worker_still_ends_when_it_expires_elsewhere(app, make_user, db_url):
    import datetime as dt

    from sqlalchemy import update

    from kechuang.sessions import UserSession

    make_user("sun", "officer", TINGHU)
    c = TestClient(app)
    assert login(c, "sun").status_code == 303
    assert c.get("/api/me").status_code == 200 and c.get("/api/me").status_code == 200
    with _elsewhere(db_url) as s:
        past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
        s.execute(update(UserSession).values(expires_at=past))
        s.commit()
    assert c.get("/api/me").status_code == 401


def test_logins_are_counted_apart_from_data_changes(app, make_user, engine):
    make_user("zhou", "officer", TINGHU)
    with engine.connect() as conn:
        before = db.data_versions(conn)
    assert login(TestClient(app), "zhou").status_code == 303
    with engine.connect() as conn:
        after = db.data_versions(conn)
    # dashboards stay warm (data_version unchanged); who is logged in is known to have changed
    assert after["data_version"] == before["data_version"]
    assert after.get("user_sessions", 0) == before.get("user_sessions", 0) + 1


def test_wrong_passwords_slow_the_guesser_but_never_lock_out_the_user(app, make_user):
    make_user("wang", "officer", TINGHU)
    guesser = TestClient(app, client=("203.0.113.9", 5000))
    for _ in range(5):
        assert login(guesser, "wang", "wrong-guess-1").status_code == 401
    r = login(guesser, "wang", PASSWORD)
    assert r.status_code == 429 and "秒后再试" in r.text and int(r.headers["retry-after"]) >= 1
    owner = TestClient(app, client=("198.51.100.7", 5000))  # the real user, elsewhere
    assert login(owner, "wang").status_code == 303


def test_forwarded_for_is_ignored_unless_the_proxy_is_trusted(app, make_user):
    make_user("zhao", "officer", TINGHU)
    c = TestClient(app, client=("203.0.113.9", 5000))
    for i in range(5):  # a new X-Forwarded-For each time does not reset the count
        page = c.get("/login")
        c.post("/login", data={"username": "zhao", "password": "bad-guess-1", "csrf_token": csrf_from(page.text)},
               headers={"X-Forwarded-For": f"10.0.0.{i}"})
    page = c.get("/login")
    r = c.post("/login", data={"username": "zhao", "password": PASSWORD, "csrf_token": csrf_from(page.text)},
               headers={"X-Forwarded-For": "10.0.0.99"}, follow_redirects=False)
    assert r.status_code == 429


def test_client_address_behind_a_trusted_proxy():
    from starlette.requests import Request

    from kechuang.web.security import client_address

    def req(peer, xff):
        return Request({"type": "http", "client": (peer, 1), "headers": [(b"x-forwarded-for", xff.encode())]})

    assert client_address(req("10.0.0.1", "1.2.3.4"), frozenset()) == "10.0.0.1"
    assert client_address(req("10.0.0.1", "6.6.6.6, 1.2.3.4"), frozenset({"10.0.0.1"})) == "1.2.3.4"


@pytest.mark.parametrize("password", ["12345678", "password", "11111111", "abcdefgh", "87654321", "qwerty123",
                                      "aaaaaaaaaa", "Password", "longlonglong"])
def test_weak_passwords_are_refused(session, password):
    with pytest.raises(AccountError):
        add_user(session, "someone", password, "officer", TINGHU)


@pytest.mark.parametrize("name", ["", "   ", "a b", "x" * 65, "<script>"])
def test_bad_user_names_are_refused(session, name):
    with pytest.raises(AccountError):
        add_user(session, name, "good-horse-42", "officer", TINGHU)


def test_bad_role_is_a_chinese_error(session):
    with pytest.raises(AccountError, match="角色“boss”无效"):
        add_user(session, "boss", "good-horse-42", "boss", TINGHU)


def test_security_headers_on_pages_api_and_errors(anon, client_as):
    c = client_as("officer", TINGHU)
    for r in (anon.get("/login"), c.get("/"), c.get("/api/me"), anon.get("/nowhere"), anon.get("/healthz")):
        csp = r.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
        assert r.headers["x-frame-options"] == "DENY" and r.headers["x-content-type-options"] == "nosniff"


def test_api_documentation_needs_a_login(anon, client_as):
    assert anon.get("/api/openapi.json").status_code == 401
    assert anon.get("/api/docs").status_code == 401
    c = client_as("viewer", TINGHU)
    assert c.get("/api/openapi.json").json()["info"]["title"]
    assert "swagger" in c.get("/api/docs").text.lower()


@pytest.fixture
def session(engine):
    with db.session_scope(engine) as s:
        yield s
