"""Province size: the demo city's load at 1,000,000 enterprises, and the enterprise ledger's deep pages.

    .venv/bin/python benchmarks/province.py [--enterprises 1000000] [--baseline 20000] [--var DIR]
        [--skip-load] [--pages 20]

Load: `kechuang demo-data` at --enterprises and at --baseline (the default demo) into fresh SQLite
databases, each in a child process: wall time, CPU time, peak memory and bytes read/written by the
file system, and the large load's time per enterprise against the small one's (1.0 = it scales
linearly). With --var, the large database is kept in that folder; with --skip-load, an existing
one there is measured for paging only (its load figures: the LOAD.txt written beside it, if any).

Paging: the enterprise ledger sorted by name as the city sees it (page numbers and the seek from the
last record seen, as the list's links use them) against the first page, and the same deep pages with
the sort the list used before its index (every enterprise sorted per data version) in the same run.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

CITY = "盐城市"
SIZE = 50


def load(var: Path, n: int) -> dict[str, float]:
    """One `kechuang demo-data` in a child process, with its wall/CPU time, peak memory and I/O."""
    exe = Path(sys.executable).with_name("kechuang")
    env = dict(os.environ, KECHUANG_VAR_DIR=str(var), KECHUANG_SECRET_KEY="bench")
    env.pop("KECHUANG_DATABASE_URL", None)
    var.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([str(exe), "demo-data", "--city", CITY, "--enterprises", str(n)], env=env, check=True,
                   stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"n": n, "wall": wall, "cpu": (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
            "peak_mb": after.ru_maxrss / 1024, "read_mb": (after.ru_inblock - before.ru_inblock) * 512 / 2**20,
            "write_mb": (after.ru_oublock - before.ru_oublock) * 512 / 2**20}


def print_load(label: str, m: dict[str, float]) -> None:
    print(f"{label:>12} {m['n']:>10,} enterprises: {m['wall']:7.1f} s wall, {m['cpu']:6.1f} s CPU "
          f"({100 * m['cpu'] / m['wall']:3.0f} %), peak {m['peak_mb']:6.0f} MB, "
          f"read {m['read_mb']:7.0f} MB, written {m['write_mb']:7.0f} MB")


def timed(fn, repeat: int = 1) -> float:
    """Median milliseconds of ``repeat`` calls."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return statistics.median(out)


def paging(url: str, pages: int) -> None:
    from kechuang import db
    from kechuang.ledgers import store
    from kechuang.ledgers.kinds import get_kind

    engine = db.make_engine(url)
    kind = get_kind("enterprise")
    with engine.connect() as conn:
        regions = {r[0] for r in conn.execute(sa.text(
            "SELECT DISTINCT region_code FROM ledger_records WHERE kind = 'enterprise'"))}
        total = store.count_where(conn, kind, regions)
        last = max(total // SIZE, 1)
        rng = random.Random(7)
        deep = [rng.randrange(last // 2, last) + 1 for _ in range(pages)]

        def by_number(p):
            return store.page_records(conn, kind, regions, sort="name", offset=(p - 1) * SIZE, limit=SIZE)

        store.page_records(conn, kind, regions, limit=SIZE)  # imports and connection set-up, not timed
        t0 = time.perf_counter()
        by_number(last)  # the ordered list from the index, once per data version
        cold = (time.perf_counter() - t0) * 1000
        first = timed(lambda: by_number(1), 15)
        warm = statistics.median(timed(lambda p=p: by_number(p), 3) for p in deep)
        cursors = [by_number(p - 1)[1] for p in deep]
        seek = statistics.median(timed(lambda c=c: store.page_records(conn, kind, regions, sort="name", after=c,
                                                                      limit=SIZE), 3) for c in cursors)
        old_expr = store._field_expr(kind, "name")
        conds = store.build_where(kind, regions, None)
        old = sa.select(store.T.c.id).where(*conds).order_by(old_expr, store.T.c.id)
        old_ms = timed(lambda: conn.execute(old.offset((deep[0] - 1) * SIZE).limit(SIZE)).all(), 3)
    engine.dispose()
    print(f"\nenterprise ledger by name, {total:,} enterprises in the city's regions, {SIZE} per page, "
          f"{pages} deep pages (page {last // 2}–{last}):")
    print(f"  first page                              {first:9.1f} ms")
    print(f"  deep page by number, ordered list cold  {cold:9.1f} ms  ({cold / first:8.1f}× first)  once per data change")
    print(f"  deep page by number, ordered list warm  {warm:9.1f} ms  ({warm / first:8.1f}× first)")
    print(f"  deep page sought from the page before   {seek:9.1f} ms  ({seek / first:8.1f}× first)")
    print(f"  deep page, sort before the index        {old_ms:9.1f} ms  ({old_ms / first:8.1f}× first)  baseline")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=1_000_000)
    ap.add_argument("--baseline", type=int, default=20_000)
    ap.add_argument("--var", help="keep (or, with --skip-load, reuse) the large database in this folder")
    ap.add_argument("--skip-load", action="store_true")
    ap.add_argument("--pages", type=int, default=20)
    args = ap.parse_args()
    print(f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (timings on a shared machine vary)")
    with tempfile.TemporaryDirectory() as scratch:
        big = Path(args.var or Path(scratch) / "big")
        big.mkdir(parents=True, exist_ok=True)
        if args.skip_load:
            log = big / "LOAD.txt"
            print(log.read_text() if log.exists() else "(no LOAD.txt beside the database)")
        else:
            small = load(Path(scratch) / "small", args.baseline)
            large = load(big, args.enterprises)
            print_load("baseline", small)
            print_load("province", large)
            per = (large["wall"] / large["n"]) / (small["wall"] / small["n"])
            print(f"wall time per enterprise, province / baseline: {per:.2f}× (1.0 = linear)")
        paging(f"sqlite:///{big / 'kechuang.db'}", args.pages)


if __name__ == "__main__":
    main()
