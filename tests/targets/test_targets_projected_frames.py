"""Dashboards decode only the fields metrics read (out of the JSON, by the database): the numbers
must be those of the whole decoded ledgers, blanks and missing keys included."""

import datetime as dt
import random

import polars as pl
import sqlalchemy as sa

from kechuang.ledgers import load_frame
from kechuang.ledgers.demo import generate_city
from kechuang.ledgers.frames import columns_of
from kechuang.ledgers.store import T, load_fields
from kechuang.targets import metrics as tm

DAYS = [dt.date(2023, 12, 31), dt.date(2024, 3, 31), dt.date(2024, 6, 30)]


def _blank_some_fields(engine, seed: int = 3) -> int:
    """Set a field to null in some records and drop it from others, in every kind metrics read."""
    rng = random.Random(seed)
    fields = {k: sorted(tm.metric_fields(k) - {"uscc", "region_code", "year"}) for k in tm.dashboard_kinds()}
    changed = 0
    with engine.begin() as c:
        rows = c.execute(sa.select(T.c.id, T.c.kind, T.c.data)).all()
        for rid, kind, data in rows:
            if not fields.get(kind) or rng.random() > 0.15:
                continue
            data = dict(data)
            f = rng.choice(fields[kind])
            if rng.random() < 0.5:
                data[f] = None
            else:
                data.pop(f, None)
            c.execute(sa.update(T).where(T.c.id == rid).values(data=data))
            changed += 1
    return changed


def test_projected_fields_are_typed_as_whole_frames(engine):
    generate_city(engine, "320900", enterprises=120, seed=8, today=dt.date(2024, 6, 30))
    assert _blank_some_fields(engine) > 20
    for kind in tm.dashboard_kinds():
        whole = load_frame(engine, kind)
        fields = sorted(tm.metric_fields(kind))
        part = load_fields(engine, kind, fields)
        assert part.height == whole.height
        assert part.equals(whole.select(part.columns)), kind
        assert set(part.columns) <= set(whole.columns)
    ip = load_fields(engine, "ip", tm.metric_fields("ip"))
    assert "title" not in ip.columns and ip.get_column("status").null_count() > 0


def test_metrics_from_projected_frames_equal_whole_frames(engine):
    counts = generate_city(engine, "320900", enterprises=300, seed=11, today=dt.date(2024, 6, 30))
    assert _blank_some_fields(engine) > 50
    metrics = tm.load_metrics()
    whole = tm.dict_source({k: load_frame(engine, k) for k in counts})  # every field decoded, as before
    with tm._FRAMES_LOCK:
        tm._FRAMES.clear()
    projected = tm.metric_source(engine)
    counted_regions, kinds = set(), set()
    for m in metrics.values():
        old = tm.compute(m, DAYS, whole, metrics).sort("region_code", "as_of")
        new = tm.compute(m, DAYS, projected, metrics).sort("region_code", "as_of")
        assert new.equals(old), m.id
        counted_regions |= set(new.get_column("region_code").to_list())
        if new.height and m.kind:
            kinds.add(m.kind)
    assert len(counted_regions) > 3 and len(kinds) >= 5

    # what the dashboards keep of a kind is the fields metrics read,
    # not the whole record
    kept = tm.whole_frame(engine, "ip", tm.metric_fields("ip"))
    assert set(kept.columns) < set(load_frame(engine, "ip").columns)
    assert tm.whole_frame(engine, "ip", ["status"]) is kept  # fewer fields: the same copy

    # the rows behind a number (read whole): the same records, every field, in the region they count in
    for mid, region, day in (("hnte_valid", "320900", DAYS[-1]), ("rd_expense_total", "320900", DAYS[0]),
                             ("invention_patents_granted", "320900", DAYS[-1])):
        old = tm.rows_behind(mid, region, day, whole)
        new = tm.rows_behind(mid, region, day, tm.LedgerSource(engine))
        assert new.height == old.height > 0
        assert new.sort("id").equals(old.sort("id").select(new.columns)), mid


def test_a_wider_reader_widens_the_one_kept_copy(engine):
    generate_city(engine, "320900", enterprises=40, seed=4, today=dt.date(2024, 6, 30))
    with tm._FRAMES_LOCK:
        tm._FRAMES.clear()
    narrow = tm.whole_frame(engine, "certification", ["cert_type"])
    wide = tm.whole_frame(engine, "certification", ["cert_type", "cert_no"])
    assert "cert_no" not in narrow.columns and {"cert_type", "cert_no"} <= set(wide.columns)
    assert tm.whole_frame(engine, "certification", ["cert_type"]) is wide
    full = tm.whole_frame(engine, "certification")
    assert full.equals(load_frame(engine, "certification").select(full.columns))
    assert set(full.columns) == set(load_frame(engine, "certification").columns)
    assert tm.whole_frame(engine, "certification", ["cert_no"]) is full
    assert pl.Series(full.columns).is_unique().all()


def test_a_server_start_prepares_every_metric(engine, monkeypatch):
    generate_city(engine, "320900", enterprises=40, seed=9, today=dt.date(2024, 6, 30))
    with tm._FRAMES_LOCK:
        tm._FRAMES.clear()
    tm.warm(engine, prepare=True)

    def again(*_a, **_k):
        raise AssertionError("prepared again although the start prepared it")

    monkeypatch.setattr(tm, "_prepare", again)
    source = tm.metric_source(engine)
    for m in tm.load_metrics().values():
        tm.compute(m, DAYS, source)


def test_rows_behind_a_number_read_only_the_counted_records(engine):
    from decimal import Decimal

    from kechuang.targets.provenance import explain
    from kechuang.targets.store import Target

    generate_city(engine, "320900", enterprises=300, seed=12, today=dt.date(2024, 6, 30))
    assert _blank_some_fields(engine, seed=5) > 50
    with tm._FRAMES_LOCK:
        tm._FRAMES.clear()
    shown = 0
    for mid, region in (("hnte_valid", "320900"), ("rd_expense_total", "320902"),
                        ("invention_patents_granted", "320900"), ("tech_contract_amount", "320900")):
        t = Target(id=1, region_code=region, region="x", indicator="x", metric_id=mid, period="2024", year=2024,
                   comparator=">=", value=Decimal(1), unit=tm.get_metric(mid).unit, binding_status="bound")
        day = DAYS[0] if mid == "rd_expense_total" else DAYS[-1]
        old = explain(t, day, tm.LedgerSource(engine))  # every field of the kinds read, kept
        with tm._FRAMES_LOCK:
            tm._FRAMES.clear()
        with engine.connect() as conn:
            new = explain(t, day, tm.metric_source(engine), conn)
        assert new.total == old.total > 0, mid
        assert [c.id for c in new.columns] == [c.id for c in old.columns]
        assert new.frame.equals(old.frame), mid
        assert new.notes == old.notes and new.duplicates == old.duplicates and new.current == old.current
        if "name" in new.frame.columns:
            shown += new.frame.get_column("name").drop_nulls().len()
        # the kept frames hold what metrics read, not the whole records shown
        for kind in (tm.get_metric(mid).kind, "enterprise"):
            kept = tm._FRAMES.get((str(engine.url), kind))
            if kept is not None:
                assert set(kept[1].columns) <= set(columns_of(kind, tm.kept_fields(kind))), kind
    assert shown > 0


def test_load_frame_by_record_ids(engine, monkeypatch):
    from kechuang.ledgers import store

    generate_city(engine, "320900", enterprises=60, seed=2, today=dt.date(2024, 6, 30))
    whole = load_frame(engine, "ip")
    ids = whole.get_column("id").to_list()[::3]
    monkeypatch.setattr(store, "ID_CHUNK", 7)  # several statements
    got = load_frame(engine, "ip", ids=list(reversed(ids)))
    assert got.equals(whole.filter(pl.col("id").is_in(ids)))
    part = load_frame(engine, "ip", fields=["status"], ids=ids)
    assert part.equals(whole.filter(pl.col("id").is_in(ids)).select(part.columns))
    assert load_frame(engine, "ip", ids=[]).height == 0


def test_prepared_metrics_are_shared_with_the_next_worker_and_follow_changes(engine, monkeypatch):
    from kechuang.ledgers import get_kind
    from kechuang.ledgers.importer import import_records

    generate_city(engine, "320900", enterprises=120, seed=13, today=dt.date(2024, 6, 30))

    def new_worker():
        with tm._FRAMES_LOCK:
            tm._FRAMES.clear()
        with tm._PREPARED_LOCK:
            tm._PREPARED.clear()
            tm._VALUES.clear()

    def values(source):
        return {m.id: tm.compute(m, DAYS, source).sort("region_code", "as_of") for m in tm.load_metrics().values()}

    new_worker()
    tm.warm(engine, prepare=True)
    first = values(tm.metric_source(engine))
    assert list((tm._disk_cache_dir(engine).parent / "prepared-metrics").glob("hnte_valid-*.parquet"))

    def again(*_a, **_k):
        raise AssertionError("prepared again although another worker kept it")

    new_worker()
    with monkeypatch.context() as m:
        m.setattr(tm, "_prepare", again)
        shared = values(tm.metric_source(engine))
    assert all(shared[mid].equals(v) for mid, v in first.items())

    # a certificate added: the metrics of its kind are prepared afresh and count it
    cols = [f.id for f in get_kind("certification").fields]
    row = load_frame(engine, "certification").filter(pl.col("cert_type") == "hnte").select(cols).to_dicts()[0]
    row.update(year=2023, issued_on=dt.date(2023, 2, 1), expires_on=None, cert_no="X-2023")
    rep = import_records(engine, "certification", [{k: (v.isoformat() if isinstance(v, dt.date) else v)
                                                    for k, v in row.items()}])
    assert rep.ok and rep.inserted == 1, rep.problems
    new_worker()
    after = values(tm.metric_source(engine))
    whole = values(tm.dict_source({k: load_frame(engine, k) for k in tm.dashboard_kinds()}))
    assert all(after[mid].equals(v) for mid, v in whole.items())
    assert not after["hnte_new"].equals(first["hnte_new"])
