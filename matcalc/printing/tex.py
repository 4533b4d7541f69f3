r"""LaTeX for expressions, one rule per node type, and complete documents around it.

The output is math-mode LaTeX that needs nothing beyond plain LaTeX with ``amsmath`` and
``amssymb``, and that MathJax and KaTeX render as well: no custom macros, no extra packages.
It follows the text printer's conventions (:mod:`matcalc.printing`) and shares its
precedence table ``PREC``, so both printers group alike; where print allows less (a leading
positive multiple in a product, ``\frac{2}{m} X^{\top} H``) it leaves parentheses out.
Delimiters are sized (``\left(``) only around fractions, the way typeset mathematics does.

Notation, as in the differential-calculus literature (Magnus & Neudecker; the Matrix
Cookbook): ``\mathrm{d}X`` for differentials, ``A : B`` for the Frobenius product,
``X^{\top}``, ``X^{-\top}``, ``\odot`` and ``\otimes``, ``X^{\circ k}`` for elementwise powers,
``\mathbf{1}`` for ones vectors and ``\operatorname{Diag}`` / ``\operatorname{diag}`` for the
vector-to-matrix and matrix-to-vector diagonals. Names (Greek letters, subscripts, accents)
are written by :mod:`matcalc.printing.tex_names`.
"""

from __future__ import annotations

import re
from functools import singledispatch

import sympy

from ..expr.build import as_expr
from ..expr.deep import deep
from ..expr.functions import FUNCTIONS
from ..expr.nodes import (
    Add,
    Apply,
    Commutation,
    Delta,
    Det,
    Diag,
    DiagPart,
    Expr,
    Frob,
    Hadamard,
    Identity,
    Inverse,
    Kron,
    Let,
    LogDet,
    LogSumExp,
    MatMul,
    MatrixPower,
    Norm,
    Number,
    Ones,
    Power,
    ScalarMul,
    Scale,
    Softmax,
    Sum,
    Symbol,
    Trace,
    Transpose,
    Unvec,
    Vec,
    Zero,
    is_scalar_shape,
)
from .tex_names import _TRAILING_DIGITS, _letter, _sympy_latex, latex_dim, latex_name
from .text import (
    PREC,
    coef_is_negative,
    hadamard_quotient,
    join_terms,
    power_of_log,
    scalar_fraction,
)

__all__ = ["latex", "latex_document"]

# ----------------------------------------------------------------------------------------
# Expressions
# ----------------------------------------------------------------------------------------


@deep
def latex(e: Expr) -> str:
    r"""LaTeX for ``e``, for math mode (``\[ ... \]``, ``$ ... $``, MathJax, KaTeX).

    Parameters
    ----------
    e : Expr
        Any matcalc expression.

    Returns
    -------
    str
        LaTeX that needs only amsmath and amssymb.

    Examples
    --------
    >>> import matcalc as mc
    >>> from matcalc.latex import latex
    >>> m, n = mc.dims("m n")
    >>> X, w = mc.matrix("X", m, n), mc.vector("w", n)
    >>> latex(2 / m * (X @ w).T)
    '\\frac{2}{m} (X w)^{\\top}'
    """
    return _latex(as_expr(e, "mc.latex", "e"))[0]


def _is_tall(text: str) -> bool:
    """Whether ``text`` holds a built-up fraction, the one construct taller than a line."""
    return r"\frac" in text


def _fence(text: str, open_: str = "(", close: str = ")") -> str:
    """Delimiters around ``text``: ``\\left``/``\\right`` only around a fraction, since
    sized delimiters around sub- and superscripts come out too large, as in print."""
    if _is_tall(text):
        return rf"\left{open_}{text}\right{close}"
    return f"{open_}{text}{close}"


def _paren(e: Expr, level: int, strict: bool = False) -> str:
    text, p = _latex(e)
    if p < level or (strict and p == level):
        return _fence(text)
    return text


def _postfix_base(e: Expr) -> str:
    r"""The base of a superscript: parenthesized unless atomic, so that ``^`` never meets
    another superscript and ``(\mathrm{d}X)^{-1}`` is not read as ``\mathrm{d}(X^{-1})``."""
    if isinstance(e, Delta):
        return _fence(_latex(e)[0])
    return _paren(e, PREC["postfix"], strict=True)


def _call(op: str, arg: Expr) -> tuple[str, int]:
    return op + _call_fence(latex(arg)), PREC["atom"]


def _call_fence(text: str, open_: str = "(", close: str = ")") -> str:
    """A function's argument list. A ``\\left(`` after a name would get a thin space (an
    Inner atom after an Op or Ord); the empty ``\\mathopen{}`` cancels it."""
    fenced = _fence(text, open_, close)
    return (r"\mathopen{}" + fenced) if fenced.startswith(r"\left") else fenced


def _coef_prec(c: sympy.Expr) -> int:
    """How tightly a printed constant binds, in the shared table."""
    if c.is_Add or coef_is_negative(c):
        return PREC["sum"]
    if (c.is_Integer and c >= 0) or c.is_Symbol:
        return PREC["atom"]
    return PREC["product"]


def _juxtapose(left: str, right: str) -> str:
    """``left right`` as a product; a ``\\cdot`` where a digit or sign would run on, and a
    thin space after a differential, so dX w does not read as d(Xw)."""
    if right[:1].isdigit() or right.startswith("-"):
        return rf"{left} \cdot {right}"
    if _ENDS_WITH_DIFFERENTIAL.search(left) or right.startswith(r"\mathrm{d}"):
        return rf"{left}\,{right}"
    return f"{left} {right}"


_ENDS_WITH_DIFFERENTIAL = re.compile(
    r"\\mathrm\{d\}"  # the d, then the variable's name: X, \beta, \hat{y}, W_{1}
    r"(?:[A-Za-z]|\\[A-Za-z]+|\\hat\{[^{}]*\}|[A-Za-z]_\{[^{}]*\})(?:\^\{\\top\})?$")


@singledispatch
def _latex(e: Expr) -> tuple[str, int]:
    raise NotImplementedError(f"no LaTeX printer for {type(e).__name__}")


@_latex.register
def _(e: Symbol) -> tuple[str, int]:
    return latex_name(e.name), PREC["atom"]


@_latex.register
def _(e: Let) -> tuple[str, int]:
    """A named intermediate prints by its name; its definition is listed by the caller."""
    return latex_name(e.name), PREC["atom"]


@_latex.register
def _(e: Delta) -> tuple[str, int]:
    """The differential: an upright d, as ISO 80000-2 writes it."""
    return r"\mathrm{d}" + latex(e.of), PREC["atom"]


@_latex.register
def _(e: Number) -> tuple[str, int]:
    return _sympy_latex(e.value), _coef_prec(e.value)


@_latex.register
def _(e: Ones) -> tuple[str, int]:
    """``𝟏`` for a column, ``𝟏ᵀ`` for a row (as in the seeds' answers), ``𝟏 𝟏ᵀ`` for a
    matrix (as the text printer writes it), ``1`` for 1×1."""
    if e.cols == 1 and e.rows == 1:
        return "1", PREC["atom"]
    if e.cols == 1:
        return r"\mathbf{1}", PREC["atom"]
    if e.rows == 1:
        return r"\mathbf{1}^{\top}", PREC["postfix"]
    return r"\mathbf{1} \mathbf{1}^{\top}", PREC["product"]


@_latex.register
def _(e: Identity) -> tuple[str, int]:
    return "I", PREC["atom"]


@_latex.register
def _(e: Zero) -> tuple[str, int]:
    return "0", PREC["atom"]


@_latex.register
def _(e: Commutation) -> tuple[str, int]:
    """``K_{m,n}``, with vec(Xᵀ) = K_{m,n} vec(X) (Magnus & Neudecker 3.7)."""
    return rf"K_{{{latex_dim(e.m)},{latex_dim(e.n)}}}", PREC["atom"]


@_latex.register
def _(e: Add) -> tuple[str, int]:
    """Negative terms after the first print as subtraction: ``a - b``, not ``a + -b``."""
    return join_terms(e, _paren), PREC["sum"]


@_latex.register
def _(e: Scale) -> tuple[str, int]:
    """A constant juxtaposed with its matrix: ``\\frac{2}{m} X``, ``-X``."""
    c = e.coef
    inner = _paren(e.x, PREC["product"])
    if c == -1:
        return "-" + inner, PREC["sum"]
    cs = _sympy_latex(c)
    if c.is_Add:
        cs = _fence(cs)
    return _juxtapose(cs, inner), PREC["sum"] if coef_is_negative(c) else PREC["scale"]


@_latex.register
def _(e: ScalarMul) -> tuple[str, int]:
    """``s X``; a division by a scalar, ``s⁻¹ x``, as the fraction ``\\frac{x}{s}``."""
    s = e.s
    if isinstance(s, Power) and coef_is_negative(s.k):
        denom = s.x if s.k == -1 else Power(s.x, -s.k)
        return rf"\frac{{{latex(e.x)}}}{{{latex(denom)}}}", PREC["product"]
    split = scalar_fraction(s)
    if split is not None:  # (a b⁻¹) X as \frac{a X}{b}
        num, den = split
        top = _juxtapose(_paren(num, PREC["product"], strict=True), _paren(e.x, PREC["product"]))
        return rf"\frac{{{top}}}{{{latex(den)}}}", PREC["product"]
    if isinstance(e.x, Ones) and e.x.cols == 1:  # a column of s: 1 s, as in z = Xw + 1b
        return _juxtapose(r"\mathbf{1}", _paren(s, PREC["product"])), PREC["product"]
    # strict: a 1×1 product such as wᵀx gets parentheses, lest (wᵀx) X read as wᵀ(xX)
    return _juxtapose(_paren(s, PREC["product"], strict=True),
                      _paren(e.x, PREC["product"])), PREC["product"]


@_latex.register
def _(e: MatMul) -> tuple[str, int]:
    """Factors juxtaposed. A leading positive multiple needs no parentheses:
    ``(c A) B = c (A B)``, which is how ``\\frac{2}{m} X^{\\top} (\\dots)`` is written."""
    first = e.factors[0]
    if isinstance(first, Scale) and not coef_is_negative(first.coef):
        text = _latex(first)[0]
    else:
        text = _paren(first, PREC["product"])
    for f in e.factors[1:]:
        text = _juxtapose(text, _paren(f, PREC["product"]))
    return text, PREC["product"]


@_latex.register
def _(e: Hadamard) -> tuple[str, int]:
    if is_scalar_shape(e.shape):  # a product of scalars
        text = _paren(e.factors[0], PREC["product"])
        for f in e.factors[1:]:
            text = _juxtapose(text, _paren(f, PREC["product"]))
        return text, PREC["product"]
    num, den = hadamard_quotient(e)
    text = (r" \odot ".join(_paren(f, PREC["product"], strict=True) for f in num)
            if num else "1")
    if den:
        below = den[0] if len(den) == 1 else Hadamard(tuple(den))
        text += r" \oslash " + _paren(below, PREC["postfix"])
    return text, PREC["hadamard"]


@_latex.register
def _(e: Kron) -> tuple[str, int]:
    return (rf"{_paren(e.a, PREC['product'], strict=True)} \otimes "
            rf"{_paren(e.b, PREC['product'], strict=True)}"), PREC["kron"]


@_latex.register
def _(e: Frob) -> tuple[str, int]:
    """The Frobenius product ``A : B = tr(AᵀB)``."""
    return f"{_paren(e.a, PREC['scale'])} : {_paren(e.b, PREC['scale'])}", PREC["frob"]


@_latex.register
def _(e: Transpose) -> tuple[str, int]:
    x = e.x
    if isinstance(x, Inverse):
        return _postfix_base(x.x) + r"^{-\top}", PREC["postfix"]
    if isinstance(x, Ones):  # the transpose of a ones matrix is a ones matrix
        return _latex(Ones(x.cols, x.rows))
    if isinstance(x, Delta):  # (dX)ᵀ = d(Xᵀ): no parentheses needed
        return latex(x) + r"^{\top}", PREC["postfix"]
    return _postfix_base(x) + r"^{\top}", PREC["postfix"]


@_latex.register
def _(e: Inverse) -> tuple[str, int]:
    if isinstance(e.x, Transpose):
        return _postfix_base(e.x.x) + r"^{-\top}", PREC["postfix"]
    return _postfix_base(e.x) + "^{-1}", PREC["postfix"]


def _exponent(k: sympy.Expr) -> str:
    """An exponent, with fractions on one line (``1/2``): a small ``\\frac`` is hard to read."""
    if k.is_Rational and not k.is_Integer:
        return f"{'-' if k < 0 else ''}{abs(k.p)}/{k.q}"
    return _sympy_latex(k, fold_short_frac=True)


@_latex.register
def _(e: Power) -> tuple[str, int]:
    """``x^{k}`` for a 1×1 base (``\\sqrt{x}`` for k = ½); the Hadamard power
    ``X^{\\circ k}`` for a matrix, so that it cannot be mistaken for a matrix power."""
    k = e.k
    scalar = is_scalar_shape(e.x.shape)
    if scalar and k == sympy.Rational(1, 2):
        return rf"\sqrt{{{latex(e.x)}}}", PREC["atom"]
    ks = _exponent(k)
    op = "" if scalar else r"\circ "
    return f"{_postfix_base(e.x)}^{{{op}{ks}}}", PREC["postfix"]


@_latex.register
def _(e: MatrixPower) -> tuple[str, int]:
    """The matrix power ``X^{k}`` (the Hadamard power is ``X^{\\circ k}``)."""
    return f"{_postfix_base(e.x)}^{{{_exponent(e.k)}}}", PREC["postfix"]


@_latex.register
def _(e: Apply) -> tuple[str, int]:
    """A built-in function by its usual name (``\\tanh``); a generic one by its letter,
    primes for its derivatives (``\\sigma'``, ``\\sigma''``, ``\\sigma^{(4)}``);
    exp(s log u) as the power ``u^{s}`` (``u^{\\circ s}`` for a matrix u)."""
    power = power_of_log(e)
    if power is not None:
        base, s = power
        ks, p = _latex(s)
        if is_scalar_shape(base.shape):
            return f"{_postfix_base(base)}^{{{ks}}}", PREC["postfix"]
        ks = ks if p >= PREC["atom"] else rf"\left({ks}\right)"  # x^{∘(α − 1)}
        return rf"{_postfix_base(base)}^{{\circ {ks}}}", PREC["postfix"]
    spec = FUNCTIONS.get(e.fn)
    if spec is not None:
        name = spec.latex
    elif "_" not in e.fn and _letter(e.fn) is None and not _TRAILING_DIGITS.match(e.fn):
        name = rf"\operatorname{{{e.fn}}}"  # a word such as ``act``: upright, like \tanh
    else:
        name = latex_name(e.fn)
    if e.order:
        name += "'" * e.order if e.order <= 3 else f"^{{({e.order})}}"
    return _call(name, e.x)


@_latex.register
def _(e: Diag) -> tuple[str, int]:
    if isinstance(e.v, DiagPart):  # X ∘ I, as the Cookbook writes X's diagonal
        return _latex(Hadamard((e.v.x, Identity(e.shape[0]))))
    return _call(r"\operatorname{Diag}", e.v)


@_latex.register
def _(e: DiagPart) -> tuple[str, int]:
    return _call(r"\operatorname{diag}", e.x)


@_latex.register
def _(e: Vec) -> tuple[str, int]:
    return _call(r"\operatorname{vec}", e.x)


@_latex.register
def _(e: Unvec) -> tuple[str, int]:
    """The inverse of vec onto rows×cols matrices: ``\\operatorname{vec}^{-1}_{m\\times n}``."""
    return _call(rf"\operatorname{{vec}}^{{-1}}_{{{latex_dim(e.rows)}\times {latex_dim(e.cols)}}}",
                 e.v)


@_latex.register
def _(e: Trace) -> tuple[str, int]:
    return _call(r"\operatorname{tr}", e.x)


@_latex.register
def _(e: Det) -> tuple[str, int]:
    return _call(r"\det", e.x)


@_latex.register
def _(e: LogDet) -> tuple[str, int]:
    """``log|det X|``, which is what the node means (not only for det X > 0)."""
    inner = r"\det" + _call_fence(latex(e.x))
    # a thin space, as in print: \log before an opening bar gets none of its own
    return r"\log\," + _call_fence(inner, r"\lvert", r"\rvert"), PREC["atom"]


@_latex.register
def _(e: Sum) -> tuple[str, int]:
    return _call(r"\operatorname{sum}", e.x)


@_latex.register(Softmax)
@_latex.register(LogSumExp)
def _(e: Softmax | LogSumExp) -> tuple[str, int]:
    """``softmax``/``logsumexp`` with the normalized axis as a subscript (col, row)."""
    name = r"\operatorname{softmax}" if isinstance(e, Softmax) else r"\operatorname{logsumexp}"
    sub = "" if e.axis is None else ("_{\\mathrm{col}}" if e.axis == 0 else "_{\\mathrm{row}}")
    return _call(name + sub, e.x)


@_latex.register
def _(e: Norm) -> tuple[str, int]:
    """``‖X‖_F`` for a matrix, ``‖x‖_2`` for a vector (the same number), ``|x|`` for 1×1."""
    r, c = e.x.shape
    body = latex(e.x)
    if r == 1 and c == 1:
        return _fence(f" {body} ", r"\lvert", r"\rvert"), PREC["atom"]
    sub = "2" if (r == 1 or c == 1) else "F"
    return _fence(f" {body} ", r"\lVert", r"\rVert") + f"_{{{sub}}}", PREC["atom"]


# ----------------------------------------------------------------------------------------
# Documents
# ----------------------------------------------------------------------------------------

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "^": r"\^{}", "_": r"\_", "%": r"\%", "~": r"\~{}",
}


def _escape_text(text: str) -> str:
    return "".join(_TEXT_ESCAPES.get(ch, ch) for ch in text)


_ALIGNED_BEGIN, _ALIGNED_END = r"\begin{aligned}", r"\end{aligned}"


def _is_single_aligned(body: str) -> bool:
    text = body.strip()
    return (text.startswith(_ALIGNED_BEGIN) and text.endswith(_ALIGNED_END)
            and text.count(_ALIGNED_BEGIN) == 1
            and not text[len(_ALIGNED_BEGIN):].lstrip().startswith("["))  # [t]: keep as is


def latex_document(body: str, title: str | None = None, *, math: bool = True) -> str:
    r"""A complete, compilable LaTeX document (article, amsmath, amssymb) around ``body``.

    Parameters
    ----------
    body : str
        With ``math=True`` (the default), math-mode LaTeX such as an ``aligned`` block or
        the output of :func:`latex`; it is set as one display, ``\[ ... \]``, except that a
        body that is one ``aligned`` block is set as ``align*`` so that it may break across
        pages. With ``math=False``, LaTeX for the document body, inserted as it is (several
        displays, text between them).
    title : str, optional
        Plain text for a heading; LaTeX's special characters are escaped.
    math : bool
        Whether ``body`` is math-mode content.

    Returns
    -------
    str
        The ``.tex`` source, ending in a newline.
    """
    lines = [
        r"\documentclass{article}",
        r"\usepackage{amsmath}",
        r"\usepackage{amssymb}",
        r"\allowdisplaybreaks",
        r"\begin{document}",
    ]
    if title is not None:
        lines.append(rf"\section*{{{_escape_text(title)}}}")
    if not math:
        lines.append(body)
    elif _is_single_aligned(body):
        # an ``aligned`` block is one unbreakable box; as ``align*`` a long derivation can
        # run over several pages (the same rows and alignment points)
        inner = body.strip()[len(_ALIGNED_BEGIN):-len(_ALIGNED_END)]
        lines.extend([r"\begin{align*}", inner.strip("\n"), r"\end{align*}"])
    else:
        lines.extend([r"\[", body, r"\]"])
    lines.append(r"\end{document}")
    return "\n".join(lines) + "\n"
