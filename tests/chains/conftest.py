import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from helpers_chains import FIXTURES  # noqa: E402


@pytest.fixture(scope="session")
def fixture_chains():
    from kechuang.chains.templates import load_chains

    return load_chains(base=FIXTURES)


@pytest.fixture
def chains_dir(monkeypatch):
    """The fixture templates as a city's own directory, the shipped ones left out."""
    from kechuang.chains import templates

    monkeypatch.setattr(templates, "DATA", FIXTURES / "none")
    monkeypatch.setenv("KECHUANG_CHAINS_DIR", str(FIXTURES))
    templates._cached.cache_clear()
    yield FIXTURES
    templates._cached.cache_clear()
