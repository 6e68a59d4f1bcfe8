"""Web fixtures: an app on a fresh database and logged-in clients."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from kechuang import db
from kechuang.accounts import add_user
from kechuang.settings import Settings
from web_helpers import PASSWORD, login

@pytest.fixture
def app(db_url, tmp_path):
    from kechuang.web.app import create_app

    settings = Settings(database_url=db_url, var_dir=tmp_path / "var",
                        secret_key="test-secret", secure_cookies=False)
    return create_app(settings)


@pytest.fixture
def make_user(engine):
    def _make(username: str, role: str = "officer", region_code: str | None = None):
        with db.session_scope(engine) as s:
            add_user(s, username, PASSWORD, role, region_code)
        return username

    return _make


@pytest.fixture
def client_as(app, make_user):
    """client_as(role, region_code) → a TestClient logged in as a new user of that role/scope."""
    made = []

    def _client(role: str = "officer", region_code: str | None = None) -> TestClient:
        name = f"{role}{len(made)}"
        make_user(name, role, region_code)
        client = TestClient(app)
        made.append(client)
        resp = login(client, name)
        assert resp.status_code == 303, resp.text
        return client

    yield _client
    for c in made:
        c.close()


@pytest.fixture
def anon(app):
    with TestClient(app) as c:
        yield c
