"""Ledger import speed: a 200,000-row 企业年度数据 file, as .xlsx and as .csv, into SQLite, against
a naive row-by-row ORM insert measured in the same run.

    .venv/bin/python benchmarks/ledgers.py [--rows 200000] [--baseline-rows 5000] [--only xlsx|csv]

For each format it prints rows/second of: reading + validation only; the full import into an
empty database (read + validate + hash + bulk insert, one transaction); a re-import of the same
file (nothing changes); and the ratio of the import to the naive baseline (csv module, Python
conversion per cell, one ORM object and flush per row, on a sample). Budget: ≥ 20,000 rows/s
for the import. The machine's load average is printed too: timings on a shared machine vary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kechuang import db  # noqa: E402
from kechuang.ledgers.demo import generate  # noqa: E402
from kechuang.ledgers.excel_io import display_frame, read_ledger_file  # noqa: E402
from kechuang.ledgers.importer import import_bytes  # noqa: E402
from kechuang.ledgers.kinds import get_kind  # noqa: E402
from kechuang.ledgers.validate import default_region_resolver, validate  # noqa: E402

TODAY = dt.date(2026, 11, 25)
BUDGET = 20_000
SHEET = "企业年度数据"


def shown_frame(rows: int) -> pl.DataFrame:
    """``rows`` valid enterprise-year rows as a user would fill them in (Chinese headers, 是/否)."""
    kind = get_kind("enterprise_year")
    frames = generate("320900", enterprises=rows // 3 + 1000, seed=1, today=TODAY)
    ey = frames["enterprise_year"].head(rows)
    assert ey.height == rows, f"the generator gave only {ey.height} rows"
    return display_frame(kind, ey).rename({f.id: f.header for f in kind.fields})


def csv_bytes(shown: pl.DataFrame) -> bytes:
    buf = io.BytesIO()
    shown.write_csv(buf)
    return buf.getvalue()


def xlsx_bytes(shown: pl.DataFrame) -> bytes:
    """As an office would save it: numbers as numeric cells, texts as (shared) strings."""
    import xlsxwriter

    frame = shown.with_columns(pl.col(pl.Decimal).cast(pl.Float64))
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_numbers": False,
                                   "strings_to_formulas": False, "strings_to_urls": False})
    ws = wb.add_worksheet(SHEET)
    ws.write_row(0, 0, frame.columns)
    for i, row in enumerate(frame.iter_rows(), start=1):
        ws.write_row(i, 0, row)
    wb.close()
    return buf.getvalue()


def naive_baseline(engine, data: bytes, n: int) -> float:
    """Row by row: csv module, Python type conversion per cell, one ORM object and flush per row."""
    import csv
    import hashlib
    from decimal import Decimal

    from sqlalchemy.orm import Session

    from kechuang.ledgers.store import LedgerRecord

    kind = get_kind("enterprise_year")
    by_header = {f.header: f for f in kind.fields}
    reader = csv.reader(io.StringIO(data.decode("utf-8")))
    header = next(reader)
    t0 = time.perf_counter()
    with Session(engine) as s:
        for i, row in enumerate(reader):
            if i >= n:
                break
            rec = {}
            for h, v in zip(header, row):
                f = by_header[h]
                if v == "":
                    rec[f.id] = None
                elif f.type in ("int", "year"):
                    rec[f.id] = int(v)
                elif f.is_decimal:
                    rec[f.id] = str(Decimal(v))
                else:
                    rec[f.id] = v
            text = json.dumps(rec, ensure_ascii=False)
            now = dt.datetime.now(dt.timezone.utc)
            s.add(LedgerRecord(kind="bench_naive", key=f"{rec['uscc']}|{rec['year']}", region_code=rec["region_code"],
                               uscc=rec["uscc"], year=rec["year"], record_date=None, data=rec,
                               row_hash=hashlib.sha256(text.encode()).hexdigest(), created_at=now, updated_at=now))
            s.flush()
        s.commit()
    return time.perf_counter() - t0


def load() -> str:
    try:
        return "负载 " + " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "负载 未知"


def rate(n: int, seconds: float) -> str:
    return f"{seconds:6.2f} s → {n / seconds:9,.0f} 行/秒"


def measure(tmp: str, fmt: str, data: bytes, rows: int) -> dict[str, float]:
    kind = get_kind("enterprise_year")
    name = f"{SHEET}.{fmt}"
    out: dict[str, float] = {}

    t0 = time.perf_counter()
    read = read_ledger_file(kind, data, name)
    t_read = time.perf_counter() - t0
    assert not read.problems, [p.text() for p in read.problems[:5]]
    typed, problems = validate(kind, read.frame, file=name, headers=read.columns, today=TODAY,
                               region_resolver=default_region_resolver(None))
    out["read"] = time.perf_counter() - t0
    assert not problems and typed.height == rows, [p.text() for p in problems[:5]]
    print(f"  读取+校验          : {rate(rows, out['read'])}  (其中读取 {t_read:.2f} s)")

    url = f"sqlite:///{tmp}/bench_{fmt}.db"
    db.upgrade(url)
    engine = db.engine_for(url)
    try:
        t0 = time.perf_counter()
        rep = import_bytes(engine, "enterprise_year", data, name, today=TODAY)
        out["import"] = time.perf_counter() - t0
        assert rep.ok, [p.text() for p in rep.problems[:5]]
        assert rep.inserted == rows
        ok = "达标" if rows / out["import"] >= BUDGET else "未达标"
        print(f"  导入（空库，单事务）: {rate(rows, out['import'])}  ({ok}，预算 ≥ {BUDGET:,})")

        t0 = time.perf_counter()
        rep = import_bytes(engine, "enterprise_year", data, name, today=TODAY)
        out["reimport"] = time.perf_counter() - t0
        assert rep.ok and rep.unchanged == rows
        print(f"  重复导入（无变化）  : {rate(rows, out['reimport'])}")
    finally:
        engine.dispose()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--baseline-rows", type=int, default=5_000)
    ap.add_argument("--only", choices=["xlsx", "csv"], help="measure one format only")
    args = ap.parse_args()
    fmts = [args.only] if args.only else ["xlsx", "csv"]

    print(f"开始时{load()}（2 核共享机器，负载高时数字偏低）")
    t0 = time.perf_counter()
    shown = shown_frame(args.rows)
    files = {}
    for fmt in fmts:
        files[fmt] = xlsx_bytes(shown) if fmt == "xlsx" else csv_bytes(shown)
    sizes = "，".join(f".{k} {len(v) / 1e6:.1f} MB" for k, v in files.items())
    print(f"生成测试文件：{args.rows:,} 行，{sizes}，{time.perf_counter() - t0:.1f} s")

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in fmts:
            print(f".{fmt}：")
            results[fmt] = measure(tmp, fmt, files[fmt], args.rows)

        n = min(args.baseline_rows, args.rows)
        url = f"sqlite:///{tmp}/bench_naive.db"
        db.upgrade(url)
        engine = db.engine_for(url)
        t_naive = naive_baseline(engine, csv_bytes(shown.head(n)), n)
        engine.dispose()
    naive_rate = n / t_naive
    print(f"逐行 ORM 基线（{n:,} 行 CSV）: {rate(n, t_naive)}")
    for fmt, r in results.items():
        print(f"比值 .{fmt} 导入/基线 = {args.rows / r['import'] / naive_rate:.1f}×，"
              f"重复导入/基线 = {args.rows / r['reimport'] / naive_rate:.1f}×")
    print(f"结束时{load()}")


if __name__ == "__main__":
    main()
