"""Vectorized validation (Polars) of a raw string frame against a kind.

``validate(kind, raw, ...)`` returns the typed frame (one column per field, plus ``_row``,
``_sheet`` and ``key``) and every problem found, each naming sheet, row, column, value and reason.
Only the unique values of region columns go through Python (name → code lookup).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Callable, Iterable

import polars as pl

from . import uscc as uscc_mod
from .excel_io import ROW_COL, SHEET_COL, Problem
from .kinds import DECIMAL_SCALE, Field, Kind

KEY_COL = "key"
KEY_MAX = 160
DECIMAL_DTYPE = pl.Decimal(38, 4)

RegionResolver = Callable[[list[str]], dict[str, tuple[str | None, str | None]]]

_TRUE = ["是", "y", "yes", "true", "1", "√", "✓", "有", "t", "是的", "已上市", "规上"]
_FALSE = ["否", "n", "no", "false", "0", "×", "✗", "无", "f", "不是", "-"]
_DATE_RE = (r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
            r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$")
_DATE_COMPACT = r"^(\d{4})(\d{2})(\d{2})$"
_EXCEL_SERIAL = r"^\d{4,5}(\.0+)?$"


def default_region_resolver(scope_root: str | None = None) -> RegionResolver:
    """Resolve codes or names through the region registry (codes must exist in it)."""

    def resolve(values: list[str]) -> dict[str, tuple[str | None, str | None]]:
        try:
            from ..regions import registry

            reg = registry()
        except Exception:  # registry not available: accept well-formed codes only
            reg = None
        out: dict[str, tuple[str | None, str | None]] = {}
        for v in values:
            text = v.strip()
            if reg is not None and reg.get(text.upper()) is not None:  # any registry code (zones too)
                out[v] = (text.upper(), None)
                continue
            if text.isdigit():
                if len(text) not in (6, 9, 12):
                    out[v] = (None, "行政区划代码应为6位（区县）、9位或12位（乡镇）数字")
                elif reg is not None and reg.get(text) is None:
                    out[v] = (None, "行政区划代码不存在")
                else:
                    out[v] = (text, None)
                continue
            if reg is None:
                out[v] = (None, "请填写行政区划代码（数字）")
                continue
            found = reg.find(text, within=scope_root) if scope_root else []
            if not found:  # outside the scope: still resolve, so the scope check can say so
                found = reg.find(text)
            if len(found) == 1:
                out[v] = (found[0].code, None)
            elif not found:
                out[v] = (None, "未找到该地区，请填写行政区划代码")
            else:
                region = reg.resolve(text, within=scope_root) if scope_root else reg.resolve(text)
                if region is not None:
                    out[v] = (region.code, None)
                else:
                    names = "、".join(f"{r.full_name}({r.code})" for r in found[:4])
                    out[v] = (None, f"地区名称有歧义（{names}），请填写行政区划代码")
        return out

    return resolve


def _written_units() -> list[str]:
    """Unit spellings a cell may end with: the registry's units with and without 万/亿."""
    from .. import units

    out = {p + b for b in units.base_symbols() for p in ("", "万", "亿") if units.known(p + b)}
    return sorted(out, key=len, reverse=True)


def _num_text(col: pl.Expr, unit: str | None) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """(number text without thousands separators, blanks or a trailing unit; factor text from the
    written unit to the field's unit, "1" when none is written; error when it cannot be converted).
    "3亿元" in a 万元 column is 30000; "4亿美元" there is an error, not 4."""
    from .. import units

    written = _written_units()
    has_text = col.str.contains(r"[^0-9.eE+\-]")
    cleaned = pl.when(has_text).then(col.str.replace_all(r"[,，\s]", "")).otherwise(col)
    sfx = pl.when(has_text).then(cleaned.str.extract("(" + "|".join(written) + ")$", 1))
    txt = pl.when(sfx.is_null()).then(cleaned).otherwise(
        cleaned.str.slice(0, cleaned.str.len_chars() - sfx.str.len_chars()))
    # the same thing counted (名 for 人, 万元 for 万元), not only the same family (家 is not 人)
    factors = {u: str(units.convert(1, u, unit)) for u in written
               if unit and units.known(unit) and units.unit(u).measure == units.unit(unit).measure}
    fac = sfx.replace_strict(factors, default=None, return_dtype=pl.String) if factors else pl.lit(None, pl.String)
    factor = pl.when(sfx.is_null()).then(pl.lit("1")).otherwise(fac)
    err = pl.when(sfx.is_not_null() & fac.is_null()).then(pl.concat_str(
        [pl.lit("单位“"), sfx, pl.lit(f"”不能换算为本列的单位“{unit}”" if unit else "”:本列是不带单位的数字")]))
    return txt, factor, err


def _field_exprs(f: Field, raw: pl.Expr, today: dt.date) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, error reason or null) for one field."""
    null_s = pl.lit(None, dtype=pl.String)
    if f.type == "text":
        val = raw
        err = null_s
        if f.max_length:
            err = pl.when(raw.str.len_chars() > f.max_length).then(
                pl.lit(f"内容过长（不超过{f.max_length}个字符）")).otherwise(null_s)
        return val, err
    if f.type == "uscc":
        val = uscc_mod.normalize_expr(raw)
        return val, val.map_batches(uscc_mod.problems_series, return_dtype=pl.String)
    if f.type == "region_ref":
        val = raw.str.replace_all(r"\s", "")
        err = pl.when(val.is_not_null() & ~val.str.contains(r"^\d{6}$")).then(
            pl.lit("应为6位行政区划代码")).otherwise(null_s)
        return val, err
    if f.type == "industry":
        val = raw.str.replace_all(r"\s", "").str.to_uppercase()
        err = pl.when(val.is_not_null() & ~val.str.contains(r"^[A-T]?\d{2,4}$")).then(
            pl.lit("国民经济行业代码格式不对（GB/T 4754，如 C3825 或 3825）")).otherwise(null_s)
        return val, err
    if f.type in ("int", "year"):
        txt, factor, unit_err = _num_text(raw, f.unit)
        num = txt.cast(pl.Float64, strict=False) * factor.cast(pl.Float64)
        is_num = num.is_not_null() & num.is_finite()
        whole = num == num.floor()
        val = pl.when(is_num & whole).then(num).otherwise(None).cast(pl.Int64, strict=False)
        lo, hi = (1900, today.year + 5) if f.type == "year" else (f.min, f.max)
        err = (pl.when(raw.is_null()).then(null_s)
               .when(unit_err.is_not_null()).then(unit_err)
               .when(~is_num).then(pl.lit("不是有效的数字"))
               .when(~whole).then(pl.lit("应为整数")))
        if f.type == "year":
            err = err.when((num < lo) | (num > hi)).then(pl.lit(f"年份不合理（应在{lo}–{hi}之间）"))
        else:
            if lo is not None:
                msg = "不能为负数" if lo == 0 else f"不能小于{lo}"
                err = err.when(num < lo).then(pl.lit(msg))
            if hi is not None:
                err = err.when(num > hi).then(pl.lit(f"不能大于{hi}"))
        return val, err.otherwise(null_s)
    if f.is_decimal:
        txt, factor, unit_err = _num_text(raw, f.unit)
        dtype = pl.Decimal(38, DECIMAL_SCALE[f.type])
        val = (txt.cast(dtype, strict=False) * factor.cast(dtype)).cast(dtype)
        is_num = val.is_not_null()
        err = (pl.when(raw.is_null()).then(null_s)
               .when(unit_err.is_not_null()).then(unit_err)
               .when(~is_num).then(pl.lit("不是有效的数字")))
        if f.min is not None:
            what = "金额" if f.is_money else "数值"
            msg = f"{what}不能为负数" if f.min == 0 else f"不能小于{f.min}"
            err = err.when(val < f.min).then(pl.lit(msg))
        if f.max is not None:
            err = err.when(val > f.max).then(pl.lit(f"不能大于{f.max}"))
        return val, err.otherwise(null_s)
    if f.type == "date":
        t = raw.str.replace_all(r"\s+", " ")
        parts = t.str.extract_groups(_DATE_RE)
        compact = t.str.extract_groups(_DATE_COMPACT)
        y = pl.coalesce(parts.struct.field("1"), compact.struct.field("1"))
        m = pl.coalesce(parts.struct.field("2"), compact.struct.field("2"))
        d = pl.coalesce(parts.struct.field("3"), compact.struct.field("3"))
        iso = pl.concat_str([y, m.str.zfill(2), d.str.zfill(2)], separator="-")
        parsed = iso.str.to_date("%Y-%m-%d", strict=False)
        is_serial = t.str.contains(_EXCEL_SERIAL)
        serial = pl.lit(dt.date(1899, 12, 30)) + pl.duration(
            days=t.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False))
        val = pl.when(y.is_not_null()).then(parsed).when(is_serial).then(serial.cast(pl.Date)).otherwise(None)
        err = (pl.when(raw.is_null()).then(null_s)
               .when(y.is_null() & ~is_serial).then(pl.lit("无法识别的日期格式（应如 2024-03-01）"))
               .when(val.is_null()).then(pl.lit("日期不存在（请检查月份和日）"))
               .when(val < pl.lit(dt.date(1900, 1, 1))).then(pl.lit("日期不合理（早于1900年）"))
               .when(val > pl.lit(dt.date(2100, 12, 31))).then(pl.lit("日期不合理（晚于2100年）")))
        if f.not_future:
            err = err.when(val > pl.lit(today)).then(pl.lit(f"日期晚于今天（{today.isoformat()}）"))
        return val, err.otherwise(null_s)
    if f.type == "bool":
        val = raw.map_batches(_bool_series, return_dtype=pl.Boolean)
        err = pl.when(raw.is_not_null() & val.is_null()).then(pl.lit("应填“是”或“否”")).otherwise(null_s)
        return val, err
    if f.type == "enum":
        lookup = f.enum_lookup()
        t = raw.map_batches(_normalize_series, return_dtype=pl.String)
        val = t.replace_strict(lookup, default=None, return_dtype=pl.String)
        allowed = "、".join(v.label for v in f.values)
        err = pl.when(raw.is_not_null() & val.is_null()).then(
            pl.lit(f"不在允许的取值中（可选：{allowed}）")).otherwise(null_s)
        return val, err
    if f.type == "region":
        return raw, null_s  # resolved separately (unique values only)
    raise AssertionError(f.type)


_BOOL = {**{v: False for v in _FALSE}, **{v: True for v in _TRUE}}


def _bool_series(s: pl.Series) -> pl.Series:
    """是/否 spellings → booleans, decided once per distinct value (null when not recognised)."""
    uniq = s.unique().drop_nulls().to_list()
    mapping = {v: _BOOL.get("".join(v.split()).lower()) for v in uniq}
    return s.replace_strict(mapping, default=None, return_dtype=pl.Boolean)


def _normalize_series(s: pl.Series) -> pl.Series:
    """normalize_header on unique values only, then joined back (enums repeat a lot)."""
    from .kinds import normalize_header

    uniq = s.unique().drop_nulls()
    mapping = {v: normalize_header(v) for v in uniq.to_list()}
    return s.replace_strict(mapping, default=None, return_dtype=pl.String)


def _problems_from(frame: pl.DataFrame, err_col: str, raw_col: str, file: str, column: str
                   ) -> list[Problem]:
    bad = frame.filter(pl.col(err_col).is_not_null()).select(SHEET_COL, ROW_COL, raw_col, err_col)
    return [Problem(file, s or None, r, column, v, e) for s, r, v, e in bad.iter_rows()]


def validate(
    kind: Kind,
    raw: pl.DataFrame,
    *,
    file: str,
    headers: dict[str, str] | None = None,
    today: dt.date | None = None,
    region_resolver: RegionResolver | None = None,
) -> tuple[pl.DataFrame, list[Problem]]:
    """Type every column, check it, compute the natural key; return (typed frame, problems)."""
    today = today or dt.date.today()
    headers = headers or {}
    resolver = region_resolver or default_region_resolver()
    problems: list[Problem] = []
    col_name = {f.id: headers.get(f.id, f.label) for f in kind.fields}

    exprs, errs = [], []
    for f in kind.fields:
        raw_e = pl.col(f.id).cast(pl.String)
        val, err = _field_exprs(f, raw_e, today)
        if f.required:
            err = pl.when(raw_e.is_null()).then(pl.lit("必填项为空")).otherwise(err)
        exprs.append(val.alias(f"__v_{f.id}"))
        errs.append(err.alias(f"__e_{f.id}"))
    work = raw.with_columns(*exprs, *errs)

    # regions: unique values through the registry
    for f in kind.fields:
        if f.type != "region":
            continue
        uniq = [v for v in work.get_column(f.id).unique().drop_nulls().to_list()]
        resolved = resolver(uniq) if uniq else {}
        codes = {k: v[0] for k, v in resolved.items() if v[0]}
        reasons = {k: v[1] for k, v in resolved.items() if v[1]}
        work = work.with_columns(
            pl.col(f.id).replace_strict(codes, default=None, return_dtype=pl.String).alias(f"__v_{f.id}"),
            pl.coalesce(pl.col(f"__e_{f.id}"),
                        pl.col(f.id).replace_strict(reasons, default=None, return_dtype=pl.String)
                        ).alias(f"__e_{f.id}"),
        )

    for f in kind.fields:
        problems += _problems_from(work, f"__e_{f.id}", f.id, file, col_name[f.id])

    typed = work.select([pl.col(f"__v_{f.id}").alias(f.id) for f in kind.fields] + [ROW_COL, SHEET_COL])

    # derived defaults
    fills = []
    for f in kind.fields:
        if f.default_from:
            src = f.default_from["field"]
            mapping = {str(k): str(v) for k, v in f.default_from["map"].items()}
            fills.append(pl.coalesce(pl.col(f.id), pl.col(src).replace_strict(
                mapping, default=None, return_dtype=pl.String), pl.lit(f.default, dtype=pl.String)).alias(f.id))
        elif f.default is not None:
            fills.append(pl.coalesce(pl.col(f.id), pl.lit(f.default, dtype=pl.String)).alias(f.id))
    if kind.year_field and kind.date_field:
        fills.append(pl.coalesce(pl.col(kind.year_field),
                                 pl.col(kind.date_field).dt.year().cast(pl.Int64)).alias(kind.year_field))
    if fills:
        typed = typed.with_columns(fills)

    # cross-field checks (a ≤ b when both present)
    for chk in kind.checks:
        a, b = chk["le"]
        bad = typed.filter(pl.col(a).is_not_null() & pl.col(b).is_not_null() & (pl.col(a) > pl.col(b)))
        for s, r, va, vb in bad.select(SHEET_COL, ROW_COL, a, b).iter_rows():
            problems.append(Problem(file, s or None, r, col_name[b], f"{va} / {vb}",
                                    f"{chk.get('message', '数值关系不对')}（{kind.field(a).label}：{va}，"
                                    f"{kind.field(b).label}：{vb}）"))

    typed = natural_key(kind, typed)
    # rows whose key is incomplete were already reported (required key fields)
    dup = typed.with_row_index("__gi").filter(pl.col(KEY_COL).is_not_null()).with_columns(
        pl.col("__gi").min().over(KEY_COL).alias("__first_gi"),
        pl.col(ROW_COL).first().over(KEY_COL).alias("__first"),
        pl.col(SHEET_COL).first().over(KEY_COL).alias("__first_sheet"),
    ).filter(pl.col("__gi") != pl.col("__first_gi"))
    if dup.height:
        key_label = "、".join(kind.field(k).label for k in kind.key)
        for s, r, key, first, fs in dup.select(SHEET_COL, ROW_COL, KEY_COL, "__first", "__first_sheet").iter_rows():
            where = f"第{first}行" if fs == s else f"工作表“{fs}”第{first}行"
            problems.append(Problem(file, s or None, r, key_label, key,
                                    f"与{where}重复（{key_label}相同），同一文件中每条记录只能出现一次"))
    problems.sort(key=lambda p: (p.sheet or "", p.row or 0))
    return typed, problems


def natural_key(kind: Kind, typed: pl.DataFrame) -> pl.DataFrame:
    """Add the ``key`` column: key fields joined with "|" (null when a part is missing); keys longer
    than the column allows keep a readable prefix plus a hash of the whole."""
    key_parts = [pl.col(k).cast(pl.String) for k in kind.key]
    typed = typed.with_columns(
        pl.when(pl.all_horizontal([p.is_not_null() for p in key_parts]))
        .then(pl.concat_str(key_parts, separator="|")).otherwise(None).alias(KEY_COL))
    if (typed.get_column(KEY_COL).str.len_chars() > KEY_MAX).any():
        typed = typed.with_columns(
            pl.when(pl.col(KEY_COL).str.len_chars() > KEY_MAX)
            .then(pl.col(KEY_COL).str.slice(0, 100) + "#" + pl.col(KEY_COL).map_elements(
                lambda s: hashlib.sha1(s.encode()).hexdigest()[:16], return_dtype=pl.String))
            .otherwise(pl.col(KEY_COL)).alias(KEY_COL))
    return typed


def iter_texts(problems: Iterable[Problem]) -> list[str]:
    return [p.text() for p in problems]
