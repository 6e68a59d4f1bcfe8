"""What keeps dashboards and deep pages fast, each against its own baseline in the same run:

  (a) ledger frames behind the targets dashboards: read back from the Parquet file kept per
      ledger version vs decoding every JSON record from the database (what each worker did at
      start and after every change);
  (b) program-result counts for 企业培育: with the covering index vs the same query told not to
      use it (SQLite's NOT INDEXED);
  (c) page 1,000 of the enterprise ledger sorted by name: a slice of the ordered id list
      (read once per data version) vs SQL OFFSET over the JSON field.

Builds the synthetic 盐城市 with `kechuang demo-setup` (20,000 enterprises by default) unless
--var points at a folder that already holds kechuang.db.

    .venv/bin/python benchmarks/dashboards.py [--enterprises 20000] [--var DIR]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from timing import best, demo_var


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--var")
    args = ap.parse_args()
    with demo_var(args.var, args.enterprises) as var:
        run(var)


def run(var: Path) -> None:
    import sqlalchemy as sa

    from kechuang import db
    from kechuang.ledgers import load_frame, store
    from kechuang.programs import store as pstore
    from kechuang.targets import metrics as tm

    engine = db.engine_for(f"sqlite:///{var / 'kechuang.db'}")
    kinds = sorted({m.kind for m in tm.load_metrics().values() if m.kind} | {"enterprise"})
    with engine.connect() as c:
        records = c.execute(sa.text("SELECT COUNT(*) FROM ledger_records")).scalar()
        results = c.execute(sa.text("SELECT COUNT(*) FROM program_results")).scalar()
    print(f"ledger records {records:,}, program results {results:,}")

    # (a) frames: decode vs Parquet file (first warm fills the files)
    decode = best(repeat=1, fn=lambda: [load_frame(engine, k) for k in kinds])

    def from_files():
        with tm._FRAMES_LOCK:
            tm._FRAMES.clear()
        tm.warm(engine)

    from_files()
    cached = best(repeat=3, fn=from_files)
    print(f"(a) ledger frames, {len(kinds)} kinds: decode {decode:.2f} s, Parquet {cached:.2f} s "
          f"→ {decode / cached:.1f}×")

    # (b) counts with / without the covering index
    with engine.connect() as c:
        day = pstore.latest_as_of(c)
        sql = ("SELECT program, region_code, result, close, COUNT(*) FROM program_results {hint} "
               "WHERE as_of = :d GROUP BY program, region_code, result, close")
        plain = best(repeat=1, fn=lambda: c.execute(sa.text(sql.format(hint="NOT INDEXED")), {"d": day}).all())
        indexed = best(repeat=3, fn=lambda: pstore.counts(c, day))
    print(f"(b) 企业培育 counts: table scan {plain:.2f} s, covering index {indexed:.3f} s → {plain / indexed:.1f}×")

    # (c) deep page by a JSON field
    with engine.connect() as c:
        kind = store._kind("enterprise")
        offset = 999 * 50
        expr = store._field_expr(kind, "name")
        q = (sa.select(store.T.c.id).where(store.T.c.kind == "enterprise")
             .order_by(expr, store.T.c.id).offset(offset).limit(50))
        sql_offset = best(repeat=3, fn=lambda: c.execute(q).all())
        store.page_records(c, kind, None, sort="name", offset=offset, limit=50)  # reads the id list once
        sliced = best(repeat=3, fn=lambda: store.page_records(c, kind, None, sort="name", offset=offset, limit=50))
    print(f"(c) page 1,000 by name: SQL OFFSET {sql_offset * 1000:.0f} ms, ordered ids {sliced * 1000:.1f} ms "
          f"→ {sql_offset / sliced:.0f}×")


if __name__ == "__main__":
    main()
