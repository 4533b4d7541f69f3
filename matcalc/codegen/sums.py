"""Lowering of sums: terms added by broadcasting, constants folded, identities and
diagonals added onto the diagonal of a fresh array in place (never an ``np.eye``), and sums
of block-diagonal values kept block by block.

Registered on :func:`matcalc.codegen.lower.lower_node` when this module is imported (the
compiler imports it, as it does :mod:`chain` and :mod:`reduce`).
"""

from __future__ import annotations

from dataclasses import replace

import sympy

from ..expr.nodes import Add
from . import blocks
from .emit import ADD, MUL, POW, SUM_TERM, UNARY, Code
from .lower import Lowerer, Val, densify, lower, lower_node, split_scale

__all__ = ["add_vals", "owned"]


@lower_node.register
def _add(e: Add, lo: Lowerer) -> Val:
    """Sum of terms; broadcast-stored terms add by NumPy broadcasting, constants fold."""
    terms = [lower(t, lo) for t in e.terms]
    terms = [t for t in terms if not t.is_zero]
    if not terms:
        return lo.const(0, *e.shape)
    if all(t.kind == "eye" for t in terms):  # s₁I + s₂I = (s₁ + s₂)I
        s = [t.code or lo.num(1) for t in terms]
        return Val("eye", *e.shape, code=lo.binop("+", ADD, *s) if len(s) > 1 else s[0])
    if all(t.kind in ("eye", "diag") for t in terms):  # Diag(u) + Diag(v) = Diag(u + v)
        vs = [t.code if t.kind == "diag" else (t.code or lo.num(1)) for t in terms]
        return Val("diag", *e.shape, code=lo.binop("+", ADD, *vs))
    if any(t.kind == "bd" for t in terms):
        bd = add_blocks(lo, terms)
        if bd is not None:
            return bd
    on_diag = [t for t in terms if t.kind in ("eye", "diag")]
    if on_diag and lo.backend is None:
        dense = add_vals(lo, [t for t in terms if t.kind not in ("eye", "diag")], e.shape)
        if dense.kind == "dense" and not (dense.br or dense.bc):
            return add_to_diagonal(lo, dense, on_diag)
        terms = [dense, *on_diag]
    return add_vals(lo, terms, e.shape)


def add_vals(lo: Lowerer, terms: list[Val], shape: tuple) -> Val:
    """``t₁ + t₂ + ⋯`` of lowered values as one dense value (constants folded)."""
    if len(terms) == 1:
        return terms[0]
    terms = [densify(lo, t) for t in terms]
    consts = [t.const for t in terms if t.const is not None]
    rest = [t for t in terms if t.const is None]
    if consts:  # the folded constant stays where the first one was (1 - x reads as written)
        total = sympy.Add(*consts)
        if total != 0 or not rest:
            first = next(i for i, t in enumerate(terms) if t.const is not None)
            rest.insert(first, lo.const(total, *shape))
    if len(rest) == 1:
        return replace(rest[0], rows=shape[0], cols=shape[1])
    return _sum_terms(lo, rest, shape)


def add_to_diagonal(lo: Lowerer, dense: Val, on_diag: list[Val]) -> Val:
    """``S + s I + Diag(v) + ⋯``: the identities and diagonals go onto S's diagonal in place
    (``_add_diag``), never through an ``np.eye`` or ``np.diagflat`` array. S is written
    only when it is a fresh array this code made (the result of an operator, not an
    argument or a view of one); otherwise a copy is, and the emitter copies it again if
    anything else reads it (:attr:`Code.inplace`)."""
    eyes = [t.code or lo.num(1) for t in on_diag if t.kind == "eye"]
    diags = [t.code for t in on_diag if t.kind == "diag"]
    parts = diags + ([lo.binop("+", ADD, *eyes) if len(eyes) > 1 else eyes[0]] if eyes else [])
    d = lo.binop("+", ADD, *parts) if len(parts) > 1 else parts[0]
    x = dense.code
    if not owned(x):
        x = lo.method(x, ".copy()")
    code = lo.call(lo.helper("_add_diag"), x, d)
    code.inplace = True
    return Val("dense", dense.rows, dense.cols, code)


def owned(c: Code) -> bool:
    """Whether ``c`` is a fresh array made by an operator of the generated code (``a @ b``,
    ``a + b``, ``c * a``, ``-a``, ``a ** k``): never an argument, a view or a constant."""
    return not c.fixed and c.prec in (ADD, MUL, UNARY, POW) and c.transpose_of is None




def _sum_terms(lo: Lowerer, rest: list[Val], shape: tuple) -> Val:
    """``t₁ + t₂ + ⋯``: a common scale is factored out (c a - c b = c (a - b), one pass
    fewer) and negative terms read as subtraction."""
    split = [split_scale(t.code) for t in rest]
    mags = {abs(c) for c, _, _ in split}
    keys = {k for _, k, _ in split}
    signed = all(c.is_negative is not None for c, _, _ in split)  # (n - m) has no known sign
    common = signed and len(mags) == 1 and len(keys) == 1 and (mags != {1} or keys != {()})
    parts: list = []
    for i, (t, (coef, codes, base)) in enumerate(zip(rest, split)):
        negative = bool(coef.is_negative)
        if common:
            pos = base
        elif negative:
            pos = lo._scaled(-coef, list(codes), base)
        else:
            pos = t.code
        if i == 0:
            first = lo.em.op(UNARY, "-", (pos, UNARY)) if negative else pos
            parts.append((first, SUM_TERM))
        else:
            parts += [" - " if negative else " + ", (pos, SUM_TERM)]
    code = lo.em.op(ADD, *parts)
    if common:
        coef, codes, _ = split[0]
        code = lo._scaled(abs(coef), list(codes), code)
    return Val("dense", *shape, code, all(t.br for t in rest), all(t.bc for t in rest))


def add_blocks(lo: Lowerer, terms: list[Val]) -> Val | None:
    """Block-diagonal terms with p blocks, plus identities and diagonals, as one stack of
    blocks: Σ stacks, with each block's part of the diagonal added onto that block's
    diagonal in place (``_add_block_diag``); never the dense block-diagonal matrix. None
    when another term is dense (the sum is then dense too)."""
    bds = [t for t in terms if t.kind == "bd"]
    p = bds[0].args[0]
    if any(t.kind not in ("bd", "eye", "diag") for t in terms) or any(
            t.args[0] != p for t in bds):
        return None
    stack = lo.binop("+", ADD, *[t.code for t in bds]) if len(bds) > 1 else bds[0].code
    rows, cols = bds[0].rows, bds[0].cols
    r = blocks.block_size(rows, p)
    parts: list[Code] = []
    eyes = [t.code or lo.num(1) for t in terms if t.kind == "eye"]
    for t in terms:
        if t.kind == "diag":  # block j's diagonal is row j of a p×r matrix
            parts.append(blocks.of_diag(lo, t.code, p, r))
    if eyes:
        parts.append(lo.binop("+", ADD, *eyes) if len(eyes) > 1 else eyes[0])
    if not parts:
        return Val("bd", rows, cols, stack, args=(p,))
    d = lo.binop("+", ADD, *parts) if len(parts) > 1 else parts[0]
    x = stack if owned(stack) else lo.method(stack, ".copy()")
    code = lo.call(lo.helper("_add_block_diag"), x, d)
    code.inplace = True
    form = blocks.form_of(lo, stack) if len(bds) == 1 else None
    if form is not None and form.diag is None:  # Diag(l) B Diag(r) + Diag(d), blockwise
        rows_of_d = any(t.kind == "diag" for t in terms)  # else d is the scalar of s I
        blocks.with_form(code, replace(form, diag=d, diag_rows=rows_of_d))
    return Val("bd", rows, cols, code, args=(p,))
