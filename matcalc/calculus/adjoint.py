"""Rearrangement rules that bring a differential to  df = Σ Gᵢ : dXᵢ.

For an expression E linear in the differentials, ``G : E`` is rewritten, one node at a
time, into a sum of ``Gₖ : Eₖ`` over the children that carry differentials, until every
right-hand side is a bare ``dX``; then Gᵢ is the gradient. Each rule is the Frobenius-
product identity it implements and carries that identity as its name, so a derivation
can cite it. Shared sub-expressions are visited once (a reverse sweep over the DAG), so
the cost is linear in the size of the differential.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import singledispatch

from ..expr.nodes import (
    Add,
    Commutation,
    Delta,
    Diag,
    DiagPart,
    Expr,
    Frob,
    Hadamard,
    Identity,
    Kron,
    MatMul,
    Number,
    Ones,
    ScalarMul,
    Scale,
    Sum,
    Trace,
    Transpose,
    Unvec,
    Vec,
    children,
    is_scalar_shape,
)
from ..expr.ops import add, diag, diag_part, frob, had, kron, mm, scale, smul, tp, unvec, vec

__all__ = ["ADJOINT_RULES", "RULE_NAMES", "isolate", "pair", "Round"]

Pairs = list[tuple[Expr, Expr]]


@singledispatch
def _adj(e: Expr, G: Expr) -> Pairs:
    raise TypeError(
        f"{type(e).__name__} is not linear in the differentials; cannot isolate the gradient"
    )


RULE_NAMES: dict[type, str] = {}


def _rule(cls: type, name: str) -> Callable[[Callable[..., Pairs]], Callable[..., Pairs]]:
    def register(fn: Callable[..., Pairs]) -> Callable[..., Pairs]:
        _adj.register(cls)(fn)
        RULE_NAMES[cls] = name
        return fn

    return register


def _live(e: Expr) -> bool:
    return bool(e.deltas)


@_rule(Add, "A:(B + C) = A:B + A:C")
def _(e: Add, G: Expr) -> Pairs:
    """The Frobenius product distributes over sums."""
    return [(t, G) for t in e.terms if _live(t)]


@_rule(Scale, "A:(cB) = (cA):B")
def _(e: Scale, G: Expr) -> Pairs:
    """Constants move across the Frobenius product."""
    return [(e.x, scale(e.coef, G))]


@_rule(ScalarMul, "A:(sB) = (sA):B,  A:(ds B) = (A:B) ds")
def _(e: ScalarMul, G: Expr) -> Pairs:
    """A 1×1 factor moves across; a differential 1×1 factor takes (A:B) as its gradient."""
    out: Pairs = []
    if _live(e.s):
        out.append((e.s, frob(G, e.x)))
    if _live(e.x):
        out.append((e.x, smul(e.s, G)))
    return out


@_rule(MatMul, "A:BC = BᵀA:C = ACᵀ:B")
def _(e: MatMul, G: Expr) -> Pairs:
    """Trace cyclicity: A:(L X R) = (Lᵀ A Rᵀ):X (Cookbook eq. 16; Magnus & Neudecker 2.3)."""
    fs = e.factors
    out: Pairs = []
    for i, f in enumerate(fs):
        if _live(f):
            left = [tp(x) for x in reversed(fs[:i])]
            right = [tp(x) for x in reversed(fs[i + 1:])]
            out.append((f, mm(*left, G, *right) if (left or right) else G))
    return out


@_rule(Transpose, "A:Bᵀ = Aᵀ:B")
def _(e: Transpose, G: Expr) -> Pairs:
    """tr(AᵀBᵀ) = tr(BA) = tr((Aᵀ)ᵀB)."""
    return [(e.x, tp(G))]


@_rule(Hadamard, "A:(B⊙C) = (A⊙B):C")
def _(e: Hadamard, G: Expr) -> Pairs:
    """Both sides are Σᵢⱼ AᵢⱼBᵢⱼCᵢⱼ (Magnus & Neudecker 3.6)."""
    fs = e.factors
    return [(f, had(*fs[:i], *fs[i + 1:], G)) for i, f in enumerate(fs) if _live(f)]


@_rule(Diag, "A:Diag(v) = diag(A):v")
def _(e: Diag, G: Expr) -> Pairs:
    """Only the diagonal of A meets Diag(v)."""
    return [(e.v, diag_part(G))]


@_rule(DiagPart, "a:diag(X) = Diag(a):X")
def _(e: DiagPart, G: Expr) -> Pairs:
    """The adjoint of taking the diagonal is placing on the diagonal."""
    return [(e.x, diag(G))]


@_rule(Vec, "a:vec(X) = unvec(a):X")
def _(e: Vec, G: Expr) -> Pairs:
    """vec is an isometry: a:vec(X) = vec⁻¹(a):X."""
    r, c = e.x.shape
    return [(e.x, unvec(G, r, c))]


@_rule(Unvec, "A:unvec(v) = vec(A):v")
def _(e: Unvec, G: Expr) -> Pairs:
    """The inverse isometry."""
    return [(e.v, vec(G))]


@_rule(Trace, "a:tr(X) = (aI):X")
def _(e: Trace, G: Expr) -> Pairs:
    """tr(X) = I:X (Cookbook eq. 100 in differential form)."""
    return [(e.x, smul(G, Identity(e.x.shape[0])))]


@_rule(Sum, "a:sum(X) = (a 1 1ᵀ):X")
def _(e: Sum, G: Expr) -> Pairs:
    """sum(X) = 1:X, the all-ones matrix paired with X."""
    return [(e.x, smul(G, Ones(*e.x.shape)))]


@_rule(Frob, "a:(B:C) = (aB):C")
def _(e: Frob, G: Expr) -> Pairs:
    """B:C is bilinear; each live side takes a times the other."""
    out: Pairs = []
    if _live(e.a):
        out.append((e.a, smul(G, e.b)))
    if _live(e.b):
        out.append((e.b, smul(G, e.a)))
    return out


@_rule(Kron, "A:(B⊗C) via vec(B⊗C) = (I ⊗ K ⊗ I)(vec B ⊗ vec C)")
def _(e: Kron, G: Expr) -> Pairs:
    """vec(B ⊗ C) = (Iₙ ⊗ K_{q,m} ⊗ Iₚ)(vec B ⊗ vec C) for B m×n, C p×q (M&N Thm 3.10).

    Hence vec(B ⊗ dC) = P (vec B ⊗ I_pq) vec dC and vec(dB ⊗ C) = P (I_mn ⊗ vec C) vec dB,
    and the adjoints follow with Pᵀ.
    """
    (m, n), (p, q) = e.a.shape, e.b.shape
    split = _kron_split(G, e)
    if split is not None:  # (A⊗B):(G₁⊗G₂) = (A:G₁)(B:G₂) (Cookbook eq. 511 for traces)
        g1, g2 = split
        out_: Pairs = []
        if _live(e.a):
            out_.append((e.a, smul(frob(e.b, g2), g1)))
        if _live(e.b):
            out_.append((e.b, smul(frob(e.a, g1), g2)))
        return out_
    P = kron(kron(Identity(n), Commutation(q, m)), Identity(p))
    g = mm(tp(P), vec(G))
    out: Pairs = []
    if _live(e.a):
        out.append((e.a, unvec(mm(kron(Identity(m * n), tp(vec(e.b))), g), m, n)))
    if _live(e.b):
        out.append((e.b, unvec(mm(kron(tp(vec(e.a)), Identity(p * q)), g), p, q)))
    return out


def _kron_split(G: Expr, e: Kron) -> tuple[Expr, Expr] | None:
    """G as G₁ ⊗ G₂ with G₁ shaped like A and G₂ like B, when G visibly is one."""
    (m, n), (p, q) = e.a.shape, e.b.shape
    s: Expr | None = None
    core = G
    if isinstance(G, ScalarMul):
        s, core = G.s, G.x
    elif isinstance(G, Scale):
        return (lambda r: None if r is None else (scale(G.coef, r[0]), r[1]))(_kron_split(G.x, e))
    if isinstance(core, Identity) and m == n and p == q:
        g1, g2 = Identity(m), Identity(p)
    elif isinstance(core, Ones):
        g1, g2 = Ones(m, n), Ones(p, q)
    elif isinstance(core, Kron) and core.a.shape == (m, n) and core.b.shape == (p, q):
        g1, g2 = core.a, core.b
    else:
        return None
    return (g1 if s is None else smul(s, g1)), g2


ADJOINT_RULES = _adj


# ----------------------------------------------------------------------------------------
# The sweep
# ----------------------------------------------------------------------------------------


def pair(G: Expr, E: Expr) -> Expr:
    """``G : E`` for display; a 1×1 pair reads as a product."""
    if is_scalar_shape(E.shape):
        if isinstance(G, Number) and G.value == 1:
            return E
        return smul(G, E)
    if isinstance(G, Scale) and G.coef == -1:  # (-A) : E reads as - A : E in a sum
        return scale(-1, Frob(G.x, E))
    return Frob(G, E)


@dataclass
class Round:
    """One round of the sweep: the rules used and the equation after it."""

    rules: list[str]
    pairs: list[tuple[Expr, Expr]] = field(default_factory=list)


def isolate(
    expr: Expr,
    seed: Expr,
    simplify: Callable[[Expr], Expr],
    rounds: list[Round] | None = None,
) -> dict[Delta, Expr]:
    """Rewrite ``seed : expr`` as Σ Gᵢ : dXᵢ and return {dXᵢ: Gᵢ}.

    Parameters
    ----------
    expr : Expr
        An expression linear in differentials (``Delta`` leaves).
    seed : Expr
        The left factor, shaped like ``expr``.
    simplify : callable
        Applied to each accumulated left factor before it is pushed further down.
    rounds : list, optional
        If given, receives one :class:`Round` per sweep level (for derivation steps).
    """
    if not expr.deltas:
        return {}
    # Reverse topological order over the nodes that carry differentials.
    indeg: dict[Expr, int] = defaultdict(int)
    seen: set[Expr] = set()
    stack = [expr]
    while stack:
        node = stack.pop()
        if node in seen:
            continue
        seen.add(node)
        for c in children(node):
            if c.deltas:
                indeg[c] += 1
                stack.append(c)
    acc: dict[Expr, list[Expr]] = defaultdict(list)
    acc[expr].append(seed)
    ready = [expr] if not isinstance(expr, Delta) else []
    while ready:
        used: list[str] = []
        nxt: list[Expr] = []
        for node in ready:
            G = simplify(add(*acc.pop(node), like=node))
            assert G.shape == node.shape, f"adjoint of {type(node).__name__} changed the shape"
            name = RULE_NAMES.get(type(node))
            if name and name not in used and not isinstance(node, Add):
                used.append(name)
            for child, Gc in _adj(node, G):
                assert Gc.shape == child.shape, f"{type(node).__name__} adjoint: shape changed"
                acc[child].append(Gc)
                indeg[child] -= 1
                if indeg[child] == 0 and not isinstance(child, Delta):
                    nxt.append(child)
        ready = nxt
        if rounds is not None:
            state = [(simplify(add(*gs, like=n)), n) for n, gs in acc.items()]
            rounds.append(Round(used or [RULE_NAMES[Add]], state))
    return {n: simplify(add(*gs, like=n)) for n, gs in acc.items() if isinstance(n, Delta)}
