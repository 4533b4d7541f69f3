"""The four seed problems: expected printed forms, exact SymPy checks, finite differences."""

from __future__ import annotations

import pytest
from problems import seed000, seed001

import matcalc as mc
from matcalc.check.fdcheck import fd_grad_check, fd_jacobian_check


def test_seed000_printed_forms_match_the_accepted_answer():
    p = seed000()
    gw, gb, gX = mc.grad(p.f, p.wrt)
    # ∂L/∂X = (2/m) H (ŷ − y) wᵀ with H = Diag(step(z)); matcalc writes H v as step(z) ⊙ v.
    assert str(gX) == "2/m (step(z) ⊙ (yhat - y)) wᵀ"
    assert str(gw) == "2/m Xᵀ (step(z) ⊙ (yhat - y))"
    assert str(gb) == "2/m sum(step(z) ⊙ (yhat - y))"
    assert gX.shape == p.wrt[2].shape and gw.shape == p.wrt[0].shape


def test_seed000_exact_and_numeric():
    p = seed000()
    assert mc.check_grad(p.f, p.wrt, p.dims)
    grads = mc.grad(p.f, p.wrt)
    m, n = p.extra["m"], p.extra["n"]
    for dims in ({m: 7, n: 4}, {m: 20, n: 5}):
        assert fd_grad_check(p.f, p.wrt, grads, dims=dims, rng=3)


def test_seed001_printed_forms_match_the_vectorized_section():
    p = seed001()
    gW1, gW2, gb1, gb2 = mc.grad(p.f, p.wrt)
    # Seed 001 §3: 2/n (V⊙D) Xᵀ, 2/n R Sᵀ, 2/n sum(V⊙D, columns), 2/n sum(R, columns),
    # with V = W2ᵀR and D = σ′(Z) = step(Z).
    assert str(gW2) == "2/n R Sᵀ"
    assert str(gb2) == "2/n R 𝟏"
    assert str(gW1) == "2/n (step(Z) ⊙ (W2ᵀ R)) Xᵀ"
    assert str(gb1) == "2/n (step(Z) ⊙ (W2ᵀ R)) 𝟏"


@pytest.mark.parametrize("loss", ["norm", "sum_sq", "frob", "trace"])
def test_seed001_every_spelling_of_the_loss_gives_the_same_gradients(loss):
    p = seed001()
    R, n = p.extra["R"], p.extra["n"]
    f = {"norm": mc.norm(R) ** 2 / n, "sum_sq": mc.sum(R ** 2) / n,
         "frob": mc.frob(R, R) / n, "trace": mc.trace(R.T @ R) / n}[loss]
    assert [str(g) for g in mc.grad(f, p.wrt)] == [str(g) for g in mc.grad(p.f, p.wrt)]


def test_seed001_exact_and_numeric():
    p = seed001()
    assert mc.check_grad(p.f, p.wrt, p.dims)
    grads = mc.grad(p.f, p.wrt)
    dims = {d: v for d, v in zip(p.dims, (5, 6, 3, 8))}
    assert fd_grad_check(p.f, p.wrt, grads, dims=dims, rng=1)


def _seed002():
    n, p = mc.dims("n p")
    X, w, y = mc.matrix("X", n, p), mc.vector("w", p), mc.vector("y", n)
    mse = (y - X @ w).T @ (y - X @ w) / (2 * n)
    return n, p, X, w, y, mse


def test_seed002_linear_regression_has_the_minus_sign():
    n, p, X, w, y, mse = _seed002()
    g = mc.grad(mse, w)
    # The accepted answer wrote (1/n)Xᵀ(y − Xw): the sign of the gradient is reversed.
    # matcalc prints the textbook form, the residual Xw − y leading with its positive term.
    assert str(g) == "1/n Xᵀ (X w - y)"
    assert mc.check_grad(mse, w, {n: 3, p: 2})
    assert fd_grad_check(mse, w, g, dims={n: 9, p: 4})


def test_seed002_multivariate():
    n, p, X, _, _, _ = _seed002()
    k = mc.dim("k")
    W, Y = mc.matrix("W", p, k), mc.matrix("Y", n, k)
    mse = mc.trace((Y - X @ W).T @ (Y - X @ W)) / (2 * n)
    g = mc.grad(mse, W)
    assert str(g) == "1/n Xᵀ (X W - Y)"
    assert mc.check_grad(mse, W, {n: 3, p: 2, k: 2})
    assert fd_grad_check(mse, W, g, dims={n: 7, p: 3, k: 2})


def _seed003():
    m, n, p, k = mc.dims("m n p k")
    W, U = mc.matrix("W", m, n), mc.matrix("U", k, m)
    X, b, c = mc.matrix("X", n, p), mc.vector("b", m), mc.vector("c", k)
    sigma = mc.elementwise("sigma")
    Y = U @ sigma(W @ X + b) + c
    return (m, n, p, k), W, U, X, b, c, sigma, Y


def test_seed003_jacobian_is_structured():
    _, W, U, X, b, c, sigma, Y = _seed003()
    J = mc.jacobian(Y, X)
    # vec dY = (I ⊗ U) Diag(vec σ′(Z)) (I ⊗ W) vec dX. The accepted answer's
    # (US′) ⊙ (W dX) multiplies matrices of different shapes: U must stay outside.
    assert str(J) == "(I ⊗ U) Diag(vec(sigma'(W X + b 𝟏ᵀ))) (I ⊗ W)"
    assert J.shape == (Y.shape[0] * Y.shape[1], X.shape[0] * X.shape[1])


def test_seed003_jacobian_numeric():
    (m, n, p, k), W, U, X, b, c, _, _ = _seed003()
    Y = U @ mc.tanh(W @ X + b) + c
    J = mc.jacobian(Y, X)
    assert fd_jacobian_check(Y, X, J, dims={m: 4, n: 3, p: 5, k: 2})


def test_seed003_gradient_of_a_scalar_readout_exact():
    (m, n, p, k), W, U, X, b, c, sigma, Y = _seed003()
    f = mc.sum(Y)
    # every variable: ∂/∂c = p 1 needs the inner dimension of 1ₖ1ₚᵀ·1ₚ (a past bug)
    assert mc.check_grad(f, [X, W, U, b, c], {m: 2, n: 2, p: 3, k: 2})
    assert str(mc.grad(f, c)) == "p 𝟏"


def test_seed003_accepted_answer_hadamard_has_mismatched_shapes():
    (m, n, p, k), W, U, X, b, c, sigma, Y = _seed003()
    dX = mc.matrix("dX", n, p)
    US1 = U @ sigma(W @ X + b)  # k×p: the accepted answer's U S′
    with pytest.raises(mc.ShapeError, match=r"k×p.*m×p"):
        US1 * (W @ dX)
