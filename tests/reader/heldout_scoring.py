"""Scoring of our own held-out document sets, without ../shared.

A small matcher: same document, same quantity (converted by the unit registry), overlapping
quote. It mirrors the outside scorer's levels: core (value + unit + place), kind
(+ target/achievement) and full (+ region + year of the period).
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from kechuang import units
from kechuang.reader.extract import extract, rows
from kechuang.reader.load import load_file

def _canon(value, unit):
    """(what is measured, value in its base unit) from the unit registry; an unknown unit stands for itself."""
    try:
        dim, v = units.quantity_key(value, unit)
    except (units.UnitError, ArithmeticError, ValueError):
        return unit, float(value)
    return dim, float(v)


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s))


def _span(doc: str, quote: str) -> tuple[int, int]:
    i = doc.find(_norm(quote))
    return (i, i + len(_norm(quote))) if i >= 0 else (-1, -1)


def _year(s: str) -> str:
    m = re.search(r"(19|20)\d\d", s or "")
    return m.group(0) if m else _norm(s or "")


def _same_region(g: str, p: str) -> bool:
    g, p = _norm(g).removeprefix("江苏省"), _norm(p).removeprefix("江苏省")
    if g == p:
        return True
    short, long_ = sorted((g, p), key=len)
    return len(short) >= 2 and long_.endswith(short)


def score(gold: list[dict], pred: list[dict], texts: dict[str, str]) -> dict[str, float]:
    used: set[int] = set()
    pairs = []
    for g in gold:
        gs, gq = _span(texts[g["doc"]], g["quote"]), _canon(g["value"], g["unit"])
        best, best_ov = None, 0
        for i, p in enumerate(pred):
            if i in used or p["doc"] != g["doc"]:
                continue
            pq = _canon(p["value"], p["unit"])
            if pq[0] != gq[0] or abs(pq[1] - gq[1]) > 1e-6 * max(1.0, abs(gq[1])):
                continue
            ps = _span(texts[p["doc"]], p["quote"])
            ov = min(gs[1], ps[1]) - max(gs[0], ps[0])
            if ov > best_ov:
                best, best_ov = i, ov
        if best is not None:
            used.add(best)
            pairs.append((g, pred[best]))

    def f1(tp: int) -> float:
        return 2 * tp / (len(gold) + len(pred)) if gold or pred else 0.0

    kind = [(g, p) for g, p in pairs if g["kind"] == p["kind"]]
    full = [(g, p) for g, p in kind if _same_region(g["region"], p["region"]) and _year(g["period"]) == _year(p["period"])]
    return {"core": f1(len(pairs)), "kind": f1(len(kind)), "full": f1(len(full))}


def load_set(folder: Path) -> tuple[list[dict], list[dict], dict[str, str]]:
    """(gold, predictions, normalised texts) for a folder of .txt documents with gold.jsonl."""
    gold = [json.loads(x) for x in (folder / "gold.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    pred, texts = [], {}
    for path in sorted(folder.glob("*.txt")):
        texts[path.name] = _norm(path.read_text(encoding="utf-8"))
        pred.extend(rows(extract(load_file(path), ("quantities",)), "quantities"))
    return gold, pred, texts
