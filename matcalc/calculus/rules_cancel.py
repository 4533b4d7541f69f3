"""Compact forms, elementwise: cancellations, the sigmoid, logarithms of products and powers.

Each rule is phase 1 (it sees canonical children) and carries the identity it implements
in its name, so a derivation can cite it. A rule that trades one form for another only
does so when the result is smaller (:func:`~matcalc.calculus.rulebook.size`), so no two
rules can undo each other. References: the logistic-regression gradient is PRML (4.91);
σ′ = σ(1 − σ) is PRML (4.88).
"""

from __future__ import annotations

from itertools import product

import sympy

from ..expr.build import softmax_of
from ..expr.nodes import (
    Add,
    Apply,
    Expr,
    Hadamard,
    MatMul,
    Ones,
    Power,
    ScalarMul,
    Sum,
    Transpose,
    is_scalar_shape,
)
from ..expr.ops import add, had, mm, scale, smul, tp
from .rulebook import ckey, factor_powers, rule, size, split

__all__: list[str] = []

# Distributing ⊙ over sums multiplies terms: past this many, the search is not worth it.
_MAX_EXPANDED = 16


def _neg(x: Expr) -> Expr:
    return scale(-1, x)


def _is_fn(e: Expr, fn: str) -> bool:
    return isinstance(e, Apply) and e.fn == fn and e.order == 0


# ----------------------------------------------------------------------------------------
# ⊙ over sums: the binary cross-entropy cancellation
# ----------------------------------------------------------------------------------------


def _expand(t: Expr) -> list[tuple[sympy.Expr, Expr]] | None:
    """The terms (c, core) of ``t`` with ⊙ distributed over its sum factors."""
    c, core = split(t)
    if not isinstance(core, Hadamard) or not any(isinstance(f, Add) for f in core.factors):
        return [(c, core)]
    choices = [f.terms if isinstance(f, Add) else (f,) for f in core.factors]
    count = 1
    for ch in choices:
        count *= len(ch)
    if count > _MAX_EXPANDED:
        return None
    out = []
    for pick in product(*choices):
        k, x = split(had(*pick))
        out.append((c * k, x))
    return out


@rule(Add, name="⊙ distributed where terms cancel: σ ⊙ (1 - y) - (1 - σ) ⊙ y = σ - y",
      phase=1)
def _(e: Add) -> Expr | None:
    """a ⊙ (b + c) = a ⊙ b + a ⊙ c, taken only when like terms then cancel or merge and the
    sum gets smaller (the binary cross-entropy gradient σ(z) - y, PRML (4.91))."""
    if not any(isinstance(split(t)[1], Hadamard) for t in e.terms):
        return None
    expanded: list[tuple[sympy.Expr, Expr]] = []
    for t in e.terms:
        part = _expand(t)
        if part is None:
            return None
        expanded.extend(part)
    if len(expanded) == len(e.terms):
        return None
    groups: dict[object, list] = {}
    for c, core in expanded:
        k = ckey(core)
        if k in groups:
            groups[k][0] += c
        else:
            groups[k] = [c, core]
    if len(groups) == len(expanded):
        return None  # nothing cancels or merges: distributing only lengthens
    out = add(*(scale(c, core) for c, core in groups.values() if c != 0), like=e)
    return out if size(out) < size(e) else None


# ----------------------------------------------------------------------------------------
# The sigmoid σ(v) = 1 / (1 + e⁻ᵛ)
# ----------------------------------------------------------------------------------------


def _exp_arg_of_one_plus_exp(x: Expr) -> Expr | None:
    """v for ``x = 1 + exp(v)`` (terms in either order)."""
    if isinstance(x, Add) and len(x.terms) == 2:
        a, b = x.terms
        for one, ex in ((a, b), (b, a)):
            if isinstance(one, Ones) and _is_fn(ex, "exp"):
                return ex.x  # type: ignore[attr-defined]
    return None


@rule(Power, name="1 ⊘ (1 + exp(-v)) = sigmoid(v)", phase=1)
def _(e: Power) -> Expr | None:
    """(1 + e⁻ᵛ)⁻¹ = σ(v), so (1 + eᵛ)⁻¹ = σ(−v) (the logistic function, PRML (4.59))."""
    if e.k != -1:
        return None
    v = _exp_arg_of_one_plus_exp(e.x)
    return None if v is None else Apply("sigmoid", _neg(v))


@rule(Hadamard, name="sigmoid(-v) ⊙ exp(v) = sigmoid(v)", phase=1)
def _(e: Hadamard) -> Expr | None:
    """σ(−v) eᵛ = eᵛ / (1 + eᵛ) = σ(v): the logistic loss's gradient reads with σ."""
    fs = list(e.factors)
    for i, s in enumerate(fs):
        if not _is_fn(s, "sigmoid"):
            continue
        for j, x in enumerate(fs):
            if _is_fn(x, "exp") and ckey(x.x) == ckey(_neg(s.x)):  # type: ignore[attr-defined]
                rest = [f for k, f in enumerate(fs) if k not in (i, j)]
                return had(Apply("sigmoid", x.x), *rest)  # type: ignore[attr-defined]
    return None


# ----------------------------------------------------------------------------------------
# Logarithms and powers of scalar multiples
# ----------------------------------------------------------------------------------------


@rule(Apply, name="log(exp(z)) = z", phase=1)
def _(e: Apply) -> Expr | None:
    return e.x.x if e.fn == "log" and e.order == 0 and _is_fn(e.x, "exp") else None  # type: ignore[attr-defined]


@rule(Apply, name="log(s x) = log(x) + log(s) 1, log(x.^k) = k log(x)", phase=1)
def _(e: Apply) -> Expr | None:
    """log(a / b) = log a − log b for a scalar b (softmax: log(eᶻ / Σ eᶻ) = z − log Σ eᶻ).

    ``log(x.^k) = k log(x)`` only for odd integer k, where x.^k and x have one sign.
    """
    if e.fn != "log" or e.order != 0:
        return None
    x = e.x
    if isinstance(x, ScalarMul):
        return add(Apply("log", x.x), smul(Apply("log", x.s), Ones(*e.shape)))
    if isinstance(x, Power) and x.k.is_integer and x.k.is_odd:
        return scale(x.k, Apply("log", x.x))
    return None


@rule(Power, name="(s x).^k = s^k x.^k", phase=1)
def _(e: Power) -> Expr | None:
    """An elementwise integer power of a scalar multiple: the scalar comes out."""
    if isinstance(e.x, ScalarMul) and e.k.is_integer:
        return smul(Power(e.x.s, e.k), Power(e.x.x, e.k))
    return None



# ----------------------------------------------------------------------------------------
# Cancellation across a product: x.^(-1) ⊙ x = 1 made visible
# ----------------------------------------------------------------------------------------


def _powers(f: Expr) -> list[tuple[object, sympy.Expr]]:
    """(base key, exponent) of each ⊙ factor of ``f``."""
    fs = f.factors if isinstance(f, Hadamard) else (f,)
    return [(ckey(g.x), g.k) if isinstance(g, Power) else (ckey(g), sympy.Integer(1))
            for g in fs]


def _exponents(f: Expr) -> dict[object, list]:
    """Base key → [total exponent, number of factors] over the ⊙ factors of ``f``."""
    out: dict[object, list] = {}
    for k, p in _powers(f):
        slot = out.setdefault(k, [sympy.Integer(0), 0])
        slot[0] += p
        slot[1] += 1
    return out


def _cancels_with(pa: dict[object, list], b: Expr, without: object = None) -> bool:
    """Some base of ``b`` has an exponent that cancels its total in ``pa`` (leaving out one
    factor ``without``, of exponent 1, that ``pa`` counts)."""
    for k, (p, _) in _exponents(b).items():
        if k not in pa:
            continue
        q, count = pa[k]
        if k == without:
            q, count = q - 1, count - 1
        if count and q + p == 0:
            return True
    return False


def _cancels(a: Expr, b: Expr) -> bool:
    """Some base of ``a`` ⊙ ``b`` has exponents in both that sum to zero."""
    return _cancels_with(_exponents(a), b)


def _ones_column(t: Expr) -> bool:
    core = split(t)[1]
    if isinstance(core, ScalarMul):
        core = core.x
    return isinstance(core, Ones)


@rule(Hadamard, name="a ⊙ (a.^(-1) ⊙ b + c) = b + a ⊙ c", phase=1)
def _(e: Hadamard) -> Expr | None:
    """⊙ distributed over a sum factor when a term cancels against the other factors
    (the softmax cross-entropy: eᶻ ⊙ (−e⁻ᶻ ⊙ y + c 1) = c eᶻ − y), and no more terms grow
    than cancel."""
    fs = list(e.factors)
    if not any(isinstance(f, Add) for f in fs):
        return None
    total = _exponents(e)  # once: a deep chain's product has a factor per level
    for i, f in enumerate(fs):
        if not isinstance(f, Add):
            continue
        fk = ckey(f)  # the other factors' exponents are the total less f's own
        cancel = [_cancels_with(total, split(t)[1], without=fk) for t in f.terms]
        if not any(cancel):
            continue
        grows = sum(1 for t, c in zip(f.terms, cancel) if not c and not _ones_column(t))
        if grows <= sum(cancel):
            rest = had(*(fs[:i] + fs[i + 1:]))
            return add(*(had(rest, t) for t in f.terms))
    return None


def _row_transposed(r: Expr) -> Expr:
    """``rᵀ`` with the transpose taken through ⊙ (a row's factors are transposes)."""
    if isinstance(r, Hadamard):
        return had(*(_row_transposed(f) for f in r.factors))
    return r.x if isinstance(r, Transpose) else tp(r)


@rule(MatMul, name="(a ⊙ b)ᵀ a.^(-1) = sum(b)", phase=1)
def _(e: MatMul) -> Expr | None:
    """uᵀ v = sum(u ⊙ v), taken when u ⊙ v cancels (MC (1.2): 1ᵀ(u ⊙ v) = uᵀ v)."""
    if len(e.factors) != 2 or not is_scalar_shape(e.shape):
        return None
    r, c = e.factors
    u = _row_transposed(r)
    return Sum(had(u, c)) if _cancels(u, c) else None


@rule(MatMul, name="1×1 sub-products of a chain are scalars: A (uᵀ v) B = (uᵀ v) A B", phase=1)
def _(e: MatMul) -> Expr | None:
    fs = list(e.factors)
    n = len(fs)
    for i in range(n):
        if fs[i].shape[0] != 1:
            continue
        for j in range(i + 1, n):
            if fs[j].shape[1] == 1 and (i, j) != (0, n - 1):
                rest = fs[:i] + fs[j + 1:]
                return smul(mm(*fs[i:j + 1]), mm(*rest))
    return None


# ----------------------------------------------------------------------------------------
# Elementwise rational forms over one denominator
# ----------------------------------------------------------------------------------------


def _merged(c: sympy.Expr, core: Expr) -> tuple[sympy.Expr, Expr]:
    """(c, core) with equal ⊙ bases of ``core`` merged into powers (x ⊙ x.^2 = x.^3)."""
    if not isinstance(core, Hadamard):
        return c, core
    fs = [b if k == 1 else Power(b, k) for k, b in factor_powers(core.factors).values()
          if k != 0]
    k2, x = split(had(*fs)) if fs else (sympy.Integer(1), Ones(*core.shape))
    return c * k2, x


def _over(t: Expr, key: object) -> tuple[sympy.Expr, list[Expr], sympy.Expr] | None:
    """(c, numerator factors, k) with t = c (numerator) ⊙ D.^(-k) for the base D of ``key``."""
    c, core = split(t)
    fs = list(core.factors) if isinstance(core, Hadamard) else [core]
    for i, f in enumerate(fs):
        if isinstance(f, Power) and ckey(f.x) == key and f.k.is_integer and f.k < 0:
            return c, fs[:i] + fs[i + 1:], -f.k
    return None


@rule(Add, name="elementwise terms over one denominator: a ⊘ d - b ⊘ d.^2 = (a ⊙ d - b) ⊘ d.^2",
      phase=1)
def _(e: Add) -> Expr | None:
    """Fractions with one elementwise denominator d brought over the highest power of d,
    taken when the numerator then shrinks (d/dx x/(1 + x) = 1/(1 + x)²)."""
    c0, core0 = split(e.terms[0])
    fs0 = core0.factors if isinstance(core0, Hadamard) else (core0,)
    for f in fs0:
        if not (isinstance(f, Power) and isinstance(f.x, Add) and f.k.is_integer and f.k < 0):
            continue
        key, d = ckey(f.x), f.x
        parts = [_over(t, key) for t in e.terms]
        if any(p is None for p in parts):
            continue
        top = max(k for _, _, k in parts)  # type: ignore[misc]
        if any(top - k > 1 for _, _, k in parts):  # type: ignore[misc]
            continue
        expanded: list[tuple[sympy.Expr, Expr]] = []
        for c, num, k in parts:  # type: ignore[misc]
            factors = num + ([d] if k < top else [])
            prod = had(*factors) if factors else Ones(*e.shape)
            k0, bare = split(prod)
            pieces = ([split(t) for t in bare.terms] if isinstance(bare, Add)
                      else _expand(bare) or [(sympy.Integer(1), bare)])
            for cc, x in pieces:
                expanded.append(_merged(c * k0 * cc, x))
        groups: dict[object, list] = {}
        for c, x in expanded:
            groups.setdefault(ckey(x), [sympy.Integer(0), x])[0] += c
        if len(groups) == len(expanded):
            continue
        numerator = add(*(scale(c, x) for c, x in groups.values() if c != 0), like=e)
        out = had(numerator, Power(d, -top))
        if size(out) < size(e):
            return out
    return None


# ----------------------------------------------------------------------------------------
# exp(z) over its own sums is the softmax (matcalc.expr.softmax_form)
# ----------------------------------------------------------------------------------------


@rule(ScalarMul, name="exp(z) / sum(exp(z)) = softmax(z)", phase=1)
def _(e: ScalarMul) -> Expr | None:
    """The gradient of log Σ exp(z) (Cookbook-style 'log-sum-exp'), read as softmax(z)."""
    s = e.s
    return softmax_of(e.x, s.x) if isinstance(s, Power) and s.k == -1 else None


@rule(Hadamard, name="exp(Z) ⊘ (exp(Z) 𝟏 𝟏ᵀ) = softmax(Z, axis=1)", phase=1)
def _(e: Hadamard) -> Expr | None:
    """exp(Z) over its row (or column) sums, a factor of a product, is the row (column)
    softmax of Z."""
    fs = e.factors
    for i, f in enumerate(fs):
        if not (isinstance(f, Power) and f.k == -1):
            continue
        for j, g in enumerate(fs):
            p = softmax_of(g, f.x) if j != i else None
            if p is not None:
                return had(p, *(h for k, h in enumerate(fs) if k not in (i, j)))
    return None
