"""Error types raised by matcalc: all are ``ValueError`` subclasses."""

from __future__ import annotations

__all__ = ["ShapeError", "ParseError", "DepthError"]


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
