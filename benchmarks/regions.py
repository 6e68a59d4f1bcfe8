"""Region registry benchmark: build time, lookups, free-text scanning.

Prints figures and ratios against baselines measured in the same run:
- build: registry construction vs. just reading the CSV rows (floor), budget 100 ms;
- lookup: registry.resolve() vs. a linear scan over all regions by name;
- find_in_text: the pair-indexed scanner vs. a naive scan trying every name length at every position.

    .venv/bin/python benchmarks/regions.py
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from kechuang.regions import RegionRegistry
from timing import best
from kechuang.regions.registry import DATA_DIR


def main() -> None:
    def read_rows():
        with open(DATA_DIR / "gbt2260.csv", encoding="utf-8") as fh:
            return list(csv.reader(fh))

    t_floor = best(read_rows)
    t_build = best(RegionRegistry)
    print(f"build: {t_build * 1000:.1f} ms (budget 100 ms, {100 / (t_build * 1000):.1f}x headroom); "
          f"CSV read alone {t_floor * 1000:.1f} ms, ratio {t_build / t_floor:.1f}x")

    reg = RegionRegistry()
    names = [r.name for r in reg][::7]

    def resolve_all():
        for n in names:
            reg.resolve(n)

    regions = list(reg)

    def linear_all():
        for n in names:
            [r for r in regions if r.name == n or r.short_name == n or n in r.aliases]

    t_res, t_lin = best(resolve_all, 3), best(linear_all, 1)
    print(f"lookup: {t_res / len(names) * 1e6:.1f} µs per name; linear scan "
          f"{t_lin / len(names) * 1e6:.1f} µs; speed-up {t_lin / t_res:.0f}x")

    corpus = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
    texts = [p.read_text(encoding="utf-8") for p in sorted(corpus.glob("*.txt"))] if corpus.exists() else []
    sample = "".join(texts) or "无锡市梁溪区、苏州工业园区、南京江北新区、连云港市等单位作交流发言。" * 500
    text = (sample * (1_000_000 // len(sample.encode()) + 1))[: 400_000]
    size_mb = len(text.encode()) / 1e6
    t0 = time.perf_counter()
    reg.find_in_text("预热")
    t_compile = time.perf_counter() - t0
    t_scan = best(lambda: reg.find_in_text(text), 3)

    keys = {k for k in reg._index if len(k) >= 2 and k not in reg.text_stoplist}
    maxlen = max(map(len, keys))

    def naive():
        out, i, n = [], 0, len(text)
        while i < n:
            for j in range(min(n, i + maxlen), i + 1, -1):
                if text[i:j] in keys:
                    out.append((i, j))
                    i = j - 1
                    break
            i += 1
        return out

    t_naive = best(naive, 1)
    print(f"find_in_text: {size_mb / t_scan:.2f} MB/s ({size_mb:.2f} MB in {t_scan * 1000:.0f} ms, "
          f"scanner compiled once in {t_compile * 1000:.0f} ms); naive dict scan {size_mb / t_naive:.2f} MB/s; "
          f"speed-up {t_naive / t_scan:.1f}x")


if __name__ == "__main__":
    main()
