"""Compact forms of products: inverses of products of square factors, powers of products,
exp(b log a) as a power.

Phase 1 rules (they see canonical children), each taken only where it makes a cancellation
or a merge happen, so it never lengthens a form that nothing else shortens.
"""

from __future__ import annotations

import sympy

from ..expr.nodes import (
    Apply,
    Diag,
    Expr,
    Hadamard,
    Inverse,
    MatMul,
    Power,
    ScalarMul,
    Scale,
    is_scalar_shape,
)
from ..expr.ops import add, had, mm, number, smul, tp
from .rulebook import ckey, rule

__all__: list[str] = []


def _square(e: Expr) -> bool:
    return e.shape[0] == e.shape[1]


@rule(MatMul, name="(P Q)⁻¹ = Q⁻¹ P⁻¹ where a neighbour cancels: Q (P Q)⁻¹ = P⁻¹", phase=1)
def _(e: MatMul) -> Expr | None:
    """MC (18), (P Q)⁻¹ = Q⁻¹ P⁻¹, for square P and Q only, and only the end factor that
    meets its neighbour is taken out: Aᵀ (Bᵀ Xᵀ Aᵀ)⁻¹ Bᵀ = X⁻ᵀ (MC (51))."""
    fs = list(e.factors)
    for i, f in enumerate(fs):
        if not (isinstance(f, Inverse) and isinstance(f.x, MatMul)):
            continue
        gs = list(f.x.factors)
        if i > 0 and fs[i - 1] == gs[-1] and _square(gs[-1]):
            # L (G R)⁻¹ with L = R: (G R)⁻¹ = R⁻¹ G⁻¹ and R R⁻¹ = I
            return mm(*fs[:i - 1], Inverse(mm(*gs[:-1])), *fs[i + 1:])
        if i + 1 < len(fs) and fs[i + 1] == gs[0] and _square(gs[0]):
            return mm(*fs[:i], Inverse(mm(*gs[1:])), *fs[i + 2:])
    return None


def _bases(f: Expr) -> set[object]:
    return {ckey(f.x) if isinstance(f, Power) else ckey(f)}


@rule(Hadamard, name="powers of products spread where bases merge: (a b)^k a = a^(k+1) b^k",
      phase=1)
def _(e: Hadamard) -> Expr | None:
    """(a ⊙ b).^k = a.^k ⊙ b.^k for an integer k, taken when a base of the product also
    stands beside it (‖a‖ ‖x‖^(-1) (‖a‖ ‖x‖)^(-2) = ‖a‖^(-1) ‖x‖^(-3))."""
    fs = list(e.factors)
    for i, f in enumerate(fs):
        if not (isinstance(f, Power) and isinstance(f.x, Hadamard) and f.k.is_integer):
            continue
        inner = set().union(*(_bases(g) for g in f.x.factors))
        if any(_bases(g) & inner for j, g in enumerate(fs) if j != i):
            return had(*fs[:i], *(Power(g, f.k) for g in f.x.factors), *fs[i + 1:])
    return None


def _exp_log(f: Expr) -> tuple[Expr, Expr] | None:
    """(b, a) for ``f = exp(b log(a))`` with b a 1×1 factor (or a constant)."""
    if not (isinstance(f, Apply) and f.fn == "exp" and f.order == 0):
        return None
    arg = f.x
    if isinstance(arg, ScalarMul) and isinstance(arg.x, Apply) and arg.x.fn == "log":
        return arg.s, arg.x.x
    if isinstance(arg, Scale) and isinstance(arg.x, Apply) and arg.x.fn == "log":
        return number(arg.coef), arg.x.x
    if isinstance(arg, Hadamard) and is_scalar_shape(arg.shape):  # b log(a) for a scalar a
        logs = [i for i, g in enumerate(arg.factors) if isinstance(g, Apply) and g.fn == "log"]
        if len(logs) == 1:
            i = logs[0]
            return had(*arg.factors[:i], *arg.factors[i + 1:]), arg.factors[i].x  # type: ignore[attr-defined]
    return None


@rule(Hadamard, name="exp(b log a) ⊙ a.^k = exp((b + k) log a)", phase=1)
def _(e: Hadamard) -> Expr | None:
    """aᵇ aᵏ = aᵇ⁺ᵏ with aᵇ written exp(b log a), as the text syntax reads a.^b for a
    symbolic b: d/dx xᵅ = α x^(α−1)."""
    fs = list(e.factors)
    for i, f in enumerate(fs):
        found = _exp_log(f)
        if found is None:
            continue
        b, a = found
        for j, g in enumerate(fs):
            if j == i:
                continue
            k = g.k if isinstance(g, Power) and ckey(g.x) == ckey(a) else (
                sympy.Integer(1) if ckey(g) == ckey(a) else None)
            if k is None:
                continue
            exponent = add(b, number(k))
            new = Apply("exp", smul(exponent, Apply("log", a)))
            return had(*(new if m == i else x for m, x in enumerate(fs) if m != j))
    return None


@rule(MatMul, name="a row times Diag(v) anywhere in a chain: u 1ᵀ Diag(v) = u vᵀ", phase=1)
def _(e: MatMul) -> Expr | None:
    """rᵀ Diag(v) = (v ⊙ r)ᵀ and Diag(v) c = v ⊙ c inside a chain (phase 0 does the ends):
    the softmax Jacobian's exp(x) 1ᵀ Diag(exp(x)) = exp(x) exp(x)ᵀ."""
    fs = list(e.factors)
    for i in range(len(fs) - 1):
        a, b = fs[i], fs[i + 1]
        if a.shape[0] == 1 and isinstance(b, Diag):
            return mm(*fs[:i], tp(had(b.v, tp(a))), *fs[i + 2:])
        if isinstance(a, Diag) and b.shape[1] == 1:
            return mm(*fs[:i], had(a.v, b), *fs[i + 2:])
    return None
