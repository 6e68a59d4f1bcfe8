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


def test_generate_city_reports_progress_in_enterprises(engine):
    seen = []
    counts = demo.generate_city(engine, "320900", enterprises=300, seed=7, block=100,
                                progress=lambda label, done, total: seen.append((label, done, total)))
    assert seen[-1] == ("完成", 300, 300)
    done = [d for _, d, t in seen if t == 300]
    assert done == sorted(done) and any(0 < d < 300 for d in done)
    assert counts["enterprise"] == 300
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_records")).scalar() == sum(counts.values())


def _stored(engine) -> list[tuple]:
    with engine.connect() as conn:
        return conn.execute(sa.text(
            "SELECT kind, key, region_code, uscc, year, record_date, row_hash FROM ledger_records"
            " WHERE kind <> 'audit' ORDER BY id")).all()


def test_stored_records_do_not_depend_on_the_chunk_size(engine):
    demo.generate_city(engine, "320900", enterprises=500, seed=3, block=200, chunk=37)
    small = _stored(engine)
    demo.generate_city(engine, "320900", enterprises=500, seed=3, block=200, chunk=100_000)
    assert _stored(engine) == small
    assert len(small) > 500 * 5


def test_blocks_continue_document_numbers_and_keep_keys_unique():
    blocks = list(demo.generate_blocks("320900", 700, 11, dt.date(2026, 11, 25), block=200))
    assert [b["enterprise"].height for b in blocks] == [200, 200, 200, 100]
    assert blocks[0]["carrier"].height > 0 and all(b["carrier"].height == 0 for b in blocks[1:])
    whole = demo.generate("320900", 700, 11, dt.date(2026, 11, 25), block=200)
    for kind, frame in whole.items():
        assert frame.get_column("key").is_unique().all(), kind
        assert frame.height == sum(b[kind].height for b in blocks)
    cert_no = whole["certification"].get_column("cert_no")
    assert cert_no.is_unique().all()
    # a city of one block draws from the seed alone: the block size does not matter then
    one = demo.generate("320900", 300, 11, dt.date(2026, 11, 25))
    same = demo.generate("320900", 300, 11, dt.date(2026, 11, 25), block=300)
    assert all(one[k].equals(same[k]) for k in one)


def test_a_failed_demo_load_stores_nothing_and_keeps_the_journal(engine):
    def fail(label, done, total):
        if done >= 200:
            raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        demo.generate_city(engine, "320900", enterprises=400, seed=3, block=100, progress=fail)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM ledger_records")).scalar() == 0
        if conn.dialect.name == "sqlite":
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_a_committed_bulk_load_is_not_reported_failed_when_sqlite_cannot_checkpoint(engine):
    """A statement still open on the loading connection makes SQLite refuse the closing checkpoint
    ("database table is locked"): the load is committed by then, so it stands and no error escapes."""
    if engine.dialect.name != "sqlite":
        pytest.skip("the journal switch and checkpoint are SQLite's")
    frames = _frames(50)
    with store.bulk_load(engine) as conn, conn.begin():
        store.insert_typed(conn, "enterprise", frames["enterprise"])
        raw = conn.connection.driver_connection
        pending = raw.execute("SELECT id FROM ledger_records")  # read one row of many: still open
        pending.fetchone()
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT COUNT(*) FROM ledger_records WHERE kind = 'enterprise'")).scalar()
    assert n == 50
    pending.close()
