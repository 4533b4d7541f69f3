"""The compact-form rules (issue 9, item 3): each one fires on its example, gives the form a
careful person writes, and keeps the value (reference interpreter at random points).

Every phase-1 rule (the ``rules_*`` modules) must have an example here, so a new rule cannot
land untested.
"""

from __future__ import annotations

import numpy as np
import pytest
import textbook_corpus as tc

import matcalc as mc
from matcalc.calculus import rulebook
from matcalc.calculus.simplifier import Simplifier
from matcalc.check.numeric import evaluate

m, n = mc.dims("m n")
x, y, u = mc.vector("x", n), mc.vector("y", n), mc.vector("u", n)
X, A, B = mc.matrix("X", n, n), mc.matrix("A", n, n), mc.matrix("B", n, n)
M = mc.matrix("M", m, n)
s = mc.scalar("s")

# rule name → (expression, its simplified form printed, positive inputs?)
EXAMPLES: dict[str, tuple[object, str, bool]] = {
    "⊙ distributed where terms cancel: σ ⊙ (1 - y) - (1 - σ) ⊙ y = σ - y": (
        lambda: mc.parse("sigmoid(x).*(1 - y) - (1 - sigmoid(x)).*y", x=x, y=y),
        "sigmoid(x) - y", False),
    "1 ⊘ (1 + exp(-v)) = sigmoid(v)": (
        lambda: mc.parse("1./(1 + exp(-x))", x=x), "sigmoid(x)", False),
    "sigmoid(-v) ⊙ exp(v) = sigmoid(v)": (
        lambda: mc.parse("exp(x)./(1 + exp(x))", x=x), "sigmoid(x)", False),
    "log(exp(z)) = z": (lambda: mc.log(mc.exp(M @ x)), "M x", False),
    "log(s x) = log(x) + log(s) 1, log(x.^k) = k log(x)": (
        lambda: mc.log(x / mc.sum(x)), "log(x) - 𝟏 log(sum(x))", True),
    "(s x).^k = s^k x.^k": (lambda: (s * x) ** -1 * u, "(u ⊘ x) / s", True),
    "a ⊙ (a.^(-1) ⊙ b + c) = b + a ⊙ c": (
        lambda: mc.exp(x) * (y / mc.exp(x) + s * mc.ones(n)), "y + s exp(x)", False),
    "(a ⊙ b)ᵀ a.^(-1) = sum(b)": (
        lambda: (mc.exp(x) * y).T @ mc.exp(x) ** -1, "sum(y)", False),
    "1×1 sub-products of a chain are scalars: A (uᵀ v) B = (uᵀ v) A B": (
        lambda: mc.ones(n) @ (x.T @ y), "𝟏 xᵀ y", False),
    "a sum leads with a positive term: -y + exp(X w) = exp(X w) - y": (
        lambda: -y + mc.exp(x), "exp(x) - y", False),
    "a negated sum turned around: -c A (y - X w) = c A (X w - y)": (
        lambda: -(M @ (x - u)) / n,
        "1/n M (u - x)", False),
    "common factor taken out through scalars: A y + s A z = A (y + s z)": (
        lambda: M @ x + s * (M @ u), "M (x + s u)", False),
    "transpose taken out of a sum: Bᵀ Xᵀ + Xᵀ Bᵀ = (X B + B X)ᵀ": (
        lambda: B.T @ X.T + X.T @ B.T, "(X B + B X)ᵀ", False),
    "a transposed sum merged into the sum around it: a + (aᵀ + b)ᵀ = 2 a + bᵀ": (
        lambda: A @ x + (x.T @ A.T + y.T).T, "2 A x + y", False),
    "like quotients combined: A x / s + B x / s = (A + B) x / s": (
        lambda: A @ x / s + B @ x / s + y, "(A + B) x / s + y", False),
    "a sum's sign matched to its negation in another term: "
    "(a − b) C + D ⊙ (b − a) = (a − b) C − D ⊙ (a − b)": (
        lambda: A @ (x - y) + u * (A @ (y - x)), "A (x - y) - u ⊙ (A (x - y))", False),
    "a minus taken out of a product's negative sum: X (-A - B) = -X (A + B)": (
        lambda: X @ (-A - B.T), "-X (A + Bᵀ)", False),
    "a 1×1 factor common to every term taken out: a / s - b / s^2 = (a - b / s) / s": (
        lambda: x / s - A @ y / s, "(x - A y) / s", False),
    "products with a common last factor merged inside a longer sum: "
    "A x + B x + s y = (A + B) x + s y": (
        lambda: A @ x + B @ x + s * y, "(A + B) x + s y", False),
    # built with ** -1, not /, which already builds the softmax (matcalc.expr.softmax_form)
    "exp(z) / sum(exp(z)) = softmax(z)": (
        lambda: mc.exp(x) * mc.sum(mc.exp(x)) ** -1, "softmax(x)", False),
    "exp(Z) ⊘ (exp(Z) 𝟏 𝟏ᵀ) = softmax(Z, axis=1)": (
        lambda: mc.exp(X) * (mc.exp(X) @ mc.ones(n, n)) ** -1 * X, "softmax(X, axis=1) ⊙ X",
        False),
    "a row times Diag(v) anywhere in a chain: u 1ᵀ Diag(v) = u vᵀ": (
        lambda: x @ mc.ones(n).T @ mc.Diag(u) @ A, "x uᵀ A", False),
    "(P Q)⁻¹ = Q⁻¹ P⁻¹ where a neighbour cancels: Q (P Q)⁻¹ = P⁻¹": (
        lambda: A.T @ mc.inv(B.T @ X.T @ A.T) @ B.T, "X⁻ᵀ", False),
    "powers of products spread where bases merge: (a b)^k a = a^(k+1) b^k": (
        lambda: (mc.norm(x) * mc.norm(y)) ** -2 * mc.norm(x), "‖x‖^(-1) ‖y‖^(-2)", False),
    "exp(b log a) ⊙ a.^k = exp((b + k) log a)": (
        lambda: mc.exp(s * mc.log(x)) * x ** -1, "x∘(s - 1)", True),  # printed as the power
    "elementwise terms over one denominator: a ⊘ d - b ⊘ d.^2 = (a ⊙ d - b) ⊘ d.^2": (
        lambda: (1 + x) ** -1 - x * (1 + x) ** -2, "(𝟏 + x)∘⁻²", True),
}


def test_every_compact_rule_has_an_example() -> None:
    missing = rulebook.rule_names(phase=1) - set(EXAMPLES)
    assert not missing, f"phase-1 rules without an example in EXAMPLES: {sorted(missing)}"


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_rule_fires_and_keeps_the_value(name: str) -> None:
    build, want, positive = EXAMPLES[name]
    e = build()  # type: ignore[operator]
    simp = Simplifier()
    out = simp(e)
    assert name in simp.used, f"{name!r} did not fire on {e}; fired: {dict(simp.used)}"
    assert out.shape == e.shape
    assert str(out) == want
    rng = np.random.default_rng(0)
    for size in (2, 3):
        values = {}
        for sym in e.free_symbols:
            r = size if sym.shape[0] != 1 else 1
            c = size if sym.shape[1] != 1 else 1
            v = rng.standard_normal((r, c))
            values[sym.name] = np.abs(v) + 0.5 if positive else v
        np.testing.assert_allclose(evaluate(out, values, {m: size, n: size}),
                                   evaluate(e, values, {m: size, n: size}), rtol=1e-10)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_simplified_form_is_a_fixed_point(name: str) -> None:
    """No two rules undo each other: simplifying again changes nothing."""
    out = mc.simplify(EXAMPLES[name][0]())  # type: ignore[operator]
    again = Simplifier()
    assert again(out) == out
    assert not again.used, f"rules fired on a simplified form: {dict(again.used)}"


def test_corpus_gradients_are_fixed_points() -> None:
    for case in tc.CASES:
        g = tc.derived(case)
        again = Simplifier()
        assert again(g) == g and not again.used, f"{case.id}: {g} → {dict(again.used)}"


@pytest.mark.parametrize("build", [
    lambda: A @ (x - y) + u * (A @ (y - x)) * (A @ (y - x)),  # quadratic in y − x
    lambda: A @ (x - y) + u * mc.exp(A @ (y - x)),  # not linear in it at all
    lambda: A @ (x - y) + u * (A @ (y - x)) * mc.exp(y - x),  # once linear, once not
], ids=["quadratic", "inside exp", "linear and inside exp"])
def test_a_sign_comes_out_only_where_the_term_is_linear_in_the_sum(build) -> None:
    # the Gaussian's Σ⁻¹ (x − μ)(x − μ)ᵀ Σ⁻¹ once lost its sign this way
    e = build()
    out = mc.simplify(e)
    rng = np.random.default_rng(5)
    values = {s.name: rng.standard_normal((3, 3) if s.shape[1] != 1 else (3, 1))
              for s in e.free_symbols}
    np.testing.assert_allclose(evaluate(out, values, {n: 3}), evaluate(e, values, {n: 3}),
                               rtol=1e-10)
