"""A ledger's pages in id order (the default list, and paging on from the last id seen) hold the
same records in the same order as the plain ordered query, when bulk loads have interleaved the
kinds' ids (PostgreSQL reads the page's ids from the kind's id index, migration 0021)."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from kechuang.ledgers import demo, store

T = store.T


@pytest.fixture
def interleaved(engine):
    frames = demo.generate("320900", 120, 5, dt.date(2026, 11, 25))
    ent = frames.pop("enterprise")
    with engine.begin() as conn:  # enterprises, other kinds, then the rest of the enterprises
        store.insert_typed(conn, "enterprise", ent.head(50))
        for kid, frame in frames.items():
            store.insert_typed(conn, kid, frame)
        store.insert_typed(conn, "enterprise", ent.slice(50))
    return engine


def _expected(conn, kind, regions, descending) -> list[int]:
    q = sa.select(T.c.id).where(T.c.kind == kind)
    if regions is not None:
        q = q.where(T.c.region_code.in_(sorted(regions)))
    return [r[0] for r in conn.execute(q.order_by(T.c.id.desc() if descending else T.c.id))]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("scoped", [False, True])
@pytest.mark.parametrize("kind", ["enterprise", "certification"])
def test_id_pages_match_the_ordered_list(interleaved, kind, descending, scoped):
    size = 9
    with interleaved.connect() as conn:
        regions = None
        if scoped:
            regions = {r[0] for r in conn.execute(sa.select(T.c.region_code).where(T.c.kind == kind).distinct())}
            regions = set(sorted(regions)[:3])
        want = _expected(conn, kind, regions, descending)
        assert len(want) > 3 * size
        got, after = [], None
        while True:
            rows, after = store.page_records(conn, kind, regions, descending=descending, after=after, limit=size)
            assert len(rows) <= size
            got += [r["id"] for r in rows]
            if after is None:
                break
        assert got == want
        # a page from any id, also one of another kind or none stored
        for cursor in (want[4], want[4] + 1, 0 if descending else 10**9):
            rows, _ = store.page_records(conn, kind, regions, descending=descending, after=cursor, limit=size)
            beyond = [i for i in want if (i < cursor if descending else i > cursor)]
            assert [r["id"] for r in rows] == beyond[:size]
        frame, _ = store.page(conn, kind, regions, descending=descending, after=want[2], limit=size)
        assert frame["id"].to_list() == want[3:3 + size]
