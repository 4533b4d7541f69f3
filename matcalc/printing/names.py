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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..calculus.factors import SUBSCRIPTS as _SUBSCRIPTS
from ..calculus.factors import generated_letter as _letter
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
)
from ..expr.traverse import map_children

__all__ = ["NAMES", "Named", "share", "expand_lets", "check_names"]

#: The naming options every printer takes.
NAMES = ("auto", "lets", "none")

_ATOMS = (Symbol, Let, Number, Ones, Identity, Zero, Delta, Commutation)
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


def _user_names(roots: Sequence[Expr], lets: Iterable[Let]) -> set[str]:
    """The names of the symbols, dims and named intermediates of ``roots``."""
    symbols: set[Symbol] = set()
    for e in roots:
        symbols.update(e.free_symbols)
    names = {s.name for s in symbols} | {z.name for z in lets}
    names.update(str(d) for d in {d for s in symbols for d in s.shape})
    return names


def _lets_in(*roots: Expr) -> list[Let]:
    """The named intermediates under ``roots`` (through definitions), each after those it
    uses; one walk over them all, so that each definition is entered once."""
    order: list[Let] = []
    seen: set[int] = set()
    for e in roots:
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
    return list(dict.fromkeys(order))


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


def _uses(root: Expr, lets: list[Let]) -> dict[Expr, int]:
    """How many parents each node under ``root`` has (a node twice in one parent: twice).

    A named intermediate is not entered: its definition is printed once, on its own line,
    and counted once, on its own (it is appended to ``lets``)."""
    uses: dict[Expr, int] = {root: 1}
    stack = [root.expr] if isinstance(root, Let) else [root]
    while stack:
        node = stack.pop()
        if isinstance(node, _ATOMS):
            if isinstance(node, Let):
                lets.append(node)
            continue
        for c in children(node):
            if c not in uses:
                uses[c] = 0
                stack.append(c)
            uses[c] += 1
    return uses


def _shared(exprs: Sequence[Expr], together: Sequence[bool]) -> set[Expr]:
    """Nodes used twice within one expression, or in two of those printed ``together``;
    the definitions of named intermediates are each looked at once, on their own."""
    shared: set[Expr] = set()
    seen_in: dict[Expr, int] = {}
    lets: list[Let] = []
    entered: set[int] = set()
    todo = [(e, group) for e, group in zip(exprs, together)]
    i = 0
    while i < len(todo):
        e, group = todo[i]
        for node, n in _uses(e, lets).items():
            if n > 1:
                shared.add(node)
            if group:
                first = seen_in.setdefault(node, i)
                if first != i:
                    shared.add(node)
        for z in lets:
            if id(z) not in entered:
                entered.add(id(z))
                todo.append((z.expr, False))
        lets.clear()
        i += 1
    return shared


def share(exprs: Sequence[Expr], names: str = "auto",
          together: Sequence[bool] | None = None, generated: Sequence[Let] = ()) -> Named:
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
    generated : sequence of Let, optional
        Names among those of ``exprs`` that were generated already (a derivation's layer
        names): the new names continue their numbering rather than read as the user's.

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
    user_lets = _lets_in(*exprs)
    if names == "lets":
        return Named(exprs, user_lets)
    together = [True] * len(exprs) if together is None else list(together)
    shared = _shared(exprs, together) - set(exprs) - {z.expr for z in user_lets}
    made = {z.name for z in generated}
    letter = _letter(_user_names(exprs, user_lets) - made)
    start = sum(1 for name in made if name.startswith(letter))
    rewritten: dict[Expr, Expr] = {}
    new_lets: list[Let] = []

    def new(c: Expr) -> Expr:
        return rewritten.get(c, c)

    for node in _post_order(exprs):
        if isinstance(node, _ATOMS) and not isinstance(node, Let):
            rewritten[node] = node
            continue
        out = map_children(node, new)
        if (node in shared and not isinstance(node, Let) and not node.deltas
                and _worth_a_name(node, out)):
            out = Let(f"{letter}{start + len(new_lets) + 1}".translate(_SUBSCRIPTS), out)
            new_lets.append(out)
        rewritten[node] = out
    if not new_lets:
        return Named(exprs, user_lets)
    new_exprs = [rewritten[e] for e in exprs]
    return Named(new_exprs, _lets_in(*new_exprs), tuple(new_lets))


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
