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
from .nodes import Expr, Symbol

__version__ = "0.1.0"
