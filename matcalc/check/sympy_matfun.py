"""SymPy and NumPy reference rules of the matrix functions (matrix powers; expm, logm, sqrtm
and the eigendecomposition nodes), kept apart from
:mod:`matcalc.check.sympy_bridge` and :mod:`matcalc.check.numeric`, which own the rest.

Importing :mod:`matcalc.check` registers them in both tables.
"""

from __future__ import annotations

import numpy as np
import sympy

from ..expr.nodes import Expr, MatrixPower
from ..expr.spectral import DivDiff, EigGap, EigVals, EigVecs, MatrixFunction
from .numeric import Array, _ev, _Interp
from .sympy_bridge import _Ctx, _rule

__all__: list[str] = []


def _int_power(k: object, where: str) -> int:
    if not (isinstance(k, sympy.Integer) or (isinstance(k, sympy.Expr) and k.is_Integer)):
        raise ValueError(f"{where}: the power {k} needs a value for its dim")
    return int(k)


@_rule.register
def _(e: MatrixPower, cx: _Ctx) -> sympy.ImmutableMatrix:
    """Xᵏ as SymPy's matrix power, k at its concrete value."""
    return sympy.ImmutableMatrix(cx.conv(e.x) ** _int_power(cx.c(e.k), "to_sympy"))


@_ev.register
def _(e: MatrixPower, it: _Interp) -> Array:
    k = it.c(e.k)
    if not float(k).is_integer():
        raise ValueError(f"evaluate: the power {e.k} is {k}, not an integer")
    return np.linalg.matrix_power(it.ev(e.x), int(k))


# ----------------------------------------------------------------------------------------
# Spectral functions of symmetric matrices (matcalc.expr.spectral)
# ----------------------------------------------------------------------------------------

#: f and f′ of the matrix functions, as SymPy and as NumPy functions.
_SYMPY_F = {"exp": (sympy.exp, sympy.exp), "log": (sympy.log, lambda t: 1 / t),
            "sqrt": (sympy.sqrt, lambda t: 1 / (2 * sympy.sqrt(t)))}
_NUMPY_F = {"exp": (np.exp, np.exp), "log": (np.log, lambda t: 1 / t),
            "sqrt": (np.sqrt, lambda t: 0.5 / np.sqrt(t))}


def _spectrum(e: Expr, cx: _Ctx) -> tuple[list[sympy.Expr], sympy.ImmutableMatrix]:
    """Eigenvalues and orthonormal eigenvectors of the symmetric ``e.x`` where SymPy has
    them exactly: 1×1, or diagonal (in the diagonal's order, with Q = I). Else a ValueError."""
    x = cx.conv(e.x)
    n = x.rows
    if n == 1 or x.is_diagonal():
        return [x[i, i] for i in range(n)], sympy.ImmutableMatrix(sympy.eye(n))
    raise ValueError(f"to_sympy: the eigendecomposition of {e.x} ({n}×{n}) has no exact "
                     "SymPy form here; exact checks of expm/logm/sqrtm/eigvalsh cover 1×1 "
                     "and diagonal matrices (use the numeric checks otherwise)")


@_rule.register
def _(e: MatrixFunction, cx: _Ctx) -> sympy.ImmutableMatrix:
    """f(S) = Q Diag(f(λ)) Qᵀ; exact for 1×1 and diagonal S (f of the diagonal)."""
    lam, q = _spectrum(e, cx)
    f = _SYMPY_F[e.fn][0]
    return sympy.ImmutableMatrix(q * sympy.diag(*[f(t) for t in lam]) * q.T)


@_rule.register
def _(e: EigVecs, cx: _Ctx) -> sympy.ImmutableMatrix:
    """Q with S = Q Λ Qᵀ: I for a diagonal S (paired with λ in the diagonal's order)."""
    return _spectrum(e, cx)[1]


@_rule.register
def _(e: EigVals, cx: _Ctx) -> sympy.ImmutableMatrix:
    """λ ascending: a 1×1 S, or a diagonal S whose entries are numbers (SymPy cannot order
    symbols, so a symbolic diagonal of size ≥ 2 is refused rather than left unsorted)."""
    lam, _ = _spectrum(e, cx)
    if len(lam) > 1:
        if not all(t.is_number for t in lam):
            raise ValueError(f"to_sympy: eigvalsh({e.x}) sorts the eigenvalues, and SymPy "
                             "cannot order the symbolic diagonal entries; exact checks of "
                             "eigvalsh cover 1×1 matrices (numeric checks otherwise)")
        lam = sorted(lam, key=lambda t: float(t))
    return sympy.ImmutableMatrix(len(lam), 1, lam)


@_rule.register
def _(e: DivDiff, cx: _Ctx) -> sympy.ImmutableMatrix:
    """f[λᵢ, λⱼ] = (f(λᵢ) − f(λⱼ))/(λᵢ − λⱼ), f′(λᵢ) where λᵢ = λⱼ (same order as Q)."""
    lam, _ = _spectrum(e, cx)
    f, df = _SYMPY_F[e.fn]
    t = sympy.Dummy("t")

    def entry(i: int, j: int) -> sympy.Expr:
        a, b = lam[i], lam[j]
        equal = i == j or sympy.simplify(a - b) == 0
        if e.order == 1:
            return df(a) if equal else (f(a) - f(b)) / (a - b)
        if equal:
            return sympy.diff(f(t), t, 2).subs(t, a) / 2
        return (df(a) - (f(a) - f(b)) / (a - b)) / (a - b)

    return sympy.ImmutableMatrix(len(lam), len(lam), entry)


@_rule.register
def _(e: EigGap, cx: _Ctx) -> sympy.ImmutableMatrix:
    """Eᵢⱼ = 1/(λⱼ − λᵢ), 0 on the diagonal (same order as Q)."""
    lam, _ = _spectrum(e, cx)
    n = len(lam)
    return sympy.ImmutableMatrix(n, n, lambda i, j: 0 if i == j else 1 / (lam[j] - lam[i]))


@_ev.register
def _(e: MatrixFunction, it: _Interp) -> Array:
    w, q = np.linalg.eigh(it.ev(e.x))
    return (q * _NUMPY_F[e.fn][0](w)) @ q.T


@_ev.register
def _(e: EigVals, it: _Interp) -> Array:
    return np.linalg.eigvalsh(it.ev(e.x)).reshape(-1, 1)


@_ev.register
def _(e: EigVecs, it: _Interp) -> Array:
    return np.linalg.eigh(it.ev(e.x))[1]


@_ev.register
def _(e: DivDiff, it: _Interp) -> Array:
    """The plain formulas, f′ (order 2: f″/2) at the mean where |λᵢ − λⱼ| ≤ 1e-8 max(|λᵢ|,
    |λⱼ|, 1); order 2 is (f′(λᵢ) − f[λᵢ, λⱼ])/(λᵢ − λⱼ)."""
    w = np.linalg.eigvalsh(it.ev(e.x))
    f, df = _NUMPY_F[e.fn]
    a, b = w[:, None], w[None, :]
    gap = a - b
    close = np.abs(gap) <= 1e-8 * np.maximum(np.maximum(np.abs(a), np.abs(b)), 1.0)
    safe = np.where(close, 1.0, gap)
    first = np.where(close, df((a + b) / 2), (f(a) - f(b)) / safe)
    if e.order == 1:
        return first
    return np.where(close, _HALF_D2[e.fn]((a + b) / 2), (df(a) - first) / safe)


_HALF_D2 = {"exp": lambda t: np.exp(t) / 2, "log": lambda t: -0.5 / t**2,
            "sqrt": lambda t: -0.125 * t**-1.5}


@_ev.register
def _(e: EigGap, it: _Interp) -> Array:
    """1/(λⱼ − λᵢ) off the diagonal; NaN where eigenvalues coincide (to 1e-8 relative)."""
    w = np.linalg.eigvalsh(it.ev(e.x))
    g = w[None, :] - w[:, None]
    scale = np.maximum(np.maximum(np.abs(w[:, None]), np.abs(w[None, :])), 1.0)
    close = np.abs(g) <= 1e-8 * scale
    out = np.where(close, np.nan, 1.0 / np.where(close, 1.0, g))
    np.fill_diagonal(out, 0.0)
    return out
