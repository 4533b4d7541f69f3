"""Numbers for checking: a plain NumPy reference interpreter, test points, finite differences.

:func:`evaluate` walks the tree with one ``singledispatch`` rule per node type and nothing
clever (it builds every Diag, Kronecker and identity it meets), so it is an independent
reference for the compiler. :func:`random_point` draws seeded, well-conditioned points away
from the kinks of relu/abs/step/sign, and :func:`fd_grad_check` / :func:`fd_jacobian_check`
compare derivatives with central differences along random directions, as autograd's
``check_grads`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import singledispatch
from typing import Any

import numpy as np

from .dims import Dim, fmt_shape
from .errors import ShapeError
from .functions import FUNCTIONS
from .nodes import (
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
    MatMul,
    Norm,
    Number,
    Ones,
    Power,
    ScalarMul,
    Scale,
    Sum,
    Symbol,
    Trace,
    Transpose,
    Unvec,
    Vec,
    Zero,
    is_scalar_shape,
    walk,
)
from .sympy_bridge import DimValues, _subs_dims, dim_value, resolve_dims

__all__ = [
    "evaluate", "NUMPY_FUNCTIONS", "default_generic", "infer_dims", "random_point",
    "fd_grad_check", "fd_jacobian_check", "numeric_grad", "FDReport", "KINKS",
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


# ----------------------------------------------------------------------------------------
# Finite differences
# ----------------------------------------------------------------------------------------


@dataclass
class FDReport:
    """Result of a finite-difference check: truthy iff every direction agrees."""

    what: str
    dims: dict[str, int]
    rows: list[tuple[float, float, float]] = field(default_factory=list)  # (fd, exact, tol)
    labels: tuple[str, str] = ("central difference", "claimed")

    @property
    def ok(self) -> bool:
        return all(abs(fd - ex) <= tol for fd, ex, tol in self.rows)

    @property
    def max_error(self) -> float:
        return max((abs(fd - ex) for fd, ex, _ in self.rows), default=0.0)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        at = ", ".join(f"{k}={v}" for k, v in sorted(self.dims.items())) or "fixed dims"
        head = f"{self.what} at {at}: {'OK' if self.ok else 'MISMATCH'}"
        lines = [head] + [
            f"  direction {i}: {self.labels[0]} {fd:.10g}, {self.labels[1]} {ex:.10g}"
            + ("" if abs(fd - ex) <= tol else f"   <-- differs by {abs(fd - ex):.3g}")
            for i, (fd, ex, tol) in enumerate(self.rows)
        ]
        return "\n".join(lines)

    __repr__ = __str__


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _shifted(point: Mapping[Symbol, Array], xs: Sequence[Symbol], vs: Sequence[Array],
             h: float) -> dict[str, Array]:
    vals = {s.name: np.asarray(v, dtype=float) for s, v in point.items()}
    for x, v in zip(xs, vs):
        vals[x.name] = vals[x.name].reshape(v.shape) + h * v
    return vals


def _setup(exprs: list[Expr], xs: list[Symbol], values: Mapping[Any, Any] | None,
           dims: DimValues | None, rng: Any, functions: Functions | None
           ) -> tuple[dict[Symbol, Array], dict[str, int], np.random.Generator]:
    gen = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    if values is None:
        point = random_point(exprs + xs, dims, gen, functions=functions)
        d = resolve_dims(dims)
    else:
        d = infer_dims(exprs + xs, values, dims)
        byname = {_key_name(k): v for k, v in values.items()}
        syms = {s for e in exprs + xs for s in e.free_symbols}
        point = {s: np.asarray(byname[s.name], dtype=float).reshape(
            dim_value(s.rows, d), dim_value(s.cols, d)) for s in syms}
    return point, d, gen


def fd_grad_check(f: Expr, x: Symbol | Sequence[Symbol], G: Expr | Sequence[Expr],
                  values: Mapping[Any, Any] | None = None, dims: DimValues | None = None,
                  *, rng: np.random.Generator | int | None = 0, directions: int = 3,
                  eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-7,
                  functions: Functions | None = None) -> FDReport:
    """Compare gradient(s) ``G`` of scalar ``f`` with central differences along random v.

    ``(f(x + εv) − f(x − εv)) / 2ε`` must equal ``Σᵢ Gᵢ : vᵢ`` within
    ``rtol·max(|fd|, |G:v|) + atol·(1 + |f|)`` for each direction.

    Parameters
    ----------
    f : Expr
        A 1×1 expression.
    x : Symbol or list of Symbol
        Variable(s); all move together along one random direction per check.
    G : Expr or list of Expr
        The claimed gradient(s), each of its variable's shape.
    values : mapping, optional
        The point (Symbol or name → array); a seeded random point when omitted.
    dims : mapping, optional
        Dim (or name) → int; needed when ``values`` is omitted.
    rng, directions, eps, rtol, atol, functions
        Seed or generator; number of random directions; step; tolerances; generic
        functions as in :func:`evaluate`.

    Returns
    -------
    FDReport
        Truthy iff all directions agree; ``str()`` lists each direction's two numbers.
    """
    xs, gs = _as_list(x), _as_list(G)
    if len(xs) != len(gs):
        raise ValueError("one gradient per variable")
    for xi, gi in zip(xs, gs):
        if gi.shape != xi.shape:
            raise ShapeError(f"gradient {gi} is {fmt_shape(gi.shape)}, "
                             f"{xi.name} is {fmt_shape(xi.shape)}")
    point, d, gen = _setup([f, *gs], xs, values, dims, rng, functions)
    base = {s.name: v for s, v in point.items()}
    f0 = float(_Interp(base, d, functions).ev(f)[0, 0])
    garr = [_Interp(base, d, functions).ev(g) for g in gs]
    report = FDReport(
        f"fd_grad_check wrt {', '.join(s.name for s in xs)} of f = {f}", d)
    for _ in range(directions):
        vs = [gen.standard_normal(g.shape) for g in garr]
        fp = _Interp(_shifted(point, xs, vs, eps), d, functions).ev(f)[0, 0]
        fm = _Interp(_shifted(point, xs, vs, -eps), d, functions).ev(f)[0, 0]
        fd = float((fp - fm) / (2 * eps))
        exact = float(sum(np.sum(g * v) for g, v in zip(garr, vs)))
        report.rows.append((fd, exact, rtol * max(abs(fd), abs(exact)) + atol * (1 + abs(f0))))
    return report


def fd_jacobian_check(F: Expr, x: Symbol, J: Expr, values: Mapping[Any, Any] | None = None,
                      dims: DimValues | None = None, *,
                      rng: np.random.Generator | int | None = 0, directions: int = 3,
                      eps: float = 1e-6, rtol: float = 1e-5, atol: float = 1e-7,
                      functions: Functions | None = None) -> FDReport:
    """Compare a Jacobian ``J`` (vec dF = J vec dx) with central differences of ``F``.

    For each random direction v the check compares ``J vec(v)`` with
    ``(vec F(x + εv) − vec F(x − εv)) / 2ε`` in the max norm; the report holds, per
    direction, the largest entry of each side's difference (fd error, 0, tolerance).

    Parameters
    ----------
    F : Expr
        Any expression.
    x : Symbol
        The variable.
    J : Expr
        Of shape (rows·cols of F, rows·cols of x), column-major vec on both sides.
    values, dims, rng, directions, eps, rtol, atol, functions
        As in :func:`fd_grad_check`.

    Returns
    -------
    FDReport
    """
    point, d, gen = _setup([F, J], [x], values, dims, rng, functions)
    base = {s.name: v for s, v in point.items()}
    Jarr = _Interp(base, d, functions).ev(J)
    F0 = _Interp(base, d, functions).ev(F)
    xr, xc = dim_value(x.rows, d), dim_value(x.cols, d)
    if Jarr.shape != (F0.size, xr * xc):
        raise ShapeError(f"J is {Jarr.shape[0]}×{Jarr.shape[1]} here, expected "
                         f"{F0.size}×{xr * xc} (vec F by vec {x.name})")
    report = FDReport(f"fd_jacobian_check wrt {x.name} of F = {F}", d,
                      labels=("max |central difference − J vec(v)|", "target"))
    for _ in range(directions):
        v = gen.standard_normal((xr, xc))
        Fp = _Interp(_shifted(point, [x], [v], eps), d, functions).ev(F)
        Fm = _Interp(_shifted(point, [x], [v], -eps), d, functions).ev(F)
        fd = ((Fp - Fm) / (2 * eps)).reshape(-1, order="F")
        exact = Jarr @ v.reshape(-1, order="F")
        err = float(np.max(np.abs(fd - exact)))
        scale = max(float(np.max(np.abs(fd))), float(np.max(np.abs(exact))))
        tol = rtol * scale + atol * (1 + float(np.max(np.abs(F0))))
        report.rows.append((err, 0.0, tol))
    return report


def numeric_grad(f: Expr, x: Symbol, point: Mapping[Any, Any], dims: DimValues | None = None,
                 *, eps: float = 1e-6, functions: Functions | None = None) -> Array:
    """The full gradient of scalar ``f`` w.r.t. ``x`` by central differences, entry by entry."""
    if not is_scalar_shape(f.shape):
        raise ShapeError(f"f must be 1×1, it is {fmt_shape(f.shape)}")
    vals = {_key_name(k): np.asarray(v, dtype=float) for k, v in point.items()}
    d = infer_dims([f, x], point, dims)
    xr, xc = dim_value(x.rows, d), dim_value(x.cols, d)
    x0 = vals[x.name].reshape(xr, xc)
    g = np.zeros((xr, xc))
    for i in range(xr):
        for j in range(xc):
            e = np.zeros((xr, xc))
            e[i, j] = eps
            fp = _Interp({**vals, x.name: x0 + e}, d, functions).ev(f)[0, 0]
            fm = _Interp({**vals, x.name: x0 - e}, d, functions).ev(f)[0, 0]
            g[i, j] = (fp - fm) / (2 * eps)
    return g
