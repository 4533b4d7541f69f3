"""The second-order benchmark's problems: Hessians, Hessian-vector products and Jacobians.

Each :class:`Task` holds matcalc's derivative expression (``mc.hessian``, ``mc.hvp``,
``mc.jacobian``, ``mc.jvp``, ``mc.vjp``), random data, the best hand-written NumPy for the
same object, and the function itself in array syntax shared by JAX and PyTorch (``ops``
supplies the few functions whose names differ). Dense Hessians and Jacobians use matcalc's
convention, ``vec(dG) = H vec(dX)`` with column-major ``vec``; the frameworks' natural
``x.shape + x.shape`` arrays are converted only for the agreement check (:func:`to_vec`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import matcalc as mc

#: Which size class a target applies to, by tier.
TIERS = ("tiny", "medium", "large")


@dataclass
class Task:
    """One row: one derivative of one problem at one size."""

    problem: str
    kind: str  # "hessian", "hvp", "jacobian", "jvp" or "vjp"
    size: str
    tier: str
    derive: Callable[[], Any]  # builds matcalc's derivative expression (timed by the runner)
    args: list  # matcalc symbols, in call order
    data: dict[str, np.ndarray]
    numpy: Callable[..., np.ndarray]  # hand-written; keyword arguments named as in ``data``
    # f(ops, x, c) -> 0-d (hessian, hvp) or F(ops, x, c) -> array (jacobian, jvp, vjp);
    # ``x`` the variable, ``c`` a dict of the other arrays except the direction
    fn: Callable[..., Any]
    wrt: str  # the variable's name
    direction: str | None = None  # the name of v (hvp, jvp) or u (vjp) in ``data``

    @property
    def consts(self) -> dict[str, np.ndarray]:
        return {k: v for k, v in self.data.items() if k not in (self.wrt, self.direction)}


def to_vec(a: np.ndarray, out_shape: tuple[int, ...], in_shape: tuple[int, ...]) -> np.ndarray:
    """A framework's derivative array ``out_shape + in_shape`` (row-major indices) as the
    vec-convention matrix: column-major ``vec`` on both sides."""
    no, ni = len(out_shape), len(in_shape)
    a = np.asarray(a).reshape(out_shape + in_shape)
    order = list(range(no))[::-1] + list(range(no, no + ni))[::-1]
    return a.transpose(order).reshape(int(np.prod(out_shape)), int(np.prod(in_shape)))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.tanh(0.5 * z))  # no overflow for large |z|


def _block_diagonal(blocks: np.ndarray) -> np.ndarray:
    """The (p·r)×(p·c) block-diagonal matrix of ``blocks`` (p×r×c), written in one pass."""
    p, r, c = blocks.shape
    out = np.zeros((p * r, p * c))
    i = np.arange(p)
    out.reshape(p, r, p, c)[i, :, i, :] = blocks
    return out


def _pair(problem: str, size: str, tier: str, f: Any, x: Any, v: Any, args: list,
          data: dict, hess: Callable, hvp: Callable, fn: Callable,
          rng: np.random.Generator) -> list[Task]:
    """The Hessian and the Hessian-vector product of scalar ``f`` w.r.t. ``x``."""
    shape = np.shape(data[x.name])
    vdata = {**data, v.name: rng.standard_normal(shape)}
    return [Task(problem, "hessian", size, tier, lambda: mc.hessian(f, x), args, data, hess,
                 fn, x.name),
            Task(problem, "hvp", size, tier, lambda: mc.hvp(f, x, v), [*args, v], vdata, hvp,
                 fn, x.name, v.name)]


# ----------------------------------------------------------------------------------------
# Logistic regression: mean log-loss + ½‖w‖²; H = I + Xᵀ Diag(σ(1−σ)) X / m
# ----------------------------------------------------------------------------------------


def logistic(m_: int, n_: int, tier: str, seed: int = 0) -> list[Task]:
    m, n = mc.dims("m n")
    X, w, y, v = mc.matrix("X", m, n), mc.vector("w", n), mc.vector("y", m), mc.vector("v", n)
    z = X @ w
    f = mc.sum(mc.softplus(z) - y * z) / m + mc.norm(w) ** 2 / 2
    rng = np.random.default_rng(seed)
    data = dict(X=rng.standard_normal((m_, n_)) / np.sqrt(n_), w=rng.standard_normal(n_),
                y=(rng.random(m_) < 0.5).astype(float))

    def hess(X, w, y):
        s = _sigmoid(X @ w)
        Xs = np.sqrt(s * (1 - s) / X.shape[0])[:, None] * X
        H = Xs.T @ Xs  # one operand seen transposed: NumPy calls SYRK (half the flops)
        H.flat[:: H.shape[0] + 1] += 1
        return H

    def hvp(X, w, y, v):
        s = _sigmoid(X @ w)
        return v + X.T @ (s * (1 - s) * (X @ v)) / X.shape[0]

    def fn(ops, w, c):
        z = c["X"] @ w
        return (ops.softplus(z) - c["y"] * z).sum() / z.shape[0] + (w * w).sum() / 2

    return _pair("logistic regr.", f"m={m_} n={n_}", tier, f, w, v, [X, w, y], data, hess,
                 hvp, fn, rng)


# ----------------------------------------------------------------------------------------
# Quadratic forms: xᵀAx (H = A + Aᵀ) and tr(XᵀAX) w.r.t. X (H = I ⊗ (A + Aᵀ))
# ----------------------------------------------------------------------------------------


def quadratic(n_: int, tier: str, seed: int = 0) -> list[Task]:
    n = mc.dim("n")
    x, A, v = mc.vector("x", n), mc.matrix("A", n, n), mc.vector("v", n)
    rng = np.random.default_rng(seed)
    data = dict(x=rng.standard_normal(n_), A=rng.standard_normal((n_, n_)))

    def hess(x, A):
        return A + A.T

    def hvp(x, A, v):
        return A @ v + A.T @ v  # two passes over A, no n×n temporary

    def fn(ops, x, c):
        return x @ c["A"] @ x

    return _pair("xᵀAx", f"n={n_}", tier, x.T @ A @ x, x, v, [x, A], data, hess, hvp, fn,
                 rng)


def trace_form(n_: int, p_: int, tier: str, seed: int = 0) -> list[Task]:
    n, p = mc.dims("n p")
    X, A, V = mc.matrix("X", n, p), mc.matrix("A", n, n), mc.matrix("V", n, p)
    rng = np.random.default_rng(seed)
    data = dict(X=rng.standard_normal((n_, p_)), A=rng.standard_normal((n_, n_)))

    def hess(X, A):
        S = A + A.T
        return _block_diagonal(np.broadcast_to(S, (X.shape[1], *S.shape)))

    def hvp(X, A, V):
        return A @ V + A.T @ V

    def fn(ops, X, c):
        return ops.trace(X.T @ c["A"] @ X)

    return _pair("tr(XᵀAX)", f"n={n_} p={p_}", tier, mc.trace(X.T @ A @ X), X, V, [X, A],
                 data, hess, hvp, fn, rng)


# ----------------------------------------------------------------------------------------
# log det X: G = X⁻ᵀ, H[(a,b),(c,d)] = −X⁻¹[b,c] X⁻¹[d,a], a dense n²×n² Hessian
# ----------------------------------------------------------------------------------------


def logdet(n_: int, tier: str, seed: int = 0) -> list[Task]:
    n = mc.dim("n")
    X, V = mc.matrix("X", n, n), mc.matrix("V", n, n)
    rng = np.random.default_rng(seed)
    # eigenvalues within 0.5 of 2 (circular law): det X > 0, well conditioned, not symmetric
    data = dict(X=2 * np.eye(n_) + 0.5 * rng.standard_normal((n_, n_)) / np.sqrt(n_))

    def hess(X):
        Xi = np.linalg.inv(X)
        n = X.shape[0]
        return np.einsum("jk,li->jilk", Xi, -Xi).reshape(n * n, n * n)

    def hvp(X, V):
        Xi = np.linalg.inv(X)
        return -(Xi @ V @ Xi).T

    def fn(ops, X, c):
        return ops.logdet(X)

    return _pair("logdet X", f"n={n_}", tier, mc.logdet(X), X, V, [X], data, hess, hvp, fn,
                 rng)


# ----------------------------------------------------------------------------------------
# Two-layer tanh net, L = ‖W2 tanh(W1 X) − Y‖² / 2N, w.r.t. W1 (h×d): an hd×hd Hessian
# ----------------------------------------------------------------------------------------


def tanh_net(h_: int, d_: int, k_: int, N_: int, tier: str, seed: int = 0) -> list[Task]:
    h, d, k, N = mc.dims("h d k N")
    W1, W2 = mc.matrix("W1", h, d), mc.matrix("W2", k, h)
    X, Y, V = mc.matrix("X", d, N), mc.matrix("Y", k, N), mc.matrix("V", h, d)
    f = mc.norm(W2 @ mc.tanh(W1 @ X) - Y) ** 2 / (2 * N)
    rng = np.random.default_rng(seed)
    data = dict(W1=rng.standard_normal((h_, d_)) / np.sqrt(d_),
                W2=rng.standard_normal((k_, h_)) / np.sqrt(h_),
                X=rng.standard_normal((d_, N_)), Y=rng.standard_normal((k_, N_)))

    def parts(W1, W2, X, Y):
        S = np.tanh(W1 @ X)
        Sp = 1 - S * S
        Q = (W2.T @ (W2 @ S - Y)) * (-2 * S * Sp)  # residual term: (W2ᵀR) ⊙ tanh''
        return Sp, Q

    def hess(W1, W2, X, Y):
        # H = [Σₙ (xₙxₙᵀ) ⊗ (Diag(s'ₙ) W2ᵀW2 Diag(s'ₙ) + Diag(qₙ))] / N
        h, (d, N) = W1.shape[0], X.shape
        Sp, Q = parts(W1, W2, X, Y)
        P = (X[:, None, :] * Sp[None, :, :]).reshape(d * h, N)  # rows in vec(W1) order
        H = P @ P.T  # SYRK
        H4 = H.reshape(d, h, d, h)
        H4 *= (W2.T @ W2)[None, :, None, :]  # Gauss-Newton part: (W2ᵀW2)[a, c] in every
        # (b, d) block
        i = np.arange(h)
        H4[:, i, :, i] += (X[None] * Q[:, None, :]) @ X.T  # δ_ac Σₙ X[b,n] Q[a,n] X[d,n]
        H /= N
        return H

    def hvp(W1, W2, X, Y, V):
        Sp, Q = parts(W1, W2, X, Y)
        dZ = V @ X
        return ((W2.T @ (W2 @ (Sp * dZ))) * Sp + Q * dZ) @ X.T / X.shape[1]

    def fn(ops, W1, c):
        R = c["W2"] @ ops.tanh(W1 @ c["X"]) - c["Y"]
        return (R * R).sum() / (2 * R.shape[1])

    return _pair("2-layer tanh", f"{d_}/{h_}/{k_} N={N_}", tier, f, W1, V, [W1, W2, X, Y],
                 data, hess, hvp, fn, rng)


# ----------------------------------------------------------------------------------------
# Seed 003: Y = U tanh(W X + b 1ᵀ); dense Jacobian w.r.t. X (block diagonal), jvp, vjp
# ----------------------------------------------------------------------------------------


def seed003(k_: int, m_: int, n_: int, p_: int, tier: str, seed: int = 0) -> list[Task]:
    k, m, n, p = mc.dims("k m n p")
    U, W, X, b = mc.matrix("U", k, m), mc.matrix("W", m, n), mc.matrix("X", n, p), \
        mc.vector("b", m)
    V, G = mc.matrix("V", n, p), mc.matrix("G", k, p)
    Y = U @ mc.tanh(W @ X + b)
    rng = np.random.default_rng(seed)
    data = dict(U=rng.standard_normal((k_, m_)) / np.sqrt(m_),
                W=rng.standard_normal((m_, n_)) / np.sqrt(n_),
                X=rng.standard_normal((n_, p_)), b=rng.standard_normal(m_))

    def slope(U, W, X, b):
        S = np.tanh(W @ X + b[:, None])
        return 1 - S * S

    def jac(U, W, X, b):
        # J = (I ⊗ U) Diag(vec S') (I ⊗ W): block j is U Diag(S'[:, j]) W
        D = slope(U, W, X, b)
        return _block_diagonal((U[None] * D.T[:, None, :]) @ W)

    def jvp(U, W, X, b, V):
        return U @ (slope(U, W, X, b) * (W @ V))

    def vjp(U, W, X, b, G):
        return W.T @ (slope(U, W, X, b) * (U.T @ G))

    def fn(ops, X, c):
        return c["U"] @ ops.tanh(c["W"] @ X + c["b"][:, None])

    size, args = f"{k_}/{m_}/{n_} p={p_}", [U, W, X, b]
    return [Task("seed003 net", "jacobian", size, tier, lambda: mc.jacobian(Y, X), args, data,
                 jac, fn, "X"),
            Task("seed003 net", "jvp", size, tier, lambda: mc.jvp(Y, X, V), [*args, V],
                 {**data, "V": rng.standard_normal((n_, p_))}, jvp, fn, "X", "V"),
            Task("seed003 net", "vjp", size, tier, lambda: mc.vjp(Y, X, G), [*args, G],
                 {**data, "G": rng.standard_normal((k_, p_))}, vjp, fn, "X", "G")]


# ----------------------------------------------------------------------------------------
# Least squares: ½‖A w − y‖², H = AᵀA
# ----------------------------------------------------------------------------------------


def least_squares(m_: int, n_: int, tier: str, seed: int = 0) -> list[Task]:
    m, n = mc.dims("m n")
    A, w, y = mc.matrix("A", m, n), mc.vector("w", n), mc.vector("y", m)
    rng = np.random.default_rng(seed)
    data = dict(A=rng.standard_normal((m_, n_)), w=rng.standard_normal(n_),
                y=rng.standard_normal(m_))

    def hess(A, w, y):
        return A.T @ A  # SYRK

    def fn(ops, w, c):
        r = c["A"] @ w - c["y"]
        return (r * r).sum() / 2

    return [Task("least squares", "hessian", f"m={m_} n={n_}", tier,
                 lambda: mc.hessian(mc.norm(A @ w - y) ** 2 / 2, w), [A, w, y], data, hess, fn,
                 "w")]


#: Sizes by tier: (factory, tiny, medium, large argument tuples).
SIZES: list[tuple[Callable[..., list[Task]], tuple, tuple, tuple]] = [
    (logistic, (64, 8), (2000, 200), (5000, 300)),
    (quadratic, (16,), (256,), (1024,)),
    (trace_form, (4, 4), (64, 16), (128, 32)),
    (logdet, (4,), (32,), (64,)),
    (tanh_net, (4, 4, 2, 16), (16, 16, 8, 128), (24, 24, 8, 192)),
    (seed003, (4, 8, 4, 4), (16, 64, 32, 64), (32, 128, 32, 64)),
    (least_squares, (32, 8), (2000, 200), (5000, 300)),
]


def all_tasks(quick: bool = False, tiers: tuple[str, ...] | None = None) -> list[Task]:
    """Every row, problem by problem, tiny to large (``quick``: tiny and medium only)."""
    tiers = tiers or (TIERS[:2] if quick else TIERS)
    out: list[Task] = []
    for make, *sizes in SIZES:
        for tier, size in zip(TIERS, sizes):
            if tier in tiers:
                out += make(*size, tier)
    return out
