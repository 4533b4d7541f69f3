"""Symbolic dimensions: positive integers of unknown value, their products, and shapes.

A :class:`Dim` wraps a SymPy expression (a positive-integer ``Symbol``, an ``Integer`` or a
product of them), so ``m * n == n * m`` holds by SymPy's canonical ordering. A dim used
where a scalar is expected (``L / m``) becomes a constant scalar expression.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any, Union

import sympy

from .errors import type_error

__all__ = ["Dim", "dim", "dims", "as_dim", "DimLike", "check_name", "fmt_shape", "Shape"]

DimLike = Union["Dim", int]

# The node a dim becomes where a scalar is expected (``2 / n``). Nodes come after dims in
# the dependency order, so matcalc.expr.nodes fills this in when it is imported.
_SCALAR_NODE: list[Callable[[sympy.Expr], Any]] = []


def register_scalar_node(factory: Callable[[sympy.Expr], Any]) -> None:
    """Use ``factory(value)`` for a dim that stands where a scalar is expected."""
    _SCALAR_NODE[:] = [factory]


def check_name(name: Any, what: str = "symbol", fn: str = "matcalc", arg: str = "name") -> str:
    """Return ``name`` if it is a Python identifier that is not a keyword, else raise
    (a TypeError naming ``fn``'s argument ``arg`` when it is not a str at all)."""
    if not isinstance(name, str):
        raise type_error(fn, arg, name, f"a str (the {what} name)")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(
            f"invalid {what} name {name!r}: names must be Python identifiers that are not keywords"
        )
    if not name.isascii():
        raise ValueError(f"invalid {what} name {name!r}: names must be ASCII identifiers")
    return name


class Dim:
    """A dimension: a positive integer, possibly symbolic (``m``, ``m*n``, ``3``)."""

    __slots__ = ("expr",)

    def __init__(self, expr: sympy.Expr) -> None:
        object.__setattr__(self, "expr", expr)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("Dim is immutable")

    # --- identity -----------------------------------------------------------------
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Dim):
            return self.expr == other.expr
        if isinstance(other, int) and not isinstance(other, bool):
            return self.expr == sympy.Integer(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.expr)

    def __str__(self) -> str:
        return str(self.expr)

    def __repr__(self) -> str:
        return f"Dim({self.expr})"

    @property
    def is_number(self) -> bool:
        return bool(self.expr.is_Integer)

    def __int__(self) -> int:
        if not self.is_number:
            raise TypeError(f"dimension {self} is symbolic")
        return int(self.expr)

    @property
    def symbols(self) -> frozenset[sympy.Symbol]:
        return frozenset(self.expr.free_symbols)

    # --- dim arithmetic: products (and sums) of dims are dims -----------------------
    def __mul__(self, other: Any) -> Any:
        if isinstance(other, (Dim, int)) and not isinstance(other, bool):
            return Dim(self.expr * as_dim(other).expr)
        return NotImplemented

    __rmul__ = __mul__

    def __add__(self, other: Any) -> Any:
        if isinstance(other, (Dim, int)) and not isinstance(other, bool):
            return Dim(self.expr + as_dim(other).expr)
        return NotImplemented

    __radd__ = __add__

    # --- a dim where a scalar is expected: a constant scalar expression --------------
    def _scalar(self) -> Any:
        return _SCALAR_NODE[0](self.expr)

    def __truediv__(self, other: Any) -> Any:
        return self._scalar() / other

    def __rtruediv__(self, other: Any) -> Any:
        return other / self._scalar()

    def __sub__(self, other: Any) -> Any:
        return self._scalar() - other

    def __rsub__(self, other: Any) -> Any:
        return other - self._scalar()

    def __neg__(self) -> Any:
        return -self._scalar()

    def __pow__(self, k: Any) -> Any:
        return self._scalar() ** k


Shape = tuple[Dim, Dim]

ONE = Dim(sympy.Integer(1))


def as_dim(value: Any, fn: str = "matcalc", arg: str = "dim") -> Dim:
    """Coerce an ``int`` (>= 1), a name or a :class:`Dim` to a :class:`Dim`; anything else
    is a TypeError naming ``fn``'s argument ``arg``."""
    if isinstance(value, Dim):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise ValueError(f"dimension must be a positive integer, got {value}")
        return Dim(sympy.Integer(value))
    if isinstance(value, str):
        return _named_dim(value, fn, arg)
    raise type_error(fn, arg, value, "a dimension (mc.dim, a positive int or a dim name)")


def dim(name: str) -> Dim:
    """One symbolic dimension named ``name`` (a positive integer of unknown value)."""
    return _named_dim(name, "mc.dim", "name")


def _named_dim(name: str, fn: str, arg: str) -> Dim:
    check_name(name, "dimension", fn, arg)
    return Dim(sympy.Symbol(name, integer=True, positive=True))


def dims(names: str) -> tuple[Dim, ...]:
    """Symbolic dimensions from a space- or comma-separated string: ``mc.dims("m n p")``."""
    if not isinstance(names, str):
        raise type_error("mc.dims", "names", names,
                         'a str of space- or comma-separated names ("m n")')
    parts = names.replace(",", " ").split()
    if not parts:
        raise ValueError("mc.dims needs at least one name")
    return tuple(_named_dim(p, "mc.dims", "names") for p in parts)


def fmt_shape(shape: Shape) -> str:
    """``m×n`` text for a shape."""
    return "×".join(_fmt_dim(d) for d in shape)


def _fmt_dim(d: Dim) -> str:
    s = str(d.expr).replace("**", "^").replace("*", "·")
    return f"({s})" if "+" in s or " " in s else s
