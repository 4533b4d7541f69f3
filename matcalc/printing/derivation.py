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
from ..expr.nodes import Add, Expr, Frob, Hadamard, Let, Symbol, children
from .names import check_names, share
from .spectral import spectral_notes
from .tex import _paren, latex, latex_document
from .tex_names import latex_name
from .text import PREC, signed_terms, to_str

__all__ = ["derivation_text", "derivation_latex", "derivation_document", "rule_latex"]

_SEP = r",\; "
# Rough width budget, in characters of LaTeX source, before a sum is broken over rows.
_WIDE = 80

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


def _named(d: Any, names: str | None) -> tuple[list[Any], list[Let]]:
    """The steps with shared factors named (``names``, default the derivation's own), and
    the names to list under ``where``."""
    names = check_names(names or getattr(d, "names", "auto"))
    # the user's names are listed even where only their differential is (dY, not Y)
    named = share([*(s.rhs for s in d.steps), *d.lets], "lets" if names == "none" else names,
                  [s.kind == "gradient" for s in d.steps] + [False] * len(d.lets),
                  getattr(d, "generated", ()))
    steps = [replace_step(s, rhs) for s, rhs in zip(d.steps, named.exprs)]
    # a backpropagated factor is defined on a line of its own, not under "where"
    inline = {s.rhs.name for s in d.steps if s.kind == "factor" and isinstance(s.rhs, Let)}
    return steps, [z for z in named.where() if z.name not in inline]


def replace_step(step: Any, rhs: Expr) -> Any:
    """``step`` with its right-hand side replaced (steps are frozen dataclasses)."""
    return step if rhs is step.rhs else dataclasses.replace(step, rhs=rhs)


def _rows(lead: str, e: Expr, cont: str = r"&\quad ") -> list[str]:
    """``lead e`` as one row, or, for a long equation, several: a sum one term a row
    (``&\\quad + t``), a Frobenius product ``A : B`` broken after the colon, each part
    broken again while it is still too wide for the page."""
    parts = _break(e, "")
    rows = [f"{lead}{parts[0]}"]
    rows.extend(f"{cont}{p}" for p in parts[1:])
    return rows


def _break(e: Expr, prefix: str) -> list[str]:
    """The LaTeX of ``e`` (after ``prefix``) in pieces of at most about ``_WIDE`` source
    characters, each a continuation of the one before."""
    text = latex(e)
    if len(text) <= _WIDE:
        return [prefix + text]
    if isinstance(e, Add):
        out: list[str] = []
        for i, (sign, t, strict) in enumerate(signed_terms(e)):
            head = prefix if i == 0 else f"{sign} "
            if _paren(t, PREC["sum"], strict=strict) != latex(t):
                out.append(head + _paren(t, PREC["sum"], strict=strict))
            else:
                out.extend(_break(t, head))
        return out
    if isinstance(e, Frob):
        left = _paren(e.a, PREC["scale"])
        head = _break(e.a, prefix) if left == latex(e.a) else _break_inside(e.a, left, prefix)
        head[-1] += " :"
        right = _paren(e.b, PREC["scale"])
        tail = _break(e.b, "") if right == latex(e.b) else _break_inside(e.b, right, "")
        return head + tail
    if isinstance(e, Hadamard) and len(e.factors) > 1 and " \\odot " in text:
        # at the top-level ⊙ nearest the middle: both halves fit, or break again
        cut = text.find(" \\odot ", len(text) // 2)
        if cut < 0 or not _balanced(text[:cut]):
            cut = text.find(" \\odot ")
        if cut > 0 and _balanced(text[:cut]):
            return [prefix + text[:cut], text[cut + 1:]]
    return _break_inside(e, text, prefix)


def _balanced(text: str) -> bool:
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
    return depth == 0


def _break_inside(e: Expr, text: str, prefix: str) -> list[str]:
    """A long product broken inside its widest parenthesized sum: ``2 (a`` / ``+ b) K``."""
    best: Expr | None = None
    stack = list(children(e))
    while stack:  # the widest sum within a few levels of e
        c = stack.pop()
        if isinstance(c, Add) and (best is None or len(latex(c)) > len(latex(best))):
            best = c
        elif not isinstance(c, Add):
            stack.extend(children(c))
    if best is None:
        return [prefix + text]
    inner = latex(best)
    at = text.find(f"({inner})")
    if at < 0 or len(inner) < _WIDE // 2:
        return [prefix + text]
    pieces = _break(best, prefix + text[:at] + "(")
    pieces[-1] += ")" + text[at + len(inner) + 2:]
    return pieces


def _step_rows(d: Any, names: str | None) -> list[tuple[str, str]]:
    """The derivation as (row, justification) pairs; the justification goes on the first
    row of its step, in a column of its own to the right."""
    name = latex_name(d.name)
    out: list[tuple[str, str]] = []
    steps, lets = _named(d, names)
    restate = False  # after a sub-derivation, the main equation says again what it is
    for s in steps:
        rule = rule_latex(s.rule) if s.rule and s.kind != "gradient" else ""
        if s.kind == "differential":
            rows = _rows(rf"\mathrm{{d}}{name} &= ", s.rhs)
        elif s.kind == "intermediate":
            # set apart: a sub-derivation, not a continuation of the main equation
            of = latex_name(s.lhs.of.name)  # type: ignore[union-attr]
            rows = _rows(rf"&\qquad\text{{where }} \mathrm{{d}}{of} = ", s.rhs,
                         r"&\qquad\quad ")
            restate = True
        elif s.kind == "gradient":
            rows = _rows(rf"\frac{{\partial {name}}}{{\partial {latex(s.lhs)}}} &= ", s.rhs)  # type: ignore[arg-type]
        elif s.kind == "factor":
            rows = _rows(_factor_head(s, d.name, tex=True), _definition(s.rhs))
        elif s.lhs is not None:  # a new equation: G_z : dz = …
            rows = _rows(f"{latex(s.lhs)} &= ", s.rhs)
            restate = False
        else:
            lead = rf"\mathrm{{d}}{name} &= " if restate else "&= "
            restate = False
            rows = _rows(lead, s.rhs)
        out.append((rows[0], rule))
        out.extend((r, "") for r in rows[1:])
    # the definitions on the right of the alignment point, so that a wide "where" does not
    # push every equation right
    for i, z in enumerate(lets):
        lead = r"\text{where }" if i == 0 else r"\phantom{\text{where }}"
        out.append((rf"&\qquad {lead}{latex_name(z.name)} = {latex(z.expr)}", ""))
    return out


def _definition(e: Expr) -> Expr:
    return e.expr if isinstance(e, Let) else e


def _factor_head(s: Any, fname: str, tex: bool = False) -> str:
    """``G_z = ∂f/∂z`` for a backpropagated factor's step (just ∂f/∂z when written out)."""
    of = latex(s.lhs) if tex else to_str(s.lhs)
    if tex:
        head = rf"\frac{{\partial {latex_name(fname)}}}{{\partial {of}}}"
        return f"{latex_name(s.rhs.name)} &= {head} = " if isinstance(s.rhs, Let) else f"{head} &= "
    head = f"∂{fname}/∂{of}"
    return f"{s.rhs.name} = {head}" if isinstance(s.rhs, Let) else head


def derivation_latex(d: Any, names: str | None = None) -> str:
    """The derivation as ``\\begin{aligned} ... \\end{aligned}``, each step's justification
    to its right (``&& [\\,…\\,]``)."""
    rows = [f"{row} && [\\,{rule}\\,]" if rule else row for row, rule in _step_rows(d, names)]
    return "\\begin{aligned}\n" + " \\\\\n".join(rows) + "\n\\end{aligned}"


def derivation_document(d: Any, title: str | None = None, names: str | None = None) -> str:
    """A complete ``.tex`` document with every step and gradient of ``d``.

    The steps are an ``align*`` that may break across pages; each justification is a tag
    (``\\tag*{[…]}``), which LaTeX sets at the right margin, or on a line of its own below
    a step too wide to leave room for it, so no line runs into the margin.
    """
    wrt = ", ".join(x.name for x in d.wrt)
    title = title or f"Gradients of {d.name} with respect to {wrt}"
    rows = [f"{row} \\tag*{{$[\\,{rule}\\,]$}}" if rule else row
            for row, rule in _step_rows(d, names)]
    body = "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}"
    return latex_document(body, title, math=False)


def derivation_text(d: Any, names: str | None = None) -> str:
    """The derivation as text: one step a line, each with its rule in brackets, then the
    names it uses (``where``), the user's first."""
    fsym = Symbol(d.name, ONE, ONE)
    lines: list[str] = []
    steps, lets = _named(d, names)
    indent = len(d.name) + 1  # where a continuation's "=" goes: under the equation's own
    for s in steps:
        rule = f"    [{s.rule}]" if s.rule else ""
        if s.kind == "differential":
            lines.append(f"d{d.name} = {to_str(s.rhs)}{rule}")
            indent = len(d.name) + 1
        elif s.kind == "intermediate":
            lines.append(f"  where {to_str(s.lhs)} = {to_str(s.rhs)}{rule}")  # type: ignore[arg-type]
        elif s.kind == "gradient":
            lines.append(f"∂{fsym.name}/∂{to_str(s.lhs)} = {to_str(s.rhs)}")  # type: ignore[arg-type]
        elif s.kind == "factor":
            lines.append(f"{_factor_head(s, fsym.name)} = {to_str(_definition(s.rhs))}")
        elif s.lhs is not None:
            lead = to_str(s.lhs)
            lines.append(f"{lead} = {to_str(s.rhs)}{rule}")
            indent = len(lead)
        else:
            lines.append(f"{' ' * indent} = {to_str(s.rhs)}{rule}")
    notes = spectral_notes([*(s.rhs for s in steps), *(z.expr for z in lets)])
    if lets or notes:
        lines.append("where")
        lines.extend(f"  {z.name} = {to_str(z.expr)}" for z in lets)
        lines.extend(f"  {note}" for note in notes)
    return "\n".join(lines)
