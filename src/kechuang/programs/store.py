"""Stored evaluation results (table ``program_results``), one row per as-of date, enterprise and
program. Re-evaluating the same date replaces that date's rows.

Each as-of date's results belong to one live *generation* (``program_result_generations``). A save
writes its rows under a new generation in committed batches, switches the date to it in one small
transaction and then deletes the old generation in batches: readers only ever see a whole
evaluation, and no transaction (nor SQLite's write-ahead log) grows with the number of results.
The reasons (gaps, conditions, missing inputs) are kept as one compressed JSON document per row,
``detail``; lists and counts read the typed columns only. A document is compressed with a preset
dictionary of the wording the rule files repeat in every document (kept in
``program_result_dictionaries`` under the id zlib writes into each document), so a row holds
little more than what is its own."""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import zlib
from contextlib import contextmanager
from decimal import Decimal
from functools import lru_cache
from typing import Callable, Iterable, Iterator

import polars as pl
from sqlalchemy import (BigInteger, Boolean, Date, DateTime, Integer, LargeBinary, Numeric, String, UniqueConstraint,
                        delete, func, insert, literal, select, text, update)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base, among, insert_rows, mark_data_changed, row_chunks

WRITING, LIVE, RETIRED = "writing", "live", "retired"
BATCH = 5000  # rows per committed batch of a save (and per delete of an old generation)


class ResultGeneration(Base):
    """One save of results at an as-of date; the date shows its ``live`` generation only."""
    __tablename__ = "program_result_generations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    state: Mapped[str] = mapped_column(String(8), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ProgramResult(Base):
    __tablename__ = "program_results"
    __table_args__ = (
        UniqueConstraint("generation", "uscc", "program", name="uq_program_results_generation_uscc_program"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, nullable=False)
    as_of: Mapped[dt.date] = mapped_column(Date, nullable=False)
    uscc: Mapped[str] = mapped_column(String(18), nullable=False)
    region_code: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    program: Mapped[str] = mapped_column(String(48), nullable=False)
    version: Mapped[str] = mapped_column(String(16), nullable=False)
    result: Mapped[str | None] = mapped_column(String(8))
    score: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    score_min: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    score_max: Mapped[Decimal | None] = mapped_column(Numeric(9, 4))
    close: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    gap_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    fail_count: Mapped[int | None] = mapped_column(Integer)  # failing conditions; NULL: saved before 0022
    next_step: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    detail: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class ResultDictionary(Base):
    """A preset zlib dictionary of reasons documents, by the id (Adler-32) zlib writes into them."""
    __tablename__ = "program_result_dictionaries"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


T = ProgramResult.__table__
D = ResultDictionary.__table__
G = ResultGeneration.__table__
READS = ("program_results", "program_result_generations")  # what views of stored results read (kechuang.cache)
DETAIL = ("gaps", "conditions", "missing")


def pack(rec: dict, preset=None) -> bytes:
    """The reasons of a record (its gaps, conditions and missing inputs) as stored: JSON,
    compressed with the ``preset`` compressor (``presets``) or without a dictionary."""
    doc = {k: rec.get(k) or [] for k in DETAIL}
    return _compress(json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), preset)


def _compress(data: bytes, preset=None) -> bytes:
    # level 1: saving millions of results is bound by CPU; a compressor with its dictionary already
    # loaded is copied for each document, far cheaper than loading the dictionary again
    if preset is None:
        return zlib.compress(data, 1)
    c = preset.copy()
    return c.compress(data) + c.flush()


@lru_cache(maxsize=1)
def dictionary() -> bytes:
    """What reasons documents repeat: the rule files' items (id and wording as in a document),
    citations and gap fields; zlib reaches back 32 KB, and the nearest text costs least."""
    from .model import programs_by_id

    parts: dict[str, None] = {}
    for versions in programs_by_id().values():
        for p in versions:
            for it in [*p.conditions.values(), *p.indicators.values()]:
                for g in it.gaps:
                    parts[f'{{"field": {json.dumps(g.field)}, "current": '] = None
                parts[json.dumps({"cite": it.cite}, ensure_ascii=False)[1:-1]] = None
                parts[json.dumps({"id": it.id, "text": it.text}, ensure_ascii=False)[1:-1]] = None
    return "".join(parts).encode("utf-8")[-32768:]


_DICTIONARIES: dict[int, bytes] = {}  # by id, as read or stored (a stored dictionary never changes)


def presets(conn: Connection):
    """A zlib compressor primed with ``dictionary()``, which is stored first if it is new (None:
    another dictionary is stored under its id, so documents are compressed without one)."""
    data = dictionary()
    key = zlib.adler32(data)
    known = conn.execute(select(D.c.data).where(D.c.id == key)).scalar()
    if known is None:
        conn.execute(insert(D).values(id=key, data=data))
    elif bytes(known) != data:  # Adler-32 is no fingerprint: two dictionaries may share one
        return None
    _DICTIONARIES[key] = data
    return zlib.compressobj(1, zlib.DEFLATED, 15, 8, zdict=data)


def unpack(blob: bytes | memoryview | None, conn: Connection | None = None) -> dict:
    """``pack`` undone: {"gaps": [...], "conditions": [...], "missing": [...]}; ``conn`` reads a
    preset dictionary not yet read by this process."""
    if not blob:
        return {k: [] for k in DETAIL}
    blob = bytes(blob)
    if blob[:1] == b"{":  # plain JSON: rows converted from the three JSON columns by migration 0019
        return json.loads(blob)
    if blob[1] & 0x20:  # zlib's FDICT flag: the dictionary's Adler-32 follows the two header bytes
        key = int.from_bytes(blob[2:6], "big")
        if key not in _DICTIONARIES:
            if conn is None:
                raise LookupError(f"reasons compressed with dictionary {key}: a connection is needed to read it")
            _DICTIONARIES.update((k, v) for k, v in conn.execute(select(D.c.id, D.c.data)))
        d = zlib.decompressobj(zdict=_DICTIONARIES[key])
        return json.loads(d.decompress(blob) + d.flush())
    return json.loads(zlib.decompress(blob).decode("utf-8"))


def reasons_of(conn: Connection, ids: Iterable[int]) -> Iterator[tuple[int, dict]]:
    """(id, reasons decoded as ``unpack`` gives them) of the stored results with these ids, 5,000
    a statement; ids not stored are left out."""
    ids = list(ids)
    for at in range(0, len(ids), 5000):
        for i, blob in conn.execute(select(T.c.id, T.c.detail).where(among(conn, T.c.id, ids[at:at + 5000]))):
            yield i, unpack(blob, conn)


def _dec(v) -> Decimal | None:
    return None if v is None else Decimal(str(round(v, 4)))


class SaveError(RuntimeError):
    """A save that could not be completed (message in Chinese); the results shown are unchanged."""


def _steps(bind: Engine | Connection):
    """Each step of a save in its own committed transaction (an Engine), or all of them in the
    caller's one transaction (a Connection: small saves, e.g. within a larger change)."""
    if isinstance(bind, Engine):
        return bind.begin
    from contextlib import nullcontext

    return lambda: nullcontext(bind)


def save(bind: Engine | Connection, as_of: dt.date, recs: Iterable[dict], regions: dict[str, str],
         programs: Iterable[str], usccs: Iterable[str] | None = None) -> int:
    """Replace the results of ``programs`` for the enterprises evaluated (``usccs``, or those in
    ``recs``) at ``as_of``; the date's other results stay. ``recs`` may be a generator of millions of
    records: it is written as it comes, ``BATCH`` at a time. Given an Engine, every batch is
    committed under a new generation that becomes visible at once when all are written; a save
    that fails or is killed leaves the date's results as they were (its rows are removed on the
    next save). While another save runs, raises ``SaveError`` and changes nothing."""
    if usccs is None:
        recs = list(recs)
        usccs = [r["uscc"] for r in recs]
    with _one_save_at_a_time(bind, as_of):
        return _save(bind, as_of, lambda step, gen, preset: _write(step, gen, as_of, recs, regions, preset),
                     programs, usccs)


def save_results(bind: Engine | Connection, as_of: dt.date, batches: Iterable[dict], regions: dict[str, str],
                 programs: Iterable[str], usccs: Iterable[str], progress: Callable[[str], object] | None = None,
                 shown: Callable[[int], object] | None = None) -> int:
    """``save`` of evaluation results as the engine gives them (``{program: Result}`` per batch of
    enterprises), built column-wise: the same rows as ``save`` of their records, at a fraction of
    the work per result. ``batches`` may be a generator: each batch is written as it comes, and
    ``usccs`` is read after the last one. ``progress`` is told (in Chinese) when the save moves on
    to replacing the date's earlier results; ``shown`` is called with the number of results written
    once they are the ones shown, before the replaced results' rows are deleted."""
    with _one_save_at_a_time(bind, as_of):
        return _save(bind, as_of, lambda step, gen, preset: _write_frames(step, gen, as_of, batches, regions,
                                                                          preset), programs, usccs, progress, shown)


BUSY = "另一次评价正在保存评价结果，本次评价（评价日期 {as_of}）的结果未保存，原有结果未变；请待其完成后重新评价"
_LOCK_KEY = 0x6B635F7072  # PostgreSQL advisory lock: saves of program results


@contextmanager
def _one_save_at_a_time(bind: Engine | Connection, as_of: dt.date) -> Iterator[None]:
    """Held for the whole save, across its transactions: a second save of results (of any date,
    since a save removes abandoned generations of every date) fails at once with ``BUSY``. The
    lock goes with the process or connection holding it, so a killed save never leaves it taken:
    on PostgreSQL an advisory lock, on SQLite an exclusive ``flock`` of a file beside the database."""
    engine = bind if isinstance(bind, Engine) else bind.engine
    if engine.dialect.name == "postgresql":
        if isinstance(bind, Connection):  # released with the caller's transaction
            if not bind.execute(select(func.pg_try_advisory_xact_lock(_LOCK_KEY))).scalar():
                raise SaveError(BUSY.format(as_of=as_of))
            yield
            return
        with engine.connect() as conn:
            got = conn.execute(select(func.pg_try_advisory_lock(_LOCK_KEY))).scalar()
            conn.commit()
            if not got:
                raise SaveError(BUSY.format(as_of=as_of))
            try:
                yield
            finally:
                conn.execute(select(func.pg_advisory_unlock(_LOCK_KEY)))
                conn.commit()
        return
    path = engine.url.database
    if not path or path == ":memory:":  # a private database: no other process reaches it
        yield
        return
    with open(f"{path}-results.lock", "a+b") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SaveError(BUSY.format(as_of=as_of)) from None
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def _save(bind: Engine | Connection, as_of: dt.date, write, programs: Iterable[str], usccs: Iterable[str],
          progress: Callable[[str], object] | None = None, shown: Callable[[int], object] | None = None) -> int:
    tell = progress or (lambda message: None)
    progs = set(programs)
    step = _steps(bind)
    with step() as conn:
        abandoned = conn.execute(select(G.c.id).where(G.c.state != LIVE)).scalars().all()
    for gid in abandoned:
        _purge(step, gid)
    with step() as conn:
        gen = conn.execute(insert(G).values(as_of=as_of, state=WRITING)).inserted_primary_key[0]
        preset = presets(conn)
    try:
        n = write(step, gen, preset)
        with step() as conn:
            old = conn.execute(select(G.c.id).where(G.c.as_of == as_of, G.c.state == LIVE)).scalars().all()
        if old:
            tell(f"已写入 {n:,} 条评价结果；正在保留本次未重新评价的原有结果…")
        evaluated = set(usccs)  # read once written: the caller may note them as its batches come
        for gid in old:
            _carry(step, gid, gen, progs, evaluated)
        with step() as conn:
            if conn.execute(select(G.c.state).where(G.c.id == gen)).scalar() != WRITING:
                raise SaveError(f"保存 {as_of} 的评价结果时，另一次保存清除了本次写入的结果；原有结果未变，请重新评价")
            conn.execute(update(G).where(G.c.as_of == as_of, G.c.state == LIVE).values(state=RETIRED))
            conn.execute(update(G).where(G.c.id == gen).values(state=LIVE))
    except BaseException:
        if isinstance(bind, Engine):  # the caller's transaction (a Connection) rolls back by itself
            try:
                _purge(step, gen)
            except Exception:  # noqa: BLE001 - the next save removes what is left
                pass
        raise
    if shown is not None:
        shown(n)
    if old:  # the new results are shown from here on; what follows only frees the old rows' space
        tell(f"已启用 {n:,} 条新的评价结果；正在清除被替换的原有结果…")
    for gid in old:
        _purge(step, gid)
    return n


def _write(step, gen: int, as_of: dt.date, recs: Iterable[dict], regions: dict[str, str], preset) -> int:
    n, rows = 0, []
    for r in recs:
        rows.append(_row(gen, as_of, r, regions, preset))
        if len(rows) == BATCH:
            with step() as conn:
                conn.execute(insert(T), rows)
            n, rows = n + len(rows), []
    if rows:
        with step() as conn:
            conn.execute(insert(T), rows)
    return n + len(rows)


COLUMNS = ("generation", "as_of", "uscc", "region_code", "program", "version", "result", "score", "score_min",
           "score_max", "close", "gap_count", "fail_count", "next_step", "detail")


def _write_frames(step, gen: int, as_of: dt.date, batches: Iterable[dict], regions: dict[str, str], preset) -> int:
    from concurrent.futures import ThreadPoolExecutor
    from itertools import repeat

    from .jsonl import stored

    def insert(cols: dict, details) -> int:
        cols["detail"] = details.result()
        rows = list(zip(*(cols[c] for c in COLUMNS)))
        with step() as conn:
            mark_data_changed(conn, "program_results")
            cur = conn.connection.driver_connection.cursor()
            try:
                insert_rows(conn, cur, "program_results", COLUMNS, rows)
            finally:
                cur.close()
        return len(rows)

    n, pending = 0, None
    # the reasons of each BATCH of rows are compressed in a thread (zlib lets go of the GIL) while
    # the rows before them are inserted (so does the database driver): the two largest costs of a
    # save overlap. One thread: the compressor primed with the dictionary is copied by it alone.
    with ThreadPoolExecutor(1, thread_name_prefix="kc-compress") as pool:
        for results in batches:
            for res in results.values():
                for plan, df in res.parts:
                    for start in range(0, df.height, BATCH):
                        part = stored(plan, df.slice(start, BATCH)).collect()
                        details = pool.submit(_compress_all, part.get_column("line").to_list(), preset)
                        usccs = part.get_column("uscc").to_list()
                        cols = {"generation": repeat(gen), "as_of": repeat(as_of), "program": repeat(plan.program.id),
                                "version": repeat(plan.program.version), "uscc": usccs,
                                "region_code": [regions.get(u) or "" for u in usccs]}
                        for c in ("result", "score", "score_min", "score_max", "close", "gap_count", "fail_count",
                                  "next_step"):
                            cols[c] = part.get_column(c).to_list()
                        if pending is not None:
                            n += insert(*pending)
                        pending = (cols, details)
        if pending is not None:
            n += insert(*pending)
    return n


def _compress_all(docs: list[str], preset) -> list[bytes]:
    return [_compress(d.encode("utf-8"), preset) for d in docs]


def _carry(step, old: int, gen: int, progs: set[str], evaluated: set[str]) -> None:
    """Copy the rows of generation ``old`` that this save does not replace into ``gen``: their ids
    read in one pass over an index (paging through ten million rows 5,000 at a time, each page a
    new seek, took 36 s), then copied ``BATCH`` a transaction. No other save runs meanwhile, so
    ``old`` stays as read."""
    cols = [c for c in T.c if c.name not in ("id", "generation")]
    keep: list[int] = []
    with step() as conn:
        for rows in row_chunks(conn, select(T.c.id, T.c.uscc, T.c.program).where(T.c.generation == old), 100_000):
            keep.extend(i for i, uscc, prog in rows if prog not in progs or uscc not in evaluated)
    keep.sort()
    for at in range(0, len(keep), BATCH):
        with step() as conn:
            conn.execute(insert(T).from_select([c.name for c in cols] + ["generation"], select(
                *cols, literal(gen)).where(among(conn, T.c.id, keep[at:at + BATCH]))))


PURGE = 50_000  # rows deleted per transaction when a generation is removed


def _purge(step, gen: int) -> None:
    """Delete a generation's rows, ``PURGE`` per transaction, then the generation.

    Each deleted row leaves an entry in three indexes besides the table, the list and count
    indexes in an order of their own: a transaction rewrites every page it touches, and a page of
    those indexes is touched again by every later transaction that deletes one of its entries. On
    the 100,000-enterprise demo (a million rows), deleting 5,000 rows a transaction wrote 9.2 GB,
    50,000 wrote 2.8 GB (6.7 s → 5.0 s). The rows go in the order of the unique index (credit code,
    program), the order a save writes them in, so the table's pages are met in turn. On SQLite the
    rows' content is zeroed only where that costs no extra writes (``secure_delete=FAST`` for these
    deletes alone: a generation's rows are results computed again at will, and zeroing every freed
    page made the deletes 15 % slower)."""
    chunk = select(T.c.id).where(T.c.generation == gen).order_by(T.c.uscc, T.c.program).limit(PURGE)
    while True:
        with step() as conn:
            with _fast_delete(conn):
                n = conn.execute(delete(T).where(T.c.id.in_(chunk))).rowcount
        if n < PURGE:
            break
    with step() as conn:
        conn.execute(delete(G).where(G.c.id == gen))


@contextmanager
def _fast_delete(conn: Connection) -> Iterator[None]:
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    was = raw.execute("PRAGMA secure_delete").fetchone()[0]
    raw.execute("PRAGMA secure_delete=FAST")
    try:
        yield
    finally:
        raw.execute(f"PRAGMA secure_delete={'FAST' if was == 2 else int(was)}")


def _row(gen: int, as_of: dt.date, r: dict, regions: dict[str, str], preset=None) -> dict:
    close = bool(r.get("_close"))
    return dict(generation=gen, as_of=as_of, uscc=r["uscc"], region_code=regions.get(r["uscc"]) or "",
                program=r["program"], version=r["version"], result=r["result"],
                score=_dec(r["score"]), score_min=_dec(r["score_min"]), score_max=_dec(r["score_max"]),
                close=close, gap_count=len(r["gaps"]), fail_count=fail_count(r), next_step=next_step(r)[:400],
                detail=pack(r, preset))


_REQUIRED: dict[tuple[str, str], set[str]] = {}


def fail_count(rec: dict) -> int:
    """How many of a record's conditions fail (stored as ``fail_count``)."""
    return sum(1 for c in rec.get("conditions") or [] if c.get("result") == "fail")


def next_step(rec: dict) -> str:
    """What a list shows as the first thing to know: a failing condition that every path needs and
    no change of data can mend (e.g. sales over a ceiling) comes before any gap."""
    if rec.get("result") == "fail":
        key = (rec["program"], rec["version"])
        if key not in _REQUIRED:
            from .explain import required_conditions
            from .model import programs_by_id

            p = next((q for q in programs_by_id().get(rec["program"], []) if q.version == rec["version"]), None)
            _REQUIRED[key] = required_conditions(p) if p else set()
        mended = {g.get("_item") for g in rec.get("gaps") or []}
        hard = [c["text"] for c in rec.get("conditions") or []
                if c.get("result") == "fail" and c["id"] in _REQUIRED[key] and c["id"] not in mended]
        if hard:
            return "不符合：" + "；".join(hard)
        failing = {c["id"] for c in rec.get("conditions") or [] if c.get("result") == "fail"}
        first = next((g for g in rec.get("gaps") or [] if g.get("_item") in failing), None)
        if first is not None:
            return first["text"]
    return rec["gaps"][0]["text"] if rec.get("gaps") else ""


def live_generation(conn: Connection, as_of: dt.date) -> int | None:
    """The generation whose results ``as_of`` shows (None: nothing stored for that date)."""
    return conn.execute(select(G.c.id).where(G.c.as_of == as_of, G.c.state == LIVE)).scalar()


def visible(conn: Connection, as_of: dt.date | None):
    """The condition selecting the results shown at ``as_of`` (None: at every date)."""
    if as_of is None:
        return T.c.generation.in_(select(G.c.id).where(G.c.state == LIVE))
    return T.c.generation == (live_generation(conn, as_of) or 0)  # generation ids start at 1


def of_credit_codes(conn: Connection, as_of: dt.date, program: str, codes: Iterable[str],
                    columns: Iterable[str], program_size: int | None = None, counted: bool = False
                    ) -> Iterator[tuple]:
    """``columns`` of a program's results shown at ``as_of`` for these credit codes. ``program_size``:
    about how many results the program has, when the caller knows. ``counted``: the distinct ``columns``
    each with how many results have them (a value may come in more than one row: add them up).

    On SQLite, a few codes each look up their row in the (generation, uscc, program) key, 900 codes
    a statement, the codes driving the join (a CROSS JOIN keeps them the outer loop): without table
    statistics the planner would otherwise walk all the program's results for every batch. Many
    codes (one for every 20 results or more: 200,000 高企 holders among a million results) make one
    pass over the program's range of the list index instead, each row's code looked up among them:
    a look-up reaches a row in the table, which costs 20 times a row of the index read in order."""
    gen = live_generation(conn, as_of) or 0  # generation ids start at 1
    codes, columns = sorted(set(codes)), list(columns)
    if not codes:
        return
    names = [T.c[c].name for c in columns]
    tail = f", count(*) FROM {{}} GROUP BY {', '.join(names)}" if counted else " FROM {}"
    if conn.dialect.name == "sqlite" and program_size is not None and len(codes) * 20 >= program_size:
        # ix_program_results_list (migration 0019) holds every column the callers read
        q = text(f"SELECT {', '.join(names)}" + tail.format(
            f"{T.name} INDEXED BY ix_program_results_list WHERE generation = :gen AND program = :program "
            "AND uscc IN (SELECT value FROM json_each(:codes))"))
        yield from conn.execute(q, {"gen": gen, "program": program, "codes": json.dumps(codes)})
        return
    for i in range(0, len(codes), 900):
        part = codes[i:i + 900]
        if conn.dialect.name == "sqlite":
            values = ", ".join(f"(:c{j})" for j in range(len(part)))
            q = text(f"SELECT {', '.join('p.' + n for n in names)}" + tail.format(
                f"(VALUES {values}) AS v CROSS JOIN {T.name} AS p "
                "ON p.generation = :gen AND p.uscc = v.column1 AND p.program = :program"))
            yield from conn.execute(q, {"gen": gen, "program": program, **{f"c{j}": c for j, c in enumerate(part)}})
        else:
            cols = [T.c[c] for c in columns]
            q = select(*cols, *([func.count()] if counted else [])).where(
                T.c.generation == gen, T.c.program == program, T.c.uscc.in_(part))
            yield from conn.execute(q.group_by(*cols) if counted else q)


def latest_as_of(conn: Connection, program: str | None = None) -> dt.date | None:
    q = select(G.c.id, G.c.as_of).where(G.c.state == LIVE).order_by(G.c.as_of.desc())
    for gen, day in conn.execute(q).all():
        hit = select(T.c.id).where(T.c.generation == gen)
        if conn.execute((hit.where(T.c.program == program) if program else hit).limit(1)).first():
            return day
    return None


def load(conn: Connection, as_of: dt.date | None = None, program: str | None = None,
         region_codes: set[str] | None = None, uscc: str | None = None, close_only: bool = False) -> pl.DataFrame:
    """Stored results as a frame (gaps/conditions/missing as lists); ``close_only``: only the
    一步之遥 (failing, one modest change away), filtered in SQL before any reasons are decoded."""
    q = select(T.c.as_of, T.c.uscc, T.c.region_code, T.c.program, T.c.version, T.c.result, T.c.score,
               T.c.score_min, T.c.score_max, T.c.close, T.c.gap_count, T.c.detail).where(visible(conn, as_of))
    if program:
        q = q.where(T.c.program == program)
    if uscc:
        q = q.where(T.c.uscc == uscc)
    if close_only:
        if not program:  # every program named: each is one range of the list index
            from .model import programs_by_id

            q = q.where(T.c.program.in_(sorted(programs_by_id())))
        q = q.where(T.c.result == "fail", T.c.close.is_(True))
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    rows = conn.execute(q).mappings().all()
    schema = {"as_of": pl.Date, "uscc": pl.String, "region_code": pl.String, "program": pl.String,
              "version": pl.String, "result": pl.String, "score": pl.Float64, "score_min": pl.Float64,
              "score_max": pl.Float64, "close": pl.Boolean, "gap_count": pl.Int64}
    data = {k: [(float(r[k]) if isinstance(r[k], Decimal) else r[k]) for r in rows] for k in schema}
    frame = {k: pl.Series(k, v, dtype=schema[k]) for k, v in data.items()}
    details = [unpack(r["detail"], conn) for r in rows]
    for k in DETAIL:
        frame[k] = pl.Series(k, [d[k] for d in details], dtype=pl.Object)
    return pl.DataFrame(frame)


def counts(conn: Connection, as_of: dt.date, region_codes: set[str] | None = None,
           held: dict[str, set[str]] | None = None) -> pl.DataFrame:
    """program, region_code, status (pass/close/far/depends/unknown, or held), n — by SQL aggregation.
    ``held``: per program, credit codes holding its valid certificate; their results count as held."""
    shown = visible(conn, as_of)
    q = select(T.c.program, T.c.region_code, T.c.result, T.c.close, func.count().label("n")).where(
        shown).group_by(T.c.program, T.c.region_code, T.c.result, T.c.close)
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    rows = conn.execute(q).all()
    out = []
    from .catalog import status_of

    totals: dict[str, int] = {}
    for prog, region, result, close, n in rows:
        status = status_of(result, close)
        out.append({"program": prog, "region_code": region, "status": status, "n": int(n)})
        totals[prog] = totals.get(prog, 0) + int(n)
    for prog, codes in (held or {}).items():
        found: dict[tuple, int] = {}
        grouped = of_credit_codes(conn, as_of, prog, codes, ("region_code", "result", "close"),
                                  program_size=totals.get(prog, 0), counted=True)
        for region, result, close, n in grouped:
            if region_codes is None or region in region_codes:
                key = (region, result, bool(close))
                found[key] = found.get(key, 0) + int(n)
        for (region, result, close), n in found.items():
            out.append({"program": prog, "region_code": region, "status": status_of(result, close), "n": -n})
            out.append({"program": prog, "region_code": region, "status": "held", "n": n})
    return pl.DataFrame(out, schema={"program": pl.String, "region_code": pl.String, "status": pl.String,
                                     "n": pl.Int64})


class _Ordered:
    """An ordered list of results: their ids, their regions as small numbers into ``codes`` (a
    scope's part of the list is then a mask over numbers rather than strings) and their credit codes."""

    def __init__(self, ids, codes: list[str], regions, usccs: pl.Series):
        self.ids, self.codes, self.regions, self.usccs = ids, codes, regions, usccs

    def __getitem__(self, mask) -> "_Ordered":
        return _Ordered(self.ids[mask], self.codes, self.regions[mask], self.usccs.filter(pl.Series(mask)))

    def within(self, region_codes: set[str]):
        """The ids of the results in ``region_codes``, in order."""
        import numpy as np

        numbers = [n for n, c in enumerate(self.codes) if c in region_codes]
        return self.ids[np.isin(self.regions, np.asarray(numbers, dtype=self.regions.dtype))]

    def without(self, usccs: frozenset[str]) -> "_Ordered":
        return self[~self.usccs.is_in(pl.Series(list(usccs), dtype=pl.String).implode()).to_numpy()]


def _ordered(conn: Connection, where: list) -> _Ordered:
    """The results ``where`` selects, best first: read once for every region, from
    ix_program_results_list alone (it holds the order, the region, the credit code and the id), so
    each scope's list, and the list without the holders of a certificate, are then masks over this
    one (a scope's own query read its part of the index again, and the holders' codes were matched
    in another pass: 2.6 s for a city of a million enterprises)."""
    import numpy as np

    result = conn.execute(select(T.c.id, T.c.region_code, T.c.uscc).where(*where).order_by(
        T.c.result, T.c.close.desc().nulls_last(), T.c.score_max.desc().nulls_last(), T.c.uscc))
    schema = {"id": pl.Int64, "region_code": pl.String, "uscc": pl.String}
    parts = [pl.DataFrame(schema=schema)]
    try:  # the driver's rows straight into columns: no row objects
        while rows := result.cursor.fetchmany(100_000):
            parts.append(pl.DataFrame(rows, schema=schema, orient="row"))
    finally:
        result.close()
    found = pl.concat(parts)
    regions = found.get_column("region_code")
    codes = regions.unique().sort()
    return _Ordered(found.get_column("id").to_numpy(), codes.to_list(),
                    codes.search_sorted(regions).to_numpy().astype(np.int32), found.get_column("uscc"))


def listed_ids(conn: Connection, as_of: dt.date, program: str, region_codes: set[str] | None = None,
               status: str | None = None, exclude: frozenset[str] | None = None):
    """The ids of a program's list, best first: its results within ``region_codes`` (None: all) of
    ``status`` (a result, "close" for 一步之遥, "far"), without those of the credit codes in ``exclude``.
    Each is a mask over one order of every region (`_ordered`), kept per version of the results."""
    from .. import cache

    def where() -> list:
        w = [visible(conn, as_of), T.c.program == program]
        if status == "close":
            w += [T.c.result == "fail", T.c.close.is_(True)]
        elif status == "far":
            w += [T.c.result == "fail", T.c.close.is_(False)]
        elif status:
            w.append(T.c.result == status)
        return w

    key = ("program_order", as_of, program, status)
    ordered = cache.per_version(conn, key, lambda: _ordered(conn, where()), reads=READS)
    if exclude:
        # the same holders (one cached set per data version) leave out the same results on every
        # page; a frozenset keeps its hash, so a cached one is hashed once, not on every page
        exclude = exclude if isinstance(exclude, frozenset) else frozenset(exclude)
        key += ("without", len(exclude), hash(exclude))
        ordered = cache.per_version(conn, key, lambda: ordered.without(exclude), reads=READS)
    if region_codes is None:
        return ordered.ids
    return cache.per_version(conn, key + ("within", frozenset(region_codes)), lambda: ordered.within(region_codes),
                             reads=READS)


def left_out(conn: Connection, as_of: dt.date, program: str, region_codes: set[str] | None = None,
             status: str | None = None, exclude: frozenset[str] | None = None) -> int:
    """How many results of the list ``exclude`` leaves out (e.g. those of certificate holders, which
    /programs counts apart)."""
    if not exclude:
        return 0
    return (len(listed_ids(conn, as_of, program, region_codes, status))
            - len(listed_ids(conn, as_of, program, region_codes, status, exclude)))


def page(conn: Connection, as_of: dt.date, program: str, region_codes: set[str] | None = None,
         status: str | None = None, offset: int = 0, limit: int | None = 100,
         exclude: set[str] | None = None) -> tuple[list[dict], int]:
    """One page of a program's list (`listed_ids`; no reasons decoded) with the enterprise's name
    from the enterprise ledger (``name``, "" when not recorded), and the list's length."""
    from ..ledgers.frames import kept_names

    ids = listed_ids(conn, as_of, program, region_codes, status, exclude)
    total = len(ids)
    wanted = [int(i) for i in (ids[offset:offset + limit] if limit is not None else ids[offset:])]
    cols = (T.c.id, T.c.uscc, T.c.region_code, T.c.version, T.c.result, T.c.close, T.c.score, T.c.score_min,
            T.c.score_max, T.c.next_step)
    names = [c.name for c in cols[1:]]
    found: dict[int, tuple] = {}
    # one query: the rows by primary key, read from the driver's cursor (SQLAlchemy's row objects
    # cost more than the query); the names from the enterprise frame kept in memory (reading each
    # name out of its ledger record's JSON cost more than the rows themselves)
    for chunk in range(0, len(wanted), 5000):  # stay under the bound-parameter limits
        part = wanted[chunk:chunk + 5000]
        result = conn.execute(select(*cols).where(among(conn, T.c.id, part)))
        try:
            found.update((r[0], r[1:]) for r in result.cursor.fetchall())
        finally:
            result.close()
    rows = [dict(zip(names, found[i])) for i in wanted if i in found]
    named = kept_names(conn, [r["uscc"] for r in rows])
    for r in rows:
        r["name"] = named.get(r["uscc"], "")
        r["close"] = bool(r["close"]) if r["close"] is not None else None
        for k in ("score", "score_min", "score_max"):
            r[k] = float(r[k]) if r[k] is not None else None
    return rows, int(total)
