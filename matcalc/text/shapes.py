"""Shape inference for parsed text, before :mod:`matcalc.text.construct` builds it.

:class:`Typer` infers the shape of every syntax-tree node by unifying unknown dims (in
``x'*A*x`` the use fixes ``A`` as square), from the shapes a caller declares
(:func:`declared_shape`); :class:`~matcalc.text.construct.Builder` then builds the
expression with the public constructors, which need every dim known. Typer walks the tree
with loops, never recursion, and reads each defined name (a ``let`` node, shared by all its
uses) once. :data:`ELEMENTWISE`, the text's elementwise functions, is here: both read it.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable
from typing import Any

import sympy

from ..expr import build as mc  # the public constructors, spelled as users spell them
from ..expr.dims import Dim, check_name, dim
from ..expr.errors import ParseError, ShapeError
from ..expr.nodes import Expr
from .syntax import Node

__all__ = ["Typer", "ELEMENTWISE", "ShapeTerms", "MAX_CONSTANT_BITS", "bits", "declared_shape"]

MAX_MATRIX_POWER = 64
MAX_CONSTANT_BITS = 1000  # folded constants larger than this are refused, not computed

# Elementwise functions: text name → public constructor (a table, never getattr on text).
ELEMENTWISE: dict[str, Callable[[Any], Expr]] = {
    "sin": mc.sin, "cos": mc.cos, "tan": mc.tan, "arcsin": mc.arcsin, "arccos": mc.arccos,
    "arctan": mc.arctan, "exp": mc.exp, "log": mc.log, "tanh": mc.tanh, "abs": mc.abs,
    "sign": mc.sign, "relu": mc.relu, "sigmoid": mc.sigmoid, "softplus": mc.softplus,
    "sqrt": mc.sqrt, "step": mc.step,  # step: relu's derivative, for hand-derived claims
}

# ----------------------------------------------------------------------------------------
# 3. Shapes: unification of unknown dims
# ----------------------------------------------------------------------------------------

ShapeTerms = tuple[sympy.Expr, sympy.Expr]
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, ".*": operator.mul,
               "/": operator.truediv, "./": operator.truediv}
_ONE = sympy.Integer(1)
_FOLDABLE = ("num", "neg", "'", "+", "-", "*", "/", ".*", "./", "^", ".^")


def bits(v: sympy.Expr) -> float:
    """Rough size of a constant in bits (inf when it does not fit a float)."""
    if v.is_Rational:
        return max(int(v.p).bit_length(), int(v.q).bit_length())
    try:
        return math.log2(max(abs(float(v)), 1.0)) + 1
    except (OverflowError, TypeError, ValueError):
        return math.inf


class Typer:
    """Infers the shape of every node; unknown dims are unified as they meet.

    Dims are SymPy terms. Those a user gave (and integers) are rigid; the rest are fresh
    "flexible" variables that unification binds. A symbol's flexible dims may not become
    1: a name read as a vector or matrix by default is not silently made a scalar.
    """

    def __init__(self, text: str, declared: dict[str, ShapeTerms], taken: set[str]) -> None:
        self.text = text
        self.declared = declared
        self.taken = set(taken)
        self.subst: dict[sympy.Symbol, sympy.Expr] = {}
        self.order: dict[sympy.Symbol, int] = {}  # flexible dim → creation order
        self.may_be_one: set[sympy.Symbol] = set()
        self.notes: dict[sympy.Symbol, str] = {}
        self.symbols: dict[str, ShapeTerms] = {}
        self.shapes: dict[int, ShapeTerms] = {}
        self.kind: dict[int, str] = {}
        self.consts: dict[int, sympy.Expr | None] = {}
        self.square_names: set[str] = set()  # declared structured (square), no shape given

    # --- dims --------------------------------------------------------------------------
    def fresh(self, base: str, may_be_one: bool = False, note: str = "") -> sympy.Symbol:
        name, k = base, 1
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        var = dim(name).expr
        self.order[var] = len(self.order)
        if may_be_one:
            self.may_be_one.add(var)
        if note:
            self.notes[var] = note
        return var

    def resolve(self, t: sympy.Expr) -> sympy.Expr:
        return t.xreplace(self.subst) if self.subst else t

    def shape_of(self, node: Node) -> ShapeTerms:
        r, c = self.shapes[id(node)]
        return self.resolve(r), self.resolve(c)

    def fmt(self, node: Node) -> str:
        src = self.text[node.start:node.end].strip()
        return f"{src} ({'×'.join(str(d).replace('*', '·') for d in self.shape_of(node))})"

    def _can_bind(self, var: sympy.Expr, value: sympy.Expr) -> bool:
        return (var in self.order and var not in value.free_symbols
                and (value != _ONE or var in self.may_be_one))

    def _bind(self, var: sympy.Symbol, value: sympy.Expr) -> None:
        self.subst = {k: v.xreplace({var: value}) for k, v in self.subst.items()}
        self.subst[var] = value

    def unify(self, a: sympy.Expr, b: sympy.Expr, fail: Callable[[str], ShapeError]) -> None:
        a, b = self.resolve(a), self.resolve(b)
        if a == b:
            return
        if a in self.order and b in self.order:
            # keep the older name, so dims are named after the first symbol that uses them
            # (a symbol's name beats an eye's or a ones vector's)
            rank = lambda v: (v in self.may_be_one, self.order[v])  # noqa: E731
            old, new = (a, b) if rank(a) < rank(b) else (b, a)
            if self._can_bind(new, old):
                return self._bind(new, old)
        for var, value in ((a, b), (b, a)):
            if self._can_bind(var, value):
                return self._bind(var, value)
        fa, fb = list(sympy.Mul.make_args(a)), list(sympy.Mul.make_args(b))
        for f in list(fa):
            if f in fb:
                fa.remove(f)
                fb.remove(f)
        rest_a, rest_b = sympy.Mul(*fa), sympy.Mul(*fb)
        if (rest_a, rest_b) != (a, b):  # a common factor cancelled: the rest must be equal
            return self.unify(rest_a, rest_b, fail)
        if _ONE in (a, b) and max(len(fa), len(fb)) > 1:  # a product that is 1: each factor
            for f in fa if b == _ONE else fb:
                self.unify(f, _ONE, fail)
            return
        if len(fa) == len(fb) > 1:
            # products (vec, kron) of equal size are read as equal factors, in a fixed order
            for f, g in zip(sorted(fa, key=str), sorted(fb, key=str)):
                self.unify(f, g, fail)
            return
        why = f"{a} ≠ {b}"
        for var in (a, b):
            if var in self.notes and (b if var == a else a) == _ONE:
                why += f" ({self.notes[var]})"
        raise fail(why)

    def mismatch(self, verb: str, x: Node, op: str, y: Node, what: str = "") -> Callable:
        def fail(why: str) -> ShapeError:
            return ShapeError(f"cannot {verb} {self.fmt(x)} {op} {self.fmt(y)}: "
                              f"{what}{why}")

        return fail

    def square(self, node: Node, fn: str) -> sympy.Expr:
        r, c = self.shape_of(node)

        def fail(why: str) -> ShapeError:
            return ShapeError(f"{fn} needs a square matrix, not {self.fmt(node)}: {why}")

        self.unify(r, c, fail)
        return self.resolve(r)

    def is_one(self, shape: ShapeTerms) -> bool:
        return shape == (_ONE, _ONE)

    # --- constants -----------------------------------------------------------------------
    def fold(self, node: Node) -> sympy.Expr | None:
        """The value of a subtree made only of numbers, or None (remembered per node).

        A loop, children first, so a constant sum of any length folds without recursion.
        """
        if id(node) in self.consts:
            return self.consts[id(node)]
        stack: list[tuple[Node, bool]] = [(node, False)]
        while stack:
            n, ready = stack.pop()
            if id(n) in self.consts:
                continue
            if ready or n.op not in _FOLDABLE or not n.args:
                self.consts[id(n)] = self._fold(n)  # its children are folded by now
                continue
            stack.append((n, True))
            stack.extend((a, False) for a in reversed(n.args))
        return self.consts[id(node)]

    def _fold(self, node: Node) -> sympy.Expr | None:
        if node.op == "num":
            return node.value
        if node.op in ("neg", "'"):
            v = self.fold(node.args[0])
            return None if v is None else (-v if node.op == "neg" else v)
        if node.op not in _FOLDABLE:
            return None
        a, b = (self.fold(x) for x in node.args)
        if a is None or b is None:
            return None
        def err(msg: str) -> ParseError:
            at = node.args[1].start
            return ParseError(f"{msg} (column {at + 1})", self.text, at)

        if node.op in ("/", "./") and b == 0:
            raise err("division by zero")
        if node.op in ("^", ".^"):
            if a == 0 and b.is_negative:
                raise err("division by zero (0 to a negative power)")
            if abs(float(b)) * max(bits(a), 1) > 2 * MAX_CONSTANT_BITS:
                raise err("constant too large")
            v = sympy.Pow(a, b)
        else:
            v = _ARITHMETIC[node.op](a, b)
        if not (v.is_extended_real and v.is_finite):
            raise err(f"the constant {self.text[node.start:node.end]} is not a real number")
        if bits(v) > MAX_CONSTANT_BITS:
            raise err("constant too large")
        return v

    # --- shapes of nodes -----------------------------------------------------------------
    def infer(self, root: Node) -> ShapeTerms:
        """The shape of every node under ``root``, children first, left to right (the order
        fixes which symbol names a shared dim). A loop, so no depth or length of text
        meets Python's recursion limit; a definition shared by several ``let`` uses is
        inferred once."""
        stack: list[tuple[Node, bool]] = [(root, False)]
        while stack:
            node, ready = stack.pop()
            if id(node) in self.shapes:
                continue
            if ready:
                self.shapes[id(node)] = self._infer(node)
                continue
            stack.append((node, True))
            stack.extend((a, False) for a in reversed(node.args) if id(a) not in self.shapes)
        return self.shapes[id(root)]

    def symbol_shape(self, node: Node) -> ShapeTerms:
        name = node.value
        if name not in self.symbols:
            if name in self.declared:
                self.symbols[name] = self.declared[name]
            elif name in self.square_names:  # declared symmetric/SPD/diagonal: one dim, n×n
                side = self.fresh(f"n_{name}", note=f"{name} is declared square")
                self.symbols[name] = (side, side)
            elif "a" <= name[0] <= "g":
                self.symbols[name] = (_ONE, _ONE)
            elif "h" <= name[0] <= "z":
                note = f"{name} is a vector: names h–z are, unless a shape is given"
                self.symbols[name] = (self.fresh(f"n_{name}", note=note), _ONE)
            elif "A" <= name[0] <= "Z":
                note = f"{name} is a matrix: names A–Z are, unless a shape is given"
                self.symbols[name] = (self.fresh(f"m_{name}", note=note),
                                      self.fresh(f"n_{name}", note=note))
            else:
                raise ParseError(
                    f"cannot tell whether {name!r} is a scalar, vector or matrix (column "
                    f"{node.start + 1}): give its shape, e.g. parse(..., {name}=(m, n))",
                    self.text, node.start)
        return self.symbols[name]

    def _infer(self, node: Node) -> ShapeTerms:  # noqa: C901 - one case per operator
        op, args = node.op, node.args
        if op == "num":
            return (_ONE, _ONE)
        if op == "name":
            return self.symbol_shape(node)
        if op == "eye":
            n = self.fresh("n_I", may_be_one=True)
            return (n, n)
        if op == "ones":
            rows = self.fresh("n_1", may_be_one=True)
            return (rows, _ONE if node.value[0] == "vector" else self.fresh("m_1", True))
        if op == "neg":
            return self.shape_of(args[0])
        if op == "'":
            r, c = self.shape_of(args[0])
            return (c, r)
        if op == "call":
            return self._infer_call(node)
        if op == "let":  # a use of a defined name: the shape of its definition
            return self.shapes[id(args[0])]
        a, b = self.shape_of(args[0]), self.shape_of(args[1])
        if op in ("+", "-", ".*", "./"):
            if op == "./" and self.fold(args[1]) == 0:
                raise ParseError(f"division by zero (column {args[1].start + 1})",
                                 self.text, args[1].start)
            verb = {"+": "add", "-": "subtract", ".*": "multiply", "./": "divide"}[op]
            return self.broadcast(node, verb, op)
        if op == "*":
            if self.is_one(a) or self.is_one(b):
                self.kind[id(node)] = "scale"
                return b if self.is_one(a) else a
            self.kind[id(node)] = "matmul"
            self.unify(a[1], b[0], self.mismatch("multiply", args[0], "*", args[1],
                                                 "inner dimensions "))
            return (a[0], b[1])
        if op == "/":
            if not self.is_one(b):
                raise ShapeError(f"cannot divide {self.fmt(args[0])} / {self.fmt(args[1])}: "
                                 "the divisor is not a scalar; write ./ to divide elementwise")
            if self.fold(args[1]) == 0:
                raise ParseError(f"division by zero (column {args[1].start + 1})",
                                 self.text, args[1].start)
            return a
        if op in ("^", ".^"):
            return self._infer_power(node, a, b)
        raise AssertionError(f"unknown node {op}")

    def broadcast(self, node: Node, verb: str, op: str) -> ShapeTerms:
        """NumPy broadcasting: a 1 stretches; two unknown dims must be equal."""
        x, y = node.args
        out = []
        for p, q in zip(self.shape_of(x), self.shape_of(y)):
            if p == q or q == _ONE:
                out.append(p)
            elif p == _ONE:
                out.append(q)
            else:
                self.unify(p, q, self.mismatch(verb, x, op, y, "dimensions "))
                out.append(self.resolve(p))
        return (out[0], out[1])

    def _infer_power(self, node: Node, a: ShapeTerms, b: ShapeTerms) -> ShapeTerms:
        base, exponent = node.args
        k = self.fold(exponent)
        if node.op == ".^" or self.is_one(a):
            self.kind[id(node)] = "pow" if k is not None else "explog"
            if k is None and not self.is_one(b):
                return self.broadcast(node, "raise", node.op)
            return a
        if not self.is_one(b):
            raise ShapeError(f"the exponent {self.fmt(exponent)} of ^ is not a scalar")
        if k is None or not k.is_Integer:
            raise ShapeError(f"{self.fmt(base)} ^ {self.text[exponent.start:exponent.end]}: "
                             "the power of a matrix needs an integer constant exponent; "
                             "write .^ for the elementwise power")
        if abs(int(k)) > MAX_MATRIX_POWER:
            raise ShapeError(f"matrix power {k} is too large (at most {MAX_MATRIX_POWER})")
        if _ONE in a:
            raise ShapeError(f"{self.fmt(base)} ^ {k}: ^ of a vector is not defined; "
                             "write .^ for the elementwise power")
        self.kind[id(node)] = "matpow"
        n = self.square(base, "^ (the matrix power)")
        return (n, n)

    def axis_of(self, node: Node) -> int | None:
        """The optional axis argument of sum, mean, softmax, ...: a constant 0 or 1."""
        if len(node.args) < 2:
            return None
        a = node.args[1]
        v = self.fold(a)
        if v not in (0, 1):
            raise ParseError(f"the axis of {node.value} must be 0 (each column) or 1 (each "
                             f"row), found {self.text[a.start:a.end]!r} (column {a.start + 1})",
                             self.text, a.start)
        return int(v)

    def _infer_call(self, node: Node) -> ShapeTerms:
        fn, x = node.value, node.args[0]
        r, c = self.shape_of(x)
        if fn in ELEMENTWISE:
            return (r, c)
        if fn in ("sum", "mean", "logsumexp"):
            axis = self.axis_of(node)
            return (_ONE, _ONE) if axis is None else (_ONE, c) if axis == 0 else (r, _ONE)
        if fn in ("softmax", "log_softmax"):
            self.axis_of(node)
            return (r, c)
        if fn in ("norm1", "norm2"):
            return (_ONE, _ONE)
        if fn in ("tr", "det", "logdet"):
            self.square(x, fn)
            return (_ONE, _ONE)
        if fn in ("inv", "expm", "logm", "sqrtm"):
            n = self.square(x, fn)
            return (n, n)
        if fn == "eigvalsh":
            return (self.square(x, fn), _ONE)
        if fn == "diag" and c == _ONE and r != _ONE:
            self.kind[id(node)] = "Diag"  # MATLAB's diag of a vector: the diagonal matrix
            return (r, r)
        if fn == "diag":
            return (self.square(x, fn), _ONE)
        if fn == "Diag":
            self.unify(c, _ONE, lambda why: ShapeError(
                f"Diag needs a column vector, not {self.fmt(x)}: {why}"))
            return (r, r)
        if fn == "vec":
            return (r * c, _ONE)
        if fn == "kron":
            r2, c2 = self.shape_of(node.args[1])
            return (r * r2, c * c2)
        raise AssertionError(f"unknown function {fn}")


def _dim_term(value: Any, name: str) -> sympy.Expr:
    if isinstance(value, Dim):
        return value.expr
    if isinstance(value, str):
        return dim(value.strip()).expr
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ValueError(f"shape of {name}: dimensions are positive, got {value}")
        return sympy.Integer(value)
    raise TypeError(f"shape of {name}: expected dims, ints or dim names, got {value!r}")


def declared_shape(name: str, value: Any) -> ShapeTerms:
    """The shape terms of a ``parse(**shapes)`` entry (an Expr gives its own shape)."""
    check_name(name)
    if isinstance(value, Expr):
        value = value.shape
    if isinstance(value, (Dim, int, str)) and not isinstance(value, bool):
        value = (value,)
    if not isinstance(value, (tuple, list)) or len(value) > 2:
        raise TypeError(f"shape of {name}: expected (rows, cols), (n,) or (), got {value!r}")
    terms = [_dim_term(v, name) for v in value] + [sympy.Integer(1)] * (2 - len(value))
    return (terms[0], terms[1])
