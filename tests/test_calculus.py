"""Derivations (steps), Jacobians, Hessians and jvp/vjp/hvp: structure, SymPy and numbers."""

from __future__ import annotations

import numpy as np
import pytest
from problems import seed000, seed001

import matcalc as mc
from matcalc.check.fdcheck import fd_grad_check, fd_jacobian_check
from matcalc.check.numeric import evaluate, random_point

n, m, p = mc.dims("n m p")
A, X = mc.matrix("A", n, n), mc.matrix("X", m, n)
x, v, y = mc.vector("x", n), mc.vector("v", n), mc.vector("y", m)


def test_derivation_reads_like_the_seed000_answer():
    d = mc.derive(seed000().f, seed000().wrt)
    text = str(d)
    lines = text.splitlines()
    assert lines[0].startswith("dL = 1/m (dyhatᵀ (yhat - y) + (yhat - y)ᵀ dyhat)")
    # dL = (2/m)(ŷ−y):dŷ = (2/m)H(ŷ−y):dz = (2/m)H(ŷ−y):dX w = (2/m)H(ŷ−y)wᵀ:dX
    assert "= 2/m (yhat - y) : dyhat" in text
    # the factor every gradient shares is named once, after the user's own names
    assert "= 2/m t₁ : dz" in text
    assert "2/m t₁ : dX w" in text
    assert "2/m t₁ wᵀ : dX" in text
    assert "∂L/∂X = 2/m t₁ wᵀ" in text
    assert text.rstrip().endswith("where\n  z = X w + 𝟏 b\n  yhat = relu(z)\n"
                                  "  t₁ = step(z) ⊙ (yhat - y)")
    # names="lets": the user's names only, every factor written out
    plain = d.text("lets")
    assert "= 2/m (step(z) ⊙ (yhat - y)) : dz" in plain
    assert "2/m (step(z) ⊙ (yhat - y)) : dX w" in plain
    assert "2/m (step(z) ⊙ (yhat - y)) wᵀ : dX" in plain
    assert "∂L/∂X = 2/m (step(z) ⊙ (yhat - y)) wᵀ" in plain
    assert plain.rstrip().endswith("yhat = relu(z)")
    kinds = [s.kind for s in d.steps]
    assert kinds[0] == "differential" and kinds.count("gradient") == 3
    assert kinds.count("intermediate") == 2  # dyhat and dz substituted: the chain rule
    rules = " ".join(s.rule for s in d.steps)
    for identity in ["A:BC = BᵀA:C = ACᵀ:B", "A:(B⊙C) = (A⊙B):C", "A:Bᵀ = Aᵀ:B", "chain rule"]:
        assert identity in rules


def test_derivation_gradients_equal_grad():
    p1 = seed001()
    d = mc.derive(p1.f, p1.wrt)
    assert list(d.gradients) == p1.wrt
    assert list(d.gradients.values()) == mc.grad(p1.f, p1.wrt)
    assert [z.name for z in d.lets] == ["Z", "S", "R"]


def test_derivation_latex():
    d = mc.derive(seed000().f, seed000().wrt)
    tex = d.latex()
    assert tex.startswith("\\begin{aligned}") and tex.endswith("\\end{aligned}")
    assert "\\frac{\\partial L}{\\partial X}" in tex
    assert d._repr_latex_().startswith("$$")
    doc = d.to_latex_document()
    assert "\\documentclass" in doc and "\\frac{\\partial L}{\\partial X}" in doc


JACOBIANS = [
    ("A x", lambda: A @ x, x),
    ("X x... (matrix)", lambda: X.T @ X, X),
    ("tanh(Xx)", lambda: mc.tanh(X @ x), x),
    ("x ⊙ x", lambda: x * x, x),
    ("Xᵀ", lambda: X.T, X),
    ("A⁻¹", lambda: mc.inv(A), A),
    ("Diag(x) A", lambda: mc.Diag(x) @ A, x),
    ("diag(A)", lambda: mc.diag(A), A),
    ("vec(A x xᵀ)", lambda: mc.vec(A @ x @ x.T), x),
    ("A ⊗ Xᵀ", lambda: mc.kron(A, X.T), X),
    ("X ⊗ A", lambda: mc.kron(X, A), X),
    ("det(A) A", lambda: mc.det(A) * A, A),
    ("tr(A) x", lambda: mc.tr(A) * x, A),
]


@pytest.mark.parametrize("label, F, var", JACOBIANS, ids=[j[0] for j in JACOBIANS])
def test_jacobian_matches_finite_differences(label, F, var):
    F = F()
    J = mc.jacobian(F, var)
    rows, cols = F.shape[0] * F.shape[1], var.shape[0] * var.shape[1]
    assert J.shape == (rows, cols)
    assert fd_jacobian_check(F, var, J, dims={n: 3, m: 4}, rng=2)


def test_jacobian_stays_structured():
    W, Xs = mc.matrix("W", m, n), mc.matrix("Xs", n, p)
    assert str(mc.jacobian(W @ Xs, Xs)) == "I ⊗ W"
    assert str(mc.jacobian(W @ Xs, W)) == "Xsᵀ ⊗ I"
    assert str(mc.jacobian(mc.tanh(A @ x), x)) == "Diag(𝟏 - tanh(A x)∘²) A"
    assert str(mc.jacobian(X.T, X)) == "K(m,n)"


def test_hessians():
    assert str(mc.hessian(x.T @ A @ x, x)) == "Aᵀ + A"
    f = mc.norm(X @ x - y) ** 2
    assert str(mc.hessian(f, x)) == "2 Xᵀ X"
    H = mc.hessian(mc.sum(mc.exp(X @ x)), x)
    assert fd_jacobian_check(mc.grad(mc.sum(mc.exp(X @ x)), x), x, H, dims={n: 3, m: 4})


def _num(e, point, dims):
    return evaluate(e, {s.name: val for s, val in point.items()}, dims)


def test_jvp_vjp_hvp_agree_with_the_jacobian():
    F = mc.tanh(X @ x)
    u = mc.vector("u", m)
    dims = {n: 3, m: 4}
    J = mc.jacobian(F, x)
    point = random_point([F, J, u, v], dims, rng=5)
    Jn = _num(J, point, dims)
    np.testing.assert_allclose(_num(mc.jvp(F, x, v), point, dims).ravel(),
                               Jn @ point[v].ravel(), rtol=1e-10)
    np.testing.assert_allclose(_num(mc.vjp(F, x, u), point, dims).ravel(),
                               Jn.T @ point[u].ravel(), rtol=1e-10)
    f = mc.sum(mc.exp(X @ x)) + x.T @ A @ x
    H = mc.hessian(f, x)
    point = random_point([f, H, v], dims, rng=6)
    np.testing.assert_allclose(_num(mc.hvp(f, x, v), point, dims).ravel(),
                               _num(H, point, dims) @ point[v].ravel(), rtol=1e-10)


def test_jvp_never_forms_the_jacobian():
    W, Xs = mc.matrix("W", m, n), mc.matrix("Xs", n, p)
    V = mc.matrix("V", n, p)
    assert str(mc.jvp(mc.relu(W @ Xs), Xs, V)) == "step(W Xs) ⊙ (W V)"
    assert str(mc.hvp(x.T @ A @ x, x, v)) == "(Aᵀ + A) v"


def test_commutation_matrix():
    K = mc.commutation(m, n)
    assert K.shape == (m * n, m * n)
    dims = {m: 3, n: 2}
    Xv = np.arange(6.0).reshape(3, 2)
    Kn = evaluate(K, {}, dims)
    np.testing.assert_array_equal(Kn @ Xv.ravel(order="F"), Xv.T.ravel(order="F"))


def test_gradients_through_lets_match_expanded():
    z = mc.let("z", A @ x)
    f = mc.sum(mc.tanh(z) * mc.tanh(z))
    f_plain = mc.sum(mc.tanh(A @ x) * mc.tanh(A @ x))
    g = mc.grad(f, [A, x])
    assert fd_grad_check(f_plain, [A, x], g, dims={n: 4})
    assert mc.check_grad(f, [A, x], {n: 2})


def test_deep_mlp_gradients_are_correct():
    d, N = mc.dims("d N")
    H = mc.matrix("Xd", d, N)
    Ws = [mc.matrix(f"W{i}", d, d) for i in range(6)]
    for W in Ws:
        H = mc.tanh(W @ H)
    f = mc.sum(H * H) / N
    gs = mc.grad(f, Ws)
    assert fd_grad_check(f, Ws, gs, dims={d: 3, N: 4})
