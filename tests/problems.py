"""The seed problems, built with the public API (shared by several test modules)."""

from __future__ import annotations

from dataclasses import dataclass

import matcalc as mc


@dataclass
class Problem:
    f: object
    wrt: list
    dims: dict
    extra: dict


def seed000() -> Problem:
    """Single-layer ReLU net, MSE loss (seed 000)."""
    m, n = mc.dims("m n")
    X, w, b, y = mc.matrix("X", m, n), mc.vector("w", n), mc.scalar("b"), mc.vector("y", m)
    z = mc.let("z", X @ w + b)
    yhat = mc.let("yhat", mc.relu(z))
    L = mc.let("L", (yhat - y).T @ (yhat - y) / m)
    return Problem(L, [w, b, X], {m: 3, n: 2}, dict(z=z, yhat=yhat, y=y, m=m, n=n))


def seed001() -> Problem:
    """Two-layer ReLU net, batch MSE (seed 001)."""
    m0, m1, m2, n = mc.dims("m0 m1 m2 n")
    W1, W2 = mc.matrix("W1", m1, m0), mc.matrix("W2", m2, m1)
    b1, b2 = mc.vector("b1", m1), mc.vector("b2", m2)
    X, Y = mc.matrix("X", m0, n), mc.matrix("Y", m2, n)
    Z = mc.let("Z", W1 @ X + b1)
    S = mc.let("S", mc.relu(Z))
    R = mc.let("R", W2 @ S + b2 - Y)
    ell = mc.let("ell", mc.norm(R) ** 2 / n)
    return Problem(ell, [W1, W2, b1, b2], {m0: 2, m1: 2, m2: 2, n: 2},
                   dict(Z=Z, S=S, R=R, X=X, Y=Y, n=n))


def canon(e) -> str:
    """A text key equal for expressions equal up to the order of ⊙ factors and + terms."""
    from matcalc.expr.nodes import Add, Expr, Hadamard, children, field_names

    if isinstance(e, (Add, Hadamard)):
        return f"{type(e).__name__}[{','.join(sorted(canon(c) for c in children(e)))}]"
    parts = []
    for name in field_names(type(e)):
        v = getattr(e, name)
        if isinstance(v, Expr):
            parts.append(canon(v))
        elif isinstance(v, tuple):
            parts.append("(" + ",".join(canon(x) for x in v) + ")")
        else:
            parts.append(repr(v))
    return f"{type(e).__name__}[{','.join(parts)}]"
