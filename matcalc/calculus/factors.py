"""Backpropagated factors named once: the steps of a derivation that grows with the problem.

Written out, the differential of a deep network nests every layer inside the one above it,
and each step of the rearrangement re-writes what is left of it: the derivation of an
L-layer network has O(L) steps of O(L) width. The seeds' accepted answers (seed 001: R, S,
D, V = W₂ᵀR) do what backpropagation does instead: they name each layer, and each
backpropagated factor once, ``G_z = ∂f/∂z = …``, and reuse the names, so that each step
is about one layer and stays short.

:func:`factor_steps` records such a derivation. For a deep ``f`` (nonlinearities nested
:data:`LAYER_DEPTH` deep or more) every layer is named first, the activation (``t₁ =
tanh(t₂)``) and its compound argument (``t₂ = W3 t₃``), outermost first, so names are
numbered in reading order. Then, for each named intermediate z in turn (the user's and
these), the factor G_z collected so far gets its name and a line, and ``G_z : dz`` is
rearranged on its own, with G_z kept as a name (the simplifier does not look inside a
named intermediate), until it reads Σ Gᵢ : dXᵢ again. Every line is about one layer.

The gradients a :class:`~matcalc.calculus.api.Derivation` returns come from the plain
(unnamed) sweep, so they equal :func:`~matcalc.calculus.api.grad`'s; the steps here only
print them in the names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
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
    Symbol,
    Zero,
    children,
)
from ..expr.ops import add
from ..expr.traverse import map_children, replace
from .adjoint import Round, isolate, pair
from .diff import Differentiator
from .structured import project, projection_rule

__all__ = ["Step", "LAYER_DEPTH", "factor_steps", "generated_letter", "lets_outer_first",
           "nonlinear_depth", "SUBSCRIPTS"]

#: From this depth of nested nonlinearities on, derivations name the layers and their
#: backpropagated factors. Shallower problems (one or two layers, a logistic loss) print
#: fully written out, where the textbook's cancellations show.
LAYER_DEPTH = 3

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_PLAIN_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
# Letters for generated names, in order of preference; the first that no user name
# resembles is taken (matcalc.printing.names uses the same).
_LETTERS = "tuvspqrabc"
# Base letters for the names of backpropagated factors (G_z), in order of preference.
_FACTOR_LETTERS = ("G", "D", "E", "Γ")
_ATOMS = (Symbol, Let, Number, Ones, Identity, Zero, Delta, Commutation)


@dataclass(frozen=True)
class Step:
    """One line of a derivation.

    ``kind`` is ``"differential"`` (``lhs`` = d(name) and ``rhs`` its differential),
    ``"rearrange"`` / ``"substitute"`` (a continuation ``= rhs`` of the equation above; a
    ``lhs`` starts a new equation ``lhs = rhs``), ``"intermediate"`` (lhs = dz, rhs = d
    of z's definition), ``"factor"`` (``lhs`` is the named intermediate z, ``rhs`` the
    backpropagated factor G_z = ∂f/∂z as a :class:`Let`; the later steps hold it as a
    symbol of that name) or
    ``"gradient"`` (lhs is the variable X, rhs is ∂f/∂X). ``rule`` names the identity or
    rule that produced it.
    """

    kind: str
    lhs: Expr | None
    rhs: Expr
    rule: str


def generated_letter(taken: set[str]) -> str:
    """The first letter for generated names that no name in ``taken`` resembles
    (t, t1, t_1, t₁, t_k...)."""
    for letter in _LETTERS:
        pattern = re.compile(rf"^{letter}(_?\w*|[₀-₉]*)$")
        if not any(pattern.match(name) and name != letter * 2 for name in taken):
            return letter
    return "τ"  # every Latin candidate is taken: a Greek letter cannot be a user's identifier


def lets_outer_first(e: Expr) -> list[Let]:
    """Every named intermediate under ``e``, each before the ones its definition uses."""
    order: list[Let] = []
    seen: set[Expr] = set()
    # Iterative post-order, so deep expressions do not hit the recursion limit.
    stack: list[tuple[Expr, bool]] = [(e, False)]
    while stack:
        node, done = stack.pop()
        if done:
            if isinstance(node, Let):
                order.append(node)
            continue
        if node in seen:
            continue
        seen.add(node)
        stack.append((node, True))
        stack.extend((c, False) for c in reversed(children(node)))
    return list(reversed(order))


def _post_order(root: Expr) -> list[Expr]:
    """Distinct nodes under ``root``, children first (a Let's child is its definition)."""
    order: list[Expr] = []
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((c, False) for c in children(node) if id(c) not in seen)
    return order


def _is_layer(node: Expr) -> bool:
    """An elementwise function of a compound argument: a layer's activation."""
    if not isinstance(node, Apply):
        return False
    x = node.x
    while isinstance(x, Let):
        x = x.expr
    return not isinstance(x, _ATOMS)


def nonlinear_depth(f: Expr, wrt: Sequence[Symbol]) -> int:
    """How deep layers (:func:`_is_layer`) that depend on ``wrt`` nest in ``f``."""
    xs = set(wrt)
    depth: dict[int, int] = {}
    live: dict[int, bool] = {}
    for node in _post_order(f):
        kids = children(node)
        live[id(node)] = node in xs or any(live[id(c)] for c in kids)
        below = max((depth[id(c)] for c in kids), default=0)
        depth[id(node)] = below + (_is_layer(node) and live[id(node)])
    return depth[id(f)]


def _name_layers(f: Expr, wrt: Sequence[Symbol], letter: str) -> tuple[Expr, list[Let]]:
    """``f`` with each layer that depends on ``wrt`` named, and its compound argument
    (the pre-activation) too; names numbered outermost first, as the steps read."""
    xs = set(wrt)
    post = _post_order(f)
    live: dict[int, bool] = {}
    for node in post:
        live[id(node)] = node in xs or any(live[id(c)] for c in children(node))
    # which nodes get a name, in reading order (pre-order from the root)
    marked: list[Expr] = []
    marked_ids: set[int] = set()
    seen: set[int] = set()
    stack: list[tuple[Expr, Expr | None]] = [(f, None)]
    while stack:
        node, parent = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if _is_layer(node) and live[id(node)]:
            assert isinstance(node, Apply)
            if not isinstance(parent, Let) and node is not f:
                marked.append(node)
                marked_ids.add(id(node))
            if not isinstance(node.x, (Let, Apply)) and id(node.x) not in marked_ids:
                marked.append(node.x)
                marked_ids.add(id(node.x))
        stack.extend((c, node) for c in reversed(children(node)))
    number = {id(n): i for i, n in enumerate(marked, start=1)}
    out: dict[int, Expr] = {}
    made: dict[int, Let] = {}
    for node in post:
        new = map_children(node, lambda c: out[id(c)])
        if id(node) in number:
            new = made[id(node)] = Let(f"{letter}{number[id(node)]}".translate(SUBSCRIPTS), new)
        out[id(node)] = new
    return out[id(f)], [made[id(n)] for n in marked]


def _factor_name(z: Let, plain: set[str]) -> str:
    """``G_z``, or ``D_z``, … where the user has a name that reads the same (G_t1 for
    G_t₁: both are printed G_{t_1} in LaTeX); ``plain`` holds the names taken, with
    subscript digits written as plain ones."""
    for letter in _FACTOR_LETTERS:
        name = f"{letter}_{z.name}"
        if name.translate(_PLAIN_DIGITS) not in plain:
            return name
    return f"Γ_{z.name}_"


def factor_steps(
    f: Expr, wrt: Sequence[Symbol], seed: Expr, simplifier: Callable[[Expr], Expr],
    names: dict[Expr, Let], convention: str, taken: set[str], fname: Let,
) -> tuple[list[Step], list[Let], list[Let]]:
    """The steps of the derivation of ``f`` with each layer and backpropagated factor named.

    Parameters
    ----------
    f : Expr
        The function (its definition, when it is itself a named intermediate).
    wrt : sequence of Symbol
        The variables.
    seed : Expr
        The factor the differential is paired with (1 for a gradient).
    simplifier : callable
        The simplifier applied to each factor.
    names : dict
        Definitions to write by their name after simplifying (the user's, the softmaxes').
    convention : str
        For structured variables, as in :func:`~matcalc.calculus.api.grad`.
    taken : set of str
        Names the generated ones must not resemble: the user's symbols, dims and names.
    fname : Let
        f's name, for the first line (``df = …``).

    Returns
    -------
    steps, lets, layers
        The steps; the named intermediates they use: the user's (with the layers inside
        them named) and then the generated layer names, outer first; those layer names.
    """
    letter = generated_letter(taken)
    g, layers = _name_layers(f, wrt, letter)
    lets = lets_outer_first(g)
    taken = taken | {z.name for z in lets}
    plain = {name.translate(_PLAIN_DIGITS) for name in taken}
    # a name is written wherever its definition reappears after simplifying: tanh′ is
    # 1 − tanh(t₂)∘², read as 1 − t₁∘²
    made = set(layers)
    names = {**names, **{z.expr: z for z in lets}}

    def simp(e: Expr) -> Expr:
        return replace(simplifier(e), names)

    def light(e: Expr) -> Expr:
        # inside one layer's sweep a factor is a name times the layer's own terms, which
        # the node constructors (mm, had, tp, scale) already put in order: the full
        # simplifier runs only where contributions add up (a weight used twice), and the
        # sweep makes 40% fewer simplifier calls. The gradients derive returns come from
        # the plain, fully simplified sweep either way.
        return e

    d = Differentiator(wrt)
    steps: list[Step] = []
    done: dict[Delta, Expr] = {}

    def run(expr: Expr, G: Expr) -> None:
        rounds: list[Round] = []
        found = isolate(expr, G, light, rounds)
        for r in rounds:
            state = add(*(pair(a, b) for a, b in r.pairs))
            if steps[-1].rhs == state:
                continue  # a rule that only moved a constant shows no change
            steps.append(Step("rearrange", None, state, ", ".join(r.rules)))
        for k, v in found.items():
            done[k] = simp(add(done[k], v)) if k in done else v

    df = simp(d(g))
    steps.append(Step("differential", Delta(fname), df, "differential rules"))
    run(df, seed)
    for z in lets:
        key = Delta(z)
        if key not in done:
            continue
        G = done.pop(key)
        if not isinstance(G, _ATOMS):
            # the later steps hold G_z as a symbol: nothing looks inside it again, and its
            # definition is printed once, on its own line
            name = _factor_name(z, plain)
            steps.append(Step("factor", z, Let(name, G), ""))
            G = Symbol(name, *G.shape)
        dz = simp(d(z.expr))
        steps.append(Step("intermediate", key, dz, f"differential of {z.name}"))
        steps.append(Step("substitute", pair(G, key), pair(G, dz),
                          f"substitute d{z.name} (chain rule)"))
        run(dz, G)
    for x in wrt:
        G = done.get(Delta(x), Zero(*x.shape))
        shown = project(G, x, convention)
        rule = "df = G : dX  ⇔  ∂f/∂X = G"
        if x.structure is not None and shown != G:
            rule = projection_rule(x, convention)
        steps.append(Step("gradient", x, shown, rule))
    # the where list: the user's names (outer first reversed: as they build up), then ours
    return steps, [z for z in reversed(lets) if z not in made] + layers, layers
