"""Simplifier rules of matrix powers Xᵏ: constants, transposes and products of powers.

Kept apart from :mod:`matcalc.calculus.simplifier` (the general rules). Importing
:mod:`matcalc.calculus` registers them.
"""

from __future__ import annotations

from collections import Counter

import sympy

from ..expr.nodes import (
    Add,
    Det,
    Expr,
    Identity,
    MatMul,
    MatrixPower,
    Power,
    Scale,
    Transpose,
)
from ..expr.ops import add, mm, scale, tp
from .simplifier import _split, rule

__all__ = ["power_of", "expanded_key"]


def power_of(base: Expr, k: sympy.Expr) -> Expr:
    """baseᵏ for k ≥ 0 (X⁰ = I, X¹ = X)."""
    if k == 0:
        return Identity(base.shape[0])
    return base if k == 1 else MatrixPower(base, k)


def _base_exp(f: Expr) -> tuple[Expr, sympy.Expr]:
    return (f.x, f.k) if isinstance(f, MatrixPower) else (f, sympy.Integer(1))


@rule(MatrixPower, name="X¹ = X, X⁰ = I, Iᵏ = I, (Xᵃ)ᵇ = Xᵃᵇ, (cX)ᵏ = cᵏXᵏ")
def _(e: MatrixPower) -> Expr | None:
    x, k = e.x, e.k
    if k == 0 or k == 1 or isinstance(x, Identity):
        return power_of(x, k) if not isinstance(x, Identity) else x
    match x:
        case MatrixPower(x=y, k=a):
            return MatrixPower(y, a * k)
        case Scale(coef=c, x=y):
            return scale(c ** k, MatrixPower(y, k))
    return None


@rule(MatrixPower, name="(Xᵀ)ᵏ = (Xᵏ)ᵀ")
def _(e: MatrixPower) -> Expr | None:
    """Written as the Cookbook does (eq. 90: k (Xᵏ⁻¹)ᵀ), the transpose outside the power."""
    if isinstance(e.x, Transpose):
        return tp(MatrixPower(e.x.x, e.k))
    return None


@rule(MatMul, name="Xᵃ Xᵇ = Xᵃ⁺ᵇ")
def _(e: MatMul) -> Expr | None:
    """Adjacent powers of one base multiply (a plain X X stays as written unless one of
    the factors is already a power)."""
    fs = list(e.factors)
    for i in range(len(fs) - 1):
        (a, p), (b, q) = _base_exp(fs[i]), _base_exp(fs[i + 1])
        if a == b and (isinstance(fs[i], MatrixPower) or isinstance(fs[i + 1], MatrixPower)):
            return mm(*fs[:i], power_of(a, p + q), *fs[i + 2:])
    return None


@rule(Det, name="det(Xᵏ) = det(X)ᵏ")
def _(e: Det) -> Expr | None:
    """Cookbook eq. 18 (det(AB) = det A det B), k times."""
    if isinstance(e.x, MatrixPower):
        return Power(Det(e.x.x), e.x.k)
    return None


def expanded_key(e: Expr) -> object:
    """A key equal for products equal once integer powers are written out (X X = X²)."""
    c, core = _split(e)
    if not isinstance(core, (MatMul, MatrixPower, Transpose)):
        return core
    factors = core.factors if isinstance(core, MatMul) else (core,)
    out: list[Expr] = []
    for f in factors:
        t = isinstance(f, Transpose) and isinstance(f.x, MatrixPower)
        b, k = _base_exp(f.x if t else f)
        if k.is_Integer and 0 < k < 64:
            out.extend([tp(b) if t else b] * int(k))
        else:
            out.append(f)
    return ("·", tuple(out))


def _length(e: Expr) -> int:
    return len(e.factors) if isinstance(e, MatMul) else 1


@rule(Add, name="like terms combined (X X = X²)")
def _(e: Add) -> Expr | None:
    """Terms equal up to how their powers are written (X X and X², as d(Xᵏ) leaves them)."""
    keys = [expanded_key(t) for t in e.terms]
    counts = Counter(keys)
    if all(v == 1 for v in counts.values()):
        return None
    groups: dict[object, list] = {}
    for t, k in zip(e.terms, keys):
        c, core = _split(t)
        g = groups.setdefault(k, [sympy.Integer(0), core])
        g[0] += c
        if _length(core) < _length(g[1]):
            g[1] = core  # keep the most compact spelling
    return add(*(scale(c, core) for c, core in groups.values()), like=e)
