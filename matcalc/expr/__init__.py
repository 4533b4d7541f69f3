"""Expressions: dims and shapes, the immutable node types, construction and its errors.

Owns: :mod:`dims` (symbolic dimensions), :mod:`nodes` (frozen, slotted node dataclasses),
:mod:`traverse` (walks, rebuilding and substitution, all loops), :mod:`build` (the
user-facing constructors and operators), :mod:`reductions` (sums, means, logsumexp and
softmax along an axis), :mod:`softmax_form` (exp over its own sums read as
the softmax), :mod:`functions` (the table of elementwise functions), :mod:`ops` (zero-aware
constructors the rules build with), :mod:`errors` (``ShapeError``, ``ParseError``) and
:mod:`display` (the printer table that :mod:`matcalc.printing` fills in).

May import: nothing else of matcalc. Everything else is built on this package.
"""

from . import spectral as _spectral  # noqa: F401, E402  (adds its node types to NODE_TYPES)
