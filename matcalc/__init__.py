"""matcalc: matrix calculus by differentials, shown step by step, compiled to NumPy."""

from __future__ import annotations

from . import build as _build  # noqa: F401  (attaches the operators to Expr)
from .build import (
    Diag, abs, arccos, arcsin, arctan, cos, det, diag, exp, eye, frob, hadamard, inv, kron,
    let, log, logdet, matrix, norm, ones, relu, scalar, sigmoid, sign, sin, softplus, sqrt,
    step, sum, tan, tanh, tr, trace, vec, vector, zeros,
)
from .dims import Dim, dim, dims
from .errors import ParseError, ShapeError
from .functions import elementwise
from .latex import latex  # eager: the submodule of the same name would shadow a lazy export
from .nodes import Expr, Symbol

__version__ = "0.1.0"

# Names implemented in modules that load on first use (keeps `import matcalc` light and
# lets each module own its piece of the API).
_LAZY = {
    "grad": "calculus", "derive": "calculus", "jacobian": "calculus", "hessian": "calculus",
    "jvp": "calculus", "vjp": "calculus", "hvp": "calculus", "Derivation": "calculus",
    "commutation": "calculus", "simplify": "simplifier",
    "compile": "codegen",
    "to_sympy": "sympy_bridge", "check_grad": "sympy_bridge",
    "verify": "verify",
    "parse": "parse",
}


def __getattr__(name: str):  # noqa: ANN202
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'matcalc' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
