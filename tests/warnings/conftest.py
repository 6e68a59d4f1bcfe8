"""Fixtures of the warning tests: program results stored as `kechuang evaluate --region` stores them."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import pytest

from kechuang import db

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def store_results(engine):
    """Evaluate profiles ({uscc, region_code, …fields}) for programs and store the results at as_of."""
    import polars as pl

    from kechuang.programs.engine import evaluate
    from kechuang.programs.explain import records
    from kechuang.programs.fields import fields
    from kechuang.programs.store import save

    def _store(rows: list[dict], programs: list[str], as_of: dt.date) -> list[dict]:
        regions = {r["uscc"]: r["region_code"] for r in rows}
        rows = [{k: v for k, v in r.items() if k != "region_code"} for r in rows]
        cols = sorted({k for r in rows for k in r})
        frame = pl.DataFrame({c: pl.Series(c, [r.get(c) for r in rows], dtype=fields()[c].dtype, strict=False)
                              for c in cols})
        recs = list(records(evaluate(frame, programs, as_of)))
        with db.session_scope(engine) as s:
            save(s.connection(), as_of, recs, regions, programs)
        return recs

    return _store
