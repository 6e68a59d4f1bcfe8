"""Storage of every ledger kind in one table, ``ledger_records`` (see migration 0003).

``data`` holds field id → value (decimals as exact strings, dates as ISO strings, booleans as
true/false); ``row_hash`` is the SHA-256 of that JSON text, so re-importing an unchanged row is a
no-op. Bulk writes go through the DB-API ``executemany`` (``COPY`` on PostgreSQL; no ORM objects); reads come back as
typed Polars frames (``load_frame``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, Callable, Iterable, Iterator, Sequence

import polars as pl
import sqlalchemy as sa
from sqlalchemy import JSON, Date, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, among, insert_rows, ledger_source, ledger_sources, mark_data_changed, row_chunks
from .kinds import DECIMAL_SCALE, Kind, all_kinds, get_kind


class LedgerRecord(Base):
    __tablename__ = "ledger_records"
    __table_args__ = (
        UniqueConstraint("kind", "key", name="uq_ledger_records_kind_key"),
        sa.Index("ix_ledger_records_kind_region", "kind", "region_code"),
        sa.Index("ix_ledger_records_kind_uscc", "kind", "uscc", "region_code"),  # migration 0024
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    key: Mapped[str] = mapped_column(String(160), nullable=False)
    region_code: Mapped[str] = mapped_column(String(16), nullable=False, index=True)
    uscc: Mapped[str | None] = mapped_column(String(18), nullable=True, index=True)
    year: Mapped[int | None] = mapped_column(Integer, nullable=True)
    record_date: Mapped[dt.date | None] = mapped_column(Date, nullable=True)
    data: Mapped[Any] = mapped_column(JSON, nullable=False)
    row_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), nullable=False)


T = LedgerRecord.__table__
CHUNK = 5000


def _kind(kind: Kind | str) -> Kind:
    return kind if isinstance(kind, Kind) else get_kind(kind)


# ---------------------------------------------------------------- encoding

def _data_exprs(kind: Kind) -> list[pl.Expr]:
    out = []
    for f in kind.fields:
        c = pl.col(f.id)
        if f.is_decimal:
            # fixed scale, so the text is canonical ("12.3000") and hashes stay stable
            out.append(c.cast(pl.Decimal(38, DECIMAL_SCALE[f.type])).cast(pl.String).alias(f.id))
        elif f.type == "date":
            out.append(c.cast(pl.Date).cast(pl.String).alias(f.id))
        elif f.type in ("int", "year"):
            out.append(c.cast(pl.Int64).alias(f.id))
        elif f.type == "bool":
            out.append(c.cast(pl.Boolean).alias(f.id))
        else:
            out.append(c.cast(pl.String).alias(f.id))
    return out


def encode(kind: Kind | str, typed: pl.DataFrame) -> pl.DataFrame:
    """Typed frame (fields + key [+ region_code]) → the stored columns incl. data JSON and row_hash."""
    kind = _kind(kind)
    for f in kind.fields:
        if f.id not in typed.columns:
            typed = typed.with_columns(pl.lit(None).alias(f.id))
    enc = typed.select(
        pl.col("key"),
        (pl.col(kind.region_field).cast(pl.String) if kind.region_field else pl.lit(None, dtype=pl.String)
         ).alias("region_code"),
        (pl.col(kind.uscc_field).cast(pl.String) if kind.uscc_field else pl.lit(None, dtype=pl.String)
         ).alias("uscc"),
        (pl.col(kind.year_field).cast(pl.Int64) if kind.year_field else pl.lit(None, dtype=pl.Int64)
         ).alias("year"),
        (pl.col(kind.date_field).cast(pl.Date) if kind.date_field else pl.lit(None, dtype=pl.Date)
         ).alias("record_date"),
        pl.struct(_data_exprs(kind)).struct.json_encode().alias("data"),
    )
    return enc.with_columns(pl.Series("row_hash", row_hashes(enc.get_column("data")), dtype=pl.String))


def row_hashes(data: pl.Series) -> list[str]:
    """SHA-256 (hex) of each JSON text's UTF-8 bytes; the Binary view hands hashlib the bytes
    without a Python str round trip."""
    sha = hashlib.sha256
    return [sha(b).hexdigest() for b in data.cast(pl.Binary).to_list()]


# ---------------------------------------------------------------- reads

def _data_text(conn_or_engine) -> sa.ColumnElement:
    if conn_or_engine.dialect.name == "postgresql":
        return sa.cast(T.c.data, sa.Text)
    return sa.type_coerce(T.c.data, sa.Text)


def existing(conn: Connection, kind: str, keys: Sequence[str] | None = None) -> pl.DataFrame:
    """id, key, region_code, row_hash of stored records of a kind (all, or those with ``keys``)."""
    schema = {"id": pl.Int64, "key": pl.String, "region_code": pl.String, "row_hash": pl.String}
    cols = [T.c.id, T.c.key, T.c.region_code, T.c.row_hash]
    rows: list = []
    if keys is None or len(keys) > 20000:
        # plain DB-API rows: no Row objects for a whole kind
        p = _ph(conn)
        cur = conn.connection.driver_connection.cursor()
        try:
            cur.execute(f"SELECT id, key, region_code, row_hash FROM ledger_records WHERE kind = {p}", (kind,))
            rows = cur.fetchall()
        finally:
            cur.close()
        out = pl.DataFrame(rows, schema=schema, orient="row")
        if keys is not None:
            out = out.filter(pl.col("key").is_in(list(keys)))
        return out
    keys = list(keys)
    for i in range(0, len(keys), 900):
        rows += conn.execute(sa.select(*cols).where(T.c.kind == kind, T.c.key.in_(keys[i:i + 900]))).all()
    return pl.DataFrame(rows, schema=schema, orient="row")


def enterprise_regions(conn: Connection, usccs: Iterable[str]) -> dict[str, str]:
    """USCC → region code of the enterprise ledger (for kinds that take the region from it)."""
    usccs = [u for u in set(usccs) if u]
    out: dict[str, str] = {}
    if len(usccs) > 20000:
        q = sa.select(T.c.key, T.c.region_code).where(T.c.kind == "enterprise")
        wanted = set(usccs)
        return {k: r for k, r in conn.execute(q) if k in wanted}
    for i in range(0, len(usccs), 900):
        q = sa.select(T.c.key, T.c.region_code).where(T.c.kind == "enterprise", T.c.key.in_(usccs[i:i + 900]))
        out.update(dict(conn.execute(q).all()))
    return out


def enterprise_names(conn: Connection, usccs: Iterable[str]) -> dict[str, str]:
    """USCC → enterprise name from the enterprise ledger (absent when not recorded)."""
    usccs = sorted({u for u in usccs if u})
    out: dict[str, str] = {}
    name = T.c.data["name"].as_string()  # the database reads the one field; no whole record decoded
    for i in range(0, len(usccs), 900):  # the enterprise's key is its credit code: the unique index finds it
        q = sa.select(T.c.key, name).where(T.c.kind == "enterprise", T.c.key.in_(usccs[i:i + 900]))
        out.update((key, n) for key, n in conn.execute(q) if n)
    return out


def fetch_data(conn: Connection, ids: Sequence[int]) -> dict[int, dict]:
    out: dict[int, dict] = {}
    ids = list(ids)
    txt = _data_text(conn)
    for i in range(0, len(ids), 900):
        for rid, data in conn.execute(sa.select(T.c.id, txt).where(T.c.id.in_(ids[i:i + 900]))):
            out[rid] = json.loads(data) if isinstance(data, str) else data
    return out


def _typed_from_json(kind: Kind, frame: pl.DataFrame) -> pl.DataFrame:
    """Decode the data JSON column into one typed column per field."""
    def jtype(f):
        if f.type in ("int", "year"):
            return pl.Int64
        if f.type == "bool":
            return pl.Boolean
        return pl.String

    struct = pl.Struct({f.id: jtype(f) for f in kind.fields})
    if frame.height == 0:
        decoded = pl.DataFrame(schema=struct.to_schema())
    else:
        import io

        text = "\n".join(frame.get_column("data").to_list()).encode()
        decoded = pl.read_ndjson(io.BytesIO(text), schema=struct.to_schema())
    casts = []
    for f in kind.fields:
        c = pl.col(f.id)
        if f.is_decimal:
            casts.append(c.cast(pl.Decimal(38, DECIMAL_SCALE[f.type])))
        elif f.type == "date":
            casts.append(c.str.to_date("%Y-%m-%d", strict=False))
        else:
            casts.append(c)
    decoded = decoded.with_columns(casts)
    meta = frame.drop("data")
    # meta columns win over same-named fields (region_code, uscc, year are the same values)
    decoded = decoded.drop([c for c in meta.columns if c in decoded.columns])
    return pl.concat([decoded, meta], how="horizontal")


META_SCHEMA = {"id": pl.Int64, "key": pl.String, "region_code": pl.String, "uscc": pl.String,
               "year": pl.Int64, "record_date": pl.Date, "data": pl.String}


def _meta_cols(conn_or_engine):
    return [T.c.id, T.c.key, T.c.region_code, T.c.uscc, T.c.year, T.c.record_date,
            _data_text(conn_or_engine).label("data")]


def _rows_frame(rows) -> pl.DataFrame:
    if not rows:
        return pl.DataFrame(schema=META_SCHEMA)
    cols = list(zip(*rows))
    out = {}
    for (name, dtype), values in zip(META_SCHEMA.items(), cols):
        if name == "record_date" and isinstance(next((v for v in values if v is not None), None), str):
            out[name] = pl.Series(name, values, dtype=pl.String).str.slice(0, 10).str.to_date()
        else:
            out[name] = pl.Series(name, values, dtype=dtype)
    return pl.DataFrame(out)


def load_frame(engine: Engine | Connection, kind: str | Kind, region_codes: set[str] | None = None,
               *, usccs: Iterable[str] | None = None, fields: Iterable[str] | None = None,
               ids: Iterable[int] | None = None, uscc_range: tuple[str, str] | None = None) -> pl.DataFrame:
    """Every record of a kind as a typed frame: one column per declared field (Decimal for money,
    Date for dates) plus id, key, region_code, uscc, year, record_date. ``region_codes`` limits the
    regions (pass a subtree); ``usccs`` limits to some enterprises, ``uscc_range`` to the credit
    codes from its first to its last (both included; records then come in credit-code order);
    ``ids`` to some records (in id order); ``fields`` decodes only those fields (read out of the
    JSON by the database, typed the same way; `load_fields`)."""
    kind = _kind(kind)
    if fields is not None:
        return load_fields(engine, kind, fields, region_codes, usccs=usccs, ids=ids, uscc_range=uscc_range)
    # typed LOAD_CHUNK rows at a time: the Python rows and JSON texts of one chunk are in memory,
    # not a whole kind's (millions of records at province size)
    parts = _in_batches(engine, _kind_selects(_meta_cols(engine), kind, region_codes, usccs, ids,
                                              uscc_range=uscc_range),
                        lambda rows: _typed_from_json(kind, _rows_frame(rows)))
    return pl.concat(parts) if parts else _typed_from_json(kind, _rows_frame([]))


ID_CHUNK = 5000  # record ids per statement (SQLite takes up to 32,766 parameters)


def _kind_selects(cols, kind: Kind, region_codes: set[str] | None, usccs: Iterable[str] | None,
                  ids: Iterable[int] | None = None, source=T, uscc_range: tuple[str, str] | None = None) -> list:
    """A kind's records in id order, cut to some regions, enterprises or record ids, fetched in
    batches: one statement, or one per `ID_CHUNK` of ascending ids. Or a range of credit codes, in
    credit-code order: one range of ix_ledger_records_kind_uscc."""
    q = sa.select(*cols).select_from(source).where(T.c.kind == kind.id)
    # a range of credit codes is read in the index's order: in id order, SQLite sorted the range's
    # rows, their JSON included, in a temporary tree on disk
    q = q.order_by(T.c.uscc, T.c.id) if uscc_range is not None else q.order_by(T.c.id)
    if region_codes is not None:
        # with a range, the regions are checked on the range's index entries (which hold them):
        # `|| ''` keeps the planner from reading the regions' whole part of the kind instead
        region = T.c.region_code + "" if uscc_range is not None else T.c.region_code
        q = q.where(region.in_(sorted(region_codes)))
    if usccs is not None:
        q = q.where(T.c.uscc.in_(sorted(set(usccs))))
    if uscc_range is not None:
        q = q.where(T.c.uscc.between(*uscc_range))
    if ids is None:
        return [q]
    ids = sorted({int(i) for i in ids})
    return [q.where(T.c.id.in_(ids[i:i + ID_CHUNK])) for i in range(0, len(ids), ID_CHUNK)]


def _in_batches(engine: Engine | Connection, queries: list, convert) -> list[pl.DataFrame]:
    """`convert` applied to each batch of `LOAD_CHUNK` rows the `queries` yield, on the caller's
    connection or a new one."""
    if isinstance(engine, Connection):
        return [convert(rows) for q in queries for rows in row_chunks(engine, q, LOAD_CHUNK)]
    with engine.connect() as conn:
        return [convert(rows) for q in queries for rows in row_chunks(conn, q, LOAD_CHUNK)]


LOAD_CHUNK = 20_000


PROJECTED_META = ("id", "region_code")  # always in a `load_fields` frame


def _stored_as(field_type: str) -> str:
    """How a field of this type is read out of a record's JSON: as an integer, a boolean or text
    (decimals and dates as text, typed afterwards)."""
    return "int" if field_type in ("int", "year") else "bool" if field_type == "bool" else "text"


# (SQL type in json_to_record, accessor of a JSON element elsewhere, Polars type of the column read)
_READ_AS = {
    "int": (sa.Integer, lambda el: el.as_integer(), pl.Int64),
    "bool": (sa.Boolean, lambda el: el.as_boolean(), pl.Boolean),
    "text": (sa.Text, lambda el: sa.cast(el.as_string(), sa.Text), pl.String),
}


def load_fields(engine: Engine | Connection, kind: str | Kind, fields: Iterable[str],
                region_codes: set[str] | None = None, *, usccs: Iterable[str] | None = None,
                ids: Iterable[int] | None = None, uscc_range: tuple[str, str] | None = None) -> pl.DataFrame:
    """The records of a kind with only some of their fields: the `PROJECTED_META` columns, the other
    stored columns (key, uscc, year, record_date) when asked, and each field of ``fields`` extracted
    from the JSON by the database (json_extract on SQLite, json_to_record on PostgreSQL) and typed
    as `load_frame` types it (`_READ_AS`, then decimals and dates), read in batches. A large
    ledger then costs the memory of the columns a view reads, not of every decoded record."""
    kind = _kind(kind)
    wanted = set(fields)
    meta = [c for c in ("id", "key", "region_code", "uscc", "year", "record_date")
            if c in PROJECTED_META or c in wanted]
    own = [f for f in kind.fields if f.id in wanted and f.id not in meta]  # meta columns win, as in load_frame
    cols, source = [T.c[c] for c in meta], T
    read = [(f, _READ_AS[_stored_as(f.type)]) for f in own]
    if own and engine.dialect.name == "postgresql":
        # json_to_record parses each record once; ->> on a json column parses it again per field
        rec = sa.func.json_to_record(T.c.data).table_valued(
            *(sa.column(f.id, sql_type) for f, (sql_type, _, _) in read)).render_derived(name="rec", with_types=True)
        cols += [rec.c[f.id].label(f"f_{len(meta) + i}") for i, f in enumerate(own)]
        source = T.join(rec, sa.true())  # a function in FROM sees the row before it (LATERAL)
    else:
        cols += [extract(T.c.data[f.id]).label(f"f_{len(meta) + i}") for i, (f, (_, extract, _)) in enumerate(read)]
    raw = {c: META_SCHEMA[c] for c in meta} | {f.id: polars_type for f, (_, _, polars_type) in read}
    parts = _in_batches(engine, _kind_selects(cols, kind, region_codes, usccs, ids, source, uscc_range),
                        lambda rows: _projected(rows, raw))
    frame = pl.concat(parts) if parts else pl.DataFrame(schema=raw)
    casts = []
    for f in own:
        c = pl.col(f.id)
        if f.is_decimal:
            casts.append(c.cast(pl.Decimal(38, DECIMAL_SCALE[f.type])))
        elif f.type == "date":
            casts.append(c.str.to_date("%Y-%m-%d", strict=False))
    return frame.with_columns(casts) if casts else frame


def _projected(rows, schema: dict) -> pl.DataFrame:
    """One batch of `load_fields` rows as columns."""
    out = {}
    for (name, dtype), values in zip(schema.items(), zip(*rows)):
        if name == "record_date":
            first = next((v for v in values if v is not None), None)
            series = pl.Series(name, values, dtype=pl.String if isinstance(first, str) else pl.Date)
            out[name] = series.str.slice(0, 10).str.to_date() if series.dtype == pl.String else series
        elif dtype == pl.Boolean:  # 1/0 from SQLite, true/false from PostgreSQL
            out[name] = pl.Series(name, values, strict=False).cast(pl.Boolean)
        else:
            out[name] = pl.Series(name, values, dtype=dtype)
    return pl.DataFrame(out)


def change_mark(conn: Connection, kind: str) -> tuple:
    """(latest updated_at, highest id, record count) of a kind: read before a frame is loaded, it
    says from where `changes_since` must look (one scan of the covering kind/updated_at index)."""
    row = conn.execute(sa.select(sa.func.max(T.c.updated_at), sa.func.max(T.c.id), sa.func.count())
                       .where(T.c.kind == kind)).one()
    return tuple(row)


# A write transaction stamps its rows when it starts, and they show when it commits: rows stamped up
# to this long before the latest stamp seen are looked at again, so a slower import that commits
# after a quicker one is not missed (the record count checks the inserts besides).
CHANGE_MARGIN = dt.timedelta(minutes=2)


def changes_since(conn: Connection, kind: str | Kind, mark: tuple) -> pl.DataFrame:
    """The records of a kind added or changed since `change_mark` returned `mark`, typed like
    `load_frame` (deletions are not seen: they count as other changes, see `kechuang.db`)."""
    kind = _kind(kind)
    updated, last_id, _ = mark
    cond = T.c.id > (last_id or 0)
    if updated is not None:
        if isinstance(updated, str):
            updated = dt.datetime.fromisoformat(updated)
        cond = sa.or_(cond, T.c.updated_at > updated - CHANGE_MARGIN)
    q = sa.select(*_meta_cols(conn)).where(T.c.kind == kind.id, cond).order_by(T.c.id)
    return _typed_from_json(kind, _rows_frame(conn.execute(q).all()))


def apply_changes(frame: pl.DataFrame, changes: pl.DataFrame) -> pl.DataFrame:
    """`frame` (from `load_frame`) with the records in `changes` (from `changes_since`) put in."""
    if changes.height == 0:
        return frame
    kept = frame.filter(~pl.col("id").is_in(changes.get_column("id").implode()))
    return pl.concat([kept, changes.select(frame.columns).cast(frame.schema)]).sort("id")


def count(conn: Connection, kind: str, region_codes: set[str] | None = None) -> int:
    q = sa.select(sa.func.count()).select_from(T).where(T.c.kind == kind)
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    return int(conn.execute(q).scalar_one())


def has_records(conn: Connection, region_codes: set[str] | None = None, kinds: Iterable[str] | None = None) -> bool:
    """Whether any record of the kinds (None: any) is stored in the regions (None: anywhere): a
    probe of the region index that stops at the first record, where a count reads every one."""
    q = sa.select(T.c.id).limit(1)
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    if kinds is not None:
        q = q.where(T.c.kind.in_(sorted(set(kinds))))
    return conn.execute(q).first() is not None


def counts_by_kind(conn: Connection, region_codes: set[str] | None = None) -> dict[str, int]:
    """Records per kind in the regions (None: all)."""
    from .. import cache

    # a kind grouped by region_code is a range scan of the (kind, region_code) index (seconds for a
    # province's largest ledger), read once per version of that kind for every scope, so a change
    # to one ledger recounts only it; the scope filter is applied to the few groups afterwards (an
    # IN list in SQL makes the planner visit every row)
    out: dict[str, int] = {}
    for kind in all_kinds():
        q = sa.select(T.c.region_code, sa.func.count()).where(T.c.kind == kind).group_by(T.c.region_code)
        groups = cache.per_version(conn, ("ledger_groups", kind), lambda q=q: conn.execute(q).all(),
                                   reads=ledger_sources([kind]), kept=_KIND_GROUPS)
        n = sum(count for region, count in groups if region_codes is None or region in region_codes)
        if n:
            out[kind] = n
    return out


_KIND_GROUPS: dict = {}  # (database, key) -> (versions, [(region_code, records)]): `counts_by_kind`


def warm_counts(engine: Engine) -> None:
    """Count the records per kind and region now (a server's start) rather than in the first view
    of the ledgers' index."""
    with engine.connect() as conn:
        counts_by_kind(conn)


# ---------------------------------------------------------------- writes

def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _ph(conn: Connection) -> str:
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def _stamp(conn: Connection, value: dt.datetime):
    if conn.dialect.name == "sqlite":  # the storage format SQLAlchemy's SQLite DateTime reads back
        return value.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


def _insert_params(dialect: str, kind: str, enc: pl.DataFrame, now) -> list[tuple]:
    """One parameter tuple per encoded row, in the order of ``_COLUMNS``."""
    if dialect == "sqlite":  # constants as columns: rows() builds the tuples in Rust
        return enc.select(pl.lit(kind).alias("kind"), "key", "region_code", "uscc", "year",
                          pl.col("record_date").cast(pl.String), "data", "row_hash",
                          pl.lit(now).alias("c"), pl.lit(now).alias("u")).rows()
    sel = enc.select("key", "region_code", "uscc", "year", "record_date", "data", "row_hash")
    return [(kind, *r, now, now) for r in sel.iter_rows()]


def _bigger_cache(conn: Connection, cur) -> None:
    """At least 128 MB of SQLite page cache (keeps index inserts in memory); never less than the
    connection has already (``bulk_load`` sets more)."""
    if conn.dialect.name == "sqlite" and cur.execute("PRAGMA cache_size").fetchone()[0] > -131072:
        cur.execute("PRAGMA cache_size=-131072")


_COLUMNS = ("kind", "key", "region_code", "uscc", "year", "record_date", "data", "row_hash", "created_at",
            "updated_at")


def _write_rows(conn: Connection, cur, params: list[tuple]) -> None:
    """Insert rows in the order of ``_COLUMNS`` (COPY on PostgreSQL, executemany elsewhere)."""
    insert_rows(conn, cur, "ledger_records", _COLUMNS, params)


def insert_encoded(conn: Connection, kind: str, enc: pl.DataFrame, now: dt.datetime | None = None,
                   progress: Callable[[int, int], None] | None = None) -> int:
    """Insert new records (encoded by ``encode``) in chunks; ``progress(done, total)``."""
    if enc.height == 0:
        return 0
    now = _stamp(conn, now or _now())
    mark_data_changed(conn, ledger_source(kind))
    cur = conn.connection.driver_connection.cursor()
    _bigger_cache(conn, cur)
    try:
        for i in range(0, enc.height, 50000):
            _write_rows(conn, cur, _insert_params(conn.dialect.name, kind, enc.slice(i, 50000), now))
            if progress:
                progress(min(i + 50000, enc.height), enc.height)
    finally:
        cur.close()
    return enc.height


def insert_typed(conn: Connection, kind: Kind | str, typed: pl.DataFrame, now: dt.datetime | None = None,
                 progress: Callable[[int, int], None] | None = None, chunk: int = 25000) -> int:
    """``encode`` + ``insert_encoded`` chunk by chunk, the next chunk encoded in a worker thread
    while the database writes this one (Polars, and SQLite inside ``executemany``, run without
    the GIL, so the two overlap on two cores). Same rows and order as the two calls in sequence;
    memory holds two chunks' JSON texts, not the whole kind's."""
    kind = _kind(kind)
    total = typed.height
    if total == 0:
        return 0
    now = _stamp(conn, now or _now())
    dialect = conn.dialect.name

    def prepare(i: int) -> list[tuple]:
        return _insert_params(dialect, kind.id, encode(kind, typed.slice(i, chunk)), now)

    from concurrent.futures import ThreadPoolExecutor

    mark_data_changed(conn, ledger_source(kind.id))
    cur = conn.connection.driver_connection.cursor()
    _bigger_cache(conn, cur)
    try:
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(prepare, 0)
            for i in range(0, total, chunk):
                params = pending.result()
                if i + chunk < total:
                    pending = pool.submit(prepare, i + chunk)
                _write_rows(conn, cur, params)
                del params
                if progress:
                    progress(min(i + chunk, total), total)
    finally:
        cur.close()
    return total


def has_index(conn: Connection, name: str) -> bool:
    """Whether the database holds an index of this name (one a migration adds)."""
    if conn.dialect.name == "postgresql":
        q = "SELECT 1 FROM pg_indexes WHERE indexname = :name"
    else:
        q = "SELECT 1 FROM sqlite_master WHERE type = 'index' AND name = :name"
    return conn.execute(sa.text(q), {"name": name}).first() is not None


@contextmanager
def indexes_deferred(conn: Connection, adding: int, at_least: int = 100_000) -> Iterator[None]:
    """Build the secondary indexes of ledger_records once, after a bulk insert, instead of
    updating them row by row — when the insert is larger than what the table holds already.

    Drop and rebuild happen inside the caller's transaction (DDL is transactional on SQLite and
    PostgreSQL), so a failure rolls the indexes back with the rows. On PostgreSQL the dropped
    indexes lock the table against readers until the commit: meant for bulk loads (demo data,
    first imports), not for the small imports of a working day. The unique (kind, key) index is
    kept: it is what refuses duplicate records."""
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute("SELECT COUNT(*) FROM ledger_records")
        held = cur.fetchone()[0]
        if adding < max(held, at_least):
            yield
            return
        if conn.dialect.name == "postgresql":
            cur.execute("SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = 'ledger_records'"
                        " AND i.indexname NOT IN (SELECT conname FROM pg_constraint)")
        else:
            if not conn.connection.driver_connection.in_transaction:
                cur.execute("BEGIN")  # pysqlite starts transactions only at DML: keep the DDL inside one
            cur.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"
                        " AND tbl_name = 'ledger_records' AND sql IS NOT NULL")
        indexes = cur.fetchall()
        for name, _ in indexes:
            cur.execute(f'DROP INDEX "{name}"')
        yield
        for _, ddl in indexes:
            cur.execute(ddl)
    finally:
        cur.close()


@contextmanager
def bulk_load(engine: Engine) -> Iterator[Connection]:
    """A connection for loading millions of records in one transaction.

    SQLite in WAL mode keeps every page a transaction writes in the WAL until the commit and the
    checkpoint (gigabytes for a province's ledgers, written twice). For the load the connection
    switches the file to a rollback journal, which holds only the old content of pages it changes
    (little, when records are appended), so the load stays all or nothing at a fraction of the I/O;
    WAL comes back afterwards. The switch needs the file to itself: with other connections open
    SQLite keeps WAL, and the WAL is checkpointed and truncated after the load instead.
    Other databases: a plain connection."""
    conn = engine.connect()
    try:
        if conn.dialect.name != "sqlite":
            yield conn
            return
        raw = conn.connection.driver_connection
        mode = raw.execute("PRAGMA journal_mode").fetchone()[0]
        cache = raw.execute("PRAGMA cache_size").fetchone()[0]
        if mode == "wal":
            raw.execute("PRAGMA journal_mode=DELETE")
        raw.execute("PRAGMA cache_size=-1048576")  # 1 GB: the indexes' hot pages stay in memory
        try:
            yield conn
        finally:
            if conn.in_transaction():
                conn.rollback()
            raw.execute(f"PRAGMA cache_size={int(cache)}")
            if mode == "wal":
                _back_to_wal(raw)
    finally:
        conn.close()


def _back_to_wal(raw) -> None:
    """WAL again after a bulk load, its log checkpointed and truncated where SQLite can. The load is
    committed by now: a checkpoint that cannot run (another connection reading, a statement still
    open) is left to SQLite's own automatic checkpoints rather than reported as a failed load."""
    import sqlite3

    try:
        if raw.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal":
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.OperationalError as exc:
        logging.getLogger("kechuang").warning("批量写入后未能整理 WAL 日志(数据已保存):%s", exc)


def update_encoded(conn: Connection, enc: pl.DataFrame, now: dt.datetime | None = None,
                   kind: str | None = None) -> int:
    """Update records by id (``enc`` has an ``id`` column), all of ``kind`` when it is named."""
    if enc.height == 0:
        return 0
    now = _stamp(conn, now or _now())
    p = _ph(conn)
    data_ph = f"CAST({p} AS JSON)" if conn.dialect.name == "postgresql" else p
    sql = (f"UPDATE ledger_records SET region_code={p}, uscc={p}, year={p}, record_date={p}, data={data_ph},"
           f" row_hash={p}, updated_at={p} WHERE id={p}")
    sel = enc.select("region_code", "uscc", "year",
                     pl.col("record_date").cast(pl.String) if conn.dialect.name == "sqlite" else pl.col("record_date"),
                     "data", "row_hash", "id")
    mark_data_changed(conn, *([ledger_source(kind)] if kind else []))
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.executemany(sql, [(*r[:6], now, r[6]) for r in sel.iter_rows()])
    finally:
        cur.close()
    return enc.height


def insert_audit(conn: Connection, entries: list[dict]) -> None:
    """Bulk audit entries (same table and shape as kechuang.audit.record)."""
    if not entries:
        return
    from ..audit import AuditEntry

    conn.execute(sa.insert(AuditEntry.__table__), entries)


def delete_kind(conn: Connection, kind: str, region_codes: set[str] | None = None) -> int:
    q = sa.delete(T).where(T.c.kind == kind)
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    return conn.execute(q).rowcount or 0


# ---------------------------------------------------------------- pages

SORTABLE_META = {"id", "key", "region_code", "uscc", "year", "record_date", "updated_at"}


def _field_expr(kind: Kind, fid: str):
    if fid in SORTABLE_META:
        return T.c[fid]
    if fid == kind.date_field:  # same value, stored in a plain column
        return T.c.record_date
    if fid == kind.year_field:
        return T.c.year
    f = kind.field(fid)
    el = T.c.data[fid]
    if f.type in ("int", "year"):
        return el.as_integer()
    if f.is_decimal:
        return el.as_float()
    if f.type == "bool":
        return el.as_boolean()
    return el.as_string()


NAME_ORDER = ("enterprise", "name")  # the list order index 0018 holds: enterprises by name


def name_order_sql(dialect: str) -> str:
    """The key of index 0018 (``ix_ledger_records_enterprise_name``): an enterprise's name, NULL for
    other kinds (their entries then follow the id order, appended cheaply during bulk loads). The
    same value as ``_field_expr(enterprise, "name")``; written out with literals so that SQLite and
    PostgreSQL both recognise the index expression in a query."""
    text = "json_extract(data, '$.name')" if dialect == "sqlite" else "(data ->> 'name')"
    return f"CASE WHEN kind = 'enterprise' THEN CAST({text} AS VARCHAR) END"


def _order_expr(conn: Connection, kind: Kind, sort: str):
    """The expression a list sorts by; the enterprise name as its index holds it."""
    if (kind.id, sort) == NAME_ORDER:
        return sa.literal_column(name_order_sql(conn.dialect.name), sa.String)
    return _field_expr(kind, sort)


def build_where(kind: Kind, region_codes: set[str] | None, filters: dict[str, Any] | None,
                q: str | None = None) -> list:
    conds = [T.c.kind == kind.id]
    if region_codes is not None:
        conds.append(T.c.region_code.in_(sorted(region_codes)))
    for fid, value in (filters or {}).items():
        if value in (None, ""):
            continue
        if fid in ("year",) and not kind.has(fid):
            conds.append(T.c.year == int(value))
            continue
        if fid in SORTABLE_META and fid != "year":
            if fid == "region_code":
                conds.append(T.c.region_code == str(value))
            elif fid == "uscc":
                conds.append(T.c.uscc == str(value).upper())
            continue
        if not kind.has(fid):
            continue
        if fid == kind.year_field:
            conds.append(T.c.year == int(value))
            continue
        f = kind.field(fid)
        if f.type in ("int", "year"):
            conds.append(_field_expr(kind, fid) == int(value))
        elif f.type == "bool":
            conds.append(_field_expr(kind, fid) == (str(value).lower() in ("1", "true", "是", "yes")))
        else:
            conds.append(_field_expr(kind, fid) == str(value))
    if q:
        like = f"%{q}%"
        conds.append(sa.or_(T.c.key.like(like), _data_text(_Dialectless()).like(like)))
    return conds


class _Dialectless:  # _data_text needs a dialect name; LIKE on JSON text works on both as text
    class dialect:
        name = "postgresql"


def page(conn: Connection, kind: str | Kind, region_codes: set[str] | None = None, *,
         filters: dict[str, Any] | None = None, q: str | None = None, sort: str = "id",
         descending: bool = False, after: int | None = None, offset: int = 0,
         limit: int = 50) -> tuple[pl.DataFrame, int | None]:
    """One page of records as a typed frame and the cursor of the next page.

    Sorting by ``id`` uses keyset paging (``after`` = last id seen), which stays fast at any depth;
    so does the enterprise ledger by name (``NAME_ORDER``, from its index) when ``after`` is given.
    Other sort keys, and a page by number, slice an ordered id list read once per data version
    (by name: read from the index, not sorted). The cursor is None where there is no keyset paging.
    """
    kind = _kind(kind)
    rows, cursor = _page_rows(conn, kind, region_codes, filters=filters, q=q, sort=sort, descending=descending,
                              after=after, offset=offset, limit=limit)
    return _typed_from_json(kind, _rows_frame(rows)), cursor


def page_records(conn: Connection, kind: str | Kind, region_codes: set[str] | None = None, *,
                 filters: dict[str, Any] | None = None, q: str | None = None, sort: str = "id",
                 descending: bool = False, after: int | None = None, offset: int = 0,
                 limit: int = 50) -> tuple[list[dict[str, Any]], int | None]:
    """`page` as plain dicts with the same typed values (Decimal, date, bool), for pages of a screen's
    size where building a frame would cost more than the rows themselves."""
    kind = _kind(kind)
    rows, cursor = _page_rows(conn, kind, region_codes, filters=filters, q=q, sort=sort, descending=descending,
                              after=after, offset=offset, limit=limit)
    return [_typed_record(kind, row) for row in rows], cursor


def _typed_record(kind: Kind, row) -> dict[str, Any]:
    data = json.loads(row[6]) if isinstance(row[6], str) else dict(row[6] or {})
    out: dict[str, Any] = {}
    for f in kind.fields:
        v = data.get(f.id)
        if v is None or v == "":
            out[f.id] = None
        elif f.is_decimal:
            out[f.id] = Decimal(str(v)).quantize(Decimal(1).scaleb(-DECIMAL_SCALE[f.type]))
        elif f.type == "date":
            try:
                out[f.id] = dt.date.fromisoformat(str(v)[:10])
            except ValueError:
                out[f.id] = None
        elif f.type in ("int", "year"):
            out[f.id] = int(v)
        elif f.type == "bool":
            out[f.id] = bool(v)
        else:
            out[f.id] = v if isinstance(v, str) else str(v)
    record_date = row[5]
    if isinstance(record_date, str):
        record_date = dt.date.fromisoformat(record_date[:10])
    elif isinstance(record_date, dt.datetime):
        record_date = record_date.date()
    out.update(id=row[0], key=row[1], region_code=row[2], uscc=row[3], year=row[4], record_date=record_date)
    return out


def _page_rows(conn: Connection, kind: Kind, region_codes, *, filters, q, sort, descending, after, offset,
               limit) -> tuple[list, int | None]:
    conds = build_where(kind, region_codes, filters, q)
    if sort != "id":
        from .. import cache

        expr = _order_expr(conn, kind, sort)
        order = [expr.desc() if descending else expr.asc(), T.c.id]
        if conn.dialect.name == "postgresql":
            order[0] = order[0].nulls_last()
        if after is not None and (kind.id, sort) == NAME_ORDER:
            found = _seek(conn, conds, expr, order, descending, after, limit)
            if found is not None:
                return found
        key = ("ledger_order", kind.id, frozenset(region_codes) if region_codes is not None else None,
               tuple(sorted((filters or {}).items())), q, sort, descending)
        ids = cache.ordered_ids(conn, key, sa.select(T.c.id).where(*conds).order_by(*order),
                                reads=ledger_sources([kind.id]))
        wanted = [int(i) for i in ids[offset:offset + limit]]
        # the ids already satisfy the filters: look them up by primary key alone (with the filters
        # repeated, SQLite may walk the kind's index instead)
        by_id = sa.select(*_meta_cols(conn)).where(among(conn, T.c.id, wanted))
        found = {r[0]: r for r in conn.execute(by_id)} if wanted else {}
        rows = [found[i] for i in wanted if i in found]
        seekable = (kind.id, sort) == NAME_ORDER and offset + limit < len(ids) and rows
        return rows, (rows[-1][0] if seekable else None)
    if after is not None:
        conds.append(T.c.id < after if descending else T.c.id > after)
    id_order = T.c.id.desc() if descending else T.c.id
    query = sa.select(*_meta_cols(conn)).where(*conds)
    if conn.dialect.name == "postgresql":
        # the page's ids first, from the kind's id index (migration 0021) without visiting rows;
        # filtering whole rows in id order, the planner may walk the primary key through other kinds
        query = sa.select(*_meta_cols(conn)).where(
            T.c.id.in_(sa.select(T.c.id).where(*conds).order_by(id_order).limit(limit + 1).scalar_subquery()))
    rows = conn.execute(query.order_by(id_order).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1][0] if (more and rows) else None)


def _seek(conn: Connection, conds: list, expr, order: list, descending: bool, after: int,
          limit: int) -> tuple[list, int | None] | None:
    """The page after record ``after`` in the order ``order`` (value of ``expr``, then id), sought in
    the index from that record's value instead of counting the rows before it; None when the
    record is gone or outside the filters (the caller then pages by number).

    The order has two runs, the records with a value and those without (NULL: first on SQLite
    ascending, last otherwise); the page continues the cursor's run and then the next one."""
    cursor = conn.execute(sa.select(expr).where(T.c.id == after, *conds)).first()
    if cursor is None:
        return None
    value = cursor[0]
    nulls_first = conn.dialect.name == "sqlite" and not descending
    null_run = [expr.is_(None)]
    if value is None:
        runs = [null_run + [T.c.id > after]] + ([[expr.is_not(None)]] if nulls_first else [])
    else:
        beyond = expr < value if descending else expr > value
        runs = [[expr <= value if descending else expr >= value, sa.or_(beyond, T.c.id > after)]]
        runs += [] if nulls_first else [null_run]
    rows: list = []
    for run in runs:
        q = sa.select(*_meta_cols(conn)).where(*conds, *run).order_by(*order).limit(limit + 1 - len(rows))
        rows += conn.execute(q).all()
        if len(rows) > limit:
            break
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1][0] if (more and rows) else None)


def count_where(conn: Connection, kind: str | Kind, region_codes: set[str] | None = None, *,
                filters: dict[str, Any] | None = None, q: str | None = None) -> int:
    kind = _kind(kind)
    conds = build_where(kind, region_codes, filters, q)
    return int(conn.execute(sa.select(sa.func.count()).select_from(T).where(*conds)).scalar_one())


def records_of_enterprise(conn: Connection, uscc: str, region_codes: set[str] | None = None
                          ) -> dict[str, pl.DataFrame]:
    """Every record of one enterprise across kinds (its own record and those linked by uscc).

    With ``region_codes``, an enterprise registered (enterprise ledger) outside them yields
    nothing: a reader sees the enterprises registered in its subtree, not those merely referenced."""
    if region_codes is not None:
        registered = enterprise_regions(conn, [uscc]).get(uscc)
        if registered is not None and registered not in region_codes:
            return {}
    out = {}
    for kind in all_kinds().values():
        conds = [T.c.kind == kind.id, T.c.uscc == uscc]
        if region_codes is not None:
            conds.append(T.c.region_code.in_(sorted(region_codes)))
        rows = conn.execute(sa.select(*_meta_cols(conn)).where(*conds).order_by(T.c.year, T.c.id)).all()
        if rows:
            out[kind.id] = _typed_from_json(kind, _rows_frame(rows))
    return out
