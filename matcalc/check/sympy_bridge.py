"""The SymPy bridge: expressions as explicit SymPy matrices at concrete dims, exact checks.

:func:`to_sympy` writes an expression out entry by entry (``X`` m×n becomes the matrix of
real symbols ``X_0_0 … X_{m-1}_{n-1}``), one ``singledispatch`` rule per node type.
Generic functions σ become undefined SymPy functions whose derivatives are the undefined
functions σ′, σ″, …, so an identity checked with them holds for every σ, not one example.
The exact checks built on it (the zero test, SymPy's own gradient, :func:`check_grad`) are
in :mod:`matcalc.check.sympy_exact`.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import singledispatch
from typing import Any

import sympy
from sympy.core.function import UndefinedFunction

from ..expr.build import as_expr
from ..expr.deep import deep
from ..expr.dims import Dim
from ..expr.errors import type_error
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
)

__all__ = [
    "to_sympy", "symbol_matrix", "generic_function", "generic_orders", "resolve_dims",
    "dim_value", "DimValues",
]

DimValues = Mapping[Any, int]


# ----------------------------------------------------------------------------------------
# Dims and leaves
# ----------------------------------------------------------------------------------------


def resolve_dims(dims: DimValues | None, fn: str = "matcalc") -> dict[str, int]:
    """``{dim name: value}`` from a mapping keyed by :class:`Dim` or by name (``fn`` is the
    public function whose argument ``dims`` this is, for the message of a wrong type)."""
    if dims is not None and not isinstance(dims, Mapping):
        raise type_error(fn, "dims", dims, "a dict of dim (or dim name) → positive int")
    out: dict[str, int] = {}
    for k, v in (dims or {}).items():
        if isinstance(k, Dim):
            if not k.expr.is_Symbol:
                raise ValueError(f"dims must map single dims to ints, got {k}")
            name = str(k.expr)
        elif isinstance(k, str):
            name = k
        else:
            raise type_error(fn, "dims", k, "a dict whose keys are dims or dim names; a key")
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"dim {name} must be a positive int, got {v!r}")
        out[name] = int(v)
    return out


def _subs_dims(value: sympy.Expr, dims: dict[str, int]) -> sympy.Expr:
    """A coefficient (``2/n``) or dim expression with the dims replaced by their values."""
    free = value.free_symbols
    if not free:
        return value
    missing = sorted(str(s) for s in free if str(s) not in dims)
    if missing:
        raise ValueError(f"no value given for dim(s) {', '.join(missing)}")
    return value.xreplace({s: sympy.Integer(dims[str(s)]) for s in free})


def dim_value(d: Dim, dims: dict[str, int]) -> int:
    """The concrete value of a dim."""
    return int(_subs_dims(d.expr, dims))


def symbol_matrix(name: str, shape: tuple[Dim, Dim], dims: dict[str, int],
                  prefix: str = "", structure: str | None = None) -> sympy.ImmutableMatrix:
    """The matrix of real scalar symbols standing for the symbol ``name`` of ``shape``.

    Naming follows the declared (symbolic) shape, so it does not change with the dims:
    a matrix gives ``X_0_1``, a column vector ``w_2``, a scalar ``b``. A symmetric (or SPD)
    matrix has one symbol per entry i ≤ j (``S_1_0`` is ``S_0_1``); a diagonal one zeros
    off the diagonal.
    """
    r, c = dim_value(shape[0], dims), dim_value(shape[1], dims)
    base = prefix + name
    if structure is not None and r > 1:
        def entry(i: int, j: int) -> sympy.Expr:
            if structure == "diagonal" and i != j:
                return sympy.Integer(0)
            return sympy.Symbol(f"{base}_{min(i, j)}_{max(i, j)}", real=True)
        return sympy.ImmutableMatrix(r, c, entry)
    if shape[0] == 1 and shape[1] == 1:
        return sympy.ImmutableMatrix([[sympy.Symbol(base, real=True)]])
    if shape[1] == 1:
        return sympy.ImmutableMatrix(r, 1, [sympy.Symbol(f"{base}_{i}", real=True)
                                            for i in range(r)])
    if shape[0] == 1:
        return sympy.ImmutableMatrix(1, c, [sympy.Symbol(f"{base}_{j}", real=True)
                                            for j in range(c)])
    return sympy.ImmutableMatrix(r, c, lambda i, j: sympy.Symbol(f"{base}_{i}_{j}", real=True))


_GENERIC: dict[tuple[str, int], UndefinedFunction] = {}


def generic_function(name: str, order: int = 0) -> UndefinedFunction:
    """The undefined SymPy function for the ``order``-th derivative of a generic σ.

    Its ``fdiff`` is the next one (σ → σ′ → σ″), so SymPy's chain rule yields ``σ′(g(x))``
    directly instead of ``Subs(Derivative(σ(ξ), ξ), ξ, g(x))`` with fresh dummies, which
    could not be compared term by term.
    """
    key = (name, order)
    fn = _GENERIC.get(key)
    if fn is None:
        def fdiff(self: Any, argindex: int = 1) -> sympy.Expr:
            return generic_function(name, order + 1)(self.args[0])

        fn = UndefinedFunction(name + "'" * order, __dict__={"fdiff": fdiff}, real=True)
        _GENERIC[key] = fn
    return fn


def generic_orders() -> dict[UndefinedFunction, int]:
    """Each generic function made so far → its derivative order (σ ↦ 0, σ′ ↦ 1, …)."""
    return {fn: k for (_name, k), fn in _GENERIC.items()}


# ----------------------------------------------------------------------------------------
# to_sympy: one rule per node type
# ----------------------------------------------------------------------------------------


class _Ctx:
    """Dims and the memo of converted nodes for one conversion (keyed by node identity)."""

    def __init__(self, dims: dict[str, int]) -> None:
        self.dims = dims
        self.memo: dict[int, tuple[Expr, sympy.ImmutableMatrix]] = {}
        self._dims: dict[Any, int] = {}

    def n(self, d: Dim) -> int:
        v = self._dims.get(d.expr)  # cached: looked up at every node
        if v is None:
            v = self._dims[d.expr] = dim_value(d, self.dims)
        return v

    def c(self, value: sympy.Expr) -> sympy.Expr:
        return _subs_dims(value, self.dims)

    def conv(self, e: Expr) -> sympy.ImmutableMatrix:
        hit = self.memo.get(id(e))
        if hit is not None:
            return hit[1]
        out = _rule(e, self)
        assert out.shape == (self.n(e.shape[0]), self.n(e.shape[1])), type(e).__name__
        # Keep e alive with its result so its id cannot be reused during this conversion.
        self.memo[id(e)] = (e, out)
        return out


@deep
def to_sympy(e: Expr, dims: DimValues | None = None) -> sympy.Matrix:
    """The explicit SymPy matrix of ``e`` at concrete dims.

    Parameters
    ----------
    e : Expr
        Any matcalc expression.
    dims : mapping, optional
        Dim (or dim name) → positive int, for every symbolic dim in ``e``.

    Returns
    -------
    sympy.Matrix
        Entries in the real scalar symbols ``X_i_j`` (matrices), ``w_i`` (vectors),
        ``b`` (scalars), ``dX_i_j`` (differentials); generic σ as undefined functions.

    Examples
    --------
    >>> import matcalc as mc
    >>> (n,) = mc.dims("n")
    >>> w = mc.vector("w", n)
    >>> mc.to_sympy(w.T @ w, {n: 2})
    Matrix([[w_0**2 + w_1**2]])
    """
    e = as_expr(e, "mc.to_sympy", "e")
    return sympy.Matrix(_Ctx(resolve_dims(dims, "mc.to_sympy")).conv(e))


@singledispatch
def _rule(e: Expr, cx: _Ctx) -> sympy.ImmutableMatrix:
    raise NotImplementedError(f"to_sympy has no rule for {type(e).__name__}")


@_rule.register
def _(e: Symbol, cx: _Ctx) -> sympy.ImmutableMatrix:
    return symbol_matrix(e.name, e.shape, cx.dims, structure=e.structure)


@_rule.register
def _(e: Delta, cx: _Ctx) -> sympy.ImmutableMatrix:
    """dX: its own symbols ``dX_i_j`` (a differential is an independent variable)."""
    return symbol_matrix(e.of.name, e.shape, cx.dims, prefix="d",  # type: ignore[attr-defined]
                         structure=getattr(e.of, "structure", None))


@_rule.register
def _(e: Let, cx: _Ctx) -> sympy.ImmutableMatrix:
    """A named intermediate is its definition."""
    return cx.conv(e.expr)


@_rule.register
def _(e: Number, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix([[cx.c(e.value)]])


@_rule.register
def _(e: Ones, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix.ones(cx.n(e.rows), cx.n(e.cols))


@_rule.register
def _(e: Identity, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix.eye(cx.n(e.n))


@_rule.register
def _(e: Zero, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix.zeros(cx.n(e.rows), cx.n(e.cols))


@_rule.register
def _(e: Commutation, cx: _Ctx) -> sympy.ImmutableMatrix:
    """K(m,n) vec(X) = vec(Xᵀ): X[i,j] sits at j·m + i in vec X and at i·n + j in vec Xᵀ."""
    m, n = cx.n(e.m), cx.n(e.n)
    k = sympy.zeros(m * n, m * n)
    for i in range(m):
        for j in range(n):
            k[i * n + j, j * m + i] = 1
    return sympy.ImmutableMatrix(k)


@_rule.register
def _(e: Add, cx: _Ctx) -> sympy.ImmutableMatrix:
    out = cx.conv(e.terms[0])
    for t in e.terms[1:]:
        out = out + cx.conv(t)
    return out


@_rule.register
def _(e: Scale, cx: _Ctx) -> sympy.ImmutableMatrix:
    return cx.conv(e.x) * cx.c(e.coef)


@_rule.register
def _(e: ScalarMul, cx: _Ctx) -> sympy.ImmutableMatrix:
    return cx.conv(e.x) * cx.conv(e.s)[0, 0]


@_rule.register
def _(e: MatMul, cx: _Ctx) -> sympy.ImmutableMatrix:
    out = cx.conv(e.factors[0])
    for f in e.factors[1:]:
        out = out * cx.conv(f)
    return out


@_rule.register
def _(e: Transpose, cx: _Ctx) -> sympy.ImmutableMatrix:
    return cx.conv(e.x).T


@_rule.register
def _(e: Hadamard, cx: _Ctx) -> sympy.ImmutableMatrix:
    out = cx.conv(e.factors[0])
    for f in e.factors[1:]:
        out = out.multiply_elementwise(cx.conv(f))
    return out


@_rule.register
def _(e: Power, cx: _Ctx) -> sympy.ImmutableMatrix:
    """Elementwise power X.^k."""
    k = cx.c(e.k)
    return cx.conv(e.x).applyfunc(lambda a: a**k)


@_rule.register
def _(e: Apply, cx: _Ctx) -> sympy.ImmutableMatrix:
    """Elementwise f(X); a generic σ of order k is the undefined function σ⁽ᵏ⁾."""
    spec = FUNCTIONS.get(e.fn)
    if spec is not None:
        f = spec.sympy
    else:
        f = generic_function(e.fn, e.order)
    return cx.conv(e.x).applyfunc(f)


@_rule.register
def _(e: Diag, cx: _Ctx) -> sympy.ImmutableMatrix:
    v = cx.conv(e.v)
    return sympy.ImmutableMatrix(sympy.diag(*list(v)))


@_rule.register
def _(e: DiagPart, cx: _Ctx) -> sympy.ImmutableMatrix:
    x = cx.conv(e.x)
    return sympy.ImmutableMatrix(x.rows, 1, [x[i, i] for i in range(x.rows)])


@_rule.register
def _(e: Vec, cx: _Ctx) -> sympy.ImmutableMatrix:
    """vec(X): columns stacked, X[i,j] at j·rows + i."""
    x = cx.conv(e.x)
    return sympy.ImmutableMatrix(x.rows * x.cols, 1,
                                 [x[i, j] for j in range(x.cols) for i in range(x.rows)])


@_rule.register
def _(e: Unvec, cx: _Ctx) -> sympy.ImmutableMatrix:
    """The inverse of vec: M[i,j] = v[j·rows + i]."""
    v = cx.conv(e.v)
    r, c = cx.n(e.rows), cx.n(e.cols)
    return sympy.ImmutableMatrix(r, c, lambda i, j: v[j * r + i, 0])


@_rule.register
def _(e: Kron, cx: _Ctx) -> sympy.ImmutableMatrix:
    """(A ⊗ B)[i·p + k, j·q + l] = A[i,j] B[k,l] for B p×q."""
    a, b = cx.conv(e.a), cx.conv(e.b)
    p, q = b.shape
    return sympy.ImmutableMatrix(a.rows * p, a.cols * q,
                                 lambda r, c: a[r // p, c // q] * b[r % p, c % q])


@_rule.register
def _(e: Trace, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix([[cx.conv(e.x).trace()]])


def _det(x: sympy.ImmutableMatrix) -> sympy.Expr:
    # Berkowitz is division-free: a plain polynomial in the entries, easy to compare.
    return x.det(method="berkowitz")


@_rule.register
def _(e: Inverse, cx: _Ctx) -> sympy.ImmutableMatrix:
    """X⁻¹ = adj(X) / det X (division-free adjugate keeps the entries as small fractions)."""
    x = cx.conv(e.x)
    return sympy.ImmutableMatrix(x.adjugate(method="berkowitz") / _det(x))


@_rule.register
def _(e: Det, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix([[_det(cx.conv(e.x))]])


@_rule.register
def _(e: LogDet, cx: _Ctx) -> sympy.ImmutableMatrix:
    """logdet X = log det X (equal to log|det X| in value and derivative where det X > 0)."""
    return sympy.ImmutableMatrix([[sympy.log(_det(cx.conv(e.x)))]])


@_rule.register
def _(e: Sum, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix([[sympy.Add(*cx.conv(e.x))]])


@_rule.register
def _(e: Norm, cx: _Ctx) -> sympy.ImmutableMatrix:
    """‖X‖ = sqrt(Σ x_ij²)."""
    return sympy.ImmutableMatrix([[sympy.sqrt(sympy.Add(*[a**2 for a in cx.conv(e.x)]))]])


@_rule.register
def _(e: Frob, cx: _Ctx) -> sympy.ImmutableMatrix:
    """A : B = Σ a_ij b_ij."""
    a, b = cx.conv(e.a), cx.conv(e.b)
    return sympy.ImmutableMatrix([[sympy.Add(*[p * q for p, q in zip(a, b)])]])
