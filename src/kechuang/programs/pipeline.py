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
from .store import T, unpack, visible


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


def xiaoshenggao(conn: Connection, as_of: dt.date, region_codes: set[str] | None = None) -> list[dict]:
    """小升高: enterprises that qualify as 科技型中小企业 but not (yet) as 高新技术企业 on `as_of` and
    hold no valid 高企 certificate, closest first: one step away, then fewest failing conditions,
    fewest gaps, highest possible score."""
    held = holders(conn, "hnte", as_of, region_codes)
    return [r for r in xiaoshenggao_candidates(conn, as_of, region_codes) if r["uscc"] not in held]


def xiaoshenggao_candidates(conn: Connection, as_of: dt.date, region_codes: set[str] | None = None) -> list[dict]:
    """`xiaoshenggao` before the holders of a valid 高企 certificate are left out: it reads stored
    results only, so a view can keep it while certificates change."""
    shown = visible(conn, as_of)
    tech = select(T.c.uscc).where(shown, T.c.program == "tech_sme", T.c.result == "pass")
    q = select(T.c.uscc, T.c.region_code, T.c.result, T.c.score, T.c.score_min, T.c.score_max, T.c.close,
               T.c.gap_count, T.c.detail).where(shown, T.c.program == "hnte", T.c.result != "pass",
                                                T.c.uscc.in_(tech))
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    rows = []
    for r in conn.execute(q).mappings():
        detail = unpack(r["detail"], conn)
        failing = sum(1 for c in detail["conditions"] if c.get("result") == "fail")
        rows.append({"uscc": r["uscc"], "region_code": r["region_code"], "result": r["result"],
                     "score": _num(r["score"]), "score_min": _num(r["score_min"]),
                     "score_max": _num(r["score_max"]), "failing": failing, "close": bool(r["close"]),
                     "gap_count": r["gap_count"] or 0, "gaps": [g["text"] for g in detail["gaps"]][:3]})
    rows.sort(key=lambda x: (not x["close"], x["failing"], x["gap_count"], -(x["score_max"] or 0), x["uscc"]))
    return rows
