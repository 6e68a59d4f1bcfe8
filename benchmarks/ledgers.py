"""Ledger import speed: a 200,000-row 企业年度数据 file into SQLite, against a naive row-by-row ORM
insert measured in the same run.

    .venv/bin/python benchmarks/ledgers.py [--rows 200000] [--baseline-rows 5000] [--xlsx]

Prints rows/second of the real import (read + validate + hash + bulk insert, one transaction), of a
re-import of the same file (nothing changes), and of the baseline, and their ratio. Budget: ≥ 20,000
rows/s for the import.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from kechuang import db  # noqa: E402
from kechuang.ledgers.demo import generate  # noqa: E402
from kechuang.ledgers.excel_io import display_frame  # noqa: E402
from kechuang.ledgers.importer import import_bytes  # noqa: E402
from kechuang.ledgers.kinds import get_kind  # noqa: E402

TODAY = dt.date(2026, 11, 25)


def build_file(rows: int, as_xlsx: bool) -> tuple[bytes, str]:
    kind = get_kind("enterprise_year")
    frames = generate("320900", enterprises=rows // 3 + 1000, seed=1, today=TODAY)
    ey = frames["enterprise_year"].head(rows)
    shown = display_frame(kind, ey).rename({f.id: f.header for f in kind.fields})
    if as_xlsx:
        from kechuang.excel import xlsx_bytes

        return xlsx_bytes({"企业年度数据": shown}), "企业年度数据.xlsx"
    buf = io.BytesIO()
    shown.write_csv(buf)
    return buf.getvalue(), "企业年度数据.csv"


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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=200_000)
    ap.add_argument("--baseline-rows", type=int, default=5_000)
    ap.add_argument("--xlsx", action="store_true", help="benchmark an .xlsx file instead of CSV")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        db.upgrade(url)
        engine = db.engine_for(url)
        t0 = time.perf_counter()
        data, name = build_file(args.rows, args.xlsx)
        print(f"生成测试文件 {name}: {args.rows:,} 行, {len(data) / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        rep = import_bytes(engine, "enterprise_year", data, name, today=TODAY)
        t_import = time.perf_counter() - t0
        assert rep.ok, [p.text() for p in rep.problems[:5]]
        assert rep.inserted == args.rows
        rate = args.rows / t_import
        print(f"导入（读取+校验+写入，单事务）: {t_import:.2f} s → {rate:,.0f} 行/秒 (预算 ≥ 20,000)")

        t0 = time.perf_counter()
        rep = import_bytes(engine, "enterprise_year", data, name, today=TODAY)
        t_re = time.perf_counter() - t0
        assert rep.ok and rep.unchanged == args.rows
        print(f"重复导入（无变化）: {t_re:.2f} s → {args.rows / t_re:,.0f} 行/秒")

        n = min(args.baseline_rows, args.rows)
        csv_data = data if name.endswith(".csv") else build_file(n, False)[0]
        t_naive = naive_baseline(engine, csv_data, n)
        naive_rate = n / t_naive
        print(f"逐行 ORM 基线（{n:,} 行）: {t_naive:.2f} s → {naive_rate:,.0f} 行/秒")
        print(f"比值 导入/基线 = {rate / naive_rate:.1f}×")
        engine.dispose()


if __name__ == "__main__":
    main()
