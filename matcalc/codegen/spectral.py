"""Lowering of the spectral nodes: one ``np.linalg.eigh`` per symmetric matrix, shared.

λ_S, Q_S and f^[1](λ_S) all read the pair (λ, Q) of the run-time helper ``_eigh(S)``; the
emitter's hash-consing makes every use of one S share a single call, so a value and its
Daleckii–Krein gradient decompose S once. f(S) is lowered as Q Diag(f(λ)) Qᵀ through the
ordinary chain rules (Diag(v) scales columns, never a dense diagonal), f^[1](λ) by the
helper ``_divdiff`` (cancellation-free divided differences, f′ where eigenvalues coincide).
"""

from __future__ import annotations

from ..expr.nodes import Apply, Diag, MatMul, Transpose
from ..expr.spectral import DivDiff, EigGap, EigVals, EigVecs, MatrixFunction
from .emit import POSTFIX, Code
from .lower import Lowerer, Val, full, lower, lower_node

__all__: list[str] = []


def _pair(x: object, lo: Lowerer) -> Code:
    """The code of ``_eigh(S)``: the same object for every use of one S."""
    if lo.backend is not None:
        raise NotImplementedError(
            f"the {lo.backend.name} backend does not compile spectral functions (expm, logm, "
            f"sqrtm, eigvalsh of {x}) yet: use backend='numpy'")
    pair = lo.call(lo.helper("_eigh"), full(lo, lower(x, lo)))  # type: ignore[arg-type]
    pair.hint = pair.hint or "eig"
    return pair


@lower_node.register
def _eigvals(e: EigVals, lo: Lowerer) -> Val:
    """λ_S: the first half of eigh's pair, an n×1 column."""
    return lo.dense(lo.em.op(POSTFIX, (_pair(e.x, lo), POSTFIX), "[0]"), *e.shape)


@lower_node.register
def _eigvecs(e: EigVecs, lo: Lowerer) -> Val:
    """Q_S: the second half of eigh's pair."""
    return lo.dense(lo.em.op(POSTFIX, (_pair(e.x, lo), POSTFIX), "[1]"), *e.shape)


@lower_node.register
def _divdiff(e: DivDiff, lo: Lowerer) -> Val:
    """f^[1](λ_S) and f^[2](λ_S) by the run-time helpers ``_divdiff``, ``_divdiff2``."""
    lam = full(lo, lower(EigVals(e.x), lo))
    helper = "_divdiff" if e.order == 1 else "_divdiff2"
    return lo.dense(lo.call(lo.helper(helper), f'"{e.fn}"', lam), *e.shape)


@lower_node.register
def _eiggap(e: EigGap, lo: Lowerer) -> Val:
    """E_S by the run-time helper ``_eiggap``."""
    lam = full(lo, lower(EigVals(e.x), lo))
    return lo.dense(lo.call(lo.helper("_eiggap"), lam), *e.shape)


@lower_node.register
def _matrix_function(e: MatrixFunction, lo: Lowerer) -> Val:
    """f(S) = Q Diag(f(λ)) Qᵀ (Higham, *Functions of Matrices*, §4.5: the spectral form)."""
    q = EigVecs(e.x)
    return lower(MatMul((q, Diag(Apply(e.fn, EigVals(e.x))), Transpose(q))), lo)
