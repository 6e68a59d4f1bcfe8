"""The cultivation pipeline read from stored results: who is next in line for a higher tier."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.engine import Connection

from .store import T


def _num(v):
    return float(v) if isinstance(v, Decimal) else v


def _json(v):
    return json.loads(v) if isinstance(v, str) else (v or [])


def xiaoshenggao(conn: Connection, as_of: dt.date, region_codes: set[str] | None = None) -> list[dict]:
    """小升高: enterprises that qualify as 科技型中小企业 but not (yet) as 高新技术企业 on `as_of`,
    closest first: one step away, then fewest failing conditions, fewest gaps, highest possible score."""
    tech = select(T.c.uscc).where(T.c.as_of == as_of, T.c.program == "tech_sme", T.c.result == "pass")
    q = select(T.c.uscc, T.c.region_code, T.c.result, T.c.score, T.c.score_min, T.c.score_max, T.c.close,
               T.c.gap_count, T.c.gaps, T.c.conditions).where(
        T.c.as_of == as_of, T.c.program == "hnte", T.c.result != "pass", T.c.uscc.in_(tech))
    if region_codes is not None:
        q = q.where(T.c.region_code.in_(sorted(region_codes)))
    rows = []
    for r in conn.execute(q).mappings():
        failing = sum(1 for c in _json(r["conditions"]) if c.get("result") == "fail")
        gaps = _json(r["gaps"])
        rows.append({"uscc": r["uscc"], "region_code": r["region_code"], "result": r["result"],
                     "score": _num(r["score"]), "score_min": _num(r["score_min"]),
                     "score_max": _num(r["score_max"]), "failing": failing, "close": bool(r["close"]),
                     "gap_count": r["gap_count"] or 0, "gaps": [g["text"] for g in gaps][:3]})
    rows.sort(key=lambda x: (not x["close"], x["failing"], x["gap_count"], -(x["score_max"] or 0), x["uscc"]))
    return rows
