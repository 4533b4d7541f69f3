"""Generic traversal of expression trees: rebuilding, walks, substitution, depth.

Every walk here is a loop, not a recursion, so trees of any depth are walked (what
:mod:`matcalc.expr.deep` relies on for the rules that do recurse).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from .nodes import Delta, Expr, Let, children, field_names

__all__ = ["map_children", "walk", "replace", "depth"]


def map_children(e: Expr, fn: Callable[[Expr], Expr]) -> Expr:
    """Rebuild ``e`` with ``fn`` applied to each direct sub-expression (``e`` if unchanged)."""
    if isinstance(e, Delta):
        return e
    changed = False
    values: dict[str, Any] = {}
    for n in field_names(type(e)):
        v = getattr(e, n)
        if isinstance(v, Expr):
            nv = fn(v)
            changed |= nv is not v
            values[n] = nv
        elif isinstance(v, tuple) and v and isinstance(v[0], Expr):
            nt = tuple(fn(x) for x in v)
            changed |= any(a is not b for a, b in zip(nt, v))
            values[n] = nt
        else:
            values[n] = v
    return type(e)(**values) if changed else e


def walk(e: Expr) -> Iterator[Expr]:
    """Every distinct node of the DAG under ``e``, children before parents."""
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            yield node
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for c in reversed(children(node)):
            if id(c) not in seen:
                stack.append((c, False))


def replace(e: Expr, table: Mapping[Expr, Expr]) -> Expr:
    """``e`` with every sub-expression found in ``table`` replaced by its value.

    Named intermediates are atoms: a :class:`Let` is neither replaced nor entered, so its
    definition stays as the user wrote it. Iterative, so any depth works.
    """
    if not table:
        return e
    memo: dict[Expr, Expr] = {}
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        node, ready = stack.pop()
        if node in memo:
            continue
        hit = node if isinstance(node, Let) else table.get(node)
        if hit is not None:
            memo[node] = hit
        elif ready:
            memo[node] = map_children(node, memo.__getitem__)
        else:
            stack.append((node, True))
            stack.extend((c, False) for c in children(node) if c not in memo)
    return memo[e]


def depth(e: Expr) -> int:
    """The height of ``e`` as a tree (a leaf is 1), known in O(1)."""
    return e._depth
