"""Simplifier rules that use declared structure and the facts of :mod:`matcalc.expr.structure`.

Kept apart from :mod:`matcalc.calculus.simplifier` (which owns the general rules): these
fire only where a matrix is known symmetric, SPD or diagonal, or where transposes meet the
diagonal. Importing :mod:`matcalc.calculus` registers them.
"""

from __future__ import annotations

from ..expr.nodes import Apply, Det, DiagPart, Expr, LogDet, Transpose
from ..expr.ops import diag_part
from ..expr.structure import is_spd
from .simplifier import rule

__all__: list[str] = []


@rule(DiagPart, name="diag(Xᵀ) = diag(X)")
def _(e: DiagPart) -> Expr | None:
    return diag_part(e.x.x) if isinstance(e.x, Transpose) else None


@rule(Apply, name="log det S = logdet S for SPD S (det S > 0)")
def _(e: Apply) -> Expr | None:
    """For SPD S, det S > 0, so log det S = log|det S| (Cookbook §9.6.1)."""
    if e.fn == "log" and e.order == 0 and isinstance(e.x, Det) and is_spd(e.x.x):
        return LogDet(e.x.x)
    if e.fn == "abs" and e.order == 0 and isinstance(e.x, Det) and is_spd(e.x.x):
        return e.x
    return None
