"""First view of a chain page on the synthetic 盐城市 (20,000 enterprises by default), each against
its baseline in the same run:

  nothing stored   every enterprise placed on the chains anew (what the first view did before the
                   placements were stored; the placements are then stored)
  stored           a fresh process's first view after a data change: the stored placements read
                   back (kechuang.chains.store), the ledgers from their Parquet frames
  kept             a fresh process's first view when the chain's placements are kept on disk for the
                   current data (demo-setup; any earlier view); the server's start-up thread reads
                   them back, so the first request is then a warm one
  warm             the same view again from the in-process cache

Builds the demo with `kechuang demo-setup` unless --var points at a folder that already holds
kechuang.db (or --db names a database).

    .venv/bin/python benchmarks/chains_page.py [--enterprises 20000] [--var DIR | --db URL] [--chain nev]
"""

from __future__ import annotations

import argparse
import datetime as dt

from timing import best, demo_var


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--var")
    ap.add_argument("--db")
    ap.add_argument("--chain", default="nev")
    args = ap.parse_args()
    if args.db:
        return run(args.db, args.chain)
    with demo_var(args.var, args.enterprises) as var:
        run(f"sqlite:///{var / 'kechuang.db'}", args.chain)


def run(url: str, chain_id: str) -> None:
    import shutil

    import sqlalchemy as sa

    from kechuang import cache, db
    from kechuang.chains import get_chain
    from kechuang.chains.status import cached_chain_placements, cached_view
    from kechuang.chains.store import ChainPlacement, _kept_at
    from kechuang.regions import lookup

    engine = db.engine_for(url)
    city = lookup("盐城市").code
    chain = get_chain(chain_id)
    day = dt.date.today()
    T = ChainPlacement.__table__
    folder = _kept_at(engine)[0]
    with engine.connect() as c:
        n = c.execute(sa.text("SELECT COUNT(*) FROM ledger_records WHERE kind = 'enterprise'")).scalar()
    print(f"{n:,} enterprises, chain {chain.name}, region {city}")

    def first_view(drop_kept: bool = False, drop_stored: bool = False):
        if drop_stored:
            with engine.begin() as c:
                c.execute(T.delete())
        if drop_kept:
            shutil.rmtree(folder, ignore_errors=True)
        cache.bump()  # a fresh process: nothing in the in-process cache
        return cached_view(engine, city, chain, day)

    cold = best(repeat=1, fn=lambda: first_view(drop_kept=True, drop_stored=True))
    stored = best(repeat=3, fn=lambda: first_view(drop_kept=True))
    first_view(drop_kept=True)
    kept = best(repeat=3, fn=first_view)
    cache.bump()
    cached_chain_placements(engine, city, chain, day)  # what a server's start-up warm thread reads back
    warm = best(repeat=5, fn=lambda: cached_view(engine, city, chain, day))
    print(f"first view: nothing stored {cold:.2f} s (before); placements stored {stored:.2f} s; "
          f"chain view kept on disk {kept:.3f} s; warm {warm:.4f} s")
    print(f"kept vs nothing stored: {cold / kept:.0f}× faster, stored vs nothing stored: {cold / stored:.1f}×; "
          f"after a server's start-up warm (chains.status.warm) the first view is a warm one")


if __name__ == "__main__":
    main()
