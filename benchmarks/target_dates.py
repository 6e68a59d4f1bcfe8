"""CPU per request, in this process, of the views that a date or a data change makes new, each as a
ratio to /healthz measured in the same run:

  (a) /targets?date=<a day of the demo's current year>: a day not asked before on every request,
      so neither the page cache nor kept values help; against the warm /targets;
  (b) /ledgers right after a ledger change (one contract's amount, as `web.py` changes it), against
      the warm /ledgers;
  (c) the values of every day-windowed metric on a new day: read from running totals
      (`targets.metrics.compute`) against filtering and aggregating the metric's prepared records
      for that day (how every date was computed before).

CPU time (time.process_time) rather than wall time: stable on a shared machine. The background
refresh is off, so the first request after a change does the work.

    .venv/bin/python benchmarks/target_dates.py [--enterprises 20000] [--var DIR] [--days 40]
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import time

from timing import demo_var


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--var")
    ap.add_argument("--days", type=int, default=40, help="new days of the current year to view")
    ap.add_argument("--changes", type=int, default=4, help="ledger changes, each followed by a /ledgers view")
    args = ap.parse_args()
    with demo_var(args.var, args.enterprises):
        run(args)


def cpu_ms(fn) -> float:
    t = time.process_time()
    fn()
    return (time.process_time() - t) * 1000


def run(args) -> None:
    import os

    from fastapi.testclient import TestClient

    from kechuang.settings import get_settings
    from kechuang.web.app import create_app
    from web import change_data

    os.environ.setdefault("KECHUANG_SECRET_KEY", "bench")
    os.environ["KECHUANG_REFRESH"] = "0"
    url = get_settings().database_url
    with TestClient(create_app()) as c:
        page = c.get("/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        c.post("/login", data={"username": "yancheng", "password": "kechuang-demo", "csrf_token": token,
                               "next": "/"}, follow_redirects=False)

        def get(path: str):
            return lambda: c.get(path).raise_for_status()

        for path in ("/healthz", "/targets", "/ledgers", "/targets?date=2026-01-02"):
            get(path)()
        health = statistics.median(cpu_ms(get("/healthz")) for _ in range(30))
        warm_targets = statistics.median(cpu_ms(get("/targets")) for _ in range(30))
        first = dt.date(2026, 1, 5)
        days = [first + dt.timedelta(days=i * max(1, 320 // args.days)) for i in range(args.days)]
        dated = statistics.median(cpu_ms(get(f"/targets?date={d}")) for d in days)
        warm_ledgers = statistics.median(cpu_ms(get("/ledgers")) for _ in range(30))
        after_change = []
        for n in range(args.changes):
            change_data(url, "ledger", n + 1)
            after_change.append(cpu_ms(get("/ledgers")))
        changed = statistics.median(after_change)
    metric_values(days[:10])
    print(f"CPU per request, median (ms); /healthz {health:.1f} ms")
    for label, ms in (("/targets (warm)", warm_targets), ("/targets?date= a new day", dated),
                      ("/ledgers (warm)", warm_ledgers), ("/ledgers after a ledger change", changed)):
        print(f"  {label:34s} {ms:8.1f} ms  {ms / health:6.1f}× /healthz")
    print(f"  a new day / warm /targets: {dated / warm_targets:.2f}×; "
          f"/ledgers after a change / warm: {changed / warm_ledgers:.2f}×")


def metric_values(days: list[dt.date]) -> None:
    """(c): every day-windowed metric's values on each day, looked up against filtered."""
    import polars as pl

    from kechuang.settings import get_settings
    from kechuang import db
    from kechuang.targets import metrics as tm

    engine = db.make_engine(get_settings().database_url)
    source = tm.metric_source(engine)
    chosen = [m for m in tm.load_metrics().values() if tm._indexed(m)]
    for m in chosen:
        tm.compute(m, days[:1], source)  # prepared records and running totals built

    def looked_up():
        for d in days:
            for m in chosen:
                tm.compute(m, [d], source)

    def filtered():
        for d in days:
            for m in chosen:
                rows = tm._prepared(m, source).lazy().filter(tm.window_expr(m, d))
                tm._aggregate(m, rows.with_columns(as_of=pl.lit(d, dtype=pl.Date))).collect()

    a, b = cpu_ms(looked_up), cpu_ms(filtered)
    per = len(days) * len(chosen)
    print(f"{len(chosen)} metrics × {len(days)} days: running totals {a / per:.2f} ms per value set, "
          f"filtering the prepared records {b / per:.2f} ms ({b / a:.1f}× the look-up)")


if __name__ == "__main__":
    main()
