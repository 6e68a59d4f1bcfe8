"""Malformed parameters over every route: dates, huge integers, unknown regions, long text and the
wrong content type end in a Chinese 4xx (JSON or page), never a plain 500."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from sec_helpers import CITY, token
from web_helpers import login

BAD = {
    "date": ["2024-13-45", "明天", "9999999999-01-01"],
    "int": ["99999999999999999999999999", "-1", "abc", "1e400"],
    "region": ["火星区", "99999999", "区" * 300],
    "text": ["x" * 1500, "%00", "' OR 1=1 --"],
}
QUERY_KINDS = {"date": "date", "as_of": "date", "year": "int", "page": "int", "after": "int", "limit": "int",
               "size": "int", "desc": "int", "region": "region", "city": "region", "within": "region",
               "format": "text", "q": "text", "kind": "text", "result": "text", "sort": "text",
               "indicator": "text", "next": "text"}
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def _walk(routes, prefix=""):
    for r in routes:
        if isinstance(r, APIRoute):
            yield prefix + r.path, r
        elif hasattr(r, "original_router"):  # an included router
            yield from _walk(r.original_router.routes, prefix + r.include_context.prefix)


def _routes(app) -> list[tuple[str, APIRoute]]:
    found = list(_walk(app.routes))
    assert len(found) > 30  # every route of every capability, not only those on the app itself
    return found


def _fill(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def _check(r, where: str) -> None:
    assert r.status_code < 500, f"{where} → {r.status_code}: {r.text[:300]}"
    if r.status_code >= 400:
        assert CHINESE.search(r.text), f"{where} → {r.status_code} without a Chinese message: {r.text[:200]}"
        assert len(r.content) < 20_000 or "text/html" in r.headers.get("content-type", ""), where


@pytest.fixture
def probe(app, make_user):
    make_user("probe_admin", "admin")
    make_user("probe_officer", "officer", CITY)
    clients = []
    for name in ("probe_admin", "probe_officer"):
        c = TestClient(app, raise_server_exceptions=False)
        assert login(c, name).status_code == 303
        clients.append(c)
    yield clients
    for c in clients:
        c.close()


def test_malformed_query_and_path_values_on_every_get_route(app, probe):
    for c in probe:
        for raw, route in _routes(app):
            if "GET" not in route.methods:
                continue
            params = [p.name for p in route.dependant.query_params]
            for kind, values in BAD.items():
                for value in values:
                    path = _fill(raw, value)
                    query = {p: value for p in params if QUERY_KINDS.get(p, "text") == kind}
                    for accept in ("application/json", "text/html"):
                        r = c.get(path, params=query, headers={"accept": accept}, follow_redirects=False)
                        _check(r, f"GET {path} {query and list(query)} ({accept})")


def test_wrong_content_type_and_bodies_on_every_post_route(app, probe):
    c = probe[0]
    h = token(c)
    for raw, route in _routes(app):
        if "POST" not in route.methods:
            continue
        path = _fill(raw, "1")
        for body, ctype in ((b"not json at all", "application/json"), (b"\xff\xfe\x00", "text/plain"),
                            (b'{"records": [' + b"1," * 1000 + b"1]}", "application/json"),
                            (b"--x\r\n", "multipart/form-data; boundary=x")):
            r = c.post(path, content=body, headers={**h, "content-type": ctype, "accept": "application/json"},
                       follow_redirects=False)
            _check(r, f"POST {path} ({ctype})")


def test_unknown_pages_and_methods_are_chinese(anon):
    r = anon.get("/no/such/page", headers={"accept": "text/html"})
    assert r.status_code == 404 and "不存在" in r.text
    r = anon.delete("/login")
    assert r.status_code == 405 and "不支持" in r.json()["detail"]


def test_validation_errors_are_chinese_and_short(client_as):
    c = client_as("officer", CITY)
    r = c.get("/api/ledgers/enterprise", params={"limit": "x" * 20_000})
    assert r.status_code == 422
    body = r.json()
    assert "应为整数" in body["detail"] and len(r.content) < 2000
