"""Numbers for checking: a plain NumPy reference interpreter and random test points.

:func:`evaluate` walks the tree with one ``singledispatch`` rule per node type and nothing
clever (it builds every Diag, Kronecker and identity it meets), so it is an independent
reference for the compiler. :func:`random_point` draws seeded, well-conditioned points away
from the kinks of relu/abs/step/sign. The finite-difference checks built on them are in
:mod:`matcalc.check.fdcheck`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import singledispatch
from typing import Any

import numpy as np

from ..expr.deep import deep
from ..expr.dims import Dim, fmt_shape
from ..expr.errors import ShapeError
from ..expr.functions import FUNCTIONS
from ..expr.nodes import (
    Add,
    Apply,
    Commutation,
    Delta,
    Det,
    Diag,
    DiagPart,
    Expr,
    Frob,
    Hadamard,
    Identity,
    Inverse,
    Kron,
    Let,
    LogDet,
    LogSumExp,
    MatMul,
    Norm,
    Number,
    Ones,
    Power,
    ScalarMul,
    Scale,
    Softmax,
    Sum,
    Symbol,
    Trace,
    Transpose,
    Unvec,
    Vec,
    Zero,
)
from ..expr.traverse import walk
from .sympy_bridge import DimValues, _subs_dims, dim_value, resolve_dims

__all__ = [
    "evaluate", "NUMPY_FUNCTIONS", "default_generic", "infer_dims", "random_point", "KINKS",
    "structured_value",
]

Array = np.ndarray
Functions = Mapping[str, Any]


def _sigmoid(x: Array) -> Array:
    # Split by sign so exp never overflows.
    out = np.empty_like(x)
    pos = x >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-x[pos]))
    ex = np.exp(x[~pos])
    out[~pos] = ex / (1.0 + ex)
    return out


#: Reference NumPy implementation of each built-in elementwise function (not generated code).
NUMPY_FUNCTIONS: dict[str, Callable[[Array], Array]] = {
    "relu": lambda x: np.maximum(x, 0.0),
    "step": lambda x: np.heaviside(x, 0.0),  # step(0) = 0, the API's convention
    "sign": np.sign,
    "exp": np.exp,
    "log": np.log,
    "tanh": np.tanh,
    "sigmoid": _sigmoid,
    "softplus": lambda x: np.logaddexp(0.0, x),
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "arcsin": np.arcsin,
    "arccos": np.arccos,
    "arctan": np.arctan,
    "abs": np.abs,
    "sqrt": np.sqrt,
}

#: Functions with a kink or jump at 0: test points keep their arguments away from it.
KINKS = frozenset({"relu", "step", "abs", "sign"})


def default_generic(order: int) -> Callable[[Array], Array]:
    """The stand-in for a generic σ: the ``order``-th derivative of sin(t) + e^{t/2}.

    Its derivatives are all different, so a σ written where σ′ belongs is caught; the SymPy
    bridge uses the same function to refute identities numerically.
    """
    return lambda x: np.sin(x + order * np.pi / 2) + np.exp(x / 2) / 2.0**order


# ----------------------------------------------------------------------------------------
# Values and dims
# ----------------------------------------------------------------------------------------


def _key_name(k: Any) -> str:
    if isinstance(k, Symbol):
        return k.name
    if isinstance(k, Delta):
        return "d" + k.of.name  # type: ignore[attr-defined]
    if isinstance(k, str):
        return k
    raise TypeError(f"values are keyed by symbols or names, got {k!r}")


def infer_dims(e: Expr | Iterable[Expr], values: Mapping[Any, Any],
               dims: DimValues | None = None) -> dict[str, int]:
    """Dim values read from the arrays given for the symbols of ``e``, merged with ``dims``.

    Raises
    ------
    ShapeError
        When two arrays (or an array and ``dims``) disagree on a dim; names symbol and dim.
    """
    exprs = [e] if isinstance(e, Expr) else list(e)
    out = resolve_dims(dims)
    given = {_key_name(k): v for k, v in values.items()}
    symbols: list[tuple[str, tuple[Dim, Dim]]] = []
    for ex in exprs:
        for node in walk(ex):
            if isinstance(node, Symbol):
                symbols.append((node.name, node.shape))
            elif isinstance(node, Delta):
                symbols.append(("d" + node.of.name, node.shape))  # type: ignore[attr-defined]
    for name, shape in symbols:
        if name not in given:
            continue
        arr = np.asarray(given[name], dtype=float)
        axes = _axes(arr, shape)
        for d, size in zip(shape, axes):
            if d.expr.is_Symbol:
                seen = out.setdefault(str(d.expr), size)
                if seen != size:
                    raise ShapeError(
                        f"{name} is {fmt_shape(shape)} but its array gives {d} = {size}, "
                        f"while {d} = {seen} elsewhere")
    return out


def _axes(arr: Array, shape: tuple[Dim, Dim]) -> tuple[int, int]:
    """The (rows, cols) an array stands for, given its symbol's declared shape."""
    if arr.ndim == 0:
        return 1, 1
    if arr.ndim == 1:
        # A 1-D array is a column vector (or a row, for a 1×n symbol).
        return (1, arr.shape[0]) if shape[0] == 1 and shape[1] != 1 else (arr.shape[0], 1)
    if arr.ndim == 2:
        return int(arr.shape[0]), int(arr.shape[1])
    raise ShapeError(f"arrays must be 0-, 1- or 2-D, got shape {arr.shape}")


# ----------------------------------------------------------------------------------------
# The interpreter: one rule per node type
# ----------------------------------------------------------------------------------------


class _Interp:
    """Arrays, dims, generic functions and the memo (by node identity) of one evaluation."""

    def __init__(self, values: dict[str, Array], dims: dict[str, int],
                 functions: Functions | None) -> None:
        self.values = values
        self.dims = dims
        self.functions = dict(functions or {})
        self.memo: dict[int, tuple[Expr, Array]] = {}
        self._dims: dict[Any, int] = {}
        self._coefs: dict[Any, float] = {}

    def n(self, d: Dim) -> int:
        # Cached: a dim is looked up at every node, and substituting into SymPy is slow.
        v = self._dims.get(d.expr)
        if v is None:
            v = self._dims[d.expr] = dim_value(d, self.dims)
        return v

    def c(self, value: Any) -> float:
        v = self._coefs.get(value)
        if v is None:
            v = self._coefs[value] = float(_subs_dims(value, self.dims))
        return v

    def leaf(self, name: str, shape: tuple[Dim, Dim]) -> Array:
        if name not in self.values:
            raise KeyError(f"no value given for {name}")
        want = (self.n(shape[0]), self.n(shape[1]))
        arr = np.asarray(self.values[name], dtype=float)
        if arr.size != want[0] * want[1] or _axes(arr, shape) != want:
            raise ShapeError(f"{name} is {fmt_shape(shape)} = {want[0]}×{want[1]} here, "
                             f"but its array has shape {arr.shape}")
        return arr.reshape(want)

    def generic(self, name: str, order: int) -> Callable[[Array], Array]:
        f = self.functions.get(name)
        if f is None:
            return default_generic(order)
        if callable(f):
            if order == 0:
                return f
            raise ValueError(f"derivative {order} of {name} is needed: give a list "
                             f"[{name}, {name}', ...] in functions")
        return f[order]

    def ev(self, e: Expr) -> Array:
        hit = self.memo.get(id(e))
        if hit is not None:
            return hit[1]
        out = _ev(e, self)
        assert out.shape == (self.n(e.shape[0]), self.n(e.shape[1])), type(e).__name__
        self.memo[id(e)] = (e, out)
        return out


@deep
def evaluate(e: Expr, values: Mapping[Any, Any], dims: DimValues | None = None,
             functions: Functions | None = None) -> Array:
    """Evaluate ``e`` with NumPy, node by node (a reference, not fast code).

    Parameters
    ----------
    e : Expr
        Any matcalc expression.
    values : mapping
        Symbol (or name) → array; vectors may be 1-D; a differential ``dX`` is keyed by
        its ``Delta`` node or by ``"dX"``.
    dims : mapping, optional
        Dim (or name) → int; dims not given are read from the arrays.
    functions : mapping, optional
        Generic function name → callable (order 0 only) or a sequence of callables
        ``[σ, σ′, σ″, ...]``; by default σ stands for sin(t) + e^{t/2}.

    Returns
    -------
    numpy.ndarray
        Always 2-D, of the expression's shape at these dims.
    """
    given = {_key_name(k): v for k, v in values.items()}
    d = infer_dims(e, values, dims)
    return _Interp(given, d, functions).ev(e)


@singledispatch
def _ev(e: Expr, it: _Interp) -> Array:
    raise NotImplementedError(f"evaluate has no rule for {type(e).__name__}")


@_ev.register
def _(e: Symbol, it: _Interp) -> Array:
    return it.leaf(e.name, e.shape)


@_ev.register
def _(e: Delta, it: _Interp) -> Array:
    return it.leaf("d" + e.of.name, e.shape)  # type: ignore[attr-defined]


@_ev.register
def _(e: Let, it: _Interp) -> Array:
    return it.ev(e.expr)


@_ev.register
def _(e: Number, it: _Interp) -> Array:
    return np.array([[it.c(e.value)]])


@_ev.register
def _(e: Ones, it: _Interp) -> Array:
    return np.ones((it.n(e.rows), it.n(e.cols)))


@_ev.register
def _(e: Identity, it: _Interp) -> Array:
    return np.eye(it.n(e.n))


@_ev.register
def _(e: Zero, it: _Interp) -> Array:
    return np.zeros((it.n(e.rows), it.n(e.cols)))


@_ev.register
def _(e: Commutation, it: _Interp) -> Array:
    """K(m,n) vec X = vec Xᵀ: row i·n + j picks X[i,j] = (vec X)[j·m + i]."""
    m, n = it.n(e.m), it.n(e.n)
    k = np.zeros((m * n, m * n))
    for i in range(m):
        for j in range(n):
            k[i * n + j, j * m + i] = 1.0
    return k


@_ev.register
def _(e: Add, it: _Interp) -> Array:
    out = it.ev(e.terms[0])
    for t in e.terms[1:]:
        out = out + it.ev(t)
    return out


@_ev.register
def _(e: Scale, it: _Interp) -> Array:
    return it.c(e.coef) * it.ev(e.x)


@_ev.register
def _(e: ScalarMul, it: _Interp) -> Array:
    return it.ev(e.s)[0, 0] * it.ev(e.x)


@_ev.register
def _(e: MatMul, it: _Interp) -> Array:
    out = it.ev(e.factors[0])
    for f in e.factors[1:]:
        out = out @ it.ev(f)
    return out


@_ev.register
def _(e: Hadamard, it: _Interp) -> Array:
    out = it.ev(e.factors[0])
    for f in e.factors[1:]:
        out = out * it.ev(f)
    return out


@_ev.register
def _(e: Power, it: _Interp) -> Array:
    k = it.c(e.k)
    x = it.ev(e.x)
    # Integer powers of negative entries are real; NumPy's float power would give nan.
    return x ** int(k) if float(k).is_integer() else np.power(x, k)


@_ev.register
def _(e: Apply, it: _Interp) -> Array:
    f = NUMPY_FUNCTIONS.get(e.fn) if e.fn in FUNCTIONS else it.generic(e.fn, e.order)
    if f is None:
        raise NotImplementedError(f"no NumPy reference for {e.fn}")
    return np.asarray(f(it.ev(e.x)), dtype=float)


@_ev.register
def _(e: Diag, it: _Interp) -> Array:
    return np.diag(it.ev(e.v)[:, 0])


@_ev.register
def _(e: Unvec, it: _Interp) -> Array:
    return it.ev(e.v).reshape(it.n(e.rows), it.n(e.cols), order="F")


@_ev.register
def _(e: Kron, it: _Interp) -> Array:
    return np.kron(it.ev(e.a), it.ev(e.b))


@_ev.register
def _(e: Frob, it: _Interp) -> Array:
    return np.array([[np.sum(it.ev(e.a) * it.ev(e.b))]])


def _logsumexp(x: Array, axis: int | None) -> Array:
    """log Σ exp along ``axis`` (2-D kept), the max subtracted first so it cannot overflow."""
    m = np.max(x, axis=axis, keepdims=True)
    return m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))


@_ev.register
def _(e: LogSumExp, it: _Interp) -> Array:
    return _logsumexp(it.ev(e.x), e.axis)


@_ev.register
def _(e: Softmax, it: _Interp) -> Array:
    x = it.ev(e.x)
    return np.exp(x - _logsumexp(x, e.axis))


# Functions of the one operand ``x``, as NumPy computes them (log|det| via slogdet, so
# large dims do not overflow).
_UNARY: dict[type, Callable[[Array], Array]] = {
    Transpose: lambda x: x.T,
    DiagPart: lambda x: np.diag(x).reshape(-1, 1).copy(),
    Vec: lambda x: x.reshape(-1, 1, order="F"),  # columns stacked
    Trace: lambda x: np.array([[np.trace(x)]]),
    Inverse: np.linalg.inv,
    Det: lambda x: np.array([[np.linalg.det(x)]]),
    LogDet: lambda x: np.array([[np.linalg.slogdet(x)[1]]]),
    Sum: lambda x: np.array([[x.sum()]]),
    Norm: lambda x: np.array([[np.linalg.norm(x)]]),  # Frobenius
}

for _cls, _fn in _UNARY.items():
    _ev.register(_cls)(lambda e, it, _fn=_fn: _fn(it.ev(e.x)))


# ----------------------------------------------------------------------------------------
# Test points
# ----------------------------------------------------------------------------------------


def _draw(sym: Symbol, shape: tuple[int, int], attempt: int,
          rng: np.random.Generator) -> Array:
    """One candidate value; the family changes with the attempt so domains get covered."""
    r, c = shape
    family = attempt % 3
    if family == 0:
        a = rng.standard_normal(shape)
    elif family == 1:  # positive entries: log, sqrt, ./
        a = rng.uniform(0.3, 1.2, shape)
    else:  # small entries: arcsin, arccos
        a = rng.uniform(-0.5, 0.5, shape) / max(r, c)
    if r == c and r > 1:
        # Square matrices may be inverted: shift away from singular (condition number ~ 1–10).
        a = 0.3 * a + (1.5 if family != 2 else 0.8) * np.eye(r)
    return structured_value(sym, a)


def structured_value(sym: Symbol, a: Array) -> Array:
    """``a`` made to have ``sym``'s declared structure: symmetrized (an SPD one keeps the
    shifted identity's positive eigenvalues, well conditioned) or its diagonal kept."""
    if sym.structure == "diagonal":
        return np.diag(np.diag(a))
    if sym.structure in ("symmetric", "spd"):
        a = (a + a.T) / 2
        if sym.structure == "spd":
            w = np.linalg.eigvalsh(a)
            if w[0] <= 0.2:
                a = a + (0.2 - w[0] + 0.3) * np.eye(a.shape[0])
    return a


def _point_ok(exprs: Sequence[Expr], vals: dict[str, Array], d: dict[str, int],
              functions: Functions | None, margin: float) -> bool:
    it = _Interp(vals, d, functions)
    try:
        with np.errstate(all="raise"):
            for e in exprs:
                it.ev(e)
    except (FloatingPointError, np.linalg.LinAlgError, ValueError, ZeroDivisionError):
        return False
    for node, arr in it.memo.values():
        if not np.all(np.isfinite(arr)):
            return False
        if isinstance(node, Apply) and node.fn in KINKS:
            if np.min(np.abs(it.memo[id(node.x)][1])) < margin:
                return False
        if isinstance(node, (Inverse, Det, LogDet)):
            if np.linalg.cond(it.memo[id(node.x)][1]) > 1e6:
                return False
    return True


@deep
def random_point(exprs: Expr | Sequence[Expr], dims: DimValues | None = None,
                 rng: np.random.Generator | int | None = 0, *,
                 functions: Functions | None = None, margin: float = 1e-2,
                 tries: int = 60) -> dict[Symbol, Array]:
    """A seeded random point at which every expression in ``exprs`` is finite and smooth.

    Parameters
    ----------
    exprs : Expr or list of Expr
        Values are drawn for all their free symbols.
    dims : mapping, optional
        Dim (or name) → int for every symbolic dim.
    rng : numpy.random.Generator or int, optional
        The generator or its seed.
    functions : mapping, optional
        Generic functions, as in :func:`evaluate`.
    margin : float
        Arguments of relu, abs, step and sign stay at least this far from 0, so central
        differences do not straddle a kink.
    tries : int
        Draws before giving up.

    Returns
    -------
    dict
        Symbol → 2-D array. Square matrices are well-conditioned (shifted identity).

    Raises
    ------
    ValueError
        If no admissible point was found.
    """
    exprs = [exprs] if isinstance(exprs, Expr) else list(exprs)
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    d = resolve_dims(dims)
    symbols = sorted({s for e in exprs for s in e.free_symbols}, key=lambda s: s.name)
    for attempt in range(tries):
        point = {s: _draw(s, (dim_value(s.rows, d), dim_value(s.cols, d)), attempt, gen)
                 for s in symbols}
        if _point_ok(exprs, {s.name: v for s, v in point.items()}, d, functions, margin):
            return point
    raise ValueError(f"no point found in {tries} draws where {', '.join(map(str, exprs))} "
                     "is finite and away from kinks")
