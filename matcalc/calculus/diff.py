"""The differential rules: ``d(e)`` built rule by rule, one registered function per node.

Each rule's docstring is the identity it implements, with its reference (The Matrix
Cookbook, Petersen & Pedersen 2012, eq. numbers; Magnus & Neudecker, *Matrix
Differential Calculus*, 3rd ed.). ``d`` returns an expression linear in the differentials
``dX`` of the chosen variables; named intermediates (``mc.let``) give ``dz`` leaves, which
the derivation later substitutes, so the steps read as a chain rule through the names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import singledispatch

import sympy

from ..expr.dims import ONE
from ..expr.functions import derivative
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
    MatrixPower,
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
    is_scalar_shape,
)
from ..expr.ops import (
    add,
    diag,
    diag_part,
    frob,
    had,
    is_zero,
    kron,
    mm,
    scale,
    smul,
    tp,
    unvec,
    vec,
    zero_like,
)

__all__ = ["differential", "Differentiator", "DIFF_RULES"]

D = Callable[[Expr], Expr]


class Differentiator:
    """Computes ``d(e)`` w.r.t. a set of symbols, memoized over the shared DAG.

    Parameters
    ----------
    wrt : iterable of Symbol
        The variables; every other symbol is a constant.
    expand_lets : bool
        If true, differentiate through named intermediates instead of producing ``dz``.
    """

    def __init__(self, wrt: Iterable[Symbol], expand_lets: bool = False) -> None:
        self.wrt = frozenset(wrt)
        self.expand_lets = expand_lets
        self._memo: dict[Expr, Expr] = {}

    def depends(self, e: Expr) -> bool:
        return not self.wrt.isdisjoint(e.free_symbols)

    def __call__(self, e: Expr) -> Expr:
        hit = self._memo.get(e)
        if hit is not None:
            return hit
        out = _d(e, self) if self.depends(e) else Zero(*e.shape)
        assert out.shape == e.shape, f"d rule for {type(e).__name__} changed the shape"
        self._memo[e] = out
        return out


def differential(e: Expr, wrt: Iterable[Symbol], expand_lets: bool = False) -> Expr:
    """``d(e)``: an expression linear in the differentials of ``wrt``."""
    return Differentiator(wrt, expand_lets)(e)


@singledispatch
def _d(e: Expr, d: Differentiator) -> Expr:
    raise NotImplementedError(f"no differential rule for {type(e).__name__}")


@_d.register
def _(e: Symbol, d: Differentiator) -> Expr:
    """d(X) = dX for a variable; constants have d = 0 (Cookbook eq. 33)."""
    return Delta(e) if e in d.wrt else Zero(*e.shape)


def _constant(e: Expr, d: Differentiator) -> Expr:
    """d(A) = 0 for a constant A (Cookbook eq. 33)."""
    return Zero(*e.shape)


for _cls in (Number, Ones, Identity, Zero, Commutation):
    _d.register(_cls)(_constant)


@_d.register
def _(e: Delta, d: Differentiator) -> Expr:
    """Differentials are not differentiated again: second derivatives go through grad."""
    raise ValueError("cannot differentiate an expression that already contains a differential")


@_d.register
def _(e: Let, d: Differentiator) -> Expr:
    """d(z) for a named intermediate z := e: kept as dz, substituted by the derivation."""
    return d(e.expr) if d.expand_lets else Delta(e)


@_d.register
def _(e: Add, d: Differentiator) -> Expr:
    """d(X + Y) = dX + dY (Cookbook eq. 35)."""
    return add(*(d(t) for t in e.terms), like=e)


@_d.register
def _(e: Scale, d: Differentiator) -> Expr:
    """d(cX) = c dX for a constant c (Cookbook eq. 34)."""
    return scale(e.coef, d(e.x))


@_d.register
def _(e: ScalarMul, d: Differentiator) -> Expr:
    """d(sX) = ds X + s dX (product rule)."""
    return add(smul(d(e.s), e.x), smul(e.s, d(e.x)), like=e)


@_d.register
def _(e: MatMul, d: Differentiator) -> Expr:
    """d(XY) = dX Y + X dY, for each factor of a chain (Cookbook eq. 37)."""
    fs = e.factors
    terms = []
    for i, f in enumerate(fs):
        df = d(f)
        if not is_zero(df):
            terms.append(mm(*fs[:i], df, *fs[i + 1:]))
    return add(*terms, like=e)


@_d.register
def _(e: Transpose, d: Differentiator) -> Expr:
    """d(Xᵀ) = (dX)ᵀ (Cookbook eq. 44)."""
    return tp(d(e.x))


@_d.register
def _(e: Hadamard, d: Differentiator) -> Expr:
    """d(X ⊙ Y) = dX ⊙ Y + X ⊙ dY (Cookbook eq. 38)."""
    fs = e.factors
    terms = []
    for i, f in enumerate(fs):
        df = d(f)
        if not is_zero(df):
            terms.append(had(*fs[:i], *fs[i + 1:], df))
    return add(*terms, like=e)


def _elementwise_times(fprime: Expr, dx: Expr) -> Expr:
    """f′(X) ⊙ dX, written as a scalar product when X is 1×1."""
    if is_scalar_shape(dx.shape):
        return smul(fprime, dx)
    return had(fprime, dx)


@_d.register
def _(e: Power, d: Differentiator) -> Expr:
    """d(X.^k) = k X.^(k−1) ⊙ dX (elementwise power rule)."""
    k = e.k
    base = e.x if k - 1 == 1 else (Ones(*e.shape) if k == 1 else Power(e.x, k - 1))
    return _elementwise_times(scale(k, base), d(e.x))


@_d.register
def _(e: Apply, d: Differentiator) -> Expr:
    """d f(X) = f′(X) ⊙ dX, elementwise (chain rule); relu′ = step."""
    dx = d(e.x)
    fprime = derivative(e)
    if is_zero(fprime) or is_zero(dx):
        return Zero(*e.shape)
    return _elementwise_times(fprime, dx)


@_d.register
def _(e: Diag, d: Differentiator) -> Expr:
    """d Diag(v) = Diag(dv) (linearity)."""
    return diag(d(e.v))


@_d.register
def _(e: DiagPart, d: Differentiator) -> Expr:
    """d diag(X) = diag(dX) (linearity)."""
    return diag_part(d(e.x))


@_d.register
def _(e: Vec, d: Differentiator) -> Expr:
    """d vec(X) = vec(dX) (Magnus & Neudecker ch. 2, linearity of vec)."""
    return vec(d(e.x))


@_d.register
def _(e: Unvec, d: Differentiator) -> Expr:
    """d unvec(v) = unvec(dv) (linearity)."""
    return unvec(d(e.v), e.rows, e.cols)


@_d.register
def _(e: Kron, d: Differentiator) -> Expr:
    """d(X ⊗ Y) = dX ⊗ Y + X ⊗ dY (Cookbook eq. 39)."""
    return add(kron(d(e.a), e.b), kron(e.a, d(e.b)), like=e)


@_d.register
def _(e: Trace, d: Differentiator) -> Expr:
    """d tr(X) = tr(dX) (Cookbook eq. 36); d tr(Xᵏ) = k tr(Xᵏ⁻¹ dX) for any k (eq. 90)."""
    if _symbolic_power(e.x):
        return scale(e.x.k, Trace(mm(_power(e.x.x, e.x.k - 1), d(e.x.x))))
    dx = d(e.x)
    return Zero(*e.shape) if is_zero(dx) else Trace(dx)


def _symbolic_power(x: Expr) -> bool:
    return isinstance(x, MatrixPower) and not x.k.is_Integer


def _power(x: Expr, k: sympy.Expr) -> Expr:
    """Xᵏ for k ≥ 0 (X⁰ = I, X¹ = X)."""
    return Identity(x.shape[0]) if k == 0 else x if k == 1 else MatrixPower(x, k)


@_d.register
def _(e: MatrixPower, d: Differentiator) -> Expr:
    """d(Xᵏ) = Σᵢ₌₀ᵏ⁻¹ Xⁱ dX Xᵏ⁻¹⁻ⁱ for an integer k (Magnus & Neudecker ch. 9, §13; Cookbook
    eq. 91 is its trace against abᵀ). A symbolic k has it only under tr, det and logdet."""
    if not e.k.is_Integer:
        raise ValueError(f"d({e.x}^{e.k}) has no closed form for a symbolic power {e.k}: "
                         f"only tr, det and logdet of it can be differentiated; give an "
                         "integer power")
    dx = d(e.x)
    k = int(e.k)
    return add(*(mm(_power(e.x, i), dx, _power(e.x, k - 1 - i)) for i in range(k)), like=e)


@_d.register
def _(e: Inverse, d: Differentiator) -> Expr:
    """d(X⁻¹) = −X⁻¹ dX X⁻¹ (Cookbook eq. 40)."""
    return scale(-1, mm(e, d(e.x), e))


@_d.register
def _(e: Det, d: Differentiator) -> Expr:
    """d det(X) = det(X) tr(X⁻¹ dX) (Cookbook eq. 42); d det(Xᵏ) = k det(Xᵏ) tr(X⁻¹ dX)."""
    if _symbolic_power(e.x):
        dx = d(e.x.x)
        return scale(e.x.k, smul(e, Trace(mm(Inverse(e.x.x), dx))))
    dx = d(e.x)
    return Zero(*e.shape) if is_zero(dx) else smul(e, Trace(mm(Inverse(e.x), dx)))


@_d.register
def _(e: LogDet, d: Differentiator) -> Expr:
    """d log|det X| = tr(X⁻¹ dX) (Cookbook eq. 43); d log|det Xᵏ| = k tr(X⁻¹ dX)."""
    if _symbolic_power(e.x):
        return scale(e.x.k, Trace(mm(Inverse(e.x.x), d(e.x.x))))
    dx = d(e.x)
    return Zero(*e.shape) if is_zero(dx) else Trace(mm(Inverse(e.x), dx))


@_d.register
def _(e: Sum, d: Differentiator) -> Expr:
    """d sum(X) = sum(dX) (linearity)."""
    dx = d(e.x)
    return Zero(*e.shape) if is_zero(dx) else Sum(dx)


@_d.register
def _(e: Norm, d: Differentiator) -> Expr:
    """d‖X‖ = (X : dX) / ‖X‖ (Cookbook eq. 129 for the Frobenius norm)."""
    return smul(Power(e, sympy.Integer(-1)), frob(e.x, d(e.x)))


@_d.register
def _(e: Frob, d: Differentiator) -> Expr:
    """d(A : B) = dA : B + A : dB (product rule on tr(AᵀB))."""
    return add(frob(d(e.a), e.b), frob(e.a, d(e.b)), like=e)


def _dlogsumexp(Z: Expr, axis: int | None, dZ: Expr) -> Expr:
    """d logsumexp(Z) with p = softmax(Z) along the same axis: pᵀdz for a vector, P : dZ
    over all entries, 1ᵀ(P ⊙ dZ) per column, (P ⊙ dZ)1 per row."""
    P = Softmax(Z, axis)
    r, c = Z.shape
    if axis is None:
        return mm(tp(P), dZ) if c == 1 else mm(P, tp(dZ)) if r == 1 else frob(P, dZ)
    if axis == 0:
        return mm(Ones(ONE, r), had(P, dZ))
    return mm(had(P, dZ), Ones(c, ONE))


@_d.register
def _(e: LogSumExp, d: Differentiator) -> Expr:
    """d logsumexp(Z) = softmax(Z) : dZ, along each normalized column or row (the
    normalizer's derivative is the softmax: Σⱼ exp(zⱼ) dzⱼ / Σₖ exp(zₖ) = pᵀdz)."""
    dZ = d(e.x)
    return zero_like(e) if is_zero(dZ) else _dlogsumexp(e.x, e.axis, dZ)


@_d.register
def _(e: Softmax, d: Differentiator) -> Expr:
    """d softmax(Z) = P ⊙ (dZ − 1 d logsumexp(Z)) with P = softmax(Z), since
    P = exp(Z − 1 logsumexp(Z)); for a vector dp = (Diag(p) − p pᵀ) dz."""
    dZ = d(e.x)
    if is_zero(dZ):
        return zero_like(e)
    dL = _dlogsumexp(e.x, e.axis, dZ)
    r, c = e.shape
    if e.axis is None:
        return add(had(e, dZ), scale(-1, smul(dL, e)))
    spread = mm(Ones(r, ONE), dL) if e.axis == 0 else mm(dL, Ones(ONE, c))
    return add(had(e, dZ), scale(-1, had(e, spread)))


DIFF_RULES = _d
