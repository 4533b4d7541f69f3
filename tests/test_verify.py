"""mc.verify on the seeds' own mistakes, and on claims that are right."""

from __future__ import annotations

import pytest
import sympy

import matcalc as mc

m, n, p, k = mc.dims("m n p k")


# ----------------------------------------------------------------------------------------
# Seed 000: single-layer ReLU network, L = (ŷ − y)ᵀ(ŷ − y)/m
# ----------------------------------------------------------------------------------------

X, w, b, y = mc.matrix("X", m, n), mc.vector("w", n), mc.scalar("b"), mc.vector("y", m)
z = mc.let("z", X @ w + b)
yhat = mc.let("yhat", mc.relu(z))
L = (yhat - y).T @ (yhat - y) / m
H = mc.let("H", mc.Diag(mc.step(z)))


def test_seed000_accepted_answer_is_correct() -> None:
    # ∂L/∂X = 2/m H(ŷ − y)wᵀ, ∂L/∂w and ∂L/∂b likewise (H = Diag(step(z))).
    r = mc.verify(L, X, 2 / m * H @ (yhat - y) @ w.T)
    assert r and r.ok and r.kind == "ok", str(r)
    assert "exactly" in r.message and "numerically" in r.message
    assert mc.verify(L, w, 2 / m * X.T @ H @ (yhat - y))
    assert mc.verify(L, b, 2 / m * mc.ones(m).T @ H @ (yhat - y))


def test_seed000_question_dX_is_the_transpose() -> None:
    # The question's last formula: ∂L/∂X = W · 2/|Y| (Ŷ − Y)ᵀ Diag(...): n×m for an m×n X.
    claim = w @ (2 / m * (yhat - y).T) @ H
    r = mc.verify(L, X, claim)
    assert not r and r.kind == "transpose"
    assert "wrong shape" in r.message and "n×m" in r.message and "m×n" in r.message
    assert "transpose of the gradient" in r.message
    assert r.claimed == claim


def test_seed000_question_first_dX_cannot_be_built() -> None:
    # 2/|Y| (Ŷ − Y)ᵀ Diag(...) W: (1×m)(m×m)(n×1) has mismatched inner dimensions.
    with pytest.raises(mc.ShapeError, match=r"inner dimensions m ≠ n"):
        2 / m * (yhat - y).T @ H @ w


def test_seed000_missing_relu_derivative_gives_a_counterexample() -> None:
    r = mc.verify(L, X, 2 / m * (yhat - y) @ w.T)
    assert not r and r.kind == "value"
    msg = r.message
    assert "Counterexample at m=3, n=2" in msg
    for name in ("X =", "w =", "b =", "y =", "claimed =", "true    =", "largest difference"):
        assert name in msg, msg


# ----------------------------------------------------------------------------------------
# Seed 002: linear regression, MSE = 1/(2n) ‖y − Xw‖²
# ----------------------------------------------------------------------------------------

A_, v, t = mc.matrix("A", n, p), mc.vector("v", p), mc.vector("t", n)
MSE = 1 / (2 * n) * (t - A_ @ v).T @ (t - A_ @ v)


def test_seed002_answer_has_the_sign_reversed() -> None:
    r = mc.verify(MSE, v, 1 / n * A_.T @ (t - A_ @ v))
    assert not r and r.kind == "sign" and r.factor == -1
    assert "wrong sign" in r.message and "exactly" in r.message
    assert mc.verify(MSE, v, -1 / n * A_.T @ (t - A_ @ v))  # the fix


def test_seed002_multivariate_missing_square() -> None:
    W, Y = mc.matrix("W", p, k), mc.matrix("Y", n, k)
    E = Y - A_ @ W
    claim = 1 / n * A_.T @ (Y - A_ @ W)
    # As written in the answer, MSE = 1/(2n) ‖E‖_F: the claim is proportional to the true
    # gradient −XᵀE/(2n‖E‖) at each point, by a factor that varies with the point.
    r = mc.verify(1 / (2 * n) * mc.norm(E), W, claim)
    assert not r and r.kind == "varying factor"
    assert "changes from point to point" in r.message and "square" in r.message
    # With the square restored, the only mistake left is the sign.
    assert mc.verify(1 / (2 * n) * mc.norm(E) ** 2, W, claim).kind == "sign"
    assert mc.verify(1 / (2 * n) * mc.trace(E.T @ E), W, -claim)


# ----------------------------------------------------------------------------------------
# Seed 003: Y = U σ(W X + b1ᵀ) + c1ᵀ; the answer's dY = (US′) ⊙ (W dX)
# ----------------------------------------------------------------------------------------


def test_seed003_hadamard_of_different_shapes_names_both_operands() -> None:
    U, W3, X3 = mc.matrix("U", k, m), mc.matrix("W", m, n), mc.matrix("X", n, p)
    Sp = mc.step(W3 @ X3)
    with pytest.raises(mc.ShapeError) as err:
        mc.hadamard(U @ Sp, W3 @ X3)
    msg = str(err.value)
    assert "U step(W X) (k×p)" in msg and "W X (m×p)" in msg and "Hadamard" in msg
    with pytest.raises(mc.ShapeError, match=r"U step\(W X\) \(k×p\).*W X \(m×p\)"):
        (U @ Sp) * (W3 @ X3)


def test_seed003_hadamard_claim_with_square_U_is_wrong() -> None:
    # With U square the answer's form can be built, and its gradient is then simply wrong:
    # for f = G : Y, the truth is Wᵀ(S′ ⊙ UᵀG); the answer's dY gives Wᵀ((US′) ⊙ G).
    U, W3, X3, G = (mc.matrix("U", m, m), mc.matrix("W", m, n), mc.matrix("X", n, p),
                    mc.matrix("G", m, p))
    f = mc.frob(G, U @ mc.tanh(W3 @ X3))
    Sp = 1 - mc.tanh(W3 @ X3) ** 2
    assert mc.verify(f, X3, W3.T @ (Sp * (U.T @ G)))
    r = mc.verify(f, X3, W3.T @ ((U @ Sp) * G))
    assert not r and r.kind == "value" and "Counterexample" in r.message


# ----------------------------------------------------------------------------------------
# Factors, transposes, shapes, generic σ, options
# ----------------------------------------------------------------------------------------


def test_constant_and_dim_factors_are_named() -> None:
    good = 2 / m * H @ (yhat - y) @ w.T
    half = mc.verify(L, X, 1 / m * H @ (yhat - y) @ w.T)
    assert half.kind == "factor" and half.factor == sympy.Rational(1, 2)
    assert "half its value" in half.message
    twice = mc.verify(L, X, 2 * good)
    assert twice.kind == "factor" and twice.factor == 2 and "twice its value" in twice.message
    no_mean = mc.verify(L, X, 2 * H @ (yhat - y) @ w.T)
    assert no_mean.kind == "factor" and "a factor 1/m is missing" in no_mean.message


def test_square_variable_transposed_claim() -> None:
    A, B = mc.matrix("A", n, n), mc.matrix("B", n, n)
    assert mc.verify(mc.trace(A @ B), A, B.T)
    r = mc.verify(mc.trace(A @ B), A, B)
    assert not r and r.kind == "transpose" and "transpose" in r.message


def test_wrong_shapes_never_raise() -> None:
    r = mc.verify(L, X, mc.ones(m))
    assert not r and r.kind == "shape" and "m×1" in r.message and "m×n" in r.message
    r = mc.verify(L, w, 2 / m * X.T @ H @ (yhat - y) * 3)  # 3 times, and then transposed:
    assert not r.ok
    r = mc.verify(L, w, (2 / m * X.T @ H @ (yhat - y)).T * 3)
    assert r.kind == "shape" and "Transposed, it would still be wrong" in r.message
    assert "3 times" in r.message


def test_claims_undefined_at_every_point_are_reported_not_raised() -> None:
    r = mc.verify(L, w, mc.log(-mc.exp(w)))
    assert not r and r.kind == "value"


def test_generic_elementwise_function() -> None:
    sigma = mc.elementwise("sigma")
    f = mc.sum(sigma(X @ w))
    assert mc.verify(f, w, X.T @ sigma.prime(X @ w))
    r = mc.verify(f, w, X.T @ sigma(X @ w))
    assert not r and r.kind == "value"


def test_given_dims_and_several_variables() -> None:
    r = mc.verify(L, X, 2 / m * H @ (yhat - y) @ w.T, dims={m: 2, n: 3})
    assert r and "m=2, n=3" in r.message
    rs = mc.verify(L, [w, b], [2 / m * X.T @ H @ (yhat - y), 2 / m * mc.sum(H @ (yhat - y))])
    assert rs and len(rs.parts) == 2
    rs = mc.verify(L, [w, b], [2 / m * X.T @ H @ (yhat - y), mc.sum(H @ (yhat - y))])
    assert not rs and [bool(p) for p in rs.parts] == [True, False]


def test_non_scalar_f_is_the_callers_problem() -> None:
    with pytest.raises(mc.ShapeError, match="jacobian"):
        mc.verify(X @ w, w, X)


def test_report_shows_claimed_and_true() -> None:
    claim = 2 / m * H @ (yhat - y) @ w.T
    r = mc.verify(L, X, claim)
    assert r.claimed == claim
    assert r.expected is not None and r.expected == mc.grad(L, X)
    text = str(r)
    assert "claimed:" in text and "true:" in text and "correct" in text
    tex = r._repr_latex_()
    assert tex.startswith("$$") and r"\hline" in tex
    from matcalc.printing.tex import latex

    assert latex(claim) in tex and latex(r.expected) in tex
    bad = mc.verify(L, X, -claim)
    assert "wrong sign" in bad._repr_latex_() and "WRONG" in str(bad)


def test_text_claims() -> None:
    f = mc.norm(X @ w - y) ** 2
    assert mc.verify(f, w, "2*X'*(X*w-y)")
    assert mc.verify(f, w, "2*(X*w-y)'*X").kind == "transpose"
    r = mc.verify(f, w, "2*X'*(X*w-y) .* X")  # a Hadamard product of n×1 and m×n
    assert not r and r.kind == "invalid" and "cannot be built" in r.message
    r = mc.verify(f, w, "2*X'*(X*w-y")
    assert not r and r.kind == "invalid" and "2*X'*(X*w-y" in str(r)


def _reports() -> list:
    claim = 2 / m * H @ (yhat - y) @ w.T
    return [mc.verify(L, X, claim), mc.verify(L, X, -claim), mc.verify(L, X, claim.T),
            mc.verify(L, X, 2 / m * (yhat - y) @ w.T), mc.verify(L, X, mc.ones(m))]


def test_report_latex_compiles_with_pdflatex() -> None:
    from latex_util import PDFLATEX_MISSING, compile_latex, latex_errors, pdflatex_available

    if not pdflatex_available():
        pytest.skip(PDFLATEX_MISSING)
    from matcalc.printing.tex import latex_document

    body = "\n".join(rf"\[ {r.latex()} \]" for r in _reports())
    ok, log = compile_latex(latex_document(body, "verify reports", math=False))
    assert ok, latex_errors(log)


def test_report_latex_renders_in_katex() -> None:
    from latex_util import KATEX_MISSING, katex_available, katex_errors

    if not katex_available():
        pytest.skip(KATEX_MISSING)
    errors = katex_errors([r.latex() for r in _reports()])
    assert errors == [None] * len(errors), errors


# ----------------------------------------------------------------------------------------
# Seed 001: two-layer ReLU network, ℓ = ‖W2 σ(W1 X + b1 𝟏ᵀ) + b2 1ᵀ − Y‖² / n
# ----------------------------------------------------------------------------------------


def _seed001():
    m0, m1, m2, nn = mc.dims("m0 m1 m2 nn")
    W1, W2 = mc.matrix("W1", m1, m0), mc.matrix("W2", m2, m1)
    b1, b2 = mc.vector("b1", m1), mc.vector("b2", m2)
    X1, Y1 = mc.matrix("X", m0, nn), mc.matrix("Y", m2, nn)
    Z = mc.let("Z", W1 @ X1 + b1)
    S = mc.let("S", mc.relu(Z))
    R = mc.let("R", W2 @ S + b2 - Y1)
    D = mc.step(Z)
    V = W2.T @ R
    return mc.norm(R) ** 2 / nn, (W1, W2, b1, b2), (R, S, D, V, X1, nn)


def test_seed001_vectorized_section_is_correct() -> None:
    f, (W1, W2, b1, b2), (R, S, D, V, X1, nn) = _seed001()
    ones = mc.ones(nn)
    claims = [2 / nn * (V * D) @ X1.T, 2 / nn * R @ S.T, 2 / nn * (V * D) @ ones,
              2 / nn * R @ ones]
    r = mc.verify(f, [W1, W2, b1, b2], claims)
    assert r, str(r)


def test_seed001_common_slips() -> None:
    f, (W1, W2, b1, b2), (R, S, D, V, X1, nn) = _seed001()
    # Forgetting σ′ (D) is a wrong value; the row-major habit X (V⊙D)ᵀ is the transpose.
    forgot = mc.verify(f, W1, 2 / nn * V @ X1.T)
    assert forgot.kind == "value" and "Counterexample" in forgot.message
    assert mc.verify(f, W1, 2 / nn * X1 @ (V * D).T).kind == "transpose"
    # Summing over the wrong axis of R for b2: Rᵀ1 is n×1, not m2×1.
    assert mc.verify(f, b2, 2 / nn * R.T @ mc.ones(R.shape[0])).kind == "shape"


def test_claims_that_misuse_a_symbol_or_a_matrix_are_reported() -> None:
    r = mc.verify(L, w, 2 / m * mc.vector("X", n))  # X is a matrix in f
    assert not r and r.kind == "invalid" and "X is n×1" in r.message and "m×n" in r.message
    A = mc.matrix("A", n, n)
    f = mc.trace(A @ A)
    # inv(A − A) is singular at every point: reported as a wrong value, not raised.
    r = mc.verify(f, A, mc.inv(A - A))
    assert not r and r.kind == "value"
    assert mc.verify(f, A, 2 * A.T, dims={n: 3})


def test_partial_dims_fill_in_the_rest() -> None:
    r = mc.verify(L, X, 2 / m * H @ (yhat - y) @ w.T, dims={"m": 2})
    assert r and "m=2, n=2" in r.message


def test_scalars_zero_claims_and_missing_scalar_factors() -> None:
    c = mc.scalar("c")
    assert mc.verify(c * c, c, 2 * c)
    r = mc.verify(c * c, c, 3 * c)
    assert r.kind == "factor" and r.factor == sympy.Rational(3, 2)
    f = mc.sum(X @ w) * b
    assert mc.verify(f, b, 0).kind == "value"  # a plain 0 for a scalar variable
    # Forgetting the scalar b: proportional at every point, by a factor 1/b that varies.
    assert mc.verify(f, w, X.T @ mc.ones(m)).kind == "varying factor"
    assert mc.verify(mc.sum(y), w, mc.zeros(n))  # f does not depend on w
    assert mc.verify(mc.sum(y), w, w).kind == "value"


def test_seed000_question_w_and_b() -> None:
    # The question's ∂L/∂W before transposing is 1×n (the row layout); after it, correct.
    row = 2 / m * (yhat - y).T @ H @ X
    assert mc.verify(L, w, row).kind == "transpose"
    assert mc.verify(L, w, X.T @ H.T @ (2 / m * (yhat - y)))
    # ∂L/∂b = 2/|Y| (Ŷ − Y)ᵀ Diag(...) 1: a 1×1, right as written.
    assert mc.verify(L, b, 2 / m * (yhat - y).T @ H @ mc.ones(m))


def test_text_claims_may_use_dims_and_named_intermediates():
    """A hand-derived gradient is written with f's dims (1/n) and names (yhat, z)."""
    n, p = mc.dims("n p")
    X, w, y = mc.matrix("X", n, p), mc.vector("w", p), mc.vector("y", n)
    mse = (y - X @ w).T @ (y - X @ w) / (2 * n)
    assert mc.verify(mse, w, "-1/n*X'*(y-X*w)")
    assert mc.verify(mse, w, "1/n*X'*(y-X*w)").kind == "sign"
    m, k = mc.dims("m k")
    Xs, ws, b, ys = mc.matrix("X", m, k), mc.vector("w", k), mc.scalar("b"), mc.vector("y", m)
    z = mc.let("z", Xs @ ws + b)
    yhat = mc.let("yhat", mc.relu(z))
    L = (yhat - ys).T @ (yhat - ys) / m
    assert mc.verify(L, ws, "2/m*X'*(step(z).*(yhat-y))")
    assert not mc.verify(L, ws, "2/m*X'*(yhat-y)")  # the forgotten relu′
