"""Matrix chains: products lowered without forming ones, identity, Diag or Kronecker matrices.

A product ``F₁ F₂ ⋯ Fₖ`` of lowered values is split into *atoms*: dense arrays, ones
vectors (a broadcast-stored value ``b 1ᵀ`` is the two atoms ``b``, ``1ᵀ``), ``Diag(v)``,
lazy Kronecker and commutation matrices; scalars are pulled out front. Local identities
then apply until none does:

- ``1ₖᵀ 1ₖ = k``;  ``A 1 = A.sum(1)``;  ``1ᵀ A = A.sum(0)``  (reduce with ones first);
- ``Diag(v) 1 = v``;  ``Diag(u) Diag(v) = Diag(u ⊙ v)``;
- ``Diag(v) M = v[:, None] * M``;  ``M Diag(v) = M * v``;
- ``(A ⊗ B) vec(X) = vec(B X Aᵀ)`` (Magnus & Neudecker, ch. 2);
  ``(A ⊗ B)(C ⊗ D) = AC ⊗ BD``;  ``K(m,n) vec(X) = vec(Xᵀ)``.

What remains is ``[1] D₁ ⋯ Dⱼ [1ᵀ]``: the dense run is cut where an inner size is 1 (outer
products become broadcasting ``u * vᵀ``) and each piece is multiplied in the cheapest order,
chosen from the sizes at call time when it cannot be decided symbolically.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import sympy

from ..expr.dims import ONE, Dim
from . import blocks
from .emit import MUL, POSTFIX, Code
from .lower import Lowerer, Val, densify, full, transpose

__all__ = ["chain"]


@dataclass(frozen=True)
class Atom:
    """One factor of a chain: ``dense`` (code), ``ones`` (a ones column or row), ``diag``
    (code stores v), ``kron``/``comm`` (val holds the lazy value), ``bd`` (block-diagonal:
    code is the stack of its ``blocks`` diagonal blocks, made by the rules of
    :func:`_block_pair`)."""

    kind: str
    rows: Dim
    cols: Dim
    code: Code | None = None
    val: Val | None = None
    # for kind "bd" (a block-diagonal matrix; code is the p×r×c stack of its blocks): p
    blocks: Dim | None = None


def _atoms(v: Val, scalars: list[Any]) -> list[Atom] | None:
    """The atoms of one factor; scalars go to ``scalars``. None for a zero factor."""
    if v.is_zero:
        return None
    if v.kind == "eye":
        if v.code is not None:
            scalars.append(v.code)
        return []
    if v.kind == "diag":
        return [Atom("diag", v.rows, v.cols, v.code)]
    if v.kind in ("kron", "comm"):
        return [Atom(v.kind, v.rows, v.cols, val=v)]
    if v.kind == "bd":
        return [Atom("bd", v.rows, v.cols, v.code, blocks=v.args[0])]
    out: list[Atom] = []
    if v.br and v.rows != 1:
        out.append(Atom("ones", v.rows, ONE))
    stored = (ONE if v.br else v.rows, ONE if v.bc else v.cols)
    if stored == (ONE, ONE):
        scalars.append(v.const if v.const is not None else v.code)
    elif v.code.scale_of is not None:  # (c X) Y = c (X Y): scale the smallest thing later
        factors, base = v.code.scale_of
        scalars.extend(factors)
        out.append(Atom("dense", *stored, code=base))
    else:
        out.append(Atom("dense", *stored, code=v.code))
    if v.bc and v.cols != 1:
        out.append(Atom("ones", ONE, v.cols))
    return out


def chain(lo: Lowerer, vals: list[Val], scalars: list[Any] | None = None) -> Val:
    """``s₁ ⋯ sⱼ V₁ ⋯ Vₖ``, lowered without waste; ``scalars`` are constants or scalar codes.

    Scalars are applied to the smallest piece of the result (a vector of an outer product
    rather than the matrix), so they are passed in rather than applied afterwards.
    """
    rows, cols = vals[0].rows, vals[-1].cols
    scalars = list(scalars or [])
    atoms: list[Atom] = []
    for v in vals:
        a = _atoms(v, scalars)
        if a is None:
            return lo.const(0, rows, cols)
        atoms += a
    while _rewrite_once(lo, atoms, scalars):
        pass
    if not atoms and not (rows == 1 and cols == 1):  # every factor was an identity
        return lo.scale(scalars, Val("eye", rows, cols))
    if len(atoms) == 1 and atoms[0].kind == "bd":  # a block-diagonal result stays a stack
        return lo.scale(scalars, Val("bd", rows, cols, atoms[0].code, args=(atoms[0].blocks,)))
    specials = [a for a in atoms if a.kind in ("diag", "kron", "comm")]
    if specials and len(atoms) == 1:
        a = atoms[0]
        val = a.val if a.val is not None else Val("diag", a.rows, a.cols, a.code)
        return lo.scale(scalars, val)
    assert not specials, "a structured factor survived the chain rewrites"
    lead = bool(atoms) and atoms[0].kind == "ones" and atoms[0].cols == 1
    trail = bool(atoms) and atoms[-1].kind == "ones" and atoms[-1].rows == 1
    middle = atoms[int(lead):len(atoms) - int(trail)]
    assert all(a.kind == "dense" for a in middle), atoms
    pieces: list[Val] = []
    for group in _split_outer(middle):
        code = _product(lo, group)
        r, c = group[0].rows, group[-1].cols
        if r == 1 and c == 1:
            scalars.append(code)
        else:
            pieces.append(Val("dense", r, c, code, r == 1, c == 1))
    br, bc = lead or rows == 1, trail or cols == 1
    if not pieces:
        return lo.scale(scalars, lo.const(1, rows, cols))
    # scale the first piece: it is the smaller side of an outer product u vᵀ
    first = lo.scale(scalars, pieces[0])
    if first.const is not None and first.const == 0:
        return lo.const(0, rows, cols)
    if len(pieces) == 1:
        return Val("dense", rows, cols, first.code, br, bc)
    code = lo.binop("*", MUL, first.code, pieces[1].code)
    return Val("dense", rows, cols, code, br, bc)


def _split_outer(middle: list[Atom]) -> list[list[Atom]]:
    """Cut the dense run where the inner size is 1: those products are outer products."""
    groups: list[list[Atom]] = []
    for a in middle:
        if groups and groups[-1][-1].cols != 1:
            groups[-1].append(a)
        else:
            groups.append([a])
    return groups


def _product(lo: Lowerer, group: list[Atom]) -> Code:
    """The product of dense atoms in the cheapest association."""
    if len(group) == 1:
        return group[0].code
    if group[0].rows == 1 and group[-1].cols == 1:  # a scalar: uᵀ (rest)
        return lo.call("np.vdot", group[0].code, _product(lo, group[1:]))
    if len(group) == 2:
        return lo.binop("@", MUL, group[0].code, group[1].code)
    if len(group) == 3:
        a, b, c = group
        p = [a.rows.expr, a.cols.expr, b.cols.expr, c.cols.expr]
        left = p[0] * p[1] * p[2] + p[0] * p[2] * p[3]
        right = p[1] * p[2] * p[3] + p[0] * p[1] * p[3]
        d = sympy.expand(left - right)
        if d.is_nonpositive:
            return lo.binop("@", MUL, a.code, b.code, c.code)  # left-associative
        if d.is_nonnegative:
            bc = lo.binop("@", MUL, b.code, c.code)
            return lo.em.op(MUL, (a.code, MUL), " @ ", (bc, MUL + 1))
        return lo.call(lo.helper("_dot3"), a.code, b.code, c.code)
    return lo.call(lo.helper("_chain"), *[a.code for a in group])


def _dense(code: Code, rows: Dim, cols: Dim) -> Atom:
    return Atom("dense", rows, cols, code)


_STRUCTURED = ("diag", "kron", "comm", "bd")


def _rewrite_once(lo: Lowerer, atoms: list[Atom], scalars: list[Any]) -> bool:
    """Apply the first identity that matches a pair of neighbours; False if none does."""
    if _apply_to_vector(lo, atoms, scalars):
        return True
    if lo.backend is None and _sandwich(lo, atoms, scalars):
        return True
    for i in range(len(atoms) - 1):
        a, b = atoms[i], atoms[i + 1]
        new = _pair(lo, a, b, scalars, atoms, i)
        if new is not None:
            atoms[i:i + 2] = new
            return True
    # (A ⊗ I) next to a stack of blocks makes it dense: only once the stack has taken in
    # every Diag, identity and stack it can (so a sandwich sees the whole stack)
    for i in range(len(atoms) - 1 if lo.backend is None else 0):
        new = _block_pair(lo, atoms[i], atoms[i + 1], scalars, late=True)
        if new is not None:
            atoms[i:i + 2] = new
            return True
    if lo.backend is None and _gram(lo, atoms, scalars):
        return True
    # no pair rule left: Diag absorbs into a dense neighbour, preferring a vector
    for i, a in enumerate(atoms):
        if a.kind != "diag":
            continue
        left = atoms[i - 1] if i > 0 and atoms[i - 1].kind == "dense" else None
        right = atoms[i + 1] if i + 1 < len(atoms) and atoms[i + 1].kind == "dense" else None
        if right is not None and (right.cols == 1 or left is None or left.rows != 1):
            atoms[i:i + 2] = [_dense(lo.binop("*", MUL, a.code, right.code), a.rows, right.cols)]
            return True
        if left is not None:
            vt = lo.transpose_code(a.code)
            atoms[i - 1:i + 1] = [_dense(lo.binop("*", MUL, left.code, vt), left.rows, a.cols)]
            return True
    # a Kronecker or commutation factor with no rule left becomes an array
    for i, a in enumerate(atoms):
        if a.kind == "bd" and len(atoms) > 1:  # alone, it is the result: a stack (chain)
            dense = lo.call(lo.helper("_block_diag"), a.code, lo.dim(a.blocks))
            atoms[i] = _dense(dense, a.rows, a.cols)
            return True
    for i, a in enumerate(atoms):
        if a.kind in ("kron", "comm", "diag") and len(atoms) > 1:
            v = densify(lo, a.val if a.val is not None else Val("diag", a.rows, a.cols, a.code))
            atoms[i:i + 1] = _atoms(v, scalars) or []
            return True
    return False


def _apply_to_vector(lo: Lowerer, atoms: list[Atom], scalars: list[Any]) -> bool:
    """H v = A(B(C v)): a product that ends in a vector and holds a structured factor applies
    its last factor to the vector, so each structured factor meets a vector and none
    becomes a matrix (a Hessian applied to a direction never forms the Hessian)."""
    if len(atoms) < 2:
        return False
    a, x = atoms[-2], atoms[-1]
    if (x.kind != "dense" or x.cols != 1
            or not any(f.kind in _STRUCTURED for f in atoms[:-1])):
        return False
    if a.kind == "diag":  # Diag(d) x = d ⊙ x
        new = [_dense(lo.binop("*", MUL, a.code, x.code), a.rows, ONE)]
    elif a.kind == "dense" and a.rows != 1:
        new = [_dense(lo.binop("@", MUL, a.code, x.code), a.rows, ONE)]
    elif a.kind in ("kron", "comm", "bd"):
        new = _pair(lo, a, x, scalars, atoms, len(atoms) - 2)
        if new is None:
            return False
    else:
        return False
    atoms[-2:] = new
    return True


def _sandwich(lo: Lowerer, atoms: list[Atom], scalars: list[Any]) -> bool:
    """(A ⊗ I_r) blocks(Bₙ) (C ⊗ I_c) = Σₙ (A[:, n] C[n, :]) ⊗ Bₙ, entry
    [(b,a),(d,c)] = Σₙ A[b,n] Bₙ[a,c] C[n,d] (Magnus & Neudecker, ch. 2: the mixed
    product, block by block), written into the output at once (:func:`blocks.sandwich`),
    where a pair at a time would write the (A ⊗ I) blocks product and transpose it. The
    Hessian of a layer's weights has this form: (X ⊗ I) Diag/(I ⊗ W) blocks (Xᵀ ⊗ I), or
    (X ⊗ I) Diag(v) (Xᵀ ⊗ I) for Σ f(W X) (a Diag is p blocks Diag(vⱼ))."""
    for i in range(len(atoms) - 2):
        a, m, c = atoms[i:i + 3]
        if a.kind != "kron" or m.kind not in ("bd", "diag") or c.kind != "kron":
            continue
        if any(0 <= j < len(atoms) and atoms[j].kind in ("dense", "ones") for j in (i - 1, i + 3)):
            continue  # applied to an array: factor by factor, never the dense sandwich
        (A, E), (C, F) = a.val.args, c.val.args
        p = m.blocks if m.kind == "bd" else A.cols  # Diag(v): p diagonal blocks
        if (E.kind != "eye" or F.kind != "eye" or A.kind == "eye" or C.kind == "eye"
                or A.cols != p or C.rows != p or E.rows != blocks.block_size(m.rows, p)
                or F.rows != blocks.block_size(m.cols, p)):
            continue
        s = [x.code for x in (E, F) if x.code is not None]
        form = None if m.kind == "bd" else blocks.BlockForm(
            None, diag=blocks.of_diag(lo, m.code, p, E.rows), diag_rows=True)
        code = blocks.sandwich(lo, A, C, m.code, p, E.rows, F.rows, [*scalars, *s], form)
        scalars.clear()
        atoms[i:i + 3] = [_dense(code, a.rows, c.cols)]
        return True
    return False


def _gram(lo: Lowerer, atoms: list[Atom], scalars: list[Any]) -> bool:
    """Aᵀ Diag(d) A = (√d ⊙ A)ᵀ(√d ⊙ A) and A Diag(d) Aᵀ = (A √dᵀ)(A √dᵀ)ᵀ for d ≥ 0
    (known from its expression, :mod:`matcalc.codegen.sign`): NumPy multiplies an array by
    its own transpose with SYRK, half the flops of the general matmul ``Aᵀ (d ⊙ A)``. The
    chain's positive constants go under the square root (one pass over d, not over the
    result); the sign and scalar codes stay outside."""
    for i in range(1, len(atoms) - 1):
        a, d, c = atoms[i - 1:i + 2]
        if (d.kind != "diag" or not d.code.nonneg or a.kind != "dense" or c.kind != "dense"
                or (a.rows == 1 and c.cols == 1)):
            continue
        left = a.code.transpose_of is c.code  # Aᵀ D A, A = c
        if not left and c.code.transpose_of is not a.code:  # A D Aᵀ, A = a
            continue
        coef, rest = sympy.Integer(1), []
        for s in scalars:
            if isinstance(s, Code) or not sympy.sympify(s).is_nonzero:
                rest.append(s)
            elif sympy.sympify(s).is_negative:
                coef, rest = -coef * s, rest + [-1]
            else:
                coef *= s
        scalars[:] = rest
        root = lo.call("np.sqrt", lo.scale([coef], Val("dense", d.rows, ONE, d.code)).code)
        if left:
            half = lo.binop("*", MUL, root, c.code)
            code = lo.binop("@", MUL, lo.transpose_code(half), half)
        else:
            half = lo.binop("*", MUL, a.code, lo.transpose_code(root))
            code = lo.binop("@", MUL, half, lo.transpose_code(half))
        atoms[i - 1:i + 2] = [_dense(code, a.rows, c.cols)]
        return True
    return False


def _pair(lo: Lowerer, a: Atom, b: Atom, scalars: list[Any], atoms: list[Atom],
          i: int) -> list[Atom] | None:
    """The identity for the neighbours ``a b``, as replacement atoms; None if none applies."""
    ka, kb = a.kind, b.kind
    if ka == "ones" and kb == "ones" and a.rows == 1 and b.cols == 1:  # 1ₖᵀ 1ₖ = k
        scalars.append(a.cols.expr)
        return []
    if kb == "ones" and b.cols == 1:  # X 1 = row sums of X
        if ka == "dense":
            if a.rows == 1:
                scalars.append(lo.method(a.code, ".sum()"))
                return []
            return [_dense(lo.method(a.code, ".sum(1, keepdims=True)"), a.rows, ONE)]
        if ka == "diag":
            return [_dense(a.code, a.rows, ONE)]
        if ka == "comm":  # K 1 = 1
            return [b if a.rows == b.rows else Atom("ones", a.rows, ONE)]
        if ka == "kron":  # (A ⊗ B)(1 ⊗ 1) = A1 ⊗ B1
            return [_kron_ones(lo, a.val, right=True)]
    if ka == "ones" and a.rows == 1:  # 1ᵀ X = column sums of X
        if kb == "dense":
            if b.cols == 1:
                scalars.append(lo.method(b.code, ".sum()"))
                return []
            return [_dense(lo.method(b.code, ".sum(0, keepdims=True)"), ONE, b.cols)]
        if kb == "diag":
            return [_dense(lo.transpose_code(b.code), ONE, b.cols)]
        if kb == "comm":
            return [Atom("ones", ONE, b.cols)]
        if kb == "kron":
            return [_kron_ones(lo, b.val, right=False)]
    if ka == "diag" and kb == "diag":  # Diag(u) Diag(v) = Diag(u ⊙ v)
        return [Atom("diag", a.rows, a.cols, lo.binop("*", MUL, a.code, b.code))]
    if ka == "diag" and kb == "kron":  # Diag(v)(a ⊗ B) = a ⊗ Diag(v)B for a row a, and
        (A, B) = b.val.args  # Diag(v)(A ⊗ b) = Diag(v)A ⊗ b for a row b
        if A.rows == 1:
            return [_kron_atom(A, chain(lo, [_diag_val(a), B]))]
        if B.rows == 1:
            return [_kron_atom(chain(lo, [_diag_val(a), A]), B)]
    if ka == "kron" and kb == "diag":  # (A ⊗ b) Diag(v) = A Diag(v) ⊗ b for a column b, etc.
        (A, B) = a.val.args
        if B.cols == 1:
            return [_kron_atom(chain(lo, [A, _diag_val(b)]), B)]
        if A.cols == 1:
            return [_kron_atom(A, chain(lo, [B, _diag_val(b)]))]
    if ka == "kron" and kb == "kron":  # (A ⊗ B)(C ⊗ D) = AC ⊗ BD when the sizes fit
        (A, B), (C, D) = a.val.args, b.val.args
        if A.cols == C.rows and B.cols == D.rows:
            ac, bd = chain(lo, [A, C]), chain(lo, [B, D])
            return [Atom("kron", a.rows, b.cols, val=Val("kron", a.rows, b.cols, args=(ac, bd)))]
    if lo.backend is None:
        bd = _block_pair(lo, a, b, scalars)
        if bd is not None:
            return bd
        if ka == "kron" and kb == "comm" and b.val.args == (a.val.args[0].cols,
                                                           a.val.args[1].cols):
            # (A ⊗ B) K(q_A, q_B) [(i,k), (l,j)] = A[i,j] B[k,l]: one broadcast product into
            # a C-order output (_kron_comm), not a Kronecker product permuted by a strided
            # copy; scalars go on A
            A, B = a.val.args
            if all(x.kind == "dense" and not (x.rows == 1 and x.cols == 1) for x in (A, B)):
                A = lo.scale(scalars, A)
                scalars.clear()
                e = lo.call(lo.helper("_kron_comm"), full(lo, A), full(lo, B))
                return [_dense(e, a.rows, b.cols)]
    if ka in ("kron", "comm") and kb == "dense":
        return [_dense(_apply_left(lo, a.val, b), a.rows, b.cols)]
    if ka == "dense" and kb in ("kron", "comm"):
        # M S = (Sᵀ Mᵀ)ᵀ
        mt = _dense(lo.transpose_code(a.code), a.cols, a.rows)
        st = transpose(lo, b.val)
        return [_dense(lo.transpose_code(_apply_left(lo, st, mt)), a.rows, b.cols)]
    return None


def _eye_kron(a: Atom) -> tuple[Dim, Val, Code | None] | None:
    """(p, B, s) for an atom s I_p ⊗ B (B not an identity, not 1×1), else None."""
    if a.kind != "kron":
        return None
    A, B = a.val.args
    if A.kind != "eye" or B.kind == "eye" or (B.rows == 1 and B.cols == 1):
        return None
    return A.rows, B, A.code


def _bd(code: Code, p: Dim, rows: Dim, cols: Dim) -> Atom:
    return Atom("bd", rows, cols, code, blocks=p)


def _block_pair(lo: Lowerer, a: Atom, b: Atom, scalars: list[Any],
                late: bool = False) -> list[Atom] | None:
    """Products of block-diagonal factors with p blocks, kept as a p×r×c stack of blocks:
    (I ⊗ B) Diag(v) = blocks B Diag(vⱼ), Diag(v)(I ⊗ B) = blocks Diag(vⱼ) B, block stacks
    multiplied block by block (one batched matmul), and a stack times a dense matrix
    (a batched matmul on the matrix's row blocks); ``late`` (no other rule left), also
    (A ⊗ I) times a stack and a stack times (C ⊗ I), as one einsum. Never a dense I ⊗ B."""
    ea, eb = _eye_kron(a), _eye_kron(b)

    def shared(e: tuple[Dim, Val, Code | None]) -> Code:
        # s I ⊗ B's block s B, with the chain's scalars on it too (the smallest thing they
        # can go on; scalars commute through the product)
        code = full(lo, lo.scale([*scalars, *([e[2]] if e[2] is not None else [])], e[1]))
        scalars.clear()
        return code

    if ea is not None and b.kind == "diag":
        p, B, _ = ea
        d, sb = blocks.of_diag(lo, b.code, p, B.cols), shared(ea)
        code = lo.binop("*", MUL, lo.em.op(POSTFIX, (sb, POSTFIX), "[None]"),
                        lo.em.op(POSTFIX, (d, POSTFIX), "[:, None, :]"))
        return [_bd(blocks.with_form(code, blocks.BlockForm(sb, right=d)), p, a.rows, b.cols)]
    if a.kind == "diag" and eb is not None:
        p, B, _ = eb
        d, sb = blocks.of_diag(lo, a.code, p, B.rows), shared(eb)
        code = lo.binop("*", MUL, lo.em.op(POSTFIX, (d, POSTFIX), "[:, :, None]"),
                        lo.em.op(POSTFIX, (sb, POSTFIX), "[None]"))
        return [_bd(blocks.with_form(code, blocks.BlockForm(sb, left=d)), p, a.rows, b.cols)]
    if a.kind == "bd" and (eb is not None and eb[0] == a.blocks or b.kind == "bd"
                           and b.blocks == a.blocks):
        other = shared(eb) if eb is not None else b.code
        return [_bd(lo.binop("@", MUL, a.code, other), a.blocks, a.rows, b.cols)]
    if b.kind == "bd" and ea is not None and ea[0] == b.blocks:
        return [_bd(lo.binop("@", MUL, shared(ea), b.code), b.blocks, a.rows, b.cols)]
    if a.kind == "bd" and b.kind == "diag":
        p = a.blocks
        d = blocks.of_diag(lo, b.code, p, blocks.block_size(b.rows, p))
        code = lo.binop("*", MUL, a.code, lo.em.op(POSTFIX, (d, POSTFIX), "[:, None, :]"))
        f = blocks.form_of(lo, a.code)  # Diag(l) B, then Diag(r): Diag(l) B Diag(r)
        if f is not None and f.right is None and f.diag is None:
            blocks.with_form(code, replace(f, right=d))
        return [_bd(code, p, a.rows, b.cols)]
    if a.kind == "diag" and b.kind == "bd":
        p = b.blocks
        d = blocks.of_diag(lo, a.code, p, blocks.block_size(a.rows, p))
        code = lo.binop("*", MUL, lo.em.op(POSTFIX, (d, POSTFIX), "[:, :, None]"), b.code)
        f = blocks.form_of(lo, b.code)
        if f is not None and f.left is None and f.diag is None:
            blocks.with_form(code, replace(f, left=d))
        return [_bd(code, p, a.rows, b.cols)]
    if late and a.kind == "kron" and b.kind == "bd":  # (A ⊗ I_r) blocks Bₙ: A[b,n] Bₙ[a,c]
        A, E = a.val.args
        if (E.kind == "eye" and A.kind != "eye" and A.cols == b.blocks
                and E.rows == blocks.block_size(b.rows, b.blocks)):
            a_code = shared((A.cols, A, E.code))
            e = lo.call("np.einsum", '"bn,nac->banc"', a_code, b.code)
            return [_dense(_reshape(lo, e, a.rows, b.cols), a.rows, b.cols)]
    if late and a.kind == "bd" and b.kind == "kron":  # blocks Bₙ (C ⊗ I_c): Bₙ[a,c] C[n,d]
        C, E = b.val.args
        if (E.kind == "eye" and C.kind != "eye" and C.rows == a.blocks
                and E.rows == blocks.block_size(a.cols, a.blocks)):
            c_code = shared((C.rows, C, E.code))
            e = lo.call("np.einsum", '"nac,nd->nadc"', a.code, c_code)
            return [_dense(_reshape(lo, e, a.rows, b.cols), a.rows, b.cols)]
    if a.kind == "bd" and b.kind == "dense":  # row blocks of the matrix, block by block
        p = a.blocks
        x3 = _reshape(lo, b.code, p, blocks.block_size(a.cols, p), "-1")
        return [_dense(_reshape(lo, lo.binop("@", MUL, a.code, x3), a.rows, "-1"),
                       a.rows, b.cols)]
    return None


def _diag_val(a: Atom) -> Val:
    return Val("diag", a.rows, a.cols, a.code)


def _kron_atom(a: Val, b: Val) -> Atom:
    rows, cols = a.rows * b.rows, a.cols * b.cols
    return Atom("kron", rows, cols, val=Val("kron", rows, cols, args=(a, b)))


def _reshape(lo: Lowerer, x: Code, *dims: Dim | str) -> Code:
    return lo.reshape(x, [d if isinstance(d, str) else lo.dim(d) for d in dims])


def _apply_left(lo: Lowerer, s: Val, x: Atom) -> Code:
    """``S X`` for a lazy Kronecker or commutation S and a dense X, as a dense array."""
    if s.kind == "comm":
        m, n = s.args
        if x.cols == 1:  # K(m,n) vec(X) = vec(Xᵀ)
            if x.code.vec_of is not None and x.code.vec_of[1:] == (m, n):
                # K(m,n) vec(X) = vec(Xᵀ) for X m×n: X's rows stacked, a C-order reshape
                out = _reshape(lo, x.code.vec_of[0], "-1", "1")
                out.vec_of = (lo.transpose_code(x.code.vec_of[0]), n, m)
                return out
            t = lo.transpose_code(_reshape(lo, x.code, n, m))
            return _reshape(lo, t, "-1", "1")
        p = lo.method(_reshape(lo, x.code, n, m, "-1"), ".transpose(1, 0, 2)")
        return _reshape(lo, p, m * n, "-1")
    A, B = s.args
    qa, qb = A.cols, B.cols
    if x.cols == 1:  # (A ⊗ B) vec(X) = vec(B X Aᵀ), and vec(Yᵀ)ᵀ-layout is a C reshape
        if x.code.vec_of is not None and x.code.vec_of[1:] == (qb, qa):
            # vec(X) with X qb×qa: the reshape below would be Xᵀ
            xt = Val("dense", qa, qb, lo.transpose_code(x.code.vec_of[0]))
        else:
            xt = Val("dense", qa, qb, _reshape(lo, x.code, qa, qb))
        y = chain(lo, [A, xt, transpose(lo, B)])
        if y.rows == 1 and y.cols == 1:  # a 1×1 result stays a scalar
            return full(lo, y)
        out = _reshape(lo, full(lo, y), "-1", "1")
        if not (y.br or y.bc):  # vec(B X Aᵀ), kept for a factor applied next (H v = A(Bv))
            out.vec_of = (lo.transpose_code(full(lo, y)), B.rows, A.rows)
        return out
    x3 = _reshape(lo, x.code, qa, qb, "-1")
    ops, scalars = [], []
    # An identity, or a 1×1 factor (a ⊗ B = a B), is a scalar, not an einsum operand:
    # a 1×1 value lowers to a NumPy scalar, which has no subscripts to give.
    scalar_a, scalar_b = (v.kind == "eye" or (v.rows == 1 and v.cols == 1) for v in (A, B))
    for v, is_scalar in ((A, scalar_a), (B, scalar_b)):
        if not is_scalar:
            ops.append(full(lo, densify(lo, v)))
        elif v.kind != "eye":
            scalars.append(full(lo, v))
        elif v.code is not None:
            scalars.append(v.code)
    if lo.backend is None and scalar_a != scalar_b:
        # (I ⊗ B) X and (A ⊗ I) X are one (batched) BLAS matmul, not a non-BLAS einsum
        if scalar_a:
            e = lo.binop("@", MUL, ops[0], x3)
        else:
            e = lo.binop("@", MUL, ops[0], _reshape(lo, x3, qa, "-1"))
        out = _reshape(lo, e, A.rows * B.rows, "-1")
        return lo.scale(scalars, Val("dense", s.rows, x.cols, out)).code
    spec_a = "" if scalar_a else "ij,"
    spec_b = "" if scalar_b else "kl,"
    v3 = ("i" if scalar_a else "j") + ("k" if scalar_b else "l") + "c"
    spec = f'"{spec_a}{spec_b}{v3}->ikc"'
    e = lo.call("np.einsum", spec, *ops, x3)
    out = _reshape(lo, e, A.rows * B.rows, "-1")
    return lo.scale(scalars, Val("dense", s.rows, x.cols, out)).code


def _kron_ones(lo: Lowerer, k: Val, right: bool) -> Atom:
    """(A ⊗ B) 1 = A1 ⊗ B1 and 1ᵀ(A ⊗ B) = 1ᵀA ⊗ 1ᵀB, as a dense vector."""
    A, B = k.args
    if right:
        a, b = (chain(lo, [v, lo.const(1, v.cols, ONE)]) for v in (A, B))
    else:
        a, b = (chain(lo, [lo.const(1, ONE, v.rows), v]) for v in (A, B))
    v = densify(lo, Val("kron", a.rows * b.rows, a.cols * b.cols, args=(a, b)))
    return _dense(full(lo, v), v.rows, v.cols)


# ----------------------------------------------------------------------------------------
# The lowerings that build chains: products and scalings
# ----------------------------------------------------------------------------------------
