"""Start-up of the command line: `kechuang --help` and `kechuang regions find 江阴`.

Budget (issue 12): each under 0.5 s. Printed with two baselines measured in the same run:
the bare interpreter, and a one-command Typer app doing the same (``--help``; a command with one
argument printing a line with Rich): the floor every Typer command line pays. Each figure is the best of 5 runs of a fresh process.

    .venv/bin/python benchmarks/startup.py
"""

from __future__ import annotations

import subprocess
import sys
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


def best_run(args: list[str], repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    py = sys.executable
    bare = best_run([py, "-c", "pass"])
    print(f"baseline: python {bare:.3f} s")
    for name, argv in (("kechuang --help", ["--help"]), ("kechuang regions find 江阴", ["regions", "find", "江阴"])):
        floor = best_run([py, "-c", MINIMAL, argv[-1]])
        t = best_run([py, "-m", "kechuang.cli", *argv])
        verdict = "ok" if t <= BUDGET else "OVER"
        print(f"{name}: {t:.3f} s (budget {BUDGET} s: {verdict}); one-command Typer app {floor:.3f} s, "
              f"ratio {t / floor:.2f}x")


if __name__ == "__main__":
    main()
