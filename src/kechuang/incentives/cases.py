"""Test cases as data beside each policy (``data/<policy>.cases.yaml``), derived by hand from the
policy text: small ledgers in, expected award lines out (status, amount, payers, payout year).

A case gives ``year``, ``region`` (optional), ``enterprises`` (credit code → enterprise facts),
``certifications``, ``finance`` (finance ledger rows), ``paid`` (earlier payouts) and ``expect``:
lines matched by ``uscc`` and ``item`` (``policy`` defaults to the file's policy), or ``absent``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import polars as pl
import yaml

from .engine import Award, compute, text
from .model import CASES_SUFFIX, DATA

ENT = {"uscc": pl.String, "name": pl.String, "region_code": pl.String, "above_scale": pl.Boolean,
       "listed": pl.Boolean, "registered_on": pl.Date, "industry_code": pl.String}
CERT = {"uscc": pl.String, "cert_type": pl.String, "level": pl.String, "issued_on": pl.Date,
        "expires_on": pl.Date, "year": pl.Int64}
FIN = {"uscc": pl.String, "year": pl.Int64, "revenue": pl.Float64, "rd_expense": pl.Float64,
       "dishonest_list": pl.Boolean}


def _frame(rows: list[dict], schema: dict) -> pl.DataFrame:
    out = []
    for r in rows:
        row = {k: r.get(k) for k in schema}
        for k, t in schema.items():
            if t == pl.Date and isinstance(row[k], str):
                row[k] = dt.date.fromisoformat(row[k])
        out.append(row)
    return pl.DataFrame(out, schema=schema)


def frames_of(case: dict) -> dict[str, pl.DataFrame]:
    ents = [{"uscc": k, **(v or {})} for k, v in (case.get("enterprises") or {}).items()]
    certs = [dict(c, level=c.get("level", "national")) for c in case.get("certifications") or []]
    return {"enterprise": _frame(ents, ENT), "certification": _frame(certs, CERT),
            "enterprise_year": _frame(case.get("finance") or [], FIN)}


def run_case(case: dict, default_policy: str) -> list[str]:
    """Problems of one case (empty when every expectation holds)."""
    lines = compute(frames_of(case), int(case["year"]), case.get("region"), None, case.get("paid") or [])
    problems = []

    def find(e) -> list[Award]:
        pol = str(e.get("policy", default_policy))
        return [a for a in lines if a.uscc == str(e["uscc"]) and a.item == str(e["item"])
                and pol in (a.policy, a.policy_key)]

    for e in case.get("expect") or []:
        found = find(e)
        label = f"{e['uscc']} {e.get('policy', default_policy)}/{e['item']}"
        if len(found) != 1:
            problems.append(f"{label}: 应有 1 行，实际 {len(found)} 行")
            continue
        a = found[0]
        js = a.as_json()
        for key in ("status", "ceiling", "payout_year", "superseded_by"):
            if key in e and getattr(a, key) != e[key]:
                problems.append(f"{label}: {key} 应为 {e[key]!r}，实际 {getattr(a, key)!r}（{a.reason}）")
        if "amount" in e and Decimal(str(e["amount"])) != a.amount:
            problems.append(f"{label}: amount 应为 {e['amount']}，实际 {js['amount']}（{a.reason}）")
        if "payers" in e:
            got = {p["level"]: p["amount"] for p in js["payers"]}
            want = {k: text(Decimal(str(v))) for k, v in e["payers"].items()}
            if got != want:
                problems.append(f"{label}: payers 应为 {want}，实际 {got}")
        if "payer_regions" in e:
            got = {p["level"]: p["region_code"] for p in js["payers"]}
            if got != {k: str(v) for k, v in e["payer_regions"].items()}:
                problems.append(f"{label}: 出资地区应为 {e['payer_regions']}，实际 {got}")
        if "reason_has" in e and str(e["reason_has"]) not in a.reason:
            problems.append(f"{label}: reason 应含“{e['reason_has']}”，实际“{a.reason}”")
    for e in case.get("absent") or []:
        if find(e):
            problems.append(f"{e['uscc']} {e.get('policy', default_policy)}/{e['item']}: 不应出现")
    return problems


def case_files(folder: Path = DATA) -> list[Path]:
    return sorted(folder.glob(f"*{CASES_SUFFIX}"))


def load_cases(path: Path) -> tuple[str, list[dict]]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return str(raw["policy"]), list(raw["cases"])
