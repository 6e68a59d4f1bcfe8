"""One region-scope dependency: names or codes everywhere, unknown regions a clear Chinese error."""

from __future__ import annotations

import pytest

from sec_helpers import CITY, TINGHU, YANDU, csrf_from, make

PAGES = ["/programs", "/programs/xiaoshenggao", "/ledgers/enterprise", "/docs/statements", "/targets",
         "/api/ledgers/enterprise", "/api/targets/progress", "/reports", "/warnings"]


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


def _post(client, path, data=None, files=None):
    return client.post(path, data={"csrf_token": csrf_from(client.get("/").text), **(data or {})}, files=files,
                       follow_redirects=False)


def test_a_district_neither_sees_nor_acts_on_another_districts_round_or_report(client_as):
    city, th, yd = client_as("officer", CITY), client_as("officer", TINGHU), client_as("officer", YANDU)
    form = {"period_kind": "quarter", "period": "2025-Q1", "deadline": "2099-04-10", "kinds": ["tech_contract"]}
    r = _post(city, "/rounds", form)
    rid = int(r.headers["location"].rsplit("/", 1)[1])
    csv = ("合同登记编号,合同名称,合同类型,统一社会信用代码,行政区划代码,合同成交额,登记日期\n"
           f"HT-S1,甲,技术开发,{make('91', TINGHU, 'MA9000081')},{TINGHU},7,2025-01-05\n").encode()
    assert _post(th, f"/rounds/{rid}/{TINGHU}/upload", {"kind": "tech_contract"},
                 files={"file": ("亭湖.csv", csv, "text/csv")}).status_code == 303
    # 盐都区 sees the city's round, but only its own row
    page = yd.get(f"/rounds/{rid}").text
    assert f'id="r{YANDU}"' in page and f'id="r{TINGHU}"' not in page and "亭湖.csv" not in page
    assert yd.get(f"/rounds/{rid}/{TINGHU}/tech_contract.file").status_code == 403
    assert yd.get(f"/rounds/{rid}/{TINGHU}/fill/tech_contract").status_code == 403
    for action, data in (("upload", None), ("submit", {}), ("fill/tech_contract", {"c1.amount": "1"}),
                         ("approve", {}), ("return", {"reason": "x"})):
        files = {"file": ("x.csv", csv, "text/csv")} if action == "upload" else None
        got = _post(yd, f"/rounds/{rid}/{TINGHU}/{action}", {"kind": "tech_contract", **(data or {})}, files)
        assert got.status_code == 403, action
    assert _post(yd, f"/rounds/{rid}/close").status_code == 403
    assert "亭湖.csv" in th.get(f"/rounds/{rid}").text  # untouched
    # a round of another city is not theirs to see at all
    wx = client_as("officer", "320200")
    other = int(_post(wx, "/rounds", form).headers["location"].rsplit("/", 1)[1])
    assert yd.get(f"/rounds/{other}").status_code == 403
    assert f'href="/rounds/{other}"' not in yd.get("/rounds").text
    assert f'href="/rounds/{rid}"' in yd.get("/rounds").text
    # nor another district's report, in any format
    for fmt in ("", "docx", "pdf", "xlsx"):
        got = yd.get("/reports", params={"region": "亭湖区", "period": "2025Q1", "format": fmt},
                     headers={"accept": "application/json"})
        assert got.status_code == 403, fmt
    assert yd.get("/reports", params={"region": "盐都区", "period": "2025Q1", "format": "docx"}).status_code == 200
