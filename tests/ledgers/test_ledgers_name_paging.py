"""The enterprise ledger sorted by name pages from its index (migration 0018): by page number and by
seeking from the last record seen, deep pages hold the same records in the same order as the
plain sorted query (names tied, names missing, both directions, within a user's regions)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
import sqlalchemy as sa

from kechuang.ledgers import demo, store
from kechuang.ledgers.kinds import get_kind

T = store.T


@pytest.fixture
def loaded(engine):
    frames = demo.generate("320900", 160, 5, dt.date(2026, 11, 25))
    ent = frames["enterprise"]
    # the same names again under other USCCs (ties broken by id), and two without a name
    twins = ent.head(30).with_columns(pl.col("key").str.replace(r"^91", "92"),
                                      pl.col("uscc").str.replace(r"^91", "92"))
    nameless = ent.slice(40, 2).with_columns(pl.col("key").str.replace(r"^91", "93"),
                                             pl.col("uscc").str.replace(r"^91", "93"),
                                             pl.lit(None, dtype=pl.String).alias("name"))
    with engine.begin() as conn:
        for kid, frame in frames.items():
            store.insert_typed(conn, kid, frame)
        store.insert_typed(conn, "enterprise", pl.concat([twins, nameless]))
    return engine


def _expected(conn, region_codes, descending) -> list[int]:
    """The ids in the order users saw before the index: the generic JSON field expression."""
    kind = get_kind("enterprise")
    expr = store._field_expr(kind, "name")
    first = expr.desc() if descending else expr.asc()
    if conn.dialect.name == "postgresql":
        first = first.nulls_last()
    q = sa.select(T.c.id).where(*store.build_where(kind, region_codes, None)).order_by(first, T.c.id)
    return [r[0] for r in conn.execute(q)]


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("scoped", [False, True])
def test_name_pages_by_number_and_by_seeking_match_the_sorted_list(loaded, descending, scoped):
    size = 7
    with loaded.connect() as conn:
        regions = None
        if scoped:
            regions = {r[0] for r in conn.execute(sa.text(
                "SELECT DISTINCT region_code FROM ledger_records WHERE kind = 'enterprise'"))}
            regions = set(sorted(regions)[:4])
        want = _expected(conn, regions, descending)
        assert len(want) > 5 * size
        by_number, page = [], 0
        while True:
            rows, _ = store.page_records(conn, "enterprise", regions, sort="name", descending=descending,
                                         offset=page * size, limit=size)
            if not rows:
                break
            by_number += [r["id"] for r in rows]
            page += 1
        assert by_number == want

        sought, after = [], None
        while True:
            rows, after = store.page_records(conn, "enterprise", regions, sort="name", descending=descending,
                                             after=after, limit=size)
            sought += [r["id"] for r in rows]
            if after is None:
                break
        assert sought == want
        # a deep page sought from the last record of the page before it: the same rows as by number
        k = len(want) // size - 1
        rows, _ = store.page_records(conn, "enterprise", regions, sort="name", descending=descending,
                                     after=want[k * size - 1], limit=size)
        assert [r["id"] for r in rows] == want[k * size:(k + 1) * size]


def test_a_cursor_that_is_gone_falls_back_to_the_page_number(loaded):
    with loaded.connect() as conn:
        want = _expected(conn, None, False)
        rows, _ = store.page_records(conn, "enterprise", None, sort="name", after=10**9, offset=14, limit=7)
    assert [r["id"] for r in rows] == want[14:21]


def test_sqlite_reads_the_name_order_from_its_index(loaded):
    if loaded.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan")
    expr = sa.literal_column(store.name_order_sql("sqlite"))
    q = (sa.select(T.c.id).where(T.c.kind == "enterprise", T.c.region_code.in_(["320902", "320903"]))
         .order_by(expr, T.c.id).limit(5).offset(50))
    with loaded.connect() as conn:
        sql = str(q.compile(conn, compile_kwargs={"literal_binds": True}))
        plan = " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    assert "ix_ledger_records_enterprise_name" in plan and "TEMP B-TREE" not in plan
