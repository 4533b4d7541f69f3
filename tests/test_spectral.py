"""Spectral functions of symmetric matrices: mc.expm, mc.logm, mc.sqrtm, mc.eigvalsh.

Their derivatives are Daleckii–Krein's, d f(S) = Q (F ⊙ (Qᵀ dS Q)) Qᵀ, and dλ = diag(Qᵀ dS Q).
Checked here: the closed forms the rewrites reach (∇ tr e^S = e^S, ∇ tr log S = S⁻¹),
central differences along symmetric directions, SciPy's Fréchet derivative of expm and
mpmath's 40-digit logm/sqrtm, repeated eigenvalues (S = I), the compiled code against the
reference interpreter (one eigh per S), exact SymPy at 1×1 and for diagonal matrices,
hvp and Hessians through the decomposition (dQ, dF), printing, the text syntax and the errors.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import matcalc as mc
from matcalc import cli
from matcalc.check.fdcheck import fd_grad_check, fd_jacobian_check
from matcalc.check.numeric import evaluate
from matcalc.check.sympy_bridge import to_sympy
from matcalc.codegen.runtime import _divdiff
from matcalc.expr.spectral import DivDiff, EigVecs

N = 3
S, P, V = mc.symmetric("S", N), mc.spd("P", N), mc.symmetric("V", N)
A, U = mc.matrix("A", N, N), mc.matrix("U", N, N)
w = mc.vector("w", N)
RNG = np.random.default_rng(7)


def _sym(a: np.ndarray) -> np.ndarray:
    return (a + a.T) / 2


def _point() -> dict[str, np.ndarray]:
    a = RNG.standard_normal((N, N))
    return {"S": _sym(RNG.standard_normal((N, N))), "P": a @ a.T + np.eye(N),
            "A": RNG.standard_normal((N, N)), "V": _sym(RNG.standard_normal((N, N))),
            "U": RNG.standard_normal((N, N)), "w": RNG.standard_normal(N)}


def _rotated(eigenvalues: list[float]) -> np.ndarray:
    q, _ = np.linalg.qr(RNG.standard_normal((N, N)))
    return q @ np.diag(eigenvalues) @ q.T


# ---- closed forms ---------------------------------------------------------------------------

@pytest.mark.parametrize("f, x, expected", [
    (mc.tr(mc.expm(S)), S, mc.expm(S)),
    (mc.tr(mc.logm(P)), P, mc.inv(P)),
    (mc.tr(mc.sqrtm(P)), P, mc.inv(mc.sqrtm(P)) / 2),
    (mc.sum(mc.eigvalsh(S)), S, mc.eye(N)),
    (mc.logdet(P) - mc.tr(mc.logm(P)), P, mc.zeros(N, N)),  # tr log P = logdet P
], ids=["tr expm", "tr logm", "tr sqrtm", "sum eigvalsh", "logdet - tr logm"])
def test_gradients_reach_the_closed_forms(f, x, expected) -> None:
    assert mc.grad(f, x) == mc.simplify(expected)


def test_a_fit_of_sqrtm_prints_one_symmetric_factor() -> None:
    # ∇_P ‖√P − A‖² = Q (F ⊙ Qᵀ(2√P − A − Aᵀ)Q) Qᵀ: the symmetrized 2(√P − A) is one sum,
    # not (√P − A)ᵀ + √P − A + ((√P − A)ᵀ + √P − A)ᵀ (√P is symmetric, so √Pᵀ = √P)
    g = mc.grad(mc.norm(mc.sqrtm(P) - A) ** 2, P)
    assert str(g) == "Q_P (sqrt^[1](λ_P) ⊙ (Q_Pᵀ (2 sqrtm(P) - A - Aᵀ) Q_P)) Q_Pᵀ"
    report = fd_grad_check(mc.norm(mc.sqrtm(P) - A) ** 2, P, g, values=_point(), rtol=1e-6,
                           directions=3)
    assert report, str(report)


def test_tr_logm_is_logdet_numerically() -> None:
    pt = _point()
    got = evaluate(mc.tr(mc.logm(P)), pt)[0, 0]
    assert got == pytest.approx(np.linalg.slogdet(pt["P"])[1], rel=1e-12)


# ---- central differences along symmetric directions ---------------------------------------

LOSSES = [
    ("tr expm", mc.tr(mc.expm(S)), S),
    ("frob(expm(S), A)", mc.sum(mc.expm(S) * A), S),
    ("tr logm", mc.tr(mc.logm(P)), P),
    ("frob(logm(P), A)", mc.sum(mc.logm(P) * A), P),
    ("‖sqrtm(P) − A‖²", mc.norm(mc.sqrtm(P) - A) ** 2, P),
    ("wᵀ eigvalsh(S)", w.T @ mc.eigvalsh(S), S),
    ("Σ eigvalsh(S)²", mc.sum(mc.eigvalsh(S) * mc.eigvalsh(S)), S),
    ("tr expm(AᵀA) wrt A", mc.tr(mc.expm(A.T @ A / 4)), A),
    ("expm, logm, sqrtm chained", mc.sum(mc.sqrtm(mc.expm(S)) * mc.logm(mc.expm(S))), S),
]


@pytest.mark.parametrize("label, f, x", LOSSES, ids=[c[0] for c in LOSSES])
def test_gradient_matches_central_differences(label, f, x) -> None:
    g = mc.grad(f, x)
    report = fd_grad_check(f, x, g, values=_point(), rtol=1e-6, directions=3)
    assert report, str(report)


@pytest.mark.parametrize("label, f, x", LOSSES[:6], ids=[c[0] for c in LOSSES[:6]])
def test_compiled_matches_reference_with_one_eigh(label, f, x) -> None:
    g = mc.grad(f, x)
    fn = mc.compile([f, g], args=sorted(f.free_symbols, key=lambda s: s.name))
    pt = _point()
    val, grad = fn(**{k: pt[k] for k in fn.args})
    ref = {k: v for k, v in pt.items() if k in fn.args}
    assert val == pytest.approx(evaluate(f, ref)[0, 0], rel=1e-12)
    np.testing.assert_allclose(grad, evaluate(g, ref), rtol=1e-10, atol=1e-12)
    assert fn.source.count("_eigh(") == 1, fn.source


# ---- references: SciPy's Fréchet derivative, mpmath at 40 digits --------------------------

def test_jvp_of_expm_is_scipys_frechet_derivative() -> None:
    linalg = pytest.importorskip("scipy.linalg", reason="scipy gives the reference expm_frechet")
    fn = mc.compile([mc.expm(S), mc.jvp(mc.expm(S), S, V)], args=[S, V])
    for s in (_point()["S"], np.eye(N), _rotated([1.0, 1.0, -2.0])):
        v = _point()["V"]
        value, jvp = fn(S=s, V=v)
        ref_value, ref_jvp = linalg.expm_frechet(s, v)
        np.testing.assert_allclose(value, ref_value, rtol=1e-12)
        np.testing.assert_allclose(jvp, ref_jvp, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("fn, name", [(mc.logm, "logm"), (mc.sqrtm, "sqrtm")])
def test_jvp_of_logm_and_sqrtm_against_mpmath(fn, name) -> None:
    mpmath = pytest.importorskip("mpmath", reason="mpmath gives a 40-digit reference")
    mpmath.mp.dps = 40
    compiled = mc.compile(mc.jvp(fn(P), P, V), args=[P, V])
    pt = _point()
    for p in (pt["P"], np.eye(N) * 2.0, _rotated([0.5, 0.5, 3.0])):
        v = pt["V"]
        h = mpmath.mpf("1e-15")
        mp = getattr(mpmath, name)
        ref = (mp(mpmath.matrix(p) + h * mpmath.matrix(v))
               - mp(mpmath.matrix(p) - h * mpmath.matrix(v))) / (2 * h)
        want = np.array(ref.tolist(), dtype=float)
        np.testing.assert_allclose(compiled(P=p, V=v), want, rtol=1e-10, atol=1e-12)


# ---- equal eigenvalues ---------------------------------------------------------------------

@pytest.mark.parametrize("s", [np.eye(N), _rotated([2.0, 2.0, 5.0]),
                               _rotated([1.0, 1.0 + 1e-13, 3.0])],
                         ids=["identity", "repeated eigenvalue", "nearly equal"])
def test_equal_eigenvalues_give_the_derivative(s) -> None:
    f = mc.sum(mc.expm(S) * A) + mc.sum(mc.logm(mc.expm(S)) * A)
    g = mc.grad(f, S)
    fn = mc.compile(g, args=[S, A])
    a = _point()["A"]
    got = fn(S=s, A=a)
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, evaluate(g, {"S": s, "A": a}), rtol=1e-9, atol=1e-12)
    # at the point itself the directional derivative is smooth: central differences agree
    assert fd_grad_check(f, S, g, values={"S": s, "A": a}, rtol=1e-6)


def test_divided_differences_fall_back_to_the_derivative() -> None:
    lam = np.array([[1.0], [1.0], [1.0 + 1e-14], [4.0]])
    for fn, d in (("exp", np.exp), ("log", lambda t: 1 / t), ("sqrt", lambda t: 0.5 / np.sqrt(t))):
        F = _divdiff(fn, lam)
        assert np.all(np.isfinite(F))
        np.testing.assert_allclose(np.diag(F), d(lam[:, 0]), rtol=1e-12)
        np.testing.assert_allclose(F[0, 2], d(1.0), rtol=1e-12)
        f = {"exp": np.exp, "log": np.log, "sqrt": np.sqrt}[fn]
        assert F[0, 3] == pytest.approx((f(1.0) - f(4.0)) / (1.0 - 4.0), rel=1e-14)
        np.testing.assert_array_equal(F, F.T)


# ---- SymPy where it can ---------------------------------------------------------------------

def test_sympy_exact_at_1x1_and_for_diagonal_matrices() -> None:
    s, p = mc.symmetric("s", 1), mc.spd("p", 1)
    for f, x in [(mc.tr(mc.expm(s) * mc.logm(p)), s), (mc.tr(mc.sqrtm(p) * mc.logm(p)), p),
                 (mc.sum(mc.eigvalsh(s) * mc.eigvalsh(s)), s)]:
        assert mc.check_grad(f, x)
    # second order at 1×1: dF = 2 f[λ, λ, λ] dλ = f″ dλ
    f = mc.tr(mc.sqrtm(p) @ mc.logm(p))
    t = sympy.Symbol("p", real=True)
    want = sympy.diff(sympy.sqrt(t) * sympy.log(t), t, 2)
    assert sympy.simplify(to_sympy(mc.hessian(f, p))[0, 0] - want) == 0
    D = mc.diagonal("D", 2)
    B = mc.matrix("B", 2, 2)
    assert mc.check_grad(mc.sum(mc.expm(D) * B), [D, B])
    assert mc.check_grad(mc.sum(mc.sqrtm(mc.expm(D)) * B), D)
    # a Daleckii–Krein gradient at Diag(v) is exact too: the divided differences of exp
    v = mc.vector("v", 2)
    dd = to_sympy(DivDiff("exp", mc.Diag(v)))
    v0, v1 = sympy.symbols("v_0 v_1", real=True)
    assert sympy.simplify(dd[0, 1] - (sympy.exp(v0) - sympy.exp(v1)) / (v0 - v1)) == 0


def test_sympy_refuses_what_it_cannot_represent() -> None:
    with pytest.raises(ValueError, match="no exact SymPy form"):
        to_sympy(mc.expm(mc.symmetric("T", 2)))
    with pytest.raises(ValueError, match="cannot order"):
        to_sympy(mc.eigvalsh(mc.diagonal("D", 2)))


# ---- jvp, vjp, hvp; second derivatives ----------------------------------------------------

def test_vjp_and_hvp_through_the_rules() -> None:
    pt = _point()
    vjp = mc.vjp(mc.expm(S), S, U)
    # u : d expm(S)[V] = vjp : V for a symmetric V
    jvp = mc.jvp(mc.expm(S), S, V)
    lhs = np.sum(evaluate(jvp, pt) * pt["U"])
    rhs = np.sum(evaluate(vjp, pt) * pt["V"])
    assert lhs == pytest.approx(rhs, rel=1e-12)
    # a Hessian through the closed form ∇ tr e^S = e^S
    hvp = mc.hvp(mc.tr(mc.expm(S)), S, V)
    assert hvp == jvp


@pytest.mark.parametrize("label, f, x", LOSSES[1:7], ids=[c[0] for c in LOSSES[1:7]])
def test_hvp_through_the_decomposition_matches_differences_of_the_gradient(label, f, x):
    """Second order: dQ = Q (E ⊙ (Qᵀ dS Q)) and dF = Diag(dλ) D + Dᵀ Diag(dλ), at distinct
    eigenvalues, against central differences of the compiled gradient."""
    g, hv = mc.grad(f, x), mc.hvp(f, x, V)
    args = sorted(f.free_symbols | {V}, key=lambda s: s.name)
    fn = mc.compile([g, hv], args=args)
    pt = _point()
    vals = {k: pt[k] for k in fn.args}
    h = 1e-5
    plus = fn(**{**vals, x.name: vals[x.name] + h * pt["V"]})[0]
    minus = fn(**{**vals, x.name: vals[x.name] - h * pt["V"]})[0]
    np.testing.assert_allclose(fn(**vals)[1], (plus - minus) / (2 * h), rtol=1e-6, atol=1e-8)


def test_hessian_through_the_decomposition() -> None:
    f = mc.sum(mc.logm(P) * A)
    H = mc.hessian(f, P)
    assert fd_jacobian_check(mc.grad(f, P), P, H, values=_point())


def test_hvp_at_a_repeated_eigenvalue_is_nan_not_a_wrong_number() -> None:
    """dQ is undefined where eigenvalues coincide; E_S is NaN there, so an hvp that goes
    through the decomposition says so rather than dropping terms. A closed form does not
    (∇ tr e^S = e^S, so its hvp is first order)."""
    fn = mc.compile(mc.hvp(mc.sum(mc.expm(S) * A), S, V), args=[S, A, V])
    pt = _point()
    assert np.isnan(fn(S=np.eye(N), A=pt["A"], V=pt["V"])).any()
    closed = mc.compile(mc.hvp(mc.tr(mc.expm(S)), S, V), args=[S, V])
    assert np.all(np.isfinite(closed(S=np.eye(N), V=pt["V"])))


def test_third_derivatives_are_refused_clearly() -> None:
    with pytest.raises(ValueError, match="third derivatives"):
        mc.jvp(mc.hvp(mc.sum(mc.expm(S) * A), S, V), S, V)


# ---- printing, text, errors -----------------------------------------------------------------

def test_gradient_prints_with_named_eigendecomposition() -> None:
    g = mc.grad(mc.sum(mc.expm(S) * A), S)
    assert str(g) == "1/2 Q_S (exp^[1](λ_S) ⊙ (Q_Sᵀ (A + Aᵀ) Q_S)) Q_Sᵀ"
    assert mc.latex(g) == (r"\frac{1}{2} Q_{S} (\exp^{[1]}(\lambda_{S}) \odot (Q_{S}^{\top} "
                           r"(A + A^{\top}) Q_{S})) Q_{S}^{\top}")
    text = str(mc.derive(mc.sum(mc.expm(S) * A), [S]))
    assert "S = Q_S Diag(λ_S) Q_Sᵀ, λ_S ascending" in text
    assert "exp^[1](λ_S)ᵢⱼ = (e^λᵢ − e^λⱼ)/(λᵢ − λⱼ), e^λᵢ where λᵢ = λⱼ" in text
    assert str(EigVecs(A.T @ A)) == "Q_(Aᵀ A)"


def test_text_syntax_and_cli(capsys: pytest.CaptureFixture[str]) -> None:
    f = mc.parse("tr(expm(S)) + w'*eigvalsh(S) + norm2(sqrtm(P) - A)^2", symmetric=["S"],
                 spd=["P"])
    assert "expm(S)" in str(f) and "λ_S" in str(f) and "sqrtm(P)" in str(f)
    assert cli.main(["grad", "tr(logm(P)) + tr(expm(S))", "--spd", "P", "--symmetric", "S",
                     "--wrt", "P", "--wrt", "S"]) == 0
    out = capsys.readouterr().out
    assert "∂f/∂P = P⁻¹" in out and "∂f/∂S = expm(S)" in out


@pytest.mark.parametrize("call, error, match", [
    (lambda: mc.expm(mc.matrix("X", 2, 3)), mc.ShapeError,
     r"expm needs a square matrix: X \(2×3\)"),
    (lambda: mc.expm(A), ValueError, r"A \(3×3\) is not known to be symmetric; declare it with "
                                     r"mc.symmetric\('A', n\)"),
    (lambda: mc.eigvalsh(A @ S), ValueError, r"A S \(3×3\) is not known to be symmetric; "
                                             r"symmetrize it"),
    (lambda: mc.logm(S), ValueError, r"not known to be positive definite; declare it with "
                                     r"mc.spd\('S', n\)"),
    (lambda: mc.sqrtm(A.T @ A), ValueError, r"AᵀA is only semidefinite"),
    (lambda: mc.parse("logm(S)", symmetric=["S"]), ValueError, "positive definite"),
], ids=["non-square", "general", "product", "logm of symmetric", "sqrtm of AᵀA", "text"])
def test_errors_name_the_argument(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()


def test_accepted_arguments() -> None:
    assert mc.expm(A + A.T).shape == (N, N)
    assert mc.eigvalsh(A.T @ S @ A).shape[1] == 1
    assert mc.logm(mc.inv(P) + P).shape == (N, N)
    assert mc.sqrtm(mc.expm(S)) is not None  # expm(S) is SPD
