"""A small, safe expression language for program rules, compiled to Polars.

Grammar (lowest to highest precedence)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | cmp
    cmp     := sum (("<" | "<=" | ">" | ">=" | "==" | "!=") sum | "in" list)?
    sum     := term (("+" | "-") term)*
    term    := unary (("*" | "/") unary)*
    unary   := "-" unary | power
    power   := atom ("^" unary)?
    atom    := NUMBER ["%"] | STRING | true | false | null | NAME | NAME "(" args ")"
             | "(" expr ")" | list
    list    := "[" (expr ("," expr)*)? "]"

Values are exact (a Polars expression) or a range ``[lo, hi]`` when an expert-judged
item is involved; truth values are then a pair (necessarily, possibly) so that a rule
can come out as ``depends``. Missing data is null and propagates with Kleene logic.
Nothing is ever passed to Python ``eval``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable

from .columns import pl

# Relative tolerance for comparisons: absorbs binary rounding of decimal inputs
# (e.g. 182.25/135 = 1.35) without ever changing a genuine decimal difference.
REL_TOL = 1e-10


class RuleError(ValueError):
    """A mistake in a rule file, located by file, line and column."""

    def __init__(self, message: str, *, file: str = "", line: int = 0, column: int = 0,
                 expr: str = "", pos: int | None = None):
        self.message = message
        self.file = file
        self.line = line
        self.column = column
        self.expr = expr
        self.pos = pos
        super().__init__(str(self))

    def located(self, file: str, line: int, column: int, expr: str) -> "RuleError":
        pos = self.pos or 0
        before = expr[:pos]
        nl = before.count("\n")
        col = (pos - before.rfind("\n")) if nl else column + pos
        return RuleError(self.message, file=file, line=line + nl, column=col, expr=expr, pos=self.pos)

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}: " if self.file else ""
        text = f"{where}{self.message}"
        if self.expr:
            text += f"\n  表达式: {self.expr}"
            if self.pos is not None and "\n" not in self.expr:
                text += "\n          " + " " * _width(self.expr[: self.pos]) + "^"
        return text


def _width(s: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in s)


# ---------------------------------------------------------------- tokenizer

_TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<num>\d[\d_]*(?:\.\d+)?(?:[eE][+-]?\d+)?%?)
      | (?P<str>'[^']*'|"[^"]*")
      | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<op><=|>=|==|!=|[-+*/^<>(),\[\]])
    """,
    re.VERBOSE,
)
KEYWORDS = {"and", "or", "not", "in", "true", "false", "null"}


@dataclass
class Tok:
    kind: str
    text: str
    pos: int


def tokenize(src: str) -> list[Tok]:
    out: list[Tok] = []
    i = 0
    while i < len(src):
        m = _TOKEN.match(src, i)
        if not m:
            raise RuleError(f"无法识别的字符“{src[i]}”", pos=i)
        kind = m.lastgroup
        if kind != "ws":
            text = m.group()
            if kind == "name" and text in KEYWORDS:
                kind = text
            out.append(Tok(kind, text, i))
        i = m.end()
    out.append(Tok("end", "", len(src)))
    return out


# ---------------------------------------------------------------- AST

@dataclass
class Node:
    pos: int


@dataclass
class Num(Node):
    value: float


@dataclass
class Str(Node):
    value: str


@dataclass
class Const(Node):
    value: object  # True / False / None


@dataclass
class Name(Node):
    name: str


@dataclass
class Call(Node):
    name: str
    args: list


@dataclass
class Unary(Node):
    op: str
    arg: Node


@dataclass
class Bin(Node):
    op: str
    left: Node
    right: Node


@dataclass
class ListLit(Node):
    items: list


@dataclass
class Pre(Node):
    """An already compiled value inside an AST (used when solving for gaps)."""

    val: object


class Parser:
    def __init__(self, src: str):
        self.src = src
        self.toks = tokenize(src)
        self.i = 0

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def take(self, kind: str | None = None, text: str | None = None) -> Tok:
        t = self.tok
        if (kind and t.kind != kind) or (text and t.text != text):
            want = text or kind
            got = t.text or "表达式结尾"
            raise RuleError(f"此处应为“{want}”，实际为“{got}”", pos=t.pos)
        self.i += 1
        return t

    def at(self, *texts: str) -> bool:
        t = self.tok
        return t.kind in ("op", "and", "or", "not", "in") and t.text in texts

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise RuleError("表达式为空", pos=0)
        node = self.or_()
        if self.tok.kind != "end":
            raise RuleError(f"多余的内容“{self.tok.text}”", pos=self.tok.pos)
        return node

    def or_(self) -> Node:
        node = self.and_()
        while self.at("or"):
            t = self.take()
            node = Bin(t.pos, "or", node, self.and_())
        return node

    def and_(self) -> Node:
        node = self.not_()
        while self.at("and"):
            t = self.take()
            node = Bin(t.pos, "and", node, self.not_())
        return node

    def not_(self) -> Node:
        if self.at("not"):
            t = self.take()
            return Unary(t.pos, "not", self.not_())
        return self.cmp()

    def cmp(self) -> Node:
        node = self.sum()
        if self.at("<", "<=", ">", ">=", "==", "!="):
            t = self.take()
            node = Bin(t.pos, t.text, node, self.sum())
            if self.at("<", "<=", ">", ">=", "==", "!="):
                raise RuleError("比较不能连写，请用 and 连接", pos=self.tok.pos)
        elif self.at("in"):
            t = self.take()
            if not (self.tok.kind == "op" and self.tok.text == "["):
                raise RuleError("in 后面应为列表 [...]", pos=self.tok.pos)
            node = Bin(t.pos, "in", node, self.atom())
        return node

    def sum(self) -> Node:
        node = self.term()
        while self.at("+", "-"):
            t = self.take()
            node = Bin(t.pos, t.text, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.at("*", "/"):
            t = self.take()
            node = Bin(t.pos, t.text, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.at("-"):
            t = self.take()
            return Unary(t.pos, "-", self.unary())
        node = self.atom()
        if self.at("^"):
            t = self.take()
            node = Bin(t.pos, "^", node, self.unary())
        return node

    def atom(self) -> Node:
        t = self.tok
        if t.kind == "num":
            self.i += 1
            txt = t.text.replace("_", "")
            if txt.endswith("%"):
                return Num(t.pos, float(txt[:-1]) / 100)
            return Num(t.pos, float(txt))
        if t.kind == "str":
            self.i += 1
            return Str(t.pos, t.text[1:-1])
        if t.kind in ("true", "false", "null"):
            self.i += 1
            return Const(t.pos, {"true": True, "false": False, "null": None}[t.kind])
        if t.kind == "name":
            self.i += 1
            if self.tok.kind == "op" and self.tok.text == "(":
                self.take("op", "(")
                args = []
                if not (self.tok.kind == "op" and self.tok.text == ")"):
                    args.append(self.or_())
                    while self.tok.kind == "op" and self.tok.text == ",":
                        self.take()
                        args.append(self.or_())
                self.take("op", ")")
                return Call(t.pos, t.text, args)
            return Name(t.pos, t.text)
        if t.kind == "op" and t.text == "(":
            self.take()
            node = self.or_()
            self.take("op", ")")
            return node
        if t.kind == "op" and t.text == "[":
            self.take()
            items = []
            if not (self.tok.kind == "op" and self.tok.text == "]"):
                items.append(self.or_())
                while self.tok.kind == "op" and self.tok.text == ",":
                    self.take()
                    items.append(self.or_())
            self.take("op", "]")
            return ListLit(t.pos, items)
        raise RuleError(f"此处应为数值、字段或函数，实际为“{t.text or '表达式结尾'}”", pos=t.pos)


def parse(src: str) -> Node:
    return Parser(str(src)).parse()


def names_in(node: Node) -> set[str]:
    """Every bare name referenced by ``node`` (fields, values, indicators, conditions)."""
    out: set[str] = set()

    def walk(n):
        if isinstance(n, Name):
            out.add(n.name)
        elif isinstance(n, Call):
            for a in n.args:
                walk(a)
            if n.name == "lookup" and n.args and isinstance(n.args[0], Name):
                out.discard(n.args[0].name)
        elif isinstance(n, Unary):
            walk(n.arg)
        elif isinstance(n, Bin):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, ListLit):
            for a in n.items:
                walk(a)

    walk(node)
    return out


# ---------------------------------------------------------------- values

@dataclass
class Val:
    """A compiled value. ``lo``/``hi`` are equal objects for exact values; for booleans
    lo = necessarily true, hi = possibly true."""

    kind: str  # num | bool | date | str | list | null
    lo: pl.Expr | None
    hi: pl.Expr | None = None
    const: object = field(default=None)
    is_const: bool = False
    items: list | None = None

    def __post_init__(self):
        if self.hi is None:
            self.hi = self.lo

    @property
    def ranged(self) -> bool:
        return self.hi is not self.lo

    @property
    def expr(self) -> pl.Expr:
        return self.lo


def lit(v, kind: str) -> Val:
    dtype = {"num": pl.Float64, "bool": pl.Boolean, "str": pl.String, "date": pl.Date}.get(kind)
    return Val(kind, pl.lit(v, dtype=dtype), const=v, is_const=True)


def null() -> Val:
    return Val("null", pl.lit(None), const=None, is_const=True)


@dataclass
class Band:
    """One band of a lookup: interval (or condition) → value or [lo, hi] points."""

    lo: float
    hi: float
    lo_incl: bool
    hi_incl: bool
    value: object  # number or (lo, hi)
    label: str = ""
    when: Node | None = None


_INTERVAL = re.compile(r"^\s*([\[(])\s*(-?inf|[-+]?[\d_.]+%?)\s*,\s*(-?inf|\+?inf|[-+]?[\d_.]+%?)\s*([\])])\s*$")


def parse_interval(text: str) -> tuple[float, float, bool, bool]:
    m = _INTERVAL.match(str(text))
    if not m:
        raise RuleError(f"区间“{text}”格式错误，应写作 [下限, 上限) 之类，方括号含端点、圆括号不含")

    def num(s: str) -> float:
        s = s.replace("_", "").lstrip("+")
        if s in ("inf",):
            return math.inf
        if s == "-inf":
            return -math.inf
        if s.endswith("%"):
            return float(s[:-1]) / 100
        return float(s)

    lo, hi = num(m.group(2)), num(m.group(3))
    if lo > hi:
        raise RuleError(f"区间“{text}”下限大于上限")
    return lo, hi, m.group(1) == "[", m.group(4) == "]"


def tol_for(b: Val) -> pl.Expr | float:
    if b.is_const:
        return REL_TOL * (1 + abs(float(b.const)))
    return (b.lo.abs() + 1) * REL_TOL


def cmp_expr(a: pl.Expr, op: str, b: pl.Expr, tol) -> pl.Expr:
    if op == ">=":
        return a >= b - tol
    if op == ">":
        return a > b + tol
    if op == "<=":
        return a <= b + tol
    if op == "<":
        return a < b - tol
    if op == "==":
        return (a - b).abs() <= tol
    if op == "!=":
        return (a - b).abs() > tol
    raise AssertionError(op)


def _null_if_any_null(exprs: list[pl.Expr], value: pl.Expr) -> pl.Expr:
    cond = exprs[0].is_null()
    for e in exprs[1:]:
        cond = cond | e.is_null()
    return pl.when(cond).then(None).otherwise(value)


class Env:
    """Name resolution for a compiler. Implemented by the program model."""

    def resolve(self, name: str, compiler: "Compiler") -> Val | None:  # pragma: no cover
        raise NotImplementedError

    def table(self, name: str) -> list[Band] | None:  # pragma: no cover
        return None


class Compiler:
    """Compiles AST nodes to :class:`Val`, with optional substitution of fields."""

    def __init__(self, env: Env, subst: dict[str, pl.Expr] | None = None,
                 cols: dict[str, Val] | None = None):
        self.env = env
        self.subst = subst or {}
        # names already computed as columns of the frame (keeps expression trees small)
        self.memo: dict[str, Val] = dict(cols or {})
        self.stack: list[str] = []

    # name resolution with memo and cycle detection
    def name(self, name: str, pos: int = 0) -> Val:
        if name in self.memo:
            return self.memo[name]
        if name in self.stack:
            raise RuleError(f"循环引用：{' → '.join(self.stack + [name])}", pos=pos)
        self.stack.append(name)
        try:
            val = self.env.resolve(name, self)
        finally:
            self.stack.pop()
        if val is None:
            raise RuleError(f"未知的字段或名称“{name}”", pos=pos)
        self.memo[name] = val
        return val

    def compile(self, node: Node) -> Val:
        m = getattr(self, "c_" + type(node).__name__)
        return m(node)

    def c_Num(self, n: Num) -> Val:
        return lit(n.value, "num")

    def c_Str(self, n: Str) -> Val:
        return lit(n.value, "str")

    def c_Const(self, n: Const) -> Val:
        if n.value is None:
            return null()
        return lit(n.value, "bool")

    def c_Name(self, n: Name) -> Val:
        return self.name(n.name, n.pos)

    def c_Pre(self, n: Pre) -> Val:
        return n.val

    def c_ListLit(self, n: ListLit) -> Val:
        vals = [self.compile(i) for i in n.items]
        if not all(v.is_const for v in vals):
            raise RuleError("列表中只能是常量", pos=n.pos)
        return Val("list", None, items=[v.const for v in vals], is_const=True)

    def _need(self, v: Val, kinds: tuple[str, ...], pos: int, what: str) -> Val:
        if v.kind == "null":
            return Val(kinds[0], pl.lit(None, dtype={"num": pl.Float64, "bool": pl.Boolean,
                                                      "date": pl.Date, "str": pl.String}[kinds[0]]))
        if v.kind not in kinds:
            names = {"num": "数值", "bool": "真假值", "date": "日期", "str": "文字", "list": "列表"}
            raise RuleError(f"{what}需要{'或'.join(names[k] for k in kinds)}，此处是{names.get(v.kind, v.kind)}", pos=pos)
        return v

    def c_Unary(self, n: Unary) -> Val:
        v = self.compile(n.arg)
        if n.op == "-":
            v = self._need(v, ("num",), n.pos, "负号")
            if v.is_const:
                return lit(-v.const, "num")
            return Val("num", -v.hi, -v.lo) if v.ranged else Val("num", -v.lo)
        v = self._need(v, ("bool",), n.pos, "not")
        if v.ranged:
            return Val("bool", ~v.hi, ~v.lo)
        return Val("bool", ~v.lo)

    def c_Bin(self, n: Bin) -> Val:
        op = n.op
        a = self.compile(n.left)
        if op in ("and", "or"):
            b = self.compile(n.right)
            a = self._need(a, ("bool",), n.pos, op)
            b = self._need(b, ("bool",), n.pos, op)
            f = (lambda x, y: x & y) if op == "and" else (lambda x, y: x | y)
            if a.ranged or b.ranged:
                return Val("bool", f(a.lo, b.lo), f(a.hi, b.hi))
            return Val("bool", f(a.lo, b.lo))
        if op == "in":
            b = self.compile(n.right)
            if a.ranged:
                raise RuleError("专家评分区间不能用于 in", pos=n.pos)
            return Val("bool", pl.when(a.lo.is_null()).then(None).otherwise(a.lo.is_in(b.items)))
        b = self.compile(n.right)
        if op in ("+", "-", "*", "/", "^"):
            a = self._need(a, ("num",), n.pos, f"运算“{op}”")
            b = self._need(b, ("num",), n.pos, f"运算“{op}”")
            if a.is_const and b.is_const:
                x, y = float(a.const), float(b.const)
                if op == "/" and y == 0:
                    raise RuleError("除数为 0", pos=n.pos)
                return lit({"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else 0,
                            "^": x ** y}[op], "num")
            if op == "+":
                return Val("num", a.lo + b.lo, a.hi + b.hi) if (a.ranged or b.ranged) else Val("num", a.lo + b.lo)
            if op == "-":
                return Val("num", a.lo - b.hi, a.hi - b.lo) if (a.ranged or b.ranged) else Val("num", a.lo - b.lo)
            if a.ranged or b.ranged:
                const = b if a.ranged else a
                other = a if a.ranged else b
                if not const.is_const or float(const.const) < 0 or (op == "/" and const is a) or op == "^":
                    raise RuleError("专家评分区间只能与非负常数相乘或相除", pos=n.pos)
                if op == "*":
                    return Val("num", other.lo * const.const, other.hi * const.const)
                return Val("num", other.lo / const.const, other.hi / const.const)
            if op == "*":
                return Val("num", a.lo * b.lo)
            if op == "^":
                return Val("num", a.lo.pow(b.lo))
            if b.is_const:
                if float(b.const) == 0:
                    raise RuleError("除数为 0", pos=n.pos)
                return Val("num", a.lo / b.const)
            # division by zero gives null (undefined), never infinity
            return Val("num", pl.when(b.lo != 0).then(a.lo / b.lo))
        # comparisons
        if a.kind == "null" or b.kind == "null":
            return Val("bool", pl.lit(None, dtype=pl.Boolean))
        if a.kind != b.kind:
            raise RuleError(f"不能比较{_kind_name(a.kind)}与{_kind_name(b.kind)}", pos=n.pos)
        if a.kind in ("str", "bool", "date"):
            if op not in ("==", "!=") and a.kind != "date":
                raise RuleError(f"{_kind_name(a.kind)}只能用 == 或 != 比较", pos=n.pos)
            if a.ranged or b.ranged:
                raise RuleError("待专家判定的真假值不能再比较", pos=n.pos)
            ops: dict[str, Callable] = {"==": lambda x, y: x == y, "!=": lambda x, y: x != y,
                                        "<": lambda x, y: x < y, "<=": lambda x, y: x <= y,
                                        ">": lambda x, y: x > y, ">=": lambda x, y: x >= y}
            return Val("bool", ops[op](a.lo, b.lo))
        if op in ("==", "!=") and (a.ranged or b.ranged):
            raise RuleError("专家评分区间不能用 == / != 比较", pos=n.pos)
        if a.ranged or b.ranged:
            if op in (">=", ">"):
                nec = cmp_expr(a.lo, op, b.hi, tol_for(Val("num", b.hi, const=b.const, is_const=b.is_const)))
                pos = cmp_expr(a.hi, op, b.lo, tol_for(Val("num", b.lo, const=b.const, is_const=b.is_const)))
            else:
                nec = cmp_expr(a.hi, op, b.lo, tol_for(Val("num", b.lo, const=b.const, is_const=b.is_const)))
                pos = cmp_expr(a.lo, op, b.hi, tol_for(Val("num", b.hi, const=b.const, is_const=b.is_const)))
            return Val("bool", nec, pos)
        return Val("bool", cmp_expr(a.lo, op, b.lo, tol_for(b)))

    def c_Call(self, n: Call) -> Val:
        fn = FUNCTIONS.get(n.name)
        if fn is None:
            raise RuleError(f"未知函数“{n.name}”，可用：{'、'.join(sorted(FUNCTIONS))}", pos=n.pos)
        lo, hi, builder = fn
        if not (lo <= len(n.args) <= hi):
            raise RuleError(f"函数 {n.name} 需要 {lo}{'' if lo == hi else f'–{hi}'} 个参数，给了 {len(n.args)} 个", pos=n.pos)
        return builder(self, n)


def _kind_name(k: str) -> str:
    return {"num": "数值", "bool": "真假值", "date": "日期", "str": "文字", "list": "列表"}.get(k, k)


# ---------------------------------------------------------------- functions

def _exact_nums(c: Compiler, n: Call, what: str = "") -> list[Val]:
    vals = [c._need(c.compile(a), ("num",), a.pos, f"{n.name} 的参数") for a in n.args]
    return vals


def _f_minmax(c: Compiler, n: Call) -> Val:
    vals = _exact_nums(c, n)
    agg = pl.min_horizontal if n.name == "min" else pl.max_horizontal
    if any(v.ranged for v in vals):
        lo = _null_if_any_null([v.lo for v in vals], agg([v.lo for v in vals]))
        hi = _null_if_any_null([v.hi for v in vals], agg([v.hi for v in vals]))
        return Val("num", lo, hi)
    if all(v.is_const for v in vals):
        return lit((min if n.name == "min" else max)(v.const for v in vals), "num")
    exprs = [v.lo for v in vals]
    non_const = [v.lo for v in vals if not v.is_const]
    return Val("num", _null_if_any_null(non_const, agg(exprs)))


def _f_best(c: Compiler, n: Call) -> Val:
    """Maximum of the values that are present (the enterprise chooses one indicator)."""
    vals = _exact_nums(c, n)
    if any(v.ranged for v in vals):
        return Val("num", pl.max_horizontal([v.lo for v in vals]), pl.max_horizontal([v.hi for v in vals]))
    return Val("num", pl.max_horizontal([v.lo for v in vals]))


def _exact(c: Compiler, node: Node, kinds: tuple[str, ...], what: str) -> Val:
    v = c._need(c.compile(node), kinds, node.pos, what)
    if v.ranged:
        raise RuleError(f"{what}不能是专家评分区间", pos=node.pos)
    return v


def _f_abs(c, n):
    v = _exact(c, n.args[0], ("num",), "abs 的参数")
    return Val("num", v.lo.abs())


def _f_floor(c, n):
    v = _exact(c, n.args[0], ("num",), f"{n.name} 的参数")
    # tolerance so that 6.0000000001/2 floors like 6/2
    if n.name == "floor":
        return Val("num", (v.lo + 1e-9).floor())
    return Val("num", (v.lo - 1e-9).ceil())


def _f_year(c, n):
    v = _exact(c, n.args[0], ("date",), "year 的参数")
    return Val("num", v.lo.dt.year().cast(pl.Float64))


def _f_date(c, n):
    a = n.args[0]
    if not isinstance(a, Str):
        raise RuleError("date() 需要 'YYYY-MM-DD' 形式的文字", pos=a.pos)
    import datetime as _dt
    try:
        d = _dt.date.fromisoformat(a.value)
    except ValueError:
        raise RuleError(f"日期“{a.value}”格式错误，应为 YYYY-MM-DD", pos=a.pos) from None
    return Val("date", pl.lit(d, dtype=pl.Date), const=d, is_const=True)


def _f_days_between(c, n):
    a = _exact(c, n.args[0], ("date",), "days_between 的参数")
    b = _exact(c, n.args[1], ("date",), "days_between 的参数")
    return Val("num", (b.lo - a.lo).dt.total_days().cast(pl.Float64))


def _f_years_between(c, n):
    """Completed years from the first date to the second (anniversary rule)."""
    a = _exact(c, n.args[0], ("date",), "years_between 的参数")
    b = _exact(c, n.args[1], ("date",), "years_between 的参数")
    ya, yb = a.lo.dt.year(), b.lo.dt.year()
    ma = a.lo.dt.month().cast(pl.Int32) * 100 + a.lo.dt.day().cast(pl.Int32)
    mb = b.lo.dt.month().cast(pl.Int32) * 100 + b.lo.dt.day().cast(pl.Int32)
    return Val("num", ((yb - ya).cast(pl.Int32) - (mb < ma).cast(pl.Int32)).cast(pl.Float64))


def _f_cagr(c, n):
    """Compound annual growth rate: (end/start)^(1/years) - 1; null if start <= 0."""
    v0 = _exact(c, n.args[0], ("num",), "cagr 的起始值")
    v1 = _exact(c, n.args[1], ("num",), "cagr 的终值")
    yrs = _exact(c, n.args[2], ("num",), "cagr 的年数")
    ratio = pl.when((v0.lo > 0) & (v1.lo >= 0)).then(v1.lo / v0.lo)
    if yrs.is_const:
        if float(yrs.const) <= 0:
            raise RuleError("cagr 的年数必须为正", pos=n.args[2].pos)
        return Val("num", ratio.pow(1.0 / float(yrs.const)) - 1)
    return Val("num", ratio.pow(1.0 / yrs.lo) - 1)


def _f_if(c, n):
    cond = _exact(c, n.args[0], ("bool",), "if 的条件")
    a = c.compile(n.args[1])
    b = c.compile(n.args[2])
    kind = a.kind if a.kind != "null" else b.kind
    if kind == "null":
        return null()
    a = c._need(a, (kind,), n.args[1].pos, "if 的两个分支")
    b = c._need(b, (kind,), n.args[2].pos, "if 的两个分支")

    def pick(x, y):
        return pl.when(cond.lo.is_null()).then(None).when(cond.lo).then(x).otherwise(y)

    if a.ranged or b.ranged:
        return Val(kind, pick(a.lo, b.lo), pick(a.hi, b.hi))
    return Val(kind, pick(a.lo, b.lo))


def _f_coalesce(c, n):
    vals = [c.compile(a) for a in n.args]
    kinds = {v.kind for v in vals} - {"null"}
    if len(kinds) != 1:
        raise RuleError("coalesce 的参数类型必须一致", pos=n.pos)
    kind = kinds.pop()
    if any(v.ranged for v in vals):
        return Val(kind, pl.coalesce([v.lo for v in vals]), pl.coalesce([v.hi for v in vals]))
    return Val(kind, pl.coalesce([v.lo for v in vals]))


def _f_starts_with(c, n):
    """starts_with(text, 'prefix'): e.g. a region code inside a province (32 = 江苏)."""
    v = _exact(c, n.args[0], ("str",), "starts_with 的参数")
    if not isinstance(n.args[1], Str):
        raise RuleError("starts_with 的第二个参数应为字符串常量", pos=n.args[1].pos)
    return Val("bool", v.lo.str.starts_with(n.args[1].value))


def _f_missing(c, n):
    v = c.compile(n.args[0])
    return Val("bool", v.lo.is_null() if n.name == "missing" else v.lo.is_not_null())


def _f_judged(c, n):
    """An expert-judged yes/no item: when not given it may go either way (``depends``)."""
    v = _exact(c, n.args[0], ("bool",), "judged 的参数")
    return Val("bool", v.lo.fill_null(False), v.lo.fill_null(True))


def _f_expert(c, n):
    """expert(x, lo, hi): an expert score; when x is missing it lies anywhere in [lo, hi]."""
    v = _exact(c, n.args[0], ("num",), "expert 的参数")
    lo = _exact(c, n.args[1], ("num",), "expert 的下限")
    hi = _exact(c, n.args[2], ("num",), "expert 的上限")
    return Val("num", v.lo.fill_null(lo.lo), v.lo.fill_null(hi.lo))


def _f_count_true(c, n):
    vals = [_exact(c, a, ("bool",), "count_true 的参数") for a in n.args]
    return Val("num", pl.sum_horizontal([v.lo.cast(pl.Float64) for v in vals]).pipe(
        lambda e: _null_if_any_null([v.lo for v in vals], e)))


def _f_lookup(c, n):
    tname = n.args[0]
    if not isinstance(tname, Name):
        raise RuleError("lookup 的第一个参数应为表名", pos=tname.pos)
    bands = c.env.table(tname.name)
    if bands is None:
        raise RuleError(f"未定义的表“{tname.name}”", pos=tname.pos)
    v = _exact(c, n.args[1], ("num",), "lookup 的数值")
    return band_lookup(v.lo, bands)


def band_lookup(x: pl.Expr | None, bands: list[Band], missing=None,
                conds: list[pl.Expr] | None = None) -> Val:
    """First matching band wins; bands carry explicit inclusive/exclusive edges, or
    (``conds``) a condition each. An undecidable condition before a match gives null."""
    ranged = any(isinstance(b.value, tuple) for b in bands) or isinstance(missing, tuple)

    def ends(v):
        return v if isinstance(v, tuple) else (v, v)

    def chain(side: int) -> pl.Expr:
        e = None
        for i, b in enumerate(bands):
            v = pl.lit(ends(b.value)[side], dtype=pl.Float64)
            if conds is None:
                cond = band_match(x, b)
                e = (pl.when(cond) if e is None else e.when(cond)).then(v)
            else:
                cond = conds[i]
                e = (pl.when(cond.is_null()) if e is None else e.when(cond.is_null())).then(None)
                e = e.when(cond).then(v)
        e = e.otherwise(None)
        if x is not None:
            m = None if missing is None else ends(missing)[side]
            e = pl.when(x.is_null()).then(pl.lit(m, dtype=pl.Float64)).otherwise(e)
        return e

    if not ranged:
        return Val("num", chain(0))
    return Val("num", chain(0), chain(1))


def band_match(x: pl.Expr, b: Band) -> pl.Expr:
    parts = []
    if b.lo != -math.inf:
        t = REL_TOL * (1 + abs(b.lo))
        parts.append(x >= b.lo - t if b.lo_incl else x > b.lo + t)
    if b.hi != math.inf:
        t = REL_TOL * (1 + abs(b.hi))
        parts.append(x <= b.hi + t if b.hi_incl else x < b.hi - t)
    if not parts:
        return pl.lit(True)
    out = parts[0]
    for p in parts[1:]:
        out = out & p
    return out


def _f_pool(c, n):
    """Normalise within the evaluated pool: pool_minmax → [0, 1]; pool_rank → percentile."""
    v = _exact(c, n.args[0], ("num",), f"{n.name} 的参数")
    x = v.lo
    if n.name == "pool_minmax":
        span = x.max() - x.min()
        return Val("num", pl.when(span > 0).then((x - x.min()) / span).otherwise(pl.when(x.is_not_null()).then(1.0)))
    cnt = x.count()
    return Val("num", pl.when(cnt > 1).then((x.rank("average") - 1) / (cnt - 1)).otherwise(
        pl.when(x.is_not_null()).then(1.0)))


FUNCTIONS: dict[str, tuple[int, int, Callable]] = {
    "min": (2, 20, _f_minmax),
    "max": (2, 20, _f_minmax),
    "best": (1, 20, _f_best),
    "abs": (1, 1, _f_abs),
    "floor": (1, 1, _f_floor),
    "ceil": (1, 1, _f_floor),
    "year": (1, 1, _f_year),
    "date": (1, 1, _f_date),
    "days_between": (2, 2, _f_days_between),
    "years_between": (2, 2, _f_years_between),
    "cagr": (3, 3, _f_cagr),
    "if": (3, 3, _f_if),
    "coalesce": (1, 20, _f_coalesce),
    "missing": (1, 1, _f_missing),
    "starts_with": (2, 2, _f_starts_with),
    "present": (1, 1, _f_missing),
    "judged": (1, 1, _f_judged),
    "expert": (3, 3, _f_expert),
    "count_true": (1, 20, _f_count_true),
    "lookup": (2, 2, _f_lookup),
    "pool_minmax": (1, 1, _f_pool),
    "pool_rank": (1, 1, _f_pool),
}
