"""Derivations printed: as text, and as a LaTeX ``aligned`` block of steps, each with its rule.

A derivation arrives as data (its steps, lets and gradients); this module reads its
attributes and does not import the class that holds them.

Rule names are written for people in Unicode ("A:BC = BᵀA:C"); here they are turned into
math-mode LaTeX that renders with amsmath/amssymb and in MathJax/KaTeX.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from ..expr.dims import ONE
from ..expr.nodes import Add, Expr, Let, Symbol
from .names import check_names, share
from .tex import _paren, latex, latex_document, latex_name
from .text import PREC, signed_terms, to_str

__all__ = ["derivation_text", "derivation_latex", "derivation_document", "rule_latex"]

_SEP = r",\; "
# Rough width budget, in characters of LaTeX source, before a sum is broken over rows.
_WIDE = 140

_SYMBOLS = [
    ("⁻ᵀ", r"^{-\top}"), ("⁻¹", r"^{-1}"), ("ᵀ", r"^{\top}"), ("⊙", r"\odot "),
    ("⊘", r"\oslash "), ("𝟏", r"\mathbf{1}"), ("∘²", r"^{\circ 2}"), ("∘", r"^{\circ}"),
    ("⊗", r"\otimes "), ("⇔", r"\iff "), ("∂", r"\partial "), ("Σ", r"\sum "),
    ("≠", r"\neq "), ("ₙ", r"_{n}"), ("ₚ", r"_{p}"), ("ₖ", r"_{k}"), ("₁", r"_{1}"), ("₂", r"_{2}"),
]
_WORDS = re.compile(
    r"^(differential rules|differential of (\w+)|substitute d(\w+) \(chain rule\))$")


def _math(text: str) -> str:
    text = re.sub(r"\bd([a-zA-Z])\b", r"\\mathrm{d}\1", text)  # ds, dX: upright d
    text = re.sub(r"(?<![A-Za-z])1(?= |ᵀ|\))", r"\\mathbf{1}", text)  # ones vectors
    text = text.replace(" via ", r"\text{ via }")
    for u, tex in _SYMBOLS:
        text = text.replace(u, tex)
    for name in ("sum", "tr", "vec", "diag", "Diag", "unvec"):
        text = re.sub(rf"\b{name}(?=[ (])", rf"\\operatorname{{{name}}}", text)
    return text


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
    return _SEP.join(parts)


def _rows(lead: str, e: Expr) -> list[str]:
    """``lead e`` as one row, or, for a long sum, one row per term (``&\\quad + t``)."""
    text = latex(e)
    if not isinstance(e, Add) or len(text) <= _WIDE:
        return [f"{lead}{text}"]
    (_, first, _), *rest = signed_terms(e)
    rows = [f"{lead}{_paren(first, PREC['sum'])}"]
    rows.extend(rf"&\quad {sign} {_paren(t, PREC['sum'], strict=strict)}"
                for sign, t, strict in rest)
    return rows


def _named(d: Any, names: str | None) -> tuple[list[Any], list[Let]]:
    """The steps with shared factors named (``names``, default the derivation's own), and
    the names to list under ``where``."""
    names = check_names(names or getattr(d, "names", "auto"))
    # the user's names are listed even where only their differential is (dY, not Y)
    named = share([*(s.rhs for s in d.steps), *d.lets], "lets" if names == "none" else names,
                  [s.kind == "gradient" for s in d.steps] + [False] * len(d.lets))
    steps = [replace_step(s, rhs) for s, rhs in zip(d.steps, named.exprs)]
    return steps, named.where()


def replace_step(step: Any, rhs: Expr) -> Any:
    """``step`` with its right-hand side replaced (steps are frozen dataclasses)."""
    return step if rhs is step.rhs else dataclasses.replace(step, rhs=rhs)


def derivation_latex(d: Any, names: str | None = None) -> str:
    """The derivation as ``\\begin{aligned} ... \\end{aligned}``."""
    name = latex_name(d.name)
    rows: list[str] = []
    steps, lets = _named(d, names)
    for s in steps:
        # The rule goes on its own line above its step: long equations leave no room beside.
        if s.rule and s.kind != "gradient":
            parts = rule_latex(s.rule).split(_SEP)
            for i in range(0, len(parts), 2):  # two identities a row, so the list fits
                rows.append(r"&\qquad[\," + _SEP.join(parts[i:i + 2]) + r"\,]")
        if s.kind == "differential":
            rows.extend(_rows(rf"\mathrm{{d}}{name} &= ", s.rhs))
        elif s.kind == "intermediate":
            rows.extend(_rows(rf"\mathrm{{d}}{latex_name(s.lhs.of.name)} &= ", s.rhs))  # type: ignore[union-attr]
        elif s.kind == "gradient":
            rows.extend(_rows(rf"\frac{{\partial {name}}}{{\partial {latex(s.lhs)}}} &= ", s.rhs))  # type: ignore[arg-type]
        else:
            rows.extend(_rows("&= ", s.rhs))
    for i, z in enumerate(lets):
        lead = r"\text{where}\quad " if i == 0 else ""
        rows.append(rf"{lead}{latex_name(z.name)} &= {latex(z.expr)}")
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def derivation_document(d: Any, title: str | None = None, names: str | None = None) -> str:
    """A complete ``.tex`` document with every step and gradient of ``d``."""
    wrt = ", ".join(x.name for x in d.wrt)
    title = title or f"Gradients of {d.name} with respect to {wrt}"
    return latex_document(derivation_latex(d, names), title)


def derivation_text(d: Any, names: str | None = None) -> str:
    """The derivation as text: one step a line, each with its rule in brackets, then the
    names it uses (``where``), the user's first."""
    fsym = Symbol(d.name, ONE, ONE)
    lines: list[str] = []
    steps, lets = _named(d, names)
    for s in steps:
        rule = f"    [{s.rule}]" if s.rule else ""
        if s.kind == "differential":
            lines.append(f"d{d.name} = {to_str(s.rhs)}{rule}")
        elif s.kind == "intermediate":
            lines.append(f"  where {to_str(s.lhs)} = {to_str(s.rhs)}{rule}")  # type: ignore[arg-type]
        elif s.kind == "gradient":
            lines.append(f"∂{fsym.name}/∂{to_str(s.lhs)} = {to_str(s.rhs)}")  # type: ignore[arg-type]
        else:
            lines.append(f"{' ' * len(d.name)}  = {to_str(s.rhs)}{rule}")
    if lets:
        lines.append("where")
        lines.extend(f"  {z.name} = {to_str(z.expr)}" for z in lets)
    return "\n".join(lines)
