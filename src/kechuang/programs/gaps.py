"""Gaps: the smallest change to one input that makes a failing comparison pass.

A comparison ``L op R`` is rewritten as ``N(x)/D(x) op 0`` where N and D are linear in
the chosen input x (other inputs held fixed); then x* = -N₀/N₁. Monotone functions of x
(``cagr``) are inverted first. Every candidate is verified by re-evaluating the rule with
x replaced, so a reported gap always makes its condition pass.
"""

from __future__ import annotations

import math
import re

from . import expr as E
from .columns import pl
from .fields import fields


class NotLinear(Exception):
    pass


# A polynomial a·x + b; a is None when x does not occur.
class Poly:
    __slots__ = ("a", "b")

    def __init__(self, a, b):
        self.a = a
        self.b = b


def _mul(p: Poly, q: Poly) -> Poly:
    if p.a is not None and q.a is not None:
        raise NotLinear
    if p.a is None:
        return Poly(None if q.a is None else p.b * q.a, p.b * q.b)
    return Poly(p.a * q.b, p.b * q.b)


def _add(p: Poly, q: Poly, sign: float = 1.0) -> Poly:
    if p.a is None and q.a is None:
        a = None
    elif p.a is None:
        a = q.a * sign
    elif q.a is None:
        a = p.a
    else:
        a = p.a + q.a * sign
    return Poly(a, p.b + q.b * sign)


def one():
    return pl.lit(1.0)


def zero():
    return pl.lit(0.0)


class Solver:
    """Linear-fractional analysis of expressions in one input of a program."""

    def __init__(self, program, compiler: E.Compiler, x: str):
        self.p = program
        self.c = compiler
        self.x = x
        self._dep: dict[str, bool] = {}

    def depends(self, node: E.Node) -> bool:
        for name in E.names_in(node):
            if name == self.x:
                return True
            if name in self._dep:
                if self._dep[name]:
                    return True
                continue
            self._dep[name] = False
            it = self.p.values.get(name) or self.p.indicators.get(name) or self.p.conditions.get(name)
            if name == "score" and self.p.score is not None:
                it = self.p.score
            if it is not None:
                nodes = [it.node, it.value_node] + [b.when for b in it.bands]
                d = any(self.depends(n) for n in nodes if n is not None)
                self._dep[name] = d
                if d:
                    return True
        return False

    def frac(self, node: E.Node) -> tuple[Poly, Poly]:
        if not self.depends(node):
            v = self.c.compile(node)
            if v.kind != "num" or v.ranged:
                raise NotLinear
            return Poly(None, v.lo), Poly(None, one())
        if isinstance(node, E.Name):
            if node.name == self.x:
                return Poly(one(), zero()), Poly(None, one())
            it = self.p.values.get(node.name)
            if it is None:
                raise NotLinear
            return self.frac(it.node)
        if isinstance(node, E.Unary) and node.op == "-":
            n, d = self.frac(node.arg)
            return Poly(None if n.a is None else -n.a, -n.b), d
        if isinstance(node, E.Bin) and node.op in "+-*/":
            n1, d1 = self.frac(node.left)
            n2, d2 = self.frac(node.right)
            if node.op in "+-":
                sign = 1.0 if node.op == "+" else -1.0
                return _add(_mul(n1, d2), _mul(n2, d1), sign), _mul(d1, d2)
            if node.op == "*":
                return _mul(n1, n2), _mul(d1, d2)
            return _mul(n1, d2), _mul(d1, n2)
        if isinstance(node, E.Call) and node.name == "if" and not self.depends(node.args[0]):
            cond = self.c.compile(node.args[0]).lo
            n1, d1 = self.frac(node.args[1])
            n2, d2 = self.frac(node.args[2])

            def pick(u, v):
                if u is None and v is None:
                    return None
                u = zero() if u is None else u
                v = zero() if v is None else v
                return pl.when(cond.is_null()).then(None).when(cond).then(u).otherwise(v)

            return Poly(pick(n1.a, n2.a), pick(n1.b, n2.b)), Poly(pick(d1.a, d2.a), pick(d1.b, d2.b))
        if isinstance(node, E.Call) and node.name == "coalesce":
            # the solver only acts where the input is present; use the first argument
            return self.frac(node.args[0])
        raise NotLinear

    def rewrite(self, node: E.Bin) -> E.Bin:
        """cagr(v0, v1, n) op T  →  v1 op v0·(1+T)^n (or v0 op' v1/(1+T)^n)."""
        left, right, op = self.unwrap(node.left), self.unwrap(node.right), node.op
        if isinstance(right, E.Call) and right.name == "cagr":
            left, right, op = right, left, {">=": "<=", ">": "<", "<=": ">=", "<": ">"}.get(op, op)
        if isinstance(left, E.Call) and left.name == "cagr" and not self.depends(right):
            v0, v1, n = left.args
            growth = E.Bin(node.pos, "^", E.Bin(node.pos, "+", E.Num(node.pos, 1.0), right), n)
            if self.depends(v1) and not self.depends(v0):
                return E.Bin(node.pos, op, v1, E.Bin(node.pos, "*", v0, growth))
            if self.depends(v0) and not self.depends(v1):
                flipped = {">=": "<=", ">": "<", "<=": ">=", "<": ">"}.get(op, op)
                return E.Bin(node.pos, flipped, v0, E.Bin(node.pos, "/", v1, growth))
        return E.Bin(node.pos, op, left, right)

    def unwrap(self, node: E.Node) -> E.Node:
        """Inline named values that depend on x, so their structure can be inverted."""
        while isinstance(node, E.Name) and node.name in self.p.values and self.depends(node):
            node = self.p.values[node.name].node
        return node

    def inline(self, node: E.Node) -> E.Node:
        """Replace named values that depend on x by their expressions."""
        if isinstance(node, E.Name):
            if node.name in self.p.values and self.depends(node):
                return self.inline(self.p.values[node.name].node)
            return node
        if isinstance(node, E.Bin):
            return E.Bin(node.pos, node.op, self.inline(node.left), self.inline(node.right))
        if isinstance(node, E.Unary):
            return E.Unary(node.pos, node.op, self.inline(node.arg))
        if isinstance(node, E.Call):
            return E.Call(node.pos, node.name, [self.inline(a) for a in node.args])
        return node

    def _split_if(self, node: E.Node):
        """The first ``if`` whose condition does not involve x: (cond, then-tree, else-tree)."""
        if isinstance(node, E.Call) and node.name == "if" and self.depends(node) and not self.depends(node.args[0]):
            return node.args[0], node.args[1], node.args[2]
        children = []
        if isinstance(node, E.Bin):
            children = [("left", node.left), ("right", node.right)]
        elif isinstance(node, E.Unary):
            children = [("arg", node.arg)]
        elif isinstance(node, E.Call):
            children = [(i, a) for i, a in enumerate(node.args)]
        for key, child in children:
            found = self._split_if(child)
            if found is None:
                continue
            cond, a, b = found

            def rebuild(sub):
                if isinstance(node, E.Bin):
                    return E.Bin(node.pos, node.op, sub if key == "left" else node.left,
                                 sub if key == "right" else node.right)
                if isinstance(node, E.Unary):
                    return E.Unary(node.pos, node.op, sub)
                args = list(node.args)
                args[key] = sub
                return E.Call(node.pos, node.name, args)

            return cond, rebuild(a), rebuild(b)
        return None

    def needed(self, node: E.Bin, _depth: int = 0) -> pl.Expr | None:
        """The value x must take for ``node`` (a comparison) to hold, or None."""
        if node.op not in (">=", ">", "<=", "<"):
            return None
        if _depth == 0:
            node = self.inline(node)
        if _depth < 4:
            split = self._split_if(node)
            if split is not None:
                # solve each branch separately: small expressions instead of nested picks
                cond_node, then_node, else_node = split
                cond = self.c.compile(cond_node).lo
                a = self.needed(then_node, _depth + 1)
                b = self.needed(else_node, _depth + 1)
                if a is None and b is None:
                    return None
                a = pl.lit(None, dtype=pl.Float64) if a is None else a
                b = pl.lit(None, dtype=pl.Float64) if b is None else b
                return pl.when(cond.is_null()).then(None).when(cond).then(a).otherwise(b)
        node = self.rewrite(node)
        try:
            nl, dl = self.frac(node.left)
            nr, dr = self.frac(node.right)
        except NotLinear:
            return None
        num = _add(_mul(nl, dr), _mul(nr, dl), -1.0)
        den = _mul(dl, dr)
        if num.a is None:
            return None
        cur = pl.col(self.x)
        den_now = den.b if den.a is None else den.a * cur + den.b
        x_star = -num.b / num.a
        upward = (num.a > 0) == (den_now > 0)
        if node.op in ("<=", "<"):
            upward = ~upward
        strict = node.op in (">", "<")
        f = fields().get(self.x)
        step = f.step if f else 0.01
        eps = 1e-7
        q = x_star / step
        if strict:
            up = ((q + eps).floor() + 1) * step
            down = ((q - eps).ceil() - 1) * step
        else:
            up = (q - eps).ceil() * step
            down = (q + eps).floor() * step
        out = pl.when(num.a == 0).then(None).when(upward).then(up).otherwise(down)
        if f is not None and not f.signed and f.kind == "num":
            out = pl.when(out < 0).then(None).otherwise(out)
        return out


def comparisons(node: E.Node) -> list[E.Bin]:
    """Comparison leaves reachable through ``and`` / ``or``."""
    if isinstance(node, E.Bin) and node.op in ("and", "or"):
        return comparisons(node.left) + comparisons(node.right)
    if isinstance(node, E.Bin) and node.op in (">=", ">", "<=", "<"):
        return [node]
    return []


# ---------------------------------------------------------------- words

_PLACE = re.compile(r"\{(\w+)\}")


def fmt_number(v, unit: str = "") -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if unit == "%":
        s = f"{v * 100:.2f}".rstrip("0").rstrip(".")
        return f"{s}%"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):
        return f"{v:.2f}".rstrip("0").rstrip(".")
    return str(v)


def render(template: str, values: dict) -> str:
    """Fill {name} placeholders from ``values`` (already formatted); nothing else is evaluated."""
    return _PLACE.sub(lambda m: str(values.get(m.group(1), m.group(0))), template)


def template_parts(template: str) -> list[tuple[str, str | None]]:
    """(literal text, placeholder name or None) pairs, in order: ``render`` read ahead."""
    pieces = _PLACE.split(template)
    return [(pieces[i], pieces[i + 1] if i + 1 < len(pieces) else None) for i in range(0, len(pieces), 2)]


def default_text(field_id: str, current, needed, delta) -> str:
    f = fields().get(field_id)
    label = f.full_label if f else field_id
    unit = f.unit if f else ""
    word = "增加" if (delta or 0) >= 0 else "减少"
    return (f"{label}现为 {fmt_number(current)}{unit}，需达到 {fmt_number(needed)}{unit}"
            f"（{word} {fmt_number(abs(delta or 0))}{unit}）")


def fmt_amount(v, unit: str = "") -> str:
    """A value with its unit as people write it: 31800 万元 → "3.18 亿元", 0.125 (%) → "12.5%",
    thousands separated; "—" when missing."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if isinstance(v, bool):
        return "是" if v else "否"
    if not isinstance(v, (int, float)):
        return str(v)
    if unit == "%":
        return fmt_number(v, "%")
    if unit == "万元" and abs(v) >= 10000:
        from ..units import convert

        return f"{_plain(float(convert(v, '万元', '亿元')))} 亿元"
    return f"{_plain(v)} {unit}".strip()


def _plain(v) -> str:
    s = f"{v:,.2f}".rstrip("0").rstrip(".")
    return s
