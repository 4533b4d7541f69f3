"""Argument checks for the public functions: one wording for a wrong argument type.

Every public function that is handed a value of the wrong type raises a ``TypeError`` that
names the function, the argument and what was passed, in one form::

    mc.jacobian: argument 'x' must be a matcalc symbol or a list or tuple of them, got ...

rather than an ``AttributeError`` or an unrelated message from deep inside. The checks
here know only the expression nodes; :func:`matcalc.expr.build.as_expr` (expressions and
numbers) and :func:`matcalc.expr.dims.as_dim` give the same message through
:func:`matcalc.expr.errors.type_error`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import type_error
from .nodes import Expr, Symbol

__all__ = ["expect_expr_type", "expect_symbol", "expect_symbols",
           "expect_str", "expect_mapping"]


def expect_expr_type(value: Any, fn: str, arg: str) -> Expr:
    """``value`` if it is an expression (no numbers: see ``as_expr`` for those)."""
    if not isinstance(value, Expr):
        raise type_error(fn, arg, value, "a matcalc expression")
    return value


def expect_symbol(value: Any, fn: str, arg: str) -> Symbol:
    """``value`` if it is a symbol (a variable to differentiate by)."""
    if not isinstance(value, Symbol):
        what = "a matcalc symbol (mc.matrix, mc.vector, mc.scalar)"
        if isinstance(value, (list, tuple)):
            what = f"one matcalc symbol ({fn} takes one variable: call it once per variable)"
        raise type_error(fn, arg, value, what)
    return value


def expect_symbols(value: Any, fn: str, arg: str) -> tuple[tuple[Symbol, ...], bool]:
    """One symbol or a list/tuple of them: (the symbols, whether a sequence was given)."""
    if isinstance(value, Symbol):
        return (value,), False
    if isinstance(value, (list, tuple)):
        for i, x in enumerate(value):
            if not isinstance(x, Symbol):
                raise type_error(fn, f"{arg}[{i}]", x,
                                 "a matcalc symbol (mc.matrix, mc.vector, mc.scalar)")
        return tuple(value), True
    raise type_error(fn, arg, value, "a matcalc symbol or a list or tuple of them")


def expect_str(value: Any, fn: str, arg: str) -> str:
    if not isinstance(value, str):
        raise type_error(fn, arg, value, "a str")
    return value


def expect_mapping(value: Any, fn: str, arg: str, expected: str) -> Mapping[Any, Any]:
    if not isinstance(value, Mapping):
        raise type_error(fn, arg, value, expected)
    return value
