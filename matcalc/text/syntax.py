"""The syntax tree of the text front-end: what the parser builds and the shape pass reads;
and the spellings it forgives (aliases, ``lambda``, near misses of function names)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["Node", "ALIASES", "RENAMED", "did_you_mean"]

# What people type for a function the text spells otherwise. ``norm`` is ``norm2``, as
# ``mc.norm``: the 2-norm of a vector and the Frobenius norm of a matrix (not MATLAB's
# spectral norm(A)).
ALIASES: dict[str, str] = {"trace": "tr", "norm": "norm2"}
# ``lambda`` is a Python keyword, so no symbol can carry it: the text reads it as ``lam``,
# the name that prints as λ.
RENAMED = {"lambda": "lam"}


def did_you_mean(name: str, known: Iterable[str]) -> str:
    """``"did you mean 'exp'? "`` for a near miss of a known name (difflib), else ``""``."""
    near = difflib.get_close_matches(name, [*known, *ALIASES], n=3, cutoff=0.6)
    return f"did you mean {' or '.join(map(repr, near))}? " if near else ""


@dataclass(eq=False)
class Node:
    """One node of the syntax tree; ``start:end`` is its span in the text."""

    op: str  # "num" "name" "eye" "ones" "neg" "'" "call" "let" or a binary operator
    args: tuple[Node, ...]
    start: int
    end: int
    value: Any = None  # the number, the name, the function name, the ones kind
