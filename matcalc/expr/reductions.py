"""Reductions along an axis and the softmax family normalized along one.

Owns ``sum`` and ``mean`` (all entries, each column or each row), ``logsumexp``, ``softmax``
and ``log_softmax``, each with NumPy's and SciPy's ``axis``: None for all entries, 0 for each
column, 1 for each row. The column and row sums are products with ones vectors, as
broadcasting is. The axis checks stay in :mod:`matcalc.expr.build`, whose ``/`` reads exp(Z)
over its own sums as the softmax.
"""

from __future__ import annotations

from typing import Any

from .build import _div, _matmul, _softmax_axis, _sub, as_expr, check_axis
from .dims import ONE
from .nodes import Expr, LogSumExp, Ones, Softmax, Sum

__all__ = ["sum", "mean", "softmax", "log_softmax", "logsumexp"]


def sum(x: Any, axis: Any = None) -> Expr:  # noqa: A001 - the API's name
    """The sum of all entries (1×1), of each column (``axis=0``: 1ᵀX, 1×n) or of each row
    (``axis=1``: X1, m×1).

    The column and row sums are products with a ones vector, as broadcasting is, so
    derivations show the ones vector and the adjoint rules need nothing new.
    """
    axis = check_axis(axis, "sum")
    x = as_expr(x, "mc.sum")
    r, c = x.shape
    if axis is None:
        return Sum(x)
    if axis == 0:
        return x if r == 1 else _matmul(Ones(ONE, r), x)
    return x if c == 1 else _matmul(x, Ones(c, ONE))


def mean(x: Any, axis: Any = None) -> Expr:
    """The mean of all entries (1×1), of each column (``axis=0``, 1×n) or of each row
    (``axis=1``, m×1): :func:`sum` along the axis divided by the count."""
    axis = check_axis(axis, "mean")
    x = as_expr(x, "mc.mean")
    r, c = x.shape
    count = r * c if axis is None else (r if axis == 0 else c)
    return sum(x, axis) if count == 1 else _div(sum(x, axis), count)


def softmax(x: Any, axis: Any = None) -> Expr:
    """``exp(Z) / Σ exp(Z)``, normalized as SciPy's ``softmax``: over all entries
    (``axis=None``; a vector: its entries), each column (``axis=0``) or each row
    (``axis=1``). Shaped like Z."""
    x = as_expr(x, "mc.softmax")
    return Softmax(x, _softmax_axis(x, axis, "softmax"))


def logsumexp(x: Any, axis: Any = None) -> Expr:
    """``log Σ exp(Z)`` as SciPy's ``logsumexp``: 1×1 over all entries (``axis=None``),
    1×n over each column (``axis=0``), m×1 over each row (``axis=1``)."""
    axis = check_axis(axis, "logsumexp")
    x = as_expr(x, "mc.logsumexp")
    r, c = x.shape
    if (r == 1 and c == 1) or (axis is not None and (r, c)[axis] == 1):
        return x  # over a single entry: log exp z = z
    if axis is not None and (r, c)[1 - axis] == 1:
        axis = None  # a vector along its length: all of its entries
    return LogSumExp(x, axis)


def log_softmax(x: Any, axis: Any = None) -> Expr:
    """``Z − logsumexp(Z)`` broadcast back along the axis (SciPy's ``log_softmax``): a
    named composition, so its derivative goes through logsumexp's, p = softmax(Z)."""
    x = as_expr(x, "mc.log_softmax")
    axis = _softmax_axis(x, axis, "log_softmax")
    return _sub(x, LogSumExp(x, axis))
