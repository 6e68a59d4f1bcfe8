"""Stored placements: a page computes an enterprise once, reads it back afterwards, and computes it
again when its inputs (products, code, patents, templates) change."""

import datetime as dt

import sqlalchemy as sa
from helpers_chains import uscc, write_scene

from kechuang.chains import store
from kechuang.chains.status import region_view
from kechuang.ledgers.importer import import_file
from kechuang.ledgers.store import load_frame


def _rows(engine):
    with engine.connect() as c:
        return dict(c.execute(sa.select(store.ChainPlacement.__table__.c.uscc,
                                        store.ChainPlacement.__table__.c.fingerprint)).all())


def test_views_read_stored_placements_and_recompute_what_changed(tmp_path, engine, chains_dir, monkeypatch):
    from kechuang.chains import get_chain

    write_scene(tmp_path, engine)
    day = dt.date(2025, 6, 1)
    first = region_view(engine, "320902", get_chain("nev"), as_of=day)
    stored = _rows(engine)
    assert uscc(1) in stored and store.refresh(engine) >= len(stored)

    calls = []
    real = store.Assigner.assign
    monkeypatch.setattr(store.Assigner, "assign", lambda self, *a, **k: calls.append(a[0]["uscc"]) or real(self, *a, **k))
    again = region_view(engine, "320902", get_chain("nev"), as_of=day)
    assert calls == []  # nothing recomputed
    assert [(n.node_id, n.enterprises, n.status) for n in again.nodes] == \
        [(n.node_id, n.enterprises, n.status) for n in first.nodes]
    assert [a.evidence for n in again.nodes for a in n.members] == [a.evidence for n in first.nodes for a in n.members]

    # one enterprise's products change: only it is computed again, and its new place shows
    f = tmp_path / "edit.csv"
    f.write_text("统一社会信用代码,企业名称,行政区划代码,主营产品\n"
                 f"{uscc(1)},改,320902,直流充电桩\n", encoding="utf-8")
    assert import_file(engine, "enterprise", f).ok
    view = region_view(engine, "320902", get_chain("nev"), as_of=day)
    assert calls == [uscc(1)]
    assert uscc(1) in {a.uscc for a in view.node("nev.charging").members}
    assert _rows(engine)[uscc(1)] != stored[uscc(1)]


def test_chain_views_from_the_fields_they_read_equal_those_from_whole_records(engine, monkeypatch):
    """The ledger frames chain views keep hold the fields they read; placements, node statuses and
    the enterprises' names, revenue and titles are those computed from whole records."""
    from kechuang.chains import chains
    from kechuang.chains.status import build_view, stored_assignments
    from kechuang.ledgers.demo import generate_city
    from kechuang.ledgers.frames import _FRAMES, _FRAMES_LOCK, columns_of

    generate_city(engine, "320900", enterprises=300, seed=6, today=dt.date(2025, 6, 1))
    day = dt.date(2025, 6, 1)

    def views():
        with _FRAMES_LOCK:
            _FRAMES.clear()
        with engine.begin() as c:
            c.execute(store.ChainPlacement.__table__.delete())  # computed afresh from the frames read
        with engine.connect() as c:
            placed, info = stored_assignments(c, None, None, day)
        shown = [[(n.node_id, n.status, n.enterprises, n.revenue, n.certified, [a.uscc for a in n.members])
                  for n in build_view(chain, None, day, placed, info).nodes] for chain in chains().values()]
        placements = {u: [(a.chain.id, a.node.id, a.confidence, a.evidence) for a in got] for u, got in placed.items()}
        return placements, info, shown, _rows(engine)

    new = views()
    for kind in ("enterprise", "enterprise_year", "certification"):
        kept = _FRAMES[(str(engine.url), kind)][1]
        assert set(kept.columns) == set(columns_of(kind, store.ledger_fields(kind))), kind
    # the texts placements are computed from are read a slice at a time, not kept
    assert (str(engine.url), "ip") not in _FRAMES
    monkeypatch.setattr(store, "ledger_fields", lambda kind: None)  # every field, as before
    old = views()
    assert len(old[0]) > 20 and any(i["titles"] for i in old[1].values())
    assert new == old


def test_refresh_a_slice_at_a_time_stores_what_placing_everyone_at_once_stores(engine, monkeypatch):
    """`refresh` (demo-setup; the pages place enterprises the same way) works through the enterprises
    a slice of credit codes at a time, each slice with its own patent titles and stored rows; it
    stores what placing every enterprise in one call stores."""
    from kechuang.ledgers.demo import generate_city

    generate_city(engine, "320900", enterprises=120, seed=6, today=dt.date(2025, 6, 1))
    T = store.ChainPlacement.__table__

    def stored():
        with engine.connect() as c:
            return sorted(c.execute(sa.select(T.c.uscc, T.c.fingerprint, T.c.placed)).all())

    with engine.connect() as c:
        ent = load_frame(c, "enterprise")  # every field of every record, in one call
        store._place(c, list(ent.iter_rows(named=True)), store.titles_in(load_frame(c, "ip")), [])
    whole = stored()
    assert len(whole) == ent.height and any(placed != "[]" for _, _, placed in whole)
    with engine.begin() as c:
        c.execute(T.delete())
    monkeypatch.setattr(store, "REFRESH", 7)
    assert store.refresh(engine) == len(whole)
    assert stored() == whole
    calls = []  # a second refresh reads every slice's stored rows back and computes nothing
    real = store.Assigner.assign
    monkeypatch.setattr(store.Assigner, "assign", lambda self, *a, **k: calls.append(a[0]["uscc"]) or real(self, *a, **k))
    assert store.refresh(engine) == len(whole) and calls == []


def test_placements_a_slice_at_a_time_equal_those_of_one_slice(engine, monkeypatch):
    """Chain views place the enterprises a slice of credit codes at a time, each slice with its own
    records, titles, revenue, certificates and ledger dates: every placement and every enterprise's
    figures are those of one slice holding them all, for a city and for a district."""
    from kechuang.chains.status import stored_assignments
    from kechuang.ledgers.demo import generate_city
    from kechuang.regions import scope_of

    day = dt.date(2025, 6, 1)
    generate_city(engine, "320900", enterprises=150, seed=8, today=day)

    def placed(region):
        with engine.connect() as c:
            got, info = stored_assignments(c, None, scope_of(region), day)
        return ({u: [(a.chain.id, a.node.id, a.confidence, a.evidence, a.source, a.date, a.stale) for a in v]
                 for u, v in got.items()}, info)

    whole = {r: placed(r) for r in ("320900", "320902")}
    assert len(whole["320900"][0]) > len(whole["320902"][0]) > 0
    assert any(i["revenue"] for i in whole["320900"][1].values())
    assert any(i["titles"] for i in whole["320900"][1].values())
    monkeypatch.setattr(store, "REFRESH", 7)
    assert {r: placed(r) for r in whole} == whole


def test_one_chain_placed_alone_is_that_chains_share_of_every_chain(engine):
    """A chain page computes its own chain's placements only (memory holds one chain's share); they
    are that chain's part of every chain's placements, officers' verdicts applied alike."""
    from kechuang.chains import chains
    from kechuang.chains.decisions import decide
    from kechuang.chains.status import stored_assignments
    from kechuang.ledgers.demo import generate_city
    from kechuang.regions import scope_of
    from sqlalchemy.orm import Session

    day = dt.date(2025, 6, 1)
    generate_city(engine, "320900", enterprises=150, seed=9, today=day)
    scope = scope_of("320900")

    def rows(placed, chain_id):
        return {u: [(a.node.id, a.confidence, a.evidence, a.source, a.manual) for a in got if a.chain.id == chain_id]
                for u, got in placed.items() if any(a.chain.id == chain_id for a in got)}

    with engine.connect() as c:
        every, info = stored_assignments(c, None, scope, day)
    some = next(a for got in every.values() for a in got)  # an officer rejects one placement
    with Session(engine) as s:
        decide(s, "tester", some.uscc, some.chain, some.node.id, "reject", region_code="320902", note="测试")
        s.commit()
    with engine.connect() as c:
        every, info = stored_assignments(c, None, scope, day)
        shares = 0
        for chain in chains().values():
            alone, alone_info = stored_assignments(c, chain, scope, day)
            assert rows(alone, chain.id) == rows(every, chain.id)
            assert alone_info == {u: info[u] for u in alone}
            shares += bool(alone)
    assert shares >= 2 and some.node.id not in [n for n, *_ in rows(every, some.chain.id).get(some.uscc, [])]
