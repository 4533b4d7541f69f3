"""Jacobians in vec form: vec(dF) = J vec(dX), one rule per linear node type.

For an expression linear in the differential of one variable X, each rule builds the
matrix J with vec(E) = J vec(dX), kept structured (Kronecker products, Diag):
vec(A dX B) = (Bᵀ ⊗ A) vec dX (Magnus & Neudecker Thm 2.2), vec(A ⊙ dX) = Diag(vec A) vec dX,
vec(dXᵀ) = K vec dX (M&N 3.7). Named intermediates are followed by the chain rule.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import singledispatch

from ..expr.dims import ONE
from ..expr.nodes import (
    Add,
    Commutation,
    Delta,
    Diag,
    DiagPart,
    Expr,
    Frob,
    Hadamard,
    Identity,
    Kron,
    Let,
    MatMul,
    Ones,
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
from ..expr.ops import add, diag, had, kron, mm, scale, smul, tp, vec

__all__ = ["VEC_RULES", "VecJacobian"]


class VecJacobian:
    """J(E) with vec(E) = J vec(dX) for linear E, memoized; lets followed by the chain rule.

    Parameters
    ----------
    x : Symbol
        The variable.
    let_differential : callable
        Gives d(z.expr) for a named intermediate z.
    """

    def __init__(self, x: Symbol, let_differential: Callable[[Let], Expr]) -> None:
        self.x = x
        self.size = x.shape[0] * x.shape[1]
        self.let_differential = let_differential
        self._memo: dict[Expr, Expr] = {}

    def __call__(self, e: Expr) -> Expr:
        hit = self._memo.get(e)
        if hit is not None:
            return hit
        rows = e.shape[0] * e.shape[1]
        out = _vj(e, self) if e.deltas else Zero(rows, self.size)
        assert out.shape == (rows, self.size), f"vec rule for {type(e).__name__}: bad shape"
        self._memo[e] = out
        return out


def _size(e: Expr):  # noqa: ANN202
    return e.shape[0] * e.shape[1]


@singledispatch
def _vj(e: Expr, J: VecJacobian) -> Expr:
    raise TypeError(f"{type(e).__name__} is not linear in the differential")


@_vj.register
def _(e: Delta, J: VecJacobian) -> Expr:
    """vec(dX) = I vec(dX); vec(dz) = J_z vec(dX) for z := g(X) (chain rule)."""
    if isinstance(e.of, Let):
        return J(J.let_differential(e.of))
    return Identity(J.size) if e.of == J.x else Zero(_size(e), J.size)


@_vj.register
def _(e: Add, J: VecJacobian) -> Expr:
    """vec(A + B) = vec A + vec B."""
    return add(*(J(t) for t in e.terms if t.deltas), like=Zero(_size(e), J.size))


@_vj.register
def _(e: Scale, J: VecJacobian) -> Expr:
    """vec(cA) = c vec A."""
    return scale(e.coef, J(e.x))


@_vj.register
def _(e: ScalarMul, J: VecJacobian) -> Expr:
    """vec(s dA) = s vec dA;  vec(ds A) = vec(A) ds."""
    terms = []
    if e.s.deltas:
        terms.append(mm(vec(e.x), J(e.s)))
    if e.x.deltas:
        terms.append(smul(e.s, J(e.x)))
    return add(*terms, like=Zero(_size(e), J.size))


@_vj.register
def _(e: MatMul, J: VecJacobian) -> Expr:
    """vec(A dX B) = (Bᵀ ⊗ A) vec dX (Magnus & Neudecker Thm 2.2)."""
    fs = e.factors
    terms = []
    for i, f in enumerate(fs):
        if f.deltas:
            left = mm(*fs[:i]) if i else Identity(f.shape[0])
            right = mm(*fs[i + 1:]) if i + 1 < len(fs) else Identity(f.shape[1])
            terms.append(mm(kron(tp(right), left), J(f)))
    return add(*terms, like=Zero(_size(e), J.size))


@_vj.register
def _(e: Transpose, J: VecJacobian) -> Expr:
    """vec(dXᵀ) = K(m,n) vec dX for X m×n (M&N 3.7)."""
    r, c = e.x.shape
    return mm(Commutation(r, c), J(e.x))


@_vj.register
def _(e: Hadamard, J: VecJacobian) -> Expr:
    """vec(A ⊙ dX) = Diag(vec A) vec dX."""
    fs = e.factors
    terms = [mm(diag(vec(had(*fs[:i], *fs[i + 1:]))), J(f)) for i, f in enumerate(fs) if f.deltas]
    return add(*terms, like=Zero(_size(e), J.size))


@_vj.register
def _(e: Diag, J: VecJacobian) -> Expr:
    """vec Diag(dv) = Diag(vec I)(I ⊗ 1) dv: column j of Diag(v) is vⱼ eⱼ."""
    n = e.v.shape[0]
    return mm(diag(vec(Identity(n))), kron(Identity(n), Ones(n, ONE)), J(e.v))


@_vj.register
def _(e: DiagPart, J: VecJacobian) -> Expr:
    """diag(dX) = (I ⊗ 1)ᵀ Diag(vec I) vec dX: the adjoint of the Diag embedding."""
    n = e.x.shape[0]
    return mm(tp(kron(Identity(n), Ones(n, ONE))), diag(vec(Identity(n))), J(e.x))


@_vj.register
def _(e: Vec, J: VecJacobian) -> Expr:
    """vec(vec dX) = vec dX."""
    return J(e.x)


@_vj.register
def _(e: Unvec, J: VecJacobian) -> Expr:
    """vec(unvec dv) = dv."""
    return J(e.v)


@_vj.register
def _(e: Trace, J: VecJacobian) -> Expr:
    """tr(dX) = vec(I)ᵀ vec dX."""
    return mm(tp(vec(Identity(e.x.shape[0]))), J(e.x))


@_vj.register
def _(e: Sum, J: VecJacobian) -> Expr:
    """sum(dX) = 1ᵀ vec dX."""
    return mm(Ones(ONE, _size(e.x)), J(e.x))


@_vj.register
def _(e: Frob, J: VecJacobian) -> Expr:
    """A : dB = vec(A)ᵀ vec dB."""
    terms = []
    if e.a.deltas:
        terms.append(mm(tp(vec(e.b)), J(e.a)))
    if e.b.deltas:
        terms.append(mm(tp(vec(e.a)), J(e.b)))
    return add(*terms, like=Zero(ONE, J.size))


@_vj.register
def _(e: Kron, J: VecJacobian) -> Expr:
    """vec(A ⊗ B) = (Iₙ ⊗ K(q,m) ⊗ Iₚ)(vec A ⊗ vec B), A m×n, B p×q (M&N Thm 3.10)."""
    (m, n), (p, q) = e.a.shape, e.b.shape
    P = kron(kron(Identity(n), Commutation(q, m)), Identity(p))
    terms = []
    if e.a.deltas:
        terms.append(mm(P, kron(Identity(m * n), vec(e.b)), J(e.a)))
    if e.b.deltas:
        terms.append(mm(P, kron(vec(e.a), Identity(p * q)), J(e.b)))
    return add(*terms, like=Zero(_size(e), J.size))


VEC_RULES = _vj
