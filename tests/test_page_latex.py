"""LaTeX for the page (issue 9): derivations of realistic losses fit the text width.

Each document is compiled with pdflatex and its log parsed: no ``Overfull \\hbox`` (a line
into the margin), justifications beside their steps, sub-derivations set apart.
"""

from __future__ import annotations

import re

import pytest
from latex_util import PDFLATEX_MISSING, compile_latex, pdflatex_available

import matcalc as mc

PAGE = {
    "attention": ("norm2(exp(Q*K')./(exp(Q*K')*matrix(1))*V - Y)^2", ["Q"]),
    "softmax cross-entropy": ("-y'*log(exp(W*x)/sum(exp(W*x)))", ["W"]),
    "gaussian log-likelihood": ("logdet(S) + (x - u)'*inv(S)*(x - u)", ["S", "u"]),
    "3-layer MLP": ("norm2(W3*tanh(W2*tanh(W1*X)) - Y)^2", ["W1", "W2", "W3"]),
}


def _derivation(name: str) -> mc.Derivation:
    text, wrt = PAGE[name]
    f = mc.parse(text)
    by_name = {s.name: s for s in f.free_symbols}
    return mc.derive(f, [by_name[v] for v in wrt])


def overfull(log: str) -> list[str]:
    """The overfull-box warnings of a pdflatex log, each with its amount."""
    return re.findall(r"Overfull \\hbox \([^)]*\)[^\n]*", log)


@pytest.mark.skipif(not pdflatex_available(), reason=PDFLATEX_MISSING)
@pytest.mark.parametrize("name", list(PAGE))
def test_derivation_fits_the_page(name: str) -> None:
    doc = _derivation(name).to_latex_document()
    ok, log = compile_latex(doc)
    assert ok, log[-3000:]
    assert overfull(log) == [], f"{name}: {overfull(log)}\n{doc}"


@pytest.mark.parametrize("name", list(PAGE))
def test_justifications_beside_steps_and_sub_derivations_apart(name: str) -> None:
    d = _derivation(name)
    block = d.latex()
    rows = block.split(" \\\\\n")
    ruled = [r for r in rows if "&& [\\," in r]
    assert ruled
    assert not any(r.removeprefix("\\begin{aligned}\n").startswith("&\\qquad[") for r in rows)
    for row in rows:
        if "\\text{where } \\mathrm{d}" in row:  # dz = … is a side remark, not dL = …
            assert row.startswith("&\\qquad\\text{where }")
    # no step repeats the equation before it
    rhs = [s.rhs for s in d.steps if s.kind in ("rearrange", "differential", "substitute")]
    assert all(a != b for a, b in zip(rhs, rhs[1:]))
