"""Read enterprise profile files (CSV or xlsx; English ids or Chinese labels), whole or in
batches of rows: cells are typed and checked column by column (Polars), so a million-row file
streams through in bounded memory."""

from __future__ import annotations

import codecs
import io
import os
import tempfile
from pathlib import Path
from typing import Iterator

import polars as pl

from .fields import Field, column_for, fields

TRUE = {"是", "有", "true", "yes", "y", "1", "√", "✓", "t"}
FALSE = {"否", "无", "false", "no", "n", "0", "×", "f"}
MAX_ERRORS = 20
BATCH_ROWS = 100_000
_EXCEL = (".xlsx", ".xlsm", ".xls")


class ProfileError(ValueError):
    """Bad input in a profile file; the message names file, row, column and value."""


def _check_exists(path: Path) -> None:
    if not path.exists():
        raise ProfileError(f"文件“{path.name}”不存在")
    with path.open("rb") as fh:
        start = fh.read(4096)
        if not start.strip() and not fh.read(1 << 20).strip():
            raise ProfileError(f"文件“{path.name}”是空文件")


def _read_excel(path: Path) -> pl.DataFrame:
    try:
        return pl.read_excel(path, infer_schema_length=0)
    except Exception as exc:  # malformed workbook
        raise ProfileError(f"文件“{path.name}”不是有效的 Excel 工作簿：{exc}") from None


def _csv_encoding(path: Path) -> str:
    """utf-8 when the file decodes as UTF-8 (checked incrementally), else gb18030."""
    dec = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(1 << 22):
                dec.decode(chunk)
            dec.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    try:
        with path.open("rb") as fh:
            dec = codecs.getincrementaldecoder("gb18030")()
            while chunk := fh.read(1 << 22):
                dec.decode(chunk)
            dec.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ProfileError(f"文件“{path.name}”的编码无法识别（应为 UTF-8 或 GB18030）") from None
    return "gb18030"


def _utf8_copy(path: Path) -> Path:
    """A temporary UTF-8 copy of a GB18030 file, written in pieces."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="kechuang-")
    with path.open("r", encoding="gb18030", newline="") as src, os.fdopen(fd, "w", encoding="utf-8",
                                                                          newline="") as dst:
        while chunk := src.read(1 << 22):
            dst.write(chunk)
    return Path(tmp)


def raw_batches(path: Path, batch_rows: int = BATCH_ROWS) -> Iterator[pl.DataFrame]:
    """The file's cells as text, ``batch_rows`` rows at a time (CSV is read lazily; a workbook is
    read once by the Excel reader and then cut into batches)."""
    path = Path(path)
    _check_exists(path)
    if path.suffix.lower() in _EXCEL:
        frame = _read_excel(path)
        for off in range(0, max(frame.height, 1), batch_rows):
            yield frame.slice(off, batch_rows)
        return
    source, tmp = path, None
    if _csv_encoding(path) != "utf-8":
        source = tmp = _utf8_copy(path)
    try:
        try:
            # a UTF-8 BOM is taken off the first header by the reader
            lf = pl.scan_csv(source, infer_schema=False, raise_if_empty=False)
            names = lf.collect_schema().names()
            if names and names[0].startswith("\ufeff"):
                lf = lf.rename({names[0]: names[0][1:]})
            batches = lf.collect_batches(chunk_size=batch_rows)
            first = True
            for b in batches:
                first = False
                yield b
            if first:
                yield pl.DataFrame(schema={n: pl.String for n in lf.collect_schema().names()})
        except pl.exceptions.PolarsError as exc:
            raise ProfileError(f"文件“{path.name}”不是有效的 CSV：{exc}") from None
    finally:
        if tmp is not None:
            tmp.unlink(missing_ok=True)


def read_table(path: Path) -> pl.DataFrame:
    """The whole file's cells as text."""
    return pl.concat(list(raw_batches(path, 1 << 62)), how="vertical")


NULL_WORDS = ["null", "none", "nan", "—", "-"]
_BLANKS = sorted({""} | {"".join(c.upper() if m >> i & 1 else c for i, c in enumerate(w))
                         for w in NULL_WORDS for m in range(1 << len(w))})  # any letter case
_DATE_RE = r"^(-?\d+)-(-?\d+)-(-?\d+)$"


def _cell_stages(f: Field, col: str) -> list[pl.Expr]:
    """Four steps for one text column of field ``f``, each a column referring to the previous
    (small expressions): cleaned text ``__s.<id>`` (blank cells and the words in NULL_WORDS are
    missing, never zero), parsed value ``__x.<id>``, reason ``__err.<id>`` (Chinese, or null),
    and the checked value ``<id>``."""
    fid = f.id
    raw = pl.col(col).cast(pl.String).str.strip_chars()
    blank = raw.is_null() | raw.is_in(_BLANKS)
    if f.type == "enum":  # an enum value such as "none" is a value, not missing
        blank = blank & ~raw.is_in(list(f.values))
    clean = pl.when(blank).then(None).otherwise(raw)
    s, x = pl.col(f"__s.{fid}"), pl.col(f"__x.{fid}")
    none = pl.lit(None, dtype=pl.String)
    err = None
    if f.kind == "num":
        t = s.str.replace_all("[,，]", "", literal=False)
        parsed = pl.when(t.str.ends_with("%")).then(t.str.strip_suffix("%")).otherwise(t).cast(pl.Float64, strict=False)
        err = (pl.when(s.is_null()).then(none)
               .when(x.is_null()).then(pl.lit("不是数字"))
               .when(~x.is_finite()).then(pl.lit("不是有限数字")))
        if not f.signed:
            err = err.when(x < 0).then(pl.lit("不能为负数"))
        if f.type == "count":
            err = err.when(x != x.floor()).then(pl.lit("应为整数"))
        err = err.otherwise(none)
    elif f.kind == "date":
        t = s.str.replace_all("[年月/.]", "-").str.replace_all("日", "", literal=True)
        t = t.str.split(" ").list.first().str.split("T").list.first()
        parts = t.str.extract_groups(_DATE_RE)
        iso = pl.concat_str([parts.struct.field("1").str.zfill(4), parts.struct.field("2").str.zfill(2),
                             parts.struct.field("3").str.zfill(2)], separator="-")
        parsed = iso.str.to_date("%Y-%m-%d", strict=False)
        why = "不是有效日期（应为 YYYY-MM-DD）"
    elif f.kind == "bool":
        low = s.str.to_lowercase()
        parsed = pl.when(low.is_in(sorted(TRUE))).then(True).when(low.is_in(sorted(FALSE))).then(False)
        why = "应为 是/否"
    elif f.type == "enum":
        values, aliases = list(f.values), dict(f.aliases)
        up = s.str.to_uppercase()
        parsed = (pl.when(s.is_in(values)).then(s)
                  .when(s.is_in(list(aliases))).then(s.replace_strict(aliases, default=None, return_dtype=pl.String))
                  .when(up.is_in(values)).then(up))
        why = f"应为 {'/'.join(values + list(aliases))} 之一"
    elif fid == "uscc":
        from ..ledgers.uscc import normalize_expr, problems_series

        parsed = normalize_expr(s)
        err = x.map_batches(problems_series, return_dtype=pl.String)
    else:
        parsed, err = s, none
    if err is None:
        err = pl.when(s.is_not_null() & x.is_null()).then(pl.lit(why)).otherwise(none)
    return [clean.alias(f"__s.{fid}"), parsed.alias(f"__x.{fid}"), err.alias(f"__err.{fid}"),
            pl.when(pl.col(f"__err.{fid}").is_null()).then(x).cast(f.dtype).alias(fid)]


def _plain_parse(f: Field, col: str) -> pl.Expr:
    """The reader's own parse of a number or date column."""
    c = pl.col(col).cast(pl.String)
    return c.cast(pl.Float64, strict=False) if f.kind == "num" else c.str.to_date("%Y-%m-%d", strict=False)


def _plain_columns(raw: pl.DataFrame, mapping: dict[str, str]) -> tuple[set[str], pl.DataFrame]:
    """Number and date columns in which the reader's own parse takes every non-empty cell (no
    blanks to strip, separators, percent signs or words for missing): they skip the text steps.
    Also the parsed values (``__x.<id>``) of those columns, parsed once for the check and the steps.
    A cell with blanks around a number is not plain: the reader's parse leaves it null."""
    parse = {col: fid for col, fid in mapping.items() if fields()[fid].kind in ("num", "date")}
    if not parse:
        return set(), raw.select()
    parsed = raw.select([_plain_parse(fields()[fid], col).alias(f"__x.{fid}") for col, fid in parse.items()])
    both = pl.concat([raw.select(list(parse)), parsed], how="horizontal")
    checks = []
    for col, fid in parse.items():
        c, x = pl.col(col).cast(pl.String), pl.col(f"__x.{fid}")
        if fields()[fid].kind == "num":
            ok = (c.is_null() | (x.is_not_null() & x.is_finite())).all()
        else:
            ok = (c.is_null() | c.str.contains(r"^\d{4}-\d{2}-\d{2}$")).all()
        checks.append(ok.alias(col))
    row = both.select(checks).row(0, named=True)
    plain = {c for c, ok in row.items() if ok}
    return plain, parsed.select([f"__x.{parse[c]}" for c in parse if c in plain])


def _plain_stages(f: Field, col: str) -> list[pl.Expr]:
    """The four steps of ``_cell_stages`` for a column ``_plain_columns`` found plain (its
    ``__x.<id>`` already parsed)."""
    fid = f.id
    c = pl.col(col).cast(pl.String)
    x, none = pl.col(f"__x.{fid}"), pl.lit(None, dtype=pl.String)
    if f.kind == "num":
        err = pl.when(x.is_null()).then(none)
        if not f.signed:
            err = err.when(x < 0).then(pl.lit("不能为负数"))
        if f.type == "count":
            err = err.when(x != x.floor()).then(pl.lit("应为整数"))
        err = err.otherwise(none)
    else:
        err = pl.when(c.is_not_null() & x.is_null()).then(pl.lit("不是有效日期（应为 YYYY-MM-DD）")).otherwise(none)
    return [c.alias(f"__s.{fid}"), x, err.alias(f"__err.{fid}"),
            pl.when(pl.col(f"__err.{fid}").is_null()).then(x).cast(f.dtype).alias(fid)]


def read_profiles(path: Path) -> pl.DataFrame:
    """The profile file as a typed frame in DESIGN columns. Raises ProfileError listing
    every bad cell (file, row, column, value) up to a limit."""
    return pl.concat(list(profile_batches(path, 1 << 62)), how="vertical")


def profile_batches(path: Path, batch_rows: int = BATCH_ROWS) -> Iterator[pl.DataFrame]:
    """Typed profiles, ``batch_rows`` at a time; a bad cell or a credit code repeated anywhere
    in the file raises ProfileError when its batch is reached."""
    path = Path(path)
    checker = None
    row = 2  # row 1 holds the headers
    for raw in raw_batches(path, batch_rows):
        if checker is None:
            checker = _Checker(raw.columns, path.name)
        yield checker.typed(raw, row)
        row += raw.height


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
    return _Checker(raw.columns, name).typed(raw, 2)


class _Checker:
    """Types batches of one source; remembers credit codes across batches (duplicates)."""

    def __init__(self, columns: list[str], name: str):
        self.name = name
        self.mapping: dict[str, str] = {}
        for col in columns:
            fid = column_for(col)
            if fid is None:
                continue
            if fid in self.mapping.values():
                raise ProfileError(f"文件“{name}”中列“{col}”与另一列重复（都对应 {fid}）")
            self.mapping[col] = fid
        if "uscc" not in self.mapping.values():
            raise ProfileError(f"文件“{name}”缺少“统一社会信用代码 / uscc”列")
        self.seen = pl.DataFrame(schema={"uscc": pl.String, "__first": pl.Int64})

    def typed(self, raw: pl.DataFrame, first_row: int) -> pl.DataFrame:
        plain, parsed = _plain_columns(raw, self.mapping)
        steps = [_plain_stages(fields()[fid], col) if col in plain else _cell_stages(fields()[fid], col)
                 for col, fid in self.mapping.items()]
        work = raw.with_row_index("__row", offset=first_row).hstack(parsed.get_columns())
        for k in range(4):
            work = work.with_columns([st[k] for st in steps])
        errs = [f"__err.{fid}" for fid in self.mapping.values()]
        errors: list[str] = []
        if work.select(pl.any_horizontal([pl.col(e).is_not_null().any() for e in errs])).item():
            for col, fid in self.mapping.items():
                if len(errors) >= MAX_ERRORS:
                    break
                bad = work.select("__row", raw.get_column(col).cast(pl.String).alias("__v"), f"__err.{fid}") \
                    .filter(pl.col(f"__err.{fid}").is_not_null())
                for r, v, why in bad.head(MAX_ERRORS - len(errors)).iter_rows():
                    errors.append(f"{self.name} 第{r}行，列“{col}”，值“{v}”：{why}")
        empty = work.select("__row", "uscc", "__err.uscc").filter(
            pl.col("uscc").is_null() & pl.col("__err.uscc").is_null()).head(MAX_ERRORS)
        errors += [f"{self.name} 第{r}行：统一社会信用代码为空" for r in empty["__row"]]
        codes = work.select("uscc", pl.col("__row").cast(pl.Int64).alias("__r")).filter(pl.col("uscc").is_not_null())
        dup = codes.with_columns(pl.col("__r").min().over("uscc").alias("__first")).filter(
            pl.col("__r") != pl.col("__first"))
        again = codes.join(self.seen, on="uscc", how="inner")
        for u, r, first in pl.concat([again.select("uscc", "__r", "__first"), dup], how="vertical") \
                .sort("__r").head(MAX_ERRORS).iter_rows():
            errors.append(f"{self.name} 第{r}行：统一社会信用代码“{u}”与第{first}行重复")
        if errors:
            raise ProfileError("\n".join(errors[:MAX_ERRORS]))
        self.seen = pl.concat([self.seen, codes.rename({"__r": "__first"})], how="vertical")
        return work.select(list(self.mapping.values()))
