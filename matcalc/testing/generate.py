"""Random well-typed expressions over every node type, for differential testing.

Imports ``hypothesis`` at the top (see :mod:`matcalc.testing`: test-only).

One generator, :class:`ExprGen`, builds random expression trees over every node type with
consistent symbolic shapes, through the public constructors wherever one exists (nodes are
built directly only for ``Unvec``, which has none). Every random decision goes through a
:class:`Source`, so the same code is driven two ways:

* by hypothesis (:class:`DrawSource`, in the strategies below), which can shrink a failing
  example to a small one;
* by a seeded ``random.Random`` (:class:`RandomSource`), which is about ten times cheaper
  and names each expression by its seed, for the long run (``scripts/long_fuzz.py``).

Only genuinely non-differentiable points are avoided, by construction of the arguments:
log, sqrt and fractional or negative powers get positive arguments (``exp(·)``,
``x⊙x + c``, ``sigmoid(·)``); arcsin/arccos/tan get arguments in (−½, ½); inv, logdet get
``A Aᵀ + cI``. The kinks of relu/abs/step/sign are avoided numerically by
:func:`matcalc.numeric.random_point`, which resamples points too close to them.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, Protocol, TypeVar

from hypothesis import strategies as st

from ..expr import build as mcb
from ..expr import reductions
from ..expr.build import elementwise
from ..expr.dims import ONE, Dim, dim
from ..expr.functions import FUNCTIONS
from ..expr.nodes import Add, Expr, Symbol, Unvec
from ..expr.traverse import walk

__all__ = [
    "Source", "DrawSource", "RandomSource", "ExprGen", "Case", "GENERIC_NAME", "NODE_COVERAGE",
    "generic_functions", "dim_values", "random_case", "cases", "scalar_cases", "matrix_cases",
    "exprs", "node_types",
]

T = TypeVar("T")

#: The generic elementwise function every generated expression may use.
GENERIC_NAME = "sigma"
_SIGMA = elementwise(GENERIC_NAME)

#: Node types the generator produces (every type in NODE_TYPES but Delta, which only
#: derivations create).
NODE_COVERAGE = (
    "Symbol", "Number", "Ones", "Identity", "Zero", "Commutation", "Let", "Add", "Scale",
    "ScalarMul", "MatMul", "Transpose", "Hadamard", "Power", "Apply", "Diag", "DiagPart",
    "Vec", "Unvec", "Kron", "Trace", "Inverse", "Det", "LogDet", "Sum", "Norm", "Frob",
    "Softmax", "LogSumExp", "MatrixPower",
)


class Source(Protocol):
    """Where the generator's random decisions come from."""

    def integer(self, lo: int, hi: int) -> int:
        """An integer in ``[lo, hi]``; shrinking goes toward ``lo``."""

    def choice(self, options: Sequence[T]) -> T:
        """One of ``options``; shrinking goes toward the first."""


class DrawSource:
    """Decisions drawn by hypothesis (``draw`` of an ``st.composite``), so they shrink."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any]) -> None:
        self.draw = draw

    def integer(self, lo: int, hi: int) -> int:
        return self.draw(st.integers(lo, hi))

    def choice(self, options: Sequence[T]) -> T:
        return self.draw(st.sampled_from(options))


class RandomSource:
    """Decisions from a seeded ``random.Random`` (the long run: cheap, replayable by seed)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def integer(self, lo: int, hi: int) -> int:
        return self.rng.randint(lo, hi)

    def choice(self, options: Sequence[T]) -> T:
        return options[self.rng.randrange(len(options))]


def generic_functions(max_order: int = 4) -> dict[str, Callable[..., Any]]:
    """``functions=`` for :func:`matcalc.compile`: σ and its derivatives as the reference uses.

    :func:`matcalc.numeric.evaluate` stands σ⁽ᵏ⁾ for the k-th derivative of sin(t) + e^{t/2};
    compiled code gets the same functions so the two can be compared.
    """
    from ..check.numeric import default_generic

    return {GENERIC_NAME + "'" * k: default_generic(k) for k in range(max_order + 1)}


# ----------------------------------------------------------------------------------------
# The generator
# ----------------------------------------------------------------------------------------

Shape = tuple[Dim, Dim]
_CONSTANTS = (Fraction(1, 2), Fraction(2), Fraction(3), Fraction(-1), Fraction(-3, 2))
_SHIFTS = (Fraction(1), Fraction(1, 2), Fraction(2))
# Built-in functions with a domain restriction, and how their argument is made safe.
_POSITIVE_ARG = ("log", "sqrt")
_SMALL_ARG = ("tan", "arcsin", "arccos")


@dataclass
class ExprGen:
    """Random expressions of a requested shape over a few symbolic dims.

    Parameters
    ----------
    src : Source
        The random decisions.
    dims : sequence of Dim
        The symbolic dims shapes are made of (besides 1).
    budget : int
        Roughly the most nodes one expression gets; when spent, only leaves are made.
        Keeps expressions small enough for SymPy at dims 1–2.
    reuse : bool
        Whether a new leaf of a shape prefers an existing symbol of that shape (so a
        variable occurs several times, which is what makes gradients interesting).
    """

    src: Source
    dims: Sequence[Dim]
    budget: int = 12
    reuse: bool = True
    symbols: dict[Shape, list[Symbol]] = field(default_factory=dict)
    #: The compound subexpressions made so far, by shape: "again" draws one (or its
    #: negation), so terms share a sum and its sign-turned twin, as gradients do
    made: dict[Shape, list[Expr]] = field(default_factory=dict)
    _names: set[str] = field(default_factory=set)
    _lets: int = 0

    # --- shapes and leaves --------------------------------------------------------------
    def any_dim(self) -> Dim:
        return self.src.choice([ONE, *self.dims])

    def proper_dim(self) -> Dim:
        return self.src.choice(list(self.dims))

    def any_shape(self) -> Shape:
        return (self.any_dim(), self.any_dim())

    def symbol(self, shape: Shape) -> Symbol:
        """An existing symbol of this shape (often) or a new one, named by its kind."""
        have = self.symbols.setdefault(shape, [])
        if have and self.reuse and self.src.integer(0, 2) > 0:
            return self.src.choice(have)
        r, c = shape
        if r == 1 and c == 1:
            pool = "abcdefgh"
        elif c == 1:
            pool = "uvwxyz"
        elif r == 1:
            pool = "rst"
        else:
            pool = "ABCDEFGH"
        k = 0
        while True:
            name = pool[k % len(pool)] + (str(k // len(pool)) if k >= len(pool) else "")
            if name not in self._names:
                break
            k += 1
        self._names.add(name)
        s = mcb.matrix(name, r, c)
        have.append(s)
        return s

    def number(self) -> Expr:
        if self.src.integer(0, 4) == 0:
            return self.proper_dim() / 2  # a dim standing where a scalar is expected
        return mcb.as_expr(self.src.choice(_CONSTANTS))

    def leaf(self, shape: Shape) -> Expr:
        r, c = shape
        kind = self.src.choice(["symbol", "symbol", "symbol", "symbol", "ones", "const"])
        if kind == "ones":
            return mcb.ones(r, c)
        if kind == "const":
            if r == 1 and c == 1:
                return self.number()
            if r == c and self.src.integer(0, 1):
                return mcb.eye(r)
            return mcb.zeros(r, c) if self.src.integer(0, 3) == 0 else mcb.ones(r, c)
        return self.symbol(shape)

    # --- safe arguments -----------------------------------------------------------------
    def positive(self, shape: Shape, depth: int) -> Expr:
        """An expression whose entries are positive at every point."""
        x = self.expr(shape, depth)
        how = self.src.choice(["exp", "square", "sigmoid", "softplus", "softmax"])
        if how == "softmax" and shape != (ONE, ONE):
            axes = [None] + [a for a in (0, 1) if shape[a] != 1 and shape[1 - a] != 1]
            return reductions.softmax(x, self.src.choice(axes))
        if how in ("exp", "softmax"):
            return mcb.exp(x)
        if how == "square":
            return x * x + self.src.choice(_SHIFTS)
        return mcb.sigmoid(x) if how == "sigmoid" else mcb.softplus(x)

    def small(self, shape: Shape, depth: int) -> Expr:
        """An expression with entries in (−½, ½): in range for arcsin, arccos and tan."""
        x = self.expr(shape, depth)
        return Fraction(1, 2) * (mcb.tanh(x) if self.src.integer(0, 1) else mcb.sin(x)) * \
            Fraction(9, 10)

    def spd(self, n: Dim, depth: int) -> Expr:
        """``A Aᵀ + cI``: symmetric positive definite, so inv and logdet are smooth."""
        a = self.expr((n, self.any_dim()), depth)
        return a @ a.T + self.src.choice(_SHIFTS) * mcb.eye(n)

    def apply(self, shape: Shape, depth: int) -> Expr:
        name = self.src.choice([*FUNCTIONS, GENERIC_NAME])
        if name == GENERIC_NAME:
            return _SIGMA(self.expr(shape, depth))
        fn = getattr(mcb, name)
        if name in _POSITIVE_ARG:
            return fn(self.positive(shape, depth))
        if name in _SMALL_ARG:
            return fn(self.small(shape, depth))
        return fn(self.expr(shape, depth))

    # --- the productions ----------------------------------------------------------------
    def expr(self, shape: Shape, depth: int) -> Expr:
        """A random expression of ``shape`` at most ``depth`` levels deep."""
        if depth <= 0 or self.budget <= 0:
            return self.leaf(shape)
        self.budget -= 1
        r, c = shape
        scalar, square = r == 1 and c == 1, r == c
        options = ["leaf", "add", "scale", "matmul", "transpose", "apply", "power", "let",
                   "kron"]
        if scalar:
            # diag and Diag of a 1×1 are 1×1 too: the corner where the compiler's
            # diag-of-a-product einsum once met a scalar (issue 13)
            options += ["trace", "sum", "norm", "frob", "det", "logdet", "inverse",
                        "scalar_kron", "add", "diag", "diagpart", "logsumexp"]
        else:
            options += ["scalarmul", "hadamard", "unvec"]
        if square and not scalar:
            options += ["diag", "inverse", "matrix_power"]
        if c == 1 and not scalar:
            options += ["diagpart", "vec"]
        if self.made.get(shape):
            options += ["again"]
        op = self.src.choice(options)
        out = getattr(self, "_" + op)(shape, depth - 1)
        if op not in ("leaf", "again"):
            self.made.setdefault(shape, []).append(out)
        return out

    def _again(self, shape: Shape, depth: int) -> Expr:
        e = self.src.choice(self.made[shape])
        if not self.src.integer(0, 1):
            return e
        if isinstance(e, Add) and self.src.integer(0, 1):  # b − a for a − b, term by term
            return mcb.add_terms([-t for t in e.terms])
        return -e

    def _leaf(self, shape: Shape, depth: int) -> Expr:
        return self.leaf(shape)

    def _add(self, shape: Shape, depth: int) -> Expr:
        r, c = shape
        a = self.expr(shape, depth)
        # NumPy-style broadcasting: a row, a column or a scalar against the full shape.
        other = self.src.choice([shape, shape, (ONE, c), (r, ONE), (ONE, ONE)])
        b = self.expr(other, depth)
        if self.src.integer(0, 1):
            return a - b
        return a + b if self.src.integer(0, 1) else b + a

    def _scale(self, shape: Shape, depth: int) -> Expr:
        x = self.expr(shape, depth)
        how = self.src.choice(["mul", "div", "neg", "dim"])
        if how == "mul":
            return self.src.choice(_CONSTANTS) * x
        if how == "div":
            return x / self.src.choice([2, 3, Fraction(1, 2)])
        return -x if how == "neg" else self.proper_dim() * x

    def _scalarmul(self, shape: Shape, depth: int) -> Expr:
        x = self.expr(shape, depth)
        if self.src.integer(0, 2) == 0:
            return x / self.positive((ONE, ONE), depth)
        s = self.expr((ONE, ONE), depth)
        return s * x if self.src.integer(0, 1) else x * s

    def _matmul(self, shape: Shape, depth: int) -> Expr:
        k = self.any_dim()
        return self.expr((shape[0], k), depth) @ self.expr((k, shape[1]), depth)

    def _transpose(self, shape: Shape, depth: int) -> Expr:
        return self.expr((shape[1], shape[0]), depth).T

    def _hadamard(self, shape: Shape, depth: int) -> Expr:
        a = self.expr(shape, depth)
        if self.src.integer(0, 2) == 0:
            return a / self.positive(shape, depth)
        return mcb.hadamard(a, self.expr(shape, depth))

    def _power(self, shape: Shape, depth: int) -> Expr:
        k = self.src.choice([2, 3, -1, Fraction(1, 2), Fraction(-1, 2), Fraction(3, 2)])
        if k in (2, 3):
            return self.expr(shape, depth) ** k
        return self.positive(shape, depth) ** k

    def _apply(self, shape: Shape, depth: int) -> Expr:
        return self.apply(shape, depth)

    def _let(self, shape: Shape, depth: int) -> Expr:
        self._lets += 1
        return mcb.let(f"z{self._lets}", self.expr(shape, depth))

    def _kron(self, shape: Shape, depth: int) -> Expr:
        r, c = shape
        # Shapes multiply, so r×c arises as (r×1)⊗(1×c), (1×c)⊗(r×1) or with a 1×1
        # factor; the 1×1 factor is often a product through a size-1 or a proper dim
        # (uᵀv), the case a lowering may take for an array rather than a scalar.
        how = self.src.choice(["outer", "outer_t", "left", "right"])
        if how == "outer":
            return mcb.kron(self.expr((r, ONE), depth), self.expr((ONE, c), depth))
        if how == "outer_t":
            return mcb.kron(self.expr((ONE, c), depth), self.expr((r, ONE), depth))
        s = self.scalar_product(depth) if self.src.integer(0, 1) else self.expr((ONE, ONE), depth)
        x = self.expr(shape, depth)
        return mcb.kron(s, x) if how == "left" else mcb.kron(x, s)

    def scalar_product(self, depth: int) -> Expr:
        """A 1×1 product ``a b`` through any inner dim (1 included): uᵀv, s t, r v."""
        k = self.any_dim()
        return self.expr((ONE, k), depth) @ self.expr((k, ONE), depth)

    def _logsumexp(self, shape: Shape, depth: int) -> Expr:
        return reductions.logsumexp(self.expr(self.any_shape(), depth))

    def _scalar_kron(self, shape: Shape, depth: int) -> Expr:
        a, b = self.proper_dim(), self.proper_dim()
        k = mcb.kron(self.expr((a, a), depth), self.expr((b, b), depth))
        return mcb.trace(k) if self.src.integer(0, 1) else reductions.sum(k)

    def _unvec(self, shape: Shape, depth: int) -> Expr:
        r, c = shape
        how = self.src.choice(["commutation", "kron", "vec"])
        if how == "commutation":  # unvec(K vec(Y)) = Yᵀ for Y c×r
            from ..calculus.api import commutation

            v = commutation(c, r) @ mcb.vec(self.expr((c, r), depth))
        elif how == "kron":  # unvec(u ⊗ v) = v uᵀ
            v = mcb.kron(self.expr((c, ONE), depth), self.expr((r, ONE), depth))
        else:
            v = mcb.vec(self.expr(shape, depth))
        return Unvec(v, r, c)  # no public constructor: the node itself

    def _diag(self, shape: Shape, depth: int) -> Expr:
        n = shape[0]
        v = self.scalar_product(depth) if n == 1 and self.src.integer(0, 1) else \
            self.expr((n, ONE), depth)
        return mcb.Diag(v)

    def _diagpart(self, shape: Shape, depth: int) -> Expr:
        n = shape[0]
        if self.src.integer(0, 1):  # diag(AB), which the compiler lowers without forming AB
            k = self.any_dim()
            return mcb.diag(self.expr((n, k), depth) @ self.expr((k, n), depth))
        return mcb.diag(self.expr((n, n), depth))

    def _vec(self, shape: Shape, depth: int) -> Expr:
        n = shape[0]
        return mcb.vec(self.expr(self.src.choice([(ONE, n), (n, ONE)]), depth))

    def _trace(self, shape: Shape, depth: int) -> Expr:
        n = self.proper_dim()
        return mcb.trace(self.expr((n, n), depth))

    def _sum(self, shape: Shape, depth: int) -> Expr:
        return reductions.sum(self.expr(self.any_shape(), depth))

    def _norm(self, shape: Shape, depth: int) -> Expr:
        return mcb.norm(self.expr(self.any_shape(), depth))

    def _frob(self, shape: Shape, depth: int) -> Expr:
        s = self.any_shape()
        return mcb.frob(self.expr(s, depth), self.expr(s, depth))

    def _det(self, shape: Shape, depth: int) -> Expr:
        n = self.proper_dim()
        # det is a polynomial, smooth everywhere: any square argument will do.
        x = self.spd(n, depth) if self.src.integer(0, 1) else self.expr((n, n), depth)
        return mcb.det(x)

    def _logdet(self, shape: Shape, depth: int) -> Expr:
        return mcb.logdet(self.spd(self.proper_dim(), depth))

    def _inverse(self, shape: Shape, depth: int) -> Expr:
        return mcb.inv(self.spd(shape[0], depth))

    def _matrix_power(self, shape: Shape, depth: int) -> Expr:
        # a polynomial in the entries: smooth everywhere, any square base will do
        return mcb.matrix_power(self.expr(shape, depth), self.src.integer(2, 3))


# ----------------------------------------------------------------------------------------
# Cases: a generated function with its variables and dims
# ----------------------------------------------------------------------------------------


@dataclass
class Case:
    """One generated test case.

    Attributes
    ----------
    f : Expr
        The expression (1×1 for gradient properties).
    wrt : list of Symbol
        Variables to differentiate by: the free symbols of ``f`` (a fresh one if none, so
        the zero gradient is exercised too).
    dims : list of Dim
        The symbolic dims the shapes are made of.
    """

    f: Expr
    wrt: list[Symbol]
    dims: list[Dim]

    def __repr__(self) -> str:  # hypothesis prints this for a falsifying example
        wrt = ", ".join(f"{s.name}: {s.shape[0]}×{s.shape[1]}" for s in self.wrt)
        return f"Case(f = {self.f}  wrt [{wrt}])"


def _dims(src: Source) -> list[Dim]:
    return [dim(n) for n in ("m", "n", "p")[: src.integer(1, 3)]]


def random_case(src: Source, *, scalar: bool = True, depth: int = 3, budget: int = 10) -> Case:
    """A random case: a scalar function of its variables (``scalar``) or any-shape one."""
    dims = _dims(src)
    gen = ExprGen(src, dims, budget=budget)
    shape = (ONE, ONE) if scalar else gen.any_shape()
    for _ in range(4):  # a constant is a dull function: draw again (a few stay, as edge cases)
        gen.budget = budget
        f = gen.expr(shape, depth)
        if f.free_symbols:
            break
    wrt = sorted(f.free_symbols, key=lambda s: s.name)
    if not wrt:
        wrt = [gen.symbol(gen.any_shape())]
    return Case(f, wrt, dims)


def dim_values(case: Case, src: Source, lo: int = 1, hi: int = 3) -> dict[Dim, int]:
    """Concrete values for the case's dims; 1 is drawn twice as often as another size,
    since a dim that is 1 only at run time is where shape logic meets a size-1 array."""
    sizes = list(range(lo, hi + 1))
    options = [1, *sizes] if 1 in sizes else sizes
    return {d: src.choice(options) for d in case.dims}


@st.composite
def cases(draw: Callable[..., Any], scalar: bool = True, depth: int = 3,
          budget: int = 10) -> Case:
    """Hypothesis strategy for :class:`Case` (see :func:`random_case`)."""
    return random_case(DrawSource(draw), scalar=scalar, depth=depth, budget=budget)


def scalar_cases(depth: int = 3, budget: int = 10) -> st.SearchStrategy[Case]:
    """Scalar-valued functions of chosen variables (the gradient properties' input)."""
    return cases(scalar=True, depth=depth, budget=budget)


def matrix_cases(depth: int = 3, budget: int = 10) -> st.SearchStrategy[Case]:
    """Functions of any shape (the Jacobian property's input)."""
    return cases(scalar=False, depth=depth, budget=budget)


@st.composite
def exprs(draw: Callable[..., Any], depth: int = 3, budget: int = 10) -> Expr:
    """Hypothesis strategy for a bare expression of random shape."""
    return random_case(DrawSource(draw), scalar=False, depth=depth, budget=budget).f


def node_types(e: Expr) -> set[str]:
    """Names of the node types occurring in ``e`` (coverage bookkeeping)."""
    return {type(n).__name__ for n in walk(e)}
