"""Dashboards on a province-size database: memory and latency, each against a baseline of the same run.

  (a) the ledgers behind the dashboards decoded whole (every field of every record, what the
      dashboards kept before) vs only the fields metrics read: seconds and frame size
      (--skip-whole leaves the whole decode out: at 1,000,000 enterprises it takes many GB); the
      projected frames are left as the Parquet files the server's workers read at start;
  (b) a server (`kechuang serve`, 2 workers) on the database: the first view of each dashboard
      page after the start (cold), then p50/p95 under load (--clients) next to /healthz, and each
      worker's resident memory at the start and at its peak (VmHWM), and its private memory's
      peak (RssAnon, sampled), against the 3 GB budget: resident memory also counts the pages of a
      SQLite file read through its memory map, the system's file cache shared by every process.

Serves a SQLite file or a PostgreSQL URL as it is; the server's own files (secret, kept views,
decoded frames) go to --scratch, so the database's folder can stay read-only except for the
login's session row.

    .venv/bin/python benchmarks/dashboard_memory.py --var var/bench-200k [--enterprises 200000]
    .venv/bin/python benchmarks/dashboard_memory.py --database-url sqlite:////data/db1m/kechuang.db \\
        --scratch /tmp/dash --skip-whole
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import httpx
import uvloop

from timing import add_database_options, database_url
from web import login, process_tree, serving, under_load

PAGES = ["/", "/targets", "/assessment", "/programs", "/programs/tech_sme", "/programs/hnte",
         "/programs/xiaoshenggao", "/warnings", "/ledgers", "/chains", "/chains/nev"]
BUDGET_MS, BUDGET_GB = 150.0, 3.0


def main() -> None:
    ap = argparse.ArgumentParser()
    add_database_options(ap)
    ap.add_argument("--scratch", help="the server's own folder (default: a temporary one)")
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--skip-whole", action="store_true")
    args = ap.parse_args()
    with database_url(args) as url:
        run(args, url)


def run(args, url: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(args.scratch or tmp)
        scratch.mkdir(parents=True, exist_ok=True)
        os.environ.update(KECHUANG_CACHE_DIR=str(scratch / "cache"), KECHUANG_DATABASE_URL=url,
                          KECHUANG_VAR_DIR=str(scratch))
        frames(url, args.skip_whole)
        served(args, url, scratch)


def frames(url: str, skip_whole: bool) -> None:
    import sqlalchemy as sa

    from kechuang import db
    from kechuang.ledgers import load_frame
    from kechuang.targets import metrics as tm

    engine = db.engine_for(url)
    kinds = tm.dashboard_kinds()
    with engine.connect() as c:
        n = c.execute(sa.text("SELECT COUNT(*) FROM ledger_records")).scalar()
    print(f"database: {url.split('@')[-1]}, {n:,} ledger records; dashboard kinds: {', '.join(kinds)}")

    def timed(load):
        t, size = time.perf_counter(), 0
        for k in kinds:
            size += load(k).estimated_size()  # one kind at a time: only its frame is alive
        return time.perf_counter() - t, size / 2**20

    def kept(kind):  # decoded as a server does, leaving the Parquet file its workers read at start
        frame = tm.whole_frame(engine, kind, tm.kept_fields(kind))
        with tm._FRAMES_LOCK:
            tm._FRAMES.clear()
        return frame

    t_part, mb_part = timed(kept)
    if skip_whole:
        print(f"(a) fields metrics read: {t_part:.1f} s, {mb_part:,.0f} MB (whole decode skipped)")
    else:
        t_whole, mb_whole = timed(lambda k: load_frame(engine, k))
        print(f"(a) whole frames {t_whole:.1f} s, {mb_whole:,.0f} MB; fields metrics read {t_part:.1f} s, "
              f"{mb_part:,.0f} MB → {t_whole / t_part:.1f}× faster, {mb_whole / mb_part:.1f}× smaller")
    engine.dispose()


def _memory(port: int) -> dict[int, tuple[float, float, float]]:
    """pid → (resident GB now, peak resident GB, private GB now) of the server serving ``port`` and
    its workers. Resident memory counts the pages of the SQLite file the process has touched through
    its memory map (the system's file cache, shared with every process reading the file); private
    memory (RssAnon) is the process's own."""
    root = None
    for p in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (p / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in cmd and str(port).encode() in cmd:
            root = int(p.name)
    out = {}
    for pid in process_tree(root) if root else []:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        kb = {line.split(":")[0]: int(line.split()[1]) for line in status.splitlines()
              if line.startswith(("VmRSS", "VmHWM", "RssAnon"))}
        out[pid] = (kb.get("VmRSS", 0) / 2**20, kb.get("VmHWM", 0) / 2**20, kb.get("RssAnon", 0) / 2**20)
    return out


class PrivatePeak:
    """The highest private memory (RssAnon) of each server process, sampled every 0.1 s while in use:
    the kernel keeps a peak of resident memory only (VmHWM), which counts mapped file pages."""

    def __init__(self, port: int):
        import threading

        self.port, self.peak, self.stop = port, {}, threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop.wait(0.1):
            for pid, (_rss, _hwm, anon) in _memory(self.port).items():
                self.peak[pid] = max(self.peak.get(pid, 0.0), anon)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


async def _first_views(base: str) -> dict[str, float]:
    out = {}
    async with httpx.AsyncClient(base_url=base, timeout=900) as c:
        await login(c)
        for path in PAGES:
            t = time.perf_counter()
            r = await c.get(path)
            out[path] = (time.perf_counter() - t) * 1000
            if r.status_code >= 400:
                raise SystemExit(f"{path}: HTTP {r.status_code}")
    return out


def served(args, url: str, scratch: Path) -> None:
    env = dict(os.environ, KECHUANG_SECRET_KEY="bench", KECHUANG_REFRESH="0")
    t0 = time.perf_counter()
    with serving(env, str(scratch), 2) as base:
        up = time.perf_counter() - t0
        port = int(base.rsplit(":", 1)[1])
        start = _memory(port)
        with PrivatePeak(port) as private:
            cold = asyncio.run(_first_views(base))
            results = uvloop.run(under_load(base, ["/healthz", *PAGES], args.clients, args.requests))
        end = _memory(port)
    print(f"\n(b) server up in {up:.1f} s; {args.clients} clients, {args.requests} requests per page; "
          f"budget p95 ≤ {BUDGET_MS:.0f} ms, ≤ {BUDGET_GB:g} GB per worker")
    base_p95 = results["/healthz"][1]
    print(f"{'page':28} {'cold ms':>8} {'p50 ms':>7} {'p95 ms':>7} {'×healthz':>8} {'p95':>4} {'err':>3}")
    for path, (p50, p95, errors, _client, _cpu) in results.items():
        c = f"{cold[path]:8.0f}" if path in cold else f"{'':8}"
        print(f"{path:28} {c} {p50:7.1f} {p95:7.1f} {p95 / base_p95:8.1f} "
              f"{'ok' if p95 <= BUDGET_MS else 'OVER':>4} {errors:3d}")
    for pid, (rss, peak, _anon) in sorted(end.items()):
        before = start.get(pid, (0.0, 0.0, 0.0))[0]
        own = private.peak.get(pid, 0.0)
        print(f"process {pid}: resident {before:.2f} GB at start → {rss:.2f} GB, peak {peak:.2f} GB; "
              f"private peak {own:.2f} GB {'ok' if own <= BUDGET_GB else 'OVER'}")


if __name__ == "__main__":
    main()
