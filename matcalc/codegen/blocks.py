"""Block-diagonal stacks: what their blocks are made of, and the Kronecker sandwiches
``(A ⊗ I) blocks (C ⊗ I)`` written from those factors rather than from the stack.

A block-diagonal value is lowered as the p×r×c stack of its blocks (:mod:`chain`). When
every block has the form ``Bⱼ = Diag(lⱼ) B Diag(rⱼ) + Diag(dⱼ)`` — one shared block B,
scaled row- and columnwise per block, plus a diagonal — the stack's code records the
factors (:class:`BlockForm`, on :attr:`Code.blocks_of`). The Hessian of a layer's weights
has this form: Diag(s') (I ⊗ W₂ᵀW₂) Diag(s') + Diag(vec Q).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sympy

from ..expr.dims import ONE, Dim
from .emit import MUL, POSTFIX, Code
from .lower import Lowerer, Val, full, split_scale

__all__ = ["BlockForm", "block_size", "of_diag", "form_of", "with_form", "sandwich"]


def block_size(d: Dim, p: Dim) -> Dim:
    """The block size d / p of a dimension d split into p blocks."""
    return Dim(sympy.simplify(d.expr / p.expr))


def of_diag(lo: Lowerer, v: Code, p: Dim, c: Dim) -> Code:
    """Diag(v), v of length p·c, as the p×c matrix whose row j is the j-th block's diagonal:
    for v = s vec(D), D c×p, that is s Dᵀ (a view, scaled), not a reshaped copy of s vec(D)."""
    coef, codes, base = split_scale(v)
    if base.vec_of is not None and base.vec_of[1:] == (c, p):
        dt = Val("dense", p, c, lo.transpose_code(base.vec_of[0]))
        return lo.scale([coef, *codes], dt).code
    return lo.reshape(v, [lo.dim(p), lo.dim(c)])


@dataclass(frozen=True)
class BlockForm:
    """Block j of a p×r×c stack is ``Diag(left[j]) shared Diag(right[j]) + Diag(diag[j])``.

    ``shared`` is the r×c block (the stack's scalars included); ``left`` (p×r) and ``right``
    (p×c) hold row j's scales, None for none; ``diag`` is a p×r matrix (``diag_rows``) or
    a scalar code (s I on every block), None for none.
    """

    shared: Code | None  # None: no shared term (the blocks are Diag(diag[j]))
    left: Code | None = None
    right: Code | None = None
    diag: Code | None = None
    diag_rows: bool = False


def form_of(lo: Lowerer, code: Code) -> BlockForm | None:
    """The form of the stack ``code``, a scaled stack's scalars moved onto the form's
    shared block and diagonal; None when its blocks have no recorded form."""
    coef, codes, base = split_scale(code)
    f = base.blocks_of
    if f is None or base is code:
        return f
    factors = [coef, *codes]

    def scaled(x: Code) -> Code:
        return lo.scale(factors, Val("dense", ONE, ONE, x)).code

    return replace(f, shared=None if f.shared is None else scaled(f.shared),
                   diag=None if f.diag is None else scaled(f.diag))


def with_form(code: Code, form: BlockForm | None) -> Code:
    """``code``, recorded as a stack of blocks of ``form``."""
    if form is not None:
        code.blocks_of = form
    return code


def _post(lo: Lowerer, x: Code, text: str) -> Code:
    return lo.em.op(POSTFIX, (x, POSTFIX), text)


def _t(lo: Lowerer, x: Code, rows: Dim, cols: Dim) -> Code:
    """``xᵀ`` for x rows×cols, through a scale: (s Mᵀ)ᵀ = s M, not a transposed product."""
    coef, codes, base = split_scale(x)
    if base is x:
        return lo.transpose_code(x)
    return lo.scale([coef, *codes], Val("dense", cols, rows, lo.transpose_code(base))).code


def sandwich(lo: Lowerer, A: Val, C: Val, stack: Code | None, p: Dim, r: Dim, c: Dim,
             scalars: list[Any], form: BlockForm | None = None) -> Code:
    """``s (A ⊗ I_r) blocks(Bₙ) (C ⊗ I_c)``, A q×p, C p×t, as its qr×tc array; the blocks
    are the p×r×c ``stack``, or given by ``form`` alone (a Diag: its ``diag`` only).

    Entry [(b,a),(d,c)] is Σₙ A[b,n] Bₙ[a,c] C[n,d] (Magnus & Neudecker, ch. 2: the mixed
    product, block by block). With Bₙ = Diag(lₙ) B Diag(rₙ) + Diag(dₙ) it is

        B[a,c] · Σₙ (A[b,n] l[n,a]) (C[n,d] r[n,c])  +  δ_ac Σₙ A[b,n] d[n,a] C[n,d],

    that is (P Qᵀ) ⊙ (𝟏𝟏ᵀ ⊗ B) with P = A ⊙ₙ lᵀ (qr×p) and Q = Cᵀ ⊙ₙ rᵀ (tc×p), plus the
    second sum on the entries a = c: one BLAS product of the thin P and Q (SYRK when
    Q is P: A = Cᵀ and l = r, the Gauss–Newton term of a Hessian), the shared block and
    the diagonal applied in place (``_kron_blocks``). Blocks Diag(dₙ) alone (a Diag
    between the two): the second sum onto the diagonal of a zeroed array (``_kron_diag``),
    never the dense A ⊗ I. Without a form: one einsum, contracting n by a BLAS product
    (A with C first, then the stack)."""
    rows, cols = A.rows * r, C.cols * c
    form = form if form is not None else form_of(lo, stack)
    if form is not None and form.shared is None:
        return lo.call(lo.helper("_kron_diag"), _diag_term(lo, A, C, form, scalars, p, r))
    if form is None or form.left is None or form.right is None:
        a = full(lo, lo.scale(scalars, A))
        e = lo.call("np.einsum", '"bn,nac,nd->badc"', a, stack, full(lo, C),
                    'optimize=["einsum_path", (0, 2), (0, 1)]')
        return lo.reshape(e, [lo.dim(rows), lo.dim(cols)])
    a, ct = full(lo, A), lo.transpose_code(full(lo, C))

    def thin(x: Code, scale: Code, d: Dim, r: Dim) -> Code:  # x[b, None, n] scale[n, a]
        prod = lo.binop("*", MUL, _post(lo, x, "[:, None, :]"),
                        _post(lo, _t(lo, scale, p, r), "[None]"))
        return lo.reshape(prod, [lo.dim(d), lo.dim(p)])

    P, Q = thin(a, form.left, rows, r), thin(ct, form.right, cols, c)
    m = lo.binop("@", MUL, P, lo.transpose_code(Q))
    args = [m, lo.scale(scalars, Val("dense", r, c, form.shared)).code]
    if form.diag is not None:
        args.append(_diag_term(lo, A, C, form, scalars, p, r))
    code = lo.call(lo.helper("_kron_blocks"), *args)
    code.inplace = True
    return code


def _diag_term(lo: Lowerer, A: Val, C: Val, form: BlockForm, scalars: list[Any], p: Dim,
               r: Dim) -> Code:
    """t[a] = s (A ⊙ d[:, a]ᵀ) C, the blocks' diagonals through the sandwich (r×q×t, one
    batched product); s I on every block: t = s A C, the same for every a."""
    a, c_code = full(lo, A), full(lo, C)
    if not form.diag_rows:
        return lo.binop("*", MUL, lo.scale(scalars, Val("dense", ONE, ONE, form.diag)).code,
                        lo.binop("@", MUL, a, c_code))
    d = lo.scale(scalars, Val("dense", p, r, form.diag)).code
    ad = lo.binop("*", MUL, _post(lo, a, "[None]"), _post(lo, _t(lo, d, p, r), "[:, None, :]"))
    return lo.binop("@", MUL, ad, c_code)
