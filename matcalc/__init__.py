"""matcalc: matrix calculus by differentials, shown step by step, compiled to NumPy."""

from __future__ import annotations

import sys as _sys
import types as _types

from . import build as _build  # noqa: F401  (attaches the operators to Expr)
from .build import (
    Diag,
    abs,
    arccos,
    arcsin,
    arctan,
    cos,
    det,
    diag,
    exp,
    eye,
    frob,
    hadamard,
    inv,
    kron,
    let,
    log,
    logdet,
    matrix,
    norm,
    ones,
    relu,
    scalar,
    sigmoid,
    sign,
    sin,
    softplus,
    sqrt,
    step,
    sum,
    tan,
    tanh,
    tr,
    trace,
    vec,
    vector,
    zeros,
)
from .dims import Dim, dim, dims
from .errors import ParseError, ShapeError
from .functions import elementwise
from .latex import latex  # eager: the submodule of the same name would shadow a lazy export
from .nodes import Expr, Symbol

__version__ = "0.1.0"

__all__ = [
    "Diag",
    "abs",
    "arccos",
    "arcsin",
    "arctan",
    "cos",
    "det",
    "diag",
    "exp",
    "eye",
    "frob",
    "hadamard",
    "inv",
    "kron",
    "let",
    "log",
    "logdet",
    "matrix",
    "norm",
    "ones",
    "relu",
    "scalar",
    "sigmoid",
    "sign",
    "sin",
    "softplus",
    "sqrt",
    "step",
    "sum",
    "tan",
    "tanh",
    "tr",
    "trace",
    "vec",
    "vector",
    "zeros",
    "Dim",
    "dim",
    "dims",
    "ParseError",
    "ShapeError",
    "elementwise",
    "latex",
    "Expr",
    "Symbol",
    # loaded on first use, see _LAZY:
    "grad",
    "derive",
    "jacobian",
    "hessian",
    "jvp",
    "vjp",
    "hvp",
    "Derivation",
    "commutation",
    "simplify",
    "compile",
    "to_sympy",
    "check_grad",
    "verify",
    "parse",
    "unparse",
]

# Names implemented in modules that load on first use (keeps `import matcalc` light and
# lets each module own its piece of the API).
_LAZY = {
    "grad": "calculus", "derive": "calculus", "jacobian": "calculus", "hessian": "calculus",
    "jvp": "calculus", "vjp": "calculus", "hvp": "calculus", "Derivation": "calculus",
    "commutation": "calculus", "simplify": "simplifier",
    "compile": "codegen",
    "to_sympy": "sympy_bridge", "check_grad": "sympy_bridge",
    "verify": "verify",
    "parse": "parse", "unparse": "parse",
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


_NAMED_LIKE_THEIR_FUNCTION = frozenset({"parse", "verify", "latex"})


class _Package(_types.ModuleType):
    """The package's module type. Importing a submodule binds it as an attribute of the
    package; where the submodule is named like the function it exports (``parse``,
    ``verify``, ``latex``), that would hide the function, so the function is kept."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, _types.ModuleType) and name in _NAMED_LIKE_THEIR_FUNCTION:
            value = getattr(value, name)
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package
