"""Error types raised by matcalc (all are ``ValueError`` subclasses), and the one wording
of a wrong argument type (:func:`type_error`), used by every public function."""

from __future__ import annotations

from typing import Any

__all__ = ["ShapeError", "ParseError", "DepthError", "describe", "type_error"]


def describe(value: Any) -> str:
    """``'a' (str)``: a short form of a wrong value and its type, as messages show it."""
    if type(value).__name__ == "ndarray":
        return f"an array of shape {value.shape} (ndarray)"
    text = repr(value) if type(value).__module__.split(".")[0] != "matcalc" else str(value)
    text = " ".join(text.split())
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{text} ({type(value).__name__})"


def type_error(fn: str, arg: str, value: Any, expected: str) -> TypeError:
    """The TypeError for ``value`` passed as argument ``arg`` of ``fn`` (``mc.grad``)::

        mc.grad: argument 'x' must be a matcalc symbol ..., got 'w' (str)
    """
    return TypeError(f"{fn}: argument {arg!r} must be {expected}, got {describe(value)}")


class ShapeError(ValueError):
    """Operands whose shapes do not fit the operator (names operands, shapes and operator)."""


class ParseError(ValueError):
    """Malformed expression text; the message marks the offending position with a caret.

    Attributes
    ----------
    text : str
        The text that was being parsed.
    position : int
        Zero-based offset of the offending character.
    """

    def __init__(self, message: str, text: str = "", position: int = 0) -> None:
        self.text = text
        self.position = position
        if text:
            message = f"{message}\n  {text}\n  {' ' * position}^"
        super().__init__(message)


class DepthError(ValueError):
    """An expression nested deeper than matcalc works (``matcalc.expr.deep.MAX_DEPTH``)."""
