"""The syntax tree of the text front-end: what the parser builds and the shape pass reads."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Node"]


@dataclass(eq=False)
class Node:
    """One node of the syntax tree; ``start:end`` is its span in the text."""

    op: str  # "num" "name" "eye" "ones" "neg" "'" "call" or a binary operator
    args: tuple[Node, ...]
    start: int
    end: int
    value: Any = None  # the number, the name, the function name, the ones kind
    depth: int = field(default=1)
