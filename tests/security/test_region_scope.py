"""One region-scope dependency: names or codes everywhere, unknown regions a clear Chinese error."""

from __future__ import annotations

import pytest

from sec_helpers import CITY, TINGHU, YANDU

PAGES = ["/programs", "/programs/xiaoshenggao", "/ledgers/enterprise", "/docs/statements", "/targets",
         "/api/ledgers/enterprise", "/api/targets/progress"]


@pytest.mark.parametrize("path", PAGES)
def test_region_by_name_equals_region_by_code(client_as, path):
    c = client_as("officer", CITY)
    by_code = c.get(path, params={"region": TINGHU})
    by_name = c.get(path, params={"region": "亭湖区"})
    assert by_code.status_code == 200, by_code.text[:300]
    assert by_name.status_code == 200, by_name.text[:300]
    if path.startswith("/api/"):
        assert by_name.json() == by_code.json()


@pytest.mark.parametrize("path", PAGES)
def test_unknown_region_is_a_chinese_404(client_as, path):
    c = client_as("officer", CITY)
    r = c.get(path, params={"region": "火星区"}, headers={"accept": "application/json"})
    assert r.status_code == 404
    assert "未知地区“火星区”" in r.json()["detail"]


@pytest.mark.parametrize("path", PAGES)
def test_region_outside_the_officers_subtree_is_refused(client_as, path):
    c = client_as("officer", TINGHU)
    r = c.get(path, params={"region": "盐都区"}, headers={"accept": "application/json"})
    assert r.status_code == 403
    assert "无权" in r.json()["detail"]


def test_overlong_region_is_a_400_without_echo(client_as):
    c = client_as("officer", CITY)
    r = c.get("/programs", params={"region": "区" * 5000}, headers={"accept": "application/json"})
    assert r.status_code == 400
    assert len(r.text) < 500
