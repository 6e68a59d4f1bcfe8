"""Import a ledger file: read → validate (all problems at once) → scope and ownership checks →
one transaction of inserts/updates (unchanged rows untouched, changed rows audited before → after).
A file with any problem changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polars as pl
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError

from ..regions import scope_of
from . import store
from .excel_io import ROW_COL, SHEET_COL, Problem, read_ledger_file
from .kinds import Kind, get_kind
from .validate import KEY_COL, default_region_resolver, validate


@dataclass
class ImportReport:
    kind: str
    file: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if not self.ok:
            return f"发现 {len(self.problems)} 个问题，未导入任何数据"
        return (f"共 {self.rows} 行：新增 {self.inserted} 条，更新 {self.updated} 条，"
                f"未变化 {self.unchanged} 条")


def _region_label(code: str) -> str:
    try:
        from ..regions import registry

        r = registry().get(code)
        return f"{r.full_name}({code})" if r else code
    except Exception:
        return code


def import_bytes(
    engine: Engine,
    kind: Kind | str,
    data: bytes,
    filename: str,
    *,
    username: str = "cli",
    scope_root: str | None = None,
    today: dt.date | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> ImportReport:
    step = progress or (lambda _label, _done, _total: None)
    report, checked = _checked(kind, data, filename, scope_root, today, step)
    if checked is None:
        return report
    kind, typed, problems, read, fname, allowed = checked
    try:
        return _write(engine, kind, typed, problems, report, read, fname, allowed, scope_root, username, step)
    except Exception as exc:
        dbapi_error = getattr(engine.dialect.dbapi, "IntegrityError", IntegrityError)
        if not isinstance(exc, (IntegrityError, dbapi_error)):
            raise
        # another import of the same records committed in between; nothing of ours was kept
        report.inserted = report.updated = report.unchanged = 0
        report.problems = [Problem(fname, None, None, None, None,
                                   "导入时有其他用户同时写入了相同的记录，本次未导入任何数据，请重新导入")]
        return report


def _checked(kind, data: bytes, filename: str, scope_root, today, step):
    """Read and validate a file: (report, None) when it cannot be read, else (report, what
    ``_write`` needs: kind, typed frame, problems, read file, file name, allowed regions)."""
    kind = kind if isinstance(kind, Kind) else get_kind(kind)
    fname = Path(filename).name
    report = ImportReport(kind.id, fname)
    step("读取文件", 0, 4)
    read = read_ledger_file(kind, data, fname)
    report.warnings = read.warnings
    if read.problems or read.frame is None:
        report.problems = read.problems
        return report, None
    report.rows = read.frame.height
    step("校验数据", 1, 4)
    typed, problems = validate(kind, read.frame, file=fname, headers=read.columns, today=today,
                               region_resolver=default_region_resolver(scope_root))
    if kind.advisor and not problems:
        report.warnings = [*report.warnings, *_advisor(kind.advisor)(typed, fname)]
    return report, (kind, typed, problems, read, fname, scope_of(scope_root))


def check_bytes(kind: Kind | str, data: bytes, filename: str, *, scope_root: str | None = None,
                today: dt.date | None = None) -> ImportReport:
    """What an import of the file would refuse, without writing anything: reading, fields, values
    and the scope of each row's region (checks against stored records run at the import itself)."""
    report, checked = _checked(kind, data, filename, scope_root, today, lambda *_: None)
    if checked is not None:
        kind, typed, problems, read, fname, allowed = checked
        if kind.region_field and allowed is not None:
            problems += _outside(kind, typed, allowed, fname, scope_root)
        report.problems = sorted(problems, key=lambda p: (p.sheet or "", p.row or 0))
    return report


def _outside(kind: Kind, typed: pl.DataFrame, allowed: set[str], fname: str, scope_root) -> list[Problem]:
    """Rows whose region lies outside the importer's subtree."""
    rf = kind.region_field
    label = kind.field(rf).label
    outside = typed.filter(pl.col(rf).is_not_null() & ~pl.col(rf).is_in(sorted(allowed)))
    return [Problem(fname, s or None, r, label, code,
                    f"地区 {_region_label(code)} 不在您的管辖范围（{_region_label(scope_root)}）内，无权导入")
            for s, r, code in outside.select(SHEET_COL, ROW_COL, rf).iter_rows()]


class _Refused(Exception):
    pass


def import_together(engine: Engine, files: list[tuple[Kind | str, bytes, str]], *, username: str = "cli",
                    scope_root: str | None = None, today: dt.date | None = None) -> list[ImportReport]:
    """Several files (kind, bytes, name) in one transaction: all are stored, or none when any has a
    problem (each report then says what; none shows a count)."""
    reports: list[ImportReport] = []
    try:
        with engine.begin() as conn:
            for kind, data, name in files:
                reports.append(import_bytes(conn, kind, data, name, username=username, scope_root=scope_root,
                                            today=today))
            if not all(r.ok for r in reports):
                raise _Refused
    except _Refused:
        for r in reports:
            r.inserted = r.updated = r.unchanged = 0
    return reports


def _transaction(engine):
    """A new transaction on an engine, or the caller's own on a connection (the records then commit
    or roll back with the caller's other writes)."""
    import contextlib

    if isinstance(engine, Connection):
        return contextlib.nullcontext(engine)
    return engine.begin()


def _write(engine, kind, typed, problems, report, read, fname, allowed, scope_root, username, step):
    with _transaction(engine) as conn:
        step("核对已有记录", 2, 4)
        # region from the enterprise ledger when the row has none
        if kind.region_from_enterprise and kind.region_field and kind.uscc_field:
            need = typed.filter(pl.col(kind.region_field).is_null() & pl.col(kind.uscc_field).is_not_null())
            if need.height:
                regions = store.enterprise_regions(conn, need.get_column(kind.uscc_field).to_list())
                typed = typed.with_columns(pl.coalesce(
                    pl.col(kind.region_field),
                    pl.col(kind.uscc_field).replace_strict(regions, default=None, return_dtype=pl.String),
                ).alias(kind.region_field))
        rf = kind.region_field
        region_label = kind.field(rf).label if rf else "行政区划代码"
        if rf:
            # rows still without a region (and without another error on that column)
            bad_cols = {(p.row, p.sheet or "") for p in problems if p.column == read.columns.get(rf, region_label)}
            missing = typed.filter(pl.col(rf).is_null())
            for s, r, u in missing.select(SHEET_COL, ROW_COL,
                                          pl.col(kind.uscc_field) if kind.uscc_field else pl.lit(None)).iter_rows():
                if (r, s) in bad_cols:
                    continue
                reason = ("未填写行政区划代码，且企业台账中没有该企业，无法确定所属地区；请先导入企业台账或填写行政区划代码"
                          if kind.region_from_enterprise else "必填项为空")
                problems.append(Problem(fname, s or None, r, region_label, u, reason))
            if allowed is not None:
                problems += _outside(kind, typed, allowed, fname, scope_root)

            if allowed is not None and kind.id != "enterprise" and kind.uscc_field:
                _refuse_foreign_enterprises(conn, kind, typed, problems, fname, allowed, scope_root)

        keys = typed.get_column(KEY_COL).drop_nulls().unique().to_list()
        old = store.existing(conn, kind.id, keys)
        joined = typed.join(old.rename({"region_code": "__old_region"}), left_on=KEY_COL, right_on="key",
                            how="left")
        if allowed is not None and old.height:
            foreign = joined.filter(pl.col("id").is_not_null() & ~pl.col("__old_region").is_in(sorted(allowed)))
            key_label = "、".join(kind.field(k).label for k in kind.key)
            for s, r, key, reg in foreign.select(SHEET_COL, ROW_COL, KEY_COL, "__old_region").iter_rows():
                problems.append(Problem(fname, s or None, r, key_label, key,
                                        f"该记录已由 {_region_label(reg)} 登记，不在您的管辖范围内，不能修改；"
                                        "如需变更所属地区请联系上级管理员"))
        if problems:
            problems.sort(key=lambda p: (p.sheet or "", p.row or 0))
            report.problems = problems
            return report

        step("写入数据库", 3, 4)
        # only rows already stored need their hash now; new rows are encoded while being written
        stored = typed.get_column(KEY_COL).is_in(old.get_column("key").implode()) if old.height else \
            pl.Series([False] * typed.height, dtype=pl.Boolean)
        new = typed.filter(~stored)
        enc = store.encode(kind, typed.filter(stored)).join(old, on="key", how="inner", suffix="_old")
        changed = enc.filter((pl.col("row_hash") != pl.col("row_hash_old"))
                             | (pl.col("region_code") != pl.col("region_code_old")))
        report.unchanged = enc.height - changed.height
        now = dt.datetime.now(dt.timezone.utc)
        report.inserted = store.insert_typed(
            conn, kind, new, now,
            progress=lambda done, total: step(f"写入数据库 {done:,}/{total:,} 行", 3 + done / max(total, 1), 4))
        if changed.height:
            before = store.fetch_data(conn, changed.get_column("id").to_list())
            entries = []
            for rid, key, reg, reg_old, data in changed.select("id", "key", "region_code", "region_code_old",
                                                                "data").iter_rows():
                import json

                after = json.loads(data)
                prev = before.get(rid, {})
                diff_b = {k: prev.get(k) for k in after if prev.get(k) != after.get(k)}
                diff_a = {k: after.get(k) for k in diff_b}
                if reg != reg_old:
                    diff_b["region_code"], diff_a["region_code"] = reg_old, reg
                entries.append({"at": now, "username": username, "action": "update",
                                "entity": f"ledger:{kind.id}", "entity_id": key[:128],
                                "region_code": reg, "before": diff_b, "after": diff_a})
            report.updated = store.update_encoded(conn, changed, now, kind.id)
            store.insert_audit(conn, entries)
        if report.inserted or report.updated:
            store.insert_audit(conn, [{
                "at": now, "username": username, "action": "import", "entity": f"ledger:{kind.id}",
                "entity_id": fname[:128], "region_code": scope_root, "before": None,
                "after": {"file": fname, "rows": report.rows, "inserted": report.inserted,
                          "updated": report.updated, "unchanged": report.unchanged},
            }])
    step("完成", 4, 4)
    return report


def _advisor(path: str) -> Callable:
    """The function a kind names as ``advisor`` ("package.module:function"): (typed frame, file name)
    → advice texts shown with a successful import (e.g. a demand's quality before publishing)."""
    import importlib

    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def _refuse_foreign_enterprises(conn, kind: Kind, typed: pl.DataFrame, problems: list, fname: str,
                                allowed: set[str], scope_root: str | None) -> None:
    """A record about an enterprise is judged by the region the enterprise is registered in (the
    enterprise ledger), not by the region the file claims: records about another district's
    enterprise are refused, naming the row and the credit code."""
    usccs = typed.get_column(kind.uscc_field).drop_nulls().unique().to_list()
    registered = store.enterprise_regions(conn, usccs)
    foreign = {u: r for u, r in registered.items() if r not in allowed}
    if not foreign:
        return
    label = kind.field(kind.uscc_field).label
    rows = typed.filter(pl.col(kind.uscc_field).is_in(sorted(foreign)))
    for s, r, u in rows.select(SHEET_COL, ROW_COL, kind.uscc_field).iter_rows():
        problems.append(Problem(fname, s or None, r, label, u,
                                f"企业 {u} 登记在 {_region_label(foreign[u])}，不在您的管辖范围"
                                f"（{_region_label(scope_root)}）内，不能导入该企业的记录"))


def records_csv(kind: Kind | str, records: list[dict]) -> bytes:
    """Records given as dicts (keys: field ids, Chinese labels or header variants) written as the
    CSV a user could have uploaded: row 2 is records[0]."""
    import csv
    import io

    from .kinds import normalize_header

    kind = kind if isinstance(kind, Kind) else get_kind(kind)
    lookup = kind.header_lookup()
    rows = [{lookup.get(normalize_header(key), key): v for key, v in rec.items()} for rec in records]
    columns: list[str] = []
    for rec in rows:
        columns += [c for c in rec if c not in columns]

    def cell(v) -> str:
        if v is None:
            return ""
        if isinstance(v, bool):
            return "是" if v else "否"
        return str(v)

    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    writer.writerows([cell(rec.get(c)) for c in columns] for rec in rows)
    return buf.getvalue().encode("utf-8")


def import_records(engine: Engine, kind: Kind | str, records: list[dict], source: str = "接口请求",
                   **kwargs) -> ImportReport:
    """Records checked and stored exactly like a file: they pass through the same reader as a CSV."""
    return import_bytes(engine, kind, records_csv(kind, records), f"{source}.csv", **kwargs)


def import_file(engine: Engine, kind: Kind | str, path: str | Path, **kwargs) -> ImportReport:
    p = Path(path)
    if not p.exists():
        k = kind if isinstance(kind, Kind) else get_kind(kind)
        return ImportReport(k.id, p.name, problems=[Problem(p.name, None, None, None, None, "文件不存在")])
    return import_bytes(engine, kind, p.read_bytes(), p.name, **kwargs)
