"""Product nodes lowered: ``c X``, ``s X`` and ``F₁ ⋯ Fₖ``, each as a :func:`.chain.chain`.

A factor that is itself a scaled product joins the chain around it, so a Hessian applied
to a direction, ``(c A B C) vec(V)``, is applied factor by factor and never formed; a sum
applied to a vector is distributed over its terms; ``X⁻¹ B`` becomes a solve.
Registered on :func:`matcalc.codegen.lower.lower_node` when imported.
"""

from __future__ import annotations

from typing import Any

import sympy

from ..expr.dims import Dim
from ..expr.nodes import Add, Expr, Hadamard, Inverse, MatMul, ScalarMul, Scale
from .chain import chain
from .emit import ADD, COMPARE, COND, MUL, SUM_TERM, Code
from .lower import Lowerer, Val, full, hadamard_vals, lower, lower_node


@lower_node.register
def _scale(e: Scale, lo: Lowerer) -> Val:
    """``c X`` with c a constant (possibly involving dims, computed from the sizes)."""
    return _scaled_node(lo, [e.coef], e.x)


def _scaled_node(lo: Lowerer, factors: list[Any], x: Expr) -> Val:
    """``c X``: inside a product or an elementwise product, c scales the smallest factor."""
    if lo.reuse(x):
        return lo.scale(factors, lower(x, lo))
    if isinstance(x, MatMul):
        return product(lo, x.factors, list(factors))
    if isinstance(x, Hadamard):
        return hadamard_vals(lo, [lower(f, lo) for f in x.factors], x.shape, factors)
    return lo.scale(factors, lower(x, lo))


@lower_node.register
def _scalar_mul(e: ScalarMul, lo: Lowerer) -> Val:
    """``s X`` with s 1×1: a constant s folds, otherwise NumPy broadcasts the scalar."""
    return _scaled_node(lo, [_coefficient(lo, e)], e.x)


def _coefficient(lo: Lowerer, e: Scale | ScalarMul) -> Any:
    """The factor ``c`` of ``c X``: a constant, or the code of a 1×1 value."""
    if isinstance(e, Scale):
        return e.coef
    s = lower(e.s, lo)
    return s.const if s.const is not None else s.code


@lower_node.register
def _matmul(e: MatMul, lo: Lowerer) -> Val:
    """A chain: ones become sums, Diag scales rows/columns, the rest is ordered by cost.
    X⁻¹B is solved (np.linalg.solve: fewer flops, more accurate) unless X⁻¹ is needed anyway.
    A factor that is itself a scaled product, (c ABC) v, joins the chain: c A B C v, so a
    Hessian applied to a vector never forms the Hessian."""
    fs: list[Expr] = []
    scalars: list[Any] = []
    for f in e.factors:
        scaled = isinstance(f, (Scale, ScalarMul))
        inner = f.x if scaled else f
        if not isinstance(inner, MatMul) or lo.reuse(f) or lo.reuse(inner):
            fs.append(f)
            continue
        if scaled:
            scalars.append(_coefficient(lo, f))
        fs += inner.factors
    return product(lo, tuple(fs), scalars)


def product(lo: Lowerer, fs: tuple[Expr, ...], scalars: list[Any]) -> Val:
    """``s₁ ⋯ sⱼ F₁ ⋯ Fₖ`` from expressions: sums applied to vectors are distributed,
    inverses become solves, and the rest is a :func:`chain`."""
    spread = _distribute(lo, fs)
    if spread is not None:
        return lo.scale(scalars, spread)
    for i, f in enumerate(fs):
        if (isinstance(f, Inverse) and not lo.inverted_anyway(f) and f.shape[0] != 1
                and lower(f.x, lo).kind == "dense"):
            x = full(lo, lower(f.x, lo))
            if i + 1 < len(fs):  # X⁻¹ B = solve(X, B)
                rest = full(lo, chain(lo, [lower(g, lo) for g in fs[i + 1:]]))
                v = lo.dense(lo.call("np.linalg.solve", x, rest), f.shape[0], fs[-1].shape[1])
                return chain(lo, [lower(g, lo) for g in fs[:i]] + [v], scalars)
            if i > 0:  # A X⁻¹ = solve(Xᵀ, Aᵀ)ᵀ
                a = full(lo, chain(lo, [lower(g, lo) for g in fs[:i]]))
                s = lo.call("np.linalg.solve", lo.transpose_code(x), lo.transpose_code(a))
                rows, cols = fs[0].shape[0], fs[-1].shape[1]
                return lo.scale(scalars, lo.dense(lo.transpose_code(s), rows, cols))
    return chain(lo, [lower(f, lo) for f in fs], scalars)


def _distribute(lo: Lowerer, fs: tuple[Expr, ...]) -> Val | None:
    """A sum of matrices applied to a vector is applied term by term:
    (A₁ + ⋯ + Aₖ) R v = A₁(Rv) + ⋯ + Aₖ(Rv), and uᵀ L (A₁ + ⋯) likewise, so the
    n×n sum is never formed (k passes over the terms instead of k + 1, and no n×n
    temporary). Applied to a matrix V whose width is a dim, the choice is made per call
    (:func:`_apply_sum`). None when no factor is a sum computed only for this product."""
    for i, f in enumerate(fs):
        if not isinstance(f, Add) or lo.reuse(f) or 1 in f.shape:
            continue
        left, right = fs[:i], fs[i + 1:]
        if right:
            r = right[0] if len(right) == 1 else MatMul(right)
            if r.shape[1] == 1:
                spread: Expr = Add(tuple(MatMul((t, r)) for t in f.terms))
                return lower(MatMul((*left, spread)) if left else spread, lo)
        if left:
            lv = left[0] if len(left) == 1 else MatMul(left)
            if lv.shape[0] == 1:
                spread = Add(tuple(MatMul((lv, t)) for t in f.terms))
                return lower(MatMul((spread, *right)) if right else spread, lo)
        if right and lo.backend is None:
            terms = [lower(t, lo) for t in f.terms]
            # only for a sum of two layouts (Aᵀ + A): a strided pass, worth avoiding while V
            # is thin; terms of one layout add in one cheap pass, and the sum goes first
            if (all(t.kind == "dense" and not (t.br or t.bc) for t in terms)
                    and any(t.code.transpose_of is not None for t in terms)):
                rv = full(lo, chain(lo, [lower(g, lo) for g in right]))
                code = _apply_sum(lo, [t.code for t in terms], rv, fs[-1].shape[1], f.shape[1])
                applied = Val("dense", f.shape[0], fs[-1].shape[1], code)
                return chain(lo, [lower(g, lo) for g in left] + [applied])
    return None


def _apply_sum(lo: Lowerer, terms: list[Code], v: Code, width: Dim, inner: Dim) -> Code:
    """(T₁ + ⋯ + Tₖ) V, chosen per call from V's width: term by term while V is thin (no
    n×n temporary; the sum of a transposed term is a strided pass, slower than the products
    for V up to about n/4 columns wide), else the sum first (fewer flops). Written inline
    (``T₁ @ V + T₂ @ V if 4 * p <= n else _dense_sum(T₁, T₂) @ V``): a helper call cost
    0.5 μs, 5% of the tr(XᵀAX) hvp at n = 64, p = 16."""
    products = [lo.binop("@", MUL, t, v) for t in terms]
    spread = lo.em.op(ADD, (products[0], ADD),
                      *[part for x in products[1:] for part in (" + ", (x, SUM_TERM))])
    summed = lo.binop("@", MUL, lo.call(lo.helper("_dense_sum"), *terms), v)
    thin = sympy.Le(4 * width.expr, inner.expr)
    if thin in (sympy.true, sympy.false):  # sizes fixed at compile time (render drops the other)
        return spread if thin else summed
    test = lo.em.op(COMPARE, (lo.num(4 * width.expr), ADD), " <= ", (lo.dim(inner), ADD))
    return lo.em.op(COND, (spread, COMPARE), " if ", (test, COMPARE), " else ", (summed, COND))
