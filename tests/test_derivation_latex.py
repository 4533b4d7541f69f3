"""Derivations as LaTeX documents, compiled with a real pdflatex.

Every seed derivation and a broad Cookbook-style sample (traces, det, logdet, inverse,
norms, Kronecker, a generic σ, Greek and subscripted names) go through
``Derivation.to_latex_document()`` and pdflatex. The sample is compiled as one batch (one
pdflatex run); when the batch fails, each document is compiled alone so the message names
the ones that break. The tests skip, with the reason, only when pdflatex is absent.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import pytest
from latex_util import (
    KATEX_MISSING,
    PDFLATEX_MISSING,
    compile_latex,
    katex_available,
    katex_errors,
    latex_errors,
    pdflatex_available,
    pdftoppm_available,
    render_png,
)
from problems import seed000, seed001

import matcalc as mc
from matcalc.printing.derivation import _break, _named
from matcalc.printing.tex import latex_document

needs_pdflatex = pytest.mark.skipif(not pdflatex_available(), reason=PDFLATEX_MISSING)

# ----------------------------------------------------------------------------------------
# The seeds
# ----------------------------------------------------------------------------------------


def _seed000() -> mc.Derivation:
    p = seed000()
    return mc.derive(p.f, p.wrt)


def _seed000_answer_names() -> mc.Derivation:
    """Seed 000 in the accepted answer's names: the bias is β."""
    m, n = mc.dims("m n")
    X, w, beta, y = mc.matrix("X", m, n), mc.vector("w", n), mc.scalar("beta"), mc.vector("y", m)
    z = mc.let("z", X @ w + beta)
    yhat = mc.let("yhat", mc.relu(z))
    return mc.derive(mc.let("L", (yhat - y).T @ (yhat - y) / m), [w, beta, X])


def _seed001() -> mc.Derivation:
    p = seed001()
    return mc.derive(p.f, p.wrt)


def _seed002() -> mc.Derivation:
    n, p = mc.dims("n p")
    X, w, y = mc.matrix("X", n, p), mc.vector("w", p), mc.vector("y", n)
    yhat = mc.let("yhat", X @ w)
    return mc.derive(mc.let("MSE", (y - yhat).T @ (y - yhat) / (2 * n)), w)


def _seed002_multivariate(square: bool = True) -> mc.Derivation:
    n, p, k = mc.dims("n p k")
    X, W, Y = mc.matrix("X", n, p), mc.matrix("W", p, k), mc.matrix("Y", n, k)
    E = mc.let("E", Y - mc.let("Yhat", X @ W))
    mse = mc.trace(E.T @ E) / (2 * n) if square else mc.norm(E) / (2 * n)
    return mc.derive(mc.let("MSE", mse), W)


def _seed003_readout() -> mc.Derivation:
    m, n, p, k = mc.dims("m n p k")
    W, U = mc.matrix("W", m, n), mc.matrix("U", k, m)
    X, b, c = mc.matrix("X", n, p), mc.vector("b", m), mc.vector("c", k)
    sigma = mc.elementwise("sigma")
    S = mc.let("S", sigma(mc.let("Z", W @ X + b)))
    Y = mc.let("Y", U @ S + c)
    return mc.derive(mc.let("f", mc.sum(Y)), [X, W, b])


SEEDS: dict[str, Callable[[], mc.Derivation]] = {
    "000": _seed000,
    "000-answer-names": _seed000_answer_names,
    "001": _seed001,
    "002": _seed002,
    "002-multivariate": _seed002_multivariate,
    "002-multivariate-as-written": lambda: _seed002_multivariate(square=False),
    "003-readout": _seed003_readout,
}

# ----------------------------------------------------------------------------------------
# A Cookbook-style sample (Petersen & Pedersen, The Matrix Cookbook, §2)
# ----------------------------------------------------------------------------------------


def _sample_cases() -> dict[str, tuple]:
    """Name → (f, wrt); deriving is left to :func:`sample`, so one failure names itself."""
    n, m, k = mc.dims("n m k")
    A, B = mc.matrix("A", n, n), mc.matrix("B", n, n)
    X, Xr = mc.matrix("X", n, n), mc.matrix("X", n, m)
    a, b, x = mc.vector("a", n), mc.vector("b", n), mc.vector("x", n)
    u, v = mc.vector("u", n * n), mc.vector("v", n * n)
    W = mc.matrix("W", m, n)
    y = mc.vector("y", n)
    beta, lam, sigma_s = mc.vector("beta", m), mc.scalar("lam"), mc.scalar("sigma")
    mu, Sigma = mc.vector("mu", n), mc.matrix("Sigma", n, n)
    theta, alpha, gamma = mc.vector("theta", n), mc.scalar("alpha"), mc.scalar("gamma")
    sigma = mc.elementwise("sigma")
    W_in, x_0 = mc.matrix("W_in", k, n), mc.vector("x_0", n)
    cases = {
        "tr(AX)": (mc.trace(A @ X), X),                                  # (100)
        "tr(XᵀAX)": (mc.trace(Xr.T @ A @ Xr), Xr),                       # (108)
        "tr(AXBXᵀ)": (mc.trace(A @ X @ B @ X.T), X),                     # (116)
        "tr(X⁻¹A)": (mc.trace(mc.inv(X) @ A), X),                        # (63)
        "aᵀX⁻¹b": (a.T @ mc.inv(X) @ b, X),                              # (61)
        "tr((A+XᵀX)⁻¹)": (mc.trace(mc.inv(A + X.T @ X)), X),
        "det(X)": (mc.det(X), X),                                        # (49)
        "det(AXB)": (mc.det(A @ X @ B), X),                              # (51)
        "logdet(X)": (mc.logdet(X), X),                                  # (57)
        "logdet(XᵀX)": (mc.logdet(Xr.T @ Xr), Xr),                       # (55)
        "‖X‖_F²": (mc.norm(Xr) ** 2, Xr),                                # (130)
        "‖x‖₂": (mc.norm(x), x),                                         # (129)
        "‖AX−B‖²": (mc.norm(A @ X - B) ** 2, X),
        "xᵀAx": (x.T @ A @ x, x),                                        # (81)
        "aᵀXb": (a.T @ X @ b, X),                                        # (70)
        "A:X²": (mc.frob(A, X @ X), X),
        "uᵀ(X⊗B)v": (u.T @ mc.kron(X, B) @ v, X),
        "tr(A⊗X)": (mc.trace(mc.kron(A, X)), X),
        "vec(X)ᵀ(A⊗B)vec(X)": (mc.vec(X).T @ mc.kron(A, B) @ mc.vec(X), X),
        "sum σ(Wx)": (mc.sum(sigma(W @ x)), [W, x]),
        "aᵀσ(Xb)": (a.T @ sigma(X @ b), X),
        "ridge β, λ": (mc.norm(y - Xr @ beta) ** 2 + lam * mc.norm(beta) ** 2, [beta, lam]),
        "gaussian β, σ": (n * mc.log(sigma_s)
                          + mc.norm(y - Xr @ beta) ** 2 / (2 * sigma_s ** 2), [beta, sigma_s]),
        "mvn μ, Σ": ((mc.logdet(Sigma) + (x - mu).T @ mc.inv(Sigma) @ (x - mu)) / 2,
                     [mu, Sigma]),
        "logsumexp": (mc.log(mc.sum(mc.exp(x))), x),
        "logistic": (mc.sum(mc.softplus(-y * (Xr @ beta))), beta),
        "log sigmoid": (mc.sum(mc.log(mc.sigmoid(Xr @ beta))), beta),
        "tanh²": (mc.sum(mc.tanh(A @ x) ** 2), [A, x]),
        "xᵀDiag(a)x": (x.T @ mc.Diag(a) @ x, [x, a]),
        "diag": (mc.sum(mc.diag(X)) + a.T @ mc.diag(A @ X), X),
        "A⊙X⊙X": (mc.sum(A * X * X), X),
        "sqrt abs": (mc.sum(mc.sqrt(mc.abs(x) + 1)), x),
        "sin cos": (mc.sum(mc.sin(X) * mc.cos(A)), X),
        "powers": (mc.sum(X ** 3) + mc.trace(X @ X @ X), X),
        "exp tr": (mc.exp(mc.trace(A @ X)), X),
        "greek α, γ, θ": (alpha * theta.T @ theta + gamma * mc.sum(mc.exp(theta)),
                          [theta, alpha, gamma]),
        "subscripts": (mc.let("loss_total", mc.norm(mc.let("y_hat", mc.tanh(W_in @ x_0))) ** 2),
                       [W_in, x_0]),
    }
    return {name: (f if name == "subscripts" else mc.let("f", f), wrt)
            for name, (f, wrt) in cases.items()}


_CASES = _sample_cases()
SAMPLE_NAMES = list(_CASES)


@functools.cache
def sample(name: str) -> mc.Derivation:
    f, wrt = _CASES[name]
    return mc.derive(f, wrt)


def samples() -> dict[str, mc.Derivation]:
    return {name: sample(name) for name in SAMPLE_NAMES}

# ----------------------------------------------------------------------------------------
# Helpers
# ----------------------------------------------------------------------------------------

_BODY = re.compile(r"\\begin\{document\}\n(.*)\\end\{document\}", re.S)


def _split(doc: str) -> tuple[str, str]:
    """(preamble up to and including \\begin{document}, body)."""
    m = _BODY.search(doc)
    assert m, "no \\begin{document} ... \\end{document}"
    return doc[:m.start(1)], m.group(1)


def _batch(docs: dict[str, str]) -> str:
    """One document with the bodies of several; they must share one preamble."""
    preambles = {_split(d)[0] for d in docs.values()}
    assert len(preambles) == 1, "the documents' preambles differ"
    bodies = "\n".join(_split(d)[1] for d in docs.values())
    return preambles.pop() + bodies + "\\end{document}\n"


def _compile_all(docs: dict[str, str]) -> dict[str, list[str]]:
    """Compile ``docs`` in one pdflatex run; on failure find which ones break, alone."""
    ok, log = compile_latex(_batch(docs))
    if ok:
        return {}
    failures = {}
    for name, doc in docs.items():
        ok1, log1 = compile_latex(doc)
        if not ok1:
            failures[name] = latex_errors(log1) or [log1[-500:]]
    return failures or {"(batch only)": latex_errors(log)}


def _overfull(log: str) -> list[float]:
    """Widths (pt) of the overfull \\hbox warnings in a pdflatex log."""
    return [float(w) for w in re.findall(r"Overfull \\hbox \(([\d.]+)pt too wide\)", log)]


# ----------------------------------------------------------------------------------------
# Tests
# ----------------------------------------------------------------------------------------


@needs_pdflatex
@pytest.mark.parametrize("seed", list(SEEDS))
def test_seed_document_compiles(seed):
    d = SEEDS[seed]()
    doc = d.to_latex_document()
    ok, log = compile_latex(doc)
    assert ok, f"seed {seed}: pdflatex failed: {latex_errors(log)}\n{doc}"
    # No undefined references, missing characters or other LaTeX warnings either.
    assert "Missing character" not in log
    assert not re.search(r"^LaTeX Warning", log, re.M), log


@needs_pdflatex
def test_sample_documents_compile():
    docs = {name: d.to_latex_document() for name, d in samples().items()}
    failures = _compile_all(docs)
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


@pytest.mark.parametrize("name", list(SEEDS) + SAMPLE_NAMES)
@pytest.mark.parametrize("names", ["lets", "auto"])
def test_document_has_every_step_and_gradient(name, names):
    d = SEEDS[name]() if name in SEEDS else sample(name)
    doc = d.to_latex_document(names=names)
    assert doc.startswith("\\documentclass") and doc.rstrip().endswith("\\end{document}")
    def shown(e) -> bool:
        # A long equation is broken over rows (a sum one term a row, a product inside its
        # widest sum, A : B after the colon): then every piece must be there, in order.
        if mc.latex(e) in doc:
            return True
        at = 0
        for piece in _break(e, ""):
            at = doc.find(piece, at)
            if at < 0:
                return False
        return True

    # with names="auto" each step is shown with its shared factors named (t₁ = …)
    steps, lets = _named(d, names)
    for step in steps:
        assert shown(step.rhs), f"{name}: step {step.rhs} is missing"
    for step in steps[-len(d.gradients):]:
        assert step.kind == "gradient" and shown(step.rhs), f"{name}: ∂/∂{step.lhs} is missing"
    if names == "lets":
        assert [s.rhs for s in steps] == [s.rhs for s in d.steps]
        assert lets == d.lets
    for z in lets:
        assert mc.latex(z.expr) in doc, f"{name}: the definition of {z.name} is missing"
    assert doc.count("\\begin{align*}") == 1 and doc.count("\\end{align*}") == 1


def test_greek_and_subscripted_names_print_as_math():
    docs = {name: d.to_latex_document() for name, d in samples().items()}
    assert "\\beta" in docs["ridge β, λ"] and "\\lambda" in docs["ridge β, λ"]
    assert "\\sigma" in docs["gaussian β, σ"]
    assert "\\mu" in docs["mvn μ, Σ"] and "\\Sigma" in docs["mvn μ, Σ"]
    assert all(g in docs["greek α, γ, θ"] for g in ("\\alpha", "\\gamma", "\\theta"))
    assert "\\sigma'" in docs["sum σ(Wx)"]
    # Titles are text: underscores in names are escaped there.
    assert "loss\\_total" in docs["subscripts"]
    assert "\\beta" in SEEDS["000-answer-names"]().latex()


@needs_pdflatex
def test_aligned_blocks_and_jupyter_reprs_compile():
    """``latex()`` inside \\[ \\], ``_repr_latex_`` ($$ ... $$) of derivations and of verify
    reports (MathJax's targets) also compile with plain LaTeX + amsmath."""
    derivations = [f() for f in SEEDS.values()] + [sample(name) for name in SAMPLE_NAMES[:8]]
    parts = [f"\\[\n{d.latex()}\n\\]" for d in derivations]
    parts += [d._repr_latex_() for d in derivations]
    p = seed000()
    w, b, X = p.wrt
    z, yhat, y, m = (p.extra[k] for k in ("z", "yhat", "y", "m"))
    H = mc.Diag(mc.step(z))
    reports = [mc.verify(p.f, X, w @ (2 / m * (yhat - y).T @ H)),      # transposed
               mc.verify(p.f, w, X.T @ H @ (2 / m * (yhat - y))),      # right
               mc.verify(p.f, b, -2 / m * (yhat - y).T @ H @ mc.ones(m))]  # sign
    parts += [r._repr_latex_() for r in reports]
    ok, log = compile_latex(latex_document("\n\n".join(parts), math=False))
    assert ok, latex_errors(log)


@pytest.mark.skipif(not katex_available(), reason=KATEX_MISSING)
def test_derivations_render_in_katex():
    texs = [d.latex() for d in [f() for f in SEEDS.values()] + list(samples().values())]
    errors = [(i, e) for i, e in enumerate(katex_errors(texs)) if e]
    assert not errors, errors


@needs_pdflatex
@pytest.mark.skipif(not pdftoppm_available(), reason="pdftoppm (poppler-utils) not installed")
def test_seed000_renders_to_png(tmp_path):
    out = tmp_path / "seed000.png"
    ok, log = render_png(SEEDS["000"]().to_latex_document(), out, dpi=60)
    assert ok, log[-2000:]
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000


@needs_pdflatex
@pytest.mark.parametrize("seed", ["000", "001", "003-readout"])
def test_seed_document_fits_the_page(seed):
    ok, log = compile_latex(SEEDS[seed]().to_latex_document())
    assert ok
    too_wide = [w for w in _overfull(log) if w > 10.0]
    assert not too_wide, f"overfull lines (pt): {too_wide}"


@pytest.mark.parametrize("names", ["lets", "auto"])
def test_seed000_document_reads_like_the_accepted_answer(names):
    """dL = (2/m)(ŷ−y):dŷ = (2/m)H(ŷ−y):dz = (2/m)H(ŷ−y):dX w + … = (2/m)H(ŷ−y)wᵀ:dX + …,
    with H v written step(z) ⊙ v (names="lets") or named once (t₁, names="auto"), in that
    order; then the gradients (in the order asked) and the definitions."""
    doc = SEEDS["000-answer-names"]().to_latex_document(names=names)
    h = r"(\operatorname{step}(z) \odot (\hat{y} - y))" if names == "lets" else "t_{1}"
    chain = [r"\mathrm{d}L &= ",
             r"&= \frac{2}{m} (\hat{y} - y) : \mathrm{d}\hat{y}",
             rf"&= \frac{{2}}{{m}} {h} : \mathrm{{d}}z",
             rf"\frac{{2}}{{m}} {h} : \mathrm{{d}}X\,w",
             rf"\frac{{2}}{{m}} {h} w^{{\top}} : \mathrm{{d}}X",
             r"\frac{\partial L}{\partial \beta}",
             rf"\frac{{\partial L}}{{\partial X}} &= \frac{{2}}{{m}} {h} w^{{\top}}",
             r"&\qquad \text{where }z = X w + \mathbf{1} \beta"]
    if names == "auto":
        chain.append(r"t_{1} = \operatorname{step}(z) \odot (\hat{y} - y)")
    at = [doc.find(piece) for piece in chain]
    missing = [piece for piece, i in zip(chain, at) if i < 0]
    assert not missing, f"not in the document: {missing}\n{doc}"
    assert at == sorted(at), f"out of order: {at}\n{doc}"
