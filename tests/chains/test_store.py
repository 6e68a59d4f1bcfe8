"""Stored placements: a page computes an enterprise once, reads it back afterwards, and computes it
again when its inputs (products, code, patents, templates) change."""

import datetime as dt

import sqlalchemy as sa
from helpers_chains import uscc, write_scene

from kechuang.chains import store
from kechuang.chains.status import region_view
from kechuang.ledgers.importer import import_file


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
