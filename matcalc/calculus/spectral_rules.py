"""Differentials and rewrites of the spectral nodes (expm, logm, sqrtm, eigvalsh).

With S symmetric, S = Q Λ Qᵀ (Q = Q_S orthogonal, Λ = Diag(λ_S)) and F = f^[1](λ_S) the
matrix of divided differences f[λᵢ, λⱼ] (f′(λᵢ) on the diagonal and where λᵢ = λⱼ):

- d f(S) = Q (F ⊙ (Qᵀ dS Q)) Qᵀ  (Daleckii & Krein 1951; Bhatia, *Matrix Analysis*,
  Theorem V.3.3; Higham, *Functions of Matrices*, Theorem 3.11);
- dλᵢ = qᵢᵀ dS qᵢ, so dλ = diag(Qᵀ dS Q)  (Magnus & Neudecker, ch. 8, Theorem 7).

Both hold for every symmetric dS; the first one also where eigenvalues coincide, since
the divided difference there is the derivative. The adjoint machinery brings them to
gradients, G ↦ Q (F ⊙ (Qᵀ G Q)) Qᵀ, which the structured-gradient convention then reads
in the space of symmetric matrices.

Second derivatives differentiate the nodes themselves: dQ = Q (E ⊙ (Qᵀ dS Q)) with
Eᵢⱼ = 1/(λⱼ − λᵢ) (distinct eigenvalues only: E is NaN where two coincide), dF =
Diag(dλ) D + Dᵀ Diag(dλ) with Dᵢⱼ = f[λᵢ, λᵢ, λⱼ], and dE = Diag(dλ)(E ⊙ E) − (E ⊙ E)Diag(dλ).
Third derivatives (d of D) are refused with an error.

The rewrites read the results back as a person would: QᵀQ = QQᵀ = I, the diagonal of F
is f′(λ), and Q Diag(g(λ)) Qᵀ = g(S) for the functions g that have a name (exp, log,
sqrt, the identity, 1/x). Importing :mod:`matcalc.calculus` registers them.
"""

from __future__ import annotations

import sympy

from ..expr.nodes import (
    Add,
    Apply,
    Diag,
    DiagPart,
    Expr,
    Hadamard,
    Identity,
    Inverse,
    MatMul,
    Ones,
    Power,
    Scale,
    Trace,
    Transpose,
    Zero,
)
from ..expr.ops import add, diag, diag_part, had, mm, scale, tp
from ..expr.spectral import DivDiff, EigGap, EigVals, EigVecs, MatrixFunction
from .diff import DIFF_RULES, Differentiator
from .simplifier import rule

__all__ = ["derivative_on_spectrum"]


def _sandwich(q: Expr, dx: Expr) -> Expr:
    """Qᵀ dS Q: the perturbation in the eigenbasis."""
    return mm(tp(q), dx, q)


@DIFF_RULES.register
def _(e: MatrixFunction, d: Differentiator) -> Expr:
    """d f(S) = Q (f^[1](λ) ⊙ (Qᵀ dS Q)) Qᵀ for symmetric S = Q Diag(λ) Qᵀ (Daleckii–Krein;
    Bhatia, *Matrix Analysis*, Theorem V.3.3; Higham, *Functions of Matrices*, Thm 3.11)."""
    q = EigVecs(e.x)
    inner = had(DivDiff(e.fn, e.x), _sandwich(q, d(e.x)))
    return mm(q, inner, tp(q))


@DIFF_RULES.register
def _(e: EigVals, d: Differentiator) -> Expr:
    """dλᵢ = qᵢᵀ dS qᵢ, i.e. dλ = diag(Qᵀ dS Q), for distinct eigenvalues (Magnus &
    Neudecker, ch. 8, Theorem 7); order-free functions of λ are smooth everywhere."""
    return diag_part(_sandwich(EigVecs(e.x), d(e.x)))


def _dlam(e: Expr, d: Differentiator) -> Expr:
    """Diag(dλ) = Diag(diag(Qᵀ dS Q)) for the S of ``e``."""
    return diag(diag_part(_sandwich(EigVecs(e.x), d(e.x))))  # type: ignore[attr-defined]


@DIFF_RULES.register
def _(e: EigVecs, d: Differentiator) -> Expr:
    """dQ = Q (E ⊙ (Qᵀ dS Q)), Eᵢⱼ = 1/(λⱼ − λᵢ): dqⱼ = Σᵢ≠ⱼ qᵢ qᵢᵀ dS qⱼ/(λⱼ − λᵢ) for
    distinct eigenvalues (Magnus & Neudecker, ch. 8, Theorem 8)."""
    q = EigVecs(e.x)
    return mm(q, had(EigGap(e.x), _sandwich(q, d(e.x))))


@DIFF_RULES.register
def _(e: DivDiff, d: Differentiator) -> Expr:
    """d f[λᵢ, λⱼ] = f[λᵢ, λᵢ, λⱼ] dλᵢ + f[λᵢ, λⱼ, λⱼ] dλⱼ, i.e. dF = Diag(dλ) D + Dᵀ Diag(dλ)
    with Dᵢⱼ = f[λᵢ, λᵢ, λⱼ] (the divided difference's partial derivatives; Higham,
    *Functions of Matrices*, §B.16). D's own differential would need third divided
    differences and is refused with an error."""
    if e.order > 1:
        raise ValueError(f"third derivatives of {e.fn}m({e.x}) are not supported: they "
                         "would need third divided differences; differentiate at most twice")
    D = DivDiff(e.fn, e.x, 2)
    du = _dlam(e, d)
    return add(mm(du, D), mm(tp(D), du))


@DIFF_RULES.register
def _(e: EigGap, d: Differentiator) -> Expr:
    """d 1/(λⱼ − λᵢ) = Eᵢⱼ² (dλᵢ − dλⱼ), i.e. dE = Diag(dλ) (E ⊙ E) − (E ⊙ E) Diag(dλ)."""
    du = _dlam(e, d)
    ee = had(e, e)
    return add(mm(du, ee), scale(-1, mm(ee, du)))


# ----------------------------------------------------------------------------------------
# Rewrites
# ----------------------------------------------------------------------------------------


def derivative_on_spectrum(fn: str, lam: Expr, order: int = 1) -> Expr:
    """f′(λ) elementwise, the diagonal of f^[1](λ): exp(λ), λ.^(−1), ½ λ.^(−1/2); for
    ``order=2`` f″(λ)/2, the diagonal of f[λᵢ, λᵢ, λⱼ]."""
    half = sympy.Rational(1, 2)
    if fn == "exp":
        return Apply("exp", lam) if order == 1 else scale(half, Apply("exp", lam))
    if fn == "log":
        return Power(lam, -1) if order == 1 else scale(-half, Power(lam, -2))
    if order == 1:
        return scale(half, Power(lam, -half))
    return scale(sympy.Rational(-1, 8), Power(lam, sympy.Rational(-3, 2)))


def _eigvecs_of(f: Expr) -> Expr | None:
    """S for a factor Q_S, else None."""
    return f.x if isinstance(f, EigVecs) else None


@rule(MatMul, name="QᵀQ = QQᵀ = I (Q orthogonal)")
def _(e: MatMul) -> Expr | None:
    fs = e.factors
    for i in range(len(fs) - 1):
        a, b = fs[i], fs[i + 1]
        if (isinstance(a, Transpose) and isinstance(a.x, EigVecs) and a.x == b) or (
                isinstance(b, Transpose) and isinstance(b.x, EigVecs) and b.x == a):
            rest = fs[:i] + fs[i + 2:]
            return mm(*rest) if rest else Identity(a.shape[0])
    return None


@rule(DiagPart, name="diag f^[1](λ) = f′(λ), diag E = 0")
def _(e: DiagPart) -> Expr | None:
    """The divided difference f[λᵢ, λᵢ] is f′(λᵢ) (Higham, *Functions of Matrices*, §B.16)."""
    if isinstance(e.x, DivDiff):
        return derivative_on_spectrum(e.x.fn, EigVals(e.x.x), e.x.order)
    if isinstance(e.x, EigGap):
        return Zero(*e.shape)
    return None


@rule(Hadamard, name="F ⊙ I = Diag(diag F)")
def _(e: Hadamard) -> Expr | None:
    """Only the diagonal of a divided-difference matrix survives against I."""
    fs = e.factors
    if len(fs) == 2 and any(isinstance(f, Identity) for f in fs) and any(
            isinstance(f, DivDiff) for f in fs):
        f = fs[0] if isinstance(fs[0], DivDiff) else fs[1]
        return diag(diag_part(f))
    return None


def _spectral_function(s: Expr, g: Expr) -> Expr | None:
    """g(S) for g(λ_S) with a name: exp, log, sqrt, λ itself, 1/λ, 1/√λ, 1; else None."""
    lam = EigVals(s)
    match g:
        case EigVals() if g == lam:
            return s
        case Ones():
            return Identity(s.shape[0])
        case Apply(fn=fn, x=x, order=0) if x == lam and fn in ("exp", "log", "sqrt"):
            return MatrixFunction(fn, s)
        case Power(x=x, k=k) if x == lam and k == -1:
            return Inverse(s)
        case Power(x=x, k=k) if x == lam and k == sympy.Rational(1, 2):
            return MatrixFunction("sqrt", s)
        case Power(x=x, k=k) if x == lam and k == sympy.Rational(-1, 2):
            return Inverse(MatrixFunction("sqrt", s))
        case Power(x=x, k=k) if x == lam and k.is_Integer and k > 1:
            return None  # S^k would need the matrix-power node; leave it as Q Λᵏ Qᵀ
        case Scale(coef=c, x=inner):
            out = _spectral_function(s, inner)
            return None if out is None else scale(c, out)
    return None


@rule(MatMul, name="Q Diag(g(λ)) Qᵀ = g(S) (S = Q Λ Qᵀ)")
def _(e: MatMul) -> Expr | None:
    fs = e.factors
    for i in range(len(fs) - 2):
        q, mid, qt = fs[i], fs[i + 1], fs[i + 2]
        s = _eigvecs_of(q)
        if s is None or qt != Transpose(q):
            continue
        if isinstance(mid, Diag):
            out = _spectral_function(s, mid.v)
            if out is not None:
                return mm(*fs[:i], out, *fs[i + 3:])
        elif isinstance(mid, Add):  # Q (Diag(e^λ) + M) Qᵀ = e^S + Q M Qᵀ
            named = [_spectral_function(s, t.v) if isinstance(t, Diag) else None
                     for t in mid.terms]
            if any(x is not None for x in named):
                terms = [x for x in named if x is not None]
                rest = [t for t, x in zip(mid.terms, named) if x is None]
                if rest:
                    terms.append(mm(q, add(*rest), qt))
                return mm(*fs[:i], add(*terms), *fs[i + 3:])
    return None


@rule(Trace, name="tr f(S) = Σ f(λ) for tr of Q M Qᵀ = tr M")
def _(e: Trace) -> Expr | None:
    """tr(Q M Qᵀ) = tr(M Qᵀ Q) = tr M (Q orthogonal; Cookbook eq. 16)."""
    x = e.x
    if isinstance(x, MatMul) and len(x.factors) >= 3:
        q, qt = x.factors[0], x.factors[-1]
        if isinstance(q, EigVecs) and qt == Transpose(q):
            return Trace(mm(*x.factors[1:-1]))
    return None


@rule(MatrixFunction, name="log e^S = S, e^(log S) = S")
def _(e: MatrixFunction) -> Expr | None:
    x = e.x
    if isinstance(x, MatrixFunction) and {e.fn, x.fn} == {"exp", "log"}:
        return x.x
    return None


def _common_part(t: Expr) -> tuple[object, Expr] | None:
    """(key, rest) for c (F ⊙ X) → (F, c X) and c Qᵀ X Q → (Q, c X); else None."""
    c, core = (t.coef, t.x) if isinstance(t, Scale) else (sympy.Integer(1), t)
    if isinstance(core, Hadamard) and len(core.factors) == 2:
        a, b = core.factors
        if isinstance(b, DivDiff):
            a, b = b, a
        if isinstance(a, DivDiff):
            return ("⊙", a), scale(c, b)
    if isinstance(core, MatMul) and len(core.factors) >= 3:
        first, last = core.factors[0], core.factors[-1]
        if isinstance(last, EigVecs) and first == Transpose(last):
            return ("QᵀXQ", last), scale(c, mm(*core.factors[1:-1]))
    return None


@rule(Add, name="F ⊙ X + F ⊙ Y = F ⊙ (X + Y), QᵀXQ + QᵀYQ = Qᵀ(X + Y)Q")
def _(e: Add) -> Expr | None:
    """Terms that share a divided-difference factor or an eigenbasis sandwich are one term
    (the two halves that sym(G) = (G + Gᵀ)/2 makes of a Daleckii–Krein gradient)."""
    groups: dict[object, list[int]] = {}
    parts = [_common_part(t) for t in e.terms]
    for i, p in enumerate(parts):
        if p is not None:
            groups.setdefault(p[0], []).append(i)
    for key, idx in groups.items():
        if len(idx) < 2:
            continue
        inner = add(*(parts[i][1] for i in idx))  # type: ignore[index]
        kind, f = key  # type: ignore[misc]
        merged = had(f, inner) if kind == "⊙" else mm(tp(f), inner, f)
        rest = [t for i, t in enumerate(e.terms) if i not in idx]
        return add(merged, *rest) if rest else merged
    return None
