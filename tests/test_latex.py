r"""LaTeX printer: snapshots per node type, names, KaTeX-safe output, real pdflatex runs.

Each expected string was checked by hand for its mathematical reading (what the
parentheses group, which transpose or inverse is meant), not copied from the printer.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
import sympy
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

import matcalc as mc
from matcalc.expr.dims import ONE
from matcalc.expr.nodes import (
    NODE_TYPES,
    Add,
    Apply,
    Commutation,
    Delta,
    Det,
    Diag,
    DiagPart,
    Frob,
    Hadamard,
    Identity,
    Inverse,
    Kron,
    Let,
    LogDet,
    MatMul,
    Norm,
    Number,
    Ones,
    Power,
    ScalarMul,
    Scale,
    Sum,
    Trace,
    Transpose,
    Unvec,
    Vec,
    Zero,
)
from matcalc.expr.spectral import DivDiff, EigGap, EigVecs
from matcalc.expr.traverse import walk
from matcalc.printing.tex import _latex, latex, latex_document
from matcalc.printing.tex_names import latex_dim, latex_name

m, n, p = mc.dims("m n p")
X = mc.matrix("X", m, n)
A = mc.matrix("A", n, n)
B = mc.matrix("B", p, p)
w = mc.vector("w", n)
x = mc.vector("x", n)
y = mc.vector("y", m)
b = mc.scalar("b")
lam = mc.scalar("lam")
Sigma = mc.matrix("Sigma", n, n)
W1 = mc.matrix("W1", p, n)
b_2 = mc.vector("b_2", p)
sigma = mc.elementwise("sigma")
z = mc.let("z", X @ w + b)
yhat = mc.let("yhat", mc.relu(z))
H = mc.let("H", mc.Diag(mc.step(z)))
half = sympy.Rational(1, 2)
Ssym, Pspd = mc.symmetric("S", n), mc.spd("P", n)

# (expression, expected LaTeX). Grouped by node type; the seeds' forms come last.
SAMPLES: list[tuple[mc.Expr, str]] = [
    # leaves and names
    (X, "X"),
    (mc.scalar("beta"), r"\beta"),
    (lam, r"\lambda"),
    (Sigma, r"\Sigma"),
    (W1, "W_{1}"),
    (b_2, "b_{2}"),
    (Number(2 / n.expr), r"\frac{2}{n}"),
    (Number(-3), "-3"),
    (Number(m.expr * n.expr), "m n"),
    (Ones(m, 1), r"\mathbf{1}"),
    (Ones(1, n), r"\mathbf{1}^{\top}"),
    (Ones(m, n), r"\mathbf{1} \mathbf{1}^{\top}"),  # the outer product, as the text prints it
    (Ones(ONE, ONE), "1"),
    (Identity(n), "I"),
    (Zero(m, n), "0"),
    (Commutation(m, n), "K_{m,n}"),
    (Commutation(m * n, p), "K_{m n,p}"),
    (Delta(X), r"\mathrm{d}X"),
    (Delta(yhat), r"\mathrm{d}\hat{y}"),
    (z, "z"),
    # sums: broadcasting shows the ones vector; negative terms subtract
    (z.expr, r"X w + \mathbf{1} b"),
    (X @ w + b - y, r"X w + \mathbf{1} b - y"),
    (X - 2 * X, "X - 2 X"),
    (-X + X, "-X + X"),
    (Add((X, Scale(-1, Add((X, X))))), r"X - (X + X)"),
    # constant multiples
    (2 / m * X, r"\frac{2}{m} X"),
    (Scale(-2 / m.expr, X), r"- \frac{2}{m} X"),
    (Scale(n.expr - 1, X), r"(n - 1) X"),
    (Scale(2, X + X), r"2 (X + X)"),
    (Scale(2, Zero(m, n)), r"2 \cdot 0"),
    # scalar expressions times matrices; division by a scalar as a fraction
    (b * X, "b X"),
    (lam * Sigma, r"\lambda \Sigma"),
    (X / b, r"\frac{X}{b}"),
    (ScalarMul(Power(b, -2), X), r"\frac{X}{b^{2}}"),
    ((w.T @ w) * X, r"(w^{\top} w) X"),
    (ScalarMul(b, Scale(-1, X)), r"b (-X)"),
    # products, transposes, inverses
    (X.T @ X, r"X^{\top} X"),
    (x.T @ A @ x, r"x^{\top} A x"),
    ((X @ w).T, r"(X w)^{\top}"),
    (Transpose(Transpose(X)), r"(X^{\top})^{\top}"),
    (Transpose(Ones(m, 1)), r"\mathbf{1}^{\top}"),
    (Transpose(Delta(X)), r"\mathrm{d}X^{\top}"),
    (mc.inv(A), "A^{-1}"),
    (mc.inv(Sigma), r"\Sigma^{-1}"),
    (mc.inv(A).T, r"A^{-\top}"),
    (Inverse(A.T), r"A^{-\top}"),
    (mc.inv(X.T @ X).T, r"(X^{\top} X)^{-\top}"),
    (Inverse(Delta(A)), r"(\mathrm{d}A)^{-1}"),
    (W1 @ mc.inv(A) @ W1.T, r"W_{1} A^{-1} W_{1}^{\top}"),
    # a leading positive multiple needs no parentheses, a later or negative one does
    (MatMul((Scale(2, X.T), X)), r"2 X^{\top} X"),
    (MatMul((X.T, Scale(2, X))), r"X^{\top} (2 X)"),
    (MatMul((Scale(-1, X.T), X)), r"(-X^{\top}) X"),
    # Hadamard and Kronecker products bind looser than the matrix product
    (X * X, r"X \odot X"),
    (mc.hadamard(X @ A, X), r"(X A) \odot X"),
    (Kron(A, X), r"A \otimes X"),
    (Kron(Identity(n), X.T @ X), r"I \otimes (X^{\top} X)"),
    (Kron(Kron(A, B), X), r"(A \otimes B) \otimes X"),
    # elementwise powers: Hadamard powers of matrices, ordinary powers of scalars
    (X ** 2, r"X^{\circ 2}"),
    (X ** -1, r"X^{\circ -1}"),
    (Power(X, half), r"X^{\circ 1/2}"),
    ((X + X) ** 2, r"(X + X)^{\circ 2}"),
    (b ** 2, "b^{2}"),
    (Power(b, half), r"\sqrt{b}"),
    (Power(Delta(b), 2), r"(\mathrm{d}b)^{2}"),
    # elementwise functions, built-in and generic
    (mc.relu(X @ w), r"\operatorname{relu}(X w)"),
    (mc.tanh(X), r"\tanh(X)"),
    (mc.exp(b), r"\exp(b)"),
    (mc.ones(m, n) - mc.tanh(X) ** 2, r"\mathbf{1} \mathbf{1}^{\top} - \tanh(X)^{\circ 2}"),
    (sigma(z), r"\sigma(z)"),
    (sigma.prime(z), r"\sigma'(z)"),
    (Apply("sigma", z, 2), r"\sigma''(z)"),
    (Apply("sigma", z, 4), r"\sigma^{(4)}(z)"),
    (Apply("act", X), r"\operatorname{act}(X)"),
    (Apply("f_1", X, 1), r"f_{1}'(X)"),
    # diagonals, vec, traces, determinants, sums, norms
    (mc.Diag(mc.step(z)), r"\operatorname{Diag}(\operatorname{step}(z))"),
    (mc.diag(A), r"\operatorname{diag}(A)"),
    (mc.vec(X), r"\operatorname{vec}(X)"),
    (Unvec(mc.vec(X), m, n),
     r"\operatorname{vec}^{-1}_{m\times n}(\operatorname{vec}(X))"),
    (Commutation(m, n) @ mc.vec(X), r"K_{m,n} \operatorname{vec}(X)"),
    (mc.tr(X.T @ X), r"\operatorname{tr}(X^{\top} X)"),
    (mc.det(A), r"\det(A)"),
    (mc.matrix_power(A, 3), r"A^{3}"),
    (mc.matrix_power(A.T, mc.dim("k")), r"(A^{\top})^{k}"),
    (mc.logdet(Sigma), r"\log\,\lvert\det(\Sigma)\rvert"),
    (mc.sum(X), r"\operatorname{sum}(X)"),
    (mc.norm(X), r"\lVert X \rVert_{F}"),
    (mc.norm(w), r"\lVert w \rVert_{2}"),
    (mc.norm(w.T), r"\lVert w^{\top} \rVert_{2}"),
    (Norm(b), r"\lvert b \rvert"),
    # Frobenius products: ⊙ binds tighter than :, a sum needs parentheses
    (mc.frob(X, Delta(X)), r"X : \mathrm{d}X"),
    (Frob(X + X, Delta(X)), r"(X + X) : \mathrm{d}X"),
    (Frob(X * X, Delta(X)), r"(X \odot X) : \mathrm{d}X"),
    # the seeds: single-layer ReLU network (000) and its accepted answer's steps
    (((yhat - y).T @ (yhat - y)) / m,
     r"\frac{1}{m} (\hat{y} - y)^{\top} (\hat{y} - y)"),
    (Frob(Scale(2 / m.expr, yhat - y), Delta(yhat)),
     r"\frac{2}{m} (\hat{y} - y) : \mathrm{d}\hat{y}"),
    (Frob(Scale(2 / m.expr, H @ (yhat - y) @ w.T), Delta(X)),
     r"\frac{2}{m} H (\hat{y} - y) w^{\top} : \mathrm{d}X"),
    (2 / m * X.T @ (mc.step(z) * (yhat - y)),
     r"\frac{2}{m} X^{\top} (\operatorname{step}(z) \odot "
     r"(\hat{y} - y))"),
    # two-layer network (001): named weights with subscripts
    (mc.relu(W1 @ x + b_2), r"\operatorname{relu}(W_{1} x + b_{2})"),
    (Let("thetahat", mc.sigmoid(x)), r"\hat{\theta}"),
    # sized delimiters only around fractions; none of the thin space \left( gets after a name
    (mc.tr(X.T @ X / m), r"\operatorname{tr}\mathopen{}\left(\frac{1}{m} X^{\top} X\right)"),
    ((X / b).T, r"\left(\frac{X}{b}\right)^{\top}"),
    (mc.norm(X / b), r"\left\lVert \frac{X}{b} \right\rVert_{F}"),
    (Norm(b / m), r"\left\lvert \frac{1}{m} b \right\rvert"),
    (mc.logdet(Sigma / m),
     r"\log\,\mathopen{}\left\lvert\det\mathopen{}\left(\frac{1}{m} \Sigma\right)\right\rvert"),
    (Scale(2, X / b), r"2 \frac{X}{b}"),
    (mc.softmax(X, axis=1), r"\operatorname{softmax}_{\mathrm{row}}(X)"),
    (mc.logsumexp(w), r"\operatorname{logsumexp}(w)"),
    (mc.logsumexp(X, axis=0), r"\operatorname{logsumexp}_{\mathrm{col}}(X)"),
    # spectral functions: e^S, S^{1/2}, the eigendecomposition S = Q_S Diag(λ_S) Q_Sᵀ
    (mc.expm(Ssym), r"e^{S}"), (mc.sqrtm(Pspd), r"P^{1/2}"),
    (mc.logm(Pspd), r"\operatorname{logm}(P)"), (mc.eigvalsh(A + A.T), r"\lambda_{A + A^{\top}}"),
    (EigVecs(Ssym).T, r"Q_{S}^{\top}"), (DivDiff("exp", Ssym), r"\exp^{[1]}(\lambda_{S})"),
    (DivDiff("log", Pspd, 2), r"\log^{[2]}(\lambda_{P})"), (EigGap(Ssym), r"E_{S}"),
]


@pytest.mark.parametrize("expr, expected", SAMPLES, ids=[str(e) for e, _ in SAMPLES])
def test_snapshot(expr: mc.Expr, expected: str) -> None:
    assert latex(expr) == expected


def test_samples_cover_every_node_type() -> None:
    seen = {type(node) for e, _ in SAMPLES for node in walk(e)}
    # a Delta's target is not a child in walk(); the samples take dX of symbols and lets
    assert set(NODE_TYPES) - seen == set()


def test_every_node_type_has_a_rule() -> None:
    missing = [t.__name__ for t in NODE_TYPES if _latex.dispatch(t) is _latex.registry[object]]
    assert missing == []


@pytest.mark.parametrize("name, expected", [
    ("x", "x"), ("beta", r"\beta"), ("sigma", r"\sigma"), ("Sigma", r"\Sigma"),
    ("lam", r"\lambda"), ("lambda_1", r"\lambda_{1}"), ("Lam", r"\Lambda"),
    ("Alpha", r"\mathrm{A}"), ("epsilon", r"\epsilon"), ("eta", r"\eta"),
    ("W1", "W_{1}"), ("W12", "W_{12}"), ("beta1", r"\beta_{1}"), ("b_2", "b_{2}"),
    ("x_i", "x_{i}"), ("x_ij", "x_{ij}"), ("x_i_j", "x_{i,j}"), ("x_beta", r"x_{\beta}"),
    ("x_train", r"x_{\mathrm{train}}"), ("yhat", r"\hat{y}"), ("y_hat", r"\hat{y}"),
    ("ybar", r"\bar{y}"), ("Xtilde", r"\tilde{X}"), ("thetahat", r"\hat{\theta}"),
    ("yhat_2", r"\hat{y}_{2}"), ("yhat2", r"\hat{y}_{2}"),
    ("loss", r"\mathit{loss}"), ("sidebar", r"\mathit{sidebar}"),
    ("loss_val", r"\mathit{loss}_{\mathrm{val}}"), ("_x", r"\mathit{\_x}"), ("x__1", "x_{1}"),
])
def test_names(name: str, expected: str) -> None:
    assert latex_name(name) == expected


def test_dims_use_the_same_names() -> None:
    n1, = mc.dims("n1")
    assert latex_dim(n1) == "n_{1}"
    assert latex(Commutation(n1, m)) == r"K_{n_{1},m}"
    assert latex(Number(2 / n1.expr)) == r"\frac{2}{n_{1}}"


def test_repr_latex_is_display_math() -> None:
    assert (X.T @ X)._repr_latex_() == r"$\displaystyle X^{\top} X$"


def _run_python(code: str) -> str:
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return out.stdout.strip() or out.stderr


def test_package_export_is_the_function() -> None:
    # a fresh interpreter: this test module itself imports the submodule matcalc.latex
    code = "import matcalc as mc; m, = mc.dims('m'); print(mc.latex(mc.matrix('X', m, m).T))"
    assert _run_python(code) == r"X^{\top}"


def test_package_export_survives_submodule_import() -> None:
    code = ("import matcalc as mc, matcalc.printing.tex; m, = mc.dims('m'); "
            "print(mc.latex(mc.matrix('X', m, m).T))")
    assert _run_python(code) == r"X^{\top}"


# ----------------------------------------------------------------------------------------
# KaTeX / MathJax: only constructs both support
# ----------------------------------------------------------------------------------------

# Every command the printer may emit; each is in KaTeX's and MathJax's supported lists.
KATEX_SAFE = {
    "left", "right", "mathopen", "frac", "odot", "oslash", "otimes", "operatorname", "mathbf",
    "mathrm", "mathit",
    "top", "circ", "det", "log", "exp", "tanh", "sin", "cos", "tan", "arcsin", "arccos",
    "arctan", "sqrt", "lVert", "rVert", "lvert", "rvert", "times", "cdot", "hat", "bar",
    "tilde", "dot", "ddot", "check", "breve", "displaystyle", "_", ",",
    *(name.lstrip("\\") for name in [
        r"\alpha", r"\beta", r"\gamma", r"\delta", r"\epsilon", r"\zeta", r"\eta", r"\theta",
        r"\iota", r"\kappa", r"\lambda", r"\mu", r"\nu", r"\xi", r"\pi", r"\rho", r"\sigma",
        r"\tau", r"\upsilon", r"\phi", r"\chi", r"\psi", r"\omega", r"\Gamma", r"\Delta",
        r"\Theta", r"\Lambda", r"\Xi", r"\Pi", r"\Sigma", r"\Upsilon", r"\Phi", r"\Psi",
        r"\Omega", r"\varepsilon", r"\vartheta", r"\varphi"]),
}


def _commands(tex: str) -> set[str]:
    return set(re.findall(r"\\([A-Za-z]+|[^A-Za-z])", tex))


def test_only_katex_safe_commands() -> None:
    used = set().union(*(_commands(latex(e)) for e, _ in SAMPLES))
    used |= _commands(" ".join(latex_name(nm) for nm in ["alpha", "Omega", "ybar", "_x"]))
    assert used - KATEX_SAFE == set()


def test_no_environments_macros_or_text_mode() -> None:
    for e, _ in SAMPLES:
        tex = latex(e)
        for bad in (r"\begin", r"\mathbbm", r"\newcommand", r"\def", "$", r"\text{", "\n"):
            assert bad not in tex, (bad, tex)
        assert tex.count("{") == tex.count("}"), tex
        assert tex.count(r"\left") == tex.count(r"\right"), tex
        assert tex.count("(") == tex.count(")"), tex


@pytest.mark.skipif(not katex_available(), reason=KATEX_MISSING)
def test_katex_renders_every_sample() -> None:
    texs = [latex(e) for e, _ in SAMPLES]
    aligned = ("\\begin{aligned}" + r" \\ ".join(f"e &= {t}" for t in texs)
               + "\\end{aligned}")
    errors = katex_errors([*texs, aligned, (X.T @ X)._repr_latex_().strip("$")])
    assert [(t, err) for t, err in zip([*texs, aligned, "repr"], errors) if err] == []
    # and the check itself can fail
    assert katex_errors([r"\mathbbm{1}"])[0] is not None


# ----------------------------------------------------------------------------------------
# Documents and real LaTeX
# ----------------------------------------------------------------------------------------

needs_pdflatex = pytest.mark.skipif(not pdflatex_available(), reason=PDFLATEX_MISSING)


def _displays_document() -> str:
    """Every sample in a display of its own (the math=False path)."""
    body = "\n".join(rf"\[ {latex(e)} \]" for e, _ in SAMPLES)
    return latex_document(body, title="matcalc LaTeX samples", math=False)


def _aligned_document() -> str:
    """Every sample as a row of one ``aligned`` block, as Derivation.latex() returns them."""
    rows = " \\\\\n".join(rf"e_{{{i}}} &= {latex(e)}" for i, (e, _) in enumerate(SAMPLES))
    return latex_document("\\begin{aligned}\n" + rows + "\n\\end{aligned}", title="aligned")


def test_document_structure() -> None:
    doc = latex_document(r"a + b", title="x_1 & 100% {ok}")
    assert doc.startswith("\\documentclass{article}\n\\usepackage{amsmath}\n"
                          "\\usepackage{amssymb}\n")
    assert r"\section*{x\_1 \& 100\% \{ok\}}" in doc
    assert "\\[\na + b\n\\]" in doc
    assert doc.endswith("\\end{document}\n")
    assert doc.count(r"\usepackage") == 2
    assert r"\usepackage" not in doc.split("\\begin{document}")[1]


def test_aligned_body_becomes_breakable_align() -> None:
    doc = latex_document("\\begin{aligned}\na &= b \\\\\nc &= d\n\\end{aligned}")
    assert "\\begin{align*}\na &= b \\\\\nc &= d\n\\end{align*}" in doc
    assert r"\[" not in doc and "aligned" not in doc
    # an aligned block with a position argument, or two of them, stays in a display
    for body in ["\\begin{aligned}[t] a &= b \\end{aligned}",
                 r"\begin{aligned} a &= b \end{aligned} = \begin{aligned} c \end{aligned}"]:
        assert "\\[\n" + body + "\n\\]" in latex_document(body)


def test_document_without_title_or_math_wrapper() -> None:
    doc = latex_document(r"Text and \[ x \]", math=False)
    assert r"\section" not in doc
    assert "\\begin{document}\nText and \\[ x \\]\n\\end{document}" in doc


@needs_pdflatex
def test_compile_rejects_broken_latex() -> None:
    ok, log = compile_latex(latex_document(r"x \notacommand y"))
    assert not ok
    assert any("Undefined control sequence" in e for e in latex_errors(log))


@needs_pdflatex
def test_all_samples_compile() -> None:
    ok, log = compile_latex(_displays_document())
    assert ok, "\n".join(latex_errors(log)) or log[-3000:]


@needs_pdflatex
def test_long_aligned_block_breaks_across_pages() -> None:
    ok, log = compile_latex(_aligned_document())
    assert ok, "\n".join(latex_errors(log)) or log[-3000:]
    pages = re.search(r"Output written on doc\.pdf \((\d+) pages?", log)
    assert pages and int(pages.group(1)) >= 2, "the rows did not break across pages"
    assert "Overfull \\vbox" not in log


@needs_pdflatex
def test_single_display_document_compiles() -> None:
    g = Frob(Scale(2 / m.expr, H @ (yhat - y) @ w.T), Delta(X))
    body = "\\begin{aligned}\n\\mathrm{d}L &= " + latex(g) + " \\\\\n" \
        + r"\frac{\partial L}{\partial X} &= " + latex(Scale(2 / m.expr, H @ (yhat - y) @ w.T)) \
        + "\n\\end{aligned}"
    ok, log = compile_latex(latex_document(body, title="Seed 000: dL/dX & more_stuff"))
    assert ok, "\n".join(latex_errors(log)) or log[-3000:]


@needs_pdflatex
@pytest.mark.skipif(not pdftoppm_available(), reason="pdftoppm (poppler-utils) is not installed")
def test_render_png(tmp_path: Path) -> None:
    out = tmp_path / "samples.png"
    ok, log = render_png(_displays_document(), out)
    assert ok, log[-3000:]
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000



# ----------------------------------------------------------------------------------------
# Random expressions: every combination of nodes must still be valid LaTeX
# ----------------------------------------------------------------------------------------


def _random_square(rng: random.Random, depth: int) -> mc.Expr:
    """A random n×n expression over every node type (deterministic for a given seed)."""
    if depth == 0:
        return rng.choice([A, Sigma, Identity(n), Ones(n, n), Zero(n, n), Delta(A),
                           Let("Ahat", A), mc.matrix("W_2", n, n)])
    sub = lambda: _random_square(rng, depth - 1)  # noqa: E731
    scalar = lambda: rng.choice([  # noqa: E731
        Trace(sub()), Det(sub()), LogDet(sub()), Sum(sub()), Norm(sub()), Frob(sub(), sub()),
        Number(rng.choice([2, -1, half, 2 / m.expr])), lam, x.T @ sub() @ x,
        Power(lam, rng.choice([2, -1, half, -half])), Norm(lam)])
    build = rng.choice([
        lambda: Add((sub(), sub())),
        lambda: Add((sub(), Scale(rng.choice([-1, -2, -half]), sub()))),
        lambda: Scale(rng.choice([2, -1, half, 2 / m.expr, n.expr - 1]), sub()),
        lambda: ScalarMul(scalar(), sub()),
        lambda: ScalarMul(Power(scalar(), rng.choice([-1, -2, -half])), sub()),
        lambda: MatMul((sub(), sub())),
        lambda: Transpose(sub()),
        lambda: Hadamard((sub(), sub())),
        lambda: Power(sub(), rng.choice([2, -1, half])),
        lambda: Apply(rng.choice(["tanh", "relu", "exp", "sigma", "act"]), sub(),
                      rng.choice([0, 0, 1, 2])),
        lambda: Inverse(sub()),
        lambda: Diag(DiagPart(sub())),
        lambda: Unvec(Vec(sub()), n, n),
        lambda: Unvec(Commutation(n, n) @ Vec(sub()), n, n),
        lambda: ScalarMul(Trace(Kron(sub(), sub())), sub()),
    ])
    return build()


RANDOM_EXPRS = [_random_square(random.Random(seed), 3) for seed in range(150)]


def test_random_expressions_are_well_formed() -> None:
    for e in RANDOM_EXPRS:
        tex = latex(e)
        assert tex.count("{") == tex.count("}"), tex
        assert tex.count(r"\left") == tex.count(r"\right"), tex
        assert _commands(tex) - KATEX_SAFE == set(), tex


@needs_pdflatex
def test_random_expressions_compile() -> None:
    body = "\n".join(rf"\[ {latex(e)} \]" for e in RANDOM_EXPRS)
    ok, log = compile_latex(latex_document(body, math=False))
    assert ok, "\n".join(latex_errors(log)) or log[-3000:]


@pytest.mark.skipif(not katex_available(), reason=KATEX_MISSING)
def test_katex_renders_random_expressions() -> None:
    texs = [latex(e) for e in RANDOM_EXPRS]
    assert [(t, err) for t, err in zip(texs, katex_errors(texs)) if err] == []


# exp(s log u), which the text a^b and the derivative of x.^alpha are built as, prints as
# the power a person writes (issue 9: a^b printed as exp(b log(a)) b a^(-1))
_a, _b, _alpha = mc.scalar("a"), mc.scalar("b"), mc.scalar("alpha")
_x = mc.vector("x", mc.dim("n"))


@pytest.mark.parametrize("e, text, tex", [
    (lambda: mc.parse("a^b", a=_a, b=_b), "a^b", "a^{b}"),
    (lambda: mc.grad(mc.parse("a^b", a=_a, b=_b), _a), "a^(b - 1) b", "a^{b - 1} b"),
    (lambda: mc.grad(mc.parse("a^b", a=_a, b=_b), _b), "a^b log(a)", r"a^{b} \log(a)"),
    (lambda: mc.parse("a^(-2*b)", a=_a, b=_b), "a^(-2 b)", "a^{-2 b}"),
    (lambda: mc.grad(mc.parse("sum(x.^alpha)", x=_x, alpha=_alpha), _x),
     "alpha x∘(alpha - 1)", r"\alpha x^{\circ \left(\alpha - 1\right)}"),
    # a scalar to a vector power has no better notation: it stays exp(log(a) x)
    (lambda: mc.parse("a.^x", a=_a, x=_x), "exp(log(a) x)", r"\exp(\log(a) x)"),
], ids=["a^b", "d/da a^b", "d/db a^b", "a^(-2b)", "d/dx x.^alpha", "a.^x"])
def test_exp_of_a_log_prints_as_a_power(e, text, tex) -> None:
    v = e()
    assert str(v) == text
    assert mc.latex(v) == tex


def test_a_scalar_product_times_a_matrix_is_parenthesized_in_text_as_in_latex() -> None:
    # the Rayleigh quotient's gradient, as the book writes it: (xᵀ A x) x, not xᵀ A x x;
    # 2 a x / b needs no parentheses around the quotient; 1/(xᵀx) comes out once
    A = mc.matrix("A", mc.dim("n"), mc.dim("n"))
    g = mc.grad(_x.T @ A @ _x / (_x.T @ _x), _x)
    assert str(g) == "((Aᵀ + A) x - 2 (xᵀ A x) x / (xᵀ x)) / (xᵀ x)"
    assert mc.latex(g) == (r"\frac{(A^{\top} + A) x - 2 \frac{(x^{\top} A x) x}{x^{\top} x}}"
                           r"{x^{\top} x}")
    x, s = mc.vector("x", mc.dim("n")), mc.scalar("s")
    assert str(2 * (x / s)) == "2 x / s"
