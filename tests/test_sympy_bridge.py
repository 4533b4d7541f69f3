"""The SymPy bridge: every node's explicit matrix, the exact zero test, check_grad."""

from __future__ import annotations

import numpy as np
import pytest
import sympy
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from test_numeric import _random_loss

import matcalc as mc
from matcalc.check import sympy_exact
from matcalc.check.numeric import evaluate, random_point
from matcalc.check.sympy_bridge import (
    _rule,
    generic_function,
    resolve_dims,
    symbol_matrix,
    to_sympy,
)
from matcalc.check.sympy_exact import _concrete_generic, is_zero, sympy_grad
from matcalc.expr import nodes

m, n, p = mc.dims("m n p")
X = mc.matrix("X", m, n)
A = mc.matrix("A", n, n)
B = mc.matrix("B", m, p)
w = mc.vector("w", n)
y = mc.vector("y", m)
b = mc.scalar("b")
sigma = mc.elementwise("sigma")
DIMS = {m: 3, n: 2, p: 2}


def test_every_node_type_has_a_rule() -> None:
    missing = [t.__name__ for t in nodes.NODE_TYPES if t not in _rule.registry]
    assert not missing, f"to_sympy has no rule for {missing}"


def test_symbol_naming_follows_the_declared_shape() -> None:
    assert to_sympy(X, DIMS)[0, 1] == sympy.Symbol("X_0_1", real=True)
    assert to_sympy(w, DIMS)[1, 0] == sympy.Symbol("w_1", real=True)
    assert to_sympy(b, DIMS)[0, 0] == sympy.Symbol("b", real=True)
    # A vector of length 1 is still a vector: its name does not change with the dims.
    assert to_sympy(w, {n: 1})[0, 0] == sympy.Symbol("w_0", real=True)
    assert to_sympy(mc.matrix("r", 1, n), DIMS)[0, 1] == sympy.Symbol("r_1", real=True)
    assert isinstance(to_sympy(X, DIMS), sympy.Matrix)


def test_dims_by_name_or_dim_and_missing_dims() -> None:
    assert to_sympy(X, {"m": 2, "n": 3}).shape == (2, 3)
    assert to_sympy(X, {m: 2, n: 3}).shape == (2, 3)
    assert resolve_dims({m: 2, "n": 3}) == {"m": 2, "n": 3}
    with pytest.raises(ValueError, match="n"):
        to_sympy(X, {m: 2})
    with pytest.raises(ValueError):
        to_sympy(X, {m: 0, n: 1})


def test_broadcast_sum_and_dim_coefficients() -> None:
    e = 2 / m * (X @ w + b)
    got = to_sympy(e, DIMS)
    xs, ws = symbol_matrix("X", X.shape, resolve_dims(DIMS)), to_sympy(w, DIMS)
    bs = sympy.Symbol("b", real=True)
    want = (xs * ws + sympy.ones(3, 1) * bs) * sympy.Rational(2, 3)
    assert (got - want).expand() == sympy.zeros(3, 1)


def test_commutation_vec_unvec_kron_exactly() -> None:
    d = {m: 2, n: 3}
    xs = to_sympy(X, d)
    K = to_sympy(nodes.Commutation(m, n), d)
    assert K * to_sympy(mc.vec(X), d) == to_sympy(mc.vec(X.T), d)
    assert to_sympy(mc.vec(X), d).T == sympy.Matrix([[xs[0, 0], xs[1, 0], xs[0, 1], xs[1, 1],
                                                      xs[0, 2], xs[1, 2]]])
    assert to_sympy(nodes.Unvec(mc.vec(X), m, n), d) == xs
    C = mc.matrix("C", 2, 2)
    kr = to_sympy(mc.kron(X, C), d)
    cs = to_sympy(C, d)
    assert kr.shape == (4, 6)
    assert kr[3, 4] == xs[1, 2] * cs[1, 0]  # block (1, 2), entry (1, 0)


def test_inverse_det_logdet_trace_norm_frob() -> None:
    d = {n: 3}
    As = to_sympy(A, d)
    inv = to_sympy(mc.inv(A), d)
    assert (inv * As).applyfunc(sympy.cancel) == sympy.eye(3)
    assert sympy.expand(to_sympy(mc.det(A), d)[0, 0] - As.det()) == 0
    assert to_sympy(mc.logdet(A), d)[0, 0] == sympy.log(to_sympy(mc.det(A), d)[0, 0])
    assert to_sympy(mc.trace(A), d)[0, 0] == As[0, 0] + As[1, 1] + As[2, 2]
    ws = to_sympy(w, d)
    assert to_sympy(mc.norm(w), d)[0, 0] == sympy.sqrt(sum(v**2 for v in ws))
    assert to_sympy(mc.frob(A, A), d)[0, 0] == sum(v**2 for v in As)


def test_delta_and_let() -> None:
    z = mc.let("z", X @ w)
    assert to_sympy(z, DIMS) == to_sympy(X @ w, DIMS)
    assert to_sympy(nodes.Delta(X), DIMS)[2, 1] == sympy.Symbol("dX_2_1", real=True)
    assert to_sympy(nodes.Delta(z), DIMS)[0, 0] == sympy.Symbol("dz_0", real=True)


def test_generic_function_chain_rule_gives_named_derivatives() -> None:
    d = {m: 2, n: 2}
    g = sympy_grad(mc.sum(sigma(X @ w)), w, d)
    s1 = generic_function("sigma", 1)
    xs, ws = to_sympy(X, d), to_sympy(w, d)
    z0 = xs[0, 0] * ws[0] + xs[0, 1] * ws[1]
    z1 = xs[1, 0] * ws[0] + xs[1, 1] * ws[1]
    assert sympy.expand(g[0, 0] - (xs[0, 0] * s1(z0) + xs[1, 0] * s1(z1))) == 0
    assert str(generic_function("sigma", 2)(ws[0])) == "sigma''(w_0)"
    assert to_sympy(nodes.Apply("sigma", w, 1), d)[0, 0] == s1(ws[0])


# Every node type, evaluated two independent ways: SymPy entries at a point vs NumPy.
EXPRS = [
    X @ w + b, 2 / m * X.T @ y, X * X, mc.hadamard(X, X) ** 3, X / (X * X + 1),
    mc.Diag(y) @ X, mc.diag(A), mc.vec(X), mc.kron(A, w), mc.trace(A @ A.T),
    mc.inv(A) @ w, mc.det(A) * mc.logdet(A @ A.T), mc.sum(mc.exp(X)), mc.norm(X - 1),
    mc.frob(X, X @ A), b * X, mc.sigmoid(X) + mc.tanh(X) + mc.softplus(X) + mc.sin(X),
    mc.cos(X) + mc.relu(X) + mc.step(X) + mc.abs(X) + mc.sign(X), mc.sqrt(X * X + 1),
    mc.log(X * X + 1), mc.arctan(X), nodes.Unvec(mc.vec(X), n, m),
    nodes.Commutation(m, n) @ mc.vec(X), mc.ones(m, n) + mc.eye(m) @ mc.zeros(m, n),
    sigma(X), nodes.Apply("sigma", X, 2), mc.let("z", X @ w) * 3,
]


@pytest.mark.parametrize("e", EXPRS, ids=[str(e) for e in EXPRS])
def test_to_sympy_agrees_with_the_numpy_reference(e: mc.Expr) -> None:
    d = resolve_dims(DIMS)
    point = random_point(e, d, rng=7)
    subs = {}
    for s, v in point.items():
        sm = symbol_matrix(s.name, s.shape, d)
        subs.update({sym: sympy.Float(val, 30) for sym, val in zip(sm, v.reshape(sm.shape).flat)})
    got = to_sympy(e, d)
    num = np.array(got.applyfunc(lambda a: _concrete_generic(a).xreplace(subs).evalf(20)),
                   dtype=float)
    np.testing.assert_allclose(num, evaluate(e, point, d), rtol=1e-10, atol=1e-12)


def test_is_zero_decides_identities_and_refutes_non_identities() -> None:
    x, y_ = sympy.symbols("x y", real=True)
    s = 1 / (1 + sympy.exp(-x))
    assert is_zero(sympy.diff(s, x) - s * (1 - s))
    assert is_zero((x + y_) ** 2 - x**2 - 2 * x * y_ - y_**2)
    assert is_zero(x / (x * y_ + x) - 1 / (y_ + 1))
    assert not is_zero(sympy.diff(s, x) - s * (1 + s))
    assert not is_zero(x - y_)
    # A difference only a generic σ can show (σ′ ≠ σ in general) is refuted, not "unknown".
    s0, s1 = generic_function("sigma", 0), generic_function("sigma", 1)
    assert not is_zero(s1(x) - s0(x))
    assert is_zero(sympy.diff(s0(x * y_), x) - y_ * s1(x * y_))


def test_to_sympy_is_fast_on_shared_subexpressions() -> None:
    # A chain that doubles its tree at every level: without the memo this is 2**20 visits.
    e = X
    for _ in range(20):
        e = nodes.Add((e, e))  # the node itself: the + operator would flatten the terms
    assert to_sympy(e, {m: 2, n: 2})[0, 0] == 2**20 * sympy.Symbol("X_0_0", real=True)


# check_grad: mc.grad against SymPy, exactly, at small dims, over every node type.
C, Bm = mc.matrix("C", n, n), mc.matrix("Bm", n, n)
c = mc.scalar("c")
GRAD_CASES = [
    (mc.sum((mc.relu(X @ w + b) - y) ** 2) / m, [X, w, b]),
    (w.T @ A @ w, [w, A]),
    (mc.trace(A @ C @ A.T), [A, C]),
    (mc.logdet(A), [A]),
    (mc.det(A), [A]),
    (mc.trace(mc.inv(A) @ C), [A, C]),
    (mc.norm(X @ w - y), [X, w, y]),
    (mc.sum(mc.sigmoid(X @ w)), [X, w]),
    (mc.sum(mc.softplus(X @ w)), [w]),
    (mc.sum(mc.tanh(X) * X), [X]),
    (mc.sum(sigma(X @ w + b)), [X, w, b]),
    (mc.sum(sigma(sigma(X @ w))), [w]),
    (mc.frob(X, X @ A), [X, A]),
    (mc.sum(mc.Diag(w) @ A) + mc.sum(mc.diag(A) * w), [A, w]),
    (mc.sum(mc.kron(A, C) @ mc.vec(A)) + mc.sum(mc.kron(A, w)), [A, C, w]),
    (y.T @ nodes.Unvec(mc.vec(X) * 2, m, n) @ w, [X, w]),
    (mc.sum(nodes.Commutation(m, n) @ mc.vec(X) * mc.vec(X.T)), [X]),
    (b * c * mc.sum(X) + b**2, [b, c, X]),
    (mc.sum(mc.exp(X) / (X * X + 1) + mc.log(X * X + 1) + mc.sqrt(X * X + 1)), [X]),
    (mc.sum(mc.sin(X) * mc.cos(X) + mc.abs(X) + mc.arctan(X)), [X]),
    (2 / m * mc.sum(X @ w) ** 2 + mc.sum(X @ w) * mc.trace(A), [X, w, A]),
    (mc.det(A) * mc.logdet(Bm @ Bm.T), [A, Bm]),
    (mc.sum(mc.let("z", X @ w) ** 3), [X, w]),
]


@pytest.mark.parametrize("f, xs", GRAD_CASES, ids=[str(c[0]) for c in GRAD_CASES])
def test_check_grad_agrees_with_sympy(f: mc.Expr, xs: list) -> None:
    r = mc.check_grad(f, xs, {m: 3, n: 2})
    assert r, str(r)
    assert "OK" in str(r) and len(r.parts) == len(xs)


@pytest.mark.slow
def test_check_grad_inverse_of_a_product() -> None:
    assert mc.check_grad(mc.sum(mc.inv(A @ A.T + mc.eye(n))), A, {n: 2})


def test_check_grad_reports_a_wrong_gradient(monkeypatch: pytest.MonkeyPatch) -> None:
    f = mc.sum((mc.relu(X @ w + b) - y) ** 2) / m
    good, real = mc.grad(f, w), mc.grad
    assert mc.check_grad(f, w, {m: 2, n: 2})
    monkeypatch.setattr(sympy_exact, "grad",
                        lambda f_, x_: 2 * real(f_, x_) if x_ == w else real(f_, x_))
    r = mc.check_grad(f, [X, w], {m: 2, n: 2})
    assert not r and r.parts[0] and not r.parts[1]
    assert "DIFFERS" in str(r) and "SymPy gives" in str(r) and "entry (0, 0)" in str(r)
    monkeypatch.setattr(sympy_exact, "grad", lambda f_, x_: good.T)
    r = mc.check_grad(f, w, {m: 2, n: 2})
    assert not r and "shape" in str(r)


# Random expressions (the generator of test_numeric): two interpreters, and exact gradients.


def _point_subs(e: mc.Expr, d: dict, seed: int) -> tuple[dict, dict]:
    point = random_point(e, d, rng=seed)
    subs = {}
    for s, v in point.items():
        sm = symbol_matrix(s.name, s.shape, resolve_dims(d))
        subs.update({sym: sympy.Float(val, 30) for sym, val in zip(sm, v.reshape(sm.shape).flat)})
    return point, subs


def _inverse_nesting(e: mc.Expr) -> int:
    """How deeply inverses and determinants nest in ``e``."""
    inner = max((_inverse_nesting(c) for c in nodes.children(e)), default=0)
    return inner + isinstance(e, (nodes.Inverse, nodes.Det, nodes.LogDet))


def _exact_friendly_loss(seed: int) -> mc.Expr:
    # An inverse of an inverse written out entry by entry is a rational function whose
    # size explodes with the nesting; exact checks take one level, numbers take the rest.
    f = _random_loss(seed)
    assume(_inverse_nesting(f) <= 1)
    return f


@given(st.integers(0, 10**6))
@settings(max_examples=40, deadline=None, derandomize=True)
def test_random_expressions_two_interpreters_agree(seed: int) -> None:
    f = _exact_friendly_loss(seed)
    d = {m: 3, n: 2}
    point, subs = _point_subs(f, d, seed)
    exact = _concrete_generic(to_sympy(f, d)[0, 0]).xreplace(subs).evalf(30)
    assert float(exact) == pytest.approx(evaluate(f, point, d)[0, 0], rel=1e-9, abs=1e-12)


@pytest.mark.slow
@given(st.integers(0, 10**6))
@settings(max_examples=15, deadline=None, derandomize=True)
def test_random_expressions_check_grad_exactly(seed: int) -> None:
    f = _exact_friendly_loss(seed)
    xs = sorted(f.free_symbols, key=lambda s: s.name)
    r = mc.check_grad(f, xs, {m: 2, n: 2})
    assert r, f"f = {f}\n{r}"


@pytest.mark.parametrize("dims", [{m: 1, n: 1}, {m: 2, n: 2}], ids=["1x1", "2x2"])
def test_check_grad_decides_identities_with_abs_and_sign(dims: dict) -> None:
    # mc.grad writes A/‖A‖ where SymPy writes sign(a) at 1×1 (sqrt(a²) = |a|), and
    # 2|A| ⊙ sign(A) where SymPy writes 2A: equal away from 0, decided as x/|x|.
    A, a, r = mc.matrix("A", m, n), mc.scalar("a"), mc.vector("r", n)
    assert mc.check_grad(mc.norm(A), A, dims)
    assert mc.check_grad(mc.norm(a * r), a, dims)
    assert mc.check_grad(mc.sum(mc.abs(A) ** 2), A, dims)
    x = sympy.Symbol("x", real=True)
    assert not is_zero(sympy.sign(x) - 1)
    assert not is_zero(sympy.Abs(x) - x)
