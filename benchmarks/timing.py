"""Shared by the benchmark scripts (run as `python benchmarks/<name>.py`, so this folder is on the path)."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


def best(fn: Callable[[], object], repeat: int = 5) -> float:
    """The fastest of `repeat` runs of `fn`, in seconds."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


@contextmanager
def demo_var(var: str | None, enterprises: int) -> Iterator[Path]:
    """A var folder holding the synthetic 盐城市 (built with `kechuang demo-setup` unless ``var``
    already holds kechuang.db), set as KECHUANG_VAR_DIR; a scratch folder when ``var`` is None."""
    import os
    import subprocess
    import sys
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(var or scratch)
        os.environ["KECHUANG_VAR_DIR"] = str(folder)
        os.environ.pop("KECHUANG_DATABASE_URL", None)
        if not (folder / "kechuang.db").exists():
            exe = Path(sys.executable).with_name("kechuang")
            subprocess.run([str(exe), "demo-setup", "--city", "盐城市", "--enterprises", str(enterprises)],
                           check=True, stdout=subprocess.DEVNULL, env=dict(os.environ, KECHUANG_SECRET_KEY="bench"))
        yield folder


def add_database_options(ap, enterprises: int = 200_000) -> None:
    """--var, --enterprises and --database-url: the database a benchmark reads (`database_url`)."""
    ap.add_argument("--var", help="a demo folder holding kechuang.db (built when absent)")
    ap.add_argument("--enterprises", type=int, default=enterprises)
    ap.add_argument("--database-url", help="read this database instead of --var's")


@contextmanager
def database_url(args) -> Iterator[str]:
    """--database-url as given, else the demo city's SQLite file in --var (built when absent)."""
    if args.database_url:
        yield args.database_url
        return
    with demo_var(args.var, args.enterprises) as var:
        yield f"sqlite:///{Path(var) / 'kechuang.db'}"
