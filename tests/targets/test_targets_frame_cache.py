"""Decoded ledger frames shared between processes through Parquet files keyed by the ledger version."""

import datetime as dt

import polars as pl
import sqlalchemy as sa

from kechuang.ledgers import load_frame
from kechuang.ledgers.demo import generate_city
from kechuang.ledgers.store import T
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
    from kechuang.ledgers import store

    def no_decoding(*_a, **_k):
        raise AssertionError("decoded again although the file was there")

    with monkeypatch.context() as m:  # (undo() would also drop the fixtures' environment)
        m.setattr(store, "load_frame", no_decoding)
        again = tm.LedgerSource(engine)("certification")
    assert again.equals(truth) and again.schema == truth.schema

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


def test_a_new_worker_brings_an_earlier_file_up_to_date_instead_of_decoding(engine, monkeypatch):
    from kechuang.ledgers import store
    from kechuang.ledgers.importer import import_records

    generate_city(engine, "320900", enterprises=80, seed=7, today=dt.date(2024, 6, 30))
    fields = tm.metric_fields("certification")
    tm.whole_frame(engine, "certification", fields)
    files = list(tm._disk_cache_dir(engine).glob("certification-*.parquet"))
    assert len(files) == 1

    def no_counting(*_a, **_k):
        raise AssertionError("counted the kind's records although the file holds its mark")

    _forget_in_process()  # a worker started on the same data reads the file and the mark it holds
    with monkeypatch.context() as m:
        m.setattr(store, "change_mark", no_counting)
        assert tm.whole_frame(engine, "certification", fields).height == load_frame(engine, "certification").height

    # a day's work: one certificate edited, one added (inserts and edits of the kind only)
    cols = [f.id for f in store.get_kind("certification").fields]
    rows = load_frame(engine, "certification").select(cols).head(2).to_dicts()
    edited = dict(rows[0], cert_no="NEW-NO-1")
    added = dict(rows[1], year=2025, issued_on=dt.date(2025, 1, 5), expires_on=None, cert_no="NEW-NO-2")
    report = import_records(engine, "certification", [{k: (v.isoformat() if isinstance(v, dt.date) else v)
                                                       for k, v in r.items()} for r in (edited, added)])
    assert report.ok, report.problems
    truth = load_frame(engine, "certification")

    _forget_in_process()  # a worker started after the change

    def no_decoding(*_a, **_k):
        raise AssertionError("decoded the whole kind again")

    with monkeypatch.context() as m:
        m.setattr(store, "load_frame", no_decoding)
        got = tm.whole_frame(engine, "certification", fields)
    assert got.height == truth.height
    assert got.equals(truth.select(got.columns)), "the file's records with the day's changes put in"
    now = list(tm._disk_cache_dir(engine).glob("certification-*.parquet"))
    assert len(now) == 1 and now != files  # kept for the new version, the earlier file gone

    # a deletion is not followed record by record: the kind is decoded afresh
    with engine.begin() as c:
        c.execute(sa.delete(store.T).where(store.T.c.id == truth.get_column("id")[0]))
    _forget_in_process()
    calls = []
    real = store.load_frame
    monkeypatch.setattr(store, "load_frame", lambda *a, **k: calls.append(a[1]) or real(*a, **k))
    after = tm.whole_frame(engine, "certification", fields)
    assert calls == ["certification"] and after.height == truth.height - 1


def test_enterprise_names_come_from_the_kept_frame(engine):
    from kechuang.ledgers.frames import kept_names
    from kechuang.ledgers.store import enterprise_names

    generate_city(engine, "320900", enterprises=120, seed=8, today=dt.date(2024, 6, 30))
    _forget_in_process()
    usccs = load_frame(engine, "enterprise").get_column("uscc").to_list()[::2] + ["NOT-A-CODE", None]
    with engine.connect() as c:
        looked_up = enterprise_names(c, usccs)
        assert len(looked_up) > 50 and kept_names(c, usccs) == looked_up
    kept = tm.whole_frame(engine, "enterprise", ["uscc"])
    assert "name" in kept.columns  # the dashboards' frame of the kind serves the names
    with engine.begin() as c:  # a transaction that renamed one sees its own write
        data = c.execute(sa.select(T.c.data).where(T.c.kind == "enterprise", T.c.key == usccs[0])).scalar_one()
        c.execute(sa.update(T).where(T.c.kind == "enterprise", T.c.key == usccs[0])
                  .values(data=dict(data, name="改名科技")))
        assert kept_names(c, usccs[:1]) == {usccs[0]: "改名科技"}
    looked_up[usccs[0]] = "改名科技"
    with engine.connect() as c:  # committed: the next frame's names
        assert kept_names(c, usccs) == looked_up
    with engine.begin() as c:  # and again, a later frame's
        data = c.execute(sa.select(T.c.data).where(T.c.kind == "enterprise", T.c.key == usccs[2])).scalar_one()
        c.execute(sa.update(T).where(T.c.kind == "enterprise", T.c.key == usccs[2])
                  .values(data=dict(data, name="又改名科技")))
    with engine.connect() as c:
        assert kept_names(c, usccs) == enterprise_names(c, usccs) == dict(looked_up, **{usccs[2]: "又改名科技"})
        assert kept_names(c, []) == {} and kept_names(c, ["0", "ZZZZ"]) == {}


def test_workers_take_turns_on_a_kept_file(tmp_path):
    """A second process (here: a second opening of the lock file) waits while the first holds it."""
    import threading

    from kechuang.cache import file_lock

    lock = tmp_path / "kind.lock"
    order, inside = [], threading.Event()

    def second():
        inside.wait()
        with file_lock(lock):
            order.append("second")

    t = threading.Thread(target=second)
    with file_lock(lock):
        t.start()
        inside.set()
        t.join(0.3)  # it cannot enter while the first holds the lock
        order.append("first")
    t.join()
    assert order == ["first", "second"]


def test_one_source_reads_the_data_versions_once_and_a_new_one_sees_a_change(engine):
    """The kinds one computation reads are checked against one reading of the data versions; the
    next computation (a new source) reads them again and gets the changed records."""
    from kechuang.ledgers.importer import import_records

    generate_city(engine, "320900", enterprises=60, seed=3, today=dt.date(2024, 6, 30))
    reads = []

    def note(_conn, _cursor, statement, *_a):
        if "app_state" in statement and statement.lstrip().upper().startswith("SELECT"):
            reads.append(statement)

    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        source = tm.metric_source(engine)
        for kind in ("certification", "enterprise", "tech_contract"):
            source(kind)
        assert len(reads) == 1
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)

    rec = load_frame(engine, "tech_contract").row(0, named=True)
    rec = {k: v for k, v in rec.items() if k not in ("id", "key") and v is not None}
    rec["amount"] = rec["amount"] + 7
    assert import_records(engine, "tech_contract", [rec], source="test").updated == 1
    fresh = tm.metric_source(engine)("tech_contract")
    assert fresh.sort("id").get_column("amount").to_list() == \
        load_frame(engine, "tech_contract").sort("id").get_column("amount").to_list()


def test_names_kept_in_one_buffer_come_back_by_position_in_the_order_asked():
    from kechuang.ledgers.frames import _Texts

    texts = _Texts(["【演示】甲公司", "b", "乙丙科技", "最后一家"])
    assert texts.take([3, 0, 2, 1, 0]) == ["最后一家", "【演示】甲公司", "乙丙科技", "b", "【演示】甲公司"]
    assert texts.take([]) == [] and len(texts) == 4
