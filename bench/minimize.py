"""``mc.minimize`` against the same ``scipy.optimize.minimize`` call with a hand-written
value-and-gradient (``python3 -m bench.minimize``).

Three problems: ridge regression, L2-regularized logistic regression, regularized matrix
factorization. Both sides run L-BFGS-B from the same start with the same options; the
table shows median wall time over ``--repeat`` runs (interleaved), their ratio, the final
objectives and SciPy's evaluation counts. ``mc.minimize``'s time includes deriving and
compiling on the first call only (compiled functions are cached), so the first column is a
warm median and ``cold ms`` is the first call.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

import numpy as np
import scipy.optimize

import matcalc as mc

OPTS = {"gtol": 1e-10, "ftol": 1e-14, "maxiter": 10_000}


def ridge(rng: np.random.Generator) -> tuple:
    m, n = mc.dims("m n")
    X, w, y, lam = mc.matrix("X", m, n), mc.vector("w", n), mc.vector("y", m), mc.scalar("lam")
    f = (X @ w - y).T @ (X @ w - y) / m + lam * (w.T @ w)
    Xn = rng.normal(size=(10_000, 100))
    yn = Xn @ rng.normal(size=100) + rng.normal(size=10_000)

    def fg(wn: np.ndarray) -> tuple[float, np.ndarray]:
        r = Xn @ wn - yn
        return r @ r / 10_000 + 0.1 * wn @ wn, 2 / 10_000 * (Xn.T @ r) + 0.2 * wn

    return "ridge", "m=1e4 n=100", f, {"w": np.zeros(100)}, {"X": Xn, "y": yn, "lam": 0.1}, fg


def logistic(rng: np.random.Generator) -> tuple:
    m, n = mc.dims("m n")
    X, w, y = mc.matrix("X", m, n), mc.vector("w", n), mc.vector("y", m)
    f = mc.sum(mc.softplus(-mc.hadamard(y, X @ w))) / m + 0.005 * (w.T @ w)
    Xn = rng.normal(size=(10_000, 100))
    yn = np.where(Xn @ rng.normal(size=100) + rng.normal(size=10_000) > 0, 1.0, -1.0)

    def fg(wn: np.ndarray) -> tuple[float, np.ndarray]:
        t = -yn * (Xn @ wn)
        s = 1 / (1 + np.exp(-t))
        return (np.logaddexp(0, t).sum() / 10_000 + 0.005 * wn @ wn,
                Xn.T @ (-yn * s) / 10_000 + 0.01 * wn)

    return "logistic", "m=1e4 n=100", f, {"w": np.zeros(100)}, {"X": Xn, "y": yn}, fg


def matfact(rng: np.random.Generator) -> tuple:
    m, p, k = mc.dims("m p k")
    M, U, V = mc.matrix("M", m, p), mc.matrix("U", m, k), mc.matrix("V", p, k)
    R = M - U @ V.T
    f = 0.5 * mc.sum(mc.hadamard(R, R)) + 0.15 * (mc.sum(mc.hadamard(U, U))
                                                  + mc.sum(mc.hadamard(V, V)))
    Mn = rng.normal(size=(300, 10)) @ rng.normal(size=(10, 200)) + 0.1 * rng.normal(size=(300, 200))
    U0, V0 = 0.1 * rng.normal(size=(300, 10)), 0.1 * rng.normal(size=(200, 10))

    def fg(theta: np.ndarray) -> tuple[float, np.ndarray]:
        Un, Vn = theta[:3000].reshape(300, 10), theta[3000:].reshape(200, 10)
        Rn = Mn - Un @ Vn.T
        value = 0.5 * np.vdot(Rn, Rn) + 0.15 * (np.vdot(Un, Un) + np.vdot(Vn, Vn))
        return value, np.concatenate([(-Rn @ Vn + 0.3 * Un).ravel(),
                                      (-Rn.T @ Un + 0.3 * Vn).ravel()])

    return "matrix factor.", "300x200 r=10", f, {"U": U0, "V": V0}, {"M": Mn}, fg


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    try:
        from threadpoolctl import threadpool_limits
        limit: Any = threadpool_limits(1)
    except ImportError:
        limit = None
    print(f"L-BFGS-B, options {OPTS}; medians of {args.repeat} interleaved runs, 1 BLAS thread"
          if limit is not None else f"L-BFGS-B, options {OPTS}; medians of {args.repeat}")
    print("| problem | size | mc.minimize ms | hand-written ms | mc/hand | cold ms "
          "| objective mc | objective hand | rel. diff | nfev mc | nfev hand |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for make in (ridge, logistic, matfact):
        name, size, f, x0, data, fg = make(np.random.default_rng(0))
        theta0 = np.concatenate([a.ravel() for a in x0.values()])
        t = time.perf_counter()
        res = mc.minimize(f, x0, data=data, options=OPTS)
        cold = time.perf_counter() - t
        t_mc, t_hand = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            res = mc.minimize(f, x0, data=data, options=OPTS)
            t_mc.append(time.perf_counter() - t)
            t = time.perf_counter()
            ref = scipy.optimize.minimize(fg, theta0, jac=True, method="L-BFGS-B", options=OPTS)
            t_hand.append(time.perf_counter() - t)
        a, b = statistics.median(t_mc) * 1e3, statistics.median(t_hand) * 1e3
        rel = abs(res.fun - ref.fun) / abs(ref.fun)
        print(f"| {name} | {size} | {a:.1f} | {b:.1f} | {a / b:.2f} | {cold * 1e3:.0f} "
              f"| {res.fun:.12g} | {ref.fun:.12g} | {rel:.1e} | {res.nfev} | {ref.nfev} |",
              flush=True)


if __name__ == "__main__":
    main()
