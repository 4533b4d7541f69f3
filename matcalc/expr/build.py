"""User-facing construction: symbols, constants, operators with NumPy broadcasting, functions.

Everything a user types (``X @ w + b``, ``mc.trace(A)``) passes through here, so shape
errors are raised at construction and name the operator, both operands and their shapes.
Broadcasting is recorded explicitly with ones vectors (``b 1ᵀ``). The reductions along an
axis and the softmax family (``mc.sum(X, axis)``, ``mc.softmax``) are in
:mod:`matcalc.expr.reductions`; their axis checks are here, for ``/`` reads exp(Z) over its
own sums as the softmax.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import sympy

from .dims import ONE, Dim, DimLike, as_dim, check_name, fmt_shape
from .errors import ShapeError, type_error
from .functions import FUNCTIONS, GENERIC, derivative
from .nodes import (
    Add,
    Apply,
    Det,
    DiagPart,
    Expr,
    Frob,
    Hadamard,
    Identity,
    Inverse,
    Kron,
    Let,
    LogDet,
    MatMul,
    MatrixPower,
    Norm,
    Number,
    Ones,
    Power,
    ScalarMul,
    Scale,
    Softmax,
    Symbol,
    Trace,
    Vec,
    Zero,
    is_scalar_shape,
)
from .softmax_form import softmax_of_quotient

__all__ = [
    "matrix", "vector", "scalar", "symmetric", "spd", "diagonal", "ones", "eye", "zeros",
    "let", "as_expr", "add_terms", "hadamard", "kron", "matrix_power", "vec", "Diag", "diag",
    "trace", "tr",
    "frob", "inv", "det", "logdet", "norm",
    "relu", "step", "exp", "log", "tanh", "sigmoid", "softplus", "sin", "cos", "abs", "sqrt",
    "tan", "arcsin", "arccos", "arctan", "sign", "constant", "elementwise", "ElementwiseFunction",
]

# ----------------------------------------------------------------------------------------
# Symbols and constants
# ----------------------------------------------------------------------------------------


def matrix(name: str, rows: DimLike, cols: DimLike) -> Symbol:
    """An ``rows × cols`` matrix symbol."""
    fn = "mc.matrix"
    return Symbol(check_name(name, fn=fn), as_dim(rows, fn, "rows"), as_dim(cols, fn, "cols"))


def vector(name: str, n: DimLike) -> Symbol:
    """An ``n × 1`` column vector symbol."""
    return Symbol(check_name(name, fn="mc.vector"), as_dim(n, "mc.vector", "n"), ONE)


def scalar(name: str) -> Symbol:
    """A 1×1 scalar symbol."""
    return Symbol(check_name(name, fn="mc.scalar"), ONE, ONE)


def symmetric(name: str, n: DimLike) -> Symbol:
    """An n×n symmetric matrix symbol (Sᵀ = S); ``.structure == "symmetric"``.

    Gradients w.r.t. it are symmetric: see :func:`matcalc.grad` for the two conventions.
    """
    n = as_dim(n, "mc.symmetric", "n")
    return Symbol(check_name(name, fn="mc.symmetric"), n, n, "symmetric")


def spd(name: str, n: DimLike) -> Symbol:
    """An n×n symmetric positive definite matrix symbol; ``.structure == "spd"``."""
    n = as_dim(n, "mc.spd", "n")
    return Symbol(check_name(name, fn="mc.spd"), n, n, "spd")


def diagonal(name: str, n: DimLike) -> Symbol:
    """An n×n diagonal matrix symbol; ``.structure == "diagonal"``."""
    n = as_dim(n, "mc.diagonal", "n")
    return Symbol(check_name(name, fn="mc.diagonal"), n, n, "diagonal")


def ones(rows: DimLike, cols: DimLike = 1) -> Ones:
    """The all-ones column ``1`` (``ones(m)``) or matrix (``ones(m, n)``)."""
    return Ones(as_dim(rows, "mc.ones", "rows"), as_dim(cols, "mc.ones", "cols"))


def eye(n: DimLike) -> Identity:
    """The ``n × n`` identity matrix."""
    return Identity(as_dim(n, "mc.eye", "n"))


def zeros(rows: DimLike, cols: DimLike = 1) -> Zero:
    """The zero column (``zeros(m)``) or matrix (``zeros(m, n)``)."""
    return Zero(as_dim(rows, "mc.zeros", "rows"), as_dim(cols, "mc.zeros", "cols"))


def let(name: str, expr: Any) -> Let:
    """Name a subexpression: derivations and LaTeX use the name, compiled code expands it."""
    return Let(check_name(name, fn="mc.let"), as_expr(expr, "mc.let", "expr"))


def constant(value: Any) -> sympy.Expr | None:
    """A Python/SymPy number or a dim as an exact SymPy number; ``None`` if not a constant."""
    if isinstance(value, bool):
        return None
    if isinstance(value, Dim):
        return value.expr
    if isinstance(value, sympy.Basic):  # before numbers.Real: a SymPy Rational is one too
        if value.is_number or (isinstance(value, sympy.Expr) and all(
                s.is_integer and s.is_positive for s in value.free_symbols)):
            return value
        return None
    if isinstance(value, numbers.Integral):
        return sympy.Integer(int(value))
    if isinstance(value, Fraction):
        return sympy.Rational(value.numerator, value.denominator)
    if isinstance(value, numbers.Real):
        f = float(value)
        if f != f or f in (float("inf"), float("-inf")):
            raise ValueError(f"constant {value!r} is not finite")
        # a float is the nearest double to what was meant: 1/3 gives 0.333…, which is read
        # back as the fraction 1/3 (small denominator, same double), not 3333333333333333/10¹⁶
        near = Fraction(f).limit_denominator(1000)
        if float(near) == f:
            return sympy.Rational(near.numerator, near.denominator)
        return sympy.Rational(repr(f))
    return None


def as_expr(value: Any, fn: str | None = None, arg: str = "x") -> Expr:
    """An :class:`Expr` from an expression, a number or a dim (numbers become 1×1).

    Anything else is a TypeError; with ``fn`` it names the function and its argument
    ``arg`` (:func:`matcalc.expr.errors.type_error`), else the operand of an operator.
    """
    if isinstance(value, Expr):
        return value
    c = constant(value)
    if c is None:
        if fn is not None:
            raise type_error(fn, arg, value, "a matcalc expression or a number")
        raise TypeError(f"cannot use {value!r} ({type(value).__name__}) in a matcalc expression")
    return Number(c)


# ----------------------------------------------------------------------------------------
# Broadcasting and operators
# ----------------------------------------------------------------------------------------


def _describe(x: Expr) -> str:
    return f"{x} ({fmt_shape(x.shape)})"


def _stretch(a: Expr, rows: Dim, cols: Dim) -> Expr:
    """``a`` broadcast to rows×cols, with the ones vectors written out (``b 1ᵀ``)."""
    r, c = a.shape
    if (r, c) == (rows, cols):
        return a
    if r == 1 and c == 1:
        if isinstance(a, Number):
            return Ones(rows, cols) if a.value == 1 else Scale(a.value, Ones(rows, cols))
        if cols == 1:
            return MatMul((Ones(rows, ONE), a))
        if rows == 1:
            return MatMul((a, Ones(ONE, cols)))
        return ScalarMul(a, Ones(rows, cols))
    if c == 1 and r == rows:
        return MatMul((a, Ones(ONE, cols)))
    if r == 1 and c == cols:
        return MatMul((Ones(rows, ONE), a))
    raise AssertionError("unreachable: shapes were checked")


def _broadcast(a: Expr, b: Expr, op: str, verb: str) -> tuple[Expr, Expr]:
    (ra, ca), (rb, cb) = a.shape, b.shape
    if (ra, ca) == (rb, cb):
        return a, b
    rows = rb if ra == 1 else ra
    cols = cb if ca == 1 else ca
    if (ra in (1, rows)) and (rb in (1, rows)) and (ca in (1, cols)) and (cb in (1, cols)):
        return _stretch(a, rows, cols), _stretch(b, rows, cols)
    raise ShapeError(
        f"cannot {verb} {_describe(a)} {op} {_describe(b)}: shapes {fmt_shape(a.shape)} and "
        f"{fmt_shape(b.shape)} do not broadcast"
    )


def _add(a: Any, b: Any) -> Expr:
    a, b = as_expr(a), as_expr(b)
    a, b = _broadcast(a, b, "+", "add")
    terms = (a.terms if isinstance(a, Add) else (a,)) + (b.terms if isinstance(b, Add) else (b,))
    return Add(terms)


def add_terms(terms: Sequence[Any], negate: Sequence[bool] = ()) -> Expr:
    """``t₀ ± t₁ ± … ± tₙ`` exactly as ``+`` and ``-`` from the left build it, in linear time.

    Parameters
    ----------
    terms : sequence of Expr or numbers
        The terms, at least one; they broadcast as ``+`` does.
    negate : sequence of bool, optional
        ``negate[k]`` subtracts term ``k`` (k ≥ 1) instead of adding it.

    Returns
    -------
    Expr
        The same expression as ``t0 + t1 - t2 ...``. Each ``+`` copies the sum built so far
        (an Add holds all its terms), so a loop of n additions costs O(n²); this builds
        the final Add once. ``sum(terms)`` is such a loop: for long sums use this (the
        text parser does).
    """
    if len(terms) == 0:
        raise ValueError("add_terms needs at least one term")
    first = as_expr(terms[0])
    acc: list[Expr] = list(first.terms) if isinstance(first, Add) else [first]
    shape = first.shape
    for k in range(1, len(terms)):
        b = as_expr(terms[k])
        minus = k < len(negate) and bool(negate[k])
        if b.shape != shape:
            (ra, ca), (rb, cb) = shape, b.shape
            if rb in (1, ra) and cb in (1, ca):
                b = _stretch(b, ra, ca)  # the sum so far keeps its shape: only b stretches
            else:
                op, verb = ("-", "subtract") if minus else ("+", "add")
                a, b = _broadcast(acc[0] if len(acc) == 1 else Add(tuple(acc)), b, op, verb)
                acc, shape = (list(a.terms) if isinstance(a, Add) else [a]), a.shape
        if minus:
            b = _neg(b)
        acc.extend(b.terms if isinstance(b, Add) else (b,))
    return acc[0] if len(acc) == 1 else Add(tuple(acc))


def _neg(a: Expr) -> Expr:
    if isinstance(a, Number):
        return Number(-a.value)
    if isinstance(a, Scale):
        return Scale(-a.coef, a.x) if a.coef != -1 else a.x
    return Scale(sympy.Integer(-1), a)


def _sub(a: Any, b: Any) -> Expr:
    a, b = as_expr(a), as_expr(b)
    a, b = _broadcast(a, b, "-", "subtract")
    return _add(a, _neg(b))


def _mul(a: Any, b: Any) -> Expr:
    ca, cb = constant(a), constant(b)
    if ca is not None and cb is not None:
        return Number(ca * cb)
    if ca is not None or cb is not None:
        c, x = (ca, as_expr(b)) if ca is not None else (cb, as_expr(a))
        return Number(c * x.value) if isinstance(x, Number) else Scale(c, x)
    a, b = as_expr(a), as_expr(b)
    if isinstance(a, Number) and not isinstance(b, Number):
        return Scale(a.value, b)
    if isinstance(b, Number) and not isinstance(a, Number):
        return Scale(b.value, a)
    if is_scalar_shape(a.shape) and not is_scalar_shape(b.shape):
        return ScalarMul(a, b)
    if is_scalar_shape(b.shape) and not is_scalar_shape(a.shape):
        return ScalarMul(b, a)
    a, b = _broadcast(a, b, "*", "multiply elementwise")
    factors = (a.factors if isinstance(a, Hadamard) else (a,)) + (
        b.factors if isinstance(b, Hadamard) else (b,)
    )
    return Hadamard(factors)


def _reciprocal(b: Expr) -> Expr:
    return Power(b, sympy.Integer(-1))


def _div(a: Any, b: Any) -> Expr:
    cb = constant(b)
    if cb is not None:
        if cb == 0:
            raise ZeroDivisionError("division of a matcalc expression by zero")
        return _mul(a, 1 / sympy.sympify(cb))
    b = as_expr(b)
    if isinstance(b, Number):
        if b.value == 0:
            raise ZeroDivisionError("division of a matcalc expression by zero")
        return _mul(a, Number(1 / b.value))
    ca = constant(a)
    if ca is not None:
        return _mul(ca, _reciprocal(b))
    a = as_expr(a)
    if not is_scalar_shape(b.shape):
        a, b = _broadcast(a, b, "/", "divide elementwise")
    p = softmax_of(a, b)
    return p if p is not None else _mul(a, _reciprocal(b))


def softmax_of(a: Expr, b: Expr) -> Expr | None:
    """softmax(Z) for ``a / b``, exp(Z) over its own sums (matcalc.expr.softmax_form), else
    None: where a quotient is built, and where the simplifier meets one."""
    found = softmax_of_quotient(a, b)
    if found is None:
        return None
    x, axis = found
    try:  # what mc.softmax(x, axis) builds (matcalc.expr.reductions imports this module)
        return Softmax(x, _softmax_axis(x, axis, "softmax"))
    except ShapeError:  # a normalization over a single entry: the quotient stays
        return None


def _matmul(a: Any, b: Any) -> Expr:
    if not isinstance(a, Expr) or not isinstance(b, Expr):
        raise TypeError("@ needs matcalc expressions on both sides; use * to scale by a number")
    if a.shape[1] != b.shape[0]:
        raise ShapeError(
            f"cannot multiply {_describe(a)} @ {_describe(b)}: inner dimensions "
            f"{a.shape[1]} ≠ {b.shape[0]}"
        )
    factors = (a.factors if isinstance(a, MatMul) else (a,)) + (
        b.factors if isinstance(b, MatMul) else (b,)
    )
    return MatMul(factors)


def _pow(a: Expr, k: Any) -> Expr:
    c = constant(k)
    if c is None:
        raise TypeError(f"exponent must be a number, got {k!r}")
    if isinstance(a, Number):
        return Number(a.value ** c)
    return Power(a, c)


Expr.__add__ = lambda self, other: _add(self, other)  # type: ignore[assignment]
Expr.__radd__ = lambda self, other: _add(other, self)  # type: ignore[assignment]
Expr.__sub__ = lambda self, other: _sub(self, other)  # type: ignore[assignment]
Expr.__rsub__ = lambda self, other: _sub(other, self)  # type: ignore[assignment]
Expr.__neg__ = lambda self: _neg(self)  # type: ignore[assignment]
Expr.__pos__ = lambda self: self  # type: ignore[assignment]
Expr.__mul__ = lambda self, other: _mul(self, other)  # type: ignore[assignment]
Expr.__rmul__ = lambda self, other: _mul(other, self)  # type: ignore[assignment]
Expr.__truediv__ = lambda self, other: _div(self, other)  # type: ignore[assignment]
Expr.__rtruediv__ = lambda self, other: _div(other, self)  # type: ignore[assignment]
Expr.__matmul__ = lambda self, other: _matmul(self, other)  # type: ignore[assignment]
Expr.__rmatmul__ = lambda self, other: _matmul(other, self)  # type: ignore[assignment]
Expr.__pow__ = lambda self, k: _pow(self, k)  # type: ignore[assignment]

# ----------------------------------------------------------------------------------------
# Functions
# ----------------------------------------------------------------------------------------


def hadamard(*xs: Any) -> Expr:
    """The Hadamard (elementwise) product of two or more operands of one shape."""
    if len(xs) < 2:
        raise TypeError("hadamard needs at least two operands")
    out = as_expr(xs[0], "mc.hadamard", "xs[0]")
    for i, x in enumerate(xs[1:], 1):
        x = as_expr(x, "mc.hadamard", f"xs[{i}]")
        if x.shape != out.shape:
            raise ShapeError(
                f"cannot take the Hadamard product {_describe(out)} ⊙ {_describe(x)}: "
                "shapes differ"
            )
        out = _mul(out, x)
    return out


def matrix_power(x: Any, k: Any) -> Expr:
    """The matrix power ``Xᵏ`` of a square X (NumPy's name).

    ``k`` an int (``X⁰ = I``, a negative k is a power of X⁻¹) or a dim (a symbolic
    power, e.g. ``k = mc.dim("k")``; its derivatives exist in closed form under tr, det
    and logdet: d tr(Xᵏ) = k (Xᵏ⁻¹)ᵀ : dX, d det(Xᵏ) = k det(Xᵏ) X⁻ᵀ : dX).
    """
    x = as_expr(x, "mc.matrix_power", "x")
    if x.shape[0] != x.shape[1]:
        raise ShapeError(f"matrix_power needs a square matrix: {_describe(x)}")
    if isinstance(k, bool) or not isinstance(k, (numbers.Integral, Dim, sympy.Expr)):
        raise type_error("mc.matrix_power", "k", k, "an int or a dim")
    kk = k.expr if isinstance(k, Dim) else sympy.sympify(k)
    if not kk.is_integer:
        raise type_error("mc.matrix_power", "k", k, "an integer or a dim")
    if kk.is_Integer and kk < 0:
        x, kk = Inverse(x), -kk
    if kk == 0:
        return Identity(x.shape[0])
    return x if kk == 1 else MatrixPower(x, kk)


def kron(a: Any, b: Any) -> Expr:
    """The Kronecker product ``A ⊗ B``."""
    return Kron(as_expr(a, "mc.kron", "a"), as_expr(b, "mc.kron", "b"))


def vec(x: Any) -> Expr:
    """``vec(X)``: stack the columns of X into one column."""
    return Vec(as_expr(x, "mc.vec"))


def Diag(v: Any) -> Expr:  # noqa: N802 - the API's name
    """``Diag(v)``: the diagonal matrix with the column vector v on its diagonal."""
    return _nodes_Diag(as_expr(v, "mc.Diag", "v"))


def diag(x: Any) -> Expr:
    """``diag(X)``: the diagonal of a square matrix as a column vector."""
    return DiagPart(as_expr(x, "mc.diag"))


def trace(x: Any) -> Expr:
    """``tr(X)``: the trace of a square matrix."""
    return Trace(as_expr(x, "mc.trace"))


tr = trace


def frob(a: Any, b: Any) -> Expr:
    """The Frobenius product ``A : B = tr(AᵀB)``."""
    a, b = as_expr(a, "mc.frob", "a"), as_expr(b, "mc.frob", "b")
    if a.shape != b.shape:
        raise ShapeError(
            f"cannot take the Frobenius product {_describe(a)} : {_describe(b)}: shapes differ"
        )
    return Frob(a, b)


def inv(x: Any) -> Expr:
    """The matrix inverse ``X⁻¹``."""
    return Inverse(as_expr(x, "mc.inv"))


def det(x: Any) -> Expr:
    """The determinant ``det(X)``."""
    return Det(as_expr(x, "mc.det"))


def logdet(x: Any) -> Expr:
    """``log |det X|``."""
    return LogDet(as_expr(x, "mc.logdet"))


def check_axis(axis: Any, fn: str) -> int | None:
    """``axis`` as None, 0 or 1; anything else is a ValueError naming the argument."""
    if axis is None:
        return None
    if isinstance(axis, numbers.Integral) and not isinstance(axis, bool) and int(axis) in (0, 1):
        return int(axis)
    raise ValueError(f"mc.{fn}: the argument 'axis' must be None, 0 or 1, got {axis!r}")


def _softmax_axis(x: Expr, axis: Any, fn: str) -> int | None:
    """The axis a softmax of ``x`` normalizes over, None for "all entries" (which is also
    what a vector's own axis means); a normalization over one entry is a ShapeError."""
    axis = check_axis(axis, fn)
    r, c = x.shape
    if axis is None:
        if r == 1 and c == 1:
            raise ShapeError(f"mc.{fn}: {_describe(x)} has a single entry, so its {fn} is a "
                             "constant; normalize over a vector or a matrix")
        return None
    length, other = (r, c) if axis == 0 else (c, r)
    if length == 1:
        raise ShapeError(
            f"mc.{fn}({x}, axis={axis}): {_describe(x)} has length 1 along axis {axis}, so "
            f"each {'column' if axis == 0 else 'row'} has a single entry and the {fn} is a "
            f"constant; use axis={1 - axis if other != 1 else None}")
    return None if other == 1 else axis


def norm(x: Any) -> Expr:
    """The Frobenius norm (the 2-norm of a vector)."""
    return Norm(as_expr(x, "mc.norm"))


def _elementwise_builder(name: str) -> Any:
    def build(x: Any) -> Expr:
        return Apply(name, as_expr(x, f"mc.{name}"))

    build.__name__ = name
    build.__doc__ = f"Elementwise ``{name}``."
    return build


relu = _elementwise_builder("relu")
step = _elementwise_builder("step")
exp = _elementwise_builder("exp")
log = _elementwise_builder("log")
tanh = _elementwise_builder("tanh")
sigmoid = _elementwise_builder("sigmoid")
softplus = _elementwise_builder("softplus")
sin = _elementwise_builder("sin")
cos = _elementwise_builder("cos")
abs = _elementwise_builder("abs")  # noqa: A001 - the API's name
sqrt = _elementwise_builder("sqrt")
tan = _elementwise_builder("tan")
arcsin = _elementwise_builder("arcsin")
arccos = _elementwise_builder("arccos")
arctan = _elementwise_builder("arctan")
sign = _elementwise_builder("sign")


# ----------------------------------------------------------------------------------------
# Generic elementwise functions
# ----------------------------------------------------------------------------------------


class ElementwiseFunction:
    """A generic elementwise function σ declared by the user; ``σ(X)`` builds ``Apply``."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        check_name(name, "function", "mc.elementwise")
        if name in FUNCTIONS:
            raise ValueError(f"{name!r} is a built-in elementwise function; use mc.{name}")
        self.name = name

    def __call__(self, x: Expr) -> Expr:
        return Apply(self.name, as_expr(x, self.name))

    @property
    def prime(self) -> Callable[[Expr], Expr]:
        """σ′ as a callable."""
        return lambda x: derivative(Apply(self.name, x))

    def __repr__(self) -> str:
        return f"elementwise({self.name!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ElementwiseFunction) and other.name == self.name

    def __hash__(self) -> int:
        return hash(("elementwise", self.name))


def elementwise(name: str) -> ElementwiseFunction:
    """Declare a generic elementwise function; its derivative prints as ``name'`` (σ′)."""
    f = ElementwiseFunction(name)
    GENERIC[name] = f
    return f


from .nodes import Diag as _nodes_Diag  # noqa: E402  (the public Diag shadows the node name)
