"""统一社会信用代码 (unified social credit code), GB 32100-2015: 18 characters from a 31-character
alphabet (digits and upper-case letters without I, O, S, V, Z); the last one is a check character
computed over the first 17 with the weights of GB 32100-2015 §5 (weight_i = 3^(i-1) mod 31).

The one place for the check character: ``check_char`` / ``is_valid`` for single values and
``uscc_problem_expr`` for Polars columns.
"""

from __future__ import annotations

import numpy as np
import polars as pl

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
WEIGHTS = [pow(3, i, 31) for i in range(17)]  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
_PATTERN = f"^[{ALPHABET}]{{18}}$"


def normalize(code: str) -> str:
    """Strip blanks and turn full-width characters and lower case into the canonical form."""
    out = []
    for ch in str(code).strip():
        o = ord(ch)
        if 0xFF01 <= o <= 0xFF5E:
            ch = chr(o - 0xFEE0)
        if not ch.isspace():
            out.append(ch)
    return "".join(out).upper()


def check_char(first17: str) -> str:
    """The check character for the first 17 characters of a code."""
    if len(first17) != 17 or any(ch not in VALUE for ch in first17):
        raise ValueError(f"统一社会信用代码前17位“{first17}”含非法字符或长度不对")
    total = sum(VALUE[ch] * w for ch, w in zip(first17, WEIGHTS))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str | None) -> str | None:
    """None when valid, else the reason in Chinese."""
    if code is None or code == "":
        return "统一社会信用代码为空"
    c = normalize(code)
    if len(c) != 18:
        return f"统一社会信用代码应为18位，实际{len(c)}位"
    bad = [ch for ch in c if ch not in VALUE]
    if bad:
        return f"统一社会信用代码含非法字符“{bad[0]}”（不使用 I、O、S、V、Z）"
    expect = check_char(c[:17])
    if c[17] != expect:
        return f"统一社会信用代码校验位错误（第18位应为“{expect}”）"
    return None


def is_valid(code: str | None) -> bool:
    return problem(code) is None


def normalize_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorized ``normalize`` (ASCII blanks and the common full-width forms)."""
    full = "０１２３４５６７８９ＡＢＣＤＥＦＧＨＩＪＫＬＭＮＯＰＱＲＳＴＵＶＷＸＹＺ"
    half = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    e = expr.cast(pl.String).str.replace_all(r"\s+", "").str.to_uppercase()
    return e.str.replace_many(list(full), list(half))


def check_char_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorized check character of the first 17 characters (null when they contain bad characters)."""
    total = pl.lit(0, dtype=pl.Int64)
    mapping = {ch: v for ch, v in VALUE.items()}
    for i, w in enumerate(WEIGHTS):
        v = expr.str.slice(i, 1).replace_strict(mapping, default=None, return_dtype=pl.Int64)
        total = total + v * w
    idx = (31 - total % 31) % 31
    return idx.replace_strict(dict(enumerate(ALPHABET)), default=None, return_dtype=pl.String)


def uscc_problem_expr(normalized: pl.Expr) -> pl.Expr:
    """Reason (Chinese) why each normalized code is invalid, null when valid or empty."""
    length = normalized.str.len_chars()
    expect = check_char_expr(normalized)
    return (
        pl.when(normalized.is_null() | (normalized == ""))
        .then(pl.lit(None, dtype=pl.String))
        .when(length != 18)
        .then(pl.format("统一社会信用代码应为18位，实际{}位", length))
        .when(~normalized.str.contains(_PATTERN))
        .then(pl.lit("统一社会信用代码含非法字符（只用数字和除 I、O、S、V、Z 外的大写字母）"))
        .when(normalized.str.slice(17, 1) != expect)
        .then(pl.format("统一社会信用代码校验位错误（第18位应为“{}”）", expect))
        .otherwise(pl.lit(None, dtype=pl.String))
    )


_LUT = np.full(256, -1, dtype=np.int64)
for _ch, _v in VALUE.items():
    _LUT[ord(_ch)] = _v
_W = np.array(WEIGHTS, dtype=np.int64)


def problems_series(codes: pl.Series) -> pl.Series:
    """Reasons for a Series of normalized codes (null when valid or empty), computed once per
    distinct value with NumPy (a ledger repeats the same code across years and records)."""
    uniq = codes.drop_nulls().unique()
    uniq = uniq.filter(uniq != "")
    if uniq.len() == 0:
        return pl.Series(codes.name, [None] * codes.len(), dtype=pl.String)
    # only the codes with a problem become Python strings
    fits = (uniq.str.len_bytes() == 18) & (uniq.str.len_chars() == 18)  # 18 ASCII characters
    ok18, odd = uniq.filter(fits), uniq.filter(~fits)
    bad = {v: problem(v) for v in odd.to_list()}
    if ok18.len():
        arr = np.frombuffer(ok18.str.join("").item().encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        vals = _LUT[arr]
        bad_char = (vals < 0).any(axis=1)
        expect = (31 - (vals[:, :17] * _W).sum(axis=1) % 31) % 31
        wrong = np.flatnonzero((~bad_char) & (vals[:, 17] != expect))
        bad.update(dict.fromkeys(ok18.gather(np.flatnonzero(bad_char)).to_list(),
                                 "统一社会信用代码含非法字符（只用数字和除 I、O、S、V、Z 外的大写字母）"))
        bad.update({v: f"统一社会信用代码校验位错误（第18位应为“{ALPHABET[e]}”）"
                    for v, e in zip(ok18.gather(wrong).to_list(), expect[wrong].tolist())})
    bad = {v: r for v, r in bad.items() if r is not None}
    if not bad:
        return pl.Series(codes.name, [None] * codes.len(), dtype=pl.String)
    return codes.replace_strict(bad, default=None, return_dtype=pl.String)


def make(prefix2: str, region6: str, body9: str) -> str:
    """Assemble a code from its parts and append the check character (used by the demo generator)."""
    first = f"{prefix2}{region6}{body9}"
    return first + check_char(first)
