"""Matrix powers Xᵏ (mc.matrix_power, text ``X^k``): the Cookbook's identities (eqs. 58, 91,
92, 121, 122 of the 2012 edition; eq. 90, the Jacobian, is in test_cookbook.py) and SymPy's
own matrix-expression derivatives of Tr(X**k) and det(X**j), exactly at small dims and by
central differences at larger ones."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import matcalc as mc
from matcalc.check.fdcheck import fd_grad_check
from matcalc.check.sympy_bridge import to_sympy
from matcalc.expr.nodes import MatrixPower
from matcalc.expr.traverse import walk

n, k = mc.dims("n k")
X, A = mc.matrix("X", n, n), mc.matrix("A", n, n)
a, b = mc.vector("a", n), mc.vector("b", n)
Xi = mc.inv(X)


def P(x: mc.Expr, j: int | mc.Dim) -> mc.Expr:
    return mc.matrix_power(x, j)


def total(terms: list[mc.Expr]) -> mc.Expr:
    out = terms[0]
    for t in terms[1:]:
        out = out + t
    return out


# (label, f, the Cookbook's gradient written with the public API, dims for SymPy)
CASES = [
    ("eq58 det(Xᵏ), k symbolic", mc.det(P(X, k)), k * mc.det(P(X, k)) * Xi.T, {n: 2, k: 3}),
    ("eq58 det(X³)", mc.det(P(X, 3)), 3 * mc.det(P(X, 3)) * Xi.T, {n: 2}),
    ("logdet(Xᵏ)", mc.logdet(P(X, k)), k * Xi.T, {n: 2, k: 2}),
    ("eq121 tr(Xᵏ), k symbolic", mc.tr(P(X, k)), k * MatrixPower(X, k.expr - 1).T,
     {n: 2, k: 3}),
    ("eq121 tr(X⁴)", mc.tr(P(X, 4)), 4 * P(X, 3).T, {n: 2}),
    ("eq122 tr(AX³)", mc.tr(A @ P(X, 3)),
     total([(P(X, r) @ A @ P(X, 2 - r)).T for r in range(3)]), {n: 2}),
    ("eq91 aᵀX³b", a.T @ P(X, 3) @ b,
     total([P(X, r).T @ a @ b.T @ P(X, 2 - r).T for r in range(3)]), {n: 2}),
    # eq. 92's f; the gradient as derived by hand, Σᵣ (Xʳ)ᵀ Xⁿ (a bᵀ + b aᵀ) (Xⁿ⁻¹⁻ʳ)ᵀ
    # (the form recalled from the Cookbook has its first sum transposed, which SymPy refutes)
    ("eq92 aᵀ(X²)ᵀX²b", a.T @ P(X, 2).T @ P(X, 2) @ b,
     total([P(X, r).T @ P(X, 2) @ (a @ b.T + b @ a.T) @ P(X, 1 - r).T for r in range(2)]),
     {n: 2}),
]


@pytest.mark.parametrize("label, f, expected, dims", CASES, ids=[c[0] for c in CASES])
def test_cookbook_matrix_powers(label, f, expected, dims) -> None:
    g = mc.grad(f, X)
    want = to_sympy(mc.simplify(expected), dims)
    assert sympy.simplify(to_sympy(g, dims) - want) == sympy.zeros(2, 2)
    assert mc.check_grad(f, X, dims)
    assert fd_grad_check(f, X, g, dims={n: 4, k: 3}, rtol=1e-4)


def test_printed_forms() -> None:
    assert str(P(X, 3)) == "X³" and str(P(X, k)) == "Xᵏ" and mc.latex(P(X, k)) == "X^{k}"
    assert str(mc.grad(mc.tr(P(X, k)), X)) == "k (Xᵏ⁻¹)ᵀ"
    assert str(mc.grad(mc.tr(P(X, 3)), X)) == "3 (X²)ᵀ"
    assert str(mc.grad(mc.logdet(P(X, k)), X)) == "k X⁻ᵀ"
    assert str(mc.grad(mc.det(P(X, k)), X)) == "k det(X)^k X⁻ᵀ"  # was det(X)^(k)
    S = mc.symmetric("S", n)
    assert str(mc.grad(mc.tr(P(S, 3)), S)) == "3 S²"


def test_integer_power_differential_is_a_sum_of_k_products() -> None:
    d = mc.derive(mc.tr(P(X, 3)), X)
    assert str(d.steps[0].rhs) == "tr(dX X² + X dX X + X² dX)"


def test_constructor() -> None:
    assert P(X, 0) == mc.eye(n) and P(X, 1) == X and P(X, -2) == P(Xi, 2)
    with pytest.raises(mc.ShapeError, match="square"):
        mc.matrix_power(mc.matrix("M", n, k), 2)
    with pytest.raises(TypeError, match="int or a dim"):
        mc.matrix_power(X, 1.5)
    with pytest.raises(ValueError, match="symbolic power"):
        mc.grad(mc.sum(P(X, k)), X)


def test_text_caret_is_the_matrix_power_and_dot_caret_elementwise() -> None:
    f = mc.parse("tr(X^3)")
    (Xt,) = f.free_symbols
    assert str(f) == "tr(X³)" and str(mc.grad(f, Xt)) == "3 (X²)ᵀ"
    elementwise = mc.parse("sum(X.^3)")
    assert not any(isinstance(e, MatrixPower) for e in walk(elementwise))
    assert mc.unparse(P(X, 3)) == "X^3"


def test_compiles() -> None:
    g = mc.compile(mc.grad(mc.tr(A @ P(X, 3)), X))
    rng = np.random.default_rng(0)
    Xv, Av = rng.standard_normal((2, 4, 4))
    want = sum((np.linalg.matrix_power(Xv, r) @ Av @ np.linalg.matrix_power(Xv, 2 - r)).T
               for r in range(3))
    assert np.allclose(g(X=Xv, A=Av), want)
    assert "matrix_power" in g.source


def test_sympy_matrix_expression_derivatives() -> None:
    """SymPy's own matrix-expression derivative of Tr(X**k) (its test_derivatives, Cookbook
    example 121), made explicit at n = 2, equals matcalc's; SymPy leaves det(X**j).diff(X)
    unevaluated, so that one is checked entry by entry (check_grad) above."""
    Xs = sympy.MatrixSymbol("X", 2, 2)
    sub = {Xs[i, j]: sympy.Symbol(f"X_{i}_{j}", real=True) for i in range(2) for j in range(2)}
    for j in (2, 3, 4):
        theirs = sympy.Matrix(sympy.Trace(Xs**j).diff(Xs).as_explicit()).xreplace(sub)
        for f, dims in [(mc.tr(P(X, j)), {n: 2}), (mc.tr(P(X, k)), {n: 2, k: j})]:
            ours = to_sympy(mc.grad(f, X), dims)
            assert sympy.simplify(ours - theirs) == sympy.zeros(2, 2)
