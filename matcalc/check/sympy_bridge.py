"""The SymPy bridge: expressions as explicit SymPy matrices at concrete dims, exact checks.

:func:`to_sympy` writes an expression out entry by entry (``X`` m×n becomes the matrix of
real symbols ``X_0_0 … X_{m-1}_{n-1}``), one ``singledispatch`` rule per node type.
:func:`check_grad` compares ``mc.grad`` with SymPy's own elementwise derivatives of that
matrix, exactly. Generic functions σ become undefined SymPy functions whose derivatives are
the undefined functions σ′, σ″, …, so the comparison holds for every σ, not one example.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, singledispatch
from typing import Any

import sympy
from sympy.core.function import UndefinedFunction

from ..calculus.api import grad
from ..expr.args import expect_symbols
from ..expr.build import as_expr
from ..expr.deep import deep
from ..expr.dims import Dim, fmt_shape
from ..expr.errors import type_error
from ..expr.functions import FUNCTIONS
from ..expr.nodes import (
    Add,
    Apply,
    Commutation,
    Delta,
    Det,
    Diag,
    DiagPart,
    Expr,
    Frob,
    Hadamard,
    Identity,
    Inverse,
    Kron,
    Let,
    LogDet,
    MatMul,
    Norm,
    Number,
    Ones,
    Power,
    ScalarMul,
    Scale,
    Sum,
    Symbol,
    Trace,
    Transpose,
    Unvec,
    Vec,
    Zero,
    is_scalar_shape,
)

__all__ = [
    "to_sympy", "check_grad", "CheckGradReport", "sympy_grad", "symbol_matrix", "is_zero",
    "generic_function", "resolve_dims", "DimValues",
]

DimValues = Mapping[Any, int]


# ----------------------------------------------------------------------------------------
# Dims and leaves
# ----------------------------------------------------------------------------------------


def resolve_dims(dims: DimValues | None, fn: str = "matcalc") -> dict[str, int]:
    """``{dim name: value}`` from a mapping keyed by :class:`Dim` or by name (``fn`` is the
    public function whose argument ``dims`` this is, for the message of a wrong type)."""
    if dims is not None and not isinstance(dims, Mapping):
        raise type_error(fn, "dims", dims, "a dict of dim (or dim name) → positive int")
    out: dict[str, int] = {}
    for k, v in (dims or {}).items():
        if isinstance(k, Dim):
            if not k.expr.is_Symbol:
                raise ValueError(f"dims must map single dims to ints, got {k}")
            name = str(k.expr)
        elif isinstance(k, str):
            name = k
        else:
            raise type_error(fn, "dims", k, "a dict whose keys are dims or dim names; a key")
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"dim {name} must be a positive int, got {v!r}")
        out[name] = int(v)
    return out


def _subs_dims(value: sympy.Expr, dims: dict[str, int]) -> sympy.Expr:
    """A coefficient (``2/n``) or dim expression with the dims replaced by their values."""
    free = value.free_symbols
    if not free:
        return value
    missing = sorted(str(s) for s in free if str(s) not in dims)
    if missing:
        raise ValueError(f"no value given for dim(s) {', '.join(missing)}")
    return value.xreplace({s: sympy.Integer(dims[str(s)]) for s in free})


def dim_value(d: Dim, dims: dict[str, int]) -> int:
    """The concrete value of a dim."""
    return int(_subs_dims(d.expr, dims))


def symbol_matrix(name: str, shape: tuple[Dim, Dim], dims: dict[str, int],
                  prefix: str = "", structure: str | None = None) -> sympy.ImmutableMatrix:
    """The matrix of real scalar symbols standing for the symbol ``name`` of ``shape``.

    Naming follows the declared (symbolic) shape, so it does not change with the dims:
    a matrix gives ``X_0_1``, a column vector ``w_2``, a scalar ``b``. A symmetric (or SPD)
    matrix has one symbol per entry i ≤ j (``S_1_0`` is ``S_0_1``); a diagonal one zeros
    off the diagonal.
    """
    r, c = dim_value(shape[0], dims), dim_value(shape[1], dims)
    base = prefix + name
    if structure is not None and r > 1:
        def entry(i: int, j: int) -> sympy.Expr:
            if structure == "diagonal" and i != j:
                return sympy.Integer(0)
            return sympy.Symbol(f"{base}_{min(i, j)}_{max(i, j)}", real=True)
        return sympy.ImmutableMatrix(r, c, entry)
    if shape[0] == 1 and shape[1] == 1:
        return sympy.ImmutableMatrix([[sympy.Symbol(base, real=True)]])
    if shape[1] == 1:
        return sympy.ImmutableMatrix(r, 1, [sympy.Symbol(f"{base}_{i}", real=True)
                                            for i in range(r)])
    if shape[0] == 1:
        return sympy.ImmutableMatrix(1, c, [sympy.Symbol(f"{base}_{j}", real=True)
                                            for j in range(c)])
    return sympy.ImmutableMatrix(r, c, lambda i, j: sympy.Symbol(f"{base}_{i}_{j}", real=True))


_GENERIC: dict[tuple[str, int], UndefinedFunction] = {}


def generic_function(name: str, order: int = 0) -> UndefinedFunction:
    """The undefined SymPy function for the ``order``-th derivative of a generic σ.

    Its ``fdiff`` is the next one (σ → σ′ → σ″), so SymPy's chain rule yields ``σ′(g(x))``
    directly instead of ``Subs(Derivative(σ(ξ), ξ), ξ, g(x))`` with fresh dummies, which
    could not be compared term by term.
    """
    key = (name, order)
    fn = _GENERIC.get(key)
    if fn is None:
        def fdiff(self: Any, argindex: int = 1) -> sympy.Expr:
            return generic_function(name, order + 1)(self.args[0])

        fn = UndefinedFunction(name + "'" * order, __dict__={"fdiff": fdiff}, real=True)
        _GENERIC[key] = fn
    return fn


# ----------------------------------------------------------------------------------------
# to_sympy: one rule per node type
# ----------------------------------------------------------------------------------------


class _Ctx:
    """Dims and the memo of converted nodes for one conversion (keyed by node identity)."""

    def __init__(self, dims: dict[str, int]) -> None:
        self.dims = dims
        self.memo: dict[int, tuple[Expr, sympy.ImmutableMatrix]] = {}
        self._dims: dict[Any, int] = {}

    def n(self, d: Dim) -> int:
        v = self._dims.get(d.expr)  # cached: looked up at every node
        if v is None:
            v = self._dims[d.expr] = dim_value(d, self.dims)
        return v

    def c(self, value: sympy.Expr) -> sympy.Expr:
        return _subs_dims(value, self.dims)

    def conv(self, e: Expr) -> sympy.ImmutableMatrix:
        hit = self.memo.get(id(e))
        if hit is not None:
            return hit[1]
        out = _rule(e, self)
        assert out.shape == (self.n(e.shape[0]), self.n(e.shape[1])), type(e).__name__
        # Keep e alive with its result so its id cannot be reused during this conversion.
        self.memo[id(e)] = (e, out)
        return out


@deep
def to_sympy(e: Expr, dims: DimValues | None = None) -> sympy.Matrix:
    """The explicit SymPy matrix of ``e`` at concrete dims.

    Parameters
    ----------
    e : Expr
        Any matcalc expression.
    dims : mapping, optional
        Dim (or dim name) → positive int, for every symbolic dim in ``e``.

    Returns
    -------
    sympy.Matrix
        Entries in the real scalar symbols ``X_i_j`` (matrices), ``w_i`` (vectors),
        ``b`` (scalars), ``dX_i_j`` (differentials); generic σ as undefined functions.

    Examples
    --------
    >>> import matcalc as mc
    >>> (n,) = mc.dims("n")
    >>> w = mc.vector("w", n)
    >>> mc.to_sympy(w.T @ w, {n: 2})
    Matrix([[w_0**2 + w_1**2]])
    """
    e = as_expr(e, "mc.to_sympy", "e")
    return sympy.Matrix(_Ctx(resolve_dims(dims, "mc.to_sympy")).conv(e))


@singledispatch
def _rule(e: Expr, cx: _Ctx) -> sympy.ImmutableMatrix:
    raise NotImplementedError(f"to_sympy has no rule for {type(e).__name__}")


@_rule.register
def _(e: Symbol, cx: _Ctx) -> sympy.ImmutableMatrix:
    return symbol_matrix(e.name, e.shape, cx.dims, structure=e.structure)


@_rule.register
def _(e: Delta, cx: _Ctx) -> sympy.ImmutableMatrix:
    """dX: its own symbols ``dX_i_j`` (a differential is an independent variable)."""
    return symbol_matrix(e.of.name, e.shape, cx.dims, prefix="d",  # type: ignore[attr-defined]
                         structure=getattr(e.of, "structure", None))


@_rule.register
def _(e: Let, cx: _Ctx) -> sympy.ImmutableMatrix:
    """A named intermediate is its definition."""
    return cx.conv(e.expr)


@_rule.register
def _(e: Number, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix([[cx.c(e.value)]])


@_rule.register
def _(e: Ones, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix.ones(cx.n(e.rows), cx.n(e.cols))


@_rule.register
def _(e: Identity, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix.eye(cx.n(e.n))


@_rule.register
def _(e: Zero, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix.zeros(cx.n(e.rows), cx.n(e.cols))


@_rule.register
def _(e: Commutation, cx: _Ctx) -> sympy.ImmutableMatrix:
    """K(m,n) vec(X) = vec(Xᵀ): X[i,j] sits at j·m + i in vec X and at i·n + j in vec Xᵀ."""
    m, n = cx.n(e.m), cx.n(e.n)
    k = sympy.zeros(m * n, m * n)
    for i in range(m):
        for j in range(n):
            k[i * n + j, j * m + i] = 1
    return sympy.ImmutableMatrix(k)


@_rule.register
def _(e: Add, cx: _Ctx) -> sympy.ImmutableMatrix:
    out = cx.conv(e.terms[0])
    for t in e.terms[1:]:
        out = out + cx.conv(t)
    return out


@_rule.register
def _(e: Scale, cx: _Ctx) -> sympy.ImmutableMatrix:
    return cx.conv(e.x) * cx.c(e.coef)


@_rule.register
def _(e: ScalarMul, cx: _Ctx) -> sympy.ImmutableMatrix:
    return cx.conv(e.x) * cx.conv(e.s)[0, 0]


@_rule.register
def _(e: MatMul, cx: _Ctx) -> sympy.ImmutableMatrix:
    out = cx.conv(e.factors[0])
    for f in e.factors[1:]:
        out = out * cx.conv(f)
    return out


@_rule.register
def _(e: Transpose, cx: _Ctx) -> sympy.ImmutableMatrix:
    return cx.conv(e.x).T


@_rule.register
def _(e: Hadamard, cx: _Ctx) -> sympy.ImmutableMatrix:
    out = cx.conv(e.factors[0])
    for f in e.factors[1:]:
        out = out.multiply_elementwise(cx.conv(f))
    return out


@_rule.register
def _(e: Power, cx: _Ctx) -> sympy.ImmutableMatrix:
    """Elementwise power X.^k."""
    k = cx.c(e.k)
    return cx.conv(e.x).applyfunc(lambda a: a**k)


@_rule.register
def _(e: Apply, cx: _Ctx) -> sympy.ImmutableMatrix:
    """Elementwise f(X); a generic σ of order k is the undefined function σ⁽ᵏ⁾."""
    spec = FUNCTIONS.get(e.fn)
    if spec is not None:
        f = spec.sympy
    else:
        f = generic_function(e.fn, e.order)
    return cx.conv(e.x).applyfunc(f)


@_rule.register
def _(e: Diag, cx: _Ctx) -> sympy.ImmutableMatrix:
    v = cx.conv(e.v)
    return sympy.ImmutableMatrix(sympy.diag(*list(v)))


@_rule.register
def _(e: DiagPart, cx: _Ctx) -> sympy.ImmutableMatrix:
    x = cx.conv(e.x)
    return sympy.ImmutableMatrix(x.rows, 1, [x[i, i] for i in range(x.rows)])


@_rule.register
def _(e: Vec, cx: _Ctx) -> sympy.ImmutableMatrix:
    """vec(X): columns stacked, X[i,j] at j·rows + i."""
    x = cx.conv(e.x)
    return sympy.ImmutableMatrix(x.rows * x.cols, 1,
                                 [x[i, j] for j in range(x.cols) for i in range(x.rows)])


@_rule.register
def _(e: Unvec, cx: _Ctx) -> sympy.ImmutableMatrix:
    """The inverse of vec: M[i,j] = v[j·rows + i]."""
    v = cx.conv(e.v)
    r, c = cx.n(e.rows), cx.n(e.cols)
    return sympy.ImmutableMatrix(r, c, lambda i, j: v[j * r + i, 0])


@_rule.register
def _(e: Kron, cx: _Ctx) -> sympy.ImmutableMatrix:
    """(A ⊗ B)[i·p + k, j·q + l] = A[i,j] B[k,l] for B p×q."""
    a, b = cx.conv(e.a), cx.conv(e.b)
    p, q = b.shape
    return sympy.ImmutableMatrix(a.rows * p, a.cols * q,
                                 lambda r, c: a[r // p, c // q] * b[r % p, c % q])


@_rule.register
def _(e: Trace, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix([[cx.conv(e.x).trace()]])


def _det(x: sympy.ImmutableMatrix) -> sympy.Expr:
    # Berkowitz is division-free: a plain polynomial in the entries, easy to compare.
    return x.det(method="berkowitz")


@_rule.register
def _(e: Inverse, cx: _Ctx) -> sympy.ImmutableMatrix:
    """X⁻¹ = adj(X) / det X (division-free adjugate keeps the entries as small fractions)."""
    x = cx.conv(e.x)
    return sympy.ImmutableMatrix(x.adjugate(method="berkowitz") / _det(x))


@_rule.register
def _(e: Det, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix([[_det(cx.conv(e.x))]])


@_rule.register
def _(e: LogDet, cx: _Ctx) -> sympy.ImmutableMatrix:
    """logdet X = log det X (equal to log|det X| in value and derivative where det X > 0)."""
    return sympy.ImmutableMatrix([[sympy.log(_det(cx.conv(e.x)))]])


@_rule.register
def _(e: Sum, cx: _Ctx) -> sympy.ImmutableMatrix:
    return sympy.ImmutableMatrix([[sympy.Add(*cx.conv(e.x))]])


@_rule.register
def _(e: Norm, cx: _Ctx) -> sympy.ImmutableMatrix:
    """‖X‖ = sqrt(Σ x_ij²)."""
    return sympy.ImmutableMatrix([[sympy.sqrt(sympy.Add(*[a**2 for a in cx.conv(e.x)]))]])


@_rule.register
def _(e: Frob, cx: _Ctx) -> sympy.ImmutableMatrix:
    """A : B = Σ a_ij b_ij."""
    a, b = cx.conv(e.a), cx.conv(e.b)
    return sympy.ImmutableMatrix([[sympy.Add(*[p * q for p, q in zip(a, b)])]])


# ----------------------------------------------------------------------------------------
# Exact zero test and SymPy's own gradient
# ----------------------------------------------------------------------------------------

_KINKS = ("relu", "step", "abs", "sign")


def _concrete_generic(d: sympy.Expr) -> sympy.Expr:
    """d with every generic σ⁽ᵏ⁾(a) replaced by the k-th derivative of sin(t) + e^{t/2}.

    An identity that holds for every σ holds for this one too, so a nonzero value here
    refutes it; the derivatives are all distinct, so σ and σ′ cannot be confused.
    """
    orders = {fn: k for (_name, k), fn in _GENERIC.items()}

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
