"""The text front-end: MatrixCalculus.org-style text read into expressions, and back.

Owns: :mod:`parser` (tokens, the recursive-descent parser, ``parse``), :mod:`unparse`,
:mod:`syntax` (the syntax tree), :mod:`shapes` (shape inference over the syntax tree) and
:mod:`construct` (the expression built from the typed tree).
The command line, which uses every package, is :mod:`matcalc.cli`.

May import: :mod:`matcalc.expr`.
"""
