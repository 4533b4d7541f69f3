"""SymPy forms of softmax and logsumexp, registered into :mod:`sympy_bridge`'s table.

A module of its own so the bridge stays small; :mod:`matcalc.check` imports it, so the
rules are in the table whenever any check runs.
"""

from __future__ import annotations

import sympy

from ..expr.nodes import LogSumExp, Softmax
from .sympy_bridge import _Ctx, _rule

__all__: list[str] = []


def _exp_sums(x: sympy.ImmutableMatrix, axis: int | None) -> sympy.ImmutableMatrix:
    """Σ exp(x) over all entries (1×1), each column (1×n) or each row (m×1)."""
    ex = x.applyfunc(sympy.exp)
    if axis is None:
        return sympy.ImmutableMatrix([[sympy.Add(*ex)]])
    if axis == 0:
        return sympy.ImmutableMatrix([[sympy.Add(*ex[:, j])] for j in range(x.cols)]).T
    return sympy.ImmutableMatrix([[sympy.Add(*ex[i, :])] for i in range(x.rows)])


@_rule.register
def _(e: LogSumExp, cx: _Ctx) -> sympy.ImmutableMatrix:
    """logsumexp(Z) = log Σ exp(z_ij) along the axis."""
    return _exp_sums(cx.conv(e.x), e.axis).applyfunc(sympy.log)


@_rule.register
def _(e: Softmax, cx: _Ctx) -> sympy.ImmutableMatrix:
    """softmax(Z)_ij = exp(z_ij) / Σ exp along the axis."""
    x = cx.conv(e.x)
    s = _exp_sums(x, e.axis)
    return sympy.ImmutableMatrix(x.rows, x.cols, lambda i, j: sympy.exp(x[i, j]) / s[
        0 if e.axis in (None, 0) else i, 0 if e.axis in (None, 1) else j])
