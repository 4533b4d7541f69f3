"""exp(Z) divided by its own sums is recognized as softmax(Z) where the quotient is built.

Written out, ``exp(x)/sum(exp(x))`` or the attention weights ``exp(Q Kᵀ) ./ (exp(Q Kᵀ) 𝟏 𝟏ᵀ)``
differentiate to the quotient rule's long forms and overflow in compiled code once the
exponent passes about 709. As a :class:`~matcalc.expr.nodes.Softmax` they differentiate
to the textbook's Diag(p) − p pᵀ and P ⊙ (G − (P ⊙ G) 𝟏 𝟏ᵀ), print with the name p (P),
and compile with the maximum subtracted first.
"""

from __future__ import annotations

from .nodes import Apply, Expr, MatMul, Ones, Sum

__all__ = ["softmax_of_quotient"]


def _factors(e: Expr) -> list[Expr]:
    """The factors of a (possibly nested) matrix product, left to right."""
    if not isinstance(e, MatMul):
        return [e]
    out: list[Expr] = []
    for f in e.factors:
        out += _factors(f)
    return out


def _ones(e: Expr, rows: object, cols: object) -> bool:
    return isinstance(e, Ones) and e.shape == (rows, cols)


def softmax_of_quotient(num: Expr, den: Expr) -> tuple[Expr, int | None] | None:
    """(Z, axis) when ``num / den`` is softmax(Z) over all entries (axis None), each column
    (0) or each row (1): num is exp(Z), den its sum, or its column or row sums broadcast
    (𝟏 𝟏ᵀ exp(Z), exp(Z) 𝟏 𝟏ᵀ, as ``mc.sum(·, axis)`` and ``matrix(1)`` build them)."""
    if not (isinstance(num, Apply) and num.fn == "exp" and num.order == 0):
        return None
    if isinstance(den, Sum) and den.x == num:
        return num.x, None
    if den.shape != num.shape:
        return None
    m, n = num.shape
    fs = _factors(den)
    if fs[0] == num and len(fs) in (2, 3):
        right = fs[1:]
        if (len(right) == 1 and _ones(right[0], n, n)) or (
                len(right) == 2 and _ones(right[0], n, 1) and _ones(right[1], 1, n)):
            return num.x, 1
    if fs[-1] == num and len(fs) in (2, 3):
        left = fs[:-1]
        if (len(left) == 1 and _ones(left[0], m, m)) or (
                len(left) == 2 and _ones(left[0], m, 1) and _ones(left[1], 1, m)):
            return num.x, 0
    return None
