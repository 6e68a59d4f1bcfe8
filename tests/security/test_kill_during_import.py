"""Kill -9 the server while it imports a ledger: the database stays whole, the import is all or
nothing, and the restarted server serves and takes the same file."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

import httpx
import pytest

from kechuang import db
from kechuang.accounts import add_user
from kechuang.ledgers.uscc import make
from web_helpers import PASSWORD, csrf_from

ROWS = 40_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(url: str, port: int, tmp_path) -> subprocess.Popen:
    env = {**os.environ, "KECHUANG_DATABASE_URL": url, "KECHUANG_VAR_DIR": str(tmp_path / "var"),
           "KECHUANG_SECRET_KEY": "kill-test", "KECHUANG_WARM": "0"}
    proc = subprocess.Popen([sys.executable, "-c", "from kechuang.cliutil import main; main()", "serve",
                             "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise AssertionError("server did not start")


def _login(base: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=120)
    token = csrf_from(c.get("/login").text)
    r = c.post("/login", data={"username": "killer", "password": PASSWORD, "csrf_token": token})
    assert r.status_code in (200, 303)
    return c


def _csv() -> bytes:
    lines = ["统一社会信用代码,企业名称,行政区划代码"]
    lines += [f"{make('91', '320902', f'MA{i:07d}')},【演示】企业{i},320902" for i in range(ROWS)]
    return ("\n".join(lines) + "\n").encode("utf-8")


@pytest.mark.slow
def test_kill_during_import_leaves_all_or_nothing(db_url, engine, tmp_path):
    if not db_url.startswith("sqlite"):
        pytest.skip("checks the SQLite file directly")
    with db.session_scope(engine) as s:
        add_user(s, "killer", PASSWORD, "officer", "320902")
    engine.dispose()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(db_url, port, tmp_path)
    data = _csv()
    try:
        c = _login(base)
        token = csrf_from(c.get("/ledgers/enterprise").text)
        outcome = {}

        def upload():
            try:
                outcome["status"] = c.post("/ledgers/enterprise/import", files={"file": ("企业.csv", data, "text/csv")},
                                           data={"csrf_token": token}).status_code
            except httpx.HTTPError as exc:
                outcome["error"] = type(exc).__name__

        t = threading.Thread(target=upload)
        t.start()
        time.sleep(1.5)  # the server is reading, checking or writing the file now
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        t.join(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    path = db_url.split("///", 1)[1]
    con = sqlite3.connect(path)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = con.execute("SELECT COUNT(*) FROM ledger_records WHERE kind = 'enterprise'").fetchone()[0]
    finally:
        con.close()
    assert n in (0, ROWS), f"half an import survived: {n} of {ROWS} rows"

    proc = _start(db_url, port, tmp_path)  # the restarted server serves and takes the file again
    try:
        c = _login(base)
        token = csrf_from(c.get("/ledgers/enterprise").text)
        r = c.post("/ledgers/enterprise/import", files={"file": ("企业.csv", data, "text/csv")},
                   data={"csrf_token": token})
        assert r.status_code == 200, r.text[:500]
        total = c.get("/api/ledgers/enterprise", params={"limit": 1}).json()["total"]
        assert total == ROWS
    finally:
        proc.kill()
        proc.wait(timeout=30)
