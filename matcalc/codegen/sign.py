"""What code generation knows about signs: expressions whose entries are all ≥ 0.

A product ``Aᵀ Diag(d) A`` with ``d ≥ 0`` is the Gram matrix ``(√d A)ᵀ(√d A)``, which NumPy
computes with the symmetric kernel (SYRK, half the flops of a general matmul). The lowering
asks :func:`nonnegative` about ``d``; the answer is structural and conservative (False when
unsure), so a rewrite that needs ``d ≥ 0`` never applies to a value that might be negative.
"""

from __future__ import annotations

import sympy

from ..expr.nodes import (
    Add,
    Apply,
    Diag,
    Expr,
    Hadamard,
    Identity,
    Let,
    Number,
    Ones,
    Power,
    Scale,
    Transpose,
    Vec,
    Zero,
)

__all__ = ["nonnegative"]

# f(x) ≥ 0 for every real x: exp, σ, softplus, relu, |x|, step (and the derivatives of
# order ≥ 1 that stay nonnegative: exp⁽ᵏ⁾ = exp, softplus′ = σ; σ′ = σ(1 − σ) is expanded by
# the rules into a product the Hadamard case below recognizes)
_NONNEGATIVE_FNS = {"exp", "sigmoid", "softplus", "relu", "abs", "step", "sqrt"}
# |f(x)| ≤ 1 for every real x
_BOUNDED_FNS = {"sigmoid", "step", "tanh", "sin", "cos", "sign"}


def nonnegative(e: Expr) -> bool:
    """Whether every entry of ``e`` is ≥ 0 for every value of its symbols (NaN aside).

    Known: ones, nonnegative numbers, exp/σ/softplus/relu/abs/step/sqrt, even powers and
    powers of nonnegative values, products and sums of nonnegative values, nonnegative
    multiples, and ``1 − f`` for f in [0, 1] (``1 − σ(x)``, ``1 − tanh(x)²``).
    """
    match e:
        case Ones() | Zero() | Identity():
            return True
        case Number(value=v):
            return bool(sympy.sympify(v).is_nonnegative)
        case Apply(fn=fn, x=_, order=order):
            return fn in _NONNEGATIVE_FNS and (order == 0 or fn in ("exp", "softplus"))
        case Power(x=x, k=k):
            k = sympy.sympify(k)
            return bool((k.is_integer and k.is_even) or nonnegative(x))
        case Hadamard(factors=fs):  # each factor of unknown sign an even number of times
            unknown = [f for f in fs if not nonnegative(f)]
            return all(unknown.count(f) % 2 == 0 for f in unknown)
        case Scale(coef=c, x=x):
            return bool(sympy.sympify(c).is_nonnegative) and nonnegative(x)
        case Add(terms=ts):
            return all(nonnegative(t) for t in ts) or _one_minus_unit(ts)
        case Transpose(x=x) | Vec(x=x) | Diag(v=x) | Let(expr=x):
            return nonnegative(x)
    return False


def _in_unit_interval(e: Expr) -> bool:
    """Whether every entry of ``e`` lies in [0, 1]: ≥ 0 and at most 1 in size."""
    return nonnegative(e) and _at_most_one(e)


def _at_most_one(e: Expr) -> bool:
    """Whether every entry of ``e`` is at most 1 in absolute value."""
    match e:
        case Apply(fn=fn, order=0):
            return fn in _BOUNDED_FNS
        case Power(x=x, k=k):
            return bool(sympy.sympify(k).is_positive) and _at_most_one(x)
        case Hadamard(factors=fs):
            return all(_at_most_one(f) for f in fs)
        case Ones():
            return True
        case Transpose(x=x) | Vec(x=x) | Let(expr=x):
            return _at_most_one(x)
    return False


def _one_minus_unit(terms: tuple[Expr, ...]) -> bool:
    """``1 − f`` with f in [0, 1] (the terms of an Add)."""
    if len(terms) != 2:
        return False
    one, other = terms
    if not isinstance(one, Ones) and not (isinstance(one, Number) and one.value == 1):
        one, other = other, one
    is_one = isinstance(one, Ones) or (isinstance(one, Number) and one.value == 1)
    return (is_one and isinstance(other, Scale) and sympy.sympify(other.coef) == -1
            and _in_unit_interval(other.x))
