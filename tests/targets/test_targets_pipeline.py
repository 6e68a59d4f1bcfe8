"""Through the real tables: reader statements -> targets, ledger records -> progress (skipped until the
reader's and ledgers' packages provide their tables and load_frame)."""

import datetime as dt
import json

import pytest
from sqlalchemy import inspect, text

from kechuang.targets.progress import progress_report
from kechuang.targets.store import import_statements, list_targets


def test_import_statements_binds_and_is_idempotent(engine, session):
    if "statements" not in inspect(engine).get_table_names():
        pytest.skip("reader tables not migrated yet")
    now = dt.datetime.now(dt.timezone.utc)
    doc = session.execute(text(
        "INSERT INTO documents (title, outlet, published_on, filename, checksum, version, text, region_code, "
        "ingested_at, ingested_by) VALUES ('t', '', :p, '003_x.txt', 'c', 1, 'x', '321084', :n, 'u') RETURNING id"),
        {"p": dt.date(2023, 8, 2), "n": now}).scalar_one()
    stmts = [(1, "技术合同交易额达3.9亿元", "3.9", "亿元", "技术合同交易额", "target", "=", "2023"),
             (2, "奖励资金100万元", "100", "万元", "奖励资金", "target", "=", ""),
             (3, "高企总数达2338家", "2338", "家", "高企总数", "achievement", "=", "")]
    for seq, quote, value, unit, ind, kind, cmp_, period in stmts:
        session.execute(text(
            "INSERT INTO statements (document_id, seq, quote, start, end_pos, value, unit, indicator, kind, "
            "comparator, region, region_code, actor, period, corrected) VALUES (:d, :s, :q, 0, 5, :v, :u, :i, "
            ":k, :c, '高邮市', '321084', '', :p, false)"),
            {"d": doc, "s": seq, "q": quote, "v": value, "u": unit, "i": ind, "k": kind, "c": cmp_, "p": period})
    session.commit()
    assert import_statements(session, "t") == (2, 1)
    session.commit()
    ts = {t.indicator: t for t in list_targets(session)}
    assert ts["技术合同交易额"].metric_id == "tech_contract_amount" and ts["技术合同交易额"].year == 2023
    assert ts["技术合同交易额"].source_doc == "003_x.txt" and ts["技术合同交易额"].source_quote.startswith("技术合同")
    assert ts["奖励资金"].binding_status == "unbound" and ts["奖励资金"].year == 2023  # year from publication
    assert import_statements(session, "t") == (0, 0)


def test_progress_from_ledger_records(engine, session):
    ledgers = pytest.importorskip("kechuang.ledgers")
    if not hasattr(ledgers, "load_frame"):
        pytest.skip("kechuang.ledgers.load_frame not available yet")
    now = dt.datetime.now(dt.timezone.utc)
    rows = [("A", "91320900MA1XXXXXX1", "320902", dt.date(2024, 3, 1), dt.date(2027, 3, 1)),
            ("B", "91320900MA1XXXXXX2", "320903", dt.date(2024, 11, 1), dt.date(2027, 11, 1))]
    for key, uscc, code, issued, expires in rows:
        data = {"uscc": uscc, "cert_type": "hnte", "level": "national", "issued_on": issued.isoformat(),
                "expires_on": expires.isoformat(), "year": issued.year}
        session.execute(text(
            "INSERT INTO ledger_records (kind, key, region_code, uscc, year, record_date, data, row_hash, "
            "created_at, updated_at) VALUES ('certification', :k, :r, :u, :y, :d, :data, 'x', :n, :n)"),
            {"k": f"{uscc}|hnte|{issued.year}", "r": code, "u": uscc, "y": issued.year, "d": issued,
             "data": json.dumps(data), "n": now})
    from kechuang.targets.store import add_target

    add_target(session, region="盐城市", region_code="320900", indicator="新认定高企", value="4", unit="家",
               year=2024)
    session.commit()
    [p] = progress_report(session, engine, year=2024, today=dt.date(2024, 6, 30))
    assert p.error == "" and p.current == 1
    [p] = progress_report(session, engine, year=2024, today=dt.date(2024, 12, 31))
    assert p.current == 2 and p.share == 0.5
