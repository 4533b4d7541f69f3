"""Structured lowering of Kronecker products with an identity, Diag and the commutation
matrix (issue 14): each new rule against the reference interpreter, size-1 dims included,
and the generated source of the benchmark's structured Jacobians and Hessians."""

from __future__ import annotations

import re

import numpy as np
import pytest

import matcalc as mc
from matcalc.check.numeric import evaluate

SIZES = [1, 2, 3]


def _check(e: mc.Expr, args: list, values: dict, dims: dict | None = None) -> str:
    """Compile ``e``, compare with the reference interpreter, return the source."""
    f = mc.compile(e, args=args)
    got = f(*[values[a.name] for a in args])
    want = evaluate(e, {a: values[a.name] for a in args}, dims=dims)
    np.testing.assert_allclose(np.asarray(got).reshape(np.shape(want)), want,
                               rtol=1e-10, atol=1e-10)
    return f.source


def _rand(rng: np.random.Generator, *shape: int) -> np.ndarray:
    return rng.standard_normal(shape)


@pytest.mark.parametrize("k_, m_, n_, p_", [(1, 1, 1, 1), (2, 3, 1, 2), (1, 2, 3, 1),
                                            (3, 2, 2, 4)])
def test_seed003_jacobian_block_diagonal(k_: int, m_: int, n_: int, p_: int) -> None:
    """(I ⊗ U) Diag(vec(D)) (I ⊗ W): one batched matmul onto the diagonal blocks."""
    rng = np.random.default_rng(k_ * 7 + p_)
    k, m, n, p = mc.dims("k m n p")
    U, W, X, b = mc.matrix("U", k, m), mc.matrix("W", m, n), mc.matrix("X", n, p), \
        mc.vector("b", m)
    J = mc.jacobian(U @ mc.tanh(W @ X + b), X)
    vals = {"U": _rand(rng, k_, m_), "W": _rand(rng, m_, n_), "X": _rand(rng, n_, p_),
            "b": _rand(rng, m_, 1)}
    src = _check(J, [U, W, X, b], vals)
    assert "kron(" not in src and "einsum" not in src and "_block_diag(" in src


@pytest.mark.parametrize("n_", SIZES + [4])
def test_logdet_hessian_one_inverse_one_pass(n_: int) -> None:
    """-(X⁻¹ ⊗ X⁻ᵀ) K: one inverse, one broadcast product into the output, no permutation
    copy."""
    rng = np.random.default_rng(n_)
    n = mc.dim("n")
    X = mc.matrix("X", n, n)
    H = mc.hessian(mc.logdet(X), X)
    src = _check(H, [X], {"X": _rand(rng, n_, n_) + 3 * np.eye(n_)})
    if n_ > 1:
        assert src.count("np.linalg.inv(") == 1 and "_kron_comm(" in src
        assert "kron(" not in src and ".transpose(" not in src


@pytest.mark.parametrize("n_, p_", [(1, 1), (1, 3), (3, 1), (4, 2)])
def test_trace_form_hessian_block_diagonal(n_: int, p_: int) -> None:
    """I ⊗ (Aᵀ + A) written block by block."""
    rng = np.random.default_rng(n_ + 10 * p_)
    n, p = mc.dims("n p")
    X, A = mc.matrix("X", n, p), mc.matrix("A", n, n)
    H = mc.hessian(mc.trace(X.T @ A @ X), X)
    src = _check(H, [X, A], {"X": _rand(rng, n_, p_), "A": _rand(rng, n_, n_)},
                 dims={"n": n_, "p": p_})
    assert "kron(np.eye" not in src and "kron(" not in src


@pytest.mark.parametrize("m_, n_, q_", [(1, 1, 1), (2, 3, 1), (3, 2, 4)])
def test_kron_with_identity_dense_and_applied(m_: int, n_: int, q_: int) -> None:
    """A ⊗ I and I ⊗ A as matrices (scattered copies), scaled, and applied to a matrix
    (a batched matmul), against the reference."""
    rng = np.random.default_rng(m_ + 5 * q_)
    m, n, q = mc.dims("m n q")
    A, M, N = mc.matrix("A", m, n), mc.matrix("M", n * q, 2), mc.matrix("N", q * n, 2)
    vals = {"A": _rand(rng, m_, n_), "M": _rand(rng, n_ * q_, 2), "N": _rand(rng, q_ * n_, 2)}
    Iq = mc.eye(q)
    for e, args in [(mc.kron(A, Iq), [A, N]), (3 * mc.kron(Iq, A), [A, N]),
                    (mc.kron(A, Iq) @ M, [A, M]), (mc.kron(Iq, A) @ N, [A, N]),
                    (2 * mc.kron(Iq, A) @ N, [A, N])]:
        f = mc.compile(e, args=args + [mc.matrix("Q", q, q)])
        got = f(*[vals[a.name] for a in args], np.zeros((q_, q_)))
        want = evaluate(e, {a: vals[a.name] for a in args}, dims={"q": q_})
        np.testing.assert_allclose(np.asarray(got).reshape(np.shape(want)), want,
                                   rtol=1e-10, atol=1e-12)
        assert "kron(" not in f.source


@pytest.mark.parametrize("h_, d_, k_, N_", [(1, 1, 1, 1), (2, 1, 3, 2), (3, 2, 2, 4)])
def test_tanh_net_hessian(h_: int, d_: int, k_: int, N_: int) -> None:
    """The two-layer net's Hessian: Diag (I ⊗ W₂ᵀW₂) Diag as a stack of blocks."""
    rng = np.random.default_rng(h_ + d_)
    h, d, k, N = mc.dims("h d k N")
    W1, W2 = mc.matrix("W1", h, d), mc.matrix("W2", k, h)
    X, Y = mc.matrix("X", d, N), mc.matrix("Y", k, N)
    H = mc.hessian(mc.norm(W2 @ mc.tanh(W1 @ X) - Y) ** 2 / (2 * N), W1)
    vals = {"W1": _rand(rng, h_, d_), "W2": _rand(rng, k_, h_), "X": _rand(rng, d_, N_),
            "Y": _rand(rng, k_, N_)}
    src = _check(H, [W1, W2, X, Y], vals)
    # (X ⊗ I) blocks (Xᵀ ⊗ I) is written from the blocks' factors: the Gauss–Newton term
    # P Pᵀ (SYRK) times W₂ᵀW₂ in place, the residual term on its diagonal; neither the N
    # blocks nor an Nh×Nh block-diagonal matrix is formed
    assert "kron(" not in src and " _block_diag(" not in src and "(_block_diag(" not in src
    assert "_kron_blocks(" in src and "np.einsum(" not in src and "_add_block_diag" not in src
    assert re.search(r"\b(\w+) @ \1\.T\b", src), src


@pytest.mark.parametrize("r_, p_", [(1, 1), (2, 3), (3, 1)])
def test_block_diagonal_values(r_: int, p_: int) -> None:
    """A stack of blocks as a value: scaled, transposed, plus s I and Diag(w) on each
    block's diagonal (in place), plus a dense term, returned, and between (A ⊗ I) and
    (C ⊗ I) on either side."""
    rng = np.random.default_rng(r_ + 10 * p_)
    r, p, q = mc.dims("r p q")
    B, v, w = mc.matrix("B", r, r), mc.vector("v", r * p), mc.vector("w", r * p)
    A, C, M = mc.matrix("A", q, p), mc.matrix("C", p, q), mc.matrix("M", r * p, r * p)
    Ir, Ip = mc.eye(r), mc.eye(p)
    bd = mc.Diag(v) @ mc.kron(Ip, B) @ mc.Diag(v)
    vals = {"B": _rand(rng, r_, r_), "v": _rand(rng, r_ * p_, 1), "w": _rand(rng, r_ * p_, 1),
            "A": _rand(rng, 2, p_), "C": _rand(rng, p_, 2), "M": _rand(rng, r_ * p_, r_ * p_)}
    args = [B, v, w, A, C, M]
    for e in (3 * bd.T, bd + 2 * mc.eye(r * p) - mc.Diag(w), bd + M,
              mc.kron(A, Ir) @ (bd - mc.Diag(w)) @ mc.kron(C, Ir),
              mc.kron(A, Ir) @ bd, bd @ mc.kron(C, Ir)):
        src = _check(e, args, vals, dims={"r": r_, "p": p_, "q": 2})
        assert "np.eye(" not in src and "np.diagflat(" not in src, src


def test_diag_between_kron_blocks() -> None:
    """Diag(v)(I ⊗ B), stacks times stacks and a stack times Diag, with scaled identities."""
    rng = np.random.default_rng(3)
    r, p = mc.dims("r p")
    B, C, v, w = mc.matrix("B", r, r), mc.matrix("C", r, r), mc.vector("v", r * p), \
        mc.vector("w", r * p)
    Ip = mc.eye(p)
    e = mc.Diag(v) @ mc.kron(2 * Ip, B) @ mc.Diag(w) @ mc.kron(Ip, C) @ mc.Diag(v)
    for r_, p_ in [(1, 1), (2, 3), (3, 1)]:
        vals = {"B": _rand(rng, r_, r_), "C": _rand(rng, r_, r_), "v": _rand(rng, r_ * p_, 1),
                "w": _rand(rng, r_ * p_, 1)}
        f = mc.compile(e, args=[B, C, v, w, mc.matrix("P", p, p)])
        got = f(vals["B"], vals["C"], vals["v"], vals["w"], np.zeros((p_, p_)))
        want = evaluate(e, {B: vals["B"], C: vals["C"], v: vals["v"], w: vals["w"]},
                        dims={"p": p_})
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
        assert "kron(" not in f.source


@pytest.mark.parametrize("r_, c_, p_, q_", [(1, 1, 1, 1), (2, 3, 4, 2), (3, 1, 2, 3),
                                            (2, 2, 3, 1)])
def test_kron_sandwich_from_block_factors(r_: int, c_: int, p_: int, q_: int) -> None:
    """(A ⊗ I) blocks (C ⊗ I) with blocks Diag(lⱼ) B Diag(uⱼ) [+ Diag(wⱼ) + s I], scaled
    inside and out: written from the factors (P Qᵀ ⊙ (𝟏𝟏ᵀ ⊗ B), the diagonal in place),
    never from the stack of blocks; one-sided blocks keep the einsum on the stack."""
    rng = np.random.default_rng(r_ + 3 * c_ + 7 * p_)
    r, c, p, q = mc.dims("r c p q")
    B, S = mc.matrix("B", r, c), mc.matrix("S", r, r)
    l, u, w = mc.vector("l", r * p), mc.vector("u", c * p), mc.vector("w", r * p)
    A, C, s = mc.matrix("A", q, p), mc.matrix("C", p, q), mc.scalar("s")
    Ip, Ir, Ic = mc.eye(p), mc.eye(r), mc.eye(c)
    vals = {"B": _rand(rng, r_, c_), "S": _rand(rng, r_, r_), "l": _rand(rng, r_ * p_, 1),
            "u": _rand(rng, c_ * p_, 1), "w": _rand(rng, r_ * p_, 1),
            "A": _rand(rng, q_, p_), "C": _rand(rng, p_, q_), "s": 0.7}
    args = [B, S, l, u, w, A, C, s]
    dims = {"r": r_, "c": c_, "p": p_, "q": q_}
    rect = mc.Diag(l) @ mc.kron(Ip, 2 * B) @ mc.Diag(u)
    square = mc.Diag(l) @ mc.kron(Ip, S) @ mc.Diag(l)
    cases = [(mc.kron(A, Ir) @ rect @ mc.kron(C, Ic), False),
             (3 * mc.kron(A, Ir) @ (s * rect) @ mc.kron(C, Ic), False),
             (mc.kron(A, Ir) @ (square + s * mc.eye(r * p)) @ mc.kron(C, Ir), False),
             (mc.kron(A, Ir) @ (square - mc.Diag(w) + 2 * mc.eye(r * p)) @ mc.kron(A.T, Ir),
              True),
             (mc.kron(C.T, Ir) @ (s * square - mc.Diag(w)) @ mc.kron(C, Ir) / 4, True)]
    for e, gram in cases:
        src = _check(e, args, vals, dims=dims)
        if 1 in (r_, p_):  # a 1×1 block or a single block: other rules apply first
            continue
        assert "_kron_blocks(" in src and "np.einsum(" not in src, src
        assert "_add_block_diag" not in src and "kron(" not in src, src
        assert bool(re.search(r"\b(\w+) @ \1\.T\b", src)) == gram, src
    one_sided = mc.kron(A, Ir) @ (mc.Diag(l) @ mc.kron(Ip, B)) @ mc.kron(C, Ic)
    src = _check(one_sided, args, vals, dims=dims)
    assert "_kron_blocks(" not in src
    # applied to a vector: the stack times (C ⊗ I) vec(M), never the dense sandwich
    M = mc.matrix("M", c, q)
    vals["M"] = _rand(rng, c_, q_)
    src = _check(mc.kron(A, Ir) @ rect @ mc.kron(C, Ic) @ mc.vec(M), args + [M], vals, dims=dims)
    assert "_kron_blocks(" not in src and "bn,nac,nd" not in src, src


@pytest.mark.parametrize("h_, d_, N_", [(1, 1, 1), (2, 1, 3), (3, 2, 4), (1, 3, 2)])
def test_diag_between_kron_with_identity(h_: int, d_: int, N_: int) -> None:
    """(A ⊗ I) Diag(v) (C ⊗ I), the Hessian of Σ f(W X) w.r.t. W: the blocks' diagonals
    through the sandwich, written onto the diagonal of a zeroed array; never the dense
    A ⊗ I (``_kron_eye``) multiplied by the Diag."""
    rng = np.random.default_rng(h_ + 5 * N_)
    h, d, N, q = mc.dims("h d N q")
    W, X = mc.matrix("W", h, d), mc.matrix("X", d, N)
    A, C, v, s = mc.matrix("A", q, N), mc.matrix("C", N, d), mc.vector("v", N * h), \
        mc.scalar("s")
    vals = {"W": _rand(rng, h_, d_) / 2, "X": _rand(rng, d_, N_), "A": _rand(rng, 2, N_),
            "C": _rand(rng, N_, d_), "v": _rand(rng, N_ * h_, 1), "s": -0.3}
    dims = {"h": h_, "d": d_, "N": N_, "q": 2}
    Ih = mc.eye(h)
    cases = [(mc.hessian(mc.sum(mc.softplus(W @ X)), W), [W, X]),
             (s * mc.kron(A, Ih) @ mc.Diag(v) @ mc.kron(C, Ih) / 2, [A, C, v, s, W])]
    for e, args in cases:
        src = _check(e, args, vals, dims=dims)
        assert "_kron_eye(" not in src and "kron(" not in src and "np.eye(" not in src, src
        if h_ > 1:
            assert "_kron_diag(" in src, src
    # applied to a vector, the product is taken factor by factor: no dense sandwich
    U = mc.matrix("U", h, q)
    vals["U"] = _rand(rng, h_, 2)
    applied = mc.kron(A, Ih) @ mc.Diag(v) @ mc.kron(C, Ih) @ mc.vec(W)
    src = _check(applied, [A, C, v, W], vals, dims=dims)
    assert "_kron_diag(" not in src and "_kron_eye(" not in src, src
    applied = mc.vec(U).T @ mc.kron(A, Ih) @ mc.Diag(v) @ mc.kron(C, Ih)
    src = _check(applied, [A, C, v, U, W], vals, dims=dims)
    assert "_kron_diag(" not in src and "_kron_eye(" not in src, src


@pytest.mark.parametrize("m_, q_, r_, s_", [(2, 3, 4, 2), (1, 2, 3, 1), (3, 1, 1, 2)])
def test_kron_times_commutation_rectangular(m_: int, q_: int, r_: int, s_: int) -> None:
    """(A ⊗ B) K(q, s) for rectangular A (m×q) and B (r×s), scaled: entry [(i,k),(l,j)] =
    A[i,j] B[k,l], written by one broadcast product (no np.kron, no commutation matrix)."""
    rng = np.random.default_rng(m_ + 3 * s_)
    m, q, r, s = mc.dims("m q r s")
    A, B = mc.matrix("A", m, q), mc.matrix("B", r, s)
    e = -2 * mc.kron(A, B) @ mc.commutation(q, s)
    src = _check(e, [A, B], {"A": _rand(rng, m_, q_), "B": _rand(rng, r_, s_)})
    assert "kron(" not in src and "_commutation(" not in src, src


def _hessian_applied_cases() -> list:
    """(name, f, X, V, values): Hessians of the benchmark's problems, to be applied."""
    rng = np.random.default_rng(11)
    n, p = mc.dims("n p")
    X, A, V = mc.matrix("X", n, p), mc.matrix("A", n, n), mc.matrix("V", n, p)
    S, W = mc.matrix("S", n, n), mc.matrix("W", n, n)
    h, d, k, N = mc.dims("h d k N")
    W1, W2 = mc.matrix("W1", h, d), mc.matrix("W2", k, h)
    Xd, Y, Vd = mc.matrix("X", d, N), mc.matrix("Y", k, N), mc.matrix("V", h, d)
    net = mc.norm(W2 @ mc.tanh(W1 @ Xd) - Y) ** 2 / (2 * N)
    return [
        ("tr(XᵀAX)", mc.trace(X.T @ A @ X), X, V,
         {"X": _rand(rng, 4, 3), "A": _rand(rng, 4, 4), "V": _rand(rng, 4, 3)}),
        ("logdet", mc.logdet(S), S, W,
         {"S": _rand(rng, 4, 4) + 4 * np.eye(4), "W": _rand(rng, 4, 4)}),
        ("tanh net", net, W1, Vd,
         {"W1": _rand(rng, 3, 2), "W2": _rand(rng, 2, 3), "X": _rand(rng, 2, 5),
          "Y": _rand(rng, 2, 5), "V": _rand(rng, 3, 2)}),
    ]


@pytest.mark.parametrize("case", _hessian_applied_cases(), ids=lambda c: c[0])
def test_hessian_applied_to_a_direction_never_forms_the_hessian(case) -> None:
    """mc.hessian(f, X) @ vec(V) is applied factor by factor, right to left: each Kronecker,
    commutation and Diag factor meets a vector, so the code equals the hvp and builds no
    n²×n² array (no _kron_comm, no stack of blocks, no Kronecker product)."""
    _, f, X, V, vals = case
    e = mc.hessian(f, X) @ mc.vec(V)
    args = sorted(e.free_symbols, key=lambda s: s.name)
    src = _check(e, args, vals)
    for waste in ("kron(", "_kron_comm(", "_kron_blocks(", "_block_diag(", "np.einsum("):
        assert waste not in src, src
    hvp = mc.compile(mc.hvp(f, X, V))
    want = hvp(**{a: vals[a] for a in hvp.args})
    got = mc.compile(e, args=args)(*[vals[a.name] for a in args])
    np.testing.assert_allclose(got, want.reshape(-1, order="F"), rtol=1e-10, atol=1e-12)


def test_random_derivatives_applied_to_a_direction() -> None:
    """Random Hessians and Jacobians applied to vec(V), compiled, against the reference
    interpreter: the right-to-left application meets every structured factor the
    generator makes (Kronecker, commutation, Diag, stacks of blocks)."""
    from matcalc.testing.generate import RandomSource, dim_values, random_case
    from matcalc.testing.properties import Skip, prop_compile

    checked = 0
    for seed in range(120):
        src = RandomSource(seed)
        scalar = seed % 2 == 0
        case = random_case(src, scalar=scalar, depth=3, budget=10)
        dims = dim_values(case, src)
        x = case.wrt[0]
        D = mc.hessian(case.f, x) if scalar else mc.jacobian(case.f, x)
        e = D @ mc.vec(mc.matrix("V_dir", *x.shape))
        try:
            problem = prop_compile([e], dims, seed, mc.compile)
        except Skip:
            continue
        assert problem is None, (seed, str(e), problem)
        checked += 1
    assert checked > 100
