"""Decoded ledger frames shared between processes through Parquet files keyed by the ledger version."""

import datetime as dt

import polars as pl
import sqlalchemy as sa

from kechuang.ledgers import load_frame
from kechuang.ledgers.demo import generate_city
from kechuang.targets import metrics as tm


def _forget_in_process():
    with tm._FRAMES_LOCK:
        tm._FRAMES.clear()


def test_frames_come_back_from_disk_and_follow_changes(engine, monkeypatch):
    generate_city(engine, "320900", enterprises=80, seed=5, today=dt.date(2024, 6, 30))
    truth = load_frame(engine, "certification")
    first = tm.LedgerSource(engine)("certification")
    assert first.equals(truth)
    files = list(tm._disk_cache_dir(engine).glob("certification-*.parquet"))
    assert len(files) == 1

    _forget_in_process()  # as another worker process would start
    import kechuang.ledgers as ledgers

    def no_decoding(*_a, **_k):
        raise AssertionError("decoded again although the file was there")

    monkeypatch.setattr(ledgers, "load_frame", no_decoding)
    again = tm.LedgerSource(engine)("certification")
    assert again.equals(truth) and again.schema == truth.schema
    monkeypatch.undo()

    with engine.begin() as c:  # any change to the kind's records makes a new version
        c.execute(sa.text("UPDATE ledger_records SET updated_at = :t WHERE id = (SELECT MIN(id) FROM "
                          "ledger_records WHERE kind = 'certification')"), {"t": dt.datetime(2030, 1, 1)})
    _forget_in_process()
    fresh = tm.LedgerSource(engine)("certification")
    assert fresh.height == truth.height
    now = list(tm._disk_cache_dir(engine).glob("certification-*.parquet"))
    assert len(now) == 1 and now != files  # the stale file is gone


def test_warm_loads_every_kind_a_metric_reads(engine):
    generate_city(engine, "320900", enterprises=40, seed=6, today=dt.date(2024, 6, 30))
    _forget_in_process()
    tm.warm(engine)
    kinds = {key[1] for key in tm._FRAMES if key[0] == str(engine.url)}
    assert {m.kind for m in tm.load_metrics().values() if m.kind} <= kinds
    assert isinstance(tm.LedgerSource(engine)("enterprise"), pl.DataFrame)
