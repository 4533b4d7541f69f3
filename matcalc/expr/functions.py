"""The elementwise functions: one row per function with its derivative, NumPy and SymPy forms.

Each row says, side by side, how the function differentiates (as a matcalc expression of
its argument), how it lowers to NumPy source and how it maps to SymPy for exact checks.
Generic functions declared with ``mc.elementwise`` have symbolic derivatives σ′, σ″, ...
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sympy

from .nodes import Add, Apply, Expr, Hadamard, Ones, Power, Scale, Zero

__all__ = ["FunctionSpec", "FUNCTIONS", "GENERIC", "derivative", "is_generic"]


@dataclass(frozen=True)
class FunctionSpec:
    """How one elementwise function differentiates, lowers and maps to SymPy."""

    name: str
    deriv: Callable[[Expr], Expr]  # f'(x) as an expression in x (same shape)
    numpy: str  # NumPy source template, ``{0}`` is the argument
    sympy: Callable[[sympy.Expr], sympy.Expr]
    latex: str  # LaTeX name, e.g. ``\tanh``


def _ones_like(x: Expr) -> Expr:
    return Ones(*x.shape)


def _zero_like(x: Expr) -> Expr:
    return Zero(*x.shape)


class step(sympy.Function):  # noqa: N801 - SymPy prints a function by its class name
    """Heaviside step with step(0) = 0; its derivative is taken as 0 (almost everywhere)."""

    @classmethod
    def eval(cls, x):  # noqa: ANN001, ANN206
        if x.is_number:
            return sympy.Integer(1) if x > 0 else sympy.Integer(0)
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sympy.Integer(0)


class relu(sympy.Function):  # noqa: N801 - SymPy prints a function by its class name
    """max(x, 0) with relu′ = step (the convention of every deep-learning framework)."""

    @classmethod
    def eval(cls, x):  # noqa: ANN001, ANN206
        if x.is_number:
            return sympy.Max(x, 0)
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return step(self.args[0])


class _Sign(sympy.Function):
    """sign(x) with derivative 0 (almost everywhere)."""

    @classmethod
    def eval(cls, x):  # noqa: ANN001, ANN206
        if x.is_number:
            return sympy.sign(x)
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return sympy.Integer(0)


class _Abs(sympy.Function):
    """|x| with abs′ = sign."""

    @classmethod
    def eval(cls, x):  # noqa: ANN001, ANN206
        if x.is_number:
            return sympy.Abs(x)
        return None

    def fdiff(self, argindex: int = 1) -> sympy.Expr:
        return _Sign(self.args[0])


def _fn(name: str, x: Expr) -> Expr:
    return Apply(name, x)


def _sigmoid_deriv(x: Expr) -> Expr:
    s = Apply("sigmoid", x)
    return Hadamard((s, Add((_ones_like(x), Scale(-1, s)))))


FUNCTIONS: dict[str, FunctionSpec] = {
    spec.name: spec
    for spec in [
        # relu′ = step (Heaviside with step(0) = 0)
        FunctionSpec("relu", lambda x: _fn("step", x), "np.maximum({0}, 0)", relu,
                     r"\operatorname{relu}"),
        FunctionSpec("step", _zero_like, "np.heaviside({0}, 0)", step,
                     r"\operatorname{step}"),
        FunctionSpec("sign", _zero_like, "np.sign({0})", _Sign, r"\operatorname{sign}"),
        FunctionSpec("exp", lambda x: _fn("exp", x), "np.exp({0})", sympy.exp, r"\exp"),
        FunctionSpec("log", lambda x: Power(x, -1), "np.log({0})", sympy.log, r"\log"),
        # tanh′ = 1 − tanh²
        FunctionSpec("tanh", lambda x: Add((_ones_like(x), Scale(-1, Power(_fn("tanh", x), 2)))),
                     "np.tanh({0})", sympy.tanh, r"\tanh"),
        # σ′ = σ ⊙ (1 − σ)
        FunctionSpec("sigmoid", _sigmoid_deriv, "_sigmoid({0})",
                     lambda a: 1 / (1 + sympy.exp(-a)), r"\operatorname{sigmoid}"),
        # softplus(x) = log(1 + eˣ), softplus′ = sigmoid
        FunctionSpec("softplus", lambda x: _fn("sigmoid", x), "np.logaddexp(0, {0})",
                     lambda a: sympy.log(1 + sympy.exp(a)), r"\operatorname{softplus}"),
        FunctionSpec("sin", lambda x: _fn("cos", x), "np.sin({0})", sympy.sin, r"\sin"),
        FunctionSpec("cos", lambda x: Scale(-1, _fn("sin", x)), "np.cos({0})", sympy.cos, r"\cos"),
        # tan′ = 1 + tan²
        FunctionSpec("tan", lambda x: Add((_ones_like(x), Power(_fn("tan", x), 2))),
                     "np.tan({0})", sympy.tan, r"\tan"),
        FunctionSpec("arcsin", lambda x: Power(Add((_ones_like(x), Scale(-1, Power(x, 2)))),
                                               sympy.Rational(-1, 2)),
                     "np.arcsin({0})", sympy.asin, r"\arcsin"),
        FunctionSpec("arccos",
                     lambda x: Scale(-1, Power(Add((_ones_like(x), Scale(-1, Power(x, 2)))),
                                               sympy.Rational(-1, 2))),
                     "np.arccos({0})", sympy.acos, r"\arccos"),
        FunctionSpec("arctan", lambda x: Power(Add((_ones_like(x), Power(x, 2))), -1),
                     "np.arctan({0})", sympy.atan, r"\arctan"),
        # abs′ = sign
        FunctionSpec("abs", lambda x: _fn("sign", x), "np.abs({0})", _Abs,
                     r"\operatorname{abs}"),
        # sqrt′ = ½ x^(−½)
        FunctionSpec("sqrt", lambda x: Scale(sympy.Rational(1, 2), Power(x, sympy.Rational(-1, 2))),
                     "np.sqrt({0})", sympy.sqrt, r"\operatorname{sqrt}"),
    ]
}

GENERIC: dict[str, Any] = {}  # name → the user's ElementwiseFunction (matcalc.expr.build)


def is_generic(name: str) -> bool:
    return name not in FUNCTIONS


def derivative(e: Apply) -> Expr:
    """f′(x) for ``e = f(x)``; a generic σ of order k gives σ of order k + 1."""
    spec = FUNCTIONS.get(e.fn)
    if spec is None:
        return Apply(e.fn, e.x, e.order + 1)
    return spec.deriv(e.x)
