"""Expression nodes: frozen, slotted dataclasses with cached structural hash and shape.

Nodes are data only. Shape inference and validation happen at construction, so every
node that exists is well-typed. Calculus, printing and code generation live in rule tables
(``functools.singledispatch``) in other modules, one registered function per node type.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any

import sympy

from . import deep, display
from .dims import ONE, Dim, Shape, fmt_shape, register_scalar_node
from .errors import ShapeError

__all__ = [
    "Expr", "Symbol", "Number", "Ones", "Identity", "Zero", "Commutation", "Delta", "Let",
    "Add", "Scale", "ScalarMul", "MatMul", "Transpose", "Hadamard", "Power", "Apply",
    "Diag", "DiagPart", "Vec", "Unvec", "Kron", "Trace", "Inverse", "Det", "LogDet", "Sum",
    "Norm", "Frob", "Softmax", "LogSumExp", "MatrixPower", "NODE_TYPES", "is_scalar_shape",
    "field_names", "children",
]

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))
    return names


class Expr:
    """Base class of every matcalc expression. Immutable and hashable; ``==`` is structural."""

    __slots__ = ("_hash", "_shape", "_free", "_deltas", "_rep", "_depth", "__weakref__")
    __array_priority__ = 1000  # NumPy scalars defer to our operators

    def _finish(self, shape: Shape) -> None:
        object.__setattr__(self, "_shape", shape)
        key = tuple(getattr(self, n) for n in field_names(type(self)))
        object.__setattr__(self, "_hash", hash((type(self).__name__, key)))
        # Leaves know their sets now; compound nodes fill theirs on first use.
        leaf = isinstance(self, Symbol)
        object.__setattr__(self, "_free", frozenset((self,)) if leaf else None)
        object.__setattr__(self, "_deltas", frozenset() if leaf else None)
        object.__setattr__(self, "_rep", None)
        # The height of the tree, O(1) from the children: what tells matcalc.expr.deep
        # whether a recursive rule could meet Python's recursion limit.
        depth = 0
        for v in key:
            if isinstance(v, Expr):
                depth = max(depth, v._depth)
            elif isinstance(v, tuple) and v and isinstance(v[0], Expr):  # factors, terms
                depth = max(depth, max([x._depth for x in v]))
        object.__setattr__(self, "_depth", depth + 1)

    @property
    def shape(self) -> Shape:
        """``(rows, cols)`` as :class:`~matcalc.dims.Dim` objects."""
        return self._shape

    @property
    def T(self) -> Expr:
        """The transpose."""
        return Transpose(self)

    @property
    def free_symbols(self) -> frozenset[Symbol]:
        """The set of symbols the expression contains (through named intermediates too)."""
        if self._free is None:
            deep.collect(self, "_free", children)
        return self._free

    @property
    def deltas(self) -> frozenset[Delta]:
        """The differentials ``dX`` the expression contains."""
        if self._deltas is None:
            deep.collect(self, "_deltas", children)
        return self._deltas

    def _root(self) -> Expr:
        """The representative of the nodes proved equal to this one (union-find)."""
        node = self
        while node._rep is not None:
            node = node._rep
        if self._rep is not None and self._rep is not node:
            object.__setattr__(self, "_rep", node)  # path compression
        return node

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if type(self) is not type(other) or self._hash != other._hash:  # type: ignore[attr-defined]
            return False
        if self._root() is other._root():  # type: ignore[attr-defined]
            return True
        return deep.same_tree(self, other, field_names, Expr)

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        return display.show("text", self)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self} : {fmt_shape(self.shape)}>"

    def _repr_latex_(self) -> str:
        return f"$\\displaystyle {display.show('latex', self)}$"

    def __bool__(self) -> bool:
        raise TypeError("the truth value of a matcalc expression is ambiguous; use == for identity")

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("matcalc expressions are not iterable")

    # operator overloads are attached by matcalc.build (user-facing construction)


def is_scalar_shape(shape: Shape) -> bool:
    return shape[0] == 1 and shape[1] == 1


def _shape_error(op: str, *operands: Expr, why: str) -> ShapeError:
    parts = ", ".join(f"{x} ({fmt_shape(x.shape)})" for x in operands)
    return ShapeError(f"{op}: {parts}: {why}")


def _require_square(op: str, x: Expr) -> Dim:
    r, c = x.shape
    if r != c:
        raise _shape_error(f"{op} needs a square matrix", x, why=f"{r} ≠ {c}")
    return r


# ----------------------------------------------------------------------------------------
# Leaves
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Symbol(Expr):
    """A named matrix, vector or scalar variable; ``structure`` is a declared structure
    (``"symmetric"``, ``"spd"``, ``"diagonal"``; see :mod:`matcalc.expr.structure`) or None."""

    name: str
    rows: Dim
    cols: Dim
    structure: str | None = None

    def __post_init__(self) -> None:
        if self.structure is not None and self.rows != self.cols:
            raise ShapeError(f"a {self.structure} matrix is square: {self.name} cannot be "
                             f"{fmt_shape((self.rows, self.cols))}")
        self._finish((self.rows, self.cols))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Number(Expr):
    """A constant 1×1 scalar; ``value`` is a SymPy number, possibly involving dims (``2/n``)."""

    value: sympy.Expr

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", sympy.sympify(self.value))
        self._finish((ONE, ONE))


register_scalar_node(Number)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Ones(Expr):
    """The all-ones matrix (``1`` for a column, ``1ᵀ`` for a row)."""

    rows: Dim
    cols: Dim

    def __post_init__(self) -> None:
        self._finish((self.rows, self.cols))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Identity(Expr):
    """The n×n identity matrix."""

    n: Dim

    def __post_init__(self) -> None:
        self._finish((self.n, self.n))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Zero(Expr):
    """The zero matrix; rules short-circuit on it."""

    rows: Dim
    cols: Dim

    def __post_init__(self) -> None:
        self._finish((self.rows, self.cols))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Commutation(Expr):
    """The commutation matrix K(m,n): vec(Xᵀ) = K vec(X) for X m×n (Magnus & Neudecker 3.7)."""

    m: Dim
    n: Dim

    def __post_init__(self) -> None:
        mn = self.m * self.n
        self._finish((mn, mn))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Delta(Expr):
    """The differential ``dX`` of a symbol or of a named intermediate."""

    of: Expr

    def __post_init__(self) -> None:
        if not isinstance(self.of, (Symbol, Let)):
            raise TypeError("a differential is taken of a symbol or a named intermediate")
        self._finish(self.of.shape)
        object.__setattr__(self, "_free", frozenset())
        object.__setattr__(self, "_deltas", frozenset((self,)))
        object.__setattr__(self, "_depth", 1)  # its target is not a child


# ----------------------------------------------------------------------------------------
# Compound nodes
# ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Let(Expr):
    """A named intermediate ``name := expr``: printed by name, expanded in compiled code."""

    name: str
    expr: Expr

    def __post_init__(self) -> None:
        self._finish(self.expr.shape)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Add(Expr):
    """A sum of two or more terms of one shape."""

    terms: tuple[Expr, ...]

    def __post_init__(self) -> None:
        if len(self.terms) < 2:
            raise ValueError("Add needs at least two terms")
        shape = self.terms[0].shape
        for t in self.terms[1:]:
            if t.shape != shape:
                raise _shape_error("cannot add", self.terms[0], t, why="shapes differ")
        self._finish(shape)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Scale(Expr):
    """A constant multiple ``c X``; ``coef`` is a SymPy number, possibly with dims."""

    coef: sympy.Expr
    x: Expr

    def __post_init__(self) -> None:
        object.__setattr__(self, "coef", sympy.sympify(self.coef))
        self._finish(self.x.shape)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class ScalarMul(Expr):
    """A 1×1 expression times a matrix: ``s X``."""

    s: Expr
    x: Expr

    def __post_init__(self) -> None:
        if not is_scalar_shape(self.s.shape):
            raise _shape_error("cannot scale", self.s, self.x, why="the scale factor is not 1×1")
        self._finish(self.x.shape)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class MatMul(Expr):
    """A matrix product of two or more factors."""

    factors: tuple[Expr, ...]

    def __post_init__(self) -> None:
        if len(self.factors) < 2:
            raise ValueError("MatMul needs at least two factors")
        for a, b in zip(self.factors, self.factors[1:]):
            if a.shape[1] != b.shape[0]:
                raise _shape_error(
                    "cannot multiply", a, b, why=f"inner dimensions {a.shape[1]} ≠ {b.shape[0]}"
                )
        self._finish((self.factors[0].shape[0], self.factors[-1].shape[1]))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Transpose(Expr):
    """The transpose ``Xᵀ``."""

    x: Expr

    def __post_init__(self) -> None:
        r, c = self.x.shape
        self._finish((c, r))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Hadamard(Expr):
    """An elementwise product of two or more factors of one shape."""

    factors: tuple[Expr, ...]

    def __post_init__(self) -> None:
        if len(self.factors) < 2:
            raise ValueError("Hadamard needs at least two factors")
        shape = self.factors[0]._shape
        for f in self.factors[1:]:
            if f._shape is not shape and f._shape != shape:
                raise _shape_error(
                    "cannot take the Hadamard product", self.factors[0], f, why="shapes differ"
                )
        self._finish(shape)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Power(Expr):
    """An elementwise power ``X.^k`` with a constant exponent."""

    x: Expr
    k: sympy.Expr

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", sympy.sympify(self.k))
        self._finish(self.x.shape)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Apply(Expr):
    """An elementwise function ``f(X)``; ``order`` counts derivatives of a generic function."""

    fn: str
    x: Expr
    order: int = 0

    def __post_init__(self) -> None:
        self._finish(self.x.shape)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Diag(Expr):
    """``Diag(v)``: the diagonal matrix with the column vector v on its diagonal."""

    v: Expr

    def __post_init__(self) -> None:
        n, c = self.v.shape
        if c != 1:
            raise _shape_error("Diag needs a column vector", self.v, why=f"it has {c} columns")
        self._finish((n, n))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class DiagPart(Expr):
    """``diag(X)``: the diagonal of a square matrix as a column vector."""

    x: Expr

    def __post_init__(self) -> None:
        n = _require_square("diag", self.x)
        self._finish((n, ONE))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Vec(Expr):
    """``vec(X)``: the columns of X stacked into one column."""

    x: Expr

    def __post_init__(self) -> None:
        r, c = self.x.shape
        self._finish((r * c, ONE))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Unvec(Expr):
    """The inverse of vec: a (rows·cols)×1 column reshaped column-major to rows×cols."""

    v: Expr
    rows: Dim
    cols: Dim

    def __post_init__(self) -> None:
        if self.v.shape != (self.rows * self.cols, ONE):
            raise _shape_error(
                f"cannot reshape to {fmt_shape((self.rows, self.cols))}", self.v,
                why="sizes differ",
            )
        self._finish((self.rows, self.cols))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Kron(Expr):
    """The Kronecker product ``A ⊗ B``."""

    a: Expr
    b: Expr

    def __post_init__(self) -> None:
        self._finish((self.a.shape[0] * self.b.shape[0], self.a.shape[1] * self.b.shape[1]))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Trace(Expr):
    """``tr(X)`` of a square matrix."""

    x: Expr

    def __post_init__(self) -> None:
        _require_square("tr", self.x)
        self._finish((ONE, ONE))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Inverse(Expr):
    """The matrix inverse ``X⁻¹``."""

    x: Expr

    def __post_init__(self) -> None:
        n = _require_square("inv", self.x)
        self._finish((n, n))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class MatrixPower(Expr):
    """The matrix power ``Xᵏ`` of a square X; ``k`` a positive integer or a dim."""

    x: Expr
    k: sympy.Expr

    def __post_init__(self) -> None:
        object.__setattr__(self, "k", sympy.sympify(self.k))
        self._finish((_require_square("matrix_power", self.x),) * 2)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Det(Expr):
    """The determinant ``det(X)``."""

    x: Expr

    def __post_init__(self) -> None:
        _require_square("det", self.x)
        self._finish((ONE, ONE))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class LogDet(Expr):
    """``logdet(X) = log|det X|``."""

    x: Expr

    def __post_init__(self) -> None:
        _require_square("logdet", self.x)
        self._finish((ONE, ONE))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Sum(Expr):
    """``sum(X)``: the sum of all entries."""

    x: Expr

    def __post_init__(self) -> None:
        self._finish((ONE, ONE))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Norm(Expr):
    """``‖X‖``: the Frobenius norm (the 2-norm of a vector)."""

    x: Expr

    def __post_init__(self) -> None:
        self._finish((ONE, ONE))


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Frob(Expr):
    """The Frobenius product ``A : B = tr(AᵀB)``."""

    a: Expr
    b: Expr

    def __post_init__(self) -> None:
        if self.a.shape != self.b.shape:
            raise _shape_error("cannot take the Frobenius product", self.a, self.b,
                               why="shapes differ")
        self._finish((ONE, ONE))


def _axis_shape(x: Expr, axis: int | None) -> Shape:
    """The shape of a reduction of ``x`` along ``axis`` (SciPy's: None all, 0 columns, 1 rows)."""
    if axis not in (None, 0, 1):
        raise ValueError(f"axis must be None, 0 or 1, got {axis!r}")
    return (ONE, ONE) if axis is None else (ONE, x.shape[1]) if axis == 0 else (x.shape[0], ONE)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Softmax(Expr):
    """``softmax(Z)``: exp(Z) normalized over all entries (None), each column (0) or row (1)."""

    x: Expr
    axis: int | None = None

    def __post_init__(self) -> None:
        _axis_shape(self.x, self.axis)
        self._finish(self.x.shape)


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class LogSumExp(Expr):
    """``logsumexp(Z)``: log Σ exp over all entries (1×1), each column (1×n) or row (m×1)."""

    x: Expr
    axis: int | None = None

    def __post_init__(self) -> None:
        self._finish(_axis_shape(self.x, self.axis))


# A list: matcalc.expr.spectral (imported with the package) appends its node types.
NODE_TYPES: list[type[Expr]] = [
    Symbol, Number, Ones, Identity, Zero, Commutation, Delta, Let, Add, Scale, ScalarMul,
    MatMul, Transpose, Hadamard, Power, Apply, Diag, DiagPart, Vec, Unvec, Kron, Trace,
    Inverse, Det, LogDet, Sum, Norm, Frob, Softmax, LogSumExp, MatrixPower,
]


def children(e: Expr) -> tuple[Expr, ...]:
    """The sub-expressions of ``e`` in field order (a Delta's target is not a child)."""
    if isinstance(e, Delta):
        return ()
    out: list[Expr] = []
    for n in field_names(type(e)):
        v = getattr(e, n)
        if isinstance(v, Expr):
            out.append(v)
        elif isinstance(v, tuple):
            out.extend(x for x in v if isinstance(x, Expr))
    return tuple(out)
