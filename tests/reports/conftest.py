import pytest

from targets.conftest import small_ledgers


@pytest.fixture
def ledgers():
    return small_ledgers()
