"""``mc.minimize``: derived, compiled value-and-gradient into scipy.optimize.minimize.

Each fit is checked against an independent reference fit of the same objective: ridge
against scikit-learn's closed-form Ridge, logistic regression against scikit-learn's
LogisticRegression, matrix factorization against the SVD (the regularized problem's optimum
is the top singular values soft-thresholded), all to 1e-8 relative in the objective.
"""

from __future__ import annotations

import numpy as np
import pytest

import matcalc as mc

pytest.importorskip("scipy", reason="needs the optimize extra (scipy)")
sklearn_linear = pytest.importorskip("sklearn.linear_model",
                                     reason="needs scikit-learn (a dev/test dependency)")

m, n, k, p = mc.dims("m n k p")
X, w, y = mc.matrix("X", m, n), mc.vector("w", n), mc.vector("y", m)
lam = mc.scalar("lam")
TIGHT = {"gtol": 1e-12, "ftol": 1e-16, "maxiter": 5000}


def _data(seed: int = 0, m_: int = 200, n_: int = 6) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    Xn = rng.normal(size=(m_, n_))
    return Xn, Xn @ rng.normal(size=n_) + 0.5 * rng.normal(size=m_)


RIDGE = (X @ w - y).T @ (X @ w - y) + lam * (w.T @ w)


def _ridge_value(Xn: np.ndarray, yn: np.ndarray, wn: np.ndarray, alpha: float) -> float:
    r = Xn @ wn - yn
    return float(r @ r + alpha * wn @ wn)


@pytest.mark.parametrize("method", ["L-BFGS-B", "trust-ncg", "Newton-CG"])
def test_ridge_matches_sklearn(method: str) -> None:
    Xn, yn = _data()
    opts = {"options": TIGHT} if method == "L-BFGS-B" else {"options": {"gtol": 1e-10}} \
        if method == "trust-ncg" else {"options": {"xtol": 1e-14}}
    res = mc.minimize(RIDGE, {"w": np.zeros(6)}, data={"X": Xn, "y": yn, "lam": 2.0},
                      method=method, **opts)
    ref = sklearn_linear.Ridge(alpha=2.0, fit_intercept=False, solver="cholesky").fit(Xn, yn)
    want = _ridge_value(Xn, yn, ref.coef_, 2.0)
    assert set(res.x) == {"w"} and res.x["w"].shape == (6,)
    assert abs(res.fun - want) <= 1e-8 * abs(want)
    assert abs(_ridge_value(Xn, yn, res.x["w"], 2.0) - want) <= 1e-8 * abs(want)
    if method != "L-BFGS-B":  # the compiled Hessian-vector product was used
        assert res.nhev > 0


def test_logistic_regression_matches_sklearn() -> None:
    rng = np.random.default_rng(1)
    Xn = rng.normal(size=(300, 5))
    yn = np.where(Xn @ rng.normal(size=5) + rng.normal(size=300) > 0, 1.0, -1.0)
    C = 0.7
    f = C * mc.sum(mc.softplus(-mc.hadamard(y, X @ w))) + 0.5 * (w.T @ w)
    res = mc.minimize(f, {"w": np.zeros(5)}, data={"X": Xn, "y": yn}, options=TIGHT)
    ref = sklearn_linear.LogisticRegression(C=C, fit_intercept=False, tol=1e-14,
                                            max_iter=10_000).fit(Xn, yn)

    def value(wn: np.ndarray) -> float:
        return float(C * np.logaddexp(0, -yn * (Xn @ wn)).sum() + 0.5 * wn @ wn)

    want = value(ref.coef_.ravel())
    assert abs(res.fun - want) <= 1e-8 * abs(want)
    assert abs(value(res.x["w"]) - want) <= 1e-8 * abs(want)


def test_matrix_factorization_matches_the_svd() -> None:
    rng = np.random.default_rng(2)
    Mn = rng.normal(size=(30, 3)) @ rng.normal(size=(3, 20)) + 0.1 * rng.normal(size=(30, 20))
    M, U, V = mc.matrix("M", m, p), mc.matrix("U", m, k), mc.matrix("V", p, k)
    mu = 0.3
    R = M - U @ V.T
    f = 0.5 * mc.sum(mc.hadamard(R, R)) + mu / 2 * (mc.sum(mc.hadamard(U, U))
                                                     + mc.sum(mc.hadamard(V, V)))
    res = mc.minimize(f, {"U": 0.1 * rng.normal(size=(30, 3)), "V": 0.1 * rng.normal(size=(20, 3))},
                      data={"M": Mn}, options=TIGHT)
    s = np.linalg.svd(Mn, compute_uv=False)
    t = np.maximum(s[:3] - mu, 0)  # the optimum: soft-thresholded top singular values
    want = 0.5 * ((s[:3] - t) ** 2).sum() + 0.5 * (s[3:] ** 2).sum() + mu * t.sum()
    assert res.x["U"].shape == (30, 3) and res.x["V"].shape == (20, 3)
    assert abs(res.fun - want) <= 1e-8 * want


def test_bounds_by_name_and_several_variables() -> None:
    Xn, yn = _data(3)
    b = mc.scalar("b")
    f = (X @ w + b - y).T @ (X @ w + b - y)
    res = mc.minimize(f, {"w": np.zeros(6), "b": 0.0}, data={"X": Xn, "y": yn},
                      bounds={"w": (0, None)}, options=TIGHT)
    assert (res.x["w"] >= 0).all() and res.x["b"].shape == ()
    from scipy.optimize import nnls  # w ≥ 0 with a free intercept, the reference way

    A = np.hstack([Xn, np.ones((200, 1)), -np.ones((200, 1))])
    coef, rnorm = nnls(A, yn)
    assert abs(res.fun - rnorm ** 2) <= 1e-8 * rnorm ** 2


def test_dask_data() -> None:
    da = pytest.importorskip("dask.array", reason="needs the dask extra")
    pytest.importorskip("array_api_compat", reason="needs the dask extra")
    Xn, yn = _data(4, 2000, 4)
    res = mc.minimize(RIDGE, {"w": np.zeros(4)},
                      data={"X": da.from_array(Xn, chunks=(500, 4)),
                            "y": da.from_array(yn, chunks=500), "lam": 1.0}, options=TIGHT)
    ref = mc.minimize(RIDGE, {"w": np.zeros(4)}, data={"X": Xn, "y": yn, "lam": 1.0},
                      options=TIGHT)
    np.testing.assert_allclose(res.x["w"], ref.x["w"], rtol=1e-8)
    assert isinstance(res.x["w"], np.ndarray)


def test_bad_input_is_clear() -> None:
    Xn, yn = _data()
    with pytest.raises(ValueError, match="x0 names 'v', which is not a symbol of f"):
        mc.minimize(RIDGE, {"v": np.zeros(6)}, data={"X": Xn, "y": yn, "lam": 1.0})
    with pytest.raises(ValueError, match="no value for the symbol.s. lam: pass them in data"):
        mc.minimize(RIDGE, {"w": np.zeros(6)}, data={"X": Xn, "y": yn})
    with pytest.raises(ValueError, match="needs a scalar objective; f is m×1"):
        mc.minimize(X @ w, {"w": np.zeros(6)}, data={"X": Xn})
    with pytest.raises(TypeError, match="mc.minimize: argument 'x0' must be a non-empty dict"):
        mc.minimize(RIDGE, np.zeros(6))
