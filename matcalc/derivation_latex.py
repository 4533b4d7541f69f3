"""LaTeX for derivations: an ``aligned`` block of steps, each with the rule that made it.

Rule names are written for people in Unicode ("A:BC = BᵀA:C"); here they are turned into
math-mode LaTeX that renders with amsmath/amssymb and in MathJax/KaTeX.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .latex import latex, latex_document, latex_name

if TYPE_CHECKING:  # pragma: no cover
    from .calculus import Derivation

__all__ = ["derivation_latex", "derivation_document", "rule_latex"]

_SYMBOLS = [
    ("⁻ᵀ", r"^{-\top}"), ("⁻¹", r"^{-1}"), ("ᵀ", r"^{\top}"), ("⊙", r"\odot "),
    ("⊗", r"\otimes "), ("⇔", r"\iff "), ("∂", r"\partial "), ("Σ", r"\sum "),
    ("≠", r"\neq "), ("ₙ", r"_{n}"), ("ₚ", r"_{p}"), ("ₖ", r"_{k}"),
]
_WORDS = re.compile(r"^(differential rules|differential of (\w+)|substitute d(\w+) \(chain rule\))$")


def _math(text: str) -> str:
    for u, tex in _SYMBOLS:
        text = text.replace(u, tex)
    return text.replace("sum(", r"\operatorname{sum}(").replace("tr(", r"\operatorname{tr}(")


def rule_latex(rule: str) -> str:
    """A rule name as math-mode LaTeX: identities as formulas, words as ``\\text``."""
    parts = []
    for part in (p.strip() for p in rule.split(", ") if p.strip()):
        m = _WORDS.match(part)
        if m and m.group(2):
            parts.append(rf"\text{{differential of }}{latex_name(m.group(2))}")
        elif m and m.group(3):
            parts.append(rf"\text{{substitute }}\mathrm{{d}}{latex_name(m.group(3))}"
                         r"\text{ (chain rule)}")
        elif m:
            parts.append(r"\text{differential rules}")
        else:
            parts.append(_math(part))
    return r",\; ".join(parts)


def derivation_latex(d: "Derivation") -> str:
    """The derivation as ``\\begin{aligned} ... \\end{aligned}``."""
    name = latex_name(d.name)
    rows: list[str] = []
    for s in d.steps:
        # The rule goes on its own line above its step: long equations leave no room beside.
        if s.rule and s.kind != "gradient":
            rows.append(rf"&\qquad\left[\,{rule_latex(s.rule)}\,\right]")
        rule = ""
        if s.kind == "differential":
            rows.append(rf"\mathrm{{d}}{name} &= {latex(s.rhs)}{rule}")
        elif s.kind == "intermediate":
            rows.append(rf"\mathrm{{d}}{latex_name(s.lhs.of.name)} &= {latex(s.rhs)}{rule}")  # type: ignore[union-attr]
        elif s.kind == "gradient":
            rows.append(rf"\frac{{\partial {name}}}{{\partial {latex(s.lhs)}}} &= "  # type: ignore[arg-type]
                        rf"{latex(s.rhs)}")
        else:
            rows.append(rf"&= {latex(s.rhs)}{rule}")
    for i, z in enumerate(d.lets):
        lead = r"\text{where}\quad " if i == 0 else ""
        rows.append(rf"{lead}{latex_name(z.name)} &= {latex(z.expr)}")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def derivation_document(d: "Derivation", title: str | None = None) -> str:
    """A complete ``.tex`` document with every step and gradient of ``d``."""
    wrt = ", ".join(x.name for x in d.wrt)
    return latex_document(derivation_latex(d), title or f"Gradients of {d.name} with respect to {wrt}")
