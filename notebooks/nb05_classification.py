"""Cells of notebook 05 (classification and attention), kept apart so build_notebooks.py
stays small; build_notebooks.py imports ``CELLS`` from here."""

from __future__ import annotations


def md(text: str) -> tuple[str, str]:
    return ("markdown", text.strip("\n"))


def code(text: str) -> tuple[str, str]:
    return ("code", text.strip("\n"))


CELLS = [
    md(r"""
# Classification and attention: softmax, cross-entropy, logsumexp

`mc.softmax`, `mc.log_softmax` and `mc.logsumexp` follow SciPy's axes: `axis=None` over all
entries (a vector: its entries), `axis=0` each column, `axis=1` each row. Derivatives name
$p = \operatorname{softmax}(z)$ (or $P$ for a matrix), so they come out in textbook form.
Every result below is derived, printed, compiled, and checked exactly against SymPy at small
dims and against central differences of the compiled loss.
"""),
    md("## One example: $\\partial/\\partial z$ of $-y^\\top \\log\\operatorname{softmax}(z)$"),
    code('''
n, = mc.dims("n")
z, y = mc.vector("z", n), mc.vector("y", n)
ce = mc.let("L", -(y.T @ mc.log_softmax(z)))
d = mc.derive(ce, z)
print(d)
assert str(d.gradients[z]) == "sum(y) p - y"
assert mc.check_grad(ce, z, {n: 3})
print("Jacobian of softmax:", mc.jacobian(mc.softmax(z), z))
print("Hessian of logsumexp:", mc.hessian(mc.logsumexp(z), z))
assert str(mc.hessian(mc.logsumexp(z), z)) == "Diag(p) - p pᵀ"
d
'''),
    md(r"""
## Softmax regression

$L = -\operatorname{sum}(Y \odot \log\operatorname{softmax}(W X + b\,1^\top, \text{axis}=0))/n$
for $k$ classes, $d$ features and $n$ examples (the columns of $X$; $Y$ one-hot by column).
"""),
    code('''
k, dd, n = mc.dims("k d n")
W, X, b, Y = mc.matrix("W", k, dd), mc.matrix("X", dd, n), mc.vector("b", k), mc.matrix("Y", k, n)
L = mc.let("L", -mc.sum(Y * mc.log_softmax(W @ X + b @ mc.ones(n).T, axis=0)) / n)
d = mc.derive(L, [W, b])
for x, g in d.gradients.items():
    print(f"∂L/∂{x} =", g)
for x in (W, b, X):
    assert mc.check_grad(L, x, {k: 2, dd: 2, n: 2}), x
export_latex(d, "softmax_regression")

f = mc.compile([L, *d.gradients.values()], args=[W, X, b, Y])
print(f.source)
values = dict(W=rng.standard_normal((3, 4)), X=rng.standard_normal((4, 6)),
              b=rng.standard_normal(3), Y=np.eye(3)[:, rng.integers(0, 3, 6)])
loss = lambda **v: f(**v)[0]  # noqa: E731
for name, g in zip(["W", "b"], f(**values)[1:]):
    assert np.allclose(g, central_difference(loss, values, name), rtol=1e-6, atol=1e-8), name
print("compiled gradients = central differences")
d
'''),
    md("## Binary logistic regression"),
    code('''
n, p_ = mc.dims("n p")
X, w, y = mc.matrix("X", n, p_), mc.vector("w", p_), mc.vector("y", n)  # y in {-1, +1}
L = mc.let("L", mc.sum(mc.log(1 + mc.exp(-(y * (X @ w))))) / n)
d = mc.derive(L, w)
print(d.gradients[w])  # e^u / (1 + e^u) is written σ(u): it does not overflow
assert mc.check_grad(L, w, {n: 3, p_: 2})
f = mc.compile([L, d.gradients[w]], args=[X, w, y])
print(f.source)
values = dict(X=rng.standard_normal((8, 3)), w=rng.standard_normal(3),
              y=np.sign(rng.standard_normal(8)))
assert np.allclose(f(**values)[1], central_difference(lambda **v: f(**v)[0], values, "w"))
d
'''),
    md(r"""
## A single attention head

$A = \operatorname{softmax}(Q K^\top / \sqrt{d}, \text{axis}=1)$ (each row), output $A V$, loss
$\tfrac12\lVert A V - T\rVert_F^2$. With $G = (AV - T)V^\top$ the adjoint of $dA$, the row
softmax passes back $A \odot (G - (A \odot G)\,1 1^\top)$.
"""),
    code('''
import sympy

from matcalc.expr.traverse import replace

n, dd = mc.dims("n d")
Q, K, V, T = (mc.matrix(s, n, dd) for s in "QKVT")
A = mc.let("A", mc.softmax(Q @ K.T / sympy.sqrt(dd.expr), axis=1))
L = mc.let("L", mc.sum((A @ V - T) ** 2) / 2)
d = mc.derive(L, [Q, K, V])
for x, g in d.gradients.items():
    print(f"∂L/∂{x} =", g)
G = mc.matrix("G", n, n)
adjoint = A * (G - (A * G) @ mc.ones(n) @ mc.ones(n).T)
named = {mc.simplify((A @ V - T) @ V.T): G, mc.simplify((T - A @ V) @ V.T): -G}
assert mc.simplify(replace(d.gradients[Q], named)) == mc.simplify(adjoint @ K / sympy.sqrt(dd.expr))
print("∂L/∂Q = 1/sqrt(d) (A ⊙ (G - (A ⊙ G) 1 1ᵀ)) K  with G =", (A @ V - T) @ V.T)
for x in (Q, K, V):
    assert mc.check_grad(L, x, {n: 2, dd: 2}), x
f = mc.compile([L, *d.gradients.values()], args=[Q, K, V, T])
values = {s: rng.standard_normal((5, 3)) for s in "QKVT"}
for name, g in zip("QKV", f(**values)[1:]):
    assert np.allclose(g, central_difference(lambda **v: f(**v)[0], values, name),
                       rtol=1e-6, atol=1e-8), name
print("compiled gradients = central differences")
d
'''),
    md(r"""
## Stable compiled code

`logsumexp` and `softmax` subtract the maximum; `log(1 + exp(z))` is `np.logaddexp(0, z)`;
`log(sigmoid(z))` is `-softplus(-z)`. Scaling the inputs by $10^3$ and $10^6$ leaves loss and
gradients finite and equal to a 50-digit mpmath evaluation.
"""),
    code('''
import mpmath

mpmath.mp.dps = 50
k, dd, n = mc.dims("k d n")
W, X, Y = mc.matrix("W", k, dd), mc.matrix("X", dd, n), mc.matrix("Y", k, n)
L = -mc.sum(Y * mc.log_softmax(W @ X, axis=0)) / n
f = mc.compile([L, mc.grad(L, W)], args=[W, X, Y])
Xv, Yv = rng.standard_normal((4, 5)), np.eye(3)[:, rng.integers(0, 3, 5)]
for scale in (1e3, 1e6):
    Wv = rng.standard_normal((3, 4)) * scale
    loss, gW = f(W=Wv, X=Xv, Y=Yv)
    S = mpmath.matrix(Wv.tolist()) * mpmath.matrix(Xv.tolist())
    ref = -sum(Yv[a, c] * (S[a, c] - mpmath.log(sum(mpmath.exp(S[j, c]) for j in range(3))))
               for a in range(3) for c in range(5)) / 5
    print(f"scale {scale:.0e}: loss {loss:.12g}, mpmath {float(ref):.12g}, "
          f"gradient finite: {np.all(np.isfinite(gW))}")
    assert np.isfinite(loss) and np.all(np.isfinite(gW))
    assert abs(loss - float(ref)) <= 1e-9 * abs(float(ref))
mc.grad(L, W)
'''),
]
