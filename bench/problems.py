"""The benchmark problems, each written once per peer.

A :class:`Problem` holds the matcalc loss (gradients come from ``mc.grad``), random data,
and the same loss and gradient written by hand in NumPy, in JAX, in PyTorch and in HIPS
autograd. Peers that are not installed are skipped by the runner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import matcalc as mc


@dataclass
class Problem:
    """One benchmark: a loss in every peer's language, at one size."""

    name: str
    size: str
    loss: Any  # matcalc expression
    wrt: list  # matcalc symbols, in gradient order
    args: list  # matcalc symbols, in call order
    data: dict[str, np.ndarray]
    numpy_loss: Callable[..., Any]
    numpy_grad: Callable[..., tuple]
    # the loss for an autodiff peer: (ops, params tuple, data tuple) -> scalar, where ``ops``
    # has ``relu`` and ``softplus`` in that framework (everything else is shared syntax)
    generic_loss: Callable[..., Any]
    tier: str  # "tiny", "medium" or "large" (which target applies)
    notes: dict = field(default_factory=dict)

    @property
    def param_names(self) -> list[str]:
        return [s.name for s in self.wrt]

    @property
    def data_names(self) -> list[str]:
        return [s.name for s in self.args if s not in self.wrt]


# ----------------------------------------------------------------------------------------
# Seed 000: single-layer ReLU net, MSE loss; gradients w.r.t. w, b and X
# ----------------------------------------------------------------------------------------


def seed000(m_: int, n_: int = 16, seed: int = 0) -> Problem:
    m, n = mc.dims("m n")
    X, w, b, y = mc.matrix("X", m, n), mc.vector("w", n), mc.scalar("b"), mc.vector("y", m)
    r = mc.relu(X @ w + b) - y
    loss = r.T @ r / m
    rng = np.random.default_rng(seed)
    data = dict(X=rng.standard_normal((m_, n_)), w=rng.standard_normal(n_), b=np.float64(0.1),
                y=rng.standard_normal(m_))

    def numpy_loss(X, w, b, y):
        r = np.maximum(X @ w + b, 0) - y
        return r @ r / X.shape[0]

    def numpy_grad(X, w, b, y):
        z = X @ w + b
        g = (2 / X.shape[0]) * (np.maximum(z, 0) - y) * (z > 0)
        return X.T @ g, g.sum(), np.outer(g, w)

    def generic_loss(ops, params, data):
        w, b, X = params
        (y,) = data
        r = ops.relu(X @ w + b) - y
        return (r * r).sum() / X.shape[0]

    tier = "tiny" if m_ <= 1000 else ("medium" if m_ <= 100_000 else "large")
    return Problem("seed000 relu", f"m={m_:.0e} n={n_}", loss, [w, b, X], [X, w, b, y], data,
                   numpy_loss, numpy_grad, generic_loss, tier)


# ----------------------------------------------------------------------------------------
# Seed 001: two-layer ReLU net, batch MSE; gradients w.r.t. W1, W2, b1, b2
# ----------------------------------------------------------------------------------------


def seed001(m0_: int, m1_: int, m2_: int, n_: int, tier: str, seed: int = 0) -> Problem:
    m0, m1, m2, n = mc.dims("m0 m1 m2 n")
    W1, W2 = mc.matrix("W1", m1, m0), mc.matrix("W2", m2, m1)
    b1, b2 = mc.vector("b1", m1), mc.vector("b2", m2)
    X, Y = mc.matrix("X", m0, n), mc.matrix("Y", m2, n)
    R = W2 @ mc.relu(W1 @ X + b1) + b2 - Y
    loss = mc.norm(R) ** 2 / n
    rng = np.random.default_rng(seed)
    data = dict(W1=rng.standard_normal((m1_, m0_)) / np.sqrt(m0_),
                W2=rng.standard_normal((m2_, m1_)) / np.sqrt(m1_),
                b1=rng.standard_normal(m1_), b2=rng.standard_normal(m2_),
                X=rng.standard_normal((m0_, n_)), Y=rng.standard_normal((m2_, n_)))

    def numpy_loss(W1, W2, b1, b2, X, Y):
        R = W2 @ np.maximum(W1 @ X + b1[:, None], 0) + b2[:, None] - Y
        return np.vdot(R, R) / X.shape[1]

    def numpy_grad(W1, W2, b1, b2, X, Y):
        # the vectorized implementation of seed 001, section 3
        n = X.shape[1]
        Z = W1 @ X + b1[:, None]
        S = np.maximum(Z, 0)
        R = W2 @ S + b2[:, None] - Y
        V = W2.T @ R
        VD = V * (Z > 0)
        return 2 / n * VD @ X.T, 2 / n * R @ S.T, 2 / n * VD.sum(1), 2 / n * R.sum(1)

    def generic_loss(ops, params, data):
        W1, W2, b1, b2 = params
        X, Y = data
        R = W2 @ ops.relu(W1 @ X + b1[:, None]) + b2[:, None] - Y
        return (R * R).sum() / X.shape[1]

    return Problem("seed001 2-layer", f"{m0_}/{m1_}/{m2_} n={n_}", loss, [W1, W2, b1, b2],
                   [W1, W2, b1, b2, X, Y], data, numpy_loss, numpy_grad, generic_loss, tier)


# ----------------------------------------------------------------------------------------
# Logistic regression: mean log-loss; gradients w.r.t. w, b
# ----------------------------------------------------------------------------------------


def logistic(m_: int = 10_000, n_: int = 1000, seed: int = 0) -> Problem:
    m, n = mc.dims("m n")
    X, w, b, y = mc.matrix("X", m, n), mc.vector("w", n), mc.scalar("b"), mc.vector("y", m)
    z = X @ w + b
    loss = mc.sum(mc.softplus(z) - y * z) / m
    rng = np.random.default_rng(seed)
    data = dict(X=rng.standard_normal((m_, n_)) / np.sqrt(n_), w=rng.standard_normal(n_),
                b=np.float64(0.1), y=(rng.random(m_) < 0.5).astype(float))

    def numpy_loss(X, w, b, y):
        z = X @ w + b
        return (np.logaddexp(0, z) - y * z).sum() / X.shape[0]

    def numpy_grad(X, w, b, y):
        z = X @ w + b
        g = (0.5 * (1 + np.tanh(0.5 * z)) - y) / X.shape[0]  # sigmoid without overflow
        return X.T @ g, g.sum()

    def generic_loss(ops, params, data):
        w, b = params
        X, y = data
        z = X @ w + b
        return (ops.softplus(z) - y * z).sum() / X.shape[0]

    return Problem("logistic regr.", f"m={m_:.0e} n={n_:.0e}", loss, [w, b], [X, w, b, y],
                   data, numpy_loss, numpy_grad, generic_loss, "large")


# ----------------------------------------------------------------------------------------
# Matrix factorization: ‖Y − U Vᵀ‖²; gradients w.r.t. U, V
# ----------------------------------------------------------------------------------------


def matfact(m_: int = 1000, n_: int = 1000, r_: int = 32, seed: int = 0) -> Problem:
    m, n, r = mc.dims("m n r")
    Y, U, V = mc.matrix("Y", m, n), mc.matrix("U", m, r), mc.matrix("V", n, r)
    loss = mc.norm(Y - U @ V.T) ** 2
    rng = np.random.default_rng(seed)
    data = dict(Y=rng.standard_normal((m_, n_)), U=rng.standard_normal((m_, r_)),
                V=rng.standard_normal((n_, r_)))

    def numpy_loss(Y, U, V):
        R = U @ V.T - Y
        return np.vdot(R, R)

    def numpy_grad(Y, U, V):
        R = U @ V.T - Y
        return 2 * R @ V, 2 * R.T @ U

    def generic_loss(ops, params, data):
        U, V = params
        (Y,) = data
        R = U @ V.T - Y
        return (R * R).sum()

    return Problem("matrix factor.", f"{m_}x{n_} r={r_}", loss, [U, V], [Y, U, V], data,
                   numpy_loss, numpy_grad, generic_loss, "large")


def all_problems(quick: bool = False) -> list[Problem]:
    """The benchmark suite (``quick``: fewer and smaller sizes)."""
    ms = [1000, 100_000] if quick else [1000, 10_000, 100_000, 1_000_000]
    out = [seed000(m) for m in ms]
    out += [seed001(32, 64, 8, 64, "tiny"), seed001(256, 256, 32, 1024, "medium")]
    if not quick:
        out.append(seed001(512, 512, 64, 4096, "large"))
    out += [logistic(), matfact()]
    return out
