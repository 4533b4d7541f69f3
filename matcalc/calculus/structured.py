"""Gradients w.r.t. structured (symmetric, SPD, diagonal) variables, in two conventions.

The differential method reads df = G : dS off df, but when S is symmetric so is dS, and G is
then fixed only up to an antisymmetric part: G and Gᵀ give the same df. Two answers are in
use, and they differ off the diagonal by a factor 2:

``"space"`` (the default)
    The gradient in the space of symmetric matrices with the Frobenius inner product:
    the symmetric matrix sym(G) = (G + Gᵀ)/2, the only symmetric G with df = G : dS for
    every symmetric dS (Srinivasan & Panda, arXiv:1911.06491). It is what gradient descent on
    symmetric matrices, finite differences along symmetric directions and the chain rule
    through S need. For the textbook cases G is already symmetric (∂(xᵀSx)/∂S = x xᵀ).
``"entries"``
    The derivative w.r.t. the n(n+1)/2 independent entries Sᵢⱼ, i ≤ j, laid out as a
    matrix: ∂f/∂Sᵢⱼ moves Sᵢⱼ and Sⱼᵢ together, so the off-diagonal entries count twice:
    G + Gᵀ − G ∘ I, which is 2 sym(G) − sym(G) ∘ I (Matrix Cookbook eq. 141).

For a diagonal D only the diagonal moves, and both conventions give G ∘ I = Diag(diag(G)).
"""

from __future__ import annotations

import sympy

from ..expr.errors import type_error
from ..expr.nodes import Add, Expr, Scale, Symbol, Transpose
from ..expr.ops import add, diag, diag_part, scale
from ..expr.structure import is_symmetric, pushed_transpose
from .simplifier import Simplifier

__all__ = ["CONVENTIONS", "check_convention", "project", "projection_rule"]

CONVENTIONS = ("space", "entries")


def check_convention(convention: object, fn: str = "mc.grad") -> str:
    """``convention`` if it is one of :data:`CONVENTIONS`; a TypeError naming the argument
    for a non-str, a clear ValueError for another str."""
    if not isinstance(convention, str):
        raise type_error(fn, "convention", convention, "'space' or 'entries'")
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be 'space' (the gradient in the space of "
                         f"structured matrices) or 'entries' (the derivative w.r.t. the "
                         f"independent entries), got {convention!r}")
    return convention  # type: ignore[return-value]


def sym(G: Expr, simp: Simplifier) -> Expr:
    """sym(G) = (G + Gᵀ)/2, or G itself when it is symmetric already."""
    if is_symmetric(G):
        return G
    T = _transposed(G)
    return simp(scale(sympy.Rational(1, 2), add(T, G) if isinstance(G, Transpose) else add(G, T)))


def _transposed(G: Expr) -> Expr:
    """Gᵀ written term by term, so that like terms of G + Gᵀ combine."""
    if isinstance(G, Add):
        return add(*(pushed_transpose(t) for t in G.terms))
    return pushed_transpose(G)


def project(G: Expr, x: Symbol, convention: str, simp: Simplifier | None = None) -> Expr:
    """The gradient w.r.t. ``x`` in ``convention``, from a G with df = G : dx.

    A general ``x`` has one gradient, G; for a structured one see the module docstring.
    """
    check_convention(convention)
    simp = simp or Simplifier()
    structure = x.structure
    if structure is None:
        return G
    if structure == "diagonal":
        return simp(diag(diag_part(G)))
    if convention == "space":
        return _positive_first(sym(G, simp))
    # diag(sym G) = diag(G), so 2 sym(G) − sym(G) ∘ I = G + Gᵀ − Diag(diag(G)).
    both = scale(2, G) if is_symmetric(G) else add(G, _transposed(G))
    return simp(add(both, scale(-1, diag(diag_part(G)))))


def _negative(t: Expr) -> bool:
    return isinstance(t, Scale) and bool(t.coef.is_negative)


def _positive_first(G: Expr) -> Expr:
    """½(S r rᵀ S − S) rather than ½(−S + S r rᵀ S): a sum leads with a positive term, as
    the textbooks write these gradients (the order of terms is otherwise the differential's)."""
    c, inner = (G.coef, G.x) if isinstance(G, Scale) else (None, G)
    if not isinstance(inner, Add) or not _negative(inner.terms[0]):
        return G
    pos = next((i for i, t in enumerate(inner.terms) if not _negative(t)), None)
    if pos is None:
        return G
    terms = inner.terms
    out = Add((terms[pos], *terms[:pos], *terms[pos + 1:]))
    return Scale(c, out) if c is not None else out


def projection_rule(x: Symbol, convention: str) -> str:
    """How the gradient w.r.t. a structured ``x`` is read off df = G : dx (for derivations)."""
    if x.structure == "diagonal":
        return f"{x.name} diagonal: only diag(d{x.name}) moves, ∂f/∂{x.name} = G ∘ I"
    if convention == "entries":
        return (f"{x.name} symmetric, w.r.t. its independent entries: "
                f"∂f/∂{x.name} = G + Gᵀ − G ∘ I")
    return (f"{x.name} symmetric: df = G : d{x.name} for every symmetric d{x.name} "
            f"⇔ ∂f/∂{x.name} = sym(G) = (G + Gᵀ)/2")
