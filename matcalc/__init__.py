"""matcalc: matrix calculus by differentials, shown step by step, compiled to NumPy.

The pipeline, one subpackage a stage (each may import only those before it)::

    text ──► expr ──► calculus ──► printing
                          │    └──► codegen
                          └───────► check      (cli: all of them)

- :mod:`matcalc.expr`: dims, nodes, construction, errors;
- :mod:`matcalc.calculus`: differentials, rearrangement, vec Jacobians, simplification;
- :mod:`matcalc.printing`: text and LaTeX;
- :mod:`matcalc.codegen`: lowering to NumPy and ``compile``;
- :mod:`matcalc.check`: SymPy, the NumPy reference, finite differences, ``verify``;
- :mod:`matcalc.text`: the text parser; :mod:`matcalc.cli`: the command line.

The public names load on first use, so ``python -m matcalc --help`` starts without SymPy.
The first one loaded brings the printers with it, so every expression prints.
"""

import importlib as _importlib

__version__ = "0.1.0"

# Public name → the module that implements it.
_EXPORTS: dict[str, tuple[str, ...]] = {
    "matcalc.expr.dims": ("Dim", "dim", "dims"),
    "matcalc.expr.errors": ("DepthError", "ParseError", "ShapeError"),
    "matcalc.expr.nodes": ("Expr", "Symbol"),
    "matcalc.expr.build": (
        "Diag", "abs", "arccos", "arcsin", "arctan", "cos", "det", "diag", "exp", "eye",
        "frob", "hadamard", "inv", "kron", "let", "log", "logdet", "matrix", "norm", "ones",
        "relu", "scalar", "sigmoid", "sign", "sin", "softplus", "sqrt", "step", "tan",
        "tanh", "tr", "trace", "vec", "vector", "zeros", "elementwise", "symmetric", "spd",
        "diagonal", "matrix_power",
    ),
    "matcalc.expr.reductions": ("sum", "mean", "softmax", "log_softmax", "logsumexp"),
    "matcalc.expr.spectral": ("expm", "logm", "sqrtm", "eigvalsh"),
    "matcalc.printing.tex": ("latex",),
    "matcalc.calculus.api": (
        "grad", "derive", "jacobian", "hessian", "jvp", "vjp", "hvp", "Derivation",
        "commutation",
    ),
    "matcalc.calculus.simplifier": ("simplify",),
    "matcalc.codegen.compiler": ("compile",),
    "matcalc.optimize": ("minimize",),
    "matcalc.check.sympy_bridge": ("to_sympy",),
    "matcalc.check.sympy_exact": ("check_grad",),
    "matcalc.check.verifier": ("verify",),
    "matcalc.text.parser": ("parse", "unparse"),
}
_WHERE = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> object:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'matcalc' has no attribute {name!r}")
    _importlib.import_module("matcalc.printing")  # registers the printers
    value = getattr(_importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return [*__all__, "__version__"]
