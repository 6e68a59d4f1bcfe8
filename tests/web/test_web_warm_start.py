"""A server warming up at its start (KECHUANG_WARM) answers its health checks at once, /readyz with
503 until it is warm, and holds every other request until the warm-up is done: the dashboards'
ledger frames and every metric's prepared records are in memory by then, so a restarted server's
first requests do not share the processor with the warm-up."""

from __future__ import annotations

import datetime as dt
import threading
import time

from fastapi.testclient import TestClient

from kechuang.ledgers.demo import generate_city
from kechuang.settings import Settings
from kechuang.targets import metrics as tm


def _forget_in_process():
    with tm._FRAMES_LOCK:
        tm._FRAMES.clear()
    with tm._PREPARED_LOCK:
        tm._PREPARED.clear()


def _started(db_url, tmp_path, warm: bool) -> tuple[set[str], set[str]]:
    """The ledger kinds kept and metrics prepared when the app has started, before any request."""
    from kechuang.web.app import create_app

    _forget_in_process()
    app = create_app(Settings(database_url=db_url, var_dir=tmp_path / "var", secret_key="test-secret",
                              secure_cookies=False, warm_on_start=warm))
    with TestClient(app) as client:
        _wait_ready(client)
        kinds = {key[1] for key in tm._FRAMES if key[0] == db_url}
        with tm._PREPARED_LOCK:
            prepared = set(tm._PREPARED)
        assert client.get("/healthz").status_code == 200
    return kinds, prepared


def _wait_ready(client) -> None:
    for _ in range(600):
        if client.get("/readyz").status_code == 200:
            return
        time.sleep(0.1)
    raise AssertionError("the warm-up did not finish")


def test_warm_up_is_done_before_the_first_request(engine, db_url, tmp_path):
    generate_city(engine, "320900", enterprises=40, seed=8, today=dt.date(2024, 6, 30))
    kinds, prepared = _started(db_url, tmp_path, warm=True)
    assert set(tm.dashboard_kinds()) <= kinds
    assert prepared and prepared <= set(tm.load_metrics())
    assert _started(db_url, tmp_path, warm=False) == (set(), set())  # without it, nothing is loaded up front


def test_health_checks_answer_while_warming_and_pages_wait(engine, db_url, tmp_path):
    from kechuang.web.app import create_app

    generate_city(engine, "320900", enterprises=40, seed=8, today=dt.date(2024, 6, 30))
    _forget_in_process()
    app = create_app(Settings(database_url=db_url, var_dir=tmp_path / "var", secret_key="test-secret",
                              secure_cookies=False, warm_on_start=True))
    answered, held = {}, [True]
    tm._FRAMES_LOCK.acquire()  # the warm-up cannot load a ledger frame until it is released
    try:
        with TestClient(app) as client:
            assert client.get("/healthz").json() == {"status": "ok"}
            warming = client.get("/readyz")
            assert warming.status_code == 503 and warming.json()["status"] == "warming"
            page = threading.Thread(target=lambda: answered.update(login=client.get("/login").status_code))
            page.start()
            page.join(0.5)
            assert page.is_alive() and not answered  # held until the warm-up is done
            tm._FRAMES_LOCK.release()
            held.clear()
            page.join(60)
            assert answered == {"login": 200}
            _wait_ready(client)
            assert client.get("/readyz").json() == {"status": "ready"}
    finally:
        if held:
            tm._FRAMES_LOCK.release()
