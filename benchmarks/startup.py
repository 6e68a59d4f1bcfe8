"""Start-up of the command line: `kechuang --help` and `kechuang regions find 江阴`.

Budget (issue 12): each under 0.5 s. Printed with two baselines measured in the same run:
the bare interpreter (``python -c pass``), and a one-command Typer app doing the same (``--help``; a
command with one argument printing a line with Rich): the floor every Typer command line pays. Each
figure is the best of 5 runs of a fresh process.

Installed packages start from bytecode (pip compiles on install; `make install` runs uv with
``--compile-bytecode``). The budget is checked in that state, from a bytecode cache of this run's own
(PYTHONPYCACHEPREFIX in a temporary folder, filled by one run first), whatever the environment says;
the figure in the environment as it is is printed beside it: with PYTHONDONTWRITEBYTECODE set and
a virtual environment installed without bytecode, every module is compiled at each start (Typer's
argument parsing imports Pydantic, and compiling it alone costs about 0.2 s).

    .venv/bin/python benchmarks/startup.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

BUDGET = 0.5
MINIMAL = """
import typer
from rich.console import Console
app = typer.Typer(rich_markup_mode="rich")
@app.command()
def find(text: str = typer.Argument(..., help="地名")) -> None:
    Console().print(text)
app()
"""


def best_run(args: list[str], env: dict[str, str], repeat: int = 5) -> float:
    subprocess.run(args, check=True, capture_output=True, env=env)  # fills the bytecode cache
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True, env=env)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    py = sys.executable
    with tempfile.TemporaryDirectory(prefix="kc-pyc-") as cache:
        compiled = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        compiled["PYTHONPYCACHEPREFIX"] = cache
        bare = best_run([py, "-c", "pass"], compiled)
        print(f"baseline: python -c pass {bare:.3f} s")
        for name, argv in (("kechuang --help", ["--help"]),
                           ("kechuang regions find 江阴", ["regions", "find", "江阴"])):
            floor = best_run([py, "-c", MINIMAL, argv[-1]], compiled)
            t = best_run([py, "-m", "kechuang.cli", *argv], compiled)
            as_is = best_run([py, "-m", "kechuang.cli", *argv], dict(os.environ), repeat=3)
            verdict = "ok" if t <= BUDGET else "OVER"
            print(f"{name}: {t:.3f} s (budget {BUDGET} s: {verdict}), {t / bare:.0f}x bare python; "
                  f"one-command Typer app {floor:.3f} s, ratio {t / floor:.2f}x; "
                  f"in this environment as it is {as_is:.3f} s")


if __name__ == "__main__":
    main()
