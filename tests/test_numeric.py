"""The NumPy reference interpreter, test points and finite-difference checks."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import matcalc as mc
from matcalc.check.fdcheck import fd_grad_check, fd_jacobian_check, numeric_grad
from matcalc.check.numeric import (
    NUMPY_FUNCTIONS,
    _ev,
    evaluate,
    infer_dims,
    random_point,
)
from matcalc.expr import nodes
from matcalc.expr.functions import FUNCTIONS

m, n = mc.dims("m n")
X = mc.matrix("X", m, n)
A = mc.matrix("A", n, n)
w = mc.vector("w", n)
y = mc.vector("y", m)
b = mc.scalar("b")
DIMS = {m: 4, n: 3}


def test_every_node_type_has_a_rule() -> None:
    missing = [t.__name__ for t in nodes.NODE_TYPES if t not in _ev.registry]
    assert not missing, f"evaluate has no rule for {missing}"


def test_every_builtin_function_has_a_numpy_reference() -> None:
    assert set(FUNCTIONS) == set(NUMPY_FUNCTIONS)


def test_evaluate_matches_hand_written_numpy() -> None:
    rng = np.random.default_rng(3)
    Xv, wv, yv = rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(4)
    bv = 0.7
    vals = {X: Xv, w: wv, "y": yv, b: bv}  # 1-D vectors, a float scalar, keys by name too
    z = Xv @ wv + bv
    np.testing.assert_allclose(evaluate(X @ w + b, vals), z[:, None])
    L = mc.sum((mc.relu(X @ w + b) - y) ** 2) / m
    np.testing.assert_allclose(evaluate(L, vals)[0, 0], np.sum((np.maximum(z, 0) - yv) ** 2) / 4)
    np.testing.assert_allclose(evaluate(mc.Diag(mc.step(X @ w)) @ y, vals)[:, 0],
                               np.heaviside(Xv @ wv, 0) * yv)
    np.testing.assert_allclose(evaluate(mc.vec(X), vals)[:, 0], Xv.T.ravel())
    np.testing.assert_allclose(evaluate(nodes.Commutation(m, n) @ mc.vec(X), vals),
                               evaluate(mc.vec(X.T), vals))
    np.testing.assert_allclose(evaluate(nodes.Unvec(mc.vec(X), m, n), vals), Xv)
    np.testing.assert_allclose(evaluate(mc.kron(X, w), vals), np.kron(Xv, wv[:, None]))
    assert evaluate(X, vals).shape == (4, 3) and evaluate(w, vals).shape == (3, 1)


def test_inverse_logdet_det_and_dim_coefficients() -> None:
    Av = np.array([[2.0, 1.0, 0.0], [0.5, -3.0, 1.0], [0.0, 1.0, 1.0]])
    vals = {A: Av}
    np.testing.assert_allclose(evaluate(mc.inv(A) @ A, vals), np.eye(3), atol=1e-12)
    # logdet is log|det|: det(Av) < 0 here.
    assert np.linalg.det(Av) < 0
    np.testing.assert_allclose(evaluate(mc.logdet(A), vals)[0, 0], np.log(-np.linalg.det(Av)))
    np.testing.assert_allclose(evaluate(2 / n * mc.trace(A), vals)[0, 0], 2 / 3 * np.trace(Av))
    np.testing.assert_allclose(evaluate(mc.norm(A), vals)[0, 0], np.linalg.norm(Av))


def test_generic_functions_default_and_given() -> None:
    sigma = mc.elementwise("sigma")
    vals = {w: np.array([0.1, 0.2, 0.3])}
    t = vals[w][:, None]
    np.testing.assert_allclose(evaluate(sigma(w), vals), np.sin(t) + np.exp(t / 2))
    np.testing.assert_allclose(evaluate(nodes.Apply("sigma", w, 1), vals),
                               np.cos(t) + np.exp(t / 2) / 2)
    fns = {"sigma": [np.tanh, lambda x: 1 - np.tanh(x) ** 2]}
    np.testing.assert_allclose(evaluate(nodes.Apply("sigma", w, 1), vals, functions=fns),
                               1 - np.tanh(t) ** 2)
    with pytest.raises(ValueError, match="derivative 1"):
        evaluate(nodes.Apply("sigma", w, 1), vals, functions={"sigma": np.tanh})


def test_inconsistent_arrays_name_the_symbol_and_dim() -> None:
    with pytest.raises(mc.ShapeError, match=r"w .* n = 5"):
        infer_dims(X @ w, {X: np.ones((4, 3)), w: np.ones(5)})
    with pytest.raises(mc.ShapeError, match="X"):
        evaluate(X, {X: np.ones((4, 3))}, dims={m: 2, n: 3})


def test_random_points_are_seeded_kink_free_and_in_domain() -> None:
    f = mc.sum(mc.relu(X @ w + b)) + mc.sum(mc.abs(X)) + mc.logdet(A)
    p1, p2 = random_point(f, DIMS, rng=5), random_point(f, DIMS, rng=5)
    assert all(np.array_equal(p1[s], p2[s]) for s in p1)
    z = evaluate(X @ w + b, p1)
    assert np.min(np.abs(z)) >= 1e-2 and np.min(np.abs(p1[X])) >= 1e-2
    assert np.linalg.cond(p1[A]) < 1e3
    # log and sqrt need positive arguments: the point moves to a family where they are.
    q = random_point(mc.sum(mc.log(X)) + mc.sum(mc.sqrt(w)), DIMS, rng=1)
    assert np.all(q[X] > 0) and np.all(q[w] > 0)
    with pytest.raises(ValueError, match="no point"):
        random_point(mc.sum(mc.log(-mc.exp(X))), DIMS, rng=0, tries=6)


# Cookbook gradients written by hand: fd_grad_check must accept them and reject variants.
CASES = [
    # (f, x, correct gradient, a wrong one)
    (w.T @ A @ w, w, (A + A.T) @ w, 2 * A @ w),                       # MC (81)
    (mc.logdet(A), A, mc.inv(A).T, mc.inv(A)),                        # MC (57)
    (mc.trace(A @ A), A, 2 * A.T, 2 * A),                             # MC (106)
    (mc.norm(X @ w - y) ** 2, w, 2 * X.T @ (X @ w - y), X.T @ (X @ w - y)),
    (mc.sum((mc.relu(X @ w + b) - y) ** 2) / m, X,
     2 / m * (mc.Diag(mc.step(X @ w + b)) @ (mc.relu(X @ w + b) - y)) @ w.T,
     2 / m * (mc.relu(X @ w + b) - y) @ w.T),
]


@pytest.mark.parametrize("f, x, good, bad", CASES, ids=[str(c[0]) for c in CASES])
def test_fd_grad_check_accepts_right_and_rejects_wrong(f, x, good, bad) -> None:
    ok = fd_grad_check(f, x, good, dims=DIMS, rng=2)
    assert ok, str(ok)
    wrong = fd_grad_check(f, x, bad, dims=DIMS, rng=2)
    assert not wrong
    assert "differs" in str(wrong)


def test_fd_grad_check_with_several_variables_and_given_values() -> None:
    f = mc.sum(mc.tanh(X @ w + b))
    s = 1 - mc.tanh(X @ w + b) ** 2
    grads = [s @ w.T, X.T @ s, mc.ones(m).T @ s]
    vals = random_point(f, DIMS, rng=4)
    assert fd_grad_check(f, [X, w, b], grads, values=vals)
    assert not fd_grad_check(f, [X, w, b], [grads[0], grads[1], 2 * grads[2]], values=vals)
    with pytest.raises(mc.ShapeError):
        fd_grad_check(f, w, w.T, dims=DIMS)


def test_numeric_grad_matches_the_closed_form() -> None:
    f = w.T @ A @ w
    pt = random_point(f, DIMS, rng=0)
    np.testing.assert_allclose(numeric_grad(f, w, pt), evaluate((A + A.T) @ w, pt), rtol=1e-7)


def test_fd_jacobian_check() -> None:
    # vec(X w) = (wᵀ ⊗ I) vec X  (Magnus & Neudecker, vec(ABC) = (Cᵀ ⊗ A) vec B)
    J = mc.kron(w.T, mc.eye(m))
    assert fd_jacobian_check(X @ w, X, J, dims=DIMS)
    # The row-major layout mistake: (I ⊗ wᵀ) is the Jacobian w.r.t. vec(Xᵀ), not vec(X).
    wrong = fd_jacobian_check(X @ w, X, mc.kron(mc.eye(m), w.T), dims=DIMS)
    assert not wrong, str(wrong)
    # tanh: J = Diag(vec(1 − tanh²(X))), elementwise.
    Jt = mc.Diag(mc.vec(1 - mc.tanh(X) ** 2))
    assert fd_jacobian_check(mc.tanh(X), X, Jt, dims=DIMS)
    with pytest.raises(mc.ShapeError):
        fd_jacobian_check(X @ w, X, mc.kron(w, mc.eye(m)), dims=DIMS)


def test_seed003_jacobian_of_the_network_wrt_its_input() -> None:
    # Y = U σ(W X + b 1ᵀ) + c 1ᵀ; vec dY = (I ⊗ U) Diag(vec S′) (I ⊗ W) vec dX.
    k, p = mc.dims("k p")
    U, W, X3 = mc.matrix("U", k, m), mc.matrix("W", m, n), mc.matrix("X", n, p)
    b1, c1 = mc.vector("b", m), mc.vector("c", k)
    Z = W @ X3 + b1
    Y = U @ mc.tanh(Z) + c1
    Sp = 1 - mc.tanh(Z) ** 2
    J = mc.kron(mc.eye(p), U) @ mc.Diag(mc.vec(Sp)) @ mc.kron(mc.eye(p), W)
    dims = {k: 2, m: 3, n: 4, p: 5}
    assert fd_jacobian_check(Y, X3, J, dims=dims, rng=1)
    assert fd_jacobian_check(Y, X3, mc.jacobian(Y, X3), dims=dims, rng=1)
    # The accepted answer's D (I ⊗ W) with D = Diag(vec(U S′)) only has the right shape when
    # U is square, and even then it is not the Jacobian.
    Us = mc.matrix("U", m, m)
    Ys = Us @ mc.tanh(Z) + mc.vector("c", m)
    answer = mc.Diag(mc.vec(Us @ Sp)) @ mc.kron(mc.eye(p), W)
    assert not fd_jacobian_check(Ys, X3, answer, dims=dims, rng=1)
    assert fd_jacobian_check(Ys, X3, mc.kron(mc.eye(p), Us) @ mc.Diag(mc.vec(Sp))
                             @ mc.kron(mc.eye(p), W), dims=dims, rng=1)


# ----------------------------------------------------------------------------------------
# Random expressions: mc.grad against central differences
# ----------------------------------------------------------------------------------------

_SYMS = {
    "X": mc.matrix("X", m, n), "A": mc.matrix("A", n, n), "w": mc.vector("w", n),
    "y": mc.vector("y", m), "b": mc.scalar("b"), "r": mc.matrix("r", 1, n),
}
_SMOOTH = ("tanh", "sigmoid", "sin", "cos", "softplus", "arctan")


def random_expr(rnd, shape: tuple, depth: int) -> mc.Expr:
    """A random smooth expression of ``shape`` (dims m, n, 1) built from the symbols above.

    Smooth functions and well-conditioned inverses only, so that central differences are
    accurate anywhere; every operator of the API has a way in.
    """
    r, c = shape
    leaves = [s for s in _SYMS.values() if s.shape == (r, c)]
    if depth <= 0 or rnd.random() < 0.15:
        if leaves:
            return rnd.choice(leaves)
        col = {m: _SYMS["y"], n: _SYMS["w"], 1: _SYMS["b"]}
        return col[r] @ col[c].T  # an outer product has every shape
    sub = lambda s=shape: random_expr(rnd, s, depth - 1)  # noqa: E731
    options = [
        lambda: sub() + sub(),
        lambda: sub() - 0.5 * sub(),
        lambda: sub() * sub(),
        lambda: getattr(mc, rnd.choice(_SMOOTH))(sub()),
        lambda: sub((c, r)).T,
        lambda: sub() / (sub() ** 2 + 1),
        lambda: (lambda k: sub((r, k)) @ sub((k, c)))(rnd.choice([m, n, 1])),
        lambda: mc.sum(sub((rnd.choice([m, n]), n))) * sub(),
        lambda: mc.elementwise("sigma")(sub()),
    ]
    if r == c and r != 1:
        options += [lambda: mc.inv(sub() * 0.1 + 3 * mc.eye(r)), lambda: mc.Diag(mc.diag(sub()))]
    if c == 1:
        options += [lambda: mc.Diag(sub()) @ sub(), lambda: mc.vec(sub((1, r)))]
    if (r, c) == (1, 1):
        options += [lambda: mc.trace(sub((n, n))), lambda: mc.frob(sub((m, n)), sub((m, n))),
                    lambda: mc.norm(sub((m, 1))) ** 2, lambda: mc.logdet(sub((n, n)) * 0.1
                                                                        + 2 * mc.eye(n)),
                    lambda: mc.sum(mc.kron(sub((1, n)), sub((m, 1))))]
    return rnd.choice(options)()


def _random_loss(seed: int) -> mc.Expr:
    import random

    rnd = random.Random(seed)
    shape = rnd.choice([(m, n), (n, n), (m, 1), (1, 1)])
    e = random_expr(rnd, shape, 4)
    return e if shape == (1, 1) else mc.sum(e)


@given(st.integers(0, 10**6))
@settings(max_examples=150, deadline=None, derandomize=True)
def test_grad_of_random_expressions_matches_central_differences(seed: int) -> None:
    f = _random_loss(seed)
    xs = sorted(f.free_symbols, key=lambda s: s.name)
    grads = mc.grad(f, xs)
    report = fd_grad_check(f, xs, grads, dims={m: 3, n: 2}, rng=seed)
    assert report, f"f = {f}\n" + "\n".join(f"∂/∂{x.name} = {g}" for x, g in zip(xs, grads)) \
        + f"\n{report}"
