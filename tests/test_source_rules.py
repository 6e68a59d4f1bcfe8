"""Rules over the source tree itself: no first-party import guards."""

from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "kechuang"


def _py_files():
    return sorted(SRC.rglob("*.py"))


def test_no_import_guards():
    # a guard around first-party code hides a broken import (e.g. silently strips region codes)
    found = [f"{p.relative_to(SRC)}:{i}" for p in _py_files()
             for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if "except ImportError" in line or "except ModuleNotFoundError" in line]
    assert found == []
