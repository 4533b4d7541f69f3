"""Test utilities: random well-typed expressions and differential-testing properties.

This package imports ``hypothesis`` at the top. Only the tests and
``scripts/long_fuzz.py`` import it (``import matcalc`` never does), so hypothesis stays a
test-only dependency. :mod:`.generate` makes the expressions (hypothesis strategies, or a
seeded ``random.Random`` for the long run); :mod:`.properties` checks them.
"""

from __future__ import annotations

from .generate import (
    GENERIC_NAME,
    NODE_COVERAGE,
    Case,
    DrawSource,
    ExprGen,
    RandomSource,
    Source,
    cases,
    dim_values,
    exprs,
    generic_functions,
    matrix_cases,
    node_types,
    random_case,
    scalar_cases,
)
from .properties import (
    Skip,
    Undecided,
    latex_failures,
    prop_compile,
    prop_directional,
    prop_grad_fd,
    prop_grad_sympy,
    prop_jacobian_fd,
    prop_parse,
    prop_simplify,
    text_uncovered,
    time_limit,
)

__all__ = [
    "GENERIC_NAME", "NODE_COVERAGE", "Case", "DrawSource", "ExprGen", "RandomSource", "Source",
    "cases", "dim_values", "exprs", "generic_functions", "matrix_cases", "node_types",
    "random_case", "scalar_cases", "Skip", "Undecided", "latex_failures", "prop_compile",
    "prop_directional", "prop_grad_fd", "prop_grad_sympy", "prop_jacobian_fd", "prop_parse",
    "prop_simplify", "text_uncovered", "time_limit",
]
