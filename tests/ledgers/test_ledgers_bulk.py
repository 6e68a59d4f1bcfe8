"""Bulk loads (demo data at province size): indexes built once after the rows, in the same
transaction, so a failure leaves rows and indexes as they were; COPY on PostgreSQL stores the
same records as executemany."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from kechuang.ledgers import demo, store


def _indexes(engine) -> set[str]:
    return {ix["name"] for ix in sa.inspect(engine).get_indexes("ledger_records")}


def _frames(n=300):
    return demo.generate("320900", n, 7, dt.date(2026, 11, 25))


def test_deferred_indexes_are_rebuilt_and_records_readable(engine):
    before = _indexes(engine)
    assert "ix_ledger_records_uscc" in before
    frames = _frames()
    with engine.begin() as conn:
        with store.indexes_deferred(conn, 10, at_least=0):
            assert "ix_ledger_records_uscc" not in {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'index'" if conn.dialect.name == "sqlite"
                else "SELECT indexname FROM pg_indexes WHERE tablename = 'ledger_records'")}
            store.insert_typed(conn, "enterprise", frames["enterprise"])
    assert _indexes(engine) == before
    with engine.connect() as conn:
        page, _ = store.page_records(conn, "enterprise", None, sort="name", limit=5)
        n = conn.execute(sa.text("SELECT COUNT(*) FROM ledger_records WHERE kind = 'enterprise'")).scalar()
    assert n == frames["enterprise"].height
    assert page and all(r["name"].startswith("【演示】") for r in page)


def test_a_failed_bulk_load_leaves_rows_and_indexes_as_they_were(engine):
    before = _indexes(engine)
    frames = _frames()
    with pytest.raises((sa.exc.IntegrityError, engine.dialect.dbapi.IntegrityError)):
        with engine.begin() as conn:
            with store.indexes_deferred(conn, 10, at_least=0):
                store.insert_typed(conn, "enterprise", frames["enterprise"])
                store.insert_typed(conn, "enterprise", frames["enterprise"].head(1))  # a duplicate key
    assert _indexes(engine) == before
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_records")).scalar() == 0


def test_generate_city_reports_progress_in_records(engine):
    seen = []
    counts = demo.generate_city(engine, "320900", enterprises=300, seed=7,
                                progress=lambda label, done, total: seen.append((label, done, total)))
    total = sum(counts.values())
    assert seen[-1] == ("完成", total, total)
    done = [d for _, d, t in seen if t == total]
    assert done == sorted(done) and any(0 < d < total for d in done)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_records")).scalar() == total
