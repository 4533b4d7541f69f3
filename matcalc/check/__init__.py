"""Checks: exact comparison with SymPy, a NumPy reference interpreter, finite differences,
and ``verify`` for hand-derived gradients.

Owns: :mod:`sympy_bridge` (``to_sympy``), :mod:`sympy_exact` (the exact zero test,
SymPy's own gradient, ``check_grad``), :mod:`numeric` (the reference
interpreter and test points), :mod:`fdcheck` (central differences), :mod:`verifier`
(``verify``) and :mod:`deadline` (a time limit for long SymPy calls).

May import: :mod:`matcalc.expr`, :mod:`matcalc.calculus`, :mod:`matcalc.printing` (reports
print expressions) and :mod:`matcalc.text` (claims may be given as text).
:mod:`sympy_softmax` adds softmax and logsumexp to the bridge's table.
"""

from . import sympy_matfun as _sympy_matfun  # noqa: F401  (registers the matrix functions' rules)
from . import sympy_softmax  # noqa: F401 - registers its rules in sympy_bridge
