"""Text and LaTeX for the spectral nodes: expm(S), λ_S, Q_S and the divided differences.

With S = Q_S Diag(λ_S) Q_Sᵀ (the eigendecomposition ``np.linalg.eigh`` computes), the
Daleckii–Krein derivative prints as a person writes it, ``Q_S (exp^[1](λ_S) ⊙ (Q_Sᵀ dS Q_S))
Q_Sᵀ``; ``f^[1](λ)`` is Bhatia's name (*Matrix Analysis*, §V.3) for the matrix of divided
differences f[λᵢ, λⱼ]. :func:`spectral_notes` gives the lines that define them, for the
``where`` part of a derivation. Importing :mod:`matcalc.printing` registers the printers.
"""

from __future__ import annotations

from ..expr.nodes import Expr, Let, Symbol
from ..expr.spectral import DivDiff, EigGap, EigVals, EigVecs, MatrixFunction
from ..expr.traverse import walk
from .tex import _latex, _postfix_base, latex
from .tex_names import latex_name
from .text import PREC, _print, to_str

__all__ = ["spectral_notes"]

_TEXT_NAMES = {"exp": "expm", "log": "logm", "sqrt": "sqrtm"}
_TEX_FN = {"exp": r"\exp", "log": r"\log", "sqrt": r"\sqrt{\cdot}"}


def _sub_text(x: Expr) -> str:
    """The subscript that says which matrix a Q or λ belongs to: ``S``, or ``(AᵀA)``."""
    return x.name if isinstance(x, (Symbol, Let)) else f"({to_str(x)})"


def _sub_tex(x: Expr) -> str:
    return latex_name(x.name) if isinstance(x, (Symbol, Let)) else latex(x)


@_print.register
def _(e: MatrixFunction) -> tuple[str, int]:
    """``expm(S)``, ``logm(S)``, ``sqrtm(S)``: NumPy/SciPy's names, never confused with
    the elementwise ``exp(S)``."""
    return f"{_TEXT_NAMES[e.fn]}({to_str(e.x)})", PREC["atom"]


@_print.register
def _(e: EigVals) -> tuple[str, int]:
    return f"λ_{_sub_text(e.x)}", PREC["atom"]


@_print.register
def _(e: EigVecs) -> tuple[str, int]:
    return f"Q_{_sub_text(e.x)}", PREC["atom"]


@_print.register
def _(e: DivDiff) -> tuple[str, int]:
    return f"{e.fn}^[{e.order}](λ_{_sub_text(e.x)})", PREC["atom"]


@_print.register
def _(e: EigGap) -> tuple[str, int]:
    return f"E_{_sub_text(e.x)}", PREC["atom"]


@_latex.register
def _(e: MatrixFunction) -> tuple[str, int]:
    r"""``e^{S}``, ``\log(S)`` as the matrix logarithm's usual name, ``S^{1/2}``."""
    if e.fn == "exp":
        return f"e^{{{latex(e.x)}}}", PREC["postfix"]
    if e.fn == "sqrt":
        return f"{_postfix_base(e.x)}^{{1/2}}", PREC["postfix"]
    return rf"\operatorname{{logm}}({latex(e.x)})", PREC["atom"]


@_latex.register
def _(e: EigVals) -> tuple[str, int]:
    return rf"\lambda_{{{_sub_tex(e.x)}}}", PREC["atom"]


@_latex.register
def _(e: EigVecs) -> tuple[str, int]:
    return rf"Q_{{{_sub_tex(e.x)}}}", PREC["atom"]


@_latex.register
def _(e: DivDiff) -> tuple[str, int]:
    return rf"{_TEX_FN[e.fn]}^{{[{e.order}]}}(\lambda_{{{_sub_tex(e.x)}}})", PREC["atom"]


@_latex.register
def _(e: EigGap) -> tuple[str, int]:
    return rf"E_{{{_sub_tex(e.x)}}}", PREC["atom"]


_DEFINITIONS = {
    ("exp", 1): "(e^λᵢ − e^λⱼ)/(λᵢ − λⱼ), e^λᵢ where λᵢ = λⱼ",
    ("log", 1): "(log λᵢ − log λⱼ)/(λᵢ − λⱼ), 1/λᵢ where λᵢ = λⱼ",
    ("sqrt", 1): "1/(√λᵢ + √λⱼ)",
    ("exp", 2): "(e^λᵢ − exp[λᵢ, λⱼ])/(λᵢ − λⱼ), e^λᵢ/2 where λᵢ = λⱼ",
    ("log", 2): "(1/λᵢ − log[λᵢ, λⱼ])/(λᵢ − λⱼ), −1/(2λᵢ²) where λᵢ = λⱼ",
    ("sqrt", 2): "−1/(2√λᵢ (√λᵢ + √λⱼ)²)",
}


def spectral_notes(exprs: list[Expr]) -> list[str]:
    """The lines that define the Q, λ and f^[1] appearing in ``exprs`` (one per matrix and
    function), e.g. ``S = Q_S Diag(λ_S) Q_Sᵀ (λ_S ascending)``; empty when there are none."""
    decomposed: dict[Expr, None] = {}
    defined: dict[Expr, None] = {}
    for e in exprs:
        for node in walk(e):
            if isinstance(node, (EigVals, EigVecs, DivDiff, EigGap)):
                decomposed[node.x] = None
            if isinstance(node, (DivDiff, EigGap)):
                defined[node] = None
    lines = []
    for x in decomposed:
        s = _sub_text(x)
        lines.append(f"{to_str(x)} = Q_{s} Diag(λ_{s}) Q_{s}ᵀ, λ_{s} ascending")
    for f in defined:
        what = ("1/(λⱼ − λᵢ) for i ≠ j, 0 for i = j (undefined where λᵢ = λⱼ)"
                if isinstance(f, EigGap) else _DEFINITIONS[f.fn, f.order])  # type: ignore[attr-defined]
        lines.append(f"{to_str(f)}ᵢⱼ = {what}")
    return lines
