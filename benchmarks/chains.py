"""Quality of enterprise → chain-node placement on the labelled set
(benchmarks/data/chains_labelled.csv, see its README) against an industry-code-only baseline,
both in this run, over the shipped templates.

Measures, per enterprise (one enterprise may have several labelled rows):
  chain accuracy      its set of chains placed equals the labelled set (empty = on no chain)
  node accuracy       among enterprises labelled on a node, its set of nodes equals the labelled set
  node precision / recall   over (enterprise, node) pairs
  look-alike false placement   share of look-alikes placed on any node
  plain false placement        share of ordinary enterprises (on no chain, not look-alikes) placed

Run: .venv/bin/python benchmarks/chains.py [--show N]   (prints a table; --show lists disagreements)
"""

from __future__ import annotations

import argparse
import csv
from collections import defaultdict
from pathlib import Path

LABELS = Path(__file__).parent / "data" / "chains_labelled.csv"
HOLDOUT = Path(__file__).parent / "data" / "chains_holdout.csv"  # labelled without running the engine
BLIND2 = Path(__file__).parent / "data" / "chains_blind2.csv"  # written and labelled before the next tuning round
SETS = {"labelled": LABELS, "holdout": HOLDOUT, "blind2": BLIND2}


def read_labels(path: Path = LABELS) -> tuple[dict[str, dict], dict[str, set[tuple[str, str]]], set[str]]:
    """(uscc → enterprise row, uscc → labelled (chain, node) pairs, look-alike usccs)."""
    ents: dict[str, dict] = {}
    gold: dict[str, set] = defaultdict(set)
    look: set[str] = set()
    with path.open(encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            ents.setdefault(r["uscc"], r)
            gold[r["uscc"]]
            if r["chain"]:
                gold[r["uscc"]].add((r["chain"], r["node"]))
            if r["lookalike"] == "1":
                look.add(r["uscc"])
    return ents, dict(gold), look


def code_only(chains) -> callable:
    """The baseline: every node whose GB/T 4754 classes (or groups) contain the registered class."""
    from kechuang.chains.templates import normalize_code

    def place(e: dict) -> set[tuple[str, str]]:
        c = normalize_code(e.get("industry_code") or "")
        if not c:
            return set()
        return {(ch.id, n.id) for ch in chains.values() for n in ch.nodes
                if c in n.industry_codes or c[:3] in n.industry_codes}
    return place


def engine(chains) -> callable:
    from kechuang.chains.assign import Assigner

    a = Assigner(chains)
    return lambda e: {(x.chain.id, x.node.id) for x in a.assign(e)}


def score(place, ents, gold, look) -> dict[str, float]:
    chain_ok = node_ok = node_n = tp = fp = fn = 0
    look_fp = plain_fp = plain_n = 0
    for u, e in ents.items():
        p = place(e)
        g = gold[u]
        chain_ok += {c for c, _ in p} == {c for c, _ in g}
        if g:
            node_n += 1
            node_ok += p == g
        tp += len(p & g)
        fp += len(p - g)
        fn += len(g - p)
        if u in look:
            look_fp += bool(p)
        elif not g:
            plain_n += 1
            plain_fp += bool(p)
    return {"chain accuracy": chain_ok / len(ents), "node accuracy": node_ok / max(node_n, 1),
            "node precision": tp / max(tp + fp, 1), "node recall": tp / max(tp + fn, 1),
            "look-alike false placement": look_fp / max(len(look), 1),
            "plain false placement": plain_fp / max(plain_n, 1)}


def run(path: Path = LABELS) -> dict[str, dict[str, float]]:
    from kechuang.chains.templates import load_chains

    chains = load_chains()
    ents, gold, look = read_labels(path)
    return {"baseline (code only)": score(code_only(chains), ents, gold, look),
            "kechuang.chains": score(engine(chains), ents, gold, look)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--show", type=int, default=0, help="list up to N disagreements of the engine")
    ap.add_argument("--on", choices=list(SETS), default="holdout", help="the set whose disagreements --show lists")
    args = ap.parse_args()
    for path in SETS.values():
        if not path.exists():
            continue
        res = run(path)
        ents, gold, look = read_labels(path)
        print(f"\n{path.name}: {len(ents)} enterprises, {sum(len(g) for g in gold.values())} node labels, "
              f"{len(look)} look-alikes")
        names = list(next(iter(res.values())))
        print(f"{'measure':<30}" + "".join(f"{k:>22}" for k in res))
        for m in names:
            print(f"{m:<30}" + "".join(f"{res[k][m]:>22.3f}" for k in res))
    if args.show:
        from kechuang.chains.templates import load_chains

        place = engine(load_chains())
        shown = 0
        ents, gold, look = read_labels(SETS[args.on])
        for u, e in ents.items():
            p = place(e)
            if p != gold[u] and shown < args.show:
                shown += 1
                print(f"- {e['name']} [{e['industry_code']}] {e['main_products']}\n    labelled {sorted(gold[u])}\n"
                      f"    placed   {sorted(p)}")


if __name__ == "__main__":
    main()
