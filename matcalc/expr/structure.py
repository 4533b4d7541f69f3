"""Declared structure (symmetric, SPD, diagonal matrices) and the facts that follow from it.

A structured symbol is an n×n :class:`~matcalc.expr.nodes.Symbol` whose ``structure`` is one
of :data:`STRUCTURES`. The facts the rules use are derived here, bottom-up:

- a symmetric, SPD or diagonal symbol (and its differential dS) is symmetric: Sᵀ = S;
- the inverse of a symmetric matrix is symmetric, so S⁻ᵀ = S⁻¹ (Cookbook eq. 6 with Sᵀ = S);
- AᵀSA is symmetric, and so is every product that reads the same backwards with each factor
  transposed (x xᵀ, Σ⁻¹ r rᵀ Σ⁻¹);
- sums, scalings, Hadamard and Kronecker products, and elementwise functions of symmetric
  matrices are symmetric;
- an SPD matrix has det > 0, its inverse is SPD and logdet is defined (Cookbook §9.6.1).

:func:`matcalc.expr.ops.tp` consults :func:`is_symmetric`, so every rule that transposes
(differentials, adjoints, the simplifier) uses these facts without knowing about them.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from .nodes import (
    Add,
    Apply,
    Delta,
    Diag,
    Expr,
    Hadamard,
    Identity,
    Inverse,
    Kron,
    Let,
    MatMul,
    MatrixPower,
    Number,
    Ones,
    Power,
    ScalarMul,
    Scale,
    Symbol,
    Transpose,
    Zero,
)

__all__ = ["STRUCTURES", "structure_of", "is_symmetric", "is_spd", "is_diagonal",
           "pushed_transpose", "register_symmetry", "register_spd"]

#: The structures a symbol may declare; each implies symmetry.
STRUCTURES = ("symmetric", "spd", "diagonal")


def structure_of(e: Expr) -> str | None:
    """The declared structure of a symbol (or of the symbol a differential dS is of)."""
    if isinstance(e, Delta):
        e = e.of
    return e.structure if isinstance(e, Symbol) else None


@lru_cache(maxsize=1 << 16)
def is_symmetric(e: Expr) -> bool:
    """True when ``e`` is symmetric for every value of its symbols (a sufficient test)."""
    r, c = e.shape
    if r != c:
        return False
    if r == 1:
        return True
    match e:
        case Symbol() | Delta():
            return structure_of(e) is not None
        case Identity() | Diag() | Number():
            return True
        case Zero() | Ones():
            return True  # square here
        case Inverse(x=x) | Transpose(x=x) | Scale(x=x) | ScalarMul(x=x) | Power(x=x) \
                | Apply(x=x) | Let(expr=x) | MatrixPower(x=x):
            return is_symmetric(x)
        case Add(terms=ts):
            # Symmetric terms, or terms that pair up with their transposes (A + Aᵀ).
            return all(is_symmetric(t) for t in ts) or (
                Counter(ts) == Counter(pushed_transpose(t) for t in ts))
        case Hadamard(factors=fs):
            return all(is_symmetric(f) for f in fs)
        case Kron(a=a, b=b):
            return is_symmetric(a) and is_symmetric(b)
        case MatMul(factors=fs):
            return _palindrome(fs)
    return _extra_symmetric(e)


def pushed_transpose(e: Expr) -> Expr:
    """eᵀ with the transpose pushed through products and constant factors to the leaves,
    as the simplifier writes it ((A B)ᵀ = Bᵀ Aᵀ, Xᵀᵀ = X, Sᵀ = S)."""
    match e:
        case Transpose(x=x):
            return x
        case MatMul(factors=fs):
            return MatMul(tuple(pushed_transpose(f) for f in reversed(fs)))
        case Scale(coef=c, x=x):
            return Scale(c, pushed_transpose(x))
        case ScalarMul(s=s, x=x):
            return ScalarMul(s, pushed_transpose(x))
    r, c = e.shape
    if r == c and (r == 1 or is_symmetric(e)):
        return e
    return Transpose(e)


def _palindrome(fs: tuple[Expr, ...]) -> bool:
    """F₁⋯Fₖ is symmetric when Fᵢ = Fₖ₊₁₋ᵢᵀ and a middle factor is symmetric (AᵀSA)."""
    from_end = len(fs) - 1
    for i in range(len(fs) // 2):
        a, b = fs[i], fs[from_end - i]
        if not _is_transpose_of(a, b):
            return False
    return len(fs) % 2 == 0 or is_symmetric(fs[len(fs) // 2])


def _is_transpose_of(a: Expr, b: Expr) -> bool:
    """a = bᵀ, read off the structure (no simplification)."""
    if isinstance(a, Transpose) and a.x == b or isinstance(b, Transpose) and b.x == a:
        return True
    if a == b and is_symmetric(a):
        return True
    if isinstance(a, Inverse) and isinstance(b, Inverse):
        return _is_transpose_of(a.x, b.x)
    return False


# Node types added by other modules (matrix powers, spectral functions) register here how
# symmetry passes through them: type → predicate.
_SYMMETRIC_RULES: dict[type, object] = {}


def register_symmetry(cls: type, rule: object) -> None:
    """Declare when a node of type ``cls`` is symmetric (``rule(e) -> bool``)."""
    _SYMMETRIC_RULES[cls] = rule


def _extra_symmetric(e: Expr) -> bool:
    rule = _SYMMETRIC_RULES.get(type(e))
    return bool(rule(e)) if callable(rule) else False


_SPD_RULES: dict[type, object] = {}


def register_spd(cls: type, rule: object) -> None:
    """Declare when a node of type ``cls`` is SPD (``rule(e) -> bool``)."""
    _SPD_RULES[cls] = rule


def is_spd(e: Expr) -> bool:
    """True when ``e`` is symmetric positive definite: an SPD symbol, its inverse, a positive
    multiple, I, or a sum of SPD matrices (and the node types registered with
    :func:`register_spd`: expm(S), sqrtm(S))."""
    rule = _SPD_RULES.get(type(e))
    if callable(rule):
        return bool(rule(e))
    match e:
        case Symbol(structure="spd") | Identity():
            return True
        case Inverse(x=x) | Let(expr=x):
            return is_spd(x)
        case Scale(coef=c, x=x):
            return bool(c.is_positive) and is_spd(x)
        case Add(terms=ts):
            return all(is_spd(t) for t in ts)
    return False


def is_diagonal(e: Expr) -> bool:
    """True when ``e`` is a diagonal matrix: a diagonal symbol, Diag(v), I, or built of them
    by sums, scalings, products and inverses."""
    match e:
        case Symbol() | Delta():
            return structure_of(e) == "diagonal"
        case Identity() | Diag():
            return True
        case Inverse(x=x) | Transpose(x=x) | Scale(x=x) | ScalarMul(x=x) | Let(expr=x) \
                | MatrixPower(x=x):
            return is_diagonal(x)
        case Add(terms=fs) | MatMul(factors=fs):
            return all(is_diagonal(f) for f in fs)
        case Hadamard(factors=fs):
            return any(is_diagonal(f) for f in fs)
    return False
