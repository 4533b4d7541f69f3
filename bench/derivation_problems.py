"""The derivation benchmark's problems, each written twice: once with matcalc, once with
SymPy matrix expressions (``MatrixSymbol``), for :mod:`bench.derivation`.

Every builder returns fresh expressions on each call, so a timed repeat cannot reuse a
previous repeat's objects.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

import matcalc as mc


@dataclass
class Built:
    """One fresh instance of a problem: the function and the variables to differentiate by."""

    f: Any
    wrt: list[Any]


@dataclass
class Case:
    """A benchmark problem.

    ``mc_build``/``sp_build`` return fresh expressions on every call (so a repeat cannot
    reuse a previous repeat's objects); ``sp_build`` is None where SymPy's matrix
    expressions cannot state the problem, with the reason in ``sp_missing``. ``jacobian``
    marks a matrix-valued ``f`` (derivative is the Jacobian, not a gradient). ``dims``
    are the concrete sizes for the numeric comparison.
    """

    name: str
    mc_build: Callable[[], Built]
    sp_build: Callable[[], Built] | None
    dims: dict[str, int]
    jacobian: bool = False
    sp_missing: str = ""
    functions: dict[str, Callable[[sp.Expr], sp.Expr]] = field(default_factory=dict)


_t = sp.Symbol("t")
#: SymPy spellings of the elementwise functions: ``applyfunc`` of a Lambda is the only
#: way SymPy's matrix expressions take an elementwise function of a symbolic-size matrix.
SP_RELU = sp.Lambda(_t, sp.Max(_t, 0))
SP_TANH = sp.Lambda(_t, sp.tanh(_t))
SP_SIGMA = sp.Function("sigma")
#: matcalc's numeric stand-in for a generic σ (see ``matcalc.numeric.default_generic``),
#: substituted into SymPy's answer before evaluation so both sides mean the same σ.
SP_SIGMA_VALUE = sp.Lambda(_t, sp.sin(_t) + sp.exp(_t / 2))


def _sp_dims(names: str) -> list[sp.Symbol]:
    return list(sp.symbols(names, integer=True, positive=True))


def mc_seed000() -> Built:
    """Seed 000: single-layer ReLU net, MSE loss; gradients w.r.t. w, b, X."""
    m, n = mc.dims("m n")
    X, w, b, y = mc.matrix("X", m, n), mc.vector("w", n), mc.scalar("b"), mc.vector("y", m)
    z = mc.let("z", X @ w + b)
    yhat = mc.let("yhat", mc.relu(z))
    return Built(mc.let("L", (yhat - y).T @ (yhat - y) / m), [w, b, X])


def sp_seed000() -> Built:
    """Seed 000 in SymPy: the scalar b broadcasts as ``b * OneMatrix(m, 1)``."""
    m, n = _sp_dims("m n")
    X, w, y = sp.MatrixSymbol("X", m, n), sp.MatrixSymbol("w", n, 1), sp.MatrixSymbol("y", m, 1)
    b = sp.Symbol("b")
    yhat = (X * w + b * sp.OneMatrix(m, 1)).applyfunc(SP_RELU)
    return Built((yhat - y).T * (yhat - y) / m, [w, b, X])


def mc_seed001() -> Built:
    """Seed 001: two-layer ReLU net, batch MSE; gradients w.r.t. W1, W2, b1, b2."""
    m0, m1, m2, n = mc.dims("m0 m1 m2 n")
    W1, W2 = mc.matrix("W1", m1, m0), mc.matrix("W2", m2, m1)
    b1, b2 = mc.vector("b1", m1), mc.vector("b2", m2)
    X, Y = mc.matrix("X", m0, n), mc.matrix("Y", m2, n)
    S = mc.let("S", mc.relu(mc.let("Z", W1 @ X + b1)))
    R = mc.let("R", W2 @ S + b2 - Y)
    return Built(mc.let("ell", mc.norm(R) ** 2 / n), [W1, W2, b1, b2])


def sp_seed001() -> Built:
    """Seed 001 in SymPy: ‖R‖² as tr(RᵀR), column broadcasts as ``b 1ᵀ``."""
    m0, m1, m2, n = _sp_dims("m0 m1 m2 n")
    W1, W2 = sp.MatrixSymbol("W1", m1, m0), sp.MatrixSymbol("W2", m2, m1)
    b1, b2 = sp.MatrixSymbol("b1", m1, 1), sp.MatrixSymbol("b2", m2, 1)
    X, Y = sp.MatrixSymbol("X", m0, n), sp.MatrixSymbol("Y", m2, n)
    S = (W1 * X + b1 * sp.OneMatrix(1, n)).applyfunc(SP_RELU)
    R = W2 * S + b2 * sp.OneMatrix(1, n) - Y
    return Built(sp.Trace(R.T * R) / n, [W1, W2, b1, b2])


def mc_seed002() -> Built:
    """Seed 002: linear regression, MSE/2; gradient w.r.t. w."""
    n, p = mc.dims("n p")
    X, w, y = mc.matrix("X", n, p), mc.vector("w", p), mc.vector("y", n)
    return Built((y - X @ w).T @ (y - X @ w) / (2 * n), [w])


def sp_seed002() -> Built:
    """Seed 002 in SymPy."""
    n, p = _sp_dims("n p")
    X, w, y = sp.MatrixSymbol("X", n, p), sp.MatrixSymbol("w", p, 1), sp.MatrixSymbol("y", n, 1)
    return Built((y - X * w).T * (y - X * w) / (2 * n), [w])


def mc_seed002_multi() -> Built:
    """Seed 002, multivariate: tr((Y − XW)ᵀ(Y − XW)) / 2n; gradient w.r.t. W."""
    n, p, k = mc.dims("n p k")
    X, W, Y = mc.matrix("X", n, p), mc.matrix("W", p, k), mc.matrix("Y", n, k)
    return Built(mc.trace((Y - X @ W).T @ (Y - X @ W)) / (2 * n), [W])


def sp_seed002_multi() -> Built:
    """Seed 002, multivariate, in SymPy."""
    n, p, k = _sp_dims("n p k")
    X, W, Y = sp.MatrixSymbol("X", n, p), sp.MatrixSymbol("W", p, k), sp.MatrixSymbol("Y", n, k)
    return Built(sp.Trace((Y - X * W).T * (Y - X * W)) / (2 * n), [W])


def _mc_seed003_net() -> tuple[Any, list[Any]]:
    m, n, p, k = mc.dims("m n p k")
    W, U = mc.matrix("W", m, n), mc.matrix("U", k, m)
    X, b, c = mc.matrix("X", n, p), mc.vector("b", m), mc.vector("c", k)
    sigma = mc.elementwise("sigma")
    return U @ sigma(W @ X + b) + c, [W, U, X, b, c]


def _sp_seed003_net() -> tuple[Any, list[Any], tuple[sp.Symbol, sp.Symbol]]:
    m, n, p, k = _sp_dims("m n p k")
    W, U = sp.MatrixSymbol("W", m, n), sp.MatrixSymbol("U", k, m)
    X = sp.MatrixSymbol("X", n, p)
    b, c = sp.MatrixSymbol("b", m, 1), sp.MatrixSymbol("c", k, 1)
    hidden = (W * X + b * sp.OneMatrix(1, p)).applyfunc(sp.Lambda(_t, SP_SIGMA(_t)))
    return U * hidden + c * sp.OneMatrix(1, p), [W, U, X, b, c], (k, p)


def mc_seed003_jac() -> Built:
    """Seed 003: Jacobian of Y = U σ(WX + b1ᵀ) + c1ᵀ w.r.t. X (σ generic)."""
    Y, (_, _, X, _, _) = _mc_seed003_net()
    return Built(Y, [X])


def sp_seed003_jac() -> Built:
    """Seed 003's Jacobian in SymPy: ``Y.diff(X)``, a 4-index array derivative."""
    Y, (_, _, X, _, _), _ = _sp_seed003_net()
    return Built(Y, [X])


def mc_seed003_readout() -> Built:
    """Seed 003: scalar readout sum(Y); gradients w.r.t. W, U, X, b, c."""
    Y, wrt = _mc_seed003_net()
    return Built(mc.sum(Y), wrt)


def sp_seed003_readout() -> Built:
    """Seed 003's readout in SymPy: sum(Y) = 1ᵀ Y 1."""
    Y, wrt, (k, p) = _sp_seed003_net()
    return Built(sp.OneMatrix(1, k) * Y * sp.OneMatrix(p, 1), wrt)


def mc_mlp(depth: int, named: bool = False) -> Built:
    """Depth-L tanh MLP, H_i = tanh(W_i H_{i-1}), H_0 = X, loss ‖H_L − Y‖² / B.

    ``named`` wraps each layer in ``mc.let`` (as the seeds do); plain nesting is the harder
    case for the engine, since every layer's expression contains all the layers below it.
    """
    n, batch = mc.dims("n B")
    X, Y = mc.matrix("X", n, batch), mc.matrix("Y", n, batch)
    Ws = [mc.matrix(f"W{i}", n, n) for i in range(1, depth + 1)]
    h = X
    for i, W in enumerate(Ws, start=1):
        h = mc.tanh(W @ h)
        if named:
            h = mc.let(f"H{i}", h)
    return Built(mc.norm(h - Y) ** 2 / batch, Ws)


def sp_mlp(depth: int) -> Built:
    """The depth-L tanh MLP in SymPy (‖·‖² as a trace).

    SymPy 1.14 raises for every weight whichever way the loss is spelled (tr(RᵀR),
    1ᵀ(R⊙R)1, tr(11ᵀ(R⊙R)), a vector input with a 1×1 loss): the table reports that.
    """
    n, batch = _sp_dims("n B")
    X, Y = sp.MatrixSymbol("X", n, batch), sp.MatrixSymbol("Y", n, batch)
    Ws = [sp.MatrixSymbol(f"W{i}", n, n) for i in range(1, depth + 1)]
    h: Any = X
    for W in Ws:
        h = (W * h).applyfunc(SP_TANH)
    return Built(sp.Trace((h - Y).T * (h - Y)) / batch, Ws)


SEEDS: list[Case] = [
    Case("seed000 (w, b, X)", mc_seed000, sp_seed000, {"m": 4, "n": 3}),
    Case("seed001 (W1, W2, b1, b2)", mc_seed001, sp_seed001,
         {"m0": 3, "m1": 4, "m2": 2, "n": 3}),
    Case("seed002 (w)", mc_seed002, sp_seed002, {"n": 4, "p": 3}),
    Case("seed002 multivariate (W)", mc_seed002_multi, sp_seed002_multi,
         {"n": 4, "p": 3, "k": 2}),
    Case("seed003 Jacobian dY/dX", mc_seed003_jac, sp_seed003_jac,
         {"m": 3, "n": 2, "p": 2, "k": 2}, jacobian=True,
         functions={"sigma": SP_SIGMA_VALUE}),
    Case("seed003 sum(Y) (W, U, X, b, c)", mc_seed003_readout, sp_seed003_readout,
         {"m": 3, "n": 2, "p": 2, "k": 2}, functions={"sigma": SP_SIGMA_VALUE}),
]
