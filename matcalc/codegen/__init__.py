"""Code generation: expressions lowered to plain NumPy source and compiled (``mc.compile``).

Owns: :mod:`lower` (node → value rules, with the structure of ones, identities, Diag and
Kronecker kept), :mod:`products` (product and scaling nodes), :mod:`chain` (matrix chains
ordered by cost), :mod:`reduce` (traces, sums,
norms, powers, inverse/det/logdet), :mod:`emit` (source text with precedence),
:mod:`runtime` (argument checks the generated code calls) and :mod:`compiler`
(``compile``). Named ``codegen``, not ``compile``: a subpackage of that name would shadow
the function ``mc.compile`` on the package.

May import: :mod:`matcalc.expr`.
"""
