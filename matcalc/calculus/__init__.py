"""Calculus: differentials, their rearrangement into gradients, vec Jacobians, simplification.

Owns: :mod:`diff` (d(f) rule by rule), :mod:`adjoint` (the Frobenius identities that bring
df to Σ Gᵢ : dXᵢ), :mod:`vecrules` (vec(dF) = J vec(dX)), :mod:`simplifier` (the canonical
forms) and :mod:`api` (the public grad, derive, jacobian, hessian, jvp, vjp and hvp).

May import: :mod:`matcalc.expr`.
"""

from . import matpow_rules as _matpow_rules  # noqa: F401, E402  (registers its rewrites)
from . import spectral_rules as _spectral_rules  # noqa: F401  (registers d rules and rewrites)
from . import structure_rules as _structure_rules  # noqa: F401  (registers its rewrites)
