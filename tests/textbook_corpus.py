"""A public corpus of textbook closed forms: the measure of how readable matcalc's gradients are.

Issue 9, item 3. Each :class:`Case` is a function, the variable it is differentiated by, and
the gradient (or Jacobian) exactly as a textbook, course notes or a seed's accepted answer
writes it. Two things are measured against every case (``tests/test_textbook_corpus.py``,
``scripts/corpus_report.py``):

* **correct**: ``mc.grad(f, wrt)`` and the book form agree numerically at random points and
  random sizes, and the book form agrees with central differences of ``f`` (so a wrong
  book form cannot hide behind agreement with matcalc);
* **readable**: ``str(mc.grad(f, wrt))`` is no longer than ``str(book)``. The book form is
  printed by matcalc's own printer, so both sides are measured in the same notation.

Book forms are text in :func:`matcalc.parse` syntax, read with the shapes of the case's own
symbols, or, where the text syntax cannot say it (dims as numbers, ``mc.let`` names, generic
functions, Kronecker products with identities), a function building it with the public API.

Citations: "MC (n)" is equation n of the Matrix Cookbook (Petersen & Pedersen, version of
November 15, 2012); "PRML (n)" is Bishop, *Pattern Recognition and Machine Learning* (2006);
CS229 and CS231n are the Stanford course notes; "seed NNN" is ``shared/seeds/NNN_*.txt``.
Where a source writes its result for a special case (one-hot labels, symmetric matrices) the
book form here is the source's formula stated for the general case the case builds, and the
citation says so. Cases that need structured symbols (``mc.symmetric``, ``mc.spd``) are in
:data:`PENDING_STRUCTURED` until those constructors exist.

This module uses only ``import matcalc as mc`` (plus NumPy in the numeric helpers), so it
keeps working while the package's internals move.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

import matcalc as mc

__all__ = [
    "Case", "PendingCase", "CASES", "PENDING_STRUCTURED", "FUNCTIONS", "by_id",
    "book_expr", "derived", "printed", "symbols_of", "sample", "compare", "fd_check",
]

Book = str | Callable[[], mc.Expr]


@dataclass(frozen=True)
class Case:
    """One textbook result.

    Attributes
    ----------
    id : str
        Short identifier, used as the pytest id.
    source : str
        Where the closed form comes from.
    build : callable
        ``build() -> (f, wrt)``: the function and the symbol it is differentiated by.
    book : str or callable
        The book's closed form: :func:`matcalc.parse` text (read with the shapes of the
        case's symbols) or ``book() -> Expr`` built with the public API.
    kind : str
        ``"grad"`` (``mc.grad(f, wrt)``) or ``"jacobian"`` (``mc.jacobian(f, wrt)``).
    inputs : tuple of (name, kind) pairs
        How to draw each symbol's values when the default (standard normal) is not well
        defined: see :func:`sample`.
    """

    id: str
    source: str
    build: Callable[[], tuple[mc.Expr, mc.Symbol]]
    book: Book
    kind: str = "grad"
    inputs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class PendingCase:
    """A textbook result that needs a structured symbol: stated as text until it can be built.

    ``structure`` maps a symbol name to ``"symmetric"``, ``"spd"`` or ``"diagonal"``;
    ``f`` and ``book`` are :func:`matcalc.parse` text, ``wrt`` the variable's name.
    """

    id: str
    source: str
    f: str
    wrt: str
    book: str
    structure: tuple[tuple[str, str], ...]


def _on(**kinds: str) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(kinds.items()))


# ---- symbols shared by the cases ----------------------------------------------------------
n, m, p, q = mc.dims("n m p q")

a, b, c, d, x, s = (mc.vector(name, n) for name in "abcdxs")
u, y = mc.vector("u", m), mc.vector("y", m)
yk = mc.vector("y", p)            # class labels (p classes)
mu = mc.vector("mu", n)
w = mc.vector("w", n)
theta = mc.vector("theta", n)
lam = mc.scalar("lam")
alpha = mc.scalar("alpha")
e = mc.scalar("e")

X = mc.matrix("X", n, n)          # square: traces of powers, inverses, determinants
A, B, C, D = (mc.matrix(name, n, n) for name in "ABCD")
W = mc.matrix("W", n, n)
S = mc.matrix("S", n, n)          # a covariance, unstructured until mc.spd exists
M = mc.matrix("M", m, n)          # rectangular data / design matrices
Xd = mc.matrix("X", m, n)         # design matrix: m samples, n features
K = mc.matrix("W", p, n)          # classifier weights: p classes, n features
Ar, Br = mc.matrix("A", p, m), mc.matrix("B", n, p)  # around a rectangular X (m×n)
Cr = mc.matrix("C", p, p)
U, V, Y = mc.matrix("U", m, p), mc.matrix("V", n, p), mc.matrix("Y", m, n)
Xg = mc.matrix("X", n, p)         # Gaussian data: p samples as columns

# Elementwise function of seed 003 ("any nonlinear function"): implementations for compile.
sigma = mc.elementwise("sigma")
FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "sigma": np.tanh,
    "sigma'": lambda z: 1.0 - np.tanh(z) ** 2,
}


# ---- seeds ------------------------------------------------------------------------------------
def _seed000():
    """Seed 000: single-layer ReLU net, MSE over m samples (names as in tests/problems.py)."""
    Xs, ws, bs, ys = mc.matrix("X", m, n), mc.vector("w", n), mc.scalar("b"), mc.vector("y", m)
    z = mc.let("z", Xs @ ws + bs)
    yhat = mc.let("yhat", mc.relu(z))
    L = mc.let("L", (yhat - ys).T @ (yhat - ys) / m)
    return dict(L=L, X=Xs, w=ws, b=bs, y=ys, z=z, yhat=yhat, H=mc.step(z))


def _seed001():
    """Seed 001: two-layer ReLU net, batch MSE (m0 → m1 → m2, n samples as columns)."""
    m0, m1, m2 = mc.dims("m0 m1 m2")
    nb = n
    W1, W2 = mc.matrix("W1", m1, m0), mc.matrix("W2", m2, m1)
    b1, b2 = mc.vector("b1", m1), mc.vector("b2", m2)
    Xs, Ys = mc.matrix("X", m0, nb), mc.matrix("Y", m2, nb)
    Z = mc.let("Z", W1 @ Xs + b1)
    Sx = mc.let("S", mc.relu(Z))
    R = mc.let("R", W2 @ Sx + b2 - Ys)
    ell = mc.let("ell", mc.norm(R) ** 2 / nb)
    return dict(ell=ell, W1=W1, W2=W2, b1=b1, b2=b2, X=Xs, R=R, S=Sx, Z=Z, n=nb,
                D=mc.step(Z), V=W2.T @ R, ones=mc.ones(nb))


def _seed002():
    """Seed 002: linear regression, MSE = 1/(2n) ‖y − Xw‖² (n samples, p features)."""
    ns, ps, r = n, p, q
    Xs, ws, ys = mc.matrix("X", ns, ps), mc.vector("w", ps), mc.vector("y", ns)
    Ws, Ys = mc.matrix("W", ps, r), mc.matrix("Y", ns, r)
    mse = (ys - Xs @ ws).T @ (ys - Xs @ ws) / (2 * ns)
    mse_multi = mc.tr((Ys - Xs @ Ws).T @ (Ys - Xs @ Ws)) / (2 * ns)
    return dict(mse=mse, mse_multi=mse_multi, X=Xs, w=ws, y=ys, W=Ws, Y=Ys, n=ns)


def _seed003():
    """Seed 003: Y = U σ(W X + b 1ᵀ) + c 1ᵀ, renamed as in its accepted answer."""
    Ws, Xs = mc.matrix("W", m, n), mc.matrix("X", n, p)
    bs, Us, cs = mc.vector("b", m), mc.matrix("U", q, m), mc.vector("c", q)
    Z = Ws @ Xs + bs
    return dict(Y=Us @ sigma(Z) + cs, W=Ws, X=Xs, U=Us, Z=Z)


def _s0(key: str):
    return lambda: (_seed000()["L"], _seed000()[key])


def _s1(key: str):
    return lambda: (_seed001()["ell"], _seed001()[key])


# ---- the corpus -------------------------------------------------------------------------------
CASES: list[Case] = [
    # -- linear and quadratic forms (MC §2.4) --
    Case("mc69_aTx", "MC (69)", lambda: (a.T @ x, x), "a"),
    Case("mc70_aTXb", "MC (70)", lambda: (y.T @ M @ a, M), "y*a'"),
    Case("mc71_aTXTb", "MC (71)", lambda: (a.T @ M.T @ y, M), "y*a'"),
    Case("mc72_aTXa", "MC (72)", lambda: (a.T @ X @ a, X), "a*a'"),
    Case("mc77_bTXTXc", "MC (77)", lambda: (b.T @ M.T @ M @ c, M), "M*(b*c' + c*b')"),
    Case("mc78_affine_quadratic", "MC (78)",
         lambda: ((B @ x + b).T @ C @ (D @ x + d), x), "B'*C*(D*x + d) + D'*C'*(B*x + b)"),
    Case("mc81_xTBx", "MC (81)", lambda: (x.T @ B @ x, x), "(B + B')*x"),
    Case("mc82_bTXTDXc", "MC (82)", lambda: (b.T @ X.T @ D @ X @ c, X),
         "D'*X*b*c' + D*X*c*b'"),
    Case("mc83_quadratic_in_X", "MC (83)", lambda: ((X @ b + c).T @ D @ (X @ b + c), X),
         "(D + D')*(X*b + c)*b'"),
    Case("mc84_weighted_ls_general_W", "MC (84), stated for a general (not symmetric) W",
         lambda: ((x - A @ s).T @ W @ (x - A @ s), s), "-A'*(W + W')*(x - A*s)"),
    Case("xTx", "MC (131): ‖x‖² = xᵀx", lambda: (x.T @ x, x), "2*x"),
    Case("rayleigh_quotient", "Rayleigh quotient xᵀAx/xᵀx, stated for a general A",
         lambda: (x.T @ A @ x / (x.T @ x), x),
         "((A + A')*x - 2*(x'*A*x)/(x'*x)*x)/(x'*x)"),
    Case("xT_invA_x", "MC (61) with a = b = x, plus the product rule",
         lambda: (x.T @ mc.inv(A) @ x, x), "(inv(A) + inv(A)')*x", inputs=_on(A="invertible")),
    # -- norms (MC §2.6, §2.7) --
    Case("mc129_norm_x_minus_a", "MC (129)", lambda: (mc.norm(x - a), x),
         "(x - a)/norm2(x - a)"),
    Case("mc131_norm_sq", "MC (131)", lambda: (mc.norm(x) ** 2, x), "2*x"),
    Case("mc132_frobenius_sq", "MC (132)", lambda: (mc.norm(M) ** 2, M), "2*M"),
    Case("frobenius_norm", "MC (132) and the chain rule", lambda: (mc.norm(M), M),
         "M/norm2(M)"),
    Case("norm_cubed", "MC (129) with a = 0, power rule", lambda: (mc.norm(x) ** 3, x),
         "3*norm2(x)*x"),
    Case("inverse_norm", "MC (129) with a = 0, power rule", lambda: (1 / mc.norm(x), x),
         "-x/norm2(x)^3"),
    # -- least squares and ridge --
    Case("least_squares", "MC (84) with W = I", lambda: (mc.norm(M @ x - y) ** 2, x),
         "2*M'*(M*x - y)"),
    Case("least_squares_in_A", "MC (88) with W = I", lambda: (mc.norm(M @ x - y) ** 2, M),
         "2*(M*x - y)*x'"),
    Case("cs229_normal_equations", "CS229 notes 1, §2 (the normal equations)",
         lambda: ((Xd @ theta - y).T @ (Xd @ theta - y) / 2, theta),
         "X'*X*theta - X'*y"),
    Case("prml_ridge", "PRML (3.27), gradient as in (3.28)",
         lambda: (mc.norm(Xd @ w - y) ** 2 / 2 + lam / 2 * (w.T @ w), w),
         "X'*(X*w - y) + lam*w"),
    Case("factorization_U", "‖Y − UVᵀ‖²_F: MC (132) and the chain rule",
         lambda: (mc.norm(Y - U @ V.T) ** 2, U), "-2*(Y - U*V')*V"),
    Case("factorization_V", "‖Y − UVᵀ‖²_F: MC (132) and the chain rule",
         lambda: (mc.norm(Y - U @ V.T) ** 2, V), "-2*(Y - U*V')'*U"),
    # -- traces (MC §2.5) --
    Case("mc99_trX", "MC (99)", lambda: (mc.tr(X), X), lambda: mc.eye(n)),
    Case("mc100_trXA", "MC (100)", lambda: (mc.tr(X @ A), X), "A'"),
    Case("mc101_trAXB", "MC (101)", lambda: (mc.tr(Ar @ Y @ Br), Y), "A'*B'"),
    Case("mc102_trAXTB", "MC (102)", lambda: (mc.tr(A @ X.T @ B), X), "B*A"),
    Case("mc103_trXTA", "MC (103)", lambda: (mc.tr(M.T @ Y), M), "Y"),
    Case("mc104_trAXT", "MC (104)", lambda: (mc.tr(Y @ M.T), M), "Y"),
    Case("mc105_tr_kron", "MC (105)", lambda: (mc.tr(mc.kron(A, X)), X),
         lambda: mc.tr(A) * mc.eye(n)),
    Case("mc106_trX2", "MC (106)", lambda: (mc.tr(X @ X), X), "2*X'"),
    Case("mc107_trX2B", "MC (107)", lambda: (mc.tr(X @ X @ B), X), "(X*B + B*X)'"),
    Case("mc108_trXTBX", "MC (108)", lambda: (mc.tr(X.T @ B @ X), X), "B*X + B'*X"),
    Case("mc111_trXBXT", "MC (111)", lambda: (mc.tr(X @ B @ X.T), X), "X*B' + X*B"),
    Case("mc114_trAXBX", "MC (114)", lambda: (mc.tr(A @ X @ B @ X), X),
         "A'*X'*B' + B'*X'*A'"),
    Case("mc115_trXTX", "MC (115)", lambda: (mc.tr(M.T @ M), M), "2*M"),
    Case("mc116_trBTXTCXB", "MC (116)", lambda: (mc.tr(B.T @ X.T @ C @ X @ B), X),
         "C'*X*B*B' + C*X*B*B'"),
    Case("mc117_trXTBXC", "MC (117)", lambda: (mc.tr(X.T @ B @ X @ C), X),
         "B*X*C + B'*X*C'"),
    Case("mc118_trAXBXTC", "MC (118)", lambda: (mc.tr(A @ X @ B @ X.T @ C), X),
         "A'*C'*X*B' + C*A*X*B"),
    Case("mc119_tr_square", "MC (119)",
         lambda: (mc.tr((Ar @ Y @ Br + Cr) @ (Ar @ Y @ Br + Cr).T), Y),
         "2*A'*(A*Y*B + C)*B'"),
    Case("mc121_trX3", "MC (121) with n = 3", lambda: (mc.tr(X @ X @ X), X), "3*(X^2)'"),
    Case("cs229_trABATC", "CS229 notes 1, §2.1, eq. (3)",
         lambda: (mc.tr(A @ B @ A.T @ C), A), "C*A*B + C'*A*B'"),
    Case("mc122_trAX2", "MC (122) with n = 2", lambda: (mc.tr(A @ X @ X), X), "(A*X + X*A)'"),
    Case("mc91_aTX2b", "MC (91) with n = 2", lambda: (a.T @ X @ X @ b, X),
         "a*b'*X' + X'*a*b'"),
    # -- inverses (MC §2.2) --
    Case("mc61_aT_invX_b", "MC (61)", lambda: (a.T @ mc.inv(X) @ b, X),
         "-inv(X)'*a*b'*inv(X)'", inputs=_on(X="invertible")),
    Case("mc62_det_invX", "MC (62)", lambda: (mc.det(mc.inv(X)), X),
         "-det(inv(X))*inv(X)'", inputs=_on(X="invertible")),
    Case("mc63_trA_invX_B", "MC (63)", lambda: (mc.tr(A @ mc.inv(X) @ B), X),
         "-(inv(X)*B*A*inv(X))'", inputs=_on(X="invertible")),
    Case("tr_invX_A", "MC (63) with the first factor I", lambda: (mc.tr(mc.inv(X) @ A), X),
         "-(inv(X)*A*inv(X))'", inputs=_on(X="invertible")),
    Case("mc64_tr_inv_XplusA", "MC (64)", lambda: (mc.tr(mc.inv(X + A)), X),
         "-(inv(X + A)*inv(X + A))'", inputs=_on(X="invertible", A="small")),
    # -- determinants (MC §2.1) --
    Case("mc49_detX", "MC (49)", lambda: (mc.det(X), X), "det(X)*inv(X)'",
         inputs=_on(X="invertible")),
    Case("mc51_detAXB", "MC (51)", lambda: (mc.det(A @ X @ B), X), "det(A*X*B)*inv(X)'",
         inputs=_on(X="invertible", A="invertible", B="invertible")),
    Case("mc52_detXTAX", "MC (52) (X square and invertible)",
         lambda: (mc.det(X.T @ A @ X), X), "2*det(X'*A*X)*inv(X)'",
         inputs=_on(X="invertible", A="invertible")),
    Case("mc57_logdetX", "MC (57)", lambda: (mc.logdet(X), X), "inv(X)'",
         inputs=_on(X="invertible")),
    Case("mc58_detX2", "MC (58) with k = 2", lambda: (mc.det(X @ X), X),
         "2*det(X^2)*inv(X)'", inputs=_on(X="invertible")),
    Case("mc55_logdet_XTX_square", "MC (55) for square X (X⁺ = X⁻¹)",
         lambda: (mc.logdet(X.T @ X), X), "2*inv(X)'", inputs=_on(X="invertible")),
    # -- elementwise functions and rational forms --
    Case("sum_exp", "d exp = exp", lambda: (mc.sum(mc.exp(M)), M), "exp(M)"),
    Case("sum_exp_Ax", "chain rule through exp", lambda: (mc.sum(mc.exp(A @ x)), x),
         "A'*exp(A*x)"),
    Case("sum_softplus", "softplus' = sigmoid",
         lambda: (mc.sum(mc.softplus(x)), x), "sigmoid(x)"),
    Case("prml4_88_sigmoid", "PRML (4.88): σ' = σ(1 − σ)",
         lambda: (mc.sum(mc.sigmoid(x)), x), "sigmoid(x).*(1 - sigmoid(x))"),
    Case("cs231n_tanh", "tanh' = 1 − tanh²",
         lambda: (mc.sum(mc.tanh(x)), x), "1 - tanh(x).^2"),
    Case("rational_x2_over_1px2", "d/dx x²/(1 + x²) = 2x/(1 + x²)²",
         lambda: (mc.parse("sum(x.^2./(1 + x.^2))", x=x), x), "2*x./(1 + x.^2).^2"),
    Case("rational_x_over_1px", "d/dx x/(1 + x) = 1/(1 + x)²",
         lambda: (mc.parse("sum(x./(1 + x))", x=x), x), "1./(1 + x).^2",
         inputs=_on(x="positive")),
    Case("log_1px2", "d/dx log(1 + x²) = 2x/(1 + x²)",
         lambda: (mc.sum(mc.log(1 + x ** 2)), x), "2*x./(1 + x.^2)"),
    Case("sqrt_1px2", "d/dx √(1 + x²) = x/√(1 + x²)",
         lambda: (mc.sum(mc.sqrt(1 + x ** 2)), x), "x./sqrt(1 + x.^2)"),
    Case("entropy_xlogx", "d/dx x log x = log x + 1",
         lambda: (mc.sum(x * mc.log(x)), x), "log(x) + 1", inputs=_on(x="positive")),
    Case("power_a_to_x", "d/dx aˣ = log(a) aˣ (text a.^x is exp(x log a))",
         lambda: (mc.parse("sum(e.^x)", e=e, x=x), x), "log(e)*e.^x",
         inputs=_on(e="positive")),
    Case("power_x_to_c", "d/dx xᶜ = c xᶜ⁻¹ (text x.^c is exp(c log x))",
         lambda: (mc.parse("sum(x.^alpha)", x=x, alpha=alpha), x), "alpha*x.^(alpha - 1)",
         inputs=_on(x="positive")),
    Case("log_sum_exp", "∇ log Σ exp(x) = softmax(x)",
         lambda: (mc.log(mc.sum(mc.exp(x))), x), "exp(x)/sum(exp(x))"),
    Case("sum_Ax", "∂ 1ᵀAx/∂x = Aᵀ1", lambda: (mc.sum(A @ x), x), "A'*vector(1)"),
    Case("log_exp", "log(exp(z)) = z: ∂ sum(log(exp(Ax)))/∂x = Aᵀ1",
         lambda: (mc.sum(mc.log(mc.exp(A @ x))), x), "A'*vector(1)"),
    Case("l1_norm", "∂‖x‖₁/∂x = sign(x) (x ≠ 0)", lambda: (mc.sum(mc.abs(x)), x), "sign(x)"),
    Case("cosine_similarity", "∂ aᵀx/(‖a‖‖x‖)/∂x = a/(‖a‖‖x‖) − (aᵀx) x/(‖a‖‖x‖³)",
         lambda: (a.T @ x / (mc.norm(a) * mc.norm(x)), x),
         "a/(norm2(a)*norm2(x)) - (a'*x)*x/(norm2(a)*norm2(x)^3)"),
    Case("bias_broadcast", "‖Xw + b1 − y‖² in the scalar bias b: 2·1ᵀ(Xw + b1 − y)",
         lambda: (mc.norm(Xd @ w + alpha - y) ** 2, alpha), "2*sum(X*w + alpha - y)"),
    # -- logistic regression --
    Case("prml4_90_bce", "PRML (4.90) → (4.91): E = −yᵀlog σ(Xw) − (1−y)ᵀlog(1−σ(Xw))",
         lambda: (mc.parse("-y'*log(sigmoid(X*w)) - (vector(1) - y)'*log(1 - sigmoid(X*w))",
                           X=Xd, w=w, y=y), w),
         "X'*(sigmoid(X*w) - y)", inputs=_on(y="unit")),
    Case("cs229_logistic_loglik", "CS229 notes 1, §5 (logistic regression): ∇ℓ = Xᵀ(y − h)",
         lambda: (mc.parse("sum(y.*log(sigmoid(X*theta)) + (1 - y).*log(1 - sigmoid(X*theta)))",
                           X=Xd, theta=theta, y=y), theta),
         "X'*(y - sigmoid(X*theta))", inputs=_on(y="unit")),
    Case("logistic_loss_exp", "logistic loss, labels ±1, written with exp",
         lambda: (mc.parse("sum(log(1 + exp(-y.*(X*w))))", X=Xd, w=w, y=y), w),
         "-X'*(y.*sigmoid(-y.*(X*w)))", inputs=_on(y="sign")),
    Case("logistic_loss_softplus", "logistic loss, labels ±1, written with softplus",
         lambda: (mc.sum(mc.softplus(-(y * (Xd @ w)))), w),
         "-X'*(y.*sigmoid(-y.*(X*w)))", inputs=_on(y="sign")),
    Case("multilabel_bce_W", "PRML (4.91) per output unit: BCE of σ(Wx), ∂/∂W = (σ(Wx) − y)xᵀ",
         lambda: (mc.parse("-y'*log(sigmoid(M*x)) - (vector(1) - y)'*log(1 - sigmoid(M*x))",
                           M=M, x=x, y=y), M),
         "(sigmoid(M*x) - y)*x'", inputs=_on(y="unit")),
    Case("poisson_regression", "canonical-link GLM (PRML §4.3.6): Poisson NLL, ∇ = Xᵀ(exp(Xw) − y)",
         lambda: (mc.sum(mc.exp(Xd @ w)) - y.T @ Xd @ w, w), "X'*(exp(X*w) - y)"),
    # -- softmax cross-entropy (labels y need not be one-hot: sum(y) stays in the formula) --
    Case("cs231n_softmax_ce_x", "CS231n notes (softmax classifier), PRML (4.109); input "
         "gradient, for one-hot y this is Wᵀ(p − y)",
         lambda: (mc.parse("-y'*log(exp(W*x)/sum(exp(W*x)))", W=K, x=x, y=yk), x),
         "W'*(sum(y)*exp(W*x)/sum(exp(W*x)) - y)"),
    Case("cs231n_softmax_ce_W", "CS231n notes (softmax classifier), PRML (4.109); weight "
         "gradient, for one-hot y this is (p − y)xᵀ",
         lambda: (mc.parse("-y'*log(exp(W*x)/sum(exp(W*x)))", W=K, x=x, y=yk), K),
         "(sum(y)*exp(W*x)/sum(exp(W*x)) - y)*x'"),
    Case("cs231n_softmax_ce_lse_x", "CS231n notes (softmax classifier), written "
         "L = −yᵀf + sum(y) log Σ exp(f), f = Wx",
         lambda: (mc.parse("-y'*(W*x) + sum(y)*log(sum(exp(W*x)))", W=K, x=x, y=yk), x),
         "W'*(sum(y)*exp(W*x)/sum(exp(W*x)) - y)"),
    # -- layers --
    Case("tanh_layer_W", "tanh layer, ½‖tanh(Wx) − y‖² (backprop as in the CS231n "
         "notes): δ = (h − y) ⊙ (1 − h²), ∂/∂W = δxᵀ",
         lambda: (mc.norm(mc.tanh(M @ x) - y) ** 2 / 2, M),
         "((tanh(M*x) - y).*(1 - tanh(M*x).^2))*x'"),
    Case("tanh_layer_x", "tanh layer, ½‖tanh(Wx) − y‖²: input gradient Wᵀδ",
         lambda: (mc.norm(mc.tanh(M @ x) - y) ** 2 / 2, x),
         "M'*((tanh(M*x) - y).*(1 - tanh(M*x).^2))"),
    Case("sigmoid_layer_W", "PRML (4.88) and the chain rule: ∂ uᵀσ(Wx)/∂W",
         lambda: (u.T @ mc.sigmoid(M @ x), M),
         "(u.*sigmoid(M*x).*(1 - sigmoid(M*x)))*x'"),
    # -- Gaussian log-likelihood (general, unstructured Σ; symmetric Σ is pending) --
    Case("prml2_118_gauss_mu", "PRML (2.118) → (2.120), stated for a general Σ: "
         "½(Σ⁻¹ + Σ⁻ᵀ) Σₙ(xₙ − μ)",
         lambda: (-p / 2 * mc.logdet(S) - mc.tr((Xg - mu).T @ mc.inv(S) @ (Xg - mu)) / 2, mu),
         lambda: (mc.inv(S) + mc.inv(S).T) @ (Xg - mu) @ mc.ones(p) / 2,
         inputs=_on(S="invertible")),
    Case("gauss_one_sample_mu", "PRML (2.43) log-density in μ, general Σ",
         lambda: (-((x - mu).T @ mc.inv(S) @ (x - mu)) / 2, mu),
         "(inv(S) + inv(S)')*(x - mu)/2", inputs=_on(S="invertible")),
    Case("gauss_one_sample_S", "MC (57), (61): ∂/∂Σ of −½logdet Σ − ½(x−μ)ᵀΣ⁻¹(x−μ), general Σ",
         lambda: (-mc.logdet(S) / 2 - (x - mu).T @ mc.inv(S) @ (x - mu) / 2, S),
         "(inv(S)'*(x - mu)*(x - mu)'*inv(S)' - inv(S)')/2", inputs=_on(S="invertible")),
    # -- the four seeds' accepted answers --
    Case("seed000_w", "seed 000: 2/m Xᵀ H(ŷ − y), H = Diag(step(z))", _s0("w"),
         lambda: 2 / m * (_seed000()["X"].T @ (_seed000()["H"] * (_seed000()["yhat"]
                                                                  - _seed000()["y"])))),
    Case("seed000_b", "seed 000: 2/m 1ᵀH(ŷ − y)", _s0("b"),
         lambda: 2 / m * mc.sum(_seed000()["H"] * (_seed000()["yhat"] - _seed000()["y"]))),
    Case("seed000_X", "seed 000: 2/m H(ŷ − y)wᵀ", _s0("X"),
         lambda: 2 / m * ((_seed000()["H"] * (_seed000()["yhat"] - _seed000()["y"]))
                          @ _seed000()["w"].T)),
    Case("seed001_W1", "seed 001 §3.4: 2/n (V ⊙ D)Xᵀ, V = W2ᵀR, D = σ'(Z)", _s1("W1"),
         lambda: 2 / n * ((_seed001()["V"] * _seed001()["D"]) @ _seed001()["X"].T)),
    Case("seed001_W2", "seed 001 §3.2: 2/n R Sᵀ", _s1("W2"),
         lambda: 2 / n * (_seed001()["R"] @ _seed001()["S"].T)),
    Case("seed001_b1", "seed 001 §3.3: 2/n sum(V ⊙ D, columns)", _s1("b1"),
         lambda: 2 / n * ((_seed001()["V"] * _seed001()["D"]) @ _seed001()["ones"])),
    Case("seed001_b2", "seed 001 §3.1: 2/n sum(R, columns)", _s1("b2"),
         lambda: 2 / n * (_seed001()["R"] @ _seed001()["ones"])),
    Case("seed002_w", "seed 002 (its answer's sign corrected): 1/n Xᵀ(Xw − y)",
         lambda: (_seed002()["mse"], _seed002()["w"]),
         lambda: 1 / n * (_seed002()["X"].T @ (_seed002()["X"] @ _seed002()["w"]
                                               - _seed002()["y"]))),
    Case("seed002_W", "seed 002, multivariate (sign corrected): 1/n Xᵀ(XW − Y)",
         lambda: (_seed002()["mse_multi"], _seed002()["W"]),
         lambda: 1 / n * (_seed002()["X"].T @ (_seed002()["X"] @ _seed002()["W"]
                                               - _seed002()["Y"]))),
    Case("seed003_jacobian", "seed 003: ∂vec(Y)/∂vec(X); its answer's D(I ⊗ W) holds only "
         "for U = I; in general (I ⊗ U) Diag(vec(σ'(WX + b1ᵀ))) (I ⊗ W)",
         lambda: (_seed003()["Y"], _seed003()["X"]),
         lambda: (mc.kron(mc.eye(p), _seed003()["U"])
                  @ mc.Diag(mc.vec(sigma.prime(_seed003()["Z"])))
                  @ mc.kron(mc.eye(p), _seed003()["W"])),
         kind="jacobian"),
    Case("seed003_sumY_X", "seed 003 with f = 1ᵀY1: Wᵀ(σ'(Z) ⊙ Uᵀ11ᵀ)",
         lambda: (mc.sum(_seed003()["Y"]), _seed003()["X"]),
         lambda: _seed003()["W"].T @ (sigma.prime(_seed003()["Z"])
                                      * (_seed003()["U"].T @ mc.ones(q, p)))),
]

# Results that need structured matrices (issue 9 / API.md: mc.symmetric, mc.spd, mc.diagonal).
# They cannot be stated until those constructors exist; each says in text what the case will
# be. When mc.symmetric lands, move them into CASES (with "space" as the convention unless the
# source uses the entries convention, as MC (141) does).
PENDING_STRUCTURED: list[PendingCase] = [
    PendingCase("xTSx_symmetric", "MC (81) with B symmetric", "x'*S*x", "x", "2*S*x",
                (("S", "symmetric"),)),
    PendingCase("mc84_weighted_ls", "MC (84), W symmetric", "(x - A*s)'*W*(x - A*s)", "s",
                "-2*A'*W*(x - A*s)", (("W", "symmetric"),)),
    PendingCase("mc85_weighted_x", "MC (85), W symmetric", "(x - s)'*W*(x - s)", "x",
                "2*W*(x - s)", (("W", "symmetric"),)),
    PendingCase("mc86_weighted_s", "MC (86), W symmetric", "(x - s)'*W*(x - s)", "s",
                "-2*W*(x - s)", (("W", "symmetric"),)),
    PendingCase("mc87_weighted_As_x", "MC (87), W symmetric", "(x - A*s)'*W*(x - A*s)", "x",
                "2*W*(x - A*s)", (("W", "symmetric"),)),
    PendingCase("mc88_weighted_As_A", "MC (88), W symmetric", "(x - A*s)'*W*(x - A*s)", "A",
                "-2*W*(x - A*s)*s'", (("W", "symmetric"),)),
    PendingCase("mc53_detXTAX_sym", "MC (53), A symmetric, X not square",
                "det(X'*A*X)", "X", "2*det(X'*A*X)*A*X*inv(X'*A*X)", (("A", "symmetric"),)),
    PendingCase("rayleigh_symmetric", "Rayleigh quotient, S symmetric",
                "x'*S*x/(x'*x)", "x", "2*(S*x - (x'*S*x)/(x'*x)*x)/(x'*x)",
                (("S", "symmetric"),)),
    PendingCase("prml2_120_gauss_mu", "PRML (2.120), Σ SPD",
                "-1/2*(x - mu)'*inv(S)*(x - mu)", "mu", "inv(S)*(x - mu)", (("S", "spd"),)),
    PendingCase("prml2_122_gauss_Sigma", "PRML (2.118) → (2.122), Σ SPD, space convention",
                "-1/2*logdet(S) - 1/2*(x - mu)'*inv(S)*(x - mu)", "S",
                "(inv(S)*(x - mu)*(x - mu)'*inv(S) - inv(S))/2", (("S", "spd"),)),
    PendingCase("mc141_logdet_entries", "MC (141), entries convention",
                "logdet(S)", "S", "2*inv(S) - inv(S).*eye", (("S", "spd"),)),
    PendingCase("cs229_trAS_symmetric", "tr(AS) for symmetric S, space convention",
                "tr(A*S)", "S", "(A + A')/2", (("S", "symmetric"),)),
    PendingCase("diagonal_trAD", "tr(AD) for diagonal D", "tr(A*D)", "D", "diag(diag(A))",
                (("D", "diagonal"),)),
]


# ---- helpers ------------------------------------------------------------------------------
def by_id(case_id: str) -> Case:
    """The case named ``case_id``."""
    for case in CASES:
        if case.id == case_id:
            return case
    raise KeyError(case_id)


def derived(case: Case) -> mc.Expr:
    """matcalc's answer for the case: ``mc.grad`` or ``mc.jacobian``."""
    f, wrt = case.build()
    return mc.jacobian(f, wrt) if case.kind == "jacobian" else mc.grad(f, wrt)


def book_expr(case: Case) -> mc.Expr:
    """The book form as an expression (text is read with the case's own symbols' shapes)."""
    if callable(case.book):
        return case.book()
    f, wrt = case.build()
    shapes = {sym.name: sym for sym in f.free_symbols | {wrt}}
    return mc.parse(case.book, **shapes)


def printed(e: mc.Expr) -> str:
    """The shorter of ``str(e)`` and ``str(mc.simplify(e))``.

    Used for book forms: text associates to the left, so ``2*M'*(M*x - y)`` is the tree
    ``(2 Mᵀ)(M x − y)`` and prints with parentheses the book does not write. Measuring the
    book at its shortest printing keeps the target honest (never easier than the book).
    """
    plain, simple = str(e), str(mc.simplify(e))
    return simple if len(simple) < len(plain) else plain


def symbols_of(*exprs: mc.Expr) -> list[mc.Symbol]:
    """The free symbols of ``exprs``, sorted by name (one compile signature for all)."""
    syms: set[mc.Symbol] = set()
    for ex in exprs:
        syms |= set(ex.free_symbols)
    return sorted(syms, key=lambda sym: sym.name)


def _size(dim_: Any, sizes: dict[str, int]) -> int:
    """The value of a dim (a name, 1, or a product such as ``p*q``) at ``sizes``."""
    if dim_ == 1:
        return 1
    value = sympy.sympify(str(dim_)).subs({sympy.Symbol(k): v for k, v in sizes.items()})
    return int(value)


def sample(case: Case, sizes: dict[str, int], rng: np.random.Generator,
           syms: list[mc.Symbol]) -> dict[str, np.ndarray]:
    """Random 2-D values, shaped ``(rows, cols)``, for ``syms``, drawn as ``case.inputs`` says.

    Kinds: ``normal`` (default), ``invertible`` (k·I + U(−½, ½) for a k×k matrix: strictly
    diagonally dominant with a positive diagonal, so invertible with positive determinant),
    ``small`` (U(−½, ½)/k: keeps an ``invertible`` matrix invertible when added to it),
    ``positive`` (U(½, 2)), ``unit`` (U(0.1, 0.9), labels/probabilities), ``sign`` (±1).
    """
    kinds = dict(case.inputs)
    out = {}
    for sym in syms:
        r, k = (_size(dd, sizes) for dd in sym.shape)
        kind = kinds.get(sym.name, "normal")
        if kind == "normal":
            v = rng.standard_normal((r, k))
        elif kind == "invertible":
            v = r * np.eye(r) + rng.uniform(-0.5, 0.5, (r, k))
        elif kind == "small":
            v = rng.uniform(-0.5, 0.5, (r, k)) / r
        elif kind == "positive":
            v = rng.uniform(0.5, 2.0, (r, k))
        elif kind == "unit":
            v = rng.uniform(0.1, 0.9, (r, k))
        elif kind == "sign":
            v = rng.choice([-1.0, 1.0], (r, k))
        else:
            raise ValueError(f"{case.id}: unknown input kind {kind!r}")
        out[sym.name] = v
    return out


def _arg(v: np.ndarray) -> Any:
    """The array as ``mc.compile`` takes it: a float for 1×1, 1-D for a column, else 2-D."""
    if v.shape == (1, 1):
        return float(v[0, 0])
    return v[:, 0] if v.shape[1] == 1 else v


def _dims_of(syms: list[mc.Symbol]) -> list[str]:
    names = {str(atom) for sym in syms for dd in sym.shape if dd != 1
             for atom in sympy.sympify(str(dd)).free_symbols}
    return sorted(names)


def _trials(syms: list[mc.Symbol], rng: np.random.Generator, count: int):
    """``count`` assignments of distinct sizes in 2..7 to the dims (distinct: a transposed
    result cannot pass by accident)."""
    dims_ = _dims_of(syms)
    for _ in range(count):
        values = rng.permutation(np.arange(2, 8))[: len(dims_)]
        yield dict(zip(dims_, (int(v) for v in values)))


def _close(got: np.ndarray, want: np.ndarray, rtol: float = 1e-7) -> bool:
    scale = 1.0 + float(np.max(np.abs(want), initial=0.0))
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=rtol * scale))


def _as(shape: tuple[int, int], v: Any) -> np.ndarray:
    return np.asarray(v, dtype=float).reshape(shape)


def compare(case: Case, trials: int = 3, seed: int = 0) -> tuple[bool, str]:
    """Do matcalc's answer and the book form agree numerically? ``(ok, why not)``."""
    got, want = derived(case), book_expr(case)
    if tuple(map(str, got.shape)) != tuple(map(str, want.shape)):
        return False, f"shapes differ: matcalc {got.shape}, book {want.shape}"
    f, wrt = case.build()
    syms = symbols_of(f, got, want)
    fg = mc.compile(got, args=syms, functions=FUNCTIONS)
    fb = mc.compile(want, args=syms, functions=FUNCTIONS)
    rng = np.random.default_rng(seed)
    for sizes in _trials(syms, rng, trials):
        vals = sample(case, sizes, rng, syms)
        args = {name: _arg(v) for name, v in vals.items()}
        shape = tuple(_size(dd, sizes) for dd in got.shape)
        g, bk = _as(shape, fg(**args)), _as(shape, fb(**args))
        if not _close(g, bk):
            err = float(np.max(np.abs(g - bk)))
            return False, f"at sizes {sizes}: max |matcalc − book| = {err:.3g}"
    return True, ""


def fd_check(case: Case, trials: int = 2, seed: int = 1, h: float = 1e-6) -> tuple[bool, str]:
    """Does the book form agree with central differences of f? ``(ok, why not)``.

    Independent of matcalc's derivative: a wrong book form fails here even if matcalc
    agreed with it. Jacobians are laid out as ``vec(dF) = J vec(dX)`` (column-major vec).
    """
    f, wrt = case.build()
    want = book_expr(case)
    syms = symbols_of(f, want, wrt)
    ff = mc.compile(f, args=syms, functions=FUNCTIONS)
    fb = mc.compile(want, args=syms, functions=FUNCTIONS)
    rng = np.random.default_rng(seed)
    for sizes in _trials(syms, rng, trials):
        vals = sample(case, sizes, rng, syms)
        r, k = vals[wrt.name].shape
        fshape = tuple(_size(dd, sizes) for dd in f.shape)
        columns = []
        for j in range(k):          # column-major: vec order
            for i in range(r):
                plus, minus = dict(vals), dict(vals)
                plus[wrt.name] = vals[wrt.name].copy()
                minus[wrt.name] = vals[wrt.name].copy()
                plus[wrt.name][i, j] += h
                minus[wrt.name][i, j] -= h
                fp = _as(fshape, ff(**{nm: _arg(v) for nm, v in plus.items()}))
                fm = _as(fshape, ff(**{nm: _arg(v) for nm, v in minus.items()}))
                columns.append(((fp - fm) / (2 * h)).ravel(order="F"))
        jac = np.stack(columns, axis=1)      # (size of f, size of wrt)
        wshape = tuple(_size(dd, sizes) for dd in want.shape)
        bk = _as(wshape, fb(**{nm: _arg(v) for nm, v in vals.items()}))
        if case.kind == "jacobian":
            fd = jac
        else:
            fd = jac[0].reshape((r, k), order="F")
        if not _close(fd, bk.reshape(fd.shape), rtol=1e-5):
            err = float(np.max(np.abs(fd - bk.reshape(fd.shape))))
            return False, f"at sizes {sizes}: max |central difference − book| = {err:.3g}"
    return True, ""
