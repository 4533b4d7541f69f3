"""Matrix Cookbook identities (Petersen & Pedersen, 2012): structure, SymPy, finite differences.

Each case gives f, the variable, and the Cookbook's gradient written with the public API.
``mc.grad`` must equal ``mc.simplify`` of that expression structurally, match SymPy's
elementwise derivative exactly at dims 2, and match central differences at larger dims.
"""

from __future__ import annotations

import pytest
from problems import canon

import matcalc as mc
from matcalc.check.fdcheck import fd_grad_check
from matcalc.expr.nodes import Unvec

n, m, p = mc.dims("n m p")
X = mc.matrix("X", n, n)  # square, for traces/inverses/determinants
M = mc.matrix("M", m, n)  # rectangular
A, B = mc.matrix("A", n, n), mc.matrix("B", n, n)
C = mc.matrix("C", p, m)
D = mc.matrix("D", n, p)
a, b = mc.vector("a", n), mc.vector("b", n)
c, x = mc.vector("c", m), mc.vector("x", n)
u, y = mc.vector("u", m), mc.vector("y", m)
U, V, Y = mc.matrix("U", m, p), mc.matrix("V", n, p), mc.matrix("Y", m, n)
Xi = mc.inv(X)

# (label, f, variable, expected gradient as the Cookbook writes it)
CASES = [
    ("eq99 tr(X)", mc.tr(X), X, mc.eye(n)),
    ("eq100 tr(XA)", mc.tr(X @ A), X, A.T),
    ("eq101 tr(AXB)", mc.tr(A @ X @ B), X, A.T @ B.T),
    ("eq102 tr(AXᵀB)", mc.tr(A @ X.T @ B), X, B @ A),
    ("eq103 tr(XᵀA)", mc.tr(X.T @ A), X, A),
    ("eq115 tr(XᵀX) = ‖X‖²", mc.tr(X.T @ X), X, 2 * X),
    ("eq108 tr(XᵀBX)", mc.tr(X.T @ B @ X), X, (B.T + B) @ X),
    ("eq111 tr(XAXᵀ)", mc.tr(X @ A @ X.T), X, X @ (A.T + A)),
    ("eq70 aᵀXb", a.T @ X @ b, X, a @ b.T),
    ("eq71 aᵀXᵀb", a.T @ X.T @ b, X, b @ a.T),
    ("eq81 xᵀAx", x.T @ A @ x, x, (A.T + A) @ x),
    ("eq77 bᵀXᵀXc", b.T @ X.T @ X @ a, X, X @ (b @ a.T + a @ b.T)),
    ("eq49 det(X)", mc.det(X), X, mc.det(X) * Xi.T),
    ("eq57 logdet(X)", mc.logdet(X), X, Xi.T),
    ("eq61 aᵀX⁻¹b", a.T @ Xi @ b, X, -(Xi.T @ a @ b.T @ Xi.T)),
    ("eq63 tr(AX⁻¹B)", mc.tr(A @ Xi @ B), X, -(Xi.T @ A.T @ B.T @ Xi.T)),
    ("eq124 tr(X⁻¹)", mc.tr(Xi), X, -(Xi.T @ Xi.T)),
    ("eq132 and the chain rule: ‖X‖_F", mc.norm(M), M, M / mc.norm(M)),
    ("eq132 ‖X‖_F² = 2X", mc.norm(M) ** 2, M, 2 * M),
    ("least squares ‖Mx − y‖²", mc.norm(M @ x - y) ** 2, x, 2 * M.T @ (M @ x - y)),
    ("least squares in M", mc.norm(M @ x - y) ** 2, M, 2 * (M @ x - y) @ x.T),
    ("factorization ‖Y − UVᵀ‖² in U", mc.norm(Y - U @ V.T) ** 2, U, -2 * (Y - U @ V.T) @ V),
    ("factorization ‖Y − UVᵀ‖² in V", mc.norm(Y - U @ V.T) ** 2, V, -2 * (Y - U @ V.T).T @ U),
    ("sum(x ⊙ a) = aᵀx", mc.sum(x * a), x, a),
    ("sum(exp(X))", mc.sum(mc.exp(M)), M, mc.exp(M)),
    ("log-sum-exp", mc.log(mc.sum(mc.exp(x))), x, mc.exp(x) / mc.sum(mc.exp(x))),
    ("logistic loss", mc.sum(mc.softplus(-(y * (M @ x)))), x,
     -(M.T @ (y * mc.sigmoid(-(y * (M @ x)))))),
    None,  # vᵀ vec(X): filled in below
    ("Kronecker: tr(A ⊗ X)", mc.tr(mc.kron(A, X)), X, mc.tr(A) * mc.eye(n)),
    ("Kronecker: sum(X ⊗ A)", mc.sum(mc.kron(X, A)), X, mc.sum(A) * mc.ones(n, n)),
    ("diag: 1ᵀ diag(X) = tr(X)", mc.sum(mc.diag(X)), X, mc.eye(n)),
    ("Diag: aᵀ Diag(x) b", a.T @ mc.Diag(x) @ b, x, a * b),
    ("det(AXB) (eq51)", mc.det(A @ X @ B), X, mc.det(A @ X @ B) * A.T @ mc.inv(A @ X @ B).T @ B.T),
]

# a : vec(X) has gradient unvec(a): written with the node, since unvec is not public API.
_v = mc.vector("v", n * n)
CASES[27] = ("vec: vᵀ vec(X)", _v.T @ mc.vec(X), X, Unvec(_v, n, n))

IDS = [c[0] for c in CASES]


@pytest.mark.parametrize("label, f, var, expected", CASES, ids=IDS)
def test_structure(label, f, var, expected):
    got = mc.grad(f, var)
    assert got.shape == var.shape
    want = mc.simplify(expected)
    assert canon(got) == canon(want), f"{label}: got {got}, Cookbook form {want}"


@pytest.mark.parametrize("label, f, var, expected", CASES, ids=IDS)
def test_exact_against_sympy(label, f, var, expected):
    assert mc.check_grad(f, var, {n: 2, m: 2, p: 2})


@pytest.mark.parametrize("label, f, var, expected", CASES, ids=IDS)
def test_finite_differences(label, f, var, expected):
    g = mc.grad(f, var)
    assert fd_grad_check(f, var, g, dims={n: 4, m: 5, p: 3}, rng=7)
    assert fd_grad_check(f, var, expected, dims={n: 4, m: 5, p: 3}, rng=7)


# Eq. 90, ∂(Xⁿ)ₖₗ/∂Xᵢⱼ = Σᵣ (Xʳ Jⁱʲ Xⁿ⁻¹⁻ʳ)ₖₗ, is a Jacobian: vec(dXⁿ) = Σᵣ (Xⁿ⁻¹⁻ʳ)ᵀ ⊗ Xʳ vec(dX).
# Eqs. 58, 91, 92, 121 and 122 (matrix powers under det, aᵀ·b and tr) are in
# test_matrix_power.py; the spectral functions (expm, logm, sqrtm, eigvalsh) in test_spectral.py.
def test_eq90_jacobian_of_a_matrix_power():
    import numpy as np
    import sympy

    from matcalc.check.numeric import evaluate
    from matcalc.check.sympy_bridge import to_sympy

    J = mc.jacobian(mc.matrix_power(X, 3), X)
    Xr = [mc.eye(n), X, mc.matrix_power(X, 2)]
    expected = mc.kron(Xr[2].T, Xr[0]) + mc.kron(X.T, X) + mc.kron(Xr[0], Xr[2])
    x0 = np.random.default_rng(0).standard_normal((4, 4))
    np.testing.assert_allclose(evaluate(J, {X: x0}), evaluate(expected, {X: x0}), rtol=1e-12)
    xs = to_sympy(X, {n: 2})
    vec = lambda M: sympy.Matrix(M.T.reshape(4, 1))  # noqa: E731 - column-major, as vec
    want = vec(xs ** 3).jacobian(vec(xs))
    assert sympy.expand(to_sympy(J, {n: 2}) - want) == sympy.zeros(4, 4)
