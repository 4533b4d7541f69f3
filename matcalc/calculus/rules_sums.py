"""Compact forms of sums: sign and term order, common factors through scalars, a transpose
taken out of a sum.

Phase 1 rules (they see canonical children). Each moves toward one normal form and never
back, so they cannot fight: a sum leads with a positive term; a negative constant in front
of a product goes into its one sum factor when that turns the sum around to lead positive;
a transpose leaves a sum only when fewer transposes print (pushing transposes to the leaves,
phase 0, stops at sums, so the two do not undo each other).
"""

from __future__ import annotations

import sympy

from ..expr.nodes import (
    Add,
    Expr,
    Hadamard,
    Inverse,
    MatMul,
    Power,
    ScalarMul,
    Scale,
    Symbol,
    Transpose,
    children,
)
from ..expr.ops import add, had, mm, scale, smul, tp
from ..expr.structure import is_symmetric
from ..expr.traverse import replace, walk
from .rulebook import ckey, factor_powers, rule, split

__all__: list[str] = []


def _minus(c: sympy.Expr) -> bool:
    """A constant printed with a leading minus (-2, -1/n)."""
    return bool(c < 0) if c.is_Number else bool(c.could_extract_minus_sign())


def _negative(t: Expr) -> bool:
    return _minus(split(t)[0])


@rule(Add, name="a sum leads with a positive term: -y + exp(X w) = exp(X w) - y", phase=1)
def _(e: Add) -> Expr | None:
    terms = list(e.terms)
    if not _negative(terms[0]):
        return None
    for i, t in enumerate(terms):
        if not _negative(t):
            return add(t, *terms[:i], *terms[i + 1:])
    return None


def _sum_factor(core: Expr) -> tuple[int, Add, bool] | None:
    """The position of the one sum factor of a product (-1 for a bare sum), the sum, and
    whether it stands transposed."""
    if isinstance(core, Add):
        return -1, core, False
    if isinstance(core, MatMul):
        sums = [(i, f.x if isinstance(f, Transpose) else f, isinstance(f, Transpose))
                for i, f in enumerate(core.factors)
                if isinstance(f, Add) or (isinstance(f, Transpose) and isinstance(f.x, Add))]
        if len(sums) == 1:
            return sums[0]  # type: ignore[return-value]
    return None


def _negated(s: Add) -> Expr:
    """−s, term by term: b − a for a − b."""
    return add(*(scale(-1, t) for t in s.terms))


def _sum_negated(core: Expr, found: tuple[int, Add, bool]) -> Expr:
    """``core`` with its one sum factor (:func:`_sum_factor`'s ``found``) turned to −s, so
    that −``core`` is the value."""
    at, s, transposed = found
    if at < 0:
        return _negated(s)
    fs = list(core.factors)  # type: ignore[attr-defined]
    fs[at] = Transpose(_negated(s)) if transposed else _negated(s)
    return mm(*fs)


@rule(Scale, name="a negated sum turned around: -c A (y - X w) = c A (X w - y)", phase=1)
def _(e: Scale) -> Expr | None:
    """−c A (b − a) = c A (a − b), when at most as many terms are positive as negative."""
    found = _sum_factor(e.x)  # the cheap test first: this is tried on every constant multiple
    if found is None or not _minus(e.coef):
        return None
    negative = sum(_negative(t) for t in found[1].terms)
    if len(found[1].terms) - negative > negative:
        return None
    return scale(-e.coef, _sum_negated(e.x, found))


def _unscaled(t: Expr) -> tuple[sympy.Expr, Expr | None, Expr]:
    """(c, s, X) with t = c s X for a constant c and a 1×1 s (None when there is none)."""
    c, core = split(t)
    if isinstance(core, ScalarMul):
        return c, core.s, core.x
    return c, None, core


@rule(Add, name="common factor taken out through scalars: A y + s A z = A (y + s z)", phase=1)
def _(e: Add) -> Expr | None:
    """The first or last factor common to every term, past constant and 1×1 factors
    (phase 0 takes it out when no term has a 1×1 factor)."""
    parts = [_unscaled(t) for t in e.terms]
    if all(s is None for _, s, _ in parts) or not all(isinstance(x, MatMul) for _, _, x in parts):
        return None
    cores: list[MatMul] = [x for _, _, x in parts]  # type: ignore[misc]

    def term(c: sympy.Expr, s: Expr | None, rest: list[Expr]) -> Expr:
        x = mm(*rest)
        return scale(c, smul(s, x) if s is not None else x)

    first = cores[0].factors[0]
    if all(x.factors[0] == first for x in cores):
        return mm(first, add(*(term(c, s, list(x.factors[1:])) for (c, s, _), x in
                               zip(parts, cores))))
    last = cores[0].factors[-1]
    if all(x.factors[-1] == last for x in cores):
        return mm(add(*(term(c, s, list(x.factors[:-1])) for (c, s, _), x in
                        zip(parts, cores))), last)
    return None


def _transposed(t: Expr) -> Expr | None:
    """tᵀ with the transpose pushed to the leaves, for constant multiples of products of
    symbols, transposes and inverses (None for anything else)."""
    match t:
        case Scale(coef=c, x=x):
            inner = _transposed(x)
            return None if inner is None else scale(c, inner)
        case MatMul(factors=fs):
            parts = [_transposed(f) for f in reversed(fs)]
            return None if any(p is None for p in parts) else mm(*parts)  # type: ignore[arg-type]
        case Transpose(x=x):
            return x
        case Inverse(x=Transpose(x=x)):
            return Inverse(x)
        case Inverse(x=x):
            return Inverse(tp(x))
    return tp(t) if not children(t) else None


def _leaf_transposes(t: Expr) -> tuple[int, int] | None:
    """(leaves printed transposed, symbols printed plain) of a term :func:`_transposed`
    takes, or None: the transposes that taking tᵀ removes and adds."""
    match t:
        case Scale(x=x):
            return _leaf_transposes(x)
        case MatMul(factors=fs):
            parts = [_leaf_transposes(f) for f in fs]
            if any(p is None for p in parts):
                return None
            return sum(p[0] for p in parts), sum(p[1] for p in parts)  # type: ignore[index]
        case Transpose() | Inverse(x=Transpose()):
            return 1, 0
        case Inverse(x=x):
            return (0, 1) if isinstance(x, Symbol) else None
    if children(t):
        return None
    return (0, 1) if isinstance(t, Symbol) else (0, 0)


def _transposes(e: Expr) -> int:
    """How many transposes print in ``e`` (X⁻ᵀ counts one)."""
    here = isinstance(e, Transpose) and not isinstance(e.x, Inverse)
    here = here or (isinstance(e, Inverse) and isinstance(e.x, Transpose))
    return int(here) + sum(_transposes(c) for c in children(e))


@rule(Add, name="transpose taken out of a sum: Bᵀ Xᵀ + Xᵀ Bᵀ = (X B + B X)ᵀ", phase=1)
def _(e: Add) -> Expr | None:
    """(A + B)ᵀ = Aᵀ + Bᵀ read right to left (MC (4)), when it prints shorter: it saves
    more transposes than the two parentheses it costs."""
    counts = [_leaf_transposes(t) for t in e.terms]
    if any(c is None for c in counts):
        return None
    if sum(c[0] - c[1] for c in counts) - 1 <= 2:  # type: ignore[index]
        return None  # a cheap bound first: the rule is tried on every sum of products
    flipped = [_transposed(t) for t in e.terms]
    if any(f is None for f in flipped):
        return None
    out = Transpose(add(*flipped))  # type: ignore[arg-type]
    return out if _transposes(e) - _transposes(out) > 2 else None


def _pushed(t: Expr) -> Expr | None:
    """tᵀ with the transpose pushed to the leaves as phase 0 would (None where unsure)."""
    match t:
        case Scale(coef=c, x=x):
            inner = _pushed(x)
            return None if inner is None else scale(c, inner)
        case ScalarMul(s=s, x=x):
            inner = _pushed(x)
            return None if inner is None else smul(s, inner)
        case MatMul(factors=fs):
            parts = [_pushed(f) for f in reversed(fs)]
            return None if any(p is None for p in parts) else mm(*parts)  # type: ignore[arg-type]
    if (t.shape[0] == 1 and t.shape[1] == 1) or is_symmetric(t):
        return t
    return _transposed(t)


def _pushed_terms(t: Expr) -> list[Expr] | None:
    """The terms of tᵀ, pushed as :func:`_pushed` does, with the sums in it flattened:
    ((X − A)ᵀ + B)ᵀ has the terms X, −A, Bᵀ (None where unsure)."""
    c, core = split(t)
    if isinstance(core, Add):
        out: list[Expr] = []
        for u in core.terms:
            p = _pushed_terms(u)
            if p is None:
                return None
            out += [scale(c, q) for q in p]
        return out
    p = _pushed(t)
    if p is None:
        return None
    c, core = split(p)
    return [scale(c, u) for u in core.terms] if isinstance(core, Add) else [p]


@rule(Add, name="a transposed sum merged into the sum around it: a + (aᵀ + b)ᵀ = 2 a + bᵀ",
      phase=1)
def _(e: Add) -> Expr | None:
    """(A + B)ᵀ = Aᵀ + Bᵀ (MC (4)) inside a sum, taken only when a term of the transposed sum
    is a like term of the sum around it (the Rayleigh quotient's row terms)."""
    terms = list(e.terms)
    for i, t in enumerate(terms):
        c, core = split(t)
        if not (isinstance(core, Transpose) and isinstance(core.x, Add)):
            continue
        pushed = _pushed_terms(core.x)
        if pushed is None:
            continue
        others = {ckey(split(u)[1]) for j, u in enumerate(terms) if j != i}
        if any(ckey(split(p)[1]) in others for p in pushed):  # type: ignore[arg-type]
            return add(*terms[:i], *(scale(c, p) for p in pushed), *terms[i + 1:])  # type: ignore[arg-type]
    return None


@rule(Add, name="like quotients combined: A x / s + B x / s = (A + B) x / s", phase=1)
def _(e: Add) -> Expr | None:
    """Terms with one 1×1 factor and one last factor in common are merged:
    Aᵀ x / (xᵀ x) + A x / (xᵀ x) = (Aᵀ + A) x / (xᵀ x) (the Rayleigh quotient)."""
    groups: dict[tuple[Expr, Expr], list[int]] = {}
    parts = [_unscaled(t) for t in e.terms]
    for i, (_, s, x) in enumerate(parts):
        if s is not None and isinstance(x, MatMul):
            groups.setdefault((s, x.factors[-1]), []).append(i)
    for (s, last), idx in groups.items():
        if len(idx) < 2:
            continue
        inner = add(*(scale(parts[i][0], mm(*parts[i][2].factors[:-1]))  # type: ignore[union-attr]
                      for i in idx))
        merged = smul(s, mm(inner, last))
        return add(*(merged if j == idx[0] else t for j, t in enumerate(e.terms)
                     if j == idx[0] or j not in idx))
    return None


def _occurrences(t: Expr, s: Expr) -> int:
    """How many times ``s`` occurs in the tree ``t`` (2 for two or more)."""
    count: dict[int, int] = {}
    for node in walk(t):
        count[id(node)] = 1 if node == s else min(2, sum(count[id(c)] for c in children(node)))
    return count[id(t)]


def _linear_sums(t: Expr) -> list[Add]:
    """The sums that ``t`` is linear in: reached through products, ⊙, multiples and
    transposes (turning one's sign turns t's)."""
    out: list[Add] = []
    stack = [t]
    while stack:
        e = stack.pop()
        match e:
            case Add():
                out.append(e)
            case Scale(x=x) | Transpose(x=x):
                stack.append(x)
            case ScalarMul(s=s, x=x):
                stack += [s, x]
            case MatMul(factors=fs) | Hadamard(factors=fs):
                stack += fs
    return out


@rule(Add, name="a sum's sign matched to its negation in another term: "
                "(a − b) C + D ⊙ (b − a) = (a − b) C − D ⊙ (a − b)", phase=1)
def _(e: Add) -> Expr | None:
    """A later term holding −s where an earlier one holds s takes the sign out, so that
    both show one s and it can be named once (the attention gradient's G − (P ⊙ G) 𝟏 𝟏ᵀ).
    A sum that is itself a factor of a product is left to the rule that turns a negated
    sum around, lest the two undo each other."""
    sums = [_linear_sums(t) for t in e.terms]
    if sum(map(len, sums)) < 2:
        return None
    first: dict[object, int] = {}
    for i, ss in enumerate(sums):
        for s in ss:
            first.setdefault(ckey(s), i)
    for i, ss in enumerate(sums):
        direct = _sum_factor(split(e.terms[i])[1])
        for s in ss:
            neg = _negated(s)
            j = first.get(ckey(neg))
            if j is None or j >= i or (direct is not None and direct[1] is s):
                continue
            if _occurrences(e.terms[i], s) != 1:
                continue  # (x − μ)(x − μ)ᵀ is quadratic in the sum: its sign does not come out
            terms = list(e.terms)
            terms[i] = scale(-1, replace(terms[i], {s: neg}))  # t(s) = −t(−s): linear
            return add(*terms)
    return None



@rule(MatMul, name="a minus taken out of a product's negative sum: X (-A - B) = -X (A + B)",
      phase=1)
def _(e: MatMul) -> Expr | None:
    """A product whose one sum factor has only negative terms shows the sign in front, as
    the Cookbook writes ∂ tr((A + XᵀX)⁻¹)/∂X = −X (M⁻ᵀ M⁻ᵀ + M⁻¹ M⁻¹)."""
    found = _sum_factor(e)
    if found is None or found[0] < 0 or not all(_negative(t) for t in found[1].terms):
        return None
    return scale(-1, _sum_negated(e, found))


def _power_product(powers: list[tuple[Expr, sympy.Expr]]) -> Expr | None:
    factors = [b if k == 1 else Power(b, k) for b, k in powers if k != 0]
    return None if not factors else factors[0] if len(factors) == 1 else had(*factors)


@rule(Add, name="a 1×1 factor common to every term taken out: "
                "a / s - b / s^2 = (a - b / s) / s", phase=1)
def _(e: Add) -> Expr | None:
    """Every term a multiple of powers of one 1×1 base of one sign (the Rayleigh quotient's
    1/(xᵀx) and 1/(xᵀx)², the attention's 1/√d): the power nearest 1 comes out once."""
    parts = [_unscaled(t) for t in e.terms]
    if any(s is None for _, s, _ in parts):
        return None
    powers = [factor_powers(s.factors if isinstance(s, Hadamard) else (s,))  # type: ignore[union-attr]
              for _, s, _ in parts]
    # in the first term's order, not a set's: the printed order of the bases taken out
    # must not depend on the process's string hashing
    common = [key for key in powers[0] if all(key in p for p in powers[1:])]
    out: list[tuple[Expr, sympy.Expr]] = []
    for key in common:
        ks = [p[key][0] for p in powers]
        if all(k.is_number and k < 0 for k in ks):
            out.append((powers[0][key][1], max(ks)))
        elif all(k.is_number and k > 0 for k in ks):
            out.append((powers[0][key][1], min(ks)))
    if not out:
        return None
    taken = {ckey(b): k for b, k in out}
    terms = []
    for (c, _, x), p in zip(parts, powers):
        rest = _power_product([(b, k - taken.get(key, 0)) for key, (k, b) in p.items()])
        terms.append(scale(c, x if rest is None else smul(rest, x)))
    return smul(_power_product(out), add(*terms))  # type: ignore[arg-type]


@rule(Add, name="products with a common last factor merged inside a longer sum: "
                "A x + B x + s y = (A + B) x + s y", phase=1)
def _(e: Add) -> Expr | None:
    """What phase 0 does for a sum whose every term ends (or starts) in one factor, for the
    terms that do when others do not (the Rayleigh quotient's Aᵀ x + A x beside its
    (xᵀ A x) x / (xᵀ x))."""
    parts = [split(t) for t in e.terms]
    for end in (-1, 0):
        groups: dict[Expr, list[int]] = {}
        for i, (_, core) in enumerate(parts):
            if isinstance(core, MatMul):
                groups.setdefault(core.factors[end], []).append(i)
        for f, idx in groups.items():
            if len(idx) < 2 or len(idx) == len(parts):
                continue
            rest = [scale(parts[i][0], mm(*(parts[i][1].factors[:-1] if end == -1  # type: ignore[union-attr]
                                              else parts[i][1].factors[1:])))  # type: ignore[union-attr]
                    for i in idx]
            merged = mm(add(*rest), f) if end == -1 else mm(f, add(*rest))
            return add(*(merged if j == idx[0] else t for j, t in enumerate(e.terms)
                         if j == idx[0] or j not in idx))
    return None
