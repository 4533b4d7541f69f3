"""Reductions along an axis, softmax, log_softmax and logsumexp: shapes, bad input, the
textbook forms of their derivatives, exact SymPy checks, finite differences, and stable
compiled code (inputs scaled by 10³ and 10⁶ against an mpmath reference)."""

from __future__ import annotations

import contextlib
import io

import numpy as np
import pytest
import sympy

import matcalc as mc
from matcalc.check.fdcheck import fd_grad_check, numeric_grad
from matcalc.check.numeric import random_point
from matcalc.cli import main
from matcalc.expr.traverse import replace

m, n, d, k = mc.dims("m n d k")
z, y = mc.vector("z", n), mc.vector("y", n)
Z, Y = mc.matrix("Z", m, n), mc.matrix("Y", m, n)


# ----------------------------------------------------------------------------------------
# Construction: shapes and bad input
# ----------------------------------------------------------------------------------------


def test_axis_sums_are_ones_products():
    assert mc.sum(Z, axis=0) == mc.ones(1, m) @ Z and mc.sum(Z, axis=0).shape == (1, n)
    assert mc.sum(Z, axis=1) == Z @ mc.ones(n) and mc.sum(Z, axis=1).shape == (m, 1)
    assert mc.mean(Z, axis=1) == (Z @ mc.ones(n)) / n
    assert str(mc.mean(Z)) == "1/(m·n) sum(Z)"


@pytest.mark.parametrize("fn, axis, shape", [
    (mc.softmax, None, (m, n)), (mc.softmax, 0, (m, n)), (mc.log_softmax, 1, (m, n)),
    (mc.logsumexp, None, (1, 1)), (mc.logsumexp, 0, (1, n)), (mc.logsumexp, 1, (m, 1))])
def test_shapes_follow_scipy(fn, axis, shape):
    assert fn(Z, axis=axis).shape == shape


def test_a_vector_along_its_length_is_over_all_entries():
    assert mc.softmax(z, axis=0) == mc.softmax(z) and mc.logsumexp(z.T, axis=1) == mc.logsumexp(z.T)


@pytest.mark.parametrize("build", [lambda: mc.softmax(mc.scalar("a")),
                                   lambda: mc.softmax(z, axis=1),
                                   lambda: mc.log_softmax(z.T, axis=0),
                                   lambda: mc.softmax(mc.matrix("R", 1, n), axis=0)])
def test_a_softmax_over_one_entry_is_a_shape_error(build):
    with pytest.raises(mc.ShapeError, match="single entry|length 1"):
        build()


@pytest.mark.parametrize("fn", [mc.sum, mc.mean, mc.softmax, mc.log_softmax, mc.logsumexp])
@pytest.mark.parametrize("axis", [2, -1, True, "0", 0.5])
def test_bad_axis_names_the_argument(fn, axis):
    with pytest.raises(ValueError, match="'axis' must be None, 0 or 1"):
        fn(Z, axis=axis)


# ----------------------------------------------------------------------------------------
# The textbook forms
# ----------------------------------------------------------------------------------------


def test_cross_entropy_gradient_is_sum_y_p_minus_y():
    f = -(y.T @ mc.log_softmax(z))
    g = mc.grad(f, z)
    assert str(g) == "sum(y) p - y"
    d_ = mc.derive(f, z)
    assert "where\n  p = softmax(z)" in str(d_)
    assert mc.check_grad(f, z, {n: 3})


def test_softmax_jacobian_and_logsumexp_hessian_are_diag_p_minus_ppT():
    assert str(mc.jacobian(mc.softmax(z), z)) == "Diag(p) - p pᵀ"
    assert str(mc.hessian(mc.logsumexp(z), z)) == "Diag(p) - p pᵀ"
    assert mc.latex(mc.hessian(mc.logsumexp(z), z)) == r"\operatorname{Diag}(p) - p p^{\top}"


def test_a_name_in_use_is_not_taken():
    p = mc.vector("p", n)
    d_ = mc.derive(p.T @ z + mc.logsumexp(z), z)
    assert "p2" in str(d_.gradients[z]) and "where\n  p2 = softmax(z)" in str(d_)


def test_attention_head_gradients_use_the_row_softmax_adjoint():
    Q, K, V, T = (mc.matrix(s, n, d) for s in "QKVT")
    A = mc.let("A", mc.softmax(Q @ K.T / sympy.sqrt(d.expr), axis=1))
    L = mc.sum((A @ V - T) ** 2) / 2
    gQ, gK, gV = mc.grad(L, [Q, K, V])
    G = mc.matrix("G", n, n)
    adj = A * (G - (A * G) @ mc.ones(n) @ mc.ones(n).T)  # P ⊙ (G − (P ⊙ G) 1 1ᵀ)
    named = {mc.simplify((A @ V - T) @ V.T): G, mc.simplify((T - A @ V) @ V.T): -G}
    # the simplifier writes -G as (T - A V) Vᵀ where that reads shorter
    assert mc.simplify(replace(gQ, named)) == mc.simplify(adj @ K / sympy.sqrt(d.expr))
    assert mc.simplify(replace(gK, named)) == mc.simplify(adj.T @ Q / sympy.sqrt(d.expr))
    assert str(gV) == "Aᵀ (A V - T)"
    small = {n: 2, d: 2}
    for x in (Q, K, V):
        assert mc.check_grad(L, x, small), x


def test_softmax_regression_gradients_exact_and_by_finite_differences():
    W, X, b = mc.matrix("W", k, d), mc.matrix("X", d, n), mc.vector("b", k)
    Yk = mc.matrix("Y", k, n)
    L = -mc.sum(Yk * mc.log_softmax(W @ X + b @ mc.ones(n).T, axis=0)) / n
    gW, gb = mc.grad(L, [W, b])
    assert str(gW) == "1/n (P ⊙ (𝟏 𝟏ᵀ Y) - Y) Xᵀ"
    sizes = {k: 3, d: 4, n: 5}
    point = random_point(L, sizes)
    grads = mc.compile(mc.grad(L, [W, b, X]), args=[W, X, b, Yk])(
        **{s.name: v for s, v in point.items()})
    for x, g in zip((W, b, X), grads):
        assert mc.check_grad(L, x, {k: 2, d: 2, n: 2}), x
        assert fd_grad_check(L, x, mc.grad(L, x), point, sizes), x
        np.testing.assert_allclose(np.reshape(g, x_shape(x, sizes)),
                                   numeric_grad(L, x, point, sizes), rtol=1e-6, atol=1e-8)


def x_shape(x: mc.Symbol, sizes: dict) -> tuple[int, int]:
    return tuple(sizes.get(dd, 1) for dd in x.shape)


def test_binary_logistic_regression():
    X, w, yy = mc.matrix("X", n, d), mc.vector("w", d), mc.vector("y", n)
    L = mc.sum(mc.softplus(-(yy * (X @ w)))) / n
    assert str(mc.grad(L, w)) == "-1/n Xᵀ (sigmoid(-(y ⊙ (X w))) ⊙ y)"
    assert mc.check_grad(L, w, {n: 3, d: 2})
    L2 = mc.sum(mc.log(1 + mc.exp(-(yy * (X @ w))))) / n  # spelled out: same gradient
    assert mc.grad(L2, w) == mc.grad(L, w)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_every_axis_exact_and_by_finite_differences(axis):
    f = mc.sum(Y * mc.log_softmax(Z, axis)) + mc.sum(Y * mc.softmax(Z, axis)) + \
        mc.sum(mc.logsumexp(Z, axis) ** 2)
    assert mc.check_grad(f, Z, {m: 2, n: 3})
    assert fd_grad_check(f, Z, mc.grad(f, Z), dims={m: 3, n: 4})


def test_text_syntax_and_unparse():
    assert mc.parse("softmax(Z, 1)", Z=(m, n)) == mc.softmax(Z, axis=1)
    assert mc.parse("logsumexp(z)", z=(n, 1)) == mc.logsumexp(z)
    assert mc.parse("log_softmax(Z, 0)", Z=(m, n)) == mc.log_softmax(Z, axis=0)
    assert mc.parse("sum(Z, 0) + mean(Z, 0)", Z=(m, n)).shape == (1, n)
    assert mc.unparse(mc.softmax(Z, axis=1)) == "softmax(Z, 1)"
    with pytest.raises(mc.ParseError, match="axis of softmax must be 0"):
        mc.parse("softmax(Z, 2)")


def test_cli_grad_names_p(capsys):
    assert main(["grad", "--wrt", "z", "--", "-y'*log_softmax(z)"]) == 0
    assert capsys.readouterr().out == "∂f/∂z = sum(y) p - y\nwhere\n  p = softmax(z)\n"


# ----------------------------------------------------------------------------------------
# Stable compiled code against a high-precision reference
# ----------------------------------------------------------------------------------------

mp = pytest.importorskip("mpmath", reason="mpmath gives the high-precision reference")
mp.mp.dps = 50


def _logistic_ref(Xv, wv, yv):
    u = [-yv[i] * mp.fsum(mp.mpf(Xv[i, j]) * wv[j] for j in range(len(wv))) for i in range(len(yv))]
    loss = mp.fsum(mp.log1p(mp.exp(t)) for t in u)
    grad = [mp.fsum(-yv[i] * Xv[i, j] / (1 + mp.exp(-u[i])) for i in range(len(yv)))
            for j in range(len(wv))]
    return float(loss), np.array([float(g) for g in grad])


def _softmax_regression_ref(Wv, Xv, Yv):
    kk, nn = Wv.shape[0], Xv.shape[1]
    S = [[mp.fsum(mp.mpf(Wv[a, j]) * Xv[j, c] for j in range(Xv.shape[0])) for c in range(nn)]
         for a in range(kk)]
    lse = [mp.log(mp.fsum(mp.exp(S[a][c]) for a in range(kk))) for c in range(nn)]
    loss = -mp.fsum(Yv[a, c] * (S[a][c] - lse[c]) for a in range(kk) for c in range(nn)) / nn
    G = [[(mp.exp(S[a][c] - lse[c]) * mp.fsum(Yv[:, c]) - Yv[a, c]) / nn for c in range(nn)]
         for a in range(kk)]
    gW = [[float(mp.fsum(G[a][c] * Xv[j, c] for c in range(nn))) for j in range(Xv.shape[0])]
          for a in range(kk)]
    return float(loss), np.array(gW)


@pytest.mark.parametrize("scale", [1e3, 1e6])
@pytest.mark.parametrize("spelling", ["softplus", "log1pexp", "logsigmoid"])
def test_logistic_loss_is_stable(scale, spelling):
    X, w, yy = mc.matrix("X", n, d), mc.vector("w", d), mc.vector("y", n)
    u = yy * (X @ w)
    L = {"softplus": mc.sum(mc.softplus(-u)), "log1pexp": mc.sum(mc.log(1 + mc.exp(-u))),
         "logsigmoid": -mc.sum(mc.log(mc.sigmoid(u)))}[spelling]
    f = mc.compile([L, mc.grad(L, w)], args=[X, w, yy])
    rng = np.random.default_rng(1)
    Xv, wv, yv = rng.normal(size=(6, 3)) * scale, rng.normal(size=3), np.sign(rng.normal(size=6))
    loss, g = f(X=Xv, w=wv, y=yv)
    ref_loss, ref_g = _logistic_ref(Xv, wv, yv)
    assert np.isfinite(loss) and np.all(np.isfinite(g))
    assert loss == pytest.approx(ref_loss, rel=1e-12)
    np.testing.assert_allclose(g, ref_g, rtol=1e-9, atol=1e-12 * scale)


@pytest.mark.parametrize("scale", [1e3, 1e6])
def test_softmax_regression_is_stable(scale):
    W, X, Yk = mc.matrix("W", k, d), mc.matrix("X", d, n), mc.matrix("Y", k, n)
    L = -mc.sum(Yk * mc.log_softmax(W @ X, axis=0)) / n
    f = mc.compile([L, mc.grad(L, W)], args=[W, X, Yk])
    assert "_logsumexp" in f.source
    rng = np.random.default_rng(2)
    Wv, Xv = rng.normal(size=(3, 4)) * scale, rng.normal(size=(4, 5))
    Yv = np.eye(3)[:, rng.integers(0, 3, size=5)]
    loss, gW = f(W=Wv, X=Xv, Y=Yv)
    ref_loss, ref_gW = _softmax_regression_ref(Wv, Xv, Yv)
    assert np.isfinite(loss) and np.all(np.isfinite(gW))
    assert loss == pytest.approx(ref_loss, rel=1e-9)
    np.testing.assert_allclose(gW, ref_gW, rtol=1e-9, atol=1e-12)


def test_stable_forms_in_the_numpy_output():
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        main(["grad", "sum(log(1+exp(-y.*(X*w)))) + logsumexp(X*w)", "--wrt", "w", "--numpy"])
    src = buf.getvalue()
    assert "np.logaddexp(0, " in src and "def _logsumexp" in src and "_sigmoid(" in src
    assert "np.log(1 + " not in src
    ns: dict = {}
    exec(src, ns)  # noqa: S102 - the code we generated, run where matcalc is not imported
    rng = np.random.default_rng(3)
    Xv, wv, yv = rng.normal(size=(4, 2)) * 1e3, rng.normal(size=2), np.ones(4)
    assert all(np.all(np.isfinite(v)) for v in ns["value_and_gradient"](Xv, wv, yv))


# ---- exp(Z) over its own sums is built as the softmax (matcalc.expr.softmax_form) -------

_xq, _yq = mc.vector("x", n), mc.vector("y", n)
_Zq = mc.matrix("Z", m, n)


@pytest.mark.parametrize("build, want", [
    (lambda: mc.exp(_xq) / mc.sum(mc.exp(_xq)), mc.softmax(_xq)),
    (lambda: mc.exp(_Zq) / mc.sum(mc.exp(_Zq)), mc.softmax(_Zq)),
    (lambda: mc.exp(_Zq) / mc.sum(mc.exp(_Zq), axis=0), mc.softmax(_Zq, axis=0)),
    (lambda: mc.exp(_Zq) / mc.sum(mc.exp(_Zq), axis=1), mc.softmax(_Zq, axis=1)),
    (lambda: mc.parse("exp(Z)./(exp(Z)*matrix(1))", Z=_Zq), mc.softmax(_Zq, axis=1)),
    (lambda: mc.parse("exp(Z)./(matrix(1)*exp(Z))", Z=_Zq), mc.softmax(_Zq, axis=0)),
    (lambda: mc.parse("exp(x)/sum(exp(x))", x=_xq), mc.softmax(_xq)),
], ids=["vector", "all entries", "columns", "rows", "text rows", "text columns", "text"])
def test_exp_over_its_sums_is_built_as_the_softmax(build, want) -> None:
    assert build() == want


@pytest.mark.parametrize("build", [
    lambda: mc.exp(_xq) / mc.sum(mc.exp(_yq)),  # another vector's sum
    lambda: mc.exp(2 * _xq) / mc.sum(mc.exp(_xq)),  # another exponent
    lambda: mc.exp(_Zq) / mc.sum(mc.exp(mc.matrix("W", m, n)), axis=1),  # W's row sums
    lambda: mc.exp(mc.scalar("a")) / mc.sum(mc.exp(mc.scalar("a"))),  # a single entry
], ids=["other sum", "other exponent", "other matrix", "1×1"])
def test_other_quotients_stay_quotients(build) -> None:
    from matcalc.expr.nodes import Softmax
    from matcalc.expr.traverse import walk
    assert not any(isinstance(v, Softmax) for v in walk(build()))


def test_written_out_softmax_compiles_stably_and_differentiates_to_the_textbook() -> None:
    f = mc.parse("exp(x)/sum(exp(x))", x=_xq)
    x = np.array([1000.0, 999.0, -5.0])  # exp(1000) overflows; the softmax does not
    got = mc.compile(f)(x=x)
    assert np.all(np.isfinite(got)) and np.isclose(got.sum(), 1.0)
    assert str(mc.jacobian(f, _xq)) == "Diag(p) - p pᵀ"
    loss = mc.log(mc.sum(mc.exp(_xq)))  # its gradient is read back as the softmax
    assert mc.grad(loss, _xq) == mc.softmax(_xq)
