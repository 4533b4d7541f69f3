"""Printing: expressions and derivations as text and as LaTeX.

Owns: :mod:`text` (one-line Unicode text and the precedence table), :mod:`tex` (LaTeX for
math mode and whole documents), :mod:`tex_names` (names in LaTeX) and :mod:`derivation`
(derivations as text and LaTeX).
Importing this package registers the printers in :mod:`matcalc.expr.display`, which is how
``str(e)``, ``e._repr_latex_()`` and the ``Derivation`` methods reach them.

May import: :mod:`matcalc.expr`, :mod:`matcalc.calculus`.
"""

from ..expr import display
from . import spectral as _spectral  # noqa: F401  (registers the spectral nodes' printers)
from .derivation import derivation_document, derivation_latex, derivation_text
from .tex import latex
from .text import to_str

display.register("text", to_str)
display.register("latex", latex)
display.register("derivation_text", derivation_text)
display.register("derivation_latex", derivation_latex)
display.register("derivation_document", derivation_document)
