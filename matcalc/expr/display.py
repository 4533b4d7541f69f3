"""How expressions and derivations are shown: a table that :mod:`matcalc.printing` fills in.

Nodes and derivations are data. They do not import the printers, because the printers
depend on them. ``Expr.__str__``, ``Expr._repr_latex_`` and the ``Derivation`` methods look
their printer up here by kind; :mod:`matcalc.printing` registers every kind when it is
imported, and ``import matcalc`` imports it with the rest of the public API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .deep import deep

__all__ = ["register", "show", "is_registered"]

_PRINTERS: dict[str, Callable[..., str]] = {}


def register(kind: str, printer: Callable[..., str]) -> None:
    """Make ``printer`` the one used for ``kind`` (``"text"``, ``"latex"``, ...)."""
    _PRINTERS[kind] = printer


def is_registered(kind: str) -> bool:
    return kind in _PRINTERS


@deep
def show(kind: str, obj: Any, *args: Any) -> str:
    """``obj`` printed by the printer registered for ``kind``.

    Without the printing package (a module of :mod:`matcalc.expr` imported on its own), an
    expression still prints, as its node type and shape, so error messages never fail.
    """
    printer = _PRINTERS.get(kind)
    if printer is not None:
        return printer(obj, *args)
    if kind == "text" and hasattr(obj, "shape"):
        rows, cols = obj.shape
        name = getattr(obj, "name", None)
        return name if isinstance(name, str) else f"<{type(obj).__name__} {rows}×{cols}>"
    raise RuntimeError(f"no {kind} printer is registered: import matcalc (or matcalc.printing)")
