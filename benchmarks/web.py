"""Web latency under load: p50/p95 of dashboard and list pages at 20 concurrent clients.

Builds a throw-away SQLite database with the synthetic demo city (100,000 enterprises by
default), serves it with uvicorn on loopback, logs in, and sends a bounded number of requests
per page from concurrent clients. Prints each page's p95 next to the budget (150 ms) and its
ratio to /healthz measured in the same run.

    .venv/bin/python benchmarks/web.py [--enterprises 100000] [--clients 20] [--requests 200]
        [--database-url postgresql+psycopg://…] [--var DIR] [--first-view 2] [--think 1] [--compare-refresh]

Pages with {n}, {page} or {month}/{day} in their URL change on every request (deep paging, other
dates), so they measure pages that the rendered-page cache cannot serve.

Then the first view after a data change (a target dismissed or restored, a contract's amount
changed, each committed by this process as an import from the command line would be) against
the warm view of the same page, with the background refresh on and the view a user's click later
(--think); the warm view is timed after the same pause, without a change before it. With
--compare-refresh, also on a server without the background refresh (the first request
recomputes) and with it but viewing at once (the request may overtake the refresh).
One table: per page p50/p95 under load, the first view after each change, its ratio to warm,
each against its budget.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvloop

PAGES = ["/healthz", "/", "/targets", "/targets/queue", "/assessment", "/docs", "/docs/statements",
         "/ledgers", "/ledgers/enterprise", "/ledgers/certification", "/ledgers/tech_contract",
         "/programs", "/programs/tech_sme", "/programs/hnte", "/programs/innovation_points",
         "/programs/xiaoshenggao", "/matching",
         # a different URL on every request, so the rendered-page cache never helps:
         "/ledgers/enterprise?after={n}", "/ledgers/enterprise?sort=name&page={page}",
         "/programs/tech_sme?page={page}", "/programs/hnte?page={page}",
         "/targets?date=2024-{month}-{day}",
         "/targets?date=2026-{month}-{day}"]  # the demo's current year: its targets' progress on that day
# the views a data change makes stale, timed on their first request after the change
FIRST_VIEW_PAGES = ["/", "/targets", "/ledgers", "/ledgers/enterprise", "/programs", "/programs/tech_sme",
                    "/programs/xiaoshenggao", "/assessment"]
BUDGET_MS = 150.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def kc(env, *args):
    exe = Path(sys.executable).with_name("kechuang")
    subprocess.run([str(exe), *args], env=env, check=True, stdout=subprocess.DEVNULL)


async def login(client: httpx.AsyncClient) -> None:
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = await client.post("/login", data={"username": "yancheng", "password": "kechuang-demo",
                                          "csrf_token": token, "next": "/"})
    if r.status_code != 303:
        raise SystemExit(f"login failed: {r.status_code}")


async def signed_in(base: str, clients: int) -> list["Connection"]:
    """`clients` logged-in connections, each with its own session. Logging in (a deliberately slow
    password hash, ~0.3 s of CPU each) happens once, before any page is timed: a user logs in once
    per working day, and logins running beside the timed requests would measure the hash instead
    of the pages."""
    host, port = base.removeprefix("http://").rsplit(":", 1)
    out = []
    for _ in range(clients):
        async with httpx.AsyncClient(base_url=base, timeout=900) as c:
            await login(c)
            cookie = "; ".join(f"{k}={v}" for k, v in c.cookies.items())
        out.append(await Connection(host, int(port), cookie).open())
    return out


class Connection:
    """One keep-alive HTTP/1.1 connection carrying a session cookie, reading whole responses
    (Content-Length or chunked) and nothing more. The load generator shares the server's two
    cores: httpx spent about a millisecond of CPU per request, taken from the server being timed;
    this costs a fraction of that."""

    def __init__(self, host: str, port: int, cookie: str):
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nCookie: {cookie}\r\nAccept: text/html\r\n\r\n".encode()

    async def open(self) -> "Connection":
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)
        return self

    async def get(self, path: str) -> int:
        """The status code; the body is read and dropped. A connection the server closed while it
        sat idle (uvicorn does so after 5 s, e.g. while other clients wait for a long first view)
        is opened again and the request sent once more, as browsers do for a GET."""
        for attempt in (0, 1):
            self.writer.write(b"GET " + path.encode() + b" HTTP/1.1\r\n" + self.head)
            try:
                head = (await self.reader.readuntil(b"\r\n\r\n")).lower()
                break
            except (asyncio.IncompleteReadError, ConnectionResetError) as exc:
                if attempt or getattr(exc, "partial", b""):
                    raise
                await self.open()
        status = int(head[9:12])
        length = re.search(rb"\r\ncontent-length: *(\d+)", head)
        if length:
            await self.reader.readexactly(int(length.group(1)))
        elif b"\r\ntransfer-encoding: chunked" in head:
            while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await self.reader.readexactly(size + 2)
            await self.reader.readuntil(b"\r\n")  # no trailers: the empty line after the last chunk
        if b"\r\nconnection: close" in head:
            self.writer.close()
            await self.open()
        return status

    async def close(self) -> None:
        self.writer.close()


def page_url(path: str, i: int) -> str:
    """The `i`-th request's URL of a page in PAGES: {n} a record id up to 37,000, {page} 1..900,
    {month}/{day} a day of a year; a path without them unchanged."""
    spread = (i * 7919) % 1000
    return path.format(n=spread * 37 + 1, page=spread * 9 // 10 + 1, month=f"{i % 12 + 1:02d}",
                       day=f"{i % 28 + 1:02d}")


async def hammer(clients: list[Connection], path: str, requests: int) -> tuple[list[float], int]:
    times: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(requests):
        queue.put_nowait(i)

    def url(i: int) -> str:
        return page_url(path, i)

    async def worker(c: Connection):
        nonlocal errors
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            t = time.perf_counter()
            try:
                errors += await c.get(url(i)) >= 400
            except (OSError, asyncio.IncompleteReadError, ValueError):
                errors += 1
                await c.open()
            times.append((time.perf_counter() - t) * 1000)

    await asyncio.gather(*(worker(c) for c in clients))
    return times, errors


def process_tree(root: int) -> list[int]:
    """``root`` and every process it started, and they in turn (from /proc)."""
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return out


def server_cpu() -> float:
    """CPU seconds (user and system) used so far by the server started by `serving` and its workers,
    and by any database server on this machine (processes named postgres)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0
    pids = {p for root in _SERVED for p in process_tree(root)}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if int(pid) in pids or name == "postgres":
            total += int(rest[11]) + int(rest[12])  # utime, stime
    return total / tick


async def under_load(base: str, pages: list[str], clients: int, requests: int) -> dict[str, tuple]:
    """Per page: p50, p95 (ms) and errors of `requests` views from `clients` concurrent clients, the
    share of one core the benchmark's own client used meanwhile (it runs on the same machine), and
    the server's CPU per request (its workers' and the database server's): p95 under load is about
    clients / cores × that, and the CPU is far steadier than the latency on a shared machine."""
    out = {}
    signed = await signed_in(base, clients)
    try:
        for path in pages:
            await asyncio.gather(*(c.get(page_url(path, 0)) for c in signed))  # every client's path warm once, untimed
            cpu, wall, served = time.process_time(), time.perf_counter(), server_cpu()
            times, errors = await hammer(signed, path, requests)
            client = (time.process_time() - cpu) / (time.perf_counter() - wall)
            per_request = (server_cpu() - served) * 1000 / requests
            times.sort()
            out[path] = (statistics.median(times), times[int(len(times) * 0.95) - 1], errors, client, per_request)
    finally:
        for c in signed:
            await c.close()
    return out


def change_data(url: str, what: str, n: int) -> None:
    """One committed data change from another process's point of view (here: the benchmark's),
    as an import from the command line or another worker would make it."""
    from kechuang import db

    engine = db.engine_for(url)
    if what == "target":  # dismiss or restore one target
        from kechuang.targets.store import Target, dismiss_target, restore_target
        from sqlalchemy import select

        with db.session_scope(engine) as s:
            t = s.scalars(select(Target).order_by(Target.id)).first()
            if t.binding_status == "dismissed":
                restore_target(s, t.id, "bench")
            else:
                dismiss_target(s, t.id, "bench")
    else:  # a ledger record changes: one contract's amount
        from kechuang.ledgers.importer import import_records
        from kechuang.ledgers import store

        with engine.connect() as c:
            kind = store._kind("tech_contract")
            rec = store.page_records(c, kind, None, offset=0, limit=1)[0][0]
        rec = {k: v for k, v in rec.items() if not k.startswith("_")}
        rec["amount"] = rec["amount"] + (1 if n % 2 else -1)  # up and down again: a real change each time
        report = import_records(engine, "tech_contract", [rec], source="bench")
        if report.problems:
            raise SystemExit(f"ledger change refused: {report.problems[:2]}")


async def first_views(base: str, url: str, pages: list[str], what: str, cycles: int,
                      think: float) -> dict[str, tuple[float, float]]:
    """Per page: the median warm view and the median first view right after a data change, each
    after the same pause (``think``): on this kind of shared machine a request after a second
    of idleness costs up to twice one in a busy stream (cold processor caches), whatever it does,
    so a warm view timed back to back would make the pause look like the data change's cost."""
    out = {}
    async with httpx.AsyncClient(base_url=base, timeout=900) as c:
        await login(c)
        n = 0
        for path in pages:
            warm, first = [], []
            for _ in range(cycles):
                for _ in range(4):  # both workers warm (requests spread over them)
                    await c.get(path)
                await asyncio.sleep(think)
                t = time.perf_counter()
                await c.get(path)
                warm.append((time.perf_counter() - t) * 1000)
                n += 1
                await asyncio.to_thread(change_data, url, what, n)
                await asyncio.sleep(think)
                t = time.perf_counter()
                r = await c.get(path)
                first.append((time.perf_counter() - t) * 1000)
                if r.status_code >= 400:
                    raise SystemExit(f"{path}: HTTP {r.status_code}")
            out[path] = (statistics.median(warm), statistics.median(first))
    return out


def has_data(url: str) -> bool:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            return c.execute(sa.text("SELECT 1 FROM program_results LIMIT 1")).first() is not None
    except sa.exc.DBAPIError:
        return False
    finally:
        engine.dispose()


def wait_ready(base: str, limit_s: float = 3600) -> None:
    """Until every worker has finished its warm-up: /readyz answered 200 on 20 new connections in a row."""
    deadline, in_a_row = time.monotonic() + limit_s, 0
    while in_a_row < 20:
        if time.monotonic() > deadline:
            raise SystemExit(f"the server was not ready within {limit_s:.0f} s")
        try:
            in_a_row = in_a_row + 1 if httpx.get(f"{base}/readyz", timeout=5).status_code == 200 else 0
        except httpx.HTTPError:
            in_a_row = 0
        if not in_a_row:
            time.sleep(0.2)


_SERVED: list[int] = []  # the pid of the server `serving` runs


@contextmanager
def serving(env: dict, tmp: str, workers: int):
    port = free_port()
    exe = Path(sys.executable).with_name("kechuang")
    log_path = Path(tmp) / f"server-{port}.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([str(exe), "serve", "--port", str(port), "--workers", str(workers)],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)
    _SERVED[:] = [server.pid]
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
        text = log_path.read_text()
        if "Traceback" in text:
            print("server errors:\n" + text[-3000:])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--enterprises", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--pages", nargs="*", default=PAGES)
    ap.add_argument("--var", help="reuse (or keep) the demo database in this folder instead of a temporary one")
    ap.add_argument("--database-url", help="a PostgreSQL (or SQLite) URL to serve instead of var/kechuang.db; "
                                           "the demo city is loaded into it when it holds no results yet")
    ap.add_argument("--first-view", type=int, default=2, metavar="CYCLES",
                    help="change data this many times per page and time the next view (0: skip)")
    ap.add_argument("--change", choices=["target", "ledger", "both"], default="both")
    ap.add_argument("--think", type=float, default=1.0,
                    help="seconds between a data change and the next view (a user's next click)")
    ap.add_argument("--compare-refresh", action="store_true",
                    help="also time first views without the background refresh, and with it but viewing at once")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.var or scratch
        Path(tmp).mkdir(parents=True, exist_ok=True)
        url = args.database_url or f"sqlite:///{Path(tmp) / 'kechuang.db'}"
        env = dict(os.environ, KECHUANG_VAR_DIR=tmp, KECHUANG_SECRET_KEY="bench", KECHUANG_DATABASE_URL=url)
        os.environ.update(KECHUANG_VAR_DIR=tmp, KECHUANG_DATABASE_URL=url)
        if not has_data(url):
            t = time.perf_counter()
            kc(env, "demo-setup", "--city", "盐城市", "--enterprises", str(args.enterprises))
            print(f"demo city with {args.enterprises:,} enterprises loaded in {time.perf_counter() - t:.1f} s")
        print(f"database: {url.split('@')[-1]}")
        if "/healthz" not in args.pages:
            args.pages.insert(0, "/healthz")
        results = {}
        if args.requests:
            with serving(env, tmp, args.workers) as base:
                results = uvloop.run(under_load(base, args.pages, args.clients, args.requests))
        whats = [] if not args.first_view else ["target", "ledger"] if args.change == "both" else [args.change]
        runs = [("background refresh", "1", args.think)]
        if args.compare_refresh:
            runs += [("no background refresh", "0", args.think), ("background refresh, view at once", "1", 0.0)]
        table = {}
        for label, flag, think in runs:
            if not whats:
                break
            with serving(dict(env, KECHUANG_REFRESH=flag), tmp, args.workers) as base:
                for what in whats:
                    table[(label, what)] = asyncio.run(first_views(base, url, FIRST_VIEW_PAGES, what,
                                                                   args.first_view, think))
        report(args, results, table, runs, whats)


def report(args, results: dict, table: dict, runs: list, whats: list[str]) -> None:
    """Per page: p50/p95 under load against the budget, then the first view after each kind of
    change, its ratio to the warm view of the same client, and the 2× budget."""
    base_p95 = results.get("/healthz", (0, 0, 0))[1] or None
    print(f"\n{args.clients} clients, {args.requests} requests per page, {args.workers} workers; budget: "
          f"p95 ≤ {BUDGET_MS:.0f} ms, first view after a change ≤ 2× warm "
          f"({args.first_view} changes per page, next view {args.think:g} s later, background refresh on); "
          f"clients log in before timing; client: the share of one core the benchmark client used; "
          f"server: CPU ms per request of the server's processes and the database server's")
    head = f"{'page':40} {'p50 ms':>7} {'p95 ms':>7} {'×healthz':>8} {'p95':>4} {'err':>3} {'client':>6} {'server':>6}"
    for what in whats:
        head += f" | {'after ' + what + ' change: warm → first':>34} {'2×':>4}"
    print(head)
    label = runs[0][0]
    for path in dict.fromkeys(list(results) + (FIRST_VIEW_PAGES if whats else [])):
        line = f"{path:40}"
        if path in results:
            p50, p95, errors, client, cpu = results[path]
            ratio = f"{p95 / base_p95:8.1f}" if base_p95 else f"{'':8}"
            line += (f" {p50:7.1f} {p95:7.1f} {ratio} {'ok' if p95 <= BUDGET_MS else 'OVER':>4} {errors:3d}"
                     f" {client:6.0%} {cpu:6.1f}")
        else:
            line += f" {'':7} {'':7} {'':8} {'':4} {'':3} {'':6} {'':6}"
        for what in whats:
            got = table.get((label, what), {}).get(path)
            if got is None:
                line += f" | {'':34} {'':4}"
            else:
                w, f = got
                line += f" | {w:9.0f} → {f:7.0f} ms {f / w:6.1f}× {'ok' if f <= 2 * w else 'OVER':>4}"
        print(line)
    for label, _, think in runs[1:]:
        for what in whats:
            print(f"\nfirst view after a {what} change, {label} (view {think:g} s after the change)")
            for path in FIRST_VIEW_PAGES:
                w, f = table[(label, what)][path]
                print(f"{path:40} {w:7.0f} → {f:7.0f} ms {f / w:6.1f}× {'ok' if f <= 2 * w else 'OVER':>4}")


if __name__ == "__main__":
    main()
