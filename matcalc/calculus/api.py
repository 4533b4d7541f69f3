"""Gradients, derivations, Jacobians, Hessians and their products: the user-facing calculus.

``mc.derive`` runs the differential method and records each step: the differential,
each round of rearrangement (citing the identity used), each substitution of a named
intermediate (the chain rule), and finally df = Σ Gᵢ : dXᵢ read off as gradients.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import sympy

from ..expr import display
from ..expr.args import expect_symbol, expect_symbols
from ..expr.build import as_expr
from ..expr.deep import deep, depth_of
from ..expr.dims import DimLike, as_dim, fmt_shape
from ..expr.errors import ShapeError, type_error
from ..expr.nodes import (
    Commutation,
    Delta,
    Diag,
    Expr,
    Identity,
    Let,
    LogSumExp,
    Softmax,
    Symbol,
    Vec,
    Zero,
    is_scalar_shape,
)
from ..expr.ops import add, mm, number, scale
from ..expr.traverse import map_children, replace, walk
from .adjoint import Round, isolate, pair
from .diff import Differentiator
from .factors import LAYER_DEPTH, Step, factor_steps, lets_outer_first, nonlinear_depth
from .simplifier import Simplifier, simplify
from .structured import check_convention, project, projection_rule
from .vecrules import VecJacobian

__all__ = ["grad", "derive", "Derivation", "Step", "jacobian", "hessian", "jvp", "vjp", "hvp",
           "commutation"]


@dataclass
class Derivation:
    """The result of :func:`derive`: gradients and the steps that produced them."""

    f: Expr
    wrt: tuple[Symbol, ...]
    gradients: dict[Symbol, Expr]
    steps: list[Step] = field(default_factory=list)
    lets: list[Let] = field(default_factory=list)
    intermediate: dict[Let, Expr] = field(default_factory=dict)
    names: str = "auto"
    #: the layer names the steps use that derive made (not the user's), outer first
    generated: list[Let] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.f.name if isinstance(self.f, Let) else "f"

    def __str__(self) -> str:
        return display.show("derivation_text", self, None)

    def text(self, names: str | None = None) -> str:
        """The derivation as text; ``names`` (``"auto"``, ``"lets"``, ``"none"``) overrides
        how shared factors are named (default: the ``names`` given to :func:`derive`)."""
        return display.show("derivation_text", self, names)

    def latex(self, names: str | None = None) -> str:
        """An ``aligned`` block (renders inside ``\\[ ... \\]``) with every step."""
        return display.show("derivation_latex", self, names)

    def to_latex_document(self, title: str | None = None, names: str | None = None) -> str:
        """A complete, compilable LaTeX document with every step and gradient."""
        return display.show("derivation_document", self, title, names)

    def _repr_latex_(self) -> str:
        return f"$$\n{self.latex()}\n$$"

    def __matcalc_depth__(self) -> int:
        """How deep its printers recurse (read by :func:`matcalc.expr.deep.deep`)."""
        return depth_of([self.f, self.gradients, [(s.lhs, s.rhs) for s in self.steps]])


# ----------------------------------------------------------------------------------------
# The chain through named intermediates
# ----------------------------------------------------------------------------------------


def _softmax_names(f: Expr, lets: Sequence[Let], simp: Any = simplify) -> dict[Expr, Let]:
    """Names for the softmaxes that f's derivatives contain: p = softmax(z) (P for a
    matrix), so gradients read as the textbook's sum(y) p − y and Diag(p) − p pᵀ.

    A softmax the user named already keeps the user's name; a name in use is not taken
    (p2, p3, ... then).
    """
    named = {z.expr for z in lets}
    taken = {s.name for s in f.free_symbols} | {z.name for z in lets}
    out: dict[Expr, Let] = {}
    for node in walk(f):
        if isinstance(node, (Softmax, LogSumExp)):
            P = node if isinstance(node, Softmax) else Softmax(node.x, node.axis)
            if P in named or P in out:
                continue
            base = "p" if P.shape[1] == 1 or P.shape[0] == 1 else "P"
            name, k = base, 1
            while name in taken:
                k += 1
                name = f"{base}{k}"
            taken.add(name)
            out[P] = Let(name, P)
    # derivatives meet the softmax in simplified form (b 1ᵀ inside its argument, say)
    out.update({simp(P): z for P, z in list(out.items())})
    return out




def _backprop(
    f: Expr, wrt: Sequence[Symbol], seed: Expr, record: bool, simplifier: Simplifier,
    convention: str = "space", layers: bool = False,
) -> Derivation:
    """The sweep that reads ``seed : df`` as Σ Gᵢ : dXᵢ through f's named intermediates;
    ``record`` keeps the steps (for a deep f, with ``layers``, those of
    :func:`~matcalc.calculus.factors.factor_steps`)."""
    d = Differentiator(wrt)
    lets = [z for z in lets_outer_first(f) if z is not f]
    # After simplifying, write a named intermediate's name wherever its definition
    # reappears (u for exp(z)): the names people gave read better than the expansions.
    names = {z.expr: z for z in lets}
    auto = _softmax_names(f, lets, simplifier)
    names.update(auto)

    def simp(e: Expr) -> Expr:
        return replace(simplifier(e), names)

    df = simp(d(f.expr if isinstance(f, Let) else f))
    deriv = Derivation(f, tuple(wrt), {}, lets=[], intermediate={})
    steps = deriv.steps
    fname = Let(deriv.name, f) if not isinstance(f, Let) else f
    done: dict[Delta, Expr] = {}

    def run(expr: Expr, G: Expr, before: Sequence[tuple[Expr, Expr]]) -> None:
        rounds: list[Round] | None = [] if record else None
        found = isolate(expr, G, simp, rounds)
        for r in rounds or []:
            state = add(*(pair(g, e) for g, e in [*before, *r.pairs]))
            if steps and steps[-1].rhs == state:
                continue  # a rule that only moved a constant shows no change
            steps.append(Step("rearrange", None, state, ", ".join(r.rules)))
        for k, v in found.items():
            done[k] = simp(add(done[k], v)) if k in done else v

    if record and layers:
        # a deep f: the steps name each layer and backpropagated factor (δ-style); the
        # gradients come from the plain sweep below, so they equal grad's
        taken = {z.name for z in lets} | {s.name for s in f.free_symbols}
        taken |= {str(n) for s in f.free_symbols for n in s.shape}
        body = f.expr if isinstance(f, Let) else f
        steps[:], deriv.lets, deriv.generated = factor_steps(
            body, wrt, seed, simplifier, names, convention, taken, fname)
        record = False
    if record:
        steps.append(Step("differential", Delta(fname), df, "differential rules"))
    run(df, seed, [])
    for z in lets:
        key = Delta(z)
        if key not in done:
            continue
        Gz = done.pop(key)
        deriv.intermediate[z] = Gz
        dz = simp(d(z.expr))
        others = [(g, k) for k, g in done.items()]
        if record:
            steps.append(Step("intermediate", key, dz, f"differential of {z.name}"))
            steps.append(Step("substitute", None,
                              add(*(pair(g, e) for g, e in [*others, (Gz, dz)])),
                              f"substitute d{z.name} (chain rule)"))
        run(dz, Gz, others)
    for x in wrt:
        G = done.get(Delta(x), Zero(*x.shape))
        deriv.gradients[x] = project(G, x, convention, simplifier)
        if record:
            rule = "df = G : dX  ⇔  ∂f/∂X = G"
            if x.structure is not None and deriv.gradients[x] != G:
                rule = projection_rule(x, convention)
            steps.append(Step("gradient", x, deriv.gradients[x], rule))
    used = {n for g in deriv.gradients.values() for n in walk(g)
            if isinstance(n, Let)} if auto and not (record or layers) else set()
    softmaxes = [z for z in dict.fromkeys(auto.values()) if z in used or record or layers]
    deriv.lets = (deriv.lets if layers else lets[::-1]) + softmaxes
    return deriv


def _require_scalar(f: Any, what: str) -> Expr:
    """``f`` as an expression (a number or a dim is a constant: its gradient is zero)."""
    f = as_expr(f, f"mc.{what}", "f")
    if not is_scalar_shape(f.shape):
        raise ShapeError(
            f"mc.{what} needs a scalar (1×1) function, but {f} is {fmt_shape(f.shape)}; "
            "use mc.jacobian(F, x) for a vector or matrix function"
        )
    return f


_NAMES = ("auto", "lets", "none")


@deep
def derive(f: Expr, wrt: Any, names: str = "auto", convention: str = "space") -> Derivation:
    """Derive the gradients of scalar ``f`` step by step by the differential method.

    Parameters
    ----------
    f : Expr
        A 1×1 expression (a named intermediate gives the derivation its name).
    wrt : Symbol or sequence of Symbol
        The variables.
    names : {"auto", "lets", "none"}
        How the printed derivation names things. ``"auto"`` (the default): the named
        intermediates of ``f`` (``mc.let``), and ``t₁ = …`` for each factor that a step or
        the gradients repeat; for a deep ``f`` (nonlinearities nested three deep or more)
        also each layer and each backpropagated factor (``G_t₂ = ∂f/∂t₂ = …``), so the
        derivation of an L-layer network has O(L) lines of bounded width; ``"lets"``: the
        named intermediates only; ``"none"``: everything written out (named intermediates
        are expanded before deriving).
    convention : {"space", "entries"}
        For structured variables, as in :func:`grad`.

    Returns
    -------
    Derivation
        ``.gradients`` (in the order given), ``.steps``, ``.latex()``, ``str()``.
    """
    f = _require_scalar(f, "derive")
    xs, _ = expect_symbols(wrt, "mc.derive", "wrt")
    if not isinstance(names, str):
        raise type_error("mc.derive", "names", names, f"one of {', '.join(map(repr, _NAMES))}")
    if names not in _NAMES:
        raise ValueError(f"mc.derive: names={names!r}: expected one of "
                         f"{', '.join(map(repr, _NAMES))}")
    if names == "none":
        f = _expand_lets(f)
    layers = names == "auto" and nonlinear_depth(f, xs) >= LAYER_DEPTH
    deriv = _backprop(f, xs, number(1), True, Simplifier(),
                      check_convention(convention, "mc.derive"), layers)
    deriv.names = names
    return deriv


def _expand_lets(e: Expr) -> Expr:
    """``e`` with every named intermediate replaced by its definition."""
    memo: dict[Expr, Expr] = {}

    def go(node: Expr) -> Expr:
        hit = memo.get(node)
        if hit is None:
            hit = go(node.expr) if isinstance(node, Let) else map_children(node, go)
            memo[node] = hit
        return hit

    return go(e)


@deep
def grad(f: Expr, x: Any, convention: str = "space") -> Expr | list[Expr]:
    """The gradient of scalar ``f`` w.r.t. ``x`` (shaped like x): df = G : dx.

    Parameters
    ----------
    f : Expr
        A 1×1 expression; a non-scalar one raises :class:`ShapeError` (use
        :func:`jacobian`).
    x : Symbol or sequence of Symbol
        The variable; a list or tuple gives a list of gradients.
    convention : {"space", "entries"}
        Only matters for a structured variable (``mc.symmetric``, ``mc.spd``,
        ``mc.diagonal``), whose differential dS is itself structured, so that df = G : dS
        leaves G free up to an antisymmetric part. ``"space"`` (default) gives the gradient
        in the space of symmetric matrices, sym(G) = (G + Gᵀ)/2: the one symmetric matrix
        with df = G : dS for every symmetric dS, the one gradient descent and finite
        differences along symmetric directions agree with. ``"entries"`` gives the
        derivative w.r.t. the independent entries Sᵢⱼ (i ≤ j), as in the Matrix Cookbook
        (eq. 141): G + Gᵀ − G ∘ I = 2 sym(G) − sym(G) ∘ I, whose off-diagonal entries are
        twice those of the "space" gradient because moving Sᵢⱼ moves Sⱼᵢ too. For a
        diagonal D both give G ∘ I.

    Examples
    --------
    >>> import matcalc as mc
    >>> n = mc.dim("n"); S = mc.symmetric("S", n); A = mc.matrix("A", n, n)
    >>> print(mc.grad(mc.tr(A @ S), S))
    1/2 (A + Aᵀ)
    >>> print(mc.grad(mc.tr(A @ S), S, convention="entries"))
    Aᵀ + A - A ⊙ I
    """
    f = _require_scalar(f, "grad")
    xs, many = expect_symbols(x, "mc.grad", "x")
    grads = _backprop(f, xs, number(1), False, Simplifier(),
                      check_convention(convention)).gradients
    out = [grads[v] for v in xs]
    return out if many else out[0]


@deep
def vjp(F: Expr, x: Any, u: Expr) -> Expr | list[Expr]:
    """The adjoint product uᵀJ reshaped like x: u : dF = G : dx, G returned."""
    F, u = as_expr(F, "mc.vjp", "F"), as_expr(u, "mc.vjp", "u")
    xs, many = expect_symbols(x, "mc.vjp", "x")
    if u.shape != F.shape:
        raise ShapeError(
            f"vjp: u ({fmt_shape(u.shape)}) must be shaped like F ({fmt_shape(F.shape)})"
        )
    grads = _backprop(F, xs, u, False, Simplifier()).gradients
    out = [grads[v] for v in xs]
    return out if many else out[0]


def _substitute_deltas(e: Expr, x: Symbol, v: Expr, d: Differentiator) -> Expr:
    memo: dict[Expr, Expr] = {}

    def sub(node: Expr) -> Expr:
        hit = memo.get(node)
        if hit is not None:
            return hit
        if isinstance(node, Delta):
            if isinstance(node.of, Let):
                out = sub(d(node.of.expr))
            else:
                out = v if node.of == x else Zero(*node.shape)
        elif not node.deltas:
            out = node
        else:
            out = map_children(node, sub)
        memo[node] = out
        return out

    return sub(e)


@deep
def jvp(F: Expr, x: Symbol, v: Expr) -> Expr:
    """The directional derivative of F along v (v shaped like x): dF with dx := v."""
    F, v = as_expr(F, "mc.jvp", "F"), as_expr(v, "mc.jvp", "v")
    expect_symbol(x, "mc.jvp", "x")
    if v.shape != x.shape:
        raise ShapeError(f"jvp: v ({fmt_shape(v.shape)}) must be shaped like {x} "
                         f"({fmt_shape(x.shape)})")
    d = Differentiator([x])
    return simplify(_substitute_deltas(d(F), x, v, d))


@deep
def jacobian(F: Expr, x: Symbol) -> Expr:
    """J with vec(dF) = J vec(dx): shape (rows·cols of F, rows·cols of x), structured."""
    F = as_expr(F, "mc.jacobian", "F")
    expect_symbol(x, "mc.jacobian", "x")
    d = Differentiator([x])
    J = VecJacobian(x, lambda z: d(z.expr))
    lets = lets_outer_first(F)
    names = {simplify(z.expr): z for z in lets if isinstance(z.expr, Softmax)}
    names.update({z.expr: z for z in lets if isinstance(z.expr, Softmax)})
    return replace(simplify(J(d(F))), {**names, **_softmax_names(F, lets)})


@deep
def hessian(f: Expr, x: Symbol) -> Expr:
    """``jacobian(grad(f, x), x)``; for a structured x, acting on directions within the
    structure: H P with P = ½(I + K) (symmetric x: P vec V = vec sym V) or Diag(vec I)
    (diagonal x), so that H is symmetric and H vec V = vec(hvp(f, x, V)) for every V.
    (The gradient is already in the structure, so P H = H; this projects the input side.)"""
    f = _require_scalar(f, "hessian")
    H = jacobian(grad(f, expect_symbol(x, "mc.hessian", "x")), x)  # type: ignore[arg-type]
    if x.structure is None:
        return H
    n = x.shape[0]
    if x.structure == "diagonal":
        P: Expr = Diag(Vec(Identity(n)))
    else:
        P = scale(sympy.Rational(1, 2), add(Identity(n * n), Commutation(n, n)))
    return simplify(mm(H, P))


@deep
def hvp(f: Expr, x: Symbol, v: Expr) -> Expr:
    """The Hessian-vector product: the directional derivative of ∇f along v."""
    f = _require_scalar(f, "hvp")
    v = as_expr(v, "mc.hvp", "v")
    return jvp(grad(f, expect_symbol(x, "mc.hvp", "x")), x, v)  # type: ignore[arg-type]


def commutation(m: DimLike, n: DimLike) -> Expr:
    """The commutation matrix K with vec(Xᵀ) = K vec(X) for X m×n."""
    return Commutation(as_dim(m, "mc.commutation", "m"), as_dim(n, "mc.commutation", "n"))
