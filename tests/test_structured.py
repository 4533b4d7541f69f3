"""Structured variables (mc.symmetric, mc.spd, mc.diagonal): the facts the simplifier uses,
the two gradient conventions, finite differences along symmetric directions, verify's hints,
and the text and command-line front ends."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import matcalc as mc
from matcalc.check.fdcheck import fd_grad_check, fd_jacobian_check
from matcalc.check.numeric import evaluate, random_point
from matcalc.check.sympy_bridge import symbol_matrix, to_sympy
from matcalc.cli import main
from matcalc.expr.structure import is_spd, is_symmetric

n = mc.dim("n")
S = mc.symmetric("S", n)
P = mc.spd("P", n)
D = mc.diagonal("D", n)
A = mc.matrix("A", n, n)
B = mc.matrix("B", n, n)
x = mc.vector("x", n)
mu = mc.vector("mu", n)


def test_structured_symbols() -> None:
    assert (S.structure, P.structure, D.structure, A.structure) == (
        "symmetric", "spd", "diagonal", None)
    assert S.shape == (n, n) and S != mc.matrix("S", n, n)
    with pytest.raises(mc.ShapeError, match="square"):
        mc.Symbol("S", n, mc.dim("m"), "symmetric")
    with pytest.raises(ValueError, match="invalid symbol name"):
        mc.symmetric("2S", n)


@pytest.mark.parametrize("expr, expected", [
    (S.T, "S"),
    (mc.inv(S).T + mc.inv(S), "2 S⁻¹"),
    (mc.inv(P).T @ x, "P⁻¹ x"),
    ((A.T @ S @ A).T, "Aᵀ S A"),
    ((S + 2 * P).T, "S + 2 P"),
    ((A + A.T).T, "A + Aᵀ"),
    (D.T @ x, "D x"),
    (mc.log(mc.det(P)), "logdet(P)"),
    (mc.diag(A.T), "diag(A)"),
])
def test_structure_facts_in_the_simplifier(expr: mc.Expr, expected: str) -> None:
    assert str(mc.simplify(expr)) == expected


def test_symmetry_facts() -> None:
    assert is_symmetric(A.T @ S @ A) and is_symmetric(x @ x.T) and is_symmetric(mc.inv(S))
    assert is_symmetric(mc.inv(S) @ (x - mu) @ (x - mu).T @ mc.inv(S))
    assert not is_symmetric(A @ S) and not is_symmetric(A.T @ S @ B)
    assert is_spd(mc.inv(P)) and is_spd(2 * P + mc.eye(n)) and not is_spd(S)


def gaussian() -> mc.Expr:
    r = x - mu
    return -mc.logdet(P) / 2 - (r.T @ mc.inv(P) @ r) / 2


@pytest.mark.parametrize("f, wrt, expected", [
    (x.T @ S @ x, x, "2 S x"),
    (x.T @ S @ x, S, "x xᵀ"),
    (gaussian(), P, "1/2 (P⁻¹ (x - mu) (x - mu)ᵀ P⁻¹ - P⁻¹)"),
    (gaussian(), mu, "P⁻¹ (x - mu)"),
    (mc.tr(A @ S), S, "1/2 (A + Aᵀ)"),
    (mc.tr(A @ D), D, "A ⊙ I"),  # the Cookbook's A ∘ I for Diag(diag(A))
    (mc.logdet(P), P, "P⁻¹"),
])
def test_textbook_forms(f: mc.Expr, wrt: mc.Symbol, expected: str) -> None:
    g = mc.grad(f, wrt)
    assert str(g) == expected
    assert mc.check_grad(f, wrt, {n: 2})
    assert fd_grad_check(f, wrt, g, dims={n: 4})


CASES = [(mc.tr(A @ S), S), (mc.tr(S @ A @ S), S), (x.T @ S @ x, S), (gaussian(), P),
         (mc.tr(mc.inv(S) @ A), S), (mc.tr(A @ D @ B @ D), D)]


@pytest.mark.parametrize("f, wrt", CASES, ids=[str(f) for f, _ in CASES])
def test_space_gradient_is_symmetric_and_agrees_along_symmetric_directions(f, wrt) -> None:
    g = mc.grad(f, wrt)
    assert fd_grad_check(f, wrt, g, dims={n: 3}, directions=4)
    val = evaluate(g, random_point([f, g], {n: 3}, 1), {n: 3})
    assert np.allclose(val, val.T)


@pytest.mark.parametrize("f, wrt", CASES, ids=[str(f) for f, _ in CASES])
def test_entries_convention_is_the_derivative_by_the_independent_entries(f, wrt) -> None:
    """Exactly: SymPy's ∂f/∂Sᵢⱼ, with Sᵢⱼ = Sⱼᵢ one symbol, laid out as a matrix."""
    d = {n: 2}
    fs = to_sympy(f, d)[0, 0]
    xs = symbol_matrix(wrt.name, wrt.shape, resolve(d), structure=wrt.structure)
    want = sympy.Matrix(2, 2, lambda i, j: sympy.diff(fs, xs[i, j]) if xs[i, j] != 0 else 0)
    got = to_sympy(mc.grad(f, wrt, convention="entries"), d)
    assert sympy.simplify(got - want) == sympy.zeros(2, 2)


def resolve(d: dict) -> dict[str, int]:
    return {str(k): v for k, v in d.items()}


def test_the_conventions_differ_off_the_diagonal_by_two() -> None:
    f = mc.tr(A @ S)
    g, e = (evaluate(mc.grad(f, S, convention=c), {"A": np.arange(9.0).reshape(3, 3)})
            for c in ("space", "entries"))
    off = ~np.eye(3, dtype=bool)
    assert np.allclose(e[off], 2 * g[off]) and np.allclose(np.diag(e), np.diag(g))
    assert not fd_grad_check(f, S, mc.grad(f, S, convention="entries"), dims={n: 3})
    with pytest.raises(ValueError, match="convention"):
        mc.grad(f, S, convention="cookbook")


def test_derivation_states_the_convention() -> None:
    d = mc.derive(mc.tr(A @ S), S)
    assert d.steps[-1].rule.startswith("S symmetric") and "sym(G)" in d.steps[-1].rule
    assert d.gradients[S] == mc.grad(mc.tr(A @ S), S)


def test_random_points_and_directions_respect_structure() -> None:
    pt = random_point([S, P, D], {n: 4}, 3)
    assert np.allclose(pt[S], pt[S].T) and np.all(np.linalg.eigvalsh(pt[P]) > 0)
    assert np.allclose(pt[D], np.diag(np.diag(pt[D])))


def test_hessian_and_hvp_respect_symmetry() -> None:
    f = mc.tr(S @ S @ S) + x.T @ S @ S @ x
    g = mc.grad(f, S)
    H = mc.hessian(f, S)
    assert fd_jacobian_check(g, S, H, dims={n: 3})
    V = mc.symmetric("V", n)
    hv = mc.hvp(f, S, V)
    pt = random_point([f, V], {n: 3}, 5)
    Hv = evaluate(H, pt, {n: 3}) @ pt[V].reshape(-1, 1, order="F")
    assert np.allclose(evaluate(hv, pt, {n: 3}).reshape(-1, 1, order="F"), Hv)


def _projector(structure: str, k: int) -> np.ndarray:
    """vec V ↦ vec of V's part within the structure, column-major vec."""
    cols = []
    for j in range(k * k):
        e = np.zeros(k * k)
        e[j] = 1
        v = e.reshape(k, k, order="F")
        v = np.diag(np.diag(v)) if structure == "diagonal" else (v + v.T) / 2
        cols.append(v.reshape(-1, order="F"))
    return np.array(cols).T


@pytest.mark.parametrize("X", [S, D], ids=["symmetric", "diagonal"])
def test_hessian_acts_on_directions_within_the_structure(X) -> None:
    """Both sides projected: H = P H P, so H is symmetric and sees no antisymmetric (or
    off-diagonal) direction, as the gradient in the space of such matrices does."""
    A = mc.matrix("A", n, n)
    f = mc.tr(X @ A @ X @ A) + mc.sum((X @ A) * (X @ A))
    H = mc.hessian(f, X)
    pt = random_point([f], {n: 3}, 2)
    h = evaluate(H, pt, {n: 3})
    proj = _projector(X.structure, 3)
    np.testing.assert_allclose(proj @ h @ proj, h, atol=1e-12)
    np.testing.assert_allclose(h, h.T, atol=1e-12)
    assert fd_jacobian_check(mc.grad(f, X), X, H, dims={n: 3})


def test_verify_hints_at_symmetry_and_accepts_when_declared() -> None:
    r = mc.verify(x.T @ A @ x, x, "2*A*x")
    assert not r and r.kind == "symmetric"
    assert r.message.startswith("correct if A is symmetric (declare it with mc.symmetric")
    Asym = mc.symmetric("A", n)
    assert mc.verify(x.T @ Asym @ x, x, "2*A*x")
    assert mc.verify(x.T @ Asym @ x, x, 2 * Asym @ x)
    assert mc.verify(gaussian(), P, "(inv(P)*(x-mu)*(x-mu)'*inv(P) - inv(P))/2")
    wrong = mc.verify(x.T @ A @ x, x, "3*A*x")
    assert not wrong and wrong.kind == "value"


def test_verify_names_the_other_convention() -> None:
    r = mc.verify(x.T @ S @ x, S, "2*x*x' - Diag(diag(x*x'))")
    assert not r and r.kind == "convention" and "independent entries" in r.message
    r = mc.verify(mc.tr(A @ S), S, "A'")
    assert not r and r.kind == "convention" and "symmetric part" in r.message


def test_parse_declares_structure() -> None:
    f = mc.parse("x'*S*x + tr(D*P)", symmetric=["S"], spd="P", diagonal=["D"])
    kinds = {s.name: s.structure for s in f.free_symbols}
    assert kinds == {"x": None, "S": "symmetric", "P": "spd", "D": "diagonal"}
    assert str(mc.grad(f, next(s for s in f.free_symbols if s.name == "x"))) == "2 S x"
    with pytest.raises(mc.ShapeError, match="declared symmetric, so square"):
        mc.parse("S*x", symmetric=["S"], S=(3, 2))
    with pytest.raises(ValueError, match="both"):
        mc.parse("S", symmetric=["S"], spd=["S"])


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out + out.err


def test_cli_structure_options(capsys) -> None:
    code, out = run(capsys, "grad", "-logdet(S)/2 - (x-m)'*inv(S)*(x-m)/2", "--wrt", "S",
                    "--wrt", "m", "--spd", "S")
    assert code == 0
    assert out.splitlines() == ["∂f/∂S = 1/2 (S⁻¹ (x - m) (x - m)ᵀ S⁻¹ - S⁻¹)",
                                "∂f/∂m = S⁻¹ (x - m)"]
    code, out = run(capsys, "verify", "x'*A*x", "--wrt", "x", "--claimed", "2*A*x",
                    "--symmetric", "A")
    assert code == 0 and ": correct" in out
    code, out = run(capsys, "verify", "x'*A*x", "--wrt", "x", "--claimed", "2*A*x")
    assert code == 1 and "correct if A is symmetric" in out


@pytest.mark.parametrize("spec", ["A=symmetric", "A=spd", "A=n,diagonal"])
def test_cli_malformed_shape_is_an_error(capsys, spec: str) -> None:
    code, out = run(capsys, "grad", "x'*A*x", "--wrt", "x", "--shape", spec)
    assert code == 2 and "--shape" in out and out.count("\n") == 1
    assert f"--{spec.split('=')[1].split(',')[-1]} A" in out
