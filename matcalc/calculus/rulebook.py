"""The table of named simplification rules, shared by the simplifier and the rule modules.

:mod:`simplifier` holds the engine and the canonicalizing rules (phase 0); the
``rules_*`` modules hold the rules that reach textbook forms (phase 1), registered here so
that the modules need not import one another. Within a node type the rules are tried in
phase order, then in the order they were registered, and the first that applies wins.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache

import sympy

from ..expr.nodes import Add, Expr, Hadamard, Number, Power, Scale, children
from ..expr.ops import number

__all__ = ["Rule", "RULES", "rule", "rule_names", "ckey", "factor_powers", "split", "size"]

Rule = Callable[[Expr], "Expr | None"]
RULES: dict[type, list[tuple[str, Rule]]] = {}
_PHASE: dict[tuple[type, str], int] = {}


def rule(*types: type, name: str, phase: int = 0) -> Callable[[Rule], Rule]:
    """Register a rewrite for node ``types`` under a human-readable ``name``.

    ``phase`` 0 is canonicalization (constants, zeros, flattening); phase 1 rules see
    canonical children and reach the compact textbook forms.
    """

    def register(fn: Rule) -> Rule:
        for t in types:
            table = RULES.setdefault(t, [])
            at = len(table)
            while at and _PHASE.get((t, table[at - 1][0]), 0) > phase:
                at -= 1
            table.insert(at, (name, fn))
            _PHASE[(t, name)] = phase
        return fn

    return register


def rule_names(phase: int) -> set[str]:
    """The names of the rules registered in ``phase``."""
    return {name for (_, name), ph in _PHASE.items() if ph == phase}


def ckey(e: Expr) -> object:
    """A key equal for expressions equal up to the order of ⊙ factors and + terms."""
    return _compound_key(e) if isinstance(e, (Hadamard, Add)) else e


@lru_cache(maxsize=1 << 16)
def _compound_key(e: Hadamard | Add) -> object:
    # cached: the rules ask for the key of each factor of a product at every pass, and a
    # deep chain's second derivative holds products of hundreds of sums
    if isinstance(e, Hadamard):
        return ("⊙", frozenset(Counter(ckey(f) for f in e.factors).items()))
    return ("+", frozenset(Counter(ckey(t) for t in e.terms).items()))


def factor_powers(factors: Sequence[Expr]) -> dict[object, list]:
    """ckey(base) → [total exponent, base] over ⊙ factors, in first-seen order (x.^k
    counts k, anything else 1): what the rules that merge x ⊙ x.^2 into x.^3 read."""
    out: dict[object, list] = {}
    for f in factors:
        base, k = (f.x, f.k) if isinstance(f, Power) else (f, sympy.Integer(1))
        out.setdefault(ckey(base), [sympy.Integer(0), base])[0] += k
    return out


def split(e: Expr) -> tuple[sympy.Expr, Expr]:
    """(c, X) with e = c X."""
    if isinstance(e, Scale):
        return e.coef, e.x
    if isinstance(e, Number):
        return e.value, number(1)
    return sympy.Integer(1), e


@lru_cache(maxsize=1 << 16)
def size(e: Expr) -> int:
    """The number of nodes of ``e`` as a tree (shared subtrees counted each time they print).

    The measure by which a compact-form rule decides that its rewrite reads shorter.
    """
    return 1 + sum(size(c) for c in children(e))
