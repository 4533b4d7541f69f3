"""Simplification to the compact forms a careful person writes.

Rules are small functions that return ``None`` when they do not apply (PyTensor style),
each registered for the node types it rewrites and carrying a name. The simplifier runs
them bottom-up to a fixed point, memoized over the shared DAG, and asserts that every
rewrite keeps the shape. Named intermediates (``mc.let``) are atoms: their definitions
are left as the user wrote them.
"""

from __future__ import annotations

from collections import Counter

import sympy

from ..expr.build import as_expr
from ..expr.deep import deep
from ..expr.nodes import (
    Add,
    Apply,
    Commutation,
    Delta,
    Det,
    Diag,
    DiagPart,
    Expr,
    Frob,
    Hadamard,
    Identity,
    Inverse,
    Kron,
    Let,
    LogDet,
    MatMul,
    Norm,
    Number,
    Ones,
    Power,
    ScalarMul,
    Scale,
    Sum,
    Trace,
    Transpose,
    Unvec,
    Vec,
    Zero,
    is_scalar_shape,
)
from ..expr.ops import (
    add,
    diag,
    diag_part,
    had,
    is_zero,
    kron,
    mm,
    number,
    scale,
    smul,
    tp,
    unvec,
    vec,
)
from ..expr.traverse import map_children

# The compact-form rules (phase 1) register themselves in the shared table on import.
from . import rules_cancel, rules_products, rules_sums  # noqa: F401
from .rulebook import RULES, ckey, factor_powers, rule
from .rulebook import split as _split

__all__ = ["simplify", "Simplifier", "RULES", "ckey"]


class Simplifier:
    """Memoized bottom-up rewriting to a fixed point."""

    def __init__(self) -> None:
        self._memo: dict[Expr, Expr] = {}
        self._active: set[Expr] = set()
        # Results are interned: equal subtrees become one object, so the structural
        # equality behind every memo lookup stops at the first level (``is``) instead of
        # walking deep trees again, which made nested expressions quadratic in depth.
        self._canon: dict[Expr, Expr] = {}
        # How often each named rule fired: what a derivation can cite, and what the rule
        # tests check (that the example meant for a rule exercises it).
        self.used: Counter[str] = Counter()

    def __call__(self, e: Expr) -> Expr:
        hit = self._memo.get(e)
        if hit is not None:
            return hit
        out = self._simplify(e)
        out = self._canon.setdefault(out, out)
        self._memo[e] = out
        self._memo[out] = out
        return out

    def _simplify(self, e: Expr) -> Expr:
        if isinstance(e, (Let, Delta)) or e in self._active:
            return e
        self._active.add(e)
        try:
            cur = map_children(e, self)
            out = cur
            for name, fn in RULES.get(type(cur), ()):
                new = fn(cur)
                if new is not None and new != cur:
                    assert new.shape == cur.shape, f"rule {name!r} changed the shape"
                    self.used[name] += 1
                    out = self(new)
                    break
        finally:
            self._active.discard(e)
        return out


@deep
def simplify(e: Expr) -> Expr:
    """The canonical simplified form of ``e`` (value and shape preserved)."""
    e = as_expr(e, "mc.simplify", "e")
    return Simplifier()(e)


# ----------------------------------------------------------------------------------------
# Constants, identities, zeros
# ----------------------------------------------------------------------------------------


@rule(Ones, Identity, name="1×1 constants are numbers")
def _(e: Expr) -> Expr | None:
    return number(1) if is_scalar_shape(e.shape) else None


@rule(Scale, name="constant factors collected")
def _(e: Scale) -> Expr | None:
    return scale(e.coef, e.x)


@rule(Commutation, name="K(m,1) = K(1,n) = I")
def _(e: Commutation) -> Expr | None:
    return Identity(e.m * e.n) if e.m == 1 or e.n == 1 else None


# ----------------------------------------------------------------------------------------
# Sums
# ----------------------------------------------------------------------------------------


@rule(Add, name="zeros dropped, nested sums flattened")
def _(e: Add) -> Expr | None:
    if any(isinstance(t, Add) or is_zero(t) for t in e.terms):
        return add(*e.terms, like=e)
    return None


@rule(Add, name="like terms combined")
def _(e: Add) -> Expr | None:
    groups: dict[object, list] = {}
    order: list[object] = []
    for t in e.terms:
        c, core = _split(t)
        k = ckey(core)
        if k not in groups:
            groups[k] = [sympy.Integer(0), core]
            order.append(k)
        groups[k][0] += c
    if len(order) == len(e.terms):
        return None
    return add(*(scale(sympy.nsimplify(groups[k][0]) if groups[k][0].is_Float else groups[k][0],
                       groups[k][1]) for k in order), like=e)


@rule(Add, name="common constant taken out: c a - c b = c (a - b)")
def _(e: Add) -> Expr | None:
    """Only a factor a person would pull out: one involving dims (1/m), or ±c on every term."""
    parts = [_split(t) for t in e.terms]
    c0 = parts[0][0]
    if c0 in (1, -1) or not all(abs(c) == abs(c0) or (c / c0).is_Rational for c, _ in parts):
        return None
    if not (c0.free_symbols or all(abs(c) == abs(c0) for c, _ in parts)):
        return None
    common = abs(c0) if c0.is_number else c0
    return scale(common, add(*(scale(c / common, x) for c, x in parts)))


@rule(Add, name="common factor taken out: A X + B X = (A + B) X")
def _(e: Add) -> Expr | None:
    parts = [_split(t) for t in e.terms]
    if not all(isinstance(core, MatMul) for _, core in parts):
        return None
    cores: list[MatMul] = [core for _, core in parts]  # type: ignore[misc]
    last = cores[0].factors[-1]
    if all(c.factors[-1] == last for c in cores):
        inner = add(*(scale(c, mm(*core.factors[:-1])) for (c, _), core in zip(parts, cores)))
        return mm(inner, last)
    first = cores[0].factors[0]
    if all(c.factors[0] == first for c in cores):
        inner = add(*(scale(c, mm(*core.factors[1:])) for (c, _), core in zip(parts, cores)))
        return mm(first, inner)
    return None


# ----------------------------------------------------------------------------------------
# Products
# ----------------------------------------------------------------------------------------


@rule(ScalarMul, name="scalar factors collected")
def _(e: ScalarMul) -> Expr | None:
    s, x = e.s, e.x
    if isinstance(x, ScalarMul):
        return smul(had(s, x.s), x.x)
    if is_scalar_shape(x.shape):
        return had(s, x)
    out = smul(s, x)
    return out if out != e else None


@rule(MatMul, name="identities dropped, constants and 1×1 factors pulled out")
def _(e: MatMul) -> Expr | None:
    out = mm(*e.factors)
    if out == e:
        return None
    return out


@rule(MatMul, name="X⁻¹X = I")
def _(e: MatMul) -> Expr | None:
    fs = list(e.factors)
    for i in range(len(fs) - 1):
        a, b = fs[i], fs[i + 1]
        if (isinstance(a, Inverse) and a.x == b) or (isinstance(b, Inverse) and b.x == a):
            rest = fs[:i] + fs[i + 2:]
            return mm(*rest) if rest else Identity(a.shape[0])
    return None


@rule(MatMul, name="Diag(a) Diag(b) = Diag(a ⊙ b)")
def _(e: MatMul) -> Expr | None:
    fs = list(e.factors)
    for i in range(len(fs) - 1):
        if isinstance(fs[i], Diag) and isinstance(fs[i + 1], Diag):
            return mm(*fs[:i], diag(had(fs[i].v, fs[i + 1].v)), *fs[i + 2:])
    return None


@rule(MatMul, name="Diag(h) x = h ⊙ x")
def _(e: MatMul) -> Expr | None:
    fs = list(e.factors)
    if len(fs) >= 2 and isinstance(fs[-2], Diag) and fs[-1].shape[1] == 1:
        return mm(*fs[:-2], had(fs[-2].v, fs[-1]))
    if len(fs) >= 2 and isinstance(fs[1], Diag) and fs[0].shape[0] == 1:
        return mm(tp(had(fs[1].v, tp(fs[0]))), *fs[2:])
    return None


@rule(MatMul, name="(A ⊗ B) vec(X) = vec(B X Aᵀ)")
def _(e: MatMul) -> Expr | None:
    """Magnus & Neudecker Thm 2.2, read right to left: never form the Kronecker product."""
    fs = list(e.factors)
    for i in range(len(fs) - 1):
        k, v = fs[i], fs[i + 1]
        if isinstance(k, Kron) and isinstance(v, Vec) and v.x.shape == (k.b.shape[1], k.a.shape[1]):
            return mm(*fs[:i], vec(mm(k.b, v.x, tp(k.a))), *fs[i + 2:])
        if (isinstance(k, Transpose) and isinstance(k.x, Vec) and isinstance(v, Kron)
                and k.x.x.shape == (v.b.shape[0], v.a.shape[0])):
            return mm(*fs[:i], tp(vec(mm(tp(v.b), k.x.x, v.a))), *fs[i + 2:])
    return None


@rule(MatMul, name="1ᵀx = sum(x)")
def _(e: MatMul) -> Expr | None:
    fs = list(e.factors)
    if not is_scalar_shape(e.shape):
        if len(fs) == 2 and isinstance(fs[0], Ones) and isinstance(fs[1], Ones):
            return scale(fs[0].shape[1].expr, Ones(*e.shape))  # 1ₘ1ₚᵀ 1ₚ1ₙᵀ = p 1ₘ1ₙᵀ
        return None
    if isinstance(fs[0], Ones):
        return _sum(mm(*fs[1:]))
    if isinstance(fs[-1], Ones):
        return _sum(mm(*fs[:-1]))
    return None


@rule(MatMul, name="1ᵀx = sum(x) inside a product")
def _(e: MatMul) -> Expr | None:
    """A 1×1 pair 1ᵀx or xᵀ1 inside a longer chain (p 1ᵀ y = sum(y) p)."""
    fs = list(e.factors)
    for i in range(len(fs) - 1):
        a, b = fs[i], fs[i + 1]
        if is_scalar_shape((a.shape[0], b.shape[1])) and len(fs) > 2 and (
                isinstance(a, Ones) or isinstance(b, Ones)):
            return mm(*fs[:i], _sum(b if isinstance(a, Ones) else a), *fs[i + 2:])
    return None


def _sum(x: Expr) -> Expr:
    if isinstance(x, Ones):
        return number(x.shape[0].expr * x.shape[1].expr)
    return Sum(x)


@rule(Hadamard, name="ones dropped, constants and scalars pulled out")
def _(e: Hadamard) -> Expr | None:
    fs = e.factors
    for i, f in enumerate(fs):
        if isinstance(f, ScalarMul):
            return smul(f.s, had(*fs[:i], f.x, *fs[i + 1:]))
    if any(isinstance(f, Number) for f in fs):  # only in a 1×1 product
        c = sympy.Integer(1)
        rest = []
        for f in fs:
            if isinstance(f, Number):
                c *= f.value
            else:
                rest.append(f)
        return scale(c, had(*rest) if rest else number(1))
    out = had(*fs)
    return out if out != e else None


@rule(Hadamard, name="eᵘ ⊙ (1 + eᵘ)⁻¹ = σ(u)")
def _(e: Hadamard) -> Expr | None:
    """softplus′ = σ: the quotient overflows to inf/inf for large u, σ(u) does not."""
    fs = list(e.factors)
    for i, f in enumerate(fs):
        if isinstance(f, Power) and f.k == -1 and isinstance(f.x, Add) and len(f.x.terms) == 2:
            one, ex = f.x.terms if isinstance(f.x.terms[0], (Ones, Number)) else f.x.terms[::-1]
            if (isinstance(one, Ones) or (isinstance(one, Number) and one.value == 1)) and \
                    isinstance(ex, Apply) and ex.fn == "exp" and ex.order == 0 and ex in fs:
                rest = [g for k, g in enumerate(fs) if k != i]
                rest.remove(ex)
                return had(Apply("sigmoid", ex.x), *rest)
    return None


@rule(Hadamard, name="x ⊙ x = x.^2")
def _(e: Hadamard) -> Expr | None:
    powers = factor_powers(e.factors)
    if len(powers) == len(e.factors):
        return None
    factors = [base if k == 1 else Power(base, k) for k, base in powers.values() if k != 0]
    return had(*factors) if factors else Ones(*e.shape)


@rule(Power, name="powers of powers and constants")
def _(e: Power) -> Expr | None:
    x, k = e.x, e.k
    if k == 1:
        return x
    if k == 0 or isinstance(x, Ones):
        return Ones(*e.shape)
    if isinstance(x, Number):
        return Number(x.value ** k)
    if isinstance(x, Power) and k.is_integer:
        return Power(x.x, x.k * k)
    if isinstance(x, Scale) and k.is_integer:
        return scale(x.coef ** k, Power(x.x, k))
    return None


# ----------------------------------------------------------------------------------------
# Transposes pushed to the leaves
# ----------------------------------------------------------------------------------------


@rule(Transpose, name="transposes pushed to the leaves (sums and f(X) keep theirs, to stay shared)")
def _(e: Transpose) -> Expr | None:
    x = e.x
    match x:
        case MatMul(factors=fs):
            return mm(*(tp(f) for f in reversed(fs)))
        case Hadamard(factors=fs):
            return had(*(tp(f) for f in fs))
        case ScalarMul(s=s, x=y):
            return smul(s, tp(y))
        case Inverse(x=y):
            return Inverse(tp(y))
        case Kron(a=a, b=b):
            return Kron(tp(a), tp(b))
        case Commutation(m=m, n=n):
            return Commutation(n, m)
    out = tp(x)
    return out if out != e else None


# ----------------------------------------------------------------------------------------
# Reductions: trace, sum, Frobenius product, diag
# ----------------------------------------------------------------------------------------


@rule(Trace, name="tr of scalars, constants and outer products")
def _(e: Trace) -> Expr | None:
    x = e.x
    if is_scalar_shape(x.shape):
        return x
    match x:
        case Scale(coef=c, x=y):
            return scale(c, Trace(y))
        case ScalarMul(s=s, x=y):
            return smul(s, Trace(y))
        case Identity(n=n):
            return number(n.expr)
        case Diag(v=v):
            return Sum(v)
        case MatMul(factors=fs) if fs[0].shape[1] == 1:
            return mm(*fs[1:], fs[0])  # tr(x yᵀ …) = yᵀ … x (cyclicity)
        case MatMul(factors=fs) if fs[-1].shape[0] == 1:
            return mm(fs[-1], *fs[:-1])
    return None


@rule(Sum, name="sum of scalars, constants and ones")
def _(e: Sum) -> Expr | None:
    x = e.x
    if is_scalar_shape(x.shape):
        return x
    match x:
        case Zero():
            return number(0)
        case Ones(rows=r, cols=c):
            return number(r.expr * c.expr)
        case Scale(coef=c, x=y):
            return scale(c, Sum(y))
        case ScalarMul(s=s, x=y):
            return smul(s, _sum(y))
        case Transpose(x=y):
            return Sum(y)
        case Diag(v=v):
            return Sum(v)
    return None


@rule(Frob, name="A:B of vectors, ones, scalars and constants")
def _(e: Frob) -> Expr | None:
    a, b = e.a, e.b
    if is_zero(a) or is_zero(b):
        return number(0)
    if is_scalar_shape(a.shape):
        return had(a, b)
    for x, y in ((a, b), (b, a)):
        if isinstance(x, Scale):
            return scale(x.coef, Frob(x.x, y) if x is a else Frob(y, x.x))
        if isinstance(x, ScalarMul):
            return smul(x.s, Frob(x.x, y) if x is a else Frob(y, x.x))
        if isinstance(x, Ones):
            return Sum(y)
        if isinstance(x, Identity):
            return Trace(y)
    if a.shape[1] == 1:
        return mm(tp(a), b)
    if a.shape[0] == 1:
        return mm(a, tp(b))
    return None


@rule(DiagPart, name="diag of Diag, identity and scalar multiples")
def _(e: DiagPart) -> Expr | None:
    x = e.x
    match x:
        case Identity(n=n):
            return Ones(n, e.shape[1])
        case Scale(coef=c, x=y):
            return scale(c, DiagPart(y))
        case ScalarMul(s=s, x=y):
            return smul(s, diag_part(y))
    out = diag_part(x)
    return out if out != e else None


@rule(Diag, name="Diag of ones, scalars and constants")
def _(e: Diag) -> Expr | None:
    v = e.v
    match v:
        case Ones(rows=n):
            return Identity(n)
        case Scale(coef=c, x=y):
            return scale(c, diag(y))
        case ScalarMul(s=s, x=y):
            return smul(s, diag(y))
    out = diag(v)
    return out if out != e else None


@rule(Vec, name="vec of vectors, vec(unvec(v)) = v, constants out")
def _(e: Vec) -> Expr | None:
    match e.x:
        case Scale(coef=c, x=y):
            return scale(c, vec(y))
        case ScalarMul(s=s, x=y):
            return smul(s, vec(y))
    out = vec(e.x)
    return out if out != e else None


@rule(Unvec, name="unvec(vec(X)) = X")
def _(e: Unvec) -> Expr | None:
    match e.v:
        case Scale(coef=c, x=y):
            return scale(c, unvec(y, e.rows, e.cols))
    out = unvec(e.v, e.rows, e.cols)
    return out if out != e else None


@rule(Kron, name="Kronecker constants, scalars and identities")
def _(e: Kron) -> Expr | None:
    a, b = e.a, e.b
    for x in (a, b):
        if isinstance(x, Scale):
            return scale(x.coef, kron(x.x, b) if x is a else kron(a, x.x))
        if isinstance(x, ScalarMul):
            return smul(x.s, kron(x.x, b) if x is a else kron(a, x.x))
    out = kron(a, b)
    return out if out != e else None


# ----------------------------------------------------------------------------------------
# Inverse, det, logdet, norm
# ----------------------------------------------------------------------------------------


@rule(Inverse, name="inverses of inverses, scalars and constants")
def _(e: Inverse) -> Expr | None:
    x = e.x
    if is_scalar_shape(x.shape):
        return Power(x, -1)
    match x:
        case Inverse(x=y):
            return y
        case Identity():
            return x
        case Scale(coef=c, x=y):
            return scale(1 / c, Inverse(y))
        case Transpose(x=Inverse(x=y)):
            return tp(y)
    return None


@rule(Det, name="det of scalars and I")
def _(e: Det) -> Expr | None:
    if is_scalar_shape(e.x.shape):
        return e.x
    if isinstance(e.x, Identity):
        return number(1)
    return None


@rule(LogDet, name="logdet I = 0")
def _(e: LogDet) -> Expr | None:
    return number(0) if isinstance(e.x, Identity) else None


@rule(Norm, name="‖0‖ = 0")
def _(e: Norm) -> Expr | None:
    return number(0) if is_zero(e.x) else None
