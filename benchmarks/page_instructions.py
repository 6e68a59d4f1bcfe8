"""Instructions per request of pages, counted by valgrind (callgrind), each as a ratio to /healthz
counted the same way: a measure the machine's other load does not move, for telling whether a
change made a page cheaper. On this shared two-core machine the CPU time of the same request
(`page_cpu.py`) swung by up to 2× between runs of the same code; the instruction count of the
same run repeats to about 0.1 %.

    .venv/bin/python benchmarks/page_instructions.py [--var DIR] [--enterprises 20000]
        [--requests 10] [--pages /targets?date=2026-{month}-{day} ...]
        [--database-url postgresql+psycopg://…]

Per page, the application runs in a child process as in `page_cpu.py` (ASGI messages from an event
loop, logged in, the page's first view untimed), once without valgrind to settle what a first view
writes and keeps on disk (a day's target history, prepared metrics), then under callgrind twice,
with N and with 2N timed requests: (count(2N) − count(N)) / N is the page's count per request,
start-up and log-in cancelled out. Polars runs on one thread, so that idle workers waiting for
work count nothing. Needs valgrind (Debian's package); about a minute per run at 100,000
enterprises, so pass the pages to compare. Views write the var folder's cache: use a copy of a
shared demo. With --database-url (e.g. the demo loaded into PostgreSQL), only this side of the
connection is counted: the database server's work is not.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from timing import demo_var
from web import page_url

DEFAULT_PAGES = ["/targets?date=2026-{month}-{day}", "/programs/tech_sme?page={page}",
                 "/ledgers/enterprise?sort=name&page={page}"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--var", help="a demo folder holding kechuang.db (built when absent)")
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--requests", type=int, default=10, help="N: timed requests of the shorter run (at most 40)")
    ap.add_argument("--pages", nargs="*", default=DEFAULT_PAGES)
    ap.add_argument("--database-url", help="serve this database instead of the folder's SQLite file")
    ap.add_argument("--child", help=argparse.SUPPRESS)  # a page to request, in the counted process
    args = ap.parse_args()
    if args.child is not None:
        return child(args.child, args.requests)
    if not 1 <= args.requests <= 40:
        raise SystemExit("--requests must be between 1 and 40 (dated URLs repeat after 84)")
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")
    with demo_var(args.var, args.enterprises) as folder:
        pages = ["/healthz"] + [p for p in args.pages if p != "/healthz"]
        counts = {}
        for path in pages:
            run(folder, path, 0, args.database_url, counted=False)
            short = run(folder, path, args.requests, args.database_url)
            long = run(folder, path, 2 * args.requests, args.database_url)
            counts[path] = (long - short) / args.requests
            print(f"  {path:<45} {counts[path] / 1e6:8.2f} M instructions per request", flush=True)
    base = counts["/healthz"]
    print(f"\nInstructions per request ({args.requests} requests counted; {args.database_url or folder}):")
    for path, n in counts.items():
        print(f"  {path:<45} {n / 1e6:8.2f} M   {n / base:6.1f}× /healthz")


def run(folder: Path, path: str, requests: int, database_url: str | None, counted: bool = True) -> int:
    env = dict(os.environ, KECHUANG_VAR_DIR=str(folder), POLARS_MAX_THREADS="1", KECHUANG_SECRET_KEY="bench")
    env.pop("KECHUANG_DATABASE_URL", None)
    if database_url:
        env["KECHUANG_DATABASE_URL"] = database_url
    me = [sys.executable, str(Path(__file__).resolve()), "--child", path, "--requests", str(requests)]
    cmd = (["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"] if counted else []) + me
    done = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{path}: the counted run failed\n{done.stderr[-2000:]}")
    if not counted:
        return 0
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise SystemExit(f"{path}: valgrind printed no count\n{done.stderr[-2000:]}")
    return int(found.group(1))


def child(path: str, requests: int) -> None:
    import asyncio
    import gc

    from page_cpu import Direct

    from kechuang.web.app import create_app

    os.environ["KECHUANG_REFRESH"] = "0"

    async def go():
        client = Direct(create_app())
        async with client.lifespan():
            page = await client.request("GET", "/login")
            token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
            await client.request("POST", "/login", form={"username": "yancheng", "password": "kechuang-demo",
                                                         "csrf_token": token, "next": "/"})
            await client.request("GET", page_url(path, 0))
            # what the first view left is long-lived, as after a server's warm-up (kechuang.web.app):
            # frozen, so that a full collection falling in one run and not the other counts little
            gc.collect()
            gc.freeze()
            for i in range(1, requests + 1):
                await client.request("GET", page_url(path, i))

    asyncio.run(go())


if __name__ == "__main__":
    main()
