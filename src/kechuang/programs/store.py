"""Stored evaluation results (table ``program_results``, migration 0004), one row per
as-of date, enterprise and program. Re-evaluating the same date replaces that date's rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Iterable

import polars as pl
from sqlalchemy import (JSON, Boolean, Date, DateTime, Integer, Numeric, String, UniqueConstraint, delete,
                        func, insert, select)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class ProgramResult(Base):
    __tablename__ = "program_results"
    __table_args__ = (UniqueConstraint("as_of", "uscc", "program", name="uq_program_results_asof_uscc_program"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
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
    next_step: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    gaps: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    conditions: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    missing: Mapped[list] = mapped_column(JSON, nullable=False, default=list)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


T = ProgramResult.__table__
READS = ("program_results",)  # what views of stored results read (for kechuang.cache)


def _dec(v) -> Decimal | None:
    return None if v is None else Decimal(str(round(v, 4)))


def save(conn: Connection, as_of: dt.date, recs: Iterable[dict], regions: dict[str, str],
         programs: Iterable[str], usccs: Iterable[str] | None = None) -> int:
    """Replace the results of ``programs`` for the enterprises in ``recs`` at ``as_of``
    (one transaction: the caller's). With ``usccs`` (the enterprises evaluated), their results are
    deleted first and ``recs`` is written as it comes, 1,000 at a time: it may be a generator of
    millions of records that never are all in memory."""
    progs = sorted(set(programs))

    def drop(keys: list[str]) -> None:
        for i in range(0, len(keys), 500):
            conn.execute(delete(T).where(T.c.as_of == as_of, T.c.program.in_(progs), T.c.uscc.in_(keys[i:i + 500])))

    if usccs is None:
        recs = list(recs)
        drop(sorted({r["uscc"] for r in recs}))
    else:
        drop(sorted(set(usccs)))
    n, rows = 0, []
    for r in recs:
        rows.append(_row(as_of, r, regions))
        if len(rows) == 1000:
            conn.execute(insert(T), rows)
            n, rows = n + len(rows), []
    if rows:
        conn.execute(insert(T), rows)
    return n + len(rows)


def _row(as_of: dt.date, r: dict, regions: dict[str, str]) -> dict:
    close = bool(r.get("_close"))
    r = dict(r, _next=next_step(r))
    return dict(as_of=as_of, uscc=r["uscc"], region_code=regions.get(r["uscc"]) or "",
                program=r["program"], version=r["version"], result=r["result"],
                score=_dec(r["score"]), score_min=_dec(r["score_min"]), score_max=_dec(r["score_max"]),
                close=close, gap_count=len(r["gaps"]), gaps=r["gaps"], conditions=r["conditions"],
                next_step=r["_next"][:400], missing=r["missing"])


_REQUIRED: dict[tuple[str, str], set[str]] = {}


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


def latest_as_of(conn: Connection, program: str | None = None) -> dt.date | None:
    q = select(func.max(T.c.as_of))
    if program:
        q = q.where(T.c.program == program)
    return conn.execute(q).scalar()


def load(conn: Connection, as_of: dt.date | None = None, program: str | None = None,
         region_codes: set[str] | None = None, uscc: str | None = None, close_only: bool = False) -> pl.DataFrame:
    """Stored results as a frame (gaps/conditions/missing stay JSON lists); ``close_only``: only the
    一步之遥 (failing, one modest change away), filtered in SQL before any JSON is decoded."""
    q = select(T.c.as_of, T.c.uscc, T.c.region_code, T.c.program, T.c.version, T.c.result, T.c.score,
               T.c.score_min, T.c.score_max, T.c.close, T.c.gap_count, T.c.gaps, T.c.conditions, T.c.missing)
    if as_of is not None:
        q = q.where(T.c.as_of == as_of)
    if program:
        q = q.where(T.c.program == program)
    if uscc:
        q = q.where(T.c.uscc == uscc)
    if close_only:
        q = q.where(T.c.close.is_(True), T.c.result == "fail")
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    rows = conn.execute(q).mappings().all()
    schema = {"as_of": pl.Date, "uscc": pl.String, "region_code": pl.String, "program": pl.String,
              "version": pl.String, "result": pl.String, "score": pl.Float64, "score_min": pl.Float64,
              "score_max": pl.Float64, "close": pl.Boolean, "gap_count": pl.Int64, "gaps": pl.Object,
              "conditions": pl.Object, "missing": pl.Object}
    data = {k: [(float(r[k]) if isinstance(r[k], Decimal) else r[k]) for r in rows] for k in schema}
    return pl.DataFrame({k: pl.Series(k, v, dtype=schema[k]) if schema[k] != pl.Object else pl.Series(k, v, dtype=pl.Object)
                         for k, v in data.items()})


def counts(conn: Connection, as_of: dt.date, region_codes: set[str] | None = None,
           held: dict[str, set[str]] | None = None) -> pl.DataFrame:
    """program, region_code, status (pass/close/far/depends/unknown, or held), n — by SQL aggregation.
    ``held``: per program, credit codes holding its valid certificate; their results count as held."""
    q = select(T.c.program, T.c.region_code, T.c.result, T.c.close, func.count().label("n")).where(
        T.c.as_of == as_of).group_by(T.c.program, T.c.region_code, T.c.result, T.c.close)
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    rows = conn.execute(q).all()
    out = []
    from .catalog import status_of

    for prog, region, result, close, n in rows:
        status = status_of(result, close)
        out.append({"program": prog, "region_code": region, "status": status, "n": int(n)})
    for prog, codes in (held or {}).items():
        codes = sorted(codes)
        for i in range(0, len(codes), 900):
            hq = select(T.c.region_code, T.c.result, T.c.close, func.count()).where(
                T.c.as_of == as_of, T.c.program == prog, T.c.uscc.in_(codes[i:i + 900])).group_by(
                T.c.region_code, T.c.result, T.c.close)
            if region_codes is not None:
                hq = hq.where(T.c.region_code.in_(sorted(region_codes)))
            for region, result, close, n in conn.execute(hq).all():
                out.append({"program": prog, "region_code": region, "status": status_of(result, close), "n": -int(n)})
                out.append({"program": prog, "region_code": region, "status": "held", "n": int(n)})
    return pl.DataFrame(out, schema={"program": pl.String, "region_code": pl.String, "status": pl.String,
                                     "n": pl.Int64})


def page(conn: Connection, as_of: dt.date, program: str, region_codes: set[str] | None = None,
         status: str | None = None, offset: int = 0, limit: int | None = 100,
         exclude: set[str] | None = None) -> tuple[list[dict], int]:
    """One page of a program's results (no JSON decoding), best first, and the total count;
    ``exclude``: credit codes left out (e.g. holders of a valid certificate)."""
    where = [T.c.as_of == as_of, T.c.program == program]
    if region_codes is not None:
        where.append(T.c.region_code.in_(sorted(region_codes)))
    if status == "close":
        where += [T.c.result == "fail", T.c.close.is_(True)]
    elif status == "far":
        where += [T.c.result == "fail", T.c.close.is_(False)]
    elif status:
        where.append(T.c.result == status)
    from .. import cache

    order = [T.c.result, T.c.close.desc(), T.c.score_max.desc(), T.c.uscc]
    key = ("program_order", as_of, program, frozenset(region_codes) if region_codes is not None else None, status)
    ids = cache.ordered_ids(conn, key, select(T.c.id).where(*where).order_by(*order), reads=READS)
    if exclude:
        def without():
            import numpy as np

            codes = sorted(exclude)
            left_out = []
            for i in range(0, len(codes), 900):
                left_out += conn.execute(select(T.c.id).where(T.c.as_of == as_of, T.c.program == program,
                                                              T.c.uscc.in_(codes[i:i + 900]))).scalars().all()
            return ids[~np.isin(ids, np.asarray(left_out, dtype=ids.dtype if len(ids) else None))]

        # the same holders (one cached set per data version) leave out the same ids on every page;
        # a frozenset keeps its hash, so a cached one is hashed once, not on every page
        exclude = exclude if isinstance(exclude, frozenset) else frozenset(exclude)
        ids = cache.per_version(conn, key + ("without", len(exclude), hash(exclude)), without, reads=READS)
    total = len(ids)
    wanted = [int(i) for i in (ids[offset:offset + limit] if limit is not None else ids[offset:])]
    cols = (T.c.id, T.c.uscc, T.c.region_code, T.c.version, T.c.result, T.c.close, T.c.score, T.c.score_min,
            T.c.score_max, T.c.next_step)
    names = [c.name for c in cols[1:]]
    found: dict[int, tuple] = {}
    for chunk in range(0, len(wanted), 5000):  # stay under the bound-parameter limits
        part = wanted[chunk:chunk + 5000]
        found.update((r[0], r[1:]) for r in conn.execute(select(*cols).where(T.c.id.in_(part))))
    rows = [dict(zip(names, found[i])) for i in wanted if i in found]
    for r in rows:
        for k in ("score", "score_min", "score_max"):
            r[k] = float(r[k]) if r[k] is not None else None
    return rows, int(total)
