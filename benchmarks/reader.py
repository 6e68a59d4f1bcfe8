"""Reader speed: characters per second over the corpus repeated to >= 5 MB, for

  (a) reading and normalising the text (decode + normalise: the baseline, same run),
  (b) quantities: what `kechuang extract --format jsonl` does by default (document year,
      people, sections and regions, quantities, contract rows as JSON lines),
  (c) frameworks and people,
  (d) all three together,

each as wall-clock and CPU (time.process_time) rates, with its cost relative to (a).
The CPU figure does not depend on other processes sharing the machine.

Budget (docs/contracts.md §10): >= 1,000,000 characters per second per core for extraction;
goal for (b): >= 2,000,000 characters per CPU-second.
Documents: ../shared/corpus/*.txt beside the repository, else the held-out documents
in tests/reader/heldout*/.
Run: .venv/bin/python benchmarks/reader.py [--mb 5]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from kechuang.reader.extract import extract, rows
from kechuang.reader.load import LoadedDocument, decode_bytes, normalize

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
HELDOUT = ROOT / "tests" / "reader"
BUDGET = 1_000_000
GOAL = 2_000_000

MODES = {
    "quantities": ("quantities",),
    "frameworks+people": ("frameworks", "people"),
    "all": ("quantities", "frameworks", "people"),
}


def sources() -> tuple[str, list[bytes]]:
    files = sorted(CORPUS.glob("*.txt")) if CORPUS.exists() else []
    where = "../shared/corpus"
    if not files:
        files = sorted(HELDOUT.glob("heldout*/*.txt"))
        where = "tests/reader/heldout*"
    if not files:
        raise SystemExit("no documents: neither ../shared/corpus nor tests/reader/heldout*/ has .txt files")
    return where, [f.read_bytes() for f in files]


def timed(fn) -> tuple[float, float]:
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def run_mode(texts: list[str], what: tuple[str, ...]) -> int:
    """Extract and serialise like the CLI does; returns the number of rows."""
    n = 0
    for i, text in enumerate(texts):
        ex = extract(LoadedDocument(filename=f"{i}.txt", text=text, checksum=""), what)
        for w in what:
            for row in rows(ex, w):
                json.dumps(row, ensure_ascii=False)
                n += 1
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=5.0)
    args = ap.parse_args()
    where, docs = sources()
    target = int(args.mb * 1_000_000)
    # repeat each document as a whole (sections and years stay document-local)
    sizes = [len(normalize(decode_bytes(b)[0])) for b in docs]
    raw, total = [], 0
    while total < target:
        for b, size in zip(docs, sizes):
            raw.append(b)
            total += size

    normalised: list[str] = []
    wall_a, cpu_a = timed(lambda: normalised.extend(normalize(decode_bytes(b)[0]) for b in raw))
    chars = sum(len(t) for t in normalised)

    results = {}
    for name, what in MODES.items():
        run_mode(normalised[:1], what)  # load grammar, vocabularies and the region registry first
        count = []
        wall, cpu = timed(lambda: count.append(run_mode(normalised, what)))
        results[name] = (wall, cpu, count[0])

    print(f"documents {len(raw)} from {where} ({len(docs)} distinct)  characters {chars:,}")
    print(f"{'':22}{'wall chars/s':>14}{'CPU chars/s':>14}{'x(a) wall':>11}{'x(a) CPU':>10}{'rows':>9}")
    print(f"{'(a) read+normalise':20}{chars / wall_a:>14,.0f}{chars / cpu_a:>14,.0f}{1:>11.1f}{1:>10.1f}")
    for label, name in (("(b) quantities", "quantities"), ("(c) frameworks+people", "frameworks+people"),
                        ("(d) all", "all")):
        wall, cpu, n = results[name]
        print(f"{label:22}{chars / wall:>14,.0f}{chars / cpu:>14,.0f}{wall / wall_a:>11.1f}{cpu / cpu_a:>10.1f}{n:>9,}")
    cpu_rate = chars / results["quantities"][1]
    verdict = "OK" if cpu_rate >= GOAL else "OK for the budget, below the goal" if cpu_rate >= BUDGET else "BELOW BUDGET"
    print(f"budget {BUDGET:,} chars/s per core, goal {GOAL:,} chars/CPU-s for (b): "
          f"{cpu_rate:,.0f} -> {verdict}")


if __name__ == "__main__":
    main()
