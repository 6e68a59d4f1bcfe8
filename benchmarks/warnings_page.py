"""The warnings page on a large city: what it needs (counts per rule and the first page of warnings)
against making every warning an object first (what the page did before), in the same process, the
ledger frames already loaded as a warmed-up server holds them. Seconds of wall and CPU time, best of
--repeat runs; the day's expiring certificates are worked out afresh in every run of both.

    .venv/bin/python benchmarks/warnings_page.py --var var/bench-200k [--enterprises 200000]
    .venv/bin/python benchmarks/warnings_page.py --database-url sqlite:////data/db1m/kechuang.db --scratch /tmp/w
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from timing import add_database_options, database_url

SHOWN = 200


def main() -> None:
    ap = argparse.ArgumentParser()
    add_database_options(ap)
    ap.add_argument("--scratch", help="where the decoded ledger frames are kept (default: beside the database)")
    ap.add_argument("--region", default="320900", help="the scope: a region code and everything under it")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    if args.scratch:
        os.environ["KECHUANG_CACHE_DIR"] = str(Path(args.scratch) / "cache")
    with database_url(args) as url:
        run(args, url)


def run(args, url: str) -> None:
    from kechuang import cache, db
    from kechuang.ledgers.frames import NAME_FIELDS, certificates, whole_frame
    from kechuang.regions import registry
    from kechuang.warnings import gather, rules

    engine = db.engine_for(url)
    codes = registry().subtree_codes(args.region)
    with engine.connect() as conn:  # loaded once, as a warmed-up server holds them
        certificates(conn)
        whole_frame(engine, "enterprise", NAME_FIELDS)

    def page():  # the page now: counts, then objects for the rows shown
        found = gather(session, codes)
        return found.counts(), found[:SHOWN]

    def every():  # before: every warning an object, counted by walking them
        found = list(gather(session, codes))
        counts = {rid: 0 for rid in rules()}
        for w in found:
            counts[w.rule] += 1
        return counts, found[:SHOWN]

    results = {}
    with db.session_scope(engine) as session:
        for label, fn in (("every warning made", every), ("counts + one page", page)):
            best = (float("inf"), float("inf"))
            for _ in range(args.repeat):
                cache.bump()
                with cache._lists_lock:  # the day's expiring certificates: worked out in every run
                    cache._lists.clear()
                t, c = time.perf_counter(), time.process_time()
                out = fn()
                best = min(best, (time.perf_counter() - t, time.process_time() - c))
            results[label] = (best, out)
    (base, (counts, first)), (new, (counts2, first2)) = results.values()
    assert counts == {rid: counts2.get(rid, 0) for rid in rules()} and first == first2, "outputs differ"
    print(f"{url.split('@')[-1]}, scope {args.region}: {sum(counts.values()):,} warnings "
          f"({', '.join(f'{k} {v:,}' for k, v in counts.items() if v)})")
    print(f"every warning made: {base[0]:.2f} s wall, {base[1]:.2f} s CPU")
    print(f"counts + one page:  {new[0]:.2f} s wall, {new[1]:.2f} s CPU → {base[0] / new[0]:.1f}× less wall, "
          f"{base[1] / max(new[1], 1e-9):.1f}× less CPU (same counts and first {SHOWN} warnings)")


if __name__ == "__main__":
    main()
