"""Spectral functions of symmetric matrices: f(S) = Q f(Λ) Qᵀ and the nodes of S = Q Λ Qᵀ.

The public constructors :func:`expm`, :func:`logm`, :func:`sqrtm` (a :class:`MatrixFunction`)
and :func:`eigvalsh` (:class:`EigVals`, ascending, as NumPy's ``eigvalsh``) take a matrix
that the structure facts of :mod:`matcalc.expr.structure` know is symmetric (a declared
symmetric/SPD/diagonal symbol, AᵀA, S + Sᵀ, ...); ``logm`` and ``sqrtm`` need one known SPD.

Their differentials (Daleckii–Krein; :mod:`matcalc.calculus.spectral_rules`) are written
with the nodes of the eigendecomposition S = Q Λ Qᵀ, Λ = Diag(λ):

- :class:`EigVals` λ(S), the n×1 ascending eigenvalues;
- :class:`EigVecs` Q(S), the orthogonal matrix of the matching eigenvectors;
- :class:`DivDiff` f^[1](λ), the symmetric n×n matrix of first divided differences
  f[λᵢ, λⱼ] = (f(λᵢ) − f(λⱼ))/(λᵢ − λⱼ), and f′(λᵢ) where λᵢ = λⱼ (Bhatia, *Matrix
  Analysis*, §V.3; Higham, *Functions of Matrices*, ch. 3); with ``order=2`` the
  f[λᵢ, λᵢ, λⱼ] that its own differential needs;
- :class:`EigGap` E(S), Eᵢⱼ = 1/(λⱼ − λᵢ), which the differential of Q needs.

All of them hold S itself, so compiled code computes one ``np.linalg.eigh(S)`` per S and
shares it. Importing :mod:`matcalc.expr` registers the node types in
:data:`matcalc.expr.nodes.NODE_TYPES` and their structure facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .build import as_expr
from .dims import ONE, fmt_shape
from .errors import ShapeError
from .nodes import NODE_TYPES, Expr, Number, Symbol, _require_square
from .structure import is_spd, is_symmetric, register_spd, register_symmetry

__all__ = ["MatrixFunction", "EigVals", "EigVecs", "DivDiff", "EigGap", "MATRIX_FUNCTIONS",
           "expm", "logm", "sqrtm", "eigvalsh", "spectral_argument"]

#: The matrix functions: name → (the public constructor's name, whether it needs SPD).
MATRIX_FUNCTIONS: dict[str, tuple[str, bool]] = {
    "exp": ("expm", False), "log": ("logm", True), "sqrt": ("sqrtm", True),
}


def _check_fn(fn: str) -> None:
    if fn not in MATRIX_FUNCTIONS:
        raise ValueError(f"unknown matrix function {fn!r}: one of {', '.join(MATRIX_FUNCTIONS)}")


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class MatrixFunction(Expr):
    """f(S) = Q Diag(f(λ)) Qᵀ of a symmetric S, f one of :data:`MATRIX_FUNCTIONS`."""

    fn: str
    x: Expr

    def __post_init__(self) -> None:
        _check_fn(self.fn)
        n = _require_square(MATRIX_FUNCTIONS[self.fn][0], self.x)
        self._finish((n, n))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class EigVals(Expr):
    """λ(S): the eigenvalues of a symmetric S, ascending, as an n×1 column."""

    x: Expr

    def __post_init__(self) -> None:
        self._finish((_require_square("eigvalsh", self.x), ONE))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class EigVecs(Expr):
    """Q(S): orthonormal eigenvectors of a symmetric S, column i for λ(S)ᵢ (S = Q Λ Qᵀ)."""

    x: Expr

    def __post_init__(self) -> None:
        n = _require_square("eigh", self.x)
        self._finish((n, n))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class DivDiff(Expr):
    """f^[1](λ(S)): the n×n matrix of f[λᵢ, λⱼ], with f′(λᵢ) where λᵢ = λⱼ (symmetric);
    ``order=2``: f[λᵢ, λᵢ, λⱼ] = ∂f[λᵢ, λⱼ]/∂λᵢ, with f″(λᵢ)/2 where λᵢ = λⱼ (not symmetric)."""

    fn: str
    x: Expr
    order: int = 1

    def __post_init__(self) -> None:
        _check_fn(self.fn)
        if self.order not in (1, 2):
            raise ValueError(f"divided differences of order 1 or 2, not {self.order!r}")
        n = _require_square("divided differences", self.x)
        self._finish((n, n))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class EigGap(Expr):
    """E(S): Eᵢⱼ = 1/(λⱼ − λᵢ) for distinct eigenvalues, 0 on the diagonal (antisymmetric):
    dQ = Q (E ⊙ (Qᵀ dS Q)); NaN where two eigenvalues coincide (dQ is undefined there)."""

    x: Expr

    def __post_init__(self) -> None:
        n = _require_square("eigenvalue gaps", self.x)
        self._finish((n, n))


NODE_TYPES.extend((MatrixFunction, EigVals, EigVecs, DivDiff, EigGap))

# f(S) and f^[1] are symmetric; f(S) is SPD for f = exp of any symmetric S, and for
# f = sqrt of an SPD S (its eigenvalues √λᵢ > 0); log S is symmetric but may be indefinite.
register_symmetry(MatrixFunction, lambda e: True)
register_symmetry(DivDiff, lambda e: e.order == 1)
register_spd(MatrixFunction, lambda e: e.fn in ("exp", "sqrt"))


# ----------------------------------------------------------------------------------------
# The public constructors
# ----------------------------------------------------------------------------------------


def spectral_argument(x: Any, fn: str, spd: bool) -> Expr:
    """``x`` as an expression that ``fn`` (``"expm"``, ...) accepts: square and known
    symmetric (``spd``: known symmetric positive definite); else an error naming it."""
    e = as_expr(x, f"mc.{fn}", "S")
    r, c = e.shape
    if r != c:
        raise ShapeError(f"{fn} needs a square matrix: {e} ({fmt_shape(e.shape)}): {r} ≠ {c}")
    if spd and not (is_spd(e) or (isinstance(e, Number) and bool(e.value.is_positive))):
        why = ("it is symmetric, but not known to be positive definite" if is_symmetric(e)
               else "it is not known to be symmetric")
        fix = (f"declare it with mc.spd({e.name!r}, n)" if isinstance(e, Symbol) else
               "write an SPD expression (an mc.spd symbol, S⁻¹, expm(S), sqrtm(S), a sum of "
               "SPD matrices; AᵀA is only semidefinite)")
        raise ValueError(f"{fn} needs a symmetric positive definite matrix: {e} "
                         f"({fmt_shape(e.shape)}): {why}; {fix}")
    if not is_symmetric(e):
        fix = (f"declare it with mc.symmetric({e.name!r}, n) or mc.spd" if isinstance(e, Symbol)
               else "symmetrize it (A + Aᵀ, AᵀA)")
        raise ValueError(f"{fn} is defined for symmetric matrices: {e} ({fmt_shape(e.shape)}) "
                         f"is not known to be symmetric; {fix}")
    return e


def expm(S: Any) -> Expr:
    """The matrix exponential e^S = Q Diag(exp λ) Qᵀ of a symmetric S.

    Parameters
    ----------
    S : Expr
        A square matrix known to be symmetric: a symbol declared with ``mc.symmetric``,
        ``mc.spd`` or ``mc.diagonal``, or an expression such as AᵀA or A + Aᵀ.

    Returns
    -------
    Expr
        The n×n symmetric (and positive definite) matrix e^S. Its derivative is by the
        Daleckii–Krein formula, d e^S = Q (F ⊙ (Qᵀ dS Q)) Qᵀ with S = Q Λ Qᵀ and
        Fᵢⱼ = (e^λᵢ − e^λⱼ)/(λᵢ − λⱼ) (e^λᵢ where λᵢ = λⱼ).

    Raises
    ------
    ShapeError
        If S is not square. ValueError if S is not known to be symmetric.
    """
    return MatrixFunction("exp", spectral_argument(S, "expm", spd=False))


def logm(S: Any) -> Expr:
    """The principal matrix logarithm log S = Q Diag(log λ) Qᵀ of an SPD S.

    Parameters
    ----------
    S : Expr
        A square matrix known to be symmetric positive definite (``mc.spd``, S⁻¹, expm(S),
        sums of SPD matrices).

    Returns
    -------
    Expr
        The n×n symmetric matrix log S; tr(log S) = logdet S. Derivative by
        Daleckii–Krein with Fᵢⱼ = (log λᵢ − log λⱼ)/(λᵢ − λⱼ) (1/λᵢ where λᵢ = λⱼ).

    Raises
    ------
    ShapeError
        If S is not square. ValueError if S is not known to be SPD.
    """
    return MatrixFunction("log", spectral_argument(S, "logm", spd=True))


def sqrtm(S: Any) -> Expr:
    """The SPD square root S^{1/2} = Q Diag(√λ) Qᵀ of an SPD S.

    Parameters
    ----------
    S : Expr
        A square matrix known to be symmetric positive definite.

    Returns
    -------
    Expr
        The n×n SPD matrix S^{1/2}, with (S^{1/2})² = S. Derivative by Daleckii–Krein with
        Fᵢⱼ = 1/(√λᵢ + √λⱼ).

    Raises
    ------
    ShapeError
        If S is not square. ValueError if S is not known to be SPD.
    """
    return MatrixFunction("sqrt", spectral_argument(S, "sqrtm", spd=True))


def eigvalsh(S: Any) -> Expr:
    """The eigenvalues of a symmetric S, ascending, as an n×1 column (NumPy's ``eigvalsh``).

    Parameters
    ----------
    S : Expr
        A square matrix known to be symmetric.

    Returns
    -------
    Expr
        λ(S), n×1. Its differential is dλᵢ = qᵢᵀ dS qᵢ, i.e. dλ = diag(Qᵀ dS Q) (Magnus &
        Neudecker ch. 8, Theorem 7), valid where the eigenvalues are distinct; functions of
        λ that do not depend on the order (sums, tr f(S)) are smooth everywhere.

    Raises
    ------
    ShapeError
        If S is not square. ValueError if S is not known to be symmetric.
    """
    return EigVals(spectral_argument(S, "eigvalsh", spd=False))
