"""Dims, symbols, construction with broadcasting, and the shape errors of every operator."""

from __future__ import annotations

import pytest

import matcalc as mc

m, n, p = mc.dims("m n p")
X, A = mc.matrix("X", m, n), mc.matrix("A", n, n)
w, y, b = mc.vector("w", n), mc.vector("y", m), mc.scalar("b")


def test_dims():
    assert mc.dims("m") == (m,)
    assert mc.dim("m") == m
    assert str(m) == "m"
    assert m * n == n * m
    assert mc.vec(X).shape == (m * n, 1)
    assert mc.kron(X, A).shape == (m * n, n * n)
    assert mc.matrix("Q", 3, 2).shape == (3, 2)
    with pytest.raises(ValueError):
        mc.dims("")
    with pytest.raises(ValueError):
        mc.dim("not a name")


def test_dim_as_scalar():
    assert str(X / m) == "1/m X"
    assert str(2 / n * X) == "2/n X"
    assert (2 / n * X).shape == X.shape


def test_symbols_equality_and_names():
    assert mc.vector("x", n) == mc.matrix("x", n, 1)
    assert hash(mc.vector("x", n)) == hash(mc.matrix("x", n, 1))
    assert mc.vector("x", n) != mc.vector("x", m)
    assert X.name == "X" and X.shape == (m, n)
    assert (X @ w).free_symbols == {X, w}
    for bad in ["lambda", "1x", "a b", "x;import os", "", "é"]:
        with pytest.raises(ValueError):
            mc.matrix(bad, m, n)


def test_expressions_are_immutable_and_structural():
    e1, e2 = X @ w + b, X @ w + b
    assert e1 == e2 and hash(e1) == hash(e2)
    assert {e1: 1}[e2] == 1
    with pytest.raises(AttributeError):
        e1.terms = ()  # type: ignore[misc]
    assert (X.T).T == X.T.T


def test_broadcasting_is_recorded_with_ones():
    assert str(X @ w + b) == "X w + 𝟏 b"
    W, b1 = mc.matrix("W", m, n), mc.vector("b1", m)
    assert str(W + b1) == "W + b1 𝟏ᵀ"
    r = mc.matrix("r", 1, n)
    assert str(W + r) == "W + 𝟏 r"
    assert str(W + b) == "W + b 𝟏 𝟏ᵀ"
    assert (W + 1).shape == W.shape
    assert (W * b1).shape == W.shape


def test_operators():
    assert str(-X) == "-X"
    assert str(X - 2 * X) == "X - 2 X"
    assert str(X * X) == "X ⊙ X"
    assert str(X ** 2) == "X∘²"
    assert str(X / mc.norm(X)) == "X / ‖X‖"
    assert str(mc.inv(A).T) == "A⁻ᵀ"
    assert mc.trace(A).shape == (1, 1)
    assert mc.tr is mc.trace
    assert mc.frob(X, X).shape == (1, 1)
    sigma = mc.elementwise("sigma")
    assert str(sigma(X)) == "sigma(X)"


# (operator, thunk, fragments the message must contain)
SHAPE_ERRORS = [
    ("@", lambda: X @ w.T, ["cannot multiply", "X (m×n)", "wᵀ (1×n)", "n ≠ 1"]),
    ("+", lambda: X + A, ["cannot add", "X (m×n)", "A (n×n)"]),
    ("-", lambda: X - A, ["cannot subtract", "X (m×n)", "A (n×n)"]),
    ("*", lambda: X * A, ["multiply elementwise", "X (m×n)", "A (n×n)"]),
    ("/", lambda: X / A, ["divide elementwise", "X (m×n)", "A (n×n)"]),
    ("hadamard", lambda: mc.hadamard(X, A), ["Hadamard", "X (m×n)", "A (n×n)"]),
    ("frob", lambda: mc.frob(X, A), ["Frobenius", "X (m×n)", "A (n×n)"]),
    ("trace", lambda: mc.trace(X), ["square", "X (m×n)"]),
    ("inv", lambda: mc.inv(X), ["square", "X (m×n)"]),
    ("det", lambda: mc.det(X), ["square", "X (m×n)"]),
    ("logdet", lambda: mc.logdet(X), ["square", "X (m×n)"]),
    ("diag", lambda: mc.diag(X), ["square", "X (m×n)"]),
    ("Diag", lambda: mc.Diag(X), ["column vector", "X (m×n)"]),
]


@pytest.mark.parametrize("op, thunk, fragments", SHAPE_ERRORS, ids=[s[0] for s in SHAPE_ERRORS])
def test_shape_errors_name_operator_operands_and_shapes(op, thunk, fragments):
    with pytest.raises(mc.ShapeError) as info:
        thunk()
    assert isinstance(info.value, ValueError)
    for frag in fragments:
        assert frag in str(info.value)


def test_grad_of_non_scalar_points_to_jacobian():
    with pytest.raises(mc.ShapeError, match=r"mc\.jacobian"):
        mc.grad(X @ w, w)


def test_grad_wrt_a_non_symbol():
    with pytest.raises(TypeError):
        mc.grad(mc.sum(X), X.T)


def test_grad_of_an_absent_variable_is_zero():
    g = mc.grad(mc.sum(w), X)
    assert g == mc.zeros(m, n)


def test_bad_operands():
    with pytest.raises(TypeError):
        X @ 2  # noqa: B018
    with pytest.raises(TypeError):
        X + "a"  # noqa: B018
    with pytest.raises(ZeroDivisionError):
        X / 0  # noqa: B018
    assert (X == X.T) is False  # == is structural identity and returns a bool
    with pytest.raises(TypeError):
        bool(X)  # an expression has no truth value
