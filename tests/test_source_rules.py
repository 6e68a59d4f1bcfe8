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


def test_no_demo_city_defaults_outside_demo_code():
    # an administrator of a real deployment must not land on the demo city (盐城市, 320900)
    demo = {"demo", "data"}
    found = []
    for p in sorted(SRC.rglob("*")):
        rel = p.relative_to(SRC)
        if not p.is_file() or p.suffix not in (".py", ".html", ".js") or demo & set(rel.parts[:-1]) \
                or p.name == "demo.py":
            continue
        for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
            if "320900" in line or "盐城" in line:
                found.append(f"{rel}:{i}: {line.strip()}")
    assert found == []
