"""Read enterprise profile files (CSV or xlsx; English ids or Chinese labels)."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import polars as pl

from .fields import Field, column_for, fields

TRUE = {"是", "有", "true", "yes", "y", "1", "√", "✓", "t"}
FALSE = {"否", "无", "false", "no", "n", "0", "×", "f"}
MAX_ERRORS = 20


class ProfileError(ValueError):
    """Bad input in a profile file; the message names file, row, column and value."""


def read_table(path: Path) -> pl.DataFrame:
    path = Path(path)
    name = path.name
    if not path.exists():
        raise ProfileError(f"文件“{name}”不存在")
    data = path.read_bytes()
    if not data.strip():
        raise ProfileError(f"文件“{name}”是空文件")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm", ".xls"):
        try:
            return pl.read_excel(io.BytesIO(data), infer_schema_length=0)
        except Exception as exc:  # malformed workbook
            raise ProfileError(f"文件“{name}”不是有效的 Excel 工作簿：{exc}") from None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ProfileError(f"文件“{name}”的编码无法识别（应为 UTF-8 或 GB18030）")
    try:
        return pl.read_csv(io.StringIO(text), infer_schema=False)
    except Exception as exc:
        raise ProfileError(f"文件“{name}”不是有效的 CSV：{exc}") from None


def _parse(f: Field, raw: str):
    s = str(raw).strip()
    if f.type == "enum" and s in f.values:  # an enum value such as "none" is a value, not missing
        return s
    if s == "" or s.lower() in ("null", "none", "nan", "—", "-"):
        return None
    if f.kind == "num":
        s2 = s.replace(",", "").replace("，", "")
        if s2.endswith("%"):
            s2 = s2[:-1]
        try:
            d = Decimal(s2)
        except InvalidOperation:
            raise ValueError("不是数字") from None
        if not d.is_finite():
            raise ValueError("不是有限数字")
        if d < 0 and not f.signed:
            raise ValueError("不能为负数")
        if f.type == "count" and d != d.to_integral_value():
            raise ValueError("应为整数")
        return float(d)
    if f.kind == "date":
        s2 = re.sub(r"[年月/.]", "-", s).replace("日", "").split(" ")[0].split("T")[0]
        try:
            y, m, d = (int(x) for x in s2.split("-"))
            return dt.date(y, m, d)
        except (ValueError, TypeError):
            raise ValueError("不是有效日期（应为 YYYY-MM-DD）") from None
    if f.kind == "bool":
        low = s.lower()
        if low in TRUE:
            return True
        if low in FALSE:
            return False
        raise ValueError("应为 是/否")
    if f.type == "enum":
        if s in f.values:
            return s
        if s in f.aliases:
            return f.aliases[s]
        if s.upper() in f.values:
            return s.upper()
        raise ValueError(f"应为 {'/'.join(list(f.values) + list(f.aliases))} 之一")
    if f.id == "uscc":
        from ..ledgers.uscc import normalize, problem

        s = normalize(s)
        why = problem(s)
        if why:
            raise ValueError(why)
    return s


def read_profiles(path: Path) -> pl.DataFrame:
    """The profile file as a typed frame in DESIGN columns. Raises ProfileError listing
    every bad cell (file, row, column, value) up to a limit."""
    path = Path(path)
    return profiles_from_table(read_table(path), path.name)


def profiles_from_records(records: list[dict], name: str = "请求") -> pl.DataFrame:
    """Profiles given as dicts (keys as English ids or Chinese labels), checked like a file's cells."""
    columns: list[str] = []
    for rec in records:
        columns += [c for c in rec if c not in columns]
    raw = pl.DataFrame({c: [None if r.get(c) is None else str(r[c]) for r in records] for c in columns},
                       schema={c: pl.String for c in columns})
    return profiles_from_table(raw, name)


def profiles_from_table(raw: pl.DataFrame, name: str) -> pl.DataFrame:
    """A table of text cells (columns as English ids or Chinese labels) as typed profiles;
    `name` is what error messages call the source (a file name, or the API request)."""
    mapping: dict[str, str] = {}
    for col in raw.columns:
        fid = column_for(col)
        if fid is None:
            continue
        if fid in mapping.values():
            raise ProfileError(f"文件“{name}”中列“{col}”与另一列重复（都对应 {fid}）")
        mapping[col] = fid
    if "uscc" not in mapping.values():
        raise ProfileError(f"文件“{name}”缺少“统一社会信用代码 / uscc”列")
    errors: list[str] = []
    out: dict[str, list] = {}
    rows = raw.rows()
    idx = {c: i for i, c in enumerate(raw.columns)}
    for col, fid in mapping.items():
        f = fields()[fid]
        vals = []
        i = idx[col]
        for r, row in enumerate(rows, start=2):
            v = row[i]
            try:
                vals.append(_parse(f, v) if v is not None else None)
            except ValueError as exc:
                vals.append(None)
                if len(errors) < MAX_ERRORS:
                    errors.append(f"{name} 第{r}行，列“{col}”，值“{v}”：{exc}")
        out[fid] = vals
    seen: dict[str, int] = {}
    bad_rows = {int(e.split("第")[1].split("行")[0]) for e in errors if "统一社会信用代码" in e}
    for r, u in enumerate(out["uscc"], start=2):
        if u is None and r in bad_rows:
            continue
        if u is None:
            errors.append(f"{name} 第{r}行：统一社会信用代码为空")
        elif u in seen:
            errors.append(f"{name} 第{r}行：统一社会信用代码“{u}”与第{seen[u]}行重复")
        else:
            seen[u] = r
    if errors:
        raise ProfileError("\n".join(errors[:MAX_ERRORS]))
    return pl.DataFrame({fid: pl.Series(fid, vals, dtype=fields()[fid].dtype) for fid, vals in out.items()})
