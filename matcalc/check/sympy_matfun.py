"""SymPy and NumPy reference rules of the matrix functions (matrix powers), kept apart from
:mod:`matcalc.check.sympy_bridge` and :mod:`matcalc.check.numeric`, which own the rest.

Importing :mod:`matcalc.check` registers them in both tables.
"""

from __future__ import annotations

import numpy as np
import sympy

from ..expr.nodes import MatrixPower
from .numeric import Array, _ev, _Interp
from .sympy_bridge import _Ctx, _rule

__all__: list[str] = []


def _int_power(k: object, where: str) -> int:
    if not (isinstance(k, sympy.Integer) or (isinstance(k, sympy.Expr) and k.is_Integer)):
        raise ValueError(f"{where}: the power {k} needs a value for its dim")
    return int(k)


@_rule.register
def _(e: MatrixPower, cx: _Ctx) -> sympy.ImmutableMatrix:
    """Xᵏ as SymPy's matrix power, k at its concrete value."""
    return sympy.ImmutableMatrix(cx.conv(e.x) ** _int_power(cx.c(e.k), "to_sympy"))


@_ev.register
def _(e: MatrixPower, it: _Interp) -> Array:
    k = it.c(e.k)
    if not float(k).is_integer():
        raise ValueError(f"evaluate: the power {e.k} is {k}, not an integer")
    return np.linalg.matrix_power(it.ev(e.x), int(k))
