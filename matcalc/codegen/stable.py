"""Numerically stable lowerings: softmax and logsumexp, and the log/exp forms that overflow.

- ``logsumexp`` and ``softmax`` subtract the maximum along their axis before ``exp``
  (run-time helpers ``_logsumexp``/``_softmax``); a softmax whose logsumexp is computed
  anyway is ``exp(Z − logsumexp(Z))``, so the forward pass exponentiates once.
- ``log(1 + exp(z))`` is softplus(z), ``np.logaddexp(0, z)``; ``log(sigmoid(z))`` is
  ``-softplus(-z)``; ``log(1 + x)`` is ``np.log1p(x)``; ``exp(x) − 1`` is ``np.expm1(x)``.
  σ itself is already the stable ``_sigmoid`` of the runtime.

Every call goes through the lowerer (``lo.call``), so the array-API backend writes the
same stable forms with its namespace's functions.

These rules replace the plain ones of :mod:`matcalc.codegen.lower` (``Apply``) and
:mod:`matcalc.codegen.sums` (``Add``): a form that does not match falls through to the
plain rule unchanged.
"""

from __future__ import annotations

from ..expr.nodes import Add, Apply, Expr, LogSumExp, Number, Ones, Scale, Softmax
from . import sums  # noqa: F401 - registers the plain Add rule, which this module wraps
from .emit import ADD
from .lower import Lowerer, Val, densify, full, lower, lower_node

__all__ = ["stable_arg"]

_plain_apply = lower_node.registry[Apply]
_plain_add = lower_node.registry[Add]


def _axis(axis: int | None) -> str:
    return "None" if axis is None else str(axis)


@lower_node.register
def _logsumexp(e: LogSumExp, lo: Lowerer) -> Val:
    """log Σ exp(Z) = m + log Σ exp(Z − m), m the maximum along the axis."""
    x = full(lo, lower(e.x, lo))
    return lo.dense(lo.call(lo.helper("_logsumexp"), x, _axis(e.axis)), *e.shape)


@lower_node.register
def _softmax(e: Softmax, lo: Lowerer) -> Val:
    """softmax(Z) = exp(Z − m) / Σ exp(Z − m); = exp(Z − logsumexp(Z)) once that is known."""
    x = full(lo, lower(e.x, lo))
    lse = LogSumExp(e.x, e.axis)
    if lse in lo.memo:
        shifted = lo.binop("-", ADD, x, densify(lo, lo.memo[lse]).code)
        return lo.dense(lo.call("np.exp", shifted), *e.shape)
    return lo.dense(lo.call(lo.helper("_softmax"), x, _axis(e.axis)), *e.shape)


def _is_one(t: Expr) -> bool:
    return (isinstance(t, Ones)) or (isinstance(t, Number) and t.value == 1)


def stable_arg(e: Add) -> Expr | None:
    """x for a sum 1 + x (either order), else None."""
    if len(e.terms) != 2:
        return None
    a, b = e.terms
    if _is_one(a):
        return b
    if _is_one(b):
        return a
    return None


def _fn(e: Expr, name: str) -> bool:
    return isinstance(e, Apply) and e.fn == name and e.order == 0


@lower_node.register
def _apply(e: Apply, lo: Lowerer) -> Val:
    """log(1 + eᶻ) = softplus(z); log σ(z) = −softplus(−z); log(1 + x) = log1p(x)."""
    x = e.x
    if _fn(e, "log"):
        inner = stable_arg(x) if isinstance(x, Add) else None
        if inner is not None and _fn(inner, "exp"):
            return lower(Apply("softplus", inner.x), lo)
        if _fn(x, "sigmoid"):
            return lower(Scale(-1, Apply("softplus", Scale(-1, x.x))), lo)
        if inner is not None:
            return _elementwise(lo, e, inner, "np.log1p")
    return _plain_apply(e, lo)


@lower_node.register
def _add(e: Add, lo: Lowerer) -> Val:
    """eˣ − 1 = expm1(x), accurate for small x."""
    if len(e.terms) == 2:
        a, b = e.terms
        if isinstance(b, Apply) and not isinstance(a, Apply):
            a, b = b, a
        if _fn(a, "exp") and isinstance(b, Scale) and b.coef == -1 and _is_one(b.x):
            return _elementwise(lo, e, a.x, "np.expm1")
    return _plain_add(e, lo)


def _elementwise(lo: Lowerer, e: Expr, arg: Expr, fn: str) -> Val:
    v = densify(lo, lower(arg, lo))
    return Val("dense", *e.shape, lo.call(fn, v.code), v.br, v.bc)
