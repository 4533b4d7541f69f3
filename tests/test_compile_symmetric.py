"""Symmetric products, identities added in place and shared inverses (issue 14): each
rule against the reference interpreter at sizes 1–3, and the generated source's form
(the SYRK product ``H = Xs.T @ Xs``, no ``np.eye`` for an identity term, one inverse per
matrix)."""

from __future__ import annotations

import re

import numpy as np
import pytest

import matcalc as mc
from matcalc.check.numeric import evaluate
from matcalc.codegen.sign import nonnegative

# ``t.T @ t`` or ``t @ t.T``: an array times its own transpose, which NumPy sends to SYRK
GRAM = re.compile(r"\b(\w+)\.T @ \1\b|\b(\w+) @ \2\.T\b")


def _check(e, args: list, values: dict) -> str:
    """Compile ``e``, compare with the reference interpreter, return the source."""
    f = mc.compile(e, args=args)
    before = {k: v.copy() for k, v in values.items()}
    got = f(*[values[a.name] for a in args])
    for k, v in values.items():  # nothing is written into the caller's arrays
        np.testing.assert_array_equal(v, before[k])
    outs = got if isinstance(e, list) else [got]
    for o, x in zip(outs, e if isinstance(e, list) else [e]):
        want = evaluate(x, {a: values[a.name] for a in args})
        np.testing.assert_allclose(np.asarray(o).reshape(np.shape(want)), want,
                                   rtol=1e-10, atol=1e-10)
    return f.source


@pytest.mark.parametrize("m_, n_", [(1, 1), (3, 1), (1, 3), (3, 2)])
def test_logistic_hessian_is_a_gram_matrix_plus_identity_in_place(m_: int, n_: int) -> None:
    """I + Xᵀ Diag(σ(1−σ)) X / m as Xs = √(σ(1−σ)/m) X; Xs.T @ Xs with 1 on its diagonal."""
    m, n = mc.dims("m n")
    X, w, y = mc.matrix("X", m, n), mc.vector("w", n), mc.vector("y", m)
    z = X @ w
    H = mc.hessian(mc.sum(mc.softplus(z) - y * z) / m + mc.norm(w) ** 2 / 2, w)
    rng = np.random.default_rng(m_ + 7 * n_)
    src = _check(H, [X, w, y], {"X": rng.standard_normal((m_, n_)),
                                "w": rng.standard_normal((n_, 1)),
                                "y": rng.standard_normal((m_, 1))})
    if n_ > 1:
        assert GRAM.search(src) and "np.sqrt(" in src, src
        assert "np.eye(" not in src and "_add_diag(" in src


@pytest.mark.parametrize("form", ["AtDA", "ADAt", "-AtDA", "AtA+I", "AAt-2I"])
def test_symmetric_products(form: str) -> None:
    """Aᵀ Diag(d) A and A Diag(d) Aᵀ for d ≥ 0 (a negative scale stays outside the root),
    AᵀA and AAᵀ, with identities added to the diagonal of the fresh product."""
    m, n = mc.dims("m n")
    A, x, u = mc.matrix("A", m, n), mc.vector("x", m), mc.vector("u", n)
    e = {"AtDA": A.T @ mc.Diag(mc.exp(x)) @ A,
         "ADAt": A @ mc.Diag(mc.sigmoid(u) * (1 - mc.sigmoid(u))) @ A.T,
         "-AtDA": -3 * (A.T @ mc.Diag(x * x) @ A),
         "AtA+I": A.T @ A + mc.eye(n),
         "AAt-2I": A @ A.T - 2 * mc.eye(m)}[form]
    rng = np.random.default_rng(len(form))
    src = _check(e, [A, x, u], {"A": rng.standard_normal((3, 2)),
                                "x": rng.standard_normal((3, 1)),
                                "u": rng.standard_normal((2, 1))})
    assert GRAM.search(src), src
    assert "np.eye(" not in src


def test_unknown_sign_is_a_general_product() -> None:
    """Aᵀ Diag(x) A with x of any sign has no square root."""
    m, n = mc.dims("m n")
    A, x = mc.matrix("A", m, n), mc.vector("x", m)
    rng = np.random.default_rng(1)
    src = _check(A.T @ mc.Diag(x) @ A, [A, x], {"A": rng.standard_normal((3, 2)),
                                               "x": rng.standard_normal((3, 1))})
    assert "np.sqrt(" not in src


def test_identity_on_an_argument_or_a_shared_value_is_copied() -> None:
    """I + A writes a copy, never A; a product also returned on its own is copied before
    the identity goes onto its diagonal, so both outputs are right."""
    n = mc.dim("n")
    A, B = mc.matrix("A", n, n), mc.matrix("B", n, n)
    rng = np.random.default_rng(2)
    vals = {"A": rng.standard_normal((3, 3)), "B": rng.standard_normal((3, 3))}
    src = _check([A + mc.eye(n), A @ B, A @ B + 2 * mc.eye(n), mc.Diag(mc.diag(B)) + B],
                 [A, B], vals)
    assert "np.eye(" not in src and "np.diagflat(" not in src


def test_one_inverse_per_matrix() -> None:
    """X⁻ᵀ beside X⁻¹B, and X⁻ᵀB beside X⁻¹: one np.linalg.inv, no solve."""
    n = mc.dim("n")
    S, B = mc.matrix("S", n, n), mc.matrix("B", n, n)
    rng = np.random.default_rng(3)
    vals = {"S": rng.standard_normal((3, 3)) + 3 * np.eye(3), "B": rng.standard_normal((3, 3))}
    for e in ([mc.grad(mc.logdet(S), S), mc.inv(S) @ B], [mc.inv(S.T) @ B, mc.inv(S)],
              mc.hvp(mc.logdet(S), S, B)):
        src = _check(e, [S, B], vals)
        assert src.count("np.linalg.inv(") == 1 and "solve" not in src, src


def test_nonnegative() -> None:
    x = mc.vector("x", mc.dim("n"))
    s, t = mc.sigmoid(x), mc.tanh(x)
    for e in (mc.exp(x), s * (1 - s), 1 - t * t, x * x, 2 * mc.softplus(x), mc.relu(x) + s,
              1 - mc.step(x)):
        assert nonnegative(e), e
    for e in (x, t, 1 - x, -mc.exp(x), 1 - 2 * s, mc.log(s)):
        assert not nonnegative(e), e


@pytest.mark.parametrize("wide", [1, 2, 12])
def test_sum_applied_to_a_vector_is_distributed(wide: int) -> None:
    """(Aᵀ + A) v = Aᵀv + Av with no n×n sum; uᵀ(A − B), B(A + Aᵀ)v likewise; applied to a
    matrix of dim width, the code decides per call, inline (both branches checked)."""
    n, p = mc.dims("n p")
    A, B = mc.matrix("A", n, n), mc.matrix("B", n, n)
    v, u, V = mc.vector("v", n), mc.vector("u", n), mc.matrix("V", n, p)
    rng = np.random.default_rng(wide)
    vals = {"A": rng.standard_normal((8, 8)), "B": rng.standard_normal((8, 8)),
            "v": rng.standard_normal((8, 1)), "u": rng.standard_normal((8, 1)),
            "V": rng.standard_normal((8, wide))}
    for e in ((A.T + A) @ v, u.T @ (A - B), B @ (A + A.T) @ v, (A.T - 2 * B) @ v):
        code = [ln for ln in _check(e, [A, B, v, u, V], vals).splitlines() if "#" not in ln]
        sums = [ln for ln in code if re.search(r"\b(A|A\.T|B) [+-] (\d \* )?(A|A\.T|B)\b", ln)]
        assert not sums, code
    src = _check(mc.hvp(mc.trace(V.T @ A @ V), V, V), [A, B, v, u, V], vals)
    assert "t1 @ V + A @ V if 4 * p <= n else _dense_sum(t1, A) @ V" in src, src
    # sizes fixed when compiled: one branch, no test
    k = mc.matrix("K", 8, 8)
    for cols, want in ((2, "K.T @ W + K @ W"), (3, "_dense_sum(K.T, K) @ W")):
        w = mc.matrix("W", 8, cols)
        src = mc.compile(mc.hvp(mc.trace(w.T @ k @ w), w, w), args=[k, w]).source
        assert want in src and " else " not in src, src
