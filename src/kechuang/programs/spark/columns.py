"""The part of the Polars expression API that rule compilation uses, as Spark SQL.

Swapped in with ``programs.columns.using`` while a plan is built, so the one compiler turns
the rule files into Spark SQL expressions (plain text: building them needs no round trip to
the JVM). Large subexpressions, and any used twice, become hidden ``__aux.N`` columns computed
one step before the columns that use them: Spark analyses small trees and generates code for
each subexpression once, which keeps every plan's whole-stage code under Java's 64 KB method
limit (tested); the engine adds them (see ``building``). Null propagation, Kleene ``AND``/``OR``, ``CASE WHEN`` and NaN ordering
already agree with Polars; where Spark differs, this module makes it behave like Polars:

- division by zero gives ±inf / NaN (Spark: null), and a column divided by a single value
  is multiplied by its reciprocal, as Polars' kernel does (the last bit can differ);
- ``floor``/``ceil`` stay floating point (Spark: 64-bit integers);
- ``sum_horizontal`` skips nulls and ``clip`` keeps a null a null;
- ``rank`` leaves nulls without a rank and has the ``average`` method;
- aggregates (``min``, ``max``, ``count``) and ranks run over the whole evaluated frame, as a
  Polars aggregate inside ``with_columns`` does (window functions), or within groups (``over``).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import math
from contextlib import contextmanager
from dataclasses import dataclass, field

HOIST_CHARS = 1500  # a subexpression longer than this becomes a column of its own
SHARE_CHARS = 60  # ... and one longer than this that is used twice (or twice in one template)
_EXACT = 2.0 ** 52  # every double at or above this magnitude is an integer


class DataType:
    def __init__(self, name: str):
        self.spark = name

    def __repr__(self) -> str:
        return self.spark


Float64 = DataType("double")
Boolean = DataType("boolean")
String = DataType("string")
Date = DataType("date")
Int8 = DataType("tinyint")
Int32 = DataType("int")


@dataclass
class Build:
    """Hidden columns made while one plan is built: (name, sql, hidden columns it uses)."""

    aux: list[tuple[str, str, frozenset]] = field(default_factory=list)
    by_sql: dict[str, str] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)  # operands used once so far


_build: contextvars.ContextVar[Build | None] = contextvars.ContextVar("spark_build", default=None)


@contextmanager
def building():
    b = Build()
    token = _build.set(b)
    try:
        yield b
    finally:
        _build.reset(token)


def quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def refs(sql: str) -> set[str]:
    """The column names an expression reads: its quoted identifiers outside string literals."""
    out: set[str] = set()
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch == "'":  # a literal as written by sql_value: backslash escapes
            i += 1
            while i < n and sql[i] != "'":
                i += 2 if sql[i] == "\\" else 1
        elif ch == "`":
            j, name = i + 1, []
            while j < n:
                if sql[j] == "`":
                    if sql[j + 1:j + 2] != "`":
                        break
                    j += 1
                name.append(sql[j])
                j += 1
            out.add("".join(name))
            i = j
        i += 1
    return out


def sql_value(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v) if -2**31 <= v < 2**31 else f"{v}L"
    if isinstance(v, float):
        if math.isnan(v):
            return "CAST('NaN' AS DOUBLE)"
        if math.isinf(v):
            return f"CAST('{'-' if v < 0 else ''}Infinity' AS DOUBLE)"
        return f"({v!r}D)" if v < 0 else f"{v!r}D"
    if isinstance(v, dt.date):
        return f"DATE'{v.isoformat()}'"
    if isinstance(v, str):
        return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'"
    raise TypeError(f"no SQL literal for {v!r}")


class Expr:
    """A Spark SQL expression that answers the Polars expression methods used by the compiler."""

    __slots__ = ("_sql", "aux", "win", "name", "diff", "case", "scalar")

    def __init__(self, sql: str | None, aux: frozenset = frozenset(), win: bool = False,
                 name: str | None = None, diff: tuple | None = None, case: tuple | None = None,
                 scalar: bool = False):
        self._sql = sql
        self.scalar = scalar  # one value for the whole frame (a literal or an aggregate)
        self.aux = aux  # hidden columns used
        self.win = win  # contains a window function
        self.name = name
        self.diff = diff  # (a, b) when this is a - b, for .dt.total_days()
        self.case = case  # ((cond, value), ...) of an open CASE

    @property
    def sql(self) -> str:
        if self._sql is None:
            self._sql = "CASE " + " ".join(f"WHEN {c} THEN {v}" for c, v in self.case) + " END"
        return self._sql

    __hash__ = object.__hash__

    def __bool__(self):
        raise TypeError("a column has no truth value; use & | ~")

    # arithmetic
    def __add__(self, o):
        return _op("({} + {})", self, o)

    def __radd__(self, o):
        return _op("({} + {})", o, self)

    def __sub__(self, o):
        e = _op("({} - {})", self, o)
        e.diff = (self, o)
        return e

    def __rsub__(self, o):
        return _op("({} - {})", o, self)

    def __mul__(self, o):
        return _op("({} * {})", self, o)

    def __rmul__(self, o):
        return _op("({} * {})", o, self)

    def __truediv__(self, o):
        return _divide(self, o)

    def __rtruediv__(self, o):
        return _divide(o, self)

    def __neg__(self):
        return _op("(- {})", self)

    # logic and comparison
    def __invert__(self):
        return _op("(NOT {})", self)

    def __and__(self, o):
        return _op("({} AND {})", self, o)

    def __rand__(self, o):
        return _op("({} AND {})", o, self)

    def __or__(self, o):
        return _op("({} OR {})", self, o)

    def __ror__(self, o):
        return _op("({} OR {})", o, self)

    def __lt__(self, o):
        return _op("({} < {})", self, o)

    def __le__(self, o):
        return _op("({} <= {})", self, o)

    def __gt__(self, o):
        return _op("({} > {})", self, o)

    def __ge__(self, o):
        return _op("({} >= {})", self, o)

    def __eq__(self, o):  # type: ignore[override]
        return _op("({} = {})", self, o)

    def __ne__(self, o):  # type: ignore[override]
        return _op("({} != {})", self, o)

    # element-wise
    def abs(self):
        return _op("abs({})", self)

    def is_null(self):
        return _op("({} IS NULL)", self)

    def is_nan(self):
        return _op("isnan({})", self)

    def is_not_null(self):
        return _op("({} IS NOT NULL)", self)

    def fill_null(self, v):
        return _op("coalesce({}, {})", self, v)

    def is_in(self, items):
        items = list(items)
        if not items:
            return _op("CASE WHEN {} IS NULL THEN NULL ELSE false END", self)
        return _op("({} IN (" + ", ".join("{}" for _ in items) + "))", self, *items)

    def pow(self, e):
        return _op("power({}, {})", self, e)

    def floor(self):
        return _op("CASE WHEN abs({0}) < " + sql_value(_EXACT) + " THEN CAST(floor({0}) AS DOUBLE) ELSE {0} END", self)

    def ceil(self):
        return _op("CASE WHEN abs({0}) < " + sql_value(_EXACT) + " THEN CAST(ceil({0}) AS DOUBLE) ELSE {0} END", self)

    def clip(self, lower_bound=None):
        return _op("CASE WHEN {0} IS NULL THEN NULL ELSE greatest({0}, {1}) END", self, lower_bound)

    def log1p(self):
        return _op("log1p({})", self)

    def cast(self, dtype: DataType, strict: bool = True):
        return _op("CAST({} AS " + dtype.spark + ")", self)

    def alias(self, name: str):
        return Expr(self.sql, self.aux, self.win, name=name, scalar=self.scalar)

    def pipe(self, f, *args, **kw):
        return f(self, *args, **kw)

    # aggregates over the whole frame, broadcast to every row
    def min(self):
        return _op("min({}) OVER ()", _flat(self), win=True, scalar=True)

    def max(self):
        return _op("max({}) OVER ()", _flat(self), win=True, scalar=True)

    def count(self):
        return _op("count({}) OVER ()", _flat(self), win=True, scalar=True)

    def rank(self, method: str = "average", *, descending: bool = False):
        order = "DESC" if descending else "ASC"
        r = "rank() OVER (ORDER BY {0} " + order + " NULLS LAST)"
        if method == "average":  # mean of the tied positions
            r = f"({r} + (count(1) OVER (PARTITION BY {{0}}) - 1) / 2.0D)"
        elif method != "min":
            raise NotImplementedError(f"rank method {method}")
        return _op("CASE WHEN {0} IS NULL THEN NULL ELSE " + r + " END", _flat(self), win=True)

    def over(self, partition: str):
        """The window aggregate or rank computed within each value of ``partition`` (a null
        partition is a group of its own, as in Polars)."""
        b = _build.get()
        if not self.win or (self.aux and any(" OVER (" in sql for n, sql, _ in b.aux if n in self.aux)):
            raise NotImplementedError("over() applies to one window function over row-wise columns")
        p = quote(partition)
        sql = (self.sql.replace("OVER (PARTITION BY ", "OVER (\x00, ")
               .replace("OVER ()", f"OVER (PARTITION BY {p})")
               .replace("OVER (ORDER BY ", f"OVER (PARTITION BY {p} ORDER BY ")
               .replace("OVER (\x00, ", f"OVER (PARTITION BY {p}, "))
        return Expr(sql, self.aux, True, scalar=False)

    # when/then chains continue on the expression
    def when(self, cond):
        return _When(cond, self.case, self.aux, self.win)

    def otherwise(self, v):
        o = _arg(v)
        body = " ".join(f"WHEN {c} THEN {x}" for c, x in self.case)
        return Expr(f"CASE {body} ELSE {o.sql} END", self.aux | o.aux, self.win or o.win,
                    scalar=self.scalar and o.scalar)

    @property
    def dt(self):
        return _Dt(self)

    @property
    def str(self):
        return _Str(self)


def _arg(v, repeated: bool = False) -> Expr:
    """An operand: a literal, or an expression. Spark generates code for every copy of a
    subexpression, so one that is large, or used a second time, or written more than once in
    a template (``repeated``) becomes a hidden column computed once per row."""
    if not isinstance(v, Expr):
        return Expr(sql_value(v), scalar=True)
    b = _build.get()
    if b is None:
        return v
    sql = v.sql
    if len(sql) <= SHARE_CHARS or (len(sql) <= HOIST_CHARS and not repeated and sql not in b.seen):
        b.seen.add(sql)
        return v
    return _hoist(b, v)


def _hoist(b: Build, e: Expr) -> Expr:
    name = b.by_sql.get(e.sql)
    if name is None:
        name = f"__aux.{len(b.aux)}"
        b.aux.append((name, e.sql, e.aux))
        b.by_sql[e.sql] = name
    return Expr(quote(name), e.aux | {name}, scalar=e.scalar)


def _flat(e: Expr) -> Expr:
    """Window functions cannot nest: compute an inner one as a column first."""
    b = _build.get()
    if not e.win or b is None:
        return e
    return _hoist(b, e)


def _op(fmt: str, *args, win: bool = False, scalar: bool | None = None) -> Expr:
    xs = [_arg(a, fmt.count(f"{{{i}}}") > 1) for i, a in enumerate(args)]
    aux = frozenset().union(*(x.aux for x in xs))
    if scalar is None:
        scalar = all(x.scalar for x in xs)
    return Expr(fmt.format(*(x.sql for x in xs)), aux, win or any(x.win for x in xs), scalar=scalar)


def _divide(a, b) -> Expr:
    """Division as in Polars: IEEE (x/0 is ±inf, 0/0 is NaN; Spark gives null), and a column
    divided by a single value is the column times the value's reciprocal."""
    a, b = _arg(a), _arg(b)
    if b.scalar and not a.scalar:
        return _op("({} * {})", a, _ieee_divide(1.0, b))
    return _ieee_divide(a, b)


def _ieee_divide(a, b) -> Expr:
    # x/0 is x·inf: ±inf, NaN for 0 and NaN, null for null
    return _op("CASE WHEN {1} = 0 THEN {0} * CAST('Infinity' AS DOUBLE) ELSE {0} / {1} END", a, b)


class _When:
    __slots__ = ("cond", "case", "aux", "win")

    def __init__(self, cond, case: tuple | None = None, aux: frozenset = frozenset(), win: bool = False):
        self.cond = _arg(cond)
        self.case = case or ()
        self.aux = aux
        self.win = win

    def then(self, v) -> Expr:
        x = _arg(v)
        case = (*self.case, (self.cond.sql, x.sql))
        return Expr(None, self.aux | self.cond.aux | x.aux, self.win or self.cond.win or x.win, case=case,
                    scalar=False)


class _Dt:
    def __init__(self, e: Expr):
        self.e = e

    def year(self):
        return _op("year({})", self.e)

    def month(self):
        return _op("month({})", self.e)

    def day(self):
        return _op("dayofmonth({})", self.e)

    def total_days(self):
        a, b = self.e.diff
        return _op("datediff({}, {})", a, b)


class _Str:
    def __init__(self, e: Expr):
        self.e = e

    def starts_with(self, prefix: str):
        return _op("startswith({}, {})", self.e, prefix)


# ---------------------------------------------------------------- module-level functions

def col(name: str) -> Expr:
    return Expr(quote(name), name=name)


def lit(v, dtype: DataType | None = None) -> Expr:
    s = sql_value(v)
    if dtype is not None and not (dtype is Date and v is not None) and not (dtype is Float64 and isinstance(v, float)):
        s = f"CAST({s} AS {dtype.spark})"
    return Expr(s, scalar=True)


def when(cond) -> _When:
    return _When(cond)


def _many(exprs, more) -> list:
    """Polars takes a list or several arguments."""
    return [*exprs, *more] if isinstance(exprs, (list, tuple)) else [exprs, *more]


def coalesce(exprs, *more) -> Expr:
    exprs = _many(exprs, more)
    return _op("coalesce(" + ", ".join("{}" for _ in exprs) + ")", *exprs)


def min_horizontal(exprs, *more) -> Expr:  # nulls skipped, as in Polars
    exprs = _many(exprs, more)
    if len(exprs) == 1:
        return _arg(exprs[0])
    return _op("least(" + ", ".join("{}" for _ in exprs) + ")", *exprs)


def max_horizontal(exprs, *more) -> Expr:
    exprs = _many(exprs, more)
    if len(exprs) == 1:
        return _arg(exprs[0])
    return _op("greatest(" + ", ".join("{}" for _ in exprs) + ")", *exprs)


def sum_horizontal(exprs, *more) -> Expr:  # nulls count as 0, as in Polars
    exprs = _many(exprs, more)
    return _op("(" + " + ".join("coalesce({}, 0.0D)" for _ in exprs) + ")", *exprs)


def any_horizontal(exprs, *more) -> Expr:
    exprs = _many(exprs, more)
    return _op("(" + " OR ".join("{}" for _ in exprs) + ")", *exprs)
