"""Lowering: matcalc expressions to NumPy computations, without materializing waste.

One ``singledispatch`` rule per node type turns an expression into a :class:`Val`, a
*structured* value: a dense array that may be stored broadcast (``b 1ᵀ`` is stored as the
column ``b``; ``c 1 1ᵀ`` as the scalar ``c``), or a scaled identity, a diagonal ``Diag(v)``
(stored as ``v``), a lazy Kronecker product or a commutation matrix. Rules combine
structured values by the identities in their docstrings, so a dense Diag, Kronecker, identity
or ones matrix is built only when the result itself is one (:func:`densify`).

Matrix products and scalings are lowered as chains (:mod:`matcalc.codegen.products`,
:mod:`matcalc.codegen.chain`); reductions
(trace, sums, norms, Frobenius products, diag), powers and inverse/det/logdet by
:mod:`matcalc.codegen.reduce`. Both register their rules in :func:`lower_node`; this module
imports neither.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import sympy

from ..expr.dims import ONE, Dim
from ..expr.functions import FUNCTIONS
from ..expr.nodes import (
    Apply,
    Commutation,
    Delta,
    Diag,
    Expr,
    Hadamard,
    Identity,
    Kron,
    Let,
    Number,
    Ones,
    Symbol,
    Transpose,
    Unvec,
    Vec,
    Zero,
)
from .emit import ADD, ATOM, MUL, POSTFIX, UNARY, Code, Emitter, constant_source
from .sign import nonnegative

__all__ = ["Val", "Lowerer", "lower", "densify", "LOWERINGS"]


@dataclass(frozen=True)
class Val:
    """A lowered value of logical shape ``rows × cols``.

    ``kind`` is ``"dense"`` (``code`` holds the stored array; ``br``/``bc`` say the stored
    extent along rows/columns is 1 and broadcasts; both set means a scalar, and then
    ``const`` may hold its exact value), ``"eye"`` (``scale`` times the identity; ``code``
    is the scale or None), ``"diag"`` (``Diag(v)``, ``code`` stores v as a column),
    ``"kron"`` (``args`` = the two factor Vals), ``"comm"`` (the commutation matrix,
    ``args`` = (m, n) dims) or ``"bd"`` (block-diagonal with p equal blocks: ``code`` is
    the p×r×c stack of blocks, ``args`` = (p,)).
    """

    kind: str
    rows: Dim
    cols: Dim
    code: Code | None = None
    br: bool = False
    bc: bool = False
    const: Any = None
    args: tuple = ()

    @property
    def is_scalar(self) -> bool:
        return self.kind == "dense" and self.br and self.bc

    @property
    def is_zero(self) -> bool:
        return self.const is not None and self.const == 0


class Lowerer:
    """Lowering state shared by every output of one compilation (so work is shared)."""

    def __init__(self, em: Emitter, dim_names: dict[sympy.Symbol, str],
                 functions: dict[str, str], arg_names: dict[Symbol, str],
                 backend: Any = None) -> None:
        self.em = em
        # None: NumPy. Otherwise an object whose call/method/reshape/astype/apply rewrite the
        # NumPy-level calls the rules ask for (matcalc.codegen.array_api.ArrayAPI)
        self.backend = backend
        self.dim_names = dim_names
        self.functions = functions  # implementation key → variable holding it
        self.arg_names = arg_names
        self.memo: dict[Expr, Val] = {}
        self.shared: set[Expr] = set()  # subexpressions with several parents (see reuse)
        # matrix → how many places use an inverse of it (X⁻¹, (Xᵀ)⁻¹), see inverted_anyway
        self.inverses: dict[Expr, int] = {}
        self.needs_dtype = False
        self.dtype_name = em.fresh("dtype")
        self.helpers: set[str] = set()

    # --- small builders -------------------------------------------------------------
    def num(self, value: Any) -> Code:
        """A constant (possibly involving dims, ``2/n``) as Python source."""
        text, prec = constant_source(sympy.sympify(value), self.dim_names)
        if self.backend is not None:
            text = self.backend.constant(text)
        return self.em.atom(text, prec)

    def reuse(self, e: Expr) -> bool:
        """Whether ``e`` is (or will be) computed anyway, so rules should use its value
        rather than a cheaper form that would compute it a second way (CSE first)."""
        return e in self.memo or e in self.shared

    def inverted_anyway(self, inv: Expr) -> bool:
        """Whether the matrix that the Inverse node ``inv`` inverts has its inverse used in
        more than this one place, so one ``np.linalg.inv`` should serve every use (X⁻ᵀ is
        the transpose of the one X⁻¹) rather than a solve each."""
        x = inv.x.x if isinstance(inv.x, Transpose) else inv.x
        return self.reuse(inv) or self.inverses.get(x, 0) > 1

    def dim(self, d: Dim) -> Code:
        return self.num(d.expr)

    def dtype(self) -> Code:
        self.needs_dtype = True
        return self.em.atom(self.dtype_name)

    def helper(self, name: str) -> str:
        self.helpers.add(name)
        return name

    def call(self, fn: str, *args: Code | str, prec: int = POSTFIX) -> Code:
        if self.backend is not None:
            return self.backend.call(self, fn, args)
        return self.call_text(fn, *args, prec=prec)

    def call_text(self, fn: str, *args: Code | str, prec: int = POSTFIX) -> Code:
        """``fn(args...)`` written as it stands, whatever the backend (backends use it to
        write the calls they translate to)."""
        parts: list = [f"{fn}("]
        for i, a in enumerate(args):
            if i:
                parts.append(", ")
            parts.append(a if isinstance(a, str) else (a, 0))
        parts.append(")")
        return self.em.op(prec, *parts)

    def method(self, x: Code, text: str) -> Code:
        if self.backend is not None:
            return self.backend.method(self, x, text)
        return self.em.op(POSTFIX, (x, POSTFIX), text)

    def reshape(self, x: Code, dims: list[Code | str], order: str = "C",
                shape: Code | None = None) -> Code:
        """``x.reshape(d₁, d₂, ...)``, or ``x.reshape(shape)`` for a shape tuple's code;
        ``order="F"`` for the column-major (vec) layout."""
        if self.backend is not None:
            return self.backend.reshape(self, x, dims, order)
        if x.reshape_of is not None and x.reshape_of[1] == order:
            x = x.reshape_of[0]  # x.reshape(a).reshape(b) = x.reshape(b), in one order
        parts: list = [(x, POSTFIX), ".reshape("]
        if shape is not None:
            parts.append((shape, 0))
        # the sizes are written into the call: a shared shape tuple would be hoisted to a
        # variable and leave ``.reshape`` without its parentheses
        for i, d in enumerate(dims if shape is None else []):
            parts += ([", "] if i else []) + [d if isinstance(d, str) else (d, 0)]
        code = self.em.op(POSTFIX, *parts, ', order="F")' if order == "F" else ")")
        code.reshape_of = (x, order)
        return code

    def astype(self, x: Code, dtype: Code) -> Code:
        """``x`` converted to ``dtype`` (a code that evaluates to a dtype)."""
        if self.backend is not None:
            return self.backend.astype(self, x, dtype)
        return self.em.op(POSTFIX, (x, POSTFIX), ".astype(", (dtype, POSTFIX), ")")

    def binop(self, op: str, prec: int, *xs: Code) -> Code:
        parts: list = [(xs[0], prec)]
        for x in xs[1:]:
            parts += [f" {op} ", (x, prec + 1)]
        return self.em.op(prec, *parts)

    def transpose_code(self, x: Code) -> Code:
        if x.transpose_of is not None:
            return x.transpose_of
        t = self.method(x, ".T")
        t.transpose_of = x
        return t

    # --- value constructors -----------------------------------------------------------
    def const(self, value: Any, rows: Dim, cols: Dim) -> Val:
        value = sympy.sympify(value)
        return Val("dense", rows, cols, self.num(value), True, True, value)

    def dense(self, code: Code, rows: Dim, cols: Dim, br: bool = False, bc: bool = False) -> Val:
        return Val("dense", rows, cols, code, br or rows == 1, bc or cols == 1)

    def scale(self, factors: list[Any], v: Val) -> Val:
        """``c₁ c₂ ⋯ v`` for constants (SymPy) and scalar codes in ``factors``."""
        coef = sympy.Integer(1)
        codes: list[Code] = []
        for f in factors:
            if isinstance(f, Code):
                codes.append(f)
            else:
                coef *= sympy.sympify(f)
        if coef == 0 or v.is_zero:
            return self.const(0, v.rows, v.cols)
        if not codes and coef == 1:
            return v
        if v.kind == "dense" and v.const is not None and not codes:
            return self.const(coef * v.const, v.rows, v.cols)
        if v.kind == "eye":
            s = [v.code] if v.code is not None else []
            return replace(v, code=self.scalar_product(coef, codes + s))
        if v.kind in ("diag", "bd"):
            return replace(v, code=self._scaled(coef, codes, v.code))
        if v.kind == "kron":
            return replace(v, args=(self.scale(factors, v.args[0]), v.args[1]))
        if v.kind == "comm":
            v = densify(self, v)
        if v.const == 1:
            return replace(v, code=self.scalar_product(coef, codes), const=None)
        return replace(v, code=self._scaled(coef, codes, v.code), const=None)

    def scalar_product(self, coef: Any, codes: list[Code]) -> Code:
        if not codes:
            return self.num(coef)
        return self._scaled(coef, codes[:-1], codes[-1])

    def _scaled(self, coef: Any, codes: list[Code], x: Code) -> Code:
        if x.scale_of is not None:  # c (d x) = (c d) x
            inner, x = x.scale_of
            coef *= sympy.Mul(*[f for f in inner if not isinstance(f, Code)])
            codes = [f for f in inner if isinstance(f, Code)] + codes
        if coef == -1 and not codes:
            c = self.em.op(UNARY, "-", (x, UNARY))
            c.neg_of = x
        else:
            xs = ([] if coef == 1 else [self.num(coef)]) + codes + [x]
            if len(xs) == 1:
                return x
            c = self.binop("*", MUL, *xs)
        c.scale_of = ([coef, *codes], x)
        return c


def _named(v: Val, name: str) -> Val:
    if v.code is not None and not v.code.fixed and v.code.hint is None:
        v.code.hint = name
    return v


# ----------------------------------------------------------------------------------------
# Densify: build a structured value as an array, only where the result needs it
# ----------------------------------------------------------------------------------------


def densify(lo: Lowerer, v: Val) -> Val:
    """``v`` as a dense (possibly broadcast-stored) array."""
    if v.kind == "dense":
        return v
    if v.kind == "bd":  # the blocks written onto the diagonal of a zeroed array
        if v.rows == 1 and v.cols == 1:
            return lo.dense(lo.em.op(POSTFIX, (v.code, POSTFIX), "[0, 0, 0]"), v.rows, v.cols)
        code = lo.call(lo.helper("_block_diag"), v.code, lo.dim(v.args[0]))
        return lo.dense(code, v.rows, v.cols)
    if v.rows == 1 and v.cols == 1:  # I₁, Diag(s), s ⊗ t and K(1,1) are scalars
        if v.kind == "diag":
            return lo.dense(v.code, v.rows, v.cols)
        if v.kind == "kron":
            a, b = (densify(lo, x) for x in v.args)
            return lo.scale([x.const if x.const is not None else x.code for x in (a, b)],
                            lo.const(1, v.rows, v.cols))
        return lo.scale([v.code] if v.kind == "eye" and v.code is not None else [],
                        lo.const(1, v.rows, v.cols))
    if v.kind == "eye":
        eye = lo.call("np.eye", lo.dim(v.rows), "dtype=" + lo.dtype().name)
        return lo.scale([v.code] if v.code is not None else [], lo.dense(eye, v.rows, v.cols))
    if v.kind == "diag":
        return lo.dense(lo.call("np.diagflat", v.code), v.rows, v.cols)
    if v.kind == "kron":
        a, b = v.args
        if lo.backend is None and (a.kind == "eye") != (b.kind == "eye"):
            # I_p ⊗ B is block-diagonal and A ⊗ I_q a scattered copy of A: written into a
            # zeroed array, never multiplied out as a Kronecker product with an identity
            eye, other = (a, b) if a.kind == "eye" else (b, a)
            x = full(lo, lo.scale([eye.code] if eye.code is not None else [], other))
            fn = "_block_diag" if a.kind == "eye" else "_kron_eye"
            return lo.dense(lo.call(lo.helper(fn), x, lo.dim(eye.rows)), v.rows, v.cols)
        a, b = (full(lo, densify(lo, x)) for x in v.args)
        return lo.dense(lo.call("np.kron", a, b), v.rows, v.cols)
    m, n = v.args
    k = lo.call(lo.helper("_commutation"), lo.dim(m), lo.dim(n), lo.dtype())
    return lo.dense(k, v.rows, v.cols)


def full(lo: Lowerer, v: Val) -> Code:
    """The code of a dense value with every stored extent equal to its logical one."""
    v = densify(lo, v)
    if (v.br and v.rows != 1) or (v.bc and v.cols != 1):
        shape = lo.em.op(ATOM, "(", (lo.dim(v.rows), 0), ", ", (lo.dim(v.cols), 0), ")")
        b = lo.call("np.broadcast_to", v.code, shape)
        return lo.method(b, f".astype({lo.dtype().name})")
    return v.code


# ----------------------------------------------------------------------------------------
# One rule per node type
# ----------------------------------------------------------------------------------------


@functools.singledispatch
def lower_node(e: Expr, lo: Lowerer) -> Val:
    raise TypeError(f"no NumPy lowering for {type(e).__name__}")


def lower(e: Expr, lo: Lowerer) -> Val:
    """The lowered value of ``e``; structurally equal subtrees are lowered once."""
    v = lo.memo.get(e)
    if v is None:
        v = lower_node(e, lo)
        if e.shape[0] == 1 and e.shape[1] == 1 and v.kind != "dense":
            v = densify(lo, v)  # a 1×1 value is always a scalar, never a 1×1 array
        lo.memo[e] = v
        assert (v.rows, v.cols) == e.shape, f"lowering changed the shape of {e}"
    return v


@lower_node.register
def _symbol(e: Symbol, lo: Lowerer) -> Val:
    """An argument, already coerced to float and to 2-D (vectors) or a scalar."""
    return lo.dense(lo.em.atom(lo.arg_names[e]), *e.shape)


@lower_node.register
def _number(e: Number, lo: Lowerer) -> Val:
    return lo.const(e.value, ONE, ONE)


@lower_node.register
def _ones(e: Ones, lo: Lowerer) -> Val:
    """1 is stored as the scalar 1 and broadcast: it never becomes an array."""
    return lo.const(1, *e.shape)


@lower_node.register
def _zero(e: Zero, lo: Lowerer) -> Val:
    return lo.const(0, *e.shape)


@lower_node.register
def _identity(e: Identity, lo: Lowerer) -> Val:
    return Val("eye", e.n, e.n)


@lower_node.register
def _commutation(e: Commutation, lo: Lowerer) -> Val:
    return Val("comm", *e.shape, args=(e.m, e.n))


@lower_node.register
def _delta(e: Delta, lo: Lowerer) -> Val:
    raise ValueError(f"cannot compile the differential d{e.of}: compile a gradient instead")


@lower_node.register
def _let(e: Let, lo: Lowerer) -> Val:
    """A named intermediate is expanded once and its variable carries the name."""
    return _named(lower(e.expr, lo), e.name)


def split_scale(c: Code) -> tuple[Any, tuple[Code, ...], Code]:
    """``c = coef · codes · base`` as recorded when c was built (else coef 1)."""
    if c.scale_of is not None:
        factors, base = c.scale_of
        coef = sympy.Mul(*[f for f in factors if not isinstance(f, Code)])
        return coef, tuple(f for f in factors if isinstance(f, Code)), base
    if c.neg_of is not None:
        return sympy.Integer(-1), (), c.neg_of
    return sympy.Integer(1), (), c


@lower_node.register
def _transpose(e: Transpose, lo: Lowerer) -> Val:
    """``Xᵀ`` is a view (``x.T``); (A ⊗ B)ᵀ = Aᵀ ⊗ Bᵀ; K(m,n)ᵀ = K(n,m); Diag and I symmetric."""
    return transpose(lo, lower(e.x, lo))


def transpose(lo: Lowerer, v: Val) -> Val:
    if v.kind in ("eye", "diag"):
        return v
    if v.kind == "kron":
        a, b = v.args
        return Val("kron", v.cols, v.rows, args=(transpose(lo, a), transpose(lo, b)))
    if v.kind == "comm":
        return Val("comm", v.cols, v.rows, args=(v.args[1], v.args[0]))
    if v.kind == "bd":  # each block transposed
        return Val("bd", v.cols, v.rows, lo.method(v.code, ".transpose(0, 2, 1)"), args=v.args)
    if v.is_scalar:
        return replace(v, rows=v.cols, cols=v.rows)
    return Val("dense", v.cols, v.rows, lo.transpose_code(v.code), v.bc, v.br)


@lower_node.register
def _hadamard(e: Hadamard, lo: Lowerer) -> Val:
    """Elementwise product; ones factors vanish, constants fold, zeros short-circuit."""
    return hadamard_vals(lo, [lower(f, lo) for f in e.factors], e.shape, [])


def hadamard_vals(lo: Lowerer, vs: list[Val], shape: tuple, factors: list[Any]) -> Val:
    if any(v.is_zero for v in vs):
        return lo.const(0, *shape)
    vs = [densify(lo, v) for v in vs]
    factors = factors + [v.const for v in vs if v.const is not None]
    rest = [v for v in vs if v.const is None]
    if not rest:
        return lo.scale(factors, lo.const(1, *shape))
    for i, v in enumerate(rest):  # (c a) ⊙ b = c (a ⊙ b): collect the scales
        if v.code.scale_of is not None or v.code.neg_of is not None:
            coef, codes, base = split_scale(v.code)
            factors = factors + [coef, *codes]
            rest[i] = replace(v, code=base)
    # scalars go on a factor stored with fewer entries (a broadcast one), else on the result
    rest.sort(key=lambda v: -(v.br + v.bc))
    smaller = (rest[0].br, rest[0].bc) != (all(v.br for v in rest), all(v.bc for v in rest))
    if smaller:
        rest[0] = lo.scale(factors, rest[0])
        if rest[0].is_zero:
            return lo.const(0, *shape)
    num = [v.code for v in rest if v.code.recip_of is None]
    den = [v.code.recip_of for v in rest if v.code.recip_of is not None]
    if num and den:  # a ⊙ y∘⁻¹ = a ⊘ y: one division, not a reciprocal and a product
        code = lo.binop("/", MUL, _product_code(lo, num), _product_code(lo, den))
    else:
        code = _product_code(lo, [v.code for v in rest])
    out = Val("dense", *shape, code, all(v.br for v in rest), all(v.bc for v in rest))
    return out if smaller else lo.scale(factors, out)


def _product_code(lo: Lowerer, codes: list[Code]) -> Code:
    return lo.binop("*", MUL, *codes) if len(codes) > 1 else codes[0]


@lower_node.register
def _apply(e: Apply, lo: Lowerer) -> Val:
    """``f(X)`` elementwise: a built-in's NumPy template or a user implementation."""
    v = densify(lo, lower(e.x, lo))
    spec = FUNCTIONS.get(e.fn)
    if e.fn == "step" and e.order == 0 and not v.is_scalar:
        # a comparison and a cast run ~20x faster than np.heaviside; step(NaN) is then 0,
        # and NaN still propagates through the products the step multiplies
        cmp = lo.em.op(ADD, (v.code, ADD + 1), " > 0")
        code = lo.astype(cmp, lo.em.op(POSTFIX, (v.code, POSTFIX), ".dtype"))
    elif spec is not None and e.order == 0 and lo.backend is not None:
        code = lo.backend.apply(lo, spec, v.code)
    elif spec is not None and e.order == 0:
        head, _, tail = spec.numpy.partition("{0}")
        if head.startswith("_"):
            lo.helper(head[:-1])
        code = lo.em.op(POSTFIX, head, (v.code, 0), tail)
    else:
        code = lo.call(lo.functions[impl_key(e.fn, e.order)], v.code)
    return Val("dense", *e.shape, code, v.br, v.bc)


def impl_key(fn: str, order: int) -> str:
    """The ``functions=`` key of the order-th derivative: ``sigma``, ``sigma'``, ``sigma''``."""
    return fn + "'" * order


@lower_node.register
def _diag(e: Diag, lo: Lowerer) -> Val:
    """Diag(v) is kept as v; Diag(c 1) = c I."""
    v = densify(lo, lower(e.v, lo))
    if v.br:
        return Val("eye", *e.shape, code=None if v.const == 1 else v.code)
    if nonnegative(e.v):  # Aᵀ Diag(v) A is then a Gram matrix (chain: SYRK)
        v.code.nonneg = True
    return Val("diag", *e.shape, code=v.code)


@lower_node.register
def _vec(e: Vec, lo: Lowerer) -> Val:
    """vec stacks columns: a column-major reshape; vec(c 1) = c 1."""
    v = densify(lo, lower(e.x, lo))
    if v.br and v.bc:
        return replace(v, rows=e.shape[0], cols=e.shape[1])
    x = full(lo, v)
    code = lo.reshape(x, ["-1", "1"], order="F")
    code.vec_of = (x, *e.x.shape)
    return lo.dense(code, *e.shape)


@lower_node.register
def _unvec(e: Unvec, lo: Lowerer) -> Val:
    """The inverse of vec: a column-major reshape."""
    v = densify(lo, lower(e.v, lo))
    if v.br and v.bc:
        return replace(v, rows=e.shape[0], cols=e.shape[1])
    dims = [lo.dim(e.rows), lo.dim(e.cols)]
    shape = lo.em.op(ATOM, "(", (dims[0], 0), ", ", (dims[1], 0), ")")
    code = lo.reshape(full(lo, v), dims, order="F", shape=shape)
    return lo.dense(code, *e.shape)


@lower_node.register
def _kron(e: Kron, lo: Lowerer) -> Val:
    """A ⊗ B stays lazy; products with it use (A ⊗ B) vec(X) = vec(B X Aᵀ)."""
    a, b = lower(e.a, lo), lower(e.b, lo)
    if a.is_zero or b.is_zero:
        return lo.const(0, *e.shape)
    if a.kind == "eye" and b.kind == "eye":  # I ⊗ I = I
        s = [x.code for x in (a, b) if x.code is not None]
        return Val("eye", *e.shape, code=lo.scalar_product(1, s) if s else None)
    # a 1×1 factor (not merely one stored as a broadcast scalar, like ones(n, n)) scales
    if a.rows == 1 and a.cols == 1:
        a = densify(lo, a)
        return lo.scale([a.const if a.const is not None else a.code], b)
    if b.rows == 1 and b.cols == 1:
        b = densify(lo, b)
        return lo.scale([b.const if b.const is not None else b.code], a)
    return Val("kron", *e.shape, args=(a, b))


LOWERINGS: Callable[..., Any] = lower_node
