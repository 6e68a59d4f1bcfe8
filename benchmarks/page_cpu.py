"""CPU per request, in this process, of every page `web.py` times under load, each as a ratio to
/healthz measured in the same run, and which pages are over a per-page CPU budget.

`web.py` serves 20 clients with 2 workers on two shared cores, so a page's p95 there is about
20 × its CPU per request / 2: the 150 ms p95 budget leaves about 12 ms of CPU per request once
the client's own share is counted. Pages with {n}, {page} or {month}/{day} in their URL get a new
URL on every request (as in `web.py`), so the rendered-page cache never serves them.

Requests go straight to the application (ASGI) from an event loop in this process, as uvicorn
hands them over (sync handlers in the thread pool), without an HTTP client or server in
between: their cost would hide a millisecond saved in a page.

CPU time (time.process_time, all threads of this process; Polars' worker threads count) rather
than wall time: steadier on a shared machine, though other load still moves it; compare the
ratios. The background refresh is off, so only the request's own work is counted.

    .venv/bin/python benchmarks/page_cpu.py [--var DIR] [--enterprises 20000] [--requests 30]
        [--database-url postgresql+psycopg://…] [--budget 12] [--pages /targets ...]
        [--profile PAGE [--callees REGEX]]

With --database-url (a database server on this machine), the server's processes' CPU per request
(read from /proc, every process named postgres) is printed beside this process's: on two shared
cores both count against the budget.

--profile PAGE prints a cProfile summary of that page's timed requests after the table (the
project's, Jinja's and SQLAlchemy's functions by cumulative time, then all by own time; with
--callees, what the functions matching REGEX call); its timings include the profiler's overhead.
Requests run on the server's event-loop thread, and sync handlers normally in worker threads
that cProfile does not see; while profiling, those run on the event-loop thread itself, where
the profiler is switched on for the request.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import time

from timing import demo_var
from web import PAGES, page_url


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--var", help="a demo folder holding kechuang.db (built when absent); views write "
                                  "its cache folder, so use a copy of a shared demo")
    ap.add_argument("--enterprises", type=int, default=20_000)
    ap.add_argument("--requests", type=int, default=30, help="timed requests per page (at most 80)")
    ap.add_argument("--database-url", help="serve this database (e.g. the demo loaded into PostgreSQL)")
    ap.add_argument("--budget", type=float, default=12.0, help="CPU per request (ms) a page may cost")
    ap.add_argument("--pages", nargs="*", default=PAGES)
    ap.add_argument("--profile", help="a page of --pages to profile")
    ap.add_argument("--callees", help="with --profile: also what the functions matching this regex call")
    args = ap.parse_args()
    if not 1 <= args.requests <= 80:
        raise SystemExit("--requests must be between 1 and 80 (dated URLs repeat after 84)")
    with demo_var(args.var, args.enterprises):
        if args.database_url:
            os.environ["KECHUANG_DATABASE_URL"] = args.database_url
        run(args)


def run(args) -> None:
    import asyncio

    from kechuang.web.app import create_app

    os.environ.setdefault("KECHUANG_SECRET_KEY", "bench")
    os.environ["KECHUANG_REFRESH"] = "0"
    app = create_app()
    asyncio.run(measure(args, app))


async def measure(args, app) -> None:
    pages = ["/healthz"] + [p for p in args.pages if p != "/healthz"]
    profiler = cProfile.Profile() if args.profile else None
    medians: dict[str, float] = {}
    spread: dict[str, tuple[float, float]] = {}  # mean and 90th percentile: a few slow requests queue the rest
    server: dict[str, float] = {}
    if profiler is not None:
        app = profiled(app, profiler, args.profile)
    client = Direct(app)
    async with client.lifespan():
        page = await client.request("GET", "/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        await client.request("POST", "/login", form={"username": "yancheng", "password": "kechuang-demo",
                                                     "csrf_token": token, "next": "/"})
        for path in pages:
            await client.request("GET", page_url(path, 0))  # the page's first view (process caches) untimed
            times = []
            before = database_cpu() if args.database_url else 0.0
            for i in range(1, args.requests + 1):
                url = page_url(path, i)
                t = time.process_time()
                await client.request("GET", url, profile=path == args.profile)
                times.append((time.process_time() - t) * 1000)
            medians[path] = statistics.median(times)
            spread[path] = (statistics.fmean(times), statistics.quantiles(times, n=10)[-1] if len(times) > 1 else times[0])
            if args.database_url:
                server[path] = (database_cpu() - before) * 1000 / args.requests
    report(args, medians, spread, server)
    if profiler is not None:
        stats = pstats.Stats(profiler)
        if os.environ.get("PAGE_CPU_STATS"):  # all of it, for pstats
            stats.dump_stats(os.environ["PAGE_CPU_STATS"])
        stats.sort_stats("cumulative").print_stats("kechuang|jinja|sqlalchemy", 60)
        stats.sort_stats("tottime").print_stats(30)
        if args.callees:
            stats.print_callees(args.callees)


class Direct:
    """Requests to an ASGI application in this event loop: the session cookie kept, the status
    checked (a redirect after a form is fine), the body returned as text."""

    def __init__(self, app):
        self.app, self.cookies = app, {}

    def lifespan(self):
        from contextlib import asynccontextmanager

        @asynccontextmanager
        async def span():
            import asyncio

            inbox: asyncio.Queue = asyncio.Queue()
            outbox: asyncio.Queue = asyncio.Queue()
            task = asyncio.create_task(self.app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                                inbox.get, outbox.put))
            await inbox.put({"type": "lifespan.startup"})
            started = await outbox.get()
            if started["type"] != "lifespan.startup.complete":
                raise SystemExit(f"the application did not start: {started}")
            try:
                yield
            finally:
                await inbox.put({"type": "lifespan.shutdown"})
                await outbox.get()
                await task

        return span()

    async def request(self, method: str, url: str, form: dict | None = None, profile: bool = False) -> str:
        from urllib.parse import urlencode

        path, _, query = url.partition("?")
        body = urlencode(form).encode() if form else b""
        headers = [(b"host", b"127.0.0.1"), (b"accept", b"text/html")]
        if self.cookies:
            headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()).encode()))
        if form:
            headers += [(b"content-type", b"application/x-www-form-urlencoded"),
                        (b"content-length", str(len(body)).encode())]
        if profile:
            headers.append((b"x-profile", b"1"))
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
                 "server": ("127.0.0.1", 8000), "state": {}}
        sent = False
        status, chunks = 0, []

        async def receive():
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                for k, v in message.get("headers", []):
                    if k.lower() == b"set-cookie":
                        name, _, rest = v.decode().partition("=")
                        self.cookies[name] = rest.split(";", 1)[0]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        if status >= 400 or (status >= 300 and not form):
            raise SystemExit(f"{method} {url}: HTTP {status}")
        return b"".join(chunks).decode()


def database_cpu() -> float:
    """CPU seconds (user and system) used so far by the processes named postgres."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        name, rest = stat[stat.index("(") + 1:stat.rindex(")")], stat[stat.rindex(")") + 2:].split()
        if name == "postgres":
            total += int(rest[11]) + int(rest[12])  # utime, stime
    return total / tick


def profiled(app, profiler: cProfile.Profile, page: str):
    """`app` with sync handlers run inline and the profiler on for requests marked x-profile."""
    import anyio.to_thread

    async def inline(func, *args, **kwargs):
        return func(*args)

    anyio.to_thread.run_sync = inline

    async def wrapper(scope, receive, send):
        on = scope["type"] == "http" and (b"x-profile", b"1") in scope.get("headers", [])
        if on:
            profiler.enable()
        try:
            await app(scope, receive, send)
        finally:
            if on:
                profiler.disable()

    return wrapper


def report(args, medians: dict[str, float], spread: dict[str, tuple[float, float]],
           server: dict[str, float]) -> None:
    health = medians["/healthz"]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"CPU per request, median of {args.requests} (ms); budget {args.budget:g} ms; "
          f"/healthz {health:.1f} ms; load average {load}")
    over = []
    for path, ms in sorted(medians.items(), key=lambda kv: -kv[1]):
        flag = "ok" if ms <= args.budget else "OVER"
        if flag == "OVER":
            over.append(path)
        db = f"   + database server {server[path]:5.1f} ms (mean)" if path in server else ""
        mean, p90 = spread[path]
        print(f"  {path:42s} {ms:8.1f} ms {ms / health:6.1f}× /healthz  {flag:4s}  mean {mean:5.1f}  p90 {p90:5.1f}{db}")
    print(f"over the budget: {len(over)} of {len(medians)} pages" + (f": {', '.join(over)}" if over else ""))


if __name__ == "__main__":
    main()
