"""Exact checks over the SymPy bridge: the zero test, SymPy's own gradient, ``check_grad``.

:func:`is_zero` decides whether a SymPy expression is identically zero (a numeric probe
refutes, one fraction over canonical arguments or ``simplify`` confirms);
:func:`sympy_grad` is SymPy's elementwise gradient of :func:`~matcalc.check.sympy_bridge.to_sympy`'s
matrix; :func:`check_grad` compares ``mc.grad`` with it entry by entry, exactly.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import sympy

from ..calculus.api import grad
from ..expr.args import expect_symbols
from ..expr.build import as_expr
from ..expr.deep import deep
from ..expr.dims import fmt_shape
from ..expr.functions import FUNCTIONS
from ..expr.nodes import Expr, Symbol, is_scalar_shape
from .sympy_bridge import DimValues, generic_orders, resolve_dims, symbol_matrix, to_sympy

__all__ = [
    "is_zero", "sympy_grad", "compare_exact", "check_grad", "CheckGradReport", "Mismatch",
    "scalar_value",
]


# ----------------------------------------------------------------------------------------
# Exact zero test and SymPy's own gradient
# ----------------------------------------------------------------------------------------

_KINKS = ("relu", "step", "abs", "sign")


def _concrete_generic(d: sympy.Expr) -> sympy.Expr:
    """d with every generic σ⁽ᵏ⁾(a) replaced by the k-th derivative of sin(t) + e^{t/2}.

    An identity that holds for every σ holds for this one too, so a nonzero value here
    refutes it; the derivatives are all distinct, so σ and σ′ cannot be confused.
    """
    orders = generic_orders()

    def concrete(e: sympy.Expr) -> sympy.Expr:
        if e.is_Atom:
            return e
        args = [concrete(a) for a in e.args]  # inside out: σ(σ(x)) needs both replaced
        k = orders.get(e.func)
        if k is not None:
            t = args[0]
            return sympy.sin(t + k * sympy.pi / 2) + sympy.exp(t / 2) / 2**k
        return e.func(*args) if args != list(e.args) else e

    return concrete(d) if d.has(*orders) else d


def _probe(d: sympy.Expr, seed: int) -> sympy.Expr | None:
    """d at a random rational point (30 digits), or None where it has no numeric value."""
    d = _concrete_generic(d)
    rnd = random.Random(seed)
    # 30-digit Floats: arithmetic on them evaluates as the tree is rebuilt, far quicker
    # than an exact substitution followed by evalf.
    point = {s: sympy.Float(rnd.randint(300, 1700) * rnd.choice((1, 1, -1)) / 1000, 30)
             for s in d.free_symbols}
    try:
        v = d.xreplace(point).evalf(30)
    except (TypeError, ValueError, ZeroDivisionError):  # pragma: no cover - defensive
        return None
    return v if v.is_number and not v.has(sympy.core.function.AppliedUndef) else None


def is_zero(d: sympy.Expr) -> bool:
    """True iff ``d`` is identically zero, decided exactly.

    Cheap first: a random numeric probe refutes most nonzero differences at once; then
    one fraction over canonical function arguments, which decides
    rational functions of the entries (inverses, determinants) and of σ(·), relu(·), ...
    exactly; and finally ``simplify`` for identities between transcendental functions
    (sigmoid′ = σ(1 − σ) against e^{−x}/(1 + e^{−x})²).
    """
    d = sympy.sympify(d)
    if d == 0:
        return True
    for seed in (1, 2):
        v = _probe(d, seed)
        if v is not None and v.is_comparable and abs(v) > 1e-12:
            return False
    d = _without_kinks(d)
    # Rational functions of the entries and of function applications: the numerator of
    # the single fraction must expand to zero. First as written (both sides usually share
    # their function arguments verbatim), then with every function's argument brought to
    # the canonical form p/q, so that σ(a) and σ(a′) with a = a′ become one atom.
    for form in (d, _canonical_args(d)):
        num, _ = sympy.fraction(sympy.together(form))
        if sympy.expand(num) == 0:
            return True
    return sympy.simplify(_canonical_args(d)) == 0


def _without_kinks(e: sympy.Expr) -> sympy.Expr:
    """``e`` with sign(x) written x/|x| and every |x| as SymPy's Abs.

    Both are the same function away from x = 0 (where derivatives are conventions anyway),
    and in these terms x/|x| against sign(x), or |x|² against x², become rational
    identities that the fraction test decides. Derivatives are already taken, so the
    framework's own Abs (whose derivative is its sign) can become SymPy's.
    """
    fabs, fsign = FUNCTIONS["abs"].sympy, FUNCTIONS["sign"].sympy
    if not e.has(sympy.sign, fabs, fsign):
        return e
    e = e.replace(fabs, sympy.Abs)
    return e.replace(fsign, lambda a: a / sympy.Abs(a)).replace(
        sympy.sign, lambda a: a / sympy.Abs(a))


@lru_cache(maxsize=4096)
def _canonical(arg: sympy.Expr) -> sympy.Expr:
    """A canonical form of one function argument: expanded polynomial or canceled p/q."""
    if arg.is_polynomial():
        return sympy.expand(arg)
    return sympy.cancel(arg)


def _canonical_args(e: sympy.Expr) -> sympy.Expr:
    """``e`` with the arguments of functions and non-integer powers in canonical form."""
    if e.is_Atom:
        return e
    args = [_canonical_args(a) for a in e.args]
    if isinstance(e, sympy.Function):
        return e.func(*[_canonical(a) for a in args])
    if isinstance(e, sympy.Pow) and not e.exp.is_Integer:
        return sympy.Pow(_canonical(args[0]), args[1])
    return e.func(*args) if args != list(e.args) else e


def sympy_grad(f: Expr, x: Symbol, dims: DimValues | None) -> sympy.Matrix:
    """SymPy's elementwise gradient of the scalar ``f`` w.r.t. ``x``: ∂f/∂x_ij laid out as x.

    For a symmetric x, ∂f/∂x_ij (i ≠ j) moves two entries, so it is halved: the gradient in
    the space of symmetric matrices, ``mc.grad``'s default convention.
    """
    d = resolve_dims(dims)
    fs = to_sympy(f, d)
    if fs.shape != (1, 1):
        raise ValueError(f"f must be 1×1, it is {fmt_shape(f.shape)}")
    xs = symbol_matrix(x.name, x.shape, d, structure=x.structure)

    def entry(i: int, j: int) -> sympy.Expr:
        g = sympy.diff(fs[0, 0], xs[i, j]) if xs[i, j] != 0 else sympy.Integer(0)
        return g / 2 if i != j and x.structure is not None else g

    return sympy.Matrix(xs.rows, xs.cols, entry)


# ----------------------------------------------------------------------------------------
# check_grad
# ----------------------------------------------------------------------------------------


@dataclass
class Mismatch:
    """One entry where two gradients differ."""

    index: tuple[int, int]
    got: sympy.Expr
    expected: sympy.Expr


@dataclass
class CheckGradReport:
    """Result of :func:`check_grad`: truthy iff every entry agrees exactly."""

    wrt: str
    dims: dict[str, int]
    grad: Expr | None
    entries: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None
    parts: list[CheckGradReport] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        if self.parts:
            return all(p.ok for p in self.parts)
        return self.error is None and not self.mismatches

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.parts:
            return "\n".join(str(p) for p in self.parts)
        at = ", ".join(f"{k}={v}" for k, v in sorted(self.dims.items())) or "fixed dims"
        head = f"check_grad wrt {self.wrt} at {at}"
        if self.error is not None:
            return f"{head}: FAILED: {self.error}"
        if not self.mismatches:
            return f"{head}: OK, mc.grad = {self.grad} equals SymPy in all {self.entries} entries"
        lines = [f"{head}: DIFFERS in {len(self.mismatches)} of {self.entries} entries",
                 f"  mc.grad = {self.grad}"]
        for m in self.mismatches[:3]:
            lines.append(f"  entry {m.index}: mc.grad gives {m.got}")
            lines.append(f"  {' ' * len(str(m.index))}        SymPy gives   {m.expected}")
        if len(self.mismatches) > 3:
            lines.append(f"  ... and {len(self.mismatches) - 3} more")
        return "\n".join(lines)

    __repr__ = __str__


def compare_exact(got: sympy.Matrix, expected: sympy.Matrix) -> list[Mismatch]:
    """Entries where two explicit matrices of one shape are not identically equal."""
    return [Mismatch((i, j), got[i, j], expected[i, j])
            for i in range(got.rows) for j in range(got.cols)
            if not is_zero(got[i, j] - expected[i, j])]


@deep
def check_grad(f: Expr, x: Symbol | Sequence[Symbol],
               dims: DimValues | None = None) -> CheckGradReport:
    """Check ``mc.grad(f, x)`` against SymPy's elementwise derivatives, exactly.

    Parameters
    ----------
    f : Expr
        A 1×1 expression.
    x : Symbol or list of Symbol
        The variable(s); a list checks each gradient.
    dims : mapping, optional
        Dim (or name) → int for every symbolic dim; keep them small (1–3).

    Returns
    -------
    CheckGradReport
        Truthy iff every entry of every gradient equals SymPy's ∂f/∂x_ij; ``str()`` names
        the entries that differ with both values.
    """
    f = as_expr(f, "mc.check_grad", "f")
    xs, many = expect_symbols(x, "mc.check_grad", "x")
    d = resolve_dims(dims, "mc.check_grad")
    if many:
        return CheckGradReport(", ".join(v.name for v in x), d, None,
                               parts=[check_grad(f, v, d) for v in x])
    try:
        g = grad(f, x)
    except Exception as exc:  # the report says what broke rather than hiding the check
        return CheckGradReport(x.name, d, None, error=f"mc.grad raised {exc!r}")
    if g.shape != x.shape:
        return CheckGradReport(x.name, d, g, error=(
            f"mc.grad returned shape {fmt_shape(g.shape)}, {x.name} is {fmt_shape(x.shape)}"))
    got = to_sympy(g, d)
    expected = sympy_grad(f, x, d)
    return CheckGradReport(x.name, d, g, entries=got.rows * got.cols,
                           mismatches=compare_exact(got, expected))


def scalar_value(e: Expr, dims: DimValues | None = None) -> sympy.Expr:
    """The single entry of a 1×1 expression as a SymPy scalar."""
    if not is_scalar_shape(e.shape):
        raise ValueError(f"expected a 1×1 expression, got {fmt_shape(e.shape)}")
    return to_sympy(e, dims)[0, 0]
