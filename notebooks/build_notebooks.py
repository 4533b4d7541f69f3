"""Write the seed notebooks (``notebooks/*.ipynb``) from the cell sources below.

This script is the reviewable source of truth: edit it, run ``python notebooks/build_notebooks.py``
and commit both. The notebooks are written without outputs, with fixed cell ids, so a rebuild
of unchanged sources gives byte-identical files (``tests/test_notebooks.py`` checks that).
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

# Shared by every notebook: imports, a temp dir for the LaTeX, and the central difference
# used to check compiled gradients (independent of matcalc's own checkers).
SETUP = '''\
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

import matcalc as mc
from matcalc.check.fdcheck import fd_grad_check

OUT = Path(tempfile.mkdtemp(prefix="matcalc-notebook-"))
rng = np.random.default_rng(0)


def central_difference(fun, values, name, eps=1e-6):
    """d fun / d values[name], entry by entry, by central differences of a compiled function."""
    x0 = np.asarray(values[name], dtype=float)
    g = np.zeros_like(x0)
    for i in np.ndindex(x0.shape):
        e = np.zeros_like(x0)
        e[i] = eps
        g[i] = (fun(**{**values, name: x0 + e}) - fun(**{**values, name: x0 - e})) / (2 * eps)
    return g


def export_latex(derivation, stem):
    """Write the derivation as a .tex document; compile it when pdflatex is installed."""
    tex = OUT / f"{stem}.tex"
    tex.write_text(derivation.to_latex_document(), encoding="utf-8")
    print(f"wrote {tex} ({len(tex.read_text().splitlines())} lines)")
    if shutil.which("pdflatex"):
        run = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error",
                              tex.name], cwd=OUT, capture_output=True, text=True)
        assert run.returncode == 0, run.stdout[-2000:]
        print(f"compiled {tex.with_suffix('.pdf')}")
    return tex'''


def md(text: str) -> tuple[str, str]:
    return ("markdown", text.strip("\n"))


def code(text: str) -> tuple[str, str]:
    return ("code", text.strip("\n"))


NB01 = [
    md(r"""
# Seed 000: gradients of a single-layer ReLU network

**The question.** A one-layer network $\hat y = \max(0, z)$ with $z = Xw + \beta$
($X \in \mathbb{R}^{m\times n}$, $w \in \mathbb{R}^n$, bias $\beta$, targets $y \in \mathbb{R}^m$)
has the mean-squared-error loss $L = (\hat y - y)^\top(\hat y - y)/m$. The asker found
$\partial L/\partial w$ and $\partial L/\partial \beta$ with the chain rule, but for
$\partial L/\partial X$ the chain rule gave a product whose dimensions do not match, and the only
arrangement that fit "seems just wrong".

**The accepted answer** works with differentials: with
$H = \operatorname{Diag}(\operatorname{step}(z))$,
$dL = \tfrac{2}{m} H(\hat y - y) : dz = \tfrac{2}{m} H(\hat y - y) : dX\,w
= \tfrac{2}{m} H(\hat y - y) w^\top : dX$, so
$\partial L/\partial X = \tfrac{2}{m} H(\hat y - y) w^\top$.
Below, matcalc derives the same chain (it writes $H v$ as $\operatorname{step}(z) \odot v$).
"""),
    code(SETUP),
    md("The problem, with the answer's names: `z`, `yhat` ($\\hat y$) and `L` are named "
       "intermediates; the bias is `beta`."),
    code('''
m, n = mc.dims("m n")
X = mc.matrix("X", m, n)
w = mc.vector("w", n)
beta = mc.scalar("beta")
y = mc.vector("y", m)

z = mc.let("z", X @ w + beta)
yhat = mc.let("yhat", mc.relu(z))
L = mc.let("L", (yhat - y).T @ (yhat - y) / m)
'''),
    md("## The derivation, step by step"),
    code('''
d = mc.derive(L, [w, beta, X])
print(d)
d
'''),
    md("The last steps are the accepted answer's: $\\partial L/\\partial X$ is the outer product "
       "of $\\tfrac{2}{m} H(\\hat y - y)$ (an $m$-vector) with $w$, an $m\\times n$ matrix like "
       "$X$; $\\partial L/\\partial \\beta = \\tfrac{2}{m} \\mathbf{1}^\\top H(\\hat y - y)$. "
       "The factor $H(\\hat y - y)$ that every gradient shares is printed once, as $t_1$ in the "
       "`where` lines after the user's own names; `d.text(names=\"lets\")` writes it out."),
    code('''
print(d.text(names="lets").splitlines()[-5])
assert "t₁ = step(z) ⊙ (yhat - y)" in str(d)
gw, gbeta, gX = (d.gradients[s] for s in (w, beta, X))
assert str(gX) == "2/m (step(z) ⊙ (yhat - y)) wᵀ"
assert gX.shape == X.shape and gw.shape == w.shape and gbeta.shape == beta.shape
'''),
    md("## LaTeX export"),
    code('export_latex(d, "seed000_single_layer_relu")'),
    md("## Compiled NumPy, checked against finite differences\n\n"
       "`mc.compile` turns the loss and the three gradients into one NumPy function (the "
       "forward pass is shared). Its gradients are compared with central differences of the "
       "compiled loss at a random point, and `fd_grad_check` compares the symbolic gradients "
       "with central differences along random directions at other sizes."),
    code('''
loss_and_grads = mc.compile([L, gw, gbeta, gX], args=[X, w, beta, y])
loss = mc.compile(L, args=[X, w, beta, y])
print(loss_and_grads.source)

values = dict(X=rng.standard_normal((40, 5)), w=rng.standard_normal(5), beta=0.3,
              y=rng.standard_normal(40))
L0, GW, GBETA, GX = loss_and_grads(**values)
for name, G in (("w", GW), ("beta", GBETA), ("X", GX)):
    fd = central_difference(loss, values, name)
    err = np.max(np.abs(fd - G))
    print(f"dL/d{name}: shape {np.shape(G)}, max |compiled - central difference| = {err:.2e}")
    assert np.allclose(G, fd, rtol=1e-6, atol=1e-8)

for dims in ({m: 7, n: 3}, {m: 30, n: 6}):
    report = fd_grad_check(L, [w, beta, X], [gw, gbeta, gX], dims=dims, rng=1)
    print(report)
    assert report
'''),
    md(r"""
## The question's own formulas, checked

For $X$ the asker multiplied $\tfrac{2}{m}(\hat y - y)^\top H$ (a $1\times m$ row) by
$\partial z/\partial X$ "$= w$" ($n\times 1$). matcalc refuses to build that product and says why:
"""),
    code('''
H = mc.Diag(mc.step(z))
try:
    2 / m * (yhat - y).T @ H @ w
except mc.ShapeError as err:
    print("ShapeError:", err)
'''),
    md("The arrangement that did fit, $w \\cdot \\tfrac{2}{m}(\\hat y - y)^\\top H$, is "
       "$n\\times m$. `mc.verify` finds that it is not wrong, only transposed: it is the "
       "gradient in the numerator (row) layout."),
    code('''
claim_X = w @ (2 / m * (yhat - y).T @ H)
report = mc.verify(L, X, claim_X)
print(report)
assert not report.ok and report.kind == "transpose"
report
'''),
    md("The asker's $\\partial L/\\partial w$ (after transposing to the shape of $w$) and "
       "$\\partial L/\\partial \\beta$ are right:"),
    code('''
claims = [X.T @ H.T @ (2 / m * (yhat - y)), 2 / m * (yhat - y).T @ H @ mc.ones(m)]
report = mc.verify(L, [w, beta], claims)
print(report)
assert report.ok
report
'''),
]

NB02 = [
    md(r"""
# Seed 001: gradients of a two-layer network over a batch

**The problem.** $f(X) = W_2\,\sigma(W_1 X + b_1\mathbf{1}_n^\top) + b_2\mathbf{1}_n^\top$ with
$\sigma$ the ReLU, $X \in \mathbb{R}^{m_0\times n}$ a batch of $n$ inputs and targets
$Y \in \mathbb{R}^{m_2\times n}$; the loss is the mean squared error
$\ell = \tfrac{1}{n}\sum_i \|f(x_i) - y_i\|^2 = \tfrac1n\|R\|_F^2$ with the residuals
$R = f(X) - Y$.

**The write-up** derives each gradient entry by entry and then vectorizes them with
$S = \sigma(W_1X + b_1\mathbf 1^\top)$, $D = \sigma'(W_1X + b_1\mathbf 1^\top)$ and
$V = W_2^\top R$:
$$\frac{\partial\ell}{\partial W_2} = \tfrac2n RS^\top,\quad
\frac{\partial\ell}{\partial b_2} = \tfrac2n \operatorname{sum}(R, \text{columns}),\quad
\frac{\partial\ell}{\partial W_1} = \tfrac2n (V\odot D)X^\top,\quad
\frac{\partial\ell}{\partial b_1} = \tfrac2n \operatorname{sum}(V\odot D, \text{columns}).$$
matcalc gets all four at once from one differential, without indices.
"""),
    code(SETUP),
    md("The network with the write-up's names (`Z`, `S`, `R`, `ell`); adding the bias "
       "vectors to matrices broadcasts over the columns, and the tree records it as "
       "$b\\mathbf{1}^\\top$."),
    code('''
m0, m1, m2, n = mc.dims("m0 m1 m2 n")
W1, W2 = mc.matrix("W1", m1, m0), mc.matrix("W2", m2, m1)
b1, b2 = mc.vector("b1", m1), mc.vector("b2", m2)
X, Y = mc.matrix("X", m0, n), mc.matrix("Y", m2, n)

Z = mc.let("Z", W1 @ X + b1)
S = mc.let("S", mc.relu(Z))
R = mc.let("R", W2 @ S + b2 - Y)
ell = mc.let("ell", mc.norm(R) ** 2 / n)
'''),
    md("## The derivation, step by step"),
    code('''
d = mc.derive(ell, [W1, W2, b1, b2])
print(d)
d
'''),
    md("## The write-up's vectorized gradients, verified\n\n"
       "$D = \\sigma'(Z)$ is $\\operatorname{step}(Z)$ for the ReLU, and summing the columns "
       "is multiplying by $\\mathbf 1_n$."),
    code('''
V, D, ones = W2.T @ R, mc.step(Z), mc.ones(n)
claims = [2 / n * (V * D) @ X.T, 2 / n * R @ S.T, 2 / n * (V * D) @ ones, 2 / n * R @ ones]
report = mc.verify(ell, [W1, W2, b1, b2], claims)
print(report)
assert report.ok
report
'''),
    md("## LaTeX export"),
    code('export_latex(d, "seed001_two_layer_network")'),
    md("## Compiled NumPy, checked against finite differences"),
    code('''
grads = [d.gradients[s] for s in (W1, W2, b1, b2)]
args = [W1, W2, b1, b2, X, Y]
loss_and_grads = mc.compile([ell, *grads], args=args)
loss = mc.compile(ell, args=args)
print(loss_and_grads.source)

sizes = dict(m0=4, m1=6, m2=3, n=25)
values = dict(W1=rng.standard_normal((6, 4)), W2=rng.standard_normal((3, 6)),
              b1=rng.standard_normal(6), b2=rng.standard_normal(3),
              X=rng.standard_normal((4, 25)), Y=rng.standard_normal((3, 25)))
_, *G = loss_and_grads(**values)
for name, g in zip(("W1", "W2", "b1", "b2"), G):
    fd = central_difference(loss, values, name)
    print(f"dl/d{name}: shape {g.shape}, max |compiled - central difference| = "
          f"{np.max(np.abs(fd - g)):.2e}")
    assert np.allclose(g, fd, rtol=1e-6, atol=1e-8)

report = fd_grad_check(ell, [W1, W2, b1, b2], grads, dims={m0: 5, m1: 7, m2: 2, n: 11}, rng=2)
print(report)
assert report
'''),
]

NB03 = [
    md(r"""
# Seed 002: the gradient of linear regression (and the multivariate case)

**The question.** For $\mathrm{MSE} = \frac{1}{2n}\sum_i(\hat y_i - y_i)^2$ with $\hat y = Xw$,
the asker found, index by index,
$\partial\mathrm{MSE}/\partial w_i = \frac1n\sum_j(\hat y_j - y_j)x_{ji}$,
i.e. $\frac1n X^\top(\hat y - y)$, and asked whether $X^\top$ can be called the Jacobian, and how
to write the case of a weight *matrix*.

**The accepted answer** writes $\mathrm{MSE} = \frac{1}{2n}(y - \hat y)^\top(y - \hat y)$ and
concludes $\frac{\partial\mathrm{MSE}}{\partial w} = \frac1n X^\top(y - Xw)$: the sign is reversed
(the asker's own result was right). For $\hat Y = XW$ it writes
$\mathrm{MSE} = \frac{1}{2n}\|E\|_F$, missing the square, and again
$\frac{\partial\mathrm{MSE}}{\partial W} = \frac1n X^\top(Y - XW)$ with the sign reversed.
"""),
    code(SETUP),
    md("## One response"),
    code('''
n, p = mc.dims("n p")
X = mc.matrix("X", n, p)
w = mc.vector("w", p)
y = mc.vector("y", n)

yhat = mc.let("yhat", X @ w)
MSE = mc.let("MSE", (y - yhat).T @ (y - yhat) / (2 * n))
d = mc.derive(MSE, w)
print(d)
d
'''),
    md("The accepted answer's result has the wrong sign; the asker's "
       "$\\frac1n X^\\top(\\hat y - y)$ is right:"),
    code('''
answer = mc.verify(MSE, w, X.T @ (y - X @ w) / n)
print(answer)
assert answer.kind == "sign"
asker = mc.verify(MSE, w, X.T @ (X @ w - y) / n)
print(asker)
assert asker.ok
answer
'''),
    md("The Jacobian of $\\hat y = Xw$ with respect to $w$ is $X$ ($n\\times p$); the "
       "asker's $X^\\top$ is its transpose, the layout that makes the chain rule read "
       "$J^\\top \\partial\\mathrm{MSE}/\\partial\\hat y$."),
    code('''
J = mc.jacobian(yhat, w)
print(J)
assert str(J) == "X"
'''),
    code('export_latex(d, "seed002_linear_regression")'),
    code('''
grad_w = d.gradients[w]
loss_and_grad = mc.compile([MSE, grad_w], args=[X, w, y])
loss = mc.compile(MSE, args=[X, w, y])
print(loss_and_grad.source)
values = dict(X=rng.standard_normal((50, 4)), w=rng.standard_normal(4), y=rng.standard_normal(50))
_, G = loss_and_grad(**values)
fd = central_difference(loss, values, "w")
print("max |compiled - central difference| =", np.max(np.abs(fd - G)))
assert np.allclose(G, fd, rtol=1e-6, atol=1e-8)
report = fd_grad_check(MSE, w, grad_w, dims={n: 9, p: 4})
print(report)
assert report
'''),
    md(r"""
## Several responses: $\hat Y = XW$

With the square restored, $\mathrm{MSE} = \frac{1}{2n}\operatorname{tr}(E^\top E)$, $E = Y - \hat Y$
(the answer's own trace form). The differential is the answer's
$d\,\mathrm{MSE} = \frac1n\operatorname{tr}(d\hat Y^\top E)$ up to its sign.
"""),
    code('''
k = mc.dim("k")
W = mc.matrix("W", p, k)
Y = mc.matrix("Y", n, k)
Yhat = mc.let("Yhat", X @ W)
E = mc.let("E", Y - Yhat)
MSE2 = mc.let("MSE", mc.trace(E.T @ E) / (2 * n))
d2 = mc.derive(MSE2, W)
print(d2)
d2
'''),
    code('''
claim = X.T @ (Y - X @ W) / n
report = mc.verify(MSE2, W, claim)
print(report)
assert report.kind == "sign"
report
'''),
    md("As the answer wrote it, $\\frac{1}{2n}\\|E\\|_F$ without the square, the loss is a "
       "different function: its gradient is not proportional to the claim by any constant, "
       "and `mc.verify` says so."),
    code('''
MSE_as_written = mc.let("MSE", mc.norm(E) / (2 * n))
print(mc.derive(MSE_as_written, W))
report = mc.verify(MSE_as_written, W, claim)
print(report)
assert report.kind == "varying factor"
report
'''),
    code('''
export_latex(d2, "seed002_multivariate")
grad_W = d2.gradients[W]
loss_and_grad = mc.compile([MSE2, grad_W], args=[X, W, Y])
loss = mc.compile(MSE2, args=[X, W, Y])
values = dict(X=rng.standard_normal((30, 4)), W=rng.standard_normal((4, 3)),
              Y=rng.standard_normal((30, 3)))
_, G = loss_and_grad(**values)
fd = central_difference(loss, values, "W")
print("max |compiled - central difference| =", np.max(np.abs(fd - G)))
assert np.allclose(G, fd, rtol=1e-6, atol=1e-8)
report = fd_grad_check(MSE2, W, grad_W, dims={n: 7, p: 3, k: 2})
print(report)
assert report
'''),
]

NB04 = [
    md(r"""
# Seed 003: the Jacobian of a network's output with respect to its input

**The question.** For $Y = W^{(2)}\sigma(W^{(1)}X + b^{(1)}) + b^{(2)}$ with
$X \in \mathbb{R}^{n\times p}$ and $\sigma$ any elementwise function, how does one get the given
$\partial Y/\partial X_j = \sum_i w^{(2)}_{\cdot i}\,\sigma'(\cdot)\,w_{ij}$, a derivative with
respect to one column of $X$?

**The accepted answer** renames $(W^{(1)}, b^{(1)}, W^{(2)}, b^{(2)}) \to (W, b, U, c)$, writes
$Y = US + c\mathbf 1^\top$ with $S = \sigma(WX + b\mathbf 1^\top)$, then
$dY = (US') \odot (W\,dX)$ and $\partial\operatorname{vec}Y/\partial\operatorname{vec}X
= \operatorname{Diag}(\operatorname{vec}(US'))(I_p\otimes W)$. But $US'$ is $k\times p$ and
$W\,dX$ is $m\times p$: the Hadamard product is undefined. The correct differential is
$dY = U(S'\odot W\,dX)$, and the Jacobian is
$(I_p\otimes U)\operatorname{Diag}(\operatorname{vec}\sigma'(Z))(I_p\otimes W)$.
"""),
    code(SETUP),
    md("The answer's names; `sigma` is a generic elementwise function (its derivative prints "
       "as $\\sigma'$)."),
    code('''
m, n, p, k = mc.dims("m n p k")
W, U = mc.matrix("W", m, n), mc.matrix("U", k, m)
X = mc.matrix("X", n, p)
b, c = mc.vector("b", m), mc.vector("c", k)
sigma = mc.elementwise("sigma")

Z = mc.let("Z", W @ X + b)
S = mc.let("S", sigma(Z))
Y = mc.let("Y", U @ S + c)
'''),
    md("## The accepted answer's differential does not type-check"),
    code('''
dX = mc.matrix("dX", n, p)
try:
    (U @ sigma(Z)) * (W @ dX)
except mc.ShapeError as err:
    print("ShapeError:", err)
'''),
    md("The directional derivative of $Y$ along $dX$ keeps $U$ outside the Hadamard product:"),
    code('''
dY = mc.jvp(Y, X, dX)
print("dY =", dY)
assert str(dY) == "U (sigma'(Z) ⊙ (W dX))"
dY
'''),
    md("## The Jacobian, kept structured"),
    code('''
J = mc.jacobian(Y, X)
print(J)
assert str(J) == "(I ⊗ U) Diag(vec(sigma'(Z))) (I ⊗ W)"
assert J.shape == (k * p, n * p)
J
'''),
    md("Checked with central differences, with $\\sigma = \\tanh$ and with matcalc's default "
       "stand-in for a generic $\\sigma$:"),
    code('''
from matcalc.check.fdcheck import fd_jacobian_check

tanh = [np.tanh, lambda t: 1 - np.tanh(t) ** 2]
for functions in (tanh, None):
    fns = None if functions is None else {"sigma": functions}
    report = fd_jacobian_check(Y, X, J, dims={m: 4, n: 3, p: 5, k: 2}, functions=fns)
    print(report)
    assert report
'''),
    md("Compiled, with $\\sigma = \\tanh$: the compiled Jacobian against central differences "
       "of the compiled network, column by column. Block $j$ on the diagonal, "
       "$U\\operatorname{Diag}(\\sigma'(Z_{:j}))W = \\sum_i u_{:i}\\,\\sigma'(Z_{ij})\\,w_{i:}$, "
       "is the question's $\\partial Y_{:j}/\\partial X_j$; the off-diagonal blocks are zero."),
    code('''
fns = {"sigma": tanh[0], "sigma'": tanh[1]}
args = [W, U, X, b, c]
network = mc.compile(Y, args=args, functions=fns)
jacobian = mc.compile(J, args=args, functions=fns)
print(jacobian.source)

sizes = dict(m=4, n=3, p=5, k=2)
values = dict(W=rng.standard_normal((4, 3)), U=rng.standard_normal((2, 4)),
              X=rng.standard_normal((3, 5)), b=rng.standard_normal(4), c=rng.standard_normal(2))
Jv = jacobian(**values)
eps, X0 = 1e-6, values["X"]
Jfd = np.zeros_like(Jv)
for col in range(X0.size):
    E = np.zeros(X0.size)
    E[col] = eps
    E = E.reshape(X0.shape, order="F")  # vec stacks columns
    Yp = network(**{**values, "X": X0 + E})
    Ym = network(**{**values, "X": X0 - E})
    Jfd[:, col] = ((Yp - Ym) / (2 * eps)).reshape(-1, order="F")
print("max |compiled J - central differences| =", np.max(np.abs(Jv - Jfd)))
assert np.allclose(Jv, Jfd, rtol=1e-6, atol=1e-8)

Zv = values["W"] @ X0 + values["b"][:, None]
kk, nn = sizes["k"], sizes["n"]
for j in range(sizes["p"]):
    block = Jv[j * kk:(j + 1) * kk, j * nn:(j + 1) * nn]
    assert np.allclose(block, values["U"] @ np.diag(tanh[1](Zv[:, j])) @ values["W"])
assert np.allclose(Jv[:kk, nn:], 0)
'''),
    md("## A scalar readout: gradients and their derivation\n\n"
       "For a scalar function of the output, here $f = \\operatorname{sum}(Y)$, the same "
       "chain gives gradients with respect to $X$, $W$ and $b$."),
    code('''
f = mc.let("f", mc.sum(Y))
d = mc.derive(f, [X, W, b])
print(d)
export_latex(d, "seed003_readout")
report = fd_grad_check(f, [X, W, b], [d.gradients[s] for s in (X, W, b)],
                       dims={m: 4, n: 3, p: 5, k: 2})
print(report)
assert report
d
'''),
]

def _cells_of(module: str) -> list[tuple[str, str]]:
    """The ``CELLS`` of a sibling module (a notebook whose cells live in their own file)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(module, HERE / f"{module}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    # its cells do not use fd_grad_check: leave the import out, so the notebook is ruff clean
    setup = SETUP.replace("from matcalc.check.fdcheck import fd_grad_check\n", "")
    return [code(setup), *mod.CELLS]

NB06 = [
    md("""
# The Gaussian log-likelihood: gradients w.r.t. a covariance matrix

The log-likelihood of one observation $x$ of $\\mathcal{N}(\\mu, \\Sigma)$ is, up to a
constant, $\\ell = -\\tfrac12 \\log\\det\\Sigma - \\tfrac12 (x-\\mu)^\\top \\Sigma^{-1}
(x-\\mu)$. The textbook gradients are
$\\partial\\ell/\\partial\\mu = \\Sigma^{-1}(x-\\mu)$ and
$\\partial\\ell/\\partial\\Sigma = \\tfrac12\\left(\\Sigma^{-1}(x-\\mu)(x-\\mu)^\\top
\\Sigma^{-1} - \\Sigma^{-1}\\right)$. They hold because $\\Sigma$ is symmetric positive
definite: declared with `mc.spd`, matcalc knows $\\Sigma^\\top = \\Sigma$ and
$\\Sigma^{-\\top} = \\Sigma^{-1}$, and gives the gradient in the space of symmetric matrices.
"""),
    code(SETUP),
    code('''
d = mc.dim("d")
Sigma, x, mu = mc.spd("Sigma", d), mc.vector("x", d), mc.vector("mu", d)
loglik = -mc.logdet(Sigma) / 2 - (x - mu).T @ mc.inv(Sigma) @ (x - mu) / 2
deriv = mc.derive(loglik, [mu, Sigma])
print(deriv)
assert str(deriv.gradients[mu]) == "Sigma⁻¹ (x - mu)"
assert str(deriv.gradients[Sigma]) == "1/2 (Sigma⁻¹ (x - mu) (x - mu)ᵀ Sigma⁻¹ - Sigma⁻¹)"
deriv
'''),
    md("""
## Checked three ways

Exactly against SymPy at $d = 2$ (a symmetric matrix of three symbols), by central
differences along symmetric directions, and as compiled NumPy code against central
differences of the compiled likelihood.
"""),
    code('''
for v in (mu, Sigma):
    report = mc.check_grad(loglik, v, {d: 2})
    print(report)
    assert report
fd = fd_grad_check(loglik, [mu, Sigma], [deriv.gradients[mu], deriv.gradients[Sigma]],
                   dims={d: 4})
print(fd)
assert fd

f = mc.compile(loglik, args=[x, mu, Sigma])
g = mc.compile([deriv.gradients[mu], deriv.gradients[Sigma]], args=[x, mu, Sigma])
M = rng.standard_normal((4, 4))
values = dict(x=rng.standard_normal(4), mu=rng.standard_normal(4), Sigma=M @ M.T + 4 * np.eye(4))
g_mu, g_Sigma = g(**values)
assert np.allclose(g_mu, central_difference(f, values, "mu"), atol=1e-6)
# Along symmetric directions E: (f(Σ + εE) − f(Σ − εE)) / 2ε = G : E with G symmetric.
E = rng.standard_normal((4, 4))
E = E + E.T
S0, eps = values["Sigma"], 1e-6
up, down = f(**{**values, "Sigma": S0 + eps * E}), f(**{**values, "Sigma": S0 - eps * E})
fd_dir = (up - down) / (2 * eps)
assert np.isclose(fd_dir, np.sum(g_Sigma * E), rtol=1e-6) and np.allclose(g_Sigma, g_Sigma.T)
print("compiled gradients agree with central differences")
'''),
    md("""
## Two conventions, and what `verify` says

Because $d\\Sigma$ is symmetric, $d\\ell = G : d\\Sigma$ fixes $G$ only up to an antisymmetric
part. matcalc's default is the symmetric $G$ (the gradient in the space of symmetric
matrices); `convention="entries"` gives the Matrix Cookbook's derivative w.r.t. the
independent entries, $2G - G \\circ I$, whose off-diagonal entries are doubled. `mc.verify`
names the convention of a claim, and for an undeclared matrix says when a claim would be
right if it were symmetric.
"""),
    code('''
print(mc.grad(loglik, Sigma, convention="entries"))
A = mc.matrix("A", d, d)
hint = mc.verify(x.T @ A @ x, x, "2*A*x")
print(hint)
assert hint.kind == "symmetric"
ok = mc.verify(loglik, Sigma, "(inv(Sigma)*(x-mu)*(x-mu)'*inv(Sigma) - inv(Sigma))/2")
assert ok
ok
'''),
]

NOTEBOOKS = {
    "01_single_layer_relu.ipynb": NB01,
    "02_two_layer_network.ipynb": NB02,
    "03_linear_regression.ipynb": NB03,
    "04_network_jacobian.ipynb": NB04,
    "05_classification_attention.ipynb": _cells_of("nb05_classification"),
    "06_gaussian_loglik.ipynb": NB06,
}


def build(cells: list[tuple[str, str]], stem: str) -> nbformat.NotebookNode:
    """A notebook without outputs whose cell ids are fixed (``<stem>-<index>``)."""
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for i, (kind, source) in enumerate(cells):
        make = new_markdown_cell if kind == "markdown" else new_code_cell
        cell = make(source)
        cell.id = f"{stem[:2]}-{i:02d}"
        nb.cells.append(cell)
    nbformat.validate(nb)
    return nb


def render(name: str) -> str:
    """The exact text written for the notebook ``name``."""
    return nbformat.writes(build(NOTEBOOKS[name], name), version=4) + "\n"


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else HERE
    for name in NOTEBOOKS:
        (out / name).write_text(render(name), encoding="utf-8")
        print(f"wrote {out / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
