r"""LaTeX for names: symbols, functions and dimensions, as :mod:`matcalc.printing.tex` uses them.

Greek names as Greek letters (``beta`` → ``\beta``), trailing digits and ``_`` parts as
subscripts (``W1`` → ``W_{1}``, ``x_train`` → ``x_{\mathrm{train}}``), ``hat``/``bar``/...
suffixes as accents (``yhat`` → ``\hat{y}``), and constants and dims through SymPy's printer
with their symbols named the same way.
"""

from __future__ import annotations

import re

import sympy

from ..expr.dims import Dim

__all__ = ["latex_name", "latex_dim"]

_GREEK_LOWER = {
    name: "\\" + name
    for name in (
        "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho "
        "sigma tau upsilon phi chi psi omega varepsilon vartheta varpi varrho varsigma varphi"
    ).split()
}
_GREEK_LOWER.update({"lam": r"\lambda", "lamda": r"\lambda", "omicron": "o", "ell": r"\ell"})
# Capitals that LaTeX has a command for; the others look like Latin capitals and are
# written as upright Latin letters, as LaTeX itself prints capital Greek upright.
_GREEK_UPPER = {
    name: "\\" + name
    for name in "Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
}
_GREEK_UPPER.update({"Lam": r"\Lambda", "Lamda": r"\Lambda"})
_GREEK_UPPER.update({
    name: rf"\mathrm{{{letter}}}"
    for name, letter in [("Alpha", "A"), ("Beta", "B"), ("Epsilon", "E"), ("Zeta", "Z"),
                         ("Eta", "H"), ("Iota", "I"), ("Kappa", "K"), ("Mu", "M"),
                         ("Nu", "N"), ("Omicron", "O"), ("Rho", "P"), ("Tau", "T"),
                         ("Chi", "X")]
})
_GREEK = {**_GREEK_LOWER, **_GREEK_UPPER}

# Suffixes (``yhat``, ``y_bar``) that put an accent on the letter before them.
_ACCENTS = {"hat": r"\hat", "bar": r"\bar", "tilde": r"\tilde", "dot": r"\dot",
            "ddot": r"\ddot", "check": r"\check", "breve": r"\breve"}

_TRAILING_DIGITS = re.compile(r"^(.*?)(\d+)$")
_FROM_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def _letter(base: str) -> str | None:
    """LaTeX for a one-symbol base (a letter or a Greek name), else None."""
    if base in _GREEK:
        return _GREEK[base]
    if len(base) == 1 and base.isalpha():
        return base
    return None


def _split_accent(head: str) -> tuple[str, str | None]:
    r"""``("y", r"\hat")`` for ``"yhat"``; only a single letter or Greek name takes an accent,
    so that ordinary words ending in "bar" or "dot" stay words."""
    for suffix, cmd in _ACCENTS.items():
        if head.endswith(suffix) and _letter(head[: -len(suffix)]) is not None:
            return head[: -len(suffix)], cmd
    return head, None


def _subscript(part: str) -> str:
    m = _TRAILING_DIGITS.match(part)
    if m and len(m.group(1)) == 1 and _letter(m.group(1)) is not None:
        return f"{m.group(1)}_{{{m.group(2)}}}"  # G_t1, G_H3: a name as a subscript
    if part.isdigit() or _letter(part) is not None:
        return _GREEK.get(part, part)
    if len(part) <= 2:  # indices such as ``ij``
        return part
    return rf"\mathrm{{{part}}}"  # a word label such as ``train``


def latex_name(name: str) -> str:
    r"""LaTeX for a symbol, function or dimension name.

    Parameters
    ----------
    name : str
        A Python identifier.

    Returns
    -------
    str
        Greek names as Greek letters (``beta`` → ``\beta``, ``lam`` → ``\lambda``,
        ``Sigma`` → ``\Sigma``); trailing digits and ``_`` parts as subscripts
        (``W1`` → ``W_{1}``, ``x_i`` → ``x_{i}``, ``x_train`` → ``x_{\mathrm{train}}``);
        ``hat``/``bar``/``tilde`` suffixes as accents (``yhat`` → ``\hat{y}``,
        ``y_bar`` → ``\bar{y}``); any other multi-letter name as ``\mathit{name}``.
    """
    # generated names (t₁, t₂: matcalc.printing.names) carry subscript digits
    name = name.translate(_FROM_SUBSCRIPTS)
    head, *parts = name.split("_")
    parts = [p for p in parts if p]
    if not head:  # a name like ``_x``: no base letter to hang subscripts on
        return r"\mathit{" + name.replace("_", r"\_") + "}"
    m = _TRAILING_DIGITS.match(head)
    if m and m.group(1):
        head, parts = m.group(1), [m.group(2), *parts]
    head, accent = _split_accent(head)
    if accent is None and parts and parts[0] in _ACCENTS and _letter(head) is not None:
        accent, parts = _ACCENTS[parts[0]], parts[1:]
    letter = _letter(head)
    base = letter if letter is not None else rf"\mathit{{{head}}}"
    if accent is not None:
        base = f"{accent}{{{base}}}"
    if parts:
        base += "_{" + ",".join(_subscript(p) for p in parts) + "}"
    return base


def _sympy_latex(value: sympy.Expr, **options: object) -> str:
    """A constant (possibly with dims) in LaTeX, with dims named as symbols are."""
    names = {s: latex_name(s.name) for s in value.free_symbols}
    return sympy.latex(value, symbol_names=names, **options)


def latex_dim(d: Dim) -> str:
    """LaTeX for a dimension (``m``, ``m n``, ``3``).

    Parameters
    ----------
    d : Dim
        The dimension.

    Returns
    -------
    str
        Math-mode LaTeX.
    """
    return _sympy_latex(d.expr)
