"""Cross-region writes: a district officer cannot write into another district's data, through the
UI, the API or the command line; judged by where an enterprise is registered, not by the file."""

from __future__ import annotations

import io

import polars as pl
from typer.testing import CliRunner

from kechuang import db
from kechuang.accounts import add_user
from sec_helpers import TH_ENT, TINGHU, YANDU, YD_ENT, post_records, register_enterprises, token
from web_helpers import PASSWORD

CERT = {"cert_type": "tech_sme", "level": "national", "issued_on": "2025-03-01"}


def _foreign_cert(uscc=YD_ENT):
    # a 盐都区 enterprise's record, but filed under 亭湖区
    return {"uscc": uscc, "region_code": TINGHU, **CERT}


def test_api_refuses_a_record_about_another_districts_enterprise(client_as):
    register_enterprises(client_as)
    th = client_as("officer", TINGHU)
    body = post_records(th, "certification", [{"uscc": TH_ENT, **CERT}, _foreign_cert()]).json()
    assert not body["ok"] and body["inserted"] == 0
    [p] = body["problems"]
    assert p["record"] == 1 and p["value"] == YD_ENT
    assert "登记在" in p["reason"] and "盐都区" in p["reason"] and "管辖范围" in p["reason"]
    # the district that owns it sees nothing new; its enterprise page is unchanged
    yd = client_as("officer", YANDU)
    assert yd.get("/api/ledgers/certification").json()["total"] == 0


def test_web_upload_refuses_it_with_row_and_code(client_as):
    register_enterprises(client_as)
    th = client_as("officer", TINGHU)
    buf = io.BytesIO()
    pl.DataFrame([{"统一社会信用代码": YD_ENT, "行政区划代码": TINGHU, "资质类型": "科技型中小企业",
                   "级别": "国家级", "认定日期": "2025-03-01"}]).write_csv(buf)
    r = th.post("/ledgers/certification/import", files={"file": ("证书.csv", buf.getvalue(), "text/csv")},
                data={"csrf_token": token(th)["X-CSRF-Token"]})
    assert r.status_code == 422
    assert YD_ENT in r.text and "登记在" in r.text


def test_cli_refuses_it_as_the_district_officer(client_as, engine, tmp_path, monkeypatch):
    from kechuang.cli import app

    register_enterprises(client_as)
    with db.session_scope(engine) as s:
        add_user(s, "tinghu_cli", PASSWORD, "officer", TINGHU)
    f = tmp_path / "证书.csv"
    pl.DataFrame([{"统一社会信用代码": YD_ENT, "行政区划代码": TINGHU, "资质类型": "科技型中小企业",
                   "级别": "国家级", "认定日期": "2025-03-01"}]).write_csv(f)
    r = CliRunner().invoke(app, ["ledger", "import", "certification", str(f), "--user", "tinghu_cli"])
    assert r.exit_code != 0
    assert YD_ENT in r.output and "登记在" in r.output


def test_enterprise_page_is_for_the_district_it_is_registered_in(client_as, engine):
    """Records written before the check (or by the city) do not open another district's enterprise."""
    from kechuang.ledgers.importer import import_records

    register_enterprises(client_as)
    # the city files a record about the 盐都区 enterprise under 亭湖区
    rep = import_records(engine, "certification", [_foreign_cert()], username="city", scope_root=None)
    assert rep.ok, rep.problems
    th = client_as("officer", TINGHU)
    assert th.get(f"/enterprises/{YD_ENT}", headers={"accept": "application/json"}).status_code == 404
    assert th.get(f"/enterprises/{TH_ENT}").status_code == 200
    assert client_as("officer", YANDU).get(f"/enterprises/{YD_ENT}").status_code == 200


# ---------------------------------------------------------------- documents and statements

TEXT_YD = ("盐都区关于加快科技创新的实施意见\n\n"
           "到2026年，盐都区高新技术企业数量达到120家，科技型中小企业达到300家。\n")


def _upload(client, name: str, text: str):
    return client.post("/docs/upload", files={"file": (name, text.encode("utf-8"), "text/plain")},
                       data={"csrf_token": token(client)["X-CSRF-Token"]}, follow_redirects=False)


def _doc_id(resp) -> int:
    assert resp.status_code == 303, resp.text[:500]
    return int(resp.headers["location"].rsplit("/", 1)[1])


def test_same_document_name_never_crosses_districts(client_as, engine):
    from kechuang.reader.store import Document

    yd = client_as("officer", YANDU)
    th = client_as("officer", TINGHU)
    first = _doc_id(_upload(yd, "实施意见.txt", TEXT_YD))
    other = _doc_id(_upload(th, "实施意见.txt", "亭湖区科技工作要点\n\n到2026年，亭湖区高新技术企业达到80家。\n"))
    assert other != first
    with db.session_scope(engine) as s:
        a, b = s.get(Document, first), s.get(Document, other)
        assert (a.version, a.owner_region, b.version, b.owner_region, b.supersedes_id) == (1, YANDU, 1, TINGHU, None)
    # 盐都区 still has its document and statements
    assert yd.get(f"/docs/{first}").status_code == 200
    assert "120" in yd.get("/docs/statements").text


def test_text_about_another_district_does_not_enter_its_register_or_targets(client_as):
    th = client_as("officer", TINGHU)
    doc = _doc_id(_upload(th, "盐都意见.txt", TEXT_YD))
    assert th.get(f"/docs/{doc}").status_code == 200  # the uploader sees its own upload (no vanishing)
    yd = client_as("officer", YANDU)
    assert "300" not in yd.get("/docs/statements").text
    r = yd.post("/targets/import", data={"csrf_token": token(yd)["X-CSRF-Token"]}, follow_redirects=False)
    assert r.status_code == 303
    assert yd.get("/api/targets/progress").json() == []


def test_correction_cannot_move_a_statement_out_of_scope(client_as, engine):
    from kechuang.reader.store import Statement

    th = client_as("officer", TINGHU)
    doc = _doc_id(_upload(th, "亭湖要点.txt", "亭湖区科技工作要点\n\n到2026年，亭湖区高新技术企业达到80家。\n"))
    with db.session_scope(engine) as s:
        sid = s.query(Statement).filter_by(document_id=doc).first().id
    r = th.post(f"/docs/statements/{sid}/correct",
                data={"csrf_token": token(th)["X-CSRF-Token"], "region_code": YANDU, "value": "999"},
                follow_redirects=False)
    assert r.status_code == 303 and "error=" in r.headers["location"]
    with db.session_scope(engine) as s:
        st = s.get(Statement, sid)
        assert st.region_code == TINGHU and st.value != 999
    yd = client_as("officer", YANDU)
    # nor may another district correct it at all
    r = yd.post(f"/docs/statements/{sid}/correct", data={"csrf_token": token(yd)["X-CSRF-Token"], "value": "1"},
                headers={"accept": "application/json"}, follow_redirects=False)
    assert r.status_code == 403


def test_cli_target_import_takes_only_the_importers_statements(client_as, engine, tmp_path):
    from kechuang.cli import app
    from kechuang.targets.store import list_targets

    th = client_as("officer", TINGHU)
    _doc_id(_upload(th, "盐都意见.txt", TEXT_YD))  # 亭湖区 writes about 盐都区
    with db.session_scope(engine) as s:
        add_user(s, "yandu_cli", PASSWORD, "officer", YANDU)
    r = CliRunner().invoke(app, ["targets", "import-statements", "--user", "yandu_cli"])
    assert r.exit_code == 0, r.output
    with db.session_scope(engine) as s:
        assert list_targets(s) == []
