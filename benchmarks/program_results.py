"""Saving evaluation results of a region, against a baseline in the same run:

  peak write-ahead log (SQLite): the save in committed batches under a new generation vs the same
  results saved in one transaction (what `evaluate --region` did); CPU time of each;
  stored reasons: bytes per result of the compressed document vs the three JSON columns it replaced;
  the column-wise save of the engine's frames (save_results) vs turning them into records and
  saving those (save): CPU seconds per result, and bytes per stored row.

    .venv/bin/python benchmarks/program_results.py [--enterprises 5000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import tempfile
import time
from pathlib import Path

from sqlalchemy import text


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=5_000)
    args = ap.parse_args()
    from kechuang import db
    from kechuang.ledgers import build_profiles
    from kechuang.ledgers.demo import generate_city
    from kechuang.programs import store
    from kechuang.programs.engine import evaluate, program_ids
    from kechuang.programs.explain import records

    day = dt.date(2026, 11, 25)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kechuang.db"
        url = f"sqlite:///{path}"
        db.upgrade(url)
        engine = db.engine_for(url)
        generate_city(engine, "320900", enterprises=args.enterprises, seed=5, today=day)
        frame = build_profiles(engine, "320900", day)
        regions = dict(zip(frame["uscc"].to_list(), frame["region_code"].to_list()))
        ids = program_ids("all")
        results = evaluate(frame, ids, day)
        recs = list(records(results))
        wal = Path(f"{path}-wal")

        def run(label, batched: bool):
            engine.dispose()
            wal.unlink(missing_ok=True)  # the log file keeps its largest size: start from none
            cpu = time.process_time()
            if batched:
                store.save(engine, day, recs, regions, ids)
            else:  # given a connection, a save is the caller's one transaction
                with engine.begin() as conn:
                    store.save(conn, day, recs, regions, ids)
            cpu = time.process_time() - cpu
            size = wal.stat().st_size if wal.exists() else 0
            return label, size, cpu

        rows = [run("one transaction (baseline)", False), run("committed batches", True)]
        base = rows[0][1]
        print(f"{len(recs):,} results of {frame.height:,} enterprises (load average {os.getloadavg()[0]:.1f}):")
        for label, size, cpu in rows:
            print(f"  {label:28} peak WAL {size / 1e6:8.1f} MB  ({size / base:5.3f}× baseline)  CPU {cpu:6.2f} s")
        old = sum(len(json.dumps(r[k])) for r in recs for k in store.DETAIL) / len(recs)
        new = sum(len(store.pack(r)) for r in recs) / len(recs)
        with engine.begin() as conn:
            preset = store.presets(conn)
        primed = sum(len(store.pack(r, preset)) for r in recs) / len(recs)
        print(f"  reasons per result: JSON columns {old:,.0f} B, compressed document {new:,.0f} B → {old / new:.1f}× "
              f"smaller; with the preset dictionary {primed:,.0f} B → {old / primed:.1f}× smaller")

        def saved(label, fn):
            engine.dispose()
            cpu = time.process_time()
            n = fn()
            cpu = time.process_time() - cpu
            with engine.connect() as conn:
                size = conn.execute(text("SELECT SUM(LENGTH(detail) + LENGTH(next_step) + LENGTH(uscc) + "
                                         "LENGTH(program) + 40) FROM program_results")).scalar()
            return label, cpu / n, size / n

        usccs = frame["uscc"].to_list()
        rows = [saved("records, then save (baseline)", lambda: store.save(engine, day, records(results), regions, ids,
                                                                           usccs=usccs)),
                saved("save_results (column-wise)", lambda: store.save_results(engine, day, [results], regions, ids,
                                                                               usccs=usccs))]
        print(f"  saving the engine's results (load average {os.getloadavg()[0]:.1f}):")
        base = rows[0][1]
        for label, cpu, size in rows:
            print(f"    {label:32} CPU {cpu * 1e3:6.3f} ms per result ({base / cpu:4.1f}× less than baseline)"
                  f"  ~{size:,.0f} B per row")


if __name__ == "__main__":
    main()
