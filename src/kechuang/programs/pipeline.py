"""The cultivation pipeline read from stored results and the certification ledger: which titles
an enterprise holds, and who is next in line for a higher tier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import polars as pl
from sqlalchemy import select
from sqlalchemy.engine import Connection

from ..ledgers.frames import certificates
from ..ledgers.validity import last_day_expr, valid_on_expr
from .catalog import CERT_TYPES
from .store import T, fail_count, reasons_of, visible


def _num(v):
    return float(v) if isinstance(v, Decimal) else v


def held_titles(cert: pl.DataFrame, as_of: dt.date) -> dict[str, dict]:
    """Program id → the valid certificate (latest issued) of one enterprise's certification records
    on ``as_of`` (the one validity rule, ``ledgers.validity``)."""
    if cert is None or cert.height == 0:
        return {}
    by_type = {t: pid for pid, t in CERT_TYPES.items()}
    valid = (cert.with_columns(pl.col("cert_type").cast(pl.String), last_day_expr().alias("_last"))
             .filter(valid_on_expr(as_of) & pl.col("cert_type").is_in(list(by_type)))
             .sort("issued_on", descending=True))
    out: dict[str, dict] = {}
    for r in valid.iter_rows(named=True):
        out.setdefault(by_type[r["cert_type"]], {"issued_on": r["issued_on"], "last_day": r["_last"],
                                                 "cert_no": r.get("cert_no"), "level": r.get("level")})
    return out


def holders(conn: Connection, program: str, as_of: dt.date, region_codes: set[str] | None = None) -> set[str]:
    """Credit codes holding a valid certificate of ``program`` on ``as_of``."""
    ctype = CERT_TYPES.get(program)
    if ctype is None:
        return set()
    cert = certificates(conn, region_codes)
    if cert.height == 0:
        return set()
    hit = cert.filter((pl.col("cert_type").cast(pl.String) == ctype) & valid_on_expr(as_of))
    return set(hit["uscc"].to_list())


def valid_holders(conn: Connection, program: str, as_of: dt.date) -> frozenset[str]:
    """`holders` of every region, kept per version of the certificates: a program's list leaves out
    the results of all of them, as /programs counts them apart."""
    from .. import cache
    from ..db import ledger_sources

    return cache.per_version(conn, ("valid_holders", program, as_of),
                             lambda: frozenset(holders(conn, program, as_of)), reads=ledger_sources(["certification"]))


def holders_by_program(conn: Connection, as_of: dt.date, region_codes: set[str] | None = None
                       ) -> dict[str, set[str]]:
    """Per program that confers a certificate: credit codes holding a valid one on ``as_of``."""
    cert = certificates(conn, region_codes)
    if cert.height == 0:
        return {}
    valid = cert.with_columns(pl.col("cert_type").cast(pl.String)).filter(valid_on_expr(as_of))
    by_type = {t: pid for pid, t in CERT_TYPES.items()}
    out: dict[str, set[str]] = {}
    for t, u in zip(valid["cert_type"].to_list(), valid["uscc"].to_list()):
        if t in by_type:
            out.setdefault(by_type[t], set()).add(u)
    return out


def program_counts(conn: Connection, as_of: dt.date, region_codes: set[str] | None = None) -> pl.DataFrame:
    """`store.counts` of the results shown at ``as_of`` within ``region_codes`` (None: all), holders
    of a valid certificate counted apart: worked out for every region once per version of the results
    and certificates (a server's warm-up does it), and each scope's rows taken from that."""
    from .. import cache
    from ..db import ledger_sources
    from .store import READS, counts

    every = cache.per_version(conn, ("program_counts", as_of), lambda: counts(
        conn, as_of, None, holders_by_program(conn, as_of)), reads=READS + ledger_sources(["certification"]))
    return every if region_codes is None else every.filter(pl.col("region_code").is_in(sorted(region_codes)))


def ranked_candidates(conn: Connection, as_of: dt.date, region_codes: set[str] | None = None) -> pl.DataFrame:
    """`xiaoshenggao_candidates` within ``region_codes`` (None: all), taken from those of every
    region, worked out once per version of the results (a server's warm-up does it)."""
    from .. import cache
    from .store import READS

    every = cache.per_version(conn, ("xiaoshenggao_candidates", as_of),
                              lambda: xiaoshenggao_candidates(conn, as_of), reads=READS)
    return every if region_codes is None else every.filter(pl.col("region_code").is_in(sorted(region_codes)))


WARM_LISTS = ("tech_sme", "hnte")  # the lists a server's warm-up orders: the two most offices work by


def warm(engine) -> None:
    """The counts and 小升高 candidates of every region at the latest date results were stored, and
    the candidate lists of `WARM_LISTS` (each scope's is then a mask over them)."""
    from .store import latest_as_of, listed_ids

    with engine.connect() as conn:
        day = latest_as_of(conn)
        if day is not None:
            program_counts(conn, day)
        hnte = latest_as_of(conn, "hnte")
        if hnte is not None:
            ranked_candidates(conn, hnte)
        for program in WARM_LISTS:
            day = latest_as_of(conn, program)
            if day is not None:
                listed_ids(conn, day, program, exclude=valid_holders(conn, program, day))


def xiaoshenggao(conn: Connection, as_of: dt.date, region_codes: set[str] | None = None) -> list[dict]:
    """小升高: enterprises that qualify as 科技型中小企业 but not (yet) as 高新技术企业 on `as_of` and
    hold no valid 高企 certificate, closest first: one step away, then fewest failing conditions,
    fewest gaps, highest possible score; each with its first three gaps."""
    held = holders(conn, "hnte", as_of, region_codes)
    ranked = xiaoshenggao_candidates(conn, as_of, region_codes)
    return with_gaps(conn, ranked.filter(~pl.col("uscc").is_in(sorted(held))).to_dicts())


RANKED = {"id": pl.Int64, "uscc": pl.String, "region_code": pl.String, "result": pl.String, "score": pl.Float64,
          "score_min": pl.Float64, "score_max": pl.Float64, "close": pl.Boolean, "gap_count": pl.Int64,
          "failing": pl.Int64}


def xiaoshenggao_candidates(conn: Connection, as_of: dt.date, region_codes: set[str] | None = None
                            ) -> pl.DataFrame:
    """`xiaoshenggao` before the holders of a valid 高企 certificate are left out, ranked, without
    reasons (``with_gaps`` adds them to the rows shown): it reads stored results only, so a view can
    keep it while certificates change. A province has 100,000s of candidates: they are ranked
    by stored columns, and reasons are decoded only for rows saved before ``fail_count`` was."""
    shown = visible(conn, as_of)
    tech = select(T.c.uscc).where(shown, T.c.program == "tech_sme", T.c.result == "pass")
    q = select(*(T.c[k] for k in RANKED if k != "failing"), T.c.fail_count).where(
        shown, T.c.program == "hnte", T.c.result != "pass", T.c.uscc.in_(tech))
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    rows = conn.execute(q).all()
    cols = list(zip(*rows)) if rows else [()] * (len(RANKED) + 1)
    counted = dict(zip(cols[0], cols[-1]))
    unknown = [i for i, n in counted.items() if n is None]
    counted.update((i, fail_count(reasons)) for i, reasons in reasons_of(conn, unknown))
    data = {k: [_num(v) for v in col] for k, col in zip(RANKED, cols[:-1])}
    data["close"] = [bool(v) for v in data["close"]]
    data["failing"] = [counted[i] for i in cols[0]]
    frame = pl.DataFrame(data, schema=RANKED)
    return (frame.with_columns(pl.col("gap_count").fill_null(0), pl.col("score_max").fill_null(0).alias("_top"))
            .sort(["close", "failing", "gap_count", "_top", "uscc"], descending=[True, False, False, True, False])
            .drop("_top"))


def with_gaps(conn: Connection, rows: list[dict], first: int = 3) -> list[dict]:
    """``rows`` (with their stored ``id``) each given ``gaps``: the text of its first ``first`` gaps,
    decoded from its stored reasons."""
    decoded = reasons_of(conn, [r["id"] for r in rows])
    gaps = {i: [g["text"] for g in reasons["gaps"]][:first] for i, reasons in decoded}
    return [dict(r, gaps=gaps.get(r["id"], [])) for r in rows]
