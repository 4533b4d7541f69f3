"""Shared factors named once: ``… where t₁ = X w + 𝟏 b``, as MatrixCalculus.org prints.

:func:`share` rewrites a group of results printed together (the gradients of one call, the
steps of a derivation) so that a subexpression occurring more than once gets a name of its
own, printed once in a ``where`` line. The user's own names (``mc.let``, or ``z = …;`` in
the text syntax) come first: they are kept as they are, and a generated name is never one
that reads like a name of the user's.

Occurrences are counted on the expression DAG: a node used by two different parents (or by
two results) is shared. A node used twice only because its one parent is, is not: it is
inside the parent's name already. Bookkeeping is one pass over the DAG, so long results
(a depth-50 chain) cost linear time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..expr.nodes import (
    Apply,
    Commutation,
    Delta,
    Expr,
    Identity,
    Let,
    Number,
    Ones,
    Power,
    Scale,
    Symbol,
    Transpose,
    Zero,
    children,
    map_children,
)

__all__ = ["NAMES", "Named", "share", "expand_lets", "check_names"]

#: The naming options every printer takes.
NAMES = ("auto", "lets", "none")

_ATOMS = (Symbol, Let, Number, Ones, Identity, Zero, Delta, Commutation)
_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
# Letters for generated names, in order of preference; the first that no user name
# resembles is taken.
_LETTERS = "tuvspqrabc"
# A shared subexpression of fewer nodes than this reads as fast as its name would: Xᵀ,
# 2 x, xᵀ x, yhat - y stay as they are.
_MIN_NODES = 4


@dataclass(frozen=True)
class Named:
    """Results with shared factors named: ``exprs`` to print, then ``lets`` as ``where`` lines.

    ``lets`` lists every name the results use, each after the names its definition uses.
    """

    exprs: list[Expr]
    lets: list[Let]
    generated: tuple[Let, ...] = ()

    def where(self) -> list[Let]:
        """The names to list: the user's first (as they wrote them), then the generated."""
        made = set(self.generated)
        return [z for z in self.lets if z not in made] + [z for z in self.lets if z in made]


def check_names(names: str) -> str:
    """``names`` if it is one of :data:`NAMES`, else a ``ValueError`` saying what is allowed."""
    if names not in NAMES:
        raise ValueError(f"names={names!r}: expected one of {', '.join(map(repr, NAMES))}")
    return names


def expand_lets(e: Expr) -> Expr:
    """``e`` with every named intermediate replaced by its definition (``names="none"``)."""
    memo: dict[int, Expr] = {}

    def go(node: Expr) -> Expr:
        hit = memo.get(id(node))
        if hit is None:
            # iterative over the children first, so deep chains do not recurse deeply
            stack = [node]
            while stack:
                top = stack[-1]
                inner = top.expr if isinstance(top, Let) else None
                pending = [c for c in ([inner] if inner is not None else children(top))
                           if id(c) not in memo]
                if pending:
                    stack.extend(pending)
                    continue
                stack.pop()
                if id(top) in memo:
                    continue
                if isinstance(top, Let):
                    memo[id(top)] = memo[id(top.expr)]
                else:
                    memo[id(top)] = map_children(top, lambda c: memo[id(c)])
            hit = memo[id(node)]
        return hit

    return go(e)


def _user_names(roots: Iterable[Expr]) -> set[str]:
    names: set[str] = set()
    for e in roots:
        for s in e.free_symbols:
            names.add(s.name)
            names.update(str(d) for d in s.shape)
        names.update(z.name for z in _lets_in(e))
    return names


def _letter(taken: set[str]) -> str:
    """The first letter that no user name resembles (t, t1, t_1, t₁, t_k...)."""
    for letter in _LETTERS:
        pattern = re.compile(rf"^{letter}(_?\w*|[₀-₉]*)$")
        if not any(pattern.match(name) and name != letter * 2 for name in taken):
            return letter
    return "τ"  # every Latin candidate is taken: a Greek letter cannot be a user's identifier


def _lets_in(e: Expr) -> list[Let]:
    """The named intermediates under ``e`` (through definitions), each after those it uses."""
    order: list[Let] = []
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        node, done = stack.pop()
        if done:
            if isinstance(node, Let):
                order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        kids = (node.expr,) if isinstance(node, Let) else children(node)
        stack.extend((c, False) for c in reversed(kids))
    return order


def _post_order(roots: Sequence[Expr]) -> list[Expr]:
    """Distinct nodes under ``roots``, children first; a Let's child is its definition."""
    order: list[Expr] = []
    seen: set[Expr] = set()
    for root in roots:
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            node, done = stack.pop()
            if done:
                order.append(node)
                continue
            if node in seen:
                continue
            seen.add(node)
            stack.append((node, True))
            if isinstance(node, _ATOMS) and not isinstance(node, Let):
                continue
            stack.extend((c, False) for c in reversed(children(node)) if c not in seen)
    return order


def _uses(root: Expr) -> dict[Expr, int]:
    """How many parents each node under ``root`` has (a node twice in one parent: twice)."""
    uses: dict[Expr, int] = {root: 1}
    stack = [root]
    while stack:
        node = stack.pop()
        if isinstance(node, _ATOMS) and not isinstance(node, Let):
            continue
        for c in children(node):
            if c not in uses:
                uses[c] = 0
                stack.append(c)
            uses[c] += 1
    return uses


def _shared(exprs: Sequence[Expr], together: Sequence[bool]) -> set[Expr]:
    """Nodes used twice within one expression, or in two of those printed ``together``."""
    shared: set[Expr] = set()
    seen_in: dict[Expr, int] = {}
    for i, (e, group) in enumerate(zip(exprs, together)):
        for node, n in _uses(e).items():
            if n > 1:
                shared.add(node)
            if group:
                first = seen_in.setdefault(node, i)
                if first != i:
                    shared.add(node)
    return shared


def share(exprs: Sequence[Expr], names: str = "auto",
          together: Sequence[bool] | None = None) -> Named:
    """Name the shared factors of ``exprs``, which are printed together.

    Parameters
    ----------
    exprs : sequence of Expr
        The results (and any equations) printed as one group.
    names : {"auto", "lets", "none"}
        ``"auto"``: the user's named intermediates, and a generated name (``t₁``, ``t₂``,
        …) for each other subexpression that occurs more than once; ``"lets"``: the user's
        names only; ``"none"``: everything written out in full.
    together : sequence of bool, optional
        Which of ``exprs`` count as one text for sharing (default: all, as the gradients
        of one call). The steps of a derivation each stand alone: a factor that is
        repeated only from one step to the next keeps its form, so each step shows what
        changed.

    Returns
    -------
    Named
        The rewritten expressions and the names they use, each after those its
        definition uses. Generated names never stand for a whole expression of ``exprs``
        nor for anything holding a differential (``dX``), which the steps move around.
    """
    check_names(names)
    exprs = list(exprs)
    if names == "none":
        return Named([expand_lets(e) for e in exprs], [])
    user_lets: list[Let] = []
    for e in exprs:
        user_lets.extend(z for z in _lets_in(e) if z not in user_lets)
    if names == "lets":
        return Named(exprs, user_lets)
    together = [True] * len(exprs) if together is None else list(together)
    shared = _shared(exprs, together) - set(exprs) - {z.expr for z in user_lets}
    letter = _letter(_user_names(exprs))
    rewritten: dict[Expr, Expr] = {}
    generated: list[Let] = []

    def new(c: Expr) -> Expr:
        return rewritten.get(c, c)

    for node in _post_order(exprs):
        if isinstance(node, _ATOMS) and not isinstance(node, Let):
            rewritten[node] = node
            continue
        out = map_children(node, new)
        if (node in shared and not isinstance(node, Let) and not node.deltas
                and _worth_a_name(node, out)):
            out = Let(f"{letter}{len(generated) + 1}".translate(_SUBSCRIPTS), out)
            generated.append(out)
        rewritten[node] = out
    if not generated:
        return Named(exprs, user_lets)
    new_exprs = [rewritten[e] for e in exprs]
    lets: list[Let] = []
    for e in new_exprs:
        lets.extend(z for z in _lets_in(e) if z not in lets)
    return Named(new_exprs, lets, tuple(generated))


def _worth_a_name(node: Expr, e: Expr) -> bool:
    """Whether a shared subexpression reads faster by a name: one of four nodes or more
    (``X w + 𝟏 b``, not ``yhat - y`` or ``Xᵀ``), or a function of a compound argument
    (``tanh(t₁)``, the seeds' S = σ(Z)), which a chain of layers repeats level by level."""
    if isinstance(node, Apply) and not isinstance(node.x, _ATOMS):
        return True
    if isinstance(node, Power) and node.k.could_extract_minus_sign():
        return False  # a ⊘ b reads better than a ⊙ t₁ with t₁ = b∘⁻¹: name b, if anything
    size = 0
    stack = [e]
    while stack and size < _MIN_NODES:
        node = stack.pop()
        size += not isinstance(node, (Scale, Transpose))  # -y and yᵀ are written as y is
        if not isinstance(node, _ATOMS):
            stack.extend(children(node))
    return size >= _MIN_NODES
