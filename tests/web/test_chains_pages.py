"""产业链 pages: the tree with status colours, a node's enterprises with evidence, an officer's
confirmation and correction (stored, audited, kept through recomputation), 补链 candidates, the
"图 + 清单" workbook, scope and the JSON API."""

import io
import sys
from pathlib import Path

import openpyxl
import pytest
from web_helpers import csrf_from

sys.path.insert(0, str(Path(__file__).parents[1] / "chains"))

from helpers_chains import FIXTURES, uscc, write_scene  # noqa: E402

AS_OF = {"as_of": "2025-06-01"}


@pytest.fixture
def scene(engine, tmp_path, monkeypatch):
    from kechuang.chains import templates

    monkeypatch.setattr(templates, "DATA", FIXTURES / "none")
    monkeypatch.setenv("KECHUANG_CHAINS_DIR", str(FIXTURES))
    templates._cached.cache_clear()
    write_scene(tmp_path, engine)
    yield
    templates._cached.cache_clear()


def test_chain_page_tree_table_and_workbook(client_as, scene):
    c = client_as("officer", "320902")
    idx = c.get("/chains")
    assert idx.status_code == 200 and "新能源汽车产业链" in idx.text
    page = c.get("/chains/nev", params=AS_OF)
    assert page.status_code == 200
    assert 'id="chain-tree"' in page.text and '"type": "tree"' in page.text
    assert 'data-node="nev.vehicle" data-status="present"' in page.text
    assert 'data-node="nev.battery" data-status="missing"' in page.text
    assert "盐城乙汽车有限公司" in page.text  # 链主 candidate named
    x = c.get("/chains/nev", params=AS_OF | {"format": "xlsx"})
    wb = openpyxl.load_workbook(io.BytesIO(x.content))
    assert wb.sheetnames == ["产业链图", "企业清单", "补链清单"]
    names = [r[0].value for r in wb["企业清单"].iter_rows(min_row=2)]
    assert names.count("整车制造") == 3
    gap = [[cell.value for cell in r] for r in wb["补链清单"].iter_rows(min_row=2)]
    assert any("南京辛电池有限公司" in row for row in gap)


def test_node_page_confirm_and_correct_are_kept_and_audited(client_as, scene, engine):
    c = client_as("officer", "320902")
    node = c.get("/chains/nev/nodes/nev.motor", params=AS_OF)
    assert node.status_code == 200 and f'data-uscc="{uscc(4)}"' in node.text
    token = csrf_from(node.text)
    # an officer confirms 戊 on 驱动电机 and moves 丁 to 关键零部件
    r = c.post("/chains/nev/nodes/nev.motor/decide", data={"uscc": uscc(5), "verdict": "confirm", "note": "实地走访",
                                                          "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    r = c.post("/chains/nev/nodes/nev.motor/decide", data={"uscc": uscc(4), "verdict": "move", "move_to": "nev.parts",
                                                          "csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/chains/nev/nodes/nev.parts")
    got = {a["uscc"]: a for a in c.get("/api/chains/nev/nodes/nev.motor/enterprises", params=AS_OF).json()}
    assert set(got) == {uscc(5)}
    assert got[uscc(5)]["evidence"][0]["kind"] == "manual" and got[uscc(5)]["confidence"] == 1
    # 关键零部件 counts its own enterprises and those of the nodes under it (戊 via 驱动电机)
    parts = {a["uscc"]: a for a in c.get("/api/chains/nev/nodes/nev.parts/enterprises", params=AS_OF).json()}
    assert set(parts) == {uscc(4), uscc(5)} and parts[uscc(4)]["evidence"][0]["kind"] == "manual"
    assert parts[uscc(4)]["node"] == "nev.parts" and parts[uscc(5)]["node"] == "nev.motor"
    # recomputation (a re-import of the ledger) keeps the verdicts
    from kechuang.ledgers import import_file

    e = Path(engine.url.database).parent / "again.csv"
    e.write_text(f"统一社会信用代码,企业名称,行政区划代码,国民经济行业代码\n{uscc(4)},盐城丁电机有限公司,320902,C3812\n",
                 encoding="utf-8")
    assert import_file(engine, "enterprise", e).ok
    assert {a["uscc"] for a in c.get("/api/chains/nev/nodes/nev.motor/enterprises", params=AS_OF).json()} == {uscc(5)}
    from kechuang import audit as au
    from kechuang.db import session_scope

    with session_scope(engine) as s:
        entries = au.recent(s, entity="chain")
        assert {(x.action, x.entity_id) for x in entries} >= {("chain-confirm", f"{uscc(5)}@nev.motor"),
                                                              ("chain-reject", f"{uscc(4)}@nev.motor"),
                                                              ("chain-confirm", f"{uscc(4)}@nev.parts")}


def test_decisions_need_csrf_scope_and_a_known_node(client_as, scene):
    other = client_as("officer", "320903")  # 盐都区 cannot touch 亭湖区's enterprises
    page = other.get("/chains/nev/nodes/nev.motor", params=AS_OF)
    token = csrf_from(page.text)
    r = other.post("/chains/nev/nodes/nev.motor/decide", data={"uscc": uscc(4), "verdict": "reject", "csrf_token": token})
    assert r.status_code == 404
    c = client_as("officer", "320902")
    assert c.post("/chains/nev/nodes/nev.motor/decide", data={"uscc": uscc(4), "verdict": "reject"}).status_code == 403
    token = csrf_from(c.get("/chains/nev/nodes/nev.motor", params=AS_OF).text)
    r = c.post("/chains/nev/nodes/nev.motor/decide", data={"uscc": uscc(4), "verdict": "move", "move_to": "nev.x",
                                                          "csrf_token": token})
    assert r.status_code == 400 and "nev.x" in r.text
    assert c.get("/chains/nev/nodes/nev.nope").status_code == 404
    assert c.get("/chains/nope").status_code == 404


def test_node_page_shows_supplement_candidates_and_api(client_as, scene):
    c = client_as("officer", "320902")
    page = c.get("/chains/nev/nodes/nev.battery", params=AS_OF)
    assert "补链候选企业" in page.text and "南京辛电池有限公司" in page.text and "盐都庚电池有限公司" in page.text
    status = {s["node"]: s for s in c.get("/api/chains/nev/status", params=AS_OF).json()}
    assert status["nev.battery"]["status"] == "missing" and status["nev.vehicle"]["leaders"]
    sup = c.get("/api/chains/nev/supplement", params=AS_OF).json()
    assert any(g["node"] == "nev.battery" and g["candidates"] for g in sup)
    assert {c["id"] for c in c.get("/api/chains").json()} == {"nev", "storage", "bio"}
    # 盐都区's own view: its battery maker is local there
    yd = client_as("officer", "320903")
    st = {s["node"]: s for s in yd.get("/api/chains/nev/status", params=AS_OF).json()}
    assert st["nev.battery"]["enterprises"] == 1 and st["nev.vehicle"]["status"] == "missing"


def test_enterprise_page_names_its_chain_nodes(client_as, scene):
    c = client_as("officer", "320902")
    page = c.get(f"/enterprises/{uscc(1)}")
    assert page.status_code == 200 and 'id="chain-places"' in page.text
    assert 'data-node="nev.vehicle"' in page.text
    assert "不在任何产业链节点上" in c.get(f"/enterprises/{uscc(6)}").text
