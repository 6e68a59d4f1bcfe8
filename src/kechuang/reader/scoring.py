"""Score extracted frameworks and people against gold annotations (JSONL, `kechuang extract` contract).

Frameworks: a prediction matches a gold framework in the same document when its normalised name
is the same, or else when its quote overlaps the gold quote in the document. Matching is
one-to-one (same-name pairs first). Levels:
  found      matched at all
  name       + same normalised name
  region     + same region
  expansion  + same expansion (both empty, or character-bigram Dice >= 0.5)
  full       name + region + expansion

People: a prediction matches a gold person in the same document with the same name. Levels:
  name       matched
  titles     + at least one title in common
  region     + same region
  full       titles + region
  exact      + the same set of titles

Quantities (the default): every document set of the reference corpus beside the repository
(`../shared/corpus`: the seeds and `real/`) is extracted and scored with the official scorer
(`../shared/tools/score_extraction.py`), printing core / kind / full F1 per set.

Usage: python -m kechuang.reader.scoring [--shared DIR] [--set seeds|real] [--priors] [--show-errors]
       python -m kechuang.reader.scoring --what frameworks --gold G --pred P [--docs DIR] [--show-errors]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import unicodedata
from pathlib import Path

FRAMEWORK_LEVELS = ("found", "name", "region", "expansion", "full")
PEOPLE_LEVELS = ("name", "titles", "region", "full", "exact")


def norm_text(s: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", s or ""))


def norm_name(s: str) -> str:
    return norm_text(s).strip("“”‘’\"'").lower()


def norm_region(r: str) -> str:
    r = norm_text(r)
    return r[3:] if r.startswith("江苏省") and len(r) > 3 else r


def same_region(g: str, p: str) -> bool:
    g, p = norm_region(g), norm_region(p)
    if g == p:
        return True
    if not g or not p:
        return False
    short, long_ = (g, p) if len(g) <= len(p) else (p, g)
    return len(short) >= 2 and long_.endswith(short)


def _bigrams(s: str) -> set[str]:
    s = re.sub(r"[\s、,;:;,:()()\[\]【】“”‘’\"'=·.。和及与]", "", unicodedata.normalize("NFKC", s or ""))
    return {s[i:i + 2] for i in range(len(s) - 1)} or ({s} if s else set())


def same_expansion(g: str, p: str) -> bool:
    a, b = _bigrams(g), _bigrams(p)
    if not a or not b:
        return not a and not b
    return 2 * len(a & b) / (len(a) + len(b)) >= 0.5


def _spans(doc: str, quote: str) -> list[tuple[int, int]]:
    q = norm_text(quote)
    out = []
    if q and doc:
        i = doc.find(q)
        while i >= 0:
            out.append((i, i + len(q)))
            i = doc.find(q, i + 1)
    return out


def _overlap(sa, sb) -> int:
    return max((min(a1, b1) - max(a0, b0) for a0, a1 in sa for b0, b1 in sb), default=0)


def prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def _only_gold_docs(gold: list[dict], pred: list[dict]) -> list[dict]:
    docs = {g["doc"] for g in gold}
    out = []
    for p in pred:
        p = dict(p, doc=Path(str(p.get("doc", ""))).name)
        if p["doc"] in docs:
            out.append(p)
    return out


def match_frameworks(gold: list[dict], pred: list[dict], texts: dict[str, str] | None = None):
    """One-to-one pairs (gold, pred); same-name pairs first, then by quote overlap."""
    texts = {d: norm_text(t) for d, t in (texts or {}).items()}
    gs = [_spans(texts.get(g["doc"], ""), g.get("quote", "")) for g in gold]
    ps = [_spans(texts.get(p["doc"], ""), str(p.get("quote", ""))) for p in pred]
    used_g, used_p, pairs = set(), set(), []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if pi not in used_p and p["doc"] == g["doc"] and norm_name(p.get("name", "")) == norm_name(g["name"]):
                pairs.append((gi, pi))
                used_g.add(gi)
                used_p.add(pi)
                break
    for gi, g in enumerate(gold):
        if gi in used_g:
            continue
        best, best_ov = None, 0
        for pi, p in enumerate(pred):
            if pi in used_p or p["doc"] != g["doc"]:
                continue
            ov = _overlap(gs[gi], ps[pi])
            if ov > best_ov:
                best, best_ov = pi, ov
        if best is not None:
            pairs.append((gi, best))
            used_g.add(gi)
            used_p.add(best)
    return [(gold[gi], pred[pi]) for gi, pi in pairs]


def score_frameworks(gold: list[dict], pred: list[dict], texts: dict[str, str] | None = None) -> dict:
    pred = _only_gold_docs(gold, pred)
    pairs = match_frameworks(gold, pred, texts)
    counts = dict.fromkeys(FRAMEWORK_LEVELS, 0)
    errors = []
    for g, p in pairs:
        name = norm_name(g["name"]) == norm_name(p.get("name", ""))
        region = same_region(g.get("region", ""), str(p.get("region", "")))
        exp = same_expansion(g.get("expansion", ""), str(p.get("expansion", "")))
        counts["found"] += 1
        counts["name"] += name
        counts["region"] += name and region
        counts["expansion"] += name and exp
        counts["full"] += name and region and exp
        bad = []
        if not name:
            bad.append(f"name {p.get('name')!r}≠{g['name']!r}")
        if not region:
            bad.append(f"region {p.get('region')!r}≠{g.get('region')!r}")
        if not exp:
            bad.append(f"expansion {p.get('expansion')!r}≠{g.get('expansion')!r}")
        if bad:
            errors.append(f"{g['doc'][:12]} {g['name']} :: " + "; ".join(bad))
    return _result(counts, pairs, gold, pred, errors, lambda r: f"{r['name']} | {r.get('quote', '')}")


def score_people(gold: list[dict], pred: list[dict]) -> dict:
    pred = _only_gold_docs(gold, pred)
    used, pairs = set(), []
    for g in gold:
        for i, p in enumerate(pred):
            if i not in used and p["doc"] == g["doc"] and norm_text(p.get("name", "")) == norm_text(g["name"]):
                used.add(i)
                pairs.append((g, p))
                break
    counts = dict.fromkeys(PEOPLE_LEVELS, 0)
    errors = []
    for g, p in pairs:
        gt = {norm_text(t) for t in g.get("titles", [])}
        pt = {norm_text(t) for t in p.get("titles", []) or []}
        titles = bool(gt & pt) or (not gt and not pt)
        region = same_region(g.get("region", ""), str(p.get("region", "")))
        counts["name"] += 1
        counts["titles"] += titles
        counts["region"] += region
        counts["full"] += titles and region
        counts["exact"] += titles and region and gt == pt
        if gt != pt or not region:
            bad = []
            if gt != pt:
                bad.append(f"titles {sorted(pt)}≠{sorted(gt)}")
            if not region:
                bad.append(f"region {p.get('region')!r}≠{g.get('region')!r}")
            errors.append(f"{g['doc'][:12]} {g['name']} :: " + "; ".join(bad))
    return _result(counts, pairs, gold, pred, errors, lambda r: f"{r['name']} {r.get('titles')}")


def _result(counts, pairs, gold, pred, errors, show) -> dict:
    matched_g = {id(g) for g, _ in pairs}
    matched_p = {id(p) for _, p in pairs}
    levels = {k: dict(zip(("p", "r", "f1"), prf(v, len(pred), len(gold)))) for k, v in counts.items()}
    return {
        "gold": len(gold), "pred": len(pred), "levels": levels,
        "missed": [f"{g['doc'][:12]} {show(g)}" for g in gold if id(g) not in matched_g],
        "spurious": [f"{p['doc'][:12]} {show(p)}" for p in pred if id(p) not in matched_p],
        "wrong": errors,
    }


def load_jsonl(path: Path) -> list[dict]:
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{Path(path).name} 第 {n} 行不是合法的 JSON:{exc}") from exc
    return rows


def report(result: dict, show_errors: bool = False) -> str:
    lines = [f"gold {result['gold']}  predicted {result['pred']}"]
    for k, v in result["levels"].items():
        lines.append(f"{k:9s} P={v['p']:.3f} R={v['r']:.3f} F1={v['f1']:.3f}")
    if show_errors:
        for title in ("missed", "spurious", "wrong"):
            lines.append(f"\n{title}:")
            lines.extend("  " + e for e in result[title])
    lines.append("  ".join(f"{k} F1={v['f1']:.3f}" for k, v in result["levels"].items()))
    return "\n".join(lines)


# the reference corpus: (set name, folder of documents, gold file relative to the folder)
QUANTITY_SETS = (("seeds", "corpus", "gold/quantities.jsonl"), ("real", "corpus/real", "gold/quantities.jsonl"))
_SUMMARY = re.compile(r"core F1=([\d.]+) kind F1=([\d.]+) full F1=([\d.]+)")


def default_shared() -> Path:
    """`../shared` beside the repository (or $KECHUANG_SHARED)."""
    import os

    env = os.environ.get("KECHUANG_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[4] / "shared"


def source_priors(folder: Path) -> dict:
    """What an uploader would know of each document of a set: its place and publication date,
    from the set's SOURCES.md table ("| file | type | place | published |"); {} without one."""
    import datetime as dt

    from kechuang.regions import registry

    from .frame import Priors

    path = folder / "SOURCES.md"
    if not path.exists():
        return {}
    reg = registry()
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 4 or not cells[0].endswith(".txt"):
            continue
        place = re.sub(r"\(.*?\)", "", cells[2]).split()
        region = ""
        for token in reversed(place):
            if token == "全国":
                region = token
                break
            r = reg.resolve(token)
            if r is not None:
                region = r.code
                break
        m = re.match(r"((?:19|20)\d\d)-(\d\d)(?:-(\d\d))?", cells[3])
        published = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)) if m else None
        out[cells[0]] = Priors(region=region, published=published)
    return out


def score_quantity_set(shared: Path, name: str, show_errors: bool = False,
                       priors: bool = False) -> tuple[dict[str, float], str]:
    """Extract one set of the reference corpus and score it with the official scorer:
    ({"core": f1, "kind": f1, "full": f1}, the scorer's output). With ``priors`` each document
    is read with what an uploader knows of it (SOURCES.md), as `kechuang ingest --region
    --published` does; without, from its text alone, as `kechuang extract` does."""
    import subprocess
    import tempfile

    from .extract import extract, rows
    from .load import load_bytes

    _name, folder, gold = next(s for s in QUANTITY_SETS if s[0] == name)
    docs, gold_path, scorer = shared / folder, shared / folder / gold, shared / "tools" / "score_extraction.py"
    with tempfile.TemporaryDirectory() as tmp:
        pred = Path(tmp) / "pred.jsonl"
        with pred.open("w", encoding="utf-8") as fh:
            known = source_priors(docs) if priors else {}
            for path in sorted(docs.glob("*.txt")):
                ex = extract(load_bytes(path.read_bytes(), path.name), ("quantities",), priors=known.get(path.name))
                for row in rows(ex, "quantities"):
                    fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        cmd = [sys.executable, str(scorer), "--gold", str(gold_path), "--pred", str(pred), "--docs", str(docs)]
        out = subprocess.run(cmd + (["--show-errors"] if show_errors else []),
                             capture_output=True, text=True, check=True).stdout
    m = _SUMMARY.search(out.splitlines()[-1])
    return dict(zip(("core", "kind", "full"), map(float, m.groups()))), out


def _score_sets(args) -> int:
    shared = args.shared or default_shared()
    if not (shared / "tools" / "score_extraction.py").exists():
        raise SystemExit(f"找不到参考语料与评分脚本:{shared}")
    for name, _folder, _gold in QUANTITY_SETS:
        if args.set and name != args.set:
            continue
        f1, out = score_quantity_set(shared, name, args.show_errors, args.priors)
        if args.show_errors:
            print(out)
        how = "with priors" if args.priors else "text only"
        print(f"{name:6s} core F1={f1['core']:.3f} kind F1={f1['kind']:.3f} full F1={f1['full']:.3f}  ({how})")
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--what", choices=("quantities", "frameworks", "people"), default="quantities")
    ap.add_argument("--gold", type=Path)
    ap.add_argument("--pred", type=Path)
    ap.add_argument("--docs", type=Path, help="folder holding the documents (default: the gold file's parent)")
    ap.add_argument("--shared", type=Path, help="the reference corpus folder (default: ../shared)")
    ap.add_argument("--set", choices=[s[0] for s in QUANTITY_SETS], help="only this set (quantities)")
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--priors", action="store_true",
                    help="read each document with its place and date from the set's SOURCES.md (quantities)")
    args = ap.parse_args(argv)
    if args.what == "quantities":
        return _score_sets(args)
    if not args.gold or not args.pred:
        ap.error("--gold and --pred are required for frameworks and people")
    gold, pred = load_jsonl(args.gold), load_jsonl(args.pred)
    if args.what == "people":
        result = score_people(gold, pred)
    else:
        folders = [args.docs] if args.docs else [args.gold.parent, args.gold.parent.parent]
        texts = {}
        for d in {g["doc"] for g in gold}:
            for folder in folders:
                if (folder / d).exists():
                    texts[d] = (folder / d).read_text(encoding="utf-8")
                    break
        result = score_frameworks(gold, pred, texts)
    print(report(result, args.show_errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
