"""Bulk writes on PostgreSQL: evaluation results written as `programs.store` writes each batch, one
COPY (`db.insert_rows`) against the baseline of one INSERT per row (``executemany``, what a save
did before), in the same process on the same database, each in a transaction rolled back after.

Reports wall time, this process's CPU time and the CPU time of the database server's backend
for the connection (read from /proc: the server runs on this machine), per 1,000 rows and as
ratios to the baseline, with the load average.

    .venv/bin/python benchmarks/pg_writes.py --database-url postgresql+psycopg://… [--rows 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import time
import zlib
from pathlib import Path


def backend_cpu(pid: int) -> float:
    """utime + stime (seconds) of a local process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rows_like_results(n: int, generation: int) -> list[tuple]:
    """Rows shaped as `programs.store.COLUMNS` with values like an evaluation's."""
    rnd = random.Random(5)
    day = dt.date(2026, 11, 25)
    programs = ["tech_sme", "hnte", "innovation_points", "xiaoshenggao", "zhuanjingtexin"]
    out = []
    for i in range(n):
        score = round(rnd.uniform(0, 100), 4)
        doc = f'{{"gaps":[{{"field":"sales_{i % 7}","current":{rnd.randint(0, 9999)}}}],"conditions":[],"missing":[]}}'
        out.append((generation, day, f"91320900{i:010d}", f"3209{rnd.randint(0, 99):02d}", programs[i % 5], "2024",
                    rnd.choice(["pass", "fail", "unknown"]), score, score, score, i % 3 == 0, i % 4,
                    "补齐销售(营业)收入" if i % 2 else "", zlib.compress(doc.encode(), 1)))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--database-url", required=True, help="a PostgreSQL URL (migrated here if needed)")
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=5_000, help="rows per statement batch, as a save writes them")
    ap.add_argument("--rounds", type=int, default=2)
    args = ap.parse_args()
    from kechuang import db
    from kechuang.programs.store import COLUMNS

    if not args.database_url.startswith("postgresql"):
        raise SystemExit("a PostgreSQL URL is needed")
    db.upgrade(args.database_url)
    engine = db.make_engine(args.database_url)
    rows = rows_like_results(args.rows, generation=-1)  # no live generation is -1: nobody sees them

    def executemany(conn, cur, batch):
        sql = f"INSERT INTO program_results ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))})"
        cur.executemany(sql, batch)

    def copy(conn, cur, batch):
        db.insert_rows(conn, cur, "program_results", COLUMNS, batch)

    def run(write) -> tuple[float, float, float]:
        with engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            cur = conn.connection.driver_connection.cursor()
            server, cpu, wall = backend_cpu(pid), time.process_time(), time.perf_counter()
            for i in range(0, len(rows), args.batch):
                write(conn, cur, rows[i:i + args.batch])
            wall, cpu, server = time.perf_counter() - wall, time.process_time() - cpu, backend_cpu(pid) - server
            cur.close()
            conn.rollback()
        return wall, cpu, server

    ways = [("INSERT per row, executemany (baseline)", executemany), ("COPY (db.insert_rows)", copy)]
    got: dict[str, list[tuple]] = {label: [] for label, _ in ways}
    for _ in range(args.rounds):  # interleaved, so a change of load touches both alike
        for label, write in ways:
            got[label].append(run(write))
    best = {label: tuple(min(r[k] for r in runs) for k in range(3)) for label, runs in got.items()}
    base = best[ways[0][0]]
    k = len(rows) / 1000
    print(f"{len(rows):,} program_results rows in batches of {args.batch:,}, best of {args.rounds} "
          f"(load average {os.getloadavg()[0]:.1f}):")
    for label, (wall, cpu, server) in best.items():
        print(f"  {label:40} wall {wall / k * 1e3:7.1f} ms/1k rows ({base[0] / wall:4.1f}× faster)  "
              f"client CPU {cpu / k * 1e3:6.1f} ms/1k ({base[1] / cpu:4.1f}×)  "
              f"server CPU {server / k * 1e3:6.1f} ms/1k ({base[2] / server:4.1f}×)")
    engine.dispose()


if __name__ == "__main__":
    main()
