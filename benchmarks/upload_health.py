"""/healthz while the largest allowed uploads are processed.

Serves a throw-away SQLite database with uvicorn on loopback, logs in as a district officer and
sends, one after another, the largest ledger file and the largest policy document the limits allow
(kechuang.limits; lower them with KECHUANG_MAX_LEDGER_MB / KECHUANG_MAX_DOCUMENT_MB for a quick
run). Meanwhile it asks /healthz every 50 ms and prints its p50/p95/max next to the 100 ms budget,
and the ratio to /healthz measured before the uploads, in the same run.

    .venv/bin/python benchmarks/upload_health.py [--port 8301] [--ledger-mb 100] [--document-mb 20]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from web import wait_ready

PASSWORD = "upload-horse-42"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _ledger_csv(limit_bytes: int) -> bytes:
    from kechuang.ledgers.uscc import make

    head = "统一社会信用代码,企业名称,行政区划代码\n"
    out, size, i = [head], len(head.encode()), 0
    while True:
        line = f"{make('91', '320902', f'MB{i:07d}')},【演示】压测企业{i},320902\n"
        n = len(line.encode())
        if size + n > limit_bytes:
            break
        out.append(line)
        size += n
        i += 1
    return "".join(out).encode()


def _document(limit_bytes: int, max_chars: int) -> bytes:
    para = "亭湖区坚持创新驱动发展战略，推动科技型企业梯次培育，持续优化创新生态，提升公共服务水平。\n"
    text = "亭湖区科技工作要点\n\n" + para * (min(limit_bytes // len(para.encode()), max_chars // len(para)) - 2)
    return text.encode()


def _health(base: str, stop: threading.Event, samples: list[float]) -> None:
    with httpx.Client(base_url=base, timeout=30) as c:
        while not stop.is_set():
            t = time.perf_counter()
            c.get("/healthz")
            samples.append(time.perf_counter() - t)
            time.sleep(0.05)


def _summary(label: str, xs: list[float], base_p50: float) -> str:
    xs = sorted(xs)
    p95 = xs[int(len(xs) * 0.95) - 1] if len(xs) >= 20 else xs[-1]
    return (f"{label:<28} n={len(xs):4d}  p50={statistics.median(xs) * 1000:6.1f} ms  p95={p95 * 1000:6.1f} ms  "
            f"max={xs[-1] * 1000:6.1f} ms  (budget 100 ms; p95/idle p50 = {p95 / base_p50:5.1f}×)")


def main() -> None:
    from kechuang.limits import MB, limits

    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=8301)
    ap.add_argument("--ledger-mb", type=int, default=limits().ledger_upload_mb)
    ap.add_argument("--document-mb", type=int, default=limits().document_upload_mb)
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="kc-upload-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    env = {**os.environ, "KECHUANG_DATABASE_URL": url, "KECHUANG_VAR_DIR": str(tmp / "var"),
           "KECHUANG_SECRET_KEY": "bench", "KECHUANG_WARM": "0",
           "KECHUANG_MAX_LEDGER_MB": str(args.ledger_mb), "KECHUANG_MAX_DOCUMENT_MB": str(args.document_mb)}
    os.environ.update(env)
    from kechuang import db
    from kechuang.accounts import add_user

    db.upgrade(url)
    with db.session_scope(db.engine_for(url)) as s:
        add_user(s, "bench", PASSWORD, "officer", "320902")
    ledger = _ledger_csv(args.ledger_mb * MB - 1024)
    document = _document(args.document_mb * MB - 1024, limits().document_chars)
    rows = ledger.count(b"\n") - 1
    print(f"ledger file {len(ledger) / MB:.1f} MB ({rows:,} rows), "
          f"document {len(document) / MB:.1f} MB")

    base = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen([sys.executable, "-c", "from kechuang.cliutil import main; main()", "serve",
                               "--port", str(args.port)], env=env)
    try:
        wait_ready(base)
        idle: list[float] = []
        stop = threading.Event()
        t = threading.Thread(target=_health, args=(base, stop, idle))
        t.start()
        time.sleep(2)
        stop.set()
        t.join()
        base_p50 = statistics.median(idle)
        print(_summary("/healthz idle", idle, base_p50))

        c = httpx.Client(base_url=base, timeout=600)
        c.post("/login", data={"username": "bench", "password": PASSWORD, "csrf_token": _csrf(c.get("/login").text)})
        for label, path, name, data, ctype in (
                ("ledger upload", "/ledgers/enterprise/import", "压测.csv", ledger, "text/csv"),
                ("document upload", "/docs/upload", "压测.txt", document, "text/plain")):
            samples: list[float] = []
            stop = threading.Event()
            t = threading.Thread(target=_health, args=(base, stop, samples))
            t.start()
            start = time.perf_counter()
            r = c.post(path, files={"file": (name, data, ctype)}, data={"csrf_token": _csrf(c.get("/docs").text)})
            took = time.perf_counter() - start
            stop.set()
            t.join()
            print(f"{label}: HTTP {r.status_code} in {took:.1f} s")
            print(_summary(f"/healthz during {label}", samples, base_p50))
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
