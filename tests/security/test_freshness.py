"""Every write path bumps the shared data version in its own transaction, so no cached page
outlives the data it shows (ORM or raw cursor; web, API or command line)."""

from __future__ import annotations

import io

import polars as pl
import pytest
from typer.testing import CliRunner

from kechuang import db
from kechuang.accounts import add_user
from sec_helpers import TH_ENT, TINGHU, post_records, token
from web_helpers import PASSWORD

ENT = {"uscc": TH_ENT, "name": "【演示】亭湖企业", "region_code": TINGHU}


def _version(engine) -> int:
    with engine.connect() as conn:
        return db.data_version(conn)


@pytest.fixture
def officer(client_as):
    return client_as("officer", TINGHU)


def _csv(rows: list[dict]) -> bytes:
    buf = io.BytesIO()
    pl.DataFrame(rows).write_csv(buf)
    return buf.getvalue()


def test_api_ledger_import_insert_and_update(officer, engine):
    v0 = _version(engine)
    assert post_records(officer, "enterprise", [ENT]).json()["inserted"] == 1
    v1 = _version(engine)
    assert v1 > v0
    assert post_records(officer, "enterprise", [dict(ENT, name="【演示】改名")]).json()["updated"] == 1
    assert _version(engine) > v1


def test_web_ledger_file_import_and_the_cached_page_it_changes(officer, engine):
    before = officer.get("/ledgers/enterprise").text  # cached view of the ledger
    assert TH_ENT not in before
    v0 = _version(engine)
    r = officer.post("/ledgers/enterprise/import",
                     files={"file": ("企业.csv", _csv([{"统一社会信用代码": TH_ENT, "企业名称": "【演示】亭湖企业",
                                                        "行政区划代码": TINGHU}]), "text/csv")},
                     data={"csrf_token": token(officer)["X-CSRF-Token"]})
    assert r.status_code == 200, r.text[:400]
    assert _version(engine) > v0
    assert TH_ENT in officer.get("/ledgers/enterprise").text


def test_cli_ledger_import_shows_at_once_in_a_cached_page(officer, engine, tmp_path):
    from kechuang.cli import app

    assert TH_ENT not in officer.get("/ledgers/enterprise").text
    f = tmp_path / "企业.csv"
    f.write_bytes(_csv([{"统一社会信用代码": TH_ENT, "企业名称": "【演示】亭湖企业", "行政区划代码": TINGHU}]))
    v0 = _version(engine)
    r = CliRunner().invoke(app, ["ledger", "import", "enterprise", str(f)])
    assert r.exit_code == 0, r.output
    assert _version(engine) > v0
    assert TH_ENT in officer.get("/ledgers/enterprise").text


def test_store_raw_cursor_writes_mark_the_transaction(engine):
    from kechuang.ledgers import store
    from kechuang.ledgers.importer import import_records

    import_records(engine, "enterprise", [ENT])
    v0 = _version(engine)
    with engine.begin() as conn:
        [rid] = store.existing(conn, "enterprise").get_column("id").to_list()
        enc = pl.DataFrame({"id": [rid], "region_code": [TINGHU], "uscc": [TH_ENT], "year": [None],
                            "record_date": [None], "data": ['{"name": "改"}'], "row_hash": ["x"]},
                           schema_overrides={"year": pl.Int64, "record_date": pl.Date})
        store.update_encoded(conn, enc)
    assert _version(engine) == v0 + 1


def test_document_upload_and_correction(officer, engine):
    from kechuang.reader.store import Statement

    v0 = _version(engine)
    r = officer.post("/docs/upload", data={"csrf_token": token(officer)["X-CSRF-Token"]},
                     files={"file": ("要点.txt", "亭湖区科技工作要点\n\n到2026年，亭湖区高新技术企业达到80家。\n"
                                     .encode(), "text/plain")}, follow_redirects=False)
    assert r.status_code == 303
    v1 = _version(engine)
    assert v1 > v0
    with db.session_scope(engine) as s:
        sid = s.query(Statement).first().id
    r = officer.post(f"/docs/statements/{sid}/correct",
                     data={"csrf_token": token(officer)["X-CSRF-Token"], "value": "81"}, follow_redirects=False)
    assert r.status_code == 303 and "error" not in r.headers["location"]
    v2 = _version(engine)
    assert v2 > v1
    r = officer.post("/targets/import", data={"csrf_token": token(officer)["X-CSRF-Token"]}, follow_redirects=False)
    assert r.status_code == 303
    assert _version(engine) > v2


def test_cli_ingest_and_target_import(engine, tmp_path):
    from kechuang.cli import app

    with db.session_scope(engine) as s:
        add_user(s, "th", PASSWORD, "officer", TINGHU)
    f = tmp_path / "要点.txt"
    f.write_text("亭湖区科技工作要点\n\n到2026年，亭湖区高新技术企业达到80家。\n", encoding="utf-8")
    v0 = _version(engine)
    r = CliRunner().invoke(app, ["ingest", str(f), "--user", "th"])
    assert r.exit_code == 0, r.output
    v1 = _version(engine)
    assert v1 > v0
    r = CliRunner().invoke(app, ["targets", "import-statements", "--user", "th"])
    assert r.exit_code == 0, r.output
    assert _version(engine) > v1
