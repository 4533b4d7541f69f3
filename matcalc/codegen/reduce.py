"""Lowering of reductions and linear algebra: trace, sum, norms, A : B, diag, inv, det.

The rules avoid forming products they only reduce: tr(AB) = Aᵀ : B, sum(AB) = (1ᵀA)(B1),
diag(AB)ᵢ = Σⱼ AᵢⱼBⱼᵢ, and a side stored broadcast (``b 1ᵀ``) sums the other side first.
Registered on :func:`matcalc.lower.lower_node` when :mod:`matcalc.lower` is imported.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import sympy

from ..expr.dims import ONE
from ..expr.nodes import (
    Det,
    DiagPart,
    Frob,
    Hadamard,
    Inverse,
    LogDet,
    MatMul,
    MatrixPower,
    Norm,
    Power,
    Sum,
    Trace,
)
from .chain import chain
from .emit import MUL, POSTFIX, POW, Code
from .lower import Lowerer, Val, densify, full, lower, lower_node, transpose


@lower_node.register
def _diag_part(e: DiagPart, lo: Lowerer) -> Val:
    """diag(AB)ᵢ = Σⱼ Aᵢⱼ Bⱼᵢ without forming AB; diag(Diag(v)) = v; diag(cI) = c 1;
    diag(x) = x for a 1×1 x."""
    x = e.x
    if e.shape[0] == 1:
        # A 1×1 value is a scalar (see lower.lower), not a 2-D array: the einsum below
        # would get no subscripts for it (diag(s t)), or return a 1×1 array (diag(r v)).
        return lower(x, lo)
    if isinstance(x, MatMul) and not lo.reuse(x):
        a = densify(lo, lower(x.factors[0], lo))
        b = densify(lo, chain(lo, [lower(f, lo) for f in x.factors[1:]]))
        code = lo.call('np.einsum', '"ij,ji->i"', full(lo, a), full(lo, b))
        return lo.dense(lo.em.op(POSTFIX, (code, POSTFIX), "[:, None]"), *e.shape)
    return diag_part(lo, lower(x, lo))


def diag_part(lo: Lowerer, v: Val) -> Val:
    """diag of a lowered square value, as a column."""
    n = v.rows
    if v.kind == "eye":
        return lo.scale([v.code] if v.code is not None else [], lo.const(1, n, ONE))
    if v.kind == "diag":
        return lo.dense(v.code, n, ONE)
    v = densify(lo, v)
    if v.br and v.bc:
        return replace(v, cols=ONE)
    if v.bc:  # diag(b 1ᵀ) = b
        return lo.dense(v.code, n, ONE)
    if v.br:  # diag(1 r) = rᵀ
        return lo.dense(lo.transpose_code(v.code), n, ONE)
    diag = lo.call("np.diagonal", v.code)
    return lo.dense(lo.em.op(POSTFIX, (diag, POSTFIX), "[:, None]"), n, ONE)



@lower_node.register
def _trace(e: Trace, lo: Lowerer) -> Val:
    """tr(AB) = Aᵀ : B, never forming AB (Matrix Cookbook eq. 16)."""
    x = e.x
    if isinstance(x, MatMul) and not lo.reuse(x):
        a = lower(x.factors[0], lo)
        b = chain(lo, [lower(f, lo) for f in x.factors[1:]])
        return frob(lo, transpose(lo, a), b)
    return trace(lo, lower(x, lo))


def trace(lo: Lowerer, v: Val) -> Val:
    """tr V = I : V; tr(A ⊗ B) = tr A tr B when A and B are square (only then)."""
    if v.kind == "kron" and all(a.rows == a.cols for a in v.args):
        ta, tb = (trace(lo, a) for a in v.args)
        return lo.scale([ta.const if ta.const is not None else ta.code], tb)
    return frob(lo, Val("eye", v.rows, v.cols), densify(lo, v) if v.kind == "kron" else v)


@lower_node.register
def _frob_node(e: Frob, lo: Lowerer) -> Val:
    """A : B = Σᵢⱼ Aᵢⱼ Bᵢⱼ."""
    return frob(lo, lower(e.a, lo), lower(e.b, lo))


def frob(lo: Lowerer, a: Val, b: Val) -> Val:
    """A : B without temporaries: broadcast sides reduce the other side first."""
    if a.is_zero or b.is_zero:
        return lo.const(0, ONE, ONE)
    if b.kind in ("eye", "diag") and a.kind not in ("eye", "diag"):
        a, b = b, a
    if a.kind == "eye":  # sI : B = s tr B
        s = [a.code] if a.code is not None else []
        if b.kind in ("eye", "diag"):
            inner = lo.const(a.rows.expr, ONE, ONE) if b.kind == "eye" else lo.dense(
                lo.method(b.code, ".sum()"), ONE, ONE)
            s += [b.code] if b.kind == "eye" and b.code is not None else []
            return lo.scale(s, inner)
        b = densify(lo, b)
        if b.br and b.bc:
            return lo.scale(s + [a.rows.expr], replace(b, rows=ONE, cols=ONE))
        return lo.scale(s, lo.dense(lo.call("np.trace", full(lo, b)), ONE, ONE))
    if a.kind == "diag":  # Diag(v) : B = Σ vᵢ Bᵢᵢ
        d = diag_part(lo, b)
        return frob(lo, lo.dense(a.code, a.rows, ONE), d)
    a, b = densify(lo, a), densify(lo, b)
    factors: list[Any] = []
    # an axis stored broadcast on one side is summed out of the other side first
    for axis, (ba, bb) in enumerate(((a.br, b.br), (a.bc, b.bc))):
        n = (a.rows, a.cols)[axis]
        if n == 1:
            continue
        if ba and bb:
            factors.append(n.expr)
        elif ba:
            b = _reduce(lo, b, axis)
        elif bb:
            a = _reduce(lo, a, axis)
    if a.const is not None or b.const is not None or (a.is_scalar and b.is_scalar):
        for v in (a, b):
            factors.append(v.const if v.const is not None else v.code)
        return lo.scale(factors, lo.const(1, ONE, ONE))
    ta, tb = a.code.transpose_of, b.code.transpose_of
    if ta is not None and tb is not None:  # Aᵀ : Bᵀ = A : B, on contiguous arrays
        code = lo.call("np.vdot", ta, tb)
    elif ta is not None:  # Aᵀ : B = Σ Aⱼᵢ Bᵢⱼ; einsum reads the strides, no copy
        code = lo.call("np.einsum", '"ij,ji->"', ta, b.code)
    elif tb is not None:
        code = lo.call("np.einsum", '"ij,ji->"', a.code, tb)
    else:
        code = lo.call("np.vdot", a.code, b.code)
    return lo.scale(factors, lo.dense(code, ONE, ONE))


def _reduce(lo: Lowerer, v: Val, axis: int) -> Val:
    """Sum a dense value along ``axis`` (0: rows, 1: columns), keeping it 2-D."""
    if (v.br, v.bc)[axis]:
        n = (v.rows, v.cols)[axis]
        v = lo.scale([n.expr], v)
    elif v.is_scalar or (axis == 0 and v.bc) or (axis == 1 and v.br):
        code = lo.method(v.code, ".sum()")
        v = Val("dense", v.rows, v.cols, code, v.br, v.bc)
    else:
        v = replace(v, code=lo.method(v.code, f".sum({axis}, keepdims=True)"))
    rows, cols = (ONE, v.cols) if axis == 0 else (v.rows, ONE)
    return Val("dense", rows, cols, v.code, True if axis == 0 else v.br,
               True if axis == 1 else v.bc, v.const)


@lower_node.register
def _sum(e: Sum, lo: Lowerer) -> Val:
    """sum(X) = 1ᵀ X 1: lowered as a chain, so sum(AB) = (1ᵀA)(B1) never forms AB."""
    x = e.x
    if isinstance(x, Power) and x.k == 2 and not lo.reuse(x):  # sum(X.^2) = X : X
        v = lower(x.x, lo)
        return frob(lo, v, v)
    if isinstance(x, Hadamard) and len(x.factors) == 2 and not lo.reuse(x):  # sum(A⊙B) = A:B
        return frob(lo, lower(x.factors[0], lo), lower(x.factors[1], lo))
    factors = list(x.factors) if isinstance(x, MatMul) and not lo.reuse(x) else [x]
    vals = [lower(f, lo) for f in factors]
    return chain(lo, [lo.const(1, ONE, x.shape[0])] + vals + [lo.const(1, x.shape[1], ONE)])


@lower_node.register
def _norm(e: Norm, lo: Lowerer) -> Val:
    """‖X‖_F; a broadcast-stored X scales the norm of what is stored."""
    v = lower(e.x, lo)
    if v.kind == "diag":
        return lo.dense(lo.call("np.linalg.norm", v.code), ONE, ONE)
    v = densify(lo, v)
    if v.const is not None:
        return lo.const(sympy.Abs(v.const) * sympy.sqrt(v.rows.expr * v.cols.expr), ONE, ONE)
    n = sympy.Integer(1)
    if v.br:
        n *= v.rows.expr
    if v.bc:
        n *= v.cols.expr
    code = lo.call("np.abs" if v.is_scalar else "np.linalg.norm", v.code)
    return lo.scale([] if n == 1 else [sympy.sqrt(n)], lo.dense(code, ONE, ONE))


@lower_node.register
def _inverse(e: Inverse, lo: Lowerer) -> Val:
    """inv(Diag(v)) = Diag(1/v); (A ⊗ B)⁻¹ = A⁻¹ ⊗ B⁻¹; otherwise np.linalg.inv."""
    return inverse(lo, lower(e.x, lo))


def inverse(lo: Lowerer, v: Val) -> Val:
    if v.rows == 1 and v.cols == 1:  # the inverse of a 1×1 is a reciprocal
        v = densify(lo, v)
        if v.const is not None:
            return lo.const(1 / v.const, v.rows, v.cols)
        return lo.dense(lo.em.op(MUL, "1 / ", (v.code, MUL + 1)), v.rows, v.cols)
    if v.kind == "eye":
        return v if v.code is None else replace(v, code=lo.em.op(MUL, "1 / ", (v.code, MUL + 1)))
    if v.kind == "diag":
        return replace(v, code=lo.em.op(MUL, "1 / ", (v.code, MUL + 1)))
    if v.kind == "kron" and all(a.rows == a.cols for a in v.args):  # needs square factors
        a, b = (inverse(lo, x) for x in v.args)
        return Val("kron", v.rows, v.cols, args=(a, b))
    x = full(lo, v)
    if x.transpose_of is not None:  # (Xᵀ)⁻¹ = (X⁻¹)ᵀ: one inverse of X serves both
        inv = lo.call("np.linalg.inv", x.transpose_of)
        return lo.dense(lo.transpose_code(inv), v.rows, v.cols)
    return lo.dense(lo.call("np.linalg.inv", x), v.rows, v.cols)


@lower_node.register
def _det(e: Det, lo: Lowerer) -> Val:
    """det(Diag(v)) = Π vᵢ; otherwise np.linalg.det."""
    v = lower(e.x, lo)
    if v.rows == 1:  # det of a 1×1 is its entry
        return densify(lo, v)
    if v.kind == "diag":
        return lo.dense(lo.call("np.prod", v.code), ONE, ONE)
    return lo.dense(lo.call("np.linalg.det", full(lo, v)), ONE, ONE)


@lower_node.register
def _logdet(e: LogDet, lo: Lowerer) -> Val:
    """log|det X| from slogdet (no overflow); for Diag(v), Σ log|vᵢ|."""
    v = lower(e.x, lo)
    if v.rows == 1:
        return lo.dense(lo.call("np.log", lo.call("np.abs", densify(lo, v).code)), ONE, ONE)
    if v.kind == "diag":
        s = lo.method(lo.call("np.log", lo.call("np.abs", v.code)), ".sum()")
        return lo.dense(s, ONE, ONE)
    sl = lo.call("np.linalg.slogdet", full(lo, v))
    return lo.dense(lo.em.op(POSTFIX, (sl, POSTFIX), "[1]"), ONE, ONE)


@lower_node.register
def _power(e: Power, lo: Lowerer) -> Val:
    """Elementwise power: x², 1/x and √x get their cheap NumPy forms; ‖X‖² = X : X."""
    k = e.k
    if isinstance(e.x, Norm) and k == 2 and not lo.reuse(e.x):
        x = lower(e.x.x, lo)
        return frob(lo, x, x)
    v = densify(lo, lower(e.x, lo))
    if v.const is not None:
        return lo.const(v.const ** k, *e.shape)
    if k == 1:
        return v
    if k == sympy.Rational(1, 2):
        code = lo.call("np.sqrt", v.code)
    elif k.is_negative and (k.is_integer or k == sympy.Rational(-1, 2)):
        # x∘ᵏ = 1 / x∘⁻ᵏ: NumPy's integer power runs ~4x slower than a square and a
        # division (x ** -2: 22 μs, 1 / x ** 2: 5 μs at 8192 entries), and a product with
        # it becomes one division (hadamard_vals: a ⊘ x∘⁻ᵏ)
        if k == -1:
            den = v.code
        elif k == sympy.Rational(-1, 2):
            den = lo.call("np.sqrt", v.code)
        else:
            den = _integer_power(lo, v.code, -k)
        code = lo.em.op(MUL, "1 / ", (den, MUL + 1))
        code.recip_of = den
    elif k.is_integer:
        code = _integer_power(lo, v.code, k)
    else:
        code = _pow(lo, v.code, k)
    return replace(v, code=code)


def _pow(lo: Lowerer, x: Code, k: Any) -> Code:
    return lo.em.op(POW, (x, POW + 1), " ** ", (lo.num(k), POW))


def _integer_power(lo: Lowerer, x: Code, k: Any) -> Code:
    """x∘ᵏ for an integer k ≥ 2 by repeated squaring (x∘⁵ = ((x∘²)∘²) ⊙ x), up to k = 16.

    NumPy squares in one cheap pass but sends other integer exponents to ``pow``: at 8192
    entries ``x ** 3`` took 500 μs where ``x ** 2 * x`` took 5 μs. Each product adds at most
    half an ulp, so for k ≤ 16 the result stays within a few ulps; larger k keep ``**``."""
    if k > 16:
        return _pow(lo, x, k)
    if k == 1:
        return x
    square = _pow(lo, _integer_power(lo, x, k // 2), 2)
    if k % 2:
        return lo.em.op(MUL, (square, MUL), " * ", (x, MUL + 1))
    return square


@lower_node.register
def _matrix_power(e: MatrixPower, lo: Lowerer) -> Val:
    """Xᵏ by np.linalg.matrix_power (repeated squaring); Diag(v)ᵏ = Diag(v.^k)."""
    v = lower(e.x, lo)
    k = lo.num(e.k)
    if v.kind == "diag":
        return replace(v, code=lo.em.op(POW, (v.code, POW + 1), " ** ", (k, POW)))
    return lo.dense(lo.call("np.linalg.matrix_power", full(lo, v), k), *e.shape)
