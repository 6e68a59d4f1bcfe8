"""`kechuang evaluate --region` end to end: the path an office runs on its own ledgers (profiles
built from the ledger records, every program evaluated, the results stored in the database),
against `kechuang evaluate --input` of the same profiles written to a CSV file (the streaming
path, nothing stored), in the same run. A summary from --input computes the result codes only (no
reasons), so the ratio is what building profiles from the ledgers, explaining every result and
storing it all costs on top of the evaluation itself.

Per command, in a child process as a user runs it:
- wall time;
- peak private memory: the highest RssAnon sampled every half second, what the process itself holds;
- peak resident memory: the high-water mark VmHWM. It also counts the pages of the database file
  that SQLite reads through its memory map (up to 2 GiB of the operating system's file cache,
  which any process may share), so it overstates what the command needs;
- for --region, when it reports "已保存": every batch of profiles built, evaluated and stored, and
  the new results shown in place of the date's earlier ones (whose rows are deleted after that,
  until the command ends), and its resident memory then.

The --region run replaces the stored results of the day with the same results: use a copy of a
shared demo folder.

    .venv/bin/python benchmarks/evaluate_region.py --var DIR [--region 320900]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--var", required=True, help="a demo folder holding kechuang.db (`kechuang demo-setup`)")
    ap.add_argument("--region", default="320900", help="the region evaluated (default: the demo city)")
    args = ap.parse_args()
    var = Path(args.var)
    env = dict(os.environ, KECHUANG_VAR_DIR=str(var), KECHUANG_DATABASE_URL=f"sqlite:///{var / 'kechuang.db'}",
               KECHUANG_SECRET_KEY=os.environ.get("KECHUANG_SECRET_KEY", "bench"))
    print(f"load average {' / '.join(f'{x:.1f}' for x in os.getloadavg())} (timings on a shared machine vary)")
    with tempfile.TemporaryDirectory() as scratch:
        profiles = Path(scratch) / "profiles.csv"
        n = export_profiles(env, args.region, profiles)
        region = run(env, ["evaluate", "--region", args.region, "--program", "all", "--format", "summary"],
                     marks={"shown": "已保存"})
        streamed = run(env, ["evaluate", "--input", str(profiles), "--program", "all", "--format", "summary"],
                       marks={"evaluated": "数据缺失"})
    print(f"\n{n:,} enterprises of region {args.region}, every program:")
    for label, r in (("--region (ledgers → stored)", region), ("--input (CSV → summary)", streamed)):
        phases = "; ".join(f"{k} at {t:.1f} s ({rss / 1e9:.2f} GB resident)" for k, (t, rss) in r["marks"].items())
        print(f"  {label:<28} {r['wall']:7.1f} s wall, peak {r['private'] / 1e9:5.2f} GB private, "
              f"{r['peak'] / 1e9:5.2f} GB resident   {phases}")
    print(f"  --region / --input: {region['wall'] / streamed['wall']:.1f}× the time, "
          f"{region['private'] / streamed['private']:.1f}× the peak private memory (baseline: --input)")


def export_profiles(env: dict, region: str, path: Path) -> int:
    """The profiles `--region` evaluates, built from the ledgers in a child process and written to
    ``path``: the same population for both commands, a batch at a time as --region builds it."""
    code = ("import datetime as dt, sys\n"
            "from kechuang import db\n"
            "from kechuang.ledgers import profile_batches\n"
            "n = 0\n"
            "with open(sys.argv[2], 'wb') as out:\n"
            "    for f in profile_batches(db.get_engine(), sys.argv[1], dt.date.today()):\n"
            "        f.write_csv(out, include_header=n == 0)\n"
            "        n += f.height\n"
            "print(n)")
    done = subprocess.run([sys.executable, "-c", code, region, str(path)], env=env, check=True,
                          capture_output=True, text=True)
    return int(done.stdout.split()[-1])


def run(env: dict, args: list[str], marks: dict[str, str]) -> dict:
    """One kechuang command: its wall time, peak memory, and when each message of ``marks`` came
    (with the resident memory then)."""
    exe = Path(sys.executable).with_name("kechuang")
    start = time.perf_counter()
    child = subprocess.Popen([str(exe), *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    resident = {"VmRSS": 0, "VmHWM": 0, "RssAnon": 0}
    private = [0]  # the highest RssAnon sampled: the process's own memory, without mapped file pages
    stop = threading.Event()

    def sample():
        while not stop.wait(0.5):
            try:
                with open(f"/proc/{child.pid}/status") as f:
                    for line in f:
                        name = line.split(":", 1)[0]
                        if name in resident:
                            resident[name] = int(line.split()[1]) * 1024
                private[0] = max(private[0], resident["RssAnon"])
            except OSError:
                pass

    threading.Thread(target=sample, daemon=True).start()
    seen: dict[str, tuple[float, int]] = {}
    for line in child.stderr:
        for name, text in marks.items():
            if name not in seen and text in line:
                seen[name] = (time.perf_counter() - start, resident["VmRSS"])
    code = child.wait()
    wall = time.perf_counter() - start
    stop.set()
    if code != 0:
        raise SystemExit(f"kechuang {' '.join(args)}: exit {code}")
    return {"wall": wall, "peak": resident["VmHWM"], "private": private[0], "marks": seen}


if __name__ == "__main__":
    main()
