"""Zero-aware smart constructors shared by the rule tables (differentials, adjoints, vec).

Rules build their results with these instead of the raw nodes so that symbolic zeros,
identities and constant factors short-circuit at once (as JAX's ``Zero`` does) and the
expressions handed to the simplifier stay small.
"""

from __future__ import annotations

import sympy

from .dims import ONE, Dim
from .nodes import (
    Add,
    Diag,
    DiagPart,
    Expr,
    Frob,
    Hadamard,
    Identity,
    Kron,
    MatMul,
    Number,
    Ones,
    ScalarMul,
    Scale,
    Transpose,
    Unvec,
    Vec,
    Zero,
    is_scalar_shape,
)
from .structure import is_symmetric

__all__ = ["is_zero", "zero_like", "add", "mm", "had", "scale", "smul", "tp", "frob", "kron",
           "vec", "unvec", "diag_part", "diag", "number"]


def is_zero(e: Expr) -> bool:
    return isinstance(e, Zero) or (isinstance(e, Scale) and e.coef == 0) or (
        isinstance(e, Number) and e.value == 0
    )


def zero_like(e: Expr) -> Zero:
    return Zero(*e.shape)


def number(value: object) -> Number:
    return Number(sympy.sympify(value))


def add(*terms: Expr, like: Expr | None = None) -> Expr:
    """Σ terms without zeros; ``like`` gives the shape of an empty sum."""
    flat: list[Expr] = []
    for t in terms:
        if is_zero(t):
            continue
        flat.extend(t.terms if isinstance(t, Add) else (t,))
    if not flat:
        if like is None:
            if not terms:
                raise ValueError("empty sum needs a shape")
            return zero_like(terms[0])
        return zero_like(like)
    return flat[0] if len(flat) == 1 else Add(tuple(flat))


def scale(c: object, x: Expr) -> Expr:
    """``c x`` for a constant c, merging nested constants."""
    c = sympy.sympify(c)
    if c == 0 or is_zero(x):
        return zero_like(x)
    if c == 1:
        return x
    if isinstance(x, Scale):
        return scale(c * x.coef, x.x)
    if isinstance(x, Number):
        return Number(c * x.value)
    return Scale(c, x)


def smul(s: Expr, x: Expr) -> Expr:
    """``s x`` for a 1×1 expression s."""
    if is_zero(s) or is_zero(x):
        return zero_like(x)
    if isinstance(s, Number):
        return scale(s.value, x)
    if isinstance(s, Scale):
        return scale(s.coef, smul(s.x, x))
    if isinstance(x, Scale):
        return scale(x.coef, smul(s, x.x))
    if isinstance(x, Number):
        return scale(x.value, s)
    return ScalarMul(s, x)


def mm(*factors: Expr) -> Expr:
    """The matrix product, dropping identities and pulling out constants and 1×1 factors."""
    if any(is_zero(f) for f in factors):
        return Zero(factors[0].shape[0], factors[-1].shape[1])
    coef = sympy.Integer(1)
    scalars: list[Expr] = []
    flat: list[Expr] = []
    for f in factors:
        while isinstance(f, (Scale, ScalarMul)):
            if isinstance(f, Scale):
                coef *= f.coef
            else:
                scalars.append(f.s)
            f = f.x
        if isinstance(f, MatMul):
            flat.extend(f.factors)
        else:
            flat.append(f)
    rows, cols = factors[0].shape[0], factors[-1].shape[1]
    kept: list[Expr] = []
    for f in flat:
        if isinstance(f, Identity):
            continue
        if isinstance(f, Number):
            coef *= f.value
            continue
        kept.append(f)
    # 1×1 factors in a chain whose neighbours are not 1×1 act as scalars: pull them out.
    if len(kept) > 1:
        chain: list[Expr] = []
        for f in kept:
            if is_scalar_shape(f.shape) and not (rows == 1 and cols == 1):
                scalars.append(f)
            else:
                chain.append(f)
        if chain:
            kept = chain
        else:  # everything is 1×1: a scalar product
            kept, scalars = [scalars[0]], scalars[1:]
    if not kept and scalars and is_scalar_shape((rows, cols)):
        kept = [scalars.pop()]
    if not kept:
        square = rows == cols and not is_scalar_shape((rows, cols))
        out: Expr = Identity(rows) if square else number(1)
    elif len(kept) == 1:
        out = kept[0]
    else:
        out = MatMul(tuple(kept))
    for s in reversed(scalars):
        out = smul(s, out)
    return scale(coef, out)


def had(*factors: Expr) -> Expr:
    """The Hadamard product, dropping ones and pulling out constants."""
    if any(is_zero(f) for f in factors):
        return zero_like(factors[0])
    coef = sympy.Integer(1)
    flat: list[Expr] = []
    for f in factors:
        while isinstance(f, Scale):
            coef *= f.coef
            f = f.x
        if isinstance(f, Hadamard):
            flat.extend(f.factors)
        elif isinstance(f, Ones):
            continue
        else:
            flat.append(f)
    if not flat:
        out: Expr = Ones(*factors[0].shape)
    elif len(flat) == 1:
        out = flat[0]
    else:
        out = Hadamard(tuple(flat))
    return scale(coef, out)


def tp(x: Expr) -> Expr:
    """The transpose, resolving the obvious cases at once."""
    if is_scalar_shape(x.shape):
        return x
    if isinstance(x, Transpose):
        return x.x
    if isinstance(x, (Zero, Ones)):
        return type(x)(x.shape[1], x.shape[0])
    if isinstance(x, (Identity, Diag)) or is_symmetric(x):
        return x  # Sᵀ = S for a symmetric S (the facts of matcalc.expr.structure)
    if isinstance(x, Scale):
        return scale(x.coef, tp(x.x))
    return Transpose(x)


def frob(a: Expr, b: Expr) -> Expr:
    if is_zero(a) or is_zero(b):
        return number(0)
    return Frob(a, b)


def kron(a: Expr, b: Expr) -> Expr:
    if is_zero(a) or is_zero(b):
        return Zero(a.shape[0] * b.shape[0], a.shape[1] * b.shape[1])
    if is_scalar_shape(a.shape):
        return smul(a, b) if not isinstance(a, Identity) else b
    if is_scalar_shape(b.shape):
        return smul(b, a) if not isinstance(b, Identity) else a
    if isinstance(a, Identity) and isinstance(b, Identity):
        return Identity(a.n * b.n)
    return Kron(a, b)


def vec(x: Expr) -> Expr:
    if x.shape[1] == 1:
        return x
    if is_zero(x):
        return Zero(x.shape[0] * x.shape[1], ONE)
    if x.shape[0] == 1:
        return tp(x)
    if isinstance(x, Unvec):
        return x.v
    return Vec(x)


def unvec(v: Expr, rows: Dim, cols: Dim) -> Expr:
    if cols == 1:
        return v
    if rows == 1:
        return tp(v)
    if is_zero(v):
        return Zero(rows, cols)
    if isinstance(v, Vec) and v.x.shape == (rows, cols):
        return v.x
    return Unvec(v, rows, cols)


def diag_part(x: Expr) -> Expr:
    if is_zero(x):
        return Zero(x.shape[0], ONE)
    if isinstance(x, Diag):
        return x.v
    if is_scalar_shape(x.shape):
        return x
    return DiagPart(x)


def diag(v: Expr) -> Expr:
    if is_zero(v):
        return Zero(v.shape[0], v.shape[0])
    if is_scalar_shape(v.shape):
        return v
    return Diag(v)
